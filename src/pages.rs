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
