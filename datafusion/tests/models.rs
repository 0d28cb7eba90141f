//! The lifecycle, retention and BTYD functions in SQL against the in-process core, on the
//! CDNOW sample and a generated log, over several partitionings; the published BTYD estimates
//! on CDNOW; hand-worked lifecycle and retention tables; and the merge law (any partitioning,
//! the same result) as a property.

use std::sync::Arc;

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use datafusion::arrow::array::{
    ArrayRef, Float64Array, RecordBatch, StringArray, TimestampMicrosecondArray, UInt32Array,
};
use datafusion::arrow::datatypes::{DataType, Field, Schema, TimeUnit as ArrowUnit};
use datafusion::common::ScalarValue;
use datafusion::datasource::MemTable;
use datafusion::prelude::{SessionConfig, SessionContext};
use proptest::prelude::*;
use userops::csv::{CsvSpec, read_events_from_path};
use userops::event::EventRecord;
use userops::fold::{Summary, fold};
use userops::lifecycle::{LifecycleSummary, StageParams};
use userops::ltv::{
    BgNbdParams, BtydReport, BtydSummary, Customer, FitOptions, FitReport, GammaGammaParams,
    ModelParams, ParetoNbdParams, TimeUnit,
};
use userops::retention::{RetentionMode, RetentionParams, RetentionSummary};
use userops::time::{Calendar, Interval, Zone};

const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/data/");

/// (target partitions, table partitions): one partition, as many as the engine's, more
/// partitions than the engine's and fewer.
const LAYOUTS: [(usize, usize); 6] = [(1, 1), (2, 2), (3, 3), (7, 7), (2, 5), (7, 3)];

type Rows = Vec<Vec<ScalarValue>>;

// --- data ----------------------------------------------------------------------------------

/// The CDNOW 1/10th sample: customer (the second column, the ID of the published summaries),
/// purchase date, amount.
fn cdnow() -> Vec<EventRecord<String>> {
    let mut spec = CsvSpec::cdnow();
    spec.user = 1_usize.into();
    let log = read_events_from_path(format!("{DATA}cdnow_sample.txt"), &spec).unwrap();
    assert!(log.rejected.is_empty(), "{}", log.account());
    assert_eq!(log.events.len(), 6919);
    log.events
}

/// A generated log: 150 customers, first purchase from November 2023 to October 2024, up to
/// eight purchases each in the four months after, at any hour, in whole cents.
fn generated() -> Vec<EventRecord<String>> {
    let mut state = 0x2545_f491_4f6c_dd1d_u64;
    let mut next = move |n: u64| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state % n
    };
    let origin = Utc.with_ymd_and_hms(2023, 11, 1, 0, 0, 0).unwrap();
    let mut log = Vec::new();
    for user in 0..150 {
        let first = origin + Duration::days(next(360) as i64);
        for k in 0..=next(8) {
            let at = if k == 0 {
                first
            } else {
                first + Duration::days(next(120) as i64) + Duration::hours(next(24) as i64)
            };
            let amount = (100 + next(9900)) as f64 / 100.0;
            log.push(EventRecord::new(format!("u{user:03}"), at).with_amount(amount));
        }
    }
    log
}

/// The tiny log the hand-worked tables below are computed from (months of 2025).
fn tiny() -> Vec<EventRecord<String>> {
    let at = |month, day| Utc.with_ymd_and_hms(2025, month, day, 10, 0, 0).unwrap();
    [
        ("ana", at(1, 5)),
        ("ana", at(2, 9)),
        ("ana", at(2, 20)),
        ("ana", at(4, 1)),
        ("bo", at(2, 14)),
        ("bo", at(3, 3)),
        ("cy", at(3, 30)),
        ("dave", at(1, 31)),
    ]
    .into_iter()
    .map(|(u, t)| EventRecord::new(u.to_string(), t).with_amount(10.0))
    .collect()
}

fn micros(at: DateTime<Utc>) -> i64 {
    at.timestamp_micros()
}

