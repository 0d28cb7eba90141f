//! A log of the events a model must see in sequence, kept per user: the state of the folds
//! whose answer depends on the order of a user's events (funnels, paths, "did X within d
//! days of start"), which no fixed-width per-user state can hold when events come in any
//! order.

use std::hash::Hash;

use serde::de::{Deserializer, Error as _};
use serde::ser::Serializer;
use serde::{Deserialize, Serialize};

use super::Dictionary;
use crate::{Error, Result};
use userops_prefetch::prefetch;

/// Events as two columns (the user's index in a [`Dictionary`], and the pair of the instant
/// in microseconds and a model's code for the event), in arrival order, with the users built
/// once.
///
/// A fold appends ([`UserEvents::push`]); two logs merge by appending the other's events with
/// its user indices mapped to this one's ([`UserEvents::merge`]); [`UserEvents::grouped`]
/// then gives each user's events sorted by instant, ties by code — the same sequence
/// whatever order the events came in, so that a model evaluated on it obeys the fold laws.
/// Grouping is a counting sort by user (two passes, no comparison sort for a log that is in
/// time order within each user, as an application's log is); [`UserEvents::into_grouped`]
/// does it in place, with no second copy of the events.
///
/// It serializes as `{"users": [...], "user": [...], "at": [...], "code": [...]}` and
/// deserializes back, checked (equal column lengths, user indices in range).
///
/// ```
/// use userops::engine::UserEvents;
///
/// let mut log: UserEvents<&str, u8> = UserEvents::new();
/// log.push(&"ana", 30, 1)?;
/// log.push(&"bo", 10, 2)?;
/// log.push(&"ana", 20, 3)?;
/// let grouped = log.grouped();
/// assert_eq!(grouped.user(0), &[(20, 3), (30, 1)]);
/// assert_eq!(grouped.user(1), &[(10, 2)]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct UserEvents<U, C> {
    users: Dictionary<U>,
    user: Vec<u32>,
    events: Vec<(i64, C)>,
}

impl<U, C> Default for UserEvents<U, C> {
    fn default() -> Self {
        UserEvents {
            users: Dictionary::new(),
            user: Vec::new(),
            events: Vec::new(),
        }
    }
}

impl<U, C> UserEvents<U, C> {
    /// An empty log.
    ///
    /// ```
    /// assert!(userops::engine::UserEvents::<u32, u8>::new().is_empty());
    /// ```
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Number of events.
    ///
    /// ```
    /// assert_eq!(userops::engine::UserEvents::<u32, u8>::new().len(), 0);
    /// ```
    #[must_use]
    pub fn len(&self) -> usize {
        self.user.len()
    }

    /// Whether there is no event.
    ///
    /// ```
    /// assert!(userops::engine::UserEvents::<u32, u8>::new().is_empty());
    /// ```
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.user.is_empty()
    }

    /// The users, in first-seen order.
    ///
    /// ```
    /// let mut log = userops::engine::UserEvents::<u32, u8>::new();
    /// log.push(&7, 0, 0)?;
    /// assert_eq!(log.users().values(), &[7]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn users(&self) -> &Dictionary<U> {
        &self.users
    }

    /// Appends an event of the user with index `user` (from [`UserEvents::user_index`]).
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for an index this log does not have.
    ///
    /// ```
    /// let mut log = userops::engine::UserEvents::<u32, u8>::new();
    /// let i = log.user_index(&4)?;
    /// log.push_indexed(i, 5, 1)?;
    /// assert!(log.push_indexed(9, 5, 1).is_err());
    /// assert_eq!(log.len(), 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[inline]
    pub fn push_indexed(&mut self, user: u32, at_micros: i64, code: C) -> Result<()> {
        if user as usize >= self.users.len() {
            return Err(Error::invalid(
                "user",
                format!("no user with index {user} in this log"),
            ));
        }
        super::pages::push(&mut self.user, user);
        super::pages::push(&mut self.events, (at_micros, code));
        Ok(())
    }
}

