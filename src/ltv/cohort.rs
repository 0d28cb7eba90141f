//! The acquisition ledger and realized cohort LTV.
//!
//! [`CohortSummary`] is a mergeable fold keyed by user. For each user it keeps the first-seen
//! instant and, for every calendar period in which the user had an event, the revenue of that
//! period and whether the user paid in it. That one small state answers every question of unit
//! economics:
//!
//! * which period a user was **acquired** in (the period of the first event, or of the sign-up
//!   when the host has one: [`CohortLedger::use_sign_up`]);
//! * who was **active** and who **paid** in each period (ARPU, ARPPU and churn in
//!   [`super::economics`]);
//! * the **realized cohort LTV** ([`cohort_ltv`]): cumulative revenue per acquired user by
//!   periods since acquisition, per cohort and per acquisition channel.
//!
//! A cohort's size counts every user acquired in it, including those who never paid, so the
//! cohort LTV is revenue per *acquired* user — the figure to hold against the cost of
//! acquiring a user. Users with no event at all are invisible to any fold: a host that wants
//! them counted emits a sign-up event for each user (the sample data does).
//!
//! ```
//! use chrono::{TimeZone, Utc};
//! use userops::event::EventRecord;
//! use userops::fold::{fold, Summary};
//! use userops::ltv::cohort::{cohort_ltv, CohortSummary};
//! use userops::time::{Calendar, Interval};
//!
//! let at = |m, d| Utc.with_ymd_and_hms(2025, m, d, 12, 0, 0).unwrap();
//! let log = vec![
//!     EventRecord::<u32>::new(1_u32, at(1, 3)).with_amount(10.0), // ana pays 10 in January ...
//!     EventRecord::new(1_u32, at(2, 3)).with_amount(5.0),          // ... and 5 in February
//!     EventRecord::new(2_u32, at(1, 9)),                           // bo signs up, never pays
//! ];
//! let as_of = at(2, 28);
//! let ledger = fold(CohortSummary::new(Calendar::new(Utc, Interval::Month), as_of), &log)?.finish()?;
//! let report = cohort_ltv(&ledger, None)?;
//! // The January cohort has 2 users: (10) / 2 = 5 per user in month 0, (10 + 5) / 2 = 7.5 by month 1.
//! assert_eq!(report.cohorts[0].users, 2);
//! assert_eq!(report.cohorts[0].ltv, vec![5.0, 7.5]);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::collections::BTreeMap;
use std::fmt;
use std::hash::Hash;

use chrono::{DateTime, TimeZone, Utc};
use serde::{Deserialize, Serialize};

use crate::engine::PerUser;
use crate::event::{Event, SignUp, UserAttribute, checked_amount, checked_at};
use crate::fold::{Fold, Summary};
use crate::time::{Calendar, Interval, NamedZone, Period, PeriodGrid, Zone};
use crate::{Error, Result};

/// The group name of users whose channel the host's [`UserAttribute`] does not know.
///
/// ```
/// assert_eq!(userops::ltv::cohort::UNKNOWN_CHANNEL, "(unknown)");
/// ```
pub const UNKNOWN_CHANNEL: &str = "(unknown)";

/// One user's activity in one calendar period, as the ledger keeps it.
///
/// ```
/// use chrono::NaiveDate;
/// use userops::ltv::cohort::PeriodCell;
/// use userops::time::{Interval, Period};
/// let cell = PeriodCell {
///     period: Period::containing(NaiveDate::from_ymd_opt(2025, 1, 1).unwrap(), Interval::Month),
///     revenue: 12.0,
///     paid: true,
/// };
/// assert!(cell.paid);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct PeriodCell {
    /// The calendar period.
    pub period: Period,
    /// Sum of the user's amounts in the period (refunds, being negative, lower it).
    pub revenue: f64,
    /// Whether the user had at least one event with a positive amount in the period.
    pub paid: bool,
}

/// One user's row in a [`CohortLedger`].
///
/// ```
/// # use chrono::{TimeZone, Utc};
/// # use userops::event::EventRecord;
/// # use userops::fold::{fold, Summary};
/// # use userops::ltv::cohort::CohortSummary;
/// # use userops::time::{Calendar, Interval};
/// let t = Utc.with_ymd_and_hms(2025, 3, 5, 0, 0, 0).unwrap();
/// let log = vec![EventRecord::<u8>::new(7_u8, t).with_amount(4.0)];
/// let ledger = fold(CohortSummary::new(Calendar::new(Utc, Interval::Month), t), &log)?.finish()?;
/// let row = &ledger.users[0];
/// assert_eq!((row.user, row.acquired.to_string(), row.periods.len()), (7, "2025-03".to_string(), 1));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LedgerRow<U> {
    /// The user.
    pub user: U,
    /// The instant of the user's first event.
    pub first_seen: DateTime<Utc>,
    /// The acquisition period: the period of the first event, or of the sign-up after
    /// [`CohortLedger::use_sign_up`].
    pub acquired: Period,
    /// The periods in which the user had at least one event, oldest first.
    pub periods: Vec<PeriodCell>,
}

