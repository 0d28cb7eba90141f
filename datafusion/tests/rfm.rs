//! `rfm(...)` and `rfm_score(...)` in SQL: the R package `rfm` 0.3's published rows, and the same
//! numbers as the in-process library for any partitioning of the input.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{TimeZone, Utc};
use datafusion::arrow::array::{
    Array, AsArray, Float64Array, RecordBatch, StringArray, TimestampMicrosecondArray,
};
use datafusion::arrow::datatypes::{
    DataType, Field, Float64Type, Schema, TimeUnit, UInt8Type, UInt16Type, UInt64Type,
};
use datafusion::datasource::MemTable;
use datafusion::prelude::{CsvReadOptions, SessionConfig, SessionContext};
use userops::fold::{Summary, fold};
use userops::rfm::{Method, RfmSummary, ScoreParams, SegmentRules};

/// (recency_days, frequency, monetary, r, f, m, rfm_score, segment) per user.
type Rows = BTreeMap<String, (f64, u64, f64, u8, u8, u8, u16, String)>;

fn data(file: &str) -> String {
    format!("{}/../tests/data/{file}", env!("CARGO_MANIFEST_DIR"))
}

fn context(partitions: usize) -> SessionContext {
    let ctx =
        SessionContext::new_with_config(SessionConfig::new().with_target_partitions(partitions));
    userops_datafusion::register(&ctx);
    ctx
}

/// Runs `sql`, whose one column is the function's list of rows, and reads the rows back.
async fn rows(ctx: &SessionContext, sql: &str) -> Rows {
    let sql = format!("SELECT unnest(({sql})) AS r");
    let batches = ctx.sql(&sql).await.unwrap().collect().await.unwrap();
    let mut out = Rows::new();
    for b in batches {
        let s = b.column(0).as_struct();
        let col = |n: &str| s.column_by_name(n).unwrap().clone();
        let user = col("user");
        let user = user.as_string::<i32>();
        let rec = col("recency_days");
        let freq = col("frequency");
        let mon = col("monetary");
        let (r, f, m) = (col("r"), col("f"), col("m"));
        let score = col("rfm_score");
        let seg = col("segment");
        for i in 0..s.len() {
            let prev = out.insert(
                user.value(i).to_string(),
                (
                    rec.as_primitive::<Float64Type>().value(i),
                    freq.as_primitive::<UInt64Type>().value(i),
                    mon.as_primitive::<Float64Type>().value(i),
                    r.as_primitive::<UInt8Type>().value(i),
                    f.as_primitive::<UInt8Type>().value(i),
                    m.as_primitive::<UInt8Type>().value(i),
                    score.as_primitive::<UInt16Type>().value(i),
                    if seg.is_null(i) {
                        "NULL".to_string()
                    } else {
                        seg.as_string::<i32>().value(i).to_string()
                    },
                ),
            );
            assert!(prev.is_none(), "user {} twice", user.value(i));
        }
    }
    out
}

async fn orders(ctx: &SessionContext) {
    ctx.register_csv("orders", &data("rfm_orders.csv"), CsvReadOptions::new())
        .await
        .unwrap();
}

#[tokio::test]
async fn readme_rows_of_rfm_table_order_in_sql() {
    // README of R package rfm 0.3: rfm_table_order(rfm_data_orders, customer_id, order_date,
    // revenue, analysis_date = as.Date("2006-12-31")):
    //  customer_id        recency_days transaction_count amount R F M rfm_score
    //  Abbey O'Reilly DVM    205   6  472   3 4 3  343
    //  Add Senger            140   3  340   4 1 2  412
    //  Agness O'Keefe         90   9  843   5 5 5  555
    //  Alannah Borer         619   4  196   1 2 1  121
    // (our copy of the data set names customers without the suffixes DVM, Sr., PhD, DDS).
    for partitions in [1, 3] {
        let ctx = context(partitions);
        orders(&ctx).await;
        let got = rows(
            &ctx,
            "SELECT rfm(customer_id, order_date, revenue, DATE '2006-12-31', 'r-rfm') FROM orders",
        )
        .await;
        // test-rfm-table.R: 995 customers, sum(transaction_count) == 4906.
        assert_eq!(got.len(), 995);
        assert_eq!(got.values().map(|r| r.1).sum::<u64>(), 4906);
        for (name, rec, n, amount, score) in [
            ("Abbey O'Reilly", 205.0, 6, 472.0, 343),
            ("Add Senger", 140.0, 3, 340.0, 412),
            ("Agness O'Keefe", 90.0, 9, 843.0, 555),
            ("Alannah Borer", 619.0, 4, 196.0, 121),
        ] {
            let r = &got[name];
            assert_eq!((r.0, r.1, r.2, r.6), (rec, n, amount, score), "{name}");
        }
        // Standard segment map: 555 is a Champion, 121 (r 1, f 2, m 1) falls through to Others.
        assert_eq!(got["Agness O'Keefe"].7, "Champions");
    }
}

