//! The per-user label table of an event file: lifecycle stage per period, inactivity, RFM
//! scores and segment, health, preference tags.
//!
//! ```text
//! cargo run --release --example labels -- --input FILE --user COL --time COL [--amount COL]
//!     [--name COL] [--delimiter C] [--header|--no-header] [--as-of DATE] [--periods N] [--churn-after N]
//!     [--format csv|json|parquet] [--output FILE]
//! ```
//!
//! Every computation is the library's (`userops::labels::label_events`); this file only reads
//! flags. The reader's account of rows read and rejected goes to stderr.

use std::error::Error;
use std::io::Write;
use std::process::ExitCode;

use userops::csv::{Column, CsvSpec, Delimiter, read_table_from_path};
use userops::labels::{LabelOptions, TagOptions, label_events, latest_event};
use userops::lifecycle::StageParams;
use userops::time::{Zone, parse_instant};

const USAGE: &str = "usage: labels --input FILE --user COL --time COL [options]

  --input FILE        CSV, TSV, ;- or whitespace-separated file (separator and header detected)
  --user COL          user id column (name, or #N for the N-th column from 0)
  --time COL          event time column (RFC 3339, YYYY-MM-DD HH:MM:SS, YYYY-MM-DD, YYYYMMDD, Unix seconds)
  --amount COL        optional: amount paid (RFM monetary); without it every amount is 0
  --name COL          optional: event name column; with it, each user's preference tags
                      (features used in at least 30% of their active months, top 3)
  --delimiter C       between fields (default: detected)
  --header, --no-header  whether the first line names the columns (default: detected)
  --as-of DATE        snapshot instant (default: the last event); later events are refused
  --periods N         monthly stage periods ending with the as-of month (default 12)
  --churn-after N     inactive periods after which a user is churned (default 2)
  --format csv|json|parquet  output format (default csv); parquet needs the `arrow`
                      feature and --output
  --output FILE       write there instead of standard output";

#[derive(Default)]
struct Args {
    input: String,
    user: String,
    time: String,
    amount: Option<String>,
    name: Option<String>,
    delimiter: Option<Delimiter>,
    header: Option<bool>,
    as_of: Option<String>,
    periods: usize,
    churn_after: u32,
    format: String,
    output: Option<String>,
}

fn parse_args(raw: Vec<String>) -> Result<Option<Args>, String> {
    let mut a = Args {
        periods: 12,
        churn_after: 2,
        format: "csv".into(),
        ..Args::default()
    };
    let (mut input, mut user, mut time) = (None, None, None);
    let mut it = raw.into_iter();
    while let Some(flag) = it.next() {
        let mut value = |name: &str| {
            it.next()
                .ok_or_else(|| format!("{name} needs a value (see --help)"))
        };
        match flag.as_str() {
            "-h" | "--help" => return Ok(None),
            "--input" => input = Some(value("--input")?),
            "--user" => user = Some(value("--user")?),
            "--time" => time = Some(value("--time")?),
            "--amount" => a.amount = Some(value("--amount")?),
            "--name" => a.name = Some(value("--name")?),
            "--delimiter" => {
                let v = value("--delimiter")?;
                a.delimiter = Some(match v.as_str() {
                    "\\t" | "tab" => Delimiter::Byte(b'\t'),
                    "whitespace" | "space" => Delimiter::Whitespace,
                    s if s.len() == 1 => Delimiter::Byte(s.as_bytes()[0]),
                    _ => return Err(format!("--delimiter: {v:?} is not one character")),
                });
            }
            "--header" => a.header = Some(true),
            "--no-header" => a.header = Some(false),
            "--as-of" => a.as_of = Some(value("--as-of")?),
            "--periods" => {
                let v = value("--periods")?;
                a.periods = v
                    .parse()
                    .map_err(|_| format!("--periods: {v:?} is not a whole number"))?;
            }
            "--churn-after" => {
                let v = value("--churn-after")?;
                a.churn_after = v
                    .parse()
                    .map_err(|_| format!("--churn-after: {v:?} is not a whole number"))?;
            }
            "--format" => {
                a.format = value("--format")?;
                if !["csv", "json", "parquet"].contains(&a.format.as_str()) {
                    return Err(format!(
                        "--format must be csv, json or parquet, got {:?}",
                        a.format
                    ));
                }
            }
            "--output" => a.output = Some(value("--output")?),
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    a.input = input.ok_or("missing --input")?;
    a.user = user.ok_or("missing --user")?;
    a.time = time.ok_or("missing --time")?;
    Ok(Some(a))
}

fn run(a: &Args) -> Result<(), Box<dyn Error>> {
    let mut spec =
        CsvSpec::new(Column::parse(&a.user), Column::parse(&a.time)).sniffed(&a.input)?;
    if let Some(c) = &a.amount {
        spec = spec.amount(Column::parse(c));
    }
    if let Some(c) = &a.name {
        spec = spec.name(Column::parse(c));
    }
    if let Some(d) = a.delimiter {
        spec = spec.delimiter(d);
    }
    if let Some(h) = a.header {
        spec = spec.header(h);
    }
    let read = read_table_from_path(&a.input, &spec)?;
    eprintln!("{}", read.account());
    let as_of = match &a.as_of {
        Some(t) => parse_instant(t, &Zone::Utc)?,
        None => latest_event(&read.table).ok_or("the file has no usable event")?,
    };
    let mut options = LabelOptions::monthly(as_of, a.periods);
    options.stage_params = StageParams::new(a.churn_after)?;
    if a.name.is_some() {
        options.tags = Some(TagOptions::default());
    }
    let labels = label_events(&read.table, &options)?;
    if a.format == "parquet" {
        #[cfg(feature = "arrow")]
        {
            let path = a
                .output
                .as_ref()
                .ok_or("--format parquet needs --output FILE")?;
            labels.write_parquet(std::fs::File::create(path)?)?;
        }
        #[cfg(not(feature = "arrow"))]
        return Err(
            "--format parquet needs the `arrow` feature (cargo run --features arrow ...)".into(),
        );
    } else {
        let mut out: Box<dyn Write> = match &a.output {
            Some(path) => Box::new(std::io::BufWriter::new(std::fs::File::create(path)?)),
            None => Box::new(std::io::BufWriter::new(std::io::stdout().lock())),
        };
        if a.format == "json" {
            labels.write_json(&mut out)?;
        } else {
            labels.write_csv(&mut out)?;
        }
    }
    eprintln!(
        "{} users labelled over {} periods",
        labels.len(),
        labels.periods.len()
    );
    Ok(())
}

fn main() -> ExitCode {
    match parse_args(std::env::args().skip(1).collect()) {
        Ok(None) => {
            println!("{USAGE}");
            ExitCode::SUCCESS
        }
        Err(msg) => {
            eprintln!("error: {msg}\n\n{USAGE}");
            ExitCode::from(2)
        }
        Ok(Some(a)) => match run(&a) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("error: {e}");
                ExitCode::FAILURE
            }
        },
    }
}
