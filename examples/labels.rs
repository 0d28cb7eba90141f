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
//!
//! This example is the `userops labels` subcommand under its old name (same flags, same
//! output): `cargo run --release -p userops-cli -- labels --help` lists them.

fn main() -> std::process::ExitCode {
    userops_cli::run_as("labels")
}
