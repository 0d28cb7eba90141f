//! Events as columns: a dense user index, the instant, the amount, an event-name index and a
//! duration, with the user and name dictionaries built once.

use std::borrow::Borrow;
use std::hash::Hash;

use chrono::{DateTime, TimeDelta, Utc};

use super::Dictionary;
use crate::Result;
use crate::event::Event;

/// The marker for "no event name" in [`EventTable::name_column`].
pub const NO_NAME: u32 = u32::MAX;
/// The fewest rows a part of a parallel fold gets ([`EventTable::parts`]).
const MIN_PART_ROWS: usize = 4096;
/// The marker for "no value" in the duration column.
const NO_DURATION: i64 = i64::MIN;

/// An event log as columns: what every reader fills and every summary can fold from.
///
/// Each row is one event: the user's index in [`EventTable::users`], the instant in
/// microseconds since the Unix epoch (an instant's sub-microsecond part is dropped, rounding
/// towards the past, so that a calendar period never changes), the amount, the event name's
/// index in [`EventTable::names`] and the duration. Users and names are looked up once, when
/// the row is pushed; every model that folds the table afterwards gets them as indices.
///
/// A row is an [`Event`] itself ([`EventTable::rows`]), so every summary folds a table as it
/// folds the host's own events:
///
/// ```
/// use chrono::{TimeZone, Utc};
/// use userops::engine::EventTable;
/// use userops::event::{Event, EventRecord};
/// use userops::fold::{fold, Summary};
/// use userops::rfm::RfmSummary;
///
/// let t = |d| Utc.with_ymd_and_hms(2025, 1, d, 0, 0, 0).unwrap();
/// let log = vec![
///     EventRecord::<u32>::new(7_u32, t(1)).with_amount(5.0).with_name("order"),
///     EventRecord::new(9_u32, t(2)).with_amount(1.0).with_name("order"),
///     EventRecord::new(7_u32, t(3)).with_amount(2.0).with_name("order"),
/// ];
/// let table = EventTable::from_events(&log)?;
/// assert_eq!((table.len(), table.users().len(), table.names().len()), (3, 2, 1));
/// assert_eq!(table.row(2).map(|r| (*r.user(), r.amount())), Some((7, 2.0)));
///
/// let report = fold(RfmSummary::new(t(10)), table.rows())?.finish()?;
/// assert_eq!(report.customers[0].monetary, 7.0);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct EventTable<U> {
    users: Dictionary<U>,
    names: Dictionary<String>,
    user: Vec<u32>,
    at: Vec<i64>,
    amount: Vec<f64>,
    name: Vec<u32>,
    duration: Vec<i64>,
    /// The distinct users seen in the rows so far, while `first_seen_order` holds.
    seen: u32,
    /// Whether every user's index was given in the order of the user's first row (user 0
    /// in the first row, user 1 next new, and so on): then a range of user indices is a
    /// range of first sightings, and parts cut by user merge back into the order a fold of
    /// the whole gives ([`EventTable::parts`]).
    first_seen_order: bool,
}

impl<U> Default for EventTable<U> {
    fn default() -> Self {
        EventTable {
            users: Dictionary::new(),
            names: Dictionary::new(),
            user: Vec::new(),
            at: Vec::new(),
            amount: Vec::new(),
            name: Vec::new(),
            duration: Vec::new(),
            seen: 0,
            first_seen_order: true,
        }
    }
}

impl<U> EventTable<U> {
    /// An empty table.
    ///
    /// ```
    /// assert!(userops::engine::EventTable::<u64>::new().is_empty());
    /// ```
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Number of rows (events).
    ///
    /// ```
    /// assert_eq!(userops::engine::EventTable::<u64>::new().len(), 0);
    /// ```
    #[must_use]
    pub fn len(&self) -> usize {
        self.user.len()
    }