#[tokio::test]
async fn vignette_rows_of_rfm_table_customer_in_sql() {
    // Vignette "RFM - Customer Level Data": rfm_table_customer(rfm_data_customer, customer_id,
    // number_of_orders, recency_days, revenue, as.Date("2007-01-01")):
    //  customer_id recency_days transaction_count amount rfm_score
    //  22086 232  9  777  222
    //  2290  115 16 1555  455
    //  26377  43  5  336  511
    //  31283 112 17 1569  455
    let ctx = context(2);
    ctx.register_csv(
        "customers",
        &data("rfm_customers.csv"),
        CsvReadOptions::new(),
    )
    .await
    .unwrap();
    let got = rows(
        &ctx,
        "SELECT rfm_score(customer_id, recency_days, number_of_orders, revenue, 'r-rfm') \
         FROM customers",
    )
    .await;
    assert_eq!(got.len(), 39_999);
    // test-rfm-table.R: sum(transaction_count) == 393223.
    assert_eq!(got.values().map(|r| r.1).sum::<u64>(), 393_223);
    for (name, rec, n, amount, score) in [
        ("22086", 232.0, 9, 777.0, 222),
        ("2290", 115.0, 16, 1555.0, 455),
        ("26377", 43.0, 5, 336.0, 511),
        ("31283", 112.0, 17, 1569.0, 455),
    ] {
        let r = &got[name];
        assert_eq!((r.0, r.1, r.2, r.6), (rec, n, amount, score), "{name}");
    }
}

/// A time-ordered log of `users` users: user `u` buys every `1 + u % 7` days, amounts varied.
fn log(users: u32, days: u32) -> Vec<(String, i64, f64)> {
    let start = Utc
        .with_ymd_and_hms(2024, 1, 1, 0, 0, 0)
        .unwrap()
        .timestamp_micros();
    let mut rows = Vec::new();
    for d in 0..days {
        for u in 0..users {
            if d % (1 + u % 7) == 0 && (u + d) % 3 != 0 {
                let at = start + i64::from(d) * 86_400_000_000 + i64::from(u) * 1_000_000;
                rows.push((
                    format!("u{u:04}"),
                    at,
                    f64::from((u * 7 + d * 3) % 50) + 0.25,
                ));
            }
        }
    }
    rows
}

fn batches(log: &[(String, i64, f64)], parts: usize) -> (Arc<Schema>, Vec<Vec<RecordBatch>>) {
    let schema = Arc::new(Schema::new(vec![
        Field::new("customer", DataType::Utf8, false),
        Field::new(
            "ts",
            DataType::Timestamp(TimeUnit::Microsecond, None),
            false,
        ),
        Field::new("amount", DataType::Float64, false),
    ]));
    let chunk = log.len().div_ceil(parts).max(1);
    let partitions = log
        .chunks(chunk)
        .map(|c| {
            // Two batches per partition, so that a partition's accumulator sees several.
            c.chunks(c.len().div_ceil(2).max(1))
                .map(|c| {
                    RecordBatch::try_new(
                        schema.clone(),
                        vec![
                            Arc::new(StringArray::from_iter_values(
                                c.iter().map(|r| r.0.as_str()),
                            )),
                            Arc::new(TimestampMicrosecondArray::from_iter_values(
                                c.iter().map(|r| r.1),
                            )),
                            Arc::new(Float64Array::from_iter_values(c.iter().map(|r| r.2))),
                        ],
                    )
                    .unwrap()
                })
                .collect()
        })
        .collect();
    (schema, partitions)
}

