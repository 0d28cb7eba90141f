use std::time::Instant;
fn cpu() -> f64 {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| {
            s.split_whitespace()
                .next()
                .and_then(|x| x.parse::<f64>().ok())
        })
        .unwrap_or(0.0)
        / 1e9
}
use chrono::{TimeDelta, TimeZone, Utc};
use userops::fold::{Summary, fold};
use userops::lifecycle::{LifecycleSummary, StageParams};
use userops::sample::{SampleConfig, generate};
use userops::time::{Calendar, Interval, Zone};
fn main() {
    let users: u64 = std::env::args()
        .nth(1)
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let t0 = Instant::now();
    let data = generate(&SampleConfig::new(users).months(24).events_per_user(10.0)).unwrap();
    eprintln!("gen {:?} events {}", t0.elapsed(), data.events.len());
    let from = Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).unwrap();
    let to = data.end - TimeDelta::milliseconds(1);
    for _ in 0..3 {
        let c0 = cpu();
        let t = Instant::now();
        let s = LifecycleSummary::new(Calendar::new(Zone::Utc, Interval::Month), from, to).unwrap();
        let s = fold(s, &data.events).unwrap();
        let t1 = t.elapsed();
        let c1 = cpu();
        let a = s.finish();
        let t2 = t.elapsed();
        let c2 = cpu();
        let r = a.stages(&StageParams::default(), None);
        let t3 = t.elapsed();
        let c3 = cpu();
        let p = a.posthog(None);
        let t4 = t.elapsed();
        let c4 = cpu();
        eprintln!(
            "CPU: fold {:.3}s, finish {:.3}s stages {:.3}s, posthog {:.3}s => {:.1} M ev/s CPU",
            c1 - c0,
            c2 - c1,
            c3 - c2,
            c4 - c3,
            data.events.len() as f64 / (c3 - c0) / 1e6
        );
        eprintln!(
            "fold {:?} finish {:?} stages {:?} posthog {:?}  -> {:.1} M ev/s (fold+finish+stages); {} {}",
            t1,
            t2 - t1,
            t3 - t2,
            t4 - t3,
            data.events.len() as f64 / t3.as_secs_f64() / 1e6,
            r.rows.len(),
            p.new.len()
        );
    }
}