impl<U, C> UserEvents<U, C> {
    /// Room for `additional` more events without reallocating the columns (memory advised
    /// for huge pages; pages the events never reach are never touched): for a fold that
    /// knows how many rows it will read at most.
    ///
    /// ```
    /// let mut log = userops::engine::UserEvents::<u8, u8>::new();
    /// log.reserve(1_000);
    /// log.push(&1, 0, 9)?;
    /// assert_eq!(log.len(), 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn reserve(&mut self, additional: usize) {
        super::pages::reserve(&mut self.user, additional);
        super::pages::reserve(&mut self.events, additional);
    }

    /// Appends every event of `events` (user index, instant in microseconds, code), the
    /// indices from [`UserEvents::user_index`] or the dictionary the log was made with
    /// ([`UserEvents::with_users`]): [`UserEvents::push_indexed`] in one loop, the users
    /// counted once, room made for the iterator's lower size bound up front.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for an index this log does not have (the events before
    /// it are kept).
    ///
    /// ```
    /// let mut users = userops::engine::Dictionary::new();
    /// users.intern(&"ana")?;
    /// let mut log = userops::engine::UserEvents::<&str, u8>::with_users(users);
    /// log.extend_indexed([(0, 5, 1), (0, 3, 2)])?;
    /// assert_eq!(log.grouped().user(0), &[(3, 2), (5, 1)]);
    /// assert!(log.extend_indexed([(1, 0, 0)]).is_err());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn extend_indexed(
        &mut self,
        events: impl IntoIterator<Item = (u32, i64, C)>,
    ) -> Result<()> {
        let events = events.into_iter();
        self.reserve(events.size_hint().0);
        let users = self.users.len();
        for (user, at, code) in events {
            if user as usize >= users {
                return Err(Error::invalid(
                    "user",
                    format!("no user with index {user} in this log"),
                ));
            }
            super::pages::push(&mut self.user, user);
            super::pages::push(&mut self.events, (at, code));
        }
        Ok(())
    }

    /// The code column, in arrival order.
    ///
    /// ```
    /// let mut log = userops::engine::UserEvents::<u8, u8>::new();
    /// log.push(&1, 0, 9)?;
    /// assert_eq!(log.codes().collect::<Vec<_>>(), [&9]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use = "the codes are only read"]
    pub fn codes(&self) -> impl ExactSizeIterator<Item = &C> + '_ {
        self.events.iter().map(|(_, c)| c)
    }

    /// Rewrites every code in place (a model renumbering what its codes point to).
    ///
    /// ```
    /// let mut log = userops::engine::UserEvents::<u8, u8>::new();
    /// log.push(&1, 0, 9)?;
    /// log.map_codes(|c| *c += 1);
    /// assert_eq!(log.codes().collect::<Vec<_>>(), [&10]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn map_codes(&mut self, mut f: impl FnMut(&mut C)) {
        self.events.iter_mut().for_each(|(_, c)| f(c));
    }

    /// The users, in first-seen order (the indices [`UserEvents::grouped`] uses).
    ///
    /// ```
    /// let mut log = userops::engine::UserEvents::<u8, u8>::new();
    /// log.push(&4, 0, 0)?;
    /// assert_eq!(log.into_users(), vec![4]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn into_users(self) -> Vec<U>
    where
        U: Clone,
    {
        self.users.into_values()
    }
}

impl<U: Clone + Eq + Hash + Ord, C> UserEvents<U, C> {
    /// The index of `user`, added when new.
    ///
    /// # Errors
    /// [`Error::TooManyUsers`] past the dictionary's limit.
    ///
    /// ```
    /// let mut log = userops::engine::UserEvents::<char, u8>::new();
    /// assert_eq!((log.user_index(&'a')?, log.user_index(&'b')?, log.user_index(&'a')?), (0, 1, 0));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[inline]
    pub fn user_index(&mut self, user: &U) -> Result<u32> {
        self.users.intern(user)
    }

    /// Appends an event of `user` at `at_micros` (microseconds since the epoch) with `code`.
    ///
    /// # Errors
    /// [`Error::TooManyUsers`] past the dictionary's limit.
    ///
    /// ```
    /// let mut log = userops::engine::UserEvents::<u8, u8>::new();
    /// log.push(&1, 0, 9)?;
    /// assert_eq!(log.len(), 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[inline]
    pub fn push(&mut self, user: &U, at_micros: i64, code: C) -> Result<()> {
        let i = self.users.intern(user)?;
        self.push_indexed(i, at_micros, code)
    }