/// `tx(customer TEXT, ts TIMESTAMP, amount DOUBLE)` in `parts` partitions (rows dealt out in
/// turn, so that every customer's events are spread over the partitions), on a session with
/// `target` partitions.
fn session(events: &[EventRecord<String>], target: usize, parts: usize) -> SessionContext {
    let schema = Arc::new(Schema::new(vec![
        Field::new("customer", DataType::Utf8, false),
        Field::new(
            "ts",
            DataType::Timestamp(ArrowUnit::Microsecond, None),
            false,
        ),
        Field::new("amount", DataType::Float64, false),
    ]));
    let partitions = (0..parts)
        .map(|p| {
            let mine: Vec<&EventRecord<String>> = events.iter().skip(p).step_by(parts).collect();
            let columns: Vec<ArrayRef> = vec![
                Arc::new(StringArray::from_iter_values(
                    mine.iter().map(|e| e.user.as_str()),
                )),
                Arc::new(TimestampMicrosecondArray::from_iter_values(
                    mine.iter().map(|e| micros(e.at)),
                )),
                Arc::new(Float64Array::from_iter_values(
                    mine.iter().map(|e| e.amount),
                )),
            ];
            vec![RecordBatch::try_new(Arc::clone(&schema), columns).unwrap()]
        })
        .collect();
    let ctx = SessionContext::new_with_config(SessionConfig::new().with_target_partitions(target));
    userops_datafusion::register(&ctx);
    ctx.register_table(
        "tx",
        Arc::new(MemTable::try_new(schema, partitions).unwrap()),
    )
    .unwrap();
    ctx
}

/// Per-customer rows `cust(frequency, recency, t, monetary_value)` in `parts` partitions.
fn customer_session(customers: &[Customer], target: usize, parts: usize) -> SessionContext {
    let schema = Arc::new(Schema::new(vec![
        Field::new("frequency", DataType::UInt32, false),
        Field::new("recency", DataType::Float64, false),
        Field::new("t", DataType::Float64, false),
        Field::new("monetary_value", DataType::Float64, false),
    ]));
    let partitions = (0..parts)
        .map(|p| {
            let mine: Vec<&Customer> = customers.iter().skip(p).step_by(parts).collect();
            let columns: Vec<ArrayRef> = vec![
                Arc::new(UInt32Array::from_iter_values(
                    mine.iter().map(|c| c.frequency),
                )),
                Arc::new(Float64Array::from_iter_values(
                    mine.iter().map(|c| c.recency),
                )),
                Arc::new(Float64Array::from_iter_values(mine.iter().map(|c| c.age))),
                Arc::new(Float64Array::from_iter_values(
                    mine.iter().map(|c| c.monetary),
                )),
            ];
            vec![RecordBatch::try_new(Arc::clone(&schema), columns).unwrap()]
        })
        .collect();
    let ctx = SessionContext::new_with_config(SessionConfig::new().with_target_partitions(target));
    userops_datafusion::register(&ctx);
    ctx.register_table(
        "cust",
        Arc::new(MemTable::try_new(schema, partitions).unwrap()),
    )
    .unwrap();
    ctx
}

async fn query(ctx: &SessionContext, sql: &str) -> datafusion::error::Result<Rows> {
    let batches = ctx.sql(sql).await?.collect().await?;
    let mut rows = Vec::new();
    for b in &batches {
        for i in 0..b.num_rows() {
            rows.push(
                b.columns()
                    .iter()
                    .map(|c| ScalarValue::try_from_array(c, i))
                    .collect::<datafusion::error::Result<_>>()?,
            );
        }
    }
    Ok(rows)
}

/// The rows of `model(...)`'s list, one column per struct field.
fn rows_sql(call: &str) -> String {
    format!("SELECT unnest(r) FROM (SELECT unnest({call}) AS r FROM tx)")
}

fn close(a: f64, b: f64, tol: f64) -> bool {
    (a - b).abs() <= tol * b.abs().max(1.0)
}

/// Equal rows: floats within `tol` (relative), everything else exactly.
fn assert_rows(got: &Rows, want: &Rows, tol: f64, what: &str) {
    assert_eq!(got.len(), want.len(), "{what}: row count");
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        assert_eq!(g.len(), w.len(), "{what}: row {i} width");
        for (j, (a, b)) in g.iter().zip(w).enumerate() {
            let same = match (a, b) {
                (ScalarValue::Float64(Some(x)), ScalarValue::Float64(Some(y))) => {
                    close(*x, *y, tol)
                }
                _ => a == b,
            };
            assert!(
                same,
                "{what}: row {i} column {j}: {a:?} vs {b:?}\n{g:?}\n{w:?}"
            );
        }
    }
}

fn day(y: i32, m: u32, d: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, 0, 0, 0).unwrap()
}

fn date32(d: NaiveDate) -> ScalarValue {
    ScalarValue::Date32(Some(
        d.signed_duration_since(NaiveDate::default()).num_days() as i32,
    ))
}

fn u64s(v: u64) -> ScalarValue {
    ScalarValue::UInt64(Some(v))
}

fn f64s(v: f64) -> ScalarValue {
    ScalarValue::Float64(Some(v))
}

// --- lifecycle -----------------------------------------------------------------------------

