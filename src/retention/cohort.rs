//! The cohort retention fold and its report.

use std::fmt;
use std::hash::Hash;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use super::bits::{self, LastPeriod, words_for};
use super::params::{RetentionMode, RetentionSpec};
use crate::engine::{EventTable, NO_NAME, RowParts, TablePart, TableUsers, UserRows};
use crate::event::{Event, checked_at};
use crate::fold::{Fold, FoldTable, Summary};
use crate::time::Interval;
use crate::{Error, Result};

/// No start event seen yet (the "first start" of a user who only returned).
const NO_START: i64 = i64::MAX;

/// A new user's row: no first start, no period bits, no return counts.
fn row_template(words: usize, count_words: usize) -> Vec<u64> {
    let mut row = vec![0_u64; 1 + 2 * words + count_words];
    if let Some(first) = row.first_mut() {
        *first = NO_START as u64;
    }
    row
}

/// The cohort retention fold: per user, the window periods with a start event and with a
/// return event (two bits per period) and the instant of their first start event ever.
///
/// Memory is proportional to users × periods in bits; events outside the window cost nothing
/// (in first-time mode a start event before the window still records the user's first start,
/// because it keeps them out of every cohort).
///
/// The partial state serializes with serde as `{"spec", "rows": {"users", "cells"},
/// "events_outside", "events_unmatched"}` (one row of `cells` per user: the first start's
/// Unix ms, the start bits, the return bits, the return counts when needed) and
/// deserializes back to an equal summary, checked: a row of the wrong width, a period bit
/// past the window or settings `check` could not have made are an error.
///
/// ```
/// use chrono::{TimeZone, Utc};
/// use userops::event::EventRecord;
/// use userops::fold::{fold, Summary};
/// use userops::retention::{RetentionParams, RetentionSummary};
/// use userops::time::{Calendar, Interval};
///
/// let day = |d| Utc.with_ymd_and_hms(2025, 1, d, 9, 0, 0).unwrap();
/// let log = vec![
///     EventRecord::<&str>::new("ana", day(1)).with_name("signup"),
///     EventRecord::new("ana", day(2)).with_name("open"),
///     EventRecord::new("bo", day(2)).with_name("signup"),
///     EventRecord::new("bo", day(4)).with_name("open"),
/// ];
/// let spec = RetentionParams::new(Calendar::new(Utc, Interval::Day), day(4), 4)
///     .start_event("signup")
///     .return_event("open")
///     .check()?;
/// let table = fold(RetentionSummary::new(spec), &log)?.finish()?;
/// assert_eq!(table.cohorts[0].counts, [1, 1, 0, 0]); // ana: Jan 1, back on Jan 2
/// assert_eq!(table.cohorts[1].counts, [1, 0, 1]);    // bo: Jan 2, back on Jan 4
/// assert_eq!(table.cohorts[3].counts, [0]);          // Jan 4: later cells not observable yet
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct RetentionSummary<U> {
    spec: RetentionSpec,
    words: usize,
    /// Per user, one row: the first start event's instant in Unix ms as an `i64`'s bits
    /// ([`NO_START`] when none), `words` words of start bits, `words` words of return bits,
    /// and, when a return needs several events, one saturating byte per period counting them.
    users: UserRows<U, u64>,
    events_outside: u64,
    events_unmatched: u64,
    /// The period of the last event (a lookup cache, not state).
    last_period: LastPeriod,
}

/// Words of per-period return counters (one byte each) a row needs.
fn count_words(spec: &RetentionSpec) -> usize {
    if spec.min_returns > 1 {
        spec.periods().div_ceil(8)
    } else {
        0
    }
}

