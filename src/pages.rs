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
