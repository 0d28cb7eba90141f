//! The `userops-sql` command as an example:
//!
//! ```text
//! cargo run -p userops-datafusion --example sql -- \
//!     "SELECT r['user'] AS customer, r['recency_days'] AS recency, r['frequency'] AS orders, \
//!             r['monetary'] AS revenue, r['segment'] AS segment \
//!      FROM (SELECT unnest(rfm(customer_id, order_date, revenue, DATE '2006-12-31')) AS r FROM tx) \
//!      ORDER BY revenue DESC LIMIT 5" \
//!     --table tx=tests/data/rfm_orders.csv
//! ```
//!
//! Add `--scheduler df://127.0.0.1:50050` to run it on a Ballista cluster (see the crate's
//! README).

fn main() -> std::process::ExitCode {
    userops_datafusion::cli::main(std::env::args_os())
}
