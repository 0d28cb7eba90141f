//! Per-user activity and per-period totals: the first summaries every report starts from.
//!
//! * [`ActivitySummary`] — per user: first seen, last seen, event count, amount total and the
//!   set of active calendar periods.
//! * [`PeriodTotals`] — per calendar period: events, revenue, paying events, active users and
//!   new users (users whose first event falls in the period).
//!
//! ```
//! use chrono::{TimeZone, Utc};
//! use userops::activity::PeriodTotals;
//! use userops::event::EventRecord;
//! use userops::fold::{fold, Summary};
//! use userops::time::{Calendar, Interval};
//!
//! let at = |m, d| Utc.with_ymd_and_hms(2025, m, d, 12, 0, 0).unwrap();
//! let log = vec![
//!     EventRecord::<u32>::new(1_u32, at(1, 5)).with_amount(10.0),
//!     EventRecord::new(1_u32, at(2, 5)),
//!     EventRecord::new(2_u32, at(2, 9)).with_amount(5.0),
//! ];
//! let months = fold(PeriodTotals::new(Calendar::new(Utc, Interval::Month)), &log)?.finish();
//! assert_eq!(months.rows[1].period.to_string(), "2025-02");
//! assert_eq!((months.rows[1].active_users, months.rows[1].new_users), (2, 1));
//! assert_eq!(months.rows[0].revenue, 10.0);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::fmt;
use std::hash::Hash;

use chrono::{DateTime, TimeZone, Utc};
use serde::{Deserialize, Serialize};

use crate::event::{Event, checked_amount};
use crate::fold::{Fold, Summary, UserMap};
use crate::time::{Calendar, Period};
use crate::{Error, Result};

/// What one user did, as an [`ActivitySummary`] keeps it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UserActivity<U> {
    /// The user.
    pub user: U,
    /// The first event's instant.
    pub first_seen: DateTime<Utc>,
    /// The last event's instant.
    pub last_seen: DateTime<Utc>,
    /// Number of events.
    pub events: u64,
    /// Sum of amounts (refunds, being negative, lower it).
    pub amount: f64,
    /// The calendar periods in which the user had at least one event, in order.
    pub active_periods: Vec<Period>,
}

#[derive(Debug, Clone, PartialEq)]
struct ActivityState {
    first_seen: DateTime<Utc>,
    last_seen: DateTime<Utc>,
    events: u64,
    amount: f64,
    active: BTreeSet<Period>,
}

/// Per-user activity: first seen, last seen, event count, amount total, active periods.
///
/// ```
/// use chrono::{TimeZone, Utc};
/// use userops::activity::ActivitySummary;
/// use userops::event::EventRecord;
/// use userops::fold::{fold, Summary};
/// use userops::time::{Calendar, Interval};
///
/// let at = |d| Utc.with_ymd_and_hms(2025, 1, d, 0, 0, 0).unwrap();
/// let log = vec![
///     EventRecord::<&str>::new("ana", at(3)).with_amount(2.5),
///     EventRecord::new("ana", at(1)),
///     EventRecord::new("ana", at(3)).with_amount(1.5),
/// ];
/// let report = fold(ActivitySummary::new(Calendar::new(Utc, Interval::Day)), &log)?.finish();
/// let ana = &report.users[0];
/// assert_eq!((ana.first_seen, ana.last_seen, ana.events, ana.amount), (at(1), at(3), 3, 4.0));
/// assert_eq!(ana.active_periods.len(), 2); // Jan 1 and Jan 3
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct ActivitySummary<U, Tz: TimeZone = crate::time::Zone> {
    calendar: Calendar<Tz>,
    users: UserMap<U, ActivityState>,
}

impl<U: Eq + Hash, Tz: TimeZone> ActivitySummary<U, Tz> {
    /// An empty summary bucketing active periods with `calendar`.
    ///
    /// ```
    /// let s = userops::activity::ActivitySummary::<u64, _>::new(
    ///     userops::time::Calendar::new(chrono::Utc, userops::time::Interval::Week(chrono::Weekday::Mon)));
    /// assert_eq!(s.len(), 0);
    /// ```
    pub fn new(calendar: Calendar<Tz>) -> Self {
        ActivitySummary {
            calendar,
            users: UserMap::default(),
        }
    }

