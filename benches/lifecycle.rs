//! Stage classification throughput.
//!
//! Sized from the sample generator: 1,000,000 users over 24 months with about 10 events each
//! (11.0M events, grouped by user and sorted by user id, as a database export ordered by user
//! is). Target: at least 50M events per second on one core for the fold plus the stage
//! classification, with memory of one 64-bit activity word per user (25 bits used: 24 months
//! and the lead month) plus two instants, not proportional to events.
//!
//! Each benchmark is measured twice: wall-clock time (`lifecycle/...`) and the CPU time of
//! the benchmark thread (`lifecycle_cpu/...`, from `/proc/thread-self/schedstat`), which stays
//! meaningful on a shared, oversubscribed machine.
//!
//! Measured 2026-11-22 on the project's shared 2-core machine (load average 8-12, so wall
//! clock is 3-5x CPU time), monthly periods, events grouped and sorted by user:
//!
//! | data | fold + stages, CPU time | fold + stages, wall | PostHog view, CPU |
//! |---|---|---|---|
//! | 1M users, 11.0M events (11/user) | 33.5M events/s | 20.7M events/s | 46.9M events/s |
//! | 100k users, 10.1M events (100/user, the density) | 79.4M events/s | 25.0M events/s | 101.8M events/s |
//! | 1M users, 11.0M events in time order (no fast path) | 2.1M events/s | 1.4M events/s | |
//!
//! With 11 events per user the per-user work (one sorted-append, one mask classification)
//! weighs as much as the events; at 100 events per user the fold dominates.
//!
//! `cargo bench --bench lifecycle -- --warm-up-time 1 --measurement-time 3`
//! (`LIFECYCLE_BENCH_USERS=100000` for a smaller run, `LIFECYCLE_BENCH_EVENTS_PER_USER=100` for
//! the 100 events per user).

use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use criterion::measurement::{Measurement, ValueFormatter, WallTime};
use criterion::{Criterion, Throughput};
use userops::fold::{Summary, fold};
use userops::lifecycle::{LifecycleSummary, StageParams};
use userops::sample::{SampleConfig, SampleEvent, generate};
use userops::time::{Calendar, Interval, Zone};

/// CPU time of the calling thread, in nanoseconds.
struct ThreadCpuTime;

static WALL: WallTime = WallTime;

fn thread_cpu_nanos() -> u64 {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next().and_then(|x| x.parse().ok()))
        .unwrap_or(0)
}

impl Measurement for ThreadCpuTime {
    type Intermediate = u64;
    type Value = u64;
    fn start(&self) -> u64 {
        thread_cpu_nanos()
    }
    fn end(&self, start: u64) -> u64 {
        thread_cpu_nanos().saturating_sub(start)
    }
    fn add(&self, a: &u64, b: &u64) -> u64 {
        a + b
    }
    fn zero(&self) -> u64 {
        0
    }
    fn to_f64(&self, v: &u64) -> f64 {
        *v as f64
    }
    fn formatter(&self) -> &dyn ValueFormatter {
        WALL.formatter()
    }
}

struct Setup {
    events: Vec<SampleEvent>,
    by_time: Vec<SampleEvent>,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
}

fn setup() -> Setup {
    let env = |k: &str, d: f64| {
        std::env::var(k)
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(d)
    };
    let users = env("LIFECYCLE_BENCH_USERS", 1_000_000.0) as u64;
    let per_user = env("LIFECYCLE_BENCH_EVENTS_PER_USER", 10.0);
    let data = generate(
        &SampleConfig::new(users)
            .months(24)
            .events_per_user(per_user),
    )
    .expect("sample data");
    eprintln!(
        "lifecycle bench: {} users, {} events, 24 monthly periods",
        data.users.len(),
        data.events.len()
    );
    let mut by_time = data.events.clone();
    by_time.sort_by_key(|e| e.at);
    Setup {
        from: Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).unwrap(),
        to: data.end - TimeDelta::milliseconds(1),
        events: data.events,
        by_time,
    }
}

fn run<M: Measurement>(c: &mut Criterion<M>, name: &str, s: &Setup) {
    let la = Zone::parse("America/Los_Angeles").unwrap();
    let (from, to) = (s.from, s.to);
    let mut g = c.benchmark_group(name);
    g.sample_size(10);
    g.throughput(Throughput::Elements(s.events.len() as u64));
    g.bench_function("stages_month_utc_grouped", |b| {
        b.iter(|| {
            let sum =
                LifecycleSummary::new(Calendar::new(Zone::Utc, Interval::Month), from, to).unwrap();
            fold(sum, &s.events)
                .unwrap()
                .finish()
                .unwrap()
                .stages(&StageParams::default(), None)
        })
    });
    g.bench_function("stages_month_los_angeles_grouped", |b| {
        b.iter(|| {
            let sum = LifecycleSummary::new(Calendar::new(la, Interval::Month), from, to).unwrap();
            fold(sum, &s.events)
                .unwrap()
                .finish()
                .unwrap()
                .stages(&StageParams::default(), None)
        })
    });
    g.bench_function("posthog_month_utc_grouped", |b| {
        b.iter(|| {
            let sum =
                LifecycleSummary::new(Calendar::new(Zone::Utc, Interval::Month), from, to).unwrap();
            fold(sum, &s.events)
                .unwrap()
                .finish()
                .unwrap()
                .posthog(None)
        })
    });
    // The same over two threads (feature `parallel`; wall clock only: the CPU-time measure
    // sees the calling thread alone).
    #[cfg(feature = "parallel")]
    if name == "lifecycle" {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(2)
            .build()
            .unwrap();
        g.bench_function("stages_month_utc_grouped_2_threads", |b| {
            b.iter(|| {
                pool.install(|| {
                    let sum =
                        LifecycleSummary::new(Calendar::new(Zone::Utc, Interval::Month), from, to)
                            .unwrap();
                    userops::fold::fold_par(&sum, &s.events)
                        .unwrap()
                        .finish()
                        .unwrap()
                        .stages(&StageParams::default(), None)
                })
            })
        });
    }
    // Worst case for the fast paths: events in time order (users interleaved).
    g.bench_function("stages_month_utc_time_ordered", |b| {
        b.iter(|| {
            let sum =
                LifecycleSummary::new(Calendar::new(Zone::Utc, Interval::Month), from, to).unwrap();
            fold(sum, &s.by_time)
                .unwrap()
                .finish()
                .unwrap()
                .stages(&StageParams::default(), None)
        })
    });
    g.finish();
}

fn benches() {
    let s = setup();
    let mut wall = Criterion::default().configure_from_args();
    run(&mut wall, "lifecycle", &s);
    let mut cpu = Criterion::default()
        .with_measurement(ThreadCpuTime)
        .configure_from_args();
    run(&mut cpu, "lifecycle_cpu", &s);
}

fn main() {
    benches();
    Criterion::default().configure_from_args().final_summary();
}
