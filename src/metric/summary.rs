//! The per-user metric fold and its report.

use std::borrow::Borrow;
use std::fmt;
use std::hash::Hash;
use std::sync::Arc;

use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use serde::{Deserialize, Serialize};

use super::MetricError;
use super::tree::{
    BASE_SLOTS, MetricTree, Op, SLOT_AMOUNT, SLOT_EVENTS, SLOT_MILLIS, SLOT_PAYMENTS, SLOT_SESSIONS,
};
use super::{Measure, MetricDef};
use crate::engine::Dictionary;
use crate::event::{Event, checked_amount};
use crate::fold::{Fold, Summary};
use crate::time::NamedZone;
use crate::{Error, Result};

/// The longest window, in days (active days are kept as 16-bit offsets into the window).
const MAX_WINDOW_DAYS: i64 = 65_000;

/// Days in an average month (365.25 / 12), the unit of [`Measure::AmountPerMonth`].
const DAYS_PER_MONTH: f64 = 365.25 / 12.0;

/// The evaluation window `[from, to)`: events outside it are skipped and counted.
///
/// ```
/// use chrono::{TimeZone, Utc};
/// use userops::metric::Window;
/// let as_of = Utc.with_ymd_and_hms(2025, 4, 1, 0, 0, 0).unwrap();
/// let w = Window::trailing_days(as_of, 30)?;
/// assert_eq!(w.days(), 30.0);
/// assert!(w.contains(as_of - chrono::TimeDelta::days(1)));
/// assert!(!w.contains(as_of));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Window {
    /// First instant included.
    pub from: DateTime<Utc>,
    /// First instant after the window (the as-of instant).
    pub to: DateTime<Utc>,
}

impl Window {
    /// The window `[from, to)`, at most 65,000 days (178 years) long.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] when `to` is not after `from` or the window is longer
    /// than 65,000 days.
    ///
    /// ```
    /// use chrono::DateTime;
    /// assert!(userops::metric::Window::new(DateTime::UNIX_EPOCH, DateTime::UNIX_EPOCH).is_err());
    /// ```
    pub fn new(from: DateTime<Utc>, to: DateTime<Utc>) -> Result<Self> {
        if to <= from {
            return Err(Error::invalid(
                "window",
                format!("the window's end ({to}) must be after its start ({from})"),
            ));
        }
        if (to - from).num_days() > MAX_WINDOW_DAYS {
            return Err(Error::invalid(
                "window",
                format!("a window can be at most {MAX_WINDOW_DAYS} days long, got {from} to {to}"),
            ));
        }
        Ok(Window { from, to })
    }

    /// The `days` days before `as_of` (exact 24-hour days): `[as_of - days, as_of)`, a range
    /// of instants, so an event stamped exactly `as_of` is outside (see the crate's
    /// conventions).
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] when `days` is 0 or the start is out of range.
    ///
    /// ```
    /// use chrono::DateTime;
    /// assert!(userops::metric::Window::trailing_days(DateTime::UNIX_EPOCH, 0).is_err());
    /// ```
    pub fn trailing_days(as_of: DateTime<Utc>, days: u32) -> Result<Self> {
        let from = as_of
            .checked_sub_signed(TimeDelta::days(i64::from(days)))
            .ok_or_else(|| Error::invalid("days", "the window starts before the calendar"))?;
        Window::new(from, as_of)
    }

    /// The window of the same length just before this one (for comparing two periods).
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] when it would start before the calendar.
    ///
    /// ```
    /// use chrono::{TimeZone, Utc};
    /// let w = userops::metric::Window::trailing_days(Utc.with_ymd_and_hms(2025, 3, 1, 0, 0, 0).unwrap(), 28)?;
    /// assert_eq!(w.previous()?.to, w.from);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn previous(&self) -> Result<Self> {
        let from = self
            .from
            .checked_sub_signed(self.to - self.from)
            .ok_or_else(|| {
                Error::invalid("window", "the previous window starts before the calendar")
            })?;
        Window::new(from, self.from)
    }

    /// Length in days (fractional).
    ///
    /// ```
    /// use chrono::{TimeZone, Utc};
    /// let w = userops::metric::Window::new(Utc.with_ymd_and_hms(2025, 1, 1, 0, 0, 0).unwrap(),
    ///                                      Utc.with_ymd_and_hms(2025, 1, 1, 12, 0, 0).unwrap())?;
    /// assert_eq!(w.days(), 0.5);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn days(&self) -> f64 {
        (self.to - self.from).num_milliseconds() as f64 / 86_400_000.0
    }

    /// Whether `at` is in the window.
    ///
    /// ```
    /// use chrono::DateTime;
    /// let w = userops::metric::Window::new(DateTime::UNIX_EPOCH, DateTime::UNIX_EPOCH + chrono::TimeDelta::days(1))?;
    /// assert!(w.contains(DateTime::UNIX_EPOCH));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[inline]
    #[must_use]
    pub fn contains(&self, at: DateTime<Utc>) -> bool {
        at >= self.from && at < self.to
    }
}

