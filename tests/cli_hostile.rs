//! Issue 18's command-line examples against the built tools (`examples/`): the exact refusal
//! each must print, and no run over a few seconds. `cargo test` builds the examples next to the
//! test binaries (`target/<profile>/examples/`); this file needs them (run the full
//! `cargo test`, or `cargo build --examples` first).

use std::path::PathBuf;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

fn tool(name: &str) -> PathBuf {
    // target/<profile>/deps/cli_hostile-<hash> -> target/<profile>/examples/<name>
    let exe = std::env::current_exe().unwrap();
    let dir = exe.parent().and_then(|d| d.parent()).unwrap();
    let path = dir.join("examples").join(name);
    assert!(
        path.exists(),
        "{} is not built: run `cargo build --examples` (or the full `cargo test`) first",
        path.display()
    );
    path
}

fn temp_file(name: &str, contents: &[u8]) -> PathBuf {
    let path = std::env::temp_dir().join(format!("userops-cli-{}-{name}", std::process::id()));
    std::fs::write(&path, contents).unwrap();
    path
}

/// Runs a tool; it must end within 30 s.
fn run(name: &str, args: &[&str]) -> Output {
    let start = Instant::now();
    let out = Command::new(tool(name)).args(args).output().unwrap();
    assert!(
        start.elapsed() < Duration::from_secs(30),
        "{name} {args:?} took {:?}",
        start.elapsed()
    );
    out
}

/// The last line of stderr, and the run must have failed without a panic.
fn refusal(out: &Output) -> String {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "succeeded: {stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(
        out.status.code().is_some_and(|c| c == 1 || c == 2),
        "{out:?}"
    );
    stderr
        .lines()
        .rfind(|l| {
            !l.starts_with("(run with")
                && !l.starts_with("For more information")
                && !l.trim().is_empty()
        })
        .unwrap_or("")
        .to_string()
}

const PARAMS: &str = "r=0.2426,alpha=4.4137,a=0.793,b=2.4262";

#[test]
fn clv_refuses_months_and_horizons_it_cannot_honour() {
    let summary = temp_file("summary.csv", b"ID,x,t_x,T\n1,2,30.43,38.86\n");
    let s = summary.to_str().unwrap();
    let args = [
        "predict",
        "--model",
        "bgnbd",
        "--params",
        PARAMS,
        "--summary",
        s,
    ];
    let out = run(
        "clv",
        &[&args[..], &["--horizon", "10", "--months", "1e10"]].concat(),
    );
    assert_eq!(
        refusal(&out),
        "error: --months: 10000000000.0 is not a whole number from 1 to 1200"
    );
    let out = run("clv", &[&args[..], &["--horizon", "1e300"]].concat());
    assert_eq!(
        refusal(&out),
        "error: --horizon: 1e300 is not in (0, 5214] (the model's time unit; at most 1200 \
         months); give a shorter horizon"
    );
    let gg = ["--spend-params", "p=6.25,q=3.74,gamma=15.44"];
    let out = run(
        "clv",
        &[
            &args[..],
            &gg,
            &["--horizon", "52", "--months", "120", "--discount", "-0.999"],
        ]
        .concat(),
    );
    assert_eq!(
        refusal(&out),
        "error: overflow: the discounted purchases over 120 months at a monthly discount of \
         -0.999 is too large to represent; use a discount rate further from -1 or a shorter \
         horizon"
    );
}

#[test]
fn lifecycle_refuses_a_daily_range_over_all_years_and_chronos_first_date() {
    let input = temp_file("four.csv", b"user,time\nana,2025-01-01\nbo,2025-01-02\n");
    let i = input.to_str().unwrap();
    let base = [
        "--input", i, "--user", "user", "--time", "time", "--model", "stages",
    ];
    let out = run(
        "lifecycle",
        &[
            &base[..],
            &[
                "--interval",
                "day",
                "--from",
                "0001-01-01",
                "--to",
                "9999-12-31",
            ],
        ]
        .concat(),
    );
    // 3,652,059 days from 0001-01-01 to 9999-12-31, and lifecycle's lead period.
    assert_eq!(
        refusal(&out),
        "error: `to` asks for 3652060 periods (day), more than the cap of 100000 periods; use a \
         longer interval (week, month) or a shorter range"
    );
    let out = run(
        "lifecycle",
        &[
            &base[..],
            &[
                "--interval",
                "week",
                "--from",
                "-262143-01-01",
                "--to",
                "2025-01-01",
            ],
        ]
        .concat(),
    );
    assert_eq!(
        refusal(&out),
        "error: cannot parse time \"-262143-01-01\": outside the supported instants \
         0001-01-01T00:00:00Z to 9999-12-31T23:59:59Z"
    );
}

#[test]
fn experiment_means_on_plus_minus_1e308_is_an_overflow() {
    let input = temp_file(
        "means.csv",
        b"group,value\ncontrol,1e308\ncontrol,-1e308\ncontrol,0\ntreatment,1\ntreatment,2\n",
    );
    let out = run(
        "experiment",
        &[
            "means",
            "--input",
            input.to_str().unwrap(),
            "--group",
            "group",
            "--value",
            "value",
        ],
    );
    assert_eq!(
        refusal(&out),
        "error: overflow: the sum of squared deviations of the values is too large to \
         represent; the values are too large to add up: rescale them (e.g. cents to millions) \
         and run again"
    );
    let input = temp_file("bom.csv", b"\xef\xbb\xbfgroup,val\x00ue\ncontrol,1\n");
    let out = run(
        "experiment",
        &[
            "means",
            "--input",
            input.to_str().unwrap(),
            "--group",
            "group",
            "--value",
            "value",
        ],
    );
    assert_eq!(
        refusal(&out),
        "error: column \"value\" does not exist; the columns are: group, \"val\\0ue\""
    );
}

