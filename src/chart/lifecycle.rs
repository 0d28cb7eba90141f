//! Lifecycle charts: stage counts per period as stacked bars with the active rate, and one
//! period's active-user decomposition as a waterfall.

use super::svg::{self, Frame, Linear, SERIES, Svg, esc, num};
use crate::Result;
use crate::lifecycle::{Decomposition, Stage, StageReport};

/// Stages drawn above the axis, bottom to top, and their fills.
const UP: [(Stage, &str); 5] = [
    (Stage::New, SERIES[0]),
    (Stage::Retained, SERIES[1]),
    (Stage::RetainedNew, SERIES[2]),
    (Stage::Woken, SERIES[3]),
    (Stage::Returned, SERIES[4]),
];
/// Stages drawn below the axis, top to bottom.
const DOWN: [(Stage, &str); 2] = [(Stage::Dormant, DORMANT), (Stage::Churned, SERIES[5])];
/// Dormant: L* 70, between `retained_new` (62) and woken (81) above the axis, and churned
/// (36, hatched) below it.
const DORMANT: &str = "#fd8d3c";
/// The active-rate line.
const RATE: &str = "#d62728";

/// Stacked bars of a [`StageReport`]: per period, new / retained / `retained_new` / woken /
/// returned above the axis and dormant / churned below, on one count scale; the active rate
/// as a line on a percentage scale at the right.
///
/// Every bar is a `<rect class="bar" data-period=".." data-stage=".." data-value="..">`
/// (periods × 7 of them, zero counts as zero-height bars); every rate point a
/// `<circle class="point" data-period=".." data-value="..">` (the rate as a fraction).
///
/// # Errors
/// [`crate::Error::NonFinite`] if an active rate is NaN or infinite.
///
/// ```
/// use chrono::{TimeZone, Utc};
/// use userops::event::EventRecord;
/// use userops::fold::{fold, Summary};
/// use userops::lifecycle::{LifecycleSummary, StageParams};
/// use userops::time::{Calendar, Interval};
/// let t = |m| Utc.with_ymd_and_hms(2025, m, 2, 0, 0, 0).unwrap();
/// let s = LifecycleSummary::new(Calendar::new(Utc, Interval::Month), t(1), t(3))?;
/// let report = fold(s, [EventRecord::<u8>::new(1_u8, t(1)), EventRecord::new(1_u8, t(2))])?
///     .finish()?.stages(&StageParams::default(), None);
/// let svg = userops::chart::lifecycle_bars(&report)?;
/// assert_eq!(svg.matches("class=\"bar\"").count(), 3 * 7);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn lifecycle_bars(report: &StageReport) -> Result<String> {
    let frame = Frame {
        width: 820.0,
        right: 230.0,
        ..Frame::standard()
    };
    let mut s = Svg::new(
        "lifecycle-bars",
        frame,
        "Lifecycle stages per period",
        &format!(
            "Stacked bars: users per lifecycle stage in each of {} periods; new, retained, retained_new, woken and returned above the axis, dormant and churned below; the line is the active rate (active users / known users).",
            report.rows.len()
        ),
    );
    let up_max = report
        .rows
        .iter()
        .map(|r| UP.iter().map(|(st, _)| r.count(*st)).sum::<u64>())
        .max()
        .unwrap_or(0) as f64;
    let down_max = report
        .rows
        .iter()
        .map(|r| DOWN.iter().map(|(st, _)| r.count(*st)).sum::<u64>())
        .max()
        .unwrap_or(0) as f64;
    let tick_values = svg::ticks(-down_max, up_max.max(1.0), 6);
    let lo = tick_values.first().copied().unwrap_or(0.0);
    let hi = tick_values.last().copied().unwrap_or(1.0);
    let y = Linear::new(lo, hi, frame.y1(), frame.y0());
    s.y_axis(&y, &tick_values, "users (count)", svg::short);
    let rate = Linear::new(0.0, 1.0, frame.y1(), frame.y0());
    right_percent_axis(&mut s, &rate, "active rate (%)");

    let n = report.rows.len();
    let band = (frame.x1() - frame.x0()) / n.max(1) as f64;
    let width = (band * 0.7).max(1.0);
    let hatch = svg::hatch("lifecycle-bars");
    let mut centres = Vec::with_capacity(n);
    let mut points = Vec::with_capacity(n);
    s.raw("<g class=\"marks\">");
    for (i, row) in report.rows.iter().enumerate() {
        let period = row.period.to_string();
        let x = frame.x0() + band * i as f64 + (band - width) / 2.0;
        let mut top = 0.0;
        for (stage, fill) in UP {
            let v = row.count(stage) as f64;
            let (y_hi, y_lo) = (y.at(top + v), y.at(top));
            s.rect(
                x,
                y_hi,
                width,
                y_lo - y_hi,
                fill,
                &mark_attrs(&period, stage, v),
            );
            top += v;
        }
        let mut bottom = 0.0;
        for (stage, fill) in DOWN {
            let v = row.count(stage) as f64;
            let (y_hi, y_lo) = (y.at(bottom), y.at(bottom - v));
            s.rect(
                x,
                y_hi,
                width,
                y_lo - y_hi,
                fill,
                &mark_attrs(&period, stage, v),
            );
            if stage == Stage::Churned && v > 0.0 {
                // Hatching keeps churned apart from retained in greyscale.
                s.rect(
                    x,
                    y_hi,
                    width,
                    y_lo - y_hi,
                    &hatch,
                    " class=\"hatch\" aria-hidden=\"true\"",
                );
            }
            bottom -= v;
        }
        let cx = x + width / 2.0;
        centres.push((cx, period.clone()));
        points.push((
            cx,
            rate.at(svg::finite("active_rate", row.active_rate)?),
            period,
            row.active_rate,
        ));
    }
    s.raw("</g>");
    let line: Vec<(f64, f64)> = points.iter().map(|(x, y, _, _)| (*x, *y)).collect();
    s.raw("<g class=\"rate\">");
    s.polyline(&line, RATE, " class=\"rate-line\"");
    for (x, yy, period, v) in &points {
        s.raw(&format!(
            "<circle class=\"point\" cx=\"{}\" cy=\"{}\" r=\"3\" fill=\"{RATE}\" data-period=\"{}\" data-value=\"{}\"/>",
            num(*x),
            num(*yy),
            esc(period),
            fmt_rate(*v)
        ));
    }
    s.raw("</g>");
    s.band_labels(&centres);
    s.x_label("period");
    if n == 0 {
        s.empty_note("no periods");
    }
    let mut items: Vec<(&str, &str, &str)> = UP
        .iter()
        .rev()
        .map(|(st, f)| (st.name(), *f, "box"))
        .collect();
    items.push((Stage::Dormant.name(), DORMANT, "box"));
    items.push((Stage::Churned.name(), SERIES[5], hatch.as_str()));
    items.push(("active rate", RATE, "line"));
    s.legend_x = Some(frame.x1() + 64.0);
    s.legend("stage", &items);
    Ok(s.finish())
}

