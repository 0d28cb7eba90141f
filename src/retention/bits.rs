//! Per-user period bitsets kept in one flat arena: no allocation per user, one per summary.

use std::hash::Hash;

use crate::fold::UserMap;

/// Users and, for each, `stride` words of period bits, in one `Vec<u64>`.
///
/// Two fast paths for logs exported in user order: the slot of the previous event's user is
/// cached (one comparison per event instead of a hash-map lookup), and while users arrive in
/// strictly increasing order no hash map is built at all (each new user is simply appended).
/// The first user out of order builds the map once and the state continues with lookups, so
/// any order gives the same result.
#[derive(Debug, Clone)]
pub(crate) struct UserBits<U, V> {
    stride: usize,
    /// Users so far arrived in strictly increasing order and `index` is not built.
    sorted: bool,
    index: UserMap<U, u32>,
    users: Vec<U>,
    words: Vec<u64>,
    /// One extra value per user (e.g. the first start instant), `init` for a new user.
    extra: Vec<V>,
    init: V,
    last: Option<u32>,
}

/// Words needed for `periods` bits.
pub(crate) fn words_for(periods: usize) -> usize {
    periods.div_ceil(64).max(1)
}

impl<U: Clone + Eq + Hash + Ord, V: Copy> UserBits<U, V> {
    pub(crate) fn new(stride: usize, init: V) -> Self {
        UserBits {
            stride,
            sorted: true,
            index: UserMap::default(),
            users: Vec::new(),
            words: Vec::new(),
            extra: Vec::new(),
            init,
            last: None,
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.users.len()
    }

    /// The slot of `user`, created (all bits clear) when new.
    #[inline]
    pub(crate) fn slot(&mut self, user: &U) -> usize {
        if let Some(last) = self.last {
            if self.users.get(last as usize) == Some(user) {
                return last as usize;
            }
        }
        let slot = if self.sorted {
            match self.users.last() {
                Some(l) if user < l => {
                    self.build_index();
                    self.lookup_or_push(user)
                }
                Some(l) if user == l => self.users.len() - 1,
                _ => self.push(user),
            }
        } else {
            self.lookup_or_push(user)
        };
        // More than 4 billion users in one partial summary is beyond any machine's memory for
        // this state; saturating keeps the code panic-free.
        self.last = Some(u32::try_from(slot).unwrap_or(u32::MAX));
        slot
    }

    fn build_index(&mut self) {
        self.sorted = false;
        self.index.reserve(self.users.len());
        for (i, u) in self.users.iter().enumerate() {
            self.index
                .insert(u.clone(), u32::try_from(i).unwrap_or(u32::MAX));
        }
    }

    fn lookup_or_push(&mut self, user: &U) -> usize {
        match self.index.get(user) {
            Some(s) => *s as usize,
            None => self.push(user),
        }
    }

    fn push(&mut self, user: &U) -> usize {
        let slot = self.users.len();
        if !self.sorted {
            self.index
                .insert(user.clone(), u32::try_from(slot).unwrap_or(u32::MAX));
        }
        self.users.push(user.clone());
        self.words.resize(self.words.len() + self.stride, 0);
        self.extra.push(self.init);
        slot
    }

    /// The words of one slot (empty for an unknown slot).
    #[inline]
    pub(crate) fn words_mut(&mut self, slot: usize) -> &mut [u64] {
        let start = slot.saturating_mul(self.stride);
        let end = start.saturating_add(self.stride);
        self.words.get_mut(start..end).unwrap_or(&mut [])
    }

    /// The words of one slot (empty for an unknown slot).
    #[inline]
    pub(crate) fn words(&self, slot: usize) -> &[u64] {
        let start = slot.saturating_mul(self.stride);
        let end = start.saturating_add(self.stride);
        self.words.get(start..end).unwrap_or(&[])
    }

    /// The extra value of one slot (`init` for an unknown slot).
    #[inline]
    pub(crate) fn extra(&self, slot: usize) -> V {
        self.extra.get(slot).copied().unwrap_or(self.init)
    }

    /// The extra value of one slot, to change it (`None` for an unknown slot).
    #[inline]
    pub(crate) fn extra_mut(&mut self, slot: usize) -> Option<&mut V> {
        self.extra.get_mut(slot)
    }

    /// Every slot with its words and extra value, in slot order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (&[u64], V)> + '_ {
        (0..self.users.len()).map(|i| (self.words(i), self.extra(i)))
    }

    /// Moves `other`'s users in: words are OR-ed, extras combined with `combine_extra`.
    pub(crate) fn absorb(&mut self, other: UserBits<U, V>, combine_extra: impl Fn(V, V) -> V) {
        for (their_slot, user) in other.users.iter().enumerate() {
            let mine = self.slot(user);
            for (m, t) in self.words_mut(mine).iter_mut().zip(other.words(their_slot)) {
                *m |= *t;
            }
            let theirs = other.extra(their_slot);
            if let Some(e) = self.extra_mut(mine) {
                *e = combine_extra(*e, theirs);
            }
        }
    }
}

