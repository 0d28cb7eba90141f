//! Benchmarks of the ops toolkit on the sample generator's data.

use chrono::TimeDelta;
use criterion::{Criterion, black_box, criterion_group, criterion_main};
use userops::fold::{Summary, fold};
use userops::ops::experiment::welch_t_test;
use userops::ops::health::{DailyActivity, HealthModel, HealthParams};
use userops::sample::{Order, SampleConfig, generate};
use userops::time::Zone;

fn health(c: &mut Criterion) {
    let data = generate(&SampleConfig::tour())
        .expect("sample")
        .into_order(Order::Time);
    c.bench_function("ops/daily_activity_fold_tour", |b| {
        b.iter(|| {
            fold(DailyActivity::new(Zone::Utc), black_box(&data.events))
                .map(|s| s.finish().unwrap())
        })
    });
    let daily = fold(DailyActivity::new(Zone::Utc), &data.events)
        .expect("fold")
        .finish()
        .unwrap();
    let model = HealthModel::new(HealthParams::default()).expect("params");
    let to = (data.end - TimeDelta::days(1)).date_naive();
    let from = to - TimeDelta::days(364);
    c.bench_function("ops/health_score_tour_365_days", |b| {
        b.iter(|| model.score(black_box(&daily), from, to))
    });
}

fn experiment(c: &mut Criterion) {
    let mut rng = userops::sample::Rng::new(3);
    let a: Vec<f64> = (0..100_000).map(|_| rng.gamma(2.0, 10.0)).collect();
    let b: Vec<f64> = (0..100_000).map(|_| rng.gamma(2.0, 10.5)).collect();
    c.bench_function("ops/welch_100k_per_group", |bch| {
        bch.iter(|| welch_t_test(black_box(&a), black_box(&b), 0.95))
    });
}

criterion_group!(benches, health, experiment);
criterion_main!(benches);
