//! The per-user purchase summary RFM starts from: recency, frequency and monetary value as of
//! an explicit instant, as a mergeable fold; and the same table from customer-level rows.

use std::collections::HashSet;
use std::fmt;
use std::hash::Hash;

use chrono::{DateTime, Datelike, Timelike, Utc};
use serde::{Deserialize, Serialize};

use crate::event::{Event, checked_amount};
use crate::fold::{Fold, Summary, UserMap};
use crate::time::Zone;
use crate::{Error, Result};

const MS_PER_DAY: f64 = 86_400_000.0;

/// What an [`RfmSummary`] keeps per user: 24 bytes (checked by a test with `size_of`).
///
/// With `u64` user ids the whole summary holds at most 49 bytes per user: this state (24),
/// the id in first-seen order (8) and, only when users do not arrive in ascending order, the
/// id → slot index entry (16) and one hash-table control byte (plus the table's spare
/// capacity). Distinct purchase days, when asked for, are kept apart (see
/// [`RfmSummary::distinct_days`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct PurchaseState {
    /// The [`time_key`] of the last purchase (cheaper per event than milliseconds since the
    /// epoch; [`Year`] converts it once per customer when scoring).
    last_key: i64,
    monetary: f64,
    orders: u64,
}

impl PurchaseState {
    pub(crate) const EMPTY: PurchaseState = PurchaseState {
        last_key: i64::MIN,
        monetary: 0.0,
        orders: 0,
    };

    #[inline]
    fn add(&mut self, key: i64, amount: f64) {
        self.last_key = self.last_key.max(key);
        self.monetary += amount;
        self.orders += 1;
    }

    fn merge(&mut self, o: &PurchaseState) {
        self.last_key = self.last_key.max(o.last_key);
        self.monetary += o.monetary;
        self.orders += o.orders;
    }

    /// Days from the last purchase to `as_of_ms` (milliseconds since the epoch), the key
    /// converted by `year`.
    #[inline]
    pub(crate) fn recency_days(&self, as_of_ms: i64, year: &mut Year) -> f64 {
        (as_of_ms - year.key_to_millis(self.last_key)) as f64 / MS_PER_DAY
    }

    #[inline]
    pub(crate) fn orders(&self) -> u64 {
        self.orders
    }

    #[inline]
    pub(crate) fn monetary(&self) -> f64 {
        self.monetary
    }
}

/// A sortable integer for an instant, to the millisecond: `(year * 512 + day of year) *
/// 86,400,000 + millisecond of the day`. Strictly increasing in time, and cheaper than
/// milliseconds since the epoch (no day count from the year); [`key_to_millis`] converts it
/// once per user.
#[inline]
fn time_key(at: DateTime<Utc>) -> i64 {
    let utc = at.naive_utc();
    let (date, time) = (utc.date(), utc.time());
    let day = i64::from(date.year()) * 512 + i64::from(date.ordinal());
    let ms = i64::from(time.num_seconds_from_midnight()) * 1000
        + i64::from(time.nanosecond() / 1_000_000);
    day * MS_PER_DAY_I64 + ms
}

/// Milliseconds since the epoch of a [`time_key`], as `DateTime::timestamp_millis` gives
/// them (a leap second's milliseconds run into the next day, as there). Saturating: never
/// overflows, whatever the key.
fn key_to_millis(key: i64) -> i64 {
    let day = key.div_euclid(MS_PER_DAY_I64);
    let ms = key.rem_euclid(MS_PER_DAY_I64);
    let (year, ordinal) = (day.div_euclid(512), day.rem_euclid(512));
    // Days from 0001-01-01 (day 1) to this date, proleptic Gregorian; 1970-01-01 is 719,163.
    let y = year.saturating_sub(1);
    let days = y
        .saturating_mul(365)
        .saturating_add(y.div_euclid(4))
        .saturating_sub(y.div_euclid(100))
        .saturating_add(y.div_euclid(400))
        .saturating_add(ordinal);
    days.saturating_sub(UNIX_EPOCH_DAY)
        .saturating_mul(MS_PER_DAY_I64)
        .saturating_add(ms)
}

/// [`key_to_millis`] with the conversions of the last four years kept: inside one year a key
/// and its milliseconds differ by a constant (`key_to_millis` is linear in the key there), so
/// a key of a kept year converts with a few comparisons and an addition. The default keeps
/// only empty ranges: the first keys take the slow road.
#[derive(Default)]
pub(crate) struct Year {
    /// `(lo, hi, offset)`: keys in `lo..hi` (one year's) convert by adding `offset`.
    kept: [(i64, i64, i64); 4],
    /// The entry the next new year replaces.
    next: usize,
}

