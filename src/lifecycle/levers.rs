//! Planning several levers at once, month by month: the projected active users and active
//! rate per period and their average over the horizon, and the smallest lever change that
//! reaches an average rate.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::forecast::{ForecastRow, ForecastStart, Lever, Rates, forecast};
use super::stages::ratio;
use crate::{Error, Result};

/// The lever targets of one period: each listed lever set to its value, the others at the
/// base rates (e.g. September: old retention 0.93, wake rate 0.95, return rate 0.14).
///
/// ```
/// use userops::lifecycle::{Lever, LeverTargets};
/// let sep = LeverTargets::new().set(Lever::OldRetention, 0.93).set(Lever::WakeRate, 0.95);
/// assert_eq!(sep.targets.len(), 2);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct LeverTargets {
    /// The levers set in this period, with their values (a lever listed twice: the last).
    pub targets: Vec<(Lever, f64)>,
}

impl LeverTargets {
    /// No lever set: the base rates.
    ///
    /// ```
    /// assert!(userops::lifecycle::LeverTargets::new().targets.is_empty());
    /// ```
    #[must_use]
    pub fn new() -> Self {
        LeverTargets::default()
    }

    /// Sets `lever` to `value` in this period.
    ///
    /// ```
    /// # use userops::lifecycle::{Lever, LeverTargets};
    /// assert_eq!(LeverTargets::new().set(Lever::ReturnRate, 0.14).targets, [(Lever::ReturnRate, 0.14)]);
    /// ```
    #[must_use]
    pub fn set(mut self, lever: Lever, value: f64) -> Self {
        self.targets.push((lever, value));
        self
    }

    /// The base rates with this period's targets applied.
    fn apply(&self, base: &Rates) -> Result<Rates> {
        let mut r = *base;
        for (lever, value) in &self.targets {
            r = r.with(*lever, *value)?;
        }
        Ok(r)
    }
}

/// One projected period of a [`LeverPlan`]: the rates used and the stage groups.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LeverPlanRow {
    /// The rates of this period (base rates with the period's targets).
    pub rates: Rates,
    /// The projected stage groups, active users and active rate.
    pub projection: ForecastRow,
}

/// A multi-lever plan projected period by period (see [`plan_levers`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LeverPlan {
    /// One row per period.
    pub rows: Vec<LeverPlanRow>,
    /// Mean of the periods' active users.
    pub average_active: f64,
    /// Mean of the periods' active rates (the "average monthly active rate").
    pub average_active_rate: f64,
}

/// Projects the stage groups with different lever targets in each period: period `t` uses the
/// base rates with `targets[t]` applied and `expected_new[t]` new users (the formulas of
/// [`forecast`], one period at a time). Reports each period's active users and active rate,
/// and their averages over the horizon.
///
/// # Errors
/// [`Error::InvalidParameter`] (`targets`) when `targets` and `expected_new` differ in
/// length; a target out of its range (as [`Rates::with`]); errors of [`forecast`].
///
/// ```
/// use userops::lifecycle::{plan_levers, ForecastStart, Lever, LeverTargets, Rates};
/// let start = ForecastStart { period: None, churn_after: 2, known: 100.0, new: 10.0,
///                             old_active: 40.0, dormant: 20.0, churned: 30.0 };
/// let base = Rates::new(0.75, 0.5, 0.25, 0.1, 0.0)?;
/// let p = plan_levers(&start, &base, &[LeverTargets::new().set(Lever::WakeRate, 0.35)], &[10.0])?;
/// // 0.75·40 + 0.5·10 + 0.35·20 + 0.1·30 = 45 old active + 10 new = 55 of 110.
/// assert_eq!(p.rows[0].projection.active, 55.0);
/// assert_eq!(p.average_active_rate, 0.5);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn plan_levers(
    start: &ForecastStart,
    base: &Rates,
    targets: &[LeverTargets],
    expected_new: &[f64],
) -> Result<LeverPlan> {
    if targets.len() != expected_new.len() {
        return Err(Error::invalid(
            "targets",
            format!(
                "give one set of lever targets per period: {} targets for {} periods of expected new users",
                targets.len(),
                expected_new.len()
            ),
        ));
    }
    let rates: Vec<Rates> = targets
        .iter()
        .map(|t| t.apply(base))
        .collect::<Result<_>>()?;
    project(start, &rates, expected_new)
}

fn project(start: &ForecastStart, rates: &[Rates], expected_new: &[f64]) -> Result<LeverPlan> {
    if rates.is_empty() {
        return Err(Error::invalid(
            "periods",
            "nothing to project: give the targets and expected new users of at least 1 period",
        ));
    }
    let mut at = start.clone();
    let mut rows = Vec::with_capacity(rates.len());
    for (step, (r, n)) in rates.iter().zip(expected_new).enumerate() {
        let f = forecast(&at, r, &[*n])?;
        let Some(mut row) = f.rows.into_iter().next() else {
            break;
        };
        row.step = step + 1;
        row.period = start.period.map(|p| p.offset(step as i64 + 1));
        at = ForecastStart {
            period: row.period,
            churn_after: start.churn_after,
            known: row.known,
            new: row.new,
            old_active: row.old_active,
            dormant: row.dormant,
            churned: row.churned,
        };
        rows.push(LeverPlanRow {
            rates: *r,
            projection: row,
        });
    }
    let k = rows.len() as f64;
    let average_active = ratio(rows.iter().map(|r| r.projection.active).sum(), k);
    let average_active_rate = ratio(rows.iter().map(|r| r.projection.active_rate).sum(), k);
    Ok(LeverPlan {
        rows,
        average_active,
        average_active_rate,
    })
}

