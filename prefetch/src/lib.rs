//! Memory hints for `userops`: software prefetch, and huge pages for big fresh buffers.
//!
//! `userops` forbids `unsafe` code; the processor's prefetch instruction is only reachable
//! through an `unsafe` intrinsic, and `madvise` through an `unsafe` foreign call, so this
//! crate holds those two calls behind safe functions. Both are hints: they never fault,
//! never change memory, and have no effect on any result, only on when data reaches the
//! cache ([`prefetch`]) and how the kernel maps memory not yet written
//! ([`advise_huge_pages`]).
//!
//! Why it pays: a fold reading a slice of events spends ~25 instructions per event, which
//! keeps only a few cache lines in flight; the hardware prefetcher alone then leaves the loop
//! waiting on memory. Asking for the line about 2 KB ahead lets the loads overlap (the RFM
//! fold over 11M 40-byte events: 80 -> 65 ms on the project's machine, see PERFORMANCE.md).
//!
//! ```
//! let events = vec![1_u64; 1024];
//! for i in 0..events.len() {
//!     if let Some(ahead) = events.get(i + 64) {
//!         userops_prefetch::prefetch(ahead);
//!     }
//! }
//! ```
#![cfg_attr(not(test), no_std)]
#![deny(missing_docs)]
#![deny(unsafe_op_in_unsafe_fn)]
#![warn(clippy::pedantic, clippy::undocumented_unsafe_blocks)]