impl Year {
    #[inline]
    pub(crate) fn key_to_millis(&mut self, key: i64) -> i64 {
        for &(lo, hi, offset) in &self.kept {
            if key >= lo && key < hi {
                return key + offset;
            }
        }
        self.refill(key)
    }

    /// Converts `key` exactly and keeps its year's offset, when that year's keys and
    /// milliseconds are far from overflowing.
    #[cold]
    #[inline(never)]
    fn refill(&mut self, key: i64) -> i64 {
        const YEAR_SPAN: i64 = 512 * MS_PER_DAY_I64;
        let year = key.div_euclid(YEAR_SPAN);
        let kept = year.checked_mul(YEAR_SPAN).and_then(|lo| {
            let hi = lo.checked_add(YEAR_SPAN)?;
            // Day 0 of `year` is the day before its January 1st: key (year, 0, 0).
            let start = key_to_millis(lo);
            // Both ends exact (not saturated): then every key between is.
            let last = start.checked_add(YEAR_SPAN - 1)?;
            (key_to_millis(hi - 1) == last && start > i64::MIN / 2 && last < i64::MAX / 2)
                .then_some((lo, hi, start.checked_sub(lo)?))
        });
        if let (Some(k), Some(slot)) = (kept, self.kept.get_mut(self.next)) {
            *slot = k;
            self.next = (self.next + 1) % 4;
        }
        key_to_millis(key)
    }
}

const MS_PER_DAY_I64: i64 = 86_400_000;
const UNIX_EPOCH_DAY: i64 = 719_163;

/// Users and their states, in slot order: a summary's own, or a part a merge appended.
#[derive(Debug, Clone)]
pub(crate) struct Part<U> {
    pub(crate) users: Vec<U>,
    pub(crate) states: Vec<PurchaseState>,
}

/// The raw state of a summary, for scoring straight from it (no table in between): the states
/// keep their time keys ([`PurchaseState::recency_days`] converts them). The parts hold the
/// slots in order (slot `i` of the second part is slot `parts[0].len() + i`).
pub(crate) struct SummaryParts<U> {
    pub(crate) as_of_ms: i64,
    pub(crate) parts: Vec<Part<U>>,
    pub(crate) day_counts: Option<Vec<u32>>,
}

impl<U> SummaryParts<U> {
    /// Number of slots over all parts.
    pub(crate) fn len(&self) -> usize {
        self.parts.iter().map(|p| p.states.len()).sum()
    }
}

/// Per-user recency, frequency and monetary value as of an explicit instant: a mergeable fold
/// over purchase events.
///
/// * **recency** — exact days (fractional) from the user's last purchase to `as_of`;
/// * **frequency** — number of purchases (transactions) and, when
///   [`RfmSummary::distinct_days`] is on, the number of distinct purchase days in a zone;
/// * **monetary** — total and mean amount (refunds, being negative, lower it).
///
/// Every folded event is a purchase (the R package `rfm` counts every order row); for a mixed
/// log use [`RfmSummary::payments_only`] to skip events without an amount. Events are fastest
/// grouped by user: consecutive events of the same user skip the map lookup, and while users
/// arrive in ascending order (a database export ordered by user id) no hash map is built at
/// all. Rows come out in the order users were first seen. Merging parts of such a log, each
/// part's users after the previous part's (what `fold_par` makes of it), keeps them as they
/// are, one after the other: only the one user a cut may split is merged, nothing is copied,
/// and scoring reads the parts in place (the next event, or a merge of users out of order,
/// joins them first).
///
/// ```
/// use chrono::{TimeZone, Utc};
/// use userops::event::EventRecord;
/// use userops::fold::{fold, Summary};
/// use userops::rfm::RfmSummary;
///
/// let day = |d| Utc.with_ymd_and_hms(2025, 3, d, 0, 0, 0).unwrap();
/// let orders = vec![
///     EventRecord::<&str>::new("ana", day(1)).with_amount(30.0),
///     EventRecord::new("ana", day(11)).with_amount(12.0),
///     EventRecord::new("bo", day(21)).with_amount(99.0),
/// ];
/// let table = fold(RfmSummary::new(day(31)), &orders)?.finish();
/// let ana = &table.customers[0];
/// assert_eq!((ana.recency_days, ana.orders, ana.monetary, ana.mean_monetary), (20.0, 2, 42.0, 21.0));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct RfmSummary<U> {
    as_of: DateTime<Utc>,
    as_of_ms: i64,
    /// [`time_key`] of `as_of`.
    as_of_key: i64,
    payments_only: bool,
    day_zone: Option<Zone>,
    users: Vec<U>,
    states: Vec<PurchaseState>,
    index: UserMap<U, u32>,
    /// Slot of the previous event's user (the grouped-by-user fast path).
    last: usize,
    /// Whether users so far arrived in strictly ascending runs (input ordered by user): then
    /// a new user cannot have been seen before, and `index` is not built at all.
    ascending: bool,
    /// (slot, local day number) pairs, when distinct days are counted.
    days: HashSet<(u32, i32)>,
    /// Parts appended by merges, each one's users after the previous one's (all ascending;
    /// none empty): the slots after `users`. Kept apart so that merging the parts of a log
    /// ordered by user (what `fold_par` makes) copies nothing; scoring reads them in place,
    /// and the next event or unordered merge joins them first.
    tails: Vec<Part<U>>,
}

