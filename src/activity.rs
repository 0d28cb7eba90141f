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
//! let months = fold(PeriodTotals::new(Calendar::new(Utc, Interval::Month)), &log)?.finish()?;
//! assert_eq!(months.rows[1].period.to_string(), "2025-02");
//! assert_eq!((months.rows[1].active_users, months.rows[1].new_users), (2, 1));
//! assert_eq!(months.rows[0].revenue, 10.0);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::hash::Hash;

use chrono::{DateTime, TimeZone, Utc};
use serde::{Deserialize, Serialize};

use crate::engine::{Dictionary, PerUser};
use crate::event::{Event, checked_amount, checked_at};
use crate::fold::{Fold, Summary};
use crate::time::{Calendar, NamedZone, Period};
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

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct ActivityState {
    first_seen: DateTime<Utc>,
    last_seen: DateTime<Utc>,
    events: u64,
    amount: f64,
    active: BTreeSet<Period>,
}

impl ActivityState {
    /// A user's state after their first event.
    fn first(at: DateTime<Utc>, amount: f64, period: Period) -> Self {
        ActivityState {
            first_seen: at,
            last_seen: at,
            events: 1,
            amount,
            active: BTreeSet::from([period]),
        }
    }

    /// Adds one more event.
    fn add(&mut self, at: DateTime<Utc>, amount: f64, period: Period) {
        self.first_seen = self.first_seen.min(at);
        self.last_seen = self.last_seen.max(at);
        self.events += 1;
        self.amount += amount;
        self.active.insert(period);
    }

    /// Adds the events of another part.
    fn absorb(&mut self, other: ActivityState) {
        self.first_seen = self.first_seen.min(other.first_seen);
        self.last_seen = self.last_seen.max(other.last_seen);
        self.events += other.events;
        self.amount += other.amount;
        self.active.extend(other.active);
    }

