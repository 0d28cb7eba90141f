//! The retention triangle as a heatmap.

use super::svg::{self, Frame, Svg, ink, num, ramp};
use crate::Result;
use crate::retention::RetentionReport;

/// Most cohorts drawn; a longer report shows its latest ones.
///
/// ```
/// assert_eq!(userops::chart::MAX_COHORTS, 36);
/// ```
pub const MAX_COHORTS: usize = 36;

/// The cohort triangle of a [`RetentionReport`] as a heatmap with percentages, as PostHog
/// draws retention: one row per cohort (its size at the left), one column per period since
/// the cohort's start, each cell the share of the cohort counted that many periods later.
/// Each cell is a `<rect class="cell" data-cohort=".." data-offset="k" data-users=".."
/// data-value="..">` (`data-value` the rate as a fraction). At most [`MAX_COHORTS`] latest
/// cohorts are drawn.
///
/// # Errors
/// None today (the result is always `Ok`); kept fallible like every chart.
///
/// ```
/// use chrono::{TimeZone, Utc};
/// use userops::event::EventRecord;
/// use userops::fold::{fold, Summary};
/// use userops::retention::{RetentionParams, RetentionSummary};
/// use userops::time::{Calendar, Interval};
/// let t = |m| Utc.with_ymd_and_hms(2025, m, 3, 12, 0, 0).unwrap();
/// // User 1 in January and February, user 2 in January only.
/// let log = [EventRecord::<u8>::new(1_u8, t(1)), EventRecord::new(2, t(1)), EventRecord::new(1, t(2))];
/// let spec = RetentionParams::new(Calendar::new(Utc, Interval::Month), t(2), 2).check()?;
/// let report = fold(RetentionSummary::new(spec), &log)?.finish()?;
/// let svg = userops::chart::retention_heatmap(&report)?;
/// assert!(svg.contains("data-cohort=\"2025-01\" data-offset=\"1\" data-users=\"1\" data-value=\"0.500000\""));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn retention_heatmap(report: &RetentionReport) -> Result<String> {
    let skip = report.cohorts.len().saturating_sub(MAX_COHORTS);
    let cohorts = &report.cohorts[skip..];
    let n = cohorts.len();
    let cols = cohorts.iter().map(|c| c.counts.len()).max().unwrap_or(0);
    let frame = Frame {
        left: 150.0,
        right: 130.0,
        height: (120.0 + 24.0 * n as f64).max(240.0),
        width: (300.0 + 48.0 * cols as f64).max(560.0),
        ..Frame::standard()
    };
    let mut s = Svg::new(
        "retention-heatmap",
        frame,
        "Retention by cohort",
        &format!(
            "Cohort triangle of {n} cohorts ({} mode, start event {}, return event {}): each row a cohort with its size, each column the periods since its start, each cell the percentage of the cohort counted again; darker is higher.",
            match report.mode {
                crate::retention::RetentionMode::FirstTime => "first-time",
                crate::retention::RetentionMode::Recurring => "recurring",
            },
            report.start_event,
            report.return_event
        ),
    );
    let cw = (frame.x1() - frame.x0()) / cols.max(1) as f64;
    let ch = (frame.y1() - frame.y0()) / n.max(1) as f64;
    s.raw("<g class=\"marks\">");
    for (i, row) in cohorts.iter().enumerate() {
        let y = frame.y0() + ch * i as f64;
        s.text(
            frame.x0() - 8.0,
            y + ch / 2.0 + 4.0,
            "end",
            " class=\"band-label\"",
            &format!("{} ({} users)", svg::cut(&row.period), row.size()),
        );
        for k in 0..row.counts.len() {
            let rate = row.rate(k).unwrap_or(0.0);
            let x = frame.x0() + cw * k as f64;
            s.rect(
                x,
                y,
                cw,
                ch,
                &ramp(rate),
                &format!(
                    " class=\"cell\" data-cohort=\"{}\" data-offset=\"{k}\" data-users=\"{}\" data-value=\"{}\" stroke=\"#ffffff\"",
                    svg::esc(&row.period),
                    row.counts[k],
                    super::lifecycle::fmt_rate(rate)
                ),
            );
            if cw >= 30.0 && ch >= 14.0 {
                s.text(
                    x + cw / 2.0,
                    y + ch / 2.0 + 4.0,
                    "middle",
                    &format!(" fill=\"{}\" font-size=\"10\"", ink(rate)),
                    &format!("{}%", num(rate * 100.0)),
                );
            }
        }
    }
    s.raw("</g><g class=\"axis x-axis\">");
    for k in 0..cols {
        s.text(
            frame.x0() + cw * (k as f64 + 0.5),
            frame.y1() + 18.0,
            "middle",
            " class=\"band-label\"",
            &k.to_string(),
        );
    }
    s.raw("</g>");
    s.x_label(&format!(
        "{} since the cohort's start (periods)",
        interval_name(report)
    ));
    let c = num(f64::midpoint(frame.y0(), frame.y1()));
    s.raw(&format!(
        "<text class=\"axis-label\" x=\"14\" y=\"{c}\" text-anchor=\"middle\" transform=\"rotate(-90 14 {c})\">cohort (users)</text>"
    ));
    if n == 0 {
        s.empty_note("no cohorts");
    }
    let mid = ramp(0.5);
    let dark = ramp(1.0);
    s.legend(
        "retained",
        &[
            ("0%", "#f7fbff", "box"),
            ("50%", mid.as_str(), "box"),
            ("100%", dark.as_str(), "box"),
        ],
    );
    Ok(s.finish())
}