    /// Whether the table has no row.
    ///
    /// ```
    /// assert!(userops::engine::EventTable::<u64>::new().is_empty());
    /// ```
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.user.is_empty()
    }

    /// The user dictionary: row `i`'s user is `users().value(user_column()[i])`.
    ///
    /// ```
    /// assert!(userops::engine::EventTable::<u64>::new().users().is_empty());
    /// ```
    #[must_use]
    pub fn users(&self) -> &Dictionary<U> {
        &self.users
    }

    /// The event-name dictionary.
    ///
    /// ```
    /// assert!(userops::engine::EventTable::<u64>::new().names().is_empty());
    /// ```
    #[must_use]
    pub fn names(&self) -> &Dictionary<String> {
        &self.names
    }

    /// The user column: each row's index in [`EventTable::users`].
    ///
    /// ```
    /// assert!(userops::engine::EventTable::<u64>::new().user_column().is_empty());
    /// ```
    #[must_use]
    pub fn user_column(&self) -> &[u32] {
        &self.user
    }

    /// The instant column, microseconds since 1970-01-01T00:00:00Z.
    ///
    /// ```
    /// assert!(userops::engine::EventTable::<u64>::new().at_column().is_empty());
    /// ```
    #[must_use]
    pub fn at_column(&self) -> &[i64] {
        &self.at
    }

    /// The amount column (`0.0` where an event is not a payment).
    ///
    /// ```
    /// assert!(userops::engine::EventTable::<u64>::new().amount_column().is_empty());
    /// ```
    #[must_use]
    pub fn amount_column(&self) -> &[f64] {
        &self.amount
    }

    /// The event-name column: each row's index in [`EventTable::names`], or [`NO_NAME`].
    ///
    /// ```
    /// assert!(userops::engine::EventTable::<u64>::new().name_column().is_empty());
    /// ```
    #[must_use]
    pub fn name_column(&self) -> &[u32] {
        &self.name
    }

    /// Row `i` as an [`Event`], if there is one.
    ///
    /// ```
    /// assert!(userops::engine::EventTable::<u64>::new().row(0).is_none());
    /// ```
    #[must_use]
    pub fn row(&self, i: usize) -> Option<Row<'_, U>> {
        (i < self.len()).then_some(Row { table: self, i })
    }

    /// Every row, in order, as an [`Event`].
    ///
    /// ```
    /// assert_eq!(userops::engine::EventTable::<u64>::new().rows().count(), 0);
    /// ```
    #[must_use]
    pub fn rows(&self) -> impl ExactSizeIterator<Item = Row<'_, U>> + Clone {
        (0..self.len()).map(move |i| Row { table: self, i })
    }

    /// How a fold on `n` threads splits this table: at most `n` parts, which together hold
    /// every row once.
    ///
    /// When the table's users got their indices in the order of their first rows (always so
    /// for a table filled row by row, as [`EventTable::push`] and the readers fill it), the
    /// parts are ranges of users, each with about as many rows: each part then holds all of
    /// its users' rows, no user's state is built twice, and parts merged in order list the
    /// users as a fold of the whole does. Each such part's rows run from its first user's
    /// first row to the last row of one of its users. Otherwise they are ranges of rows. A table of
    /// fewer than 8,192 rows is one part.
    ///
    /// ```
    /// use chrono::DateTime;
    /// use userops::event::EventRecord;
    /// let log = (0..20_000_u32).map(|i| EventRecord::<u32>::new(i % 1000, DateTime::UNIX_EPOCH));
    /// let table = userops::engine::EventTable::from_events(log)?;
    /// let parts = table.parts(2);
    /// assert_eq!(parts.len(), 2);
    /// // Every row in exactly one part.
    /// let rows_of = |p: &userops::engine::TablePart| table.user_column().iter().filter(|&&u| p.holds(u)).count();
    /// assert_eq!(parts.iter().map(rows_of).sum::<usize>(), 20_000);
    /// assert!(parts.iter().all(|p| rows_of(p) > 9_000));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn parts(&self, n: usize) -> Vec<TablePart> {
        let len = self.len();
        let n = n.clamp(1, (len / MIN_PART_ROWS).max(1));
        if n == 1 {
            return vec![TablePart::rows(0..len)];
        }
        if !self.first_seen_order || self.seen < 2 {
            return self.row_parts(n);
        }
        // Rows per range of users, from a sample of rows spread over the table.
        const BUCKETS: u64 = 4096;
        let users = u64::from(self.seen);
        let bucket = |u: u32| (u64::from(u) * BUCKETS / users).min(BUCKETS - 1) as usize;
        let mut counts = vec![0_u64; BUCKETS as usize];
        let stride = (len / (1 << 16)).max(1);
        for &u in self.user.iter().step_by(stride) {
            counts[bucket(u)] += 1;
        }
        let sampled: u64 = counts.iter().sum();
        // The first user of bucket b: the least u with u * BUCKETS / users >= b.
        let first_of = |b: u64| u32::try_from((b * users).div_ceil(BUCKETS)).unwrap_or(u32::MAX);
        let mut parts = Vec::with_capacity(n);
        let (mut start, mut so_far, mut k) = (0_u32, 0_u64, 1_u64);
        for (b, &c) in counts.iter().enumerate() {
            so_far += c;
            if k < n as u64 && so_far * n as u64 >= sampled * k {
                let end = first_of(b as u64 + 1);
                if end > start {
                    parts.push(TablePart::users(start..end));
                    start = end;
                }
                k += 1;
            }
        }
        parts.push(TablePart::users(start..u32::MAX));
        // Each part's rows run from its first user's first row (every row before it is of a
        // user first seen earlier, so of an earlier part) to the last row of one of its
        // users: in a log grouped by user, each part reads only its own rows.
        for part in &mut parts {
            let users = part.users.clone();
            let first = self.user.iter().position(|&u| u == users.start);
            let last = self.user.iter().rposition(|u| users.contains(u));
            if let (Some(first), Some(last)) = (first, last) {
                part.rows = first..last + 1;
            }
        }
        parts
    }

    /// At most `n` ranges of rows, of about equal length, which together hold every row
    /// once: how a fold on `n` threads splits a table for a summary that cannot take parts
    /// cut by user. A table of fewer than 8,192 rows is one part.
    ///
    /// ```
    /// use chrono::DateTime;
    /// use userops::event::EventRecord;
    /// let log = (0..10_000_u32).map(|i| EventRecord::<u32>::new(i % 7, DateTime::UNIX_EPOCH));
    /// let table = userops::engine::EventTable::from_events(log)?;
    /// let parts = table.row_parts(2);
    /// assert_eq!((parts[0].rows_in(10_000), parts[1].rows_in(10_000)), (0..5_000, 5_000..10_000));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn row_parts(&self, n: usize) -> Vec<TablePart> {
        let len = self.len();
        let n = n.clamp(1, (len / MIN_PART_ROWS).max(1));
        let chunk = len.div_ceil(n).max(1);
        let mut parts: Vec<TablePart> = (0..len)
            .step_by(chunk)
            .map(|start| TablePart::rows(start..(start + chunk).min(len)))
            .collect();
        if parts.is_empty() {
            parts.push(TablePart::rows(0..0));
        }
        parts
    }

    /// Room for `additional` more rows.
    ///
    /// ```
    /// let mut t = userops::engine::EventTable::<u64>::new();
    /// t.reserve(100);
    /// assert!(t.is_empty());
    /// ```
    pub fn reserve(&mut self, additional: usize) {
        self.user.reserve(additional);
        self.at.reserve(additional);
        self.amount.reserve(additional);
        self.name.reserve(additional);
    }
}

