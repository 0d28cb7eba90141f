//! Significance tests for comparing a strategy (treatment) with its control.
//!
//! | function | R equivalent | for |
//! |---|---|---|
//! | [`two_proportions`] | `prop.test(c(xt, xc), c(nt, nc), correct = ...)` | conversion, retention: shares of users |
//! | [`proportions_chi_square`] | `prop.test(x, n)` with k ≥ 2 groups | equality of k proportions |
//! | [`welch_t_test`] / [`welch`] | `t.test(treatment, control)` (Welch, R's default) | ARPU, spend: means of a value |
//! | [`chi_square`] | `chisq.test(table, correct = ...)` | an r × c contingency table |
//! | [`sample_size_two_proportions`] / [`power_two_proportions`] | `power.prop.test(p1, p2, power)` | planning: users per group for a minimum detectable effect |
//!
//! Every test reports the **difference treatment − control** with its confidence interval and
//! the **relative lift** `(treatment − control) / control` with an interval (delta method,
//! documented on each function). Distributions come from `statrs`.
//!
//! ## R's `prop.test` and the z statistic
//!
//! R reports `X-squared`, Pearson's chi-square statistic of the 2 × 2 table. For two groups it
//! equals `z²`, where `z` is the pooled two-proportion z statistic (with or without Yates'
//! continuity correction), and the two-sided p-values are identical. [`two_proportions`] reports
//! `z` (signed: positive when the treatment converts better) as `statistic`, and R's value in
//! `chi_square`. Its confidence interval is R's: the unpooled Wald interval, widened by
//! `YATES · (1/n₁ + 1/n₂)` when corrected, with `YATES = min(0.5, |Δ| / (1/n₁ + 1/n₂))`, clipped to
//! `[-1, 1]`.
//!
//! ## The danger of peeking
//!
//! A p-value is valid for **one look** at a sample size fixed in advance. Checking a running
//! test every day and stopping as soon as `p < 0.05` inflates the false-positive rate far above
//! 5%: with daily looks over a month, a test of two identical variants "wins" roughly a quarter
//! to a third of the time. Decide the sample size first ([`sample_size_two_proportions`]),
//! look at the result once it is reached, or use a method built for repeated looks
//! (group-sequential boundaries such as O'Brien–Fleming, alpha spending, or always-valid
//! sequential tests); none of the tests here corrects for peeking.
//!
//! ```
//! use userops::ops::experiment::{welch_t_test, two_proportions, Proportion, ProportionOptions};
//!
//! let conv = two_proportions(Proportion::new(120, 2_400), Proportion::new(156, 2_400),
//!                            &ProportionOptions::default())?;
//! assert!(conv.difference > 0.0 && conv.p_value < 0.05);
//!
//! let spend = welch_t_test(&[10.0, 12.0, 9.5, 11.0], &[12.5, 13.0, 11.5, 14.0], 0.95)?;
//! assert!(spend.statistic > 0.0);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::fmt;

use serde::{Deserialize, Serialize};
use statrs::distribution::{ChiSquared, ContinuousCDF, Normal, StudentsT};

use super::OpsError;
use crate::fold::{Fold, Summary};
use crate::{Error, Result};

fn check_unit_open(name: &'static str, value: f64) -> Result<()> {
    if value.is_finite() && value > 0.0 && value < 1.0 {
        Ok(())
    } else {
        Err(Error::invalid(
            name,
            format!("must be strictly between 0 and 1, got {value}"),
        ))
    }
}

/// A p-value as R prints it: four significant digits, scientific below 1e-4, `< 2.2e-16` at
/// machine precision.
fn format_p(p: f64) -> String {
    if p < 2.2e-16 {
        "< 2.2e-16".to_string() // R: "p-value < 2.2e-16"
    } else if p < 1e-4 {
        format!("= {p:.3e}")
    } else {
        format!("= {p:.4}")
    }
}

/// Standard normal quantile; `p` must be in (0, 1) (checked by callers).
pub(crate) fn qnorm(p: f64) -> f64 {
    Normal::standard().inverse_cdf(p)
}

/// Standard normal upper tail `P(Z > z)`.
fn upper_normal(z: f64) -> f64 {
    Normal::standard().sf(z)
}

/// Successes out of trials in one group of a proportion test.
///
/// ```
/// let p = userops::ops::experiment::Proportion::new(30, 120);
/// assert_eq!(p.rate(), Some(0.25));
/// assert_eq!(userops::ops::experiment::Proportion::new(0, 0).rate(), None);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Proportion {
    /// Users who converted (or were retained, or ...).
    pub successes: u64,
    /// Users exposed.
    pub trials: u64,
}

impl Proportion {
    /// `successes` out of `trials`.
    ///
    /// ```
    /// assert_eq!(userops::ops::experiment::Proportion::new(1, 4).trials, 4);
    /// ```
    #[must_use]
    pub fn new(successes: u64, trials: u64) -> Self {
        Proportion { successes, trials }
    }

    /// `successes / trials`, or `None` when there are no trials.
    ///
    /// ```
    /// assert_eq!(userops::ops::experiment::Proportion::new(1, 4).rate(), Some(0.25));
    /// ```
    #[must_use]
    pub fn rate(&self) -> Option<f64> {
        (self.trials > 0).then(|| self.successes as f64 / self.trials as f64)
    }

