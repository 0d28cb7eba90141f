//! User health index: activity, contribution and loyalty, per user and for the population,
//! day by day; alerts when the index stays below a warning line; robust anomaly flags.
//!
//! ## The fold
//!
//! [`DailyActivity`] folds events into each user's active days with the events and money of
//! each day (the per-day counterpart of [`crate::activity::ActivitySummary`], which keeps
//! active periods but not per-period money). It is mergeable and order-independent like every
//! summary in the crate, and takes a fast path (no map lookup) when events arrive grouped by
//! user.
//!
//! ## The index (all sub-indices 0–100, documented definitions, configurable windows)
//!
//! For a user on day `d` ([`HealthParams`] holds the windows and weights):
//!
//! * **activity** = active days in the `activity_days` (default 28) days ending on `d`,
//!   divided by `activity_days` — how intensely the user uses the product now;
//! * **contribution** = money in the `contribution_days` (default 90) days ending on `d`
//!   (refunds subtract; floored at 0), divided by a target and capped at 1. The target is
//!   fixed ([`ContributionTarget::Fixed`]) or, by default, the 90th percentile over paying
//!   users of their spend per `contribution_days` over their observed life
//!   ([`ContributionTarget::PayerQuantile`]) — "a top-decile payer's spend";
//! * **loyalty** = share of the last `loyalty_weeks` (default 12) seven-day blocks ending on
//!   `d` with at least one active day — how regularly the user comes back over months;
//! * **index** = the weighted mean `(w_a·activity + w_c·contribution + w_l·loyalty) /
//!   (w_a + w_c + w_l)`, default weights 0.4, 0.3, 0.3.
//!
//! The **population** of day `d` is the users with at least one active day in the
//! `population_days` (default 90) days ending on `d`; the population index is the mean of
//! their indices (users long gone do not drag it down forever; users who just left do).
//! Users are scored on the days from their first active day on; new users start low on
//! loyalty by design.
//!
//! ## Alerts and anomalies
//!
//! * [`below_line_alerts`]: an alert fires on the day a series has been **strictly below** the
//!   warning line for `consecutive_days` (default 3) consecutive days; one alert per run,
//!   spanning the whole run.
//! * [`anomalies`]: a day is anomalous when it departs from the median of the previous
//!   `baseline_days` (default 28) values by more than `k` (default 3) **scaled MADs**:
//!   `|x − median| > k · 1.4826 · MAD`. The factor 1.4826 = 1/Φ⁻¹(3/4) makes the MAD a
//!   consistent estimate of the standard deviation for normal data, so `k` reads as "k sigmas"
//!   while one wild day cannot inflate the baseline. When the baseline is flat (MAD = 0), any
//!   departure at all is flagged and its robust z is `None`. The index is built from trailing
//!   windows, so it moves smoothly and its baseline MAD is small: on it, anomalies mark
//!   *sustained shifts* (a campaign, an outage, a release) rather than single noisy days. For
//!   day-level spikes, run [`anomalies`] on a raw daily series (active users, revenue).
//!
//! ```
//! use chrono::{NaiveDate, TimeZone, Utc};
//! use userops::event::EventRecord;
//! use userops::fold::{fold, Summary};
//! use userops::ops::health::{DailyActivity, HealthModel, HealthParams};
//! use userops::time::Zone;
//!
//! let at = |d| Utc.with_ymd_and_hms(2025, 1, d, 12, 0, 0).unwrap();
//! let log: Vec<EventRecord<u32>> = (1..=28).map(|d| EventRecord::new(1_u32, at(d))).collect();
//! let days = fold(DailyActivity::new(Zone::Utc), &log)?.finish()?;
//! let model = HealthModel::new(HealthParams::default())?;
//! let day = |d| NaiveDate::from_ymd_opt(2025, 1, d).unwrap();
//! let report = model.score(&days, day(1), day(28))?;
//! // Active every one of the last 28 days: activity 100; no money: contribution 0;
//! // active in 4 of the last 12 weeks: loyalty 100 * 4/12.
//! let u = &report.users[0];
//! assert!((u.activity - 100.0).abs() < 1e-9);
//! assert!((u.loyalty - 100.0 * 4.0 / 12.0).abs() < 1e-9);
//! assert!((u.index - (0.4 * 100.0 + 0.3 * 100.0 * 4.0 / 12.0)).abs() < 1e-9);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::fmt;
use std::hash::Hash;

use chrono::{Datelike, NaiveDate, TimeZone};
use serde::{Deserialize, Serialize};

use super::automation::{SegmentKind, SegmentMap};
use crate::engine::PerUser;
use crate::event::{Event, checked_amount, checked_at};
use crate::fold::{Fold, Summary};
use crate::time::{Calendar, Interval, Zone};
use crate::{Error, Result};

/// The scaled-MAD consistency factor `1 / Φ⁻¹(3/4)`.
pub const MAD_SCALE: f64 = 1.4826;

/// A user's events and money on one local day (days from the common era).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
struct DayCell {
    day: i32,
    events: u64,
    amount: f64,
}