impl<U: Clone + Eq + Hash + Ord> EventTable<U> {
    /// A table of every event of an iterator, in order.
    ///
    /// # Errors
    /// As [`EventTable::push`], for the first event that fails.
    ///
    /// ```
    /// use chrono::DateTime;
    /// use userops::event::EventRecord;
    /// let t = userops::engine::EventTable::from_events([EventRecord::<u8>::new(1_u8, DateTime::UNIX_EPOCH)])?;
    /// assert_eq!(t.len(), 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn from_events<I>(events: I) -> Result<Self>
    where
        I: IntoIterator,
        I::Item: Event<User = U>,
    {
        let events = events.into_iter();
        let mut table = EventTable::new();
        table.reserve(events.size_hint().0);
        for e in events {
            table.push(&e)?;
        }
        Ok(table)
    }

    /// Appends one event.
    ///
    /// # Errors
    /// [`crate::Error::TooManyUsers`] past the dictionary's limit;
    /// [`crate::Error::InstantOutOfRange`] for an instant outside the supported years
    /// ([`crate::time::MIN_YEAR`]..=[`crate::time::MAX_YEAR`]). The table is unchanged.
    ///
    /// ```
    /// use chrono::DateTime;
    /// use userops::event::EventRecord;
    /// let mut t = userops::engine::EventTable::new();
    /// t.push(&EventRecord::<u8>::new(1_u8, DateTime::UNIX_EPOCH).with_name("visit"))?;
    /// assert_eq!(t.names().values(), &["visit".to_string()]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn push<E: Event<User = U>>(&mut self, event: &E) -> Result<()> {
        let at = crate::time::check_instant("at", event.at())?;
        let name = match event.name() {
            Some(name) => self.name_index(name)?,
            None => NO_NAME,
        };
        let duration = event
            .duration()
            .and_then(|d| d.num_microseconds())
            .unwrap_or(NO_DURATION);
        self.push_indexed(
            event.user(),
            at.timestamp_micros(),
            event.amount(),
            name,
            duration,
        )
    }

    /// Appends one row from its parts, as readers do (no event object in between).
    ///
    /// `at_micros` must be an instant chrono can represent (every `DateTime<Utc>`'s
    /// microseconds are); `name` is an index from [`EventTable::name_index`] or `None`.
    ///
    /// # Errors
    /// [`crate::Error::TooManyUsers`] past the dictionary's limit;
    /// [`crate::Error::InstantOutOfRange`] for an instant outside the supported years;
    /// [`crate::Error::InvalidParameter`] for an instant outside chrono's range or a name
    /// index the table does not have.
    ///
    /// ```
    /// use userops::event::Event;
    /// let mut t = userops::engine::EventTable::new();
    /// let order = t.name_index("order")?;
    /// t.push_parts(&"ana", 1_700_000_000_000_000, 9.5, Some(order), None)?;
    /// assert_eq!(t.row(0).map(|r| r.at().to_rfc3339()), Some("2023-11-14T22:13:20+00:00".to_string()));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn push_parts<Q>(
        &mut self,
        user: &Q,
        at_micros: i64,
        amount: f64,
        name: Option<u32>,
        duration: Option<TimeDelta>,
    ) -> Result<()>
    where
        U: Borrow<Q>,
        Q: Hash + Eq + Ord + ToOwned<Owned = U> + ?Sized,
    {
        match DateTime::from_timestamp_micros(at_micros) {
            Some(at) => {
                crate::time::check_instant("at", at)?;
            }
            None => {
                return Err(crate::Error::invalid(
                    "at",
                    format!("{at_micros} microseconds since the epoch is outside chrono's range"),
                ));
            }
        }
        let name = match name {
            Some(i) if (i as usize) < self.names.len() => i,
            Some(i) => {
                return Err(crate::Error::invalid(
                    "name",
                    format!("no event name with index {i} in this table"),
                ));
            }
            None => NO_NAME,
        };
        let duration = duration
            .and_then(|d| d.num_microseconds())
            .unwrap_or(NO_DURATION);
        self.push_indexed(user, at_micros, amount, name, duration)
    }

    /// The index of an event name, added to the name dictionary when new.
    ///
    /// # Errors
    /// [`crate::Error::TooManyUsers`] past the dictionary's limit.
    ///
    /// ```
    /// let mut t = userops::engine::EventTable::<u8>::new();
    /// assert_eq!((t.name_index("a")?, t.name_index("b")?, t.name_index("a")?), (0, 1, 0));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn name_index(&mut self, name: &str) -> Result<u32> {
        self.names.intern_ref(name)
    }

    #[inline]
    /// The user dictionary, for a reader that finds its ids through [`super::TextIds`].
    pub(crate) fn users_mut(&mut self) -> &mut Dictionary<U> {
        &mut self.users
    }

    /// Appends a row whose user index came from this table's dictionary, whose instant the
    /// reader checked ([`crate::time::micros_supported`]) and whose name index came from
    /// [`EventTable::name_index`] (`None` for no name).
    pub(crate) fn push_checked(
        &mut self,
        user: u32,
        at: i64,
        amount: f64,
        name: Option<u32>,
        duration: Option<i64>,
    ) {
        debug_assert!((user as usize) < self.users.len());
        debug_assert!(crate::time::micros_supported(at));
        self.note_user(user);
        self.user.push(user);
        self.at.push(at);
        self.amount.push(amount);
        self.name.push(name.unwrap_or(NO_NAME));
        self.push_duration(duration.unwrap_or(NO_DURATION));
    }

    /// Keeps [`EventTable::parts`]' knowledge of the order users first came in.
    #[inline]
    fn note_user(&mut self, user: u32) {
        if user == self.seen {
            self.seen = self.seen.saturating_add(1);
        } else if user > self.seen {
            self.first_seen_order = false;
        }
    }

    /// The duration of the row just pushed. The column stays empty while no row has a
    /// duration (most logs have none): 8 bytes a row neither written nor kept.
    #[inline]
    fn push_duration(&mut self, duration: i64) {
        if duration == NO_DURATION && self.duration.is_empty() {
            return;
        }
        if self.duration.len() + 1 < self.user.len() {
            self.duration.resize(self.user.len() - 1, NO_DURATION);
        }
        self.duration.push(duration);
    }

    fn push_indexed<Q>(
        &mut self,
        user: &Q,
        at: i64,
        amount: f64,
        name: u32,
        duration: i64,
    ) -> Result<()>
    where
        U: Borrow<Q>,
        Q: Hash + Eq + Ord + ToOwned<Owned = U> + ?Sized,
    {
        let user = self.users.intern_ref(user)?;
        self.note_user(user);
        self.user.push(user);
        self.at.push(at);
        self.amount.push(amount);
        self.name.push(name);
        self.push_duration(duration);
        Ok(())
    }
}

