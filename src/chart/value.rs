//! Value and operations charts: the product quadrant with the product placed, the value
//! tiers' Pareto curve, and the health index over time.

use std::fmt::Write as _;

use super::svg::{self, Frame, Linear, SERIES, Svg, esc, num};
use crate::metric::ValueReport;
use crate::ops::health::HealthReport;
use crate::quadrant::{Frequency, Payment, QuadrantReport};
use crate::{Error, Result};

/// The product quadrant: usage frequency (active days per user per month) across, payer share
/// up, each axis split at its threshold so that the four quadrants are equal squares (each
/// half of an axis linear on its own range), and the product placed as a point. Quadrants are
/// `<rect class="quadrant" data-frequency="high|low" data-payment="direct|none"
/// data-selected="true|false">`, the product a `<circle class="product" data-x=".."
/// data-y="..">`.
///
/// # Errors
/// [`crate::Error::NonFinite`] if a measured figure is NaN or infinite.
///
/// ```
/// use userops::quadrant::{classify, ProductFigures, QuadrantParams};
/// let report = classify(&ProductFigures::given(6.0, 0.05)?, &QuadrantParams::default())?;
/// let svg = userops::chart::quadrant_chart(&report)?;
/// assert!(svg.contains("data-frequency=\"high\" data-payment=\"direct\" data-selected=\"true\""));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn quadrant_chart(report: &QuadrantReport) -> Result<String> {
    let days = svg::finite(
        "active_days_per_user_month",
        report.measured.active_days_per_user_month,
    )?;
    let share = svg::finite("payer_share", report.measured.payer_share)?;
    let (tx, ty) = (
        report.thresholds.high_frequency_days(),
        report.thresholds.direct_payer_share(),
    );
    let frame = Frame {
        width: 700.0,
        height: 520.0,
        right: 200.0,
        ..Frame::standard()
    };
    let mut s = Svg::new(
        "value-quadrant",
        frame,
        "Product quadrant: usage frequency × direct payment",
        &format!(
            "Four quadrants split at {} active days per user per month and a payer share of {}%; the product sits at {} days and {}% payers: {}.",
            num(tx),
            num(ty * 100.0),
            num(days),
            num(share * 100.0),
            report.label
        ),
    );
    let (xm, ym) = (
        f64::midpoint(frame.x0(), frame.x1()),
        f64::midpoint(frame.y0(), frame.y1()),
    );
    let px = |v: f64| {
        if v <= tx {
            Linear::new(0.0, tx, frame.x0(), xm).at(v)
        } else {
            Linear::new(tx, 31.0, xm, frame.x1()).at(v.min(31.0))
        }
    };
    let py = |v: f64| {
        if v <= ty {
            Linear::new(0.0, ty, frame.y1(), ym).at(v)
        } else {
            Linear::new(ty, 1.0, ym, frame.y0()).at(v.min(1.0))
        }
    };
    s.raw("<g class=\"marks\">");
    for (frequency, payment, x, y, label) in [
        (
            Frequency::Low,
            Payment::Direct,
            frame.x0(),
            frame.y0(),
            "low frequency, paid directly",
        ),
        (
            Frequency::High,
            Payment::Direct,
            xm,
            frame.y0(),
            "high frequency, paid directly",
        ),
        (
            Frequency::Low,
            Payment::None,
            frame.x0(),
            ym,
            "low frequency, no direct payment",
        ),
        (
            Frequency::High,
            Payment::None,
            xm,
            ym,
            "high frequency, no direct payment",
        ),
    ] {
        let selected = frequency == report.frequency && payment == report.payment;
        s.rect(
            x,
            y,
            xm - frame.x0(),
            ym - frame.y0(),
            if selected { "#c6dbef" } else { "#f0f0f0" },
            &format!(
                " class=\"quadrant\" data-frequency=\"{}\" data-payment=\"{}\" data-selected=\"{selected}\" stroke=\"#ffffff\" stroke-width=\"2\"",
                match frequency { Frequency::High => "high", Frequency::Low => "low" },
                match payment { Payment::Direct => "direct", Payment::None => "none" },
            ),
        );
        s.text(
            x + (xm - frame.x0()) / 2.0,
            y + 20.0,
            "middle",
            if selected {
                " font-weight=\"bold\""
            } else {
                " fill=\"#555555\""
            },
            label,
        );
    }
    let (cx, cy) = (px(days), py(share));
    let _ = write!(
        s.out,
        "<circle class=\"product\" cx=\"{}\" cy=\"{}\" r=\"7\" fill=\"{}\" stroke=\"#ffffff\" stroke-width=\"2\" data-x=\"{}\" data-y=\"{:.6}\"/>",
        num(cx),
        num(cy),
        SERIES[0],
        num(days),
        share
    );
    s.text(
        cx + 10.0,
        cy - 8.0,
        "start",
        " font-weight=\"bold\"",
        "this product",
    );
    s.raw("</g><g class=\"axis\">");
    for (v, label) in [
        (0.0, "0".to_string()),
        (tx, num(tx)),
        (31.0, "31".to_string()),
    ] {
        s.line(
            px(v),
            frame.y1(),
            px(v),
            frame.y1() + 5.0,
            "#333333",
            &format!(" class=\"tick\" data-axis=\"x\" data-value=\"{}\"", num(v)),
        );
        s.text(px(v), frame.y1() + 18.0, "middle", "", &label);
    }
    for v in [0.0, ty, 1.0] {
        s.line(
            frame.x0() - 5.0,
            py(v),
            frame.x0(),
            py(v),
            "#333333",
            &format!(" class=\"tick\" data-axis=\"y\" data-value=\"{}\"", num(v)),
        );
        s.text(
            frame.x0() - 8.0,
            py(v) + 4.0,
            "end",
            "",
            &format!("{}%", num(v * 100.0)),
        );
    }
    s.raw("</g>");
    s.x_label("usage frequency (active days per user per month; split at the threshold)");
    let c = num(ym);
    s.raw(&format!(
        "<text class=\"axis-label\" x=\"16\" y=\"{c}\" text-anchor=\"middle\" transform=\"rotate(-90 16 {c})\">payer share (% of active users; split at the threshold)</text>"
    ));
    s.legend(
        "quadrant",
        &[
            ("this product's quadrant", "#c6dbef", "box"),
            ("other quadrants", "#f0f0f0", "box"),
            ("this product", SERIES[0], "box"),
        ],
    );
    Ok(s.finish())
}

