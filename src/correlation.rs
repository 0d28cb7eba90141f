//! What predicts retention: for each event, and for "did X at least n times within d days of
//! start", the odds ratio, phi and χ² p-value between the users who did it and those who did
//! not, against retained vs not retained — PostHog's funnel-correlation semantics applied to
//! retention, with a multiple-comparison correction.
//!
//! The fold is [`crate::journey::JourneySummary`]; [`correlate`] reads its [`Journeys`].
//!
//! * A user's **start** is their first start event (`*`: their first event). Users whose
//!   retention window is not over at `as_of` are **censored**: left out, and counted.
//! * **Retained**: a return event in `[start + retained_from, start + retained_to)`.
//! * **Did X at least n times**: n or more events named X in `[start, start + behaviour)`,
//!   the start event itself not counted. The start and return events' names are not tested
//!   (PostHog leaves the funnel's own steps out), nor the names in `exclude`.
//! * Per feature, the 2×2 table: `a` retained and did it, `b` not retained and did it, `c`
//!   retained and did not, `d` neither. **Odds ratio** with PostHog's prior of 1 in each cell,
//!   `(a+1)(d+1) / ((b+1)(c+1))`; above 1 the feature goes with retention (`success`), else
//!   with churn (`failure`). **Phi** `(ad − bc) / √((a+b)(c+d)(a+c)(b+d))`. **χ²** as R's
//!   `chisq.test` on the 2×2 table (Pearson's, with Yates' continuity correction), its p-value
//!   from the χ² distribution with one degree of freedom; `None` where a margin is 0.
//! * Features done by fewer than min(25, 2% of the users) are left out as too rare
//!   (PostHog's `are_results_insignificant`); no rows at all when nobody, or everybody, was
//!   retained. **q-values**: Benjamini–Hochberg over the features tested; rows are sorted by
//!   q-value, then by the distance of the odds ratio from 1.
//!
//! ```
//! use chrono::{TimeDelta, TimeZone, Utc};
//! use userops::event::EventRecord;
//! use userops::fold::{fold, Summary};
//! use userops::journey::JourneySummary;
//! use userops::correlation::{CorrelationParams, correlate};
//!
//! let t = |d| Utc.with_ymd_and_hms(2025, 1, d, 12, 0, 0).unwrap();
//! let mut log = Vec::new();
//! for u in 0..40_u32 {
//!     log.push(EventRecord::<u32>::new(u, t(1)).with_name("signup"));
//!     if u % 2 == 0 {
//!         log.push(EventRecord::new(u, t(2)).with_name("invite"));
//!         log.push(EventRecord::new(u, t(20)).with_name("session")); // back in week 3
//!     }
//! }
//! let spec = CorrelationParams::new("signup", "session", t(31))
//!     .behaviour(TimeDelta::days(7))
//!     .retained_between(TimeDelta::days(14), TimeDelta::days(28))
//!     .check()?;
//! let report = correlate(&fold(JourneySummary::new(), &log)?.finish()?, &spec);
//! assert_eq!((report.users, report.retained), (40, 20));
//! let invite = &report.rows[0];
//! assert_eq!((invite.event.as_str(), invite.a, invite.b), ("invite", 20, 0));
//! assert_eq!(invite.odds_ratio, 21.0 * 21.0); // (20+1)(20+1) / ((0+1)(0+1))
//! assert_eq!(invite.phi, Some(1.0));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::collections::BTreeMap;
use std::fmt;

use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};

pub use crate::journey::{JourneySummary, Journeys};
use crate::{Error, Result};

/// The most "at least n times" thresholds a report tests per event.
pub const MAX_THRESHOLDS: usize = 20;
/// PostHog's `MIN_PERSON_COUNT`.
pub const MIN_USERS: f64 = 25.0;
/// PostHog's `MIN_PERSON_PERCENTAGE`.
pub const MIN_SHARE: f64 = 0.02;

