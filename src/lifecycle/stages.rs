//! The stage model: seven states per user and period, the transition matrix and the
//! active-user decomposition.

use std::fmt;

use chrono::TimeZone;
use serde::{Deserialize, Serialize};

use super::summary::{LifecycleActivity, NO_PRIOR, NOT_KNOWN, RawActivity};
use crate::event::SignUp;
use crate::time::Period;
use crate::{Error, Result};

/// A user's lifecycle stage in one period.
///
/// With `churn_after = c` (see [`StageParams`]):
///
/// | stage | the user in this period |
/// |---|---|
/// | `New` | first active (or signed up, where sign-up times are given) in this period |
/// | `Retained` | active now and in the previous period, and not new then |
/// | `RetainedNew` | new in the previous period and active now |
/// | `Woken` | active now after being dormant (inactive for fewer than `c` periods) |
/// | `Returned` | active now after being churned (inactive for at least `c` periods) |
/// | `Dormant` | inactive now, for fewer than `c` periods in a row |
/// | `Churned` | inactive now, for at least `c` periods in a row |
///
/// Every known user is in exactly one stage in every period from the one they became known
/// in. `New` users count as active in their first period (with sign-up times, signing up is
/// their first act).
///
/// ```
/// use userops::lifecycle::Stage;
/// assert_eq!(Stage::ALL.len(), 7);
/// assert!(Stage::Woken.is_active());
/// assert!(!Stage::Dormant.is_active());
/// assert_eq!(Stage::RetainedNew.name(), "retained_new");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    /// First active (or signed up) in this period.
    New,
    /// Active now and in the previous period, and not new then.
    Retained,
    /// New in the previous period and active now.
    RetainedNew,
    /// Active now after being dormant.
    Woken,
    /// Active now after being churned.
    Returned,
    /// Inactive for fewer than `churn_after` periods.
    Dormant,
    /// Inactive for at least `churn_after` periods.
    Churned,
}

impl Stage {
    /// All stages, in report order.
    pub const ALL: [Stage; 7] = [
        Stage::New,
        Stage::Retained,
        Stage::RetainedNew,
        Stage::Woken,
        Stage::Returned,
        Stage::Dormant,
        Stage::Churned,
    ];

    /// The snake-case name used in reports and JSON.
    ///
    /// ```
    /// assert_eq!(userops::lifecycle::Stage::Churned.name(), "churned");
    /// ```
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Stage::New => "new",
            Stage::Retained => "retained",
            Stage::RetainedNew => "retained_new",
            Stage::Woken => "woken",
            Stage::Returned => "returned",
            Stage::Dormant => "dormant",
            Stage::Churned => "churned",
        }
    }

    /// Whether a user in this stage is active in the period.
    ///
    /// ```
    /// assert!(userops::lifecycle::Stage::New.is_active());
    /// ```
    #[must_use]
    pub fn is_active(self) -> bool {
        !matches!(self, Stage::Dormant | Stage::Churned)
    }

    fn index(self) -> usize {
        self as usize
    }
}

impl fmt::Display for Stage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

const UNKNOWN: usize = 7;
const NEW: usize = 0;
const RETAINED: usize = 1;
const RETAINED_NEW: usize = 2;
const WOKEN: usize = 3;
const RETURNED: usize = 4;
const DORMANT: usize = 5;
const CHURNED: usize = 6;

/// The largest `churn_after` accepted.
///
/// ```
/// use userops::lifecycle::{StageParams, MAX_CHURN_AFTER};
/// assert!(StageParams::new(MAX_CHURN_AFTER).is_ok());
/// assert!(StageParams::new(MAX_CHURN_AFTER + 1).is_err());
/// ```
pub const MAX_CHURN_AFTER: u32 = 10_000;

/// Checked parameters of the stage model.
///
/// ```
/// use userops::lifecycle::StageParams;
/// assert_eq!(StageParams::default().churn_after(), 2);
/// assert_eq!(StageParams::new(3)?.churn_after(), 3);
/// assert!(StageParams::new(0).is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct StageParams {
    churn_after: u32,
}

impl Default for StageParams {
    /// `churn_after = 2`: one silent period is dormant, two are churn.
    fn default() -> Self {
        StageParams { churn_after: 2 }
    }
}

impl StageParams {
    /// Parameters with `churn_after` periods of inactivity counting as churn (a social app
    /// calls a silent week churn, a shop three months).
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] (`churn_after`) unless `1 <= churn_after <= 10000`.
    ///
    /// ```
    /// assert!(userops::lifecycle::StageParams::new(1).is_ok());
    /// ```
    pub fn new(churn_after: u32) -> Result<Self> {
        if churn_after == 0 || churn_after > MAX_CHURN_AFTER {
            return Err(Error::invalid(
                "churn_after",
                format!(
                    "must be between 1 and {MAX_CHURN_AFTER} periods of inactivity, got {churn_after}"
                ),
            ));
        }
        Ok(StageParams { churn_after })
    }

    /// Periods of inactivity after which a user counts as churned.
    ///
    /// ```
    /// assert_eq!(userops::lifecycle::StageParams::new(4)?.churn_after(), 4);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn churn_after(&self) -> u32 {
        self.churn_after
    }
}

