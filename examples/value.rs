//! Product quadrant, metric tree, value tiers, Pareto share and growth-lever counts from an
//! event file.
//!
//! ```text
//! cargo run --release --example value -- --input FILE --user COL --time COL [--amount COL]
//!     [--duration COL] [--event COL] --as-of DATE [--format table|json]
//!     [--window-days N] [--zone ZONE]
//! ```
//!
//! JSON output starts with `{"quadrant": {"frequency": "high"|"low", "payment": "direct"|"none", ...}, ...}`.

use std::error::Error;
use std::process::ExitCode;
use std::sync::Arc;

use chrono::{DateTime, TimeDelta, Utc};
use serde::Serialize;
use userops::csv::{Column, CsvSpec, read_events_from_path};
use userops::event::EventRecord;
use userops::fold::{Summary, fold};
use userops::metric::{
    CandidateParams, FallingParams, GlobalLift, GroupProfile, MetricDef, MetricSummary, MetricTree,
    PopulationReport, PreferenceSummary, TierParams, TierRow, ValueWeights, WeightRow, Window,
    conversion_candidates, falling_usage, global_lift, population, value_scores,
};
use userops::quadrant::{QuadrantParams, QuadrantReport, UsageSummary, classify};
use userops::time::{Zone, parse_date_or_time};

const HELP: &str = "\
value — product quadrant, metric tree, value tiers, Pareto share and growth levers

USAGE:
    value --input FILE --user COL --time COL [--amount COL] [--duration COL] [--event COL]
          --as-of DATE [--format table|json] [--window-days N] [--zone ZONE]

