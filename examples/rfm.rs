//! RFM scores and segments for your own file.
//!
//! Order-level data (one row per purchase):
//!
//! ```text
//! cargo run --release --example rfm -- --input orders.csv --user customer_id \
//!     --time order_date --amount revenue --as-of 2006-12-31 [--bins 5] \
//!     [--binning quantile|ntile|r-rfm] [--recency-breaks a,b,..] [--frequency-breaks ..] \
//!     [--monetary-breaks ..] [--segments FILE.json] [--summary] [--format table|csv|json]
//! ```
//!
//! Customer-level data (one row per customer, as R `rfm_table_customer`):
//!
//! ```text
//! cargo run --release --example rfm -- --input customers.csv --customer-level \
//!     --user customer_id --recency-days recency_days --orders number_of_orders \
//!     --revenue revenue [--as-of 2007-01-01] [...]
//! ```
//!
//! Rows the reader cannot use are counted and listed on stderr, never dropped silently.
//!
//! This example is the `userops rfm` subcommand under its old name (same flags, same
//! output): `cargo run --release -p userops-cli -- rfm --help` lists them.

fn main() -> std::process::ExitCode {
    userops_cli::run_as("rfm")
}