/// Stage counts of one period.
///
/// ```
/// use chrono::{TimeZone, Utc};
/// use userops::event::EventRecord;
/// use userops::fold::{fold, Summary};
/// use userops::lifecycle::{LifecycleSummary, StageParams};
/// use userops::time::{Calendar, Interval};
/// let t = |m| Utc.with_ymd_and_hms(2025, m, 2, 0, 0, 0).unwrap();
/// let s = LifecycleSummary::new(Calendar::new(Utc, Interval::Month), t(1), t(2))?;
/// let report = fold(s, [EventRecord::<u8>::new(1_u8, t(1)), EventRecord::new(1_u8, t(2))])?
///     .finish()?.stages(&StageParams::default(), None);
/// assert_eq!((report.rows[1].retained_new, report.rows[1].known, report.rows[1].active_rate), (1, 1, 1.0));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StageRow {
    /// The period.
    pub period: Period,
    /// Users new in this period.
    pub new: u64,
    /// Users active now and in the previous period, not new then.
    pub retained: u64,
    /// Users new in the previous period and active now.
    pub retained_new: u64,
    /// Users active again after being dormant.
    pub woken: u64,
    /// Users active again after being churned.
    pub returned: u64,
    /// Users inactive for fewer than `churn_after` periods.
    pub dormant: u64,
    /// Users inactive for at least `churn_after` periods.
    pub churned: u64,
    /// Users known by the end of this period (the sum of the seven stages).
    pub known: u64,
    /// Users active in this period: new + retained + `retained_new` + woken + returned.
    pub active: u64,
    /// `active / known` (0 when no user is known yet).
    pub active_rate: f64,
}

impl StageRow {
    fn from_counts(period: Period, c: &[u64; 7]) -> Self {
        let known: u64 = c.iter().sum();
        let active = c[NEW] + c[RETAINED] + c[RETAINED_NEW] + c[WOKEN] + c[RETURNED];
        StageRow {
            period,
            new: c[NEW],
            retained: c[RETAINED],
            retained_new: c[RETAINED_NEW],
            woken: c[WOKEN],
            returned: c[RETURNED],
            dormant: c[DORMANT],
            churned: c[CHURNED],
            known,
            active,
            active_rate: ratio(active as f64, known as f64),
        }
    }

    /// The count of one stage.
    ///
    /// ```
    /// # use userops::lifecycle::{Stage, StageReport};
    /// # fn f(r: &StageReport) {
    /// let row = &r.rows[0];
    /// assert_eq!(row.count(Stage::New), row.new);
    /// # }
    /// ```
    #[must_use]
    pub fn count(&self, stage: Stage) -> u64 {
        match stage {
            Stage::New => self.new,
            Stage::Retained => self.retained,
            Stage::RetainedNew => self.retained_new,
            Stage::Woken => self.woken,
            Stage::Returned => self.returned,
            Stage::Dormant => self.dormant,
            Stage::Churned => self.churned,
        }
    }

    /// Active users who were not new in this period: retained + `retained_new` + woken + returned.
    ///
    /// ```
    /// # use userops::lifecycle::StageReport;
    /// # fn f(r: &StageReport) {
    /// let row = &r.rows[0];
    /// assert_eq!(row.old_active() + row.new, row.active);
    /// # }
    /// ```
    #[must_use]
    pub fn old_active(&self) -> u64 {
        self.retained + self.retained_new + self.woken + self.returned
    }
}

/// Transitions from the stages of the previous period (rows: the seven stages, then
/// "not yet known") to the stages of this period (columns: the seven stages).
///
/// `counts[from][to]`, indexed by [`Stage`] order (`Stage::New as usize` ...) with row 7 for
/// users not known in the previous period.
///
/// ```
/// use chrono::{TimeZone, Utc};
/// use userops::event::EventRecord;
/// use userops::fold::{fold, Summary};
/// use userops::lifecycle::{LifecycleSummary, StageParams};
/// use userops::time::{Calendar, Interval};
/// let t = |m| Utc.with_ymd_and_hms(2025, m, 2, 0, 0, 0).unwrap();
/// let s = LifecycleSummary::new(Calendar::new(Utc, Interval::Month), t(1), t(2))?;
/// let report = fold(s, [EventRecord::<u8>::new(1_u8, t(1)), EventRecord::new(1_u8, t(2))])?
///     .finish()?.stages(&StageParams::default(), None);
/// use userops::lifecycle::Stage;
/// assert_eq!(report.transitions[1].count(Some(Stage::New), Stage::RetainedNew), 1);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TransitionMatrix {
    /// The later of the two periods.
    pub period: Period,
    /// Users by stage in the previous period (row) and in this one (column).
    pub counts: [[u64; 7]; 8],
}

impl TransitionMatrix {
    /// Users in stage `from` in the previous period (`None`: not yet known) and `to` now.
    ///
    /// ```
    /// # use userops::lifecycle::{Stage, StageReport};
    /// # fn f(r: &StageReport) {
    /// let m = &r.transitions[0];
    /// assert_eq!(m.count(None, Stage::New), r.rows[0].new); // new users were not known before
    /// # }
    /// ```
    pub fn count(&self, from: Option<Stage>, to: Stage) -> u64 {
        let row = from.map_or(UNKNOWN, Stage::index);
        self.counts
            .get(row)
            .and_then(|r| r.get(to.index()))
            .copied()
            .unwrap_or(0)
    }