/// Inline capacity of a [`DaySet`].
const INLINE_DAYS: usize = 14;

/// A small sorted set of local days, as offsets from the window's first local day; inline up
/// to 14 days (no allocation for most users).
#[derive(Debug, Clone, PartialEq)]
enum DaySet {
    Few { len: u8, days: [u16; INLINE_DAYS] },
    Many(Vec<u16>),
}

impl DaySet {
    const EMPTY: DaySet = DaySet::Few {
        len: 0,
        days: [0; INLINE_DAYS],
    };

    fn len(&self) -> usize {
        match self {
            DaySet::Few { len, .. } => usize::from(*len),
            DaySet::Many(v) => v.len(),
        }
    }

    fn as_slice(&self) -> &[u16] {
        match self {
            DaySet::Few { len, days } => days.get(..usize::from(*len)).unwrap_or(&[]),
            DaySet::Many(v) => v,
        }
    }

    #[inline]
    fn insert(&mut self, day: u16) {
        match self {
            DaySet::Few { len, days } => {
                let n = usize::from(*len);
                // Fastest path: a later day than the last one, with room left.
                if n > 0 && n < INLINE_DAYS && days.get(n - 1).is_some_and(|&last| last < day) {
                    if let Some(slot) = days.get_mut(n) {
                        *slot = day;
                        *len += 1;
                        return;
                    }
                }
                let slice = days.get(..n).unwrap_or(&[]);
                // Fast path: events in time order append or repeat the last day.
                let pos = match slice.last() {
                    Some(&last) if last == day => return,
                    Some(&last) if last < day => n,
                    _ => match slice.binary_search(&day) {
                        Ok(_) => return,
                        Err(p) => p,
                    },
                };
                if n < INLINE_DAYS {
                    days.copy_within(pos..n, pos + 1);
                    days[pos] = day;
                    *len += 1;
                } else {
                    let mut v = Vec::with_capacity(2 * INLINE_DAYS);
                    v.extend_from_slice(slice);
                    v.insert(pos, day);
                    *self = DaySet::Many(v);
                }
            }
            DaySet::Many(v) => match v.last() {
                Some(&last) if last == day => {}
                Some(&last) if last < day => v.push(day),
                _ => {
                    if let Err(p) = v.binary_search(&day) {
                        v.insert(p, day);
                    }
                }
            },
        }
    }

    /// The set of `days`, strictly increasing.
    fn from_sorted(days: Vec<u16>) -> DaySet {
        let mut few = [0; INLINE_DAYS];
        match few.get_mut(..days.len()) {
            Some(head) => {
                head.copy_from_slice(&days);
                DaySet::Few {
                    len: days.len() as u8, // <= INLINE_DAYS
                    days: few,
                }
            }
            None => DaySet::Many(days),
        }
    }

    fn union(&mut self, other: &DaySet) {
        for &d in other.as_slice() {
            self.insert(d);
        }
    }
}

/// One metric's column header in a [`MetricReport`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MetricInfo {
    /// The metric's name.
    pub name: String,
    /// Its parent metric (`None` for a primary metric).
    pub parent: Option<String>,
    /// Depth in the tree (0 for a primary metric).
    pub depth: usize,
    /// How it is computed.
    pub measure: Measure,
}

