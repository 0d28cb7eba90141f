//! `userops attribution`: multi-touch attribution of conversions to channels, from event
//! rows or from a ChannelAttribution-style path table.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use chrono::TimeDelta;
use clap::Args;
use userops::attribution::{
    AttributionParams, AttributionReport, ChannelRule, ConversionRule, JourneyRules,
    JourneySummary, Model, PathColumns, read_paths,
};
use userops::fold::{Summary, fold};

use crate::Res;
use crate::input::{Columns, InputArgs};
use crate::output::{Format, OutputArgs, csv_field};

/// Flags of `userops attribution`.
#[derive(Debug, Clone, Args)]
#[command(
    after_help = "Event-level rows: touchpoints are named events, conversions are rows \
with an amount or with the names given to --conversion. Path-level rows (--path-level): \
ChannelAttribution's path;total_conversions;total_conversion_value;total_null.\n\
CSV output: model,channel,conversions,value,removal_effect,value_removal_effect"
)]
pub struct AttributionArgs {
    /// Which file and how to read it.
    #[command(flatten)]
    pub input: InputArgs,
    /// How and where the result is written.
    #[command(flatten)]
    pub output: OutputArgs,
    /// Event-level: user id column (name, or #N from 0).
    #[arg(long, value_name = "COL")]
    pub user: Option<String>,
    /// Event-level: event time column.
    #[arg(long, value_name = "COL")]
    pub time: Option<String>,
    /// Event-level: event name column.
    #[arg(long, value_name = "COL")]
    pub event: Option<String>,
    /// Event-level: amount column (a conversion's value).
    #[arg(long, value_name = "COL")]
    pub amount: Option<String>,
    /// Event names that are conversions (comma-separated); default: every row with a non-zero
    /// amount.
    #[arg(long, value_name = "NAMES", value_delimiter = ',')]
    pub conversion: Option<Vec<String>>,
    /// Event names that are touchpoints (comma-separated); default: every named event that is
    /// not a conversion.
    #[arg(long, value_name = "NAMES", value_delimiter = ',')]
    pub channels: Option<Vec<String>>,
    /// A conversion claims the touchpoints of the N days before it (default: unlimited).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(i64).range(1..))]
    pub lookback_days: Option<i64>,
    /// Comma-separated among first_touch, last_touch, linear, `time_decay[:DAYS]`,
    /// `position_based[:FIRST,LAST]`, `markov[:ORDER]`, shapley; default: every heuristic and
    /// markov:1.
    #[arg(long, value_name = "LIST")]
    pub models: Option<String>,
    /// Rows are paths with conversion counts (ChannelAttribution's layout).
    #[arg(long)]
    pub path_level: bool,
    /// Path-level: the path column.
    #[arg(long, value_name = "COL")]
    pub path: Option<String>,
    /// Path-level: the conversions column.
    #[arg(long, value_name = "COL")]
    pub conversions: Option<String>,
    /// Path-level: the conversion value column.
    #[arg(long, value_name = "COL")]
    pub value: Option<String>,
    /// Path-level: the paths without conversion column.
    #[arg(long, value_name = "COL")]
    pub nulls: Option<String>,
    /// Path-level: between channels of a path.
    #[arg(long, value_name = "SEP", default_value = ">")]
    pub separator: String,
}

/// The models of `--models` (a `position_based:FIRST,LAST` takes the comma with it).
fn models(a: &AttributionArgs) -> Result<AttributionParams, userops::Error> {
    let Some(text) = &a.models else {
        let mut p = AttributionParams::heuristics_and_markov();
        if a.path_level {
            // A path table has no touch times.
            p = AttributionParams::new([
                Model::FirstTouch,
                Model::LastTouch,
                Model::Linear,
                Model::position_based(),
                Model::Markov { order: 1 },
            ]);
        }
        return Ok(p);
    };
    let mut out = Vec::new();
    let mut items = text.split(',').map(str::trim).peekable();
    while let Some(item) = items.next() {
        let model = if item.starts_with("position_based:") {
            let last = items.next().unwrap_or_default();
            Model::parse(&format!("{item},{last}"))?
        } else {
            Model::parse(item)?
        };
        out.push(model);
    }
    Ok(AttributionParams::new(out))
}

