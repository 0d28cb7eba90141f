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
//!
//! This example is the `userops sample` subcommand under its old name (same flags, same
//! output): `cargo run --release -p userops-cli -- sample --help` lists them.

fn main() -> std::process::ExitCode {
    userops_cli::run_as("sample")
}
