//! PostHog's lifecycle view: new / returning / resurrecting / dormant per bucket.

use std::fmt;

use chrono::TimeZone;
use serde::{Deserialize, Serialize};

use super::summary::LifecycleActivity;
use crate::event::SignUp;

/// PostHog's lifecycle chart: for each bucket, the users who are new, returning and
/// resurrecting, and (as a negative number) the users who went dormant.
///
/// The rules are those of PostHog's `LifecycleQueryRunner`
/// (`posthog/hogql_queries/insights/lifecycle_query_runner.py`), checked against its tests:
///
/// * Only events from the bucket before `from` to the end of the bucket of `to` count
///   (PostHog's `timestamp >= date_from - 1 interval` filter): the lead bucket is read, never
///   reported.
/// * A user's active buckets `a1 < a2 < ...` (in the team's time zone, weeks starting on the
///   calendar's weekday) are labelled: `a1` is **new** when it is the bucket of the user's
///   creation time, otherwise **resurrecting**; a later `ai` is **returning** when `ai − 1 =
///   a(i−1)`, otherwise **resurrecting**.
/// * After each active bucket not followed by another, the next bucket counts the user once
///   as **dormant**, reported negative.
/// * The creation time is the sign-up time when given, otherwise the user's first event seen
///   by the fold (PostHog creates a person at their first event).
///
/// JSON: `{"periods": [...], "new": [...], "returning": [...], "resurrecting": [...],
/// "dormant": [...]}`; periods are the buckets' start dates (`YYYY-MM-DD`, as PostHog's
/// `days`).
///
/// ```
/// use chrono::{TimeZone, Utc};
/// use userops::event::EventRecord;
/// use userops::fold::{fold, Summary};
/// use userops::lifecycle::LifecycleSummary;
/// use userops::time::{Calendar, Interval};
///
/// let d = |day| Utc.with_ymd_and_hms(2020, 1, day, 12, 0, 0).unwrap();
/// let log = [9, 10, 12].map(|day| EventRecord::<&str>::new("p1", d(day)));
/// let s = LifecycleSummary::new(Calendar::new(Utc, Interval::Day), d(9), d(13))?;
/// let ph = fold(s, &log)?.finish()?.posthog(None);
/// assert_eq!(ph.new, [1, 0, 0, 0, 0]);
/// assert_eq!(ph.returning, [0, 1, 0, 0, 0]);
/// assert_eq!(ph.resurrecting, [0, 0, 0, 1, 0]);
/// assert_eq!(ph.dormant, [0, 0, -1, 0, -1]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PostHogLifecycle {
    /// Bucket start dates, `YYYY-MM-DD`.
    pub periods: Vec<String>,
    /// Users new in each bucket.
    pub new: Vec<i64>,
    /// Users active in the bucket and the one before.
    pub returning: Vec<i64>,
    /// Users active after at least one inactive bucket (or first active in the window but
    /// created earlier).
    pub resurrecting: Vec<i64>,
    /// Users who went dormant in the bucket, negative.
    pub dormant: Vec<i64>,
}

impl<U, Tz: TimeZone> LifecycleActivity<U, Tz> {
    /// PostHog's lifecycle view of the window (see [`PostHogLifecycle`]); `signups` gives the
    /// users' creation times where the host has them.
    ///
    /// ```
    /// use chrono::{TimeZone, Utc};
    /// use userops::event::EventRecord;
    /// use userops::fold::{fold, Summary};
    /// use userops::lifecycle::LifecycleSummary;
    /// use userops::time::{Calendar, Interval};
    ///
    /// let d = |day| Utc.with_ymd_and_hms(2020, 1, day, 12, 0, 0).unwrap();
    /// let created = |_: &&str| Some(d(1)); // created long before its first event in the window
    /// let s = LifecycleSummary::new(Calendar::new(Utc, Interval::Day), d(9), d(10))?;
    /// let ph = fold(s, [EventRecord::<&str>::new("p1", d(9))])?.finish()?.posthog(Some(&created));
    /// assert_eq!((ph.new[0], ph.resurrecting[0]), (0, 1));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn posthog(&self, signups: Option<&dyn SignUp<U>>) -> PostHogLifecycle {
        let n = self.periods().len();
        let mut out = PostHogLifecycle {
            periods: self
                .periods()
                .iter()
                .map(|p| p.start().format("%Y-%m-%d").to_string())
                .collect(),
            new: vec![0; n],
            returning: vec![0; n],
            resurrecting: vec![0; n],
            dormant: vec![0; n],
        };
        let words = self.words();
        let bump = |v: &mut [i64], t: i64, by: i64| {
            if t >= 0 {
                if let Some(x) = usize::try_from(t).ok().and_then(|t| v.get_mut(t)) {
                    *x += by;
                }
            }
        };
        for i in 0..self.len() {
            let created = signups
                .and_then(|s| self.users().get(i).and_then(|u| s.signed_up(u)))
                .map_or_else(|| self.first_raw(i), |at| self.index_of_instant(at));
            let mut prev: Option<i64> = None;
            for k in 0..words {
                let mut word = self.word(i, k);
                while word != 0 {
                    let a = (k * 64) as i64 + i64::from(word.trailing_zeros()) - 1;
                    word &= word - 1;
                    match prev {
                        None => {
                            if a == created {
                                bump(&mut out.new, a, 1);
                            } else {
                                bump(&mut out.resurrecting, a, 1);
                            }
                        }
                        Some(p) => {
                            if p + 1 == a {
                                bump(&mut out.returning, a, 1);
                            } else {
                                bump(&mut out.dormant, p + 1, -1);
                                bump(&mut out.resurrecting, a, 1);
                            }
                        }
                    }
                    prev = Some(a);
                }
            }
            if let Some(p) = prev {
                bump(&mut out.dormant, p + 1, -1);
            }
        }
        out
    }
}

impl fmt::Display for PostHogLifecycle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "PostHog lifecycle (dormant is negative)")?;
        writeln!(
            f,
            "{:<10} {:>8} {:>10} {:>13} {:>8}",
            "period", "new", "returning", "resurrecting", "dormant"
        )?;
        for (i, p) in self.periods.iter().enumerate() {
            let g = |v: &[i64]| v.get(i).copied().unwrap_or(0);
            writeln!(
                f,
                "{:<10} {:>8} {:>10} {:>13} {:>8}",
                p,
                g(&self.new),
                g(&self.returning),
                g(&self.resurrecting),
                g(&self.dormant)
            )?;
        }
        Ok(())
    }
}
