//! The engine's event table: every summary folds it to the same state as the events it was
//! built from, in time order as exports come, whole, in row ranges merged, and over all cores.

use chrono::TimeDelta;
use userops::engine::EventTable;
use userops::fold::{FoldTable, fold};
use userops::sample::{SampleConfig, SampleData, SampleEvent, generate};
use userops::time::{Calendar, Interval, Zone};

fn data() -> SampleData {
    generate(&SampleConfig::new(400).events_per_user(6.0).seed(11)).unwrap()
}

/// The log in time order (ties by user), as a database or event pipeline exports it.
fn time_ordered(data: &SampleData) -> Vec<SampleEvent> {
    let mut log = data.events.clone();
    log.sort_by_key(|e| (e.at, e.user));
    log
}

/// Folds `log` by events and `table` by columns (whole; and cut in three row ranges merged)
/// and checks the three reports are equal.
/// Whether two reports are equal but for float rounding (relative 1e-9), compared as JSON.
fn close<V: serde::Serialize>(a: &V, b: &V) -> bool {
    fn values(a: &serde_json::Value, b: &serde_json::Value) -> bool {
        use serde_json::Value;
        match (a, b) {
            (Value::Number(x), Value::Number(y)) => {
                let (x, y) = (
                    x.as_f64().unwrap_or(f64::NAN),
                    y.as_f64().unwrap_or(f64::NAN),
                );
                userops::fold::laws::close(x, y, 1e-9)
            }
            (Value::Array(x), Value::Array(y)) => {
                x.len() == y.len() && x.iter().zip(y).all(|(p, q)| values(p, q))
            }
            (Value::Object(x), Value::Object(y)) => {
                x.len() == y.len()
                    && x.iter()
                        .all(|(k, v)| y.get(k).is_some_and(|w| values(v, w)))
            }
            _ => a == b,
        }
    }
    values(
        &serde_json::to_value(a).unwrap(),
        &serde_json::to_value(b).unwrap(),
    )
}

fn same<S>(empty: impl Fn() -> S, log: &[SampleEvent], table: &EventTable<u64>)
where
    S: for<'a> userops::fold::Fold<&'a SampleEvent> + FoldTable<u64>,
    S::Output: PartialEq + serde::Serialize,
{
    same_by(empty, log, table, |o| o);
}

/// [`same`], comparing what `view` makes of each output.
fn same_by<S, V>(
    empty: impl Fn() -> S,
    log: &[SampleEvent],
    table: &EventTable<u64>,
    view: impl Fn(S::Output) -> V,
) where
    S: for<'a> userops::fold::Fold<&'a SampleEvent> + FoldTable<u64>,
    V: PartialEq + serde::Serialize,
{
    let by_events = view(fold(empty(), log).unwrap().finish().unwrap());
    let mut whole = empty();
    whole.observe_table(table).unwrap();
    // The same rows in the same order: the same sums to the last bit.
    assert!(
        view(whole.finish().unwrap()) == by_events,
        "whole table differs"
    );
    let (a, b) = (table.len() / 3, 2 * table.len() / 3);
    let mut merged = empty();
    for rows in [0..a, a..b, b..table.len()] {
        let mut part = empty();
        part.observe_rows(table, rows).unwrap();
        merged.merge(part).unwrap();
    }
    // Parts add their sums in another order: equal up to rounding.
    assert!(
        close(&view(merged.finish().unwrap()), &by_events),
        "merged row ranges differ"
    );
}

#[test]
fn every_table_summary_folds_as_its_events_do() {
    use userops::activity::{ActivitySummary, PeriodTotals};
    use userops::lifecycle::{LifecycleSummary, StageParams};
    use userops::ops::health::DailyActivity;
    use userops::retention::{
        RetentionParams, RetentionSummary, StickinessParams, StickinessSummary,
    };
    use userops::rfm::RfmSummary;

    let data = data();
    let log = time_ordered(&data);
    let table = EventTable::from_events(&log).unwrap();
    assert_eq!(
        (table.len(), table.users().len()),
        (log.len(), data.users.len())
    );
    let month = Calendar::new(Zone::Utc, Interval::Month);
    let last = data.end - TimeDelta::seconds(1);

    same(|| RfmSummary::new(data.end), &log, &table);
    same(
        || RfmSummary::new(data.end).payments_only(true),
        &log,
        &table,
    );
    same(
        || RfmSummary::new(data.end).distinct_days(Zone::parse("Asia/Shanghai").unwrap()),
        &log,
        &table,
    );
    same(|| ActivitySummary::new(month.clone()), &log, &table);
    same(|| PeriodTotals::new(month.clone()), &log, &table);
    same(|| DailyActivity::new(Zone::Utc), &log, &table);
    let from = log[0].at;
    same_by(
        || LifecycleSummary::new(month.clone(), from, last).unwrap(),
        &log,
        &table,
        |activity| activity.stages(&StageParams::default(), None),
    );
    let spec = RetentionParams::new(month.clone(), last, 6)
        .start_event("signup")
        .check()
        .unwrap();
    same(|| RetentionSummary::new(spec.clone()), &log, &table);
    let spec = RetentionParams::new(month.clone(), last, 6)
        .start_event("signup")
        .mode(userops::retention::RetentionMode::FirstTime)
        .on_or_after(true)
        .check()
        .unwrap();
    same(|| RetentionSummary::new(spec.clone()), &log, &table);
    let spec = StickinessParams::new(
        Calendar::new(Zone::Utc, Interval::Day),
        last - TimeDelta::days(13),
        last,
    )
    .check()
    .unwrap();
    same(|| StickinessSummary::new(spec.clone()), &log, &table);

    use userops::ltv::cohort::CohortSummary;
    use userops::ltv::{BtydSummary, TimeUnit};
    use userops::metric::PreferenceSummary;
    use userops::quadrant::UsageSummary;
    let calibration_end = (data.end - TimeDelta::days(120)).date_naive();
    same(
        || BtydSummary::new(calibration_end, TimeUnit::Week),
        &log,
        &table,
    );
    same(|| CohortSummary::new(month.clone(), last), &log, &table);
    same(
        || PreferenceSummary::new(month.clone(), last, 6).unwrap(),
        &log,
        &table,
    );
    same(|| UsageSummary::new(Zone::Utc), &log, &table);
}

#[cfg(feature = "parallel")]
#[test]
fn tables_fold_over_all_cores_as_on_one() {
    use userops::fold::Summary;
    use userops::rfm::RfmSummary;
    let data = generate(&SampleConfig::new(3_000).events_per_user(8.0).seed(5)).unwrap();
    let log = time_ordered(&data);
    let table = EventTable::from_events(&log).unwrap();
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(3)
        .build()
        .unwrap();
    let par = pool
        .install(|| userops::fold::fold_table_par(&RfmSummary::new(data.end), &table))
        .unwrap();
    let one = fold(RfmSummary::new(data.end), &log).unwrap();
    // Parts merge in their order, so customers keep their first-seen order; sums are added
    // in another order, so they agree up to rounding.
    assert!(
        close(&par.finish().unwrap(), &one.finish().unwrap()),
        "parallel table fold differs"
    );
}