/// The core's stage report as the rows `lifecycle(...)` returns.
fn core_lifecycle(
    events: &[EventRecord<String>],
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    interval: Interval,
    churn_after: u32,
) -> Rows {
    let summary = LifecycleSummary::new(Calendar::new(Zone::Utc, interval), from, to).unwrap();
    let report = fold(summary, events)
        .unwrap()
        .finish()
        .unwrap()
        .stages(&StageParams::new(churn_after).unwrap(), None);
    report
        .rows
        .iter()
        .zip(&report.decomposition)
        .map(|(r, d)| {
            vec![
                ScalarValue::Utf8(Some(r.period.to_string())),
                date32(r.period.start()),
                u64s(r.new),
                u64s(r.retained),
                u64s(r.retained_new),
                u64s(r.woken),
                u64s(r.returned),
                u64s(r.dormant),
                u64s(r.churned),
                u64s(r.known),
                u64s(r.active),
                f64s(r.active_rate),
                u64s(d.old_active_prev),
                f64s(d.old_retention),
                u64s(d.new_prev),
                f64s(d.new_retention),
                u64s(d.dormant_prev),
                f64s(d.wake_rate),
                u64s(d.churned_prev),
                f64s(d.return_rate),
                f64s(d.dormant_stay),
            ]
        })
        .collect()
}

#[tokio::test]
async fn lifecycle_matches_the_core_on_cdnow_and_a_generated_log() {
    let cdnow = cdnow();
    let generated = generated();
    // (log, SQL arguments after user and time, the core's window, interval, churn_after)
    let cases = [
        (
            &cdnow,
            "DATE '1997-01-01', DATE '1998-06-30'",
            day(1997, 1, 1),
            day(1998, 6, 30),
            Interval::Month,
            2,
        ),
        // A window after the first purchases: history before it decides the opening stages.
        (
            &cdnow,
            "DATE '1997-04-01', DATE '1997-09-30', 'week', 3",
            day(1997, 4, 1),
            day(1997, 9, 30),
            Interval::Week(chrono::Weekday::Mon),
            3,
        ),
        (
            &generated,
            "TIMESTAMP '2024-01-01 00:00:00', TIMESTAMP '2024-12-31 00:00:00'",
            day(2024, 1, 1),
            day(2024, 12, 31),
            Interval::Month,
            2,
        ),
        (
            &generated,
            "'2024-03-01', '2024-04-15', 'day', 7",
            day(2024, 3, 1),
            day(2024, 4, 15),
            Interval::Day,
            7,
        ),
        (
            &generated,
            "DATE '2024-02-01', DATE '2024-07-31', 'week:sunday'",
            day(2024, 2, 1),
            day(2024, 7, 31),
            Interval::Week(chrono::Weekday::Sun),
            2,
        ),
    ];
    for (log, args, from, to, interval, churn_after) in cases {
        let want = core_lifecycle(log, from, to, interval, churn_after);
        assert!(want.len() > 4);
        for (target, parts) in LAYOUTS {
            let ctx = session(log, target, parts);
            let got = query(&ctx, &rows_sql(&format!("lifecycle(customer, ts, {args})")))
                .await
                .unwrap();
            assert_rows(
                &got,
                &want,
                0.0,
                &format!("lifecycle({args}) at {target}/{parts}"),
            );
        }
    }
}

