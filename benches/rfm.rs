//! RFM at scale: summary + scores + segments for 10M purchases of 1M users, from memory.
//!
//! `cargo bench --bench rfm -- --warm-up-time 1 --measurement-time 3`
//! Target (issue 3): <= 0.15 s on one core. With `--features parallel`, the same job also on
//! two threads (issue 8: at least 1.7x the one-core throughput).

use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use criterion::{Criterion, criterion_group, criterion_main};
use userops::event::Event;
use userops::fold::{Fold, Summary, fold};
use userops::rfm::{Method, RfmSummary, ScoreParams, SegmentRules};
use userops::sample::Rng;

#[derive(Debug, Clone, Copy)]
struct Purchase {
    user: u64,
    at: DateTime<Utc>,
    amount: f64,
}

impl Event for Purchase {
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
}

/// 1M users, 10 purchases each on average (Poisson, at least 1), grouped by user, over two
/// years, Gamma-distributed amounts.
fn purchases(users: u64, per_user: f64) -> (Vec<Purchase>, DateTime<Utc>) {
    let start = Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).unwrap();
    let span_secs = 730 * 86_400;
    let mut rng = Rng::new(42);
    let mut out = Vec::with_capacity((users as f64 * per_user * 1.05) as usize);
    for user in 0..users {
        let n = rng.poisson(per_user - 1.0) + 1;
        for _ in 0..n {
            let secs = rng.below(span_secs);
            out.push(Purchase {
                user,
                at: start + TimeDelta::seconds(secs as i64),
                amount: (rng.gamma(2.0, 20.0) * 100.0).round() / 100.0,
            });
        }
    }
    (out, start + TimeDelta::days(730))
}

fn bench(c: &mut Criterion) {
    let (grouped, as_of) = purchases(1_000_000, 10.0);
    eprintln!("{} purchases of 1,000,000 users", grouped.len());
    // An application's log is in time order, users interleaved: the default figure. The
    // user-grouped log (a database export ordered by user) is the `grouped` variant.
    let mut orders = grouped.clone();
    orders.sort_by_key(|p| p.at);
    let rules = SegmentRules::standard();
    let scorer = ScoreParams::new(Method::Quantile).check().unwrap();
    let mut group = c.benchmark_group("rfm");
    group.sample_size(10);
    group.bench_function("summary+scores+segments 10M purchases 1M users", |b| {
        b.iter(|| {
            // The slice road (`observe_many`), over the time-ordered log.
            let mut summary = RfmSummary::new(as_of);
            summary.observe_many(&orders).unwrap();
            let scores = scorer.score_summary(summary).unwrap();
            let seg = rules.segment(&scores).unwrap();
            std::hint::black_box(seg.summary.len())
        })
    });
    group.bench_function(
        "summary+scores+segments 10M purchases 1M users, grouped",
        |b| {
            b.iter(|| {
                // A run of one user's purchases at a time.
                let mut summary = RfmSummary::new(as_of);
                summary.observe_many(&grouped).unwrap();
                let scores = scorer.score_summary(summary).unwrap();
                let seg = rules.segment(&scores).unwrap();
                std::hint::black_box(seg.summary.len())
            })
        },
    );
    drop(grouped);
    // The same job over two threads (feature `parallel`): parallel fold, parallel scoring.
    #[cfg(feature = "parallel")]
    {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(2)
            .build()
            .unwrap();
        group.bench_function("summary+scores+segments, 2 threads", |b| {
            b.iter(|| {
                pool.install(|| {
                    let summary =
                        userops::fold::fold_par(&RfmSummary::new(as_of), &orders).unwrap();
                    let scores = scorer.score_summary_par(summary).unwrap();
                    let seg = rules.segment_par(&scores).unwrap();
                    std::hint::black_box(seg.summary.len())
                })
            })
        });
    }
    group.bench_function("summary+table+scores+segments (via RfmTable)", |b| {
        b.iter(|| {
            let table = fold(RfmSummary::new(as_of), &orders)
                .unwrap()
                .finish()
                .unwrap();
            let scores = scorer.score(&table).unwrap();
            let seg = rules.segment(&scores).unwrap();
            std::hint::black_box(seg.summary.len())
        })
    });
    let table = fold(RfmSummary::new(as_of), &orders)
        .unwrap()
        .finish()
        .unwrap();
    group.bench_function("summary only", |b| {
        b.iter(|| {
            let t = fold(RfmSummary::new(as_of), &orders)
                .unwrap()
                .finish()
                .unwrap();
            std::hint::black_box(t.customers.len())
        })
    });
    group.bench_function("scores only (quantile)", |b| {
        b.iter(|| std::hint::black_box(scorer.score(&table).unwrap().customers.len()))
    });
    let rfm_r = ScoreParams::new(Method::RfmR).check().unwrap();
    group.bench_function("scores only (r-rfm)", |b| {
        b.iter(|| std::hint::black_box(rfm_r.score(&table).unwrap().customers.len()))
    });
    let scores = scorer.score(&table).unwrap();
    group.bench_function("segments only", |b| {
        b.iter(|| std::hint::black_box(rules.segment(&scores).unwrap().summary.len()))
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
