//! How far two threads can go on this machine, whatever the model: the same work on one
//! thread and split over two, for three kinds of work the folds are made of.
//!
//! ```text
//! cargo run --release --features parallel --example machine_scaling [-- --repeat K]
//! ```
//!
//! One JSON line per kind and run: `{"work": w, "one_thread_s": a, "two_threads_s": b,
//! "speedup": a / b}` with `w` one of
//! * `compute`: a dependent multiply-add chain in registers (no memory);
//! * `stream_read`: summing 512 MB of `u64` already in memory (the folds' read of the log);
//! * `fresh_pages`: writing one byte per 4 KiB page of 128 MB just allocated (the first touch
//!   of a new summary or report, which the kernel must map and zero page by page).
//!
//! PERFORMANCE.md reads the folds' two-thread speed-ups against these ceilings.

use std::error::Error;
use std::hint::black_box;
use std::time::Instant;

/// `n` steps of a multiply-add chain.
fn compute(n: u64) -> u64 {
    let mut x = 1u64;
    for i in 0..n {
        x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(i);
    }
    x
}

/// Allocates `mb` MiB and writes one byte in each 4 KiB page.
fn fresh_pages(mb: usize) -> usize {
    let mut v = black_box(vec![0u8; mb << 20]);
    for i in (0..v.len()).step_by(4096) {
        if let Some(b) = v.get_mut(i) {
            *b = 1;
        }
    }
    black_box(&v).len()
}

fn sum(s: &[u64]) -> u64 {
    s.iter().fold(0u64, |a, b| a.wrapping_add(*b))
}

/// Seconds `f` takes.
fn time<T>(f: impl FnOnce() -> T) -> f64 {
    let t = Instant::now();
    black_box(f());
    t.elapsed().as_secs_f64()
}

fn main() -> Result<(), Box<dyn Error>> {
    let mut repeat = 5;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match (a.as_str(), args.next()) {
            ("--repeat", Some(k)) => repeat = k.parse()?,
            _ => return Err("usage: machine_scaling [--repeat K]".into()),
        }
    }
    let pool = rayon::ThreadPoolBuilder::new().num_threads(2).build()?;
    let data: Vec<u64> = (0..(64u64 << 20)).collect(); // 512 MB
    let (left, right) = data.split_at(data.len() / 2);
    for _ in 0..repeat {
        let runs = [
            (
                "compute",
                time(|| compute(400_000_000)),
                time(|| pool.join(|| compute(200_000_000), || compute(200_000_000))),
            ),
            (
                "stream_read",
                time(|| sum(&data)),
                time(|| pool.join(|| sum(left), || sum(right))),
            ),
            (
                "fresh_pages",
                time(|| fresh_pages(128)),
                time(|| pool.join(|| fresh_pages(64), || fresh_pages(64))),
            ),
        ];
        for (work, one, two) in runs {
            println!(
                "{{\"work\": \"{work}\", \"one_thread_s\": {one:.4}, \"two_threads_s\": {two:.4}, \"speedup\": {:.2}}}",
                one / two
            );
        }
    }
    Ok(())
}
