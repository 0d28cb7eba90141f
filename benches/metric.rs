//! Metric tree speed: 4 primary + 8 secondary metrics over ~10M events of 1M users, one core.
//!
//! `cargo bench --bench metric -- --warm-up-time 1 --measurement-time 3`

use std::hint::black_box;
use std::sync::Arc;

use criterion::{Criterion, criterion_group, criterion_main};
use userops::fold::{Summary, fold};
use userops::metric::{
    Measure, MetricSummary, MetricTree, SecondaryMetric, TierParams, ValueWeights, Window,
    population, value_scores,
};
use userops::sample::{Order, SampleConfig, SampleEvent, generate};
use userops::time::Zone;

/// A host metric reading the host's own field: community sessions.
struct CommunitySessions;
impl SecondaryMetric<SampleEvent> for CommunitySessions {
    fn name(&self) -> &str {
        "community_sessions"
    }
    fn observe(&self, e: &SampleEvent) -> f64 {
        f64::from(u8::from(e.feature == 4))
    }
}

fn tree() -> MetricTree<SampleEvent> {
    MetricTree::builder()
        .primary("time_spent", Measure::TimeSpent)
        .secondary(
            "time_spent",
            "minutes_per_active_day",
            Measure::per_active_day("time_spent"),
        )
        .secondary("time_spent", "sessions", Measure::Sessions)
        .primary("visit_frequency", Measure::ActiveDays)
        .secondary("visit_frequency", "browse", Measure::count("browse"))
        .host("visit_frequency", CommunitySessions)
        .primary("revenue", Measure::Amount)
        .secondary("revenue", "payments", Measure::Payments)
        .secondary(
            "revenue",
            "revenue_per_payment",
            Measure::ratio("revenue", "payments"),
        )
        .primary("arpu", Measure::AmountPerMonth)
        .secondary("arpu", "paid", Measure::Paid)
        .secondary(
            "arpu",
            "events_per_active_day",
            Measure::per_active_day("sessions"),
        )
        .build()
        .expect("bench tree is valid")
}

fn bench(c: &mut Criterion) {
    // In time order, as an application logs events.
    let data = generate(&SampleConfig::new(1_000_000).events_per_user(9.0).seed(11))
        .expect("sample")
        .into_order(Order::Time);
    eprintln!("{} events of {} users", data.events.len(), data.users.len());
    let tree = Arc::new(tree());
    let window = Window::new(
        data.events.iter().map(|e| e.at).min().expect("events"),
        data.end,
    )
    .expect("window");
    let mut g = c.benchmark_group("metric");
    g.sample_size(10);
    g.bench_function("tree_4x8_fold_finish_10M_events_1M_users", |b| {
        b.iter(|| {
            let s = fold(
                MetricSummary::new(Arc::clone(&tree), Zone::Utc, window),
                black_box(&data.events),
            )
            .expect("fold");
            black_box(s.finish().expect("finish").users.len())
        })
    });
    let report = fold(
        MetricSummary::new(Arc::clone(&tree), Zone::Utc, window),
        &data.events,
    )
    .expect("fold")
    .finish()
    .expect("finish");
    g.bench_function("population_stats_12_metrics_1M_users", |b| {
        b.iter(|| black_box(population(&report, 10).expect("stats").users))
    });
    let weights = ValueWeights::new([
        ("time_spent", 1.0),
        ("visit_frequency", 1.0),
        ("revenue", 1.0),
        ("arpu", 1.0),
    ])
    .expect("weights");
    g.bench_function("value_scores_1M_users", |b| {
        b.iter(|| {
            black_box(
                value_scores(&report, &weights, &TierParams::default())
                    .expect("scores")
                    .pareto_share,
            )
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
