//! Lifecycle stages or PostHog's lifecycle view from an event file.
//!
//! ```text
//! cargo run --release --example lifecycle -- --input FILE --user COL --time COL [--created COL]
//!     --interval day|week|month [--week-start monday|sunday] [--tz ZONE] --from DATE --to DATE
//!     --model stages|posthog [--churn-after N] [--format table|json]
//! ```
//!
//! `--model posthog --format json` prints
//! `{"periods": [...], "new": [...], "returning": [...], "resurrecting": [...], "dormant": [...]}`;
//! `--model stages` prints the stage counts per period, the decomposition with the active rate
//! and the transition matrix. The reader's account of rows read and rejected goes to stderr.
//!
//! This example is the `userops lifecycle` subcommand under its old name (same flags, same
//! output): `cargo run --release -p userops-cli -- lifecycle --help` lists them.

fn main() -> std::process::ExitCode {
    userops_cli::run_as("lifecycle")
}
