//! Foundation benchmarks: the sample generator and the per-user / per-period activity folds.
//!
//! `cargo bench --bench activity`

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;
use userops::activity::{ActivitySummary, PeriodTotals};
use userops::fold::{Summary, fold};
use userops::sample::{Order, SampleConfig, generate};
use userops::time::{Calendar, Interval, Zone};

fn bench(c: &mut Criterion) {
    // 100k users / ~1M events in time order (an application's log): big enough to measure,
    // small enough to build quickly.
    let cfg = SampleConfig::new(100_000).events_per_user(10.0);
    let data = generate(&cfg).expect("sample").into_order(Order::Time);
    let n = data.events.len() as u64;

    let mut g = c.benchmark_group("activity");
    g.sample_size(10);
    g.throughput(Throughput::Elements(n));
    g.bench_function("generate_100k_users", |b| {
        b.iter(|| generate(black_box(&cfg)).expect("sample"))
    });
    g.bench_function("activity_summary_monthly_utc", |b| {
        b.iter(|| {
            let s = fold(
                ActivitySummary::new(Calendar::new(Zone::Utc, Interval::Month)),
                &data.events,
            )
            .expect("fold");
            black_box(s.finish().unwrap())
        })
    });
    g.bench_function("period_totals_monthly_la", |b| {
        let zone = Zone::parse("America/Los_Angeles").expect("zone");
        b.iter(|| {
            let s = fold(
                PeriodTotals::new(Calendar::new(zone, Interval::Month)),
                &data.events,
            )
            .expect("fold");
            black_box(s.finish().unwrap())
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
