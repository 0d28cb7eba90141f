//! The `userops` command line itself, run as a user runs it (assert_cmd), on the files in the
//! repository's `tests/data`: every subcommand, the CDNOW log with one set of flags, a
//! `;`-separated file with decimal commas and a named time format, a headerless file, Parquet,
//! standard input. Each test checks values — published ones, or worked out by hand in the test.

use std::path::PathBuf;

use assert_cmd::Command;
use serde_json::Value;

/// A file of the repository's `tests/data`.
fn data(name: &str) -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join("tests")
        .join("data")
        .join(name);
    path.to_string_lossy().into_owned()
}

fn userops() -> Command {
    Command::cargo_bin("userops").unwrap()
}

/// Runs `userops args`, expects success, returns (stdout, stderr).
fn ok(args: &[&str]) -> (String, String) {
    let out = userops().args(args).output().unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(out.status.success(), "userops {args:?} failed:\n{stderr}");
    (stdout, stderr)
}

/// Runs `userops args`, expects failure with `code`, returns stderr.
fn fails(args: &[&str], code: i32) -> String {
    let out = userops().args(args).output().unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(out.status.code(), Some(code), "userops {args:?}:\n{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    stderr
}

/// The CDNOW sample log (Fader & Hardie): whitespace-separated, no header; columns are the
/// master id, the sample id, the date (YYYYMMDD), the quantity and the amount. The same flags
/// read it in every subcommand.
const CDNOW: [&str; 6] = ["--user", "#1", "--time", "#2", "--amount", "#4"];

fn cdnow(sub: &[&str], extra: &[&str]) -> Vec<String> {
    let path = data("cdnow_sample.txt");
    sub.iter()
        .copied()
        .chain(["--input", path.as_str()])
        .chain(CDNOW)
        .chain(extra.iter().copied())
        .map(str::to_string)
        .collect()
}

fn strs(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}

/// The CDNOW sample's total spend, summed here from the file's fifth column.
fn cdnow_revenue() -> f64 {
    std::fs::read_to_string(data("cdnow_sample.txt"))
        .unwrap()
        .lines()
        .filter_map(|l| l.split_whitespace().nth(4))
        .map(|a| a.parse::<f64>().unwrap())
        .sum()
}

fn near(got: f64, want: f64, tol: f64) {
    assert!(
        (got - want).abs() <= tol,
        "got {got}, want {want} (± {tol})"
    );
}

#[test]
fn rfm_reads_cdnow_all_customers_orders_and_revenue() {
    // Fader & Hardie's CDNOW sample: 2,357 customers, 6,919 purchase records.
    let args = cdnow(
        &["rfm"],
        &["--as-of", "1998-07-01", "--summary", "--format", "json"],
    );
    let (stdout, stderr) = ok(&strs(&args));
    assert_eq!(stderr.trim(), "6919 rows read: 6919 accepted, 0 rejected");
    let segments: Value = serde_json::from_str(&stdout).unwrap();
    let rows = segments.as_array().unwrap();
    let sum = |k: &str| rows.iter().map(|r| r[k].as_f64().unwrap()).sum::<f64>();
    assert_eq!(sum("customers"), 2357.0);
    assert_eq!(sum("orders"), 6919.0);
    near(sum("revenue"), cdnow_revenue(), 1e-6);
}

#[test]
fn lifecycle_reads_cdnow_every_customer_is_new_in_the_first_quarter_of_1997() {
    // The CDNOW cohort is the customers whose first purchase fell in Q1 1997: "new" per month
    // over January to March adds up to all 2,357, and nobody is new after March.
    let args = cdnow(
        &["lifecycle"],
        &[
            "--interval",
            "month",
            "--from",
            "1997-01-01",
            "--to",
            "1997-06-30",
            "--model",
            "stages",
            "--format",
            "json",
        ],
    );
    let (stdout, _) = ok(&strs(&args));
    let report: Value = serde_json::from_str(&stdout).unwrap();
    let rows = report["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 6);
    let new: Vec<u64> = rows.iter().map(|r| r["new"].as_u64().unwrap()).collect();
    assert_eq!(new[..3].iter().sum::<u64>(), 2357);
    assert_eq!(&new[3..], &[0, 0, 0]);
}

#[test]
fn retention_reads_cdnow_cohorts_add_up_to_the_customers() {
    // First-time monthly cohorts over Q1 1997: every CDNOW customer joins one (2,357), and a
    // cohort's period-0 count is its size. Any event starts and returns (no event column).
    let args = cdnow(
        &["retention"],
        &[
            "--interval",
            "month",
            "--date-to",
            "1997-03-31",
            "--periods",
            "3",
            "--mode",
            "first-time",
            "--format",
            "json",
        ],
    );
    let (stdout, _) = ok(&strs(&args));
    let report: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(report["cohort_users"], 2357);
    let cohorts = report["cohorts"].as_array().unwrap();
    let sizes: u64 = cohorts
        .iter()
        .map(|c| c["counts"][0].as_u64().unwrap())
        .sum();
    assert_eq!(sizes, 2357);
    // The triangle: the cohort of month k has 3 - k periods.
    let lengths: Vec<usize> = cohorts
        .iter()
        .map(|c| c["counts"].as_array().unwrap().len())
        .collect();
    assert_eq!(lengths, [3, 2, 1]);
}

#[test]
fn clv_fit_reads_cdnow_and_finds_the_published_bgnbd_parameters() {
    // Fader, Hardie & Lee (2005), "Counting your customers the easy way": r = 0.243,
    // alpha = 4.414, a = 0.793, b = 2.426, on the 39-week calibration period (to 1997-09-30).
    let args = cdnow(
        &["clv", "fit", "--model", "bgnbd"],
        &[
            "--unit",
            "week",
            "--calibration-end",
            "1997-09-30",
            "--format",
            "json",
        ],
    );
    let (stdout, stderr) = ok(&strs(&args));
    assert!(stderr.contains("2357 customers"), "{stderr}");
    let fit: Value = serde_json::from_str(&stdout).unwrap();
    let p = &fit["params"];
    near(p["r"].as_f64().unwrap(), 0.243, 0.0005);
    near(p["alpha"].as_f64().unwrap(), 4.414, 0.0005);
    near(p["a"].as_f64().unwrap(), 0.793, 0.0005);
    near(p["b"].as_f64().unwrap(), 2.426, 0.0005);
}

#[test]
fn clv_predict_matches_hardies_spreadsheet() {
    // lifetimes' test "returns same value as Hardie excel sheet": with the published CDNOW
    // parameters, the customer with x = 2, t_x = 30.43, T = 38.86 (customer 1 of the summary)
    // makes 1.226 purchases in the next 39 weeks.
    let (stdout, _) = ok(&[
        "clv",
        "predict",
        "--model",
        "bgnbd",
        "--params",
        "r=0.2426,alpha=4.4136,a=0.7929,b=2.4259",
        "--summary",
        &data("cdnow_summary.csv"),
        "--horizon",
        "39",
    ]);
    let mut lines = stdout.lines();
    assert_eq!(lines.next(), Some("id,p_alive,expected_purchases"));
    let first: Vec<&str> = lines.next().unwrap().split(',').collect();
    assert_eq!(first[0], "1");
    near(first[2].parse().unwrap(), 1.226, 0.001);
    assert_eq!(stdout.lines().count(), 1 + 2357);
}

#[test]
fn clv_refuses_a_unit_it_does_not_know() {
    let args = cdnow(
        &["clv", "fit", "--model", "bgnbd"],
        &["--unit", "fortnight", "--calibration-end", "1997-09-30"],
    );
    let stderr = fails(&strs(&args), 1);
    assert!(stderr.contains("fortnight"), "{stderr}");
}

#[test]
fn value_reads_cdnow() {
    // Everything before as-of counts: all 6,919 rows are read and accepted; the 90-day window
    // before 1998-06-30 holds the customers who bought in it, counted here from the file.
    let args = cdnow(&["value"], &["--as-of", "1998-06-30", "--format", "json"]);
    let (stdout, _) = ok(&strs(&args));
    let out: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(out["input"]["rows_read"], 6919);
    assert_eq!(out["input"]["accepted"], 6919);
    // The window is the 90 days ending with 1998-06-30: 1998-04-02 ..= 1998-06-30.
    let text = std::fs::read_to_string(data("cdnow_sample.txt")).unwrap();
    let mut buyers: Vec<&str> = text
        .lines()
        .filter_map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            (f[2] >= "19980402" && f[2] <= "19980630").then_some(f[1])
        })
        .collect();
    buyers.sort_unstable();
    buyers.dedup();
    assert_eq!(out["value"]["users"], buyers.len());
}