#[tokio::test]
async fn lifecycle_of_a_tiny_log_by_hand() {
    // ana: Jan, Feb (twice), Apr; bo: Feb, Mar; cy: Mar; dave: Jan. churn_after = 2.
    //           new ret r_new woken retd dorm churn known active
    // Jan 2025:  2   0    0    0     0    0    0     2     2    (ana, dave new)
    // Feb:       1   0    1    0     0    1    0     3     2    (bo new, ana retained_new, dave dormant)
    // Mar:       1   0    1    0     0    1    1     4     2    (cy new, bo retained_new, ana dormant, dave churned)
    // Apr:       0   0    0    1     0    2    1     4     1    (ana woken, bo and cy dormant, dave churned)
    // Decomposition (0 where the previous count is 0):
    // Feb: new_prev 2, new_retention 1/2;
    // Mar: old_active_prev 1 (ana), old_retention 0/1; new_prev 1 (bo), new_retention 1/1;
    //      dormant_prev 1 (dave), wake_rate 0/1, dormant_stay 0 (dave went on to churn);
    // Apr: old_active_prev 1 (bo), old_retention 0; new_prev 1 (cy), new_retention 0;
    //      dormant_prev 1 (ana), wake_rate 1/1, dormant_stay 0; churned_prev 1, return_rate 0.
    #[rustfmt::skip]
    let table = [
        ("2025-01", 1, [2, 0, 0, 0, 0, 0, 0, 2, 2], 1.0, [(0, 0.0), (0, 0.0), (0, 0.0), (0, 0.0)], 0.0),
        ("2025-02", 2, [1, 0, 1, 0, 0, 1, 0, 3, 2], 2.0 / 3.0, [(0, 0.0), (2, 0.5), (0, 0.0), (0, 0.0)], 0.0),
        ("2025-03", 3, [1, 0, 1, 0, 0, 1, 1, 4, 2], 0.5, [(1, 0.0), (1, 1.0), (1, 0.0), (0, 0.0)], 0.0),
        ("2025-04", 4, [0, 0, 0, 1, 0, 2, 1, 4, 1], 0.25, [(1, 0.0), (1, 0.0), (1, 1.0), (1, 0.0)], 0.0),
    ];
    let want: Rows = table
        .iter()
        .map(|(period, month, counts, rate, decomposition, stay)| {
            let mut row = vec![
                ScalarValue::Utf8(Some(period.to_string())),
                date32(NaiveDate::from_ymd_opt(2025, *month, 1).unwrap()),
            ];
            row.extend(counts.iter().map(|c| u64s(*c)));
            row.push(f64s(*rate));
            for (count, r) in decomposition {
                row.push(u64s(*count));
                row.push(f64s(*r));
            }
            row.push(f64s(*stay));
            row
        })
        .collect();
    let log = tiny();
    assert_rows(
        &core_lifecycle(&log, day(2025, 1, 1), day(2025, 4, 30), Interval::Month, 2),
        &want,
        1e-12,
        "core",
    );
    for (target, parts) in LAYOUTS {
        let ctx = session(&log, target, parts);
        let got = query(
            &ctx,
            &rows_sql("lifecycle(customer, ts, DATE '2025-01-01', DATE '2025-04-30')"),
        )
        .await
        .unwrap();
        assert_rows(
            &got,
            &want,
            1e-12,
            &format!("tiny lifecycle at {target}/{parts}"),
        );
    }
}

// --- retention -----------------------------------------------------------------------------

/// The core's retention table as the rows `retention(...)` returns.
fn core_retention(
    events: &[EventRecord<String>],
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    mode: RetentionMode,
    interval: Interval,
) -> Rows {
    let calendar = Calendar::new(Zone::Utc, interval);
    let periods = calendar.count_periods(from, to).unwrap();
    let spec = RetentionParams::new(calendar, to, periods)
        .mode(mode)
        .check()
        .unwrap();
    let report = fold(RetentionSummary::new(spec), events)
        .unwrap()
        .finish()
        .unwrap();
    let mut rows = Vec::new();
    for c in &report.cohorts {
        for (k, n) in c.counts.iter().enumerate() {
            rows.push(vec![
                ScalarValue::Utf8(Some(c.period.clone())),
                date32(c.start),
                ScalarValue::UInt32(Some(k as u32)),
                u64s(c.size()),
                u64s(*n),
                ScalarValue::Float64(c.rate(k)),
            ]);
        }
    }
    rows
}

#[tokio::test]
async fn retention_matches_the_core_on_cdnow_and_a_generated_log() {
    let cdnow = cdnow();
    let generated = generated();
    let week_sun = Interval::Week(chrono::Weekday::Sun);
    let cases = [
        (
            &cdnow,
            "DATE '1997-01-01', DATE '1998-06-30'",
            day(1997, 1, 1),
            day(1998, 6, 30),
            RetentionMode::Recurring,
            Interval::Month,
        ),
        (
            &cdnow,
            "DATE '1997-01-01', DATE '1998-06-30', 'first-time'",
            day(1997, 1, 1),
            day(1998, 6, 30),
            RetentionMode::FirstTime,
            Interval::Month,
        ),
        (
            &cdnow,
            "DATE '1997-02-01', DATE '1997-06-30', 'recurring', 'week'",
            day(1997, 2, 1),
            day(1997, 6, 30),
            RetentionMode::Recurring,
            week_sun,
        ),
        (
            &generated,
            "DATE '2024-01-01', DATE '2024-12-31', 'first-time'",
            day(2024, 1, 1),
            day(2024, 12, 31),
            RetentionMode::FirstTime,
            Interval::Month,
        ),
        (
            &generated,
            "DATE '2024-03-01', DATE '2024-05-31', 'recurring', 'week:monday'",
            day(2024, 3, 1),
            day(2024, 5, 31),
            RetentionMode::Recurring,
            Interval::Week(chrono::Weekday::Mon),
        ),
        (
            &generated,
            "DATE '2024-06-01', DATE '2024-06-30', 'first-time', 'day'",
            day(2024, 6, 1),
            day(2024, 6, 30),
            RetentionMode::FirstTime,
            Interval::Day,
        ),
    ];
    for (log, args, from, to, mode, interval) in cases {
        let want = core_retention(log, from, to, mode, interval);
        assert!(want.len() > 10);
        for (target, parts) in LAYOUTS {
            let ctx = session(log, target, parts);
            let got = query(&ctx, &rows_sql(&format!("retention(customer, ts, {args})")))
                .await
                .unwrap();
            assert_rows(
                &got,
                &want,
                0.0,
                &format!("retention({args}) at {target}/{parts}"),
            );
        }
    }
}

