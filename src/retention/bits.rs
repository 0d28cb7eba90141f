//! Period bitsets and byte counters: the word arithmetic of the retention and stickiness
//! rows (each user's row lives in an [`crate::engine::UserRows`]).

/// Words needed for `periods` bits.
pub(crate) fn words_for(periods: usize) -> usize {
    periods.div_ceil(64).max(1)
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

/// Whether no bit at index `n` or above is set (a row read back from serde holds no period
/// past the window).
pub(crate) fn none_from(words: &[u64], n: usize) -> bool {
    ones(words).all(|i| i < n)
}

/// Whether every byte counter at index `n` or above is zero.
pub(crate) fn no_count_from(counts: &[u64], n: usize) -> bool {
    counts
        .iter()
        .flat_map(|w| w.to_le_bytes())
        .enumerate()
        .all(|(i, c)| i < n || c == 0)
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
        assert!(none_from(&w, 131) && !none_from(&w, 130));
        let mut c = vec![0_u64; 2];
        add_count(&mut c, 9);
        assert!(no_count_from(&c, 10) && !no_count_from(&c, 9));
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
}