/// Asks the processor to bring the cache line holding `value` into every cache level
/// (x86-64 `PREFETCHT0`; a no-op on other targets). No effect on results.
///
/// ```
/// let x = [0_u8; 64];
/// userops_prefetch::prefetch(&x);
/// ```
#[inline]
pub fn prefetch<T>(value: &T) {
    #[cfg(target_arch = "x86_64")]
    {
        use core::arch::x86_64::{_MM_HINT_T0, _mm_prefetch};
        let at = core::ptr::from_ref(value).cast::<i8>();
        // SAFETY: SSE (and so PREFETCHT0) is part of the x86-64 baseline. A prefetch does
        // not dereference its address in the language's sense: it cannot fault, read into
        // a register or write memory, whatever the address (here a live reference, or a
        // dangling but aligned one for a zero-sized `T`).
        unsafe { _mm_prefetch::<_MM_HINT_T0>(at) }
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = value;
}

/// The bytes read ahead by [`prefetch_ahead`]: measured best between 1.6 and 2.6 KB on the
/// RFM fold of 40-byte events (64 ms at 40 events ahead, 75 ms at 12).
pub const AHEAD_BYTES: usize = 2048;

/// Prefetches the element [`AHEAD_BYTES`] past position `i` of `items` (nothing past the end).
///
/// ```
/// let log = vec![(1_u64, 2.5_f64); 4096];
/// let total: f64 = (0..log.len()).map(|i| {
///     userops_prefetch::prefetch_ahead(&log, i);
///     log[i].1
/// }).sum();
/// assert_eq!(total, 4096.0 * 2.5);
/// ```
#[inline]
pub fn prefetch_ahead<T>(items: &[T], i: usize) {
    let step = (AHEAD_BYTES / core::mem::size_of::<T>().max(1)).max(1);
    if let Some(ahead) = i.checked_add(step).and_then(|j| items.get(j)) {
        prefetch(ahead);
    }
}

/// The size of a huge page on x86-64 and aarch64 Linux (2 MiB).
pub const HUGE_PAGE_BYTES: usize = 2 << 20;

/// The smallest spare capacity [`advise_huge_pages`] acts on (4 MiB): below it no whole
/// aligned huge page fits for sure, and the system call would cost more than it saves.
pub const HUGE_PAGES_FROM_BYTES: usize = 2 * HUGE_PAGE_BYTES;

/// Asks the kernel to back the whole 2 MiB pages inside `spare` (memory not yet written)
/// with huge pages when it is first written (Linux `madvise(MADV_HUGEPAGE)`; a no-op
/// elsewhere, and below [`HUGE_PAGES_FROM_BYTES`]). Returns whether the advice was taken.
///
/// Why it pays: a fresh 4 KiB page costs the kernel a fault and a zeroing, and faults from
/// two threads of one process contend; a 2 MiB page is one fault. Writing 128 MB just
/// allocated took 74-107 ms in 4 KiB pages and 36-51 ms in huge pages on the project's
/// machine, and two threads sped it up 1.45-1.63x against 1.7-1.9x (see PERFORMANCE.md).
/// On systems whose transparent huge pages are `never`, or already `always`, nothing changes.
/// Contents are never affected: the kernel zeroes a huge page as it does a small one.
///
/// ```
/// let mut report: Vec<u64> = Vec::with_capacity(1 << 20); // 8 MiB, not yet written
/// userops_prefetch::advise_huge_pages(report.spare_capacity_mut());
/// report.extend(0..1 << 20);
/// assert_eq!(report[12345], 12345);
/// ```
#[inline]
pub fn advise_huge_pages<T>(spare: &mut [core::mem::MaybeUninit<T>]) -> bool {
    let bytes = core::mem::size_of_val(spare);
    if bytes < HUGE_PAGES_FROM_BYTES {
        return false;
    }
    advise_huge_pages_of(spare.as_mut_ptr().cast::<u8>(), bytes)
}

#[cfg(target_os = "linux")]
#[cold]
#[inline(never)]
fn advise_huge_pages_of(start: *mut u8, bytes: usize) -> bool {
    let address = start.addr();
    let (Some(first), Some(end)) = (
        address.checked_next_multiple_of(HUGE_PAGE_BYTES),
        address.checked_add(bytes),
    ) else {
        return false;
    };
    let end = end - end % HUGE_PAGE_BYTES;
    if end <= first {
        return false;
    }
    let at = start.wrapping_add(first - address).cast::<libc::c_void>();
    // SAFETY: `[at, at + (end - first))` lies inside `start..start + bytes`, memory the
    // caller holds exclusively (`&mut`). MADV_HUGEPAGE only marks the range as eligible for
    // huge pages: it does not read, write, unmap or change the protection of any byte, so no
    // reference anywhere is invalidated. A failure (no THP in this kernel) is only reported.
    unsafe { libc::madvise(at, end - first, libc::MADV_HUGEPAGE) == 0 }
}

#[cfg(not(target_os = "linux"))]
fn advise_huge_pages_of(_start: *mut u8, _bytes: usize) -> bool {
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zero_sized_and_past_the_end_are_fine() {
        prefetch(&());
        prefetch_ahead(&[(); 3], 1);
        prefetch_ahead(&[1_u8; 3], usize::MAX);
        prefetch_ahead::<u64>(&[], 0);
    }

    #[test]
    fn small_spare_capacity_is_left_alone() {
        let mut v = [core::mem::MaybeUninit::<u64>::uninit(); 16];
        assert!(!advise_huge_pages(&mut v));
        assert!(!advise_huge_pages::<u8>(&mut []));
    }

    /// On Linux with transparent huge pages built in (the sysfs switch exists), the advice on
    /// 8 MiB of spare room is taken: `madvise` refuses a range that is not page-aligned or
    /// not mapped, so this fails if the aligned range were computed wrongly.
    #[cfg(target_os = "linux")]
    #[test]
    fn big_spare_capacity_is_advised_where_the_kernel_has_huge_pages() {
        extern crate std;
        let thp = std::path::Path::new("/sys/kernel/mm/transparent_hugepage/enabled").exists();
        for offset in [0, 1, 4095, 4096 + 8] {
            let mut v: std::vec::Vec<u8> = std::vec::Vec::with_capacity((8 << 20) + offset);
            let spare = v.spare_capacity_mut();
            let spare = spare.get_mut(offset..).unwrap_or_default();
            assert_eq!(advise_huge_pages(spare), thp, "offset {offset}");
            v.extend(core::iter::repeat_n(7_u8, 8 << 20));
            assert!(v.iter().all(|&b| b == 7));
        }
    }
}