    /// Appends every event of `other`, its users mapped to this log's (new users appended in
    /// `other`'s order). Codes are taken as they are: both logs must use the same coding.
    ///
    /// # Errors
    /// [`Error::TooManyUsers`] when the union of users is over the limit.
    ///
    /// ```
    /// let mut a = userops::engine::UserEvents::<char, u8>::new();
    /// a.push(&'x', 1, 0)?;
    /// let mut b = userops::engine::UserEvents::<char, u8>::new();
    /// b.push(&'y', 2, 0)?;
    /// b.push(&'x', 3, 0)?;
    /// a.merge(b)?;
    /// assert_eq!(a.grouped().user(0), &[(1, 0), (3, 0)]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn merge(&mut self, other: Self) -> Result<()> {
        if self.is_empty() && self.users.is_empty() {
            *self = other;
            return Ok(());
        }
        let map = self.users.absorb(&other.users)?;
        super::pages::reserve(&mut self.user, other.user.len());
        self.user.extend(
            other
                .user
                .iter()
                .map(|&u| map.get(u as usize).copied().unwrap_or(u)),
        );
        super::pages::reserve(&mut self.events, other.events.len());
        self.events.extend(other.events);
        Ok(())
    }

    /// An empty log whose users are `users` (indices as there): for a fold that reads a
    /// table's rows by the table's own user indices, with no lookup per user.
    ///
    /// ```
    /// let mut users = userops::engine::Dictionary::new();
    /// users.intern(&"ana")?;
    /// let mut log = userops::engine::UserEvents::<&str, u8>::with_users(users);
    /// log.push_indexed(0, 5, 1)?;
    /// assert_eq!(log.grouped().user(0), &[(5, 1)]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn with_users(users: Dictionary<U>) -> Self {
        UserEvents {
            users,
            user: Vec::new(),
            events: Vec::new(),
        }
    }

    /// The log from its columns.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] when the columns differ in length, a user repeats or a
    /// user index is out of range.
    ///
    /// ```
    /// use userops::engine::UserEvents;
    /// assert!(UserEvents::<u8, u8>::from_parts(vec![1], vec![0], vec![5], vec![2]).is_ok());
    /// assert!(UserEvents::<u8, u8>::from_parts(vec![1], vec![1], vec![5], vec![2]).is_err());
    /// ```
    pub fn from_parts(users: Vec<U>, user: Vec<u32>, at: Vec<i64>, code: Vec<C>) -> Result<Self> {
        if user.len() != at.len() || user.len() != code.len() {
            return Err(Error::invalid(
                "events",
                format!(
                    "the columns differ in length: {} users, {} instants, {} codes",
                    user.len(),
                    at.len(),
                    code.len()
                ),
            ));
        }
        let users = Dictionary::from_values(users)?;
        if let Some(bad) = user.iter().find(|&&u| u as usize >= users.len()) {
            return Err(Error::invalid(
                "events",
                format!("user index {bad} but only {} users", users.len()),
            ));
        }
        Ok(UserEvents {
            users,
            user,
            events: at.into_iter().zip(code).collect(),
        })
    }
}

impl<U, C: Copy + Ord> UserEvents<U, C> {
    /// Each user's events sorted by instant, ties by code: a counting sort by user, then each
    /// user's run sorted only where it is not in order already. This copies the events;
    /// [`UserEvents::into_grouped`] does the same in place.
    ///
    /// ```
    /// let mut log = userops::engine::UserEvents::<u8, u8>::new();
    /// log.push(&5, 2, 0)?;
    /// log.push(&5, 1, 0)?;
    /// let g = log.grouped();
    /// assert_eq!((g.len(), g.user(0)), (1, &[(1, 0), (2, 0)][..]));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn grouped(&self) -> Grouped<C> {
        let offsets = run_offsets(self.users.len(), &self.user);
        let mut fill = offsets.clone();
        let mut events: Vec<(i64, C)> = super::pages::with_capacity(self.user.len());
        // Every slot is written once below; start from a copy of the first event (any value
        // would do) so that no unsafe uninitialised memory is needed.
        if let Some(&first) = self.events.first() {
            events.resize(self.user.len(), first);
        }
        for (&u, &e) in self.user.iter().zip(&self.events) {
            let slot = &mut fill[u as usize];
            events[*slot] = e;
            *slot += 1;
        }
        sort_runs(offsets, events)
    }

    /// The users and each user's events sorted by instant, ties by code, as
    /// [`UserEvents::grouped`]; a log already stored by user (as
    /// [`UserEvents::grouped_by_user`] makes it) gives its events as they are, with no copy.
    ///
    /// ```
    /// let mut log = userops::engine::UserEvents::<char, u8>::new();
    /// log.push(&'b', 3, 0)?;
    /// log.push(&'a', 2, 0)?;
    /// log.push(&'b', 1, 0)?;
    /// let (users, g) = log.into_grouped();
    /// assert_eq!(users.values(), &['b', 'a']);
    /// assert_eq!((g.user(0), g.user(1)), (&[(1, 0), (3, 0)][..], &[(2, 0)][..]));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn into_grouped(self) -> (Dictionary<U>, Grouped<C>) {
        if self.user.is_sorted() {
            let offsets = run_offsets(self.users.len(), &self.user);
            return (self.users, sort_runs(offsets, self.events));
        }
        let grouped = self.grouped();
        (self.users, grouped)
    }
}

