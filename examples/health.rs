//! User health over the sample data, day by day: the index, its alerts and anomalies, per-user
//! bands and alerts, and month-by-month three-colour warnings.
//!
//! ```text
//! cargo run --release --example health -- [--users N] [--seed S] [--days D] [--warning-line L]
//! ```
//!
//! The sample product is used a few times a month, so its index sits far below the library's
//! default warning line of 40 (which suits a daily-use product); the example's default line
//! is 12 (`--warning-line`).
//!
//! The index is scored for the last `--days` days (default 365) of the sample's history. The
//! warnings use figures computed from the sample: the churn rate of a month (users active the
//! month before and not in it, over users active the month before) and an LTV proxy (revenue
//! per active user over the trailing three months against the three months before). The
//! sample has no complaint data, so the yellow rule is not evaluated.
//!
//! This example is the `userops health` subcommand under its old name (same flags, same
//! output): `cargo run --release -p userops-cli -- health --help` lists them.

fn main() -> std::process::ExitCode {
    userops_cli::run_as("health")
}