impl<U> LedgerRow<U> {
    /// Whether the user ever paid (a positive amount in some period).
    ///
    /// ```
    /// # use chrono::{TimeZone, Utc};
    /// # use userops::event::EventRecord;
    /// # use userops::fold::{fold, Summary};
    /// # use userops::ltv::cohort::CohortSummary;
    /// # use userops::time::{Calendar, Interval};
    /// # let t = Utc.with_ymd_and_hms(2025, 3, 5, 0, 0, 0).unwrap();
    /// let log = vec![EventRecord::<u8>::new(1_u8, t), EventRecord::new(2_u8, t).with_amount(1.0)];
    /// let ledger = fold(CohortSummary::new(Calendar::new(Utc, Interval::Month), t), &log)?.finish()?;
    /// assert!(!ledger.users[0].ever_paid());
    /// assert!(ledger.users[1].ever_paid());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn ever_paid(&self) -> bool {
        self.periods.iter().any(|c| c.paid)
    }
}

/// The finished [`CohortSummary`]: one row per user (ordered by user), with the calendar
/// interval and the as-of instant it was built with.
///
/// ```
/// # use chrono::{TimeZone, Utc};
/// # use userops::event::EventRecord;
/// # use userops::fold::{fold, Summary};
/// # use userops::ltv::cohort::CohortSummary;
/// # use userops::time::{Calendar, Interval};
/// let t = Utc.with_ymd_and_hms(2025, 3, 5, 0, 0, 0).unwrap();
/// let log = vec![EventRecord::<u8>::new(2_u8, t), EventRecord::new(1_u8, t)];
/// let ledger = fold(CohortSummary::new(Calendar::new(Utc, Interval::Month), t), &log)?.finish()?;
/// assert_eq!(ledger.len(), 2);
/// assert_eq!(ledger.users[0].user, 1); // ordered by user
/// assert_eq!(ledger.as_of_period.to_string(), "2025-03");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CohortLedger<U> {
    /// The calendar interval of the periods.
    pub interval: Interval,
    /// The as-of instant (no event after it was folded).
    pub as_of: DateTime<Utc>,
    /// The period containing the as-of instant: the last period of every report (possibly
    /// still in progress).
    pub as_of_period: Period,
    /// One row per user, ordered by user.
    pub users: Vec<LedgerRow<U>>,
}

impl<U> CohortLedger<U> {
    /// Number of users.
    ///
    /// ```
    /// let ledger = userops::ltv::cohort::CohortLedger::<u8> {
    ///     interval: userops::time::Interval::Month,
    ///     as_of: chrono::DateTime::UNIX_EPOCH,
    ///     as_of_period: userops::time::Period::containing(chrono::NaiveDate::MIN, userops::time::Interval::Month),
    ///     users: vec![],
    /// };
    /// assert_eq!(ledger.len(), 0);
    /// ```
    #[must_use]
    pub fn len(&self) -> usize {
        self.users.len()
    }