/// Per user, the active days with their events and money: the fold the health index is built
/// on (see the [module docs](self)).
///
/// ```
/// use chrono::{TimeZone, Utc};
/// use userops::event::EventRecord;
/// use userops::fold::{fold, Summary};
/// use userops::ops::health::DailyActivity;
/// use userops::time::Zone;
///
/// let at = |d, h| Utc.with_ymd_and_hms(2025, 1, d, h, 0, 0).unwrap();
/// let log = vec![
///     EventRecord::<u32>::new(7_u32, at(2, 9)).with_amount(5.0),
///     EventRecord::new(7_u32, at(2, 18)),
///     EventRecord::new(7_u32, at(4, 10)).with_amount(-1.0),
/// ];
/// let r = fold(DailyActivity::new(Zone::Utc), &log)?.finish()?;
/// let days = &r.users[0].days;
/// assert_eq!(days.len(), 2);
/// assert_eq!((days[0].events, days[0].amount), (2, 5.0));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(bound(
    serialize = "U: Serialize, Tz: crate::time::NamedZone",
    deserialize = "U: Deserialize<'de> + Clone + Eq + Hash + Ord, Tz: crate::time::NamedZone"
))]
pub struct DailyActivity<U, Tz: TimeZone = Zone> {
    calendar: Calendar<Tz>,
    /// Per user, day cells in arrival order (a day may repeat until `finish` sorts them).
    users: PerUser<U, Vec<DayCell>>,
}

impl<U, Tz: TimeZone> DailyActivity<U, Tz> {
    /// An empty summary with days in zone `tz`.
    ///
    /// ```
    /// let s = userops::ops::health::DailyActivity::<u64, _>::new(chrono::Utc);
    /// assert!(s.is_empty());
    /// ```
    pub fn new(tz: Tz) -> Self {
        DailyActivity {
            calendar: Calendar::new(tz, Interval::Day),
            users: PerUser::new(),
        }
    }

    /// Users seen so far.
    ///
    /// ```
    /// assert_eq!(userops::ops::health::DailyActivity::<u64, _>::new(chrono::Utc).len(), 0);
    /// ```
    pub fn len(&self) -> usize {
        self.users.len()
    }

    /// Whether no user has been seen.
    ///
    /// ```
    /// assert!(userops::ops::health::DailyActivity::<u64, _>::new(chrono::Utc).is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.users.is_empty()
    }
}

fn push_cell(cells: &mut Vec<DayCell>, cell: DayCell) {
    match cells.last_mut() {
        Some(c) if c.day == cell.day => {
            c.events += cell.events;
            c.amount += cell.amount;
        }
        _ => cells.push(cell),
    }
}

impl<E, Tz> Fold<E> for DailyActivity<E::User, Tz>
where
    E: Event,
    Tz: TimeZone + PartialEq,
{
    fn observe(&mut self, event: &E) -> Result<()> {
        let amount = checked_amount(event)?;
        let day = self
            .calendar
            .local_date(checked_at(event)?)
            .num_days_from_ce();
        push_cell(
            self.users.entry(event.user(), Vec::new)?,
            DayCell {
                day,
                events: 1,
                amount,
            },
        );
        Ok(())
    }
}

impl<U: Clone + Eq + Hash + Ord, Tz: TimeZone + PartialEq> Summary for DailyActivity<U, Tz> {
    type Output = DailyActivityReport<U>;

    fn merge(&mut self, other: Self) -> Result<()> {
        if self.calendar != other.calendar {
            return Err(Error::MergeMismatch(
                "daily activity summaries use different time zones".into(),
            ));
        }
        self.users.merge(other.users, std::iter::Extend::extend)
    }

    fn finish(self) -> Result<DailyActivityReport<U>> {
        let mut users: Vec<UserDays<U>> = self
            .users
            .into_iter()
            .map(|(user, mut cells)| {
                cells.sort_by_key(|c| c.day);
                let mut merged: Vec<DayCell> = Vec::with_capacity(cells.len());
                for c in cells {
                    push_cell(&mut merged, c);
                }
                UserDays {
                    user,
                    days: merged
                        .into_iter()
                        .filter_map(|c| {
                            NaiveDate::from_num_days_from_ce_opt(c.day).map(|date| ActiveDay {
                                date,
                                events: c.events,
                                amount: c.amount,
                            })
                        })
                        .collect(),
                }
            })
            .collect();
        users.sort_by(|a, b| a.user.cmp(&b.user));
        Ok(DailyActivityReport { users })
    }
}

/// One active day of a user.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ActiveDay {
    /// The local date.
    pub date: NaiveDate,
    /// Events that day.
    pub events: u64,
    /// Money that day (refunds subtract).
    pub amount: f64,
}

/// A user's active days, in date order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UserDays<U> {
    /// The user.
    pub user: U,
    /// Active days, oldest first.
    pub days: Vec<ActiveDay>,
}

/// The finished [`DailyActivity`]: users ordered by id.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DailyActivityReport<U> {
    /// One row per user.
    pub users: Vec<UserDays<U>>,
}

/// How the contribution sub-index is scaled.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ContributionTarget {
    /// Money per contribution window that scores 100 (positive).
    Fixed(f64),
    /// The given quantile (in (0, 1]) over paying users of their spend per contribution window
    /// over their observed life (default 0.9).
    PayerQuantile(f64),
}

/// The index's weights (non-negative, not all zero; normalised by their sum).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct HealthWeights {
    /// Weight of activity (default 0.4).
    pub activity: f64,
    /// Weight of contribution (default 0.3).
    pub contribution: f64,
    /// Weight of loyalty (default 0.3).
    pub loyalty: f64,
}

impl Default for HealthWeights {
    fn default() -> Self {
        HealthWeights {
            activity: 0.4,
            contribution: 0.3,
            loyalty: 0.3,
        }
    }
}