    /// The share of the users in stage `from` (`None`: not yet known) who are in `to` now
    /// (0 when no user was in `from`).
    ///
    /// ```
    /// # use userops::lifecycle::{Stage, StageReport};
    /// # fn f(r: &StageReport) {
    /// let m = &r.transitions[0];
    /// let total: f64 = Stage::ALL.iter().map(|to| m.rate(Some(Stage::Dormant), *to)).sum();
    /// assert!(total == 0.0 || (total - 1.0).abs() < 1e-12);
    /// # }
    /// ```
    pub fn rate(&self, from: Option<Stage>, to: Stage) -> f64 {
        let row = from.map_or(UNKNOWN, Stage::index);
        let total: u64 = self.counts.get(row).map_or(0, |r| r.iter().sum());
        ratio(self.count(from, to) as f64, total as f64)
    }

    fn add(&mut self, other: &TransitionMatrix) {
        for (a, b) in self.counts.iter_mut().zip(other.counts.iter()) {
            for (x, y) in a.iter_mut().zip(b.iter()) {
                *x += y;
            }
        }
    }
}

/// The active-user decomposition of one period:
///
/// `active(t) = new(t) + old_active(t−1)·old_retention(t) + new(t−1)·new_retention(t)`
/// `+ dormant(t−1)·wake_rate(t) + churned(t−1)·return_rate(t)`
///
/// with the rates defined so that it holds exactly on the data:
///
/// * `old_retention(t) = retained(t) / old_active(t−1)`, where `old_active` = retained +
///   `retained_new` + woken + returned (active, not new);
/// * `new_retention(t) = retained_new(t) / new(t−1)`;
/// * `wake_rate(t) = woken(t) / dormant(t−1)`;
/// * `return_rate(t) = returned(t) / churned(t−1)`;
/// * `dormant_stay(t)` = share of `dormant(t−1)` still dormant at `t` (0 when `churn_after` is
///   2 or less; used by the forecast).
///
/// A rate whose denominator is 0 is reported as 0 (its term is 0 either way).
///
/// ```
/// use chrono::{TimeZone, Utc};
/// use userops::event::EventRecord;
/// use userops::fold::{fold, Summary};
/// use userops::lifecycle::{LifecycleSummary, StageParams};
/// use userops::time::{Calendar, Interval};
/// let t = |m| Utc.with_ymd_and_hms(2025, m, 2, 0, 0, 0).unwrap();
/// let s = LifecycleSummary::new(Calendar::new(Utc, Interval::Month), t(1), t(2))?;
/// let report = fold(s, [EventRecord::<u8>::new(1_u8, t(1)), EventRecord::new(1_u8, t(2))])?
///     .finish()?.stages(&StageParams::default(), None);
/// let feb = &report.decomposition[1];
/// assert_eq!((feb.new_prev, feb.new_retention, feb.active), (1, 1.0, 1));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Decomposition {
    /// The period `t`.
    pub period: Period,
    /// Active users at `t`.
    pub active: u64,
    /// New users at `t`.
    pub new: u64,
    /// Old active users at `t − 1`.
    pub old_active_prev: u64,
    /// `retained(t) / old_active(t−1)`.
    pub old_retention: f64,
    /// New users at `t − 1`.
    pub new_prev: u64,
    /// `retained_new(t) / new(t−1)`.
    pub new_retention: f64,
    /// Dormant users at `t − 1`.
    pub dormant_prev: u64,
    /// `woken(t) / dormant(t−1)`.
    pub wake_rate: f64,
    /// Churned users at `t − 1`.
    pub churned_prev: u64,
    /// `returned(t) / churned(t−1)`.
    pub return_rate: f64,
    /// Share of `dormant(t−1)` still dormant at `t`.
    pub dormant_stay: f64,
    /// Users known by `t`.
    pub known: u64,
    /// `active(t) / known(t)`.
    pub active_rate: f64,
}

impl Decomposition {
    /// The right-hand side of the identity, which equals [`Decomposition::active`] up to
    /// floating-point rounding.
    ///
    /// ```
    /// # use userops::lifecycle::StageReport;
    /// # fn f(r: &StageReport) {
    /// for d in &r.decomposition {
    ///     assert!((d.reconstructed() - d.active as f64).abs() < 1e-9);
    /// }
    /// # }
    /// ```
    #[must_use]
    pub fn reconstructed(&self) -> f64 {
        self.new as f64
            + self.old_active_prev as f64 * self.old_retention
            + self.new_prev as f64 * self.new_retention
            + self.dormant_prev as f64 * self.wake_rate
            + self.churned_prev as f64 * self.return_rate
    }
}