    /// Whether the ledger has no user.
    ///
    /// ```
    /// let ledger = userops::ltv::cohort::CohortLedger::<u8> {
    ///     interval: userops::time::Interval::Month,
    ///     as_of: chrono::DateTime::UNIX_EPOCH,
    ///     as_of_period: userops::time::Period::containing(chrono::NaiveDate::MIN, userops::time::Interval::Month),
    ///     users: vec![],
    /// };
    /// assert!(ledger.is_empty());
    /// ```
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.users.is_empty()
    }

    /// Re-keys each user's acquisition period to the period of their sign-up, where the host
    /// knows it (users without a sign-up keep their first-seen period). Returns how many users
    /// were re-keyed.
    ///
    /// Revenue in periods before a (late) sign-up counts as revenue of the acquisition
    /// period itself (period 0), so nothing is dropped.
    ///
    /// # Errors
    /// * [`Error::InvalidParameter`] (`calendar`) when `calendar` has another interval or
    ///   puts the as-of instant in another period than the calendar the ledger was built with;
    /// * [`Error::AfterAsOf`] when a sign-up is after the as-of instant.
    ///
    /// On error the ledger is unchanged.
    ///
    /// ```
    /// use std::collections::HashMap;
    /// use chrono::{TimeZone, Utc};
    /// # use userops::event::EventRecord;
    /// # use userops::fold::{fold, Summary};
    /// # use userops::ltv::cohort::CohortSummary;
    /// # use userops::time::{Calendar, Interval};
    /// let cal = Calendar::new(Utc, Interval::Month);
    /// let mar = Utc.with_ymd_and_hms(2025, 3, 5, 0, 0, 0).unwrap();
    /// let log = vec![EventRecord::<u8>::new(1_u8, mar)];
    /// let mut ledger = fold(CohortSummary::new(cal.clone(), mar), &log)?.finish()?;
    /// let signups: HashMap<u8, _> = [(1, Utc.with_ymd_and_hms(2025, 1, 20, 0, 0, 0).unwrap())].into();
    /// assert_eq!(ledger.use_sign_up(&signups, &cal)?, 1);
    /// assert_eq!(ledger.users[0].acquired.to_string(), "2025-01");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn use_sign_up<Tz: TimeZone>(
        &mut self,
        signups: &dyn SignUp<U>,
        calendar: &Calendar<Tz>,
    ) -> Result<usize>
    where
        U: fmt::Debug,
    {
        if calendar.interval() != self.interval
            || calendar.period_of(self.as_of) != self.as_of_period
        {
            return Err(Error::invalid(
                "calendar",
                "differs from the calendar the ledger was built with (interval or zone); pass the same calendar",
            ));
        }
        let mut acquired = Vec::with_capacity(self.users.len());
        for row in &self.users {
            match signups.signed_up(&row.user) {
                Some(t) if t > self.as_of => {
                    return Err(Error::AfterAsOf {
                        at: t.to_rfc3339(),
                        as_of: self.as_of.to_rfc3339(),
                        user: format!("{:?}", row.user),
                    });
                }
                Some(t) => acquired.push(Some(calendar.period_of(t))),
                None => acquired.push(None),
            }
        }
        let mut n = 0;
        for (row, p) in self.users.iter_mut().zip(acquired) {
            if let Some(p) = p {
                row.acquired = p;
                n += 1;
            }
        }
        Ok(n)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct LedgerState {
    first_seen: DateTime<Utc>,
    periods: Vec<PeriodCell>,
}

impl LedgerState {
    #[inline]
    fn add(&mut self, at: DateTime<Utc>, cell: PeriodCell) {
        if at < self.first_seen {
            self.first_seen = at;
        }
        match self.periods.last_mut() {
            Some(last) if last.period == cell.period => {
                last.revenue += cell.revenue;
                last.paid |= cell.paid;
            }
            Some(last) if last.period > cell.period => {
                match self
                    .periods
                    .binary_search_by(|c| c.period.cmp(&cell.period))
                {
                    Ok(i) => {
                        if let Some(c) = self.periods.get_mut(i) {
                            c.revenue += cell.revenue;
                            c.paid |= cell.paid;
                        }
                    }
                    Err(i) => self.periods.insert(i, cell),
                }
            }
            _ => self.periods.push(cell),
        }
    }

    fn absorb(&mut self, other: LedgerState) {
        let first = other.first_seen;
        for cell in other.periods {
            self.add(first, cell);
        }
    }
}

/// The acquisition ledger as a mergeable fold: per user, the first-seen instant and the
/// revenue and paid flag of each active period. Finishes into a [`CohortLedger`].
///
/// Events after the explicit as-of instant are rejected ([`Error::AfterAsOf`]); NaN or
/// infinite amounts are rejected ([`Error::NonFinite`]); negative amounts are refunds and
/// lower the period's revenue. Amounts so large that a period's revenue overflows `f64`
/// (beyond 1.8e308) leave an infinite revenue in the ledger, and every report on it
/// ([`cohort_ltv`], [`super::economics`]) is then [`Error::NonFinite`] naming `revenue`.
///
/// Memory is one small vector per user (24 bytes per active period). Users live in the
/// engine's user dictionary ([`crate::engine::PerUser`]): a run of one user's events costs
/// one comparison, users in ascending order no hashing.
///
/// The partial state serializes (serde) as its calendar, as-of instant and, per user, the
/// first-seen instant and period cells; deserializing checks that a fold could have made it.
///
/// ```
/// use chrono::{TimeZone, Utc};
/// use userops::fold::{fold, Summary};
/// use userops::ltv::cohort::CohortSummary;
/// use userops::sample::{generate, SampleConfig};
/// use userops::time::{Calendar, Interval, Zone};
///
/// let data = generate(&SampleConfig::new(300).months(6))?;
/// let as_of = data.end - chrono::TimeDelta::milliseconds(1);
/// let ledger = fold(CohortSummary::new(Calendar::new(Zone::Utc, Interval::Month), as_of), &data.events)?
///     .finish()?;
/// assert_eq!(ledger.len(), 300); // every sample user has a sign-up event
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(
    bound(
        serialize = "U: Serialize, Tz: NamedZone",
        deserialize = "U: Deserialize<'de> + Clone + Eq + Hash + Ord, Tz: NamedZone"
    ),
    try_from = "CohortParts<U, Tz>"
)]
pub struct CohortSummary<U, Tz: TimeZone = Zone> {
    calendar: Calendar<Tz>,
    as_of: DateTime<Utc>,
    users: PerUser<U, LedgerState>,
    /// A cache of period boundaries ending at the as-of period, grown backwards on demand, so
    /// that bucketing an event is a binary search instead of a time-zone conversion.
    #[serde(skip)]
    grid: Option<PeriodGrid>,
    /// The last period found in the grid, with its bounds in Unix milliseconds `[from, to)`:
    /// consecutive events of one user mostly fall in the same period.
    #[serde(skip)]
    last_hit: (i64, i64, Option<Period>),
}