impl<U: Clone + Eq + Hash> RfmSummary<U> {
    /// An empty summary as of `as_of` (events later than it are an error).
    ///
    /// ```
    /// let s = userops::rfm::RfmSummary::<u64>::new(chrono::DateTime::UNIX_EPOCH);
    /// assert!(s.is_empty());
    /// ```
    #[must_use]
    pub fn new(as_of: DateTime<Utc>) -> Self {
        RfmSummary {
            as_of,
            as_of_ms: as_of.timestamp_millis(),
            as_of_key: time_key(as_of),
            payments_only: false,
            day_zone: None,
            users: Vec::new(),
            states: Vec::new(),
            index: UserMap::default(),
            last: usize::MAX,
            ascending: true,
            days: HashSet::new(),
            tails: Vec::new(),
        }
    }

    /// Skips events whose amount is exactly 0 (sessions, page views) so that a mixed event
    /// log can be folded directly; refunds (negative amounts) still count as transactions.
    ///
    /// ```
    /// use chrono::{TimeZone, Utc};
    /// use userops::event::EventRecord;
    /// use userops::fold::{fold, Summary};
    /// let t = Utc.with_ymd_and_hms(2025, 1, 1, 0, 0, 0).unwrap();
    /// let log = vec![EventRecord::<u8>::new(1_u8, t), EventRecord::new(1_u8, t).with_amount(5.0)];
    /// let table = fold(userops::rfm::RfmSummary::new(t).payments_only(true), &log)?.finish();
    /// assert_eq!(table.customers[0].orders, 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn payments_only(mut self, yes: bool) -> Self {
        self.payments_only = yes;
        self
    }

    /// Also counts distinct purchase days (calendar days in `zone`) per user.
    ///
    /// Exact under any order and any merge, at the price of memory proportional to distinct
    /// (user, day) pairs rather than to users; off by default.
    ///
    /// ```
    /// use chrono::{TimeZone, Utc};
    /// use userops::event::EventRecord;
    /// use userops::fold::{fold, Summary};
    /// use userops::time::Zone;
    /// let at = |d, h| Utc.with_ymd_and_hms(2025, 1, d, h, 0, 0).unwrap();
    /// let log = vec![
    ///     EventRecord::<u8>::new(1_u8, at(1, 9)).with_amount(5.0),
    ///     EventRecord::new(1_u8, at(1, 18)).with_amount(5.0),
    ///     EventRecord::new(1_u8, at(2, 9)).with_amount(5.0),
    /// ];
    /// let s = userops::rfm::RfmSummary::new(at(3, 0)).distinct_days(Zone::Utc);
    /// let table = fold(s, &log)?.finish();
    /// assert_eq!((table.customers[0].orders, table.customers[0].purchase_days), (3, Some(2)));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn distinct_days(mut self, zone: Zone) -> Self {
        self.day_zone = Some(zone);
        self
    }

    /// The as-of instant.
    ///
    /// ```
    /// let s = userops::rfm::RfmSummary::<u64>::new(chrono::DateTime::UNIX_EPOCH);
    /// assert_eq!(s.as_of(), chrono::DateTime::UNIX_EPOCH);
    /// ```
    #[must_use]
    pub fn as_of(&self) -> DateTime<Utc> {
        self.as_of
    }

    /// Number of users seen.
    ///
    /// ```
    /// let s = userops::rfm::RfmSummary::<u64>::new(chrono::DateTime::UNIX_EPOCH);
    /// assert_eq!(s.len(), 0);
    /// ```
    #[must_use]
    pub fn len(&self) -> usize {
        self.users.len() + self.tails.iter().map(|t| t.users.len()).sum::<usize>()
    }

    /// Whether no user has been seen.
    ///
    /// ```
    /// let s = userops::rfm::RfmSummary::<u64>::new(chrono::DateTime::UNIX_EPOCH);
    /// assert!(s.is_empty());
    /// ```
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.users.is_empty() && self.tails.is_empty()
    }

    /// Moves the appended parts into `users` and `states` (before anything that adds slots).
    #[cold]
    #[inline(never)]
    fn join_tails(&mut self) {
        for tail in std::mem::take(&mut self.tails) {
            self.users.extend(tail.users);
            self.states.extend(tail.states);
        }
    }

    #[inline]
    fn slot_of(&mut self, user: &U) -> Result<usize>
    where
        U: Ord,
    {
        if let Some(u) = self.users.get(self.last) {
            if u == user {
                return Ok(self.last);
            }
        }
        self.slot_of_new_run(user)
    }

    #[inline(never)]
    fn slot_of_new_run(&mut self, user: &U) -> Result<usize>
    where
        U: Ord,
    {
        if !self.tails.is_empty() {
            self.join_tails();
        }
        if self.ascending {
            match self.users.last() {
                Some(prev) if prev >= user => {
                    // The order is broken: index every user seen so far, once.
                    self.ascending = false;
                    self.index.reserve(self.users.len());
                    for (i, u) in self.users.iter().enumerate() {
                        self.index.insert(u.clone(), i as u32);
                    }
                }
                _ => return self.push(user, false),
            }
        }
        match self.index.get(user) {
            Some(&s) => {
                self.last = s as usize;
                Ok(self.last)
            }
            None => self.push(user, true),
        }
    }

    fn push(&mut self, user: &U, indexed: bool) -> Result<usize> {
        self.push_with(user, PurchaseState::EMPTY, indexed)
    }

    /// Adds `user` with `state` in the next slot (and to the index when `indexed`).
    fn push_with(&mut self, user: &U, state: PurchaseState, indexed: bool) -> Result<usize> {
        let s = self.users.len();
        let s32 = u32::try_from(s).map_err(|_| {
            Error::InvalidInput("more than 4,294,967,295 users in one RFM summary".into())
        })?;
        if indexed {
            self.index.insert(user.clone(), s32);
        }
        crate::engine::pages::push(&mut self.users, user.clone());
        crate::engine::pages::push(&mut self.states, state);
        self.last = s;
        Ok(s)
    }

    /// Room for the users of a whole slice, projected from those folded so far.
    #[cold]
    #[inline(never)]
    fn reserve_projected(&mut self, scale: crate::engine::pages::Scale) {
        let users = scale.room(self.users.len());
        crate::engine::pages::reserve(&mut self.users, users);
        crate::engine::pages::reserve(&mut self.states, users);
    }

    /// The users, their states and day counts (every state has at least one order).
    pub(crate) fn into_parts(self) -> SummaryParts<U> {
        let n = self.len();
        let day_counts = self.day_zone.map(|_| {
            let mut counts = vec![0u32; n];
            for (slot, _) in &self.days {
                if let Some(c) = counts.get_mut(*slot as usize) {
                    *c += 1;
                }
            }
            counts
        });
        let own = Part {
            users: self.users,
            states: self.states,
        };
        let mut parts = Vec::with_capacity(1 + self.tails.len());
        parts.extend((!own.users.is_empty()).then_some(own));
        parts.extend(self.tails);
        SummaryParts {
            as_of_ms: self.as_of_ms,
            parts,
            day_counts,
        }
    }

    #[allow(clippy::trivially_copy_pass_by_ref)] // pedantic; `zone: Zone` would do as well
    fn day_number(zone: &Zone, at: DateTime<Utc>) -> i32 {
        at.with_timezone(zone).date_naive().num_days_from_ce()
    }
}