/// Every user's metric values: a dense table, users ordered by id.
///
/// `values` holds `users.len() × metrics.len()` numbers row by row (one row per user, one
/// column per metric in tree definition order); all are finite.
///
/// ```
/// use std::sync::Arc;
/// use chrono::{TimeZone, Utc};
/// use userops::event::EventRecord;
/// use userops::fold::{fold, Summary};
/// use userops::metric::{MetricSummary, MetricTree, Window};
///
/// let t = |d| Utc.with_ymd_and_hms(2025, 1, d, 12, 0, 0).unwrap();
/// let log = vec![EventRecord::<u8>::new(2_u8, t(3)).with_amount(5.0), EventRecord::new(1_u8, t(4))];
/// // The tree names the host's event type (events may be folded by value or by reference).
/// let tree = Arc::new(MetricTree::<EventRecord<u8>>::standard().build()?);
/// let report = fold(MetricSummary::new(tree, Utc, Window::new(t(1), t(31))?), &log)?.finish()?;
/// assert_eq!(report.users, [1_u8, 2]);
/// assert_eq!(report.value(1, report.metric_index("revenue").unwrap()), Some(5.0));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MetricReport<U> {
    /// The evaluation window.
    pub window: Window,
    /// The metrics (columns).
    pub metrics: Vec<MetricInfo>,
    /// The users (rows), ordered by id.
    pub users: Vec<U>,
    /// Values row by row.
    pub values: Vec<f64>,
    /// Events skipped because they fell outside the window.
    pub outside_window: u64,
}

impl<U> MetricReport<U> {
    /// The column index of a metric.
    ///
    /// ```
    /// # use userops::metric::*;
    /// let r = MetricReport::<u8> { window: Window::new(chrono::DateTime::UNIX_EPOCH, chrono::DateTime::UNIX_EPOCH + chrono::TimeDelta::days(365))?,
    ///     metrics: vec![MetricInfo { name: "x".into(), parent: None, depth: 0, measure: Measure::Events }],
    ///     users: vec![], values: vec![], outside_window: 0 };
    /// assert_eq!(r.metric_index("x"), Some(0));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn metric_index(&self, name: &str) -> Option<usize> {
        self.metrics.iter().position(|m| m.name == name)
    }

    /// One user's row (by row index).
    ///
    /// ```
    /// # use userops::metric::*;
    /// let r = MetricReport::<u8> { window: Window::new(chrono::DateTime::UNIX_EPOCH, chrono::DateTime::UNIX_EPOCH + chrono::TimeDelta::days(365))?,
    ///     metrics: vec![MetricInfo { name: "x".into(), parent: None, depth: 0, measure: Measure::Events }],
    ///     users: vec![9], values: vec![4.0], outside_window: 0 };
    /// assert_eq!(r.row(0), Some(&[4.0][..]));
    /// assert_eq!(r.row(1), None);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn row(&self, user_index: usize) -> Option<&[f64]> {
        let m = self.metrics.len();
        self.values
            .get(user_index.checked_mul(m)?..user_index.checked_add(1)?.checked_mul(m)?)
    }

    /// One value (row, column).
    ///
    /// ```
    /// # use userops::metric::*;
    /// let r = MetricReport::<u8> { window: Window::new(chrono::DateTime::UNIX_EPOCH, chrono::DateTime::UNIX_EPOCH + chrono::TimeDelta::days(365))?,
    ///     metrics: vec![MetricInfo { name: "x".into(), parent: None, depth: 0, measure: Measure::Events }],
    ///     users: vec![9], values: vec![4.0], outside_window: 0 };
    /// assert_eq!(r.value(0, 0), Some(4.0));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn value(&self, user_index: usize, metric_index: usize) -> Option<f64> {
        if metric_index >= self.metrics.len() {
            return None;
        }
        self.row(user_index)?.get(metric_index).copied()
    }

    /// One metric's values for every user, in user order.
    ///
    /// ```
    /// # use userops::metric::*;
    /// let r = MetricReport::<u8> { window: Window::new(chrono::DateTime::UNIX_EPOCH, chrono::DateTime::UNIX_EPOCH + chrono::TimeDelta::days(365))?,
    ///     metrics: vec![MetricInfo { name: "x".into(), parent: None, depth: 0, measure: Measure::Events }],
    ///     users: vec![1, 2], values: vec![4.0, 5.0], outside_window: 0 };
    /// assert_eq!(r.column(0), vec![4.0, 5.0]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn column(&self, metric_index: usize) -> Vec<f64> {
        let m = self.metrics.len();
        if metric_index >= m {
            return Vec::new();
        }
        self.values
            .iter()
            .skip(metric_index)
            .step_by(m)
            .copied()
            .collect()
    }

    /// The row index of a user (users are sorted, so this is a binary search).
    ///
    /// ```
    /// # use userops::metric::*;
    /// let r = MetricReport::<u8> { window: Window::new(chrono::DateTime::UNIX_EPOCH, chrono::DateTime::UNIX_EPOCH + chrono::TimeDelta::days(365))?,
    ///     metrics: vec![MetricInfo { name: "x".into(), parent: None, depth: 0, measure: Measure::Events }],
    ///     users: vec![1, 5], values: vec![4.0, 5.0], outside_window: 0 };
    /// assert_eq!(r.user_index(&5), Some(1));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn user_index(&self, user: &U) -> Option<usize>
    where
        U: Ord,
    {
        self.users.binary_search(user).ok()
    }
}

