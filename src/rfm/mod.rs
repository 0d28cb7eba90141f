//! RFM: recency, frequency and monetary value per customer, scored into bins, named segments,
//! customer health and the value × activity quadrant.
//!
//! The pipeline is the crate's fold model:
//!
//! 1. [`RfmSummary`] folds purchase events into per-user recency (exact days to an explicit
//!    as-of instant), frequency (purchases; optionally distinct purchase days) and monetary
//!    value (total and mean). Hosts that already have those per customer build the same
//!    [`RfmTable`] with [`RfmTable::from_customers`] (the R package's `rfm_table_customer`).
//! 2. [`ScoreParams`] (checked once into a [`Scorer`]) turns the table into scores `1..=k` per
//!    dimension with one of four [`Method`]s: sample quantiles (R type 7), n-tiles (pandas
//!    `qcut(rank(method="first"))`), the caller's breaks, or [`Method::RfmR`], which
//!    reproduces the R package `rfm` 0.3 customer by customer. Recency scores are reversed
//!    (recent = high). The report exposes the thresholds, the combined score as digits
//!    (`R·100 + F·10 + M`) and a weighted sum. [`Scorer::score_summary`] scores a summary
//!    directly, without building the table (the fast path for millions of users).
//!
//! Scale: the summary keeps 24 bytes of state per user (at most 49 bytes with `u64` ids,
//! index included), needs no hash map when events arrive ordered by user, and quantile breaks
//! take three linear passes (exact order statistics from bucket counts), so the whole pipeline
//! is `O(n)` in purchases plus `O(users)`; only [`Method::Ntile`] sorts (`O(users log users)`).
//! 3. [`SegmentRules`] (first match wins, "Others" otherwise; the standard 11-segment map;
//!    JSON files) name a segment per customer, flag rules that can never match, and summarize
//!    customers, orders, revenue, average order value and shares per segment.
//! 4. [`HealthParams`] classify customers as healthy / warning / churned and into the value ×
//!    activity quadrant, each with its suggested play.
//!
//! ```
//! use chrono::{TimeZone, Utc};
//! use userops::event::EventRecord;
//! use userops::fold::{fold, Summary};
//! use userops::rfm::{HealthParams, Method, RfmSummary, ScoreParams, SegmentRules};
//!
//! let day = |m, d| Utc.with_ymd_and_hms(2025, m, d, 0, 0, 0).unwrap();
//! let mut orders = Vec::new();
//! for (i, user) in ["ana", "bo", "cy", "di", "ed", "flo", "gus", "hal", "ivy", "jo"].iter().enumerate() {
//!     let i = i as u32;
//!     for k in 0..=i % 4 {
//!         orders.push(EventRecord::<&str>::new(*user, day(1 + i % 6, 1 + k)).with_amount(20.0 + 15.0 * f64::from(i)));
//!     }
//! }
//! let table = fold(RfmSummary::new(day(7, 1)), &orders)?.finish()?;
//! let scores = ScoreParams::new(Method::Quantile).check()?.score(&table)?;
//! let segments = SegmentRules::standard().segment(&scores)?;
//! let health = HealthParams::default().assess(&scores)?;
//! assert_eq!(scores.customers.len(), 10);
//! assert_eq!(segments.summary.iter().map(|s| s.customers).sum::<u64>(), 10);
//! assert_eq!(health.health.iter().map(|h| h.customers).sum::<u64>(), 10);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod binning;
mod health;
mod score;
mod segment;
mod summary;

pub use binning::{Band, Closed, Method, Thresholds, quantile_breaks};
pub use health::{Health, HealthGroup, HealthParams, HealthReport, Quadrant, QuadrantGroup};
pub use score::{FrequencyMeasure, RfmScores, ScoreParams, ScoredCustomer, Scorer, Weights};
pub use segment::{OTHERS, SegmentRow, SegmentRule, SegmentRules, Segmentation, UnreachableRule};
pub use summary::{CustomerRfm, CustomerRow, RfmSummary, RfmTable};
