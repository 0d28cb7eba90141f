//! Forecast of active users and the active rate, and target planning on one lever.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::stages::{Stage, StageReport, ratio};
use crate::time::Period;
use crate::{Error, Result};

/// A lever of the active-user decomposition a team can pull.
///
/// ```
/// use userops::lifecycle::Lever;
/// assert_eq!(Lever::parse("wake_rate")?, Lever::WakeRate);
/// assert_eq!(Lever::OldRetention.name(), "old_retention");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Lever {
    /// Share of old active users (active, not new) still active next period.
    OldRetention,
    /// Share of new users active in their second period.
    NewRetention,
    /// Share of dormant users active again next period.
    WakeRate,
    /// Share of churned users active again next period.
    ReturnRate,
}

impl Lever {
    /// All levers.
    pub const ALL: [Lever; 4] = [
        Lever::OldRetention,
        Lever::NewRetention,
        Lever::WakeRate,
        Lever::ReturnRate,
    ];

    /// The snake-case name.
    ///
    /// ```
    /// assert_eq!(userops::lifecycle::Lever::ReturnRate.name(), "return_rate");
    /// ```
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Lever::OldRetention => "old_retention",
            Lever::NewRetention => "new_retention",
            Lever::WakeRate => "wake_rate",
            Lever::ReturnRate => "return_rate",
        }
    }

    /// Parses a lever name (`old_retention`, `new_retention`, `wake_rate`, `return_rate`).
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] (`lever`) for any other text.
    ///
    /// ```
    /// assert!(userops::lifecycle::Lever::parse("price").is_err());
    /// ```
    pub fn parse(text: &str) -> Result<Lever> {
        let t = text.trim().to_ascii_lowercase().replace('-', "_");
        Lever::ALL
            .into_iter()
            .find(|l| l.name() == t)
            .ok_or_else(|| {
                Error::invalid(
                    "lever",
                    format!(
                        "{text:?} is not one of old_retention, new_retention, wake_rate, return_rate"
                    ),
                )
            })
    }
}

impl fmt::Display for Lever {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Per-period transition rates of the decomposition (see
/// [`Decomposition`](super::Decomposition)), checked: each in `[0, 1]` and
/// `wake_rate + dormant_stay <= 1`.
///
/// ```
/// use userops::lifecycle::{Lever, Rates};
/// let r = Rates::new(0.8, 0.5, 0.3, 0.05, 0.0)?;
/// assert_eq!(r.get(Lever::WakeRate), 0.3);
/// assert!(Rates::new(1.2, 0.5, 0.3, 0.05, 0.0).is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Rates {
    /// Old active users still active next period.
    pub old_retention: f64,
    /// New users active next period.
    pub new_retention: f64,
    /// Dormant users active next period.
    pub wake_rate: f64,
    /// Churned users active next period.
    pub return_rate: f64,
    /// Dormant users still dormant next period (0 when `churn_after <= 2`); the rest of the
    /// dormant users who do not wake churn.
    pub dormant_stay: f64,
}

impl Rates {
    /// Checked rates.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] naming the rate when one is not a finite number in `[0, 1]`,
    /// or when `wake_rate + dormant_stay > 1`.
    ///
    /// ```
    /// assert!(userops::lifecycle::Rates::new(0.5, 0.5, 0.7, 0.1, 0.5).is_err()); // 0.7 + 0.5 > 1
    /// ```
    pub fn new(
        old_retention: f64,
        new_retention: f64,
        wake_rate: f64,
        return_rate: f64,
        dormant_stay: f64,
    ) -> Result<Rates> {
        let r = Rates {
            old_retention,
            new_retention,
            wake_rate,
            return_rate,
            dormant_stay,
        };
        r.check()?;
        Ok(r)
    }

    fn check(&self) -> Result<()> {
        for (name, v) in [
            ("old_retention", self.old_retention),
            ("new_retention", self.new_retention),
            ("wake_rate", self.wake_rate),
            ("return_rate", self.return_rate),
            ("dormant_stay", self.dormant_stay),
        ] {
            if !(v.is_finite() && (0.0..=1.0).contains(&v)) {
                return Err(Error::invalid(
                    name,
                    format!("must be a rate between 0 and 1 (0% to 100%), got {v}"),
                ));
            }
        }
        if self.wake_rate + self.dormant_stay > 1.0 + 1e-12 {
            return Err(Error::invalid(
                "wake_rate",
                format!(
                    "wake_rate ({}) + dormant_stay ({}) is above 1",
                    self.wake_rate, self.dormant_stay
                ),
            ));
        }
        Ok(())
    }