/// Runs `userops attribution`.
pub fn run(a: &AttributionArgs) -> Res<()> {
    let spec = models(a)?.check()?;
    let report = if a.path_level {
        let need = |v: &Option<String>, flag: &str| -> Res<String> {
            v.clone()
                .ok_or_else(|| format!("{flag} is required with --path-level").into())
        };
        let (path, conversions) = (
            need(&a.path, "--path")?,
            need(&a.conversions, "--conversions")?,
        );
        let delimiter = match (a.input.delimiter, a.input.path()?) {
            (Some(userops::csv::Delimiter::Byte(b)), _) => b,
            (Some(userops::csv::Delimiter::Whitespace), _) => {
                return Err("a path table needs a one-byte --delimiter, not ws".into());
            }
            (None, "-") => b',',
            (None, _) => a.input.separator()?.0,
        };
        let mut columns = PathColumns::new(path.as_str(), conversions.as_str())
            .separator(a.separator.as_str())
            .delimiter(delimiter);
        if let Some(v) = &a.value {
            columns = columns.value(v);
        }
        if let Some(n) = &a.nulls {
            columns = columns.nulls(n);
        }
        let read = read_paths(a.input.open()?, &columns)?;
        eprintln!("{}", read.account());
        spec.attribute_paths(&read.table)?
    } else {
        let need = |v: &Option<String>, flag: &str| -> Res<String> {
            v.clone()
                .ok_or_else(|| format!("{flag} is required for event-level rows").into())
        };
        let columns = Columns {
            user: need(&a.user, "--user")?,
            time: need(&a.time, "--time")?,
            name: Some(need(&a.event, "--event")?),
            amount: a.amount.clone(),
            ..Columns::default()
        };
        let read = a.input.load(&columns, None)?;
        let mut rules = JourneyRules::new();
        if let Some(names) = &a.conversion {
            let names = names
                .iter()
                .map(|n| n.trim().to_string())
                .filter(|n| !n.is_empty())
                .collect();
            rules = rules.conversions(ConversionRule::Named(names));
        }
        if let Some(names) = &a.channels {
            let map: BTreeMap<String, String> =
                names.iter().map(|n| (n.clone(), n.clone())).collect();
            rules = rules.channels(ChannelRule::Mapped(map));
        }
        if let Some(days) = a.lookback_days {
            let window = TimeDelta::try_days(days).ok_or("--lookback-days is too large")?;
            rules = rules.lookback(window)?;
        }
        let journeys = fold(JourneySummary::new(rules), &read.events)?.finish()?;
        spec.attribute(&journeys)?
    };
    let text = render(a.output.format, &report)?;
    a.output.write(&text)
}

fn render(format: Format, report: &AttributionReport) -> Res<String> {
    let mut out = String::new();
    match format {
        Format::Table => {
            let _ = writeln!(out, "{report}");
        }
        Format::Json => {
            out = serde_json::to_string_pretty(report)?;
            out.push('\n');
        }
        Format::Csv => {
            out.push_str("model,channel,conversions,value,removal_effect,value_removal_effect\n");
            for m in &report.models {
                for c in &m.channels {
                    let opt = |v: Option<f64>| v.map_or(String::new(), |x| x.to_string());
                    let _ = writeln!(
                        out,
                        "{},{},{},{},{},{}",
                        csv_field(&m.model.to_string()),
                        csv_field(&c.channel),
                        c.conversions,
                        c.value,
                        opt(c.removal_effect),
                        opt(c.value_removal_effect)
                    );
                }
            }
        }
    }
    Ok(out)
}
