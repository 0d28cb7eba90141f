//! Lifecycle stages: per-period user states, the transition matrix, the active-user
//! decomposition, forecast and target planning, and PostHog's lifecycle view.
//!
//! One fold, [`LifecycleSummary`], keeps one activity bit per user and calendar period (day,
//! week with a chosen first weekday, or month, in any time zone) plus the user's history
//! before the window. Its [`LifecycleActivity`] answers every model:
//!
//! * [`LifecycleActivity::stages`] — the seven [`Stage`]s (new, retained, `retained_new`,
//!   woken, returned, dormant, churned) with `churn_after` ([`StageParams`]), the
//!   [`TransitionMatrix`] between consecutive periods and the [`Decomposition`]
//!   `active(t) = new(t) + old_active(t−1)·old_retention(t) + new(t−1)·new_retention(t)`
//!   `+ dormant(t−1)·wake_rate(t) + churned(t−1)·return_rate(t)`, exact on the data;
//! * [`forecast`] and [`plan`] — active users and the active rate projected forward from given
//!   or trailing-average [`Rates`], and the value one [`Lever`] must reach for a target rate;
//! * [`plan_levers`] and [`smallest_change`] — several levers at once with targets per
//!   period, the active rate per period and its average over the horizon, and the smallest
//!   change per lever (alone or together) reaching an average rate;
//! * [`LifecycleActivity::return_curve`] — the natural return rate by length of inactivity and
//!   its knee, a data-driven `churn_after`;
//! * [`LifecycleActivity::posthog`] — PostHog's new / returning / resurrecting / dormant;
//! * [`LifecycleActivity::breakdown`] — any of these per value of a user attribute.
//!
//! ```
//! use chrono::{TimeZone, Utc};
//! use userops::event::EventRecord;
//! use userops::fold::{fold, Summary};
//! use userops::lifecycle::{forecast, plan, ForecastStart, Lever, LifecycleSummary, Rates, StageParams};
//! use userops::time::{Calendar, Interval};
//!
//! let m = |month, user: u32| EventRecord::<u32>::new(user, Utc.with_ymd_and_hms(2025, month, 3, 0, 0, 0).unwrap());
//! let log = vec![m(1, 1), m(1, 2), m(2, 1), m(3, 1), m(3, 2), m(3, 3)];
//! let summary = LifecycleSummary::new(Calendar::new(Utc, Interval::Month),
//!     Utc.with_ymd_and_hms(2025, 1, 1, 0, 0, 0).unwrap(), Utc.with_ymd_and_hms(2025, 3, 31, 0, 0, 0).unwrap())?;
//! let report = fold(summary, &log)?.finish()?.stages(&StageParams::default(), None);
//! let march = &report.rows[2];
//! assert_eq!((march.new, march.retained, march.woken, march.known, march.active), (1, 1, 1, 3, 3));
//! for d in &report.decomposition {
//!     assert!((d.reconstructed() - d.active as f64).abs() < 1e-9);
//! }
//! let rates = Rates::trailing(&report, 2)?;
//! let start = ForecastStart::from_report(&report)?;
//! let next = forecast(&start, &rates, &[1.0])?;
//! assert!(next.rows[0].active_rate <= 1.0);
//! let p = plan(&start, &rates, &[1.0], Lever::OldRetention, 0.9)?;
//! assert_eq!(p.lever, Lever::OldRetention);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod forecast;
mod levers;
mod posthog;
mod returns;
mod stages;
mod summary;

use std::fmt;

use chrono::TimeZone;
use serde::{Deserialize, Serialize};

pub use forecast::{
    Forecast, ForecastRow, ForecastStart, Lever, PlanOutcome, Rates, TargetPlan, forecast, plan,
};
pub use levers::{
    ChangeOutcome, LeverChange, LeverPlan, LeverPlanRow, LeverTargets, plan_levers, smallest_change,
};
pub use posthog::PostHogLifecycle;
pub use returns::{ReturnCurve, ReturnRow};
pub use stages::{
    Decomposition, MAX_CHURN_AFTER, Stage, StageParams, StageReport, StageRow, TransitionMatrix,
};
pub use summary::{LifecycleActivity, LifecycleSummary, UNKNOWN_GROUP};

