//! Stickiness: users by number of active periods in a range.

use std::fmt;
use std::hash::Hash;

use serde::{Deserialize, Serialize};

use super::bits::{self, LastPeriod, words_for};
use super::params::{EventsPerPeriod, StickinessSpec};
use crate::engine::{RowParts, UserRows};
use crate::event::{Event, checked_at};
use crate::fold::{Fold, Summary};
use crate::time::Interval;
use crate::{Error, Result};

/// The stickiness fold: per user, the periods of the range in which they did the event (one
/// bit per period), or, when a period needs more than one event, the count per period.
///
/// The partial state serializes with serde as `{"spec", "active": {"users", "cells"},
/// "counts": {"users", "cells"}, "events_outside", "events_unmatched"}` and deserializes back
/// to an equal summary, checked (rows of the wrong width, bits past the range, or rows of the
/// kind the criterion does not use are an error).
///
/// ```
/// use chrono::{TimeZone, Utc};
/// use userops::event::EventRecord;
/// use userops::fold::{fold, Summary};
/// use userops::retention::{StickinessParams, StickinessSummary};
/// use userops::time::{Calendar, Interval};
///
/// let day = |d| Utc.with_ymd_and_hms(2025, 1, d, 12, 0, 0).unwrap();
/// let log: Vec<EventRecord<u32>> = [(1_u32, 1), (1, 2), (1, 2), (2, 3)]
///     .into_iter()
///     .map(|(u, d)| EventRecord::new(u, day(d)))
///     .collect();
/// let spec = StickinessParams::new(Calendar::new(Utc, Interval::Day), day(1), day(3)).check()?;
/// let report = fold(StickinessSummary::new(spec), &log)?.finish()?;
/// assert_eq!(report.users, [1, 1, 0]);      // one user active 1 day, one active 2 days
/// assert_eq!(report.cumulative, [2, 1, 0]); // 2 users active 1+ days, 1 active 2+ days
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct StickinessSummary<U> {
    spec: StickinessSpec,
    /// Per user: active-period bits (when one event makes a period count).
    active: UserRows<U, u64>,
    /// Per user and period: events, when a period needs more than "at least one".
    counts: UserRows<U, u32>,
    events_outside: u64,
    events_unmatched: u64,
    /// The period of the last event (a lookup cache, not state).
    last_period: LastPeriod,
}

impl<U: Clone + Eq + Hash + Ord> StickinessSummary<U> {
    /// An empty summary for checked settings.
    ///
    /// ```
    /// use userops::retention::{StickinessParams, StickinessSummary};
    /// let spec = StickinessParams::new(userops::time::Calendar::new(chrono::Utc, userops::time::Interval::Day),
    ///     chrono::DateTime::UNIX_EPOCH, chrono::DateTime::UNIX_EPOCH).check()?;
    /// let _s = StickinessSummary::<u64>::new(spec);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn new(spec: StickinessSpec) -> Self {
        let words = words_for(spec.periods());
        let periods = spec.periods();
        StickinessSummary {
            spec,
            active: UserRows::new(vec![0; words]),
            counts: UserRows::new(vec![0; periods]),
            events_outside: 0,
            events_unmatched: 0,
            last_period: LastPeriod::default(),
        }
    }
}

impl<E: Event> Fold<E> for StickinessSummary<E::User> {
    #[inline]
    fn observe(&mut self, event: &E) -> Result<()> {
        if !self.spec.event.matches(event.name()) {
            self.events_unmatched += 1;
            return Ok(());
        }
        let ms = checked_at(event)?.timestamp_millis();
        let index = if ms < self.spec.end_ms {
            self.last_period.index_of(&self.spec.grid, ms)
        } else {
            None
        };
        let Some(i) = index else {
            self.events_outside += 1;
            return Ok(());
        };
        if self.spec.criterion == EventsPerPeriod::AtLeast(1) {
            let user = self.active.index(event.user())?;
            bits::set(self.active.row_mut(user), i);
        } else {
            let user = self.counts.index(event.user())?;
            if let Some(c) = self.counts.row_mut(user).get_mut(i) {
                *c = c.saturating_add(1);
            }
        }
        Ok(())
    }
}

impl<U: Clone + Eq + Hash + Ord> Summary for StickinessSummary<U> {
    type Output = StickinessReport;

    fn merge(&mut self, other: Self) -> Result<()> {
        if self.spec != other.spec {
            return Err(Error::MergeMismatch(
                "stickiness summaries use different settings (range, event or criteria)".into(),
            ));
        }
        // One of the two is empty on both sides (the settings say which).
        self.active.merge(&other.active, bits::or_into)?;
        self.counts.merge(&other.counts, |mine, theirs| {
            for (m, t) in mine.iter_mut().zip(theirs) {
                *m = m.saturating_add(*t);
            }
        })?;
        self.events_outside += other.events_outside;
        self.events_unmatched += other.events_unmatched;
        Ok(())
    }

    fn finish(self) -> Result<StickinessReport> {
        let n = self.spec.periods();
        let mut users = vec![0_u64; n];
        let mut tally = |active: usize| {
            if active > 0 {
                if let Some(c) = users.get_mut(active - 1) {
                    *c += 1;
                }
            }
        };
        for w in self.active.rows() {
            tally(bits::count(w));
        }
        let criterion = self.spec.criterion;
        for row in self.counts.rows() {
            tally(row.iter().filter(|c| criterion.accepts(**c)).count());
        }
        let mut cumulative = users.clone();
        for k in (0..n.saturating_sub(1)).rev() {
            if let (Some(next), Some(c)) = (cumulative.get(k + 1).copied(), cumulative.get_mut(k)) {
                *c += next;
            }
        }
        Ok(StickinessReport {
            interval: self.spec.interval,
            event: self.spec.event.to_string(),
            events_per_period: criterion,
            periods: self
                .spec
                .grid
                .periods()
                .iter()
                .map(ToString::to_string)
                .collect(),
            total_users: users.iter().sum(),
            users,
            cumulative,
            events_outside_range: self.events_outside,
            events_unmatched: self.events_unmatched,
        })
    }
}