    /// The value of one lever.
    ///
    /// ```
    /// # use userops::lifecycle::{Lever, Rates};
    /// let r = Rates::new(0.8, 0.5, 0.3, 0.05, 0.0)?;
    /// assert_eq!(r.get(Lever::OldRetention), 0.8);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn get(&self, lever: Lever) -> f64 {
        match lever {
            Lever::OldRetention => self.old_retention,
            Lever::NewRetention => self.new_retention,
            Lever::WakeRate => self.wake_rate,
            Lever::ReturnRate => self.return_rate,
        }
    }

    /// The rates with one lever set to `value`.
    ///
    /// # Errors
    /// As [`Rates::new`].
    ///
    /// ```
    /// # use userops::lifecycle::{Lever, Rates};
    /// let r = Rates::new(0.8, 0.5, 0.3, 0.05, 0.0)?.with(Lever::ReturnRate, 0.1)?;
    /// assert_eq!(r.return_rate, 0.1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn with(&self, lever: Lever, value: f64) -> Result<Rates> {
        let mut r = *self;
        match lever {
            Lever::OldRetention => r.old_retention = value,
            Lever::NewRetention => r.new_retention = value,
            Lever::WakeRate => r.wake_rate = value,
            Lever::ReturnRate => r.return_rate = value,
        }
        r.check()?;
        Ok(r)
    }

    /// The largest value a lever can take with the other rates held: 1, or
    /// `1 − dormant_stay` for the wake rate.
    ///
    /// ```
    /// # use userops::lifecycle::{Lever, Rates};
    /// let r = Rates::new(0.8, 0.5, 0.3, 0.05, 0.25)?;
    /// assert_eq!(r.max_value(Lever::WakeRate), 0.75);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn max_value(&self, lever: Lever) -> f64 {
        match lever {
            Lever::WakeRate => 1.0 - self.dormant_stay,
            _ => 1.0,
        }
    }

    /// Trailing-average rates of a stage report: each rate pooled over the last `periods`
    /// periods (sum of numerators over sum of denominators, so that large periods weigh
    /// more; a rate whose denominators are all 0 is 0). Fewer periods are used when the report
    /// has fewer.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] (`periods`) when `periods` is 0; [`Error::Empty`] when the
    /// report has no period.
    ///
    /// ```
    /// # use userops::lifecycle::{Rates, StageReport};
    /// # fn f(report: &StageReport) -> userops::Result<()> {
    /// let rates = Rates::trailing(report, 3)?;
    /// assert!((0.0..=1.0).contains(&rates.old_retention));
    /// # Ok(()) }
    /// ```
    pub fn trailing(report: &StageReport, periods: usize) -> Result<Rates> {
        if periods == 0 {
            return Err(Error::invalid(
                "periods",
                "the trailing average needs at least 1 period, got 0",
            ));
        }
        if report.decomposition.is_empty() {
            return Err(Error::Empty("the stage report has no period"));
        }
        let start = report.decomposition.len().saturating_sub(periods);
        let mut sums = [0.0f64; 10];
        for t in start..report.decomposition.len() {
            let (Some(d), Some(row), Some(m)) = (
                report.decomposition.get(t),
                report.rows.get(t),
                report.transitions.get(t),
            ) else {
                continue;
            };
            let stay = m.count(Some(Stage::Dormant), Stage::Dormant);
            let pairs = [
                (row.retained, d.old_active_prev),
                (row.retained_new, d.new_prev),
                (row.woken, d.dormant_prev),
                (row.returned, d.churned_prev),
                (stay, d.dormant_prev),
            ];
            for (k, (num, den)) in pairs.iter().enumerate() {
                sums[2 * k] += *num as f64;
                sums[2 * k + 1] += *den as f64;
            }
        }
        let r = |k: usize| ratio(sums[2 * k], sums[2 * k + 1]).clamp(0.0, 1.0);
        let mut rates = Rates {
            old_retention: r(0),
            new_retention: r(1),
            wake_rate: r(2),
            return_rate: r(3),
            dormant_stay: r(4),
        };
        if rates.wake_rate + rates.dormant_stay > 1.0 {
            rates.dormant_stay = 1.0 - rates.wake_rate;
        }
        rates.check()?;
        Ok(rates)
    }
}