    fn check(&self, group: &str) -> Result<()> {
        if self.trials == 0 {
            return Err(OpsError::EmptyGroup {
                group: group.to_string(),
            }
            .into());
        }
        if self.successes > self.trials {
            return Err(OpsError::SuccessesExceedTrials {
                group: group.to_string(),
                successes: self.successes,
                trials: self.trials,
            }
            .into());
        }
        Ok(())
    }
}

/// Options of [`two_proportions`].
///
/// ```
/// let o = userops::ops::experiment::ProportionOptions::default();
/// assert!(!o.continuity_correction);
/// assert_eq!(o.confidence, 0.95);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ProportionOptions {
    /// Yates' continuity correction (R's `correct = TRUE`, R's default). Off by default here:
    /// the uncorrected statistic is the textbook two-proportion z-test.
    pub continuity_correction: bool,
    /// Confidence level of the intervals, strictly between 0 and 1 (default 0.95).
    pub confidence: f64,
}

impl Default for ProportionOptions {
    fn default() -> Self {
        ProportionOptions {
            continuity_correction: false,
            confidence: 0.95,
        }
    }
}

impl ProportionOptions {
    /// Default options with Yates' continuity correction switched on (as R's default).
    ///
    /// ```
    /// assert!(userops::ops::experiment::ProportionOptions::corrected().continuity_correction);
    /// ```
    #[must_use]
    pub fn corrected() -> Self {
        ProportionOptions {
            continuity_correction: true,
            ..ProportionOptions::default()
        }
    }
}

/// One group's size and estimate in a [`TestReport`].
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct GroupEstimate {
    /// Observations (trials, or values).
    pub n: u64,
    /// The group's proportion or mean.
    pub estimate: f64,
    /// The group's sample standard deviation (means only).
    pub sd: Option<f64>,
}

/// The result of a two-group test: statistic, p-value, confidence interval for the difference
/// treatment − control, and the relative lift.
///
/// Serialized with the keys `test`, `statistic`, `p_value`, `ci_low`, `ci_high`, `lift` (and
/// more), which is the `experiment` example's JSON contract.
///
/// ```
/// use userops::ops::experiment::{two_proportions, Proportion, ProportionOptions};
/// let r = two_proportions(Proportion::new(50, 1000), Proportion::new(65, 1000), &ProportionOptions::default())?;
/// let json = serde_json::to_value(&r)?;
/// for key in ["test", "statistic", "p_value", "ci_low", "ci_high", "lift"] {
///     assert!(json.get(key).is_some(), "{key}");
/// }
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TestReport {
    /// The test's name (`"two-proportion z-test"`, `"Welch t-test"`).
    pub test: String,
    /// The test statistic: `z` for proportions, `t` for means; positive when the treatment is
    /// higher.
    pub statistic: f64,
    /// Degrees of freedom (Welch–Satterthwaite for the t-test; `None` for the z-test).
    pub df: Option<f64>,
    /// Two-sided p-value.
    pub p_value: f64,
    /// Confidence level of the intervals.
    pub confidence: f64,
    /// Lower end of the interval for the difference treatment − control.
    pub ci_low: f64,
    /// Upper end of the interval for the difference treatment − control.
    pub ci_high: f64,
    /// The difference treatment − control.
    pub difference: f64,
    /// Relative lift `(treatment − control) / control`; `None` when the control is zero.
    pub lift: Option<f64>,
    /// Lower end of the interval for the lift.
    pub lift_ci_low: Option<f64>,
    /// Upper end of the interval for the lift.
    pub lift_ci_high: Option<f64>,
    /// The control group.
    pub control: GroupEstimate,
    /// The treatment group.
    pub treatment: GroupEstimate,
    /// R's `X-squared` (= `z²`) for the proportion test; `None` for means.
    pub chi_square: Option<f64>,
    /// Whether Yates' continuity correction was applied.
    pub continuity_correction: bool,
}

impl fmt::Display for TestReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = if self.continuity_correction {
            format!("{} (continuity corrected)", self.test)
        } else {
            self.test.clone()
        };
        writeln!(f, "{name}")?;
        writeln!(
            f,
            "{:<10} {:>10} {:>12} {:>12}",
            "group", "n", "estimate", "sd"
        )?;
        for (label, g) in [("control", &self.control), ("treatment", &self.treatment)] {
            writeln!(
                f,
                "{:<10} {:>10} {:>12.6} {:>12}",
                label,
                g.n,
                g.estimate,
                super::cell(g.sd, 4)
            )?;
        }
        let df = self
            .df
            .map(|d| format!(", df = {d:.3}"))
            .unwrap_or_default();
        writeln!(
            f,
            "statistic = {:.4}{df}, p-value {}",
            self.statistic,
            format_p(self.p_value)
        )?;
        writeln!(
            f,
            "difference (treatment - control) = {:.6}, {:.0}% CI [{:.6}, {:.6}]",
            self.difference,
            self.confidence * 100.0,
            self.ci_low,
            self.ci_high
        )?;
        match (self.lift, self.lift_ci_low, self.lift_ci_high) {
            (Some(l), Some(lo), Some(hi)) => write!(
                f,
                "lift = {:+.2}%, CI [{:+.2}%, {:+.2}%]",
                l * 100.0,
                lo * 100.0,
                hi * 100.0
            ),
            (Some(l), _, _) => write!(f, "lift = {:+.2}% (no interval)", l * 100.0),
            _ => write!(f, "lift: undefined (control is zero)"),
        }
    }
}

