//! `userops rfm`: RFM scores and segments for order-level or customer-level rows.

use std::fmt::Write as _;

use chrono::{DateTime, Utc};
use clap::Args;
use userops::csv::Column;
use userops::error::{quote_if_needed, shorten};
use userops::fold::{Summary, fold};
use userops::rfm::{
    HealthParams, Method, RfmScores, RfmSummary, RfmTable, ScoreParams, SegmentRules, Segmentation,
};
use userops::time::parse_instant;

use crate::Res;
use crate::input::{Columns, InputArgs};
use crate::output::{Format, OutputArgs, csv_field};

/// Flags of `userops rfm`.
#[derive(Debug, Clone, Args)]
#[command(
    after_help = "CSV output: user_id,recency_days,frequency,monetary,r,f,m,rfm_score,segment\n\
with --summary: segment,customers,orders,revenue,aov\n\
Recency is in days (fractional) before --as-of; monetary is in the amount column's currency."
)]
pub struct RfmArgs {
    /// Which file and how to read it.
    #[command(flatten)]
    pub input: InputArgs,
    /// How and where the result is written.
    #[command(flatten)]
    pub output: OutputArgs,
    /// User id column (name, or #N from 0).
    #[arg(long, value_name = "COL")]
    pub user: Option<String>,
    /// Purchase time column (order-level rows).
    #[arg(long, value_name = "COL")]
    pub time: Option<String>,
    /// Purchase amount column (order-level rows).
    #[arg(long, value_name = "COL")]
    pub amount: Option<String>,
    /// The day recency is counted to (order-level rows: required).
    #[arg(long, value_name = "DATE", allow_hyphen_values = true)]
    pub as_of: Option<String>,
    /// Scores per dimension, 2 to 9.
    #[arg(long, default_value_t = 5)]
    pub bins: u8,
    /// quantile (R type-7 quantiles), ntile (equal-size bins, as pandas qcut of first ranks)
    /// or r-rfm (exactly R package rfm 0.3).
    #[arg(long, value_name = "METHOD", default_value = "quantile")]
    pub binning: String,
    /// Fixed breaks for recency days (k breaks give k+1 scores; a break is the first value of
    /// the next score).
    #[arg(long, value_name = "A,B,..", value_parser = parse_breaks, allow_hyphen_values = true)]
    pub recency_breaks: Option<Breaks>,
    /// Fixed breaks for the number of orders.
    #[arg(long, value_name = "A,B,..", value_parser = parse_breaks, allow_hyphen_values = true)]
    pub frequency_breaks: Option<Breaks>,
    /// Fixed breaks for revenue.
    #[arg(long, value_name = "A,B,..", value_parser = parse_breaks, allow_hyphen_values = true)]
    pub monetary_breaks: Option<Breaks>,
    /// Segment rules as JSON: [{"name": "Champions", "r": [4, 5], "f": [4, 5], "m": [4, 5]}, ...]
    /// (default: the standard 11-segment map).
    #[arg(long, value_name = "FILE.json")]
    pub segments: Option<String>,
    /// Print the per-segment summary instead of one row per customer.
    #[arg(long)]
    pub summary: bool,
    /// Skip rows whose amount is 0 (order-level rows).
    #[arg(long)]
    pub payments_only: bool,
    /// Rows are customers (as R rfm_table_customer): --user, --recency-days, --orders, --revenue.
    #[arg(long)]
    pub customer_level: bool,
    /// Customer-level: days since the last order.
    #[arg(long, value_name = "COL")]
    pub recency_days: Option<String>,
    /// Customer-level: number of orders.
    #[arg(long, value_name = "COL")]
    pub orders: Option<String>,
    /// Customer-level: revenue.
    #[arg(long, value_name = "COL")]
    pub revenue: Option<String>,
}

/// Fixed breaks, as given.
#[derive(Debug, Clone)]
pub struct Breaks(pub Vec<f64>);

fn parse_breaks(text: &str) -> Result<Breaks, String> {
    text.split(',')
        .map(|t| {
            t.trim()
                .parse::<f64>()
                .map_err(|_| format!("{t:?} is not a number (give e.g. 115,181,297,482)"))
        })
        .collect::<Result<Vec<_>, _>>()
        .map(Breaks)
}

fn need<'a>(v: &'a Option<String>, flag: &str) -> Res<&'a str> {
    v.as_deref()
        .ok_or_else(|| format!("{flag} is required (see --help)").into())
}

/// Runs `userops rfm`.
pub fn run(a: &RfmArgs) -> Res<()> {
    let zone = a.input.zone;
    let as_of: Option<DateTime<Utc>> = a
        .as_of
        .as_deref()
        .map(|t| parse_instant(t, &zone))
        .transpose()?;
    let table: RfmTable<String> = if a.customer_level {
        need(&a.user, "--user")?;
        need(&a.recency_days, "--recency-days")?;
        need(&a.orders, "--orders")?;
        need(&a.revenue, "--revenue")?;
        read_customers(a)?
    } else {
        let columns = Columns {
            user: need(&a.user, "--user")?.to_string(),
            time: need(&a.time, "--time")?.to_string(),
            amount: Some(need(&a.amount, "--amount")?.to_string()),
            ..Columns::default()
        };
        let as_of = as_of.ok_or("--as-of is required for order-level rows (see --help)")?;
        let read = a.input.load(&columns, Some(as_of))?;
        let summary = RfmSummary::new(as_of).payments_only(a.payments_only);
        fold(summary, &read.events)
            .map_err(|e| format!("{e} (give --drop-after-as-of to drop and count such rows)"))?
            .finish()?
    };
    let method = Method::parse(&a.binning)?;
    let mut params = ScoreParams::new(method).bins(a.bins);
    if let Some(b) = &a.recency_breaks {
        params = params.recency(Method::Breaks(b.0.clone()));
    }
    if let Some(b) = &a.frequency_breaks {
        params = params.frequency(Method::Breaks(b.0.clone()));
    }
    if let Some(b) = &a.monetary_breaks {
        params = params.monetary(Method::Breaks(b.0.clone()));
    }
    let scores = params.check()?.score(&table)?;
    let rules = match &a.segments {
        Some(path) => SegmentRules::from_json(
            &std::fs::read_to_string(path).map_err(|e| format!("cannot read {path}: {e}"))?,
        )?,
        None => SegmentRules::standard(),
    };
    let segments = rules.segment(&scores)?;
    for u in &segments.unreachable {
        eprintln!("warning: {u}");
    }
    let text = render(a, as_of, &scores, &segments)?;
    a.output.write(&text)
}

/// Customer-level rows: user, recency days, orders, revenue. Every row is accepted or listed.
fn read_customers(a: &RfmArgs) -> Res<RfmTable<String>> {
    let path = a.input.path()?;
    let (separator, _) = if path == "-" {
        (b',', true)
    } else {
        a.input.separator()?
    };
    let mut columns: Option<[usize; 4]> = None;
    let mut rows = Vec::new();
    let mut rejected: Vec<String> = Vec::new();
    let mut read = 0u64;
    // The library's row splitter: exact line numbers, unterminated quotes named.
    userops::csv::read_rows(a.input.open()?, separator, |line, rec| {
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

fn render(
    a: &RfmArgs,
    as_of: Option<DateTime<Utc>>,
    scores: &RfmScores<String>,
    segments: &Segmentation,
) -> Res<String> {
    let mut out = String::new();
    let segment_of = |i: usize| segments.segment_of(i).unwrap_or(userops::rfm::OTHERS);
    match (a.output.format, a.summary) {
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