/// Where a forecast starts: the stage groups of the last observed period.
///
/// ```
/// use userops::lifecycle::ForecastStart;
/// let s = ForecastStart { period: None, churn_after: 2, known: 100.0, new: 10.0,
///                         old_active: 40.0, dormant: 20.0, churned: 30.0 };
/// assert_eq!(s.active(), 50.0);
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ForecastStart {
    /// The period the counts are of, when known (forecast periods follow it).
    pub period: Option<Period>,
    /// `churn_after` of the stage model (1 means no dormant stage: inactive users churn).
    pub churn_after: u32,
    /// Users known.
    pub known: f64,
    /// New users.
    pub new: f64,
    /// Old active users (retained + `retained_new` + woken + returned).
    pub old_active: f64,
    /// Dormant users.
    pub dormant: f64,
    /// Churned users.
    pub churned: f64,
}

impl ForecastStart {
    /// The last period of a stage report.
    ///
    /// # Errors
    /// [`Error::Empty`] when the report has no period.
    ///
    /// ```
    /// # use userops::lifecycle::{ForecastStart, StageReport};
    /// # fn f(report: &StageReport) -> userops::Result<()> {
    /// let start = ForecastStart::from_report(report)?;
    /// assert_eq!(start.known, report.rows.last().unwrap().known as f64);
    /// # Ok(()) }
    /// ```
    pub fn from_report(report: &StageReport) -> Result<ForecastStart> {
        let last = report
            .rows
            .last()
            .ok_or(Error::Empty("the stage report has no period"))?;
        Ok(ForecastStart {
            period: Some(last.period),
            churn_after: report.churn_after,
            known: last.known as f64,
            new: last.new as f64,
            old_active: last.old_active() as f64,
            dormant: last.dormant as f64,
            churned: last.churned as f64,
        })
    }

    /// Active users: new + old active.
    ///
    /// ```
    /// # use userops::lifecycle::ForecastStart;
    /// let s = ForecastStart { period: None, churn_after: 2, known: 3.0, new: 1.0,
    ///                         old_active: 1.0, dormant: 1.0, churned: 0.0 };
    /// assert_eq!(s.active(), 2.0);
    /// ```
    #[must_use]
    pub fn active(&self) -> f64 {
        self.new + self.old_active
    }

    fn check(&self) -> Result<()> {
        for (name, v) in [
            ("known", self.known),
            ("new", self.new),
            ("old_active", self.old_active),
            ("dormant", self.dormant),
            ("churned", self.churned),
        ] {
            if !(v.is_finite() && v >= 0.0) {
                return Err(Error::invalid(
                    "start",
                    format!("`{name}` must be a finite count >= 0, got {v}"),
                ));
            }
        }
        if self.churn_after == 0 {
            return Err(Error::invalid("churn_after", "must be at least 1, got 0"));
        }
        Ok(())
    }
}

/// One projected period.
///
/// ```
/// use userops::lifecycle::{forecast, plan, ForecastStart, Lever, PlanOutcome, Rates};
/// let start = ForecastStart { period: None, churn_after: 2, known: 100.0, new: 10.0,
///                             old_active: 40.0, dormant: 20.0, churned: 30.0 };
/// let rates = Rates::new(0.75, 0.5, 0.25, 0.1, 0.0)?;
/// let row = &forecast(&start, &rates, &[10.0])?.rows[0];
/// assert_eq!((row.step, row.known), (1, 110.0));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ForecastRow {
    /// Periods after the start (1 = the next period).
    pub step: usize,
    /// The calendar period, when the start's period is known.
    pub period: Option<Period>,
    /// Expected new users.
    pub new: f64,
    /// Projected old active users.
    pub old_active: f64,
    /// Projected dormant users.
    pub dormant: f64,
    /// Projected churned users.
    pub churned: f64,
    /// Projected active users: new + old active.
    pub active: f64,
    /// Users known: the start's plus all new users since.
    pub known: f64,
    /// `active / known`.
    pub active_rate: f64,
}

