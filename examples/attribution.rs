//! Multi-touch attribution for your own file.
//!
//! Event-level data (one row per event; touchpoints are named events, conversions are rows
//! with an amount or with the names given to `--conversion`):
//!
//! ```text
//! cargo run --release --example attribution -- --input events.csv --user user_id \
//!     --time ts --event event --amount revenue [--conversion order,purchase] \
//!     [--channels email,search,display] [--lookback-days 30] \
//!     [--models first_touch,last_touch,linear,time_decay:7,position_based:0.4,0.4,markov:1,shapley] \
//!     [--format table|csv|json]
//! ```
//!
//! Path-level data (ChannelAttribution's `path;total_conversions;total_conversion_value;
//! total_null`):
//!
//! ```text
//! cargo run --release --example attribution -- --input Data.csv --path-level --delimiter ';' \
//!     --path path --conversions total_conversions --value total_conversion_value \
//!     --nulls total_null [--separator '>'] [--models ...]
//! ```
//!
//! Rows the reader cannot use are counted and listed on stderr, never dropped silently.

use std::collections::BTreeMap;
use std::error::Error;
use std::fmt::Write as _;
use std::io::Write as _;
use std::process::ExitCode;

use chrono::TimeDelta;
use userops::attribution::{
    AttributionParams, AttributionReport, ChannelRule, ConversionRule, JourneyRules,
    JourneySummary, Model, PathColumns, read_paths,
};
use userops::csv::{Column, CsvSpec, read_events_from_path};
use userops::fold::{Summary, fold};
use userops::time::Zone;

const HELP: &str = "\
attribution — multi-touch attribution of conversions to channels for a CSV file

USAGE (event-level rows):
  attribution --input FILE --user COL --time COL --event COL [--amount COL] [options]
USAGE (path-level rows, as ChannelAttribution):
  attribution --input FILE --path-level --path COL --conversions COL [--value COL] [--nulls COL] [options]

OPTIONS:
  --conversion NAMES      comma-separated event names that are conversions (their amount is
                          the value); default: every row with a non-zero amount
  --channels NAMES        comma-separated event names that are touchpoints (default: every
                          named event that is not a conversion)
  --lookback-days N       a conversion claims the touchpoints of the N days before it
                          (default: unlimited)
  --models LIST           comma-separated among first_touch, last_touch, linear,
                          time_decay[:DAYS], position_based[:FIRST,LAST] (as its last item
                          or alone), markov[:ORDER], shapley;
                          default: every heuristic and markov:1
  --separator SEP         between channels of a path (default '>')
  --delimiter C           between fields (default ',')
  --format FORMAT         table (default), csv or json
  --zone ZONE             zone of times written without offset (default UTC)
  -h, --help              this help

CSV output: model,channel,conversions,value,removal_effect,value_removal_effect
";

#[derive(Debug, Default)]
struct Args {
    input: Option<String>,
    user: Option<String>,
    time: Option<String>,
    event: Option<String>,
    amount: Option<String>,
    conversion: Option<Vec<String>>,
    channels: Option<Vec<String>>,
    lookback_days: Option<i64>,
    models: Option<String>,
    path_level: bool,
    path: Option<String>,
    conversions: Option<String>,
    value: Option<String>,
    nulls: Option<String>,
    separator: Option<String>,
    delimiter: Option<u8>,
    format: Format,
    zone: Option<String>,
}

#[derive(Debug, Default, Clone, Copy, PartialEq)]
enum Format {
    #[default]
    Table,
    Csv,
    Json,
}

fn list(text: &str) -> Vec<String> {
    text.split(',')
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect()
}