/// A serialized [`CohortSummary`], checked on the way in.
#[derive(Deserialize)]
#[serde(bound(deserialize = "U: Deserialize<'de> + Clone + Eq + Hash + Ord, Tz: NamedZone"))]
struct CohortParts<U, Tz: TimeZone> {
    calendar: Calendar<Tz>,
    as_of: DateTime<Utc>,
    users: PerUser<U, LedgerState>,
}

impl<U: Eq + Hash, Tz: TimeZone> TryFrom<CohortParts<U, Tz>> for CohortSummary<U, Tz> {
    type Error = Error;

    /// Only a state a fold can make: each user's periods are periods of the calendar, in
    /// strictly increasing order, the first one the period of the first-seen instant, none
    /// after the as-of period.
    fn try_from(parts: CohortParts<U, Tz>) -> Result<Self> {
        let calendar = parts.calendar;
        let interval = calendar.interval();
        let last = calendar.period_of(parts.as_of);
        for s in parts.users.states() {
            let fits = s.first_seen <= parts.as_of
                && s.periods.first().map(|c| c.period) == Some(calendar.period_of(s.first_seen))
                && s.periods.windows(2).all(|w| w[0].period < w[1].period)
                && s.periods.iter().all(|c| {
                    c.period <= last && Period::containing(c.period.start(), interval) == c.period
                });
            if !fits {
                return Err(Error::invalid(
                    "users",
                    "a user's first-seen instant or periods are not ones a fold with this calendar and as-of instant makes",
                ));
            }
        }
        let mut summary = CohortSummary::new(calendar, parts.as_of);
        summary.users = parts.users;
        Ok(summary)
    }
}

/// The most periods the bucketing cache holds (beyond that, events are bucketed directly).
const MAX_GRID_PERIODS: i64 = 200_000;

impl<U: Eq + Hash, Tz: TimeZone> CohortSummary<U, Tz> {
    /// An empty ledger bucketing events with `calendar`, accepting events up to `as_of`
    /// (inclusive).
    ///
    /// ```
    /// let s = userops::ltv::cohort::CohortSummary::<u64, _>::new(
    ///     userops::time::Calendar::new(chrono::Utc, userops::time::Interval::Month),
    ///     chrono::DateTime::UNIX_EPOCH,
    /// );
    /// assert!(s.is_empty());
    /// ```
    pub fn new(calendar: Calendar<Tz>, as_of: DateTime<Utc>) -> Self {
        CohortSummary {
            calendar,
            as_of,
            users: PerUser::new(),
            grid: None,
            last_hit: (0, 0, None),
        }
    }

    /// Number of users seen so far.
    ///
    /// ```
    /// let s = userops::ltv::cohort::CohortSummary::<u64, _>::new(
    ///     userops::time::Calendar::new(chrono::Utc, userops::time::Interval::Month),
    ///     chrono::DateTime::UNIX_EPOCH,
    /// );
    /// assert_eq!(s.len(), 0);
    /// ```
    pub fn len(&self) -> usize {
        self.users.len()
    }

