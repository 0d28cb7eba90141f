//! Quadrant, metric tree, population, value scores, Pareto share and key users on arbitrary
//! events and parameters: never panics; scores, shares and quantiles are finite when `Ok`.
#![no_main]

use std::sync::Arc;

use chrono::{TimeDelta, TimeZone, Utc};
use libfuzzer_sys::fuzz_target;
use userops::event::EventRecord;
use userops::fold::{Summary, fold};
use userops::metric::{
    KeyUserParams, MetricSummary, MetricTree, TierParams, ValueWeights, Window, key_users,
    pareto_share, population, value_scores,
};
use userops::quadrant::{ProductFigures, QuadrantParams, UsageSummary, classify};
use userops::time::Zone;

const NAMES: [&str; 4] = ["browse", "order", "search", "community"];

fuzz_target!(|data: &[u8]| {
    let mut it = data.iter().copied();
    let mut next = move || it.next().unwrap_or(0);
    let base = Utc.with_ymd_and_hms(2025, 1, 1, 0, 0, 0).unwrap();
    let n = usize::from(next() % 64);
    let events: Vec<EventRecord<u8>> = (0..n)
        .map(|_| {
            let mut e =
                EventRecord::<u8>::new(next() % 12, base + TimeDelta::hours(i64::from(next()) * 7));
            e.amount = match next() {
                0 => -5.0,
                255 => 1e12,
                254 => 1e-6,
                v => f64::from(v % 4) * 9.99,
            };
            e.name = Some(NAMES[usize::from(next() % 4)].to_string());
            e.duration_ms = Some(i64::from(next()) * 1000);
            e
        })
        .collect();
    let zone = if next() % 2 == 0 {
        Zone::Utc
    } else {
        Zone::parse("Asia/Shanghai").unwrap()
    };
    if let Ok(s) = fold(UsageSummary::new(zone), &events) {
        if let Ok(fig) = s.finish() {
            let _ = classify(&fig, &QuadrantParams::default());
        }
    }
    let _ = ProductFigures::given(f64::from(next()) / 8.0, f64::from(next()) / 200.0);
    let tree: Arc<MetricTree<EventRecord<u8>>> = match MetricTree::standard().build() {
        Ok(t) => Arc::new(t),
        Err(_) => return,
    };
    let Ok(window) = Window::new(base, base + TimeDelta::days(i64::from(next()) + 1)) else {
        return;
    };
    let Ok(summary) = fold(MetricSummary::new(tree, zone, window), &events) else {
        return;
    };
    let Ok(report) = summary.finish() else { return };
    if let Ok(pop) = population(&report, usize::from(next() % 12)) {
        let _ = pop;
    }
    let w = [
        ("visit_frequency", f64::from(next() % 4)),
        ("time_spent", f64::from(next() % 4)),
        ("revenue", f64::from(next() % 4)),
        ("arpu", f64::from(next() % 4)),
    ];
    if let (Ok(weights), Ok(tiers)) = (
        ValueWeights::new(w),
        TierParams::new(
            vec![0.5, 0.8],
            vec!["low".into(), "mid".into(), "high".into()],
        ),
    ) {
        if let Ok(v) = value_scores(&report, &weights, &tiers) {
            assert!(
                v.users.iter().all(|u| u.score.is_finite()),
                "non-finite score"
            );
            assert!(
                (0.2 - 1e-9..=1.0 + 1e-9).contains(&v.pareto_share) || v.users.is_empty(),
                "pareto {}",
                v.pareto_share
            );
            if let Ok(p) =
                KeyUserParams::new(usize::from(next()), f64::from(next()) / 255.0, "fuzz")
            {
                let _ = key_users("score", v.users.iter().map(|u| (u.user, u.score)), &p);
            }
        }
    }
    let values: Vec<f64> = (0..usize::from(next() % 16))
        .map(|_| f64::from(next()))
        .collect();
    let share = pareto_share(&values);
    assert!(
        share.is_finite() && (0.0..=1.0 + 1e-9).contains(&share),
        "pareto_share {share}"
    );
});