    /// Whether a fold with `calendar` could have made this state: at least one event, first
    /// seen no later than last seen, both in active periods of the calendar's interval.
    fn fits<Tz: TimeZone>(&self, calendar: &Calendar<Tz>) -> bool {
        let interval = calendar.interval();
        self.events >= 1
            && self.first_seen <= self.last_seen
            && self
                .active
                .iter()
                .all(|p| Period::containing(p.start(), interval) == *p)
            && self.active.contains(&calendar.period_of(self.first_seen))
            && self.active.contains(&calendar.period_of(self.last_seen))
    }
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
/// let report = fold(ActivitySummary::new(Calendar::new(Utc, Interval::Day)), &log)?.finish()?;
/// let ana = &report.users[0];
/// assert_eq!((ana.first_seen, ana.last_seen, ana.events, ana.amount), (at(1), at(3), 3, 4.0));
/// assert_eq!(ana.active_periods.len(), 2); // Jan 1 and Jan 3
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// The partial state serializes with serde as `{"calendar", "users": {"users", "states"}}`
/// (one state per user: `first_seen`, `last_seen`, `events`, `amount`, `active`) and
/// deserializes back to an equal summary, checked (a user without events, or whose first or
/// last event is not in one of their active periods, is an error).
#[derive(Debug, Clone, PartialEq)]
pub struct ActivitySummary<U, Tz: TimeZone = crate::time::Zone> {
    calendar: Calendar<Tz>,
    users: PerUser<U, ActivityState>,
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
            users: PerUser::new(),
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
        let at = checked_at(event)?;
        let period = self.calendar.period_of(at);
        let known = self.users.len();
        let user = self
            .users
            .index(event.user(), || ActivityState::first(at, amount, period))?
            as usize;
        if user < known {
            if let Some(state) = self.users.states_mut().get_mut(user) {
                state.add(at, amount, period);
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
        self.users.merge(other.users, ActivityState::absorb)
    }

    fn finish(self) -> Result<ActivityReport<U>> {
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
        Ok(ActivityReport { users })
    }
}

#[derive(Serialize)]
#[serde(bound(serialize = "U: Serialize, Tz: NamedZone"))]
struct ActivityStateRef<'a, U, Tz: NamedZone> {
    calendar: &'a Calendar<Tz>,
    users: &'a PerUser<U, ActivityState>,
}

#[derive(Deserialize)]
#[serde(bound(deserialize = "U: Deserialize<'de> + Clone + Eq + Hash + Ord, Tz: NamedZone"))]
struct ActivityStateParts<U, Tz: NamedZone> {
    calendar: Calendar<Tz>,
    users: PerUser<U, ActivityState>,
}

impl<U: Serialize, Tz: NamedZone> Serialize for ActivitySummary<U, Tz> {
    fn serialize<S: serde::Serializer>(
        &self,
        serializer: S,
    ) -> std::result::Result<S::Ok, S::Error> {
        ActivityStateRef {
            calendar: &self.calendar,
            users: &self.users,
        }
        .serialize(serializer)
    }
}

impl<'de, U, Tz> Deserialize<'de> for ActivitySummary<U, Tz>
where
    U: Deserialize<'de> + Clone + Eq + Hash + Ord,
    Tz: NamedZone,
{
    fn deserialize<D: serde::Deserializer<'de>>(
        deserializer: D,
    ) -> std::result::Result<Self, D::Error> {
        use serde::de::Error as _;
        let parts = ActivityStateParts::<U, Tz>::deserialize(deserializer)?;
        if !parts.users.states().iter().all(|s| s.fits(&parts.calendar)) {
            return Err(D::Error::custom(
                "activity summary: a user without events, or with first or last seen outside \
                 their active periods",
            ));
        }
        Ok(ActivitySummary {
            calendar: parts.calendar,
            users: parts.users,
        })
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

/// Users by index in a [`PeriodTotals`]' dictionary.
type UserSet = hashbrown::HashSet<u32, foldhash::fast::RandomState>;

#[derive(Debug, Clone, Default, PartialEq)]
struct PeriodState {
    events: u64,
    revenue: f64,
    payments: u64,
    /// Users (indices) with an event in the period.
    active: UserSet,
    /// Users (indices) with a payment in the period.
    paying: UserSet,
}

/// Per-period totals: events, revenue, payments, active users, paying users, new users.
///
/// Memory is proportional to active user-periods (distinct users are counted exactly): each
/// period keeps the indices of its active and paying users in the summary's user dictionary.
/// See the [module docs](self) for an example.
///
/// The partial state serializes with serde as `{"calendar", "users", "first_seen",
/// "periods"}` (the users in index order with each one's first event, then per period its
/// totals and the sorted indices of its active and paying users) and deserializes back to an
/// equal summary, checked (an index with no user, a paying user not active, a user not active
/// in the period of their first event: an error).
#[derive(Debug, Clone, PartialEq)]
pub struct PeriodTotals<U, Tz: TimeZone = crate::time::Zone> {
    calendar: Calendar<Tz>,
    periods: BTreeMap<Period, PeriodState>,
    users: Dictionary<U>,
    /// Per user (by index), the first event's instant.
    first_seen: Vec<DateTime<Utc>>,
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
            users: Dictionary::new(),
            first_seen: Vec::new(),
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
        let at = checked_at(event)?;
        let user = self.users.intern(event.user())?;
        match self.first_seen.get_mut(user as usize) {
            Some(first) => *first = (*first).min(at),
            None => self.first_seen.push(at),
        }
        let p = self.periods.entry(self.calendar.period_of(at)).or_default();
        p.events += 1;
        p.revenue += amount;
        if amount != 0.0 {
            p.payments += 1;
            p.paying.insert(user);
        }
        p.active.insert(user);
        Ok(())
    }
}

impl<U: Clone + Eq + Hash + Ord, Tz: TimeZone + PartialEq> Summary for PeriodTotals<U, Tz> {
    type Output = PeriodReport;

    fn merge(&mut self, other: Self) -> Result<()> {
        if self.calendar != other.calendar {
            return Err(Error::MergeMismatch(
                "period totals use different calendars".into(),
            ));
        }
        // Other's user indices -> this summary's.
        let map = self.users.absorb(&other.users)?;
        for (&to, at) in map.iter().zip(other.first_seen) {
            match self.first_seen.get_mut(to as usize) {
                Some(first) => *first = (*first).min(at),
                None => self.first_seen.push(at),
            }
        }
        let here = |users: &UserSet| -> Vec<u32> {
            users
                .iter()
                .filter_map(|u| map.get(*u as usize).copied())
                .collect()
        };
        for (period, o) in other.periods {
            let p = self.periods.entry(period).or_default();
            p.events += o.events;
            p.revenue += o.revenue;
            p.payments += o.payments;
            p.active.extend(here(&o.active));
            p.paying.extend(here(&o.paying));
        }
        Ok(())
    }