/// Settings of a retention correlation; [`CorrelationParams::check`] gives a
/// [`CorrelationSpec`].
///
/// ```
/// use userops::correlation::CorrelationParams;
/// let p = CorrelationParams::new("signup", "*", chrono::DateTime::UNIX_EPOCH);
/// assert_eq!(p.at_least, [1]);
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CorrelationParams {
    /// The start event (`*`: any event).
    pub start_event: String,
    /// The return event (`*`: any event).
    pub return_event: String,
    /// The instant the data runs to: users whose retention window ends after it are censored.
    pub as_of: DateTime<Utc>,
    /// Behaviour counts in `[start, start + behaviour)`. Default 7 days.
    pub behaviour: TimeDelta,
    /// Retained: a return event from `start + retained_from` (default 7 days)...
    pub retained_from: TimeDelta,
    /// ...to before `start + retained_to` (default 28 days).
    pub retained_to: TimeDelta,
    /// The thresholds n of "did X at least n times". Default `[1]`.
    pub at_least: Vec<u32>,
    /// Event names not to test.
    pub exclude: Vec<String>,
}

impl CorrelationParams {
    /// Start and return events and the as-of instant, with the defaults.
    ///
    /// ```
    /// let p = userops::correlation::CorrelationParams::new("*", "*", chrono::DateTime::UNIX_EPOCH);
    /// assert_eq!(p.retained_to, chrono::TimeDelta::days(28));
    /// ```
    pub fn new(
        start_event: impl Into<String>,
        return_event: impl Into<String>,
        as_of: DateTime<Utc>,
    ) -> CorrelationParams {
        CorrelationParams {
            start_event: start_event.into(),
            return_event: return_event.into(),
            as_of,
            behaviour: TimeDelta::days(7),
            retained_from: TimeDelta::days(7),
            retained_to: TimeDelta::days(28),
            at_least: vec![1],
            exclude: Vec::new(),
        }
    }

    /// Sets the behaviour window.
    ///
    /// ```
    /// let p = userops::correlation::CorrelationParams::new("*", "*", chrono::DateTime::UNIX_EPOCH).behaviour(chrono::TimeDelta::days(3));
    /// assert_eq!(p.behaviour.num_days(), 3);
    /// ```
    #[must_use]
    pub fn behaviour(mut self, window: TimeDelta) -> Self {
        self.behaviour = window;
        self
    }

    /// Sets the retention window `[from, to)` after the start.
    ///
    /// ```
    /// let p = userops::correlation::CorrelationParams::new("*", "*", chrono::DateTime::UNIX_EPOCH)
    ///     .retained_between(chrono::TimeDelta::days(28), chrono::TimeDelta::days(56));
    /// assert_eq!(p.retained_from.num_days(), 28);
    /// ```
    #[must_use]
    pub fn retained_between(mut self, from: TimeDelta, to: TimeDelta) -> Self {
        self.retained_from = from;
        self.retained_to = to;
        self
    }

    /// Sets the thresholds n of "did X at least n times".
    ///
    /// ```
    /// let p = userops::correlation::CorrelationParams::new("*", "*", chrono::DateTime::UNIX_EPOCH).at_least([1, 3]);
    /// assert_eq!(p.at_least, [1, 3]);
    /// ```
    #[must_use]
    pub fn at_least(mut self, thresholds: impl IntoIterator<Item = u32>) -> Self {
        self.at_least = thresholds.into_iter().collect();
        self
    }

    /// Leaves these event names out of the test.
    ///
    /// ```
    /// let p = userops::correlation::CorrelationParams::new("*", "*", chrono::DateTime::UNIX_EPOCH).exclude(["$pageview"]);
    /// assert_eq!(p.exclude.len(), 1);
    /// ```
    #[must_use]
    pub fn exclude<S: Into<String>>(mut self, names: impl IntoIterator<Item = S>) -> Self {
        self.exclude = names.into_iter().map(Into::into).collect();
        self
    }