/// Three customers, worked out by hand, as-of 2025-03-01 00:00 UTC:
/// ana bought on 01-05 (12.50) and 02-10 (7.50): 2 orders, 20.00, last 19 days before;
/// cy on 01-01, 01-15 (5.00 each) and 02-28 (10.00): 3 orders, 20.00, 1 day;
/// bo on 02-20 (30.00): 1 order, 30.00, 9 days.
const HAND: [(&str, f64, u64, f64); 3] = [
    ("ana", 19.0, 2, 20.0),
    ("cy", 1.0, 3, 20.0),
    ("bo", 9.0, 1, 30.0),
];

/// user -> (recency_days, frequency, monetary) from `rfm --format csv`.
fn rfm_rows(stdout: &str) -> Vec<(String, f64, u64, f64)> {
    let mut lines = stdout.lines();
    assert_eq!(
        lines.next(),
        Some("user_id,recency_days,frequency,monetary,r,f,m,rfm_score,segment")
    );
    lines
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            (
                f[0].to_string(),
                f[1].parse().unwrap(),
                f[2].parse().unwrap(),
                f[3].parse().unwrap(),
            )
        })
        .collect()
}

fn assert_hand(stdout: &str) {
    let rows = rfm_rows(stdout);
    assert_eq!(rows.len(), 3);
    for (user, recency, frequency, monetary) in HAND {
        let row = rows.iter().find(|r| r.0 == user).unwrap();
        near(row.1, recency, 1e-9);
        assert_eq!(row.2, frequency, "{user}");
        near(row.3, monetary, 1e-9);
    }
}

