//! The SVG writer under every chart: escaping, fixed number formatting, linear scales with
//! round ticks, axes, legends and the palettes. Nothing here knows a model.

use std::fmt::Write as _;

use crate::{Error, Result};

/// Characters of outside text (a segment name, a period) shown in a chart before it is cut.
const SHOWN: usize = 40;

/// A number as the charts write it: at most two decimals, trailing zeros dropped, `-0` as `0`.
/// The same value always gives the same text (the charts are byte-for-byte deterministic).
pub(crate) fn num(x: f64) -> String {
    let x = if x.is_finite() { x } else { 0.0 };
    let mut s = format!("{x:.2}");
    if s.contains('.') {
        while s.ends_with('0') {
            s.pop();
        }
        if s.ends_with('.') {
            s.pop();
        }
    }
    if s == "-0" { "0".to_string() } else { s }
}

/// `value` if finite, else an error naming what it is.
pub(crate) fn finite(field: &'static str, value: f64) -> Result<f64> {
    if value.is_finite() {
        Ok(value)
    } else {
        Err(Error::NonFinite {
            field,
            value,
            user: String::new(),
        })
    }
}

/// Outside text shown as a label (a segment name, a cohort), cut to [`SHOWN`] characters.
pub(crate) fn cut(text: &str) -> String {
    match text.char_indices().nth(SHOWN) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text.to_string(),
    }
}

/// Text escaped for an SVG/HTML text node or a quoted attribute.
pub(crate) fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// A value as money or a count on an axis label: `1.2k`, `3.4M` above a thousand.
pub(crate) fn short(x: f64) -> String {
    let a = x.abs();
    if a >= 1e9 {
        format!("{}G", num(x / 1e9))
    } else if a >= 1e6 {
        format!("{}M", num(x / 1e6))
    } else if a >= 1e4 {
        format!("{}k", num(x / 1e3))
    } else {
        num(x)
    }
}

/// A linear map from data `[d0, d1]` to pixels `[r0, r1]`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Linear {
    pub d0: f64,
    pub d1: f64,
    pub r0: f64,
    pub r1: f64,
}

impl Linear {
    pub(crate) fn new(d0: f64, d1: f64, r0: f64, r1: f64) -> Self {
        // An empty domain (all values zero) maps as [0, 1] so that nothing divides by zero.
        let (d0, d1) = if d1 > d0 { (d0, d1) } else { (d0, d0 + 1.0) };
        Linear { d0, d1, r0, r1 }
    }
    pub(crate) fn at(&self, v: f64) -> f64 {
        self.r0 + (v - self.d0) / (self.d1 - self.d0) * (self.r1 - self.r0)
    }
}

/// Round tick values covering `[lo, hi]`: steps of 1, 2 or 5 × 10^k, about `n` of them. The
/// first tick is at or below `lo`, the last at or above `hi`.
pub(crate) fn ticks(lo: f64, hi: f64, n: usize) -> Vec<f64> {
    let (lo, hi) = if hi > lo { (lo, hi) } else { (lo, lo + 1.0) };
    let raw = (hi - lo) / n.max(1) as f64;
    let mag = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|m| m * mag)
        .find(|s| *s >= raw)
        .unwrap_or(10.0 * mag);
    let first = (lo / step).floor();
    let last = (hi / step).ceil();
    let count = ((last - first) as usize).min(40);
    (0..=count).map(|i| (first + i as f64) * step).collect()
}

/// Layout of a chart: the whole picture and the plot area inside its margins.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Frame {
    pub width: f64,
    pub height: f64,
    pub left: f64,
    pub right: f64,
    pub top: f64,
    pub bottom: f64,
}

impl Frame {
    pub(crate) fn standard() -> Self {
        Frame {
            width: 760.0,
            height: 420.0,
            left: 78.0,
            right: 170.0,
            top: 52.0,
            bottom: 64.0,
        }
    }
    pub(crate) fn x0(&self) -> f64 {
        self.left
    }
    pub(crate) fn x1(&self) -> f64 {
        self.width - self.right
    }
    pub(crate) fn y0(&self) -> f64 {
        self.top
    }
    pub(crate) fn y1(&self) -> f64 {
        self.height - self.bottom
    }
}

/// An SVG document being written.
#[derive(Debug)]
pub(crate) struct Svg {
    pub out: String,
    pub frame: Frame,
    /// Left edge of the legend (default: 16 px right of the plot).
    pub legend_x: Option<f64>,
}