/// What [`smallest_change`] found for one lever or one set of levers moved together.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "outcome")]
pub enum ChangeOutcome {
    /// Raising the levers by `change` (each capped at its maximum) in every period reaches
    /// the target average.
    Reachable {
        /// The smallest change, in rate points (0.05 = five points).
        change: f64,
    },
    /// The plan already reaches the target.
    AlreadyMet,
    /// Even at their maximum in every period the levers do not reach the target.
    Unreachable {
        /// The average active rate with the levers at their maximum.
        rate_at_max: f64,
    },
}

/// The smallest change of one lever alone, or of several together.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LeverChange {
    /// The levers moved (one, or all of them together).
    pub levers: Vec<Lever>,
    /// The answer.
    pub outcome: ChangeOutcome,
}

/// The reverse question of [`plan_levers`]: the smallest change needed to reach
/// `target_average` (the mean active rate over the horizon).
///
/// For each lever of `levers` alone, and then for all of them together, the smallest `δ ≥ 0`
/// such that raising the lever(s) by `δ` in every period over the plan's values (each capped
/// at its maximum: 1, or `1 − dormant_stay` for the wake rate) gives an average active rate of
/// at least `target_average`. "Together" moves every lever by the same `δ`. The average rate
/// does not fall as a lever rises, so `δ` is found by bisection to 1e-12 (for one period it is
/// the closed-form solution).
///
/// # Errors
/// [`Error::InvalidParameter`] (`target_average`) outside `[0, 1]`, (`levers`) when empty;
/// errors of [`plan_levers`].
///
/// ```
/// use userops::lifecycle::{smallest_change, ChangeOutcome, ForecastStart, Lever, LeverTargets, Rates};
/// let start = ForecastStart { period: None, churn_after: 2, known: 100.0, new: 10.0,
///                             old_active: 40.0, dormant: 20.0, churned: 30.0 };
/// let base = Rates::new(0.75, 0.5, 0.25, 0.1, 0.0)?;
/// let answers = smallest_change(&start, &base, &[LeverTargets::new()], &[10.0], &[Lever::WakeRate], 0.5)?;
/// // 53 active of 110 today; 55 needs 2 more: 20 dormant users × 0.10.
/// match answers[0].outcome { ChangeOutcome::Reachable { change } => assert!((change - 0.1).abs() < 1e-9), _ => panic!() }
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn smallest_change(
    start: &ForecastStart,
    base: &Rates,
    targets: &[LeverTargets],
    expected_new: &[f64],
    levers: &[Lever],
    target_average: f64,
) -> Result<Vec<LeverChange>> {
    if !(target_average.is_finite() && (0.0..=1.0).contains(&target_average)) {
        return Err(Error::invalid(
            "target_average",
            format!("must be an active rate between 0 and 1, got {target_average}"),
        ));
    }
    if levers.is_empty() {
        return Err(Error::invalid("levers", "name at least one lever to move"));
    }
    // The plan's own rates per period (validated once).
    let plan = plan_levers(start, base, targets, expected_new)?;
    let planned: Vec<Rates> = plan.rows.iter().map(|r| r.rates).collect();
    let average = |moved: &[Lever], delta: f64| -> Result<f64> {
        let mut rates = Vec::with_capacity(planned.len());
        for r in &planned {
            let mut x = *r;
            for lever in moved {
                let v = (r.get(*lever) + delta).min(r.max_value(*lever)).max(0.0);
                x = x.with(*lever, v)?;
            }
            rates.push(x);
        }
        Ok(project(start, &rates, expected_new)?.average_active_rate)
    };
    let mut sets: Vec<Vec<Lever>> = levers.iter().map(|l| vec![*l]).collect();
    if levers.len() > 1 {
        sets.push(levers.to_vec());
    }
    let mut out = Vec::with_capacity(sets.len());
    for set in sets {
        let outcome = if average(&set, 0.0)? >= target_average {
            ChangeOutcome::AlreadyMet
        } else {
            let at_max = average(&set, 1.0)?;
            if at_max < target_average {
                ChangeOutcome::Unreachable {
                    rate_at_max: at_max,
                }
            } else {
                let (mut lo, mut hi) = (0.0f64, 1.0f64);
                for _ in 0..200 {
                    let mid = 0.5 * (lo + hi);
                    if average(&set, mid)? >= target_average {
                        hi = mid;
                    } else {
                        lo = mid;
                    }
                    if hi - lo < 1e-13 {
                        break;
                    }
                }
                ChangeOutcome::Reachable { change: hi }
            }
        };
        out.push(LeverChange {
            levers: set,
            outcome,
        });
    }
    Ok(out)
}

impl fmt::Display for LeverPlan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{:<8} {:>9} {:>9} {:>9} {:>9} {:>10} {:>10} {:>10} {:>10} {:>8}",
            "period",
            "old_ret",
            "new_ret",
            "wake",
            "return",
            "active",
            "dormant",
            "churned",
            "known",
            "rate"
        )?;
        for r in &self.rows {
            let p = &r.projection;
            let period = p
                .period
                .map_or_else(|| format!("+{}", p.step), |x| x.to_string());
            writeln!(
                f,
                "{:<8} {:>8.1}% {:>8.1}% {:>8.1}% {:>8.1}% {:>10.1} {:>10.1} {:>10.1} {:>10.1} {:>7.2}%",
                period,
                100.0 * r.rates.old_retention,
                100.0 * r.rates.new_retention,
                100.0 * r.rates.wake_rate,
                100.0 * r.rates.return_rate,
                p.active,
                p.dormant,
                p.churned,
                p.known,
                100.0 * p.active_rate
            )?;
        }
        write!(
            f,
            "average: {:.1} active, {:.2}% active rate",
            self.average_active,
            100.0 * self.average_active_rate
        )
    }
}
