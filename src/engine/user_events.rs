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

/// Events as three columns (the user's index in a [`Dictionary`], the instant in
/// microseconds, a model's code for the event), in arrival order, with the users built once.
///
/// A fold appends ([`UserEvents::push`]); two logs merge by appending the other's events with
/// its user indices mapped to this one's ([`UserEvents::merge`]); [`UserEvents::grouped`]
/// then gives each user's events sorted by instant, ties by code — the same sequence
/// whatever order the events came in, so that a model evaluated on it obeys the fold laws.
/// Grouping is a counting sort by user (two passes, no comparison sort for a log that is in
/// time order within each user, as an application's log is).
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
    at: Vec<i64>,
    code: Vec<C>,
}

impl<U, C> Default for UserEvents<U, C> {
    fn default() -> Self {
        UserEvents {
            users: Dictionary::new(),
            user: Vec::new(),
            at: Vec::new(),
            code: Vec::new(),
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
        super::pages::push(&mut self.at, at_micros);
        super::pages::push(&mut self.code, code);
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
        super::pages::reserve(&mut self.at, additional);
        super::pages::reserve(&mut self.code, additional);
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
            super::pages::push(&mut self.at, at);
            super::pages::push(&mut self.code, code);
        }
        Ok(())
    }

    /// The code column, in arrival order.
    ///
    /// ```
    /// let mut log = userops::engine::UserEvents::<u8, u8>::new();
    /// log.push(&1, 0, 9)?;
    /// assert_eq!(log.codes(), &[9]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn codes(&self) -> &[C] {
        &self.code
    }

    /// Rewrites every code in place (a model renumbering what its codes point to).
    ///
    /// ```
    /// let mut log = userops::engine::UserEvents::<u8, u8>::new();
    /// log.push(&1, 0, 9)?;
    /// log.map_codes(|c| *c += 1);
    /// assert_eq!(log.codes(), &[10]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn map_codes(&mut self, f: impl FnMut(&mut C)) {
        self.code.iter_mut().for_each(f);
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
        self.at.extend(other.at);
        self.code.extend(other.code);
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
            at: Vec::new(),
            code: Vec::new(),
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
            at,
            code,
        })
    }
}

impl<U, C: Copy + Ord> UserEvents<U, C> {
    /// Each user's events sorted by instant, ties by code: a counting sort by user (stable),
    /// then each user's run sorted only where it is not in order already.
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
        let n = self.users.len();
        let mut offsets = vec![0_usize; n + 1];
        for &u in &self.user {
            offsets[u as usize + 1] += 1;
        }
        for i in 0..n {
            offsets[i + 1] += offsets[i];
        }
        let mut fill = offsets.clone();
        let mut events: Vec<(i64, C)> = super::pages::with_capacity(self.user.len());
        // Every slot is written once below; start from a copy of the first event (any value
        // would do) so that no unsafe uninitialised memory is needed.
        if let (Some(&at), Some(&code)) = (self.at.first(), self.code.first()) {
            events.resize(self.user.len(), (at, code));
        }
        for ((&u, &at), &code) in self.user.iter().zip(&self.at).zip(&self.code) {
            let slot = &mut fill[u as usize];
            events[*slot] = (at, code);
            *slot += 1;
        }
        for w in offsets.windows(2) {
            let run = &mut events[w[0]..w[1]];
            if !run.is_sorted() {
                run.sort_unstable();
            }
        }
        Grouped { offsets, events }
    }
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
struct PartsRef<'a, U, C> {
    users: &'a [U],
    user: &'a [u32],
    at: &'a [i64],
    code: &'a [C],
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
            at: &self.at,
            code: &self.code,
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