impl<U: fmt::Debug> fmt::Display for MetricReport<U> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:<12}", "user")?;
        for m in &self.metrics {
            write!(f, " {:>14}", truncate(&m.name, 14))?;
        }
        writeln!(f)?;
        let rows: Vec<usize> = (0..self.users.len()).collect();
        crate::report::rows(f, &rows, "users", |f, &i| {
            write!(f, "{:<12}", truncate(&format!("{:?}", self.users[i]), 12))?;
            for v in self.row(i).unwrap_or(&[]) {
                write!(f, " {v:>14.2}")?;
            }
            writeln!(f)
        })?;
        write!(
            f,
            "{} users",
            crate::report::thousands(self.users.len() as u64)
        )
    }
}

pub(crate) fn truncate(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        s.chars().take(n.saturating_sub(1)).chain(['…']).collect()
    }
}

/// The per-user metric fold: each user's sums (events, amount, payments, seconds, sessions,
/// one per counted event name, one per host metric) and distinct active local days, for
/// the events inside a [`Window`].
///
/// * Compact per-user state: one row of `f64` sums in a dense table and a small inline day
///   set; event names of `Count` measures are interned once when the tree is built, so an
///   event costs a few byte compares, never an allocation.
/// * Users live in the engine's user dictionary ([`crate::engine::Dictionary`]): a run of
///   one user's events costs one comparison, users in ascending order no hashing.
/// * Days are local days of zone `Tz`.
///
/// `finish` evaluates every metric per user and gives [`MetricError::NotANumber`] naming the
/// metric and user when one is not finite. Merging requires the same tree (the same `Arc`),
/// zone and window. See the [module docs](super) for an example.
///
/// The partial state serializes (serde) as a [`MetricState`]; the tree, which holds the host's
/// metrics as code, does not travel: [`MetricSummary::from_state`] joins a state read back to
/// the tree it was folded with.
pub struct MetricSummary<E: Event, Tz: TimeZone = crate::time::Zone> {
    tree: Arc<MetricTree<E>>,
    tz: Tz,
    window: Window,
    /// The local day number (days since 1970-01-01 in `tz`) of the window's start.
    first_day: i64,
    users: Dictionary<E::User>,
    /// Each user's sums, `tree.slots` of them, user after user (indexed like `users`).
    slots: Vec<f64>,
    /// Each user's active days (indexed like `users`).
    days: Vec<DaySet>,
    outside: u64,
    scratch: Vec<f64>,
}

impl<E: Event, Tz: TimeZone> Clone for MetricSummary<E, Tz> {
    fn clone(&self) -> Self {
        MetricSummary {
            tree: Arc::clone(&self.tree),
            tz: self.tz.clone(),
            window: self.window,
            first_day: self.first_day,
            users: self.users.clone(),
            slots: self.slots.clone(),
            days: self.days.clone(),
            outside: self.outside,
            scratch: Vec::new(),
        }
    }
}

// The per-user state is large and host metrics are closures: Debug shows the settings only.
#[allow(clippy::missing_fields_in_debug)]
impl<E: Event, Tz: TimeZone + fmt::Debug> fmt::Debug for MetricSummary<E, Tz> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MetricSummary")
            .field("tree", &self.tree)
            .field("tz", &self.tz)
            .field("window", &self.window)
            .field("users", &self.users.len())
            .field("outside_window", &self.outside)
            .finish()
    }
}