/// The stage model's report: stage counts per period, transitions, decomposition.
///
/// ```
/// use chrono::{TimeZone, Utc};
/// use userops::event::EventRecord;
/// use userops::fold::{fold, Summary};
/// use userops::lifecycle::{LifecycleSummary, StageParams};
/// use userops::time::{Calendar, Interval};
/// let t = |m| Utc.with_ymd_and_hms(2025, m, 2, 0, 0, 0).unwrap();
/// let s = LifecycleSummary::new(Calendar::new(Utc, Interval::Month), t(1), t(2))?;
/// let report = fold(s, [EventRecord::<u8>::new(1_u8, t(1)), EventRecord::new(1_u8, t(2))])?
///     .finish()?.stages(&StageParams::default(), None);
/// assert_eq!(report.rows.len(), 2);
/// assert!(report.to_string().contains("retained_new"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StageReport {
    /// The parameter the report was made with.
    pub churn_after: u32,
    /// Stage counts in the lead period (the one before the window), from the history before
    /// the window: the starting point of the first period's transitions and decomposition.
    pub opening: StageRow,
    /// Stage counts per window period.
    pub rows: Vec<StageRow>,
    /// Transitions into each window period from the one before.
    pub transitions: Vec<TransitionMatrix>,
    /// The active-user decomposition of each window period.
    pub decomposition: Vec<Decomposition>,
}

impl StageReport {
    /// The transitions summed over all window periods.
    ///
    /// ```
    /// # use userops::lifecycle::{Stage, StageReport};
    /// # fn f(r: &StageReport) {
    /// let all = r.pooled_transitions();
    /// let new_total: u64 = r.rows.iter().map(|x| x.new).sum();
    /// assert_eq!(all.count(None, Stage::New), new_total);
    /// # }
    /// ```
    #[must_use]
    pub fn pooled_transitions(&self) -> TransitionMatrix {
        let period = self.rows.last().map_or(self.opening.period, |r| r.period);
        let mut m = TransitionMatrix {
            period,
            counts: [[0; 7]; 8],
        };
        for t in &self.transitions {
            m.add(t);
        }
        m
    }
}

impl<U, Tz: TimeZone> LifecycleActivity<U, Tz> {
    /// Classifies every known user in every window period (see [`Stage`]), counts the
    /// transitions and decomposes the active users.
    ///
    /// A user is known from the period of their first event (any time, also before the
    /// window), or of their sign-up when `signups` gives an earlier one. History before the
    /// window decides the opening stage: a user active two periods before `from` is dormant
    /// (not new) in the lead period when `churn_after = 2`.
    ///
    /// ```
    /// use chrono::{TimeZone, Utc};
    /// use userops::event::EventRecord;
    /// use userops::fold::{fold, Summary};
    /// use userops::lifecycle::{LifecycleSummary, StageParams};
    /// use userops::time::{Calendar, Interval};
    ///
    /// let m = |month| Utc.with_ymd_and_hms(2025, month, 10, 0, 0, 0).unwrap();
    /// // Active in January and April: new, dormant, churned, returned.
    /// let log = [1, 4].map(|month| EventRecord::<u8>::new(1_u8, m(month)));
    /// let s = LifecycleSummary::new(Calendar::new(Utc, Interval::Month), m(1), m(4))?;
    /// let report = fold(s, &log)?.finish()?.stages(&StageParams::default(), None);
    /// let stage_of = |i: usize| userops::lifecycle::Stage::ALL.into_iter()
    ///     .find(|st| report.rows[i].count(*st) == 1).unwrap().name();
    /// assert_eq!((0..4).map(stage_of).collect::<Vec<_>>(), ["new", "dormant", "churned", "returned"]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn stages(&self, params: &StageParams, signups: Option<&dyn SignUp<U>>) -> StageReport {
        let n = self.periods().len();
        let c = u64::from(params.churn_after);
        // Bit-parallel classification when the window fits one word and the history needed
        // (churn_after periods) fits beside it in 128 bits; the period-by-period walk
        // otherwise (same result, checked by the tests).
        let fast = self.words() == 1 && n < 64 && c <= FAST_MAX_CHURN_AFTER;
        // The period users become known: their first event, or an earlier sign-up.
        let known: Option<Vec<i64>> = signups.map(|s| {
            (0..self.len())
                .map(|i| {
                    let k = self.first_raw(i);
                    match self.users().get(i).and_then(|u| s.signed_up(u)) {
                        Some(at) => k.min(self.index_of_instant(at)),
                        None => k,
                    }
                })
                .collect()
        });
        let raw = self.raw();
        let known = known.as_deref();
        // Users are classified in ranges (over all cores with the `parallel` feature) and the
        // ranges' counts added up.
        let (mut counts, mut trans) = crate::fold::map_ranges(
            self.len(),
            |range| classify_users(&raw, known, range, n, c, fast),
            |(mut ca, mut ta), (cb, tb)| {
                add_counts(&mut ca, &mut ta, &cb, &tb);
                (ca, ta)
            },
        );
        if fast {
            finish_fast(&mut counts, &mut trans);
        }
        self.assemble(*params, &counts, &trans)
    }

    fn assemble(
        &self,
        params: StageParams,
        counts: &[[u64; 7]],
        trans: &[[[u64; 7]; 8]],
    ) -> StageReport {
        let lead = self
            .lead_period()
            .or_else(|| self.periods().first().map(Period::prev))
            .unwrap_or_else(|| {
                Period::containing(chrono::NaiveDate::MIN, crate::time::Interval::Day)
            });
        let zero = [0u64; 7];
        let opening = StageRow::from_counts(lead, counts.first().unwrap_or(&zero));
        let mut rows = Vec::with_capacity(self.periods().len());
        let mut transitions = Vec::with_capacity(self.periods().len());
        let mut decomposition = Vec::with_capacity(self.periods().len());
        let mut prev_row = opening.clone();
        for (t, period) in self.periods().iter().enumerate() {
            let row = StageRow::from_counts(*period, counts.get(t + 1).unwrap_or(&zero));
            let m = TransitionMatrix {
                period: *period,
                counts: trans.get(t).copied().unwrap_or([[0; 7]; 8]),
            };
            let old_prev = prev_row.old_active();
            decomposition.push(Decomposition {
                period: *period,
                active: row.active,
                new: row.new,
                old_active_prev: old_prev,
                old_retention: ratio(row.retained as f64, old_prev as f64),
                new_prev: prev_row.new,
                new_retention: ratio(row.retained_new as f64, prev_row.new as f64),
                dormant_prev: prev_row.dormant,
                wake_rate: ratio(row.woken as f64, prev_row.dormant as f64),
                churned_prev: prev_row.churned,
                return_rate: ratio(row.returned as f64, prev_row.churned as f64),
                dormant_stay: ratio(m.counts[DORMANT][DORMANT] as f64, prev_row.dormant as f64),
                known: row.known,
                active_rate: row.active_rate,
            });
            transitions.push(m);
            prev_row = row.clone();
            rows.push(row);
        }
        StageReport {
            churn_after: params.churn_after,
            opening,
            rows,
            transitions,
            decomposition,
        }
    }
}

