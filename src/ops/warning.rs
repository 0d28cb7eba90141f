//! Three-colour warnings: simple, loud rules an operations team agrees on in advance.
//!
//! | colour | rule (default threshold) | figure |
//! |---|---|---|
//! | yellow | complaint rate ≥ 5% | complaints / users served |
//! | orange | churn rate ≥ 10% | users lost in the period / users at its start |
//! | red | LTV drop ≥ 15% | (LTV before − LTV now) / LTV before |
//!
//! Thresholds are configurable ([`WarningThresholds`], each checked to lie in (0, 1]). The
//! figures come from the host or from the crate's own models ([`WarningFigures`]); a figure the
//! host does not have is left out and its rule does not fire. Every fired warning names its
//! colour, the rule and the figures behind it.
//!
//! ```
//! use userops::ops::warning::{Colour, WarningFigures, WarningThresholds};
//!
//! let figures = WarningFigures::default()
//!     .complaints(12, 200)?      // 6% complaint rate
//!     .churn(30, 1_000)?         // 3% churn
//!     .ltv(120.0, 98.0)?;        // LTV down 18.3%
//! let report = WarningThresholds::default().evaluate(&figures)?;
//! assert_eq!(report.level, Some(Colour::Red));
//! assert_eq!(report.warnings.len(), 2); // yellow and red
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::{Error, Result};

/// A warning colour, ordered by severity: yellow < orange < red.
///
/// ```
/// use userops::ops::warning::Colour;
/// assert!(Colour::Red > Colour::Orange && Colour::Orange > Colour::Yellow);
/// assert_eq!(Colour::Orange.to_string(), "orange");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Colour {
    /// Complaint rate at or above its threshold.
    Yellow,
    /// Churn rate at or above its threshold.
    Orange,
    /// LTV drop at or above its threshold.
    Red,
}

impl fmt::Display for Colour {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Colour::Yellow => "yellow",
            Colour::Orange => "orange",
            Colour::Red => "red",
        })
    }
}

/// The thresholds of the three rules, as shares (0.05 = 5%).
///
/// ```
/// use userops::ops::warning::WarningThresholds;
/// let t = WarningThresholds::new(0.03, 0.08, 0.2)?;
/// assert_eq!(t.churn_rate, 0.08);
/// assert!(WarningThresholds::new(0.0, 0.1, 0.15).is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct WarningThresholds {
    /// Yellow when the complaint rate is at or above this (default 0.05).
    pub complaint_rate: f64,
    /// Orange when the churn rate is at or above this (default 0.10).
    pub churn_rate: f64,
    /// Red when LTV has dropped by this share or more (default 0.15).
    pub ltv_drop: f64,
}

impl Default for WarningThresholds {
    fn default() -> Self {
        WarningThresholds {
            complaint_rate: 0.05,
            churn_rate: 0.10,
            ltv_drop: 0.15,
        }
    }
}

impl WarningThresholds {
    /// Checked thresholds.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] naming the threshold (`complaint_rate`, `churn_rate`,
    /// `ltv_drop`) when it is not a number in (0, 1].
    ///
    /// ```
    /// assert!(userops::ops::warning::WarningThresholds::new(0.05, 1.5, 0.15).is_err());
    /// ```
    pub fn new(complaint_rate: f64, churn_rate: f64, ltv_drop: f64) -> Result<Self> {
        let t = WarningThresholds {
            complaint_rate,
            churn_rate,
            ltv_drop,
        };
        t.check()?;
        Ok(t)
    }