impl<U, C: Copy> UserEvents<U, C> {
    /// A log of `users` holding the events of a table's rows, stored grouped by user so that
    /// [`UserEvents::into_grouped`] later needs no copy: row `i` is of the user with index
    /// `user[i]`, and `event(i)` is its (instant in microseconds, code), or `None` for a row
    /// the log does not keep. Two passes over the rows, one to count each user's events and
    /// one to put each event in its place; `event` must give the same answer both times.
    /// For a fold that reads one table's rows into a fresh log.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for a user index `users` does not have, or an `event`
    /// that keeps other rows the second time.
    ///
    /// ```
    /// let mut users = userops::engine::Dictionary::new();
    /// users.intern(&"ana")?;
    /// users.intern(&"bo")?;
    /// let user = [1, 0, 1, 0];
    /// let at = [5, 3, 7, 9];
    /// let kept = |i: usize| (i < 3).then(|| (at[i], i as u8));
    /// let log = userops::engine::UserEvents::grouped_by_user(users, &user, kept)?;
    /// let (_, g) = log.into_grouped();
    /// assert_eq!((g.user(0), g.user(1)), (&[(3, 1)][..], &[(5, 0), (7, 2)][..]));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn grouped_by_user(
        users: Dictionary<U>,
        user: &[u32],
        event: impl Fn(usize) -> Option<(i64, C)>,
    ) -> Result<Self> {
        let n = users.len();
        if let Some(&u) = user.iter().find(|&&u| u as usize >= n) {
            return Err(Error::invalid(
                "user",
                format!("no user with index {u} in this log of {n} users"),
            ));
        }
        // Places as `u32` when they fit: half the memory for the runs, read once a row.
        let (user, placed) = if u32::try_from(user.len()).is_ok() {
            place_by_user::<u32, C>(n, user, event)?
        } else {
            place_by_user::<usize, C>(n, user, event)?
        };
        Ok(UserEvents {
            users,
            user,
            events: placed,
        })
    }
}

/// A log's user column and events, grouped by user ([`place_by_user`]).
type Placed<C> = (Vec<u32>, Vec<(i64, C)>);

/// A place in a log, as [`place_by_user`] keeps it: `u32` for logs that fit.
trait Place: Copy + Ord + std::ops::Add<Output = Self> {
    const ZERO: Self;
    const ONE: Self;
    fn index(self) -> usize;
}

impl Place for u32 {
    const ZERO: Self = 0;
    const ONE: Self = 1;
    fn index(self) -> usize {
        self as usize
    }
}

impl Place for usize {
    const ZERO: Self = 0;
    const ONE: Self = 1;
    fn index(self) -> usize {
        self
    }
}

/// The two passes of [`UserEvents::grouped_by_user`] (users already checked below `n`,
/// `user.len()` within `P`): the user column and the events, grouped by user.
fn place_by_user<P: Place, C: Copy>(
    n: usize,
    user: &[u32],
    event: impl Fn(usize) -> Option<(i64, C)>,
) -> Result<Placed<C>> {
    // Each user's run: (next place to write, end). First the counts, in the ends. Rows
    // come in any order, so a run is a cache miss: fetched `AHEAD` rows early.
    let mut runs = vec![(P::ZERO, P::ZERO); n];
    for (i, &u) in user.iter().enumerate() {
        if let Some(&next) = user.get(i + AHEAD) {
            prefetch(&runs[next as usize]);
        }
        if event(i).is_some() {
            runs[u as usize].1 = runs[u as usize].1 + P::ONE;
        }
    }
    let mut end = P::ZERO;
    for r in &mut runs {
        *r = (end, end + r.1);
        end = r.1;
    }
    let len = end.index();
    // Plain pages, not `pages::with_capacity`: the events are written once, scattered, and
    // a huge page's first fault (2 MiB zeroed at once) cost more here than it saved
    // (PERFORMANCE.md, the funnel).
    let mut placed: Vec<(i64, C)> = Vec::with_capacity(len);
    let mut differ = false;
    for (i, &u) in user.iter().enumerate() {
        if let Some(&next) = user.get(i + AHEAD) {
            prefetch(&runs[next as usize]);
        }
        let Some(e) = event(i) else { continue };
        let r = &mut runs[u as usize];
        if placed.is_empty() {
            // Every place is written once below; start from a copy of the first event
            // (any value would do) so that no unsafe uninitialised memory is needed.
            placed.resize(len, e);
        }
        // A run takes no more than its count unless `event` answers otherwise.
        if r.0 < r.1 {
            placed[r.0.index()] = e;
            r.0 = r.0 + P::ONE;
        } else {
            differ = true;
        }
    }
    // Each run is full unless `event` answered differently the second time.
    if differ || runs.iter().any(|r| r.0 != r.1) {
        return Err(Error::invalid(
            "event",
            "the second pass over the rows kept other events than the first",
        ));
    }
    let mut user: Vec<u32> = Vec::with_capacity(len);
    for (u, &(_, end)) in runs.iter().enumerate() {
        user.resize(end.index(), u as u32);
    }
    Ok((user, placed))
}