impl Svg {
    /// Opens the document: `id` names the chart (unique within an HTML page), `title` and
    /// `desc` are what a screen reader says.
    pub(crate) fn new(id: &str, frame: Frame, title: &str, desc: &str) -> Self {
        let mut out = String::with_capacity(16 * 1024);
        let _ = write!(
            out,
            "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\" id=\"{id}\" width=\"{w}\" height=\"{h}\" viewBox=\"0 0 {w} {h}\" role=\"img\" aria-labelledby=\"{id}-title {id}-desc\" font-family=\"sans-serif\" font-size=\"12\">\
<title id=\"{id}-title\">{t}</title><desc id=\"{id}-desc\">{d}</desc>\
<defs><pattern id=\"{id}-hatch\" width=\"6\" height=\"6\" patternUnits=\"userSpaceOnUse\" patternTransform=\"rotate(45)\"><rect width=\"6\" height=\"6\" fill=\"none\"/><line x1=\"0\" y1=\"0\" x2=\"0\" y2=\"6\" stroke=\"#ffffff\" stroke-width=\"2\"/></pattern></defs>\
<rect class=\"background\" width=\"{w}\" height=\"{h}\" fill=\"#ffffff\"/>\
<text class=\"chart-title\" x=\"{cx}\" y=\"24\" text-anchor=\"middle\" font-size=\"16\" font-weight=\"bold\">{t}</text>",
            w = num(frame.width),
            h = num(frame.height),
            cx = num(frame.width / 2.0),
            t = esc(title),
            d = esc(desc),
        );
        Svg {
            out,
            frame,
            legend_x: None,
        }
    }

    pub(crate) fn raw(&mut self, text: &str) {
        self.out.push_str(text);
    }

    /// A rectangle with extra attributes (`attrs` is written as given: build it with [`esc`]).
    pub(crate) fn rect(&mut self, x: f64, y: f64, w: f64, h: f64, fill: &str, attrs: &str) {
        let _ = write!(
            self.out,
            "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"{fill}\"{attrs}/>",
            num(x),
            num(y),
            num(w.max(0.0)),
            num(h.max(0.0))
        );
    }

    pub(crate) fn line(&mut self, x1: f64, y1: f64, x2: f64, y2: f64, stroke: &str, attrs: &str) {
        let _ = write!(
            self.out,
            "<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"{stroke}\"{attrs}/>",
            num(x1),
            num(y1),
            num(x2),
            num(y2)
        );
    }

    /// Text at `(x, y)`; `anchor` is `start`, `middle` or `end`.
    pub(crate) fn text(&mut self, x: f64, y: f64, anchor: &str, attrs: &str, content: &str) {
        let _ = write!(
            self.out,
            "<text x=\"{}\" y=\"{}\" text-anchor=\"{anchor}\"{attrs}>{}</text>",
            num(x),
            num(y),
            esc(content)
        );
    }

    /// A polyline through `points`.
    pub(crate) fn polyline(&mut self, points: &[(f64, f64)], stroke: &str, attrs: &str) {
        let pts: Vec<String> = points
            .iter()
            .map(|(x, y)| format!("{},{}", num(*x), num(*y)))
            .collect();
        let _ = write!(
            self.out,
            "<polyline points=\"{}\" fill=\"none\" stroke=\"{stroke}\" stroke-width=\"2\"{attrs}/>",
            pts.join(" ")
        );
    }

    /// A left axis with ticks at `values` on `scale`, labelled `label` (with its unit).
    /// Each tick is a `<line class="tick" data-axis="y" data-value="..">`: a browser measures
    /// the scale from two of them.
    pub(crate) fn y_axis(
        &mut self,
        scale: &Linear,
        values: &[f64],
        label: &str,
        fmt: fn(f64) -> String,
    ) {
        let f = self.frame;
        self.raw("<g class=\"axis y-axis\">");
        for v in values {
            let y = scale.at(*v);
            self.line(
                f.x0() - 5.0,
                y,
                f.x1(),
                y,
                if *v == 0.0 { "#333333" } else { "#dddddd" },
                &format!(" class=\"tick\" data-axis=\"y\" data-value=\"{}\"", num(*v)),
            );
            self.text(f.x0() - 8.0, y + 4.0, "end", "", &fmt(*v));
        }
        let cy = f64::midpoint(f.y0(), f.y1());
        let _ = write!(
            self.out,
            "<text class=\"axis-label\" x=\"16\" y=\"{c}\" text-anchor=\"middle\" transform=\"rotate(-90 16 {c})\">{}</text>",
            esc(label),
            c = num(cy)
        );
        self.raw("</g>");
    }

    /// A bottom axis with ticks at `values` on `scale`, labelled `label`.
    pub(crate) fn x_axis(
        &mut self,
        scale: &Linear,
        values: &[f64],
        label: &str,
        fmt: fn(f64) -> String,
    ) {
        let f = self.frame;
        self.raw("<g class=\"axis x-axis\">");
        for v in values {
            let x = scale.at(*v);
            self.line(
                x,
                f.y0(),
                x,
                f.y1() + 5.0,
                "#dddddd",
                &format!(" class=\"tick\" data-axis=\"x\" data-value=\"{}\"", num(*v)),
            );
            self.text(x, f.y1() + 18.0, "middle", "", &fmt(*v));
        }
        self.x_label(label);
        self.raw("</g>");
    }

    /// The bottom axis's title.
    pub(crate) fn x_label(&mut self, label: &str) {
        let f = self.frame;
        self.text(
            f64::midpoint(f.x0(), f.x1()),
            f.height - 14.0,
            "middle",
            " class=\"axis-label\"",
            label,
        );
    }

