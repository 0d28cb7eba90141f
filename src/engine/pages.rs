//! Big vectors backed by huge pages where the kernel offers them.
//!
//! A report or summary of a million users is tens of megabytes of memory that was never
//! written; the kernel maps and zeroes it 4 KiB at a time, and on two threads those faults
//! contend. Asking for 2 MiB pages first ([`userops_prefetch::advise_huge_pages`]) halves
//! the cost of a first write and lets two threads share it better (PERFORMANCE.md). Nothing
//! here changes a value: only how the memory under a vector is mapped.

/// An empty vector with room for `n` items, its memory advised for huge pages.
pub(crate) fn with_capacity<T>(n: usize) -> Vec<T> {
    let mut v = Vec::with_capacity(n);
    userops_prefetch::advise_huge_pages(v.spare_capacity_mut());
    v
}

/// `v.push(item)`, growing `v` as `Vec` does (doubling) but with the new room advised.
#[inline]
pub(crate) fn push<T>(v: &mut Vec<T>, item: T) {
    reserve(v, 1);
    v.push(item);
}

/// Room for `additional` more items in `v`: at least double the capacity when it grows (as
/// `Vec` does), with the new room advised.
#[inline]
pub(crate) fn reserve<T>(v: &mut Vec<T>, additional: usize) {
    if v.capacity() - v.len() < additional {
        grow(v, additional);
    }
}

/// When to size a fold's columns for a whole slice: a fold of 2^16 events or more into an
/// empty summary, once a sixteenth of it is folded, reserves room for the whole at once (one
/// allocation instead of twenty doublings, each a copy into fresh pages).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Projection {
    total: usize,
    /// Events left in the slice at which the projection is due (0: never).
    due_at: usize,
}

impl Projection {
    /// The projection of a slice of `total` events folded into a summary (`empty` or not).
    pub(crate) fn new(empty: bool, total: usize) -> Self {
        let due_at = if empty && total >= 1 << 16 {
            total - total / 16
        } else {
            0
        };
        Projection { total, due_at }
    }

    /// Once, the first time `rest` events or fewer are left after a sixteenth: the scale from
    /// what is folded so far to the whole slice.
    #[inline]
    pub(crate) fn due(&mut self, rest: usize) -> Option<Scale> {
        if rest > self.due_at {
            return None;
        }
        self.due_at = 0;
        Some(Scale {
            folded: self.total - rest,
            total: self.total,
        })
    }
}

/// The scale of a [`Projection`] that is due: `folded` of `total` events folded.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Scale {
    folded: usize,
    total: usize,
}

impl Scale {
    /// The further room a column of `len` items needs: `len` scaled to the whole, a quarter
    /// over, less what it has (a projection short of the mark leaves the rest to doubling).
    pub(crate) fn room(self, len: usize) -> usize {
        let whole = len as f64 * 1.25 * self.total as f64 / self.folded.max(1) as f64;
        (whole as usize).saturating_sub(len)
    }
}

#[cold]
#[inline(never)]
fn grow<T>(v: &mut Vec<T>, additional: usize) {
    v.reserve(additional.max(v.capacity()).max(4));
    userops_prefetch::advise_huge_pages(v.spare_capacity_mut());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pushes_keep_order_and_growth_at_least_doubles() {
        let mut v: Vec<u64> = Vec::new();
        let mut last_capacity = 0;
        for i in 0..(3 << 20) {
            push(&mut v, i);
            if v.capacity() != last_capacity {
                // A new allocation: at least twice the old room (4 items at first).
                assert!(v.capacity() >= (2 * last_capacity).max(4), "{i}");
                last_capacity = v.capacity();
            }
        }
        assert_eq!(v.len(), 3 << 20);
        assert!(v.iter().enumerate().all(|(i, &x)| x == i as u64));
    }

    #[test]
    fn projection_scales_to_the_whole_a_quarter_over() {
        // 160,000 events: due once 150,000 or fewer are left (a sixteenth, 10,000, folded).
        let mut p = Projection::new(true, 160_000);
        assert!(p.due(150_001).is_none());
        let scale = p.due(149_999).expect("due after a sixteenth");
        // 1,000 users after 10,001 of 160,000 events: 1,000 * 1.25 * 160,000 / 10,001 =
        // 19,998.0 in all, 18,998 more.
        assert_eq!(scale.room(1_000), 18_998);
        assert_eq!(scale.room(0), 0);
        assert!(p.due(10).is_none(), "only once");
        assert!(
            Projection::new(true, (1 << 16) - 1).due(1).is_none(),
            "short slice"
        );
        assert!(
            Projection::new(false, 1 << 20).due(1).is_none(),
            "summary not empty"
        );
        let nothing_folded = Scale {
            folded: 0,
            total: 10,
        };
        assert_eq!(
            nothing_folded.room(5),
            57,
            "counts as one folded: 5 * 1.25 * 10 - 5"
        );
    }

    #[test]
    fn reserve_makes_room_and_with_capacity_has_it() {
        let mut v: Vec<u32> = with_capacity(1 << 21);
        assert!(v.capacity() >= 1 << 21 && v.is_empty());
        v.extend(0..10);
        reserve(&mut v, 5 << 20);
        assert!(v.capacity() >= 10 + (5 << 20));
        let before = v.capacity();
        reserve(&mut v, 1);
        assert_eq!(v.capacity(), before, "room enough: no new allocation");
        assert_eq!(v, (0..10).collect::<Vec<u32>>());
        let mut zst: Vec<()> = Vec::new();
        reserve(&mut zst, usize::MAX);
        push(&mut zst, ());
        assert_eq!(zst.len(), 1);
    }
}
