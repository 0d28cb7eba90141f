//! Product quadrant, metric tree, value tiers, Pareto share and growth-lever counts from an
//! event file.
//!
//! ```text
//! cargo run --release --example value -- --input FILE --user COL --time COL [--amount COL]
//!     [--duration COL] [--event COL] --as-of DATE [--format table|json]
//!     [--window-days N] [--zone ZONE]
//! ```
//!
//! JSON output starts with `{"quadrant": {"frequency": "high"|"low", "payment": "direct"|"none", ...}, ...}`.
//!
//! This example is the `userops value` subcommand under its old name (same flags, same
//! output): `cargo run --release -p userops-cli -- value --help` lists them.

fn main() -> std::process::ExitCode {
    userops_cli::run_as("value")
}