impl<E> Fold<E> for RfmSummary<E::User>
where
    E: Event,
{
    #[inline]
    fn observe(&mut self, event: &E) -> Result<()> {
        let amount = event.amount();
        if !amount.is_finite() {
            return Err(non_finite(event));
        }
        if self.payments_only && amount == 0.0 {
            return Ok(());
        }
        let at = event.at();
        let key = time_key(at);
        if key > self.as_of_key {
            return Err(after_as_of(event, self.as_of));
        }
        let slot = self.slot_of(event.user())?;
        if let Some(state) = self.states.get_mut(slot) {
            state.add(key, amount);
        }
        if self.day_zone.is_some() {
            self.add_day(slot, at);
        }
        Ok(())
    }

    /// A run of one user's events at a time: one slot lookup per run and the run's state in
    /// registers (the log grouped by user takes a lookup per user, not per event).
    fn observe_many(&mut self, events: &[E]) -> Result<()> {
        if !self.tails.is_empty() {
            self.join_tails();
        }
        if self.payments_only || self.day_zone.is_some() {
            for event in events {
                self.observe(event)?;
            }
            return Ok(());
        }
        let mut projection = crate::engine::pages::Projection::new(self.is_empty(), events.len());
        let mut rest = events;
        while let Some((first, tail)) = rest.split_first() {
            if let Some(scale) = projection.due(rest.len()) {
                self.reserve_projected(scale);
            }
            let amount = first.amount();
            if !amount.is_finite() {
                return Err(non_finite(first));
            }
            let key = time_key(first.at());
            if key > self.as_of_key {
                return Err(after_as_of(first, self.as_of));
            }
            let user = first.user();
            // A user after every one so far (a log ordered by user) is new: its state is
            // pushed once the run is summed, with no slot to look up, fill and read back.
            let fresh = self.ascending && self.users.last().is_none_or(|prev| prev < user);
            let (slot, state) = if fresh {
                (self.users.len(), PurchaseState::EMPTY)
            } else {
                let slot = self.slot_of(user)?;
                let state = self.states.get(slot).copied();
                (slot, state.unwrap_or(PurchaseState::EMPTY))
            };
            // The run's state in plain locals (no struct the compiler may keep in memory):
            // the sum's chain of additions is then register to register.
            let (mut last, mut sum) = (state.last_key.max(key), state.monetary + amount);
            let as_of_key = self.as_of_key;
            let mut taken = 0;
            let mut bad = None;
            for (j, event) in tail.iter().enumerate() {
                if event.user() != user {
                    break;
                }
                crate::engine::prefetch_ahead(tail, j);
                let amount = event.amount();
                let key = time_key(event.at());
                if !amount.is_finite() || key > as_of_key {
                    bad = Some(event);
                    break;
                }
                last = last.max(key);
                sum += amount;
                taken += 1;
            }
            let state = PurchaseState {
                last_key: last,
                monetary: sum,
                orders: state.orders + 1 + taken as u64,
            };
            if fresh {
                self.push_with(user, state, false)?;
            } else if let Some(s) = self.states.get_mut(slot) {
                *s = state;
            }
            if let Some(event) = bad {
                return Err(if event.amount().is_finite() {
                    after_as_of(event, self.as_of)
                } else {
                    non_finite(event)
                });
            }
            rest = tail.get(taken..).unwrap_or_default();
        }
        Ok(())
    }
}