/// Settings of the health index, its alerts and anomaly flags (see the [module docs](self)).
///
/// ```
/// use userops::ops::health::{HealthModel, HealthParams};
/// let mut p = HealthParams::default();
/// p.consecutive_days = 5;
/// assert!(HealthModel::new(p).is_ok());
/// p.activity_days = 0;
/// assert!(HealthModel::new(p).is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct HealthParams {
    /// Days in the activity window (default 28).
    pub activity_days: u32,
    /// Days in the contribution window (default 90).
    pub contribution_days: u32,
    /// Contribution scaling (default the 0.9 payer quantile).
    pub contribution_target: ContributionTarget,
    /// Seven-day blocks in the loyalty window (default 12).
    pub loyalty_weeks: u32,
    /// A user belongs to a day's population when active within this many days (default 90).
    pub population_days: u32,
    /// Sub-index weights.
    pub weights: HealthWeights,
    /// The warning line on the 0–100 index (default 40); also the `critical` band's top.
    pub warning_line: f64,
    /// Index at or above which a user is `healthy` (default 60); between the lines: `watch`.
    pub healthy_line: f64,
    /// Consecutive days below the line before an alert fires (default 3).
    pub consecutive_days: u32,
    /// Values in an anomaly baseline (default 28).
    pub baseline_days: u32,
    /// Scaled MADs a day must depart from its baseline to be anomalous (default 3).
    pub anomaly_k: f64,
}

impl Default for HealthParams {
    fn default() -> Self {
        HealthParams {
            activity_days: 28,
            contribution_days: 90,
            contribution_target: ContributionTarget::PayerQuantile(0.9),
            loyalty_weeks: 12,
            population_days: 90,
            weights: HealthWeights::default(),
            warning_line: 40.0,
            healthy_line: 60.0,
            consecutive_days: 3,
            baseline_days: 28,
            anomaly_k: 3.0,
        }
    }
}

const MAX_WINDOW: u32 = 3_660;

impl HealthParams {
    /// Checks every setting.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] naming the first bad setting.
    ///
    /// ```
    /// let mut p = userops::ops::health::HealthParams::default();
    /// p.warning_line = 120.0;
    /// assert!(p.check().is_err());
    /// ```
    pub fn check(&self) -> Result<()> {
        for (name, v) in [
            ("activity_days", self.activity_days),
            ("contribution_days", self.contribution_days),
            ("loyalty_weeks", self.loyalty_weeks),
            ("population_days", self.population_days),
        ] {
            if v == 0 || v > MAX_WINDOW {
                return Err(Error::invalid(
                    name,
                    format!("must be between 1 and {MAX_WINDOW}, got {v}"),
                ));
            }
        }
        match self.contribution_target {
            ContributionTarget::Fixed(t) if !(t.is_finite() && t > 0.0) => {
                return Err(Error::invalid(
                    "contribution_target",
                    format!("a fixed target must be positive and finite, got {t}"),
                ));
            }
            ContributionTarget::PayerQuantile(q) if !(q.is_finite() && q > 0.0 && q <= 1.0) => {
                return Err(Error::invalid(
                    "contribution_target",
                    format!("the payer quantile must be in (0, 1], got {q}"),
                ));
            }
            _ => {}
        }
        let w = self.weights;
        let ws = [w.activity, w.contribution, w.loyalty];
        if ws.iter().any(|x| !x.is_finite() || *x < 0.0) || ws.iter().sum::<f64>() <= 0.0 {
            return Err(Error::invalid(
                "weights",
                format!(
                    "must be finite, non-negative and not all zero, got {} / {} / {}",
                    w.activity, w.contribution, w.loyalty
                ),
            ));
        }
        for (name, v) in [
            ("warning_line", self.warning_line),
            ("healthy_line", self.healthy_line),
        ] {
            if !(v.is_finite() && (0.0..=100.0).contains(&v)) {
                return Err(Error::invalid(
                    name,
                    format!("must be on the index's 0-100 scale, got {v}"),
                ));
            }
        }
        if self.healthy_line < self.warning_line {
            return Err(Error::invalid(
                "healthy_line",
                format!(
                    "must not be below the warning line {}, got {}",
                    self.warning_line, self.healthy_line
                ),
            ));
        }
        if self.consecutive_days == 0 {
            return Err(Error::invalid("consecutive_days", "must be at least 1"));
        }
        if self.baseline_days < 3 || self.baseline_days > MAX_WINDOW {
            return Err(Error::invalid(
                "baseline_days",
                format!(
                    "must be between 3 and {MAX_WINDOW}, got {}",
                    self.baseline_days
                ),
            ));
        }
        if !(self.anomaly_k.is_finite() && self.anomaly_k > 0.0) {
            return Err(Error::invalid(
                "anomaly_k",
                format!("must be positive and finite, got {}", self.anomaly_k),
            ));
        }
        Ok(())
    }
}

/// The health index with checked settings.
///
/// ```
/// let m = userops::ops::health::HealthModel::new(userops::ops::health::HealthParams::default())?;
/// assert_eq!(m.params().consecutive_days, 3);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct HealthModel {
    params: HealthParams,
}

/// One day's index of a user (all 0–100).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct DailyScore {
    /// The day.
    pub date: NaiveDate,
    /// Composite index.
    pub index: f64,
    /// Activity sub-index.
    pub activity: f64,
    /// Contribution sub-index.
    pub contribution: f64,
    /// Loyalty sub-index.
    pub loyalty: f64,
}

/// A user's health on the last scored day.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UserHealth<U> {
    /// The user.
    pub user: U,
    /// Composite index (0–100).
    pub index: f64,
    /// Activity sub-index.
    pub activity: f64,
    /// Contribution sub-index.
    pub contribution: f64,
    /// Loyalty sub-index.
    pub loyalty: f64,
    /// `healthy`, `watch` or `critical` (see [`HealthParams::healthy_line`]); usable as a
    /// [`crate::ops::automation::SegmentKind::Health`] label.
    pub band: String,
}

