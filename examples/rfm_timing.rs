use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use userops::event::Event;
use userops::fold::{Summary, fold};
use userops::rfm::{Method, RfmSummary, ScoreParams, SegmentRules};
use userops::sample::Rng;
#[derive(Debug, Clone, Copy)]
struct Purchase { user: u64, at: DateTime<Utc>, amount: f64 }
impl Event for Purchase {
    type User = u64;
    fn user(&self) -> &u64 { &self.user }
    fn at(&self) -> DateTime<Utc> { self.at }
    fn amount(&self) -> f64 { self.amount }
}
fn cpu_ns() -> u64 {
    std::fs::read_to_string("/proc/thread-self/schedstat").unwrap().split_whitespace().next().unwrap().parse().unwrap()
}
fn main() {
    let start = Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).unwrap();
    let mut rng = Rng::new(42);
    let mut orders = Vec::new();
    for user in 0..1_000_000u64 {
        let n = rng.poisson(9.0) + 1;
        for _ in 0..n {
            orders.push(Purchase { user, at: start + TimeDelta::seconds(rng.below(730 * 86400) as i64), amount: (rng.gamma(2.0, 20.0) * 100.0).round() / 100.0 });
        }
    }
    let as_of = start + TimeDelta::days(730);
    let rules = SegmentRules::standard();
    let method = match std::env::args().nth(1).as_deref() { Some("r") => Method::RfmR, Some("n") => Method::Ntile, _ => Method::Quantile };
    let scorer = ScoreParams::new(method).check().unwrap();
    let iters: usize = std::env::args().nth(2).and_then(|a| a.parse().ok()).unwrap_or(3);
    for _ in 0..iters {
        let c0 = cpu_ns();
        let folded = fold(RfmSummary::new(as_of), &orders).unwrap();
        let cf = cpu_ns();
        let table = folded.finish();
        let c1 = cpu_ns();
        let mut acc = 0i64; for o in &orders { acc = acc.wrapping_add(o.at.timestamp_millis()); }
        let cm = cpu_ns();
        println!("fold {:.1} finish {:.1} ms; bare timestamp loop {:.1} ms ({acc})", (cf-c0) as f64/1e6, (c1-cf) as f64/1e6, (cm-c1) as f64/1e6);
        let c1 = cpu_ns();
        let scores = scorer.score(&table).unwrap();
        let c2 = cpu_ns();
        let seg = rules.segment(&scores).unwrap();
        let c3 = cpu_ns();
        println!("{} purchases: summary {:.1} ms, scores {:.1} ms, segments {:.1} ms, total {:.1} ms cpu ({} segs)", orders.len(),
            (c1 - c0) as f64 / 1e6, (c2 - c1) as f64 / 1e6, (c3 - c2) as f64 / 1e6, (c3 - c0) as f64 / 1e6, seg.summary.len());
    }
}
