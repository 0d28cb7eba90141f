//! Stage classification throughput.
//!
//! Sized from the sample generator: 1,000,000 users over 24 months with about 10 events each
//! (about 10M events, grouped by user as a database export ordered by user is). Target: at
//! least 50M events per second on one core for the fold plus the classification, with memory
//! of one activity word (25 bits used: 24 months + the lead month) and two instants per user.
//!
//! `cargo bench --bench lifecycle -- --warm-up-time 1 --measurement-time 3`
//! (`LIFECYCLE_BENCH_USERS=100000` for a smaller run).

use chrono::{TimeDelta, TimeZone, Utc};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use userops::fold::{Summary, fold};
use userops::lifecycle::{LifecycleSummary, StageParams};
use userops::sample::{SampleConfig, generate};
use userops::time::{Calendar, Interval, Zone};

fn bench(c: &mut Criterion) {
    let users: u64 = std::env::var("LIFECYCLE_BENCH_USERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let data = generate(&SampleConfig::new(users).months(24).events_per_user(10.0))
        .expect("sample data");
    let events = &data.events;
    let from = Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).unwrap();
    let to = data.end - TimeDelta::milliseconds(1);
    let la = Zone::parse("America/Los_Angeles").unwrap();
    eprintln!(
        "lifecycle bench: {} users, {} events, 24 monthly periods",
        data.users.len(),
        events.len()
    );

    let mut g = c.benchmark_group("lifecycle");
    g.sample_size(10);
    g.throughput(Throughput::Elements(events.len() as u64));
    g.bench_function("stages_month_utc_grouped", |b| {
        b.iter(|| {
            let s = LifecycleSummary::new(Calendar::new(Zone::Utc, Interval::Month), from, to)
                .unwrap();
            let activity = fold(s, events).unwrap().finish();
            activity.stages(&StageParams::default(), None)
        })
    });
    g.bench_function("stages_month_los_angeles_grouped", |b| {
        b.iter(|| {
            let s =
                LifecycleSummary::new(Calendar::new(la.clone(), Interval::Month), from, to).unwrap();
            let activity = fold(s, events).unwrap().finish();
            activity.stages(&StageParams::default(), None)
        })
    });
    g.bench_function("posthog_month_utc_grouped", |b| {
        b.iter(|| {
            let s = LifecycleSummary::new(Calendar::new(Zone::Utc, Interval::Month), from, to)
                .unwrap();
            fold(s, events).unwrap().finish().posthog(None)
        })
    });
    // Worst case for the fast path: events in time order (users interleaved).
    let mut by_time = events.clone();
    by_time.sort_by_key(|e| e.at);
    g.bench_function("stages_month_utc_time_ordered", |b| {
        b.iter(|| {
            let s = LifecycleSummary::new(Calendar::new(Zone::Utc, Interval::Month), from, to)
                .unwrap();
            let activity = fold(s, &by_time).unwrap().finish();
            activity.stages(&StageParams::default(), None)
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