impl<U: Clone + Eq + Hash + Ord> RetentionSummary<U> {
    /// An empty summary for checked settings.
    ///
    /// ```
    /// use userops::retention::{RetentionParams, RetentionSummary};
    /// let spec = RetentionParams::new(userops::time::Calendar::new(chrono::Utc, userops::time::Interval::Day),
    ///     chrono::DateTime::UNIX_EPOCH, 7).check()?;
    /// let s = RetentionSummary::<u64>::new(spec);
    /// assert!(s.is_empty());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn new(spec: RetentionSpec) -> Self {
        let words = words_for(spec.periods());
        let template = row_template(words, count_words(&spec));
        RetentionSummary {
            spec,
            words,
            users: UserRows::new(template),
            events_outside: 0,
            events_unmatched: 0,
            last_period: LastPeriod::default(),
        }
    }

    /// Users with state so far.
    ///
    /// ```
    /// # use userops::retention::{RetentionParams, RetentionSummary};
    /// # let spec = RetentionParams::new(userops::time::Calendar::new(chrono::Utc, userops::time::Interval::Day),
    /// #     chrono::DateTime::UNIX_EPOCH, 7).check()?;
    /// assert_eq!(RetentionSummary::<u64>::new(spec).len(), 0);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn len(&self) -> usize {
        self.users.len()
    }

    /// Whether no user has state.
    ///
    /// ```
    /// # use userops::retention::{RetentionParams, RetentionSummary};
    /// # let spec = RetentionParams::new(userops::time::Calendar::new(chrono::Utc, userops::time::Interval::Day),
    /// #     chrono::DateTime::UNIX_EPOCH, 7).check()?;
    /// assert!(RetentionSummary::<u64>::new(spec).is_empty());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.users.is_empty()
    }

    /// The settings.
    ///
    /// ```
    /// # use userops::retention::{RetentionParams, RetentionSummary};
    /// # let spec = RetentionParams::new(userops::time::Calendar::new(chrono::Utc, userops::time::Interval::Day),
    /// #     chrono::DateTime::UNIX_EPOCH, 7).check()?;
    /// assert_eq!(RetentionSummary::<u64>::new(spec).spec().periods(), 7);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn spec(&self) -> &RetentionSpec {
        &self.spec
    }
}

impl<E: Event> Fold<E> for RetentionSummary<E::User> {
    #[inline]
    fn observe(&mut self, event: &E) -> Result<()> {
        let name = event.name();
        let is_start = self.spec.start.matches(name);
        let is_return = self.spec.ret.matches(name);
        if !is_start && !is_return {
            self.events_unmatched += 1;
            return Ok(());
        }
        let ms = checked_at(event)?.timestamp_millis();
        self.observe_matched(ms, is_start, is_return, |users| users.index(event.user()))
    }
}

impl<U: Clone + Eq + Hash + Ord> RetentionSummary<U> {
    /// Records a start and/or return event at `ms` (milliseconds since the epoch), its user's
    /// row index given by `user` (asked only when the event is inside the window).
    #[inline]
    fn observe_matched(
        &mut self,
        ms: i64,
        is_start: bool,
        is_return: bool,
        user: impl FnOnce(&mut UserRows<U, u64>) -> Result<u32>,
    ) -> Result<()> {
        let index = self.last_period.index_of(&self.spec.grid, ms);
        let first_time = self.spec.mode == RetentionMode::FirstTime;
        if index.is_none() && !(first_time && is_start) {
            self.events_outside += 1;
            return Ok(());
        }
        let words = self.words;
        let user = user(&mut self.users)?;
        let Some((first, periods)) = self.users.row_mut(user).split_first_mut() else {
            return Ok(());
        };
        if first_time && is_start {
            *first = (*first as i64).min(ms) as u64;
        }
        match index {
            Some(i) => {
                let (starts, rest) = periods.split_at_mut(words.min(periods.len()));
                let (returns, counts) = rest.split_at_mut(words.min(rest.len()));
                if is_start && !first_time {
                    bits::set(starts, i);
                }
                if is_return {
                    if self.spec.min_returns > 1 {
                        bits::add_count(counts, i);
                    } else {
                        bits::set(returns, i);
                    }
                }
            }
            None => self.events_outside += 1,
        }
        Ok(())
    }
}

impl<U: Clone + Eq + Hash + Ord + std::fmt::Debug> FoldTable<U> for RetentionSummary<U> {
    /// The report counts users per cohort and period: the order users came in is not in it.
    fn splits_by_user(&self) -> bool {
        true
    }

