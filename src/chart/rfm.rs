//! RFM charts: mean monetary by recency × frequency score (R `rfm`'s heatmap), and customers
//! and revenue per segment.

use super::svg::{self, Frame, Linear, SERIES, Svg, esc, ink, num, ramp};
use crate::Result;
use crate::rfm::{RfmScores, Segmentation};

/// Heatmap of mean monetary value per cell of recency score × frequency score, as R `rfm`'s
/// `rfm_heatmap`: frequency score across, recency score up, the darker the richer. Each cell
/// is a `<rect class="cell" data-r=".." data-f=".." data-customers=".." data-value="..">`
/// (`data-value` the mean monetary, empty for a cell without customers) and prints its mean.
///
/// # Errors
/// [`crate::Error::NonFinite`] if a monetary value is NaN or infinite.
///
/// ```
/// use userops::rfm::{CustomerRow, Method, RfmTable, ScoreParams};
/// let table = RfmTable::<&str>::from_customers(vec![
///     CustomerRow::new("a", 10.0, 3, 300.0),
///     CustomerRow::new("b", 200.0, 1, 20.0),
/// ])?;
/// let scores = ScoreParams::new(Method::Quantile).bins(2).check()?.score(&table)?;
/// let svg = userops::chart::rfm_heatmap(&scores)?;
/// assert_eq!(svg.matches("class=\"cell\"").count(), 4);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn rfm_heatmap<U>(scores: &RfmScores<U>) -> Result<String> {
    let bins = usize::from(scores.params.bins.max(1));
    let k = scores
        .customers
        .iter()
        .map(|c| usize::from(c.r.max(c.f)))
        .max()
        .unwrap_or(0)
        .max(bins)
        .min(usize::from(u8::MAX));
    // sums[r-1][f-1] = (customers, monetary sum)
    let mut cells = vec![vec![(0u64, 0.0f64); k]; k];
    for c in &scores.customers {
        let (r, f) = (usize::from(c.r), usize::from(c.f));
        if r == 0 || f == 0 {
            continue;
        }
        let cell = &mut cells[r - 1][f - 1];
        cell.0 += 1;
        cell.1 += svg::finite("monetary", c.monetary)?;
    }
    let means: Vec<Vec<Option<f64>>> = cells
        .iter()
        .map(|row| {
            row.iter()
                .map(|(n, sum)| (*n > 0).then(|| sum / *n as f64))
                .collect()
        })
        .collect();
    let all: Vec<f64> = means.iter().flatten().flatten().copied().collect();
    let lo = all.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = all.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let frame = Frame {
        width: 640.0,
        height: 520.0,
        right: 150.0,
        ..Frame::standard()
    };
    let mut s = Svg::new(
        "rfm-heatmap",
        frame,
        "Mean monetary value by recency and frequency score",
        &format!(
            "Heatmap of {} customers: frequency score 1 to {k} across, recency score 1 to {k} up; each cell's shade and label is the mean monetary value of its customers; darker is higher.",
            scores.customers.len()
        ),
    );
    let cw = (frame.x1() - frame.x0()) / k.max(1) as f64;
    let ch = (frame.y1() - frame.y0()) / k.max(1) as f64;
    s.raw("<g class=\"marks\">");
    for r in 1..=k {
        for f in 1..=k {
            let x = frame.x0() + cw * (f - 1) as f64;
            let y = frame.y1() - ch * r as f64;
            let (n, _) = cells[r - 1][f - 1];
            match means[r - 1][f - 1] {
                Some(mean) => {
                    let t = if hi > lo { (mean - lo) / (hi - lo) } else { 0.5 };
                    s.rect(
                        x,
                        y,
                        cw,
                        ch,
                        &ramp(t),
                        &format!(
                            " class=\"cell\" data-r=\"{r}\" data-f=\"{f}\" data-customers=\"{n}\" data-value=\"{}\" stroke=\"#ffffff\"",
                            num(mean)
                        ),
                    );
                    if k <= 12 {
                        s.text(
                            x + cw / 2.0,
                            y + ch / 2.0 + 4.0,
                            "middle",
                            &format!(" fill=\"{}\"", ink(t)),
                            &svg::short(mean),
                        );
                    }
                }
                None => s.rect(
                    x,
                    y,
                    cw,
                    ch,
                    "#e0e0e0",
                    &format!(
                        " class=\"cell\" data-r=\"{r}\" data-f=\"{f}\" data-customers=\"0\" data-value=\"\" stroke=\"#ffffff\""
                    ),
                ),
            }
        }
    }
    s.raw("</g><g class=\"axis\">");
    for i in 1..=k {
        s.text(
            frame.x0() + cw * (i as f64 - 0.5),
            frame.y1() + 18.0,
            "middle",
            " class=\"band-label\"",
            &i.to_string(),
        );
        s.text(
            frame.x0() - 8.0,
            frame.y1() - ch * (i as f64 - 0.5) + 4.0,
            "end",
            " class=\"band-label\"",
            &i.to_string(),
        );
    }
    s.raw("</g>");
    s.x_label("frequency score (1 = fewest orders)");
    let c = num(f64::midpoint(frame.y0(), frame.y1()));
    s.raw(&format!(
        "<text class=\"axis-label\" x=\"30\" y=\"{c}\" text-anchor=\"middle\" transform=\"rotate(-90 30 {c})\">recency score (5 = most recent)</text>"
    ).replace("(5 =", &format!("({k} =")));
    let lo_label = if all.is_empty() {
        "no customers".to_string()
    } else {
        format!("low: {}", svg::short(lo))
    };
    let hi_label = if all.is_empty() {
        String::new()
    } else {
        format!("high: {}", svg::short(hi))
    };
    let mut items = vec![(lo_label.as_str(), "#f7fbff", "box")];
    let dark = ramp(1.0);
    if !all.is_empty() {
        items.push((hi_label.as_str(), dark.as_str(), "box"));
    }
    items.push(("no customers", "#e0e0e0", "box"));
    s.legend("mean monetary", &items);
    Ok(s.finish())
}