    /// Category labels under band positions (`centres`), thinned to fit.
    pub(crate) fn band_labels(&mut self, centres: &[(f64, String)]) {
        let f = self.frame;
        let room = (f.x1() - f.x0()) / 60.0;
        let every = (centres.len() as f64 / room.max(1.0)).ceil().max(1.0) as usize;
        self.raw("<g class=\"axis x-axis\">");
        for (i, (x, label)) in centres.iter().enumerate() {
            if i % every == 0 {
                self.text(
                    *x,
                    f.y1() + 18.0,
                    "middle",
                    " class=\"band-label\"",
                    &cut(label),
                );
            }
        }
        self.raw("</g>");
    }

    /// A legend at the right: one swatch per `(label, fill, kind)`; `kind` is `box`, `line`,
    /// or a pattern's `url(#..)` drawn over a box.
    pub(crate) fn legend(&mut self, title: &str, items: &[(&str, &str, &str)]) {
        let f = self.frame;
        let x = self.legend_x.unwrap_or(f.x1() + 16.0);
        let mut y = f.y0();
        self.raw("<g class=\"legend\">");
        self.text(x, y, "start", " font-weight=\"bold\"", title);
        for (label, fill, kind) in items {
            y += 20.0;
            if *kind == "line" {
                self.line(x, y - 4.0, x + 14.0, y - 4.0, fill, " stroke-width=\"3\"");
            } else {
                let frame = " stroke=\"#333333\" stroke-width=\"0.5\"";
                self.rect(x, y - 11.0, 14.0, 14.0, fill, frame);
                if kind.starts_with("url(") {
                    // A pattern drawn over the swatch, as over the marks.
                    self.rect(x, y - 11.0, 14.0, 14.0, kind, "");
                }
            }
            self.text(x + 20.0, y, "start", " class=\"legend-item\"", label);
        }
        self.raw("</g>");
    }

    /// A "no data" note in the middle of the plot.
    pub(crate) fn empty_note(&mut self, text: &str) {
        let f = self.frame;
        self.text(
            f64::midpoint(f.x0(), f.x1()),
            f64::midpoint(f.y0(), f.y1()),
            "middle",
            " class=\"empty\" fill=\"#666666\"",
            text,
        );
    }

    pub(crate) fn finish(mut self) -> String {
        self.out.push_str("</svg>");
        self.out
    }
}

/// The fill of chart `id`'s hatch pattern (white diagonal lines drawn over a colour), so that
/// two series with close lightness still differ in greyscale.
pub(crate) fn hatch(id: &str) -> String {
    format!("url(#{id}-hatch)")
}

/// Categorical colours ordered by lightness (dark to light): neighbours differ by at least
/// 9 points of CIE L*, so the series stay apart in greyscale.
pub(crate) const SERIES: [&str; 6] = [
    "#08306b", // L* 21
    "#2c7fb8", // L* 51
    "#41ab5d", // L* 63
    "#a6d96a", // L* 81
    "#fee391", // L* 91
    "#993404", // L* 36 (used beside light colours only)
];

/// The sequential ramp of the heatmaps: light to dark blue, monotone in lightness.
pub(crate) fn ramp(t: f64) -> String {
    let t = if t.is_finite() {
        t.clamp(0.0, 1.0)
    } else {
        0.0
    };
    // From #f7fbff (L* 98) to #08306b (L* 21), linear in RGB: monotone in lightness.
    let lerp = |a: f64, b: f64| (a + (b - a) * t).round() as u8;
    format!(
        "#{:02x}{:02x}{:02x}",
        lerp(247.0, 8.0),
        lerp(251.0, 48.0),
        lerp(255.0, 107.0)
    )
}

/// Text colour that reads on a ramp cell of position `t`.
pub(crate) fn ink(t: f64) -> &'static str {
    if t > 0.55 { "#ffffff" } else { "#000000" }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_fixed_and_short() {
        assert_eq!(num(1.0), "1");
        assert_eq!(num(2.504), "2.5");
        assert_eq!(num(-0.001), "0");
        assert_eq!(num(f64::NAN), "0");
        assert_eq!(short(12_345.0), "12.35k");
        assert_eq!(esc("a<b & \"c\""), "a&lt;b &amp; &quot;c&quot;");
    }

    #[test]
    fn ticks_are_round_and_cover_the_range() {
        // 0..=87 in about 5 steps: raw step 17.4 -> 20.
        assert_eq!(
            ticks(0.0, 87.0, 5),
            vec![0.0, 20.0, 40.0, 60.0, 80.0, 100.0]
        );
        assert_eq!(
            ticks(0.0, 0.0, 5),
            vec![0.0, 0.2, 0.4, 0.600_000_000_000_000_1, 0.8, 1.0]
        );
        assert_eq!(
            ticks(-30.0, 45.0, 4),
            vec![-40.0, -20.0, 0.0, 20.0, 40.0, 60.0]
        );
    }

    #[test]
    fn scale_maps_ends() {
        let s = Linear::new(0.0, 100.0, 300.0, 50.0);
        assert_eq!(s.at(0.0), 300.0);
        assert_eq!(s.at(100.0), 50.0);
        assert_eq!(s.at(50.0), 175.0);
    }
}