/// Two-proportion z-test of `treatment` against `control` (R `prop.test` for two groups).
///
/// * statistic `z = (|p̂t − p̂c| − c·(1/nc + 1/nt)) / sqrt(p̄(1 − p̄)(1/nc + 1/nt))`, signed as
///   `p̂t − p̂c`, with the pooled `p̄` and `c = min(0.5, |p̂t − p̂c| / (1/nc + 1/nt))` when corrected,
///   else 0 (exactly R's Yates term); `chi_square = z²` is R's `X-squared`;
/// * p-value two-sided, `2 · P(Z > |z|)` (= R's `pchisq(X², 1, lower = FALSE)`);
/// * interval for the difference: R's (see the [module docs](self));
/// * lift interval: from the log of the risk ratio, `log(p̂t/p̂c) ± z·sqrt(1/xt − 1/nt + 1/xc − 1/nc)`,
///   minus one; `None` when either group has no success.
///
/// # Errors
/// [`OpsError::EmptyGroup`] for zero trials, [`OpsError::SuccessesExceedTrials`],
/// [`OpsError::ZeroVariance`] when every trial in both groups succeeded (or every one failed),
/// [`Error::InvalidParameter`] for a confidence level outside (0, 1).
///
/// ```
/// use userops::ops::experiment::{two_proportions, Proportion, ProportionOptions};
/// // R: prop.test(c(179, 203), c(300, 400), correct = FALSE): X-squared = 5.4979, p = 0.01904.
/// let r = two_proportions(Proportion::new(203, 400), Proportion::new(179, 300), &ProportionOptions::default())?;
/// assert!((r.chi_square.unwrap() - 5.4979).abs() < 1e-4);
/// assert!((r.p_value - 0.01904).abs() < 1e-5);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn two_proportions(
    control: Proportion,
    treatment: Proportion,
    options: &ProportionOptions,
) -> Result<TestReport> {
    check_unit_open("confidence", options.confidence)?;
    control.check("control")?;
    treatment.check("treatment")?;
    let (xc, nc) = (control.successes as f64, control.trials as f64);
    let (xt, nt) = (treatment.successes as f64, treatment.trials as f64);
    let (pc, pt) = (xc / nc, xt / nt);
    let delta = pt - pc;
    let pooled = (xc + xt) / (nc + nt);
    if pooled <= 0.0 || pooled >= 1.0 {
        return Err(OpsError::ZeroVariance {
            test: "two-proportion z-test",
        }
        .into());
    }
    let sum_inv = 1.0 / nc + 1.0 / nt;
    let yates = if options.continuity_correction {
        0.5_f64.min(delta.abs() / sum_inv)
    } else {
        0.0
    };
    let numerator = (delta.abs() - yates * sum_inv).max(0.0);
    let x2 = numerator * numerator / (pooled * (1.0 - pooled) * sum_inv);
    let z = if delta == 0.0 {
        0.0
    } else {
        delta.signum() * x2.sqrt()
    };
    let p_value = (2.0 * upper_normal(z.abs())).clamp(0.0, 1.0);
    let zcrit = qnorm(0.5 + options.confidence / 2.0);
    let width = zcrit * (pc * (1.0 - pc) / nc + pt * (1.0 - pt) / nt).sqrt() + yates * sum_inv;
    let (lift, lift_ci_low, lift_ci_high) = if control.successes > 0 {
        let lift = delta / pc;
        if treatment.successes > 0 {
            let se = (1.0 / xt - 1.0 / nt + 1.0 / xc - 1.0 / nc).max(0.0).sqrt();
            let rr = pt / pc;
            (
                Some(lift),
                Some(rr * (-zcrit * se).exp() - 1.0),
                Some(rr * (zcrit * se).exp() - 1.0),
            )
        } else {
            (Some(lift), None, None)
        }
    } else {
        (None, None, None)
    };
    Ok(TestReport {
        test: "two-proportion z-test".into(),
        statistic: z,
        df: None,
        p_value,
        confidence: options.confidence,
        ci_low: (delta - width).max(-1.0),
        ci_high: (delta + width).min(1.0),
        difference: delta,
        lift,
        lift_ci_low,
        lift_ci_high,
        control: GroupEstimate {
            n: control.trials,
            estimate: pc,
            sd: None,
        },
        treatment: GroupEstimate {
            n: treatment.trials,
            estimate: pt,
            sd: None,
        },
        chi_square: Some(x2),
        continuity_correction: options.continuity_correction,
    })
}

/// Count, mean and sum of squared deviations of a group's values: a mergeable summary
/// (Welford's update, Chan et al.'s merge) so that means can be compared over data too large
/// to hold, or folded in parallel.
///
/// ```
/// use userops::fold::{fold, Summary};
/// use userops::ops::experiment::Moments;
/// let m = fold(Moments::default(), [2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0])?.finish()?;
/// assert_eq!(m.n, 8);
/// assert!((m.mean - 5.0).abs() < 1e-12);
/// assert!((m.variance().unwrap() - 32.0 / 7.0).abs() < 1e-12);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Moments {
    /// Number of values.
    pub n: u64,
    /// Their mean (0 when empty).
    pub mean: f64,
    /// Sum of squared deviations from the mean.
    pub m2: f64,
}