use crate::event::UserAttribute;

/// One group of a [`Breakdown`].
///
/// ```
/// let g = userops::lifecycle::BreakdownGroup { value: "north".to_string(), users: 3, report: () };
/// assert_eq!(g.value, "north");
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BreakdownGroup<R> {
    /// The attribute value (`"(unknown)"` for users without one).
    pub value: String,
    /// Users in the group (seen in any period).
    pub users: u64,
    /// The group's report.
    pub report: R,
}

/// A report split by the value of a user attribute, groups in value order (see
/// [`LifecycleActivity::breakdown`]).
///
/// ```
/// use userops::lifecycle::{Breakdown, BreakdownGroup};
/// let b = Breakdown { groups: vec![BreakdownGroup { value: "(unknown)".into(), users: 2, report: 5 }] };
/// assert_eq!(b.get(userops::lifecycle::UNKNOWN_GROUP), Some(&5));
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Breakdown<R> {
    /// One group per attribute value.
    pub groups: Vec<BreakdownGroup<R>>,
}

impl<R> Breakdown<R> {
    /// The report of one attribute value.
    ///
    /// ```
    /// # use userops::lifecycle::{Breakdown, BreakdownGroup};
    /// let b = Breakdown { groups: vec![BreakdownGroup { value: "ads".into(), users: 1, report: 7 }] };
    /// assert_eq!(b.get("ads"), Some(&7));
    /// assert_eq!(b.get("tv"), None);
    /// ```
    #[must_use]
    pub fn get(&self, value: &str) -> Option<&R> {
        self.groups
            .iter()
            .find(|g| g.value == value)
            .map(|g| &g.report)
    }
}

impl<R: fmt::Display> fmt::Display for Breakdown<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for g in &self.groups {
            writeln!(f, "--- {} ({} users) ---", g.value, g.users)?;
            writeln!(f, "{}", g.report)?;
        }
        Ok(())
    }
}

impl<U: Clone, Tz: TimeZone> LifecycleActivity<U, Tz> {
    /// Runs `model` on the users of each value of `attribute` (users without a value form
    /// the `"(unknown)"` group; no user is dropped), in value order.
    ///
    /// ```
    /// use chrono::{TimeZone, Utc};
    /// use userops::event::EventRecord;
    /// use userops::fold::{fold, Summary};
    /// use userops::lifecycle::{LifecycleSummary, StageParams};
    /// use userops::time::{Calendar, Interval};
    ///
    /// let t = Utc.with_ymd_and_hms(2025, 1, 5, 0, 0, 0).unwrap();
    /// let s = LifecycleSummary::new(Calendar::new(Utc, Interval::Month), t, t)?;
    /// let a = fold(s, [1_u32, 2, 3].map(|u| EventRecord::<u32>::new(u, t)))?.finish()?;
    /// let channel = |u: &u32| (*u != 3).then(|| if *u == 1 { "ads" } else { "organic" }.to_string());
    /// let by = a.breakdown(&channel, |part| part.stages(&StageParams::default(), None));
    /// let names: Vec<_> = by.groups.iter().map(|g| (g.value.as_str(), g.report.rows[0].new)).collect();
    /// assert_eq!(names, [("(unknown)", 1), ("ads", 1), ("organic", 1)]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn breakdown<A, R, F>(&self, attribute: &A, model: F) -> Breakdown<R>
    where
        A: UserAttribute<U> + ?Sized,
        F: Fn(&LifecycleActivity<U, Tz>) -> R,
    {
        Breakdown {
            groups: self
                .split_by(attribute)
                .into_iter()
                .map(|(value, part)| BreakdownGroup {
                    users: part.len() as u64,
                    report: model(&part),
                    value,
                })
                .collect(),
        }
    }
}