    /// Number of users seen so far.
    ///
    /// ```
    /// let s = userops::activity::ActivitySummary::<u64, _>::new(
    ///     userops::time::Calendar::new(chrono::Utc, userops::time::Interval::Day));
    /// assert!(s.is_empty());
    /// ```
    pub fn len(&self) -> usize {
        self.users.len()
    }

    /// Whether no user has been seen.
    ///
    /// ```
    /// let s = userops::activity::ActivitySummary::<u64, _>::new(
    ///     userops::time::Calendar::new(chrono::Utc, userops::time::Interval::Day));
    /// assert!(s.is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.users.is_empty()
    }
}

/// The finished [`ActivitySummary`]: one row per user, ordered by user.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ActivityReport<U> {
    /// One row per user, ordered by user id.
    pub users: Vec<UserActivity<U>>,
}

impl<E, Tz> Fold<E> for ActivitySummary<E::User, Tz>
where
    E: Event,
    Tz: TimeZone + PartialEq,
{
    fn observe(&mut self, event: &E) -> Result<()> {
        let amount = checked_amount(event)?;
        let at = event.at();
        let period = self.calendar.period_of(at);
        match self.users.get_mut(event.user()) {
            Some(s) => {
                s.first_seen = s.first_seen.min(at);
                s.last_seen = s.last_seen.max(at);
                s.events += 1;
                s.amount += amount;
                s.active.insert(period);
            }
            None => {
                self.users.insert(
                    event.user().clone(),
                    ActivityState {
                        first_seen: at,
                        last_seen: at,
                        events: 1,
                        amount,
                        active: BTreeSet::from([period]),
                    },
                );
            }
        }
        Ok(())
    }
}

impl<U: Clone + Eq + Hash + Ord, Tz: TimeZone + PartialEq> Summary for ActivitySummary<U, Tz> {
    type Output = ActivityReport<U>;

    fn merge(&mut self, other: Self) -> Result<()> {
        if self.calendar != other.calendar {
            return Err(Error::MergeMismatch(
                "activity summaries use different calendars".into(),
            ));
        }
        for (user, o) in other.users {
            match self.users.get_mut(&user) {
                Some(s) => {
                    s.first_seen = s.first_seen.min(o.first_seen);
                    s.last_seen = s.last_seen.max(o.last_seen);
                    s.events += o.events;
                    s.amount += o.amount;
                    s.active.extend(o.active);
                }
                None => {
                    self.users.insert(user, o);
                }
            }
        }
        Ok(())
    }

    fn finish(self) -> ActivityReport<U> {
        let mut users: Vec<UserActivity<U>> = self
            .users
            .into_iter()
            .map(|(user, s)| UserActivity {
                user,
                first_seen: s.first_seen,
                last_seen: s.last_seen,
                events: s.events,
                amount: s.amount,
                active_periods: s.active.into_iter().collect(),
            })
            .collect();
        users.sort_by(|a, b| a.user.cmp(&b.user));
        ActivityReport { users }
    }
}

/// One period's totals in a [`PeriodReport`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PeriodRow {
    /// The calendar period.
    pub period: Period,
    /// Events in the period.
    pub events: u64,
    /// Sum of amounts in the period.
    pub revenue: f64,
    /// Events with a non-zero amount.
    pub payments: u64,
    /// Distinct users with at least one event.
    pub active_users: u64,
    /// Distinct users with at least one payment.
    pub paying_users: u64,
    /// Users whose first event (in the data folded) is in this period.
    pub new_users: u64,
}

/// The finished [`PeriodTotals`]: one row per period from the first to the last seen, periods
/// without events included (with zeros).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PeriodReport {
    /// Consecutive periods, oldest first.
    pub rows: Vec<PeriodRow>,
    /// Distinct users overall.
    pub users: u64,
    /// Events overall.
    pub events: u64,
    /// Revenue overall.
    pub revenue: f64,
}

impl fmt::Display for PeriodReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{:<10} {:>10} {:>12} {:>14} {:>10} {:>10}",
            "period", "events", "active users", "revenue", "payers", "new users"
        )?;
        for r in &self.rows {
            writeln!(
                f,
                "{:<10} {:>10} {:>12} {:>14.2} {:>10} {:>10}",
                r.period.to_string(),
                r.events,
                r.active_users,
                r.revenue,
                r.paying_users,
                r.new_users
            )?;
        }
        write!(
            f,
            "total: {} users, {} events, revenue {:.2}",
            self.users, self.events, self.revenue
        )
    }
}