    /// Whether no user has been seen.
    ///
    /// ```
    /// let s = userops::ltv::cohort::CohortSummary::<u64, _>::new(
    ///     userops::time::Calendar::new(chrono::Utc, userops::time::Interval::Day),
    ///     chrono::DateTime::UNIX_EPOCH,
    /// );
    /// assert!(s.is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The period of `at` (not after the as-of instant), through the boundary cache.
    #[inline]
    fn period_of(&mut self, at: DateTime<Utc>) -> Period {
        let ms = at.timestamp_millis();
        if let (from, to, Some(p)) = self.last_hit {
            if from <= ms && ms < to {
                return p;
            }
        }
        if let Some(g) = &self.grid {
            if let Some(i) = g.index_of_millis(ms) {
                if let (Some(p), Some(from), Some(to)) =
                    (g.periods().get(i), g.bounds().get(i), g.bounds().get(i + 1))
                {
                    self.last_hit = (*from, *to, Some(*p));
                    return *p;
                }
            }
        }
        let period = self.calendar.period_of(at);
        // Grow the cache back to this period and as far again, so that events in any order
        // rebuild it only a logarithmic number of times.
        let last = self.calendar.period_of(self.as_of);
        let span = period.periods_until(&last).max(0);
        let held = self.grid.as_ref().map_or(0, |g| g.len() as i64);
        let back = span.max(held).saturating_mul(2).max(12);
        if back <= MAX_GRID_PERIODS {
            let from = self.calendar.start_of(&last.offset(-back));
            self.grid = self.calendar.grid(from, self.as_of).ok();
        }
        period
    }
}

impl<E, Tz> Fold<E> for CohortSummary<E::User, Tz>
where
    E: Event,
    Tz: TimeZone + PartialEq,
{
    fn observe(&mut self, event: &E) -> Result<()> {
        let amount = checked_amount(event)?;
        let at = checked_at(event)?;
        if at > self.as_of {
            return Err(Error::AfterAsOf {
                at: at.to_rfc3339(),
                as_of: self.as_of.to_rfc3339(),
                user: format!("{:?}", event.user()),
            });
        }
        let cell = PeriodCell {
            period: self.period_of(at),
            revenue: amount,
            paid: amount > 0.0,
        };
        let first_seen = || LedgerState {
            first_seen: at,
            periods: Vec::new(),
        };
        self.users.entry(event.user(), first_seen)?.add(at, cell);
        Ok(())
    }
}

impl<U: Clone + Eq + Hash + Ord, Tz: TimeZone + PartialEq> Summary for CohortSummary<U, Tz> {
    type Output = CohortLedger<U>;

    fn merge(&mut self, other: Self) -> Result<()> {
        if self.calendar != other.calendar {
            return Err(Error::MergeMismatch(
                "cohort summaries use different calendars".into(),
            ));
        }
        if self.as_of != other.as_of {
            return Err(Error::MergeMismatch(format!(
                "cohort summaries have different as-of instants ({} and {})",
                self.as_of.to_rfc3339(),
                other.as_of.to_rfc3339()
            )));
        }
        self.users.merge(other.users, LedgerState::absorb)
    }

    fn finish(self) -> Result<CohortLedger<U>> {
        let calendar = self.calendar;
        let mut users: Vec<LedgerRow<U>> = self
            .users
            .into_iter()
            .map(|(user, s)| LedgerRow {
                user,
                first_seen: s.first_seen,
                acquired: calendar.period_of(s.first_seen),
                periods: s.periods,
            })
            .collect();
        if !users.windows(2).all(|w| w[0].user < w[1].user) {
            users.sort_unstable_by(|a, b| a.user.cmp(&b.user));
        }
        Ok(CohortLedger {
            interval: calendar.interval(),
            as_of: self.as_of,
            as_of_period: calendar.period_of(self.as_of),
            users,
        })
    }
}

/// One row of a [`CohortLtvReport`]: a cohort, a channel, or a cohort within a channel.
///
/// `ltv[k]` is the realized cumulative revenue per acquired user through period `k` since
/// acquisition (`k = 0` is the acquisition period). For a single cohort the vector has one
/// entry per period from acquisition to the as-of period (the last one possibly still in
/// progress). For pooled rows (a channel over all its cohorts, the total) each period's
/// increment is the revenue per user of the cohorts old enough to have reached it, and the
/// increments are summed (the chain-ladder average): young cohorts do not pull the curve down,
/// and without refunds the curve never decreases.
///
/// ```
/// let row = userops::ltv::cohort::CohortLtvRow {
///     cohort: None, channel: Some("ads".into()), users: 10, paying_users: 3, ltv: vec![2.0, 3.5],
/// };
/// assert_eq!(row.ltv_at(1), Some(3.5));
/// assert_eq!(row.ltv_at(2), None); // not observed yet
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CohortLtvRow {
    /// The acquisition period (`None` for rows pooling cohorts).
    pub cohort: Option<Period>,
    /// The acquisition channel (`None` for rows pooling channels).
    pub channel: Option<String>,
    /// Users acquired (including those who never paid).
    pub users: u64,
    /// Users who paid at least once by the as-of instant.
    pub paying_users: u64,
    /// Cumulative revenue per acquired user by periods since acquisition.
    pub ltv: Vec<f64>,
}