/// The share of an [`EventTable`] one part of a fold takes ([`EventTable::parts`]): a range
/// of rows, and of those only the rows whose user's index in the table lies in a range of
/// users. A summary's [`crate::fold::FoldTable::observe_part`] folds exactly these rows, in
/// order.
///
/// ```
/// use userops::engine::TablePart;
/// let first_rows = TablePart::rows(0..100);
/// assert!(first_rows.holds(7) && first_rows.holds(1_000_000));
/// let some_users = TablePart::users(10..20);
/// assert!(some_users.holds(10) && !some_users.holds(20));
/// assert_eq!(some_users.rows_in(50), 0..50);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TablePart {
    rows: std::ops::Range<usize>,
    users: std::ops::Range<u32>,
}

impl TablePart {
    /// The rows `rows`, every user's.
    ///
    /// ```
    /// assert_eq!(userops::engine::TablePart::rows(3..5).rows_in(4), 3..4);
    /// ```
    #[must_use]
    pub fn rows(rows: std::ops::Range<usize>) -> Self {
        TablePart {
            rows,
            users: 0..u32::MAX,
        }
    }

    /// Every row of the users whose table index lies in `users`.
    ///
    /// ```
    /// assert!(userops::engine::TablePart::users(0..1).holds(0));
    /// ```
    #[must_use]
    pub fn users(users: std::ops::Range<u32>) -> Self {
        TablePart {
            rows: 0..usize::MAX,
            users,
        }
    }

    /// The part's rows in a table of `len` rows (a range past the end stops at the end).
    ///
    /// ```
    /// assert_eq!(userops::engine::TablePart::rows(8..20).rows_in(10), 8..10);
    /// ```
    #[must_use]
    pub fn rows_in(&self, len: usize) -> std::ops::Range<usize> {
        self.rows.start.min(len)..self.rows.end.min(len)
    }

    /// The range of table user indices whose rows the part holds.
    ///
    /// ```
    /// assert_eq!(userops::engine::TablePart::users(2..9).user_range(), 2..9);
    /// ```
    #[must_use]
    pub fn user_range(&self) -> std::ops::Range<u32> {
        self.users.clone()
    }

    /// Whether the part holds the rows of table user `user` (its rows in range).
    ///
    /// ```
    /// assert!(!userops::engine::TablePart::users(2..9).holds(1));
    /// ```
    #[inline]
    #[must_use]
    pub fn holds(&self, user: u32) -> bool {
        self.users.contains(&user)
    }
}

