//! A 4-step funnel (signup → browse → search → order, 7-day window) over 10M events of 1M
//! users on one core, events in time order (as an application logs them): from an
//! `EventTable` (the fast road, as `scripts/compare/compare_duckdb.py` times it against
//! DuckDB; with `u64` ids and with the ids as text, as a CSV gives them) and from the
//! host's events; strict and unordered on the table too.
//!
//! `cargo bench --bench funnel -- --warm-up-time 1 --measurement-time 3`

use chrono::TimeDelta;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use userops::engine::EventTable;
use userops::event::{Event, EventRecord};
use userops::fold::{FoldTable, Summary, fold};
use userops::funnel::{FunnelParams, FunnelSummary, StepOrder};
use userops::sample::{Order, SampleConfig, generate};

fn bench(c: &mut Criterion) {
    let data = generate(&SampleConfig::new(1_000_000).events_per_user(9.0).seed(7))
        .expect("sample data")
        .into_order(Order::Time);
    let events = &data.events;
    let table = EventTable::from_events(events).expect("table");
    // The same log with the ids as text, as a CSV reader gives them.
    let texts: Vec<EventRecord<String>> = events
        .iter()
        .map(|e| {
            let r = EventRecord::new(e.user.to_string(), e.at);
            match Event::name(e) {
                Some(n) => r.with_name(n),
                None => r,
            }
        })
        .collect();
    let text_table = EventTable::from_events(&texts).expect("table");
    drop(texts);
    let mut group = c.benchmark_group("funnel");
    group.sample_size(10);
    group.throughput(Throughput::Elements(events.len() as u64));
    for order in [StepOrder::Ordered, StepOrder::Strict, StepOrder::Unordered] {
        let spec = FunnelParams::new(["signup", "browse", "search", "order"])
            .window(TimeDelta::days(7))
            .order(order)
            .check()
            .expect("params");
        group.bench_function(format!("table_{order}_4_steps_7_days"), |b| {
            b.iter(|| {
                let mut s = FunnelSummary::new(spec.clone());
                s.observe_table(&table).expect("fold");
                s.finish().unwrap().report()
            })
        });
        if order == StepOrder::Ordered {
            group.bench_function("table_string_ids_ordered_4_steps_7_days", |b| {
                b.iter(|| {
                    let mut s = FunnelSummary::new(spec.clone());
                    s.observe_table(&text_table).expect("fold");
                    s.finish().unwrap().report()
                })
            });
            group.bench_function("events_ordered_4_steps_7_days", |b| {
                b.iter(|| {
                    fold(FunnelSummary::new(spec.clone()), events)
                        .expect("fold")
                        .finish()
                        .unwrap()
                        .report()
                })
            });
        }
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