impl CohortLtvRow {
    /// The cumulative revenue per user through period `k` since acquisition, if observed.
    ///
    /// ```
    /// let row = userops::ltv::cohort::CohortLtvRow {
    ///     cohort: None, channel: None, users: 1, paying_users: 1, ltv: vec![1.0],
    /// };
    /// assert_eq!(row.ltv_at(0), Some(1.0));
    /// ```
    #[must_use]
    pub fn ltv_at(&self, k: usize) -> Option<f64> {
        self.ltv.get(k).copied()
    }
}

/// Realized cohort LTV: cumulative revenue per acquired user by periods since acquisition,
/// per cohort, per channel and per cohort within a channel. Made by [`cohort_ltv`].
///
/// `Display` prints the cohort rows and the channel rows at milestone periods (0, 1, 2, 3,
/// 6, 9, 12, 18, 24, ...); the full vectors are in the data.
///
/// ```
/// # use chrono::{TimeZone, Utc};
/// # use userops::event::EventRecord;
/// # use userops::fold::{fold, Summary};
/// # use userops::ltv::cohort::{cohort_ltv, CohortSummary};
/// # use userops::time::{Calendar, Interval};
/// let t = Utc.with_ymd_and_hms(2025, 3, 5, 0, 0, 0).unwrap();
/// let log = vec![EventRecord::<u8>::new(1_u8, t).with_amount(8.0), EventRecord::new(2_u8, t)];
/// let ledger = fold(CohortSummary::new(Calendar::new(Utc, Interval::Month), t), &log)?.finish()?;
/// let report = cohort_ltv(&ledger, None)?;
/// assert_eq!(report.total.ltv, vec![4.0]); // 8 over 2 acquired users
/// assert!(report.to_string().contains("2025-03"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CohortLtvReport {
    /// The calendar interval ("periods since acquisition" are of this length).
    pub interval: Interval,
    /// The last period included (the one containing the as-of instant).
    pub as_of_period: Period,
    /// One row per acquisition cohort, all channels together, oldest first.
    pub cohorts: Vec<CohortLtvRow>,
    /// One row per channel, its cohorts pooled, by channel name.
    pub channels: Vec<CohortLtvRow>,
    /// One row per cohort and channel, by cohort then channel.
    pub cells: Vec<CohortLtvRow>,
    /// Every user: all cohorts and channels pooled.
    pub total: CohortLtvRow,
}

#[derive(Debug, Clone, Default)]
struct Acc {
    users: u64,
    payers: u64,
    /// Revenue by periods since acquisition (not cumulated).
    revenue: Vec<f64>,
}

impl Acc {
    fn add(&mut self, other: &Acc) {
        self.users += other.users;
        self.payers += other.payers;
        if self.revenue.len() < other.revenue.len() {
            self.revenue.resize(other.revenue.len(), 0.0);
        }
        for (a, b) in self.revenue.iter_mut().zip(&other.revenue) {
            *a += b;
        }
    }
}

/// Pools cohorts (each with its own age = `revenue.len()`) into one chain-ladder curve.
fn pooled<'a>(
    cohort: Option<Period>,
    channel: Option<String>,
    parts: impl Iterator<Item = &'a Acc>,
) -> CohortLtvRow {
    let mut users = 0_u64;
    let mut payers = 0_u64;
    let mut revenue: Vec<f64> = Vec::new();
    let mut eligible: Vec<u64> = Vec::new();
    for a in parts {
        users += a.users;
        payers += a.payers;
        if revenue.len() < a.revenue.len() {
            revenue.resize(a.revenue.len(), 0.0);
            eligible.resize(a.revenue.len(), 0);
        }
        for (k, r) in a.revenue.iter().enumerate() {
            if let (Some(sum), Some(n)) = (revenue.get_mut(k), eligible.get_mut(k)) {
                *sum += r;
                *n += a.users;
            }
        }
    }
    let mut cumulative = 0.0;
    let ltv = revenue
        .iter()
        .zip(&eligible)
        .map(|(r, n)| {
            if *n > 0 {
                cumulative += r / *n as f64;
            }
            cumulative
        })
        .collect();
    CohortLtvRow {
        cohort,
        channel,
        users,
        paying_users: payers,
        ltv,
    }
}

