//! Per-user state in one dense vector, indexed by the user dictionary: what every per-user
//! summary keeps instead of a map of its own.

use std::hash::Hash;

use serde::de::{Deserializer, Error as _};
use serde::ser::Serializer;
use serde::{Deserialize, Serialize};

use super::Dictionary;
use crate::{Error, Result};

/// One state per user, in first-seen order: the [`Dictionary`] of user ids and a vector of
/// states indexed by it (a query engine's accumulator arrays).
///
/// Merging two of them adds the other's states into this one's by index (a straight zip when
/// the two were built from the same dictionary; one dictionary lookup per user otherwise,
/// never one per event). It serializes as `{"users": [...], "states": [...]}` and
/// deserializes back to an equal value, so a partial state can travel between processes.
///
/// ```
/// use userops::engine::PerUser;
///
/// let mut orders: PerUser<&str, u64> = PerUser::new();
/// *orders.entry(&"ana", || 0)? += 1;
/// *orders.entry(&"bo", || 0)? += 1;
/// *orders.entry(&"ana", || 0)? += 1;
///
/// let mut other: PerUser<&str, u64> = PerUser::new();
/// *other.entry(&"cy", || 0)? += 5;
/// *other.entry(&"ana", || 0)? += 2;
/// orders.merge(other, |mine, theirs| *mine += theirs)?;
///
/// let rows: Vec<_> = orders.iter().map(|(u, n)| (*u, *n)).collect();
/// assert_eq!(rows, [("ana", 4), ("bo", 1), ("cy", 5)]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct PerUser<U, S> {
    users: Dictionary<U>,
    states: Vec<S>,
}

impl<U, S> Default for PerUser<U, S> {
    fn default() -> Self {
        PerUser {
            users: Dictionary::new(),
            states: Vec::new(),
        }
    }
}

impl<U, S> PerUser<U, S> {
    /// No users yet.
    ///
    /// ```
    /// assert!(userops::engine::PerUser::<u64, f64>::new().is_empty());
    /// ```
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Number of users.
    ///
    /// ```
    /// assert_eq!(userops::engine::PerUser::<u64, f64>::new().len(), 0);
    /// ```
    #[must_use]
    pub fn len(&self) -> usize {
        self.states.len()
    }

    /// Whether there is no user.
    ///
    /// ```
    /// assert!(userops::engine::PerUser::<u64, f64>::new().is_empty());
    /// ```
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.states.is_empty()
    }

    /// The user dictionary.
    ///
    /// ```
    /// let mut p = userops::engine::PerUser::<u8, u8>::new();
    /// p.entry(&4, || 0)?;
    /// assert_eq!(p.users().values(), &[4]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn users(&self) -> &Dictionary<U> {
        &self.users
    }

    /// The states, indexed like [`PerUser::users`].
    ///
    /// ```
    /// let mut p = userops::engine::PerUser::<u8, u8>::new();
    /// *p.entry(&4, || 0)? = 9;
    /// assert_eq!(p.states(), &[9]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn states(&self) -> &[S] {
        &self.states
    }

    /// The states, mutable, indexed like [`PerUser::users`].
    ///
    /// ```
    /// let mut p = userops::engine::PerUser::<u8, u8>::new();
    /// p.entry(&4, || 0)?;
    /// p.states_mut()[0] = 3;
    /// assert_eq!(p.states(), &[3]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn states_mut(&mut self) -> &mut [S] {
        &mut self.states
    }

    /// Every user with its state, in first-seen order.
    ///
    /// ```
    /// let mut p = userops::engine::PerUser::<char, u8>::new();
    /// p.entry(&'z', || 1)?;
    /// p.entry(&'a', || 2)?;
    /// assert_eq!(p.iter().collect::<Vec<_>>(), [(&'z', &1), (&'a', &2)]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn iter(&self) -> impl ExactSizeIterator<Item = (&U, &S)> {
        self.users.values().iter().zip(&self.states)
    }

    /// Users and states as two vectors, in first-seen order.
    ///
    /// ```
    /// let mut p = userops::engine::PerUser::<char, u8>::new();
    /// p.entry(&'z', || 1)?;
    /// assert_eq!(p.into_parts(), (vec!['z'], vec![1]));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn into_parts(self) -> (Vec<U>, Vec<S>)
    where
        U: Clone,
    {
        (self.users.into_values(), self.states)
    }

    /// Every user with its state, by value, in first-seen order.
    ///
    /// ```
    /// let mut p = userops::engine::PerUser::<char, u8>::new();
    /// p.entry(&'q', || 7)?;
    /// assert_eq!(p.into_iter().collect::<Vec<_>>(), [('q', 7)]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[allow(clippy::should_implement_trait)]
    #[must_use]
    pub fn into_iter(self) -> impl ExactSizeIterator<Item = (U, S)>
    where
        U: Clone,
    {
        self.users.into_values().into_iter().zip(self.states)
    }
}