/// Points on the Pareto curve.
const CURVE_POINTS: usize = 100;

/// The Pareto curve of a [`ValueReport`]: users ranked by value score, highest first, across
/// (share of users), the cumulative share of the value they hold up, sampled at 101 even
/// shares (a fraction of a user counted as in [`crate::metric::pareto_share`]), the value
/// tiers' boundaries marked on it, and the top-20% point labelled. Points are `<circle
/// class="point" data-users=".." data-value="..">` (both fractions); tier boundaries `<line
/// class="tier" data-tier=".." data-users="..">` (the share of users in that tier and above).
///
/// # Errors
/// [`Error::Empty`] without users.
///
/// ```
/// use userops::metric::{TierRow, UserValue, ValueReport};
/// let users = [1.0, 1.0, 6.0, 1.0, 1.0].iter().enumerate()
///     .map(|(i, s)| UserValue { user: i, score: *s, tier: 0 }).collect();
/// let report = ValueReport { weights: vec![], users, tiers: vec![], pareto_share: 0.6 };
/// let svg = userops::chart::pareto_curve(&report)?;
/// assert!(svg.contains("data-users=\"0.200000\" data-value=\"0.600000\""));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn pareto_curve<U>(report: &ValueReport<U>) -> Result<String> {
    if report.users.is_empty() {
        return Err(Error::Empty("no users to draw a Pareto curve of"));
    }
    let mut v: Vec<f64> = report
        .users
        .iter()
        .map(|u| {
            if u.score.is_finite() {
                u.score.max(0.0)
            } else {
                0.0
            }
        })
        .collect();
    v.sort_unstable_by(|a, b| b.total_cmp(a));
    let n = v.len();
    let mut prefix = Vec::with_capacity(n + 1);
    prefix.push(0.0);
    for x in &v {
        prefix.push(prefix.last().copied().unwrap_or(0.0) + x);
    }
    let total = prefix[n];
    // Value held by the top `q` share of users, a fraction of the next user counted.
    let held = |q: f64| -> f64 {
        if total <= 0.0 {
            return q;
        }
        let slices = q * n as f64;
        let whole = (slices.floor() as usize).min(n);
        let frac = slices - whole as f64;
        (prefix[whole] + v.get(whole).map_or(0.0, |x| frac * x)) / total
    };
    let frame = Frame {
        width: 640.0,
        height: 480.0,
        right: 170.0,
        ..Frame::standard()
    };
    let top20 = held(0.2);
    let mut s = Svg::new(
        "value-pareto",
        frame,
        "Pareto curve of user value",
        &format!(
            "Cumulative share of the value score held by the top share of {n} users ranked by value; the top 20% hold {}%; the diagonal is an even spread; vertical lines mark the value tiers.",
            num(top20 * 100.0)
        ),
    );
    let x = Linear::new(0.0, 1.0, frame.x0(), frame.x1());
    let y = Linear::new(0.0, 1.0, frame.y1(), frame.y0());
    let pct = |v: f64| format!("{}%", num(v * 100.0));
    let ticks: Vec<f64> = (0..=5).map(|i| f64::from(i) * 0.2).collect();
    s.y_axis(&y, &ticks, "cumulative share of value (%)", pct);
    s.x_axis(&x, &ticks, "share of users, highest value first (%)", pct);
    s.line(
        x.at(0.0),
        y.at(0.0),
        x.at(1.0),
        y.at(1.0),
        "#999999",
        " class=\"even\" stroke-dasharray=\"4 4\"",
    );
    // Tier boundaries: the share of users in each tier and the tiers above it.
    s.raw("<g class=\"tiers\">");
    let mut above = 0u64;
    for (i, tier) in report.tiers.iter().rev().enumerate() {
        above += tier.users;
        if above as usize >= n {
            break;
        }
        let q = above as f64 / n as f64;
        s.line(
            x.at(q),
            frame.y0(),
            x.at(q),
            frame.y1(),
            "#525252",
            &format!(
                " class=\"tier\" data-tier=\"{}\" data-users=\"{q:.6}\" stroke-dasharray=\"2 3\"",
                esc(&tier.name)
            ),
        );
        s.text(
            x.at(q) + 3.0,
            // Boundaries can sit close together: each label on a line of its own.
            frame.y1() - 6.0 - 13.0 * i as f64,
            "start",
            " font-size=\"10\"",
            &format!("{} and above", tier.name),
        );
    }
    s.raw("</g>");
    let pts: Vec<(f64, f64, f64)> = (0..=CURVE_POINTS)
        .map(|i| {
            let q = i as f64 / CURVE_POINTS as f64;
            (q, held(q), 0.0)
        })
        .collect();
    s.raw("<g class=\"marks\">");
    s.polyline(
        &pts.iter()
            .map(|(q, h, _)| (x.at(*q), y.at(*h)))
            .collect::<Vec<_>>(),
        SERIES[1],
        " class=\"curve\"",
    );
    for (q, h, _) in &pts {
        let _ = write!(
            s.out,
            "<circle class=\"point\" cx=\"{}\" cy=\"{}\" r=\"1.5\" fill=\"{}\" data-users=\"{q:.6}\" data-value=\"{h:.6}\"/>",
            num(x.at(*q)),
            num(y.at(*h)),
            SERIES[1]
        );
    }
    s.raw("</g>");
    s.text(
        x.at(0.2) + 6.0,
        y.at(top20) + 16.0,
        "start",
        " font-weight=\"bold\"",
        &format!("top 20% hold {}%", num(top20 * 100.0)),
    );
    s.legend(
        "curve",
        &[
            ("users by value", SERIES[1], "line"),
            ("even spread", "#999999", "line"),
            ("tier boundary", "#525252", "line"),
        ],
    );
    Ok(s.finish())
}