#[cold]
#[inline(never)]
fn non_finite<E: Event>(event: &E) -> Error {
    checked_amount(event)
        .err()
        .unwrap_or_else(|| Error::InvalidInput("amount is not finite".into()))
}

#[cold]
#[inline(never)]
fn after_as_of<E: Event>(event: &E, as_of: DateTime<Utc>) -> Error {
    Error::AfterAsOf {
        at: event.at().to_rfc3339(),
        as_of: as_of.to_rfc3339(),
        user: format!("{:?}", event.user()),
    }
}

impl<U: Clone + Eq + Hash> RfmSummary<U> {
    #[inline(never)]
    fn add_day(&mut self, slot: usize, at: DateTime<Utc>) {
        if let Some(zone) = &self.day_zone {
            // slot < 2^32: checked when the slot was made.
            self.days.insert((slot as u32, Self::day_number(zone, at)));
        }
    }
}

impl<U: Clone + Eq + Hash + Ord> Summary for RfmSummary<U> {
    type Output = RfmTable<U>;

    fn merge(&mut self, other: Self) -> Result<()> {
        if self.as_of_ms != other.as_of_ms {
            return Err(Error::MergeMismatch(format!(
                "RFM summaries as of {} and {}",
                self.as_of.to_rfc3339(),
                other.as_of.to_rfc3339()
            )));
        }
        if self.payments_only != other.payments_only || self.day_zone != other.day_zone {
            return Err(Error::MergeMismatch(
                "RFM summaries differ in payments_only or distinct_days".into(),
            ));
        }
        if other.is_empty() {
            return Ok(());
        }
        if self.is_empty() {
            // Same settings (checked above): the other part is the whole state.
            *self = other;
            return Ok(());
        }
        if self.ascending
            && other.ascending
            && self
                .last_user()
                .is_some_and(|last| other.users.first().is_some_and(|first| last <= first))
        {
            return self.append(other);
        }
        self.join_tails();
        let mut other = other;
        other.join_tails();
        let mut remap = Vec::with_capacity(other.users.len());
        for (user, state) in other.users.into_iter().zip(other.states) {
            let slot = self.slot_of(&user)?;
            if let Some(s) = self.states.get_mut(slot) {
                s.merge(&state);
            }
            remap.push(slot as u32);
        }
        for (slot, day) in other.days {
            if let Some(&to) = remap.get(slot as usize) {
                self.days.insert((to, day));
            }
        }
        Ok(())
    }

