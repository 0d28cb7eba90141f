//! What predicts retention, from an event file: odds ratio, phi, χ² p-value and
//! Benjamini–Hochberg q-value per event and "did X at least n times within d days of start".
//!
//! ```text
//! cargo run --release --example correlation -- --input FILE --user COL --time COL --event COL \
//!     --start-event NAME --return-event NAME --as-of DATETIME [--behaviour 7d] \
//!     [--retained-from 7d] [--retained-to 28d] [--at-least 1,3] [--exclude A,B] [--tz ZONE] \
//!     [--format table|json]
//! ```
//!
//! The logic is the library's (`userops::correlation`); the reader's account goes to stderr.

use std::collections::HashMap;
use std::error::Error;
use std::process::ExitCode;

use userops::correlation::{CorrelationParams, correlate};
use userops::csv::{CsvSpec, read_table_from_path};
use userops::fold::{FoldTable, Summary};
use userops::funnel::parse_window;
use userops::journey::JourneySummary;
use userops::time::{Zone, parse_instant};

const USAGE: &str = "usage: correlation --input FILE --user COL --time COL --event COL \
--start-event NAME --return-event NAME --as-of DATETIME [--behaviour 7d] [--retained-from 7d] \
[--retained-to 28d] [--at-least 1,3] [--exclude A,B] [--tz ZONE] [--format table|json]

  --input FILE          CSV file with a header row (columns by name, or #N for the N-th, 0-based)
  --user COL            user id column
  --time COL            event time column
  --event COL           event name column
  --start-event NAME    the event that starts a user (* = their first event)
  --return-event NAME   the event that counts as a return (* = any event)
  --as-of DATETIME      the end of the data: users whose retention window is not over are left out
  --behaviour W         behaviour counted in the first W after the start (default 7d)
  --retained-from W     retained: a return event from W after the start (default 7d) ...
  --retained-to W       ... to before W after the start (default 28d)
  --at-least N,M        thresholds of \"did X at least n times\" (default 1)
  --exclude A,B         event names not to test
  --tz ZONE             IANA zone or fixed offset (default UTC)
  --format F            table (default) or json";

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
    let mut it = argv.iter();
    while let Some(flag) = it.next() {
        match flag.as_str() {
            "--input" | "--user" | "--time" | "--event" | "--start-event" | "--return-event"
            | "--as-of" | "--behaviour" | "--retained-from" | "--retained-to" | "--at-least"
            | "--exclude" | "--tz" | "--format" => {
                let value = it.next().ok_or_else(|| format!("{flag} needs a value"))?;
                flags.insert(flag.trim_start_matches("--"), value.clone());
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
    let tz = match flags.get("tz") {
        Some(z) => Zone::parse(z)?,
        None => Zone::Utc,
    };
    let window =
        |k: &str, default: &str| parse_window(flags.get(k).map_or(default, String::as_str));
    let mut params = CorrelationParams::new(
        need("start-event")?,
        need("return-event")?,
        parse_instant(&need("as-of")?, &tz)?,
    )
    .behaviour(window("behaviour", "7d")?)
    .retained_between(
        window("retained-from", "7d")?,
        window("retained-to", "28d")?,
    );
    if let Some(list) = flags.get("at-least") {
        let thresholds: Result<Vec<u32>, _> =
            list.split(',').map(|s| s.trim().parse::<u32>()).collect();
        params = params.at_least(
            thresholds.map_err(|_| format!("--at-least wants whole numbers, got {list:?}"))?,
        );
    }
    if let Some(list) = flags.get("exclude") {
        params = params.exclude(list.split(',').map(str::trim));
    }
    let spec = params.check()?;
    let csv = CsvSpec::new(need("user")?.as_str(), need("time")?.as_str())
        .name(need("event")?.as_str())
        .zone(tz);
    let read = read_table_from_path(need("input")?, &csv)?;
    eprintln!("{}", read.account());
    let mut summary = JourneySummary::new();
    summary.observe_table(&read.table)?;
    let report = correlate(&summary.finish()?, &spec);
    match flags.get("format").map_or("table", String::as_str) {
        "json" => out(&format!("{}\n", serde_json::to_string(&report)?))?,
        "table" => out(&report.to_string())?,
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