    fn observe_part(&mut self, table: &EventTable<U>, part: &TablePart) -> Result<()> {
        let rows = part.rows_in(table.len());
        // Whether each of the table's event names starts or returns, worked out once.
        let (start, ret) = (&self.spec.start, &self.spec.ret);
        let kinds: Vec<(bool, bool)> = table
            .names()
            .values()
            .iter()
            .map(|n| (start.matches(Some(n)), ret.matches(Some(n))))
            .collect();
        let unnamed = (start.matches(None), ret.matches(None));
        let mut users = TableUsers::new(table);
        let columns = table.user_column()[rows.clone()]
            .iter()
            .zip(&table.at_column()[rows.clone()])
            .zip(&table.name_column()[rows.clone()]);
        for (i, ((&t, &micros), &name)) in columns.enumerate() {
            if !part.holds(t) {
                continue;
            }
            let (is_start, is_return) = match name {
                NO_NAME => unnamed,
                i => kinds.get(i as usize).copied().unwrap_or(unnamed),
            };
            if !is_start && !is_return {
                self.events_unmatched += 1;
                continue;
            }
            // Milliseconds as `DateTime::timestamp_millis` gives them (towards the past).
            let ms = micros.div_euclid(1000);
            let row = rows.start + i;
            self.observe_matched(ms, is_start, is_return, |r| users.index_rows_at(row, r))?;
        }
        Ok(())
    }
}

impl<U: Clone + Eq + Hash + Ord> Summary for RetentionSummary<U> {
    type Output = RetentionReport;

    fn merge(&mut self, other: Self) -> Result<()> {
        if self.spec != other.spec {
            return Err(Error::MergeMismatch(
                "retention summaries use different settings (window, events or mode)".into(),
            ));
        }
        let words = self.words;
        self.users.merge(&other.users, |mine, theirs| {
            if let (Some((m, mine)), Some((t, theirs))) =
                (mine.split_first_mut(), theirs.split_first())
            {
                *m = (*m as i64).min(*t as i64) as u64;
                let bit_words = (2 * words).min(mine.len());
                let (mine_bits, mine_counts) = mine.split_at_mut(bit_words);
                let (their_bits, their_counts) = theirs.split_at(bit_words.min(theirs.len()));
                bits::or_into(mine_bits, their_bits);
                bits::add_counts(mine_counts, their_counts);
            }
        })?;
        self.events_outside += other.events_outside;
        self.events_unmatched += other.events_unmatched;
        Ok(())
    }

    fn finish(self) -> Result<RetentionReport> {
        let n = self.spec.periods();
        let mut counts: Vec<Vec<u64>> = (0..n).map(|i| vec![0; n - i]).collect();
        let first_time = self.spec.mode == RetentionMode::FirstTime;
        let words = self.words;
        let mut cohort_users = 0_u64;
        let mut qualified = vec![0_u64; words];
        for row in self.users.rows() {
            let Some((first_start, periods)) = row.split_first() else {
                continue;
            };
            let first_start = *first_start as i64;
            let (starts, rest) = periods.split_at(words.min(periods.len()));
            let (returns, return_counts) = rest.split_at(words.min(rest.len()));
            let returns: &[u64] = if self.spec.min_returns > 1 {
                bits::counts_at_least(return_counts, self.spec.min_returns, n, &mut qualified);
                &qualified
            } else {
                returns
            };
            let mut add = |i: usize| {
                let Some(row) = counts.get_mut(i) else {
                    return;
                };
                if let Some(c) = row.first_mut() {
                    *c += 1;
                }
                if self.spec.on_or_after {
                    if let Some(last) = bits::highest(returns).filter(|j| *j > i) {
                        for c in row.iter_mut().skip(1).take(last - i) {
                            *c += 1;
                        }
                    }
                } else {
                    for j in bits::ones(returns).filter(|j| *j > i) {
                        if let Some(c) = row.get_mut(j - i) {
                            *c += 1;
                        }
                    }
                }
            };
            let mut in_cohort = false;
            if first_time {
                if first_start != NO_START {
                    if let Some(i) = self.spec.grid.index_of_millis(first_start) {
                        add(i);
                        in_cohort = true;
                    }
                }
            } else {
                for i in bits::ones(starts) {
                    add(i);
                    in_cohort = true;
                }
            }
            cohort_users += u64::from(in_cohort);
        }
        let cohorts = self
            .spec
            .grid
            .periods()
            .iter()
            .zip(counts)
            .map(|(p, counts)| CohortRow {
                period: p.to_string(),
                start: p.start(),
                counts,
            })
            .collect();
        Ok(RetentionReport {
            interval: self.spec.interval,
            mode: self.spec.mode,
            on_or_after: self.spec.on_or_after,
            min_return_events: u32::from(self.spec.min_returns),
            start_event: self.spec.start.to_string(),
            return_event: self.spec.ret.to_string(),
            window_start: self.spec.window_start(),
            window_end: self.spec.window_end(),
            cohort_users,
            events_outside_window: self.events_outside,
            events_unmatched: self.events_unmatched,
            cohorts,
        })
    }
}