#[test]
fn semicolon_file_with_decimal_commas_and_a_named_date_format() {
    // kunde;datum;betrag with dates like 05.01.2025 and amounts like 12,50: the separator is
    // detected, a ;-file reads decimal commas, and --time-format names the date.
    let (stdout, stderr) = ok(&[
        "rfm",
        "--input",
        &data("orders_semicolon.csv"),
        "--user",
        "kunde",
        "--time",
        "datum",
        "--amount",
        "betrag",
        "--time-format",
        "%d.%m.%Y",
        "--as-of",
        "2025-03-01",
        "--format",
        "csv",
    ]);
    assert_eq!(stderr.trim(), "6 rows read: 6 accepted, 0 rejected");
    assert_hand(&stdout);
}

#[test]
fn without_the_time_format_every_european_date_is_a_counted_rejection() {
    let stderr = fails(
        &[
            "rfm",
            "--input",
            &data("orders_semicolon.csv"),
            "--user",
            "kunde",
            "--time",
            "datum",
            "--amount",
            "betrag",
            "--as-of",
            "2025-03-01",
        ],
        1,
    );
    assert!(
        stderr.contains("6 rows read: 0 accepted, 6 rejected"),
        "{stderr}"
    );
}

#[test]
fn us_dates_with_times_by_a_named_format() {
    // 02/10/2025 10:00 is 18 days 14 hours before 03/01 00:00 = 18.58333 days; 02/28 12:00 is
    // 0.5 days; 02/20 18:45 is 8 days 5.25 hours = 8.21875 days.
    let (stdout, _) = ok(&[
        "rfm",
        "--input",
        &data("orders_us_dates.csv"),
        "--user",
        "customer",
        "--time",
        "date",
        "--amount",
        "total",
        "--time-format",
        "%m/%d/%Y %H:%M",
        "--as-of",
        "2025-03-01",
        "--format",
        "csv",
    ]);
    let rows = rfm_rows(&stdout);
    let recency = |u: &str| rows.iter().find(|r| r.0 == u).unwrap().1;
    near(recency("ana"), 18.0 + 14.0 / 24.0, 1e-9);
    near(recency("cy"), 0.5, 1e-9);
    near(recency("bo"), 8.0 + 5.25 / 24.0, 1e-9);
}

#[test]
fn headerless_tab_separated_file_by_position() {
    let (stdout, _) = ok(&[
        "rfm",
        "--input",
        &data("orders_no_header.tsv"),
        "--user",
        "#0",
        "--time",
        "#1",
        "--amount",
        "#2",
        "--as-of",
        "2025-03-01",
        "--format",
        "csv",
    ]);
    assert_hand(&stdout);
}

