//! Cohort retention table from an event file, with PostHog's definitions.
//!
//! ```text
//! cargo run --release --example retention -- --input FILE --user COL --time COL --event COL \
//!     --start-event NAME --return-event NAME --interval day|week|month [--week-start sunday|monday] \
//!     [--tz ZONE] --date-to DATETIME --periods N --mode recurring|first-time [--on-or-after] \
//!     [--min-return-events N] [--format table|json]
//! ```
//!
//! `NAME` may be `*` for any event. `ZONE` is an IANA name (`America/Los_Angeles`,
//! `US/Pacific`) or a fixed offset (`+08:00`); times in the file and `--date-to` without an
//! offset are read in it. Weeks start on Sunday unless `--week-start monday` (PostHog's
//! default is Sunday). The window is the `N` periods ending with the one containing
//! `--date-to`. JSON output: `{"cohorts": [{"period": "...", "counts": [n0, n1, ...]}, ...], ...}`.

use std::error::Error;
use std::process::ExitCode;

use chrono::Weekday;
use userops::csv::{Column, CsvSpec, read_events_from_path};
use userops::fold::{Summary, fold};
use userops::retention::{RetentionMode, RetentionParams, RetentionSummary};
use userops::time::{Calendar, Interval, Zone, parse_instant, parse_weekday};