impl<U: PartialEq> PartialEq for RetentionSummary<U> {
    /// Same settings, users, rows and event counts (the period lookup cache aside).
    fn eq(&self, other: &Self) -> bool {
        self.spec == other.spec
            && self.users == other.users
            && self.events_outside == other.events_outside
            && self.events_unmatched == other.events_unmatched
    }
}

#[derive(Serialize)]
struct RetentionStateRef<'a, U> {
    spec: &'a RetentionSpec,
    rows: &'a UserRows<U, u64>,
    events_outside: u64,
    events_unmatched: u64,
}

#[derive(Deserialize)]
#[serde(bound(deserialize = "U: Deserialize<'de>"))]
struct RetentionState<U> {
    spec: RetentionSpec,
    rows: RowParts<U, u64>,
    events_outside: u64,
    events_unmatched: u64,
}

impl<U: Serialize> Serialize for RetentionSummary<U> {
    fn serialize<S: serde::Serializer>(
        &self,
        serializer: S,
    ) -> std::result::Result<S::Ok, S::Error> {
        RetentionStateRef {
            spec: &self.spec,
            rows: &self.users,
            events_outside: self.events_outside,
            events_unmatched: self.events_unmatched,
        }
        .serialize(serializer)
    }
}

impl<'de, U> Deserialize<'de> for RetentionSummary<U>
where
    U: Deserialize<'de> + Clone + Eq + Hash + Ord,
{
    fn deserialize<D: serde::Deserializer<'de>>(
        deserializer: D,
    ) -> std::result::Result<Self, D::Error> {
        use serde::de::Error as _;
        let state = RetentionState::<U>::deserialize(deserializer)?;
        let mut summary = RetentionSummary::new(state.spec);
        let template = summary.users.template().to_vec();
        summary.users = state.rows.rows(template).map_err(D::Error::custom)?;
        summary.check_rows().map_err(D::Error::custom)?;
        summary.events_outside = state.events_outside;
        summary.events_unmatched = state.events_unmatched;
        Ok(summary)
    }
}

impl<U> RetentionSummary<U> {
    /// Every row read back from serde is one a fold could have made: no start or return bit
    /// or return count past the window, no start bit in first-time mode and no first start
    /// in recurring mode.
    fn check_rows(&self) -> Result<()> {
        let (n, words) = (self.spec.periods(), self.words);
        let first_time = self.spec.mode == RetentionMode::FirstTime;
        for row in self.users.rows() {
            let Some((first, periods)) = row.split_first() else {
                continue;
            };
            let (starts, rest) = periods.split_at(words.min(periods.len()));
            let (returns, counts) = rest.split_at(words.min(rest.len()));
            let fits = bits::none_from(starts, if first_time { 0 } else { n })
                && bits::none_from(returns, n)
                && bits::no_count_from(counts, n)
                && (first_time || *first as i64 == NO_START);
            if !fits {
                return Err(Error::invalid(
                    "cells",
                    "a user's row has periods past the window or the wrong mode's state",
                ));
            }
        }
        Ok(())
    }
}

