//! `userops-sql` run as a user runs it (assert_cmd): the R rfm package's README values over
//! its orders data, in-process and on a Ballista cluster, and clear errors for bad input.

mod common;

use assert_cmd::Command;
use common::repo_data;

/// The README of the R package rfm: `rfm_table_order(rfm_data_orders, customer_id, order_date,
/// revenue, analysis_date = as.Date("2006-12-31"))`, its first rows:
/// customer, recency_days, transaction_count, amount, rfm_score. (Our copy of the data set
/// names customers without suffixes such as "DVM", "Sr.", "PhD", "DDS"; their purchase
/// histories are the README's; see also tests/rfm.rs at the repository root.)
const README: [(&str, f64, u64, f64, u16); 10] = [
    ("Abbey O'Reilly", 205.0, 6, 472.0, 343),
    ("Add Senger", 140.0, 3, 340.0, 412),
    ("Aden Lesch", 194.0, 4, 405.0, 323),
    ("Admiral Senger", 132.0, 5, 448.0, 433),
    ("Agness O'Keefe", 90.0, 9, 843.0, 555),
    ("Aileen Barton", 84.0, 9, 763.0, 555),
    ("Ailene Hermann", 281.0, 8, 699.0, 355),
    ("Aiyanna Bruen", 246.0, 4, 157.0, 321),
    ("Ala Schmidt", 349.0, 3, 363.0, 212),
    ("Alannah Borer", 619.0, 4, 196.0, 121),
];

/// R-compatible scores (`'r-rfm'`), as of the README's analysis date.
const RFM_R: &str = "SELECT r['user'] AS customer, r['recency_days'] AS recency, \
     r['frequency'] AS orders, r['monetary'] AS revenue, r['rfm_score'] AS rfm_score \
     FROM (SELECT unnest(rfm(customer_id, order_date, revenue, DATE '2006-12-31', 'r-rfm')) AS r \
     FROM tx) ORDER BY customer";

fn sql() -> Command {
    Command::new(env!("CARGO_BIN_EXE_userops-sql"))
}

fn orders_table() -> String {
    format!("tx={}", repo_data("rfm_orders.csv").display())
}

/// Checks the README rows in CSV output `customer,recency,orders,revenue,rfm_score`.
fn assert_readme_rows(csv: &str) {
    let mut lines = csv.lines();
    assert_eq!(
        lines.next(),
        Some("customer,recency,orders,revenue,rfm_score")
    );
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
    for (name, recency, orders, revenue, score) in README {
        let row = rows
            .iter()
            .find(|r| r[0] == name)
            .unwrap_or_else(|| panic!("{name} missing from\n{csv}"));
        assert_eq!(row[1].parse::<f64>().unwrap(), recency, "{name} recency");
        assert_eq!(row[2].parse::<u64>().unwrap(), orders, "{name} orders");
        assert_eq!(row[3].parse::<f64>().unwrap(), revenue, "{name} revenue");
        assert_eq!(row[4].parse::<u16>().unwrap(), score, "{name} rfm score");
    }
}

fn stdout_of(assert: &assert_cmd::assert::Assert) -> String {
    String::from_utf8(assert.get_output().stdout.clone()).unwrap()
}

fn stderr_of(assert: &assert_cmd::assert::Assert) -> String {
    String::from_utf8(assert.get_output().stderr.clone()).unwrap()
}

#[test]
fn local_query_gives_the_r_packages_readme_values() {
    let out = sql()
        .args([RFM_R, "--table", &orders_table(), "--format", "csv"])
        .assert()
        .success();
    assert_readme_rows(&stdout_of(&out));
}

#[test]
fn default_output_is_a_table_and_json_is_an_array_of_rows() {
    let query = "SELECT r['user'] AS customer, r['recency_days'] AS recency, \
                 r['frequency'] AS orders, r['monetary'] AS revenue \
                 FROM (SELECT unnest(rfm(customer_id, order_date, revenue, DATE '2006-12-31')) \
                 AS r FROM tx) WHERE r['user'] = 'Agness O''Keefe'";
    // README of R rfm: Agness O'Keefe, 90 days, 9 orders, 843.
    let table = sql()
        .args([query, "--table", &orders_table()])
        .assert()
        .success();
    let text = stdout_of(&table);
    assert!(
        text.contains("| Agness O'Keefe | 90.0    | 9      | 843.0   |"),
        "{text}"
    );
    let json = sql()
        .args([query, "--table", &orders_table(), "--format", "json"])
        .assert()
        .success();
    let rows: serde_json::Value = serde_json::from_str(&stdout_of(&json)).unwrap();
    assert_eq!(
        rows,
        serde_json::json!([
            {"customer": "Agness O'Keefe", "recency": 90.0, "orders": 9, "revenue": 843.0}
        ])
    );
}

