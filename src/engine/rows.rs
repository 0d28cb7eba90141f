//! Per-user rows of a fixed width in one flat vector, indexed by the user dictionary: the
//! columnar form of [`super::PerUser`] for summaries whose per-user state is a few words
//! (period bitsets, per-period counters).

use std::hash::Hash;

use serde::ser::{Serialize, Serializer};

use super::Dictionary;
use crate::{Error, Result};

/// One row of `stride` cells per user, in first-seen order: the [`Dictionary`] of user ids and
/// one flat vector of cells (row `i` is `cells[i * stride .. (i + 1) * stride]`), so that a
/// user's state is one contiguous slice and the whole state one allocation.
///
/// A new user's row starts as the template given to [`UserRows::new`]. Merging adds the
/// other's rows into this one's by index (`combine(mine, theirs)` for users both have, the
/// row as it is for users new here). It serializes as `{"users": [...], "cells": [...]}`; a
/// summary rebuilds it with [`UserRows::from_parts`], which checks the lengths.
///
/// ```
/// use userops::engine::UserRows;
///
/// let mut seen: UserRows<&str, u64> = UserRows::new(vec![0, 0]);
/// let ana = seen.index(&"ana")?;
/// seen.row_mut(ana)[1] |= 0b100;
/// let bo = seen.index(&"bo")?;
/// seen.row_mut(bo)[0] |= 1;
///
/// let mut other: UserRows<&str, u64> = UserRows::new(vec![0, 0]);
/// let ana = other.index(&"ana")?;
/// other.row_mut(ana)[1] |= 0b001;
/// seen.merge(&other, |mine, theirs| {
///     for (m, t) in mine.iter_mut().zip(theirs) {
///         *m |= t;
///     }
/// })?;
/// assert_eq!(seen.row(0), &[0, 0b101]);
/// assert_eq!(seen.users().values(), &["ana", "bo"]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct UserRows<U, W> {
    users: Dictionary<U>,
    template: Vec<W>,
    cells: Vec<W>,
}

impl<U, W: Copy> UserRows<U, W> {
    /// No users yet; each new user's row will start as `template` (its length is the row
    /// width).
    ///
    /// ```
    /// let rows = userops::engine::UserRows::<u64, u32>::new(vec![0; 4]);
    /// assert_eq!((rows.len(), rows.stride()), (0, 4));
    /// ```
    #[must_use]
    pub fn new(template: Vec<W>) -> Self {
        UserRows {
            users: Dictionary::new(),
            template,
            cells: Vec::new(),
        }
    }

    /// Number of users.
    ///
    /// ```
    /// assert_eq!(userops::engine::UserRows::<u64, u32>::new(vec![0]).len(), 0);
    /// ```
    #[must_use]
    pub fn len(&self) -> usize {
        self.users.len()
    }

