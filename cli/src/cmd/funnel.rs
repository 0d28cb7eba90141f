//! `userops funnel`: a conversion funnel with PostHog's semantics.

use std::collections::HashMap;
use std::time::Instant;

use chrono::{DateTime, TimeDelta, Utc, Weekday};
use clap::Args;
use userops::fold::{FoldTable, Summary, fold};
use userops::funnel::{
    Entry, Exclusion, FunnelParams, FunnelSummary, StepMatch, StepOrder, parse_window,
};
use userops::time::{Calendar, Interval, parse_instant, parse_weekday};

use crate::Res;
use crate::input::{Columns, InputArgs};
use crate::output::{Format, OutputArgs};

/// Flags of `userops funnel`.
#[derive(Debug, Clone, Args)]
#[command(
    after_help = "JSON output: {\"funnel\": {\"steps\": [{\"count\": N, ...}, ...], ...}, \
\"trend\": ...}; counts are users. --timing prints {\"stage\": \"funnel\", \"seconds\": S} to \
stderr (the fold and the report, the read excluded)."
)]
pub struct FunnelArgs {
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
    /// The steps' event names, in order (* = any event); at least two.
    #[arg(long, value_name = "A,B,C", value_delimiter = ',', required = true)]
    pub steps: Vec<String>,
    /// Conversion window: 7d, 14 days, 1h, 30min, 15s, 2w.
    #[arg(long, value_name = "W", default_value = "14d")]
    pub window: String,
    /// ordered (other events may come between), strict or unordered.
    #[arg(long, value_name = "O", default_value = "ordered")]
    pub order: String,
    /// every (the user's furthest attempt counts) or first.
    #[arg(long, value_name = "E", default_value = "every")]
    pub entry: String,
    /// An exclusion: event NAME between steps FROM and TO (0-based); repeatable.
    #[arg(long, value_name = "NAME:FROM:TO")]
    pub exclude: Vec<String>,
    /// Break down by a user attribute column (a user's first non-empty value).
    #[arg(long, value_name = "COL")]
    pub breakdown: Option<String>,
    /// Also print conversion per day, week or month of entry.
    #[arg(long, value_name = "I")]
    pub trend: Option<String>,
    /// First day of a week for --trend week: sunday or monday.
    #[arg(long, value_name = "D", default_value = "sunday")]
    pub week_start: String,
    /// Only events at or after DATE count (PostHog's date_from).
    #[arg(long, value_name = "DATE", allow_hyphen_values = true)]
    pub from: Option<String>,
    /// Only events at or before DATE count, every step included (PostHog's date_to); a date
    /// without a time means the end of that day.
    #[arg(long, value_name = "DATE", allow_hyphen_values = true)]
    pub to: Option<String>,
    /// Time-to-convert histogram bins.
    #[arg(long, value_name = "N")]
    pub bins: Option<usize>,
    /// Print the fold's seconds to stderr as JSON.
    #[arg(long)]
    pub timing: bool,
}

/// Runs `userops funnel`.
pub fn run(a: &FunnelArgs) -> Res<()> {
    let zone = a.input.zone;
    let steps: Vec<String> = a.steps.iter().map(|s| s.trim().to_string()).collect();
    let mut params = FunnelParams::new(&steps)
        .window(parse_window(&a.window)?)
        .order(StepOrder::parse(&a.order)?)
        .entry(Entry::parse(&a.entry)?);
    if let Some(b) = a.bins {
        params = params.bins(b);
    }
    for x in &a.exclude {
        let parts: Vec<&str> = x.rsplitn(3, ':').collect();
        let [to, from, name] = parts[..] else {
            return Err(format!("--exclude wants NAME:FROM:TO, got {x:?}").into());
        };
        let step = |s: &str| {
            s.parse::<usize>()
                .map_err(|_| format!("--exclude: {s:?} is not a step number"))
        };
        params = params.exclude(Exclusion::new(
            StepMatch::named(name),
            step(from)?,
            step(to)?,
        ));
    }
    if a.from.is_some() || a.to.is_some() {
        let from = match &a.from {
            Some(t) => parse_instant(t, &zone)?,
            None => DateTime::<Utc>::MIN_UTC,
        };
        let to = match &a.to {
            // A date alone (YYYY-MM-DD) is the whole day: up to its last microsecond.
            Some(t) if t.trim().len() == 10 => {
                parse_instant(t, &zone)? + TimeDelta::days(1) - TimeDelta::microseconds(1)
            }
            Some(t) => parse_instant(t, &zone)?,
            None => DateTime::<Utc>::MAX_UTC,
        };
        params = params.date_range(from, to);
    }
    let spec = params.check()?;
    let mut columns = Columns {
        user: a.user.clone(),
        time: a.time.clone(),
        name: Some(a.event.clone()),
        ..Columns::default()
    };
    let started;
    let (outcomes, by) = if let Some(col) = &a.breakdown {
        columns.attributes.push(col.clone());
        let read = a.input.load(&columns, None)?;
        let mut by: HashMap<String, String> = HashMap::new();
        for e in &read.events {
            if let Some(v) = e
                .attributes
                .first()
                .map(|s| s.trim())
                .filter(|s| !s.is_empty())
            {
                by.entry(e.user.clone()).or_insert_with(|| v.to_string());
            }
        }
        started = Instant::now();
        (
            fold(FunnelSummary::new(spec), &read.events)?.finish()?,
            Some(by),
        )
    } else {
        let table = a.input.load_table(&columns)?;
        started = Instant::now();
        let mut summary = FunnelSummary::new(spec);
        summary.observe_table(&table)?;
        (summary.finish()?, None)
    };
    let report = match &by {
        Some(by) => outcomes.report_by(by),
        None => outcomes.report(),
    };
    if a.timing {
        eprintln!(
            "{{\"stage\": \"funnel\", \"seconds\": {}}}",
            started.elapsed().as_secs_f64()
        );
    }
    let trend = match &a.trend {
        Some(i) => {
            let week_start: Weekday = parse_weekday(&a.week_start)?;
            Some(outcomes.trend(&Calendar::new(zone, Interval::parse(i, week_start)?)))
        }
        None => None,
    };
    match a.output.format {
        Format::Json => a.output.write(&format!(
            "{}\n",
            serde_json::json!({"funnel": report, "trend": trend})
        )),
        Format::Table => {
            let mut text = report.to_string();
            if let Some(t) = trend {
                text.push_str(&format!("\n{t}"));
            }
            a.output.write(&text)
        }
        Format::Csv => a.output.unsupported("funnel", "table or json"),
    }
}
