//! `userops report`: one self-contained HTML page — every model drawn as SVG — for a file.

use clap::Args;
use userops::chart::html::{ReportOptions, charts, report};
use userops::time::{Interval, parse_instant};

use crate::Res;
use crate::input::{Columns, InputArgs};

/// Flags of `userops report`.
#[derive(Debug, Clone, Args)]
#[command(
    after_help = "The page holds an overview and a section per model (RFM, lifecycle \
with its decomposition, retention, CLV, value, health): inline SVG and CSS, no script, nothing \
fetched; it opens in a browser with no network."
)]
pub struct ReportArgs {
    /// Which file and how to read it.
    #[command(flatten)]
    pub input: InputArgs,
    /// User id column (name, or #N from 0).
    #[arg(long, value_name = "COL")]
    pub user: String,
    /// Event time column.
    #[arg(long, value_name = "COL")]
    pub time: String,
    /// Amount column (payments; 0 or empty is not a payment).
    #[arg(long, value_name = "COL")]
    pub amount: String,
    /// Event name column (optional; not used by the report's models).
    #[arg(long, value_name = "COL")]
    pub event: Option<String>,
    /// The report's instant: events after it are left out (a date means its start).
    #[arg(long, value_name = "DATE", allow_hyphen_values = true)]
    pub as_of: String,
    /// The HTML file to write (default: standard output).
    #[arg(long, value_name = "FILE")]
    pub output: Option<String>,
    /// The page's title.
    #[arg(long)]
    pub title: Option<String>,
    /// Lifecycle and retention periods: day, week or month.
    #[arg(long, default_value = "month")]
    pub interval: String,
    /// Periods the lifecycle and retention sections cover.
    #[arg(long, value_name = "N", default_value_t = 12)]
    pub periods: usize,
    /// The health index's warning line (0-100).
    #[arg(long, value_name = "X")]
    pub warning_line: Option<f64>,
    /// The health index's healthy line (0-100).
    #[arg(long, value_name = "Y")]
    pub healthy_line: Option<f64>,
    /// Also write the chart with this id (lifecycle-bars, rfm-heatmap, ...) on its own.
    #[arg(long, value_name = "ID", requires = "svg")]
    pub chart: Option<String>,
    /// Where --chart's SVG goes.
    #[arg(long, value_name = "FILE", requires = "chart")]
    pub svg: Option<String>,
}

/// Runs `userops report`.
pub fn run(args: &ReportArgs) -> Res<()> {
    let zone = args.input.zone;
    let as_of = parse_instant(&args.as_of, &zone)?;
    let mut options = ReportOptions {
        zone,
        interval: Interval::parse(&args.interval, chrono::Weekday::Mon)?,
        periods: args.periods,
        ..ReportOptions::default()
    };
    if let Some(t) = &args.title {
        options.title.clone_from(t);
    }
    if let Some(x) = args.warning_line {
        options.health.warning_line = x;
    }
    if let Some(y) = args.healthy_line {
        options.health.healthy_line = y;
    }
    let columns = Columns {
        user: args.user.clone(),
        time: args.time.clone(),
        amount: Some(args.amount.clone()),
        name: args.event.clone(),
        ..Columns::default()
    };
    let table = args.input.load_table(&columns)?;
    let started = std::time::Instant::now();
    let page = report(&table, as_of, &options)?;
    let out = crate::output::OutputArgs {
        format: crate::output::Format::Table,
        output: args.output.clone(),
    };
    out.write(&page)?;
    if let Some(path) = &args.output {
        eprintln!(
            "wrote {path}: {} bytes in {:.2} s",
            page.len(),
            started.elapsed().as_secs_f64()
        );
    }
    if let (Some(id), Some(path)) = (&args.chart, &args.svg) {
        let all = charts(&table, as_of, &options)?;
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