    fn finish(self) -> RfmTable<U> {
        let as_of = self.as_of;
        let mut table = Self::table_from_parts(self.into_parts());
        table.as_of = Some(as_of);
        table
    }
}

impl<U: Clone + Eq + Hash + Ord> RfmSummary<U> {
    /// Merges a part whose users all come at or after this one's last user, both in ascending
    /// order (what `fold_par` makes of a log ordered by user): the other part's users are kept
    /// as parts after this one's (nothing is copied), and only the one user both parts may
    /// share (the chunk boundary) is merged. No hash map is built and the result stays on the
    /// ascending fast path.
    fn append(&mut self, other: Self) -> Result<()> {
        let RfmSummary {
            users,
            mut states,
            days,
            tails,
            ..
        } = other;
        if self.last_user() == users.first() {
            // The boundary user's slot becomes the other part's first: the same slot number
            // (this summary loses its last slot), so this summary's days of it stay right.
            if let (Some(mine), Some(theirs)) = (self.pop_last(), states.first_mut()) {
                theirs.merge(&mine);
            }
        }
        let offset = self.len();
        let added = users.len() + tails.iter().map(|t| t.users.len()).sum::<usize>();
        if offset + added > u32::MAX as usize + 1 {
            return Err(Error::InvalidInput(
                "more than 4,294,967,295 users in one RFM summary".into(),
            ));
        }
        let part = Part { users, states };
        if self.users.is_empty() {
            // Only possible with no tails (see `pop_last`).
            self.users = part.users;
            self.states = part.states;
        } else {
            self.tails.push(part);
        }
        self.tails
            .extend(tails.into_iter().filter(|t| !t.users.is_empty()));
        for (slot, day) in days {
            // offset + slot < total <= 2^32: fits.
            self.days.insert(((offset + slot as usize) as u32, day));
        }
        self.last = usize::MAX;
        Ok(())
    }

    /// The user of the last slot.
    fn last_user(&self) -> Option<&U> {
        match self.tails.last() {
            Some(t) => t.users.last(),
            None => self.users.last(),
        }
    }

    /// Removes the last slot and returns its state; a tail it empties goes too (`users` is
    /// then empty only when the whole summary is).
    fn pop_last(&mut self) -> Option<PurchaseState> {
        if let Some(t) = self.tails.last_mut() {
            t.users.pop();
            let st = t.states.pop();
            if t.users.is_empty() {
                self.tails.pop();
            }
            return st;
        }
        self.users.pop();
        self.states.pop()
    }
}

impl<U> RfmSummary<U> {
    /// The table of a summary's parts (rows of users with at least one order).
    pub(crate) fn table_from_parts(parts: SummaryParts<U>) -> RfmTable<U> {
        let as_of_ms = parts.as_of_ms;
        let mut customers = Vec::with_capacity(parts.len());
        let day_counts = parts.day_counts;
        let mut year = Year::default();
        customers.extend(
            parts
                .parts
                .into_iter()
                .flat_map(|p| p.users.into_iter().zip(p.states))
                .enumerate()
                .filter(|(_, (_, s))| s.orders > 0)
                .map(|(i, (user, s))| CustomerRfm {
                    user,
                    recency_days: s.recency_days(as_of_ms, &mut year),
                    orders: s.orders,
                    purchase_days: day_counts.as_ref().and_then(|c| c.get(i).copied()),
                    monetary: s.monetary,
                    mean_monetary: s.monetary / s.orders as f64,
                }),
        );
        RfmTable {
            as_of: DateTime::from_timestamp_millis(as_of_ms),
            customers,
        }
    }
}