impl Moments {
    /// Moments of a slice.
    ///
    /// # Errors
    /// [`Error::NonFinite`] (field `value`) for a NaN or infinite value, [`Error::Overflow`]
    /// when the sum of squared deviations passes `f64::MAX` (values near ±1e154 and beyond).
    ///
    /// ```
    /// let m = userops::ops::experiment::Moments::of(&[1.0, 3.0])?;
    /// assert_eq!((m.n, m.mean, m.m2), (2, 2.0, 2.0));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn of(values: &[f64]) -> Result<Moments> {
        let mut m = Moments::default();
        for v in values {
            m.observe(v)?;
        }
        Ok(m)
    }

    /// Sample variance (divisor `n − 1`), `None` below two values.
    ///
    /// ```
    /// assert_eq!(userops::ops::experiment::Moments::of(&[1.0])?.variance(), None);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn variance(&self) -> Option<f64> {
        (self.n >= 2).then(|| self.m2 / (self.n - 1) as f64)
    }
}

impl Summary for Moments {
    type Output = Moments;

    fn merge(&mut self, other: Self) -> Result<()> {
        if other.n == 0 {
            return Ok(());
        }
        if self.n == 0 {
            *self = other;
            return Ok(());
        }
        let (na, nb) = (self.n as f64, other.n as f64);
        let n = na + nb;
        let count = crate::checked::add_count(self.n, other.n, || "the number of values".into())?;
        // Halves keep the difference of two means finite whenever the means are.
        let half_delta = other.mean / 2.0 - self.mean / 2.0;
        let mean = crate::checked::finite(self.mean + 2.0 * half_delta * (nb / n), || {
            "the mean of the values".into()
        })?;
        let m2 = crate::checked::finite(
            self.m2 + other.m2 + 4.0 * half_delta * half_delta * (na / n) * nb,
            || "the sum of squared deviations of the values".into(),
        )?;
        (self.n, self.mean, self.m2) = (count, mean, m2);
        Ok(())
    }

    fn finish(self) -> Result<Moments> {
        Ok(self)
    }
}

impl Fold<f64> for Moments {
    fn observe(&mut self, value: &f64) -> Result<()> {
        let x = *value;
        if !x.is_finite() {
            return Err(Error::NonFinite {
                field: "value",
                value: x,
                user: String::new(),
            });
        }
        let n = crate::checked::add_count(self.n, 1, || "the number of values".into())?;
        // Welford's update on halves: `x - mean` of two finite values can pass f64::MAX
        // (1e308 - -1e308), their halves cannot. A sum of squares beyond f64::MAX is an
        // overflow, never a NaN or an infinite variance.
        let half_delta = x / 2.0 - self.mean / 2.0;
        let mean = self.mean + 2.0 * (half_delta / n as f64);
        let m2 = crate::checked::finite(self.m2 + 2.0 * half_delta * (x - mean), || {
            "the sum of squared deviations of the values".into()
        })?;
        (self.n, self.mean, self.m2) = (n, mean, m2);
        Ok(())
    }
}

impl Fold<&f64> for Moments {
    fn observe(&mut self, value: &&f64) -> Result<()> {
        Fold::<f64>::observe(self, *value)
    }
}

/// Welch's two-sample t-test of `treatment` against `control` from the raw values (R's
/// `t.test(treatment, control)`, whose default is Welch). See [`welch`].
///
/// # Errors
/// As [`welch`], plus [`Error::NonFinite`] for a NaN or infinite value.
///
/// ```
/// use userops::ops::experiment::welch_t_test;
/// // R's sleep data: t.test(extra ~ group) gives t = -1.8608, df = 17.776, p = 0.07939.
/// let g1 = [0.7, -1.6, -0.2, -1.2, -0.1, 3.4, 3.7, 0.8, 0.0, 2.0];
/// let g2 = [1.9, 0.8, 1.1, 0.1, -0.1, 4.4, 5.5, 1.6, 4.6, 3.4];
/// let r = welch_t_test(&g2, &g1, 0.95)?; // treatment = group 1, control = group 2
/// assert!((r.statistic - -1.8608).abs() < 1e-4);
/// assert!((r.p_value - 0.07939).abs() < 1e-5);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn welch_t_test(control: &[f64], treatment: &[f64], confidence: f64) -> Result<TestReport> {
    welch(&Moments::of(control)?, &Moments::of(treatment)?, confidence)
}

