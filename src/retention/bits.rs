//! Per-user period bitsets kept in one flat arena: no allocation per user, one per summary.

use std::hash::Hash;

use crate::fold::UserMap;

/// Users and, for each, one row of `stride` words (period bits and any per-user word the
/// summary needs), in one `Vec<u64>` so that a user's state is one cache line or two.
///
/// Two fast paths for logs exported in user order: the slot of the previous event's user is
/// cached (one comparison per event instead of a hash-map lookup), and while users arrive in
/// strictly increasing order no hash map is built at all (each new user is simply appended).
/// The first user out of order builds the map once and the state continues with lookups, so
/// any order gives the same result.
#[derive(Debug, Clone)]
pub(crate) struct UserBits<U> {
    /// A new user's row.
    template: Vec<u64>,
    /// Users so far arrived in strictly increasing order and `index` is not built.
    sorted: bool,
    index: UserMap<U, u32>,
    users: Vec<U>,
    words: Vec<u64>,
    /// The previous event's user and slot, once the index is built.
    last: Option<(U, usize)>,
}

/// Words needed for `periods` bits.
pub(crate) fn words_for(periods: usize) -> usize {
    periods.div_ceil(64).max(1)
}

impl<U: Clone + Eq + Hash + Ord> UserBits<U> {
    /// An empty arena whose new rows start as `template`.
    pub(crate) fn new(template: Vec<u64>) -> Self {
        UserBits {
            template,
            sorted: true,
            index: UserMap::default(),
            users: Vec::new(),
            words: Vec::new(),
            last: None,
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.users.len()
    }

    /// The slot of `user`, created (as the template row) when new.
    #[inline]
    pub(crate) fn slot(&mut self, user: &U) -> usize {
        if self.sorted {
            match self.users.last() {
                // The previous event's user (the last row, still in cache).
                Some(l) if user == l => self.users.len() - 1,
                Some(l) if user < l => {
                    self.build_index();
                    self.lookup(user)
                }
                _ => self.push(user),
            }
        } else {
            // A copy of the previous event's user: comparing with `users[slot]` would touch
            // memory a hash lookup does not, a cache miss per event on unordered logs.
            if let Some((u, s)) = &self.last {
                if u == user {
                    return *s;
                }
            }
            self.lookup(user)
        }
    }

    fn lookup(&mut self, user: &U) -> usize {
        let slot = match self.index.get(user) {
            Some(s) => *s as usize,
            None => self.push(user),
        };
        self.last = Some((user.clone(), slot));
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

    fn push(&mut self, user: &U) -> usize {
        let slot = self.users.len();
        if !self.sorted {
            // More than 4 billion users in one partial summary is beyond any machine's memory
            // for this state; saturating keeps the code panic-free.
            self.index
                .insert(user.clone(), u32::try_from(slot).unwrap_or(u32::MAX));
        }
        self.users.push(user.clone());
        self.words.extend_from_slice(&self.template);
        slot
    }

    /// The row of one slot (empty for an unknown slot).
    #[inline]
    pub(crate) fn words_mut(&mut self, slot: usize) -> &mut [u64] {
        let stride = self.template.len();
        let start = slot.saturating_mul(stride);
        let end = start.saturating_add(stride);
        self.words.get_mut(start..end).unwrap_or(&mut [])
    }

    /// The row of one slot (empty for an unknown slot).
    #[inline]
    pub(crate) fn words(&self, slot: usize) -> &[u64] {
        let stride = self.template.len();
        let start = slot.saturating_mul(stride);
        let end = start.saturating_add(stride);
        self.words.get(start..end).unwrap_or(&[])
    }

    /// Every row, in slot order.
    pub(crate) fn rows(&self) -> impl Iterator<Item = &[u64]> + '_ {
        self.words.chunks_exact(self.template.len().max(1))
    }

    /// Moves `other`'s users in, folding each of their rows into the row of the same user
    /// here with `combine(mine, theirs)`.
    pub(crate) fn absorb(&mut self, other: &UserBits<U>, combine: impl Fn(&mut [u64], &[u64])) {
        for (their_slot, user) in other.users.iter().enumerate() {
            let mine = self.slot(user);
            combine(self.words_mut(mine), other.words(their_slot));
        }
    }
}

/// ORs `theirs` into `mine`, word by word.
pub(crate) fn or_into(mine: &mut [u64], theirs: &[u64]) {
    for (m, t) in mine.iter_mut().zip(theirs) {
        *m |= *t;
    }
}

/// Adds one to byte counter `i` (eight per word), saturating at 255.
#[inline]
pub(crate) fn add_count(words: &mut [u64], i: usize) {
    if let Some(w) = words.get_mut(i / 8) {
        let shift = (i % 8) * 8;
        if (*w >> shift) & 0xff != 0xff {
            *w += 1 << shift;
        }
    }
}

/// Adds byte counters, saturating each at 255.
pub(crate) fn add_counts(mine: &mut [u64], theirs: &[u64]) {
    for (m, t) in mine.iter_mut().zip(theirs) {
        let (a, b) = (m.to_le_bytes(), t.to_le_bytes());
        let mut out = [0_u8; 8];
        for (o, (x, y)) in out.iter_mut().zip(a.iter().zip(&b)) {
            *o = x.saturating_add(*y);
        }
        *m = u64::from_le_bytes(out);
    }
}

/// Writes into `out` (cleared first) the bits of the first `n` byte counters that are at
/// least `min`.
pub(crate) fn counts_at_least(counts: &[u64], min: u8, n: usize, out: &mut [u64]) {
    out.fill(0);
    for (wi, w) in counts.iter().enumerate() {
        for (b, c) in w.to_le_bytes().iter().enumerate() {
            let i = wi * 8 + b;
            if i < n && *c >= min {
                set(out, i);
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
    fn byte_counters_saturate_and_threshold() {
        let mut c = vec![0_u64; 2];
        for _ in 0..300 {
            add_count(&mut c, 9);
        }
        add_count(&mut c, 3);
        add_count(&mut c, 3);
        add_count(&mut c, 99); // out of range: ignored
        let mut d = vec![0_u64; 2];
        add_count(&mut d, 3);
        add_counts(&mut c, &d.clone());
        add_counts(&mut d, &c);
        let mut out = vec![0_u64; 1];
        counts_at_least(&c, 3, 16, &mut out);
        assert_eq!(ones(&out).collect::<Vec<_>>(), [3, 9]);
        counts_at_least(&d, 255, 16, &mut out);
        assert_eq!(ones(&out).collect::<Vec<_>>(), [9]);
        counts_at_least(&c, 3, 5, &mut out);
        assert_eq!(ones(&out).collect::<Vec<_>>(), [3]);
    }

    #[test]
    fn out_of_order_users_switch_to_the_map_and_keep_their_slots() {
        let mut b = UserBits::<u32>::new(vec![0]);
        let slots: Vec<usize> = [1, 1, 2, 5, 5, 3, 1, 5, 9, 2]
            .iter()
            .map(|u| b.slot(u))
            .collect();
        assert_eq!(slots, [0, 0, 1, 2, 2, 3, 0, 2, 4, 1]);
        assert_eq!(b.len(), 5);
    }

    #[test]
    fn slots_are_stable_and_cached() {
        let mut b = UserBits::<String>::new(vec![7, 0, 0]);
        let a = b.slot(&"a".to_string());
        let c = b.slot(&"c".to_string());
        assert_eq!(b.slot(&"a".to_string()), a);
        assert_ne!(a, c);
        set(&mut b.words_mut(c)[1..], 70);
        assert_eq!(ones(&b.words(c)[1..]).collect::<Vec<_>>(), [70]);
        assert_eq!(b.len(), 2);
        assert_eq!(b.words(c)[0], 7);
        let mut other = UserBits::<String>::new(vec![7, 0, 0]);
        let o = other.slot(&"c".to_string());
        set(&mut other.words_mut(o)[1..], 1);
        other.words_mut(o)[0] = 5;
        let n = other.slot(&"n".to_string());
        set(&mut other.words_mut(n)[1..], 3);
        b.absorb(&other, |m, t| {
            m[0] = m[0].min(t[0]);
            or_into(&mut m[1..], &t[1..]);
        });
        assert_eq!(ones(&b.words(c)[1..]).collect::<Vec<_>>(), [1, 70]);
        assert_eq!(b.words(c)[0], 5);
        assert_eq!(b.rows().count(), 3);
    }
}