#[test]
fn sample_tools_refuse_sizes_and_days_they_cannot_honour() {
    let out = run(
        "export_sample",
        &["--users", "18446744073709551615", "--out", "/dev/null"],
    );
    assert_eq!(
        refusal(&out),
        "error: `users` asks for 18446744073709551615 users, more than the cap of \
         20000000 users; generate fewer users (or several logs with different seeds)"
    );
    for days in ["0", "99999"] {
        let out = run("health", &["--days", days]);
        let refusal = refusal(&out);
        assert!(
            refusal.starts_with("error: ")
                && refusal.ends_with(&format!(
                    "--days must be from 1 to 3000 (the sample's history is at most about 8 \
                     years), got {days}"
                )),
            "{refusal}"
        );
    }
}

#[test]
fn rfm_checks_32k_segment_rules_quickly() {
    let rules: Vec<String> = (0..32_768)
        .map(|i| format!(r#"{{"name": "r{i}", "r": [1, 5], "f": [1, 5], "m": [1, 5]}}"#))
        .collect();
    let rules = temp_file("rules.json", format!("[{}]", rules.join(",")).as_bytes());
    let input = temp_file(
        "orders.csv",
        b"user,time,amount\nana,2025-01-01,5\nbo,2025-01-02,7\ncy,2025-01-03,9\n",
    );
    let out = run(
        "rfm",
        &[
            "--input",
            input.to_str().unwrap(),
            "--user",
            "user",
            "--time",
            "time",
            "--amount",
            "amount",
            "--as-of",
            "2025-02-01",
            "--segments",
            rules.to_str().unwrap(),
            "--summary",
        ],
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Every customer in the first rule; the other 32,767 rules are reported as shadowed.
    assert!(stdout.contains("r0 "), "{stdout}");
}

/// The CDNOW log read by `clv` with no separator or header flags: the separator (runs of
/// spaces) and the missing header are read off the file, so the first purchase is a purchase,
/// not a header. Fader & Hardie's 1/10th sample has 6,919 purchases by 2,357 customers, and
/// BG/NBD on its 39-week calibration period gives r 0.243, alpha 4.414, a 0.793, b 2.426
/// (Fader, Hardie & Lee 2005).
#[test]
fn clv_reads_the_cdnow_log_without_header_flags() {
    let out = run(
        "clv",
        &[
            "fit",
            "--model",
            "bgnbd",
            "--input",
            "tests/data/cdnow_sample.txt",
            "--user",
            "#1",
            "--time",
            "#2",
            "--amount",
            "#4",
            "--calibration-end",
            "1997-09-30",
            "--unit",
            "week",
            "--format",
            "json",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("6919 rows read: 6919 accepted, 0 rejected"),
        "{stderr}"
    );
    assert!(stderr.contains("2357 customers"), "{stderr}");
    let fit: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    for (name, published) in [("r", 0.243), ("alpha", 4.414), ("a", 0.793), ("b", 2.426)] {
        let got = fit["params"][name].as_f64().unwrap();
        assert!(
            (got - published).abs() < 1e-3,
            "{name}: {got} vs {published}"
        );
    }
}

/// The CDNOW log (whitespace-separated, no header) read by `rfm` and `lifecycle` with the same
/// column flags as `clv`. The sample is 1/10th of the customers who made their first CDNOW
/// purchase in the first quarter of 1997 (Fader & Hardie): 2,357 customers, 6,919 purchases,
/// so every customer is new in January, February or March 1997 and nobody is new afterwards.
#[test]
fn rfm_and_lifecycle_read_the_cdnow_log() {
    let columns = [
        "--input",
        "tests/data/cdnow_sample.txt",
        "--user",
        "#1",
        "--time",
        "#2",
    ];
    let out = run(
        "rfm",
        &[
            &columns[..],
            &["--amount", "#4", "--as-of", "1998-07-01", "--format", "csv"],
        ]
        .concat(),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("6919 rows read: 6919 accepted, 0 rejected"),
        "{stderr}"
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        stdout.lines().count(),
        1 + 2357,
        "a header and one row per customer"
    );

    let out = run(
        "lifecycle",
        &[
            &columns[..],
            &[
                "--interval",
                "month",
                "--from",
                "1997-01-01",
                "--to",
                "1997-12-31",
            ],
            &["--model", "stages", "--format", "json"],
        ]
        .concat(),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    // Each month's "new" count: January to March sum to the customers, the rest are 0.
    let news: Vec<u64> = report["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| row["new"].as_u64().unwrap())
        .collect();
    assert_eq!(news.len(), 12);
    assert_eq!(news[..3].iter().sum::<u64>(), 2357);
    assert!(news[3..].iter().all(|&n| n == 0), "{news:?}");
}