/// Welch's two-sample t-test from each group's [`Moments`].
///
/// * `t = (mean_t − mean_c) / sqrt(s²t/nt + s²c/nc)`, Welch–Satterthwaite degrees of freedom,
///   two-sided p-value from Student's t;
/// * interval for the difference: `Δ ± t(df, (1+conf)/2) · se` (R's);
/// * lift `Δ / mean_c` with a delta-method interval: for `r = mean_t / mean_c`,
///   `se(r)² ≈ s²t/(nt·mean_c²) + mean_t²·s²c/(nc·mean_c⁴)`, interval `r − 1 ± z·se(r)` (normal).
///
/// # Errors
/// [`OpsError::EmptyGroup`] (no values), [`OpsError::TooFewObservations`] (one value),
/// [`OpsError::ZeroVariance`] when the standard error is zero (R: "data are essentially
/// constant"), [`Error::InvalidParameter`] for a confidence level outside (0, 1) or moments
/// that are not finite, [`Error::Overflow`] when the difference of the means or its interval
/// passes `f64::MAX`.
///
/// ```
/// use userops::ops::experiment::{welch, Moments};
/// let r = welch(&Moments::of(&[1.0, 2.0, 3.0])?, &Moments::of(&[2.0, 3.0, 4.0])?, 0.95)?;
/// assert!((r.difference - 1.0).abs() < 1e-12);
/// assert_eq!(r.lift, Some(0.5));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn welch(control: &Moments, treatment: &Moments, confidence: f64) -> Result<TestReport> {
    check_unit_open("confidence", confidence)?;
    for (group, m) in [("control", control), ("treatment", treatment)] {
        if m.n == 0 {
            return Err(OpsError::EmptyGroup {
                group: group.into(),
            }
            .into());
        }
        if m.n < 2 {
            return Err(OpsError::TooFewObservations {
                group: group.into(),
                needed: 2,
                got: m.n,
            }
            .into());
        }
    }
    for (group, m) in [("control", control), ("treatment", treatment)] {
        // Moments deserialized or built by hand can hold anything; statrs panics on NaN.
        if !(m.mean.is_finite() && m.m2.is_finite() && m.m2 >= 0.0) {
            return Err(Error::invalid(
                "moments",
                format!(
                    "the {group} group's mean {} and sum of squared deviations {} must be finite (and the sum not negative)",
                    m.mean, m.m2
                ),
            ));
        }
    }
    let (nc, nt) = (control.n as f64, treatment.n as f64);
    let vc = control.variance().unwrap_or(0.0).max(0.0) / nc;
    let vt = treatment.variance().unwrap_or(0.0).max(0.0) / nt;
    let se2 = vc + vt;
    let se = se2.sqrt();
    let scale = control.mean.abs().max(treatment.mean.abs());
    if se.is_nan() || se <= 10.0 * f64::EPSILON * scale || se == 0.0 {
        return Err(OpsError::ZeroVariance {
            test: "Welch t-test",
        }
        .into());
    }
    crate::checked::finite(se2, || "the variance of the difference of the means".into())?;
    // Welch–Satterthwaite lies in [min(nc, nt) - 1, nc + nt - 2]; clamping keeps rounding in
    // the squares of tiny variances (which the fuzzer found can send it to infinity, where
    // statrs' inverse CDF never returns) inside the bounds the formula guarantees.
    let df_raw = se2 * se2 / (vc * vc / (nc - 1.0) + vt * vt / (nt - 1.0));
    let (df_low, df_high) = (nc.min(nt) - 1.0, nc + nt - 2.0);
    let df = if df_raw.is_finite() {
        df_raw.clamp(df_low, df_high)
    } else {
        df_high
    };
    let delta = crate::checked::finite(treatment.mean - control.mean, || {
        "the difference of the two means".into()
    })?;
    let t = delta / se;
    let (p_value, tcrit) = if df > 1.0e6 {
        // Beyond a million degrees of freedom t and the normal agree to better than 1e-6.
        let z = t.abs();
        (
            statrs::function::erf::erfc(z / std::f64::consts::SQRT_2).clamp(0.0, 1.0),
            qnorm(0.5 + confidence / 2.0),
        )
    } else {
        let dist = StudentsT::new(0.0, 1.0, df)
            .map_err(|e| Error::InvalidInput(format!("Welch t-test: {e}")))?;
        (
            (2.0 * dist.sf(t.abs())).clamp(0.0, 1.0),
            dist.inverse_cdf(0.5 + confidence / 2.0),
        )
    };
    let (lift, lift_ci_low, lift_ci_high) = if control.mean == 0.0 {
        (None, None, None)
    } else {
        let mc = control.mean;
        let r = treatment.mean / mc;
        let se_r = (vt / (mc * mc) + treatment.mean * treatment.mean * vc / mc.powi(4)).sqrt();
        let z = qnorm(0.5 + confidence / 2.0);
        if r.is_finite() && se_r.is_finite() {
            (
                Some(r - 1.0),
                Some(r - 1.0 - z * se_r),
                Some(r - 1.0 + z * se_r),
            )
        } else {
            (None, None, None)
        }
    };
    let ci_low = crate::checked::finite(delta - tcrit * se, || {
        "the lower end of the difference's interval".into()
    })?;
    let ci_high = crate::checked::finite(delta + tcrit * se, || {
        "the upper end of the difference's interval".into()
    })?;
    Ok(TestReport {
        test: "Welch t-test".into(),
        statistic: t,
        df: Some(df),
        p_value,
        confidence,
        ci_low,
        ci_high,
        difference: delta,
        lift,
        lift_ci_low,
        lift_ci_high,
        control: GroupEstimate {
            n: control.n,
            estimate: control.mean,
            sd: control.variance().map(f64::sqrt),
        },
        treatment: GroupEstimate {
            n: treatment.n,
            estimate: treatment.mean,
            sd: treatment.variance().map(f64::sqrt),
        },
        chi_square: None,
        continuity_correction: false,
    })
}

