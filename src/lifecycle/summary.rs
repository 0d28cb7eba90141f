//! The lifecycle fold: one activity bitmask per user over a window of calendar periods.

use std::hash::Hash;

use chrono::{DateTime, TimeZone, Utc};
use serde::{Deserialize, Serialize};

use crate::engine::{EventTable, RowParts, TablePart, TableUsers, UserRows};
use crate::event::{Event, UserAttribute, checked_at};
use crate::fold::{Fold, FoldTable, Summary};
use crate::time::{Calendar, NamedZone, Period, PeriodGrid, Zone};
use crate::{Error, Result};

/// No event before the window's lead period.
const NONE_BEFORE_MIN: i64 = i64::MAX;
const NONE_BEFORE_MAX: i64 = i64::MIN;

/// Per-user activity over a window of calendar periods, folded from events: the mergeable
/// state every lifecycle model starts from.
///
/// The window is the periods from the one containing `from` to the one containing `to`, both
/// included, plus one *lead* period just before `from` (PostHog reads it to tell "returning"
/// from "resurrecting" in the first period; the stage model reads it as the opening state).
/// Per user the summary keeps:
///
/// * one bit per window period (active or not): `users × (periods + 1)` bits, whatever the
///   number of events;
/// * the first and the last instant of any event *before* the lead period (history that decides
///   whether a user is new and how long they have been away at the window's start); kept for
///   every user once one has such history, not at all while none has (a window that covers
///   the whole log).
///
/// Events after the window only count for "first seen" (a user seen only after `to` is not
/// known by `to` and appears in no report). Events may come in any order; users are indexed
/// by the engine's dictionary ([`crate::engine::UserRows`]), in first-seen order.
///
/// The partial state serializes with serde as `{"calendar", "grid", "rows": {"users",
/// "cells"}, "first_before", "last_before"}` (the grid is the lead period and the window;
/// `cells` the activity words, user after user; the history columns empty or one Unix-ms
/// instant per user) and deserializes back to an equal summary, checked: a grid the calendar
/// would not lay out, an activity bit past the window or history after the lead period is an
/// error.
///
/// ```
/// use chrono::{TimeZone, Utc};
/// use userops::event::EventRecord;
/// use userops::fold::{fold, Summary};
/// use userops::lifecycle::{LifecycleSummary, StageParams};
/// use userops::time::{Calendar, Interval};
///
/// let at = |m, d| Utc.with_ymd_and_hms(2025, m, d, 12, 0, 0).unwrap();
/// let log = vec![
///     EventRecord::<u32>::new(1_u32, at(1, 5)),
///     EventRecord::new(1_u32, at(2, 5)),
///     EventRecord::new(2_u32, at(2, 9)),
/// ];
/// let cal = Calendar::new(Utc, Interval::Month);
/// let summary = LifecycleSummary::new(cal, at(1, 1), at(3, 31))?;
/// let activity = fold(summary, &log)?.finish()?;
/// let report = activity.stages(&StageParams::default(), None);
/// assert_eq!(report.rows[1].retained_new, 1); // user 1: new in January, back in February
/// assert_eq!(report.rows[1].new, 1); // user 2
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct LifecycleSummary<U, Tz: TimeZone = Zone> {
    calendar: Calendar<Tz>,
    /// Lead period + window periods.
    grid: PeriodGrid,
    /// The grid's boundaries as instants (compared without converting each event's time).
    bounds: Vec<DateTime<Utc>>,
    /// Per user, one bit per grid period in `u64` words (the lead period is bit 0).
    activity: UserRows<U, u64>,
    /// Per user, the first and last instant (Unix ms) before the lead period: both empty until
    /// some user has such history (a window that covers the whole log never needs them), then
    /// one entry per user.
    first_before: Vec<i64>,
    last_before: Vec<i64>,
    /// The last period hit, `[lo, hi)`, and its grid index (a lookup cache, not state).
    period_cache: (DateTime<Utc>, DateTime<Utc>, usize),
}

