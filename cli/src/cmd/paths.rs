//! `userops paths`: the most common paths after (or before) an event, as Sankey rows.

use clap::Args;
use userops::fold::{FoldTable, Summary};
use userops::funnel::parse_window;
use userops::journey::JourneySummary;
use userops::paths::{Direction, PathParams, paths};

use crate::Res;
use crate::input::{Columns, InputArgs};
use crate::output::{Format, OutputArgs};

/// Flags of `userops paths`.
#[derive(Debug, Clone, Args)]
#[command(
    after_help = "--from NAME: the events after each user's first NAME; --to NAME: the \
events before it. JSON output: {\"rows\": [{\"step\": 1, \"from\": \"...\", \"to\": \"...\", \
\"users\": N}, ...], ...}; CSV output: step,from,to,users."
)]
pub struct PathsArgs {
    /// Which file and how to read it.
    #[command(flatten)]
    pub input: InputArgs,
    /// How and where the result is written.
    #[command(flatten)]
    pub output: OutputArgs,
    /// User id column (name, or #N from 0).
    #[arg(long, value_name = "COL")]
    pub user: String,
    /// Event time column.
    #[arg(long, value_name = "COL")]
    pub time: String,
    /// Event name column.
    #[arg(long, value_name = "COL")]
    pub event: String,
    /// Paths after each user's first NAME.
    #[arg(
        long,
        value_name = "NAME",
        conflicts_with = "to",
        required_unless_present = "to"
    )]
    pub from: Option<String>,
    /// Paths before each user's first NAME.
    #[arg(long, value_name = "NAME")]
    pub to: Option<String>,
    /// Events to follow.
    #[arg(long, value_name = "N", default_value_t = 5)]
    pub depth: usize,
    /// End a path at a gap longer than GAP (30min, 1h, 1d).
    #[arg(long, value_name = "GAP")]
    pub session_gap: Option<String>,
}

/// Runs `userops paths`.
pub fn run(args: &PathsArgs) -> Res<()> {
    let (event, direction) = match (&args.from, &args.to) {
        (Some(e), None) => (e.clone(), Direction::After),
        (None, Some(e)) => (e.clone(), Direction::Before),
        _ => return Err("give one of --from NAME or --to NAME".into()),
    };
    let mut params = PathParams::new(event, direction, args.depth);
    if let Some(g) = &args.session_gap {
        params = params.session_gap(parse_window(g)?);
    }
    let spec = params.check()?;
    let columns = Columns {
        user: args.user.clone(),
        time: args.time.clone(),
        name: Some(args.event.clone()),
        ..Columns::default()
    };
    let table = args.input.load_table(&columns)?;
    let mut summary = JourneySummary::new();
    summary.observe_table(&table)?;
    let report = paths(&summary.finish()?, &spec);
    let text = match args.output.format {
        Format::Json => format!("{}\n", serde_json::to_string(&report)?),
        Format::Table => report.to_string(),
        Format::Csv => {
            let mut out = String::from("step,from,to,users\n");
            for r in &report.rows {
                out.push_str(&format!(
                    "{},{},{},{}\n",
                    r.step,
                    crate::output::csv_field(&r.from),
                    crate::output::csv_field(&r.to),
                    r.users
                ));
            }
            out
        }
    };
    args.output.write(&text)
}
