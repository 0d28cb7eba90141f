//! The metric tree, per-user value, value tiers, the Pareto share, growth levers, key users
//! and preference tags.
//!
//! ## The metric tree
//!
//! **Primary metrics** are the few numbers a product is steered by — time spent, visit
//! frequency, revenue, ARPU, and any the host adds. Each has **secondary metrics** under it
//! that explain it: for a Q&A community, "posts viewed per day" and "answers per day" under
//! time spent, "likes received" and "followers" under visit frequency. Secondary metrics are
//! either built-ins ([`Measure`]: count of events named X, sum of amount, distinct active days,
//! per-active-day rates, ratios) or the host's own, through the [`SecondaryMetric`] trait.
//!
//! A [`MetricTree`] is evaluated per user by a mergeable fold, [`MetricSummary`], into a
//! [`MetricReport`] (one row per user), and for the population by [`population`] (mean,
//! median, quantiles, histogram).
//!
//! ```
//! use std::sync::Arc;
//! use chrono::{TimeZone, Utc};
//! use userops::event::{Event, EventRecord};
//! use userops::fold::{fold, Summary};
//! use userops::metric::{population, Measure, MetricSummary, MetricTree, SecondaryMetric, Window};
//!
//! /// The host's own secondary metric: followers gained minus followers lost.
//! struct Followers;
//! impl SecondaryMetric<EventRecord<u32>> for Followers {
//!     fn name(&self) -> &str { "followers" }
//!     fn observe(&self, e: &EventRecord<u32>) -> f64 {
//!         match e.name() { Some("followed") => 1.0, Some("unfollowed") => -1.0, _ => 0.0 }
//!     }
//! }
//!
//! let tree = MetricTree::builder()
//!     .primary("visit_frequency", Measure::ActiveDays)
//!     .secondary("visit_frequency", "answers", Measure::count("answer"))
//!     .secondary("visit_frequency", "answers_per_day", Measure::per_active_day("answers"))
//!     .host("visit_frequency", Followers)
//!     .build()?;
//! let t = |d, h| Utc.with_ymd_and_hms(2025, 4, d, h, 0, 0).unwrap();
//! let log = vec![
//!     EventRecord::new(7_u32, t(1, 9)).with_name("answer"),
//!     EventRecord::new(7_u32, t(1, 10)).with_name("answer"),
//!     EventRecord::new(7_u32, t(2, 9)).with_name("followed"),
//!     EventRecord::new(7_u32, t(3, 9)).with_name("answer"),
//! ];
//! let window = Window::new(t(1, 0), t(30, 0))?;
//! let report = fold(MetricSummary::new(Arc::new(tree), Utc, window), &log)?.finish()?;
//! // 3 active days, 3 answers, 1 per day, 1 follower.
//! assert_eq!(report.row(0), Some(&[3.0, 3.0, 1.0, 1.0][..]));
//! assert_eq!(population(&report, 10)?.metrics[0].mean, 3.0);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! ## User value and the growth levers
//!
//! [`value_scores`] turns a report into one value score per user (each metric divided by its
//! population mean of absolute values, then weighted; default weights follow the product
//! quadrant), value tiers by quantile and the Pareto share. Three growth levers follow from
//! it: [`conversion_candidates`] (low-value users who behave like high-value ones),
//! [`falling_usage`] (high-value users whose usage is falling) and [`global_lift`] (how the
//! whole distribution moved between two periods). [`key_users`] picks the top N users by a
//! score with a stable, deterministic hold-out group; [`PreferenceSummary`] gives each user's
//! preferred features as tags and any group's preference profile.

mod key_users;
mod population;
mod preference;
mod summary;
mod tree;
mod value;

pub use key_users::{KeyUser, KeyUserParams, KeyUsers, holdout, key_users};
pub use population::{
    Histogram, MetricStats, PopulationReport, QuantileValue, population, quantile,
};
pub use preference::{
    FeatureProfile, FeatureShare, GroupProfile, PreferenceReport, PreferenceSummary,
    UserPreferences,
};
pub use summary::{MetricInfo, MetricReport, MetricState, MetricSummary, Window};
pub use tree::{Measure, MetricDef, MetricTree, MetricTreeBuilder, SecondaryMetric};
pub use value::{
    Candidate, CandidateParams, ConversionCandidates, FallingParams, FallingUsage, FallingUser,
    GlobalLift, MetricShift, TierParams, TierRow, UserValue, ValueReport, ValueWeights, WeightRow,
    conversion_candidates, falling_usage, global_lift, pareto_share, value_scores,
};

use thiserror::Error as ThisError;

/// What can go wrong in the metric tree and the value models.
///
/// ```
/// use userops::metric::{Measure, MetricError, MetricTree};
/// let err = MetricTree::<userops::event::EventRecord>::builder()
///     .primary("revenue", Measure::Amount)
///     .primary("revenue", Measure::Events)
///     .build()
///     .unwrap_err();
/// assert_eq!(err, userops::Error::Metric(MetricError::DuplicateName("revenue".into())));
/// ```
#[derive(Debug, Clone, PartialEq, ThisError)]
#[non_exhaustive]
pub enum MetricError {
    /// Two metrics of a tree have the same name; names must be unique.
    #[error("metric name {0:?} is used twice; give each metric its own name")]
    DuplicateName(String),

    /// A metric refers to a metric the tree does not have (as parent, in a rate, or in weights).
    #[error("metric {referenced_by:?} refers to {name:?}, which is not a metric of the tree")]
    UnknownMetric {
        /// The missing metric's name.
        name: String,
        /// Who referred to it (a metric name, or `weights`).
        referenced_by: String,
    },

    /// Metrics refer to each other in a circle (through parents or rates).
    #[error("metrics refer to each other in a cycle: {}", .0.join(" -> "))]
    Cycle(Vec<String>),

    /// A metric's value for a user is NaN or infinite.
    #[error(
        "metric {metric:?} yields {value}{}; a metric must be a finite number (rescale amounts whose sums pass 1.8e308)",
        crate::error::of_user(user)
    )]
    NotANumber {
        /// The metric's name.
        metric: String,
        /// The user, as text.
        user: String,
        /// The offending value.
        value: f64,
    },

    /// A value weight is negative (or NaN).
    #[error("weight of metric {metric:?} is {weight}; weights must be finite and not negative")]
    NegativeWeight {
        /// The metric's name.
        metric: String,
        /// The offending weight.
        weight: f64,
    },

    /// Value weights sum to zero (or there are none): no metric would count.
    #[error("value weights sum to zero; give at least one metric a positive weight")]
    ZeroWeights,
}
