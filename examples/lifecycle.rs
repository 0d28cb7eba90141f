//! Lifecycle stages or PostHog's lifecycle view from an event file.
//!
//! ```text
//! cargo run --release --example lifecycle -- --input FILE --user COL --time COL [--created COL]
//!     --interval day|week|month [--week-start monday|sunday] [--tz ZONE] --from DATE --to DATE
//!     --model stages|posthog [--churn-after N] [--format table|json]
//! ```
//!
//! `--model posthog --format json` prints
//! `{"periods": [...], "new": [...], "returning": [...], "resurrecting": [...], "dormant": [...]}`;
//! `--model stages` prints the stage counts per period, the decomposition with the active rate
//! and the transition matrix. The reader's account of rows read and rejected goes to stderr.

use std::collections::HashMap;
use std::error::Error;
use std::process::ExitCode;

use chrono::{DateTime, Utc, Weekday};
use userops::csv::{Column, CsvSpec, read_events_from_path};
use userops::event::SignUp;
use userops::fold::{Summary, fold};
use userops::lifecycle::{LifecycleSummary, StageParams};
use userops::time::{Calendar, Interval, Zone, parse_instant, parse_weekday};

const USAGE: &str = "usage: lifecycle --input FILE --user COL --time COL [--created COL]
    --interval day|week|month [--week-start monday|sunday] [--tz ZONE]
    --from DATE --to DATE --model stages|posthog [--churn-after N] [--format table|json]

  --input FILE        CSV, TSV, ;- or whitespace-separated file (separator and header detected)
  --user COL          user id column (name, or #N for the N-th column from 0)
  --time COL          event time column (RFC 3339, YYYY-MM-DD HH:MM:SS, YYYY-MM-DD, YYYYMMDD, Unix seconds)
  --created COL       optional: the user's creation / sign-up time (earliest value per user);
                      without it a user is created at their first event
  --interval          day, week or month buckets
  --week-start        first day of a week: monday or sunday (default: sunday for --model posthog,
                      as a PostHog team's default; monday otherwise)
  --tz ZONE           the business's time zone: IANA (America/Los_Angeles, US/Pacific) or a fixed
                      offset (+08:00); default UTC. Times and dates without an offset are read in it
  --from, --to DATE   the first and last bucket (the buckets containing these instants)
  --model             stages (new, retained, retained_new, woken, returned, dormant, churned)
                      or posthog (new, returning, resurrecting, dormant)
  --churn-after N     stages: inactive periods after which a user is churned (default 2)
  --format            table (default) or json";

struct Args {
    input: String,
    user: String,
    time: String,
    created: Option<String>,
    interval: String,
    week_start: Option<Weekday>,
    tz: Zone,
    from: String,
    to: String,
    posthog: bool,
    churn_after: u32,
    json: bool,
}

fn parse_args() -> Result<Option<Args>, String> {
    let mut map: HashMap<String, String> = HashMap::new();
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        if flag == "--help" || flag == "-h" {
            return Ok(None);
        }
        let known = [
            "--input",
            "--user",
            "--time",
            "--created",
            "--interval",
            "--week-start",
            "--tz",
            "--from",
            "--to",
            "--model",
            "--churn-after",
            "--format",
        ];
        if !known.contains(&flag.as_str()) {
            return Err(format!("unknown argument {flag:?}"));
        }
        let value = it.next().ok_or_else(|| format!("{flag} needs a value"))?;
        map.insert(flag.trim_start_matches("--").to_string(), value);
    }
    let need = |k: &str| -> Result<String, String> {
        map.get(k).cloned().ok_or_else(|| format!("missing --{k}"))
    };
    let posthog = match need("model")?.as_str() {
        "stages" => false,
        "posthog" => true,
        other => return Err(format!("--model must be stages or posthog, got {other:?}")),
    };
    let json = match map.get("format").map(String::as_str) {
        None | Some("table") => false,
        Some("json") => true,
        Some(other) => return Err(format!("--format must be table or json, got {other:?}")),
    };
    let week_start = match map.get("week-start") {
        None => None,
        Some(w) => match parse_weekday(w).map_err(|e| e.to_string())? {
            d @ (Weekday::Mon | Weekday::Sun) => Some(d),
            _ => return Err(format!("--week-start must be monday or sunday, got {w:?}")),
        },
    };
    let tz = match map.get("tz") {
        None => Zone::Utc,
        Some(z) => Zone::parse(z).map_err(|e| e.to_string())?,
    };
    let churn_after = match map.get("churn-after") {
        None => 2,
        Some(n) => n
            .parse()
            .map_err(|_| format!("--churn-after must be a whole number, got {n:?}"))?,
    };
    Ok(Some(Args {
        input: need("input")?,
        user: need("user")?,
        time: need("time")?,
        created: map.get("created").cloned(),
        interval: need("interval")?,
        week_start,
        tz,
        from: need("from")?,
        to: need("to")?,
        posthog,
        churn_after,
        json,
    }))
}

fn main() -> ExitCode {
    match parse_args() {
        Ok(None) => {
            println!("{USAGE}");
            ExitCode::SUCCESS
        }
        Err(msg) => {
            eprintln!("error: {msg}\n\n{USAGE}");
            ExitCode::from(2)
        }
        Ok(Some(args)) => match run(&args) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("error: {e}");
                ExitCode::FAILURE
            }
        },
    }
}