impl<U: PartialEq> PartialEq for StickinessSummary<U> {
    /// Same settings, users, rows and event counts (the period lookup cache aside).
    fn eq(&self, other: &Self) -> bool {
        self.spec == other.spec
            && self.active == other.active
            && self.counts == other.counts
            && self.events_outside == other.events_outside
            && self.events_unmatched == other.events_unmatched
    }
}

#[derive(Serialize)]
struct StickinessStateRef<'a, U> {
    spec: &'a StickinessSpec,
    active: &'a UserRows<U, u64>,
    counts: &'a UserRows<U, u32>,
    events_outside: u64,
    events_unmatched: u64,
}

#[derive(Deserialize)]
#[serde(bound(deserialize = "U: Deserialize<'de>"))]
struct StickinessState<U> {
    spec: StickinessSpec,
    active: RowParts<U, u64>,
    counts: RowParts<U, u32>,
    events_outside: u64,
    events_unmatched: u64,
}

impl<U: Serialize> Serialize for StickinessSummary<U> {
    fn serialize<S: serde::Serializer>(
        &self,
        serializer: S,
    ) -> std::result::Result<S::Ok, S::Error> {
        StickinessStateRef {
            spec: &self.spec,
            active: &self.active,
            counts: &self.counts,
            events_outside: self.events_outside,
            events_unmatched: self.events_unmatched,
        }
        .serialize(serializer)
    }
}

impl<'de, U> Deserialize<'de> for StickinessSummary<U>
where
    U: Deserialize<'de> + Clone + Eq + Hash + Ord,
{
    fn deserialize<D: serde::Deserializer<'de>>(
        deserializer: D,
    ) -> std::result::Result<Self, D::Error> {
        use serde::de::Error as _;
        let state = StickinessState::<U>::deserialize(deserializer)?;
        let mut s = StickinessSummary::new(state.spec);
        s.active = state
            .active
            .rows(s.active.template().to_vec())
            .map_err(D::Error::custom)?;
        s.counts = state
            .counts
            .rows(s.counts.template().to_vec())
            .map_err(D::Error::custom)?;
        let n = s.spec.periods();
        let bits_only = s.spec.criterion == EventsPerPeriod::AtLeast(1);
        let fits = (bits_only || s.active.is_empty())
            && (!bits_only || s.counts.is_empty())
            && s.active.rows().all(|row| bits::none_from(row, n));
        if !fits {
            return Err(D::Error::custom(
                "stickiness state: a period past the range, or rows the criterion does not use",
            ));
        }
        s.events_outside = state.events_outside;
        s.events_unmatched = state.events_unmatched;
        Ok(s)
    }
}

/// Users by number of active periods.
///
/// ```
/// use userops::retention::StickinessReport;
/// let r = StickinessReport {
///     interval: userops::time::Interval::Day, event: "*".into(),
///     events_per_period: userops::retention::EventsPerPeriod::AtLeast(1),
///     periods: vec!["2025-01-01".into(), "2025-01-02".into()],
///     users: vec![3, 1], cumulative: vec![4, 1], total_users: 4,
///     events_outside_range: 0, events_unmatched: 0,
/// };
/// assert!(r.to_string().contains("2 days"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StickinessReport {
    /// The period interval.
    pub interval: Interval,
    /// The event (`*` = any).
    pub event: String,
    /// Events that made a period count.
    pub events_per_period: EventsPerPeriod,
    /// The range's periods, oldest first.
    pub periods: Vec<String>,
    /// `users[k - 1]`: users active in exactly `k` periods (PostHog's `data`).
    pub users: Vec<u64>,
    /// `cumulative[k - 1]`: users active in `k` or more periods (PostHog's cumulative mode).
    pub cumulative: Vec<u64>,
    /// Users active in at least one period (PostHog's `count`).
    pub total_users: u64,
    /// Matching events outside the range.
    pub events_outside_range: u64,
    /// Events with another name.
    pub events_unmatched: u64,
}

impl fmt::Display for StickinessReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let unit = match self.interval {
            Interval::Day => "day",
            Interval::Week(_) => "week",
            Interval::Month => "month",
        };
        let criterion = if self.events_per_period == EventsPerPeriod::AtLeast(1) {
            String::new()
        } else {
            format!(" ({} events a {unit})", self.events_per_period)
        };
        writeln!(
            f,
            "stickiness of {:?}{criterion} over {} {unit}s ({} to {}): {} users",
            self.event,
            self.periods.len(),
            self.periods.first().map_or("-", String::as_str),
            self.periods.last().map_or("-", String::as_str),
            self.total_users
        )?;
        writeln!(
            f,
            "{:<12} {:>10} {:>8} {:>12}",
            "active", "users", "share", "k or more"
        )?;
        for (k, (u, c)) in self.users.iter().zip(&self.cumulative).enumerate() {
            let share = if self.total_users > 0 {
                format!("{:.1}%", *u as f64 * 100.0 / self.total_users as f64)
            } else {
                "-".to_string()
            };
            let label = format!("{} {unit}{}", k + 1, if k == 0 { "" } else { "s" });
            write!(f, "{label:<12} {u:>10} {share:>8} {c:>12}")?;
            if k + 1 < self.users.len() {
                writeln!(f)?;
            }
        }
        Ok(())
    }
}