#[tokio::test]
async fn same_rows_as_the_library_for_any_partitioning() {
    let log = log(300, 120);
    let as_of = Utc.with_ymd_and_hms(2024, 6, 1, 0, 0, 0).unwrap();
    // The library, in-process, on the whole log.
    let events: Vec<userops::event::EventRecord<String>> = log
        .iter()
        .map(|(u, t, a)| {
            userops::event::EventRecord::new(
                u.clone(),
                chrono::DateTime::from_timestamp_micros(*t).unwrap(),
            )
            .with_amount(*a)
        })
        .collect();
    for binning in ["quantile", "r-rfm", "ntile"] {
        let mut table = fold(RfmSummary::new(as_of), &events)
            .unwrap()
            .finish()
            .unwrap();
        table.customers.sort_by(|a, b| a.user.cmp(&b.user));
        let scores = ScoreParams::new(Method::parse(binning).unwrap())
            .check()
            .unwrap()
            .score(&table)
            .unwrap();
        let segments = SegmentRules::standard().segment(&scores).unwrap();
        let want: Rows = scores
            .customers
            .iter()
            .enumerate()
            .map(|(i, c)| {
                (
                    c.user.clone(),
                    (
                        c.recency_days,
                        c.frequency,
                        c.monetary,
                        c.r,
                        c.f,
                        c.m,
                        c.rfm_score,
                        segments
                            .segment_of(i)
                            .unwrap_or(userops::rfm::OTHERS)
                            .to_string(),
                    ),
                )
            })
            .collect();
        for (parts, target) in [(1, 1), (2, 2), (3, 2), (7, 4)] {
            let ctx = context(target);
            let (schema, partitions) = batches(&log, parts);
            ctx.register_table(
                "tx",
                Arc::new(MemTable::try_new(schema, partitions).unwrap()),
            )
            .unwrap();
            let got = rows(
                &ctx,
                &format!(
                    "SELECT rfm(customer, ts, amount, TIMESTAMP '2024-06-01', '{binning}') FROM tx"
                ),
            )
            .await;
            assert_eq!(got, want, "{binning}, {parts} partitions");
            // The customer-level form over the query's own GROUP BY gives the same rows
            // (1717200000000000 µs is 2024-06-01T00:00:00Z).
            let grouped = rows(
                &ctx,
                &format!(
                    "SELECT rfm_score(customer, recency, orders, revenue, '{binning}') FROM ( \
                       SELECT customer, \
                              (1717200000000000 - max(ts)) / 86400000000.0 AS recency, \
                              count(*) AS orders, sum(amount) AS revenue \
                       FROM (SELECT customer, CAST(ts AS BIGINT) AS ts, amount FROM tx) GROUP BY customer)"
                ),
            )
            .await;
            assert_eq!(grouped.len(), want.len());
            // And with rfm_customer, the grouped accumulator, doing the per-customer part.
            let by_customer = rows(
                &ctx,
                &format!(
                    "SELECT rfm_score(customer, c['recency_days'], c['frequency'], c['monetary'], \
                       '{binning}') FROM ( \
                       SELECT customer, rfm_customer(ts, amount, TIMESTAMP '2024-06-01') AS c \
                       FROM tx GROUP BY customer)"
                ),
            )
            .await;
            assert_eq!(
                by_customer, want,
                "rfm_customer, {binning}, {parts} partitions"
            );
            // Again with DataFusion skipping the partial aggregation at once (as it does on
            // its own when grouping barely reduces the rows): every row goes through
            // `convert_to_state` and meets its customer in the final stage.
            let skip = SessionContext::new_with_config(
                SessionConfig::new()
                    .with_target_partitions(target)
                    .set_usize(
                        "datafusion.execution.skip_partial_aggregation_probe_rows_threshold",
                        1,
                    )
                    .set_str(
                        "datafusion.execution.skip_partial_aggregation_probe_ratio_threshold",
                        "0.0",
                    ),
            );
            userops_datafusion::register(&skip);
            let (schema, partitions) = batches(&log, parts);
            skip.register_table(
                "tx",
                Arc::new(MemTable::try_new(schema, partitions).unwrap()),
            )
            .unwrap();
            let skipped = rows(
                &skip,
                &format!(
                    "SELECT rfm_score(customer, c['recency_days'], c['frequency'], c['monetary'], \
                       '{binning}') FROM ( \
                       SELECT customer, rfm_customer(ts, amount, TIMESTAMP '2024-06-01') AS c \
                       FROM tx GROUP BY customer)"
                ),
            )
            .await;
            assert_eq!(
                skipped, want,
                "rfm_customer skipping partials, {binning}, {parts}"
            );
            // Both sort customers by id before scoring, so even ntile's ties split alike.
            assert_eq!(grouped, want, "rfm_score, {binning}, {parts} partitions");
        }
    }
}

