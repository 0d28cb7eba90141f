//! `userops sample`: the built-in sample event log as CSV, for trying every subcommand (and
//! pandas, R or DuckDB) on the same data.

use std::io::{BufWriter, Write};

use chrono::{DateTime, Datelike, Timelike, Utc};
use clap::Args;
use userops::sample::{FEATURES, Order, SampleConfig, generate};

use crate::Res;

/// Flags of `userops sample`.
#[derive(Debug, Clone, Args)]
#[command(
    after_help = "The log's header is user,time,amount,event (time in UTC, \
'YYYY-MM-DD HH:MM:SS'), one row per event of the sample generator, in time order (users \
interleaved, as in an application's log) or grouped by user. --users-out writes \
user,signed_up,channel,region; --spend-out writes channel,month,spend."
)]
pub struct SampleArgs {
    /// Number of users (ids 0..N).
    #[arg(long, value_name = "N", default_value_t = 3000)]
    pub users: u64,
    /// Mean events per user, sign-up excluded.
    #[arg(long, value_name = "K", default_value_t = 10.0)]
    pub events_per_user: f64,
    /// Generator seed.
    #[arg(long, value_name = "S", default_value_t = 1)]
    pub seed: u64,
    /// Months of history from 2024-01-01.
    #[arg(long, value_name = "M", default_value_t = 24)]
    pub months: u32,
    /// The event log (default: standard output).
    #[arg(long, alias = "out", value_name = "FILE")]
    pub output: Option<String>,
    /// Rows in time order, or grouped by user.
    #[arg(long, value_name = "time|user", default_value = "time", value_parser = parse_order)]
    pub order: Order,
    /// Write only events with an amount (orders).
    #[arg(long)]
    pub orders_only: bool,
    /// Also write the users: user,signed_up,channel,region.
    #[arg(long, value_name = "FILE")]
    pub users_out: Option<String>,
    /// Also write the acquisition spend: channel,month,spend.
    #[arg(long, value_name = "FILE")]
    pub spend_out: Option<String>,
}

fn parse_order(text: &str) -> Result<Order, String> {
    text.parse::<Order>().map_err(|e| e.to_string())
}

fn write_time(w: &mut impl Write, t: &DateTime<Utc>) -> std::io::Result<()> {
    write!(
        w,
        "{:04}-{:02}-{:02} {:02}:{:02}:{:02}",
        t.year(),
        t.month(),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

fn create(path: &str) -> Res<BufWriter<Box<dyn Write>>> {
    let sink: Box<dyn Write> = if path == "-" {
        Box::new(std::io::stdout().lock())
    } else {
        Box::new(std::fs::File::create(path).map_err(|e| format!("cannot write {path}: {e}"))?)
    };
    Ok(BufWriter::with_capacity(1 << 20, sink))
}

/// Runs `userops sample`.
pub fn run(args: &SampleArgs) -> Res<()> {
    let config = SampleConfig::new(args.users)
        .events_per_user(args.events_per_user)
        .seed(args.seed)
        .months(args.months);
    let data = generate(&config)?.into_order(args.order);
    let out = args.output.as_deref().unwrap_or("-");
    let mut w = create(out)?;
    let mut rows = 0_u64;
    let written = (|| -> std::io::Result<()> {
        writeln!(w, "user,time,amount,event")?;
        for e in &data.events {
            if args.orders_only && e.amount == 0.0 {
                continue;
            }
            write!(w, "{},", e.user)?;
            write_time(&mut w, &e.at)?;
            let name = FEATURES.get(usize::from(e.feature)).copied().unwrap_or("");
            writeln!(w, ",{},{name}", e.amount)?;
            rows += 1;
        }
        w.flush()
    })();
    match written {
        // A closed pipe (`| head`) is not an error of ours.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => return Ok(()),
        other => other.map_err(|e| format!("cannot write {out}: {e}"))?,
    }
    if let Some(path) = &args.users_out {
        let mut w = create(path)?;
        writeln!(w, "user,signed_up,channel,region")?;
        for u in &data.users {
            write!(w, "{},", u.id)?;
            write_time(&mut w, &u.signed_up)?;
            writeln!(w, ",{},{}", u.channel, u.region)?;
        }
        w.flush()?;
    }
    if let Some(path) = &args.spend_out {
        let mut w = create(path)?;
        writeln!(w, "channel,month,spend")?;
        for s in &data.spend {
            writeln!(w, "{},{},{}", s.channel, s.month, s.spend)?;
        }
        w.flush()?;
    }
    eprintln!(
        "sample: {} users, {} events generated, {rows} rows in {} order written to {} (end {})",
        data.users.len(),
        data.events.len(),
        args.order.name(),
        if out == "-" { "standard output" } else { out },
        data.end.format("%Y-%m-%d")
    );
    Ok(())
}