    /// Checks the settings.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for a blank event name, a behaviour window that is not
    /// positive, a retention window that is empty or starts before the start, a threshold of
    /// 0 or no threshold; [`Error::TooLarge`] for more than [`MAX_THRESHOLDS`] thresholds.
    ///
    /// ```
    /// use userops::correlation::CorrelationParams;
    /// assert!(CorrelationParams::new("*", "*", chrono::DateTime::UNIX_EPOCH).at_least([0]).check().is_err());
    /// ```
    pub fn check(&self) -> Result<CorrelationSpec> {
        for (field, name) in [
            ("start_event", &self.start_event),
            ("return_event", &self.return_event),
        ] {
            if name.trim().is_empty() {
                return Err(Error::invalid(
                    field,
                    "the event name is empty; give a name or *",
                ));
            }
        }
        crate::time::check_instant("as_of", self.as_of)?;
        let micros = |d: TimeDelta| d.num_microseconds().unwrap_or(i64::MAX);
        let (behaviour, from, to) = (
            micros(self.behaviour),
            micros(self.retained_from),
            micros(self.retained_to),
        );
        if behaviour <= 0 {
            return Err(Error::invalid(
                "behaviour",
                format!(
                    "the behaviour window must be positive, got {}",
                    self.behaviour
                ),
            ));
        }
        if from < 0 || to <= from {
            return Err(Error::invalid(
                "retained_between",
                format!(
                    "the retention window needs 0 <= from < to, got {} to {}",
                    self.retained_from, self.retained_to
                ),
            ));
        }
        if self.at_least.is_empty() || self.at_least.contains(&0) {
            return Err(Error::invalid(
                "at_least",
                "give thresholds of 1 or more (1 = did it at all)",
            ));
        }
        if self.at_least.len() > MAX_THRESHOLDS {
            return Err(Error::TooLarge {
                name: "at_least",
                requested: format!("{} thresholds", self.at_least.len()),
                cap: format!("{MAX_THRESHOLDS} thresholds"),
                hint: "test fewer thresholds",
            });
        }
        let mut at_least = self.at_least.clone();
        at_least.sort_unstable();
        at_least.dedup();
        Ok(CorrelationSpec {
            start: self.start_event.clone(),
            ret: self.return_event.clone(),
            as_of: self.as_of.timestamp_micros(),
            behaviour,
            from,
            to,
            at_least,
            exclude: self.exclude.clone(),
        })
    }
}

/// Checked correlation settings.
///
/// ```
/// let s = userops::correlation::CorrelationParams::new("*", "*", chrono::DateTime::UNIX_EPOCH).at_least([3, 1, 3]).check()?;
/// assert_eq!(s.at_least(), [1, 3]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CorrelationSpec {
    start: String,
    ret: String,
    as_of: i64,
    behaviour: i64,
    from: i64,
    to: i64,
    at_least: Vec<u32>,
    exclude: Vec<String>,
}

impl CorrelationSpec {
    /// The thresholds, ascending.
    ///
    /// ```
    /// let s = userops::correlation::CorrelationParams::new("*", "*", chrono::DateTime::UNIX_EPOCH).check()?;
    /// assert_eq!(s.at_least(), [1]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn at_least(&self) -> &[u32] {
        &self.at_least
    }
}

/// The statistics of one 2×2 table `[[a, b], [c, d]]` (rows: did / did not; columns:
/// retained / not retained).
///
/// ```
/// // R: chisq.test(matrix(c(10, 30, 20, 40), 2)) gives X-squared = 0.44643, p-value = 0.504.
/// let t = userops::correlation::TwoByTwo::new(10, 20, 30, 40);
/// assert!((t.chi_square().unwrap() - 0.446_428_6).abs() < 1e-6);
/// assert!((t.p_value().unwrap() - 0.504).abs() < 5e-4);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct TwoByTwo {
    /// Did it and retained.
    pub a: u64,
    /// Did it, not retained.
    pub b: u64,
    /// Did not, retained.
    pub c: u64,
    /// Did not, not retained.
    pub d: u64,
}