OPTIONS:
    --input FILE       events, one per row: CSV, TSV, ;- or whitespace-separated (detected)
    --user COL         user id column (name, or #N for the N-th column, 1-based)
    --time COL         event time column
    --amount COL       money paid in the event (optional)
    --duration COL     time spent in seconds (optional)
    --event COL        event name / feature (optional; used for preference tags)
    --as-of DATE       last day included (a date means through the end of that day;
                       a date-time is used as given)
    --format FMT       table (default) or json
    --window-days N    length of the value window before as-of (default 90); the window
                       before it is the earlier period for falling usage and global lift
    --zone ZONE        business time zone for days and months (default UTC)
    -h, --help         this help
";

struct Args {
    input: String,
    user: String,
    time: String,
    amount: Option<String>,
    duration: Option<String>,
    event: Option<String>,
    as_of: String,
    json: bool,
    window_days: u32,
    zone: Zone,
}

fn parse_args() -> Result<Option<Args>, String> {
    let mut it = std::env::args().skip(1);
    let (mut input, mut user, mut time, mut as_of) = (None, None, None, None);
    let (mut amount, mut duration, mut event) = (None, None, None);
    let mut json = false;
    let mut window_days = 90_u32;
    let mut zone = Zone::Utc;
    while let Some(flag) = it.next() {
        if flag == "-h" || flag == "--help" {
            return Ok(None);
        }
        let mut value = || it.next().ok_or_else(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--input" => input = Some(value()?),
            "--user" => user = Some(value()?),
            "--time" => time = Some(value()?),
            "--amount" => amount = Some(value()?),
            "--duration" => duration = Some(value()?),
            "--event" => event = Some(value()?),
            "--as-of" => as_of = Some(value()?),
            "--format" => {
                json = match value()?.as_str() {
                    "json" => true,
                    "table" => false,
                    other => return Err(format!("--format must be table or json, got {other:?}")),
                }
            }
            "--window-days" => {
                let v = value()?;
                window_days = v
                    .parse()
                    .ok()
                    .filter(|d| (1..=65_000).contains(d))
                    .ok_or_else(|| {
                        format!(
                            "--window-days must be a whole number from 1 to 65000 (178 years), got {:?}",
                            userops::error::shorten(&v)
                        )
                    })?;
            }
            "--zone" => zone = Zone::parse(&value()?).map_err(|e| e.to_string())?,
            other => return Err(format!("unknown option {other:?}")),
        }
    }
    let need = |v: Option<String>, name: &str| v.ok_or_else(|| format!("{name} is required"));
    Ok(Some(Args {
        input: need(input, "--input")?,
        user: need(user, "--user")?,
        time: need(time, "--time")?,
        as_of: need(as_of, "--as-of")?,
        amount,
        duration,
        event,
        json,
        window_days,
        zone,
    }))
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

fn run(args: Args) -> Result<(), Box<dyn Error>> {
    let mut spec = CsvSpec::new(Column::parse(&args.user), Column::parse(&args.time))
        .zone(args.zone)
        .sniffed(&args.input)?;
    if let Some(c) = &args.amount {
        spec = spec.amount(Column::parse(c));
    }
    if let Some(c) = &args.duration {
        spec = spec.duration(Column::parse(c));
    }
    if let Some(c) = &args.event {
        spec = spec.name(Column::parse(c));
    }
    let read = read_events_from_path(&args.input, &spec)?;
    eprintln!("{}", read.account());
    let date_only = args.as_of.trim().len() <= 10 && !args.as_of.contains(':');
    let mut as_of = parse_date_or_time(&args.as_of, &args.zone)?;
    if date_only {
        as_of += TimeDelta::days(1);
    }
    let events: Vec<&EventRecord<String>> = read.events.iter().filter(|e| e.at < as_of).collect();

    let figures = fold(UsageSummary::new(args.zone), events.iter().copied())?.finish()?;
    let quadrant = classify(&figures, &QuadrantParams::default())?;

    let tree = Arc::new(MetricTree::<EventRecord<String>>::standard().build()?);
    let window = Window::trailing_days(as_of, args.window_days)?;
    let report = fold(
        MetricSummary::new(Arc::clone(&tree), args.zone, window),
        events.iter().copied(),
    )?
    .finish()?;
    let metrics = population(&report, 10)?;
    let weights = ValueWeights::for_quadrant(&quadrant.quadrant());
    let value = value_scores(&report, &weights, &TierParams::default())?;
    let conversion = conversion_candidates(&report, &value, &CandidateParams::default())?;

    let earlier_window = window.previous()?;
    let earlier = fold(
        MetricSummary::new(Arc::clone(&tree), args.zone, earlier_window),
        events.iter().copied(),
    )?
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
            PreferenceSummary::months(args.zone, as_of - TimeDelta::milliseconds(1))?,
            events.iter().copied(),
        )?
        .finish()?;
        Some(prefs.profile(|_| true))
    } else {
        None
    };

    if args.json {
        let out = Output {
            quadrant,
            as_of,
            window,
            input: InputAccount {
                rows_read: read.rows_read,
                accepted: read.events.len(),
                rejected: read.rejected.len(),
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
        println!("{}", serde_json::to_string_pretty(&out)?);
        return Ok(());
    }
    println!("== Product quadrant (all events before {as_of}) ==\n{quadrant}\n");
    println!("== Metric tree ==\n{tree}\n");
    println!(
        "== Metrics per user, {} to {} ({} users) ==\n{metrics}\n",
        window.from,
        window.to,
        report.users.len()
    );
    println!("== User value ==\n{value}\n");
    println!("== Growth levers ==\n{conversion}");
    match &falling {
        Some(f) => println!("{f}"),
        None => println!("falling usage: no users in the earlier window"),
    }
    if let Some(l) = &lift {
        println!("\nglobal lift (earlier window -> this window):\n{l}");
    }
    if let Some(p) = &preferences {
        println!("\n== Preferences (last 3 months) ==\n{p}");
    }
    Ok(())
}

fn main() -> ExitCode {
    match parse_args() {
        Ok(None) => {
            print!("{HELP}");
            ExitCode::SUCCESS
        }
        Err(msg) => {
            eprintln!("error: {msg}\n\n{HELP}");
            ExitCode::from(2)
        }
        Ok(Some(args)) => match run(args) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("error: {e}");
                ExitCode::FAILURE
            }
        },
    }
}