/// Horizontal bars per segment: its share of customers and its share of revenue, side by side
/// on one percentage scale (R `rfm`'s segment bar charts on one picture). Each bar is a
/// `<rect class="bar" data-segment=".." data-measure="customers|revenue" data-count=".."
/// data-value="..">` (`data-value` the share as a fraction, `data-count` the customers or the
/// revenue).
///
/// # Errors
/// [`crate::Error::NonFinite`] if a revenue or share is NaN or infinite.
///
/// ```
/// use userops::rfm::{CustomerRow, Method, RfmTable, ScoreParams, SegmentRules};
/// let table = RfmTable::<&str>::from_customers(vec![
///     CustomerRow::new("a", 10.0, 3, 300.0),
///     CustomerRow::new("b", 200.0, 1, 20.0),
/// ])?;
/// let scores = ScoreParams::new(Method::Quantile).bins(2).check()?.score(&table)?;
/// let rules = SegmentRules::from_json(r#"[{"name": "All", "r": [1, 2], "f": [1, 2], "m": [1, 2]}]"#)?;
/// let segments = rules.segment(&scores)?;
/// let svg = userops::chart::rfm_segments(&segments)?;
/// assert_eq!(svg.matches("class=\"bar\"").count(), 2 * segments.summary.len());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn rfm_segments(segments: &Segmentation) -> Result<String> {
    let rows = &segments.summary;
    let n = rows.len();
    let frame = Frame {
        left: 170.0,
        height: (110.0 + 34.0 * n as f64).max(220.0),
        ..Frame::standard()
    };
    let mut s = Svg::new(
        "rfm-segments",
        frame,
        "Customers and revenue per RFM segment",
        &format!(
            "Horizontal bars for {n} segments: each segment's share of customers and share of revenue, in percent of all customers and all revenue."
        ),
    );
    let max_share = rows
        .iter()
        .map(|r| r.customer_share.max(r.revenue_share))
        .fold(0.0, f64::max);
    let tick_values = svg::ticks(0.0, (max_share * 100.0).max(1.0), 5);
    let x = Linear::new(
        0.0,
        tick_values.last().copied().unwrap_or(100.0),
        frame.x0(),
        frame.x1(),
    );
    s.x_axis(
        &x,
        &tick_values,
        "share of all customers / of all revenue (%)",
        |v| format!("{}%", num(v)),
    );
    let band = (frame.y1() - frame.y0()) / n.max(1) as f64;
    let bar = band * 0.36;
    s.raw("<g class=\"marks\">");
    for (i, r) in rows.iter().enumerate() {
        let y = frame.y0() + band * i as f64 + band * 0.12;
        s.text(
            frame.x0() - 8.0,
            y + bar + 4.0,
            "end",
            " class=\"band-label\"",
            &svg::cut(&r.segment),
        );
        for (j, (measure, share, count, fill)) in [
            ("customers", r.customer_share, r.customers as f64, SERIES[0]),
            (
                "revenue",
                r.revenue_share,
                svg::finite("revenue", r.revenue)?,
                SERIES[3],
            ),
        ]
        .into_iter()
        .enumerate()
        {
            let share = svg::finite("share", share)?;
            let yy = y + bar * j as f64;
            s.rect(
                frame.x0(),
                yy,
                x.at(share * 100.0) - frame.x0(),
                bar,
                fill,
                &format!(
                    " class=\"bar\" data-segment=\"{}\" data-measure=\"{measure}\" data-count=\"{}\" data-value=\"{}\" stroke=\"#333333\" stroke-width=\"0.5\"",
                    esc(&r.segment),
                    num(count),
                    super::lifecycle::fmt_rate(share)
                ),
            );
            s.text(
                x.at(share * 100.0) + 4.0,
                yy + bar - 3.0,
                "start",
                " class=\"value-label\" font-size=\"10\"",
                &format!("{}%", num(share * 100.0)),
            );
        }
    }
    s.raw("</g>");
    if n == 0 {
        s.empty_note("no segments");
    }
    s.legend(
        "measure",
        &[
            ("customers (share)", SERIES[0], "box"),
            ("revenue (share)", SERIES[3], "box"),
        ],
    );
    Ok(s.finish())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chart::lifecycle::tests::{attr, attrs, tag};
    use crate::rfm::{CustomerRow, Method, RfmTable, ScoreParams, SegmentRules};

    /// Four customers, two scores per dimension with fixed breaks (a break is the first value
    /// of the next score): recency < 100 days scores 2 (recent), frequency >= 3 scores 2,
    /// monetary >= 100 scores 2.
    fn scores() -> RfmScores<&'static str> {
        let table = RfmTable::from_customers(vec![
            CustomerRow::new("a", 10.0, 5, 500.0), // r2 f2
            CustomerRow::new("b", 20.0, 4, 300.0), // r2 f2
            CustomerRow::new("c", 300.0, 1, 40.0), // r1 f1
            CustomerRow::new("d", 30.0, 1, 10.0),  // r2 f1
        ])
        .unwrap();
        ScoreParams::new(Method::Quantile)
            .bins(2)
            .recency(Method::Breaks(vec![100.0]))
            .frequency(Method::Breaks(vec![3.0]))
            .monetary(Method::Breaks(vec![100.0]))
            .check()
            .unwrap()
            .score(&table)
            .unwrap()
    }

    #[test]
    fn heatmap_cells_are_hand_computed_means() {
        let svg = rfm_heatmap(&scores()).unwrap();
        assert_eq!(attrs(&svg, "class=\"cell\"", "data-r").len(), 4);
        let cell = |r: u8, f: u8| {
            tag(
                &svg,
                &["class=\"cell\"", &format!("data-r=\"{r}\" data-f=\"{f}\"")],
            )
        };
        // r2 f2: a and b, (500 + 300) / 2 = 400.
        assert_eq!(attr(cell(2, 2), "data-value"), 400.0);
        assert_eq!(attr(cell(2, 2), "data-customers"), 2.0);
        assert_eq!(attr(cell(1, 1), "data-value"), 40.0);
        assert_eq!(attr(cell(2, 1), "data-value"), 10.0);
        assert!(cell(1, 2).contains("data-customers=\"0\" data-value=\"\""));
        // The richest cell is the darkest of the ramp, the poorest the lightest.
        assert!(cell(2, 2).contains("fill=\"#08306b\""));
        assert!(cell(2, 1).contains("fill=\"#f7fbff\""));
    }

    #[test]
    fn segment_bars_are_shares_on_the_axis() {
        let scores = scores();
        let rules = SegmentRules::from_json(
            r#"[{"name": "best", "r": [2, 2], "f": [2, 2], "m": [1, 2]},
                {"name": "rest", "r": [1, 2], "f": [1, 2], "m": [1, 2]}]"#,
        )
        .unwrap();
        let seg = rules.segment(&scores).unwrap();
        let svg = rfm_segments(&seg).unwrap();
        // Two bars per summary row (the summary also lists the empty catch-all segment).
        assert_eq!(
            attrs(&svg, "class=\"bar\"", "data-segment").len(),
            2 * seg.summary.len()
        );
        // By hand: best = a, b (2 of 4 customers, 800 of 850 revenue); rest = c, d (2 of 4,
        // 50 of 850). The largest share, 800/850 = 94.1%, puts the last axis tick at 100%
        // (ticks of 20), over a plot of 760 - 170 - 170 = 420 px.
        let ticks = attrs(&svg, "data-axis=\"x\"", "data-value");
        assert_eq!(ticks.last().map(String::as_str), Some("100"));
        for (segment, measure, count, share) in [
            ("best", "customers", 2.0, 0.5),
            ("best", "revenue", 800.0, 800.0 / 850.0),
            ("rest", "customers", 2.0, 0.5),
            ("rest", "revenue", 50.0, 50.0 / 850.0),
        ] {
            let bar = tag(
                &svg,
                &[&format!(
                    "data-segment=\"{segment}\" data-measure=\"{measure}\""
                )],
            );
            assert_eq!(attr(bar, "data-count"), count);
            assert!((attr(bar, "data-value") - share).abs() < 1e-6);
            assert!((attr(bar, "width") - share * 420.0).abs() < 0.01);
        }
    }
}