/// Per-period stage counts and transition counts of a range of users (`counts[j]`: `j = 0`
/// the lead period, `j = t + 1` window period `t`); bit-parallel when `fast` (then
/// [`finish_fast`] completes the sums).
fn classify_users(
    raw: &RawActivity<'_>,
    known: Option<&[i64]>,
    range: std::ops::Range<usize>,
    n: usize,
    c: u64,
    fast: bool,
) -> (Vec<[u64; 7]>, Vec<[[u64; 7]; 8]>) {
    let mut counts = vec![[0u64; 7]; n + 1];
    let mut trans = vec![[[0u64; 7]; 8]; n];
    for i in range {
        let k = match known {
            Some(ks) => ks.get(i).copied().unwrap_or(NOT_KNOWN),
            None => raw.first(i),
        };
        if k == NOT_KNOWN || k > n as i64 - 1 {
            continue;
        }
        let prior = raw.prior(i);
        if fast {
            classify_bits(raw.word(i, 0), k, prior, n, c, &mut counts, &mut trans);
            continue;
        }
        walk_user(raw, i, k, n, c, |j, prev, cur| {
            if cur != UNKNOWN {
                if let Some(row) = counts.get_mut(j) {
                    row[cur] += 1;
                }
                if j >= 1 {
                    if let Some(m) = trans.get_mut(j - 1) {
                        m[prev][cur] += 1;
                    }
                }
            }
        });
    }
    (counts, trans)
}

/// Walks user `i` (known from period `k`) period by period, from the lead period (`j = 0`)
/// to the last window period (`j = n`), calling `visit(j, previous stage, stage)` with stage
/// indices (`UNKNOWN` before the user is known): the one classification every per-user
/// reader shares.
fn walk_user(
    raw: &RawActivity<'_>,
    i: usize,
    k: i64,
    n: usize,
    c: u64,
    mut visit: impl FnMut(usize, usize, usize),
) {
    let prior = raw.prior(i);
    // Context entering the lead period (t = -1).
    let mut prev = UNKNOWN;
    let mut run: u64 = 0;
    let mut prev_new = false;
    if k <= -2 {
        let base = if prior != NO_PRIOR { prior.max(k) } else { k };
        run = (-2 - base).max(0) as u64;
        prev_new = k == -2;
        prev = if prev_new {
            NEW
        } else if run == 0 {
            RETAINED // any active, non-new stage: only "active" matters below
        } else if run < c {
            DORMANT
        } else {
            CHURNED
        };
    }
    let mut word = raw.word(i, 0);
    for j in 0..=n {
        if j % 64 == 0 && j > 0 {
            word = raw.word(i, j / 64);
        }
        let t = j as i64 - 1;
        let active = (word >> (j % 64)) & 1 == 1;
        let cur = if t < k {
            UNKNOWN
        } else if t == k {
            run = 0;
            prev_new = true;
            NEW
        } else if active {
            let s = if prev_new {
                RETAINED_NEW
            } else if run == 0 {
                RETAINED
            } else if run < c {
                WOKEN
            } else {
                RETURNED
            };
            run = 0;
            prev_new = false;
            s
        } else {
            run += 1;
            prev_new = false;
            if run < c { DORMANT } else { CHURNED }
        };
        visit(j, prev, cur);
        prev = cur;
    }
}

/// The code of "not known yet" in [`LifecycleActivity::stage_codes`].
pub(crate) const NOT_KNOWN_CODE: u8 = UNKNOWN as u8;

