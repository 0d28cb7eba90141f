//! Conversion funnels with PostHog's semantics: steps by event name or predicate, a
//! conversion window of any length, ordered / strict / unordered steps, exclusion steps,
//! breakdown by an event property or a user attribute, first entry or every entry; per-step
//! counts, conversion and drop-off rates, conversion times (mean, median, histogram) and
//! conversion per period.
//!
//! Like every model it is a fold ([`FunnelSummary`]): events in any order, parts merged, the
//! state serialized between processes. [`FunnelOutcomes`] documents the semantics.
//!
//! ```
//! use chrono::{TimeDelta, TimeZone, Utc};
//! use userops::event::EventRecord;
//! use userops::fold::{fold, Summary};
//! use userops::funnel::{Exclusion, FunnelParams, FunnelSummary, StepMatch};
//!
//! let t = |d, h| Utc.with_ymd_and_hms(2025, 6, d, h, 0, 0).unwrap();
//! let log = vec![
//!     EventRecord::<&str>::new("ana", t(1, 9)).with_name("signup"),
//!     EventRecord::new("ana", t(1, 10)).with_name("browse"),
//!     EventRecord::new("ana", t(2, 9)).with_name("order"),
//!     EventRecord::new("bo", t(1, 9)).with_name("signup"),
//!     EventRecord::new("bo", t(1, 12)).with_name("browse"),
//!     EventRecord::new("bo", t(20, 9)).with_name("order"),   // outside the 7-day window
//!     EventRecord::new("cy", t(3, 9)).with_name("signup"),
//!     EventRecord::new("cy", t(3, 10)).with_name("refund"),  // voids cy's attempt
//!     EventRecord::new("cy", t(3, 11)).with_name("browse"),
//! ];
//! let spec = FunnelParams::new(["signup", "browse", "order"])
//!     .window(TimeDelta::days(7))
//!     .exclude(Exclusion::new(StepMatch::named("refund"), 0, 1))
//!     .check()?;
//! let report = fold(FunnelSummary::new(spec), &log)?.finish()?.report();
//! let counts: Vec<u64> = report.steps.iter().map(|s| s.count).collect();
//! assert_eq!(counts, [2, 2, 1]);
//! assert_eq!(report.steps[2].drop_off, Some(0.5));
//! assert_eq!(report.time_to_convert.average_seconds, Some(86_400.0));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # What is left out
//!
//! PostHog's global property filters (filter the events before folding, or give steps as
//! predicates), breakdowns by several properties at once, and time to convert between two
//! chosen inner steps. The date range ([`FunnelParams::date_range`]) and the breakdown
//! attribution ([`Attribution`]) follow PostHog.

mod model;
mod params;
mod report;
mod summary;

pub use model::{FunnelOutcomes, NO_VALUE, UNKNOWN, UserOutcome};
pub use params::{
    Attribution, Breakdown, Entry, EventFacts, Exclusion, FunnelParams, FunnelSpec, MAX_BINS,
    MAX_EXCLUSIONS, MAX_STEPS, Predicate, StepMatch, StepOrder, parse_window,
};
pub use report::{
    BreakdownRow, FunnelReport, FunnelTrend, HistogramBin, StepRow, TimeToConvert, TrendRow,
};
pub use summary::FunnelSummary;