    /// Checks every threshold lies in (0, 1].
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] naming the first bad threshold.
    ///
    /// ```
    /// let mut t = userops::ops::warning::WarningThresholds::default();
    /// t.ltv_drop = f64::NAN;
    /// assert!(t.check().is_err());
    /// ```
    pub fn check(&self) -> Result<()> {
        for (name, v) in [
            ("complaint_rate", self.complaint_rate),
            ("churn_rate", self.churn_rate),
            ("ltv_drop", self.ltv_drop),
        ] {
            if !(v.is_finite() && v > 0.0 && v <= 1.0) {
                return Err(Error::invalid(
                    name,
                    format!("a threshold must be a share in (0, 1], got {v}"),
                ));
            }
        }
        Ok(())
    }

    /// Evaluates the three rules on `figures`.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for bad thresholds or figures (see [`WarningFigures`]).
    ///
    /// ```
    /// use userops::ops::warning::{WarningFigures, WarningThresholds};
    /// let r = WarningThresholds::default().evaluate(&WarningFigures::default().churn(12, 100)?)?;
    /// assert_eq!(r.warnings[0].rule, "churn_rate");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn evaluate(&self, figures: &WarningFigures) -> Result<WarningReport> {
        self.check()?;
        figures.check()?;
        let mut warnings = Vec::new();
        if let Some(rate) = figures.complaint_rate {
            if rate >= self.complaint_rate {
                let mut f = BTreeMap::from([("complaint_rate".to_string(), rate)]);
                if let Some((c, u)) = figures.complaint_counts {
                    f.insert("complaints".into(), c as f64);
                    f.insert("users".into(), u as f64);
                }
                warnings.push(Warning {
                    colour: Colour::Yellow,
                    rule: "complaint_rate".into(),
                    description: format!(
                        "complaint rate {:.2}% >= {:.2}%",
                        rate * 100.0,
                        self.complaint_rate * 100.0
                    ),
                    value: rate,
                    threshold: self.complaint_rate,
                    figures: f,
                });
            }
        }
        if let Some(rate) = figures.churn_rate {
            if rate >= self.churn_rate {
                let mut f = BTreeMap::from([("churn_rate".to_string(), rate)]);
                if let Some((c, u)) = figures.churn_counts {
                    f.insert("churned".into(), c as f64);
                    f.insert("users_at_start".into(), u as f64);
                }
                warnings.push(Warning {
                    colour: Colour::Orange,
                    rule: "churn_rate".into(),
                    description: format!(
                        "churn rate {:.2}% >= {:.2}%",
                        rate * 100.0,
                        self.churn_rate * 100.0
                    ),
                    value: rate,
                    threshold: self.churn_rate,
                    figures: f,
                });
            }
        }
        if let (Some(before), Some(now)) = (figures.ltv_before, figures.ltv_now) {
            let drop = (before - now) / before;
            if drop >= self.ltv_drop {
                warnings.push(Warning {
                    colour: Colour::Red,
                    rule: "ltv_drop".into(),
                    description: format!(
                        "LTV dropped {:.2}% ({before:.2} -> {now:.2}) >= {:.2}%",
                        drop * 100.0,
                        self.ltv_drop * 100.0
                    ),
                    value: drop,
                    threshold: self.ltv_drop,
                    figures: BTreeMap::from([
                        ("ltv_before".to_string(), before),
                        ("ltv_now".to_string(), now),
                        ("ltv_drop".to_string(), drop),
                    ]),
                });
            }
        }
        let level = warnings.iter().map(|w| w.colour).max();
        Ok(WarningReport {
            label: figures.label.clone(),
            warnings,
            level,
        })
    }
}

/// The figures the rules look at; each is optional (a missing figure never fires).
///
/// ```
/// use userops::ops::warning::WarningFigures;
/// let f = WarningFigures::default().label("2025-03").complaint_rate(0.02)?.ltv(100.0, 90.0)?;
/// assert_eq!(f.churn_rate, None);
/// assert_eq!(f.label.as_deref(), Some("2025-03"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct WarningFigures {
    /// What the figures describe (a period, a product line); carried into the report.
    pub label: Option<String>,
    /// Complaints / users served, in [0, 1].
    pub complaint_rate: Option<f64>,
    /// The counts behind the complaint rate, when given as counts.
    pub complaint_counts: Option<(u64, u64)>,
    /// Users lost / users at the start of the period, in [0, 1].
    pub churn_rate: Option<f64>,
    /// The counts behind the churn rate, when given as counts.
    pub churn_counts: Option<(u64, u64)>,
    /// LTV in the reference period (positive).
    pub ltv_before: Option<f64>,
    /// LTV now (finite; may be negative after refunds).
    pub ltv_now: Option<f64>,
}

fn check_rate(name: &'static str, r: f64) -> Result<()> {
    if r.is_finite() && (0.0..=1.0).contains(&r) {
        Ok(())
    } else {
        Err(Error::invalid(
            name,
            format!("a rate must be in [0, 1], got {r}"),
        ))
    }
}

fn rate_of(name: &'static str, part: u64, whole: u64) -> Result<f64> {
    if whole == 0 {
        return Err(Error::invalid(name, "the denominator (users) is zero"));
    }
    if part > whole {
        return Err(Error::invalid(
            name,
            format!("{part} out of {whole}: the count exceeds the users"),
        ));
    }
    Ok(part as f64 / whole as f64)
}

impl WarningFigures {
    /// Names what the figures describe.
    ///
    /// ```
    /// let f = userops::ops::warning::WarningFigures::default().label("week 12");
    /// assert_eq!(f.label.as_deref(), Some("week 12"));
    /// ```
    #[must_use]
    pub fn label(mut self, label: impl Into<String>) -> Self {
        self.label = Some(label.into());
        self
    }

