//! Decision → outcome: the decision log of automation rules joined to what users did next.
//!
//! Each targeted decision of an [`Evaluation`] becomes a [`DecisionRecord`] (rule, user,
//! channel, time) with a stable hold-out flag ([`HoldOut`]: a share of each rule's matched
//! users is deliberately not contacted). [`outcomes`] joins the log to later events: per
//! rule and channel, the users reached, those active again within the window, and the same for
//! the hold-out, with:
//!
//! * **uplift** — [`two_proportions`] of the reached users' return rate (treatment) against
//!   the hold-out's (control): its difference, confidence interval and p-value;
//! * **precision** — the share of targeted users who would have lapsed without the message.
//!   The hold-out is a random sample of the same rule's matched users who got nothing, so its
//!   share *not* active again within the window estimates it: `precision = 1 − x_h / n_h`,
//!   with the normal (Wald) interval `± z·sqrt(p(1 − p)/n_h)` clipped to `[0, 1]`. A rule
//!   with precision near 0 targets users who come back anyway;
//! * **incremental users** — `reached · (p_reached − p_holdout)`: users brought back who would
//!   not have come back without the rule.
//!
//! ```
//! use chrono::{TimeDelta, TimeZone, Utc};
//! use userops::event::EventRecord;
//! use userops::ops::outcome::{outcomes, DecisionRecord, OutcomeParams};
//!
//! let t = Utc.with_ymd_and_hms(2025, 9, 1, 0, 0, 0).unwrap();
//! let log = vec![
//!     DecisionRecord::new("wake", 1_u32, "push", t, false),
//!     DecisionRecord::new("wake", 2_u32, "push", t, false),
//!     DecisionRecord::new("wake", 3_u32, "push", t, true),
//! ];
//! let later = vec![EventRecord::<u32>::new(1_u32, t + TimeDelta::days(3))];
//! let report = outcomes(&log, &later, &OutcomeParams::days(7)?)?;
//! let row = &report.rows[0];
//! assert_eq!((row.reached, row.reached_active, row.held_out, row.held_out_active), (2, 1, 1, 0));
//! assert_eq!(row.precision, Some(1.0)); // the one held-out user did not come back
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::hash::Hash;

use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};

use super::automation::{DecisionStatus, Evaluation};
use super::experiment::{Proportion, ProportionOptions, TestReport, two_proportions};
use crate::event::Event;
use crate::{Error, Result};

/// One logged decision: which rule sent what channel to which user, when, and whether the
/// user was held out (matched but deliberately not contacted).
///
/// ```
/// use chrono::{TimeZone, Utc};
/// let d = userops::ops::outcome::DecisionRecord::new("r", 7_u8, "sms", Utc.with_ymd_and_hms(2025, 1, 1, 0, 0, 0).unwrap(), false);
/// assert_eq!(d.channel, "sms");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DecisionRecord<U> {
    /// The rule.
    pub rule: String,
    /// The user.
    pub user: U,
    /// The channel.
    pub channel: String,
    /// When the decision was taken (the message sent, or not sent for a hold-out).
    pub at: DateTime<Utc>,
    /// Whether the user is in the hold-out group.
    pub held_out: bool,
}

impl<U> DecisionRecord<U> {
    /// A decision record.
    ///
    /// ```
    /// # use chrono::{TimeZone, Utc};
    /// let d = userops::ops::outcome::DecisionRecord::new("r", 1_u8, "push", Utc.with_ymd_and_hms(2025, 1, 1, 0, 0, 0).unwrap(), true);
    /// assert!(d.held_out);
    /// ```
    pub fn new(
        rule: impl Into<String>,
        user: U,
        channel: impl Into<String>,
        at: DateTime<Utc>,
        held_out: bool,
    ) -> Self {
        DecisionRecord {
            rule: rule.into(),
            user,
            channel: channel.into(),
            at,
            held_out,
        }
    }
}

/// A stable hold-out: a user is held out of a rule when the hash of (salt, rule, user) falls
/// in the first `share` of the unit interval ([`crate::metric::holdout`]), so the same user
/// is held out of the same rule in every run.
///
/// ```
/// use userops::ops::outcome::HoldOut;
/// assert!(HoldOut::new("q3", 0.1).is_ok());
/// assert!(HoldOut::new("q3", 1.0).is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HoldOut {
    salt: String,
    share: f64,
}

impl HoldOut {
    /// A hold-out of `share` of each rule's users.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] (`share`) unless `0 <= share < 1`.
    ///
    /// ```
    /// assert!(userops::ops::outcome::HoldOut::new("s", f64::NAN).is_err());
    /// ```
    pub fn new(salt: impl Into<String>, share: f64) -> Result<Self> {
        if !(share.is_finite() && (0.0..1.0).contains(&share)) {
            return Err(Error::invalid(
                "share",
                format!("the hold-out share must be at least 0 and below 1, got {share}"),
            ));
        }
        Ok(HoldOut {
            salt: salt.into(),
            share,
        })
    }