/// The population's mean indices on one day.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct PopulationDay {
    /// The day.
    pub date: NaiveDate,
    /// Users in the day's population.
    pub users: u64,
    /// Mean composite index (0 when there are no users).
    pub index: f64,
    /// Mean activity.
    pub activity: f64,
    /// Mean contribution.
    pub contribution: f64,
    /// Mean loyalty.
    pub loyalty: f64,
}

/// A run of days below the warning line that lasted long enough to alert.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Alert {
    /// The first day below the line.
    pub first_day: NaiveDate,
    /// The day the alert fired (the `consecutive_days`-th day below).
    pub fired_on: NaiveDate,
    /// The last day of the run.
    pub last_day: NaiveDate,
    /// Days in the run.
    pub days_below: u32,
    /// The lowest value in the run.
    pub lowest: f64,
}

/// Which side of its baseline an anomalous day lies on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// Above the baseline median.
    Above,
    /// Below the baseline median.
    Below,
}

/// A day that departs from its trailing baseline by more than `k` scaled MADs.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Anomaly {
    /// The day.
    pub date: NaiveDate,
    /// Its value.
    pub value: f64,
    /// Median of the baseline.
    pub baseline_median: f64,
    /// `1.4826 · MAD` of the baseline.
    pub scaled_mad: f64,
    /// `(value − median) / scaled MAD`; `None` when the baseline is flat.
    pub robust_z: Option<f64>,
    /// Above or below the baseline.
    pub direction: Direction,
}

/// The health index over a range of days.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HealthReport<U> {
    /// First scored day.
    pub from: NaiveDate,
    /// Last scored day.
    pub to: NaiveDate,
    /// The money that scores 100 on contribution (`None`: nobody paid, contribution is 0).
    pub contribution_target: Option<f64>,
    /// The warning line used.
    pub warning_line: f64,
    /// One row per day.
    pub days: Vec<PopulationDay>,
    /// Every user in the population of the last day, ordered by user.
    pub users: Vec<UserHealth<U>>,
    /// Alerts on the population index.
    pub alerts: Vec<Alert>,
    /// Anomalous days of the population index.
    pub anomalies: Vec<Anomaly>,
}

impl<U> HealthReport<U> {
    /// The population index as a `(date, index)` series, days without users left out.
    ///
    /// ```
    /// # use userops::ops::health::HealthReport;
    /// let r: HealthReport<u8> = HealthReport { from: chrono::NaiveDate::MIN, to: chrono::NaiveDate::MIN,
    ///     contribution_target: None, warning_line: 40.0, days: vec![], users: vec![], alerts: vec![], anomalies: vec![] };
    /// assert!(r.index_series().is_empty());
    /// ```
    #[must_use]
    pub fn index_series(&self) -> Vec<(NaiveDate, f64)> {
        self.days
            .iter()
            .filter(|d| d.users > 0)
            .map(|d| (d.date, d.index))
            .collect()
    }

    /// The users' bands on the last day as a [`SegmentMap`] of kind [`SegmentKind::Health`]
    /// (labels `healthy`, `watch`, `critical`, all declared), ready for automation rules.
    ///
    /// ```
    /// # use userops::ops::health::HealthReport;
    /// use userops::ops::automation::{SegmentKind, SegmentSource};
    /// # let r: HealthReport<u8> = HealthReport { from: chrono::NaiveDate::MIN, to: chrono::NaiveDate::MIN,
    /// #     contribution_target: None, warning_line: 40.0, days: vec![], users: vec![], alerts: vec![], anomalies: vec![] };
    /// let segments = r.segment_map();
    /// assert_eq!(segments.labels(&SegmentKind::Health), vec!["critical", "healthy", "watch"]);
    /// ```
    #[must_use]
    pub fn segment_map(&self) -> SegmentMap<U>
    where
        U: Clone + Eq + Hash,
    {
        let mut map = SegmentMap::new();
        map.declare(SegmentKind::Health, ["healthy", "watch", "critical"]);
        for u in &self.users {
            map.assign(SegmentKind::Health, u.user.clone(), u.band.clone());
        }
        map
    }

    /// Users per band on the last day: `(healthy, watch, critical)`.
    ///
    /// ```
    /// # use userops::ops::health::HealthReport;
    /// # let r: HealthReport<u8> = HealthReport { from: chrono::NaiveDate::MIN, to: chrono::NaiveDate::MIN,
    /// #     contribution_target: None, warning_line: 40.0, days: vec![], users: vec![], alerts: vec![], anomalies: vec![] };
    /// assert_eq!(r.bands(), (0, 0, 0));
    /// ```
    #[must_use]
    pub fn bands(&self) -> (u64, u64, u64) {
        let count = |b: &str| self.users.iter().filter(|u| u.band == b).count() as u64;
        (count("healthy"), count("watch"), count("critical"))
    }
}