impl<U, Tz: TimeZone> LifecycleSummary<U, Tz> {
    /// An empty summary over `grid` (lead period first), a grid of `calendar`.
    fn over(calendar: Calendar<Tz>, grid: PeriodGrid) -> Self {
        let words = grid.len().div_ceil(64).max(1);
        let bounds = grid
            .bounds()
            .iter()
            .map(|ms| {
                DateTime::<Utc>::from_timestamp_millis(*ms).unwrap_or(if *ms < 0 {
                    DateTime::<Utc>::MIN_UTC
                } else {
                    DateTime::<Utc>::MAX_UTC
                })
            })
            .collect();
        LifecycleSummary {
            calendar,
            grid,
            bounds,
            activity: UserRows::new(vec![0; words]),
            first_before: Vec::new(),
            last_before: Vec::new(),
            period_cache: (DateTime::<Utc>::MAX_UTC, DateTime::<Utc>::MIN_UTC, 0),
        }
    }
}

impl<U: Clone + Eq + Hash + Ord, Tz: TimeZone> LifecycleSummary<U, Tz> {
    /// An empty summary over the periods of `calendar` from the one containing `from` to the
    /// one containing `to` (both included).
    ///
    /// Memory: one bit per user and period (rounded up to 64-bit words per user) plus, once
    /// some user has an event before the lead period, two instants per user.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] (`to`) when `to` is before `from`.
    ///
    /// ```
    /// use chrono::{TimeZone, Utc};
    /// use userops::lifecycle::LifecycleSummary;
    /// use userops::time::{Calendar, Interval};
    /// let cal = Calendar::new(Utc, Interval::Month);
    /// let s = LifecycleSummary::<u64, _>::new(cal, Utc.with_ymd_and_hms(2025, 1, 1, 0, 0, 0).unwrap(),
    ///                                          Utc.with_ymd_and_hms(2025, 12, 1, 0, 0, 0).unwrap())?;
    /// assert_eq!(s.periods().len(), 12);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn new(calendar: Calendar<Tz>, from: DateTime<Utc>, to: DateTime<Utc>) -> Result<Self> {
        if to < from {
            return Err(Error::invalid(
                "to",
                format!("`to` ({to}) is before `from` ({from}); swap them"),
            ));
        }
        let lead = calendar.period_of(from).prev();
        let grid = calendar.grid(calendar.start_of(&lead), to)?;
        Ok(Self::over(calendar, grid))
    }

    /// The window's periods, `from` to `to` (the lead period excluded).
    ///
    /// ```
    /// use chrono::{TimeZone, Utc};
    /// use userops::lifecycle::LifecycleSummary;
    /// use userops::time::{Calendar, Interval};
    /// let t = Utc.with_ymd_and_hms(2025, 3, 9, 0, 0, 0).unwrap();
    /// let s = LifecycleSummary::<u64, _>::new(Calendar::new(Utc, Interval::Day), t, t)?;
    /// assert_eq!(s.periods()[0].to_string(), "2025-03-09");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn periods(&self) -> &[Period] {
        self.grid.periods().get(1..).unwrap_or(&[])
    }

    /// Number of users seen so far.
    ///
    /// ```
    /// use chrono::Utc;
    /// use userops::lifecycle::LifecycleSummary;
    /// use userops::time::{Calendar, Interval};
    /// let t = chrono::DateTime::<Utc>::UNIX_EPOCH;
    /// let s = LifecycleSummary::<u64, _>::new(Calendar::new(Utc, Interval::Day), t, t)?;
    /// assert_eq!(s.len(), 0);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn len(&self) -> usize {
        self.activity.len()
    }

    /// Whether no user has been seen.
    ///
    /// ```
    /// use chrono::Utc;
    /// use userops::lifecycle::LifecycleSummary;
    /// use userops::time::{Calendar, Interval};
    /// let t = chrono::DateTime::<Utc>::UNIX_EPOCH;
    /// let s = LifecycleSummary::<u64, _>::new(Calendar::new(Utc, Interval::Day), t, t)?;
    /// assert!(s.is_empty());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn is_empty(&self) -> bool {
        self.activity.is_empty()
    }

    /// Gives every user its history entries (none yet), once some user has history.
    #[cold]
    #[inline(never)]
    fn keep_history(&mut self) {
        let n = self.activity.len();
        self.first_before.resize(n, NONE_BEFORE_MIN);
        self.last_before.resize(n, NONE_BEFORE_MAX);
    }

    /// Marks user `user` active in the period of `at`, or keeps `at` as history when it is
    /// before the lead period.
    #[inline]
    fn record(&mut self, user: u32, at: DateTime<Utc>) {
        // Consecutive events of a user are mostly in the same period: reuse the last one.
        let (lo, hi, last_i) = self.period_cache;
        let found = if (lo..hi).contains(&at) {
            Some(last_i)
        } else {
            self.locate(at)
        };
        match found {
            Some(i) => {
                if let Some(w) = self.activity.row_mut(user).get_mut(i / 64) {
                    *w |= 1u64 << (i % 64);
                }
            }
            None => {
                // Only events before the lead period are history; later ones only make the
                // user known (after the window), which the missing bits already say.
                let millis = at.timestamp_millis();
                if self.grid.bounds().first().is_some_and(|b| millis < *b) {
                    if self.first_before.len() != self.activity.len() {
                        self.keep_history();
                    }
                    if let Some(f) = self.first_before.get_mut(user as usize) {
                        *f = (*f).min(millis);
                    }
                    if let Some(l) = self.last_before.get_mut(user as usize) {
                        *l = (*l).max(millis);
                    }
                }
            }
        }
    }

    /// The grid index of the period of `at`, `None` outside the grid.
    #[inline(never)]
    fn locate(&mut self, at: DateTime<Utc>) -> Option<usize> {
        let b = &self.bounds;
        if b.first().is_none_or(|first| at < *first) || b.last().is_none_or(|last| at >= *last) {
            return None;
        }
        // A user's events in time order move forward a few periods at a time: look at the
        // next periods before searching.
        let (lo, hi, last_i) = self.period_cache;
        let mut found = None;
        if lo < hi && at >= hi {
            for step in 1..=3 {
                if let Some(end) = b.get(last_i + step + 1) {
                    if at < *end {
                        found = Some(last_i + step);
                        break;
                    }
                }
            }
        }
        let i = match found {
            Some(i) => i,
            None => b.partition_point(|x| *x <= at).checked_sub(1)?,
        };
        if let (Some(lo), Some(hi)) = (b.get(i), b.get(i + 1)) {
            self.period_cache = (*lo, *hi, i);
        }
        Some(i)
    }
}