/// One cohort of a [`RetentionReport`].
///
/// ```
/// use userops::retention::CohortRow;
/// let row = CohortRow { period: "2025-01".into(), start: chrono::NaiveDate::MIN, counts: vec![40, 10, 5] };
/// assert_eq!(row.size(), 40);
/// assert_eq!(row.rate(1), Some(0.25));
/// assert_eq!(row.rate(3), None); // not observable yet
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CohortRow {
    /// The cohort's period (`2025-03-09`, or `2025-03` for months).
    pub period: String,
    /// The local date the period starts on.
    pub start: NaiveDate,
    /// `counts[0]` is the cohort size; `counts[k]` the cohort's users counted `k` periods
    /// later. Only observable cells are present: cohort `i` of `n` has `n - i` cells.
    pub counts: Vec<u64>,
}

impl CohortRow {
    /// The cohort size (cell 0).
    ///
    /// ```
    /// let row = userops::retention::CohortRow { period: "x".into(), start: chrono::NaiveDate::MIN, counts: vec![] };
    /// assert_eq!(row.size(), 0);
    /// ```
    #[must_use]
    pub fn size(&self) -> u64 {
        self.counts.first().copied().unwrap_or(0)
    }

    /// Cell `k` as a share of the cohort size; `None` when the cell is not observable or the
    /// cohort is empty (never NaN).
    ///
    /// ```
    /// let row = userops::retention::CohortRow { period: "x".into(), start: chrono::NaiveDate::MIN, counts: vec![0, 0] };
    /// assert_eq!(row.rate(1), None);
    /// ```
    #[must_use]
    pub fn rate(&self, k: usize) -> Option<f64> {
        let size = self.size();
        if size == 0 {
            return None;
        }
        self.counts.get(k).map(|c| *c as f64 / size as f64)
    }
}

/// A cohort retention table: one row per cohort, oldest first, with the window and an account
/// of the events that fell outside it.
///
/// `Display` prints the counts and then the rates (share of the cohort, in percent); cells
/// that cannot be observed yet are blank.
///
/// ```
/// use userops::retention::{CohortRow, RetentionMode, RetentionReport};
/// use userops::time::Interval;
/// use chrono::{DateTime, NaiveDate};
/// let report = RetentionReport {
///     interval: Interval::Month, mode: RetentionMode::FirstTime, on_or_after: false, min_return_events: 1,
///     start_event: "signup".into(), return_event: "*".into(),
///     window_start: DateTime::UNIX_EPOCH, window_end: DateTime::UNIX_EPOCH,
///     cohort_users: 4, events_outside_window: 0, events_unmatched: 0,
///     cohorts: vec![
///         CohortRow { period: "2025-01".into(), start: NaiveDate::MIN, counts: vec![3, 2] },
///         CohortRow { period: "2025-02".into(), start: NaiveDate::MIN, counts: vec![1] },
///     ],
/// };
/// let text = report.to_string();
/// assert!(text.contains("2025-01"));
/// assert!(text.contains("66.7%"));
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RetentionReport {
    /// The period interval.
    pub interval: Interval,
    /// First-time or recurring cohorts.
    pub mode: RetentionMode,
    /// Whether cells count returns "on or after" the period.
    pub on_or_after: bool,
    /// Return events a period needed to count as a return.
    pub min_return_events: u32,
    /// The start event (`*` = any).
    pub start_event: String,
    /// The return event (`*` = any).
    pub return_event: String,
    /// The first instant of the window.
    pub window_start: DateTime<Utc>,
    /// The first instant after the window.
    pub window_end: DateTime<Utc>,
    /// Distinct users in at least one cohort.
    pub cohort_users: u64,
    /// Start or return events outside the window (they do not count, except that in
    /// first-time mode an earlier start event keeps its user out of later cohorts).
    pub events_outside_window: u64,
    /// Events that are neither start nor return events.
    pub events_unmatched: u64,
    /// One row per period of the window, oldest first.
    pub cohorts: Vec<CohortRow>,
}