#[test]
fn a_directory_of_csv_files_is_one_table() {
    // The orders split over three files: the same README values.
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(repo_data("rfm_orders.csv")).unwrap();
    let mut lines = text.lines();
    let header = lines.next().unwrap();
    let rows: Vec<&str> = lines.collect();
    for (i, part) in rows.chunks(rows.len() / 3 + 1).enumerate() {
        std::fs::write(
            dir.path().join(format!("part-{i}.csv")),
            format!("{header}\n{}\n", part.join("\n")),
        )
        .unwrap();
    }
    let out = sql()
        .args([
            RFM_R,
            "--table",
            &format!("tx={}", dir.path().display()),
            "--format",
            "csv",
            "--partitions",
            "3",
        ])
        .assert()
        .success();
    assert_readme_rows(&stdout_of(&out));
}

#[test]
fn tsv_files_and_two_tables() {
    // Hand-computed: ana 30 + 12 = 42 over 2 orders, bo 5 over 1; the join keeps both.
    let dir = tempfile::tempdir().unwrap();
    let tx = dir.path().join("tx.tsv");
    std::fs::write(&tx, "customer\tamount\nana\t30\nana\t12\nbo\t5\n").unwrap();
    let names = dir.path().join("names.csv");
    std::fs::write(&names, "customer,city\nana,Lyon\nbo,Oslo\n").unwrap();
    let out = sql()
        .args([
            "SELECT t.customer, n.city, count(*) AS orders, sum(t.amount) AS revenue \
             FROM tx t JOIN names n ON t.customer = n.customer \
             GROUP BY t.customer, n.city ORDER BY t.customer",
            "--table",
            &format!("tx={}", tx.display()),
            "--table",
            &format!("names={}", names.display()),
            "--format",
            "csv",
        ])
        .assert()
        .success();
    assert_eq!(
        stdout_of(&out),
        "customer,city,orders,revenue\nana,Lyon,2,42\nbo,Oslo,1,5\n"
    );
}

/// A usage error: exit status 2, a message naming the problem, no panic.
fn assert_usage_error(args: &[&str], says: &str) {
    let out = sql().args(args).assert().code(2);
    let err = stderr_of(&out);
    assert!(err.contains(says), "expected {says:?} in {err:?}");
    assert!(!err.contains("panicked"), "{err}");
}

/// A failed query: exit status 1, a message naming the problem, no panic.
fn assert_query_error(args: &[&str], says: &str) {
    let out = sql().args(args).assert().code(1);
    let err = stderr_of(&out);
    assert!(err.contains(says), "expected {says:?} in {err:?}");
    assert!(!err.contains("panicked"), "{err}");
    assert!(stdout_of(&out).is_empty(), "output despite the error");
}

#[test]
fn bad_command_lines_are_clear_errors() {
    assert_usage_error(
        &["SELECT 1", "--table", "/no/such/orders.csv"],
        "expected NAME=PATH",
    );
    assert_usage_error(
        &["SELECT 1", "--table", "tx=/no/such/orders.csv"],
        "cannot open /no/such/orders.csv",
    );
    let manifest = format!("tx={}/Cargo.toml", env!("CARGO_MANIFEST_DIR"));
    assert_usage_error(
        &["SELECT 1", "--table", &manifest],
        "cannot tell the format",
    );
    let bad_name = format!("1tx={}", repo_data("rfm_orders.csv").display());
    assert_usage_error(&["SELECT 1", "--table", &bad_name], "table name");
    assert_usage_error(&["SELECT 1", "--partitions", "0"], "--partitions 0");
    assert_usage_error(&["SELECT 1", "--format", "xml"], "invalid value 'xml'");
    assert_usage_error(
        &[
            "SELECT rfm(customer_id, order_date, revenue, DATE '2006-12-31') FROM tx",
            "--table",
            &orders_table(),
            "--format",
            "csv",
        ],
        "CSV cannot hold",
    );
}

#[test]
fn bad_queries_are_clear_errors() {
    assert_query_error(&["SELEC 1"], "SQL error");
    assert_query_error(&["SELECT * FROM nowhere"], "nowhere");
    assert_query_error(
        &[
            "SELECT unnest(rfm(customer_id, order_date, revenue, DATE '2006-12-31', 'r-rfm', 12)) \
             FROM tx",
            "--table",
            &orders_table(),
        ],
        "bins",
    );
    // No scheduler listens on port 1.
    assert_query_error(
        &["SELECT 1", "--scheduler", "df://127.0.0.1:1"],
        "df://127.0.0.1:1",
    );
}

#[cfg(feature = "ballista")]
#[test]
fn on_a_cluster_the_same_readme_values() {
    let cluster = common::Cluster::start(2);
    for partitions in ["1", "4"] {
        let out = sql()
            .args([
                RFM_R,
                "--table",
                &orders_table(),
                "--scheduler",
                &cluster.url,
                "--partitions",
                partitions,
                "--format",
                "csv",
            ])
            .timeout(std::time::Duration::from_secs(120))
            .assert()
            .success();
        assert_readme_rows(&stdout_of(&out));
    }
}