    /// Whether `user` is held out of `rule`.
    ///
    /// ```
    /// let h = userops::ops::outcome::HoldOut::new("s", 0.0)?;
    /// assert!(!h.holds(&"rule", &1_u32));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn holds<U: Hash + ?Sized>(&self, rule: &str, user: &U) -> bool {
        crate::metric::holdout(&(rule, user), &self.salt, self.share)
    }
}

/// The decision log of an evaluation: one record per targeted decision (suppressed matches
/// left out), taken at `at`, with the hold-out flag.
///
/// ```
/// use chrono::{NaiveDate, TimeZone, Utc};
/// use userops::ops::automation::*;
/// use userops::ops::outcome::{decision_log, HoldOut};
/// use userops::time::{Interval, Period};
/// let p = Period::containing(NaiveDate::from_ymd_opt(2025, 9, 1).unwrap(), Interval::Month);
/// let mut s = SegmentMap::new();
/// s.assign(SegmentKind::Lifecycle, 1_u32, "dormant");
/// let rules = RuleSet::new(vec![Rule::new("wake", SegmentKind::Lifecycle, "dormant", "coupon", "push")], MatchMode::FirstMatch);
/// let eval = rules.evaluate(p, &[LastActive::new(1_u32, p.prev())], &s, &Attributes::new())?;
/// let log = decision_log(&eval, Utc.with_ymd_and_hms(2025, 9, 1, 9, 0, 0).unwrap(), &HoldOut::new("q3", 0.0)?);
/// assert_eq!((log[0].rule.as_str(), log[0].user, log[0].channel.as_str(), log[0].held_out), ("wake", 1, "push", false));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[must_use]
pub fn decision_log<U: Clone + Hash>(
    evaluation: &Evaluation<U>,
    at: DateTime<Utc>,
    holdout: &HoldOut,
) -> Vec<DecisionRecord<U>> {
    evaluation
        .decisions
        .iter()
        .filter(|d| d.status == DecisionStatus::Targeted)
        .map(|d| DecisionRecord {
            rule: d.rule.clone(),
            user: d.user.clone(),
            channel: d.channel.clone(),
            at,
            held_out: holdout.holds(&d.rule, &d.user),
        })
        .collect()
}

/// Settings of [`outcomes`]: how long after a decision a user's return counts, and the test's
/// options.
///
/// ```
/// let p = userops::ops::outcome::OutcomeParams::days(14)?;
/// assert_eq!(p.window_days, 14);
/// assert!(userops::ops::outcome::OutcomeParams::days(0).is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct OutcomeParams {
    /// A user is active again when they have an event in `(at, at + window_days]`.
    pub window_days: u32,
    /// Options of the two-proportion test (confidence level, continuity correction).
    pub test: ProportionOptions,
}

impl OutcomeParams {
    /// A window of `days` days (1 to 3650) and the default test options (95%, uncorrected).
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] (`days`) outside 1 to 3650.
    ///
    /// ```
    /// assert!(userops::ops::outcome::OutcomeParams::days(30).is_ok());
    /// ```
    pub fn days(days: u32) -> Result<Self> {
        if !(1..=3650).contains(&days) {
            return Err(Error::invalid(
                "days",
                format!("the return window must be 1 to 3650 days, got {days}"),
            ));
        }
        Ok(OutcomeParams {
            window_days: days,
            test: ProportionOptions::default(),
        })
    }
}

/// The outcome of one rule through one channel.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OutcomeRow {
    /// The rule.
    pub rule: String,
    /// The channel.
    pub channel: String,
    /// Decisions sent (not held out).
    pub reached: u64,
    /// Of those, users active again within the window.
    pub reached_active: u64,
    /// Decisions held out.
    pub held_out: u64,
    /// Of those, users active again within the window.
    pub held_out_active: u64,
    /// Uplift: the reached users' return rate against the hold-out's (two-proportion z-test;
    /// `None` when a group is empty or every user of both came back, or none did).
    pub uplift: Option<TestReport>,
    /// Estimated share of targeted users who would have lapsed without the message:
    /// `1 − held_out_active / held_out` (`None` without a hold-out).
    pub precision: Option<f64>,
    /// Wald confidence interval of `precision`, clipped to `[0, 1]`.
    pub precision_ci: Option<(f64, f64)>,
    /// Users brought back by the rule: `reached · (reached rate − hold-out rate)`.
    pub incremental_users: Option<f64>,
}

/// Outcomes per rule and channel (see [`outcomes`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OutcomeReport {
    /// The return window, in days.
    pub window_days: u32,
    /// One row per (rule, channel), ordered by rule then channel.
    pub rows: Vec<OutcomeRow>,
}