/// One customer's recency, frequency and monetary value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CustomerRfm<U> {
    /// The customer.
    pub user: U,
    /// Exact days from the last purchase to the as-of instant (fractional; never negative).
    pub recency_days: f64,
    /// Number of purchases (transactions).
    pub orders: u64,
    /// Distinct purchase days, when counted ([`RfmSummary::distinct_days`]).
    pub purchase_days: Option<u32>,
    /// Total amount.
    pub monetary: f64,
    /// Mean amount per purchase (`monetary / orders`; 0 when there are no orders).
    pub mean_monetary: f64,
}

/// A customer-level row, for hosts that already have recency, order count and revenue per
/// customer (the R package's `rfm_table_customer` case).
///
/// ```
/// let row = userops::rfm::CustomerRow::<&str>::new("22086", 232.0, 9, 777.0);
/// assert_eq!(row.orders, 9);
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CustomerRow<U> {
    /// The customer.
    pub user: U,
    /// Days since the last purchase (finite, not negative).
    pub recency_days: f64,
    /// Number of orders.
    pub orders: u64,
    /// Total revenue (finite).
    pub monetary: f64,
}

impl<U> CustomerRow<U> {
    /// A row.
    ///
    /// ```
    /// let row = userops::rfm::CustomerRow::<u32>::new(7_u32, 3.5, 2, 40.0);
    /// assert_eq!(row.recency_days, 3.5);
    /// ```
    pub fn new(user: impl Into<U>, recency_days: f64, orders: u64, monetary: f64) -> Self {
        CustomerRow {
            user: user.into(),
            recency_days,
            orders,
            monetary,
        }
    }
}

/// Recency, frequency and monetary value of every customer: the input of scoring.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RfmTable<U> {
    /// The as-of instant (unknown for customer-level rows).
    pub as_of: Option<DateTime<Utc>>,
    /// One row per customer, in the order customers were first seen.
    pub customers: Vec<CustomerRfm<U>>,
}

impl<U: Clone + Eq + Hash + fmt::Debug> RfmTable<U> {
    /// A table from customer-level rows.
    ///
    /// # Errors
    /// * [`Error::NonFinite`] for a NaN or infinite recency or revenue;
    /// * [`Error::Negative`] for a negative recency;
    /// * [`Error::InvalidInput`] when a customer appears twice.
    ///
    /// ```
    /// use userops::rfm::{CustomerRow, RfmTable};
    /// let table = RfmTable::from_customers(vec![
    ///     CustomerRow::<&str>::new("a", 10.0, 3, 120.0),
    ///     CustomerRow::new("b", 200.0, 1, 15.0),
    /// ])?;
    /// assert_eq!(table.customers[0].mean_monetary, 40.0);
    /// assert!(RfmTable::from_customers(vec![CustomerRow::<&str>::new("a", -1.0, 1, 1.0)]).is_err());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn from_customers(rows: impl IntoIterator<Item = CustomerRow<U>>) -> Result<Self> {
        let mut seen: HashSet<U> = HashSet::new();
        let mut customers = Vec::new();
        for row in rows {
            let who = || format!("{:?}", row.user);
            if !row.recency_days.is_finite() {
                return Err(Error::NonFinite {
                    field: "recency_days",
                    value: row.recency_days,
                    user: who(),
                });
            }
            if !row.monetary.is_finite() {
                return Err(Error::NonFinite {
                    field: "monetary",
                    value: row.monetary,
                    user: who(),
                });
            }
            if row.recency_days < 0.0 {
                return Err(Error::Negative {
                    field: "recency_days",
                    value: row.recency_days,
                    user: who(),
                    hint: "; a last purchase after the analysis date is not allowed",
                });
            }
            if !seen.insert(row.user.clone()) {
                return Err(Error::InvalidInput(format!(
                    "customer {} appears twice in the customer-level rows",
                    who()
                )));
            }
            customers.push(CustomerRfm {
                mean_monetary: if row.orders == 0 {
                    0.0
                } else {
                    row.monetary / row.orders as f64
                },
                user: row.user,
                recency_days: row.recency_days,
                orders: row.orders,
                purchase_days: None,
                monetary: row.monetary,
            });
        }
        Ok(RfmTable {
            as_of: None,
            customers,
        })
    }
}