impl<E: Event, Tz: TimeZone> MetricSummary<E, Tz> {
    /// Folds `events` (references to the host's events) into the summary: the same as
    /// [`crate::fold::fold`], but the event type comes from `events`, so a tree built with
    /// [`MetricTree::standard`] needs no type annotation.
    ///
    /// # Errors
    /// As [`Fold::observe`] for the first event that fails.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use chrono::{TimeZone, Utc};
    /// use userops::event::EventRecord;
    /// use userops::fold::Summary;
    /// use userops::metric::{MetricSummary, MetricTree, Window};
    /// let t = Utc.with_ymd_and_hms(2025, 1, 10, 12, 0, 0).unwrap();
    /// let orders: Vec<EventRecord<String>> = vec![EventRecord::new("ana", t).with_amount(30.0)];
    /// let tree = Arc::new(MetricTree::standard().build()?);
    /// let window = Window::trailing_days(t + chrono::TimeDelta::days(1), 30)?;
    /// let report = MetricSummary::new(tree, Utc, window).fold_events(&orders)?.finish()?;
    /// assert_eq!(report.users.len(), 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn fold_events<'a, I>(mut self, events: I) -> Result<Self>
    where
        I: IntoIterator<Item = &'a E>,
        E: 'a,
        Tz: PartialEq,
    {
        for e in events {
            Fold::<&E>::observe(&mut self, &e)?;
        }
        Ok(self)
    }

    /// An empty summary for `tree`, with days in zone `tz`, over `window`.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use chrono::{DateTime, Utc};
    /// use userops::metric::{MetricSummary, MetricTree, Window};
    /// let tree = Arc::new(MetricTree::<userops::event::EventRecord>::standard().build()?);
    /// let s = MetricSummary::new(tree, Utc, Window::trailing_days(DateTime::UNIX_EPOCH, 7)?);
    /// assert!(s.is_empty());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn new(tree: Arc<MetricTree<E>>, tz: Tz, window: Window) -> Self {
        let hosts = tree.hosts.len();
        let first_day = crate::time::local_day(&tz, window.from);
        MetricSummary {
            tree,
            tz,
            first_day,
            window,
            users: Dictionary::new(),
            slots: Vec::new(),
            days: Vec::new(),
            outside: 0,
            scratch: Vec::with_capacity(hosts),
        }
    }

    /// Number of users seen in the window.
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use chrono::{DateTime, Utc};
    /// # use userops::metric::{MetricSummary, MetricTree, Window};
    /// # let tree = Arc::new(MetricTree::<userops::event::EventRecord>::standard().build()?);
    /// let s = MetricSummary::new(tree, Utc, Window::trailing_days(DateTime::UNIX_EPOCH, 7)?);
    /// assert_eq!(s.len(), 0);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn len(&self) -> usize {
        self.users.len()
    }

    /// Whether no user has been seen in the window.
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use chrono::{DateTime, Utc};
    /// # use userops::metric::{MetricSummary, MetricTree, Window};
    /// # let tree = Arc::new(MetricTree::<userops::event::EventRecord>::standard().build()?);
    /// let s = MetricSummary::new(tree, Utc, Window::trailing_days(DateTime::UNIX_EPOCH, 7)?);
    /// assert!(s.is_empty());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn is_empty(&self) -> bool {
        self.users.is_empty()
    }

    /// The row of `user`, a row of zeros and no day when the user is new.
    #[inline]
    fn user_row(&mut self, user: &E::User) -> Result<usize> {
        let i = self.users.intern(user)? as usize;
        if i == self.days.len() {
            self.slots.resize(self.slots.len() + self.tree.slots, 0.0);
            self.days.push(DaySet::EMPTY);
        }
        Ok(i)
    }
}