impl<U: Clone + Eq + std::hash::Hash + Ord, S> PerUser<U, S> {
    /// Room for `additional` more users and states without reallocating (memory advised for
    /// huge pages): for a fold that can project how many users a slice will bring.
    pub(crate) fn reserve(&mut self, additional: usize) {
        self.users.reserve(additional);
        super::pages::reserve(&mut self.states, additional);
    }
}

impl<U: Clone + Eq + Hash + Ord, S> PerUser<U, S> {
    /// The state of `user`, made by `new_state` when the user is new.
    ///
    /// # Errors
    /// [`Error::TooManyUsers`] past the dictionary's limit (see [`super::MAX_ENTRIES`]).
    ///
    /// ```
    /// let mut p = userops::engine::PerUser::<u8, Vec<u8>>::new();
    /// p.entry(&1, Vec::new)?.push(5);
    /// p.entry(&1, Vec::new)?.push(6);
    /// assert_eq!(p.states(), &[vec![5, 6]]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[inline]
    pub fn entry(&mut self, user: &U, new_state: impl FnOnce() -> S) -> Result<&mut S> {
        let index = self.index(user, new_state)?;
        Ok(&mut self.states[index as usize])
    }

    /// The index of `user`, its state made by `new_state` when the user is new.
    ///
    /// # Errors
    /// [`Error::TooManyUsers`] past the dictionary's limit.
    ///
    /// ```
    /// let mut p = userops::engine::PerUser::<u8, u8>::new();
    /// assert_eq!((p.index(&9, || 0)?, p.index(&3, || 0)?, p.index(&9, || 0)?), (0, 1, 0));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[inline]
    pub fn index(&mut self, user: &U, new_state: impl FnOnce() -> S) -> Result<u32> {
        let index = self.users.intern(user)?;
        if index as usize == self.states.len() {
            super::pages::push(&mut self.states, new_state());
        }
        Ok(index)
    }

    /// Adds user `t` of `table`, which the caller knows is not here yet, with `state`, without
    /// hashing it (`Dictionary::push_from`): what [`super::TableUsers`] does for a summary that
    /// was empty when a table's rows started coming.
    pub(crate) fn push_new_user(&mut self, table: &Dictionary<U>, t: u32, state: S) -> Result<u32> {
        let index = self.users.push_from(table, t)?;
        super::pages::push(&mut self.states, state);
        Ok(index)
    }

