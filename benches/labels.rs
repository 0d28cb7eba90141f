//! The per-user label table against the models alone.
//!
//! 1,000,000 users over 24 months (the sample generator, about 11 events a user), events in
//! time order in an `EventTable` (what the readers fill). Three measurements:
//!
//! * `models` — the lifecycle fold and its stage report, the RFM fold, scores, segments and
//!   health report: what a team runs today;
//! * `models_and_labels` — the same plus the label table built from those very states;
//! * `labels_only` — the label table from states already folded: the one extra pass over the
//!   per-user state that labels cost;
//! * `stage_report_only` — the stage report over the same state, one pass for reference.
//!
//! `cargo bench --bench labels -- --warm-up-time 1 --measurement-time 3`
//! (`LABELS_BENCH_USERS=100000` for a smaller run).
//!
//! Measured 2026-12-03 on the project's shared 2-core machine (load average 6-8.5, so wall
//! clock is noisy), 1M users, 11.0M events in time order, wall-clock medians:
//!
//! | run | time |
//! |---|---|
//! | models | 3.85 s |
//! | models and labels | 4.14 s (+7.6%) |
//! | labels only, per-period walk (first version) | 176 ms (stage report 79 ms in the same run) |
//! | labels only, stages decoded from the bit masks | 139 ms (stage report 127 ms in the same run) |
//!
//! The label table costs about one stage-report pass over the per-user state: about 4% of
//! the models it labels. The RFM rows come in the lifecycle's user order (both folded from the
//! same table), so the join is free (`engine::Alignment::Same`).

use chrono::TimeDelta;
use criterion::{Criterion, criterion_group, criterion_main};
use userops::engine::EventTable;
use userops::fold::{FoldTable, Summary};
use userops::labels::Labeler;
use userops::lifecycle::{LifecycleActivity, LifecycleSummary, StageParams};
use userops::rfm::{
    HealthParams, Method, RfmScores, RfmSummary, ScoreParams, SegmentRules, Segmentation,
};
use userops::sample::{SampleConfig, generate};
use userops::time::{Calendar, Interval, Zone};

struct Setup {
    table: EventTable<u64>,
    from: chrono::DateTime<chrono::Utc>,
    as_of: chrono::DateTime<chrono::Utc>,
}

fn setup() -> Setup {
    let users = std::env::var("LABELS_BENCH_USERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000_u64);
    let data = generate(&SampleConfig::new(users).months(24)).expect("sample data");
    let from = data
        .config
        .start
        .and_hms_opt(0, 0, 0)
        .expect("midnight")
        .and_utc();
    let mut events = data.events;
    events.sort_by_key(|e| e.at);
    let table = EventTable::from_events(&events).expect("table");
    eprintln!(
        "labels bench: {} users, {} events, 24 monthly periods",
        table.users().len(),
        table.len()
    );
    Setup {
        table,
        from,
        as_of: data.end - TimeDelta::milliseconds(1),
    }
}

type Models = (LifecycleActivity<u64, Zone>, RfmScores<u64>, Segmentation);

fn models(s: &Setup) -> Models {
    let mut life =
        LifecycleSummary::new(Calendar::new(Zone::Utc, Interval::Month), s.from, s.as_of).unwrap();
    life.observe_table(&s.table).unwrap();
    let activity = life.finish().unwrap();
    let report = activity.stages(&StageParams::default(), None);
    std::hint::black_box(&report);
    let mut rfm = RfmSummary::new(s.as_of);
    rfm.observe_table(&s.table).unwrap();
    let scores = ScoreParams::new(Method::Quantile)
        .check()
        .unwrap()
        .score_summary(rfm)
        .unwrap();
    let segments = SegmentRules::standard().segment(&scores).unwrap();
    let health = HealthParams::default().assess(&scores).unwrap();
    std::hint::black_box(&health);
    (activity, scores, segments)
}

fn labels(m: &Models) -> usize {
    Labeler::new(&m.0, StageParams::default())
        .rfm(&m.1, &m.2)
        .health(HealthParams::default())
        .build()
        .unwrap()
        .len()
}

fn bench(c: &mut Criterion) {
    let s = setup();
    let mut g = c.benchmark_group("labels");
    g.sample_size(10);
    g.bench_function("models", |b| b.iter(|| models(&s)));
    g.bench_function("models_and_labels", |b| b.iter(|| labels(&models(&s))));
    let ready = models(&s);
    let same = matches!(
        userops::engine::Alignment::of_rows(ready.0.users(), &ready.1.customers, |c| &c.user),
        userops::engine::Alignment::Same
    );
    eprintln!("labels bench: RFM rows in the lifecycle's user order: {same}");
    g.bench_function("labels_only", |b| b.iter(|| labels(&ready)));
    // The reference pass: the stage report over the same per-user state.
    g.bench_function("stage_report_only", |b| {
        b.iter(|| ready.0.stages(&StageParams::default(), None))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