fn mark_attrs(period: &str, stage: Stage, v: f64) -> String {
    format!(
        " class=\"bar\" data-period=\"{}\" data-stage=\"{}\" data-value=\"{}\"",
        esc(period),
        stage.name(),
        num(v)
    )
}

/// A rate written with six decimals (a fraction in `[0, 1]`).
pub(crate) fn fmt_rate(v: f64) -> String {
    format!("{:.6}", if v.is_finite() { v } else { 0.0 })
}

/// A percentage axis at the right of the plot (`scale` maps a fraction).
pub(crate) fn right_percent_axis(s: &mut Svg, scale: &Linear, label: &str) {
    let f = s.frame;
    s.raw("<g class=\"axis y2-axis\">");
    for k in 0..=5 {
        let v = f64::from(k) * 0.2;
        let yy = scale.at(v);
        s.line(
            f.x1(),
            yy,
            f.x1() + 5.0,
            yy,
            "#333333",
            &format!(" class=\"tick\" data-axis=\"y2\" data-value=\"{}\"", num(v)),
        );
        s.text(f.x1() + 8.0, yy + 4.0, "start", "", &format!("{}%", k * 20));
    }
    let x = f.x1() + 44.0;
    let c = num(f64::midpoint(f.y0(), f.y1()));
    s.raw(&format!(
        "<text class=\"axis-label\" x=\"{x}\" y=\"{c}\" text-anchor=\"middle\" transform=\"rotate(90 {x} {c})\">{}</text>",
        esc(label),
        x = num(x)
    ));
    s.raw("</g>");
}

