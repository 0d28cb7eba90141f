//! RFM scores and segments for your own file.
//!
//! Order-level data (one row per purchase):
//!
//! ```text
//! cargo run --release --example rfm -- --input orders.csv --user customer_id \
//!     --time order_date --amount revenue --as-of 2006-12-31 [--bins 5] \
//!     [--binning quantile|ntile|r-rfm] [--recency-breaks a,b,..] [--frequency-breaks ..] \
//!     [--monetary-breaks ..] [--segments FILE.json] [--summary] [--format table|csv|json]
//! ```
//!
//! Customer-level data (one row per customer, as R `rfm_table_customer`):
//!
//! ```text
//! cargo run --release --example rfm -- --input customers.csv --customer-level \
//!     --user customer_id --recency-days recency_days --orders number_of_orders \
//!     --revenue revenue [--as-of 2007-01-01] [...]
//! ```
//!
//! Rows the reader cannot use are counted and listed on stderr, never dropped silently.

use std::error::Error;
use std::fmt::Write as _;
use std::io::Write as _;
use std::process::ExitCode;

use chrono::{DateTime, Utc};
use userops::csv::{Column, CsvSpec, read_events_from_path};
use userops::error::{quote_if_needed, shorten};
use userops::fold::{Summary, fold};
use userops::rfm::{
    HealthParams, Method, RfmScores, RfmSummary, RfmTable, ScoreParams, SegmentRules, Segmentation,
};
use userops::time::{Zone, parse_instant};

const HELP: &str = "\
rfm — RFM scores and segments for a CSV file

USAGE (order-level rows, one per purchase):
  rfm --input FILE --user COL --time COL --amount COL --as-of YYYY-MM-DD [options]
USAGE (customer-level rows, one per customer):
  rfm --input FILE --customer-level --user COL --recency-days COL --orders COL --revenue COL [options]