impl<E, Tz> Fold<E> for LifecycleSummary<E::User, Tz>
where
    E: Event,
    Tz: TimeZone + PartialEq,
{
    #[inline]
    fn observe(&mut self, event: &E) -> Result<()> {
        let user = self.activity.index(event.user())?;
        self.observe_user(user, checked_at(event)?);
        Ok(())
    }
}

impl<U: Clone + Eq + Hash + Ord, Tz: TimeZone + PartialEq> LifecycleSummary<U, Tz> {
    /// Records an event of the user at index `user` (already in `activity`) at `at`.
    #[inline]
    fn observe_user(&mut self, user: u32, at: DateTime<Utc>) {
        if !self.first_before.is_empty() && self.first_before.len() != self.activity.len() {
            self.keep_history();
        }
        self.record(user, at);
    }
}

impl<U, Tz> FoldTable<U> for LifecycleSummary<U, Tz>
where
    U: Clone + Eq + Hash + Ord + std::fmt::Debug,
    Tz: TimeZone + PartialEq,
{
    /// Every row's user is taken, at the user's first row.
    fn splits_by_user(&self) -> bool {
        true
    }

    fn observe_part(&mut self, table: &EventTable<U>, part: &TablePart) -> Result<()> {
        let rows = part.rows_in(table.len());
        let mut users = TableUsers::new(table);
        let columns = table.user_column()[rows.clone()]
            .iter()
            .zip(&table.at_column()[rows.clone()]);
        for (i, (&t, &micros)) in columns.enumerate() {
            if !part.holds(t) {
                continue;
            }
            // The table holds supported instants only (checked when each row was pushed).
            let at = DateTime::from_timestamp_micros(micros).unwrap_or_default();
            let user = users.index_rows_at(rows.start + i, &mut self.activity)?;
            self.observe_user(user, at);
        }
        Ok(())
    }
}

impl<U: Clone + Eq + Hash + Ord, Tz: TimeZone + PartialEq> Summary for LifecycleSummary<U, Tz> {
    type Output = LifecycleActivity<U, Tz>;