impl<U> fmt::Display for HealthReport<U> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "health index {} .. {} ({} days), warning line {:.0}, contribution target {}",
            self.from,
            self.to,
            self.days.len(),
            self.warning_line,
            super::cell(self.contribution_target, 2)
        )?;
        writeln!(
            f,
            "{:<10} {:>7} {:>7} {:>9} {:>12} {:>8}",
            "day", "users", "index", "activity", "contribution", "loyalty"
        )?;
        // At most ~14 rows: every k-th day and the last.
        let n = self.days.len();
        let stride = n.div_ceil(13).max(1);
        for (i, d) in self.days.iter().enumerate() {
            if i % stride == 0 || i + 1 == n {
                writeln!(
                    f,
                    "{:<10} {:>7} {:>7.1} {:>9.1} {:>12.1} {:>8.1}",
                    d.date.to_string(),
                    d.users,
                    d.index,
                    d.activity,
                    d.contribution,
                    d.loyalty
                )?;
            }
        }
        let (h, w, c) = self.bands();
        writeln!(
            f,
            "users on {}: {} healthy, {} watch, {} critical",
            self.to, h, w, c
        )?;
        writeln!(f, "alerts (index below the line): {}", self.alerts.len())?;
        for a in self.alerts.iter().take(5) {
            writeln!(
                f,
                "  {} .. {} ({} days, fired {}, lowest {:.1})",
                a.first_day, a.last_day, a.days_below, a.fired_on, a.lowest
            )?;
        }
        if self.alerts.len() > 5 {
            writeln!(f, "  ... and {} more", self.alerts.len() - 5)?;
        }
        write!(f, "anomalous days: {}", self.anomalies.len())?;
        for a in self.anomalies.iter().take(5) {
            write!(
                f,
                "\n  {} index {:.1} vs baseline median {:.1} (robust z {})",
                a.date,
                a.value,
                a.baseline_median,
                super::cell(a.robust_z, 1)
            )?;
        }
        if self.anomalies.len() > 5 {
            write!(f, "\n  ... and {} more", self.anomalies.len() - 5)?;
        }
        Ok(())
    }
}

/// Dense prefix sums over one user's span of days, reused across users.
#[derive(Debug, Default)]
struct Prefix {
    first: i64,
    last: i64,
    active: Vec<u32>,
    amount: Vec<f64>,
}

impl Prefix {
    fn load(&mut self, days: &[ActiveDay]) -> bool {
        let (Some(first), Some(last)) = (days.first(), days.last()) else {
            return false;
        };
        self.first = i64::from(first.date.num_days_from_ce());
        self.last = i64::from(last.date.num_days_from_ce());
        let span = usize::try_from(self.last - self.first + 1).unwrap_or(0);
        self.active.clear();
        self.amount.clear();
        self.active.resize(span + 1, 0);
        self.amount.resize(span + 1, 0.0);
        let mut k = 0usize;
        let (mut a, mut m) = (0u32, 0.0f64);
        for d in days {
            let idx = usize::try_from(i64::from(d.date.num_days_from_ce()) - self.first + 1)
                .unwrap_or(0)
                .min(span);
            while k < idx {
                k += 1;
                if let (Some(x), Some(y)) = (self.active.get_mut(k), self.amount.get_mut(k)) {
                    *x = a;
                    *y = m;
                }
            }
            a += 1;
            m += d.amount;
            if let (Some(x), Some(y)) = (self.active.get_mut(idx), self.amount.get_mut(idx)) {
                *x = a;
                *y = m;
            }
        }
        true
    }

    fn pos(&self, day: i64) -> usize {
        let span = self.active.len().saturating_sub(1);
        if day < self.first {
            0
        } else if day > self.last {
            span
        } else {
            usize::try_from(day - self.first + 1).unwrap_or(0).min(span)
        }
    }

    /// Active days in `(a, b]`.
    fn active_in(&self, a: i64, b: i64) -> u32 {
        let (i, j) = (self.pos(a), self.pos(b));
        self.active
            .get(j)
            .zip(self.active.get(i))
            .map_or(0, |(x, y)| x.saturating_sub(*y))
    }

    /// Money in `(a, b]`.
    fn amount_in(&self, a: i64, b: i64) -> f64 {
        let (i, j) = (self.pos(a), self.pos(b));
        self.amount
            .get(j)
            .zip(self.amount.get(i))
            .map_or(0.0, |(x, y)| x - y)
    }
}

impl HealthModel {
    /// A model with checked settings.
    ///
    /// # Errors
    /// As [`HealthParams::check`].
    ///
    /// ```
    /// assert!(userops::ops::health::HealthModel::new(Default::default()).is_ok());
    /// ```
    pub fn new(params: HealthParams) -> Result<Self> {
        params.check()?;
        Ok(HealthModel { params })
    }