/// Pearson's chi-square test on a contingency table (R `chisq.test`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChiSquareReport {
    /// Pearson's statistic (R's `X-squared`).
    pub statistic: f64,
    /// Degrees of freedom `(r − 1)(c − 1)`.
    pub df: f64,
    /// Upper-tail p-value from the chi-square distribution.
    pub p_value: f64,
    /// Expected counts under independence, `row sum × column sum / total`.
    pub expected: Vec<Vec<f64>>,
    /// Whether Yates' correction was applied (only ever for a 2 × 2 table).
    pub yates: bool,
    /// Whether some expected count is below 5, where R warns "Chi-squared approximation may be
    /// incorrect".
    pub low_expected: bool,
}

impl fmt::Display for ChiSquareReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let method = if self.yates {
            "Pearson's chi-square test with Yates' continuity correction"
        } else {
            "Pearson's chi-square test"
        };
        write!(
            f,
            "{method}: X-squared = {:.4}, df = {}, p-value {}{}",
            self.statistic,
            self.df,
            format_p(self.p_value),
            if self.low_expected {
                " (some expected counts < 5: approximation may be poor)"
            } else {
                ""
            }
        )
    }
}

/// Pearson's chi-square test of independence on an r × c table of counts (rows are groups,
/// columns outcomes), as R's `chisq.test(x, correct = yates)`.
///
/// With `yates` and a 2 × 2 table, `min(0.5, min |O − E|)` is subtracted from every `|O − E|`
/// (R's rule: the correction never exceeds the differences); for larger tables `yates` is
/// ignored, as in R.
///
/// # Errors
/// [`OpsError::BadTable`] for fewer than 2 rows or columns, ragged rows, negative or non-finite
/// counts, or a row or column summing to zero; [`Error::Overflow`] when a sum or the statistic
/// passes `f64::MAX`.
///
/// ```
/// use userops::ops::experiment::chi_square;
/// // R ?chisq.test: M <- as.table(rbind(c(762, 327, 468), c(484, 239, 477)))
/// // chisq.test(M): X-squared = 30.07, df = 2, p-value = 2.954e-07
/// let r = chi_square(&[vec![762.0, 327.0, 468.0], vec![484.0, 239.0, 477.0]], true)?;
/// assert!((r.statistic - 30.07).abs() < 0.005);
/// assert_eq!(r.df, 2.0);
/// assert!((r.p_value - 2.954e-7).abs() < 5e-11);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn chi_square(table: &[Vec<f64>], yates: bool) -> Result<ChiSquareReport> {
    let rows = table.len();
    let cols = table.first().map_or(0, Vec::len);
    if rows < 2 || cols < 2 {
        return Err(OpsError::BadTable(format!(
            "needs at least 2 rows and 2 columns, got {rows} x {cols}"
        ))
        .into());
    }
    let mut row_sums = vec![0.0; rows];
    let mut col_sums = vec![0.0; cols];
    for (i, row) in table.iter().enumerate() {
        if row.len() != cols {
            return Err(OpsError::BadTable(format!(
                "row {} has {} cells, row 1 has {cols}",
                i + 1,
                row.len()
            ))
            .into());
        }
        for (j, &v) in row.iter().enumerate() {
            if !v.is_finite() || v < 0.0 {
                return Err(OpsError::BadTable(format!(
                    "cell ({}, {}) is {v}; counts must be finite and non-negative",
                    i + 1,
                    j + 1
                ))
                .into());
            }
            row_sums[i] =
                crate::checked::add(row_sums[i], v, || format!("the sum of row {}", i + 1))?;
            col_sums[j] =
                crate::checked::add(col_sums[j], v, || format!("the sum of column {}", j + 1))?;
        }
    }
    if let Some(i) = row_sums.iter().position(|s| *s <= 0.0) {
        return Err(OpsError::BadTable(format!("row {} sums to zero", i + 1)).into());
    }
    if let Some(j) = col_sums.iter().position(|s| *s <= 0.0) {
        return Err(OpsError::BadTable(format!("column {} sums to zero", j + 1)).into());
    }
    let total = row_sums.iter().try_fold(0.0, |acc, r| {
        crate::checked::add(acc, *r, || "the table's total count".into())
    })?;
    // r / total * c: r * c / total would overflow for counts near 1e300 although the
    // expected count itself is at most min(r, c).
    let expected: Vec<Vec<f64>> = row_sums
        .iter()
        .map(|r| col_sums.iter().map(|c| r / total * c).collect())
        .collect();
    let apply_yates = yates && rows == 2 && cols == 2;
    let correction = if apply_yates {
        let mut smallest = f64::INFINITY;
        for (row, erow) in table.iter().zip(&expected) {
            for (o, e) in row.iter().zip(erow) {
                smallest = smallest.min((o - e).abs());
            }
        }
        smallest.min(0.5)
    } else {
        0.0
    };
    let mut statistic = 0.0;
    for (row, erow) in table.iter().zip(&expected) {
        for (o, e) in row.iter().zip(erow) {
            let d = (o - e).abs() - correction;
            // d / e * d: the same term without squaring a count near 1e300 first.
            statistic += d / e * d;
        }
    }
    let statistic = crate::checked::finite(statistic, || "the chi-square statistic".into())?;
    let df = ((rows - 1) * (cols - 1)) as f64;
    let dist = ChiSquared::new(df).map_err(|e| Error::InvalidInput(format!("chi-square: {e}")))?;
    let p_value = dist.sf(statistic).clamp(0.0, 1.0);
    let low_expected = expected.iter().flatten().any(|e| *e < 5.0);
    Ok(ChiSquareReport {
        statistic,
        df,
        p_value,
        expected,
        yates: apply_yates,
        low_expected,
    })
}