/// One row of an [`EventTable`], as an [`Event`].
///
/// ```
/// use chrono::DateTime;
/// use userops::event::{Event, EventRecord};
/// let t = userops::engine::EventTable::from_events([EventRecord::<u8>::new(4_u8, DateTime::UNIX_EPOCH).with_amount(2.0)])?;
/// let row = t.row(0).unwrap();
/// assert_eq!((*row.user(), row.amount(), row.name(), row.user_index()), (4, 2.0, None, 0));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct Row<'a, U> {
    table: &'a EventTable<U>,
    i: usize,
}

impl<U> Clone for Row<'_, U> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<U> Copy for Row<'_, U> {}

impl<U> Row<'_, U> {
    /// The user's index in the table's dictionary.
    ///
    /// ```
    /// assert!(userops::engine::EventTable::<u8>::new().row(0).map(|r| r.user_index()).is_none());
    /// ```
    #[must_use]
    pub fn user_index(&self) -> u32 {
        self.table.user[self.i]
    }

    /// The row's position in its table.
    ///
    /// ```
    /// use chrono::DateTime;
    /// use userops::event::EventRecord;
    /// let t = userops::engine::EventTable::from_events([1_u8, 2].map(|u| EventRecord::<u8>::new(u, DateTime::UNIX_EPOCH)))?;
    /// assert_eq!(t.rows().map(|r| r.position()).collect::<Vec<_>>(), [0, 1]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn position(&self) -> usize {
        self.i
    }

    /// The instant, in microseconds since the epoch.
    ///
    /// ```
    /// assert!(userops::engine::EventTable::<u8>::new().row(0).map(|r| r.at_micros()).is_none());
    /// ```
    #[must_use]
    pub fn at_micros(&self) -> i64 {
        self.table.at[self.i]
    }
}