/// The realized cohort LTV table of a ledger: cumulative revenue per acquired user by periods
/// since acquisition, per acquisition cohort, per channel (when `channel` is given; users it
/// does not know go to [`UNKNOWN_CHANNEL`]) and per cohort within a channel.
///
/// A cohort's age is the number of periods from its acquisition period to the ledger's as-of
/// period; a cohort has `age + 1` values. Revenue of a user in a period before their
/// acquisition period (possible only after [`CohortLedger::use_sign_up`] with a late sign-up)
/// counts in period 0. The report holds one value per cohort and period of age, so its size
/// grows with the square of the span of periods: daily cohorts over decades are large (a
/// 10-year daily history is 3,653 cohorts and 6.7 million values); use weeks or months there.
///
/// # Errors
/// * [`Error::Empty`] when the ledger has no user;
/// * [`Error::NonFinite`] (`revenue`) when a cell's revenue in the ledger is not a finite
///   number, or when a sum of revenue overflows `f64` (amounts near 1e308).
///
/// ```
/// use std::collections::HashMap;
/// use chrono::{TimeZone, Utc};
/// use userops::event::EventRecord;
/// use userops::fold::{fold, Summary};
/// use userops::ltv::cohort::{cohort_ltv, CohortSummary};
/// use userops::time::{Calendar, Interval};
///
/// let at = |m| Utc.with_ymd_and_hms(2025, m, 10, 0, 0, 0).unwrap();
/// let log = vec![
///     EventRecord::<u8>::new(1_u8, at(1)).with_amount(6.0),
///     EventRecord::new(2_u8, at(2)).with_amount(4.0),
/// ];
/// let channel: HashMap<u8, String> = [(1, "ads".to_string())].into();
/// let ledger = fold(CohortSummary::new(Calendar::new(Utc, Interval::Month), at(2)), &log)?.finish()?;
/// let report = cohort_ltv(&ledger, Some(&channel))?;
/// assert_eq!(report.channels[0].channel.as_deref(), Some("(unknown)"));
/// assert_eq!(report.channels[1].channel.as_deref(), Some("ads"));
/// assert_eq!(report.channels[1].ltv, vec![6.0, 6.0]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn cohort_ltv<U>(
    ledger: &CohortLedger<U>,
    channel: Option<&dyn UserAttribute<U>>,
) -> Result<CohortLtvReport> {
    if ledger.is_empty() {
        return Err(Error::Empty("no users in the cohort ledger"));
    }
    check_revenue(ledger)?;
    let mut cells: BTreeMap<(Period, String), Acc> = BTreeMap::new();
    for row in &ledger.users {
        let name = channel
            .map(|c| {
                c.attribute(&row.user)
                    .unwrap_or_else(|| UNKNOWN_CHANNEL.into())
            })
            .unwrap_or_default();
        let age = usize::try_from(row.acquired.periods_until(&ledger.as_of_period)).unwrap_or(0);
        let acc = cells.entry((row.acquired, name)).or_default();
        if acc.revenue.len() < age + 1 {
            acc.revenue.resize(age + 1, 0.0);
        }
        acc.users += 1;
        acc.payers += u64::from(row.ever_paid());
        for cell in &row.periods {
            let k = usize::try_from(row.acquired.periods_until(&cell.period))
                .unwrap_or(0)
                .min(age);
            if let Some(r) = acc.revenue.get_mut(k) {
                *r += cell.revenue;
            }
        }
    }
    let named = channel.is_some();
    let mut by_cohort: BTreeMap<Period, Acc> = BTreeMap::new();
    let mut by_channel: BTreeMap<&str, Vec<&Acc>> = BTreeMap::new();
    for ((cohort, name), acc) in &cells {
        by_cohort.entry(*cohort).or_default().add(acc);
        by_channel.entry(name.as_str()).or_default().push(acc);
    }
    let cohorts = by_cohort
        .iter()
        .map(|(p, acc)| pooled(Some(*p), None, std::iter::once(acc)))
        .collect();
    let channels = if named {
        by_channel
            .iter()
            .map(|(name, accs)| pooled(None, Some((*name).to_string()), accs.iter().copied()))
            .collect()
    } else {
        Vec::new()
    };
    let cell_rows = if named {
        cells
            .iter()
            .map(|((p, name), acc)| pooled(Some(*p), Some(name.clone()), std::iter::once(acc)))
            .collect()
    } else {
        Vec::new()
    };
    let total = pooled(None, None, by_cohort.values());
    let report = CohortLtvReport {
        interval: ledger.interval,
        as_of_period: ledger.as_of_period,
        cohorts,
        channels,
        cells: cell_rows,
        total,
    };
    let rows = report
        .cohorts
        .iter()
        .chain(&report.channels)
        .chain(&report.cells);
    for row in rows.chain(std::iter::once(&report.total)) {
        if let Some(v) = row.ltv.iter().find(|v| !v.is_finite()) {
            return Err(revenue_overflow(*v));
        }
    }
    Ok(report)
}

