//! Significance of an experiment: a strategy (treatment) against its control.
//!
//! ```text
//! cargo run --release --example experiment -- proportions --control-n N --control-x X \
//!     --treatment-n N --treatment-x X [--continuity-correction] [--confidence C] [--format json]
//! cargo run --release --example experiment -- means --input FILE --group COL --value COL \
//!     [--control NAME] [--treatment NAME] [--confidence C] [--format json]
//! ```
//!
//! `proportions` runs the two-proportion z-test (R `prop.test`; `--continuity-correction` is
//! R's default `correct = TRUE`). `means` runs Welch's t-test (R `t.test`) on a CSV file with a
//! header row: the `--group` column names each row's group, the `--value` column holds the
//! number. Rows whose group equals `--control` (default `control`) are the control; the
//! treatment is `--treatment` when given, otherwise the one other group value in the file (more
//! than one other value is an error asking for `--treatment`). Rows of other groups, with an
//! empty group, or with a value that is not a finite number are rejected and accounted for on
//! stderr, with line numbers.
//!
//! JSON output: `{"test": ..., "statistic": ..., "p_value": ..., "ci_low": ..., "ci_high": ...,
//! "lift": ..., ...}` — the difference is treatment − control; for proportions the statistic
//! is z (R's X-squared is `chi_square`).

use std::collections::BTreeMap;
use std::process::ExitCode;
use userops::error::{quote_if_needed, shorten};

use userops::ops::experiment::{
    Proportion, ProportionOptions, TestReport, two_proportions, welch_t_test,
};

const HELP: &str = "usage:
  experiment proportions --control-n N --control-x X --treatment-n N --treatment-x X
                         [--continuity-correction] [--confidence C] [--format json]
  experiment means --input FILE --group COL --value COL
                   [--control NAME] [--treatment NAME] [--confidence C] [--format json]

