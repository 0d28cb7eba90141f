//! User paths after (or before) an event, as Sankey rows, from an event file.
//!
//! ```text
//! cargo run --release --example paths -- --input FILE --user COL --time COL --event COL \
//!     --from NAME | --to NAME [--depth N] [--session-gap 30min] [--tz ZONE] [--format table|json]
//! ```
//!
//! `--from NAME`: the events after each user's first NAME; `--to NAME`: the events before it.
//! JSON output: `{"rows": [{"step": 1, "from": "...", "to": "...", "users": N}, ...], ...}`.
//! The logic is the library's (`userops::paths`); the reader's account goes to stderr.

use std::collections::HashMap;
use std::error::Error;
use std::process::ExitCode;

use userops::csv::{CsvSpec, read_table_from_path};
use userops::fold::{FoldTable, Summary};
use userops::funnel::parse_window;
use userops::journey::JourneySummary;
use userops::paths::{Direction, PathParams, paths};
use userops::time::Zone;

const USAGE: &str =
    "usage: paths --input FILE --user COL --time COL --event COL (--from NAME | --to NAME) \
[--depth N] [--session-gap GAP] [--tz ZONE] [--format table|json]

  --input FILE        CSV file with a header row (columns by name, or #N for the N-th, 0-based)
  --user COL          user id column
  --time COL          event time column
  --event COL         event name column
  --from NAME         paths after each user's first NAME
  --to NAME           paths before each user's first NAME
  --depth N           events to follow (default 5)
  --session-gap GAP   end a path at a gap longer than GAP (30min, 1h, 1d); default none
  --tz ZONE           IANA zone or fixed offset (default UTC)
  --format F          table (default) or json";

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
            "--input" | "--user" | "--time" | "--event" | "--from" | "--to" | "--depth"
            | "--session-gap" | "--tz" | "--format" => {
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
    let (event, direction) = match (flags.get("from"), flags.get("to")) {
        (Some(e), None) => (e.clone(), Direction::After),
        (None, Some(e)) => (e.clone(), Direction::Before),
        _ => return Err("give one of --from NAME or --to NAME".into()),
    };
    let depth = match flags.get("depth") {
        Some(d) => d
            .parse()
            .map_err(|_| format!("--depth must be a whole number, got {d:?}"))?,
        None => 5,
    };
    let mut params = PathParams::new(event, direction, depth);
    if let Some(g) = flags.get("session-gap") {
        params = params.session_gap(parse_window(g)?);
    }
    let spec = params.check()?;
    let tz = match flags.get("tz") {
        Some(z) => Zone::parse(z)?,
        None => Zone::Utc,
    };
    let csv = CsvSpec::new(need("user")?.as_str(), need("time")?.as_str())
        .name(need("event")?.as_str())
        .zone(tz);
    let read = read_table_from_path(need("input")?, &csv)?;
    eprintln!("{}", read.account());
    let mut summary = JourneySummary::new();
    summary.observe_table(&read.table)?;
    let report = paths(&summary.finish()?, &spec);
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