impl RetentionReport {
    /// The retention curve over all cohorts: for each `k`, the users counted in cell `k`
    /// divided by the sizes of the cohorts in which cell `k` is observable (a mean weighted by
    /// cohort size). `None` where no non-empty cohort has cell `k` (never NaN).
    ///
    /// ```
    /// use userops::retention::{CohortRow, RetentionMode, RetentionReport};
    /// use chrono::{DateTime, NaiveDate};
    /// let row = |counts: Vec<u64>| CohortRow { period: String::new(), start: NaiveDate::MIN, counts };
    /// let report = RetentionReport {
    ///     interval: userops::time::Interval::Day, mode: RetentionMode::Recurring, on_or_after: false, min_return_events: 1,
    ///     start_event: "*".into(), return_event: "*".into(),
    ///     window_start: DateTime::UNIX_EPOCH, window_end: DateTime::UNIX_EPOCH,
    ///     cohort_users: 5, events_outside_window: 0, events_unmatched: 0,
    ///     cohorts: vec![row(vec![4, 2, 1]), row(vec![1, 1]), row(vec![0])],
    /// };
    /// // +1: (2 + 1) / (4 + 1); +2: 1 / 4 (only the first cohort can be seen two periods on).
    /// assert_eq!(report.mean_rates(), [Some(1.0), Some(0.6), Some(0.25)]);
    /// ```
    #[must_use]
    pub fn mean_rates(&self) -> Vec<Option<f64>> {
        let n = self
            .cohorts
            .iter()
            .map(|c| c.counts.len())
            .max()
            .unwrap_or(0);
        (0..n)
            .map(|k| {
                let (mut kept, mut size) = (0_u64, 0_u64);
                for c in &self.cohorts {
                    if let Some(x) = c.counts.get(k) {
                        kept += x;
                        size += c.size();
                    }
                }
                (size > 0).then(|| kept as f64 / size as f64)
            })
            .collect()
    }
}

impl fmt::Display for RetentionReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let unit = match self.interval {
            Interval::Day => "day",
            Interval::Week(_) => "week",
            Interval::Month => "month",
        };
        writeln!(
            f,
            "{} retention by {unit}: start {:?}, return {:?}{}; {} users in cohorts",
            self.mode,
            self.start_event,
            self.return_event,
            match (self.on_or_after, self.min_return_events > 1) {
                (false, false) => String::new(),
                (true, false) => ", counted on or after".to_string(),
                (false, true) => format!(", {}+ return events a period", self.min_return_events),
                (true, true) => format!(
                    ", counted on or after, {}+ return events a period",
                    self.min_return_events
                ),
            },
            self.cohort_users,
        )?;
        let n = self.cohorts.len();
        let label_w = self
            .cohorts
            .iter()
            .map(|c| c.period.len())
            .max()
            .unwrap_or(6)
            .max(6);
        let header = |f: &mut fmt::Formatter<'_>, title: &str| -> fmt::Result {
            write!(f, "{title:<label_w$} {:>8}", "size")?;
            for k in 1..n {
                write!(f, " {:>7}", format!("+{k}"))?;
            }
            writeln!(f)
        };
        header(f, "cohort")?;
        for row in &self.cohorts {
            write!(f, "{:<label_w$} {:>8}", row.period, row.size())?;
            for c in row.counts.iter().skip(1) {
                write!(f, " {c:>7}")?;
            }
            writeln!(f)?;
        }
        writeln!(f)?;
        header(f, "rate")?;
        for row in &self.cohorts {
            write!(f, "{:<label_w$} {:>8}", row.period, row.size())?;
            for k in 1..row.counts.len() {
                match row.rate(k) {
                    Some(r) => write!(f, " {:>7}", format!("{:.1}%", r * 100.0))?,
                    None => write!(f, " {:>7}", "-")?,
                }
            }
            writeln!(f)?;
        }
        let total: u64 = self.cohorts.iter().map(CohortRow::size).sum();
        write!(f, "{:<label_w$} {total:>8}", "mean")?;
        for r in self.mean_rates().iter().skip(1) {
            match r {
                Some(r) => write!(f, " {:>7}", format!("{:.1}%", r * 100.0))?,
                None => write!(f, " {:>7}", "-")?,
            }
        }
        Ok(())
    }
}
