//! The userops functions on a Ballista cluster of separate processes (a scheduler and two
//! executors on 127.0.0.1, started and stopped by these tests): the same answers as
//! in-process DataFusion, and never a different answer when an executor is lost mid-query.
#![cfg(feature = "ballista")]

mod common;

use std::time::{Duration, Instant};

use common::{Cluster, block_on, repo_data, rfm_query, run_csv, sql_args, to_parquet, write_log};

/// Lines of an executor's log that start a task.
fn tasks_started(p: &common::Process) -> usize {
    p.stderr().matches("Execute task").count()
}

/// Every query of the list, on the cluster at several partition counts, gives exactly the
/// result of in-process DataFusion (whose own result does not depend on the partition count).
#[test]
fn cluster_results_equal_in_process_results() {
    let data = tempfile::tempdir().unwrap();
    // The R package rfm's orders (rfm_data_orders), as CSV and as a Parquet copy.
    let orders_csv = repo_data("rfm_orders.csv");
    let orders_parquet = data.path().join("orders-parquet");
    to_parquet(&orders_csv, &orders_parquet);
    // A generated log in 6 files: 6 partitions at least, whose partial states come from both
    // executors.
    let log_csv = data.path().join("log-csv");
    write_log(&log_csv, 6, 15_000, 4_000, 7);
    let log_parquet = data.path().join("log-parquet");
    to_parquet(&log_csv, &log_parquet);

    let orders = |path: &std::path::Path| format!("tx={}", path.display());
    let log = |path: &std::path::Path| format!("log={}", path.display());
    let rfm_orders = |params: &str| rfm_query("tx", "customer_id", "order_date", "revenue", params);
    let rfm_log = |params: &str| rfm_query("log", "user_id", "ts", "amount", params);
    let per_user_orders = "SELECT customer_id, count(*) AS orders, sum(revenue) AS revenue, \
                           max(order_date) AS last_order FROM tx GROUP BY customer_id \
                           ORDER BY customer_id";
    let per_user_log = "SELECT user_id, count(*) AS events, sum(amount) AS revenue, \
                        min(ts) AS first_seen, max(ts) AS last_seen FROM log GROUP BY user_id \
                        ORDER BY user_id";
    let cases: Vec<(&str, String, String)> = vec![
        (
            "rfm r-rfm, orders CSV",
            rfm_orders("DATE '2006-12-31', 'r-rfm'"),
            orders(&orders_csv),
        ),
        (
            "rfm quantile, orders Parquet",
            rfm_orders("DATE '2006-12-31'"),
            orders(&orders_parquet),
        ),
        (
            "rfm ntile, orders Parquet",
            rfm_orders("DATE '2006-12-31', 'ntile', 5"),
            orders(&orders_parquet),
        ),
        (
            "count/sum per customer, orders CSV",
            per_user_orders.to_string(),
            orders(&orders_csv),
        ),
        (
            "rfm quantile, generated log CSV (6 files)",
            rfm_log("TIMESTAMP '2025-01-01'"),
            log(&log_csv),
        ),
        (
            "rfm ntile, generated log Parquet (6 files)",
            rfm_log("TIMESTAMP '2025-01-01', 'ntile'"),
            log(&log_parquet),
        ),
        (
            "count/sum per user, generated log Parquet",
            per_user_log.to_string(),
            log(&log_parquet),
        ),
    ];

    let cluster = Cluster::start(2);
    let started_before: Vec<usize> = cluster.executors.iter().map(tasks_started).collect();
    block_on(async {
        for (label, query, table) in &cases {
            let tables = [table.clone()];
            let expected = run_csv(&sql_args(query, &tables, None, None))
                .await
                .unwrap_or_else(|e| panic!("{label}, in-process: {e}"));
            assert!(
                expected.lines().count() > 100,
                "{label}: expected one row per customer, got\n{expected}"
            );
            for partitions in [1, 3, 8] {
                let local = run_csv(&sql_args(query, &tables, None, Some(partitions)))
                    .await
                    .unwrap_or_else(|e| {
                        panic!("{label}, in-process, {partitions} partitions: {e}")
                    });
                assert!(
                    local == expected,
                    "{label}: in-process at {partitions} partitions differs from the default"
                );
                let remote = run_csv(&sql_args(
                    query,
                    &tables,
                    Some(&cluster.url),
                    Some(partitions),
                ))
                .await
                .unwrap_or_else(|e| panic!("{label}, cluster, {partitions} partitions: {e}"));
                if remote != expected {
                    let first = remote
                        .lines()
                        .zip(expected.lines())
                        .find(|(a, b)| a != b)
                        .map(|(a, b)| format!("cluster:    {a}\nin-process: {b}"))
                        .unwrap_or_else(|| "(one is a prefix of the other)".into());
                    panic!(
                        "{label}, {partitions} partitions: the cluster's result differs from \
                         in-process; first difference:\n{first}"
                    );
                }
            }
        }
    });
    // The partial states really crossed processes: both executors ran tasks, and the rfm
    // aggregate was split into a partial and a final stage.
    for (e, before) in cluster.executors.iter().zip(&started_before) {
        assert!(
            tasks_started(e) > *before,
            "{} ran no task; its log:\n{}",
            e.name,
            e.stderr_tail(4_000)
        );
    }
    let plans = cluster.scheduler.stderr();
    assert!(
        plans
            .lines()
            .any(|l| l.contains("AggregateExec: mode=Partial") && l.contains("rfm(")),
        "no partial rfm aggregate in the scheduler's plans:\n{}",
        cluster.scheduler.stderr_tail(6_000)
    );
}