#[test]
fn forcing_a_header_on_a_headerless_file_loses_no_row_silently() {
    // --header takes the first order as the header: then there is no column "#0"... by name,
    // but positions still work, and the account shows 5 rows read, not 6.
    let (_, stderr) = ok(&[
        "rfm",
        "--input",
        &data("orders_no_header.tsv"),
        "--header",
        "--user",
        "#0",
        "--time",
        "#1",
        "--amount",
        "#2",
        "--as-of",
        "2025-03-01",
    ]);
    assert_eq!(stderr.trim(), "5 rows read: 5 accepted, 0 rejected");
}

#[cfg(feature = "parquet")]
#[test]
fn parquet_file() {
    // The same six orders, written by pyarrow with timestamp[us, UTC] times.
    let (stdout, stderr) = ok(&[
        "rfm",
        "--input",
        &data("orders.parquet"),
        "--user",
        "customer",
        "--time",
        "date",
        "--amount",
        "total",
        "--as-of",
        "2025-03-01",
        "--format",
        "csv",
    ]);
    assert_eq!(stderr.trim(), "6 rows read: 6 accepted, 0 rejected");
    assert_hand(&stdout);
}

#[test]
fn standard_input_and_drop_after_as_of() {
    // As of 2025-02-21 00:00, cy's order of 02-28 is later: by default an error that names
    // the flag; with --drop-after-as-of it is dropped and counted. Then ana's last order
    // (02-10) is 11 days back, cy has 2 orders (last 01-15: 37 days), bo 1 day.
    let file = std::fs::read(data("orders_no_header.tsv")).unwrap();
    let args = [
        "rfm",
        "--input",
        "-",
        "--user",
        "#0",
        "--time",
        "#1",
        "--amount",
        "#2",
        "--as-of",
        "2025-02-21",
        "--format",
        "csv",
    ];
    let out = userops()
        .args(args)
        .write_stdin(file.clone())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.contains("--drop-after-as-of"), "{stderr}");

    let out = userops()
        .args(args)
        .arg("--drop-after-as-of")
        .write_stdin(file)
        .output()
        .unwrap();
    assert!(out.status.success());
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(
        stderr.trim(),
        "6 rows read: 6 accepted, 0 rejected; 1 after the as-of date dropped (--drop-after-as-of)"
    );
    let rows = rfm_rows(&String::from_utf8(out.stdout).unwrap());
    let get = |u: &str| rows.iter().find(|r| r.0 == u).unwrap().clone();
    assert_eq!((get("ana").1, get("ana").2), (11.0, 2));
    assert_eq!((get("cy").1, get("cy").2), (37.0, 2));
    assert_eq!((get("bo").1, get("bo").2), (1.0, 1));
}

