//! Retention and stickiness folds over 10M events of 1M users, monthly, on one core (events
//! in time order, as an application logs them; `_grouped`: grouped by user, as a database
//! export ordered by user gives them), and over 1M shuffled events of 100k users.
//!
//! `cargo bench --bench retention -- --warm-up-time 1 --measurement-time 3`

use chrono::TimeDelta;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use userops::fold::{Summary, fold};
use userops::retention::{
    RetentionMode, RetentionParams, RetentionSummary, StickinessParams, StickinessSummary,
};
use userops::sample::{Order, SampleConfig, generate};
use userops::time::{Calendar, Interval, Zone};

fn bench(c: &mut Criterion) {
    // 1M users, ~9 events each plus the sign-up: ~10M events over 24 months, in time order
    // (an application's log); `_grouped` is the same log grouped by user.
    let data = generate(&SampleConfig::new(1_000_000).events_per_user(9.0).seed(7))
        .expect("sample data")
        .into_order(Order::Time);
    let events = &data.events;
    let grouped = data.clone().into_order(Order::User).events;
    let last = data.end - TimeDelta::seconds(1);
    let months = data.config.months as usize;
    let mut group = c.benchmark_group("retention");
    group.sample_size(10);
    group.throughput(Throughput::Elements(events.len() as u64));

    for (label, mode, start) in [
        (
            "monthly_first_time_signup_any",
            RetentionMode::FirstTime,
            "signup",
        ),
        ("monthly_recurring_any_any", RetentionMode::Recurring, "*"),
    ] {
        let spec = RetentionParams::new(Calendar::new(Zone::Utc, Interval::Month), last, months)
            .start_event(start)
            .return_event("*")
            .mode(mode)
            .check()
            .expect("params");
        group.bench_function(label, |b| {
            b.iter(|| {
                fold(RetentionSummary::new(spec.clone()), events)
                    .expect("fold")
                    .finish()
                    .unwrap()
            })
        });
        group.bench_function(format!("{label}_grouped"), |b| {
            b.iter(|| {
                fold(RetentionSummary::new(spec.clone()), &grouped)
                    .expect("fold")
                    .finish()
                    .unwrap()
            })
        });
    }
    drop(grouped);

    let la = Zone::parse("America/Los_Angeles").expect("zone");
    let spec = RetentionParams::new(Calendar::new(la, Interval::Month), last, months)
        .start_event("signup")
        .mode(RetentionMode::FirstTime)
        .on_or_after(true)
        .check()
        .expect("params");
    group.bench_function("monthly_first_time_los_angeles_on_or_after", |b| {
        b.iter(|| {
            fold(RetentionSummary::new(spec.clone()), events)
                .expect("fold")
                .finish()
                .unwrap()
        })
    });

    let spec = StickinessParams::new(
        Calendar::new(Zone::Utc, Interval::Month),
        data.end - TimeDelta::days(365),
        last,
    )
    .check()
    .expect("params");
    group.bench_function("stickiness_monthly_last_year", |b| {
        b.iter(|| {
            fold(StickinessSummary::new(spec.clone()), events)
                .expect("fold")
                .finish()
                .unwrap()
        })
    });
    group.finish();

    // The same fold on a log in random order (no user grouping): the hash-map path.
    // 1M events of 100k users, shuffled.
    let mut shuffled = generate(&SampleConfig::new(100_000).events_per_user(9.0).seed(8))
        .expect("sample data")
        .events;
    let mut rng = userops::sample::Rng::new(8);
    for i in (1..shuffled.len()).rev() {
        let j = rng.below(i as u64 + 1) as usize;
        shuffled.swap(i, j);
    }
    let mut group = c.benchmark_group("retention_unordered");
    group.sample_size(10);
    group.throughput(Throughput::Elements(shuffled.len() as u64));
    let spec = RetentionParams::new(Calendar::new(Zone::Utc, Interval::Month), last, months)
        .start_event("signup")
        .mode(RetentionMode::FirstTime)
        .check()
        .expect("params");
    group.bench_function("monthly_first_time_shuffled_1m_events", |b| {
        b.iter(|| {
            fold(RetentionSummary::new(spec.clone()), &shuffled)
                .expect("fold")
                .finish()
                .unwrap()
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
