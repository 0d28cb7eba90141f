//! `userops value`: product quadrant, metric tree, value tiers, Pareto share and growth
//! levers.

use std::fmt::Write as _;
use std::sync::Arc;

use chrono::{DateTime, TimeDelta, Utc};
use clap::Args;
use serde::Serialize;
use userops::event::EventRecord;
use userops::fold::{Summary, fold};
use userops::metric::{
    CandidateParams, FallingParams, GlobalLift, GroupProfile, MetricDef, MetricSummary, MetricTree,
    PopulationReport, PreferenceSummary, TierParams, TierRow, ValueWeights, WeightRow, Window,
    conversion_candidates, falling_usage, global_lift, population, value_scores,
};
use userops::quadrant::{QuadrantParams, QuadrantReport, UsageSummary, classify};
use userops::time::parse_date_or_time;

use crate::Res;
use crate::input::{Columns, InputArgs};
use crate::output::{Format, OutputArgs};

/// Flags of `userops value`.
#[derive(Debug, Clone, Args)]
pub struct ValueArgs {
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
    /// Money paid in the event.
    #[arg(long, value_name = "COL")]
    pub amount: Option<String>,
    /// Time spent in the event, in seconds.
    #[arg(long, value_name = "COL")]
    pub duration: Option<String>,
    /// Event name / feature (used for preference tags).
    #[arg(long, value_name = "COL")]
    pub event: Option<String>,
    /// Last day included (a date means through the end of that day; a date-time is used as
    /// given).
    #[arg(long, value_name = "DATE", allow_hyphen_values = true)]
    pub as_of: String,
    /// Length of the value window before as-of, in days; the window before it is the earlier
    /// period for falling usage and global lift.
    #[arg(long, value_name = "N", default_value_t = 90, value_parser = clap::value_parser!(u32).range(1..=65000))]
    pub window_days: u32,
}

/// The input rows, as the CSV reader accounted for them.
#[derive(Serialize)]
struct InputAccount {
    rows_read: u64,
    accepted: usize,
    rejected: usize,
}

/// Value tiers and the Pareto share.
#[derive(Serialize)]
struct ValueSection {
    users: usize,
    weights: Vec<WeightRow>,
    tiers: Vec<TierRow>,
    pareto_share: f64,
}

/// How many users each growth lever found.
#[derive(Serialize)]
struct CandidateCounts {
    /// Low-value users who behave like high-value ones.
    conversion: usize,
    /// High-value users (of the earlier window) whose visit frequency fell by 30% or more.
    falling_usage: Option<usize>,
    /// High-value users in the earlier window.
    high_value_users_before: Option<u64>,
}

/// The whole output; `quadrant` is the first key.
#[derive(Serialize)]
struct Output {
    quadrant: QuadrantReport,
    as_of: DateTime<Utc>,
    window: Window,
    input: InputAccount,
    tree: Vec<MetricDef>,
    metrics: PopulationReport,
    value: ValueSection,
    candidates: CandidateCounts,
    global_lift: Option<GlobalLift>,
    preferences: Option<GroupProfile>,
}

/// Runs `userops value`.
pub fn run(args: &ValueArgs) -> Res<()> {
    if args.output.format == Format::Csv {
        return args.output.unsupported("value", "table or json");
    }
    let zone = args.input.zone;
    let date_only = args.as_of.trim().len() <= 10 && !args.as_of.contains(':');
    let mut as_of = parse_date_or_time(&args.as_of, &zone)?;
    if date_only {
        as_of += TimeDelta::days(1);
    }
    let columns = Columns {
        user: args.user.clone(),
        time: args.time.clone(),
        amount: args.amount.clone(),
        duration: args.duration.clone(),
        name: args.event.clone(),
        ..Columns::default()
    };
    // Value reads only what came before as-of, so later rows never fail it.
    let read = args.input.load(&columns, None)?;
    let events: Vec<&EventRecord<String>> = read.events.iter().filter(|e| e.at < as_of).collect();

    let figures = fold(UsageSummary::new(zone), events.iter().copied())?.finish()?;
    let quadrant = classify(&figures, &QuadrantParams::default())?;

    let tree = Arc::new(MetricTree::standard().build()?);
    let window = Window::trailing_days(as_of, args.window_days)?;
    let report = MetricSummary::new(Arc::clone(&tree), zone, window)
        .fold_events(events.iter().copied())?
        .finish()?;
    let metrics = population(&report, 10)?;
    let weights = ValueWeights::for_quadrant(&quadrant.quadrant());
    let value = value_scores(&report, &weights, &TierParams::default())?;
    let conversion = conversion_candidates(&report, &value, &CandidateParams::default())?;

    let earlier_window = window.previous()?;
    let earlier = MetricSummary::new(Arc::clone(&tree), zone, earlier_window)
        .fold_events(events.iter().copied())?
        .finish()?;
    let (falling, lift) = if earlier.users.is_empty() {
        (None, None)
    } else {
        let earlier_value = value_scores(&earlier, &weights, &TierParams::default())?;
        (
            Some(falling_usage(
                &earlier,
                &earlier_value,
                &report,
                &FallingParams::default(),
            )?),
            Some(global_lift(&earlier, &report)?),
        )
    };
    let preferences = if args.event.is_some() {
        let prefs = fold(
            PreferenceSummary::months(zone, as_of - TimeDelta::milliseconds(1))?,
            events.iter().copied(),
        )?
        .finish()?;
        Some(prefs.profile(|_| true))
    } else {
        None
    };

    if args.output.format == Format::Json {
        let out = Output {
            quadrant,
            as_of,
            window,
            input: InputAccount {
                rows_read: read.rows_read,
                accepted: read.events.len(),
                rejected: read.rejected as usize,
            },
            tree: tree.defs().to_vec(),
            metrics,
            value: ValueSection {
                users: value.users.len(),
                weights: value.weights.clone(),
                tiers: value.tiers.clone(),
                pareto_share: value.pareto_share,
            },
            candidates: CandidateCounts {
                conversion: conversion.users.len(),
                falling_usage: falling.as_ref().map(|f| f.users.len()),
                high_value_users_before: falling.as_ref().map(|f| f.high_value_users),
            },
            global_lift: lift,
            preferences,
        };
        return args
            .output
            .write(&format!("{}\n", serde_json::to_string_pretty(&out)?));
    }
    let mut text = String::new();
    writeln!(
        text,
        "== Product quadrant (all events before {as_of}) ==\n{quadrant}\n"
    )?;
    writeln!(text, "== Metric tree ==\n{tree}\n")?;
    writeln!(
        text,
        "== Metrics per user, {} to {} ({} users) ==\n{metrics}\n",
        window.from,
        window.to,
        report.users.len()
    )?;
    writeln!(text, "== User value ==\n{value}\n")?;
    writeln!(text, "== Growth levers ==\n{conversion}")?;
    match &falling {
        Some(f) => writeln!(text, "{f}")?,
        None => writeln!(text, "falling usage: no users in the earlier window")?,
    }
    if let Some(l) = &lift {
        writeln!(text, "\nglobal lift (earlier window -> this window):\n{l}")?;
    }
    if let Some(p) = &preferences {
        writeln!(text, "\n== Preferences (last 3 months) ==\n{p}")?;
    }
    args.output.write(&text)
}