    /// Whether there is no user.
    ///
    /// ```
    /// assert!(userops::engine::UserRows::<u64, u32>::new(vec![0]).is_empty());
    /// ```
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.users.is_empty()
    }

    /// Cells per row.
    ///
    /// ```
    /// assert_eq!(userops::engine::UserRows::<u64, u8>::new(vec![7; 3]).stride(), 3);
    /// ```
    #[must_use]
    pub fn stride(&self) -> usize {
        self.template.len()
    }

    /// The row a new user starts with.
    ///
    /// ```
    /// assert_eq!(userops::engine::UserRows::<u64, u8>::new(vec![7, 0]).template(), &[7, 0]);
    /// ```
    #[must_use]
    pub fn template(&self) -> &[W] {
        &self.template
    }

    /// The user dictionary: row `i` is the state of `users().value(i)`.
    ///
    /// ```
    /// let mut rows = userops::engine::UserRows::<char, u8>::new(vec![0]);
    /// rows.index(&'x')?;
    /// assert_eq!(rows.users().values(), &['x']);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn users(&self) -> &Dictionary<U> {
        &self.users
    }

    /// Every cell, row after row.
    ///
    /// ```
    /// let mut rows = userops::engine::UserRows::<char, u8>::new(vec![1, 2]);
    /// rows.index(&'x')?;
    /// assert_eq!(rows.cells(), &[1, 2]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn cells(&self) -> &[W] {
        &self.cells
    }

    /// The row of user `index` (empty when there is no such user).
    ///
    /// ```
    /// let mut rows = userops::engine::UserRows::<char, u8>::new(vec![1, 2]);
    /// let x = rows.index(&'x')?;
    /// assert_eq!((rows.row(x), rows.row(5)), (&[1, 2][..], &[][..]));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[inline]
    #[must_use]
    pub fn row(&self, index: u32) -> &[W] {
        let stride = self.stride();
        let start = index as usize * stride;
        self.cells.get(start..start + stride).unwrap_or(&[])
    }

    /// The row of user `index`, mutable (empty when there is no such user).
    ///
    /// ```
    /// let mut rows = userops::engine::UserRows::<char, u8>::new(vec![0]);
    /// let x = rows.index(&'x')?;
    /// rows.row_mut(x)[0] = 9;
    /// assert_eq!(rows.row(x), &[9]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[inline]
    pub fn row_mut(&mut self, index: u32) -> &mut [W] {
        let stride = self.stride();
        let start = index as usize * stride;
        self.cells.get_mut(start..start + stride).unwrap_or(&mut [])
    }

    /// Every row, in index (first-seen) order (none when rows are zero cells wide).
    ///
    /// ```
    /// let mut rows = userops::engine::UserRows::<char, u8>::new(vec![0, 1]);
    /// rows.index(&'x')?;
    /// rows.index(&'y')?;
    /// assert_eq!(rows.rows().count(), 2);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn rows(&self) -> std::slice::ChunksExact<'_, W> {
        self.cells.chunks_exact(self.stride().max(1))
    }

    /// The users (in index order) and the cells, without the lookup structure.
    ///
    /// ```
    /// let mut rows = userops::engine::UserRows::<char, u8>::new(vec![3]);
    /// rows.index(&'x')?;
    /// assert_eq!(rows.into_parts(), (vec!['x'], vec![3]));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn into_parts(self) -> (Vec<U>, Vec<W>)
    where
        U: Clone,
    {
        (self.users.into_values(), self.cells)
    }
}

impl<U: Clone + Eq + Hash + Ord, W: Copy> UserRows<U, W> {
    /// The index of `user`, its row added as the template when the user is new.
    ///
    /// # Errors
    /// [`Error::TooManyUsers`] past the dictionary's limit (see [`super::MAX_ENTRIES`]).
    ///
    /// ```
    /// let mut rows = userops::engine::UserRows::<u8, u8>::new(vec![0]);
    /// assert_eq!((rows.index(&9)?, rows.index(&3)?, rows.index(&9)?), (0, 1, 0));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[inline]
    pub fn index(&mut self, user: &U) -> Result<u32> {
        let index = self.users.intern(user)?;
        if index as usize * self.stride() == self.cells.len() {
            super::pages::reserve(&mut self.cells, self.template.len());
            self.cells.extend_from_slice(&self.template);
        }
        Ok(index)
    }

    /// Adds user `t` of `table`, which the caller knows is not here yet, without hashing it (see
    /// [`super::PerUser`]'s twin): its row starts as the template.
    pub(crate) fn push_new_user(&mut self, table: &Dictionary<U>, t: u32) -> Result<u32> {
        let index = self.users.push_from(table, t)?;
        super::pages::reserve(&mut self.cells, self.template.len());
        self.cells.extend_from_slice(&self.template);
        Ok(index)
    }