    /// The settings.
    ///
    /// ```
    /// let m = userops::ops::health::HealthModel::new(Default::default())?;
    /// assert_eq!(m.params().activity_days, 28);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn params(&self) -> &HealthParams {
        &self.params
    }

    /// The money per contribution window that scores 100 on `activity`'s data (`None` when
    /// nobody paid and the target is a payer quantile).
    ///
    /// ```
    /// use userops::ops::health::{DailyActivityReport, HealthModel};
    /// let m = HealthModel::new(Default::default())?;
    /// assert_eq!(m.contribution_target(&DailyActivityReport::<u8> { users: vec![] }), None);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn contribution_target<U>(&self, activity: &DailyActivityReport<U>) -> Option<f64> {
        match self.params.contribution_target {
            ContributionTarget::Fixed(t) => Some(t),
            ContributionTarget::PayerQuantile(q) => {
                let window = f64::from(self.params.contribution_days);
                let mut rates: Vec<f64> = activity
                    .users
                    .iter()
                    .filter_map(|u| {
                        let total: f64 = u.days.iter().map(|d| d.amount).sum();
                        let (first, last) = (u.days.first()?, u.days.last()?);
                        let life = ((last.date - first.date).num_days() + 1) as f64;
                        (total > 0.0).then(|| total * window / life.max(window))
                    })
                    .collect();
                if rates.is_empty() {
                    return None;
                }
                rates.sort_by(f64::total_cmp);
                quantile_sorted(&rates, q).filter(|t| *t > 0.0)
            }
        }
    }

    fn score_day(&self, p: &Prefix, day: i64, target: Option<f64>) -> Option<(f64, f64, f64, f64)> {
        let hp = &self.params;
        if p.active_in(day - i64::from(hp.population_days), day) == 0 {
            return None;
        }
        let activity = f64::from(p.active_in(day - i64::from(hp.activity_days), day))
            / f64::from(hp.activity_days);
        let contribution = match target {
            Some(t) => (p
                .amount_in(day - i64::from(hp.contribution_days), day)
                .max(0.0)
                / t)
                .min(1.0),
            None => 0.0,
        };
        let mut weeks = 0u32;
        for k in 0..i64::from(hp.loyalty_weeks) {
            if p.active_in(day - 7 * (k + 1), day - 7 * k) > 0 {
                weeks += 1;
            }
        }
        let loyalty = f64::from(weeks) / f64::from(hp.loyalty_weeks);
        let w = hp.weights;
        let index = (w.activity * activity + w.contribution * contribution + w.loyalty * loyalty)
            / (w.activity + w.contribution + w.loyalty);
        Some((
            100.0 * index,
            100.0 * activity,
            100.0 * contribution,
            100.0 * loyalty,
        ))
    }

    fn band(&self, index: f64) -> &'static str {
        if index >= self.params.healthy_line {
            "healthy"
        } else if index >= self.params.warning_line {
            "watch"
        } else {
            "critical"
        }
    }

    /// Scores every day from `from` to `to` (inclusive): population means per day, every
    /// population user on `to`, alerts and anomalies of the population index.
    ///
    /// # Errors
    /// [`Error::Empty`] when `activity` has no user, [`Error::InvalidParameter`] (`to`) when
    /// `to` is before `from` or the range exceeds 3,660 days.
    ///
    /// ```
    /// # use chrono::{NaiveDate, TimeZone, Utc};
    /// # use userops::event::EventRecord;
    /// # use userops::fold::{fold, Summary};
    /// # use userops::ops::health::{DailyActivity, HealthModel};
    /// let log = vec![EventRecord::<u8>::new(1_u8, Utc.with_ymd_and_hms(2025, 1, 1, 0, 0, 0).unwrap())];
    /// let days = fold(DailyActivity::new(Utc), &log)?.finish()?;
    /// let d = |x| NaiveDate::from_ymd_opt(2025, 1, x).unwrap();
    /// let r = HealthModel::new(Default::default())?.score(&days, d(1), d(10))?;
    /// assert_eq!(r.days.len(), 10);
    /// assert!(HealthModel::new(Default::default())?.score(&days, d(10), d(1)).is_err());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn score<U: Clone>(
        &self,
        activity: &DailyActivityReport<U>,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<HealthReport<U>> {
        if activity.users.is_empty() {
            return Err(Error::Empty("no activity to score the health index on"));
        }
        let n_days = (to - from).num_days() + 1;
        if n_days < 1 || n_days > i64::from(MAX_WINDOW) {
            return Err(Error::invalid(
                "to",
                format!(
                    "the range {from} .. {to} must run forward and span at most {MAX_WINDOW} days"
                ),
            ));
        }
        let n = usize::try_from(n_days).unwrap_or(0);
        let start = i64::from(from.num_days_from_ce());
        let end = i64::from(to.num_days_from_ce());
        let target = self.contribution_target(activity);
        let mut sums = vec![[0.0f64; 4]; n];
        let mut counts = vec![0u64; n];
        let mut users = Vec::new();
        let mut prefix = Prefix::default();
        let reach = i64::from(self.params.population_days) - 1;
        for u in &activity.users {
            if !prefix.load(&u.days) {
                continue;
            }
            let lo = start.max(prefix.first);
            let hi = end.min(prefix.last + reach);
            for day in lo..=hi {
                let Some(s) = self.score_day(&prefix, day, target) else {
                    continue;
                };
                let k = usize::try_from(day - start).unwrap_or(usize::MAX);
                if let (Some(acc), Some(c)) = (sums.get_mut(k), counts.get_mut(k)) {
                    acc[0] += s.0;
                    acc[1] += s.1;
                    acc[2] += s.2;
                    acc[3] += s.3;
                    *c += 1;
                }
                if day == end {
                    users.push(UserHealth {
                        user: u.user.clone(),
                        index: s.0,
                        activity: s.1,
                        contribution: s.2,
                        loyalty: s.3,
                        band: self.band(s.0).to_string(),
                    });
                }
            }
        }
        let days: Vec<PopulationDay> = (0..n)
            .filter_map(|k| {
                let date = from.checked_add_signed(chrono::TimeDelta::days(k as i64))?;
                let c = counts.get(k).copied().unwrap_or(0);
                let s = sums.get(k).copied().unwrap_or([0.0; 4]);
                let mean = |x: f64| if c > 0 { x / c as f64 } else { 0.0 };
                Some(PopulationDay {
                    date,
                    users: c,
                    index: mean(s[0]),
                    activity: mean(s[1]),
                    contribution: mean(s[2]),
                    loyalty: mean(s[3]),
                })
            })
            .collect();
        let mut report = HealthReport {
            from,
            to,
            contribution_target: target,
            warning_line: self.params.warning_line,
            days,
            users,
            alerts: Vec::new(),
            anomalies: Vec::new(),
        };
        let series = report.index_series();
        report.alerts = below_line_alerts(
            &series,
            self.params.warning_line,
            self.params.consecutive_days,
        )?;
        report.anomalies = anomalies(
            &series,
            self.params.baseline_days as usize,
            self.params.anomaly_k,
        )?;
        Ok(report)
    }

    /// One user's daily index from `from` to `to`, days outside the population left out (feed
    /// it to [`below_line_alerts`] for per-user alerts).
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] (`to`) for a backward or too long range.
    ///
    /// ```
    /// # use chrono::{NaiveDate, TimeZone, Utc};
    /// # use userops::event::EventRecord;
    /// # use userops::fold::{fold, Summary};
    /// # use userops::ops::health::{DailyActivity, HealthModel};
    /// let log = vec![EventRecord::<u8>::new(1_u8, Utc.with_ymd_and_hms(2025, 1, 1, 0, 0, 0).unwrap())];
    /// let days = fold(DailyActivity::new(Utc), &log)?.finish()?;
    /// let d = |x| NaiveDate::from_ymd_opt(2025, 1, x).unwrap();
    /// let model = HealthModel::new(Default::default())?;
    /// let s = model.user_series(&days, &days.users[0], d(1), d(5))?;
    /// assert_eq!(s.len(), 5);
    /// assert!(s[0].activity > s[4].activity - 1e-12); // one active day, then nothing
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn user_series<U>(
        &self,
        activity: &DailyActivityReport<U>,
        user: &UserDays<U>,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<DailyScore>> {
        let n_days = (to - from).num_days() + 1;
        if n_days < 1 || n_days > i64::from(MAX_WINDOW) {
            return Err(Error::invalid(
                "to",
                format!(
                    "the range {from} .. {to} must run forward and span at most {MAX_WINDOW} days"
                ),
            ));
        }
        let target = self.contribution_target(activity);
        let mut prefix = Prefix::default();
        if !prefix.load(&user.days) {
            return Ok(Vec::new());
        }
        let start = i64::from(from.num_days_from_ce());
        let mut out = Vec::new();
        for k in 0..n_days {
            let day = start + k;
            if day < prefix.first {
                continue;
            }
            if let (Some(s), Some(date)) = (
                self.score_day(&prefix, day, target),
                from.checked_add_signed(chrono::TimeDelta::days(k)),
            ) {
                out.push(DailyScore {
                    date,
                    index: s.0,
                    activity: s.1,
                    contribution: s.2,
                    loyalty: s.3,
                });
            }
        }
        Ok(out)
    }
}