impl<U: fmt::Display> fmt::Display for RfmTable<U> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{:<20} {:>12} {:>8} {:>12} {:>10}",
            "customer", "recency_days", "orders", "monetary", "mean"
        )?;
        for c in self.customers.iter().take(20) {
            writeln!(
                f,
                "{:<20} {:>12.1} {:>8} {:>12.2} {:>10.2}",
                c.user.to_string(),
                c.recency_days,
                c.orders,
                c.monetary,
                c.mean_monetary
            )?;
        }
        if self.customers.len() > 20 {
            writeln!(f, "... {} more customers", self.customers.len() - 20)?;
        }
        write!(f, "{} customers", self.customers.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_keys_order_instants_and_convert_to_chrono_millis() {
        use chrono::{NaiveDate, TimeZone};
        // Instants across eras, leap days, year ends and the epoch; chrono's
        // `timestamp_millis` is the reference.
        let mut instants: Vec<DateTime<Utc>> = vec![
            DateTime::<Utc>::MIN_UTC,
            DateTime::<Utc>::MAX_UTC,
            DateTime::UNIX_EPOCH,
            Utc.with_ymd_and_hms(-4000, 3, 1, 0, 0, 0).unwrap(),
            Utc.with_ymd_and_hms(-1, 12, 31, 23, 59, 59).unwrap(),
            Utc.with_ymd_and_hms(0, 2, 29, 12, 0, 0).unwrap(),
            Utc.with_ymd_and_hms(1, 1, 1, 0, 0, 0).unwrap(),
            Utc.with_ymd_and_hms(1900, 2, 28, 23, 59, 59).unwrap(),
            Utc.with_ymd_and_hms(1969, 12, 31, 23, 59, 59).unwrap()
                + chrono::TimeDelta::milliseconds(999),
            Utc.with_ymd_and_hms(2000, 2, 29, 6, 30, 0).unwrap(),
            Utc.with_ymd_and_hms(2024, 12, 31, 23, 59, 59).unwrap()
                + chrono::TimeDelta::microseconds(999_999),
            Utc.with_ymd_and_hms(2025, 1, 1, 0, 0, 0).unwrap(),
        ];
        // A leap second (chrono's 23:59:60.5): its milliseconds run into the next day.
        let leap = NaiveDate::from_ymd_opt(2016, 12, 31)
            .and_then(|d| d.and_hms_milli_opt(23, 59, 59, 1_500))
            .unwrap()
            .and_utc();
        assert_eq!(key_to_millis(time_key(leap)), leap.timestamp_millis());
        let mut t = Utc.with_ymd_and_hms(1999, 12, 25, 0, 0, 0).unwrap();
        for _ in 0..400 {
            instants.push(t);
            t += chrono::TimeDelta::milliseconds(3_600_017 * 7);
        }
        // The memo of the last year: the same milliseconds, whether the year repeats or not.
        let mut year = Year::default();
        for at in &instants {
            assert_eq!(key_to_millis(time_key(*at)), at.timestamp_millis(), "{at}");
            assert_eq!(
                year.key_to_millis(time_key(*at)),
                at.timestamp_millis(),
                "{at}"
            );
        }
        instants.sort();
        for w in instants.windows(2) {
            assert!(time_key(w[0]) <= time_key(w[1]), "{} {}", w[0], w[1]);
            assert_eq!(
                time_key(w[0]) < time_key(w[1]),
                w[0].timestamp_millis() < w[1].timestamp_millis()
            );
        }
        // No overflow on any key, and the kept year converts the extremes as the plain road.
        let mut year = Year::default();
        for key in [
            i64::MIN,
            i64::MIN + 1,
            -1,
            0,
            i64::MAX - 1,
            i64::MAX,
            i64::MIN,
            7,
        ] {
            assert_eq!(year.key_to_millis(key), key_to_millis(key), "key {key}");
        }
    }

    #[test]
    fn purchase_state_is_at_most_64_bytes() {
        // The issue's budget: at most 64 bytes of summary state per user.
        assert_eq!(std::mem::size_of::<PurchaseState>(), 24);
        // Index entry for u64 ids (key + slot, padded) and the id kept in first-seen order.
        assert_eq!(std::mem::size_of::<(u64, u32)>(), 16);
        // With u64 ids: state + index entry + id + hash control byte.
        let per_user = std::mem::size_of::<PurchaseState>()
            + std::mem::size_of::<(u64, u32)>()
            + std::mem::size_of::<u64>()
            + 1;
        assert_eq!(per_user, 49);
    }
}
