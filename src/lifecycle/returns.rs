//! The natural return rate by length of inactivity, and its knee: a `churn_after` from data.

use std::fmt;

use chrono::TimeZone;
use serde::{Deserialize, Serialize};

use super::stages::MAX_CHURN_AFTER;
use super::summary::{LifecycleActivity, NO_PRIOR, NOT_KNOWN};
use crate::{Error, Result};

/// Users idle for `idle_periods` periods and how many were active in the next one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReturnRow {
    /// Whole periods since the user's last active period.
    pub idle_periods: u32,
    /// User-periods observed idle for exactly that long with the next period in the window.
    pub at_risk: u64,
    /// Of those, active in the next period.
    pub returned: u64,
    /// `returned / at_risk` (`None` when nobody was at risk).
    pub rate: Option<f64>,
}

/// The natural return rate by length of inactivity (see [`LifecycleActivity::return_curve`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReturnCurve {
    /// One row per idle length, 1 to the longest asked for.
    pub rows: Vec<ReturnRow>,
    /// The idle length after which the return rate drops most: the last length before the
    /// cliff (`None` when fewer than two lengths have a rate).
    pub knee: Option<u32>,
    /// The suggested `churn_after` (`knee + 1`): users idle that long are past the cliff.
    pub suggested_churn_after: Option<u32>,
}

impl<U, Tz: TimeZone> LifecycleActivity<U, Tz> {
    /// The natural return rate by length of inactivity, and the knee the monthly-lifecycle
    /// practice reads as the dormant → churned threshold ("after N idle periods the return rate
    /// falls off a cliff").
    ///
    /// **Return rate.** For every known user and every period `t` of the lead period and the
    /// window but the last, the user's idle length `g` at `t` is the number of whole periods
    /// since their last active period (history before the window included); a user with
    /// `1 ≤ g ≤ max_idle` is *at risk* at `g`, and *returned* when active in `t + 1`. The rate
    /// at `g` is `returned / at_risk`, pooled over periods: a discrete-time hazard of return.
    ///
    /// **Knee.** The largest drop between consecutive rates, `rate(g) − rate(g + 1)` over the
    /// lengths where both are defined (ties: the shorter `g`). The knee is that `g`, the last
    /// idle length before the cliff, and the suggested `churn_after` is `g + 1`: users idle
    /// that long have crossed it. (Kneedle and similar methods find the point of greatest
    /// curvature; on a return-rate curve, which is a step down more often than a smooth
    /// elbow, the largest drop is the same point and needs no smoothing parameter.)
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] (`max_idle`) for 0 or above
    /// [`MAX_CHURN_AFTER`](super::MAX_CHURN_AFTER).
    ///
    /// ```
    /// use chrono::{TimeZone, Utc};
    /// use userops::event::EventRecord;
    /// use userops::fold::{fold, Summary};
    /// use userops::lifecycle::LifecycleSummary;
    /// use userops::time::{Calendar, Interval};
    /// let m = |month| Utc.with_ymd_and_hms(2025, month, 5, 0, 0, 0).unwrap();
    /// // Active in January and March: idle 1 in February, back in March.
    /// let log = [1, 3].map(|month| EventRecord::<u8>::new(1_u8, m(month)));
    /// let a = fold(LifecycleSummary::new(Calendar::new(Utc, Interval::Month), m(1), m(3))?, &log)?.finish()?;
    /// let curve = a.return_curve(2)?;
    /// assert_eq!((curve.rows[0].at_risk, curve.rows[0].returned), (1, 1));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn return_curve(&self, max_idle: u32) -> Result<ReturnCurve> {
        if max_idle == 0 || max_idle > MAX_CHURN_AFTER {
            return Err(Error::invalid(
                "max_idle",
                format!("must be 1 to {MAX_CHURN_AFTER} periods, got {max_idle}"),
            ));
        }
        let n = self.periods().len() as i64;
        let g_max = i64::from(max_idle);
        let mut at_risk = vec![0u64; max_idle as usize + 1];
        let mut returned = vec![0u64; max_idle as usize + 1];
        let raw = self.raw();
        let active = |i: usize, t: i64| -> bool {
            let j = (t + 1) as usize; // bit 0 is the lead period
            (raw.word(i, j / 64) >> (j % 64)) & 1 == 1
        };
        for i in 0..self.len() {
            let k = raw.first(i);
            if k == NOT_KNOWN || k > n - 1 {
                continue;
            }
            // The last active period before the lead period, if any.
            let prior = raw.prior(i);
            let mut last: Option<i64> = if prior != NO_PRIOR {
                Some(prior)
            } else if k < -1 {
                Some(k)
            } else {
                None
            };
            for t in -1..n - 1 {
                if active(i, t) {
                    last = Some(t);
                    continue;
                }
                let Some(l) = last else {
                    continue; // not known yet
                };
                let g = t - l;
                if (1..=g_max).contains(&g) {
                    at_risk[g as usize] += 1;
                    if active(i, t + 1) {
                        returned[g as usize] += 1;
                    }
                }
            }
        }
        let rows: Vec<ReturnRow> = (1..=max_idle)
            .map(|g| {
                let (a, r) = (at_risk[g as usize], returned[g as usize]);
                ReturnRow {
                    idle_periods: g,
                    at_risk: a,
                    returned: r,
                    rate: (a > 0).then(|| r as f64 / a as f64),
                }
            })
            .collect();
        let mut knee: Option<(u32, f64)> = None;
        for w in rows.windows(2) {
            if let [x, y] = w {
                if let (Some(a), Some(b)) = (x.rate, y.rate) {
                    let drop = a - b;
                    if knee.is_none_or(|(_, best)| drop > best) {
                        knee = Some((x.idle_periods, drop));
                    }
                }
            }
        }
        let knee = knee.map(|(g, _)| g);
        Ok(ReturnCurve {
            rows,
            knee,
            suggested_churn_after: knee.map(|g| g + 1),
        })
    }
}

impl fmt::Display for ReturnCurve {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:>5} {:>10} {:>10} {:>8}",
            "idle", "at risk", "returned", "rate"
        )?;
        for r in &self.rows {
            let rate = r
                .rate
                .map_or_else(|| "-".to_string(), |x| format!("{:.1}%", 100.0 * x));
            write!(
                f,
                "\n{:>5} {:>10} {:>10} {:>8}",
                r.idle_periods, r.at_risk, r.returned, rate
            )?;
        }
        match self.suggested_churn_after {
            Some(c) => write!(f, "\nknee after {} idle periods: churn_after = {c}", c - 1),
            None => write!(f, "\nno knee: too few idle lengths with a rate"),
        }
    }
}