/// Every cell of the ledger must hold a finite revenue (the fold keeps an overflowed sum as
/// infinity; a deserialized ledger may hold anything).
pub(crate) fn check_revenue<U>(ledger: &CohortLedger<U>) -> Result<()> {
    for (i, row) in ledger.users.iter().enumerate() {
        if let Some(c) = row.periods.iter().find(|c| !c.revenue.is_finite()) {
            return Err(Error::NonFinite {
                field: "revenue",
                value: c.revenue,
                user: format!("ledger row {i}, period {}", c.period),
            });
        }
    }
    Ok(())
}

/// A sum of revenue that overflowed `f64` (amounts near 1e308): no user to name.
pub(crate) fn revenue_overflow(value: f64) -> Error {
    Error::NonFinite {
        field: "revenue",
        value,
        user: String::new(),
    }
}

/// Periods since acquisition worth showing in a table: 0, 1, 2, 3, 6, 9, 12, 18, 24, 36, ...
fn milestones(len: usize) -> Vec<usize> {
    let mut out = Vec::new();
    let mut k = 0;
    while k < len {
        out.push(k);
        k = match k {
            0..=2 => k + 1,
            3..=11 => k + 3,
            12..=23 => k + 6,
            _ => k + 12,
        };
    }
    out
}

/// The one-letter prefix of period columns: `M3` = 3 months since acquisition.
pub(crate) fn period_letter(interval: Interval) -> char {
    match interval {
        Interval::Day => 'D',
        Interval::Week(_) => 'W',
        Interval::Month => 'M',
    }
}

fn write_rows(
    f: &mut fmt::Formatter<'_>,
    label: &str,
    rows: &[&CohortLtvRow],
    letter: char,
) -> fmt::Result {
    let len = rows.iter().map(|r| r.ltv.len()).max().unwrap_or(0);
    let cols = milestones(len);
    write!(f, "{label:<14} {:>8} {:>8}", "users", "payers")?;
    for k in &cols {
        write!(f, " {:>9}", format!("{letter}{k}"))?;
    }
    for r in rows {
        writeln!(f)?;
        let name = match (&r.cohort, &r.channel) {
            (Some(p), Some(c)) => format!("{p} {c}"),
            (Some(p), None) => p.to_string(),
            (None, Some(c)) => c.clone(),
            (None, None) => "all".to_string(),
        };
        write!(f, "{name:<14} {:>8} {:>8}", r.users, r.paying_users)?;
        for k in &cols {
            match r.ltv_at(*k) {
                Some(v) => write!(f, " {v:>9.2}")?,
                None => write!(f, " {:>9}", "")?,
            }
        }
    }
    Ok(())
}

impl fmt::Display for CohortLtvReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let letter = period_letter(self.interval);
        writeln!(
            f,
            "cumulative revenue per acquired user by {} since acquisition ({letter}0 = acquisition period), through {}",
            match self.interval {
                Interval::Day => "days",
                Interval::Week(_) => "weeks",
                Interval::Month => "months",
            },
            self.as_of_period
        )?;
        let mut rows: Vec<&CohortLtvRow> = self.cohorts.iter().collect();
        rows.push(&self.total);
        write_rows(f, "cohort", &rows, letter)?;
        if !self.channels.is_empty() {
            writeln!(f)?;
            writeln!(f)?;
            let mut rows: Vec<&CohortLtvRow> = self.channels.iter().collect();
            rows.push(&self.total);
            write_rows(f, "channel", &rows, letter)?;
            writeln!(f)?;
            write!(
                f,
                "({} cohort x channel rows in `cells`; pooled rows average each period over the cohorts old enough to reach it)",
                self.cells.len()
            )?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn milestones_are_sparse_after_three() {
        assert_eq!(milestones(0), Vec::<usize>::new());
        assert_eq!(milestones(4), vec![0, 1, 2, 3]);
        assert_eq!(milestones(25), vec![0, 1, 2, 3, 6, 9, 12, 18, 24]);
    }
}
