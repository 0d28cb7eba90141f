//! `userops retention`: the cohort retention table, with PostHog's definitions.

use chrono::Weekday;
use clap::Args;
use userops::fold::{Summary, fold};
use userops::retention::{RetentionMode, RetentionParams, RetentionSummary};
use userops::time::{Calendar, Interval, parse_instant, parse_weekday};

use crate::Res;
use crate::input::{Columns, InputArgs};
use crate::output::{Format, OutputArgs};

/// Flags of `userops retention`.
#[derive(Debug, Clone, Args)]
#[command(
    after_help = "NAME may be * for any event. The window is the N periods ending with \
the one containing --date-to. JSON output: {\"cohorts\": [{\"period\": \"...\", \"counts\": \
[n0, n1, ...]}, ...], ...}; counts are users."
)]
pub struct RetentionArgs {
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
    /// Event name column (without it every event is both a start and a return).
    #[arg(long, value_name = "COL")]
    pub event: Option<String>,
    /// Event that puts a user in a cohort (* = any event).
    #[arg(long, value_name = "NAME", default_value = "*")]
    pub start_event: String,
    /// Event that counts as a return (* = any event).
    #[arg(long, value_name = "NAME", default_value = "*")]
    pub return_event: String,
    /// Amount column: not used by retention; accepted so that one set of input flags reads a
    /// file in every subcommand.
    #[arg(long, value_name = "COL")]
    pub amount: Option<String>,
    /// day, week or month.
    #[arg(long)]
    pub interval: String,
    /// First day of a week: sunday (default, as PostHog) or monday.
    #[arg(long, value_name = "DAY", default_value = "sunday")]
    pub week_start: String,
    /// Any instant of the window's last period.
    #[arg(long, value_name = "DATETIME", allow_hyphen_values = true)]
    pub date_to: String,
    /// Number of periods (cohorts) in the window.
    #[arg(long, value_name = "N")]
    pub periods: usize,
    /// recurring (every period with a start event) or first-time.
    #[arg(long, value_parser = parse_mode)]
    pub mode: RetentionMode,
    /// Count a return in period k or any later period (PostHog's cumulative).
    #[arg(long)]
    pub on_or_after: bool,
    /// Return events a period needs to count (PostHog's minimumOccurrences).
    #[arg(long, value_name = "N", default_value_t = 1)]
    pub min_return_events: u32,
}

fn parse_mode(text: &str) -> Result<RetentionMode, String> {
    RetentionMode::parse(text).map_err(|e| e.to_string())
}

/// Runs `userops retention`.
pub fn run(args: &RetentionArgs) -> Res<()> {
    if args.output.format == Format::Csv {
        return args.output.unsupported("retention", "table or json");
    }
    let zone = args.input.zone;
    let week_start = match parse_weekday(&args.week_start)? {
        d @ (Weekday::Mon | Weekday::Sun) => d,
        _ => {
            return Err(format!(
                "--week-start must be sunday or monday, got {:?}",
                args.week_start
            )
            .into());
        }
    };
    let interval = Interval::parse(&args.interval, week_start)?;
    let date_to = parse_instant(&args.date_to, &zone)?;
    let spec = RetentionParams::new(Calendar::new(zone, interval), date_to, args.periods)
        .start_event(args.start_event.as_str())
        .return_event(args.return_event.as_str())
        .mode(args.mode)
        .on_or_after(args.on_or_after)
        .min_return_events(args.min_return_events)
        .check()?;
    if args.event.is_none() && (args.start_event != "*" || args.return_event != "*") {
        return Err(
            "--start-event and --return-event name events: give the event name column \
                    with --event COL"
                .into(),
        );
    }
    let columns = Columns {
        user: args.user.clone(),
        time: args.time.clone(),
        name: args.event.clone(),
        ..Columns::default()
    };
    let read = args.input.load(&columns, None)?;
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
    let text = if args.output.format == Format::Json {
        format!("{}\n", serde_json::to_string_pretty(&report)?)
    } else {
        format!("{report}\n")
    };
    args.output.write(&text)
}
