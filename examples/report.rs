//! One self-contained HTML report (every model, drawn as SVG) of your own event file.
//!
//! ```text
//! cargo run --release --features charts --example report -- --input FILE --user COL \
//!     --time COL --amount COL --as-of DATE --output report.html [--delimiter ws|,|;|tab|'|']
//!     [--header|--no-header] [--zone ZONE] [--interval day|week|month] [--periods N]
//!     [--warning-line X --healthy-line Y] [--chart ID --svg FILE]
//! ```
//!
//! All the work is in the library (`userops::chart::html::report`); this reads the file,
//! accounts for every rejected row on stderr and writes the page. `--chart ID --svg FILE`
//! writes one chart of the report on its own (e.g. `--chart lifecycle-bars`).

use std::collections::HashMap;
use std::error::Error;
use std::process::ExitCode;

use userops::chart::html::{ReportOptions, charts, report};
use userops::csv::{Column, CsvSpec, Delimiter, read_table_from_path};
use userops::time::{Interval, Zone, parse_instant};

const USAGE: &str =
    "usage: report --input FILE --user COL --time COL --amount COL --as-of DATE --output FILE
    [--delimiter ws|,|;|tab|'|'] [--header|--no-header] [--zone ZONE]
    [--interval day|week|month] [--periods N] [--warning-line X --healthy-line Y]
    [--chart ID --svg FILE]

  --input FILE        CSV, TSV, ;- or whitespace-separated event file (separator and header
                      detected from its first lines; --delimiter, --header, --no-header overrule)
  --user, --time, --amount COL
                      columns by name, or #N for the N-th column from 0
  --as-of DATE        the report's instant (events after it are left out); a date means its start
  --output FILE       the HTML file to write (one file: inline SVG and CSS, no script)
  --zone ZONE         the business's time zone (IANA or +08:00; default UTC)
  --interval          lifecycle and retention periods (default month)
  --periods N         periods the lifecycle and retention sections cover (default 12)
  --warning-line X, --healthy-line Y
                      the health index's lines (default 40 and 60)
  --chart ID --svg FILE
                      also write the chart with this id (lifecycle-bars, rfm-heatmap, ...) to FILE";

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<(), Box<dyn Error>> {
    let mut map: HashMap<String, String> = HashMap::new();
    let mut header: Option<bool> = None;
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        match flag.as_str() {
            "-h" | "--help" => {
                println!("{USAGE}");
                return Ok(());
            }
            "--header" => header = Some(true),
            "--no-header" => header = Some(false),
            "--input" | "--user" | "--time" | "--amount" | "--as-of" | "--output"
            | "--delimiter" | "--zone" | "--interval" | "--periods" | "--warning-line"
            | "--healthy-line" | "--chart" | "--svg" => {
                let value = it.next().ok_or_else(|| format!("{flag} needs a value"))?;
                map.insert(flag.trim_start_matches("--").to_string(), value);
            }
            other => return Err(format!("unknown argument {other:?}\n\n{USAGE}").into()),
        }
    }
    let need = |k: &str| -> Result<&str, String> {
        map.get(k)
            .map(String::as_str)
            .ok_or_else(|| format!("missing --{k}\n\n{USAGE}"))
    };
    let input = need("input")?;
    let zone = match map.get("zone") {
        Some(z) => Zone::parse(z)?,
        None => Zone::Utc,
    };
    let mut spec = CsvSpec::new(Column::parse(need("user")?), Column::parse(need("time")?))
        .amount(Column::parse(need("amount")?))
        .zone(zone)
        .sniffed(input)?;
    if let Some(d) = map.get("delimiter") {
        spec = spec.delimiter(match d.as_str() {
            "ws" | "whitespace" => Delimiter::Whitespace,
            "tab" => Delimiter::Byte(b'\t'),
            "," | ";" | "|" => Delimiter::Byte(d.as_bytes()[0]),
            other => {
                return Err(format!(
                    "--delimiter: expected ws, tab, ',', ';' or '|', got {other:?}"
                )
                .into());
            }
        });
    }
    if let Some(h) = header {
        spec = spec.header(h);
    }
    let as_of = parse_instant(need("as-of")?, &zone)?;
    let output = need("output")?;

    let mut options = ReportOptions {
        zone,
        ..ReportOptions::default()
    };
    if let Some(i) = map.get("interval") {
        options.interval = Interval::parse(i, chrono::Weekday::Mon)?;
    }
    if let Some(n) = map.get("periods") {
        options.periods = n
            .parse()
            .map_err(|_| format!("--periods: {n:?} is not a whole number"))?;
    }
    for (flag, line) in [
        ("warning-line", &mut options.health.warning_line),
        ("healthy-line", &mut options.health.healthy_line),
    ] {
        if let Some(v) = map.get(flag) {
            *line = v
                .parse()
                .map_err(|_| format!("--{flag}: {v:?} is not a number"))?;
        }
    }

    let read = read_table_from_path(input, &spec)?;
    eprintln!("{}", read.account());
    let started = std::time::Instant::now();
    let page = report(&read.table, as_of, &options)?;
    std::fs::write(output, &page).map_err(|e| format!("cannot write {output}: {e}"))?;
    eprintln!(
        "wrote {output}: {} bytes in {:.2} s",
        page.len(),
        started.elapsed().as_secs_f64()
    );
    if let Some(id) = map.get("chart") {
        let path = need("svg")?;
        let all = charts(&read.table, as_of, &options)?;
        let chart = all.iter().find(|c| &c.id == id).ok_or_else(|| {
            let ids: Vec<&str> = all.iter().map(|c| c.id.as_str()).collect();
            format!(
                "--chart: no chart {id:?} in this report (it has {})",
                ids.join(", ")
            )
        })?;
        std::fs::write(path, format!("{}\n", chart.svg))
            .map_err(|e| format!("cannot write {path}: {e}"))?;
        eprintln!("wrote {path}");
    }
    Ok(())
}
