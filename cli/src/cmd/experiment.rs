//! `userops experiment`: A/B tests — two proportions (R `prop.test`) or two means (Welch's
//! t-test, R `t.test`).

use std::collections::BTreeMap;

use clap::{Args, Subcommand};
use userops::error::{quote_if_needed, shorten};
use userops::ops::experiment::{
    Proportion, ProportionOptions, TestReport, two_proportions, welch_t_test,
};

use crate::Res;
use crate::input::InputArgs;
use crate::output::{Format, OutputArgs};

/// Flags of `userops experiment`.
#[derive(Debug, Clone, Args)]
#[command(
    after_help = "Output: a readable table, or JSON with test, statistic, p_value, ci_low, \
ci_high, lift (difference = treatment - control; for proportions the statistic is z)."
)]
pub struct ExperimentArgs {
    /// proportions or means.
    #[command(subcommand)]
    pub test: Test,
}

/// Which test.
#[derive(Debug, Clone, Subcommand)]
pub enum Test {
    /// Two-proportion z-test (R prop.test): X successes out of N trials per group.
    Proportions(ProportionsArgs),
    /// Welch's t-test (R t.test) on a file with a header row: one row per observation.
    Means(MeansArgs),
}

/// Flags of `userops experiment proportions`.
#[derive(Debug, Clone, Args)]
pub struct ProportionsArgs {
    /// Control: trials (users).
    #[arg(long, value_name = "N")]
    pub control_n: u64,
    /// Control: successes (users).
    #[arg(long, value_name = "X")]
    pub control_x: u64,
    /// Treatment: trials (users).
    #[arg(long, value_name = "N")]
    pub treatment_n: u64,
    /// Treatment: successes (users).
    #[arg(long, value_name = "X")]
    pub treatment_x: u64,
    /// Yates' continuity correction (R prop.test's default is on; ours is off).
    #[arg(long)]
    pub continuity_correction: bool,
    /// Confidence level of the interval.
    #[arg(long, value_name = "C", default_value_t = 0.95)]
    pub confidence: f64,
    /// How and where the result is written.
    #[command(flatten)]
    pub output: OutputArgs,
}

/// Flags of `userops experiment means`.
#[derive(Debug, Clone, Args)]
pub struct MeansArgs {
    /// Which file and how to read it.
    #[command(flatten)]
    pub input: InputArgs,
    /// The group column.
    #[arg(long, value_name = "COL")]
    pub group: String,
    /// The value column.
    #[arg(long, value_name = "COL")]
    pub value: String,
    /// The control group's value in --group.
    #[arg(long, value_name = "NAME", default_value = "control")]
    pub control: String,
    /// The treatment group's value (default: the one other group in the file).
    #[arg(long, value_name = "NAME")]
    pub treatment: Option<String>,
    /// Confidence level of the interval.
    #[arg(long, value_name = "C", default_value_t = 0.95)]
    pub confidence: f64,
    /// How and where the result is written.
    #[command(flatten)]
    pub output: OutputArgs,
}

/// Runs `userops experiment`.
pub fn run(args: &ExperimentArgs) -> Res<()> {
    let (report, output) = match &args.test {
        Test::Proportions(a) => {
            let control = Proportion::new(a.control_x, a.control_n);
            let treatment = Proportion::new(a.treatment_x, a.treatment_n);
            let options = ProportionOptions {
                continuity_correction: a.continuity_correction,
                confidence: a.confidence,
            };
            (two_proportions(control, treatment, &options)?, &a.output)
        }
        Test::Means(a) => (means(a)?, &a.output),
    };
    match output.format {
        Format::Json => output.write(&format!("{}\n", serde_json::to_string_pretty(&report)?)),
        Format::Table => output.write(&format!("{report}\n")),
        Format::Csv => output.unsupported("experiment", "table or json"),
    }
}

fn means(a: &MeansArgs) -> Res<TestReport> {
    let path = a.input.path()?;
    let (separator, _) = if path == "-" {
        (b',', true)
    } else {
        a.input.separator()?
    };
    let group_col = a.group.as_str();
    let value_col = a.value.as_str();
    let control_name = a.control.as_str();
    // Per group: (line, value) in file order.
    let mut by_group: BTreeMap<String, Vec<(u64, f64)>> = BTreeMap::new();
    let mut rejected: Vec<(u64, String)> = Vec::new();
    let mut rows = 0u64;
    let mut columns: Option<(usize, usize)> = None;
    // The library's row splitter: exact line numbers (blank lines, quoted line breaks) and an
    // unterminated quote named, not a file swallowed.
    userops::csv::read_rows(a.input.open()?, separator, |line, row| {
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
    })?;
    if columns.is_none() {
        return Err(format!("{path}: no header row (the file is empty)").into());
    }
    let treatment_name = match &a.treatment {
        Some(t) => t.clone(),
        None => {
            let others: Vec<&String> = by_group.keys().filter(|g| *g != control_name).collect();
            match others.as_slice() {
                [one] => (*one).clone(),
                [] => {
                    return Err(format!("no group other than {control_name:?} in {path}").into());
                }
                many => {
                    return Err(format!(
                        "more than one treatment group ({}); choose one with --treatment",
                        many.iter()
                            .map(|s| s.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    )
                    .into());
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
    Ok(welch_t_test(&control, &treatment, a.confidence)?)
}