/// The partial state of a [`MetricSummary`], as it serializes: the tree's metric names (to
/// check the tree it is joined to again), the zone and window, the users with their sums and
/// active days (as offsets from the window's first local day), and the events outside the
/// window. [`MetricSummary::from_state`] turns it back into a summary.
///
/// ```
/// use std::sync::Arc;
/// use chrono::{TimeZone, Utc};
/// use userops::event::EventRecord;
/// use userops::fold::{fold, Summary};
/// use userops::metric::{MetricState, MetricSummary, MetricTree, Window};
///
/// let t = |d| Utc.with_ymd_and_hms(2025, 1, d, 12, 0, 0).unwrap();
/// let log = vec![EventRecord::<u8>::new(2_u8, t(3)).with_amount(5.0), EventRecord::new(1_u8, t(4))];
/// let tree = Arc::new(MetricTree::<EventRecord<u8>>::standard().build()?);
/// let window = Window::new(t(1), t(31))?;
/// let part = fold(MetricSummary::new(Arc::clone(&tree), Utc, window), &log)?;
/// let json = serde_json::to_string(&part)?;
/// let state: MetricState<u8, Utc> = serde_json::from_str(&json)?;
/// let back = MetricSummary::from_state(tree, state)?;
/// assert_eq!(serde_json::to_string(&back)?, json);
/// assert_eq!(back.finish()?, part.finish()?);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(bound(
    serialize = "U: Serialize, Tz: NamedZone",
    deserialize = "U: Deserialize<'de> + Clone + Eq + Hash + Ord, Tz: NamedZone"
))]
pub struct MetricState<U, Tz: TimeZone = crate::time::Zone> {
    metrics: Vec<String>,
    #[serde(with = "crate::engine::zone")]
    zone: Tz,
    window: Window,
    users: Dictionary<U>,
    sums: Vec<f64>,
    days: Vec<Vec<u16>>,
    outside_window: u64,
}

/// A [`MetricState`] borrowed from a summary: what [`MetricSummary`] serializes as.
#[derive(Serialize)]
#[serde(bound(serialize = "U: Serialize"))]
struct MetricStateRef<'a, U> {
    metrics: Vec<&'a str>,
    zone: String,
    window: Window,
    users: &'a Dictionary<U>,
    sums: &'a [f64],
    days: Vec<&'a [u16]>,
    outside_window: u64,
}

impl<E, Tz> Serialize for MetricSummary<E, Tz>
where
    E: Event,
    E::User: Serialize,
    Tz: NamedZone,
{
    fn serialize<S: serde::Serializer>(
        &self,
        serializer: S,
    ) -> std::result::Result<S::Ok, S::Error> {
        MetricStateRef {
            metrics: self.tree.defs.iter().map(|d| d.name.as_str()).collect(),
            zone: self.tz.zone_name(),
            window: self.window,
            users: &self.users,
            sums: &self.slots,
            days: self.days.iter().map(DaySet::as_slice).collect(),
            outside_window: self.outside,
        }
        .serialize(serializer)
    }
}

impl<E: Event, Tz: TimeZone> MetricSummary<E, Tz> {
    /// The summary of a serialized partial state, with the tree it was folded with: the same
    /// summary that was serialized (it merges with other parts folded with `tree`).
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] when the state could not come from a fold with `tree`:
    /// other metric names, a window that is not one, sums or day lists that do not match the
    /// users, a user without an active day, days out of order or outside the window.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use chrono::{DateTime, Utc};
    /// use userops::event::EventRecord;
    /// use userops::metric::{MetricState, MetricSummary, MetricTree, Window};
    /// let tree = Arc::new(MetricTree::<EventRecord<u8>>::standard().build()?);
    /// let empty = MetricSummary::new(Arc::clone(&tree), Utc, Window::trailing_days(DateTime::UNIX_EPOCH, 7)?);
    /// let state: MetricState<u8, Utc> = serde_json::from_str(&serde_json::to_string(&empty)?)?;
    /// assert!(MetricSummary::from_state(tree, state)?.is_empty());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn from_state(tree: Arc<MetricTree<E>>, state: MetricState<E::User, Tz>) -> Result<Self> {
        let bad =
            |what: &str| Error::invalid("state", format!("not a metric summary's state: {what}"));
        if !state.metrics.iter().eq(tree.defs.iter().map(|d| &d.name)) {
            return Err(bad("its metrics are not the tree's"));
        }
        let window = Window::new(state.window.from, state.window.to)?;
        let mut summary = MetricSummary::new(tree, state.zone, window);
        let n = state.users.len();
        if Some(state.sums.len()) != n.checked_mul(summary.tree.slots) || state.days.len() != n {
            return Err(bad("sums or day lists do not match the users"));
        }
        let last_day = (crate::time::local_day(&summary.tz, window.to) - summary.first_day)
            .clamp(0, i64::from(u16::MAX));
        let days_fit = |days: &Vec<u16>| {
            days.last().is_some_and(|&d| i64::from(d) <= last_day)
                && days.windows(2).all(|w| w[0] < w[1])
        };
        if !state.days.iter().all(days_fit) {
            return Err(bad(
                "a user's days are empty, out of order or outside the window",
            ));
        }
        summary.users = state.users;
        summary.slots = state.sums;
        summary.days = state.days.into_iter().map(DaySet::from_sorted).collect();
        summary.outside = state.outside_window;
        Ok(summary)
    }
}

