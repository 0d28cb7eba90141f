//! The operations toolkit: the numbers a user-ops team watches every day and the decisions it
//! takes on them.
//!
//! | part | what it gives |
//! |---|---|
//! | [`health`] | a per-user and population **health index** (activity, contribution, loyalty), an alert when it stays below a warning line for N days, robust anomaly flags (median and MAD) |
//! | [`warning`] | **three-colour warnings**: yellow (complaint rate), orange (churn rate), red (LTV drop), with the rule and the figures behind each |
//! | [`experiment`] | **significance tests** for a strategy against its control: two-proportion z-test (R `prop.test`), Welch's t-test (R `t.test`), chi-square on a contingency table (R `chisq.test`), confidence intervals for the difference and the relative lift, sample size for a minimum detectable effect (R `power.prop.test`) |
//! | [`automation`] | **automation rules** ("users in segment S, inactive for N periods, with attribute A → action X through channel C"), decision records, per-channel reach reports, tiered compensation |
//! | [`outcome`] | **decision → outcome**: the decision log (rule, user, channel, time, hold-out) joined to later events, users active again within N days per rule and channel, uplift against the hold-out (two-proportion test) and the rule's precision |
//! | [`nps`] | **Net Promoter Score** with a confidence interval |
//!
//! Segment membership (RFM segment, lifecycle state, value tier, health band) comes from the
//! host or from the crate's other models through one small trait,
//! [`automation::SegmentSource`], so rules stay independent of how segments are computed.
//!
//! ```
//! use userops::ops::experiment::{two_proportions, Proportion, ProportionOptions};
//!
//! // 490 of 500 vs 400 of 500 (the R documentation's smokers example, see the tests).
//! let control = Proportion::new(400, 500);
//! let treatment = Proportion::new(490, 500);
//! let r = two_proportions(control, treatment, &ProportionOptions::default())?;
//! assert!(r.p_value < 1e-10);
//! assert!((r.difference - 0.18).abs() < 1e-12);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod error;

pub mod automation;
pub mod experiment;
pub mod health;
pub mod nps;
pub mod outcome;
pub mod warning;

pub use error::OpsError;

/// Formats an optional number for a table cell (`-` when absent).
pub(crate) fn cell(value: Option<f64>, decimals: usize) -> String {
    match value {
        Some(v) => format!("{v:.decimals$}"),
        None => "-".to_string(),
    }
}