impl TwoByTwo {
    /// The table `[[a, b], [c, d]]`.
    ///
    /// ```
    /// assert_eq!(userops::correlation::TwoByTwo::new(1, 2, 3, 4).d, 4);
    /// ```
    #[must_use]
    pub fn new(a: u64, b: u64, c: u64, d: u64) -> TwoByTwo {
        TwoByTwo { a, b, c, d }
    }

    fn cells(&self) -> [f64; 4] {
        [self.a as f64, self.b as f64, self.c as f64, self.d as f64]
    }

    /// The row and column sums, `None` when one is 0.
    fn margins(&self) -> Option<[f64; 4]> {
        let [a, b, c, d] = self.cells();
        let m = [a + b, c + d, a + c, b + d];
        m.iter().all(|&x| x > 0.0).then_some(m)
    }

    /// The odds ratio with PostHog's prior of 1 in every cell.
    ///
    /// ```
    /// // PostHog's test_basic_funnel_correlation_with_events: 11.
    /// assert_eq!(userops::correlation::TwoByTwo::new(5, 0, 5, 10).odds_ratio(), 11.0);
    /// ```
    #[must_use]
    pub fn odds_ratio(&self) -> f64 {
        let [a, b, c, d] = self.cells();
        ((a + 1.0) * (d + 1.0)) / ((b + 1.0) * (c + 1.0))
    }

    /// The phi coefficient, `None` when a margin is 0.
    ///
    /// ```
    /// assert_eq!(userops::correlation::TwoByTwo::new(5, 0, 0, 5).phi(), Some(1.0));
    /// ```
    #[must_use]
    pub fn phi(&self) -> Option<f64> {
        let [a, b, c, d] = self.cells();
        let [r1, r2, c1, c2] = self.margins()?;
        Some((a * d - b * c) / (r1 * r2 * c1 * c2).sqrt())
    }

    /// Pearson's χ² with Yates' continuity correction, as R's `chisq.test` computes it for a
    /// 2×2 table (the correction is `min(0.5, |O − E|)`); `None` when a margin is 0.
    ///
    /// ```
    /// assert!(userops::correlation::TwoByTwo::new(0, 0, 3, 4).chi_square().is_none());
    /// ```
    #[must_use]
    pub fn chi_square(&self) -> Option<f64> {
        let [r1, r2, c1, c2] = self.margins()?;
        let n = r1 + r2;
        let expected = [r1 * c1 / n, r1 * c2 / n, r2 * c1 / n, r2 * c2 / n];
        let diff = (self.a as f64 - expected[0]).abs();
        let yates = diff.min(0.5);
        Some(expected.iter().map(|e| (diff - yates).powi(2) / e).sum())
    }

    /// The χ² test's p-value with one degree of freedom, `erfc(√(χ²/2))`.
    ///
    /// ```
    /// assert!(userops::correlation::TwoByTwo::new(5, 5, 5, 5).p_value().unwrap() > 0.99);
    /// ```
    #[must_use]
    pub fn p_value(&self) -> Option<f64> {
        self.chi_square()
            .map(|x| statrs::function::erf::erfc((x / 2.0).sqrt()).clamp(0.0, 1.0))
    }
}

/// One tested feature: "did `event` at least `at_least` times".
///
/// ```
/// let t = userops::correlation::TwoByTwo::new(5, 0, 5, 10);
/// assert_eq!(t.odds_ratio(), 11.0);
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CorrelationRow {
    /// The event name.
    pub event: String,
    /// The threshold n.
    pub at_least: u32,
    /// Did it and retained.
    pub a: u64,
    /// Did it, not retained.
    pub b: u64,
    /// Did not, retained.
    pub c: u64,
    /// Did not, not retained.
    pub d: u64,
    /// Odds ratio with a prior of 1 in each cell.
    pub odds_ratio: f64,
    /// `success` (odds ratio above 1: goes with retention) or `failure`.
    pub correlation: String,
    /// Phi coefficient.
    pub phi: Option<f64>,
    /// χ² (Yates-corrected).
    pub chi_square: Option<f64>,
    /// Its p-value.
    pub p_value: Option<f64>,
    /// Benjamini–Hochberg q-value over the rows with a p-value.
    pub q_value: Option<f64>,
}

