//! The userops models as DataFusion functions, in-process or on a Ballista cluster.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> datafusion::error::Result<()> {
//! use datafusion::prelude::SessionContext;
//! let ctx = SessionContext::new();
//! userops_datafusion::register(&ctx);
//! ctx.sql("CREATE TABLE tx (customer TEXT, ts TIMESTAMP, amount DOUBLE) AS VALUES \
//!          ('ana', TIMESTAMP '2025-01-01', 30.0), ('ana', TIMESTAMP '2025-01-21', 12.0), \
//!          ('bo', TIMESTAMP '2025-01-11', 5.0)").await?;
//! let rows = ctx
//!     .sql("SELECT r['user'] AS customer, r['recency_days'] AS recency, r['frequency'] AS orders \
//!           FROM (SELECT unnest(rfm(customer, ts, amount, TIMESTAMP '2025-01-31')) AS r FROM tx) \
//!           ORDER BY customer")
//!     .await?
//!     .collect()
//!     .await?;
//! let text = datafusion::arrow::util::pretty::pretty_format_batches(&rows)?.to_string();
//! assert!(text.contains("| ana      | 10.0    | 2      |"), "{text}");
//! assert!(text.contains("| bo       | 20.0    | 1      |"), "{text}");
//! # Ok(())
//! # }
//! ```
#![deny(missing_docs)]

use std::sync::Arc;

use datafusion::logical_expr::AggregateUDF;
use datafusion::prelude::SessionContext;

#[cfg(feature = "ballista")]
pub mod ballista;
pub mod cli;
mod rfm;
mod udaf;

/// Every userops aggregate function, ready to register on a session or a Ballista executor.
///
/// ```
/// let names: Vec<String> = userops_datafusion::aggregate_functions()
///     .iter()
///     .map(|f| f.name().to_string())
///     .collect();
/// assert!(names.contains(&"rfm".to_string()));
/// ```
#[must_use]
pub fn aggregate_functions() -> Vec<Arc<AggregateUDF>> {
    vec![Arc::new(AggregateUDF::new_from_impl(udaf::LogAggregate::<
        rfm::Rfm,
    >::new()))]
}

/// Registers every userops function on `ctx`.
///
/// ```
/// use datafusion::execution::FunctionRegistry;
/// let ctx = datafusion::prelude::SessionContext::new();
/// userops_datafusion::register(&ctx);
/// assert!(ctx.udaf("rfm").is_ok());
/// ```
pub fn register(ctx: &SessionContext) {
    for f in aggregate_functions() {
        ctx.register_udaf(f.as_ref().clone());
    }
}