#[tokio::test]
async fn retention_of_a_tiny_log_by_hand() {
    // ana: Jan, Feb, Apr; bo: Feb, Mar; cy: Mar; dave: Jan (months of 2025).
    // Recurring (a cohort per month with an event; cell k: active k months later):
    //   Jan {ana, dave}: 2, Feb ana 1, Mar 0, Apr ana 1
    //   Feb {ana, bo}:   2, Mar bo 1, Apr ana 1
    //   Mar {bo, cy}:    2, Apr 0
    //   Apr {ana}:       1
    // First-time (a cohort for the month of the first event only):
    //   Jan {ana, dave}: 2, 1, 0, 1;  Feb {bo}: 1, 1, 0;  Mar {cy}: 1, 0;  Apr {}: 0 (rate NULL)
    let triangle = |cohorts: [&[u64]; 4]| -> Rows {
        let mut rows = Vec::new();
        for (i, counts) in cohorts.iter().enumerate() {
            for (k, n) in counts.iter().enumerate() {
                let size = counts[0];
                rows.push(vec![
                    ScalarValue::Utf8(Some(format!("2025-0{}", i + 1))),
                    date32(NaiveDate::from_ymd_opt(2025, i as u32 + 1, 1).unwrap()),
                    ScalarValue::UInt32(Some(k as u32)),
                    u64s(size),
                    u64s(*n),
                    ScalarValue::Float64((size > 0).then(|| *n as f64 / size as f64)),
                ]);
            }
        }
        rows
    };
    let recurring = triangle([&[2, 1, 0, 1], &[2, 1, 1], &[2, 0], &[1]]);
    let first_time = triangle([&[2, 1, 0, 1], &[1, 1, 0], &[1, 0], &[0]]);
    let log = tiny();
    let (from, to) = (day(2025, 1, 1), day(2025, 4, 30));
    assert_rows(
        &core_retention(&log, from, to, RetentionMode::Recurring, Interval::Month),
        &recurring,
        0.0,
        "core recurring",
    );
    assert_rows(
        &core_retention(&log, from, to, RetentionMode::FirstTime, Interval::Month),
        &first_time,
        0.0,
        "core first-time",
    );
    for (target, parts) in LAYOUTS {
        let ctx = session(&log, target, parts);
        for (kind, want) in [("recurring", &recurring), ("first-time", &first_time)] {
            let sql = rows_sql(&format!(
                "retention(customer, ts, DATE '2025-01-01', DATE '2025-04-30', '{kind}')"
            ));
            let got = query(&ctx, &sql).await.unwrap();
            assert_rows(&got, want, 0.0, &format!("tiny {kind} at {target}/{parts}"));
        }
    }
}

// --- BTYD summary --------------------------------------------------------------------------

fn core_btyd(
    events: &[EventRecord<String>],
    end: NaiveDate,
    unit: TimeUnit,
    holdout: Option<NaiveDate>,
) -> BtydReport<String> {
    let mut summary = BtydSummary::new(end, unit);
    if let Some(h) = holdout {
        summary = summary.holdout(h).unwrap();
    }
    fold(summary, events).unwrap().finish().unwrap()
}

fn btyd_rows(report: &BtydReport<String>) -> Rows {
    report
        .customers
        .iter()
        .map(|c| {
            vec![
                ScalarValue::Utf8(Some(c.user.clone())),
                ScalarValue::UInt32(Some(c.frequency)),
                f64s(c.recency),
                f64s(c.age),
                f64s(c.monetary),
                ScalarValue::UInt32(Some(c.frequency_holdout)),
                f64s(c.monetary_holdout),
                f64s(c.duration_holdout),
            ]
        })
        .collect()
}