const USAGE: &str = "usage: retention --input FILE --user COL --time COL --event COL \
--start-event NAME --return-event NAME --interval day|week|month [--week-start sunday|monday] \
[--tz ZONE] --date-to DATETIME --periods N --mode recurring|first-time [--on-or-after] \
[--min-return-events N] [--format table|json]

  --input FILE          CSV, TSV, ;- or whitespace-separated (separator, header detected; columns by name or #N, 0-based)
  --user COL            user id column
  --time COL            event time column (RFC 3339, YYYY-MM-DD[ HH:MM:SS], YYYYMMDD, unix seconds)
  --event COL           event name column
  --start-event NAME    event that puts a user in a cohort (* = any event)
  --return-event NAME   event that counts as a return (* = any event)
  --interval I          day, week or month
  --week-start D        first day of a week: sunday (default, as PostHog) or monday
  --tz ZONE             IANA zone or fixed offset (default UTC); times without offset are read in it
  --date-to DATETIME    any instant of the window's last period
  --periods N           number of periods (cohorts) in the window
  --mode M              recurring (every period with a start event) or first-time
  --on-or-after         count a return in period k or any later period (PostHog's cumulative)
  --min-return-events N return events a period needs to count (PostHog's minimumOccurrences, default 1)
  --format F            table (default) or json";

struct Args {
    input: String,
    user: String,
    time: String,
    event: String,
    start_event: String,
    return_event: String,
    interval: String,
    week_start: Weekday,
    tz: String,
    date_to: String,
    periods: usize,
    mode: RetentionMode,
    on_or_after: bool,
    min_return_events: u32,
    json: bool,
}

fn parse_args(argv: &[String]) -> Result<Option<Args>, String> {
    let mut input = None;
    let mut user = None;
    let mut time = None;
    let mut event = None;
    let mut start_event = None;
    let mut return_event = None;
    let mut interval = None;
    let mut week_start = Weekday::Sun;
    let mut tz = "UTC".to_string();
    let mut date_to = None;
    let mut periods = None;
    let mut mode = None;
    let mut on_or_after = false;
    let mut min_return_events = 1;
    let mut json = false;
    let mut it = argv.iter();
    while let Some(flag) = it.next() {
        let mut value = || {
            it.next()
                .cloned()
                .ok_or_else(|| format!("{flag} needs a value"))
        };
        match flag.as_str() {
            "-h" | "--help" => return Ok(None),
            "--input" => input = Some(value()?),
            "--user" => user = Some(value()?),
            "--time" => time = Some(value()?),
            "--event" => event = Some(value()?),
            "--start-event" => start_event = Some(value()?),
            "--return-event" => return_event = Some(value()?),
            "--interval" => interval = Some(value()?),
            "--week-start" => {
                let v = value()?;
                week_start = match v.to_ascii_lowercase().as_str() {
                    "sunday" | "sun" => Weekday::Sun,
                    "monday" | "mon" => Weekday::Mon,
                    _ => parse_weekday(&v).map_err(|e| e.to_string())?,
                };
            }
            "--tz" => tz = value()?,
            "--date-to" => date_to = Some(value()?),
            "--periods" => {
                let v = value()?;
                periods = Some(v.parse::<usize>().map_err(|_| {
                    format!(
                        "--periods must be a whole number from 1 to {}, got {:?}",
                        userops::retention::MAX_COHORT_PERIODS,
                        userops::error::shorten(&v)
                    )
                })?);
            }
            "--mode" => mode = Some(RetentionMode::parse(&value()?).map_err(|e| e.to_string())?),
            "--on-or-after" => on_or_after = true,
            "--min-return-events" => {
                let v = value()?;
                min_return_events = v.parse::<u32>().map_err(|_| {
                    format!(
                        "--min-return-events must be a whole number from 1 to 255, got {:?}",
                        userops::error::shorten(&v)
                    )
                })?;
            }
            "--format" => {
                json = match value()?.as_str() {
                    "json" => true,
                    "table" => false,
                    other => return Err(format!("--format must be table or json, got {other:?}")),
                }
            }
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    let need = |v: Option<String>, name: &str| v.ok_or_else(|| format!("{name} is required"));
    Ok(Some(Args {
        input: need(input, "--input")?,
        user: need(user, "--user")?,
        time: need(time, "--time")?,
        event: need(event, "--event")?,
        start_event: need(start_event, "--start-event")?,
        return_event: need(return_event, "--return-event")?,
        interval: need(interval, "--interval")?,
        week_start,
        tz,
        date_to: need(date_to, "--date-to")?,
        periods: periods.ok_or("--periods is required")?,
        mode: mode.ok_or("--mode is required")?,
        on_or_after,
        min_return_events,
        json,
    }))
}

fn run(args: Args) -> Result<(), Box<dyn Error>> {
    let zone = Zone::parse(&args.tz)?;
    let interval = Interval::parse(&args.interval, args.week_start)?;
    let date_to = parse_instant(&args.date_to, &zone)?;
    let spec = RetentionParams::new(Calendar::new(zone, interval), date_to, args.periods)
        .start_event(args.start_event.as_str())
        .return_event(args.return_event.as_str())
        .mode(args.mode)
        .on_or_after(args.on_or_after)
        .min_return_events(args.min_return_events)
        .check()?;
    let csv = CsvSpec::new(Column::parse(&args.user), Column::parse(&args.time))
        .name(Column::parse(&args.event))
        .zone(zone)
        .sniffed(&args.input)?;
    let read = read_events_from_path(&args.input, &csv)?;
    eprintln!("{}", read.account());
    let report = fold(RetentionSummary::new(spec), &read.events)?.finish()?;
    if report.cohort_users == 0 {
        eprintln!(
            "warning: no user is in any cohort: no {:?} event falls in the window {} .. {} \
             ({} matching events outside it)",
            report.start_event,
            report.window_start,
            report.window_end,
            report.events_outside_window
        );
    }
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        println!("{report}");
    }
    Ok(())
}

fn main() -> ExitCode {
    let argv: Vec<String> = std::env::args().skip(1).collect();
    match parse_args(&argv) {
        Ok(None) => {
            println!("{USAGE}");
            ExitCode::SUCCESS
        }
        Ok(Some(args)) => match run(args) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("error: {e}");
                ExitCode::FAILURE
            }
        },
        Err(e) => {
            eprintln!("error: {e}\n\n{USAGE}");
            ExitCode::from(2)
        }
    }
}
