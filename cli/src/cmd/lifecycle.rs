//! `userops lifecycle`: lifecycle stages or PostHog's lifecycle view.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc, Weekday};
use clap::{Args, ValueEnum};
use userops::event::SignUp;
use userops::fold::{Summary, fold};
use userops::lifecycle::{LifecycleSummary, StageParams};
use userops::time::{Calendar, Interval, parse_instant, parse_weekday};

use crate::Res;
use crate::input::{Columns, InputArgs};
use crate::output::{Format, OutputArgs};

/// Which lifecycle view.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Model {
    /// new, retained, retained_new, woken, returned, dormant, churned.
    Stages,
    /// PostHog's new, returning, resurrecting, dormant.
    Posthog,
}

/// Flags of `userops lifecycle`.
#[derive(Debug, Clone, Args)]
#[command(after_help = "--model posthog --format json prints \
{\"periods\": [...], \"new\": [...], \"returning\": [...], \"resurrecting\": [...], \"dormant\": [...]};\n\
--model stages prints the stage counts per period (users), the decomposition with the active \
rate and the transition matrix.")]
pub struct LifecycleArgs {
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
    /// Amount column: not used by lifecycle; accepted so that one set of input flags reads a
    /// file in every subcommand.
    #[arg(long, value_name = "COL")]
    pub amount: Option<String>,
    /// The user's creation / sign-up time (earliest value per user); without it a user is
    /// created at their first event.
    #[arg(long, value_name = "COL")]
    pub created: Option<String>,
    /// day, week or month buckets.
    #[arg(long)]
    pub interval: String,
    /// First day of a week: monday or sunday (default: sunday for --model posthog, as a
    /// PostHog team's default; monday otherwise).
    #[arg(long, value_name = "DAY")]
    pub week_start: Option<String>,
    /// The first bucket (the bucket containing this instant).
    #[arg(long, value_name = "DATE", allow_hyphen_values = true)]
    pub from: String,
    /// The last bucket (the bucket containing this instant).
    #[arg(long, value_name = "DATE", allow_hyphen_values = true)]
    pub to: String,
    /// stages or posthog.
    #[arg(long, value_enum)]
    pub model: Model,
    /// stages: inactive periods after which a user is churned.
    #[arg(long, value_name = "N", default_value_t = 2)]
    pub churn_after: u32,
}

/// Runs `userops lifecycle`.
pub fn run(args: &LifecycleArgs) -> Res<()> {
    let posthog = args.model == Model::Posthog;
    if args.output.format == Format::Csv {
        return args.output.unsupported("lifecycle", "table or json");
    }
    let week_start = match &args.week_start {
        None if posthog => Weekday::Sun,
        None => Weekday::Mon,
        Some(w) => match parse_weekday(w)? {
            d @ (Weekday::Mon | Weekday::Sun) => d,
            _ => return Err(format!("--week-start must be monday or sunday, got {w:?}").into()),
        },
    };
    let zone = args.input.zone;
    let interval = Interval::parse(&args.interval, week_start)?;
    let params = StageParams::new(args.churn_after)?;
    let from = parse_instant(&args.from, &zone)?;
    let to = parse_instant(&args.to, &zone)?;
    let summary = LifecycleSummary::new(Calendar::new(zone, interval), from, to)?;
    let columns = Columns {
        user: args.user.clone(),
        time: args.time.clone(),
        attributes: args.created.iter().cloned().collect(),
        ..Columns::default()
    };
    let read = args.input.load(&columns, None)?;

    // Creation times: the earliest parseable value per user.
    let mut created: HashMap<String, DateTime<Utc>> = HashMap::new();
    if args.created.is_some() {
        let mut unparsed = 0u64;
        for e in &read.events {
            match e.attributes.first().map(|s| s.trim()) {
                None | Some("") => {}
                Some(text) => match parse_instant(text, &zone) {
                    Ok(at) => {
                        let slot = created.entry(e.user.clone()).or_insert(at);
                        *slot = (*slot).min(at);
                    }
                    Err(_) => unparsed += 1,
                },
            }
        }
        let users: HashSet<&str> = read.events.iter().map(|e| e.user.as_str()).collect();
        let without = users.len().saturating_sub(created.len());
        if unparsed > 0 || without > 0 {
            eprintln!(
                "created column: {unparsed} unparseable values ignored; {without} of {} users \
                 have no creation time and are created at their first event",
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
    let json = args.output.format == Format::Json;
    let text = if posthog {
        let out = activity.posthog(signups);
        if json {
            format!("{}\n", serde_json::to_string(&out)?)
        } else {
            out.to_string()
        }
    } else {
        let report = activity.stages(&params, signups);
        if json {
            format!("{}\n", serde_json::to_string_pretty(&report)?)
        } else {
            report.to_string()
        }
    };
    args.output.write(&text)
}
