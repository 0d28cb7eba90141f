//! `userops labels`: the per-user label table — lifecycle stage in each period, inactivity,
//! RFM scores and segment, health, preference tags.

use std::io::Write;

use clap::{Args, ValueEnum};
use userops::engine::EventTable;
use userops::event::Event;
use userops::labels::{ClvLabelOptions, LabelOptions, TagOptions, label_events, latest_event};
use userops::lifecycle::StageParams;
use userops::time::parse_instant;

use crate::Res;
use crate::input::{Columns, InputArgs};

/// How the table is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LabelFormat {
    /// One row per user, a column per label (and one per period's stage).
    Csv,
    /// An array of per-user objects.
    Json,
    /// A Parquet file (needs --output).
    Parquet,
    /// A readable table (head and tail).
    Table,
}

/// Flags of `userops labels`.
#[derive(Debug, Clone, Args)]
pub struct LabelsArgs {
    /// Which file and how to read it.
    #[command(flatten)]
    pub input: InputArgs,
    /// User id column (name, or #N from 0).
    #[arg(long, value_name = "COL")]
    pub user: String,
    /// Event time column.
    #[arg(long, value_name = "COL")]
    pub time: String,
    /// Amount paid (RFM monetary); without it every amount is 0.
    #[arg(long, value_name = "COL")]
    pub amount: Option<String>,
    /// Event name column; with it, each user's preference tags (features used in at least 30%
    /// of their active months, top 3).
    #[arg(long, alias = "event", value_name = "COL")]
    pub name: Option<String>,
    /// Snapshot instant (default: the last event); later events are refused, or dropped and
    /// counted with --drop-after-as-of.
    #[arg(long, value_name = "DATE", allow_hyphen_values = true)]
    pub as_of: Option<String>,
    /// Monthly stage periods ending with the as-of month.
    #[arg(long, value_name = "N", default_value_t = 12)]
    pub periods: usize,
    /// Inactive periods after which a user is churned.
    #[arg(long, value_name = "N", default_value_t = 2)]
    pub churn_after: u32,
    /// Add P(alive) and CLV from a BG/NBD + Gamma-Gamma fit on the purchases (needs --amount).
    #[arg(long)]
    pub clv: bool,
    /// CLV horizon in months (with --clv).
    #[arg(long, value_name = "N", default_value_t = 12)]
    pub clv_months: u32,
    /// Add value tiers from the value score over the N days before as-of.
    #[arg(long, value_name = "N")]
    pub value_days: Option<u32>,
    /// csv (default), json, parquet or table.
    #[arg(long, value_enum, default_value_t = LabelFormat::Csv)]
    pub format: LabelFormat,
    /// Write to FILE instead of standard output.
    #[arg(long, value_name = "FILE")]
    pub output: Option<String>,
}

/// Runs `userops labels`.
pub fn run(a: &LabelsArgs) -> Res<()> {
    let columns = Columns {
        user: a.user.clone(),
        time: a.time.clone(),
        amount: a.amount.clone(),
        name: a.name.clone(),
        ..Columns::default()
    };
    let mut table = a.input.load_table(&columns)?;
    let as_of = match &a.as_of {
        Some(t) => parse_instant(t, &a.input.zone)?,
        None => latest_event(&table).ok_or("the file has no usable event")?,
    };
    if a.input.drop_after_as_of {
        let kept = EventTable::from_events(table.rows().filter(|r| r.at() <= as_of))?;
        eprintln!(
            "{} events after the as-of date dropped (--drop-after-as-of)",
            table.len() - kept.len()
        );
        table = kept;
    }
    let mut options = LabelOptions::monthly(as_of, a.periods);
    options.stage_params = StageParams::new(a.churn_after)?;
    if a.name.is_some() {
        options.tags = Some(TagOptions::default());
    }
    options.value_days = a.value_days;
    if a.clv {
        if a.amount.is_none() {
            return Err("--clv fits the purchases: give the amount column with --amount".into());
        }
        options.clv = Some(ClvLabelOptions {
            months: a.clv_months,
            ..ClvLabelOptions::default()
        });
    }
    let labels = label_events(&table, &options)?;
    let create = |path: &str| -> Res<std::fs::File> {
        std::fs::File::create(path).map_err(|e| format!("cannot write {path}: {e}").into())
    };
    if a.format == LabelFormat::Parquet {
        let path = a
            .output
            .as_ref()
            .ok_or("--format parquet needs --output FILE")?;
        write_parquet(&labels, create(path)?)?;
    } else {
        let mut buf: Vec<u8> = Vec::new();
        match a.format {
            LabelFormat::Json => labels.write_json(&mut buf)?,
            LabelFormat::Table => write!(buf, "{labels}")?,
            _ => labels.write_csv(&mut buf)?,
        }
        let out = crate::output::OutputArgs {
            format: crate::output::Format::Csv,
            output: a.output.clone(),
        };
        out.write(&String::from_utf8(buf)?)?;
    }
    eprintln!(
        "{} users labelled over {} periods",
        labels.len(),
        labels.periods.len()
    );
    Ok(())
}

#[cfg(feature = "parquet")]
fn write_parquet<U>(labels: &userops::labels::LabelTable<U>, file: std::fs::File) -> Res<()>
where
    U: Clone + Eq + std::hash::Hash + Ord + std::fmt::Debug + std::fmt::Display,
{
    labels.write_parquet(file)?;
    Ok(())
}

#[cfg(not(feature = "parquet"))]
fn write_parquet<U>(_: &userops::labels::LabelTable<U>, _: std::fs::File) -> Res<()> {
    Err("--format parquet needs the `parquet` feature of userops-cli".into())
}