impl<U, Tz: TimeZone> LifecycleActivity<U, Tz> {
    /// Writes user `i`'s stage in each window period into `out` (one entry per period of
    /// [`LifecycleActivity::periods`]; `None` before the user is known), with the same
    /// classification as [`LifecycleActivity::stages`] (users known from their first event:
    /// no sign-up times). `out` is cleared first; an index past the end gives all `None`.
    ///
    /// ```
    /// use chrono::{TimeZone, Utc};
    /// use userops::event::EventRecord;
    /// use userops::fold::{fold, Summary};
    /// use userops::lifecycle::{LifecycleSummary, Stage, StageParams};
    /// use userops::time::{Calendar, Interval};
    ///
    /// let m = |month| Utc.with_ymd_and_hms(2025, month, 10, 0, 0, 0).unwrap();
    /// let log = [2, 5].map(|month| EventRecord::<u8>::new(1_u8, m(month)));
    /// let s = LifecycleSummary::new(Calendar::new(Utc, Interval::Month), m(1), m(5))?;
    /// let activity = fold(s, &log)?.finish()?;
    /// let mut path = Vec::new();
    /// activity.user_stages(0, &StageParams::default(), &mut path);
    /// assert_eq!(path, [None, Some(Stage::New), Some(Stage::Dormant), Some(Stage::Churned), Some(Stage::Returned)]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn user_stages(&self, i: usize, params: &StageParams, out: &mut Vec<Option<Stage>>) {
        out.clear();
        let mut codes = Vec::with_capacity(self.periods().len());
        self.stage_codes(i, *params, &mut codes);
        out.extend(
            codes
                .iter()
                .map(|c| Stage::ALL.get(usize::from(*c)).copied()),
        );
    }

    /// User `i`'s stage codes in each window period appended to `out` (`Stage as u8`,
    /// [`NOT_KNOWN_CODE`] before the user is known).
    pub(crate) fn stage_codes(&self, i: usize, params: StageParams, out: &mut Vec<u8>) {
        let n = self.periods().len();
        let k = self.first_raw(i);
        if i >= self.len() || k == NOT_KNOWN || k > n as i64 - 1 {
            out.extend(std::iter::repeat_n(NOT_KNOWN_CODE, n));
            return;
        }
        let raw = self.raw();
        let c = u64::from(params.churn_after);
        if self.words() == 1 && n < 64 && c <= FAST_MAX_CHURN_AFTER {
            // The stage masks of the bit-parallel count, decoded per period.
            let masks = if c as usize + 2 + n < 64 {
                stage_masks_u64(raw.word(i, 0), k, raw.prior(i), n, c)
            } else {
                stage_masks_u128(raw.word(i, 0), k, raw.prior(i), n, c)
            };
            let start = out.len();
            out.extend(std::iter::repeat_n(NOT_KNOWN_CODE, n));
            let cells = out.get_mut(start..).unwrap_or_default();
            for (stage, mask) in masks.iter().enumerate() {
                let mut m = *mask & !1; // bit 0 is the lead period
                while m != 0 {
                    let j = m.trailing_zeros() as usize;
                    m &= m - 1;
                    if let Some(cell) = cells.get_mut(j - 1) {
                        *cell = stage as u8;
                    }
                }
            }
            return;
        }
        walk_user(&raw, i, k, n, c, |j, _, cur| {
            if j >= 1 {
                out.push(cur as u8);
            }
        });
    }

    /// [`LifecycleActivity::stage_codes`] by the period-by-period walk only (the reference
    /// the bit-parallel decoding is checked against).
    #[cfg(test)]
    fn stage_codes_walk(&self, i: usize, params: StageParams, out: &mut Vec<u8>) {
        let n = self.periods().len();
        let k = self.first_raw(i);
        if i >= self.len() || k == NOT_KNOWN || k > n as i64 - 1 {
            out.extend(std::iter::repeat_n(NOT_KNOWN_CODE, n));
            return;
        }
        walk_user(
            &self.raw(),
            i,
            k,
            n,
            u64::from(params.churn_after),
            |j, _, cur| {
                if j >= 1 {
                    out.push(cur as u8);
                }
            },
        );
    }
}

/// Adds the counts of one range of users to another's.
fn add_counts(
    counts: &mut [[u64; 7]],
    trans: &mut [[[u64; 7]; 8]],
    more_counts: &[[u64; 7]],
    more_trans: &[[[u64; 7]; 8]],
) {
    for (row, more) in counts.iter_mut().zip(more_counts) {
        for (x, y) in row.iter_mut().zip(more) {
            *x += y;
        }
    }
    for (m, more) in trans.iter_mut().zip(more_trans) {
        for (row, more_row) in m.iter_mut().zip(more) {
            for (x, y) in row.iter_mut().zip(more_row) {
                *x += y;
            }
        }
    }
}

const FAST_MAX_CHURN_AFTER: u64 = 60;

/// Classifies one user in all periods at once with bit masks (`u64` when the window and
/// the history fit, `u128` otherwise).
#[inline]
fn classify_bits(
    word: u64,
    k: i64,
    prior: i64,
    n: usize,
    c: u64,
    counts: &mut [[u64; 7]],
    trans: &mut [[[u64; 7]; 8]],
) {
    let stages = if c as usize + 2 + n < 64 {
        stage_masks_u64(word, k, prior, n, c)
    } else {
        stage_masks_u128(word, k, prior, n, c)
    };
    count_masks(&stages, k, counts, trans);
}