/// Joins a decision log to later events: per rule and channel, users reached and active
/// again within `params.window_days` after their decision, against the hold-out (see the
/// [module docs](self) for the estimators). Each decision is judged on its own (a user in two
/// decisions counts in both). Events at or before a decision's time do not count for it.
///
/// # Errors
/// [`Error::InvalidParameter`] (`confidence`) for a confidence level outside (0, 1), (`days`)
/// for a window outside 1 to 3650 days.
///
/// ```
/// use chrono::{TimeDelta, TimeZone, Utc};
/// use userops::event::EventRecord;
/// use userops::ops::outcome::{outcomes, DecisionRecord, OutcomeParams};
/// let t = Utc.with_ymd_and_hms(2025, 9, 1, 0, 0, 0).unwrap();
/// let log = vec![DecisionRecord::new("r", 1_u32, "sms", t, false)];
/// // An event 8 days later is outside a 7-day window.
/// let late = vec![EventRecord::<u32>::new(1_u32, t + TimeDelta::days(8))];
/// assert_eq!(outcomes(&log, &late, &OutcomeParams::days(7)?)?.rows[0].reached_active, 0);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn outcomes<U, I>(
    log: &[DecisionRecord<U>],
    events: I,
    params: &OutcomeParams,
) -> Result<OutcomeReport>
where
    U: Eq + Hash,
    I: IntoIterator,
    I::Item: Event<User = U>,
{
    let c = params.test.confidence;
    if !(1..=3650).contains(&params.window_days) {
        return Err(Error::invalid(
            "days",
            format!(
                "the return window must be 1 to 3650 days, got {}",
                params.window_days
            ),
        ));
    }
    if !(c.is_finite() && c > 0.0 && c < 1.0) {
        return Err(Error::invalid(
            "confidence",
            format!("must be strictly between 0 and 1, got {c}"),
        ));
    }
    let window = TimeDelta::days(i64::from(params.window_days));
    let mut by_user: HashMap<&U, Vec<usize>> = HashMap::new();
    for (i, d) in log.iter().enumerate() {
        by_user.entry(&d.user).or_default().push(i);
    }
    let mut active = vec![false; log.len()];
    for e in events {
        let Some(ds) = by_user.get(e.user()) else {
            continue;
        };
        let at = e.at();
        for &i in ds {
            if let Some(d) = log.get(i) {
                let end =
                    d.at.checked_add_signed(window)
                        .unwrap_or(DateTime::<Utc>::MAX_UTC);
                if at > d.at && at <= end {
                    active[i] = true;
                }
            }
        }
    }
    // (reached, reached_active, held_out, held_out_active) per (rule, channel).
    let mut groups: BTreeMap<(&str, &str), [u64; 4]> = BTreeMap::new();
    for (d, back) in log.iter().zip(&active) {
        let g = groups.entry((&d.rule, &d.channel)).or_default();
        let k = if d.held_out { 2 } else { 0 };
        g[k] += 1;
        if *back {
            g[k + 1] += 1;
        }
    }
    let z = super::experiment::qnorm(0.5 + c / 2.0);
    let rows = groups
        .into_iter()
        .map(|((rule, channel), [n_r, x_r, n_h, x_h])| {
            let uplift = (n_r > 0 && n_h > 0)
                .then(|| {
                    two_proportions(
                        Proportion::new(x_h, n_h),
                        Proportion::new(x_r, n_r),
                        &params.test,
                    )
                    .ok()
                })
                .flatten();
            let hold_rate = (n_h > 0).then(|| x_h as f64 / n_h as f64);
            let precision = hold_rate.map(|p| 1.0 - p);
            let precision_ci = precision.map(|p| {
                let half = z * (p * (1.0 - p) / n_h as f64).sqrt();
                ((p - half).max(0.0), (p + half).min(1.0))
            });
            let incremental_users = match hold_rate {
                Some(ph) if n_r > 0 => Some(x_r as f64 - n_r as f64 * ph),
                _ => None,
            };
            OutcomeRow {
                rule: rule.to_string(),
                channel: channel.to_string(),
                reached: n_r,
                reached_active: x_r,
                held_out: n_h,
                held_out_active: x_h,
                uplift,
                precision,
                precision_ci,
                incremental_users,
            }
        })
        .collect();
    Ok(OutcomeReport {
        window_days: params.window_days,
        rows,
    })
}

impl fmt::Display for OutcomeReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "outcomes within {} days", self.window_days)?;
        write!(
            f,
            "{:<20} {:<10} {:>8} {:>8} {:>8} {:>8} {:>9} {:>8} {:>10}",
            "rule", "channel", "reached", "back", "held", "back", "uplift", "p", "precision"
        )?;
        for r in &self.rows {
            let uplift = r
                .uplift
                .as_ref()
                .map_or_else(|| "-".into(), |t| format!("{:+.1}%", 100.0 * t.difference));
            let p = r
                .uplift
                .as_ref()
                .map_or_else(|| "-".into(), |t| format!("{:.4}", t.p_value));
            let precision = r
                .precision
                .map_or_else(|| "-".into(), |x| format!("{:.1}%", 100.0 * x));
            write!(
                f,
                "\n{:<20} {:<10} {:>8} {:>8} {:>8} {:>8} {:>9} {:>8} {:>10}",
                r.rule,
                r.channel,
                r.reached,
                r.reached_active,
                r.held_out,
                r.held_out_active,
                uplift,
                p,
                precision
            )?;
        }
        Ok(())
    }
}