/// An executor killed (SIGKILL) while a query runs: the query completes with exactly the
/// in-process result or fails with an error, never a different answer; and the cluster, left
/// with one executor, still answers.
#[test]
fn losing_an_executor_mid_query_never_changes_the_answer() {
    let data = tempfile::tempdir().unwrap();
    let log_csv = data.path().join("log-csv");
    // Large enough that the query runs for some seconds on debug builds.
    write_log(&log_csv, 8, 120_000, 50_000, 11);
    let tables = [format!("log={}", log_csv.display())];
    let query = rfm_query("log", "user_id", "ts", "amount", "TIMESTAMP '2025-01-01'");

    let start = Instant::now();
    let expected = block_on(run_csv(&sql_args(&query, &tables, None, Some(8))))
        .unwrap_or_else(|e| panic!("in-process: {e}"));
    eprintln!("in-process: {:?}", start.elapsed());

    let mut cluster = Cluster::start(2);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let before: Vec<usize> = cluster.executors.iter().map(tasks_started).collect();
    let submitted = Instant::now();
    let args = sql_args(&query, &tables, Some(&cluster.url), Some(8));
    let query_task = runtime.spawn(async move { run_csv(&args).await });

    // Kill the first executor seen running a task of this query.
    let victim = loop {
        if let Some(i) =
            (0..cluster.executors.len()).find(|&i| tasks_started(&cluster.executors[i]) > before[i])
        {
            break i;
        }
        assert!(
            !query_task.is_finished(),
            "the query ended before any executor logged a task:\n{}",
            cluster.logs()
        );
        assert!(
            submitted.elapsed() < Duration::from_secs(60),
            "no executor started a task within 60 s:\n{}",
            cluster.logs()
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    let finished_before_kill = query_task.is_finished();
    cluster.executors[victim].kill();
    let killed_at = submitted.elapsed();

    let outcome = runtime
        .block_on(async { tokio::time::timeout(Duration::from_secs(120), query_task).await });
    let total = submitted.elapsed();
    match outcome {
        Err(_) => panic!(
            "the query neither completed nor failed within 120 s of the kill:\n{}",
            cluster.logs()
        ),
        Ok(joined) => match joined.expect("the query task panicked") {
            Ok(result) => {
                assert!(
                    result == expected,
                    "the query completed after the executor was lost, with a DIFFERENT answer"
                );
                eprintln!(
                    "executor {victim} killed {killed_at:?} after submission; the query \
                     completed with the in-process result after {total:?}"
                );
            }
            Err(e) => {
                assert!(!e.trim().is_empty(), "an error without a message");
                eprintln!(
                    "executor {victim} killed {killed_at:?} after submission; the query failed \
                     after {total:?} with: {e}"
                );
            }
        },
    }
    // What the scheduler did about it, for the test's output.
    for line in cluster
        .scheduler
        .stderr()
        .lines()
        .filter(|l| {
            let l = l.to_ascii_lowercase();
            ["lost", "dead", "expire", "reset", "remov", "fail"]
                .iter()
                .any(|w| l.contains(w))
        })
        .take(12)
    {
        eprintln!("scheduler: {line}");
    }
    assert!(
        !finished_before_kill,
        "the query had finished before the kill ({killed_at:?}): the test proved nothing; \
         make the log larger"
    );

    // The survivor alone still gives the in-process answer.
    let again = Instant::now();
    let args = sql_args(&query, &tables, Some(&cluster.url), Some(8));
    let result = runtime
        .block_on(async { tokio::time::timeout(Duration::from_secs(120), run_csv(&args)).await })
        .unwrap_or_else(|_| panic!("no answer within 120 s from the remaining executor"))
        .unwrap_or_else(|e| panic!("the remaining executor failed: {e}\n{}", cluster.logs()));
    assert!(result == expected, "one executor left: a different answer");
    eprintln!("with one executor left: {:?}", again.elapsed());
}