#[derive(Debug, Clone)]
struct PeriodState<U> {
    events: u64,
    revenue: f64,
    payments: u64,
    active: HashSet<U>,
    paying: HashSet<U>,
}

impl<U> Default for PeriodState<U> {
    fn default() -> Self {
        PeriodState {
            events: 0,
            revenue: 0.0,
            payments: 0,
            active: HashSet::new(),
            paying: HashSet::new(),
        }
    }
}

/// Per-period totals: events, revenue, payments, active users, paying users, new users.
///
/// Memory is proportional to active user-periods (distinct users are counted exactly).
/// See the [module docs](self) for an example.
#[derive(Debug, Clone)]
pub struct PeriodTotals<U, Tz: TimeZone = crate::time::Zone> {
    calendar: Calendar<Tz>,
    periods: BTreeMap<Period, PeriodState<U>>,
    first_seen: UserMap<U, DateTime<Utc>>,
}

impl<U: Eq + Hash, Tz: TimeZone> PeriodTotals<U, Tz> {
    /// An empty summary with periods of `calendar`.
    ///
    /// ```
    /// let t = userops::activity::PeriodTotals::<u64, _>::new(
    ///     userops::time::Calendar::new(chrono::Utc, userops::time::Interval::Month));
    /// # let _ = t;
    /// ```
    pub fn new(calendar: Calendar<Tz>) -> Self {
        PeriodTotals {
            calendar,
            periods: BTreeMap::new(),
            first_seen: UserMap::default(),
        }
    }
}

impl<E, Tz> Fold<E> for PeriodTotals<E::User, Tz>
where
    E: Event,
    Tz: TimeZone + PartialEq,
{
    fn observe(&mut self, event: &E) -> Result<()> {
        let amount = checked_amount(event)?;
        let at = event.at();
        let p = self.periods.entry(self.calendar.period_of(at)).or_default();
        p.events += 1;
        p.revenue += amount;
        if amount != 0.0 {
            p.payments += 1;
            if !p.paying.contains(event.user()) {
                p.paying.insert(event.user().clone());
            }
        }
        if !p.active.contains(event.user()) {
            p.active.insert(event.user().clone());
        }
        match self.first_seen.get_mut(event.user()) {
            Some(f) => *f = (*f).min(at),
            None => {
                self.first_seen.insert(event.user().clone(), at);
            }
        }
        Ok(())
    }
}

impl<U: Clone + Eq + Hash, Tz: TimeZone + PartialEq> Summary for PeriodTotals<U, Tz> {
    type Output = PeriodReport;

    fn merge(&mut self, other: Self) -> Result<()> {
        if self.calendar != other.calendar {
            return Err(Error::MergeMismatch(
                "period totals use different calendars".into(),
            ));
        }
        for (period, o) in other.periods {
            let p = self.periods.entry(period).or_default();
            p.events += o.events;
            p.revenue += o.revenue;
            p.payments += o.payments;
            p.active.extend(o.active);
            p.paying.extend(o.paying);
        }
        for (u, at) in other.first_seen {
            let f = self.first_seen.entry(u).or_insert(at);
            *f = (*f).min(at);
        }
        Ok(())
    }

    fn finish(self) -> PeriodReport {
        let mut new_by_period: BTreeMap<Period, u64> = BTreeMap::new();
        for at in self.first_seen.values() {
            *new_by_period
                .entry(self.calendar.period_of(*at))
                .or_default() += 1;
        }
        let mut rows = Vec::new();
        if let (Some(first), Some(last)) = (
            self.periods.keys().next().copied(),
            self.periods.keys().next_back().copied(),
        ) {
            let n = first.periods_until(&last);
            for i in 0..=n {
                let period = first.offset(i);
                let row = match self.periods.get(&period) {
                    Some(s) => PeriodRow {
                        period,
                        events: s.events,
                        revenue: s.revenue,
                        payments: s.payments,
                        active_users: s.active.len() as u64,
                        paying_users: s.paying.len() as u64,
                        new_users: new_by_period.get(&period).copied().unwrap_or(0),
                    },
                    None => PeriodRow {
                        period,
                        events: 0,
                        revenue: 0.0,
                        payments: 0,
                        active_users: 0,
                        paying_users: 0,
                        new_users: 0,
                    },
                };
                rows.push(row);
            }
        }
        PeriodReport {
            users: self.first_seen.len() as u64,
            events: rows.iter().map(|r| r.events).sum(),
            revenue: rows.iter().map(|r| r.revenue).sum(),
            rows,
        }
    }
}
