//! `userops correlation`: what predicts retention — odds ratio, phi, χ² p-value and
//! Benjamini–Hochberg q-value per event and per "did X at least n times within d days".

use clap::Args;
use userops::correlation::{CorrelationParams, correlate};
use userops::fold::{FoldTable, Summary};
use userops::funnel::parse_window;
use userops::journey::JourneySummary;
use userops::time::parse_instant;

use crate::Res;
use crate::input::{Columns, InputArgs};
use crate::output::{Format, OutputArgs};

/// Flags of `userops correlation`.
#[derive(Debug, Clone, Args)]
pub struct CorrelationArgs {
    /// Which file and how to read it.
    #[command(flatten)]
    pub input: InputArgs,
    /// How and where the result is written.
    #[command(flatten)]
    pub output: OutputArgs,
    /// User id column (name, or #N from 0).
    #[arg(long, value_name = "COL")]
    pub user: String,
    /// Event time column.
    #[arg(long, value_name = "COL")]
    pub time: String,
    /// Event name column.
    #[arg(long, value_name = "COL")]
    pub event: String,
    /// The event that starts a user (* = their first event).
    #[arg(long, value_name = "NAME")]
    pub start_event: String,
    /// The event that counts as a return (* = any event).
    #[arg(long, value_name = "NAME")]
    pub return_event: String,
    /// The end of the data: users whose retention window is not over are left out.
    #[arg(long, value_name = "DATETIME", allow_hyphen_values = true)]
    pub as_of: String,
    /// Behaviour counted in the first W after the start.
    #[arg(long, value_name = "W", default_value = "7d")]
    pub behaviour: String,
    /// Retained: a return event from W after the start ...
    #[arg(long, value_name = "W", default_value = "7d")]
    pub retained_from: String,
    /// ... to before W after the start.
    #[arg(long, value_name = "W", default_value = "28d")]
    pub retained_to: String,
    /// Thresholds of "did X at least n times" (comma-separated).
    #[arg(long, value_name = "N,M", value_delimiter = ',', default_value = "1")]
    pub at_least: Vec<u32>,
    /// Event names not to test (comma-separated).
    #[arg(long, value_name = "A,B", value_delimiter = ',')]
    pub exclude: Vec<String>,
}

/// Runs `userops correlation`.
pub fn run(args: &CorrelationArgs) -> Res<()> {
    let zone = args.input.zone;
    let spec = CorrelationParams::new(
        args.start_event.clone(),
        args.return_event.clone(),
        parse_instant(&args.as_of, &zone)?,
    )
    .behaviour(parse_window(&args.behaviour)?)
    .retained_between(
        parse_window(&args.retained_from)?,
        parse_window(&args.retained_to)?,
    )
    .at_least(args.at_least.clone())
    .exclude(args.exclude.iter().map(|s| s.trim()))
    .check()?;
    let columns = Columns {
        user: args.user.clone(),
        time: args.time.clone(),
        name: Some(args.event.clone()),
        ..Columns::default()
    };
    let table = args.input.load_table(&columns)?;
    let mut summary = JourneySummary::new();
    summary.observe_table(&table)?;
    let report = correlate(&summary.finish()?, &spec);
    match args.output.format {
        Format::Json => args
            .output
            .write(&format!("{}\n", serde_json::to_string(&report)?)),
        Format::Table => args.output.write(&report.to_string()),
        Format::Csv => args.output.unsupported("correlation", "table or json"),
    }
}