/// One period's active-user decomposition as a waterfall: new users, then the retained old
/// users (`old_active(t−1) × old_retention`), the retained new users, the woken and the
/// returned, each step starting where the one before ended, and the total active users as a
/// last bar.
///
/// Every step is a `<rect class="step" data-step=".." data-value=".." data-start="..">`.
///
/// # Errors
/// [`crate::Error::NonFinite`] if a rate is NaN or infinite.
///
/// ```
/// use chrono::{TimeZone, Utc};
/// use userops::event::EventRecord;
/// use userops::fold::{fold, Summary};
/// use userops::lifecycle::{LifecycleSummary, StageParams};
/// use userops::time::{Calendar, Interval};
/// let t = |m| Utc.with_ymd_and_hms(2025, m, 2, 0, 0, 0).unwrap();
/// let s = LifecycleSummary::new(Calendar::new(Utc, Interval::Month), t(1), t(2))?;
/// let report = fold(s, [EventRecord::<u8>::new(1_u8, t(1)), EventRecord::new(1_u8, t(2))])?
///     .finish()?.stages(&StageParams::default(), None);
/// let svg = userops::chart::lifecycle_waterfall(&report.decomposition[1])?;
/// assert!(svg.contains("data-step=\"retained_new\" data-value=\"1\""));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn lifecycle_waterfall(d: &Decomposition) -> Result<String> {
    let frame = Frame::standard();
    let period = d.period.to_string();
    let steps: [(&str, f64, &str); 5] = [
        ("new", d.new as f64, SERIES[0]),
        (
            "retained",
            d.old_active_prev as f64 * svg::finite("old_retention", d.old_retention)?,
            SERIES[1],
        ),
        (
            "retained_new",
            d.new_prev as f64 * svg::finite("new_retention", d.new_retention)?,
            SERIES[2],
        ),
        (
            "woken",
            d.dormant_prev as f64 * svg::finite("wake_rate", d.wake_rate)?,
            SERIES[3],
        ),
        (
            "returned",
            d.churned_prev as f64 * svg::finite("return_rate", d.return_rate)?,
            SERIES[4],
        ),
    ];
    let mut s = Svg::new(
        "lifecycle-waterfall",
        frame,
        &format!("Where the active users of {period} come from"),
        &format!(
            "Waterfall: the {} active users of {period} built up from new users, retained old users, retained new users, woken dormant users and returned churned users.",
            d.active
        ),
    );
    let total = steps.iter().map(|x| x.1).sum::<f64>().max(d.active as f64);
    let tick_values = svg::ticks(0.0, total.max(1.0), 6);
    let y = Linear::new(
        0.0,
        tick_values.last().copied().unwrap_or(1.0),
        frame.y1(),
        frame.y0(),
    );
    s.y_axis(&y, &tick_values, "active users (count)", svg::short);
    let band = (frame.x1() - frame.x0()) / 6.0;
    let width = band * 0.6;
    let mut start = 0.0;
    let mut centres = Vec::new();
    s.raw("<g class=\"marks\">");
    let mut all: Vec<(&str, f64, f64, &str)> = Vec::new();
    for (name, v, fill) in steps {
        all.push((name, start, v, fill));
        start += v;
    }
    all.push(("active", 0.0, d.active as f64, "#525252"));
    for (i, (name, from, v, fill)) in all.iter().enumerate() {
        let x = frame.x0() + band * i as f64 + (band - width) / 2.0;
        let (y_hi, y_lo) = (y.at(from + v), y.at(*from));
        s.rect(
            x,
            y_hi,
            width,
            y_lo - y_hi,
            fill,
            &format!(
                " class=\"step\" data-period=\"{}\" data-step=\"{name}\" data-value=\"{}\" data-start=\"{}\" stroke=\"#333333\" stroke-width=\"0.5\"",
                esc(&period),
                num(*v),
                num(*from)
            ),
        );
        s.text(
            x + width / 2.0,
            y_hi - 4.0,
            "middle",
            " class=\"value-label\"",
            &num(*v),
        );
        centres.push((x + width / 2.0, (*name).to_string()));
    }
    s.raw("</g>");
    s.band_labels(&centres);
    s.x_label(&format!("component of active users, {period}"));
    s.legend(
        "component",
        &[
            ("new", SERIES[0], "box"),
            ("retained", SERIES[1], "box"),
            ("retained_new", SERIES[2], "box"),
            ("woken", SERIES[3], "box"),
            ("returned", SERIES[4], "box"),
            ("active (total)", "#525252", "box"),
        ],
    );
    Ok(s.finish())
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::event::EventRecord;
    use crate::fold::{Summary, fold};
    use crate::lifecycle::{LifecycleSummary, StageParams};
    use crate::time::{Calendar, Interval};
    use chrono::{TimeZone, Utc};

    /// Attribute `name` of every element whose opening tag contains `marker`.
    pub(crate) fn attrs(svg: &str, marker: &str, name: &str) -> Vec<String> {
        svg.split('<')
            .filter(|tag| tag.contains(marker))
            .filter_map(|tag| {
                let key = format!(" {name}=\"");
                let at = tag.find(&key)? + key.len();
                Some(tag[at..].split('"').next()?.to_string())
            })
            .collect()
    }

    /// The opening tag of the mark with all of `keys` in it.
    pub(crate) fn tag<'a>(svg: &'a str, keys: &[&str]) -> &'a str {
        svg.split('<')
            .find(|t| keys.iter().all(|k| t.contains(k)))
            .unwrap_or_else(|| panic!("no mark with {keys:?}"))
    }

    pub(crate) fn attr(tag: &str, name: &str) -> f64 {
        let key = format!(" {name}=\"");
        let at = tag.find(&key).unwrap() + key.len();
        tag[at..].split('"').next().unwrap().parse().unwrap()
    }

    /// Three users over January..April 2025 (monthly, churn after 2 silent months):
    /// user 1 active Jan, Feb, Mar, Apr; user 2 active Jan, then Apr; user 3 active Feb, Mar.
    /// By hand (the PostHog-style stage rules in src/lifecycle):
    /// Jan: 1 new, 2 new                    -> new 2
    /// Feb: 1 `retained_new`, 2 dormant, 3 new -> new 1, `retained_new` 1, dormant 1
    /// Mar: 1 retained, 2 churned (2 silent months), 3 `retained_new`
    ///                                       -> retained 1, `retained_new` 1, churned 1
    /// Apr: 1 retained, 2 returned, 3 dormant -> retained 1, returned 1, dormant 1
    fn report() -> StageReport {
        let t = |m, d| Utc.with_ymd_and_hms(2025, m, d, 12, 0, 0).unwrap();
        let log = vec![
            EventRecord::<u8>::new(1_u8, t(1, 5)),
            EventRecord::new(1, t(2, 5)),
            EventRecord::new(1, t(3, 5)),
            EventRecord::new(1, t(4, 5)),
            EventRecord::new(2, t(1, 9)),
            EventRecord::new(2, t(4, 9)),
            EventRecord::new(3, t(2, 20)),
            EventRecord::new(3, t(3, 20)),
        ];
        let s =
            LifecycleSummary::new(Calendar::new(Utc, Interval::Month), t(1, 1), t(4, 30)).unwrap();
        fold(s, &log)
            .unwrap()
            .finish()
            .unwrap()
            .stages(&StageParams::default(), None)
    }

    #[test]
    fn bars_are_periods_times_stages_with_hand_counted_values() {
        let r = report();
        let svg = lifecycle_bars(&r).unwrap();
        assert_eq!(attrs(&svg, "class=\"bar\"", "data-stage").len(), 4 * 7);
        let value = |p: &str, st: &str| {
            attr(
                tag(
                    &svg,
                    &[
                        &format!("data-period=\"{p}\""),
                        &format!("data-stage=\"{st}\""),
                    ],
                ),
                "data-value",
            )
        };
        assert_eq!(value("2025-01", "new"), 2.0);
        assert_eq!(value("2025-02", "new"), 1.0);
        assert_eq!(value("2025-02", "retained_new"), 1.0);
        assert_eq!(value("2025-02", "dormant"), 1.0);
        assert_eq!(value("2025-03", "churned"), 1.0);
        assert_eq!(value("2025-03", "retained"), 1.0);
        assert_eq!(value("2025-04", "returned"), 1.0);
        assert_eq!(value("2025-04", "dormant"), 1.0);
        assert_eq!(value("2025-04", "new"), 0.0);
    }

    #[test]
    fn bar_heights_are_counts_on_the_axis_scale() {
        let svg = lifecycle_bars(&report()).unwrap();
        // Up to 2 users above the axis, 1 below: ticks(-1, 2, 6) by hand: raw step 0.5,
        // so ticks -1, -0.5, ..., 2; the plot spans 420 - 64 - 52 = 304 px for 3 users.
        let ticks = attrs(&svg, "data-axis=\"y\"", "data-value");
        assert_eq!(ticks.first().map(String::as_str), Some("-1"));
        assert_eq!(ticks.last().map(String::as_str), Some("2"));
        let per_user = 304.0 / 3.0;
        let jan_new = tag(&svg, &["data-period=\"2025-01\"", "data-stage=\"new\""]);
        assert!((attr(jan_new, "height") - 2.0 * per_user).abs() < 0.01);
        // Zero line: y of tick 0 = 52 + 304 * 2/3; January's new bar ends on it.
        let zero = 52.0 + 304.0 * 2.0 / 3.0;
        assert!((attr(jan_new, "y") + attr(jan_new, "height") - zero).abs() < 0.02);
        // March's churned bar hangs below the zero line, one user tall.
        let mar_churned = tag(&svg, &["data-period=\"2025-03\"", "data-stage=\"churned\""]);
        assert!((attr(mar_churned, "y") - zero).abs() < 0.02);
        assert!((attr(mar_churned, "height") - per_user).abs() < 0.01);
        // Active rate of April: users 1 and 2 active of 3 known = 2/3.
        let apr = tag(&svg, &["class=\"point\"", "data-period=\"2025-04\""]);
        assert_eq!(attr(apr, "data-value"), 0.666_667);
    }

    #[test]
    fn waterfall_steps_add_up_to_the_active_users() {
        let r = report();
        // April: of March's 2 old active users (user 1 retained, user 3 retained_new) user 1
        // is retained (1 = 2 × 1/2), user 2 returns (1 of 1 churned in March), no new, no woken.
        let apr = r.decomposition.last().unwrap();
        let svg = lifecycle_waterfall(apr).unwrap();
        let step = |name: &str| tag(&svg, &[&format!("data-step=\"{name}\"")]);
        assert_eq!(attr(step("returned"), "data-value"), 1.0);
        assert_eq!(attr(step("retained"), "data-value"), 1.0);
        assert_eq!(attr(step("new"), "data-value"), 0.0);
        assert_eq!(attr(step("active"), "data-value"), 2.0);
        // Each step starts where the previous ended.
        let mut end = 0.0;
        for name in ["new", "retained", "retained_new", "woken", "returned"] {
            assert_eq!(attr(step(name), "data-start"), end);
            end += attr(step(name), "data-value");
        }
        assert_eq!(end, 2.0);
    }

    #[test]
    fn stacked_fills_differ_in_greyscale() {
        // CIE L* of an sRGB colour (IEC 61966-2-1 linearisation, CIE 1976 lightness).
        let lightness = |hex: &str| {
            let c = |i: usize| {
                let v = f64::from(u8::from_str_radix(&hex[i..i + 2], 16).unwrap()) / 255.0;
                if v <= 0.040_45 {
                    v / 12.92
                } else {
                    ((v + 0.055) / 1.055).powf(2.4)
                }
            };
            let y = 0.2126 * c(1) + 0.7152 * c(3) + 0.0722 * c(5);
            if y > 0.008_856 {
                116.0 * y.cbrt() - 16.0
            } else {
                903.3 * y
            }
        };
        assert!((lightness("#777777") - 50.0).abs() < 0.5); // mid grey is L* 50
        // Neighbours in a stack differ by at least 9 points of L*; below the axis too.
        for pair in UP.windows(2) {
            let d = (lightness(pair[0].1) - lightness(pair[1].1)).abs();
            assert!(d >= 9.0, "{:?} vs {:?}: {d}", pair[0].0, pair[1].0);
        }
        assert!((lightness(DOWN[0].1) - lightness(DOWN[1].1)).abs() >= 9.0);
        // The health bands, each against each.
        let bands = ["#ef8a62", "#fff7bc", "#a1d99b"];
        for (i, a) in bands.iter().enumerate() {
            for b in &bands[i + 1..] {
                assert!((lightness(a) - lightness(b)).abs() >= 10.0, "{a} vs {b}");
            }
        }
    }

    #[test]
    fn same_input_same_bytes() {
        assert_eq!(
            lifecycle_bars(&report()).unwrap(),
            lifecycle_bars(&report()).unwrap()
        );
    }
}