#[test]
fn output_file_holds_what_stdout_would() {
    let dir = std::env::temp_dir().join(format!("userops-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("rfm.csv");
    let (stdout, _) = ok(&[
        "rfm",
        "--input",
        &data("orders_no_header.tsv"),
        "--user",
        "#0",
        "--time",
        "#1",
        "--amount",
        "#2",
        "--as-of",
        "2025-03-01",
        "--format",
        "csv",
        "--output",
        path.to_str().unwrap(),
    ]);
    assert_eq!(stdout, "");
    assert_hand(&std::fs::read_to_string(&path).unwrap());
}

#[test]
fn experiment_proportions_matches_r_prop_test() {
    // R: prop.test(x = c(179, 203), n = c(300, 400), correct = FALSE)
    //   X-squared = 5.4979, p-value = 0.01904, 95% CI 0.01512659 0.16320674 (prop 1 - prop 2)
    // Here control is 179/300 and treatment 203/400, so the difference is R's negated.
    let (stdout, _) = ok(&[
        "experiment",
        "proportions",
        "--control-n",
        "300",
        "--control-x",
        "179",
        "--treatment-n",
        "400",
        "--treatment-x",
        "203",
        "--format",
        "json",
    ]);
    let r: Value = serde_json::from_str(&stdout).unwrap();
    near(r["chi_square"].as_f64().unwrap(), 5.4979, 1e-4);
    near(r["p_value"].as_f64().unwrap(), 0.01904, 1e-5);
    near(r["ci_low"].as_f64().unwrap(), -0.16320674, 1e-7);
    near(r["ci_high"].as_f64().unwrap(), -0.01512659, 1e-7);
}

#[test]
fn experiment_means_matches_r_t_test_on_sleep() {
    // R: t.test(extra ~ group, data = sleep): t = -1.8608, df = 17.776, p-value = 0.07939;
    // group 1 (our treatment) mean 0.75, group 2 (control) 2.33.
    let (stdout, _) = ok(&[
        "experiment",
        "means",
        "--input",
        &data("sleep_welch.csv"),
        "--group",
        "group",
        "--value",
        "extra",
        "--format",
        "json",
    ]);
    let r: Value = serde_json::from_str(&stdout).unwrap();
    near(r["statistic"].as_f64().unwrap(), -1.8608, 1e-4);
    near(r["df"].as_f64().unwrap(), 17.776, 1e-3);
    near(r["p_value"].as_f64().unwrap(), 0.07939, 1e-5);
    near(r["difference"].as_f64().unwrap(), 0.75 - 2.33, 1e-12);
}

#[test]
fn sample_writes_a_log_that_every_reader_takes_whole() {
    let (stdout, stderr) = ok(&["sample", "--users", "50", "--seed", "7"]);
    let mut lines = stdout.lines();
    assert_eq!(lines.next(), Some("user,time,amount,event"));
    let rows = lines.count();
    assert!(rows > 50, "{rows} rows");
    // The stderr line says how many rows went out: the same count.
    assert!(
        stderr.contains(&format!("{rows} rows in time order")),
        "{stderr}"
    );
    // Read back through standard input: every row accepted.
    let out = userops()
        .args([
            "lifecycle",
            "--input",
            "-",
            "--user",
            "user",
            "--time",
            "time",
            "--interval",
            "month",
            "--from",
            "2024-01-01",
            "--to",
            "2025-12-31",
            "--model",
            "posthog",
        ])
        .write_stdin(stdout.clone())
        .output()
        .unwrap();
    assert!(out.status.success());
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(
        stderr.trim(),
        format!("{rows} rows read: {rows} accepted, 0 rejected")
    );
}

#[test]
fn health_reads_a_file_too() {
    let args = cdnow(&["health"], &["--days", "100"]);
    let (stdout, _) = ok(&strs(&args));
    // 2,357 customers and 6,919 records; the last purchase in the log is on 1998-06-30.
    assert!(
        stdout.contains("2357 users, 6919 events, last day 1998-06-30"),
        "{stdout}"
    );
    assert!(
        stdout.contains("three-colour warnings by month"),
        "{stdout}"
    );
}

#[test]
fn usage_errors_name_the_flag_and_exit_2() {
    let stderr = fails(&["rfm", "--input", "x.csv", "--bogus"], 2);
    assert!(stderr.contains("--bogus"), "{stderr}");
    let stderr = fails(&["lifecycle", "--input", "x.csv", "--user", "u"], 2);
    assert!(stderr.contains("--time"), "{stderr}");
    let stderr = fails(&["rfm", "--delimiter", "x", "--input", "a.csv"], 2);
    assert!(stderr.contains("is not a separator"), "{stderr}");
}

#[test]
fn a_missing_file_is_named() {
    let stderr = fails(
        &[
            "rfm",
            "--input",
            "/no/such.csv",
            "--user",
            "u",
            "--time",
            "t",
            "--amount",
            "a",
            "--as-of",
            "2025-01-01",
        ],
        1,
    );
    assert!(stderr.contains("/no/such.csv"), "{stderr}");
}

#[test]
fn paths_after_signup_as_sankey_rows() {
    // By hand: u1 signup > a > b, u2 signup > a > c, u3 signup > b. After signup, step 1:
    // signup->a by 2 users, signup->b by 1; step 2: a->b 1, a->c 1.
    let (stdout, _) = ok(&[
        "paths",
        "--input",
        &data("paths_small.csv"),
        "--user",
        "user",
        "--time",
        "time",
        "--event",
        "event",
        "--from",
        "signup",
        "--depth",
        "2",
        "--format",
        "csv",
    ]);
    let mut rows: Vec<&str> = stdout.lines().skip(1).collect();
    rows.sort_unstable();
    assert_eq!(rows, ["1,signup,a,2", "1,signup,b,1", "2,a,b,1", "2,a,c,1"]);
}

#[test]
fn attribution_of_a_path_table_by_hand() {
    // Paths "c1 > c2" (1 conversion worth 10) and "c2" (2 conversions worth 20):
    // first touch c1 1 (10), c2 2 (20); last touch c2 3 (30); linear c1 0.5 (5), c2 2.5 (25).
    let (stdout, _) = ok(&[
        "attribution",
        "--input",
        &data("paths_channelattribution_small.csv"),
        "--path-level",
        "--path",
        "path",
        "--conversions",
        "total_conversions",
        "--value",
        "total_conversion_value",
        "--nulls",
        "total_null",
        "--models",
        "first_touch,last_touch,linear",
        "--format",
        "csv",
    ]);
    let rows: Vec<&str> = stdout.lines().collect();
    assert_eq!(
        rows,
        [
            "model,channel,conversions,value,removal_effect,value_removal_effect",
            "first_touch,c1,1,10,,",
            "first_touch,c2,2,20,,",
            "last_touch,c1,0,0,,",
            "last_touch,c2,3,30,,",
            "linear,c1,0.5,5,,",
            "linear,c2,2.5,25,,",
        ]
    );
}

#[test]
fn correlation_names_the_event_that_predicts_retention() {
    // By hand, on a file built here: 20 users sign up on 2025-01-01; the 10 who use "chat" on
    // day 1 all come back in days 7..28, the 10 who do not never come back. The 2x2 table is
    // chat: 10 retained / 0 not; no chat: 0 retained / 10 not — phi = 1.
    let mut text = String::from("user,time,event\n");
    for u in 0..20 {
        text.push_str(&format!("u{u},2025-01-01 09:00,signup\n"));
        if u < 10 {
            text.push_str(&format!("u{u},2025-01-02 09:00,chat\n"));
            text.push_str(&format!("u{u},2025-01-10 09:00,visit\n"));
        }
    }
    let out = userops()
        .args([
            "correlation",
            "--input",
            "-",
            "--user",
            "user",
            "--time",
            "time",
            "--event",
            "event",
            "--start-event",
            "signup",
            "--return-event",
            "visit",
            "--as-of",
            "2025-03-01",
            "--format",
            "json",
        ])
        .write_stdin(text)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let text = report.to_string();
    assert!(text.contains("chat"), "{text}");
    let rows = report["rows"].as_array().unwrap();
    let chat = rows.iter().find(|r| r["event"] == "chat").unwrap();
    near(chat["phi"].as_f64().unwrap(), 1.0, 1e-12);
}

#[test]
fn labels_every_user_with_a_stage_per_month() {
    // By hand, months January to March 2025 as of 2025-03-01 (churn after 2 idle months):
    // ana buys in January and February: new, retained_new, then dormant in March (1 idle);
    // cy the same; bo first buys in February: unknown in January, new, dormant.
    let (stdout, stderr) = ok(&[
        "labels",
        "--input",
        &data("orders_no_header.tsv"),
        "--user",
        "#0",
        "--time",
        "#1",
        "--amount",
        "#2",
        "--as-of",
        "2025-03-01",
        "--periods",
        "3",
    ]);
    assert!(
        stderr.contains("3 users labelled over 3 periods"),
        "{stderr}"
    );
    let mut lines = stdout.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    assert_eq!(
        &header[..5],
        [
            "user",
            "stage_2025-01",
            "stage_2025-02",
            "stage_2025-03",
            "inactive_periods"
        ]
    );
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').take(5).collect()).collect();
    let row = |u: &str| rows.iter().find(|r| r[0] == u).unwrap().clone();
    assert_eq!(row("ana"), ["ana", "new", "retained_new", "dormant", "1"]);
    assert_eq!(row("cy"), ["cy", "new", "retained_new", "dormant", "1"]);
    assert_eq!(row("bo"), ["bo", "", "new", "dormant", "1"]);
}

#[test]
fn report_writes_one_self_contained_page() {
    let dir = std::env::temp_dir().join(format!("userops-report-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let page = dir.join("report.html");
    let args = cdnow(
        &["report"],
        &["--as-of", "1998-07-01", "--output", page.to_str().unwrap()],
    );
    ok(&strs(&args));
    let html = std::fs::read_to_string(&page).unwrap();
    assert!(html.starts_with("<!DOCTYPE html>"));
    // Self-contained: no script, nothing fetched.
    for banned in ["<script", "src=\"http", "href=\"http", "@import"] {
        assert!(!html.contains(banned), "{banned}");
    }
    // url(...) only for the page's own patterns (url(#id)), never a file or an address.
    assert!(
        html.match_indices("url(")
            .all(|(i, _)| html[i + 4..].starts_with('#'))
    );
    // A section per model.
    for id in [
        "overview",
        "rfm",
        "lifecycle",
        "retention",
        "clv",
        "value",
        "health",
    ] {
        assert!(html.contains(&format!("id=\"{id}\"")), "section {id}");
    }
}

#[test]
fn labels_with_clv_and_value_tiers_on_cdnow() {
    // BG/NBD: a customer with no repeat purchase (x = 0) is alive with probability 1 (Fader,
    // Hardie & Lee 2005, eq. 13 with x = 0); everyone with repeats is below 1. Value tiers go to
    // the users active in the 90 days before as-of, counted here from the file.
    let args = cdnow(
        &["labels"],
        &[
            "--as-of",
            "1998-06-30",
            "--periods",
            "3",
            "--clv",
            "--value-days",
            "90",
        ],
    );
    let (stdout, _) = ok(&strs(&args));
    let mut lines = stdout.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let col = |name: &str| header.iter().position(|h| *h == name).unwrap();
    let (p_alive, tier) = (col("p_alive"), col("value_tier"));
    let text = std::fs::read_to_string(data("cdnow_sample.txt")).unwrap();
    let mut purchase_days: std::collections::HashMap<&str, std::collections::BTreeSet<&str>> =
        Default::default();
    // Purchases are rows with an amount above 0 (a few CDNOW rows are 0.00).
    for l in text.lines() {
        let f: Vec<&str> = l.split_whitespace().collect();
        let days = purchase_days.entry(f[1]).or_default();
        if f[4].parse::<f64>().unwrap() > 0.0 {
            days.insert(f[2]);
        }
    }
    let mut tiered = 0;
    for line in lines {
        let f: Vec<&str> = line.split(',').collect();
        let days = purchase_days[f[0]].len();
        if days == 0 {
            assert_eq!(f[p_alive], "", "no purchase, no fit: {line}");
            continue;
        }
        let p: f64 = f[p_alive].parse().unwrap();
        if days == 1 {
            assert_eq!(p, 1.0, "{line}");
        } else {
            assert!(p > 0.0 && p < 1.0, "{line}");
        }
        if !f[tier].is_empty() {
            assert!(["high", "mid", "low"].contains(&f[tier]), "{line}");
            tiered += 1;
        }
    }
    // The window is [1998-04-01 00:00, 1998-06-30 00:00): 90 days ending at as-of.
    let active: std::collections::BTreeSet<&str> = text
        .lines()
        .filter_map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            (f[2] >= "19980401" && f[2] < "19980630").then_some(f[1])
        })
        .collect();
    assert_eq!(tiered, active.len());
}

#[test]
fn funnel_counts_and_date_range_by_hand() {
    // u1: a, b, c within a day; u2: a, b; u3: a, then c without b; u4: b only.
    // Ordered steps a,b,c: 3 enter, 2 reach b, 1 reaches c. With --to 2025-01-01, u1's c on
    // 2025-01-02 falls outside (PostHog filters every step by the date range): 3, 2, 0.
    let log = "user,time,event\n\
               u1,2025-01-01 10:00,a\nu1,2025-01-01 11:00,b\nu1,2025-01-02 09:00,c\n\
               u2,2025-01-01 10:00,a\nu2,2025-01-01 12:00,b\n\
               u3,2025-01-01 10:00,a\nu3,2025-01-01 13:00,c\n\
               u4,2025-01-01 10:00,b\n";
    let counts = |extra: &[&str]| -> Vec<u64> {
        let out = userops()
            .args([
                "funnel", "--input", "-", "--user", "user", "--time", "time", "--event", "event",
                "--steps", "a,b,c", "--window", "7d", "--format", "json",
            ])
            .args(extra)
            .write_stdin(log)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let v: Value = serde_json::from_slice(&out.stdout).unwrap();
        v["funnel"]["steps"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["count"].as_u64().unwrap())
            .collect()
    };
    assert_eq!(counts(&[]), [3, 2, 1]);
    assert_eq!(counts(&["--to", "2025-01-01"]), [3, 2, 0]);
}
