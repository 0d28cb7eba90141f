//! A conversion funnel from an event file, with PostHog's semantics.
//!
//! ```text
//! cargo run --release --example funnel -- --input FILE --user COL --time COL --event COL \
//!     --steps A,B,C [--window 14d] [--order ordered|strict|unordered] [--entry every|first] \
//!     [--exclude NAME:FROM:TO] [--breakdown COL] [--trend day|week|month] [--week-start D] \
//!     [--from DATE] [--to DATE] [--tz ZONE] [--bins N] [--format table|json] [--timing]
//! ```
//!
//! The logic is the library's (`userops::funnel`); this file reads flags and prints. The
//! reader's account of rows read and rejected goes to stderr; `--timing` prints
//! `{"stage": "funnel", "seconds": S}` to stderr (the fold and the report, the read excluded),
//! which `scripts/compare/compare_funnel.py` reads.
//!
//! This example is the `userops funnel` subcommand under its old name (same flags, same
//! output): `cargo run --release -p userops-cli -- funnel --help` lists them.

fn main() -> std::process::ExitCode {
    userops_cli::run_as("funnel")
}