    /// Adds every user of `other` into this one: `combine(mine, theirs)` on the rows of users
    /// both have; users new here get `other`'s row as it is (appended in `other`'s order).
    /// Returns, for each of `other`'s indices, the index of the same user here (for columns a
    /// summary keeps beside the rows).
    ///
    /// # Errors
    /// [`Error::MergeMismatch`] when the rows differ in width (this one unchanged);
    /// [`Error::TooManyUsers`] when the union is over the limit (the dictionary may then
    /// hold some of `other`'s users without rows: drop this state).
    ///
    /// ```
    /// let mut a = userops::engine::UserRows::<u8, u32>::new(vec![0]);
    /// let i = a.index(&1)?;
    /// a.row_mut(i)[0] = 10;
    /// let mut b = a.clone();
    /// b.index(&2)?;
    /// assert_eq!(a.merge(&b, |m, t| m[0] += t[0])?, [0, 1]);
    /// assert_eq!(a.cells(), &[20, 0]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn merge(
        &mut self,
        other: &Self,
        mut combine: impl FnMut(&mut [W], &[W]),
    ) -> Result<Vec<u32>> {
        if self.stride() != other.stride() {
            return Err(Error::MergeMismatch(format!(
                "per-user rows of {} and {} cells",
                self.stride(),
                other.stride()
            )));
        }
        let map = self.users.absorb(&other.users)?;
        let more = self.users.len() * self.stride() - self.cells.len();
        super::pages::reserve(&mut self.cells, more);
        for (from, &to) in map.iter().enumerate() {
            // `from` is one of `other`'s indices: below its length, a u32.
            let theirs = other.row(from as u32);
            if to as usize * self.stride() == self.cells.len() {
                self.cells.extend_from_slice(theirs);
            } else {
                combine(self.row_mut(to), theirs);
            }
        }
        Ok(map)
    }

    /// The rows of `users` (each once, in index order) from their cells, row after row, each
    /// `template.len()` wide.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] when the cells are not one row per user or a user repeats.
    ///
    /// ```
    /// use userops::engine::UserRows;
    /// let rows = UserRows::from_parts(vec!['a', 'b'], vec![0_u8, 0], vec![1, 2, 3, 4])?;
    /// assert_eq!(rows.row(1), &[3, 4]);
    /// assert!(UserRows::from_parts(vec!['a'], vec![0_u8, 0], vec![1]).is_err());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn from_parts(users: Vec<U>, template: Vec<W>, cells: Vec<W>) -> Result<Self> {
        if users.len().checked_mul(template.len()) != Some(cells.len()) {
            return Err(Error::invalid(
                "cells",
                format!(
                    "{} cells for {} users of {} cells each",
                    cells.len(),
                    users.len(),
                    template.len()
                ),
            ));
        }
        Ok(UserRows {
            users: Dictionary::from_values(users)?,
            template,
            cells,
        })
    }
}

#[derive(serde::Serialize)]
struct PartsRef<'a, U, W> {
    users: &'a [U],
    cells: &'a [W],
}

impl<U: Serialize, W: Serialize> Serialize for UserRows<U, W> {
    fn serialize<S: Serializer>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error> {
        PartsRef {
            users: self.users.values(),
            cells: &self.cells,
        }
        .serialize(serializer)
    }
}

/// The two parts of a serialized [`UserRows`], for a summary's own deserializer (which knows
/// the template and calls [`UserRows::from_parts`]).
#[derive(Debug, serde::Deserialize)]
pub(crate) struct RowParts<U, W> {
    pub(crate) users: Vec<U>,
    pub(crate) cells: Vec<W>,
}

impl<U: Clone + Eq + Hash + Ord, W: Copy> RowParts<U, W> {
    /// The rows, each `template.len()` wide.
    pub(crate) fn rows(self, template: Vec<W>) -> Result<UserRows<U, W>> {
        UserRows::from_parts(self.users, template, self.cells)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merge_maps_by_user_and_appends_new_ones() {
        let mut a = UserRows::<u32, u64>::new(vec![0, 0]);
        for u in [5, 1, 9] {
            let i = a.index(&u).unwrap();
            a.row_mut(i)[0] = u64::from(u);
        }
        let mut b = UserRows::<u32, u64>::new(vec![0, 0]);
        for u in [9, 7] {
            let i = b.index(&u).unwrap();
            b.row_mut(i)[1] = 100 + u64::from(u);
        }
        a.merge(&b, |m, t| {
            m[0] += t[0];
            m[1] += t[1];
        })
        .unwrap();
        assert_eq!(a.users().values(), &[5, 1, 9, 7]);
        assert_eq!(a.cells(), &[5, 0, 1, 0, 9, 109, 0, 107]);
        let narrow = UserRows::<u32, u64>::new(vec![0]);
        assert!(a.merge(&narrow, |_, _| {}).is_err());
    }

    #[test]
    fn serde_parts_round_trip_and_bad_lengths_refused() {
        let mut a = UserRows::<String, u32>::new(vec![0, 1]);
        a.index(&"x".to_string()).unwrap();
        let json = serde_json::to_string(&a).unwrap();
        assert_eq!(json, r#"{"users":["x"],"cells":[0,1]}"#);
        let parts: RowParts<String, u32> = serde_json::from_str(&json).unwrap();
        assert_eq!(parts.rows(vec![0, 1]).unwrap(), a);
        let parts: RowParts<String, u32> = serde_json::from_str(&json).unwrap();
        assert!(parts.rows(vec![0]).is_err());
    }
}
