//! Multi-touch attribution for your own file.
//!
//! Event-level data (one row per event; touchpoints are named events, conversions are rows
//! with an amount or with the names given to `--conversion`):
//!
//! ```text
//! cargo run --release --example attribution -- --input events.csv --user user_id \
//!     --time ts --event event --amount revenue [--conversion order,purchase] \
//!     [--channels email,search,display] [--lookback-days 30] \
//!     [--models first_touch,last_touch,linear,time_decay:7,position_based:0.4,0.4,markov:1,shapley] \
//!     [--format table|csv|json]
//! ```
//!
//! Path-level data (ChannelAttribution's `path;total_conversions;total_conversion_value;
//! total_null`):
//!
//! ```text
//! cargo run --release --example attribution -- --input Data.csv --path-level --delimiter ';' \
//!     --path path --conversions total_conversions --value total_conversion_value \
//!     --nulls total_null [--separator '>'] [--models ...]
//! ```
//!
//! Rows the reader cannot use are counted and listed on stderr, never dropped silently.
//!
//! This example is the `userops attribution` subcommand under its old name (same flags, same
//! output): `cargo run --release -p userops-cli -- attribution --help` lists them.

fn main() -> std::process::ExitCode {
    userops_cli::run_as("attribution")
}
