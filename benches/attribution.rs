//! Attribution at scale: 1M users' journeys (about 4.4M touchpoints and conversions in a
//! time-ordered log) by every heuristic model and the first-order Markov model.
//!
//! `cargo bench --bench attribution -- --warm-up-time 1 --measurement-time 3`
//! Target (issue 21): the models on 1M user journeys in under one second on one core.

use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use criterion::{Criterion, criterion_group, criterion_main};
use userops::attribution::{
    AttributionParams, ConversionRule, JourneyRules, JourneySummary, Model,
};
use userops::event::Event;
use userops::fold::{Fold, Summary};
use userops::sample::Rng;

#[derive(Debug, Clone, Copy)]
struct Touch {
    user: u64,
    at: DateTime<Utc>,
    name: &'static str,
    amount: f64,
}

impl Event for Touch {
    type User = u64;
    fn user(&self) -> &u64 {
        &self.user
    }
    fn at(&self) -> DateTime<Utc> {
        self.at
    }
    fn amount(&self) -> f64 {
        self.amount
    }
    fn name(&self) -> Option<&str> {
        Some(self.name)
    }
}

const CHANNELS: [&str; 8] = [
    "search",
    "display",
    "email",
    "social",
    "affiliate",
    "direct",
    "video",
    "referral",
];

/// 1M users over 90 days: 1 to 6 touchpoints each (channels skewed towards the first ones), a
/// third of the users converting once (Gamma-distributed order values) after their
/// touchpoints, some touching again afterwards; sorted by time.
fn log(users: u64) -> Vec<Touch> {
    let start = Utc.with_ymd_and_hms(2025, 1, 1, 0, 0, 0).unwrap();
    let mut rng = Rng::new(21);
    let mut out = Vec::with_capacity(users as usize * 5);
    for user in 0..users {
        let touches = 1 + rng.poisson(2.5).min(5);
        let mut at = start + TimeDelta::seconds(rng.below(60 * 86_400) as i64);
        for _ in 0..touches {
            let c = (rng.below(8) * rng.below(8) / 7) as usize;
            out.push(Touch {
                user,
                at,
                name: CHANNELS[c],
                amount: 0.0,
            });
            at += TimeDelta::seconds(rng.below(5 * 86_400) as i64);
        }
        if rng.below(3) == 0 {
            out.push(Touch {
                user,
                at,
                name: "order",
                amount: (rng.gamma(2.0, 30.0) * 100.0).round() / 100.0,
            });
            if rng.below(4) == 0 {
                at += TimeDelta::seconds(rng.below(86_400) as i64);
                out.push(Touch {
                    user,
                    at,
                    name: CHANNELS[rng.below(8) as usize],
                    amount: 0.0,
                });
            }
        }
    }
    out.sort_by_key(|t| t.at);
    out
}

fn bench(c: &mut Criterion) {
    let events = log(1_000_000);
    let rules = JourneyRules::new()
        .conversions(ConversionRule::Named(vec!["order".into()]))
        .lookback(TimeDelta::days(30))
        .unwrap();
    let spec = AttributionParams::heuristics_and_markov().check().unwrap();
    let mut summary = JourneySummary::new(rules.clone());
    summary.observe_many(&events).unwrap();
    let journeys = summary.finish().unwrap();
    eprintln!(
        "{} events of 1,000,000 users: {} journeys ({} converting)",
        events.len(),
        journeys.len(),
        journeys.conversions()
    );
    let mut group = c.benchmark_group("attribution");
    group.sample_size(10);
    group.bench_function("heuristics+markov(1) on 1M users' journeys", |b| {
        b.iter(|| std::hint::black_box(spec.attribute(&journeys).unwrap().models.len()))
    });
    group.bench_function(
        "fold+journeys+heuristics+markov(1), time-ordered log",
        |b| {
            b.iter(|| {
                let mut summary = JourneySummary::new(rules.clone());
                summary.observe_many(&events).unwrap();
                let report = spec.attribute(&summary.finish().unwrap()).unwrap();
                std::hint::black_box(report.models.len())
            })
        },
    );
    group.bench_function("fold only", |b| {
        b.iter(|| {
            let mut summary = JourneySummary::new(rules.clone());
            summary.observe_many(&events).unwrap();
            std::hint::black_box(summary.len())
        })
    });
    group.bench_function("path table only", |b| {
        b.iter(|| std::hint::black_box(journeys.paths().unwrap().rows().len()))
    });
    let paths = journeys.paths().unwrap();
    let markov = AttributionParams::new([Model::Markov { order: 1 }])
        .check()
        .unwrap();
    group.bench_function("markov(1) on the path table", |b| {
        b.iter(|| std::hint::black_box(markov.attribute_paths(&paths).unwrap().models.len()))
    });
    let shapley = AttributionParams::new([Model::Shapley, Model::Markov { order: 3 }])
        .check()
        .unwrap();
    group.bench_function("shapley+markov(3) on the path table", |b| {
        b.iter(|| std::hint::black_box(shapley.attribute_paths(&paths).unwrap().models.len()))
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
