//! The errors of the [`ops`](super) module.

use thiserror::Error as ThisError;

/// What can go wrong in the operations toolkit (experiments, automation rules, NPS).
///
/// Converts into [`crate::Error::Ops`] with `?`. Parameters out of range (thresholds, weights,
/// confidence levels) are reported as [`crate::Error::InvalidParameter`] naming the parameter.
///
/// ```
/// use userops::ops::OpsError;
/// let e = OpsError::SuccessesExceedTrials { group: "control".into(), successes: 12, trials: 10 };
/// assert_eq!(e.to_string(), "group `control`: 12 successes out of 10 trials; successes cannot exceed trials");
/// let crate_error: userops::Error = e.into();
/// assert!(matches!(crate_error, userops::Error::Ops(_)));
/// ```
#[derive(Debug, Clone, PartialEq, ThisError)]
#[non_exhaustive]
pub enum OpsError {
    /// A group of an experiment has no observations (zero trials, no values).
    #[error("group `{group}` is empty: every group of a test needs observations")]
    EmptyGroup {
        /// Which group (`control`, `treatment`, or a row of a table).
        group: String,
    },

    /// A group has too few observations for the test (Welch's t-test needs two per group).
    #[error("group `{group}` has {got} observation(s); the test needs at least {needed}")]
    TooFewObservations {
        /// Which group.
        group: String,
        /// How many the test needs.
        needed: u64,
        /// How many there are.
        got: u64,
    },

    /// More successes than trials in a group of a proportion test.
    #[error(
        "group `{group}`: {successes} successes out of {trials} trials; successes cannot exceed trials"
    )]
    SuccessesExceedTrials {
        /// Which group.
        group: String,
        /// The successes given.
        successes: u64,
        /// The trials given.
        trials: u64,
    },

    /// The data have no variance, so the test statistic is undefined: every value equal in both
    /// groups of a t-test, or all successes / all failures in every group of a proportion test.
    #[error("{test}: the data have zero variance (all values equal), so the test is undefined")]
    ZeroVariance {
        /// Which test.
        test: &'static str,
    },

    /// A contingency table is unusable: ragged rows, fewer than 2 rows or columns, negative or
    /// non-finite counts, or a row or column that sums to zero.
    #[error("contingency table: {0}")]
    BadTable(String),

    /// An automation rule names a segment the segment source does not know.
    #[error(
        "rule `{rule}` names segment {kind}:{label:?}, which the segment source does not know; known {kind} segments: {known}"
    )]
    UnknownSegment {
        /// The rule's name.
        rule: String,
        /// The segment kind (`rfm`, `lifecycle`, `value_tier`, `health`, or a custom kind).
        kind: String,
        /// The label asked for.
        label: String,
        /// The labels the source knows for that kind, comma-separated (empty when the kind is
        /// unknown).
        known: String,
    },

    /// An automation rule tests a user attribute that was not supplied.
    #[error(
        "rule `{rule}` tests attribute `{attribute}`, which was not supplied; supplied: {supplied}"
    )]
    UnknownAttribute {
        /// The rule's name.
        rule: String,
        /// The attribute's name.
        attribute: String,
        /// The attribute names supplied, comma-separated.
        supplied: String,
    },

    /// Two automation rules share a name (decision records are keyed by rule name).
    #[error("two rules are named `{0}`; rule names must be unique")]
    DuplicateRule(String),

    /// A delivery outcome is out of funnel order (opened without delivered, converted without
    /// opened).
    #[error("channel `{channel}`: {reason}")]
    FunnelOrder {
        /// The channel.
        channel: String,
        /// What is out of order.
        reason: &'static str,
    },

    /// A survey score outside 0..=10.
    #[error("NPS score {0} is outside 0..=10")]
    ScoreOutOfRange(i64),
}