/// What predicts retention: one row per tested feature, sorted by q-value.
///
/// ```
/// let r = userops::correlation::RetentionCorrelation { users: 0, retained: 0, censored: 0, skewed: false, too_rare: 0, rows: vec![] };
/// assert!(r.to_string().contains("users"));
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RetentionCorrelation {
    /// Users with a start whose retention window is over.
    pub users: u64,
    /// Of them, retained.
    pub retained: u64,
    /// Users left out because their retention window ends after `as_of`.
    pub censored: u64,
    /// Whether retained and not retained differ more than 10 to 1 (PostHog's warning).
    pub skewed: bool,
    /// Features left out as too rare.
    pub too_rare: u64,
    /// The features.
    pub rows: Vec<CorrelationRow>,
}

impl fmt::Display for RetentionCorrelation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{} users ({} retained), {} censored, {} rare features left out{}",
            self.users,
            self.retained,
            self.censored,
            self.too_rare,
            if self.skewed {
                "; skewed (over 10:1)"
            } else {
                ""
            }
        )?;
        let w = self
            .rows
            .iter()
            .map(|r| r.event.len())
            .max()
            .unwrap_or(5)
            .max(5);
        writeln!(
            f,
            "{:<w$} {:>5} {:>8} {:>8} {:>10} {:>7} {:>10} {:>10} {:>10}",
            "event", ">=n", "did+ret", "did-ret", "odds", "phi", "chi2", "p", "q"
        )?;
        let opt = |x: Option<f64>, p: usize| x.map_or_else(|| "-".into(), |v| format!("{v:.p$}"));
        for r in &self.rows {
            writeln!(
                f,
                "{:<w$} {:>5} {:>8} {:>8} {:>10.3} {:>7} {:>10} {:>10} {:>10}",
                r.event,
                r.at_least,
                r.a,
                r.b,
                r.odds_ratio,
                opt(r.phi, 3),
                opt(r.chi_square, 3),
                opt(r.p_value.map(|p| p * 1e4).map(|x| x / 1e4), 4),
                opt(r.q_value, 4),
            )?;
        }
        Ok(())
    }
}