/// A projection of active users and the active rate (see [`forecast`]).
///
/// ```
/// use userops::lifecycle::{forecast, plan, ForecastStart, Lever, PlanOutcome, Rates};
/// let start = ForecastStart { period: None, churn_after: 2, known: 100.0, new: 10.0,
///                             old_active: 40.0, dormant: 20.0, churned: 30.0 };
/// let rates = Rates::new(0.75, 0.5, 0.25, 0.1, 0.0)?;
/// let f = forecast(&start, &rates, &[10.0, 10.0, 10.0])?;
/// assert_eq!(f.rows.len(), 3);
/// assert!(f.to_string().contains("old_active"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Forecast {
    /// The rates used.
    pub rates: Rates,
    /// One row per projected period.
    pub rows: Vec<ForecastRow>,
}

/// Projects the stage groups forward one period per entry of `expected_new` (the new users
/// expected in each future period), with constant `rates`:
///
/// ```text
/// old_active(t) = old_retention·old_active(t−1) + new_retention·new(t−1)
///               + wake_rate·dormant(t−1) + return_rate·churned(t−1)
/// dormant(t)    = (1−old_retention)·old_active(t−1) + (1−new_retention)·new(t−1)
///               + dormant_stay·dormant(t−1)
/// churned(t)    = (1−wake_rate−dormant_stay)·dormant(t−1) + (1−return_rate)·churned(t−1)
/// active(t)     = new(t) + old_active(t);  known(t) = known(t−1) + new(t)
/// ```
///
/// (with `churn_after = 1` there is no dormant stage: lapsing users churn at once). The
/// groups always add up to the users known.
///
/// # Errors
/// [`Error::InvalidParameter`] (`periods`) when `expected_new` is empty (zero periods to
/// project), (`expected_new`) when a value is negative or not finite, or (`start`) when a
/// start count is.
///
/// ```
/// use userops::lifecycle::{forecast, ForecastStart, Rates};
/// let start = ForecastStart { period: None, churn_after: 2, known: 100.0, new: 10.0,
///                             old_active: 40.0, dormant: 20.0, churned: 30.0 };
/// let rates = Rates::new(0.75, 0.5, 0.25, 0.1, 0.0)?;
/// let f = forecast(&start, &rates, &[10.0])?;
/// // 0.75·40 + 0.5·10 + 0.25·20 + 0.1·30 = 30 + 5 + 5 + 3 = 43 old active, + 10 new
/// assert_eq!(f.rows[0].active, 53.0);
/// assert_eq!(f.rows[0].active_rate, 53.0 / 110.0);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn forecast(start: &ForecastStart, rates: &Rates, expected_new: &[f64]) -> Result<Forecast> {
    start.check()?;
    rates.check()?;
    if expected_new.is_empty() {
        return Err(Error::invalid(
            "periods",
            "nothing to project: give the expected new users of at least 1 period",
        ));
    }
    if let Some(bad) = expected_new.iter().find(|v| !(v.is_finite() && **v >= 0.0)) {
        return Err(Error::invalid(
            "expected_new",
            format!("expected new users must be finite and >= 0, got {bad}"),
        ));
    }
    let r = rates;
    let (mut new, mut old, mut dormant, mut churned, mut known) = (
        start.new,
        start.old_active,
        start.dormant,
        start.churned,
        start.known,
    );
    let mut rows = Vec::with_capacity(expected_new.len());
    for (step, n_next) in expected_new.iter().enumerate() {
        let lapsed = (1.0 - r.old_retention) * old + (1.0 - r.new_retention) * new;
        let old_next = r.old_retention * old
            + r.new_retention * new
            + r.wake_rate * dormant
            + r.return_rate * churned;
        let churn_from_dormant = (1.0 - r.wake_rate - r.dormant_stay).max(0.0) * dormant;
        let (dormant_next, churned_next) = if start.churn_after >= 2 {
            (
                lapsed + r.dormant_stay * dormant,
                churn_from_dormant + (1.0 - r.return_rate) * churned,
            )
        } else {
            (
                r.dormant_stay * dormant,
                lapsed + churn_from_dormant + (1.0 - r.return_rate) * churned,
            )
        };
        new = *n_next;
        old = old_next;
        dormant = dormant_next;
        churned = churned_next;
        known += new;
        let active = new + old;
        rows.push(ForecastRow {
            step: step + 1,
            period: start.period.map(|p| p.offset(step as i64 + 1)),
            new,
            old_active: old,
            dormant,
            churned,
            active,
            known,
            active_rate: ratio(active, known),
        });
    }
    Ok(Forecast {
        rates: *rates,
        rows,
    })
}