#[tokio::test]
async fn bad_input_is_a_clear_error() {
    let ctx = context(2);
    ctx.sql(
        "CREATE TABLE t (customer TEXT, ts TIMESTAMP, amount DOUBLE) AS VALUES \
         ('a', TIMESTAMP '2025-01-01', 1.0), (NULL, TIMESTAMP '2025-01-02', 2.0)",
    )
    .await
    .unwrap();
    let err = |sql: &'static str| {
        let ctx = ctx.clone();
        async move {
            match ctx.sql(sql).await {
                Err(e) => e.to_string(),
                Ok(df) => df.collect().await.unwrap_err().to_string(),
            }
        }
    };
    // A NULL user is not dropped: the reader's account names the row.
    let e = err("SELECT rfm(customer, ts, amount, DATE '2025-02-01') FROM t").await;
    assert!(
        e.contains("rfm:") && e.contains("1 rejected") && e.contains("user missing"),
        "{e}"
    );
    // An event after as_of.
    let e = err(
        "SELECT rfm(customer, ts, amount, DATE '2024-12-01') FROM t WHERE customer IS NOT NULL",
    )
    .await;
    assert!(e.contains("rfm:"), "{e}");
    // A parameter that is not a constant.
    let e = err("SELECT rfm(customer, ts, amount, ts) FROM t").await;
    assert!(e.contains("must be a constant"), "{e}");
    // Too few arguments, with the usage.
    let e = err("SELECT rfm(customer, ts, amount) FROM t").await;
    assert!(e.contains("rfm takes 4 to 6 arguments, 3 given"), "{e}");
    // A binning that does not exist, and bins out of range.
    let e = err("SELECT rfm(customer, ts, amount, DATE '2025-02-01', 'deciles') FROM t").await;
    assert!(e.contains("not a binning"), "{e}");
    let e =
        err("SELECT rfm(customer, ts, amount, DATE '2025-02-01', 'quantile', 300) FROM t").await;
    assert!(e.contains("300"), "{e}");
    // Customer-level rows: a fractional order count, a duplicated customer.
    let e = err("SELECT rfm_score(c, r, f, m) FROM (VALUES ('a', 1.0, 1.5, 2.0)) AS v(c, r, f, m)")
        .await;
    assert!(e.contains("not a count of orders"), "{e}");
    let e = err("SELECT rfm_score(c, r, f, m) FROM (VALUES ('a', 1.0, 1, 2.0), ('a', 2.0, 1, 2.0)) AS v(c, r, f, m)").await;
    assert!(e.contains("appears twice"), "{e}");
}

#[tokio::test]
async fn other_bins_score_without_segments() {
    // Customer k (1..=8) has k orders of 10 each, the last one 10 - k days before as_of.
    // ntile with 4 bins splits the 8 ranks into 4 equal bins: f = 1,1,2,2,3,3,4,4 by order
    // count, m the same by revenue, and r the same by recency (the most recent scores 4).
    let ctx = context(2);
    let mut values = Vec::new();
    for k in 1..=8_u32 {
        for j in 0..k {
            // Orders on days 2025-01-(1+j) ... the last on 2025-01-(21 + k).
            let d = if j + 1 == k { 21 + k } else { 1 + j };
            values.push(format!("('c{k}', TIMESTAMP '2025-01-{d:02}', 10.0)"));
        }
    }
    ctx.sql(&format!(
        "CREATE TABLE t (customer TEXT, ts TIMESTAMP, amount DOUBLE) AS VALUES {}",
        values.join(", ")
    ))
    .await
    .unwrap();
    let got = rows(
        &ctx,
        "SELECT rfm(customer, ts, amount, TIMESTAMP '2025-02-01', 'ntile', 4) FROM t",
    )
    .await;
    for k in 1..=8_u8 {
        let r = &got[&format!("c{k}")];
        let bin = k.div_ceil(2);
        // recency = 2025-02-01 minus 2025-01-(21 + k) = 11 - k days.
        assert_eq!(r.0, f64::from(11 - k), "c{k} recency");
        assert_eq!((r.3, r.4, r.5), (bin, bin, bin), "c{k} scores");
        assert_eq!(r.7, "NULL", "no standard segment with 4 bins");
    }
}