/// The population health index of a [`HealthReport`] over its days, on a 0–100 scale whose
/// background is split into three colour bands (critical below the warning line, watch up to
/// `healthy_line`, healthy above; each band also named in place), the warning line drawn as
/// the alert line, and every fired alert marked. Points are `<circle class="point"
/// data-date="YYYY-MM-DD" data-value="..">` (days with users), bands `<rect class="band"
/// data-band=".." data-from=".." data-to="..">`, the alert line `<line class="alert-line"
/// data-value="..">`, alerts `<line class="alert" data-date="..">`.
///
/// # Errors
/// [`Error::InvalidParameter`] unless `0 <= warning_line <= healthy_line <= 100` (both
/// finite).
///
/// ```
/// use userops::ops::health::{HealthReport, PopulationDay};
/// let day = |d, index| PopulationDay { date: chrono::NaiveDate::from_ymd_opt(2025, 1, d).unwrap(),
///     users: 10, index, activity: index, contribution: 0.0, loyalty: 0.0 };
/// let report: HealthReport<u8> = HealthReport { from: day(1, 0.0).date, to: day(2, 0.0).date,
///     contribution_target: None, warning_line: 40.0, days: vec![day(1, 55.0), day(2, 35.0)],
///     users: vec![], alerts: vec![], anomalies: vec![] };
/// let svg = userops::chart::health_index(&report, 60.0)?;
/// assert!(svg.contains("data-date=\"2025-01-02\" data-value=\"35\""));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn health_index<U>(report: &HealthReport<U>, healthy_line: f64) -> Result<String> {
    let warning = report.warning_line;
    if !(warning.is_finite()
        && healthy_line.is_finite()
        && 0.0 <= warning
        && warning <= healthy_line
        && healthy_line <= 100.0)
    {
        return Err(Error::invalid(
            "healthy_line",
            format!("need 0 <= warning line ({warning}) <= healthy line ({healthy_line}) <= 100"),
        ));
    }
    let series = report.index_series();
    let frame = Frame::standard();
    let mut s = Svg::new(
        "health-index",
        frame,
        "User health index over time",
        &format!(
            "Line of the daily population health index (0 to 100) from {} to {}, over three bands: critical below {} (the alert line), watch up to {}, healthy above; {} alerts fired.",
            report.from,
            report.to,
            num(warning),
            num(healthy_line),
            report.alerts.len()
        ),
    );
    let y = Linear::new(0.0, 100.0, frame.y1(), frame.y0());
    let first = report.from;
    let span = (report.to - report.from).num_days().max(1) as f64;
    let x = Linear::new(0.0, span, frame.x0(), frame.x1());
    let day_x = |d: chrono::NaiveDate| x.at((d - first).num_days() as f64);
    s.raw("<g class=\"bands\">");
    for (name, lo, hi, fill) in [
        ("critical", 0.0, warning, "#ef8a62"),
        ("watch", warning, healthy_line, "#fff7bc"),
        ("healthy", healthy_line, 100.0, "#a1d99b"),
    ] {
        s.rect(
            frame.x0(),
            y.at(hi),
            frame.x1() - frame.x0(),
            y.at(lo) - y.at(hi),
            fill,
            &format!(
                " class=\"band\" data-band=\"{name}\" data-from=\"{}\" data-to=\"{}\"",
                num(lo),
                num(hi)
            ),
        );
        if hi - lo >= 6.0 {
            s.text(
                frame.x1() - 6.0,
                y.at(hi) + 14.0,
                "end",
                " class=\"band-name\" fill=\"#333333\"",
                name,
            );
        }
    }
    s.raw("</g>");
    let ticks: Vec<f64> = (0..=5).map(|i| f64::from(i) * 20.0).collect();
    s.y_axis(&y, &ticks, "health index (0–100)", num);
    let date_ticks = svg::ticks(0.0, span, 6);
    s.raw("<g class=\"axis x-axis\">");
    for d in date_ticks.iter().filter(|d| **d <= span) {
        let date = first + chrono::TimeDelta::days(*d as i64);
        s.line(
            x.at(*d),
            frame.y1(),
            x.at(*d),
            frame.y1() + 5.0,
            "#333333",
            &format!(" class=\"tick\" data-axis=\"x\" data-value=\"{date}\""),
        );
        s.text(x.at(*d), frame.y1() + 18.0, "middle", "", &date.to_string());
    }
    s.raw("</g>");
    s.x_label("day (date)");
    s.line(
        frame.x0(),
        y.at(warning),
        frame.x1(),
        y.at(warning),
        "#b2182b",
        &format!(
            " class=\"alert-line\" data-value=\"{}\" stroke-width=\"2\" stroke-dasharray=\"8 4\"",
            num(warning)
        ),
    );
    s.raw("<g class=\"marks\">");
    let mut pts = Vec::with_capacity(series.len());
    for (d, v) in &series {
        pts.push((day_x(*d), y.at(svg::finite("index", *v)?.clamp(0.0, 100.0))));
    }
    s.polyline(&pts, SERIES[0], " class=\"index-line\"");
    for ((d, v), (px, py)) in series.iter().zip(&pts) {
        let _ = write!(
            s.out,
            "<circle class=\"point\" cx=\"{}\" cy=\"{}\" r=\"1.5\" fill=\"{}\" data-date=\"{d}\" data-value=\"{}\"/>",
            num(*px),
            num(*py),
            SERIES[0],
            num(*v)
        );
    }
    for a in &report.alerts {
        let ax = day_x(a.fired_on);
        s.line(
            ax,
            frame.y0(),
            ax,
            frame.y1(),
            "#b2182b",
            &format!(
                " class=\"alert\" data-date=\"{}\" stroke-width=\"1\"",
                a.fired_on
            ),
        );
    }
    s.raw("</g>");
    if series.is_empty() {
        s.empty_note("no days with users");
    }
    s.legend(
        "health",
        &[
            ("index", SERIES[0], "line"),
            ("alert line (warning)", "#b2182b", "line"),
            ("healthy band", "#a1d99b", "box"),
            ("watch band", "#fff7bc", "box"),
            ("critical band", "#ef8a62", "box"),
        ],
    );
    Ok(s.finish())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chart::lifecycle::tests::{attr, tag};
    use crate::metric::{TierRow, UserValue};
    use crate::ops::health::PopulationDay;
    use crate::quadrant::{ProductFigures, QuadrantParams, classify};

    #[test]
    fn quadrant_places_the_product_on_the_split_scales() {
        // 2 active days per month (half the 4-day threshold), 1% payers (half of 2%): the
        // point sits at the middle of the low/no-payment square.
        let report = classify(
            &ProductFigures::given(2.0, 0.01).unwrap(),
            &QuadrantParams::default(),
        )
        .unwrap();
        let svg = quadrant_chart(&report).unwrap();
        let q = tag(&svg, &["class=\"quadrant\"", "data-selected=\"true\""]);
        assert!(q.contains("data-frequency=\"low\" data-payment=\"none\""));
        let p = tag(&svg, &["class=\"product\""]);
        // Plot x 78..500 (mid 289), y 52..456 (mid 254): the middle of the lower-left square.
        let frame = Frame {
            width: 700.0,
            height: 520.0,
            right: 200.0,
            ..Frame::standard()
        };
        assert_eq!((frame.x1(), frame.y1()), (500.0, 456.0));
        assert!((attr(p, "cx") - (78.0 + (289.0 - 78.0) / 2.0)).abs() < 0.01);
        assert!((attr(p, "cy") - (456.0 - (456.0 - 254.0) / 2.0)).abs() < 0.01);
    }

    #[test]
    fn pareto_points_follow_the_published_examples() {
        // pareto_share's documented example: scores 1, 1, 1, 1, 6: the top fifth holds 6/10.
        let users: Vec<UserValue<usize>> = [1.0, 1.0, 6.0, 1.0, 1.0]
            .iter()
            .enumerate()
            .map(|(i, s)| UserValue {
                user: i,
                score: *s,
                tier: 0,
            })
            .collect();
        let tiers = vec![
            TierRow {
                name: "low".into(),
                above: None,
                users: 4,
                value_share: 0.4,
            },
            TierRow {
                name: "top".into(),
                above: Some(2.0),
                users: 1,
                value_share: 0.6,
            },
        ];
        let report = ValueReport {
            weights: vec![],
            users,
            tiers,
            pareto_share: 0.6,
        };
        let svg = pareto_curve(&report).unwrap();
        let point = |q: &str| {
            attr(
                tag(&svg, &["class=\"point\"", &format!("data-users=\"{q}\"")]),
                "data-value",
            )
        };
        assert_eq!(point("0.200000"), 0.6);
        // Top 10%: half of the 6 = 3 of 10.
        assert_eq!(point("0.100000"), 0.3);
        // Top 60%: 6 + 1 + 1 = 8 of 10.
        assert_eq!(point("0.600000"), 0.8);
        assert_eq!(point("1.000000"), 1.0);
        assert_eq!(svg.matches("class=\"point\"").count(), 101);
        // The "top" tier holds 1 of 5 users: its boundary is at 20%.
        assert_eq!(attr(tag(&svg, &["class=\"tier\""]), "data-users"), 0.2);
    }

    #[test]
    fn health_points_and_bands_sit_on_the_index_scale() {
        let day = |d, index, users| PopulationDay {
            date: chrono::NaiveDate::from_ymd_opt(2025, 1, d).unwrap(),
            users,
            index,
            activity: index,
            contribution: 0.0,
            loyalty: 0.0,
        };
        let report: HealthReport<u8> = HealthReport {
            from: day(1, 0.0, 0).date,
            to: day(5, 0.0, 0).date,
            contribution_target: None,
            warning_line: 40.0,
            days: vec![
                day(1, 50.0, 3),
                day(2, 0.0, 0),
                day(3, 25.0, 3),
                day(5, 75.0, 3),
            ],
            users: vec![],
            alerts: vec![],
            anomalies: vec![],
        };
        let svg = health_index(&report, 60.0).unwrap();
        // Days without users are left out: 3 points.
        assert_eq!(svg.matches("class=\"point\"").count(), 3);
        // The plot is 304 px tall for 100 points: index 25 sits 76 px above the bottom (356).
        let p = tag(&svg, &["data-date=\"2025-01-03\""]);
        assert!((attr(p, "cy") - (356.0 - 76.0)).abs() < 0.01);
        // Day 5 of a 4-day span sits at the right end of the 512 px plot.
        assert!((attr(tag(&svg, &["data-date=\"2025-01-05\""]), "cx") - 590.0).abs() < 0.01);
        let band = tag(&svg, &["data-band=\"watch\""]);
        assert!((attr(band, "height") - 304.0 * 0.2).abs() < 0.01);
        assert!(
            (attr(tag(&svg, &["class=\"alert-line\""]), "y1") - (356.0 - 304.0 * 0.4)).abs() < 0.01
        );
        assert!(health_index(&report, 30.0).is_err());
    }
}