/// Stage masks of one user: bit `j` of mask `s` is set when the user is in stage `s` in
/// period `j − 1` (`j = 0` the lead period). Position `p = t + 1 + H` of the wide masks holds
/// period `t`; the `H = churn_after + 1` low bits hold the history before the lead period
/// (the last activity there), enough to tell how long a user had been away when the window
/// starts.
macro_rules! stage_masks {
    ($name:ident, $t:ty) => {
        #[inline]
        fn $name(word: u64, k: i64, prior: i64, n: usize, c: u64) -> [u64; 7] {
            const BITS: i64 = <$t>::BITS as i64;
            let h = c as i64 + 1;
            let bit = |t: i64| -> $t {
                let p = t + 1 + h;
                if (0..BITS).contains(&p) {
                    (1 as $t) << p
                } else {
                    0
                }
            };
            let mut active = (word as $t) << h;
            if prior != NO_PRIOR {
                active |= bit(prior);
            }
            let new = bit(k);
            let touch = active | new;
            let top = h + n as i64; // position of period n - 1
            let low = (k + 1 + h).max(h);
            let window: $t = if low > top {
                0
            } else {
                let width = (top - low + 1) as u32;
                let ones = if i64::from(width) >= BITS {
                    <$t>::MAX
                } else {
                    ((1 as $t) << width) - 1
                };
                ones << low
            };
            // Touch within 1..c-1 periods back (dormant rather than churned) and within 2..c
            // periods back (woken rather than returned).
            let mut recent1: $t = 0;
            let mut shifted = touch;
            for _ in 1..c {
                shifted <<= 1;
                recent1 |= shifted;
            }
            let recent2 = recent1 << 1;
            let prev_touch = touch << 1;
            let back = active & !new & !prev_touch & window;
            let inactive = !active & !new & window;
            let low64 = |m: $t| (m >> h) as u64;
            [
                low64(new & window),
                low64(active & (active << 1) & !(new << 1) & !new & window),
                low64((new << 1) & active & window),
                low64(back & recent2),
                low64(back & !recent2),
                low64(inactive & recent1),
                low64(inactive & !recent1),
            ]
        }
    };
}

stage_masks!(stage_masks_u64, u64);
stage_masks!(stage_masks_u128, u128);

/// Adds one user's stage masks to the counts and transitions.
#[inline]
fn count_masks(stages: &[u64; 7], k: i64, counts: &mut [[u64; 7]], trans: &mut [[[u64; 7]; 8]]) {
    let window = stages.iter().fold(0u64, |a, m| a | m);
    // Churned users (the bulk of a long history) are not counted bit by bit: they are the
    // known users in no other stage, filled in by `finish_fast`.
    let known_from = (k + 1).max(0) as usize;
    if let Some(x) = counts.get_mut(known_from) {
        x[CHURNED] += 1;
    }
    for (stage, mask) in stages.iter().enumerate().take(CHURNED) {
        let mut m = *mask;
        while m != 0 {
            let j = m.trailing_zeros() as usize;
            m &= m - 1;
            if let Some(row) = counts.get_mut(j) {
                row[stage] += 1;
            }
        }
    }
    // Transitions into window periods t >= 0 (bits j >= 1). The forced ones (into new,
    // retained_new, woken, returned) are filled in from the counts afterwards.
    let later = window & !1u64;
    for (from, to) in OPEN_TRANSITIONS {
        let (Some(from_mask), Some(to_mask)) = (stages.get(from), stages.get(to)) else {
            continue;
        };
        let mut m = (*from_mask << 1) & *to_mask & later;
        while m != 0 {
            let j = m.trailing_zeros() as usize;
            m &= m - 1;
            if let Some(x) = trans.get_mut(j - 1) {
                x[from][to] += 1;
            }
        }
    }
}

/// Transitions whose source is not implied by the target stage (retained -> retained and
/// churned -> churned, the two largest, are filled in by subtraction in `finish_fast`).
const OPEN_TRANSITIONS: [(usize, usize); 15] = [
    (RETAINED_NEW, RETAINED),
    (WOKEN, RETAINED),
    (RETURNED, RETAINED),
    (NEW, DORMANT),
    (RETAINED, DORMANT),
    (RETAINED_NEW, DORMANT),
    (WOKEN, DORMANT),
    (RETURNED, DORMANT),
    (DORMANT, DORMANT),
    (NEW, CHURNED),
    (RETAINED, CHURNED),
    (RETAINED_NEW, CHURNED),
    (WOKEN, CHURNED),
    (RETURNED, CHURNED),
    (DORMANT, CHURNED),
];

/// Completes the counts of [`classify_bits`]: its churned column holds, per period, the
/// users first known in it; churned users are the known ones in no other stage, and
/// churned -> churned transitions are the churned users not arriving from another stage.
/// Then the forced transitions: every new user was not known before, every `retained_new` user
/// was new, every woken user dormant and every returned user churned.
fn finish_fast(counts: &mut [[u64; 7]], trans: &mut [[[u64; 7]; 8]]) {
    let mut known = 0u64;
    for row in counts.iter_mut() {
        known += row[CHURNED];
        let others: u64 = row.iter().take(CHURNED).sum();
        row[CHURNED] = known.saturating_sub(others);
    }
    for (t, m) in trans.iter_mut().enumerate() {
        if let Some(c) = counts.get(t + 1) {
            let arriving: u64 = m.iter().take(CHURNED).map(|r| r[CHURNED]).sum();
            m[CHURNED][CHURNED] = c[CHURNED].saturating_sub(arriving);
            let arriving: u64 = m.iter().map(|r| r[RETAINED]).sum();
            m[RETAINED][RETAINED] = c[RETAINED].saturating_sub(arriving);
        }
    }
    for (t, m) in trans.iter_mut().enumerate() {
        if let Some(c) = counts.get(t + 1) {
            m[UNKNOWN][NEW] = c[NEW];
            m[NEW][RETAINED_NEW] = c[RETAINED_NEW];
            m[DORMANT][WOKEN] = c[WOKEN];
            m[CHURNED][RETURNED] = c[RETURNED];
        }
    }
}