proportions: two-proportion z-test (R prop.test); X successes out of N trials per group.
means:       Welch's t-test (R t.test) on a CSV file with a header row. Rows whose group is
             --control (default \"control\") are the control; the treatment is --treatment, or
             the one other group value in the file. Rejected rows are listed on stderr.
Output: a readable table, or JSON with test, statistic, p_value, ci_low, ci_high, lift
(difference = treatment - control; for proportions the statistic is z).";

struct Args {
    flags: BTreeMap<String, String>,
    switches: Vec<String>,
}

fn parse(args: &[String], with_value: &[&str], switches: &[&str]) -> Result<Args, String> {
    let mut out = Args {
        flags: BTreeMap::new(),
        switches: Vec::new(),
    };
    let mut it = args.iter();
    while let Some(a) = it.next() {
        if switches.contains(&a.as_str()) {
            out.switches.push(a.clone());
        } else if with_value.contains(&a.as_str()) {
            let v = it.next().ok_or_else(|| format!("{a} needs a value"))?;
            out.flags.insert(a.clone(), v.clone());
        } else {
            return Err(format!("unknown argument {a:?}"));
        }
    }
    Ok(out)
}

impl Args {
    fn required(&self, flag: &str) -> Result<&str, String> {
        self.flags
            .get(flag)
            .map(String::as_str)
            .ok_or_else(|| format!("{flag} is required"))
    }
    fn count(&self, flag: &str) -> Result<u64, String> {
        let v = self.required(flag)?;
        v.parse()
            .map_err(|_| format!("{flag} must be a whole number >= 0, got {v:?}"))
    }
    fn confidence(&self) -> Result<f64, String> {
        match self.flags.get("--confidence") {
            None => Ok(0.95),
            Some(v) => v
                .parse()
                .map_err(|_| format!("--confidence must be a number, got {v:?}")),
        }
    }
    fn json(&self) -> Result<bool, String> {
        match self.flags.get("--format").map(String::as_str) {
            None | Some("text") => Ok(false),
            Some("json") => Ok(true),
            Some(other) => Err(format!("--format must be json or text, got {other:?}")),
        }
    }
}

fn proportions(args: &[String]) -> Result<(TestReport, bool), String> {
    let a = parse(
        args,
        &[
            "--control-n",
            "--control-x",
            "--treatment-n",
            "--treatment-x",
            "--confidence",
            "--format",
        ],
        &["--continuity-correction"],
    )?;
    let control = Proportion::new(a.count("--control-x")?, a.count("--control-n")?);
    let treatment = Proportion::new(a.count("--treatment-x")?, a.count("--treatment-n")?);
    let options = ProportionOptions {
        continuity_correction: a.switches.iter().any(|s| s == "--continuity-correction"),
        confidence: a.confidence()?,
    };
    let report = two_proportions(control, treatment, &options).map_err(|e| e.to_string())?;
    Ok((report, a.json()?))
}

fn means(args: &[String]) -> Result<(TestReport, bool), String> {
    let a = parse(
        args,
        &[
            "--input",
            "--group",
            "--value",
            "--control",
            "--treatment",
            "--confidence",
            "--format",
        ],
        &[],
    )?;
    let path = a.required("--input")?;
    let group_col = a.required("--group")?;
    let value_col = a.required("--value")?;
    let control_name = a.flags.get("--control").map_or("control", String::as_str);
    let file = std::fs::File::open(path).map_err(|e| format!("cannot read {path}: {e}"))?;
    // Per group: (line, value) in file order.
    let mut by_group: BTreeMap<String, Vec<(u64, f64)>> = BTreeMap::new();
    let mut rejected: Vec<(u64, String)> = Vec::new();
    let mut rows = 0u64;
    let mut columns: Option<(usize, usize)> = None;
    // The library's row splitter: exact line numbers (blank lines, quoted line breaks) and an
    // unterminated quote named, not a file swallowed.
    userops::csv::read_rows(std::io::BufReader::new(file), b',', |line, row| {
        let Some((gi, vi)) = columns else {
            let fields =
                row.map_err(|r| userops::Error::Read(format!("{path}: no header row: {r}")))?;
            let headers: Vec<String> = fields
                .iter()
                .map(|f| userops::csv::header_name(f))
                .collect();
            let find = |name: &str| {
                headers.iter().position(|h| h == name).ok_or_else(|| {
                    userops::Error::UnknownColumn {
                        column: shorten(name),
                        available: headers
                            .iter()
                            .map(|h| quote_if_needed(h))
                            .collect::<Vec<_>>()
                            .join(", "),
                    }
                })
            };
            columns = Some((find(group_col)?, find(value_col)?));
            return Ok(());
        };
        rows += 1;
        let record = match row {
            Ok(r) => r,
            Err(reason) => {
                rejected.push((line, reason.to_string()));
                return Ok(());
            }
        };
        let group = record.get(gi).map_or("", |g| g.trim());
        if group.is_empty() {
            rejected.push((line, format!("empty or missing {:?}", shorten(group_col))));
            return Ok(());
        }
        let raw = record.get(vi).map_or("", |v| v.trim());
        match raw.parse::<f64>() {
            Ok(v) if v.is_finite() => by_group
                .entry(group.to_string())
                .or_default()
                .push((line, v)),
            _ => rejected.push((
                line,
                format!(
                    "{:?} is {:?}, not a finite number",
                    shorten(value_col),
                    shorten(raw)
                ),
            )),
        }
        Ok(())
    })
    .map_err(|e| e.to_string())?;
    if columns.is_none() {
        return Err(format!("{path}: no header row (the file is empty)"));
    }
    let treatment_name = match a.flags.get("--treatment") {
        Some(t) => t.clone(),
        None => {
            let others: Vec<&String> = by_group.keys().filter(|g| *g != control_name).collect();
            match others.as_slice() {
                [one] => (*one).clone(),
                [] => return Err(format!("no group other than {control_name:?} in {path}")),
                many => {
                    return Err(format!(
                        "more than one treatment group ({}); choose one with --treatment",
                        many.iter()
                            .map(|s| s.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ));
                }
            }
        }
    };
    for (g, values) in &by_group {
        if *g != control_name && *g != treatment_name {
            for (line, _) in values {
                rejected.push((
                    *line,
                    format!("group {g:?} is neither control nor treatment"),
                ));
            }
        }
    }
    rejected.sort_by_key(|(line, _)| *line);
    let values = |name: &str| -> Vec<f64> {
        by_group
            .get(name)
            .map(|v| v.iter().map(|(_, x)| *x).collect())
            .unwrap_or_default()
    };
    let control = values(control_name);
    let treatment = values(&treatment_name);
    eprintln!(
        "{path}: {rows} rows read: {} control ({control_name}), {} treatment ({treatment_name}), {} rejected",
        control.len(),
        treatment.len(),
        rejected.len()
    );
    for (line, why) in rejected.iter().take(20) {
        eprintln!("  line {line}: {why}");
    }
    if rejected.len() > 20 {
        eprintln!("  ... and {} more", rejected.len() - 20);
    }
    let report = welch_t_test(&control, &treatment, a.confidence()?).map_err(|e| e.to_string())?;
    Ok((report, a.json()?))
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.is_empty() || args.iter().any(|a| a == "--help" || a == "-h") {
        println!("{HELP}");
        return if args.is_empty() {
            ExitCode::from(2)
        } else {
            ExitCode::SUCCESS
        };
    }
    let result = match args[0].as_str() {
        "proportions" => proportions(&args[1..]),
        "means" => means(&args[1..]),
        other => Err(format!(
            "unknown command {other:?}: use `proportions` or `means` (see --help)"
        )),
    };
    match result {
        Ok((report, json)) => {
            if json {
                match serde_json::to_string_pretty(&report) {
                    Ok(s) => println!("{s}"),
                    Err(e) => {
                        eprintln!("error: {e}");
                        return ExitCode::FAILURE;
                    }
                }
            } else {
                println!("{report}");
            }
            ExitCode::SUCCESS
        }
        Err(msg) => {
            eprintln!("error: {msg}");
            ExitCode::from(2)
        }
    }
}