/// Host metrics whose contributions are kept on the stack (more use a reused buffer).
const HOSTS_ON_STACK: usize = 8;

#[cold]
#[inline(never)]
fn bad_amount<E: Event>(e: &E) -> Error {
    checked_amount(e)
        .err()
        .unwrap_or_else(|| Error::InvalidInput("amount".into()))
}

#[cold]
#[inline(never)]
fn negative_duration<E: Event>(e: &E, ms: i64) -> Error {
    Error::Negative {
        field: "duration",
        value: ms as f64 / 1000.0,
        user: format!("{:?}", e.user()),
        hint: "; a time spent cannot be negative",
    }
}

#[cold]
#[inline(never)]
fn host_not_a_number<E: Event>(metric: &str, e: &E, value: f64) -> Error {
    MetricError::NotANumber {
        metric: metric.to_string(),
        user: format!("{:?}", e.user()),
        value,
    }
    .into()
}

/// String equality with a first-byte check before the byte compare.
#[inline]
fn same_name(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.as_bytes().first() == b.as_bytes().first() && a == b
}

impl<E, X, Tz> Fold<X> for MetricSummary<E, Tz>
where
    E: Event,
    X: Borrow<E>,
    Tz: TimeZone + PartialEq,
{
    fn observe(&mut self, event: &X) -> Result<()> {
        let e: &E = event.borrow();
        let at = e.at();
        if at < self.window.from || at >= self.window.to {
            self.outside += 1;
            return Ok(());
        }
        let amount = e.amount();
        if !amount.is_finite() {
            return Err(bad_amount(e));
        }
        let millis = match e.duration() {
            Some(d) => {
                let ms = d.num_milliseconds();
                if ms < 0 {
                    return Err(negative_duration(e, ms));
                }
                Some(ms as f64)
            }
            None => None,
        };
        let tree = &*self.tree;
        // Host contributions are all computed (and checked) before any state changes.
        let mut on_stack = [0.0_f64; HOSTS_ON_STACK];
        let hosts = tree.hosts.len();
        let mut spill = Vec::new();
        let contributions: &[f64] = if hosts == 0 {
            &[]
        } else if hosts <= HOSTS_ON_STACK {
            for (slot, h) in on_stack.iter_mut().zip(&tree.hosts) {
                let v = h.observe(e);
                if !v.is_finite() {
                    return Err(host_not_a_number(h.name(), e, v));
                }
                *slot = v;
            }
            &on_stack[..hosts]
        } else {
            spill = std::mem::take(&mut self.scratch);
            spill.clear();
            for h in &tree.hosts {
                let v = h.observe(e);
                if !v.is_finite() {
                    return Err(host_not_a_number(h.name(), e, v));
                }
                spill.push(v);
            }
            &spill
        };
        let named = match (tree.names.is_empty(), e.name()) {
            (false, Some(n)) => tree.names.iter().position(|x| same_name(x, n)),
            _ => None,
        };
        // Within the window, so 0 ..= 65,001: fits 16 bits.
        let day = (crate::time::local_day(&self.tz, at) - self.first_day)
            .clamp(0, i64::from(u16::MAX)) as u16;
        let stride = tree.slots;
        let i = self.user_row(e.user())?;
        let start = i * stride;
        if let Some(row) = self.slots.get_mut(start..start + stride) {
            row[SLOT_EVENTS] += 1.0;
            row[SLOT_AMOUNT] += amount;
            if amount > 0.0 {
                row[SLOT_PAYMENTS] += 1.0;
            }
            if let Some(s) = millis {
                row[SLOT_MILLIS] += s;
                row[SLOT_SESSIONS] += 1.0;
            }
            if let Some(j) = named {
                row[BASE_SLOTS + j] += 1.0;
            }
            let host_base = stride - contributions.len();
            for (k, v) in contributions.iter().enumerate() {
                row[host_base + k] += v;
            }
        }
        if let Some(d) = self.days.get_mut(i) {
            d.insert(day);
        }
        if hosts > HOSTS_ON_STACK {
            self.scratch = spill;
        }
        Ok(())
    }
}