/// The retention correlation of `journeys` for `spec` (see the module docs).
///
/// ```
/// # use userops::fold::Summary;
/// let j = userops::journey::JourneySummary::<u8>::new().finish().unwrap();
/// let spec = userops::correlation::CorrelationParams::new("*", "*", chrono::DateTime::UNIX_EPOCH).check()?;
/// assert!(userops::correlation::correlate(&j, &spec).rows.is_empty());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[must_use]
pub fn correlate<U>(journeys: &Journeys<U>, spec: &CorrelationSpec) -> RetentionCorrelation {
    let index = |name: &str| -> Option<Option<u32>> {
        if name == "*" {
            Some(None)
        } else {
            journeys.name_index(name).map(Some)
        }
    };
    let (start, ret) = (index(&spec.start), index(&spec.ret));
    let tested: Vec<bool> = journeys
        .names()
        .iter()
        .map(|n| *n != spec.start && *n != spec.ret && !spec.exclude.contains(n))
        .collect();
    let k = spec.at_least.len();
    // Per (name, threshold): users who did it and were retained, and who were not.
    let mut did = vec![(0_u64, 0_u64); journeys.names().len() * k];
    let (mut users, mut retained, mut censored) = (0_u64, 0_u64, 0_u64);
    let mut counts = vec![0_u32; journeys.names().len()];
    if let (Some(start), Some(ret)) = (start, ret) {
        for i in 0..journeys.len() {
            let events = journeys.user(i);
            let Some(s) = events
                .iter()
                .position(|&(_, n)| start.is_none_or(|x| x == n))
            else {
                continue;
            };
            let t0 = events[s].0;
            if t0.saturating_add(spec.to) > spec.as_of {
                censored += 1;
                continue;
            }
            users += 1;
            let (lo, hi) = (t0.saturating_add(spec.from), t0.saturating_add(spec.to));
            let kept = events
                .iter()
                .enumerate()
                .any(|(j, &(t, n))| j != s && t >= lo && t < hi && ret.is_none_or(|x| x == n));
            retained += u64::from(kept);
            counts.fill(0);
            let end = t0.saturating_add(spec.behaviour);
            for (j, &(t, n)) in events.iter().enumerate().skip(s) {
                if t >= end {
                    break;
                }
                if j != s {
                    if let Some(c) = counts.get_mut(n as usize) {
                        *c = c.saturating_add(1);
                    }
                }
            }
            for (n, &c) in counts.iter().enumerate() {
                for (x, &threshold) in spec.at_least.iter().enumerate() {
                    if c >= threshold {
                        let cell = &mut did[n * k + x];
                        if kept {
                            cell.0 += 1;
                        } else {
                            cell.1 += 1;
                        }
                    }
                }
            }
        }
    }
    let not_retained = users - retained;
    let skewed = retained == 0
        || not_retained == 0
        || retained as f64 / not_retained as f64 > 10.0
        || not_retained as f64 / retained as f64 > 10.0;
    let mut rows = Vec::new();
    let mut too_rare = 0_u64;
    if retained > 0 && not_retained > 0 {
        let floor = MIN_USERS.min(MIN_SHARE * users as f64);
        for (n, name) in journeys.names().iter().enumerate() {
            if !tested.get(n).copied().unwrap_or(false) {
                continue;
            }
            for (x, &threshold) in spec.at_least.iter().enumerate() {
                let (a, b) = did[n * k + x];
                if a + b == 0 {
                    continue;
                }
                if ((a + b) as f64) < floor {
                    too_rare += 1;
                    continue;
                }
                let t = TwoByTwo::new(a, b, retained - a, not_retained - b);
                let odds = t.odds_ratio();
                rows.push(CorrelationRow {
                    event: name.clone(),
                    at_least: threshold,
                    a,
                    b,
                    c: t.c,
                    d: t.d,
                    odds_ratio: odds,
                    correlation: if odds > 1.0 { "success" } else { "failure" }.into(),
                    phi: t.phi(),
                    chi_square: t.chi_square(),
                    p_value: t.p_value(),
                    q_value: None,
                });
            }
        }
    }
    benjamini_hochberg(&mut rows);
    rows.sort_by(|x, y| {
        let q = |r: &CorrelationRow| r.q_value.unwrap_or(f64::INFINITY);
        q(x).total_cmp(&q(y))
            .then(y.odds_ratio.ln().abs().total_cmp(&x.odds_ratio.ln().abs()))
            .then_with(|| (&x.event, x.at_least).cmp(&(&y.event, y.at_least)))
    });
    RetentionCorrelation {
        users,
        retained,
        censored,
        skewed,
        too_rare,
        rows,
    }
}

/// Benjamini–Hochberg q-values for the rows that have a p-value.
fn benjamini_hochberg(rows: &mut [CorrelationRow]) {
    let mut ranked: Vec<(f64, usize)> = rows
        .iter()
        .enumerate()
        .filter_map(|(i, r)| r.p_value.map(|p| (p, i)))
        .collect();
    ranked.sort_by(|x, y| x.0.total_cmp(&y.0).then(x.1.cmp(&y.1)));
    let m = ranked.len() as f64;
    let mut running = 1.0_f64;
    let mut q: BTreeMap<usize, f64> = BTreeMap::new();
    for (rank, &(p, i)) in ranked.iter().enumerate().rev() {
        running = running.min(p * m / (rank + 1) as f64);
        q.insert(i, running.min(1.0));
    }
    for (i, r) in rows.iter_mut().enumerate() {
        r.q_value = q.get(&i).copied();
    }
}
