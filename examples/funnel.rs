//! A conversion funnel from an event file, with PostHog's semantics.
//!
//! ```text
//! cargo run --release --example funnel -- --input FILE --user COL --time COL --event COL \
//!     --steps A,B,C [--window 14d] [--order ordered|strict|unordered] [--entry every|first] \
//!     [--exclude NAME:FROM:TO] [--breakdown COL] [--trend day|week|month] [--week-start D] \
//!     [--from DATE] [--to DATE] [--tz ZONE] [--bins N] [--format table|json] [--timing]
//! ```
//!
//! The logic is the library's (`userops::funnel`); this file reads flags and prints. The
//! reader's account of rows read and rejected goes to stderr; `--timing` prints
//! `{"stage": "funnel", "seconds": S}` to stderr (the fold and the report, the read excluded),
//! which `scripts/compare/compare_funnel.py` reads.

use std::collections::HashMap;
use std::error::Error;
use std::process::ExitCode;
use std::time::Instant;

use chrono::{DateTime, TimeDelta, Utc, Weekday};
use userops::csv::{CsvSpec, read_events_from_path, read_table_from_path};
use userops::fold::{FoldTable, Summary, fold};
use userops::funnel::{
    Entry, Exclusion, FunnelParams, FunnelSummary, StepMatch, StepOrder, parse_window,
};
use userops::time::{Calendar, Interval, Zone, parse_instant, parse_weekday};