/// What a [`TargetPlan`] found.
///
/// ```
/// use userops::lifecycle::{forecast, plan, ForecastStart, Lever, PlanOutcome, Rates};
/// let start = ForecastStart { period: None, churn_after: 2, known: 100.0, new: 10.0,
///                             old_active: 40.0, dormant: 20.0, churned: 30.0 };
/// let rates = Rates::new(0.75, 0.5, 0.25, 0.1, 0.0)?;
/// let p = plan(&start, &rates, &[10.0], Lever::ReturnRate, 0.99)?;
/// assert!(matches!(p.outcome, PlanOutcome::Unreachable { .. }));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "outcome")]
pub enum PlanOutcome {
    /// The lever must reach `value` (the other rates held).
    Reachable {
        /// The lever value that gives the target rate.
        value: f64,
    },
    /// The target is met even with the lever at 0.
    AlreadyMet {
        /// The active rate with the lever at 0.
        rate_at_zero: f64,
    },
    /// The target cannot be reached with this lever alone: it would need a value above the
    /// lever's maximum (1, or `1 − dormant_stay` for the wake rate).
    Unreachable {
        /// The lever's maximum.
        max_value: f64,
        /// The best active rate the lever can give (at its maximum).
        rate_at_max: f64,
    },
}

/// The value one lever must reach for a target active rate (see [`plan`]).
///
/// ```
/// use userops::lifecycle::{forecast, plan, ForecastStart, Lever, PlanOutcome, Rates};
/// let start = ForecastStart { period: None, churn_after: 2, known: 100.0, new: 10.0,
///                             old_active: 40.0, dormant: 20.0, churned: 30.0 };
/// let rates = Rates::new(0.75, 0.5, 0.25, 0.1, 0.0)?;
/// let p = plan(&start, &rates, &[10.0], Lever::WakeRate, 0.5)?;
/// // 55 active of 110 needs 45 old active = 30 + 5 + 20·x + 3, so x = 0.35
/// match p.outcome { PlanOutcome::Reachable { value } => assert!((value - 0.35).abs() < 1e-9), _ => panic!() }
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TargetPlan {
    /// The lever moved.
    pub lever: Lever,
    /// The active rate aimed at, at the end of the horizon.
    pub target_rate: f64,
    /// Periods ahead.
    pub horizon: usize,
    /// The lever's current value.
    pub current_value: f64,
    /// The projected active rate with the current rates.
    pub current_rate: f64,
    /// The answer.
    pub outcome: PlanOutcome,
}

