//! The `userops` command line: the library's models for your own file.
//!
//! ```text
//! userops rfm --input orders.csv --user customer --time date --amount revenue --as-of 2025-12-31
//! userops lifecycle --input events.csv --user user --time time --interval month \
//!     --from 2024-01-01 --to 2025-12-31 --model stages
//! userops clv fit --model bgnbd --input tests/data/cdnow_sample.txt --user '#1' --time '#2' \
//!     --amount '#4' --unit week --calibration-end 1997-09-30
//! userops sample --output events.csv
//! ```
//!
//! Every subcommand shares one input section (`--input`, `--delimiter`, `--header`,
//! `--no-header`, `--time-format`, `--zone`, `--drop-after-as-of`) and one output section
//! (`--format table|csv|json`, `--output FILE`). The reader's account — rows read, accepted,
//! rejected — is always one line on stderr; a progress bar joins it for reads over a second
//! when stderr is a terminal.
//!
//! The library's examples (`cargo run --example rfm -- ...`) are these subcommands under their
//! old names: [`run_as`] is their whole `main`.

#![deny(missing_docs)]

use std::ffi::OsString;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

pub mod cmd;
pub mod input;
pub mod output;

/// A subcommand's result: any error, shown as `error: ...` with exit code 1.
pub type Res<T> = Result<T, Box<dyn std::error::Error>>;

/// User-operations models for your own event file.
#[derive(Debug, Parser)]
#[command(name = "userops", version, about, long_about = None, propagate_version = true)]
pub struct Cli {
    /// What to compute.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// RFM scores and segments (order-level or customer-level rows).
    Rfm(cmd::rfm::RfmArgs),
    /// Lifecycle stages (new, retained, woken, returned, dormant, churned) or PostHog's view.
    Lifecycle(cmd::lifecycle::LifecycleArgs),
    /// Cohort retention table with PostHog's definitions.
    Retention(cmd::retention::RetentionArgs),
    /// Fit BTYD models (BG/NBD, MBG/NBD, Pareto/NBD, Gamma-Gamma) and forecast customer value.
    Clv(cmd::clv::ClvArgs),
    /// Product quadrant, metric tree, value tiers, Pareto share and growth levers.
    Value(cmd::value::ValueArgs),
    /// A/B tests: two proportions (R prop.test) or two means (Welch's t-test).
    Experiment(cmd::experiment::ExperimentArgs),
    /// User health index, alerts and three-colour warnings (a file, or the built-in sample).
    Health(cmd::health::HealthArgs),
    /// Write the built-in sample event log (user,time,amount,event) as CSV.
    Sample(cmd::sample::SampleArgs),
    /// The per-user label table: stage per period, inactivity, RFM, health, preference tags.
    Labels(cmd::labels::LabelsArgs),
    /// One self-contained HTML report: every model drawn as SVG, no script, no network.
    Report(cmd::report::ReportArgs),
    /// A conversion funnel with PostHog's semantics: ordered, strict or unordered steps, a
    /// window, exclusions, breakdown, date range, trend.
    Funnel(cmd::funnel::FunnelArgs),
    /// The most common paths after or before an event, as Sankey rows (PostHog's paths).
    Paths(cmd::paths::PathsArgs),
    /// What predicts retention: odds ratio, phi, χ² and q-value per event (PostHog's
    /// correlation).
    Correlation(cmd::correlation::CorrelationArgs),
    /// Multi-touch attribution: first/last touch, linear, time decay, position based, Markov
    /// removal effect, Shapley value.
    Attribution(cmd::attribution::AttributionArgs),
}

/// Runs the command line on `args` (the first is the program name) and returns the exit
/// code: 0 done, 1 an error in the work (printed as `error: ...`), 2 a usage error.
///
/// ```
/// use std::process::ExitCode;
/// // R: prop.test(c(20, 10), c(100, 100), correct = FALSE), printed as a table on stdout.
/// let args = ["userops", "experiment", "proportions", "--control-n", "100", "--control-x",
///     "10", "--treatment-n", "100", "--treatment-x", "20"];
/// assert_eq!(userops_cli::run(args), ExitCode::SUCCESS);
/// assert_eq!(userops_cli::run(["userops", "rfm", "--no-such-flag"]), ExitCode::from(2));
/// ```
pub fn run<I, T>(args: I) -> ExitCode
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() {
                ExitCode::from(2)
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    let result = match &cli.command {
        Command::Rfm(a) => cmd::rfm::run(a),
        Command::Lifecycle(a) => cmd::lifecycle::run(a),
        Command::Retention(a) => cmd::retention::run(a),
        Command::Clv(a) => cmd::clv::run(a),
        Command::Value(a) => cmd::value::run(a),
        Command::Experiment(a) => cmd::experiment::run(a),
        Command::Health(a) => cmd::health::run(a),
        Command::Sample(a) => cmd::sample::run(a),
        Command::Labels(a) => cmd::labels::run(a),
        Command::Report(a) => cmd::report::run(a),
        Command::Funnel(a) => cmd::funnel::run(a),
        Command::Paths(a) => cmd::paths::run(a),
        Command::Correlation(a) => cmd::correlation::run(a),
        Command::Attribution(a) => cmd::attribution::run(a),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Runs one subcommand on this process's arguments: `userops <subcommand> <args...>`. The
/// whole `main` of the library's command-line examples.
pub fn run_as(subcommand: &str) -> ExitCode {
    let mut args: Vec<OsString> = vec!["userops".into(), subcommand.into()];
    args.extend(std::env::args_os().skip(1));
    run(args)
}