    fn merge(&mut self, mut other: Self) -> Result<()> {
        if self.calendar != other.calendar || self.grid != other.grid {
            return Err(Error::MergeMismatch(
                "lifecycle summaries use different calendars or windows".into(),
            ));
        }
        let map = self.activity.merge(&other.activity, |mine, theirs| {
            for (m, t) in mine.iter_mut().zip(theirs) {
                *m |= t;
            }
        })?;
        if !self.first_before.is_empty() || !other.first_before.is_empty() {
            // History on either side: both keep it for every user.
            self.keep_history();
            other.keep_history();
            let theirs = other.first_before.iter().zip(&other.last_before);
            for (&to, (&of, &ol)) in map.iter().zip(theirs) {
                let to = to as usize;
                if let (Some(f), Some(l)) =
                    (self.first_before.get_mut(to), self.last_before.get_mut(to))
                {
                    *f = (*f).min(of);
                    *l = (*l).max(ol);
                }
            }
        }
        Ok(())
    }

    fn finish(self) -> Result<LifecycleActivity<U, Tz>> {
        let n_users = self.activity.len();
        let from = self
            .grid
            .periods()
            .get(1)
            .copied()
            .unwrap_or_else(|| self.calendar.period_of(DateTime::<Utc>::UNIX_EPOCH));
        let rel = |ms: i64| -> i64 {
            let at = DateTime::<Utc>::from_timestamp_millis(ms).unwrap_or(DateTime::<Utc>::MIN_UTC);
            from.periods_until(&self.calendar.period_of(at))
        };
        let w = self.activity.stride();
        // Users with history before the lead period need the calendar (rare, done after); the
        // others only their bits: over all cores with the `parallel` feature.
        let (bits, first_before, last_before) =
            (self.activity.cells(), &self.first_before, &self.last_before);
        let mut first = crate::fold::map_collect(n_users, |s| {
            if first_before.get(s).is_some_and(|fb| *fb != NONE_BEFORE_MIN) {
                return NOT_KNOWN; // set below
            }
            // Lowest set bit: bit 0 is the lead period (index -1).
            for k in 0..w {
                let word = bits.get(s * w + k).copied().unwrap_or(0);
                if word != 0 {
                    return (k * 64) as i64 + i64::from(word.trailing_zeros()) - 1;
                }
            }
            NOT_KNOWN
        });
        let mut prior = crate::fold::map_collect(n_users, |_| NO_PRIOR);
        // The calendar pass only when some user has history: the history columns exist only
        // then (and keep that user's instants through every merge).
        if !first_before.is_empty() {
            for (s, (f, p)) in first.iter_mut().zip(prior.iter_mut()).enumerate() {
                if let Some(&fb) = first_before.get(s).filter(|fb| **fb != NONE_BEFORE_MIN) {
                    *f = rel(fb);
                }
                if let Some(&lb) = last_before.get(s).filter(|lb| **lb != NONE_BEFORE_MAX) {
                    *p = rel(lb);
                }
            }
        }
        let (users, bits) = self.activity.into_parts();
        Ok(LifecycleActivity {
            calendar: self.calendar,
            grid: self.grid,
            words: w,
            users,
            first,
            prior,
            bits,
        })
    }
}

impl<U: PartialEq, Tz: TimeZone + PartialEq> PartialEq for LifecycleSummary<U, Tz> {
    /// Same calendar, window, users, activity and history (the period lookup cache aside).
    fn eq(&self, other: &Self) -> bool {
        self.calendar == other.calendar
            && self.grid == other.grid
            && self.activity == other.activity
            && self.first_before == other.first_before
            && self.last_before == other.last_before
    }
}

#[derive(Serialize)]
#[serde(bound(serialize = "U: Serialize, Tz: NamedZone"))]
struct LifecycleStateRef<'a, U, Tz: NamedZone> {
    calendar: &'a Calendar<Tz>,
    grid: &'a PeriodGrid,
    rows: &'a UserRows<U, u64>,
    first_before: &'a [i64],
    last_before: &'a [i64],
}

#[derive(Deserialize)]
#[serde(bound(deserialize = "U: Deserialize<'de>, Tz: NamedZone"))]
struct LifecycleState<U, Tz: NamedZone> {
    calendar: Calendar<Tz>,
    grid: PeriodGrid,
    rows: RowParts<U, u64>,
    first_before: Vec<i64>,
    last_before: Vec<i64>,
}