/// A user's alert (see [`HealthModel::user_alerts`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UserAlert<U> {
    /// The user.
    pub user: U,
    /// The run below the warning line.
    pub alert: Alert,
}

impl HealthModel {
    /// Every user's alerts between `from` and `to`: runs of at least `consecutive_days` days
    /// with the user's index below the warning line (days outside the user's population
    /// membership break a run). Ordered by user, then date.
    ///
    /// # Errors
    /// As [`HealthModel::user_series`].
    ///
    /// ```
    /// # use chrono::{NaiveDate, TimeZone, Utc};
    /// # use userops::event::EventRecord;
    /// # use userops::fold::{fold, Summary};
    /// # use userops::ops::health::{DailyActivity, HealthModel};
    /// // Active every day of January, then silent: the index decays below 40 in February.
    /// let log: Vec<_> = (1..=31)
    ///     .map(|d| EventRecord::<u8>::new(1_u8, Utc.with_ymd_and_hms(2025, 1, d, 9, 0, 0).unwrap()))
    ///     .collect();
    /// let days = fold(DailyActivity::new(Utc), &log)?.finish()?;
    /// let model = HealthModel::new(Default::default())?;
    /// let d = |m, x| NaiveDate::from_ymd_opt(2025, m, x).unwrap();
    /// let alerts = model.user_alerts(&days, d(1, 1), d(2, 28))?;
    /// assert_eq!(alerts.len(), 2); // one in early January, one after the user fell silent
    /// assert!(alerts[1].alert.first_day > d(1, 31));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn user_alerts<U: Clone>(
        &self,
        activity: &DailyActivityReport<U>,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<UserAlert<U>>> {
        let mut out = Vec::new();
        let mut series = Vec::new();
        for u in &activity.users {
            series.clear();
            series.extend(
                self.user_series(activity, u, from, to)?
                    .into_iter()
                    .map(|s| (s.date, s.index)),
            );
            for alert in below_line_alerts(
                &series,
                self.params.warning_line,
                self.params.consecutive_days,
            )? {
                out.push(UserAlert {
                    user: u.user.clone(),
                    alert,
                });
            }
        }
        Ok(out)
    }
}

/// Type-7 quantile (R's default) of sorted values.
fn quantile_sorted(sorted: &[f64], q: f64) -> Option<f64> {
    let n = sorted.len();
    if n == 0 {
        return None;
    }
    let h = (n - 1) as f64 * q;
    let lo = h.floor() as usize;
    let hi = (lo + 1).min(n - 1);
    let (a, b) = (*sorted.get(lo)?, *sorted.get(hi)?);
    Some(a + (h - lo as f64) * (b - a))
}

fn median_sorted(sorted: &[f64]) -> Option<f64> {
    quantile_sorted(sorted, 0.5)
}

fn check_series(series: &[(NaiveDate, f64)]) -> Result<()> {
    for (date, v) in series {
        if !v.is_finite() {
            return Err(Error::NonFinite {
                field: "index",
                value: *v,
                user: date.to_string(),
            });
        }
    }
    Ok(())
}

