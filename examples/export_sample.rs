//! Writes the sample generator's event log to CSV, so that other tools (pandas, `lifetimes`,
//! R) can run the same jobs on the same data (see `scripts/compare/`).
//!
//! ```text
//! cargo run --release --example export_sample -- --users 100000 --events-per-user 10 --seed 1 --out sample.csv
//!     [--months 24] [--order time|user] [--orders-only] [--users-out users.csv] [--spend-out spend.csv]
//! ```
//!
//! The log has the header `user,time,amount,event` (time in UTC, `YYYY-MM-DD HH:MM:SS`), one
//! row per event of
//! `userops::sample::generate(&SampleConfig::new(users).events_per_user(k).seed(s).months(m))`,
//! in time order (`--order time`, the default: `SampleData::into_order(Order::Time)`, users
//! interleaved as in an application's log) or grouped by user in time order within a user
//! (`--order user`, as generated). `--users-out` writes `user,signed_up,channel,region`; `--spend-out` writes
//! `channel,month,spend`. A summary line goes to stderr.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::process::ExitCode;

use chrono::{Datelike, Timelike};
use userops::sample::{FEATURES, Order, SampleConfig, generate};

const HELP: &str = "export_sample: write the userops sample event log to CSV

usage: cargo run --release --example export_sample -- --users N --events-per-user K --seed S --out FILE
           [--months M] [--order time|user] [--orders-only] [--users-out FILE] [--spend-out FILE]

  --users N            number of users (ids 0..N)
  --events-per-user K  mean events per user, sign-up excluded (default 10)
  --seed S             generator seed (default 1)
  --months M           months of history from 2024-01-01 (default 24)
  --out FILE           the event log: user,time,amount,event (time UTC 'YYYY-MM-DD HH:MM:SS')
  --order time|user    rows in time order (default) or grouped by user
  --orders-only        write only events with an amount (orders)
  --users-out FILE     also write user,signed_up,channel,region
  --spend-out FILE     also write channel,month,spend
  --help               this text";

struct Args {
    users: u64,
    events_per_user: f64,
    seed: u64,
    months: u32,
    out: String,
    order: Order,
    orders_only: bool,
    users_out: Option<String>,
    spend_out: Option<String>,
}

fn parse_args(args: &[String]) -> Result<Option<Args>, String> {
    let mut users = None;
    let mut events_per_user = 10.0;
    let mut seed = 1;
    let mut months = 24;
    let mut out = None;
    let mut order = Order::Time;
    let mut orders_only = false;
    let mut users_out = None;
    let mut spend_out = None;
    let mut it = args.iter();
    while let Some(flag) = it.next() {
        let mut value = |name: &str| {
            it.next()
                .cloned()
                .ok_or_else(|| format!("{name} needs a value"))
        };
        match flag.as_str() {
            "--help" | "-h" => return Ok(None),
            "--users" => {
                let v = value("--users")?;
                users = Some(
                    v.parse::<u64>()
                        .map_err(|_| format!("--users: {v:?} is not a whole number"))?,
                );
            }
            "--events-per-user" => {
                let v = value("--events-per-user")?;
                events_per_user = v
                    .parse::<f64>()
                    .map_err(|_| format!("--events-per-user: {v:?} is not a number"))?;
            }
            "--seed" => {
                let v = value("--seed")?;
                seed = v
                    .parse::<u64>()
                    .map_err(|_| format!("--seed: {v:?} is not a whole number"))?;
            }
            "--months" => {
                let v = value("--months")?;
                months = v
                    .parse::<u32>()
                    .map_err(|_| format!("--months: {v:?} is not a whole number"))?;
            }
            "--out" => out = Some(value("--out")?),
            "--order" => {
                order = value("--order")?
                    .parse()
                    .map_err(|e| format!("--order: {e}"))?;
            }
            "--orders-only" => orders_only = true,
            "--users-out" => users_out = Some(value("--users-out")?),
            "--spend-out" => spend_out = Some(value("--spend-out")?),
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    Ok(Some(Args {
        users: users.ok_or("--users is required")?,
        events_per_user,
        seed,
        months,
        out: out.ok_or("--out is required")?,
        order,
        orders_only,
        users_out,
        spend_out,
    }))
}

fn write_time(w: &mut impl Write, t: &chrono::DateTime<chrono::Utc>) -> std::io::Result<()> {
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

fn run(args: &Args) -> Result<(), Box<dyn std::error::Error>> {
    let config = SampleConfig::new(args.users)
        .events_per_user(args.events_per_user)
        .seed(args.seed)
        .months(args.months);
    let data = generate(&config)?.into_order(args.order);
    let mut w = BufWriter::with_capacity(1 << 20, File::create(&args.out)?);
    writeln!(w, "user,time,amount,event")?;
    let mut rows = 0_u64;
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
    w.flush()?;
    if let Some(path) = &args.users_out {
        let mut w = BufWriter::new(File::create(path)?);
        writeln!(w, "user,signed_up,channel,region")?;
        for u in &data.users {
            write!(w, "{},", u.id)?;
            write_time(&mut w, &u.signed_up)?;
            writeln!(w, ",{},{}", u.channel, u.region)?;
        }
        w.flush()?;
    }
    if let Some(path) = &args.spend_out {
        let mut w = BufWriter::new(File::create(path)?);
        writeln!(w, "channel,month,spend")?;
        for s in &data.spend {
            writeln!(w, "{},{},{}", s.channel, s.month, s.spend)?;
        }
        w.flush()?;
    }
    eprintln!(
        "export_sample: {} users, {} events generated, {rows} rows in {} order written to {} (end {})",
        data.users.len(),
        data.events.len(),
        args.order.name(),
        args.out,
        data.end.format("%Y-%m-%d")
    );
    Ok(())
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match parse_args(&args) {
        Ok(None) => {
            println!("{HELP}");
            ExitCode::SUCCESS
        }
        Ok(Some(a)) => match run(&a) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("export_sample: {e}");
                ExitCode::FAILURE
            }
        },
        Err(msg) => {
            eprintln!("export_sample: {msg}\n\n{HELP}");
            ExitCode::from(2)
        }
    }
}