impl<U: Serialize, Tz: NamedZone> Serialize for LifecycleSummary<U, Tz> {
    fn serialize<S: serde::Serializer>(
        &self,
        serializer: S,
    ) -> std::result::Result<S::Ok, S::Error> {
        LifecycleStateRef {
            calendar: &self.calendar,
            grid: &self.grid,
            rows: &self.activity,
            first_before: &self.first_before,
            last_before: &self.last_before,
        }
        .serialize(serializer)
    }
}

impl<'de, U, Tz> Deserialize<'de> for LifecycleSummary<U, Tz>
where
    U: Deserialize<'de> + Clone + Eq + Hash + Ord,
    Tz: NamedZone + PartialEq,
{
    fn deserialize<D: serde::Deserializer<'de>>(
        deserializer: D,
    ) -> std::result::Result<Self, D::Error> {
        use serde::de::Error as _;
        let state = LifecycleState::<U, Tz>::deserialize(deserializer)?;
        LifecycleSummary::from_state(state).map_err(D::Error::custom)
    }
}

impl<U: Clone + Eq + Hash + Ord, Tz: NamedZone + PartialEq> LifecycleSummary<U, Tz> {
    /// A summary from its serialized parts, checked against what a fold can make.
    fn from_state(state: LifecycleState<U, Tz>) -> Result<Self> {
        let invalid = |what: &str| Error::invalid("lifecycle summary", what.to_string());
        let (Some(lead), Some(last)) = (state.grid.periods().first(), state.grid.periods().last())
        else {
            return Err(invalid("the grid has no period"));
        };
        let cal = &state.calendar;
        let laid_out = cal.grid(cal.start_of(lead), cal.start_of(last))?;
        if laid_out != state.grid {
            return Err(invalid("the grid is not one the calendar lays out"));
        }
        let mut summary = LifecycleSummary::over(state.calendar, state.grid);
        summary.activity = state.rows.rows(summary.activity.template().to_vec())?;
        let n = summary.grid.len();
        if summary.activity.rows().any(|row| bit_past(row, n)) {
            return Err(invalid("an activity bit past the window"));
        }
        let users = summary.activity.len();
        let lead_start = summary.grid.bounds().first().copied().unwrap_or(i64::MIN);
        let history_fits = state.first_before.len() == state.last_before.len()
            && (state.first_before.is_empty() || state.first_before.len() == users)
            && state
                .first_before
                .iter()
                .zip(&state.last_before)
                .all(|(&f, &l)| {
                    (f == NONE_BEFORE_MIN && l == NONE_BEFORE_MAX) || (f <= l && l < lead_start)
                });
        if !history_fits {
            return Err(invalid(
                "history columns not one instant per user before the lead period",
            ));
        }
        summary.first_before = state.first_before;
        summary.last_before = state.last_before;
        Ok(summary)
    }
}

/// Whether `row` has a bit at index `n` or above.
fn bit_past(row: &[u64], n: usize) -> bool {
    row.iter().enumerate().any(|(k, &w)| {
        let first = k * 64;
        if first >= n {
            w != 0
        } else {
            n - first < 64 && w >> (n - first) != 0
        }
    })
}

/// `first` of a user seen only after the window.
pub(crate) const NOT_KNOWN: i64 = i64::MAX;
/// `prior` of a user with no event before the lead period.
pub(crate) const NO_PRIOR: i64 = i64::MIN;

/// The finished [`LifecycleSummary`]: per user, the active periods of the window and the
/// history before it. Lifecycle models are methods on it: [`LifecycleActivity::stages`],
/// [`LifecycleActivity::posthog`], [`LifecycleActivity::breakdown`].
///
/// Period indices are relative to `from`: `0` is the first window period, `-1` the lead period,
/// negative values earlier periods.
///
/// ```
/// use chrono::{TimeZone, Utc};
/// use userops::event::EventRecord;
/// use userops::fold::{fold, Summary};
/// use userops::lifecycle::LifecycleSummary;
/// use userops::time::{Calendar, Interval};
///
/// let at = |d| Utc.with_ymd_and_hms(2025, 1, d, 12, 0, 0).unwrap();
/// let log = vec![EventRecord::<&str>::new("ana", at(1)), EventRecord::new("ana", at(3))];
/// let summary = LifecycleSummary::new(Calendar::new(Utc, Interval::Day), at(2), at(4))?;
/// let activity = fold(summary, &log)?.finish()?;
/// assert_eq!(activity.len(), 1);
/// assert_eq!(activity.active_periods(0), vec![-1, 1]); // Jan 1 (lead) and Jan 3
/// assert_eq!(activity.first_period(0), Some(-1));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct LifecycleActivity<U, Tz: TimeZone = Zone> {
    calendar: Calendar<Tz>,
    grid: PeriodGrid,
    words: usize,
    users: Vec<U>,
    /// Period index of the first event (any time); [`NOT_KNOWN`] when only seen after `to`.
    first: Vec<i64>,
    /// Period index (≤ -2) of the last event before the lead period, or [`NO_PRIOR`].
    prior: Vec<i64>,
    bits: Vec<u64>,
}

