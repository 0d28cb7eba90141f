//! What predicts retention, from an event file: odds ratio, phi, χ² p-value and
//! Benjamini–Hochberg q-value per event and "did X at least n times within d days of start".
//!
//! ```text
//! cargo run --release --example correlation -- --input FILE --user COL --time COL --event COL \
//!     --start-event NAME --return-event NAME --as-of DATETIME [--behaviour 7d] \
//!     [--retained-from 7d] [--retained-to 28d] [--at-least 1,3] [--exclude A,B] [--tz ZONE] \
//!     [--format table|json]
//! ```
//!
//! The logic is the library's (`userops::correlation`); the reader's account goes to stderr.
//!
//! This example is the `userops correlation` subcommand under its old name (same flags, same
//! output): `cargo run --release -p userops-cli -- correlation --help` lists them.

fn main() -> std::process::ExitCode {
    userops_cli::run_as("correlation")
}