/// Chi-square test that k ≥ 2 groups share one proportion (R `prop.test(x, n)` with k groups):
/// the chi-square test of the k × 2 table `[successes, failures]`. Yates' correction applies
/// only for two groups, as in R.
///
/// # Errors
/// [`OpsError::EmptyGroup`] / [`OpsError::SuccessesExceedTrials`] for a bad group (named
/// `group 1`, `group 2`, ...), [`OpsError::BadTable`] for fewer than two groups,
/// [`OpsError::ZeroVariance`] when every trial succeeded (or every one failed).
///
/// ```
/// use userops::ops::experiment::{proportions_chi_square, Proportion};
/// // R ?prop.test: smokers <- c(83, 90, 129, 70); patients <- c(86, 93, 136, 82)
/// // prop.test(smokers, patients): X-squared = 12.6, df = 3, p-value = 0.005585
/// let groups = [(83, 86), (90, 93), (129, 136), (70, 82)].map(|(x, n)| Proportion::new(x, n));
/// let r = proportions_chi_square(&groups, true)?;
/// assert!((r.statistic - 12.6).abs() < 0.05);
/// assert!((r.p_value - 0.005585).abs() < 5e-7);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn proportions_chi_square(
    groups: &[Proportion],
    continuity_correction: bool,
) -> Result<ChiSquareReport> {
    if groups.len() < 2 {
        return Err(
            OpsError::BadTable(format!("needs at least 2 groups, got {}", groups.len())).into(),
        );
    }
    for (i, g) in groups.iter().enumerate() {
        g.check(&format!("group {}", i + 1))?;
    }
    let (mut successes, mut trials) = (0_u64, 0_u64);
    for g in groups {
        successes = crate::checked::add_count(successes, g.successes, || {
            "the successes of all groups".into()
        })?;
        trials = crate::checked::add_count(trials, g.trials, || "the trials of all groups".into())?;
    }
    if successes == 0 || successes == trials {
        return Err(OpsError::ZeroVariance {
            test: "k-sample test for equality of proportions",
        }
        .into());
    }
    let table: Vec<Vec<f64>> = groups
        .iter()
        .map(|g| vec![g.successes as f64, (g.trials - g.successes) as f64])
        .collect();
    chi_square(&table, continuity_correction && groups.len() == 2)
}

/// Significance, power and sidedness for sample-size planning.
///
/// ```
/// let s = userops::ops::experiment::PowerSpec::default();
/// assert_eq!((s.alpha, s.power, s.two_sided), (0.05, 0.8, true));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct PowerSpec {
    /// Significance level (type I error), in (0, 1). Default 0.05.
    pub alpha: f64,
    /// Power (1 − type II error), in (0, 1). Default 0.8.
    pub power: f64,
    /// Two-sided test (default) or one-sided.
    pub two_sided: bool,
}

impl Default for PowerSpec {
    fn default() -> Self {
        PowerSpec {
            alpha: 0.05,
            power: 0.8,
            two_sided: true,
        }
    }
}

impl PowerSpec {
    /// A two-sided spec with the given power.
    ///
    /// ```
    /// assert_eq!(userops::ops::experiment::PowerSpec::with_power(0.9).power, 0.9);
    /// ```
    #[must_use]
    pub fn with_power(power: f64) -> Self {
        PowerSpec {
            power,
            ..PowerSpec::default()
        }
    }

    fn z_alpha(&self) -> Result<f64> {
        check_unit_open("alpha", self.alpha)?;
        let tails = if self.two_sided { 2.0 } else { 1.0 };
        Ok(qnorm(1.0 - self.alpha / tails))
    }
}

/// Users needed per group, from [`sample_size_two_proportions`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SampleSize {
    /// The control (baseline) proportion.
    pub p1: f64,
    /// The treatment proportion to detect.
    pub p2: f64,
    /// The spec it was computed for.
    pub spec: PowerSpec,
    /// Users per group, unrounded (R's `n`).
    pub per_group: f64,
    /// Users per group, rounded up: what to plan for.
    pub per_group_rounded_up: u64,
}

impl fmt::Display for SampleSize {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "to detect {:.4} -> {:.4} ({}, alpha = {}, power = {}): n = {:.2} per group, plan {} per group ({} in all)",
            self.p1,
            self.p2,
            if self.spec.two_sided {
                "two-sided"
            } else {
                "one-sided"
            },
            self.spec.alpha,
            self.spec.power,
            self.per_group,
            self.per_group_rounded_up,
            self.per_group_rounded_up.saturating_mul(2)
        )
    }
}

fn check_p(name: &'static str, p: f64) -> Result<()> {
    check_unit_open(name, p)
}

