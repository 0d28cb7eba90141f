//! Lining up the per-user rows of two reports on the same users: the join under every
//! per-user table that combines models (the labels table).

use std::hash::{BuildHasher, Hash};

use hashbrown::HashTable;

/// Where each user of a *primary* list sits in another report's list of users.
///
/// Reports folded from the same [`super::EventTable`] list their users in the same
/// (dictionary) order, and then lining them up costs one comparison per user and no memory
/// ([`Alignment::Same`]); any other order is joined through a hash table of the other list's
/// positions (foldhash, randomly keyed, as the dictionaries).
///
/// ```
/// use userops::engine::Alignment;
/// let primary = ["ana", "bo", "cy"];
/// assert!(matches!(Alignment::of(&primary, &["ana", "bo", "cy", "di"]), Alignment::Same));
/// let other = Alignment::of(&primary, &["cy", "ana"]);
/// assert_eq!((other.get(0), other.get(1), other.get(2)), (Some(1), None, Some(0)));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Alignment {
    /// The other list starts with the primary list, in the same order: user `i` is row `i`.
    Same,
    /// Row of each primary user in the other list (`u32::MAX`: not there).
    Rows(Vec<u32>),
}

const ABSENT: u32 = u32::MAX;

impl Alignment {
    /// Lines up `other` against `primary` (a user listed twice in `other`: its first row).
    ///
    /// ```
    /// use userops::engine::Alignment;
    /// let a = Alignment::of(&[1_u32, 2], &[2_u32, 1]);
    /// assert_eq!((a.get(0), a.get(1)), (Some(1), Some(0)));
    /// ```
    #[must_use]
    pub fn of<U: Eq + Hash>(primary: &[U], other: &[U]) -> Alignment {
        Alignment::of_rows(primary, other, |u| u)
    }

    /// Lines up a report's rows against `primary`, reading each row's user with `user`.
    ///
    /// ```
    /// use userops::engine::Alignment;
    /// let rows = [("bo", 2.0), ("ana", 1.0)];
    /// let a = Alignment::of_rows(&["ana", "bo"], &rows, |r| &r.0);
    /// assert_eq!((a.get(0), a.get(1)), (Some(1), Some(0)));
    /// ```
    #[must_use]
    pub fn of_rows<U: Eq + Hash, R>(
        primary: &[U],
        rows: &[R],
        user: impl Fn(&R) -> &U,
    ) -> Alignment {
        if rows.len() >= primary.len() && primary.iter().zip(rows).all(|(u, r)| user(r) == u) {
            return Alignment::Same;
        }
        let id = |r: u32| rows.get(r as usize).map(&user);
        let hasher = foldhash::fast::RandomState::default();
        let mut positions: HashTable<u32> = HashTable::with_capacity(rows.len());
        for (row, r) in rows.iter().enumerate() {
            if row >= ABSENT as usize {
                break; // a dictionary never holds more users than that
            }
            let u = user(r);
            let h = hasher.hash_one(u);
            if positions.find(h, |p| id(*p) == Some(u)).is_none() {
                positions
                    .insert_unique(h, row as u32, |p| id(*p).map_or(0, |x| hasher.hash_one(x)));
            }
        }
        Alignment::Rows(
            primary
                .iter()
                .map(|u| {
                    positions
                        .find(hasher.hash_one(u), |p| id(*p) == Some(u))
                        .copied()
                        .unwrap_or(ABSENT)
                })
                .collect(),
        )
    }

    /// The row of primary user `i` in the other list, or `None` when it is not there.
    ///
    /// ```
    /// use userops::engine::Alignment;
    /// assert_eq!(Alignment::Same.get(7), Some(7));
    /// assert_eq!(Alignment::Rows(vec![u32::MAX]).get(0), None);
    /// ```
    #[must_use]
    #[inline]
    pub fn get(&self, i: usize) -> Option<usize> {
        match self {
            Alignment::Same => Some(i),
            Alignment::Rows(rows) => rows
                .get(i)
                .copied()
                .filter(|r| *r != ABSENT)
                .map(|r| r as usize),
        }
    }
}