/// Sets bit `i`.
#[inline]
pub(crate) fn set(words: &mut [u64], i: usize) {
    if let Some(w) = words.get_mut(i / 64) {
        *w |= 1_u64 << (i % 64);
    }
}

/// Whether bit `i` is set.
#[cfg(test)]
pub(crate) fn get(words: &[u64], i: usize) -> bool {
    words.get(i / 64).is_some_and(|w| (w >> (i % 64)) & 1 == 1)
}

/// The set bits, ascending.
pub(crate) fn ones(words: &[u64]) -> impl Iterator<Item = usize> + '_ {
    words.iter().enumerate().flat_map(|(wi, &w)| {
        let mut rest = w;
        std::iter::from_fn(move || {
            if rest == 0 {
                None
            } else {
                let b = rest.trailing_zeros() as usize;
                rest &= rest - 1;
                Some(wi * 64 + b)
            }
        })
    })
}

/// The highest set bit, if any.
pub(crate) fn highest(words: &[u64]) -> Option<usize> {
    words
        .iter()
        .enumerate()
        .rev()
        .find(|(_, w)| **w != 0)
        .map(|(wi, w)| wi * 64 + 63 - w.leading_zeros() as usize)
}

/// Number of set bits.
pub(crate) fn count(words: &[u64]) -> usize {
    words.iter().map(|w| w.count_ones() as usize).sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bit_helpers_agree_with_a_hand_set() {
        let mut w = vec![0_u64; 3];
        for i in [0, 5, 63, 64, 130] {
            set(&mut w, i);
        }
        set(&mut w, 999); // out of range: ignored
        assert_eq!(ones(&w).collect::<Vec<_>>(), [0, 5, 63, 64, 130]);
        assert_eq!(highest(&w), Some(130));
        assert_eq!(count(&w), 5);
        assert!(get(&w, 63) && !get(&w, 62) && !get(&w, 999));
        assert_eq!(highest(&[0, 0]), None);
    }

    #[test]
    fn out_of_order_users_switch_to_the_map_and_keep_their_slots() {
        let mut b = UserBits::<u32, ()>::new(1, ());
        let slots: Vec<usize> = [1, 1, 2, 5, 5, 3, 1, 5, 9, 2]
            .iter()
            .map(|u| b.slot(u))
            .collect();
        assert_eq!(slots, [0, 0, 1, 2, 2, 3, 0, 2, 4, 1]);
        assert_eq!(b.len(), 5);
    }

    #[test]
    fn slots_are_stable_and_cached() {
        let mut b = UserBits::<String, i64>::new(2, i64::MAX);
        let a = b.slot(&"a".to_string());
        let c = b.slot(&"c".to_string());
        assert_eq!(b.slot(&"a".to_string()), a);
        assert_ne!(a, c);
        set(b.words_mut(c), 70);
        assert_eq!(ones(b.words(c)).collect::<Vec<_>>(), [70]);
        assert_eq!(b.len(), 2);
        assert_eq!(b.extra(c), i64::MAX);
        let mut other = UserBits::<String, i64>::new(2, i64::MAX);
        let o = other.slot(&"c".to_string());
        set(other.words_mut(o), 1);
        *other.extra_mut(o).unwrap() = 5;
        let n = other.slot(&"n".to_string());
        set(other.words_mut(n), 3);
        b.absorb(other, i64::min);
        assert_eq!(ones(b.words(c)).collect::<Vec<_>>(), [1, 70]);
        assert_eq!(b.extra(c), 5);
        assert_eq!(b.len(), 3);
    }
}

/// [`PeriodGrid::index_of_millis`](crate::time::PeriodGrid::index_of_millis) with the last
/// period found remembered: a user's events, when grouped and in time order, mostly fall in
/// the period of the one before, which then costs two comparisons instead of a search.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct LastPeriod {
    lo: i64,
    hi: i64,
    index: usize,
}

impl LastPeriod {
    #[inline]
    pub(crate) fn index_of(&mut self, grid: &crate::time::PeriodGrid, ms: i64) -> Option<usize> {
        if ms >= self.lo && ms < self.hi {
            return Some(self.index);
        }
        let i = grid.index_of_millis(ms)?;
        let b = grid.bounds();
        if let (Some(lo), Some(hi)) = (b.get(i), b.get(i + 1)) {
            *self = LastPeriod {
                lo: *lo,
                hi: *hi,
                index: i,
            };
        }
        Some(i)
    }
}