fn interval_name(report: &RetentionReport) -> &'static str {
    match report.interval {
        crate::time::Interval::Day => "days",
        crate::time::Interval::Week(_) => "weeks",
        crate::time::Interval::Month => "months",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chart::lifecycle::tests::{attr, attrs, tag};
    use crate::event::EventRecord;
    use crate::fold::{Summary, fold};
    use crate::retention::{RetentionMode, RetentionParams, RetentionSummary};
    use crate::time::{Calendar, Interval};
    use chrono::{TimeZone, Utc};

    #[test]
    fn cells_are_the_triangle_with_hand_counted_rates() {
        // Monthly first-time cohorts, any event starts and returns, 3 months ending March:
        // Jan cohort {1, 2}: Feb back 1 (user 1), Mar back 2 (users 1, 2).
        // Feb cohort {3}: Mar back 0. Mar cohort {4}.
        let t = |m, d| Utc.with_ymd_and_hms(2025, m, d, 12, 0, 0).unwrap();
        let log = vec![
            EventRecord::<u8>::new(1_u8, t(1, 3)),
            EventRecord::new(2, t(1, 4)),
            EventRecord::new(1, t(2, 3)),
            EventRecord::new(1, t(3, 3)),
            EventRecord::new(2, t(3, 9)),
            EventRecord::new(3, t(2, 9)),
            EventRecord::new(4, t(3, 20)),
        ];
        let spec = RetentionParams::new(Calendar::new(Utc, Interval::Month), t(3, 31), 3)
            .mode(RetentionMode::FirstTime)
            .check()
            .unwrap();
        let report = fold(RetentionSummary::new(spec), &log)
            .unwrap()
            .finish()
            .unwrap();
        let svg = retention_heatmap(&report).unwrap();
        // A triangle: 3 + 2 + 1 cells.
        assert_eq!(attrs(&svg, "class=\"cell\"", "data-offset").len(), 6);
        let cell =
            |c: &str, k: u8| tag(&svg, &[&format!("data-cohort=\"{c}\" data-offset=\"{k}\"")]);
        assert_eq!(attr(cell("2025-01", 0), "data-users"), 2.0);
        assert_eq!(attr(cell("2025-01", 1), "data-value"), 0.5);
        assert_eq!(attr(cell("2025-01", 2), "data-value"), 1.0);
        assert_eq!(attr(cell("2025-02", 1), "data-value"), 0.0);
        assert!(svg.contains(">50%<") && svg.contains(">100%<"));
    }
}
