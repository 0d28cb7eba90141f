//! Funnel reports: plain data with a readable `Display`.

use std::fmt;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::params::{Entry, StepOrder};

/// One step of a funnel.
///
/// ```
/// let row = userops::funnel::StepRow { step: 2, name: "order".into(), count: 5, conversion: Some(0.5),
///     from_previous: Some(0.5), dropped: 5, drop_off: Some(0.5), average_seconds: Some(60.0), median_seconds: Some(30.0) };
/// assert_eq!(row.dropped, 5);
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StepRow {
    /// Step number, from 1.
    pub step: usize,
    /// The step's event name or label.
    pub name: String,
    /// Users who reached this step (or further).
    pub count: u64,
    /// `count` / users at step 1 (`None` when no one entered).
    pub conversion: Option<f64>,
    /// `count` / users at the previous step (1 at step 1; `None` when no one was there).
    pub from_previous: Option<f64>,
    /// Users at the previous step who did not reach this one.
    pub dropped: u64,
    /// `dropped` / users at the previous step.
    pub drop_off: Option<f64>,
    /// Mean time from the previous step to this one, in seconds (`None` at step 1 or when
    /// no one reached it).
    pub average_seconds: Option<f64>,
    /// Median time from the previous step to this one, in seconds (the mean of the two
    /// middle values for an even count).
    pub median_seconds: Option<f64>,
}

/// One bin of the time-to-convert histogram: users whose time from the first step to the
/// last is in `[from_seconds, to_seconds)` (the last bin includes its upper end).
///
/// ```
/// let b = userops::funnel::HistogramBin { from_seconds: 0.0, to_seconds: 60.0, users: 3 };
/// assert_eq!(b.users, 3);
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HistogramBin {
    /// Lower end, in seconds.
    pub from_seconds: f64,
    /// Upper end, in seconds.
    pub to_seconds: f64,
    /// Users in the bin.
    pub users: u64,
}

/// Time from the first step to the last, over the users who converted.
///
/// ```
/// let t = userops::funnel::TimeToConvert { converted: 0, average_seconds: None, median_seconds: None, histogram: vec![] };
/// assert!(t.histogram.is_empty());
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TimeToConvert {
    /// Users who reached the last step.
    pub converted: u64,
    /// Mean, in seconds.
    pub average_seconds: Option<f64>,
    /// Median, in seconds.
    pub median_seconds: Option<f64>,
    /// Equal-width bins from the shortest time to the longest (one bin when all are equal).
    pub histogram: Vec<HistogramBin>,
}

/// The funnel of one breakdown value.
///
/// ```
/// let b = userops::funnel::BreakdownRow { value: "Safari".into(), steps: vec![] };
/// assert_eq!(b.value, "Safari");
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BreakdownRow {
    /// The value (`(none)` / `(unknown)` for users without one).
    pub value: String,
    /// Its steps.
    pub steps: Vec<StepRow>,
}

/// A funnel: users per step, conversion and drop-off, conversion times, time to convert and
/// the breakdown.
///
/// ```
/// # use userops::fold::Summary;
/// let spec = userops::funnel::FunnelParams::new(["signup", "order"]).check()?;
/// let report = userops::funnel::FunnelSummary::<u8>::new(spec).finish().unwrap().report();
/// assert!(report.to_string().contains("signup"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FunnelReport {
    /// The order mode.
    pub order: StepOrder,
    /// Which entries started attempts.
    pub entry: Entry,
    /// The conversion window, in seconds.
    pub window_seconds: f64,
    /// The steps, over all users.
    pub steps: Vec<StepRow>,
    /// Time from the first step to the last.
    pub time_to_convert: TimeToConvert,
    /// The steps per breakdown value, sorted by value (empty without a breakdown).
    pub breakdowns: Vec<BreakdownRow>,
    /// Events that matched no step and no exclusion, or fell outside the date range (not
    /// kept).
    pub events_unmatched: u64,
}

fn pct(x: Option<f64>) -> String {
    x.map_or_else(|| "-".to_string(), |r| format!("{:.1}%", r * 100.0))
}

fn secs(x: Option<f64>) -> String {
    x.map_or_else(|| "-".to_string(), |s| format!("{s:.0}s"))
}

fn write_steps(f: &mut fmt::Formatter<'_>, steps: &[StepRow]) -> fmt::Result {
    let w = steps.iter().map(|s| s.name.len()).max().unwrap_or(4).max(4);
    writeln!(
        f,
        "{:>4}  {:<w$} {:>10} {:>9} {:>9} {:>9} {:>9} {:>10} {:>10}",
        "step",
        "name",
        "users",
        "overall",
        "from prev",
        "dropped",
        "drop-off",
        "avg time",
        "median"
    )?;
    for s in steps {
        writeln!(
            f,
            "{:>4}  {:<w$} {:>10} {:>9} {:>9} {:>9} {:>9} {:>10} {:>10}",
            s.step,
            s.name,
            s.count,
            pct(s.conversion),
            pct(s.from_previous),
            s.dropped,
            pct(s.drop_off),
            secs(s.average_seconds),
            secs(s.median_seconds),
        )?;
    }
    Ok(())
}

impl fmt::Display for FunnelReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{} funnel, {} entry, window {}s",
            self.order, self.entry, self.window_seconds
        )?;
        write_steps(f, &self.steps)?;
        let t = &self.time_to_convert;
        writeln!(
            f,
            "time to convert: {} users, average {}, median {}",
            t.converted,
            secs(t.average_seconds),
            secs(t.median_seconds)
        )?;
        for b in &t.histogram {
            writeln!(
                f,
                "  [{:>10.0}s, {:>10.0}s] {:>10}",
                b.from_seconds, b.to_seconds, b.users
            )?;
        }
        for b in &self.breakdowns {
            writeln!(f, "\nbreakdown {}", b.value)?;
            write_steps(f, &b.steps)?;
        }
        Ok(())
    }
}

/// One period of a funnel trend.
///
/// ```
/// let row = userops::funnel::TrendRow { period: "2025-01".into(), start: chrono::NaiveDate::MIN, entered: 4, converted: 1, rate: Some(0.25) };
/// assert_eq!(row.rate, Some(0.25));
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrendRow {
    /// The period's label.
    pub period: String,
    /// Its first day.
    pub start: NaiveDate,
    /// Users with an entry in the period.
    pub entered: u64,
    /// Of them, those whose attempt from an entry in the period reached the last step.
    pub converted: u64,
    /// `converted / entered`.
    pub rate: Option<f64>,
}

/// Conversion per period of entry (periods in which someone entered, oldest first).
///
/// ```
/// let t = userops::funnel::FunnelTrend { periods: vec![] };
/// assert!(t.to_string().contains("period"));
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FunnelTrend {
    /// The periods.
    pub periods: Vec<TrendRow>,
}

impl fmt::Display for FunnelTrend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{:<12} {:>10} {:>10} {:>9}",
            "period", "entered", "converted", "rate"
        )?;
        for p in &self.periods {
            writeln!(
                f,
                "{:<12} {:>10} {:>10} {:>9}",
                p.period,
                p.entered,
                p.converted,
                pct(p.rate)
            )?;
        }
        Ok(())
    }
}