/// Power of the two-proportion test with `n` users per group (R `power.prop.test(n, p1, p2)`,
/// `strict = FALSE`):
/// `Φ((sqrt(n)·|p1 − p2| − z_α · sqrt((p1 + p2)(q1 + q2)/2)) / sqrt(p1q1 + p2q2))`.
///
/// # Errors
/// [`Error::InvalidParameter`] for `n` not positive, `p1`/`p2`/`alpha` outside (0, 1).
///
/// ```
/// use userops::ops::experiment::power_two_proportions;
/// // R ?power.prop.test: power.prop.test(n = 50, p1 = .50, p2 = .75) ## => power = 0.740
/// let power = power_two_proportions(50.0, 0.50, 0.75, 0.05, true)?;
/// assert!((power - 0.740).abs() < 5e-4);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn power_two_proportions(n: f64, p1: f64, p2: f64, alpha: f64, two_sided: bool) -> Result<f64> {
    if !(n.is_finite() && n > 0.0) {
        return Err(Error::invalid("n", format!("must be positive, got {n}")));
    }
    check_p("p1", p1)?;
    check_p("p2", p2)?;
    let spec = PowerSpec {
        alpha,
        power: 0.5,
        two_sided,
    };
    let za = spec.z_alpha()?;
    let (q1, q2) = (1.0 - p1, 1.0 - p2);
    let x = ((n * (p1 - p2).powi(2)).sqrt() - za * ((p1 + p2) * (q1 + q2) / 2.0).sqrt())
        / (p1 * q1 + p2 * q2).sqrt();
    Ok(Normal::standard().cdf(x))
}

/// Users per group needed to detect `p1 → p2` at the spec's significance and power (R
/// `power.prop.test(p1 = , p2 = , power = )`, `strict = FALSE`), solved in closed form:
/// `n = ((z_α · sqrt((p1 + p2)(q1 + q2)/2) + z_β · sqrt(p1q1 + p2q2)) / |p1 − p2|)²`
/// (R finds the same root with `uniroot`, to about four significant digits).
///
/// # Errors
/// [`Error::InvalidParameter`] for `p1`/`p2`/`alpha`/`power` outside (0, 1), `p1 == p2`, or a
/// power not above the level the test reaches with no data; [`Error::Overflow`] when the
/// sample per group would pass `u64::MAX` users (an effect too small to detect).
///
/// ```
/// use userops::ops::experiment::{sample_size_two_proportions, PowerSpec};
/// // R ?power.prop.test: power.prop.test(p1 = .50, p2 = .75, power = .90) ## => n = 76.7
/// let s = sample_size_two_proportions(0.50, 0.75, &PowerSpec::with_power(0.90))?;
/// assert!((s.per_group - 76.7).abs() < 0.05);
/// assert_eq!(s.per_group_rounded_up, 77);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn sample_size_two_proportions(p1: f64, p2: f64, spec: &PowerSpec) -> Result<SampleSize> {
    check_p("p1", p1)?;
    check_p("p2", p2)?;
    check_unit_open("power", spec.power)?;
    if p1 == p2 {
        return Err(Error::invalid(
            "p2",
            "must differ from p1: there is no effect to detect",
        ));
    }
    let za = spec.z_alpha()?;
    let zb = qnorm(spec.power);
    let (q1, q2) = (1.0 - p1, 1.0 - p2);
    let root = za * ((p1 + p2) * (q1 + q2) / 2.0).sqrt() + zb * (p1 * q1 + p2 * q2).sqrt();
    if root <= 0.0 {
        return Err(Error::invalid(
            "power",
            format!(
                "{} is not above what the test reaches without data; ask for more power",
                spec.power
            ),
        ));
    }
    let per_group = (root / (p1 - p2).abs()).powi(2);
    let rounded = per_group.ceil();
    // Not a saturated u64::MAX: a sample that large is an answer no one can honour. (The
    // ratio is never NaN: root > 0 and p1 != p2.)
    if rounded >= u64::MAX as f64 {
        return Err(Error::Overflow {
            what: format!("the sample size per group ({per_group:e} users)"),
            hint: "the effect is too small to detect with any sample: ask for a larger difference between p1 and p2",
        });
    }
    let per_group_rounded_up = rounded as u64;
    Ok(SampleSize {
        p1,
        p2,
        spec: *spec,
        per_group,
        per_group_rounded_up,
    })
}

/// Users per group to detect an absolute change `mde` on a `baseline` rate (`p2 = baseline +
/// mde`); see [`sample_size_two_proportions`].
///
/// # Errors
/// As [`sample_size_two_proportions`]; `mde` must keep `p2` inside (0, 1) and not be zero.
///
/// ```
/// use userops::ops::experiment::{sample_size_for_mde, PowerSpec};
/// let s = sample_size_for_mde(0.10, 0.02, &PowerSpec::default())?; // 10% -> 12%
/// assert!(s.per_group_rounded_up > 3_000 && s.per_group_rounded_up < 4_000);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn sample_size_for_mde(baseline: f64, mde: f64, spec: &PowerSpec) -> Result<SampleSize> {
    if !mde.is_finite() || mde == 0.0 {
        return Err(Error::invalid(
            "mde",
            format!("must be a non-zero change, got {mde}"),
        ));
    }
    check_p("baseline", baseline)?;
    let p2 = baseline + mde;
    if !(p2 > 0.0 && p2 < 1.0) {
        return Err(Error::invalid(
            "mde",
            format!("baseline + mde = {p2} must stay strictly between 0 and 1"),
        ));
    }
    sample_size_two_proportions(baseline, p2, spec)
}
