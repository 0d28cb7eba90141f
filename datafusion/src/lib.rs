//! The userops models as DataFusion functions, in-process or on a Ballista cluster.
//!
//! [`register`] adds aggregate functions to a session. The whole-log models take the event
//! columns (user, time, amount) and constant parameters, and return a `List` of result rows
//! (structs): `unnest` makes them rows, `r['field']` reads a field. Their partial state is the
//! core's mergeable summary, serialized, so they give the same result on any number of
//! partitions, files or executors. The BTYD fits take per-customer rows and return one struct.
//! Times are read in UTC; dates and timestamps may be given as `DATE`, `TIMESTAMP` or text.
//!
//! | function | result fields |
//! |---|---|
//! | `rfm(user, time, amount, as_of [, 'quantile'\|'ntile'\|'r-rfm' [, bins]])` | per customer: `user`, `recency_days`, `frequency`, `monetary`, `r`, `f`, `m`, `rfm_score`, `segment` |
//! | `rfm_score(user, recency_days, frequency, monetary [, binning [, bins]])` | the same, from customer-level rows (R `rfm_table_customer`), e.g. the query's own `GROUP BY` |
//! | `rfm_customer(time, amount, as_of)` with `GROUP BY` customer | one struct per group: `recency_days`, `frequency`, `monetary` (a grouped accumulator; feed it to `rfm_score`) |
//! | `lifecycle(user, time, from, to [, period [, churn_after]])` | per period: `period`, `period_start`, `new`, `retained`, `retained_new`, `woken`, `returned`, `dormant`, `churned`, `known`, `active`, `active_rate`, `old_active_prev`, `old_retention`, `new_prev`, `new_retention`, `dormant_prev`, `wake_rate`, `churned_prev`, `return_rate`, `dormant_stay` |
//! | `retention(user, time, from, to [, 'recurring'\|'first-time' [, period]])` | per cohort and offset: `cohort`, `cohort_start`, `period_offset`, `cohort_size`, `users`, `rate` |
//! | `btyd_summary(user, time, amount, calibration_end [, 'week'\|'day' [, holdout_end]])` | per customer: `user`, `frequency`, `recency`, `t`, `monetary_value`, `frequency_holdout`, `monetary_holdout`, `duration_holdout` |
//! | `bgnbd_fit(frequency, recency, t [, n])` | one struct: `r`, `alpha`, `a`, `b`, `log_likelihood`, `customers`, `converged` |
//! | `pareto_nbd_fit(frequency, recency, t [, n])` | one struct: `r`, `alpha`, `s`, `beta`, `log_likelihood`, `customers`, `converged` |
//! | `gamma_gamma_fit(frequency, monetary_value [, n])` | one struct: `p`, `q`, `gamma`, `log_likelihood`, `customers`, `converged` |
//!
//! * **lifecycle** — the seven stages of [`userops::lifecycle::Stage`] per calendar period from
//!   the one containing `from` to the one containing `to`, and the active-user decomposition
//!   ([`userops::lifecycle::Decomposition`]). `period`: `'month'` (default), `'week'` (Monday
//!   start), `'week:sunday'`, `'day'`; `churn_after` (default 2): inactive periods after which
//!   a user is churned.
//! * **retention** — the cohort triangle of [`userops::retention`], every event both a start
//!   and a return: one row per observable cell (cohort `i` of `n` has `n - i`), offset 0 being
//!   the cohort itself; `rate` is NULL for an empty cohort. `period`: `'month'` (default),
//!   `'week'` (Sunday start, as PostHog), `'week:monday'`, `'day'`.
//! * **`btyd_summary`** — [`userops::ltv::BtydSummary`]: purchases per distinct day, recency and
//!   `T` in the unit (`'week'` by default), mean spend per repeat purchase day, the holdout
//!   columns 0 without `holdout_end`.
//! * **the fits** — [`userops::ltv::BgNbdParams::fit`], [`userops::ltv::ParetoNbdParams::fit`],
//!   [`userops::ltv::GammaGammaParams::fit`] (default options). Their partial state is the
//!   unique rows with counts, so the customers never meet in one place before the fit; `n` says
//!   how many customers a row stands for (a `GROUP BY ... count(*)` first makes the unique rows).
//!   No row gives NULL; at most 20 million customers (the sum of `n`) per fit.
//!
//! A NULL user or time, a NaN amount or an invalid customer row fails the query with a message
//! naming it; nothing is dropped silently.
//!
//! RFM:
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
//!
//! Lifecycle and retention by month (ana buys in January and March, bo in February):
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> datafusion::error::Result<()> {
//! use datafusion::arrow::util::pretty::pretty_format_batches;
//! let ctx = datafusion::prelude::SessionContext::new();
//! userops_datafusion::register(&ctx);
//! ctx.sql("CREATE TABLE events (who TEXT, at TIMESTAMP) AS VALUES \
//!          ('ana', TIMESTAMP '2025-01-05'), ('bo', TIMESTAMP '2025-02-11'), \
//!          ('ana', TIMESTAMP '2025-03-20')").await?;
//! let stages = ctx
//!     .sql("SELECT r['period'] AS period, r['new'] AS new, r['woken'] AS woken, \
//!                  r['dormant'] AS dormant, r['active'] AS active \
//!           FROM (SELECT unnest(lifecycle(who, at, DATE '2025-01-01', DATE '2025-03-31')) AS r \
//!                 FROM events)")
//!     .await?
//!     .collect()
//!     .await?;
//! let text = pretty_format_batches(&stages)?.to_string();
//! assert!(text.contains("| 2025-02 | 1   | 0     | 1       | 1      |"), "{text}");
//! assert!(text.contains("| 2025-03 | 0   | 1     | 1       | 1      |"), "{text}");
//! let cells = ctx
//!     .sql("SELECT r['cohort'] AS cohort, r['period_offset'] AS k, r['users'] AS users \
//!           FROM (SELECT unnest(retention(who, at, DATE '2025-01-01', DATE '2025-03-31', \
//!                                         'first-time')) AS r FROM events)")
//!     .await?
//!     .collect()
//!     .await?;
//! let text = pretty_format_batches(&cells)?.to_string();
//! assert!(text.contains("| 2025-01 | 2 | 1     |"), "{text}"); // ana, back two months later
//! # Ok(())
//! # }
//! ```
//!
//! The BTYD summary per customer, then a BG/NBD fit over its unique rows:
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> datafusion::error::Result<()> {
//! use datafusion::arrow::util::pretty::pretty_format_batches;
//! let ctx = datafusion::prelude::SessionContext::new();
//! userops_datafusion::register(&ctx);
//! ctx.sql("CREATE TABLE tx (customer TEXT, ts TIMESTAMP, amount DOUBLE) AS VALUES \
//!          ('ana', TIMESTAMP '2025-01-01', 30.0), ('ana', TIMESTAMP '2025-01-15', 12.0), \
//!          ('ana', TIMESTAMP '2025-01-29', 18.0), ('bo', TIMESTAMP '2025-01-08', 5.0)").await?;
//! let summary = ctx
//!     .sql("SELECT c['user'] AS customer, c['frequency'] AS x, c['recency'] AS t_x, \
//!                  c['t'] AS t, c['monetary_value'] AS spend \
//!           FROM (SELECT unnest(btyd_summary(customer, ts, amount, DATE '2025-02-26')) AS c FROM tx)")
//!     .await?
//!     .collect()
//!     .await?;
//! let text = pretty_format_batches(&summary)?.to_string();
//! assert!(text.contains("| ana      | 2 | 4.0 | 8.0 | 15.0  |"), "{text}");
//! assert!(text.contains("| bo       | 0 | 0.0 | 7.0 | 0.0   |"), "{text}");
//!
//! // 200 customers as 46 unique rows with counts (x = 0 with t_x = 0, and 15 recencies for each
//! // x of 1, 2, 3).
//! ctx.sql("CREATE TABLE customers AS SELECT value % 4 AS x, \
//!          CASE WHEN value % 4 = 0 THEN 0.0 ELSE CAST(value % 30 AS DOUBLE) END AS t_x, \
//!          30.0 AS t FROM range(200)").await?;
//! let fit = ctx
//!     .sql("SELECT f['customers'] AS customers, f['log_likelihood'] < 0 AS fitted \
//!           FROM (SELECT bgnbd_fit(x, t_x, t, n) AS f \
//!                 FROM (SELECT x, t_x, t, count(*) AS n FROM customers GROUP BY x, t_x, t))")
//!     .await?
//!     .collect()
//!     .await?;
//! let text = pretty_format_batches(&fit)?.to_string();
//! assert!(text.contains("| 200       | true   |"), "{text}");
//! # Ok(())
//! # }
//! ```
#![deny(missing_docs)]

use std::sync::Arc;

use datafusion::logical_expr::AggregateUDF;
use datafusion::prelude::SessionContext;

#[cfg(feature = "ballista")]
pub mod ballista;
mod btyd;
pub mod cli;
mod customer;
mod fits;
mod lifecycle;
mod retention;
mod rfm;
mod udaf;
mod unique_rows;

/// Every userops aggregate function, ready to register on a session or a Ballista executor.
///
/// ```
/// let names: Vec<String> = userops_datafusion::aggregate_functions()
///     .iter()
///     .map(|f| f.name().to_string())
///     .collect();
/// for f in ["rfm", "lifecycle", "retention", "btyd_summary", "bgnbd_fit", "pareto_nbd_fit",
///           "gamma_gamma_fit"] {
///     assert!(names.contains(&f.to_string()), "{f}");
/// }
/// ```
#[must_use]
pub fn aggregate_functions() -> Vec<Arc<AggregateUDF>> {
    vec![
        Arc::new(AggregateUDF::new_from_impl(
            udaf::LogAggregate::<rfm::Rfm>::new(),
        )),
        Arc::new(AggregateUDF::new_from_impl(rfm::RfmScore::new())),
        Arc::new(AggregateUDF::new_from_impl(customer::RfmCustomer::new())),
        Arc::new(AggregateUDF::new_from_impl(udaf::LogAggregate::<
            lifecycle::Lifecycle,
        >::new())),
        Arc::new(AggregateUDF::new_from_impl(udaf::LogAggregate::<
            retention::Retention,
        >::new())),
        Arc::new(AggregateUDF::new_from_impl(
            udaf::LogAggregate::<btyd::Btyd>::new(),
        )),
        Arc::new(AggregateUDF::new_from_impl(unique_rows::FitAggregate::<
            fits::BgNbdFit,
        >::new())),
        Arc::new(AggregateUDF::new_from_impl(unique_rows::FitAggregate::<
            fits::ParetoNbdFit,
        >::new())),
        Arc::new(AggregateUDF::new_from_impl(unique_rows::FitAggregate::<
            fits::GammaGammaFit,
        >::new())),
    ]
}

/// Registers every userops function on `ctx`.
///
/// ```
/// use datafusion::execution::FunctionRegistry;
/// let ctx = datafusion::prelude::SessionContext::new();
/// userops_datafusion::register(&ctx);
/// assert!(ctx.udaf("rfm").is_ok());
/// assert!(ctx.udaf("bgnbd_fit").is_ok());
/// ```
pub fn register(ctx: &SessionContext) {
    for f in aggregate_functions() {
        ctx.register_udaf(f.as_ref().clone());
    }
}