pub(crate) fn ratio(num: f64, den: f64) -> f64 {
    if den > 0.0 { num / den } else { 0.0 }
}

impl fmt::Display for StageReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "Lifecycle stages per period (churn after {} inactive periods)",
            self.churn_after
        )?;
        writeln!(
            f,
            "{:<10} {:>8} {:>9} {:>12} {:>8} {:>9} {:>8} {:>8} {:>9} {:>8} {:>8}",
            "period",
            "new",
            "retained",
            "retained_new",
            "woken",
            "returned",
            "dormant",
            "churned",
            "known",
            "active",
            "rate"
        )?;
        for r in &self.rows {
            writeln!(
                f,
                "{:<10} {:>8} {:>9} {:>12} {:>8} {:>9} {:>8} {:>8} {:>9} {:>8} {:>7.1}%",
                r.period.to_string(),
                r.new,
                r.retained,
                r.retained_new,
                r.woken,
                r.returned,
                r.dormant,
                r.churned,
                r.known,
                r.active,
                r.active_rate * 100.0
            )?;
        }
        writeln!(f)?;
        writeln!(
            f,
            "Active-user decomposition: active = new + old_active(t-1)*old_ret + new(t-1)*new_ret + dormant(t-1)*wake + churned(t-1)*return"
        )?;
        writeln!(
            f,
            "{:<10} {:>8} {:>8} {:>10} {:>8} {:>8} {:>8} {:>9} {:>7} {:>9} {:>7} {:>7}",
            "period",
            "active",
            "new",
            "old_act-1",
            "old_ret",
            "new-1",
            "new_ret",
            "dormant-1",
            "wake",
            "churned-1",
            "return",
            "rate"
        )?;
        for d in &self.decomposition {
            writeln!(
                f,
                "{:<10} {:>8} {:>8} {:>10} {:>7.1}% {:>8} {:>7.1}% {:>9} {:>6.1}% {:>9} {:>6.1}% {:>6.1}%",
                d.period.to_string(),
                d.active,
                d.new,
                d.old_active_prev,
                d.old_retention * 100.0,
                d.new_prev,
                d.new_retention * 100.0,
                d.dormant_prev,
                d.wake_rate * 100.0,
                d.churned_prev,
                d.return_rate * 100.0,
                d.active_rate * 100.0
            )?;
        }
        writeln!(f)?;
        let pooled = self.pooled_transitions();
        write!(f, "{pooled}")
    }
}

impl fmt::Display for TransitionMatrix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "Transitions (row: previous period, column: this period; count and row share)"
        )?;
        write!(f, "{:<14}", "from \\ to")?;
        for s in Stage::ALL {
            write!(f, " {:>16}", s.name())?;
        }
        writeln!(f)?;
        let mut from: Vec<Option<Stage>> = Stage::ALL.iter().copied().map(Some).collect();
        from.push(None);
        for fs in from {
            let label = fs.map_or("(not known)", Stage::name);
            write!(f, "{label:<14}")?;
            for to in Stage::ALL {
                let cell = format!("{} ({:.0}%)", self.count(fs, to), self.rate(fs, to) * 100.0);
                write!(f, " {cell:>16}")?;
            }
            writeln!(f)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use chrono::{TimeDelta, TimeZone, Utc};
    use proptest::prelude::*;

    use super::StageParams;
    use crate::event::EventRecord;
    use crate::fold::{Summary, fold};
    use crate::lifecycle::LifecycleSummary;
    use crate::time::{Calendar, Interval};

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(96))]

        /// The per-user stage codes decoded from the bit masks equal the period-by-period
        /// walk, for windows and histories on both mask widths (u64 and u128).
        #[test]
        fn mask_codes_equal_the_walk(
            rows in prop::collection::vec((0_u8..15, 0_i64..120), 1..120),
            periods in 1_i64..40,
            churn_after in 1_u32..62,
        ) {
            let base = Utc.with_ymd_and_hms(2025, 1, 1, 12, 0, 0).unwrap();
            let log: Vec<EventRecord<u8>> = rows
                .iter()
                .map(|(u, d)| EventRecord::new(*u, base + TimeDelta::days(*d)))
                .collect();
            let from = base + TimeDelta::days(40);
            let to = from + TimeDelta::days(periods - 1);
            let s = LifecycleSummary::new(Calendar::new(Utc, Interval::Day), from, to).unwrap();
            let a = fold(s, &log).unwrap().finish().unwrap();
            let params = StageParams::new(churn_after).unwrap();
            for i in 0..a.len() {
                let (mut fast, mut walk) = (Vec::new(), Vec::new());
                a.stage_codes(i, params, &mut fast);
                a.stage_codes_walk(i, params, &mut walk);
                prop_assert_eq!(fast, walk, "user {}", i);
            }
        }
    }
}
