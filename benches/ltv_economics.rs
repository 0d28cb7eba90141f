//! Unit economics and cohort LTV at realistic size: the acquisition-ledger fold over the
//! sample generator's log (in time order, grouped by user as exported, and shuffled), and the models on the
//! finished ledger.
//!
//! `cargo bench --bench ltv_economics -- --warm-up-time 1 --measurement-time 3`

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use userops::fold::{Summary, fold};
use userops::ltv::cohort::{CohortSummary, cohort_ltv};
use userops::ltv::economics::{LtvParams, channel_economics, period_economics};
use userops::sample::{Order, SampleConfig, SampleEvent, generate};
use userops::time::{Calendar, Interval, Zone};

const USERS: u64 = 100_000;

fn bench(c: &mut Criterion) {
    let data = generate(&SampleConfig::new(USERS).seed(1)).expect("sample");
    let as_of = data.end - chrono::TimeDelta::milliseconds(1);
    let calendar = Calendar::new(Zone::Utc, Interval::Month);
    let mut shuffled: Vec<SampleEvent> = data.events.clone();
    let mut rng = userops::sample::Rng::new(9);
    for i in (1..shuffled.len()).rev() {
        let j = rng.below(i as u64 + 1) as usize;
        shuffled.swap(i, j);
    }

    let mut g = c.benchmark_group("ltv_economics");
    g.sample_size(10);
    g.throughput(Throughput::Elements(data.events.len() as u64));
    let by_time = data.clone().into_order(Order::Time).events;
    g.bench_function(format!("ledger_fold_time_ordered_{USERS}_users"), |b| {
        b.iter(|| {
            fold(CohortSummary::new(calendar.clone(), as_of), &by_time)
                .expect("fold")
                .finish()
                .unwrap()
        })
    });
    g.bench_function(format!("ledger_fold_grouped_{USERS}_users"), |b| {
        b.iter(|| {
            fold(CohortSummary::new(calendar.clone(), as_of), &data.events)
                .expect("fold")
                .finish()
                .unwrap()
        })
    });
    g.bench_function(format!("ledger_fold_shuffled_{USERS}_users"), |b| {
        b.iter(|| {
            fold(CohortSummary::new(calendar.clone(), as_of), &shuffled)
                .expect("fold")
                .finish()
                .unwrap()
        })
    });
    let mut ledger = fold(CohortSummary::new(calendar.clone(), as_of), &data.events)
        .expect("fold")
        .finish()
        .unwrap();
    ledger.use_sign_up(&data, &calendar).expect("sign-up");
    let channel = data.channel();
    let params = LtvParams::new(0.7).expect("params");
    g.throughput(Throughput::Elements(USERS));
    g.bench_function("period_economics", |b| {
        b.iter(|| period_economics(&ledger).expect("economics"))
    });
    g.bench_function("cohort_ltv_by_channel", |b| {
        b.iter(|| cohort_ltv(&ledger, Some(&channel)).expect("cohorts"))
    });
    g.bench_function("channel_economics", |b| {
        b.iter(|| channel_economics(&ledger, &channel, &data.spend, &params).expect("channels"))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