impl<U: Clone + Eq + Hash + Ord + std::fmt::Debug> Event for Row<'_, U> {
    type User = U;

    fn user(&self) -> &U {
        &self.table.users.values()[self.table.user[self.i] as usize]
    }

    fn at(&self) -> DateTime<Utc> {
        // Every stored instant came from a `DateTime` or was checked on the way in.
        DateTime::from_timestamp_micros(self.table.at[self.i]).unwrap_or_default()
    }

    fn amount(&self) -> f64 {
        self.table.amount[self.i]
    }

    fn name(&self) -> Option<&str> {
        match self.table.name[self.i] {
            NO_NAME => None,
            i => self.table.names.value(i).map(String::as_str),
        }
    }

    fn duration(&self) -> Option<TimeDelta> {
        match self.table.duration.get(self.i) {
            None | Some(&NO_DURATION) => None,
            Some(&d) => Some(TimeDelta::microseconds(d)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::EventRecord;
    use chrono::TimeZone;

    #[test]
    fn rows_give_back_the_events_to_the_microsecond() {
        let at = Utc.with_ymd_and_hms(2024, 2, 29, 23, 59, 59).unwrap()
            + TimeDelta::nanoseconds(999_999_999);
        let log = vec![
            EventRecord::<String>::new("b", at)
                .with_amount(-3.5)
                .with_name("refund")
                .with_duration(TimeDelta::seconds(90)),
            EventRecord::new("a", at),
        ];
        let t = EventTable::from_events(&log).unwrap();
        let r = t.row(0).unwrap();
        assert_eq!(r.user(), "b");
        // 23:59:59.999999999 kept to the microsecond, towards the past: same day.
        assert_eq!(
            r.at(),
            Utc.with_ymd_and_hms(2024, 2, 29, 23, 59, 59).unwrap()
                + TimeDelta::microseconds(999_999)
        );
        assert_eq!(
            (r.amount(), r.name(), r.duration()),
            (-3.5, Some("refund"), Some(TimeDelta::seconds(90)))
        );
        let r = t.row(1).unwrap();
        assert_eq!(
            (r.user().as_str(), r.name(), r.duration()),
            ("a", None, None)
        );
    }

    #[test]
    fn durations_come_back_for_the_rows_that_have_one() {
        let at = Utc.with_ymd_and_hms(2025, 1, 1, 0, 0, 0).unwrap();
        let d = |s| Some(TimeDelta::seconds(s));
        let log = [None, None, d(90), None, d(5)].map(|duration| {
            let e = EventRecord::<u8>::new(1, at);
            match duration {
                Some(x) => e.with_duration(x),
                None => e,
            }
        });
        let t = EventTable::from_events(&log).unwrap();
        let got: Vec<_> = t.rows().map(|r| r.duration()).collect();
        assert_eq!(got, [None, None, d(90), None, d(5)]);
        let none = EventTable::from_events(&log[..2]).unwrap();
        assert_eq!(
            none.rows().map(|r| r.duration()).collect::<Vec<_>>(),
            [None, None]
        );
    }

    #[test]
    fn a_fresh_summary_takes_table_users_without_lookups_and_stays_a_dictionary() {
        use crate::engine::{PerUser, UserRows};
        let at = Utc.with_ymd_and_hms(2025, 1, 1, 0, 0, 0).unwrap();
        let table = |ids: &[&str]| {
            EventTable::from_events(ids.iter().map(|u| EventRecord::<String>::new(*u, at))).unwrap()
        };
        let (first, second) = (table(&["c", "a", "c", "b"]), table(&["b", "d", "a"]));
        let mut per_user = PerUser::<String, u32>::new();
        let mut rows = UserRows::<String, u32>::new(vec![0]);
        for (t, expected) in [(&first, [0, 1, 0, 2].as_slice()), (&second, &[2, 3, 1])] {
            let (mut a, mut b) = (TableUsers::new(t), TableUsers::new(t));
            let got: Vec<u32> = t
                .user_column()
                .iter()
                .map(|&u| a.index(u, &mut per_user, || 0).unwrap())
                .collect();
            assert_eq!(got, expected);
            let got: Vec<u32> = t
                .user_column()
                .iter()
                .map(|&u| b.index_rows(u, &mut rows).unwrap())
                .collect();
            assert_eq!(got, expected);
            // Found by value after the fresh road too.
            assert_eq!(per_user.get(&"b".to_string()), Some(&0));
        }
        assert_eq!(per_user.users().values(), ["c", "a", "b", "d"]);
        assert_eq!(rows.users().values(), ["c", "a", "b", "d"]);
        assert_eq!(per_user.states().len(), 4);
        assert_eq!(rows.len(), 4);
    }

    #[test]
    fn users_out_of_table_order_leave_the_dense_road_and_keep_their_indices() {
        use crate::engine::PerUser;
        let at = Utc.with_ymd_and_hms(2025, 1, 1, 0, 0, 0).unwrap();
        let ids = ["c", "a", "b", "d"];
        let table = EventTable::from_events(ids.iter().map(|u| EventRecord::<String>::new(*u, at)))
            .unwrap();
        // Table users 1, 2 in order (dense from 1), then 0 (before the first), 3, and again.
        let mut per_user = PerUser::<String, u32>::new();
        let mut users = TableUsers::new(&table);
        let got: Vec<u32> = [1, 2, 1, 0, 3, 2, 0]
            .iter()
            .map(|&t| users.index(t, &mut per_user, || 0).unwrap())
            .collect();
        assert_eq!(got, [0, 1, 0, 2, 3, 1, 2]);
        assert_eq!(per_user.users().values(), ["a", "b", "c", "d"]);
        assert!(users.index(4, &mut per_user, || 0).is_err());
        // An index past the table's users on the dense road is refused too.
        let mut fresh = PerUser::<String, u32>::new();
        let mut users = TableUsers::new(&table);
        assert_eq!(users.index(3, &mut fresh, || 0).unwrap(), 0);
        assert!(users.index(4, &mut fresh, || 0).is_err());
        assert_eq!(users.index(3, &mut fresh, || 0).unwrap(), 0);
    }

    #[test]
    fn bad_parts_are_refused() {
        let mut t = EventTable::<u8>::new();
        assert!(t.push_parts(&1, i64::MAX, 0.0, None, None).is_err());
        assert!(t.push_parts(&1, 0, 0.0, Some(0), None).is_err());
        assert!(t.is_empty());
    }
}

/// The bridge from a table's user indices to a summary's: each table user is looked up in
/// the summary's dictionary once, on first sight, and every later row of that user costs one
/// array read. What a summary's [`crate::fold::FoldTable::observe_table`] uses so that a
/// time-ordered log pays for hashing once per user, not once per event.
///
/// ```
/// use chrono::DateTime;
/// use userops::engine::{EventTable, PerUser, TableUsers};
/// use userops::event::EventRecord;
///
/// let log = [7_u32, 9, 7].map(|u| EventRecord::<u32>::new(u, DateTime::UNIX_EPOCH));
/// let table = EventTable::from_events(&log)?;
/// let mut counts: PerUser<u32, u64> = PerUser::new();
/// let mut users = TableUsers::new(&table);
/// for &t in table.user_column() {
///     let i = users.index(t, &mut counts, || 0)?;
///     counts.states_mut()[i as usize] += 1;
/// }
/// assert_eq!(counts.iter().collect::<Vec<_>>(), [(&7, &2), (&9, &1)]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct TableUsers<'t, U> {
    users: &'t Dictionary<U>,
    /// Table user index → summary index (`u32::MAX`: not seen yet); empty while `dense`.
    map: Vec<u32>,
    /// Whether the summary held no user when the first row came (`None` before it): then
    /// every table user first seen here is new to it too, and is added without a lookup.
    fresh: Option<bool>,
    /// Whether every user so far came in table order from `lo`, into a fresh summary: table
    /// user `lo + k` is then the summary's user `k`, with no map to read (the common case: a
    /// table filled row by row numbers its users in the order of their first rows).
    dense: bool,
    lo: u32,
    /// The users taken on the dense road: table users `lo..lo + count`.
    count: u32,
    /// The table's user column, for [`TableUsers::index_row`].
    column: &'t [u32],
}

/// How many rows ahead [`TableUsers::index_row`] asks for a user's state.
const AHEAD_ROWS: usize = 16;

impl<'t, U: Clone + Eq + Hash + Ord> TableUsers<'t, U> {
    /// A bridge for the rows of `table`, nothing looked up yet.
    ///
    /// ```
    /// let t = userops::engine::EventTable::<u8>::new();
    /// let _ = userops::engine::TableUsers::new(&t);
    /// ```
    #[must_use]
    pub fn new(table: &'t EventTable<U>) -> Self {
        TableUsers {
            users: &table.users,
            map: Vec::new(),
            fresh: None,
            dense: true,
            lo: 0,
            count: 0,
            column: &table.user,
        }
    }

    /// [`TableUsers::index`] for the user of row `row`; on the way, the state of the user
    /// 16 rows on starts coming into the cache (a hint, no effect on any
    /// result): in a log in time order, each row's state is a cache miss, and this lets
    /// several be fetched at once.
    ///
    /// # Errors
    /// As [`TableUsers::index`]; [`crate::Error::InvalidParameter`] for a row the table does
    /// not have.
    ///
    /// ```
    /// use chrono::DateTime;
    /// use userops::engine::{EventTable, PerUser, TableUsers};
    /// use userops::event::EventRecord;
    /// let table = EventTable::from_events([5_u8, 2, 5].map(|u| EventRecord::<u8>::new(u, DateTime::UNIX_EPOCH)))?;
    /// let mut counts = PerUser::<u8, u32>::new();
    /// let mut users = TableUsers::new(&table);
    /// for row in 0..table.len() {
    ///     let i = users.index_row(row, &mut counts, || 0)?;
    ///     counts.states_mut()[i as usize] += 1;
    /// }
    /// assert_eq!(counts.states(), &[2, 1]);
    /// assert!(users.index_row(3, &mut counts, || 0).is_err());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[inline]
    pub fn index_row<S>(
        &mut self,
        row: usize,
        per_user: &mut super::PerUser<U, S>,
        new_state: impl FnOnce() -> S,
    ) -> Result<u32> {
        let t = self.user_of(row)?;
        if let Some(k) = self.dense_ahead(row) {
            if let Some(state) = per_user.states().get(k) {
                userops_prefetch::prefetch(state);
            }
        }
        self.index(t, per_user, new_state)
    }

    /// [`TableUsers::index_rows`] for the user of row `row`, the row of the user
    /// 16 rows on prefetched as [`TableUsers::index_row`] does.
    ///
    /// # Errors
    /// As [`TableUsers::index_rows`]; [`crate::Error::InvalidParameter`] for a row the table
    /// does not have.
    ///
    /// ```
    /// use chrono::DateTime;
    /// use userops::engine::{EventTable, TableUsers, UserRows};
    /// use userops::event::EventRecord;
    /// let table = EventTable::from_events([5_u8, 5, 2].map(|u| EventRecord::<u8>::new(u, DateTime::UNIX_EPOCH)))?;
    /// let mut rows = UserRows::<u8, u32>::new(vec![0]);
    /// let mut users = TableUsers::new(&table);
    /// for row in 0..table.len() {
    ///     let i = users.index_rows_at(row, &mut rows)?;
    ///     rows.row_mut(i)[0] += 1;
    /// }
    /// assert_eq!(rows.cells(), &[2, 1]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[inline]
    pub fn index_rows_at<W: Copy>(
        &mut self,
        row: usize,
        rows: &mut super::UserRows<U, W>,
    ) -> Result<u32> {
        let t = self.user_of(row)?;
        if let Some(k) = self.dense_ahead(row) {
            if let Some(cell) = rows.cells().get(k.saturating_mul(rows.stride())) {
                userops_prefetch::prefetch(cell);
            }
        }
        self.index_rows(t, rows)
    }

    /// The table user of row `row`.
    #[inline]
    fn user_of(&self, row: usize) -> Result<u32> {
        match self.column.get(row) {
            Some(&t) => Ok(t),
            None => Err(crate::Error::invalid(
                "row",
                format!("no row {row} in this table of {} rows", self.column.len()),
            )),
        }
    }

    /// On the dense road, the summary index of the user `AHEAD_ROWS` rows after `row`
    /// (perhaps past the summary's users: the caller checks).
    #[inline]
    fn dense_ahead(&self, row: usize) -> Option<usize> {
        if !self.dense {
            return None;
        }
        let t = *self.column.get(row.wrapping_add(AHEAD_ROWS))?;
        Some(t.wrapping_sub(self.lo) as usize)
    }

    /// The summary index of table user `t`, interned into `per_user` (its state made by
    /// `new_state`) on first sight.
    ///
    /// # Errors
    /// [`crate::Error::TooManyUsers`] past `per_user`'s limit; [`crate::Error::InvalidParameter`]
    /// for an index the table does not have.
    ///
    /// ```
    /// let t = userops::engine::EventTable::<u8>::new();
    /// let mut p = userops::engine::PerUser::<u8, u8>::new();
    /// assert!(userops::engine::TableUsers::new(&t).index(0, &mut p, || 0).is_err());
    /// ```
    #[inline]
    pub fn index<S>(
        &mut self,
        t: u32,
        per_user: &mut super::PerUser<U, S>,
        new_state: impl FnOnce() -> S,
    ) -> Result<u32> {
        let fresh = *self.fresh.get_or_insert_with(|| per_user.is_empty());
        if fresh {
            // Distinct table users are distinct values, none of them in the summary yet.
            let table = self.users;
            let len = per_user.len();
            self.index_fresh(t, len, |t| per_user.push_new_user(table, t, new_state()))
        } else {
            self.index_with(t, |id| per_user.index(id, new_state))
        }
    }

    /// The row index of table user `t` in `rows`, added (its row the template) on first
    /// sight: [`TableUsers::index`] for a summary that keeps [`super::UserRows`].
    ///
    /// # Errors
    /// [`crate::Error::TooManyUsers`] past `rows`' limit; [`crate::Error::InvalidParameter`]
    /// for an index the table does not have.
    ///
    /// ```
    /// use chrono::DateTime;
    /// use userops::engine::{EventTable, TableUsers, UserRows};
    /// use userops::event::EventRecord;
    /// let table = EventTable::from_events([5_u8, 5, 2].map(|u| EventRecord::<u8>::new(u, DateTime::UNIX_EPOCH)))?;
    /// let mut rows = UserRows::<u8, u32>::new(vec![0]);
    /// let mut users = TableUsers::new(&table);
    /// for &t in table.user_column() {
    ///     let i = users.index_rows(t, &mut rows)?;
    ///     rows.row_mut(i)[0] += 1;
    /// }
    /// assert_eq!((rows.row(0), rows.row(1)), (&[2][..], &[1][..]));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[inline]
    pub fn index_rows<W: Copy>(&mut self, t: u32, rows: &mut super::UserRows<U, W>) -> Result<u32> {
        let fresh = *self.fresh.get_or_insert_with(|| rows.is_empty());
        if fresh {
            let table = self.users;
            let len = rows.len();
            self.index_fresh(t, len, |t| rows.push_new_user(table, t))
        } else {
            self.index_with(t, |id| rows.index(id))
        }
    }

    /// The summary index of table user `t`, `intern(id)` asked for it on first sight: for a
    /// summary that keeps its users in a [`Dictionary`] of its own beside columnar state.
    ///
    /// # Errors
    /// What `intern` returns; [`crate::Error::InvalidParameter`] for an index the table does
    /// not have.
    ///
    /// ```
    /// use chrono::DateTime;
    /// use userops::engine::{Dictionary, EventTable, TableUsers};
    /// use userops::event::EventRecord;
    /// let table = EventTable::from_events([5_u8, 5, 2].map(|u| EventRecord::<u8>::new(u, DateTime::UNIX_EPOCH)))?;
    /// let mut mine = Dictionary::new();
    /// mine.intern(&2)?;
    /// let mut users = TableUsers::new(&table);
    /// let seen: Vec<u32> = table.user_column().iter().map(|&t| users.index_with(t, |id| mine.intern(id))).collect::<Result<_, _>>()?;
    /// assert_eq!(seen, [1, 1, 0]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[inline]
    pub fn index_with(&mut self, t: u32, intern: impl FnOnce(&U) -> Result<u32>) -> Result<u32> {
        let users = self.users;
        self.index_at(t, |t| intern(&users.values()[t as usize]))
    }

    /// [`TableUsers::index_at`] for a fresh summary of `len` users, which `intern` appends
    /// to: while users come in table order, their summary index is their table index less
    /// the first one's, with no map.
    #[inline]
    fn index_fresh(
        &mut self,
        t: u32,
        len: usize,
        intern: impl FnOnce(u32) -> Result<u32>,
    ) -> Result<u32> {
        if self.dense {
            if self.count == 0 {
                self.lo = t;
            }
            let k = t.wrapping_sub(self.lo);
            if k < self.count {
                return Ok(k);
            }
            if k == self.count && len == k as usize && (t as usize) < self.users.len() {
                let i = intern(t)?;
                if i == k {
                    self.count += 1;
                    return Ok(i);
                }
                // Appended elsewhere than at the end: no longer dense.
                self.leave_dense();
                self.map[t as usize] = i;
                return Ok(i);
            }
            self.leave_dense();
        }
        self.index_at(t, intern)
    }

    /// From the dense road to the map: the map made, holding the users seen so far.
    #[cold]
    #[inline(never)]
    fn leave_dense(&mut self) {
        self.dense = false;
        self.map = vec![u32::MAX; self.users.len()];
        let lo = self.lo as usize;
        for (k, slot) in self
            .map
            .iter_mut()
            .skip(lo)
            .take(self.count as usize)
            .enumerate()
        {
            // At most `count` users, a `u32`.
            *slot = k as u32;
        }
    }

    /// [`TableUsers::index_with`], `intern` given the table index on first sight.
    #[inline]
    fn index_at(&mut self, t: u32, intern: impl FnOnce(u32) -> Result<u32>) -> Result<u32> {
        if self.dense {
            self.leave_dense();
        }
        match self.map.get_mut(t as usize) {
            Some(&mut i) if i != u32::MAX => Ok(i),
            Some(slot) => {
                let i = intern(t)?;
                *slot = i;
                Ok(i)
            }
            None => Err(crate::Error::invalid(
                "user",
                format!("no user with index {t} in this table"),
            )),
        }
    }
}