#[tokio::test]
async fn btyd_summary_matches_the_core_and_the_published_cdnow_summary() {
    let cdnow = cdnow();
    let generated = generated();
    let d = |y, m, dd| NaiveDate::from_ymd_opt(y, m, dd).unwrap();
    let cases = [
        (
            &cdnow,
            "DATE '1997-09-30'",
            core_btyd(&cdnow, d(1997, 9, 30), TimeUnit::Week, None),
        ),
        (
            &cdnow,
            "DATE '1997-09-30', 'day', DATE '1998-06-30'",
            core_btyd(&cdnow, d(1997, 9, 30), TimeUnit::Day, Some(d(1998, 6, 30))),
        ),
        (
            &generated,
            "TIMESTAMP '2024-08-31 00:00:00', 'week', DATE '2025-06-30'",
            core_btyd(
                &generated,
                d(2024, 8, 31),
                TimeUnit::Week,
                Some(d(2025, 6, 30)),
            ),
        ),
    ];
    for (log, args, report) in &cases {
        let want = btyd_rows(report);
        for (target, parts) in LAYOUTS {
            let ctx = session(log, target, parts);
            let sql = rows_sql(&format!("btyd_summary(customer, ts, amount, {args})"));
            let got = query(&ctx, &sql).await.unwrap();
            // Mean spends are sums of amounts, added in the order the partitions merge.
            assert_rows(
                &got,
                &want,
                1e-12,
                &format!("btyd_summary({args}) at {target}/{parts}"),
            );
        }
    }
    // lifetimes' CDNOW calibration summary (39 weeks to 1997-09-30, 2 decimals): the same
    // customers, frequencies, and recency, T and mean spend within its rounding.
    let published = std::fs::read_to_string(format!("{DATA}cdnow_summary_with_spend.csv")).unwrap();
    let ctx = session(&cdnow, 3, 4);
    let got = query(
        &ctx,
        &rows_sql("btyd_summary(customer, ts, amount, DATE '1997-09-30')"),
    )
    .await
    .unwrap();
    let ours: std::collections::HashMap<u64, &Vec<ScalarValue>> = got
        .iter()
        .map(|r| match &r[0] {
            ScalarValue::Utf8(Some(id)) => (id.parse().unwrap(), r),
            other => panic!("{other:?}"),
        })
        .collect();
    let mut n = 0;
    for line in published.lines().skip(1).filter(|l| !l.trim().is_empty()) {
        let f: Vec<f64> = line.split(',').map(|v| v.trim().parse().unwrap()).collect();
        let row = ours[&(f[0] as u64)];
        assert_eq!(row[1], ScalarValue::UInt32(Some(f[1] as u32)), "{line}");
        for (col, published) in [(2, f[2]), (3, f[3]), (4, f[4])] {
            let ScalarValue::Float64(Some(v)) = row[col] else {
                panic!("{row:?}")
            };
            assert!(
                (v - published).abs() <= 0.005 + 1e-9,
                "{line}: column {col} {v}"
            );
        }
        n += 1;
    }
    assert_eq!((n, ours.len()), (2357, 2357));
}

// --- fits ----------------------------------------------------------------------------------

fn fit_row<P: ModelParams>(fit: &FitReport<P>) -> Vec<ScalarValue> {
    let mut row: Vec<ScalarValue> = fit.params.values().into_iter().map(f64s).collect();
    row.push(f64s(fit.log_likelihood));
    row.push(u64s(fit.customers));
    row.push(ScalarValue::Boolean(Some(fit.converged)));
    row
}

fn value(row: &[ScalarValue], i: usize) -> f64 {
    match row[i] {
        ScalarValue::Float64(Some(v)) => v,
        ref other => panic!("column {i}: {other:?}"),
    }
}

fn round_to(v: f64, digits: i32) -> f64 {
    let s = 10f64.powi(digits);
    (v * s).round() / s
}

/// The three fits' SQL over `cust`, without and with the unique rows counted first.
fn fit_queries(name: &str, columns: &str) -> [String; 2] {
    [
        format!("SELECT unnest(f) FROM (SELECT {name}({columns}) AS f FROM cust)"),
        format!(
            "SELECT unnest(f) FROM (SELECT {name}({columns}, n) AS f FROM \
             (SELECT {columns}, count(*) AS n FROM cust GROUP BY {columns}))"
        ),
    ]
}