fn parse_args(raw: Vec<String>) -> Result<Option<Args>, String> {
    let mut a = Args::default();
    let mut it = raw.into_iter();
    while let Some(flag) = it.next() {
        let mut value = |name: &str| {
            it.next()
                .ok_or_else(|| format!("{name} needs a value (see --help)"))
        };
        match flag.as_str() {
            "-h" | "--help" => return Ok(None),
            "--input" => a.input = Some(value("--input")?),
            "--user" => a.user = Some(value("--user")?),
            "--time" => a.time = Some(value("--time")?),
            "--event" => a.event = Some(value("--event")?),
            "--amount" => a.amount = Some(value("--amount")?),
            "--conversion" => a.conversion = Some(list(&value("--conversion")?)),
            "--channels" => a.channels = Some(list(&value("--channels")?)),
            "--lookback-days" => {
                let v = value("--lookback-days")?;
                a.lookback_days = Some(v.parse().ok().filter(|d| *d > 0).ok_or_else(|| {
                    format!("--lookback-days: {v:?} is not a positive whole number of days")
                })?);
            }
            "--models" => a.models = Some(value("--models")?),
            "--path-level" => a.path_level = true,
            "--path" => a.path = Some(value("--path")?),
            "--conversions" => a.conversions = Some(value("--conversions")?),
            "--value" => a.value = Some(value("--value")?),
            "--nulls" => a.nulls = Some(value("--nulls")?),
            "--separator" => a.separator = Some(value("--separator")?),
            "--delimiter" => {
                let v = value("--delimiter")?;
                a.delimiter = match v.as_bytes() {
                    [b] => Some(*b),
                    _ => return Err(format!("--delimiter: {v:?} is not one character")),
                };
            }
            "--format" => {
                a.format = match value("--format")?.as_str() {
                    "table" => Format::Table,
                    "csv" => Format::Csv,
                    "json" => Format::Json,
                    other => {
                        return Err(format!(
                            "--format: {other:?} is not one of table, csv, json"
                        ));
                    }
                }
            }
            "--zone" => a.zone = Some(value("--zone")?),
            other => return Err(format!("unknown argument {other:?} (see --help)")),
        }
    }
    let need = |v: &Option<String>, name: &str| {
        if v.is_none() {
            Err(format!("{name} is required (see --help)"))
        } else {
            Ok(())
        }
    };
    need(&a.input, "--input")?;
    if a.path_level {
        need(&a.path, "--path")?;
        need(&a.conversions, "--conversions")?;
    } else {
        need(&a.user, "--user")?;
        need(&a.time, "--time")?;
        need(&a.event, "--event")?;
    }
    Ok(Some(a))
}

/// The models of `--models` (a `position_based:FIRST,LAST` takes the comma with it).
fn models(a: &Args) -> Result<AttributionParams, userops::Error> {
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

fn main() -> ExitCode {
    let args = match parse_args(std::env::args().skip(1).collect()) {
        Ok(Some(a)) => a,
        Ok(None) => {
            print!("{HELP}");
            return ExitCode::SUCCESS;
        }
        Err(msg) => {
            eprintln!("error: {msg}");
            return ExitCode::from(2);
        }
    };
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(a: &Args) -> Result<(), Box<dyn Error>> {
    let spec = models(a)?.check()?;
    let input = a.input.as_deref().unwrap_or_default();
    let report = if a.path_level {
        let mut columns = PathColumns::new(
            a.path.as_deref().unwrap_or_default(),
            a.conversions.as_deref().unwrap_or_default(),
        )
        .separator(a.separator.as_deref().unwrap_or(">"))
        .delimiter(a.delimiter.unwrap_or(b','));
        if let Some(v) = &a.value {
            columns = columns.value(v);
        }
        if let Some(n) = &a.nulls {
            columns = columns.nulls(n);
        }
        let file = std::fs::File::open(input).map_err(|e| format!("cannot read {input}: {e}"))?;
        let read = read_paths(std::io::BufReader::new(file), &columns)?;
        eprintln!("{}", read.account());
        spec.attribute_paths(&read.table)?
    } else {
        let zone = match &a.zone {
            Some(z) => Zone::parse(z)?,
            None => Zone::Utc,
        };
        let mut csv = CsvSpec::new(
            Column::parse(a.user.as_deref().unwrap_or_default()),
            Column::parse(a.time.as_deref().unwrap_or_default()),
        )
        .name(Column::parse(a.event.as_deref().unwrap_or_default()))
        .zone(zone);
        if let Some(amount) = &a.amount {
            csv = csv.amount(Column::parse(amount));
        }
        if let Some(d) = a.delimiter {
            csv = csv.delimiter(userops::csv::Delimiter::Byte(d));
        }
        let read = read_events_from_path(input, &csv)?;
        eprintln!("{}", read.account());
        let mut rules = JourneyRules::new();
        if let Some(names) = &a.conversion {
            rules = rules.conversions(ConversionRule::Named(names.clone()));
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
    let text = render(a.format, &report)?;
    let mut stdout = std::io::stdout().lock();
    match stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
    {
        // A closed pipe (`| head`) is not an error of ours.
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(e.into()),
        _ => Ok(()),
    }
}

fn csv_field(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_string()
    }
}

fn render(format: Format, report: &AttributionReport) -> Result<String, Box<dyn Error>> {
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
