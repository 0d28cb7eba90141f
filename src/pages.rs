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

/// The events of a slice after which a fold into an empty summary reserves room for the
/// whole slice ([`projected_room`]): a sixteenth, for slices of 2^16 events or more.
pub(crate) fn projection_point(empty: bool, events: usize) -> Option<usize> {
    (empty && events >= 1 << 16).then_some(events / 16)
}

/// The further room a column of `len` items needs once `folded` of `total` events made it:
/// `len` scaled to the whole, a quarter over, less what it has. One allocation instead of
/// twenty doublings, each a copy into fresh pages; a projection short of the mark only leaves
/// the rest to doubling.
pub(crate) fn projected_room(len: usize, folded: usize, total: usize) -> usize {
    let whole = len as f64 * 1.25 * total as f64 / folded.max(1) as f64;
    (whole as usize).saturating_sub(len)
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
        // 1,000 users after 1/16 of the events: 20,000 in all, 19,000 more.
        assert_eq!(projected_room(1_000, 10_000, 160_000), 19_000);
        assert_eq!(projected_room(0, 10_000, 160_000), 0);
        assert_eq!(
            projected_room(5, 0, 10),
            57,
            "nothing folded counts as one: 5 * 1.25 * 10 - 5"
        );
        assert_eq!(projection_point(true, 1 << 16), Some(4096));
        assert_eq!(projection_point(true, (1 << 16) - 1), None);
        assert_eq!(projection_point(false, 1 << 20), None);
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