#[tokio::test]
async fn fits_match_the_core_and_the_published_cdnow_estimates() {
    let report = core_btyd(
        &cdnow(),
        NaiveDate::from_ymd_opt(1997, 9, 30).unwrap(),
        TimeUnit::Week,
        None,
    );
    let customers = report.to_customers();
    let options = FitOptions::new();
    let bg = BgNbdParams::fit(&customers, TimeUnit::Week, &options).unwrap();
    let pnbd = ParetoNbdParams::fit(&customers, TimeUnit::Week, &options).unwrap();
    let gg = GammaGammaParams::fit(&customers, &options).unwrap();
    let cases = [
        ("bgnbd_fit", "frequency, recency, t", fit_row(&bg)),
        ("pareto_nbd_fit", "frequency, recency, t", fit_row(&pnbd)),
        ("gamma_gamma_fit", "frequency, monetary_value", fit_row(&gg)),
    ];
    for (name, columns, want) in &cases {
        for (target, parts) in LAYOUTS {
            let ctx = customer_session(&customers, target, parts);
            for sql in fit_queries(name, columns) {
                let got = query(&ctx, &sql).await.unwrap();
                assert_rows(
                    &got,
                    &vec![want.clone()],
                    1e-9,
                    &format!("{sql} at {target}/{parts}"),
                );
            }
        }
    }

    // The same fits straight from the events, through btyd_summary, against the published
    // estimates (the sources and tolerances of the core's tests/ltv.rs).
    let ctx = session(&cdnow(), 3, 4);
    let from_log = |fit: &str, columns: &str| {
        format!(
            "SELECT unnest(f) FROM (SELECT {fit}({columns}) AS f FROM \
             (SELECT unnest(btyd_summary(customer, ts, amount, DATE '1997-09-30')) AS c FROM tx))"
        )
    };
    // Fader, Hardie & Lee (2005), "Counting your customers the easy way", CDNOW sample:
    // r = 0.2426, alpha = 4.4137, a = 0.7930, b = 2.4262, LL = -9582.43 (alpha, a, b within
    // 0.0005: the likelihood is flat along that ridge, see tests/ltv.rs).
    let got = query(
        &ctx,
        &from_log("bgnbd_fit", "c['frequency'], c['recency'], c['t']"),
    )
    .await
    .unwrap();
    let row = &got[0];
    assert_eq!(round_to(value(row, 0), 4), 0.2426, "{row:?}");
    for (i, published) in [(1, 4.4137), (2, 0.7930), (3, 2.4262)] {
        assert!((value(row, i) - published).abs() < 0.0005, "{row:?}");
    }
    assert_eq!(round_to(value(row, 4), 2), -9582.43);
    assert_eq!(row[5], u64s(2357));
    assert_eq!(row[6], ScalarValue::Boolean(Some(true)));
    // Fader & Hardie's Pareto/NBD note and the BTYD walkthrough: r = 0.553, alpha = 10.58,
    // s = 0.606, beta = 11.67, LL = -9594.98.
    let got = query(
        &ctx,
        &from_log("pareto_nbd_fit", "c['frequency'], c['recency'], c['t']"),
    )
    .await
    .unwrap();
    let row = &got[0];
    assert_eq!(round_to(value(row, 0), 3), 0.553, "{row:?}");
    assert_eq!(round_to(value(row, 1), 2), 10.58, "{row:?}");
    assert_eq!(round_to(value(row, 2), 3), 0.606, "{row:?}");
    assert_eq!(round_to(value(row, 3), 2), 11.67, "{row:?}");
    assert_eq!(round_to(value(row, 4), 2), -9594.98);
    // Fader & Hardie, "The Gamma-Gamma model of monetary value" (2013), the 946 repeat buyers
    // of the CDNOW sample: p = 6.25, q = 3.74, gamma = 15.44.
    let got = query(
        &ctx,
        &from_log("gamma_gamma_fit", "c['frequency'], c['monetary_value']"),
    )
    .await
    .unwrap();
    let row = &got[0];
    assert_eq!(
        (
            round_to(value(row, 0), 2),
            round_to(value(row, 1), 2),
            round_to(value(row, 2), 2)
        ),
        (6.25, 3.74, 15.44),
        "{row:?}"
    );
    assert_eq!(row[4], u64s(946));
}

#[tokio::test]
async fn bgnbd_on_the_published_summary_csv_matches_lifetimes() {
    // lifetimes' CDNOW summary CSV (2 decimals), read by DataFusion's CSV reader: lifetimes
    // asserts r, alpha, a, b = 0.243, 4.414, 0.793, 2.426 on it (3 decimals).
    let ctx = SessionContext::new_with_config(SessionConfig::new().with_target_partitions(3));
    userops_datafusion::register(&ctx);
    ctx.register_csv(
        "summary",
        &format!("{DATA}cdnow_summary.csv"),
        datafusion::prelude::CsvReadOptions::new(),
    )
    .await
    .unwrap();
    let got = query(
        &ctx,
        "SELECT unnest(f) FROM (SELECT bgnbd_fit(frequency, recency, \"T\") AS f FROM summary)",
    )
    .await
    .unwrap();
    for (i, want) in [0.243, 4.414, 0.793, 2.426].into_iter().enumerate() {
        assert!((value(&got[0], i) - want).abs() < 0.0015, "{:?}", got[0]);
    }
}