    /// The state of `user`, if the user has one.
    ///
    /// ```
    /// let mut p = userops::engine::PerUser::<u8, u8>::new();
    /// p.entry(&1, || 4)?;
    /// assert_eq!((p.get(&1), p.get(&2)), (Some(&4), None));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn get(&self, user: &U) -> Option<&S> {
        self.users
            .get(user)
            .and_then(|i| self.states.get(i as usize))
    }

    /// Adds every user of `other` into this one: `combine(mine, theirs)` for users both have,
    /// the state as it is for users new here (appended in `other`'s order).
    ///
    /// # Errors
    /// [`Error::TooManyUsers`] when the union is over the limit; whatever `combine` returns
    /// is not checked (it cannot fail).
    ///
    /// ```
    /// let mut a = userops::engine::PerUser::<u8, u32>::new();
    /// *a.entry(&1, || 0)? += 10;
    /// let mut b = userops::engine::PerUser::<u8, u32>::new();
    /// *b.entry(&2, || 0)? += 1;
    /// *b.entry(&1, || 0)? += 1;
    /// a.merge(b, |x, y| *x += y)?;
    /// assert_eq!(a.states(), &[11, 1]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn merge(&mut self, other: Self, combine: impl FnMut(&mut S, S)) -> Result<()> {
        self.merge_indexed(other, combine).map(drop)
    }

    /// [`PerUser::merge`], returning for each of `other`'s indices the index of the same
    /// user here (for state a summary keeps by user index beside its states).
    ///
    /// # Errors
    /// [`Error::TooManyUsers`] when the union is over the limit.
    ///
    /// ```
    /// let mut a = userops::engine::PerUser::<u8, u32>::new();
    /// a.entry(&1, || 0)?;
    /// let mut b = userops::engine::PerUser::<u8, u32>::new();
    /// b.entry(&2, || 0)?;
    /// b.entry(&1, || 0)?;
    /// assert_eq!(a.merge_indexed(b, |x, y| *x += y)?, vec![1, 0]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn merge_indexed(
        &mut self,
        other: Self,
        mut combine: impl FnMut(&mut S, S),
    ) -> Result<Vec<u32>> {
        if self.is_empty() {
            // In range: a dictionary holds at most u32::MAX values.
            let map = (0..other.len()).map(|i| i as u32).collect();
            *self = other;
            return Ok(map);
        }
        let map = self.users.absorb(&other.users)?;
        let more = self.users.len() - self.states.len();
        super::pages::reserve(&mut self.states, more);
        for (&to, state) in map.iter().zip(other.states) {
            match self.states.get_mut(to as usize) {
                Some(mine) => combine(mine, state),
                None => self.states.push(state),
            }
        }
        Ok(map)
    }

    /// The same users and states, from two vectors (each user once, states in its order).
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] when the lengths differ or a user repeats.
    ///
    /// ```
    /// let p = userops::engine::PerUser::from_parts(vec!['a', 'b'], vec![1, 2])?;
    /// assert_eq!(p.get(&'b'), Some(&2));
    /// assert!(userops::engine::PerUser::from_parts(vec!['a'], vec![1, 2]).is_err());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn from_parts(users: Vec<U>, states: Vec<S>) -> Result<Self> {
        if users.len() != states.len() {
            return Err(Error::invalid(
                "states",
                format!(
                    "{} users but {} states; a partial state has one state per user",
                    users.len(),
                    states.len()
                ),
            ));
        }
        Ok(PerUser {
            users: Dictionary::from_values(users)?,
            states,
        })
    }
}

#[derive(Serialize)]
struct PartsRef<'a, U, S> {
    users: &'a [U],
    states: &'a [S],
}

#[derive(Deserialize)]
struct Parts<U, S> {
    users: Vec<U>,
    states: Vec<S>,
}

impl<U: Serialize, S: Serialize> Serialize for PerUser<U, S> {
    fn serialize<Se: Serializer>(&self, serializer: Se) -> std::result::Result<Se::Ok, Se::Error> {
        PartsRef {
            users: self.users.values(),
            states: &self.states,
        }
        .serialize(serializer)
    }
}

impl<'de, U, S> Deserialize<'de> for PerUser<U, S>
where
    U: Deserialize<'de> + Clone + Eq + Hash + Ord,
    S: Deserialize<'de>,
{
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> std::result::Result<Self, D::Error> {
        let parts = Parts::<U, S>::deserialize(deserializer)?;
        PerUser::from_parts(parts.users, parts.states).map_err(D::Error::custom)
    }
}