/// For a target active rate at the end of the horizon (one period per entry of
/// `expected_new`), the value `lever` must reach with the other rates held, or a clear answer
/// that it cannot be reached. The projected rate is continuous in the lever; the value is
/// found by bisection to 1e-12 (for one period ahead the rate is linear in each lever, so the
/// value is also the closed-form solution).
///
/// # Errors
/// [`Error::InvalidParameter`] (`target_rate`) when the target is not in `[0, 1]` (a rate
/// above 100% is impossible: active users are a subset of known users); errors of
/// [`forecast`].
///
/// ```
/// use userops::lifecycle::{plan, ForecastStart, Lever, PlanOutcome, Rates};
/// let start = ForecastStart { period: None, churn_after: 2, known: 100.0, new: 10.0,
///                             old_active: 40.0, dormant: 20.0, churned: 30.0 };
/// let rates = Rates::new(0.75, 0.5, 0.25, 0.1, 0.0)?;
/// // Target 55/110 = 50%: old active must reach 45 = 40·x + 5 + 5 + 3, so x = 0.8.
/// let p = plan(&start, &rates, &[10.0], Lever::OldRetention, 0.5)?;
/// match p.outcome { PlanOutcome::Reachable { value } => assert!((value - 0.8).abs() < 1e-9), _ => panic!() }
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn plan(
    start: &ForecastStart,
    rates: &Rates,
    expected_new: &[f64],
    lever: Lever,
    target_rate: f64,
) -> Result<TargetPlan> {
    if !(target_rate.is_finite() && (0.0..=1.0).contains(&target_rate)) {
        return Err(Error::invalid(
            "target_rate",
            format!(
                "must be an active rate between 0 and 1 (0% to 100%), got {target_rate}; active users are a subset of known users"
            ),
        ));
    }
    let at = |x: f64| -> Result<f64> {
        let f = forecast(start, &rates.with(lever, x)?, expected_new)?;
        Ok(f.rows.last().map_or(0.0, |r| r.active_rate))
    };
    let current_rate = at(rates.get(lever))?;
    let max = rates.max_value(lever).clamp(0.0, 1.0);
    let lo_rate = at(0.0)?;
    let hi_rate = at(max)?;
    let outcome = if lo_rate >= target_rate {
        PlanOutcome::AlreadyMet {
            rate_at_zero: lo_rate,
        }
    } else if hi_rate < target_rate {
        PlanOutcome::Unreachable {
            max_value: max,
            rate_at_max: hi_rate,
        }
    } else {
        let (mut lo, mut hi) = (0.0f64, max);
        for _ in 0..200 {
            let mid = 0.5 * (lo + hi);
            if at(mid)? >= target_rate {
                hi = mid;
            } else {
                lo = mid;
            }
            if hi - lo < 1e-13 {
                break;
            }
        }
        PlanOutcome::Reachable { value: hi }
    };
    Ok(TargetPlan {
        lever,
        target_rate,
        horizon: expected_new.len(),
        current_value: rates.get(lever),
        current_rate,
        outcome,
    })
}

impl fmt::Display for Forecast {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let r = &self.rates;
        writeln!(
            f,
            "Forecast (old retention {:.1}%, new retention {:.1}%, wake {:.1}%, return {:.1}%, dormant stay {:.1}%)",
            r.old_retention * 100.0,
            r.new_retention * 100.0,
            r.wake_rate * 100.0,
            r.return_rate * 100.0,
            r.dormant_stay * 100.0
        )?;
        writeln!(
            f,
            "{:<10} {:>10} {:>11} {:>10} {:>10} {:>10} {:>10} {:>8}",
            "period", "new", "old_active", "dormant", "churned", "active", "known", "rate"
        )?;
        for row in &self.rows {
            let label = row
                .period
                .map_or_else(|| format!("+{}", row.step), |p| p.to_string());
            writeln!(
                f,
                "{:<10} {:>10.1} {:>11.1} {:>10.1} {:>10.1} {:>10.1} {:>10.1} {:>7.1}%",
                label,
                row.new,
                row.old_active,
                row.dormant,
                row.churned,
                row.active,
                row.known,
                row.active_rate * 100.0
            )?;
        }
        Ok(())
    }
}

impl fmt::Display for TargetPlan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Target active rate {:.1}% in {} period(s) via {} (now {:.1}%, projected rate {:.1}%): ",
            self.target_rate * 100.0,
            self.horizon,
            self.lever,
            self.current_value * 100.0,
            self.current_rate * 100.0
        )?;
        match &self.outcome {
            PlanOutcome::Reachable { value } => {
                writeln!(f, "{} must reach {:.1}%", self.lever, value * 100.0)
            }
            PlanOutcome::AlreadyMet { rate_at_zero } => writeln!(
                f,
                "already met even with {} at 0 (rate {:.1}%)",
                self.lever,
                rate_at_zero * 100.0
            ),
            PlanOutcome::Unreachable {
                max_value,
                rate_at_max,
            } => writeln!(
                f,
                "cannot be reached: it would need {} above {:.1}% (at {:.1}% the rate is only {:.1}%)",
                self.lever,
                max_value * 100.0,
                max_value * 100.0,
                rate_at_max * 100.0
            ),
        }
    }
}