    fn finish(self) -> Result<PeriodReport> {
        let mut new_by_period: BTreeMap<Period, u64> = BTreeMap::new();
        for at in &self.first_seen {
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
        Ok(PeriodReport {
            users: self.first_seen.len() as u64,
            events: rows.iter().map(|r| r.events).sum(),
            revenue: rows.iter().map(|r| r.revenue).sum(),
            rows,
        })
    }
}

/// One period of a serialized [`PeriodTotals`].
#[derive(Serialize, Deserialize)]
struct PeriodParts {
    period: Period,
    events: u64,
    revenue: f64,
    payments: u64,
    active: Vec<u32>,
    paying: Vec<u32>,
}

/// The users of a set, in index order.
fn sorted(users: &UserSet) -> Vec<u32> {
    let mut v: Vec<u32> = users.iter().copied().collect();
    v.sort_unstable();
    v
}

#[derive(Serialize)]
#[serde(bound(serialize = "U: Serialize, Tz: NamedZone"))]
struct PeriodTotalsRef<'a, U, Tz: NamedZone> {
    calendar: &'a Calendar<Tz>,
    users: &'a Dictionary<U>,
    first_seen: &'a [DateTime<Utc>],
    periods: Vec<PeriodParts>,
}

#[derive(Deserialize)]
#[serde(bound(deserialize = "U: Deserialize<'de> + Clone + Eq + Hash + Ord, Tz: NamedZone"))]
struct PeriodTotalsParts<U, Tz: NamedZone> {
    calendar: Calendar<Tz>,
    users: Dictionary<U>,
    first_seen: Vec<DateTime<Utc>>,
    periods: Vec<PeriodParts>,
}

impl<U: Serialize, Tz: NamedZone> Serialize for PeriodTotals<U, Tz> {
    fn serialize<S: serde::Serializer>(
        &self,
        serializer: S,
    ) -> std::result::Result<S::Ok, S::Error> {
        PeriodTotalsRef {
            calendar: &self.calendar,
            users: &self.users,
            first_seen: &self.first_seen,
            periods: self
                .periods
                .iter()
                .map(|(period, p)| PeriodParts {
                    period: *period,
                    events: p.events,
                    revenue: p.revenue,
                    payments: p.payments,
                    active: sorted(&p.active),
                    paying: sorted(&p.paying),
                })
                .collect(),
        }
        .serialize(serializer)
    }
}

impl<'de, U, Tz> Deserialize<'de> for PeriodTotals<U, Tz>
where
    U: Deserialize<'de> + Clone + Eq + Hash + Ord,
    Tz: NamedZone,
{
    fn deserialize<D: serde::Deserializer<'de>>(
        deserializer: D,
    ) -> std::result::Result<Self, D::Error> {
        use serde::de::Error as _;
        let parts = PeriodTotalsParts::<U, Tz>::deserialize(deserializer)?;
        PeriodTotals::from_parts(parts).map_err(D::Error::custom)
    }
}

impl<U, Tz: NamedZone> PeriodTotals<U, Tz> {
    /// Period totals from their serialized parts, checked against what a fold can make.
    fn from_parts(parts: PeriodTotalsParts<U, Tz>) -> Result<Self> {
        let invalid = |what: &str| Error::invalid("period totals", what.to_string());
        let n = parts.users.len();
        if parts.first_seen.len() != n {
            return Err(invalid("not one first-seen instant per user"));
        }
        let interval = parts.calendar.interval();
        let mut periods = BTreeMap::new();
        for p in parts.periods {
            let increasing = |v: &[u32]| v.windows(2).all(|w| w[0] < w[1]);
            let fits = Period::containing(p.period.start(), interval) == p.period
                && increasing(&p.active)
                && increasing(&p.paying)
                && p.active.last().is_none_or(|u| (*u as usize) < n)
                && p.paying.iter().all(|u| p.active.binary_search(u).is_ok())
                && p.events >= p.active.len() as u64
                && p.events >= p.payments
                && p.payments >= p.paying.len() as u64;
            if !fits {
                return Err(invalid(
                    "a period of another interval, or its users or counts inconsistent",
                ));
            }
            let state = PeriodState {
                events: p.events,
                revenue: p.revenue,
                payments: p.payments,
                active: p.active.into_iter().collect(),
                paying: p.paying.into_iter().collect(),
            };
            if periods.insert(p.period, state).is_some() {
                return Err(invalid("a period appears twice"));
            }
        }
        // Indices from 0: the dictionary holds at most 2^32 - 1 users.
        let first_active = (0_u32..).zip(&parts.first_seen).all(|(u, at)| {
            periods
                .get(&parts.calendar.period_of(*at))
                .is_some_and(|p: &PeriodState| p.active.contains(&u))
        });
        if !first_active {
            return Err(invalid(
                "a user not active in the period of their first event",
            ));
        }
        Ok(PeriodTotals {
            calendar: parts.calendar,
            periods,
            users: parts.users,
            first_seen: parts.first_seen,
        })
    }
}