/// How many rows ahead [`UserEvents::grouped_by_user`] fetches the memory a row will need.
const AHEAD: usize = 16;

/// Where each user's run starts in a log grouped by user (`users + 1` offsets).
fn run_offsets(users: usize, user: &[u32]) -> Vec<usize> {
    let mut offsets = vec![0_usize; users + 1];
    for &u in user {
        offsets[u as usize + 1] += 1;
    }
    for i in 0..users {
        offsets[i + 1] += offsets[i];
    }
    offsets
}

/// Each run of a log grouped by user sorted, only where it is not in order already.
fn sort_runs<C: Copy + Ord>(offsets: Vec<usize>, mut events: Vec<(i64, C)>) -> Grouped<C> {
    for w in offsets.windows(2) {
        let run = &mut events[w[0]..w[1]];
        if !run.is_sorted() {
            run.sort_unstable();
        }
    }
    Grouped { offsets, events }
}

/// Each user's events sorted by instant and code ([`UserEvents::grouped`]).
///
/// ```
/// let mut log = userops::engine::UserEvents::<u8, u8>::new();
/// log.push(&5, 2, 0)?;
/// assert_eq!(log.grouped().user(0), &[(2, 0)]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Grouped<C> {
    offsets: Vec<usize>,
    events: Vec<(i64, C)>,
}

impl<C> Grouped<C> {
    /// Number of users.
    ///
    /// ```
    /// assert_eq!(userops::engine::UserEvents::<u8, u8>::new().grouped().len(), 0);
    /// ```
    #[must_use]
    pub fn len(&self) -> usize {
        self.offsets.len().saturating_sub(1)
    }

    /// Whether there is no user.
    ///
    /// ```
    /// assert!(userops::engine::UserEvents::<u8, u8>::new().grouped().is_empty());
    /// ```
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The events (instant in microseconds, code) of the user with index `i`, sorted; empty
    /// for an index out of range.
    ///
    /// ```
    /// assert!(userops::engine::UserEvents::<u8, u8>::new().grouped().user(3).is_empty());
    /// ```
    #[must_use]
    pub fn user(&self, i: usize) -> &[(i64, C)] {
        match (self.offsets.get(i), self.offsets.get(i + 1)) {
            (Some(&a), Some(&b)) => &self.events[a..b],
            _ => &[],
        }
    }
}

#[derive(Serialize)]
struct PartsRef<'a, U, C: Serialize> {
    users: &'a [U],
    user: &'a [u32],
    at: Column<'a, C, i64>,
    code: Column<'a, C, C>,
}

/// One side of the (instant, code) pairs, serialized as a sequence.
struct Column<'a, C, T> {
    events: &'a [(i64, C)],
    pick: fn(&(i64, C)) -> &T,
}

impl<C, T: Serialize> Serialize for Column<'_, C, T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error> {
        serializer.collect_seq(self.events.iter().map(self.pick))
    }
}

#[derive(Deserialize)]
struct Parts<U, C> {
    users: Vec<U>,
    user: Vec<u32>,
    at: Vec<i64>,
    code: Vec<C>,
}

impl<U: Serialize, C: Serialize> Serialize for UserEvents<U, C> {
    fn serialize<S: Serializer>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error> {
        PartsRef {
            users: self.users.values(),
            user: &self.user,
            at: Column {
                events: &self.events,
                pick: |e| &e.0,
            },
            code: Column {
                events: &self.events,
                pick: |e| &e.1,
            },
        }
        .serialize(serializer)
    }
}

impl<'de, U, C> Deserialize<'de> for UserEvents<U, C>
where
    U: Deserialize<'de> + Clone + Eq + Hash + Ord,
    C: Deserialize<'de>,
{
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> std::result::Result<Self, D::Error> {
        let p = Parts::<U, C>::deserialize(deserializer)?;
        UserEvents::from_parts(p.users, p.user, p.at, p.code).map_err(D::Error::custom)
    }
}