impl<E, Tz> Summary for MetricSummary<E, Tz>
where
    E: Event,
    Tz: TimeZone + PartialEq,
{
    type Output = MetricReport<E::User>;

    fn merge(&mut self, other: Self) -> Result<()> {
        if !Arc::ptr_eq(&self.tree, &other.tree) {
            return Err(Error::MergeMismatch(
                "metric summaries were built with different trees (share one Arc<MetricTree>)"
                    .into(),
            ));
        }
        if self.tz != other.tz || self.window != other.window {
            return Err(Error::MergeMismatch(
                "metric summaries use different zones or windows".into(),
            ));
        }
        let stride = self.tree.slots;
        self.outside += other.outside;
        let before = self.users.len();
        let rows = self.users.absorb(&other.users)?;
        for (j, (i, days)) in rows.into_iter().zip(other.days).enumerate() {
            let i = i as usize;
            let theirs = other.slots.get(j * stride..(j + 1) * stride).unwrap_or(&[]);
            if i >= before {
                // New here: `absorb` appends other's new users in their order.
                self.slots.extend_from_slice(theirs);
                self.days.push(days);
                continue;
            }
            if let Some(row) = self.slots.get_mut(i * stride..(i + 1) * stride) {
                for (a, b) in row.iter_mut().zip(theirs) {
                    *a += b;
                }
            }
            if let Some(d) = self.days.get_mut(i) {
                d.union(&days);
            }
        }
        Ok(())
    }

    fn finish(self) -> Result<MetricReport<E::User>> {
        let tree = &*self.tree;
        let ids = self.users.into_values();
        let n = ids.len();
        let m = tree.defs.len();
        let stride = tree.slots;
        let sorted = ids.windows(2).all(|w| w[0] <= w[1]);
        let mut order: Vec<usize> = (0..n).collect();
        if !sorted {
            order.sort_unstable_by(|&a, &b| ids[a].cmp(&ids[b]));
        }
        let months = self.window.days() / DAYS_PER_MONTH;
        let mut values = vec![0.0_f64; n * m];
        for (r, &i) in order.iter().enumerate() {
            let sums = self.slots.get(i * stride..(i + 1) * stride).unwrap_or(&[]);
            let active = self.days.get(i).map_or(0, DaySet::len) as f64;
            let row = &mut values[r * m..(r + 1) * m];
            for &k in &tree.order {
                let slot = |s: usize| sums.get(s).copied().unwrap_or(0.0);
                let v = match tree.ops[k] {
                    Op::Slot(s, scale) => slot(s) * scale,
                    Op::Positive(s) => f64::from(u8::from(slot(s) > 0.0)),
                    Op::ActiveDays => active,
                    Op::PerMonth(s) => slot(s) / months,
                    Op::PerActiveDay(j) => rate(row[j], active),
                    Op::Ratio(a, b) => rate(row[a], row[b]),
                };
                if !v.is_finite() {
                    return Err(MetricError::NotANumber {
                        metric: tree.defs[k].name.clone(),
                        user: format!("{:?}", ids[i]),
                        value: v,
                    }
                    .into());
                }
                row[k] = v;
            }
        }
        let users = if sorted {
            ids
        } else {
            let mut ids: Vec<Option<E::User>> = ids.into_iter().map(Some).collect();
            order
                .iter()
                .filter_map(|&i| ids.get_mut(i).and_then(Option::take))
                .collect()
        };
        Ok(MetricReport {
            window: self.window,
            metrics: metric_infos(&tree.defs, tree.depths()),
            users,
            values,
            outside_window: self.outside,
        })
    }
}

/// `a / b`, and 0 when `b` is 0.
fn rate(a: f64, b: f64) -> f64 {
    if b == 0.0 { 0.0 } else { a / b }
}

fn metric_infos(defs: &[MetricDef], depth: &[usize]) -> Vec<MetricInfo> {
    defs.iter()
        .zip(depth)
        .map(|(d, &depth)| MetricInfo {
            name: d.name.clone(),
            parent: d.parent.clone(),
            depth,
            measure: d.measure.clone(),
        })
        .collect()
}
