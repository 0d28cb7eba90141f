//! Multi-touch attribution: which channels get the credit for conversions.
//!
//! # The fold
//!
//! [`JourneySummary`] folds an event log (any order) into every user's **touchpoints**
//! (channel events: by event name, or a mapping of names to channels, [`ChannelRule`]) and
//! **conversions** (events with a value, e.g. payments, [`ConversionRule`]). It merges and
//! serializes like every summary and finishes into [`Journeys`]: each conversion with the
//! touchpoints of its **lookback window** ([`JourneyRules::lookback`]), and the touchpoints
//! that led to no conversion (after a user's last conversion, or too old for the next one's
//! window) as non-converting journeys, which the Markov model sends to its null state.
//! Conversions without any touchpoint in their window are counted but credited to no channel.
//!
//! [`Journeys::paths`] aggregates journeys into unique paths with their conversions, value and
//! nulls ([`PathTable`]: ChannelAttribution's `path, total_conversions,
//! total_conversion_value, total_null`); a host with such a table passes it directly
//! ([`PathTable::builder`], or from a file with `read_paths`, feature `csv`).
//!
//! # The models
//!
//! [`Model`]: first touch, last touch, linear, time decay (half-life), position based
//! (40/20/40 or any shares), the data-driven **Markov** removal effect (order 1 or higher)
//! and the **Shapley** value. [`AttributionParams::check`] checks the chosen models once; the
//! [`AttributionSpec`] attributes [`Journeys`] or a [`PathTable`] into an
//! [`AttributionReport`]. Each model's credits sum to the conversions and to the value
//! attributed.
//!
//! * The Markov model is computed exactly, not by simulation: absorption probabilities of the
//!   absorbing chain from its fundamental matrix (see `markov.rs` for the algebra), capped at
//!   [`MAX_MARKOV_STATES`] states. It agrees with ChannelAttribution's `markov_model`
//!   (`var_null` given) up to that package's simulation error (checked against version
//!   2.2.5 in tests/attribution.rs): same states (for order `k`, the windows of `k`
//!   consecutive channels, a shorter path one state, a state repeated in a row one visit),
//!   same removal effects, and value credited by value removal effects. One difference: the
//!   package simulates at most `max_step` steps (by default the longest path) and counts
//!   longer walks as lost, so on chains with loops its default results are a little off the
//!   exact ones (about 1% in that test); with a large `max_step` they agree.
//! * The Shapley model's worth of a set of channels is the conversions of the journeys whose
//!   channels all lie in it; capped at [`MAX_SHAPLEY_CHANNELS`] channels.
//!
//! ```
//! use chrono::{TimeDelta, TimeZone, Utc};
//! use userops::attribution::{AttributionParams, ConversionRule, JourneyRules, JourneySummary, Model};
//! use userops::event::EventRecord;
//! use userops::fold::{fold, Summary};
//!
//! let day = |d| Utc.with_ymd_and_hms(2025, 6, d, 9, 0, 0).unwrap();
//! let log = vec![
//!     EventRecord::<u32>::new(1_u32, day(1)).with_name("search"),
//!     EventRecord::new(1_u32, day(2)).with_name("email"),
//!     EventRecord::new(1_u32, day(3)).with_name("order").with_amount(100.0),
//!     EventRecord::new(2_u32, day(4)).with_name("email"),
//! ];
//! let rules = JourneyRules::new()
//!     .conversions(ConversionRule::Named(vec!["order".into()]))
//!     .lookback(TimeDelta::days(30))?;
//! let journeys = fold(JourneySummary::new(rules), &log)?.finish()?;
//! let report = AttributionParams::new([Model::FirstTouch, Model::LastTouch, Model::Markov { order: 1 }])
//!     .check()?
//!     .attribute(&journeys)?;
//! assert_eq!(report.model(&Model::FirstTouch).unwrap().credit("search").unwrap().value, 100.0);
//! assert_eq!(report.model(&Model::LastTouch).unwrap().credit("email").unwrap().value, 100.0);
//! // Markov: start → search → email → conversion, start → email → null, so P(conversion)
//! // = ½·½ + ½·½ = ½. Without search: ½·½ = ¼ (removal effect ½); without email: 0
//! // (removal effect 1). Normalised: search ⅓, email ⅔ of the one conversion.
//! let markov = report.model(&Model::Markov { order: 1 }).unwrap();
//! assert!((markov.credit("search").unwrap().removal_effect.unwrap() - 0.5).abs() < 1e-12);
//! assert!((markov.credit("search").unwrap().conversions - 1.0 / 3.0).abs() < 1e-12);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod heuristic;
mod journeys;
mod markov;
mod params;
mod paths;
#[cfg(feature = "csv")]
mod read;
mod report;
mod shapley;
mod summary;

pub use journeys::{Journey, Journeys};
pub use markov::MAX_MARKOV_STATES;
pub use params::{AttributionParams, AttributionSpec, MAX_MARKOV_ORDER, Model};
pub use paths::{PathRow, PathTable, PathTableBuilder};
#[cfg(feature = "csv")]
pub use read::{PathColumns, PathFile, RejectedPath, read_paths};
pub use report::{AttributionReport, ChannelCredit, ModelCredit};
pub use shapley::MAX_SHAPLEY_CHANNELS;
pub use summary::{ChannelRule, ConversionRule, JourneyRules, JourneySummary, MAX_CHANNELS};