fn run(args: &Args) -> Result<(), Box<dyn Error>> {
    let week_start = args.week_start.unwrap_or(if args.posthog {
        Weekday::Sun
    } else {
        Weekday::Mon
    });
    let interval = Interval::parse(&args.interval, week_start)?;
    let params = StageParams::new(args.churn_after)?;
    let from = parse_instant(&args.from, &args.tz)?;
    let to = parse_instant(&args.to, &args.tz)?;
    let summary = LifecycleSummary::new(Calendar::new(args.tz, interval), from, to)?;

    let mut spec = CsvSpec::new(Column::parse(&args.user), Column::parse(&args.time))
        .zone(args.tz)
        .sniffed(&args.input)?;
    if let Some(c) = &args.created {
        spec = spec.attribute(Column::parse(c));
    }
    let read = read_events_from_path(&args.input, &spec)?;
    eprintln!("{}", read.account());

    // Creation times: the earliest parseable value per user.
    let mut created: HashMap<String, DateTime<Utc>> = HashMap::new();
    if args.created.is_some() {
        let mut unparsed = 0u64;
        for e in &read.events {
            match e.attributes.first().map(|s| s.trim()) {
                None | Some("") => {}
                Some(text) => match parse_instant(text, &args.tz) {
                    Ok(at) => {
                        let slot = created.entry(e.user.clone()).or_insert(at);
                        *slot = (*slot).min(at);
                    }
                    Err(_) => unparsed += 1,
                },
            }
        }
        let users: std::collections::HashSet<&str> =
            read.events.iter().map(|e| e.user.as_str()).collect();
        let without = users.len().saturating_sub(created.len());
        if unparsed > 0 || without > 0 {
            eprintln!(
                "created column: {unparsed} unparseable values ignored; {without} of {} users have no creation time and are created at their first event",
                users.len()
            );
        }
    }
    let signups: Option<&dyn SignUp<String>> = if args.created.is_some() {
        Some(&created)
    } else {
        None
    };

    let activity = fold(summary, &read.events)?.finish()?;
    if args.posthog {
        let out = activity.posthog(signups);
        if args.json {
            println!("{}", serde_json::to_string(&out)?);
        } else {
            print!("{out}");
        }
    } else {
        let report = activity.stages(&params, signups);
        if args.json {
            println!("{}", serde_json::to_string_pretty(&report)?);
        } else {
            print!("{report}");
        }
    }
    Ok(())
}