impl<U, Tz: TimeZone> LifecycleActivity<U, Tz> {
    /// The window's periods, `from` to `to`.
    ///
    /// ```
    /// # use chrono::{TimeZone, Utc};
    /// # use userops::fold::Summary;
    /// # use userops::lifecycle::LifecycleSummary;
    /// # use userops::time::{Calendar, Interval};
    /// let t = Utc.with_ymd_and_hms(2025, 1, 1, 0, 0, 0).unwrap();
    /// let a = LifecycleSummary::<u8, _>::new(Calendar::new(Utc, Interval::Month), t, t)?.finish()?;
    /// assert_eq!(a.periods().len(), 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn periods(&self) -> &[Period] {
        self.grid.periods().get(1..).unwrap_or(&[])
    }

    /// The lead period (the one before `from`).
    ///
    /// ```
    /// # use chrono::{TimeZone, Utc};
    /// # use userops::fold::Summary;
    /// # use userops::lifecycle::LifecycleSummary;
    /// # use userops::time::{Calendar, Interval};
    /// let t = Utc.with_ymd_and_hms(2025, 1, 1, 0, 0, 0).unwrap();
    /// let a = LifecycleSummary::<u8, _>::new(Calendar::new(Utc, Interval::Month), t, t)?.finish()?;
    /// assert_eq!(a.lead_period().map(|p| p.to_string()), Some("2024-12".to_string()));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn lead_period(&self) -> Option<Period> {
        self.grid.periods().first().copied()
    }

    /// The calendar the periods come from.
    ///
    /// ```
    /// # use chrono::{TimeZone, Utc};
    /// # use userops::fold::Summary;
    /// # use userops::lifecycle::LifecycleSummary;
    /// # use userops::time::{Calendar, Interval};
    /// let t = Utc.with_ymd_and_hms(2025, 1, 1, 0, 0, 0).unwrap();
    /// let a = LifecycleSummary::<u8, _>::new(Calendar::new(Utc, Interval::Month), t, t)?.finish()?;
    /// assert_eq!(a.calendar().interval(), Interval::Month);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn calendar(&self) -> &Calendar<Tz> {
        &self.calendar
    }

    /// Number of users seen (in any period, also outside the window).
    ///
    /// ```
    /// # use chrono::{TimeZone, Utc};
    /// # use userops::fold::Summary;
    /// # use userops::lifecycle::LifecycleSummary;
    /// # use userops::time::{Calendar, Interval};
    /// let t = Utc.with_ymd_and_hms(2025, 1, 1, 0, 0, 0).unwrap();
    /// let a = LifecycleSummary::<u8, _>::new(Calendar::new(Utc, Interval::Month), t, t)?.finish()?;
    /// assert_eq!(a.len(), 0);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn len(&self) -> usize {
        self.users.len()
    }

    /// Whether no user was seen.
    ///
    /// ```
    /// # use chrono::{TimeZone, Utc};
    /// # use userops::fold::Summary;
    /// # use userops::lifecycle::LifecycleSummary;
    /// # use userops::time::{Calendar, Interval};
    /// let t = Utc.with_ymd_and_hms(2025, 1, 1, 0, 0, 0).unwrap();
    /// let a = LifecycleSummary::<u8, _>::new(Calendar::new(Utc, Interval::Month), t, t)?.finish()?;
    /// assert!(a.is_empty());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn is_empty(&self) -> bool {
        self.users.is_empty()
    }

    /// The users, in the order the per-user accessors index them (not sorted).
    ///
    /// ```
    /// # use chrono::{TimeZone, Utc};
    /// # use userops::event::EventRecord;
    /// # use userops::fold::{fold, Summary};
    /// # use userops::lifecycle::LifecycleSummary;
    /// # use userops::time::{Calendar, Interval};
    /// let t = Utc.with_ymd_and_hms(2025, 1, 1, 0, 0, 0).unwrap();
    /// let s = LifecycleSummary::new(Calendar::new(Utc, Interval::Month), t, t)?;
    /// let a = fold(s, [EventRecord::<u8>::new(7_u8, t)])?.finish()?;
    /// assert_eq!(a.users(), &[7]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn users(&self) -> &[U] {
        &self.users
    }

    /// The active periods of user number `i` (an index into [`LifecycleActivity::users`]),
    /// as indices relative to `from` (`-1` = lead period).
    ///
    /// ```
    /// # use chrono::{TimeZone, Utc};
    /// # use userops::event::EventRecord;
    /// # use userops::fold::{fold, Summary};
    /// # use userops::lifecycle::LifecycleSummary;
    /// # use userops::time::{Calendar, Interval};
    /// let t = |m| Utc.with_ymd_and_hms(2025, m, 1, 0, 0, 0).unwrap();
    /// let s = LifecycleSummary::new(Calendar::new(Utc, Interval::Month), t(1), t(3))?;
    /// let a = fold(s, [EventRecord::<u8>::new(7_u8, t(3))])?.finish()?;
    /// assert_eq!(a.active_periods(0), vec![2]);
    /// assert!(a.active_periods(5).is_empty()); // no such user
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn active_periods(&self, i: usize) -> Vec<i64> {
        let mut out = Vec::new();
        for k in 0..self.words {
            let mut word = self.word(i, k);
            while word != 0 {
                let b = word.trailing_zeros();
                out.push((k * 64) as i64 + i64::from(b) - 1);
                word &= word - 1;
            }
        }
        out
    }

    /// The period index of user `i`'s first event (any time, also before the window), or
    /// `None` when the user was only seen after `to` (or does not exist).
    ///
    /// ```
    /// # use chrono::{TimeZone, Utc};
    /// # use userops::event::EventRecord;
    /// # use userops::fold::{fold, Summary};
    /// # use userops::lifecycle::LifecycleSummary;
    /// # use userops::time::{Calendar, Interval};
    /// let t = |m| Utc.with_ymd_and_hms(2025, m, 1, 0, 0, 0).unwrap();
    /// let s = LifecycleSummary::new(Calendar::new(Utc, Interval::Month), t(5), t(6))?;
    /// let a = fold(s, [EventRecord::<u8>::new(7_u8, t(1)), EventRecord::new(7_u8, t(6))])?.finish()?;
    /// assert_eq!(a.first_period(0), Some(-4)); // January is 4 months before May
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn first_period(&self, i: usize) -> Option<i64> {
        self.first.get(i).copied().filter(|f| *f != NOT_KNOWN)
    }

    /// The per-user arrays, without the ids: plain slices that passes over users can share
    /// between threads whatever the host's id type.
    pub(crate) fn raw(&self) -> RawActivity<'_> {
        RawActivity {
            words: self.words,
            bits: &self.bits,
            first: &self.first,
            prior: &self.prior,
        }
    }

    #[inline]
    pub(crate) fn word(&self, i: usize, k: usize) -> u64 {
        self.bits.get(i * self.words + k).copied().unwrap_or(0)
    }

    #[inline]
    pub(crate) fn words(&self) -> usize {
        self.words
    }

    #[inline]
    pub(crate) fn first_raw(&self, i: usize) -> i64 {
        self.first.get(i).copied().unwrap_or(NOT_KNOWN)
    }

    #[inline]
    pub(crate) fn prior_raw(&self, i: usize) -> i64 {
        self.prior.get(i).copied().unwrap_or(NO_PRIOR)
    }

    /// The period index (relative to `from`, `-1` the lead period, lower for history before
    /// it) of user `i`'s last activity up to the end of the window, or `None` for no such
    /// user or one only seen after the window.
    pub(crate) fn last_active_raw(&self, i: usize) -> Option<i64> {
        for k in (0..self.words).rev() {
            let word = self.word(i, k);
            if word != 0 {
                let b = 63 - i64::from(word.leading_zeros());
                return Some((k * 64) as i64 + b - 1);
            }
        }
        let prior = self.prior_raw(i);
        if prior != NO_PRIOR {
            return Some(prior);
        }
        let first = self.first_raw(i);
        (first != NOT_KNOWN && first < self.periods().len() as i64).then_some(first)
    }

    /// The period index (relative to `from`) of an instant.
    pub(crate) fn index_of_instant(&self, at: DateTime<Utc>) -> i64 {
        match self.grid.index_of(at) {
            Some(i) => i as i64 - 1,
            None => match self.grid.periods().get(1) {
                Some(from) => from.periods_until(&self.calendar.period_of(at)),
                None => 0,
            },
        }
    }

    /// Splits the users by an attribute's value into one activity per value, in value order;
    /// users without a value go to the group `"(unknown)"` (never dropped).
    ///
    /// ```
    /// # use chrono::{TimeZone, Utc};
    /// # use userops::event::EventRecord;
    /// # use userops::fold::{fold, Summary};
    /// # use userops::lifecycle::LifecycleSummary;
    /// # use userops::time::{Calendar, Interval};
    /// let t = Utc.with_ymd_and_hms(2025, 1, 1, 0, 0, 0).unwrap();
    /// let s = LifecycleSummary::new(Calendar::new(Utc, Interval::Month), t, t)?;
    /// let a = fold(s, [EventRecord::<u8>::new(1_u8, t), EventRecord::new(2_u8, t)])?.finish()?;
    /// let parts = a.split_by(&|u: &u8| (*u == 1).then(|| "ads".to_string()));
    /// assert_eq!(parts.iter().map(|(k, p)| (k.as_str(), p.len())).collect::<Vec<_>>(),
    ///            [("(unknown)", 1), ("ads", 1)]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[allow(clippy::default_trait_access)] // pedantic; `BTreeMap::new()` below would do
    pub fn split_by<A>(&self, attribute: &A) -> Vec<(String, LifecycleActivity<U, Tz>)>
    where
        U: Clone,
        A: UserAttribute<U> + ?Sized,
    {
        let mut groups: std::collections::BTreeMap<String, Vec<usize>> = Default::default();
        for (i, u) in self.users.iter().enumerate() {
            let key = attribute
                .attribute(u)
                .unwrap_or_else(|| UNKNOWN_GROUP.to_string());
            groups.entry(key).or_default().push(i);
        }
        groups
            .into_iter()
            .map(|(key, members)| {
                let mut part = LifecycleActivity {
                    calendar: self.calendar.clone(),
                    grid: self.grid.clone(),
                    words: self.words,
                    users: Vec::with_capacity(members.len()),
                    first: Vec::with_capacity(members.len()),
                    prior: Vec::with_capacity(members.len()),
                    bits: Vec::with_capacity(members.len() * self.words),
                };
                for i in members {
                    if let Some(u) = self.users.get(i) {
                        part.users.push(u.clone());
                        part.first.push(self.first_raw(i));
                        part.prior.push(self.prior_raw(i));
                        for k in 0..self.words {
                            part.bits.push(self.word(i, k));
                        }
                    }
                }
                (key, part)
            })
            .collect()
    }
}

/// A [`LifecycleActivity`]'s per-user arrays (see [`LifecycleActivity::raw`]).
#[derive(Debug, Clone, Copy)]
pub(crate) struct RawActivity<'a> {
    words: usize,
    bits: &'a [u64],
    first: &'a [i64],
    prior: &'a [i64],
}

impl RawActivity<'_> {
    #[inline]
    pub(crate) fn word(&self, i: usize, k: usize) -> u64 {
        self.bits.get(i * self.words + k).copied().unwrap_or(0)
    }

    #[inline]
    pub(crate) fn first(&self, i: usize) -> i64 {
        self.first.get(i).copied().unwrap_or(NOT_KNOWN)
    }

    #[inline]
    pub(crate) fn prior(&self, i: usize) -> i64 {
        self.prior.get(i).copied().unwrap_or(NO_PRIOR)
    }
}

/// The group users without an attribute value are reported under.
///
/// ```
/// assert_eq!(userops::lifecycle::UNKNOWN_GROUP, "(unknown)");
/// ```
pub const UNKNOWN_GROUP: &str = "(unknown)";
