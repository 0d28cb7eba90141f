//! What a partial state weighs and what the final merge costs, per model, for a log split into
//! parts the way a distributed plan splits it.
//!
//! ```sh
//! cargo run --release -p userops-datafusion --example merge_cost -- --users 1000000 --parts 2,8
//! cargo run --release -p userops-datafusion --example merge_cost -- --users 10000000 --events-per-user 1 --parts 2,8
//! ```
//!
//! The sample generator's log (in time order, user ids as text as the SQL functions see them)
//! is cut into `P` consecutive slices, as files exported by day are: every slice holds most
//! users, the worst case for the merge. Each slice is folded into the model's summary (the
//! work an executor does in parallel) and serialized (the `Binary` partial state the SQL
//! functions ship); then one process reads the `P` states back, merges them and finishes the
//! model: the part of the work that lands on one node. One JSON line per model and `P`:
//! `{"model", "users", "events", "parts", "state_bytes", "bytes_per_user", "fold_seconds",
//! "merge_seconds", "finish_seconds"}`, where `state_bytes` is the sum over the parts,
//! `bytes_per_user` divides it by the users, `fold_seconds` is the slowest part's fold and
//! serialization, and `merge_seconds` covers reading and merging every state.

use std::time::Instant;

use serde::Serialize;
use serde::de::DeserializeOwned;
use userops::engine::EventTable;
use userops::fold::{FoldTable, Summary};
use userops::lifecycle::LifecycleSummary;
use userops::ltv::{BtydSummary, TimeUnit};
use userops::retention::{RetentionParams, RetentionSummary};
use userops::rfm::RfmSummary;
use userops::sample::{Order, SampleConfig, generate};
use userops::time::{Calendar, Interval, Zone};

fn arg(name: &str, default: &str) -> String {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1).cloned())
        .unwrap_or_else(|| default.to_string())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let users: u64 = arg("--users", "1000000").parse()?;
    let per_user: f64 = arg("--events-per-user", "9").parse()?;
    let parts: Vec<usize> = arg("--parts", "2,8")
        .split(',')
        .map(str::parse)
        .collect::<Result<_, _>>()?;
    let models = arg("--models", "rfm,lifecycle,retention,btyd_summary");
    let data = generate(&SampleConfig::new(users).events_per_user(per_user).seed(1))?
        .into_order(Order::Time);
    let events = data.events;
    let first = events.first().map(|e| e.at).ok_or("no events")?;
    let last = events.last().map(|e| e.at).ok_or("no events")?;
    let as_of = last + chrono::TimeDelta::days(1);
    for &p in &parts {
        let mut tables = Vec::new();
        let chunk = events.len().div_ceil(p);
        let mut id = String::new();
        for slice in events.chunks(chunk) {
            let mut t = EventTable::<String>::new();
            t.reserve(slice.len());
            for e in slice {
                use std::fmt::Write as _;
                id.clear();
                write!(id, "{}", e.user)?;
                t.push_parts(id.as_str(), e.at.timestamp_micros(), e.amount, None, None)?;
            }
            tables.push(t);
        }
        for model in models.split(',') {
            let calendar = || Calendar::new(Zone::Utc, Interval::Month);
            match model {
                "rfm" => measure(model, users, &tables, || Ok(RfmSummary::new(as_of)))?,
                "lifecycle" => measure(model, users, &tables, || {
                    LifecycleSummary::new(calendar(), first, last)
                })?,
                "retention" => {
                    let periods = calendar().count_periods(first, last)?;
                    let spec = RetentionParams::new(calendar(), last, periods).check()?;
                    measure(model, users, &tables, || {
                        Ok(RetentionSummary::new(spec.clone()))
                    })?
                }
                "btyd_summary" => measure(model, users, &tables, || {
                    Ok(BtydSummary::new(last.date_naive(), TimeUnit::Week))
                })?,
                other => return Err(format!("unknown model {other}").into()),
            }
        }
    }
    Ok(())
}

fn measure<S>(
    model: &str,
    users: u64,
    tables: &[EventTable<String>],
    empty: impl Fn() -> userops::Result<S>,
) -> Result<(), Box<dyn std::error::Error>>
where
    S: Summary + FoldTable<String> + Serialize + DeserializeOwned,
{
    let mut states = Vec::new();
    let mut fold_seconds: f64 = 0.0;
    for t in tables {
        let t0 = Instant::now();
        let mut s = empty()?;
        s.observe_table(t)?;
        states.push(postcard::to_allocvec(&s)?);
        fold_seconds = fold_seconds.max(t0.elapsed().as_secs_f64());
    }
    let state_bytes: usize = states.iter().map(Vec::len).sum();
    let t0 = Instant::now();
    let mut merged: Option<S> = None;
    for bytes in &states {
        let part: S = postcard::from_bytes(bytes)?;
        match &mut merged {
            Some(m) => m.merge(part)?,
            None => merged = Some(part),
        }
    }
    let merge_seconds = t0.elapsed().as_secs_f64();
    let t0 = Instant::now();
    let merged = merged.ok_or("no parts")?;
    drop(merged.finish()?);
    let finish_seconds = t0.elapsed().as_secs_f64();
    let events: usize = tables.iter().map(EventTable::len).sum();
    println!(
        "{}",
        serde_json::json!({
            "model": model, "users": users, "events": events, "parts": tables.len(),
            "state_bytes": state_bytes,
            "bytes_per_user": state_bytes as f64 / users as f64,
            "fold_seconds": fold_seconds, "merge_seconds": merge_seconds,
            "finish_seconds": finish_seconds,
        })
    );
    Ok(())
}