const USAGE: &str = "usage: funnel --input FILE --user COL --time COL --event COL --steps A,B,C \
[--window 14d] [--order ordered|strict|unordered] [--entry every|first] [--exclude NAME:FROM:TO] \
[--breakdown COL] [--trend day|week|month] [--week-start sunday|monday] [--from DATE] [--to DATE] \
[--tz ZONE] [--bins N] [--format table|json] [--timing]

  --input FILE        CSV file with a header row (columns by name, or #N for the N-th, 0-based)
  --user COL          user id column
  --time COL          event time column (RFC 3339, YYYY-MM-DD[ HH:MM:SS], YYYYMMDD, unix seconds)
  --event COL         event name column
  --steps A,B,C       the steps' event names, in order (* = any event); at least two
  --window W          conversion window: 7d, 14 days, 1h, 30min, 15s, 2w (default 14d)
  --order O           ordered (default), strict or unordered
  --entry E           every (default: the user's furthest attempt counts) or first
  --exclude N:F:T     an exclusion: event N between steps F and T (0-based); repeatable
  --breakdown COL     break down by a user attribute column (a user's first non-empty value)
  --trend I           also print conversion per day, week or month of entry
  --week-start D      first day of a week for --trend week: sunday (default) or monday
  --from DATE         only events at or after DATE count (PostHog's date_from), read in --tz
  --to DATE           only events at or before DATE count, every step included (PostHog's
                      date_to); a date without a time means the end of that day
  --tz ZONE           IANA zone or fixed offset (default UTC); times without offset are read in it
  --bins N            time-to-convert histogram bins (default 10)
  --format F          table (default) or json
  --timing            print the fold's seconds to stderr as JSON";

fn main() -> ExitCode {
    let argv: Vec<String> = std::env::args().skip(1).collect();
    if argv.is_empty() || argv.iter().any(|a| a == "-h" || a == "--help") {
        println!("{USAGE}");
        return ExitCode::SUCCESS;
    }
    match run(&argv) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}\n\n{USAGE}");
            ExitCode::from(2)
        }
    }
}

fn run(argv: &[String]) -> Result<(), Box<dyn Error>> {
    let mut flags: HashMap<&str, String> = HashMap::new();
    let mut exclusions = Vec::new();
    let mut timing = false;
    let mut it = argv.iter();
    while let Some(flag) = it.next() {
        match flag.as_str() {
            "--timing" => timing = true,
            "--input" | "--user" | "--time" | "--event" | "--steps" | "--window" | "--order"
            | "--entry" | "--breakdown" | "--trend" | "--week-start" | "--tz" | "--bins"
            | "--format" | "--exclude" | "--from" | "--to" => {
                let value = it.next().ok_or_else(|| format!("{flag} needs a value"))?;
                if flag == "--exclude" {
                    exclusions.push(value.clone());
                } else {
                    flags.insert(flag.trim_start_matches("--"), value.clone());
                }
            }
            other => return Err(format!("unknown argument {other:?}").into()),
        }
    }
    let need = |k: &str| {
        flags
            .get(k)
            .cloned()
            .ok_or_else(|| format!("--{k} is required"))
    };
    let steps: Vec<String> = need("steps")?
        .split(',')
        .map(|s| s.trim().to_string())
        .collect();
    let mut params = FunnelParams::new(&steps)
        .window(parse_window(
            flags.get("window").map_or("14d", String::as_str),
        )?)
        .order(StepOrder::parse(
            flags.get("order").map_or("ordered", String::as_str),
        )?)
        .entry(Entry::parse(
            flags.get("entry").map_or("every", String::as_str),
        )?);
    if let Some(b) = flags.get("bins") {
        params = params.bins(
            b.parse()
                .map_err(|_| format!("--bins must be a whole number, got {b:?}"))?,
        );
    }
    for x in &exclusions {
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
    let tz = match flags.get("tz") {
        Some(z) => Zone::parse(z)?,
        None => Zone::Utc,
    };
    if flags.contains_key("from") || flags.contains_key("to") {
        let from = match flags.get("from") {
            Some(t) => parse_instant(t, &tz)?,
            None => DateTime::<Utc>::MIN_UTC,
        };
        let to = match flags.get("to") {
            // A date alone (YYYY-MM-DD) is the whole day: up to its last microsecond.
            Some(t) if t.trim().len() == 10 => {
                parse_instant(t, &tz)? + TimeDelta::days(1) - TimeDelta::microseconds(1)
            }
            Some(t) => parse_instant(t, &tz)?,
            None => DateTime::<Utc>::MAX_UTC,
        };
        params = params.date_range(from, to);
    }
    let spec = params.check()?;
    let mut csv = CsvSpec::new(need("user")?.as_str(), need("time")?.as_str())
        .name(need("event")?.as_str())
        .zone(tz);
    let input = need("input")?;
    let started;
    let (outcomes, by) = if let Some(col) = flags.get("breakdown") {
        csv = csv.attribute(col.as_str());
        let read = read_events_from_path(&input, &csv)?;
        eprintln!("{}", read.account());
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
        let read = read_table_from_path(&input, &csv)?;
        eprintln!("{}", read.account());
        started = Instant::now();
        let mut summary = FunnelSummary::new(spec);
        summary.observe_table(&read.table)?;
        (summary.finish()?, None)
    };
    let report = match &by {
        Some(by) => outcomes.report_by(by),
        None => outcomes.report(),
    };
    if timing {
        eprintln!(
            "{{\"stage\": \"funnel\", \"seconds\": {}}}",
            started.elapsed().as_secs_f64()
        );
    }
    let trend = match flags.get("trend") {
        Some(i) => {
            let week_start = match flags.get("week-start") {
                Some(w) => parse_weekday(w)?,
                None => Weekday::Sun,
            };
            Some(outcomes.trend(&Calendar::new(tz, Interval::parse(i, week_start)?)))
        }
        None => None,
    };
    match flags.get("format").map_or("table", String::as_str) {
        "json" => out(&format!(
            "{}\n",
            serde_json::json!({"funnel": report, "trend": trend})
        ))?,
        "table" => {
            out(&report.to_string())?;
            if let Some(t) = trend {
                out(&format!("\n{t}"))?;
            }
        }
        other => return Err(format!("--format must be table or json, got {other:?}").into()),
    }
    Ok(())
}

/// Writes to stdout; a closed pipe (`| head`) ends the output quietly.
fn out(text: &str) -> std::io::Result<()> {
    use std::io::Write as _;
    match std::io::stdout().lock().write_all(text.as_bytes()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => other,
    }
}