    /// Complaint rate from counts.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] (`complaint_rate`) for zero users or more complaints than
    /// users.
    ///
    /// ```
    /// let f = userops::ops::warning::WarningFigures::default().complaints(5, 100)?;
    /// assert_eq!(f.complaint_rate, Some(0.05));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn complaints(mut self, complaints: u64, users: u64) -> Result<Self> {
        self.complaint_rate = Some(rate_of("complaint_rate", complaints, users)?);
        self.complaint_counts = Some((complaints, users));
        Ok(self)
    }

    /// Complaint rate given directly.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] (`complaint_rate`) outside [0, 1].
    ///
    /// ```
    /// assert!(userops::ops::warning::WarningFigures::default().complaint_rate(1.2).is_err());
    /// ```
    pub fn complaint_rate(mut self, rate: f64) -> Result<Self> {
        check_rate("complaint_rate", rate)?;
        self.complaint_rate = Some(rate);
        self.complaint_counts = None;
        Ok(self)
    }

    /// Churn rate from counts: users lost in the period out of users at its start.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] (`churn_rate`) for zero users or more churned than users.
    ///
    /// ```
    /// let f = userops::ops::warning::WarningFigures::default().churn(10, 100)?;
    /// assert_eq!(f.churn_rate, Some(0.1));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn churn(mut self, churned: u64, users_at_start: u64) -> Result<Self> {
        self.churn_rate = Some(rate_of("churn_rate", churned, users_at_start)?);
        self.churn_counts = Some((churned, users_at_start));
        Ok(self)
    }

    /// Churn rate given directly (e.g. from the crate's unit economics).
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] (`churn_rate`) outside [0, 1].
    ///
    /// ```
    /// assert!(userops::ops::warning::WarningFigures::default().churn_rate(f64::NAN).is_err());
    /// ```
    pub fn churn_rate(mut self, rate: f64) -> Result<Self> {
        check_rate("churn_rate", rate)?;
        self.churn_rate = Some(rate);
        self.churn_counts = None;
        Ok(self)
    }

    /// LTV in the reference period and now.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] (`ltv_before`) when the reference LTV is not positive and
    /// finite, (`ltv_now`) when the current one is not finite.
    ///
    /// ```
    /// assert!(userops::ops::warning::WarningFigures::default().ltv(0.0, 10.0).is_err());
    /// ```
    pub fn ltv(mut self, before: f64, now: f64) -> Result<Self> {
        self.ltv_before = Some(before);
        self.ltv_now = Some(now);
        self.check()?;
        Ok(self)
    }

    /// Checks every figure present (useful when the struct was filled field by field).
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] naming the bad figure.
    ///
    /// ```
    /// let mut f = userops::ops::warning::WarningFigures::default();
    /// f.churn_rate = Some(-0.1);
    /// assert!(f.check().is_err());
    /// ```
    pub fn check(&self) -> Result<()> {
        if let Some(r) = self.complaint_rate {
            check_rate("complaint_rate", r)?;
        }
        if let Some(r) = self.churn_rate {
            check_rate("churn_rate", r)?;
        }
        match (self.ltv_before, self.ltv_now) {
            (Some(b), Some(n)) => {
                if !(b.is_finite() && b > 0.0) {
                    return Err(Error::invalid(
                        "ltv_before",
                        format!("must be positive and finite, got {b}"),
                    ));
                }
                if !n.is_finite() {
                    return Err(Error::invalid(
                        "ltv_now",
                        format!("must be finite, got {n}"),
                    ));
                }
            }
            (None, None) => {}
            _ => {
                return Err(Error::invalid(
                    "ltv_now",
                    "give both LTV figures (before and now) or neither",
                ));
            }
        }
        Ok(())
    }
}

/// One fired rule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Warning {
    /// Its colour.
    pub colour: Colour,
    /// The rule's name: `complaint_rate`, `churn_rate` or `ltv_drop`.
    pub rule: String,
    /// A readable sentence with the figure and the threshold.
    pub description: String,
    /// The figure compared with the threshold.
    pub value: f64,
    /// The threshold.
    pub threshold: f64,
    /// Every figure behind the warning, by name.
    pub figures: BTreeMap<String, f64>,
}

/// The warnings fired for one set of figures, most severe level first in `level`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WarningReport {
    /// The figures' label.
    pub label: Option<String>,
    /// Fired rules in colour order (yellow, orange, red).
    pub warnings: Vec<Warning>,
    /// The most severe colour fired, `None` when all is well.
    pub level: Option<Colour>,
}

impl fmt::Display for WarningReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let label = self.label.as_deref().unwrap_or("figures");
        if self.warnings.is_empty() {
            return write!(f, "{label}: no warning");
        }
        let mut first = true;
        for w in &self.warnings {
            if !first {
                writeln!(f)?;
            }
            first = false;
            write!(
                f,
                "{label}: {:<6} {:<15} {}",
                w.colour.to_string().to_uppercase(),
                w.rule,
                w.description
            )?;
        }
        Ok(())
    }
}