#[tokio::test]
async fn bad_fit_input_fails_with_a_clear_error() {
    let ctx = SessionContext::new();
    userops_datafusion::register(&ctx);
    let run = |sql: &'static str| {
        let ctx = ctx.clone();
        async move { query(&ctx, sql).await.unwrap_err().to_string() }
    };
    let e = run("SELECT bgnbd_fit(f, r, t) FROM (VALUES (1, 5.0, 3.0)) AS v(f, r, t)").await;
    assert!(
        e.contains("bgnbd_fit") && e.contains("recency 5 is after T 3"),
        "{e}"
    );
    let e = run("SELECT bgnbd_fit(f, r, t) FROM (VALUES (1.5, 1.0, 3.0)) AS v(f, r, t)").await;
    assert!(e.contains("not a whole number"), "{e}");
    let e =
        run("SELECT bgnbd_fit(f, r, t, n) FROM (VALUES (1, 1.0, 3.0, -2)) AS v(f, r, t, n)").await;
    assert!(e.contains("n is -2"), "{e}");
    let e = run("SELECT gamma_gamma_fit(f, m) FROM (VALUES (1, CAST(NULL AS DOUBLE))) AS v(f, m)")
        .await;
    assert!(e.contains("monetary_value is NULL"), "{e}");
    let e = run("SELECT bgnbd_fit(f, r) FROM (VALUES (1, 1.0)) AS v(f, r)").await;
    assert!(e.contains("takes 3 or 4 arguments"), "{e}");
    // No row at all: NULL, as SQL's aggregates answer.
    let got = query(
        &ctx,
        "SELECT bgnbd_fit(f, r, t) IS NULL FROM (VALUES (1, 1.0, 3.0)) AS v(f, r, t) WHERE f > 5",
    )
    .await
    .unwrap();
    assert_eq!(got, vec![vec![ScalarValue::Boolean(Some(true))]]);
}

// --- the merge law -------------------------------------------------------------------------

/// Every function's result on `events` and its customer rows, over one table partitioning.
async fn every_result(
    events: &[EventRecord<String>],
    customers: &[Customer],
    target: usize,
    parts: usize,
) -> Vec<Result<Rows, String>> {
    let ctx = session(events, target, parts);
    let mut out = Vec::new();
    for call in [
        "lifecycle(customer, ts, DATE '2025-01-01', DATE '2025-03-31', 'week')",
        "retention(customer, ts, DATE '2025-01-01', DATE '2025-03-31', 'first-time', 'week')",
        "retention(customer, ts, DATE '2025-01-01', DATE '2025-03-31')",
        "btyd_summary(customer, ts, amount, DATE '2025-02-28', 'day', DATE '2025-03-31')",
    ] {
        out.push(
            query(&ctx, &rows_sql(call))
                .await
                .map_err(|e| e.to_string()),
        );
    }
    let ctx = customer_session(customers, target, parts);
    for (name, columns) in [
        ("bgnbd_fit", "frequency, recency, t"),
        ("gamma_gamma_fit", "frequency, monetary_value"),
    ] {
        for sql in fit_queries(name, columns) {
            out.push(query(&ctx, &sql).await.map_err(|e| e.to_string()));
        }
    }
    out
}

fn assert_same(a: &[Result<Rows, String>], b: &[Result<Rows, String>], what: &str) {
    assert_eq!(a.len(), b.len());
    for (x, y) in a.iter().zip(b) {
        match (x, y) {
            (Ok(x), Ok(y)) => assert_rows(x, y, 1e-12, what),
            (Err(x), Err(y)) => assert_eq!(x, y, "{what}"),
            _ => panic!("{what}: {x:?} vs {y:?}"),
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, ..ProptestConfig::default() })]

    /// Any partitioning of the rows gives the one-partition result: the partial states go
    /// through postcard and merge as the in-process summaries do.
    #[test]
    fn any_partitioning_gives_the_same_result(
        events in prop::collection::vec((0_u8..8, 0_i64..90 * 24, 1_u32..10_000), 1..60),
        customers in prop::collection::vec((0_u32..4, 0_u32..30, 0_u32..30, 1_u32..500), 3..40),
        target in 1_usize..6,
        parts in 1_usize..6,
    ) {
        let origin = day(2025, 1, 1);
        let log: Vec<EventRecord<String>> = events
            .iter()
            .map(|(u, h, cents)| {
                EventRecord::new(format!("u{u}"), origin + Duration::hours(*h))
                    .with_amount(f64::from(*cents) / 100.0)
            })
            .collect();
        let customers: Vec<Customer> = customers
            .iter()
            .map(|(x, a, b, cents)| {
                let t = f64::from((*a).max(*b));
                let recency = if *x == 0 { 0.0 } else { f64::from((*a).min(*b)) };
                Customer::new(*x, recency, t).unwrap().with_monetary(f64::from(*cents) / 10.0)
            })
            .collect();
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let whole = runtime.block_on(every_result(&log, &customers, 1, 1));
        let split = runtime.block_on(every_result(&log, &customers, target, parts));
        assert_same(&split, &whole, &format!("{target}/{parts}"));
    }
}