/// Alerts for runs of at least `consecutive_days` consecutive days strictly below `line`.
///
/// The series holds one value per day in date order; a missing day breaks a run. Each run that
/// reaches `consecutive_days` gives one [`Alert`], fired on its `consecutive_days`-th day and
/// spanning the whole run.
///
/// # Errors
/// [`Error::InvalidParameter`] (`consecutive_days`) for 0, (`line`) for a non-finite line;
/// [`Error::NonFinite`] (field `index`, the date in `user`) for a non-finite value;
/// [`Error::InvalidInput`] for dates not strictly increasing.
///
/// ```
/// use chrono::NaiveDate;
/// use userops::ops::health::below_line_alerts;
/// let d = |x| NaiveDate::from_ymd_opt(2025, 6, x).unwrap();
/// let series = [(d(1), 55.0), (d(2), 38.0), (d(3), 35.0), (d(4), 39.0), (d(5), 41.0)];
/// let alerts = below_line_alerts(&series, 40.0, 3)?;
/// assert_eq!(alerts.len(), 1);
/// assert_eq!((alerts[0].first_day, alerts[0].fired_on, alerts[0].days_below), (d(2), d(4), 3));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn below_line_alerts(
    series: &[(NaiveDate, f64)],
    line: f64,
    consecutive_days: u32,
) -> Result<Vec<Alert>> {
    if consecutive_days == 0 {
        return Err(Error::invalid("consecutive_days", "must be at least 1"));
    }
    if !line.is_finite() {
        return Err(Error::invalid(
            "line",
            format!("must be finite, got {line}"),
        ));
    }
    check_series(series)?;
    let mut alerts = Vec::new();
    // (first day, last day, days, lowest)
    let mut run: Option<(NaiveDate, NaiveDate, u32, f64)> = None;
    let mut prev: Option<NaiveDate> = None;
    let close = |run: Option<(NaiveDate, NaiveDate, u32, f64)>, alerts: &mut Vec<Alert>| {
        if let Some((first, last, days, lowest)) = run {
            if days >= consecutive_days {
                let fired_on = first
                    .checked_add_signed(chrono::TimeDelta::days(i64::from(consecutive_days) - 1))
                    .unwrap_or(last);
                alerts.push(Alert {
                    first_day: first,
                    fired_on,
                    last_day: last,
                    days_below: days,
                    lowest,
                });
            }
        }
    };
    for &(date, value) in series {
        if let Some(p) = prev {
            if date <= p {
                return Err(Error::InvalidInput(format!(
                    "series dates must increase: {date} follows {p}"
                )));
            }
            if (date - p).num_days() != 1 {
                close(run.take(), &mut alerts);
            }
        }
        prev = Some(date);
        if value < line {
            run = Some(match run {
                Some((first, _, days, lowest)) => (first, date, days + 1, lowest.min(value)),
                None => (date, date, 1, value),
            });
        } else {
            close(run.take(), &mut alerts);
        }
    }
    close(run, &mut alerts);
    Ok(alerts)
}

/// Days departing from the median of the previous `baseline_days` values by more than `k`
/// scaled MADs (`1.4826 · MAD`, see [`MAD_SCALE`] and the [module docs](self)). The first
/// `baseline_days` values only serve as baseline.
///
/// # Errors
/// [`Error::InvalidParameter`] (`baseline_days`) below 3, (`k`) not positive and finite;
/// [`Error::NonFinite`] for a non-finite value.
///
/// ```
/// use chrono::NaiveDate;
/// use userops::ops::health::{anomalies, Direction};
/// let d = |x| NaiveDate::from_ymd_opt(2025, 6, x).unwrap();
/// let mut series: Vec<_> = (1..=10).map(|x| (d(x), 50.0 + (x % 3) as f64)).collect();
/// series.push((d(11), 30.0));
/// let found = anomalies(&series, 7, 3.0)?;
/// assert_eq!(found.len(), 1);
/// assert_eq!((found[0].date, found[0].direction), (d(11), Direction::Below));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn anomalies(
    series: &[(NaiveDate, f64)],
    baseline_days: usize,
    k: f64,
) -> Result<Vec<Anomaly>> {
    if baseline_days < 3 {
        return Err(Error::invalid(
            "baseline_days",
            format!("needs at least 3 values, got {baseline_days}"),
        ));
    }
    if !(k.is_finite() && k > 0.0) {
        return Err(Error::invalid(
            "k",
            format!("must be positive and finite, got {k}"),
        ));
    }
    check_series(series)?;
    let mut out = Vec::new();
    let mut window: Vec<f64> = Vec::with_capacity(baseline_days);
    let mut dev: Vec<f64> = Vec::with_capacity(baseline_days);
    for (i, &(date, value)) in series.iter().enumerate().skip(baseline_days) {
        window.clear();
        window.extend(series[i - baseline_days..i].iter().map(|p| p.1));
        window.sort_by(f64::total_cmp);
        let Some(median) = median_sorted(&window) else {
            continue;
        };
        dev.clear();
        dev.extend(window.iter().map(|x| (x - median).abs()));
        dev.sort_by(f64::total_cmp);
        let scaled_mad = MAD_SCALE * median_sorted(&dev).unwrap_or(0.0);
        let departure = value - median;
        let (flag, robust_z) = if scaled_mad > 0.0 {
            let z = departure / scaled_mad;
            (z.abs() > k, Some(z))
        } else {
            (departure != 0.0, None)
        };
        if flag {
            out.push(Anomaly {
                date,
                value,
                baseline_median: median,
                scaled_mad,
                robust_z,
                direction: if departure > 0.0 {
                    Direction::Above
                } else {
                    Direction::Below
                },
            });
        }
    }
    Ok(out)
}