OPTIONS:
  --bins N                  scores per dimension, 2 to 9 (default 5)
  --binning METHOD          quantile (default; R type-7 quantiles), ntile (equal-size bins,
                            as pandas qcut of first ranks) or r-rfm (exactly R package rfm 0.3)
  --recency-breaks a,b,..   fixed breaks for recency days (k breaks give k+1 scores; a break
                            is the first value of the next score)
  --frequency-breaks a,b,.. fixed breaks for the number of orders
  --monetary-breaks a,b,..  fixed breaks for revenue
  --segments FILE.json      segment rules: [{\"name\": \"Champions\", \"r\": [4, 5], \"f\": [4, 5], \"m\": [4, 5]}, ...]
                            (default: the standard 11-segment map)
  --summary                 print the per-segment summary instead of one row per customer
  --format FORMAT           table (default), csv or json
  --payments-only           skip rows whose amount is 0 (order-level mode)
  --zone ZONE               zone of times written without offset (default UTC)
  -h, --help                this help

CSV output: user_id,recency_days,frequency,monetary,r,f,m,rfm_score,segment
with --summary: segment,customers,orders,revenue,aov
";

#[derive(Debug, Default)]
struct Args {
    input: Option<String>,
    user: Option<String>,
    time: Option<String>,
    amount: Option<String>,
    as_of: Option<String>,
    bins: Option<u8>,
    binning: Option<String>,
    recency_breaks: Option<Vec<f64>>,
    frequency_breaks: Option<Vec<f64>>,
    monetary_breaks: Option<Vec<f64>>,
    segments: Option<String>,
    summary: bool,
    format: Format,
    customer_level: bool,
    recency_days: Option<String>,
    orders: Option<String>,
    revenue: Option<String>,
    payments_only: bool,
    zone: Option<String>,
}

#[derive(Debug, Default, Clone, Copy, PartialEq)]
enum Format {
    #[default]
    Table,
    Csv,
    Json,
}

fn parse_breaks(flag: &str, text: &str) -> Result<Vec<f64>, String> {
    text.split(',')
        .map(|t| {
            t.trim()
                .parse::<f64>()
                .map_err(|_| format!("{flag}: {t:?} is not a number (give e.g. 115,181,297,482)"))
        })
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
            "--amount" => a.amount = Some(value("--amount")?),
            "--as-of" => a.as_of = Some(value("--as-of")?),
            "--bins" => {
                let v = value("--bins")?;
                a.bins = Some(
                    v.parse()
                        .map_err(|_| format!("--bins: {v:?} is not a number from 2 to 9"))?,
                );
            }
            "--binning" => a.binning = Some(value("--binning")?),
            "--recency-breaks" => {
                a.recency_breaks = Some(parse_breaks(&flag, &value("--recency-breaks")?)?)
            }
            "--frequency-breaks" => {
                a.frequency_breaks = Some(parse_breaks(&flag, &value("--frequency-breaks")?)?)
            }
            "--monetary-breaks" => {
                a.monetary_breaks = Some(parse_breaks(&flag, &value("--monetary-breaks")?)?)
            }
            "--segments" => a.segments = Some(value("--segments")?),
            "--summary" => a.summary = true,
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
            "--customer-level" => a.customer_level = true,
            "--recency-days" => a.recency_days = Some(value("--recency-days")?),
            "--orders" => a.orders = Some(value("--orders")?),
            "--revenue" => a.revenue = Some(value("--revenue")?),
            "--payments-only" => a.payments_only = true,
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
    need(&a.user, "--user")?;
    if a.customer_level {
        need(&a.recency_days, "--recency-days")?;
        need(&a.orders, "--orders")?;
        need(&a.revenue, "--revenue")?;
    } else {
        need(&a.time, "--time")?;
        need(&a.amount, "--amount")?;
        need(&a.as_of, "--as-of")?;
    }
    Ok(Some(a))
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
    let zone = match &a.zone {
        Some(z) => Zone::parse(z)?,
        None => Zone::Utc,
    };
    let as_of: Option<DateTime<Utc>> = a
        .as_of
        .as_deref()
        .map(|t| parse_instant(t, &zone))
        .transpose()?;
    let input = a.input.as_deref().unwrap_or_default();
    let table: RfmTable<String> = if a.customer_level {
        read_customers(a, input)?
    } else {
        let spec = CsvSpec::new(
            Column::parse(a.user.as_deref().unwrap_or_default()),
            Column::parse(a.time.as_deref().unwrap_or_default()),
        )
        .amount(Column::parse(a.amount.as_deref().unwrap_or_default()))
        .zone(zone)
        .sniffed(input)?;
        let read = read_events_from_path(input, &spec)?;
        eprintln!("{}", read.account());
        let as_of = as_of.ok_or("--as-of is required")?;
        let summary = RfmSummary::new(as_of).payments_only(a.payments_only);
        fold(summary, &read.events)?.finish()?
    };

    let method = match &a.binning {
        Some(b) => Method::parse(b)?,
        None => Method::Quantile,
    };
    let mut params = ScoreParams::new(method).bins(a.bins.unwrap_or(5));
    if let Some(b) = &a.recency_breaks {
        params = params.recency(Method::Breaks(b.clone()));
    }
    if let Some(b) = &a.frequency_breaks {
        params = params.frequency(Method::Breaks(b.clone()));
    }
    if let Some(b) = &a.monetary_breaks {
        params = params.monetary(Method::Breaks(b.clone()));
    }
    let scores = params.check()?.score(&table)?;
    let rules = match &a.segments {
        Some(path) => SegmentRules::from_json(&std::fs::read_to_string(path)?)?,
        None => SegmentRules::standard(),
    };
    let segments = rules.segment(&scores)?;
    for u in &segments.unreachable {
        eprintln!("warning: {u}");
    }
    let text = render(a, as_of, &scores, &segments)?;
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

/// Customer-level rows: user, recency days, orders, revenue. Every row is accepted or listed.
fn read_customers(a: &Args, path: &str) -> Result<RfmTable<String>, Box<dyn Error>> {
    let file = std::fs::File::open(path).map_err(|e| format!("cannot read {path}: {e}"))?;
    let mut columns: Option<[usize; 4]> = None;
    let mut rows = Vec::new();
    let mut rejected: Vec<String> = Vec::new();
    let mut read = 0u64;
    // The library's row splitter: exact line numbers, unterminated quotes named.
    userops::csv::read_rows(std::io::BufReader::new(file), b',', |line, rec| {
        let Some([user, recency, orders, revenue]) = columns else {
            let rec =
                rec.map_err(|r| userops::Error::Read(format!("{path}: no header row: {r}")))?;
            let header: Vec<String> = rec.iter().map(|h| userops::csv::header_name(h)).collect();
            let find = |name: &str| -> userops::Result<usize> {
                let unknown = || userops::Error::UnknownColumn {
                    column: shorten(name),
                    available: header
                        .iter()
                        .map(|h| quote_if_needed(h))
                        .collect::<Vec<_>>()
                        .join(", "),
                };
                match Column::parse(name) {
                    Column::Index(i) if i < header.len() => Ok(i),
                    Column::Name(n) => header.iter().position(|h| *h == n).ok_or_else(unknown),
                    Column::Index(_) => Err(unknown()),
                }
            };
            columns = Some([
                find(a.user.as_deref().unwrap_or_default())?,
                find(a.recency_days.as_deref().unwrap_or_default())?,
                find(a.orders.as_deref().unwrap_or_default())?,
                find(a.revenue.as_deref().unwrap_or_default())?,
            ]);
            return Ok(());
        };
        read += 1;
        let rec = match rec {
            Ok(r) => r,
            Err(reason) => {
                rejected.push(format!("line {line}: {reason}"));
                return Ok(());
            }
        };
        let field = |j: usize| rec.get(j).map_or("", |f| f.trim());
        let parsed = (|| -> Result<userops::rfm::CustomerRow<String>, String> {
            let u = field(user);
            if u.is_empty() {
                return Err("user missing".into());
            }
            let r: f64 = field(recency)
                .parse()
                .ok()
                .filter(|v: &f64| v.is_finite() && *v >= 0.0)
                .ok_or_else(|| {
                    format!(
                        "recency days is not a finite, non-negative number: {:?}",
                        shorten(field(recency))
                    )
                })?;
            // A whole number as text (up to u64::MAX), or a whole f64 that is exact (2^53).
            let o: u64 = field(orders)
                .parse::<u64>()
                .ok()
                .or_else(|| {
                    field(orders)
                        .parse::<f64>()
                        .ok()
                        .filter(|v| (0.0..=9_007_199_254_740_992.0).contains(v) && v.fract() == 0.0)
                        .map(|v| v as u64)
                })
                .ok_or_else(|| {
                    format!(
                        "orders is not a whole number from 0 to {}: {:?}",
                        u64::MAX,
                        shorten(field(orders))
                    )
                })?;
            let m: f64 = field(revenue)
                .parse()
                .ok()
                .filter(|v: &f64| v.is_finite())
                .ok_or_else(|| {
                    format!(
                        "revenue is not a finite number: {:?}",
                        shorten(field(revenue))
                    )
                })?;
            Ok(userops::rfm::CustomerRow::new(u, r, o, m))
        })();
        match parsed {
            Ok(row) => rows.push(row),
            Err(why) => rejected.push(format!("line {line}: {why}")),
        }
        Ok(())
    })?;
    if columns.is_none() {
        return Err(format!("{path}: no header row (the file is empty)").into());
    }
    let mut account = format!(
        "{read} rows read: {} accepted, {} rejected",
        rows.len(),
        rejected.len()
    );
    if !rejected.is_empty() {
        let shown: Vec<&str> = rejected.iter().take(3).map(String::as_str).collect();
        let _ = write!(account, " ({}", shown.join("; "));
        if rejected.len() > 3 {
            let _ = write!(account, "; and {} more", rejected.len() - 3);
        }
        account.push(')');
    }
    eprintln!("{account}");
    Ok(RfmTable::from_customers(rows)?)
}

fn csv_field(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_string()
    }
}

fn render(
    a: &Args,
    as_of: Option<DateTime<Utc>>,
    scores: &RfmScores<String>,
    segments: &Segmentation,
) -> Result<String, Box<dyn Error>> {
    let mut out = String::new();
    let segment_of = |i: usize| segments.segment_of(i).unwrap_or(userops::rfm::OTHERS);
    match (a.format, a.summary) {
        (Format::Csv, false) => {
            out.push_str("user_id,recency_days,frequency,monetary,r,f,m,rfm_score,segment\n");
            for (i, c) in scores.customers.iter().enumerate() {
                let _ = writeln!(
                    out,
                    "{},{},{},{},{},{},{},{},{}",
                    csv_field(&c.user),
                    c.recency_days,
                    c.frequency,
                    c.monetary,
                    c.r,
                    c.f,
                    c.m,
                    c.rfm_score,
                    csv_field(segment_of(i))
                );
            }
        }
        (Format::Csv, true) => {
            out.push_str("segment,customers,orders,revenue,aov\n");
            for r in &segments.summary {
                let _ = writeln!(
                    out,
                    "{},{},{},{},{}",
                    csv_field(&r.segment),
                    r.customers,
                    r.orders,
                    r.revenue,
                    r.aov
                );
            }
        }
        (Format::Json, true) => {
            out = serde_json::to_string_pretty(&segments.summary)?;
            out.push('\n');
        }
        (Format::Json, false) => {
            let customers: Vec<serde_json::Value> = scores
                .customers
                .iter()
                .enumerate()
                .map(|(i, c)| {
                    serde_json::json!({
                        "user_id": c.user,
                        "recency_days": c.recency_days,
                        "frequency": c.frequency,
                        "monetary": c.monetary,
                        "r": c.r,
                        "f": c.f,
                        "m": c.m,
                        "rfm_score": c.rfm_score,
                        "score_sum": c.score_sum,
                        "segment": segment_of(i),
                    })
                })
                .collect();
            let doc = serde_json::json!({
                "as_of": as_of.map(|t| t.to_rfc3339()),
                "thresholds": {
                    "recency": scores.recency,
                    "frequency": scores.frequency,
                    "monetary": scores.monetary,
                },
                "customers": customers,
                "segments": segments.summary,
                "unreachable_rules": segments.unreachable,
            });
            out = serde_json::to_string_pretty(&doc)?;
            out.push('\n');
        }
        (Format::Table, true) => {
            let _ = writeln!(out, "{segments}");
        }
        (Format::Table, false) => {
            if let Some(t) = as_of {
                let _ = writeln!(out, "as of {}", t.to_rfc3339());
            }
            let _ = writeln!(out, "{scores}\n");
            let _ = writeln!(out, "{segments}\n");
            if let Ok(health) = HealthParams::default().assess(scores) {
                let _ = writeln!(out, "{health}");
            }
        }
    }
    Ok(out)
}
