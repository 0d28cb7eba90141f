//! The per-user label table and the builder that fills it in one pass over the users.

use std::fmt;
use std::hash::Hash;

use chrono::TimeZone;
use serde::{Deserialize, Serialize};

use crate::engine::Alignment;
use crate::lifecycle::{LifecycleActivity, Stage, StageParams};
use crate::ltv::ClvReport;
use crate::metric::{PreferenceReport, ValueReport};
use crate::rfm::{Health, HealthParams, RfmScores, Segmentation};
use crate::time::Period;
use crate::{Error, Result};

/// RFM labels: each user's `(r, f, m)` scores and segment.
///
/// ```
/// let r = userops::labels::RfmLabels { segment_names: vec!["Champions".into()], scores: vec![Some([5, 5, 5])], segment: vec![Some(0)] };
/// assert_eq!(r.segment_names[0], "Champions");
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RfmLabels {
    /// Segment names, in the segmentation's order (rules, then "Others").
    pub segment_names: Vec<String>,
    /// Per user (the table's order), `[r, f, m]`, or `None` for a user the RFM model did not
    /// score (no purchase by the as-of instant).
    pub scores: Vec<Option<[u8; 3]>>,
    /// Per user, the index of the segment in `segment_names`.
    pub segment: Vec<Option<u16>>,
}

/// Value tiers: each user's tier.
///
/// ```
/// let v = userops::labels::TierLabels { names: vec!["low".into(), "high".into()], tier: vec![Some(1)] };
/// assert_eq!(v.names[1], "high");
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TierLabels {
    /// Tier names, lowest first.
    pub names: Vec<String>,
    /// Per user (the table's order), the tier index into `names`.
    pub tier: Vec<Option<u16>>,
}

/// Customer-value labels of a fitted BTYD model: P(alive) and CLV per user.
///
/// ```
/// let c = userops::labels::ClvLabels { p_alive: vec![Some(0.5)], clv: vec![Some(12.0)] };
/// assert_eq!(c.clv[0], Some(12.0));
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClvLabels {
    /// Per user (the table's order), the probability the customer is still alive.
    pub p_alive: Vec<Option<f64>>,
    /// Per user, the customer lifetime value over the report's horizon.
    pub clv: Vec<Option<f64>>,
}

/// Every label of one user: one row of a [`LabelTable`] (what the CSV and JSON exports
/// write, one per user).
///
/// ```
/// use userops::labels::UserLabels;
/// use userops::lifecycle::Stage;
/// let row = UserLabels { user: "ana", stages: vec![Some(Stage::New), Some(Stage::Dormant)],
///     inactive_periods: 1, rfm: None, rfm_segment: None, health: None, value_tier: None,
///     p_alive: None, clv: None, tags: vec![] };
/// assert_eq!(row.stage(), Some(Stage::Dormant));
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UserLabels<U> {
    /// The user.
    pub user: U,
    /// The lifecycle stage in each period of the table (`None` before the user is known).
    pub stages: Vec<Option<Stage>>,
    /// Whole periods between the user's last active period and the table's last period
    /// (0: active in the last period).
    pub inactive_periods: u32,
    /// RFM scores `[r, f, m]`, when RFM labels were given and the user was scored.
    pub rfm: Option<[u8; 3]>,
    /// RFM segment name.
    pub rfm_segment: Option<String>,
    /// Health from the recency score.
    pub health: Option<Health>,
    /// Value tier name.
    pub value_tier: Option<String>,
    /// Probability the customer is still alive (BTYD).
    pub p_alive: Option<f64>,
    /// Customer lifetime value (BTYD × Gamma-Gamma).
    pub clv: Option<f64>,
    /// Preference tags, most preferred first.
    pub tags: Vec<String>,
}

impl<U> UserLabels<U> {
    /// The stage in the table's last period.
    ///
    /// ```
    /// # use userops::labels::UserLabels;
    /// let row = UserLabels { user: 1, stages: vec![], inactive_periods: 0, rfm: None, rfm_segment: None,
    ///     health: None, value_tier: None, p_alive: None, clv: None, tags: vec![] };
    /// assert_eq!(row.stage(), None);
    /// ```
    #[must_use]
    pub fn stage(&self) -> Option<Stage> {
        self.stages.last().copied().flatten()
    }
}

/// One row per user known by the table's last period, with every label the models give:
/// lifecycle stage in each period, RFM scores and segment, health, value tier, P(alive) and
/// CLV, preference tags. Columns are per user in one order (`users`); each model's labels are
/// `None` when that model was not given (see [`Labeler`]).
///
/// Its counts are the models' counts: the stages of period `t` summed over users are the
/// stage report's row `t` ([`LabelTable::stage_counts`]), and the users per RFM segment the
/// segmentation's summary ([`LabelTable::segment_counts`]).
///
/// ```
/// use chrono::{TimeZone, Utc};
/// use userops::event::EventRecord;
/// use userops::fold::{fold, Summary};
/// use userops::labels::Labeler;
/// use userops::lifecycle::{LifecycleSummary, Stage, StageParams};
/// use userops::time::{Calendar, Interval};
///
/// let m = |month| Utc.with_ymd_and_hms(2025, month, 10, 0, 0, 0).unwrap();
/// let log = vec![EventRecord::<u8>::new(1_u8, m(1)), EventRecord::new(2_u8, m(1)), EventRecord::new(2_u8, m(2))];
/// let activity = fold(LifecycleSummary::new(Calendar::new(Utc, Interval::Month), m(1), m(2))?, &log)?.finish()?;
/// let table = Labeler::new(&activity, StageParams::default()).build()?;
/// assert_eq!(table.stage(0, 1), Some(Stage::Dormant)); // user 1 in February
/// assert_eq!(table.stage_counts(1)[Stage::RetainedNew as usize], 1); // user 2
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LabelTable<U> {
    /// The periods of the stage columns, oldest first.
    pub periods: Vec<Period>,
    /// The stage model's `churn_after`.
    pub churn_after: u32,
    /// The users, in the lifecycle summary's order.
    pub users: Vec<U>,
    /// Stages, user after user: `stages[i * periods.len() + t]`.
    pub stages: Vec<Option<Stage>>,
    /// Per user, whole periods since the last active period, as of the last period.
    pub inactive_periods: Vec<u32>,
    /// RFM scores and segments, when given.
    pub rfm: Option<RfmLabels>,
    /// Health per user (from the RFM recency score), when given.
    pub health: Option<Vec<Option<Health>>>,
    /// Value tiers, when given.
    pub value_tier: Option<TierLabels>,
    /// P(alive) and CLV, when given.
    pub clv: Option<ClvLabels>,
    /// Preference tags per user, when given.
    pub tags: Option<Vec<Vec<String>>>,
}

impl<U> LabelTable<U> {
    /// Number of users.
    ///
    /// ```
    /// # fn f(t: &userops::labels::LabelTable<u8>) { let _ = t.len(); }
    /// ```
    #[must_use]
    pub fn len(&self) -> usize {
        self.users.len()
    }

    /// Whether the table has no user.
    ///
    /// ```
    /// # fn f(t: &userops::labels::LabelTable<u8>) { let _ = t.is_empty(); }
    /// ```
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.users.is_empty()
    }

    /// User `i`'s stage in period `t` (`None` before the user is known, or out of range).
    ///
    /// ```
    /// # fn f(t: &userops::labels::LabelTable<u8>) { assert_eq!(t.stage(usize::MAX, 0), None); }
    /// ```
    #[must_use]
    pub fn stage(&self, i: usize, t: usize) -> Option<Stage> {
        let n = self.periods.len();
        if t >= n {
            return None;
        }
        self.stages
            .get(i.checked_mul(n)?.checked_add(t)?)
            .copied()
            .flatten()
    }

    /// Users per stage in period `t`, indexed by `Stage as usize` (all zero out of range).
    ///
    /// ```
    /// # fn f(t: &userops::labels::LabelTable<u8>) { let c = t.stage_counts(0); assert_eq!(c.len(), 7); }
    /// ```
    #[must_use]
    pub fn stage_counts(&self, t: usize) -> [u64; 7] {
        let mut counts = [0u64; 7];
        for i in 0..self.len() {
            if let Some(s) = self.stage(i, t) {
                counts[s as usize] += 1;
            }
        }
        counts
    }

    /// Users per RFM segment, in the segmentation's order (empty without RFM labels).
    ///
    /// ```
    /// # fn f(t: &userops::labels::LabelTable<u8>) { let _ = t.segment_counts(); }
    /// ```
    #[must_use]
    pub fn segment_counts(&self) -> Vec<(String, u64)> {
        let Some(rfm) = &self.rfm else {
            return Vec::new();
        };
        let mut counts = vec![0u64; rfm.segment_names.len()];
        for s in rfm.segment.iter().flatten() {
            if let Some(c) = counts.get_mut(usize::from(*s)) {
                *c += 1;
            }
        }
        rfm.segment_names.iter().cloned().zip(counts).collect()
    }

    /// The labels of user `i` as one row (`None` past the end).
    ///
    /// ```
    /// # fn f(t: &userops::labels::LabelTable<u8>) { assert!(t.row(t.len()).is_none()); }
    /// ```
    #[must_use]
    pub fn row(&self, i: usize) -> Option<UserLabels<U>>
    where
        U: Clone,
    {
        let user = self.users.get(i)?.clone();
        let n = self.periods.len();
        let stages = (0..n).map(|t| self.stage(i, t)).collect();
        let rfm = self
            .rfm
            .as_ref()
            .and_then(|r| r.scores.get(i).copied().flatten());
        let rfm_segment = self.rfm.as_ref().and_then(|r| {
            let s = r.segment.get(i).copied().flatten()?;
            r.segment_names.get(usize::from(s)).cloned()
        });
        let health = self
            .health
            .as_ref()
            .and_then(|h| h.get(i).copied().flatten());
        let value_tier = self.value_tier.as_ref().and_then(|v| {
            let s = v.tier.get(i).copied().flatten()?;
            v.names.get(usize::from(s)).cloned()
        });
        let p_alive = self
            .clv
            .as_ref()
            .and_then(|c| c.p_alive.get(i).copied().flatten());
        let clv = self
            .clv
            .as_ref()
            .and_then(|c| c.clv.get(i).copied().flatten());
        let tags = self
            .tags
            .as_ref()
            .and_then(|t| t.get(i).cloned())
            .unwrap_or_default();
        Some(UserLabels {
            user,
            stages,
            inactive_periods: self.inactive_periods.get(i).copied().unwrap_or(0),
            rfm,
            rfm_segment,
            health,
            value_tier,
            p_alive,
            clv,
            tags,
        })
    }

    /// Every row, in the table's order.
    ///
    /// ```
    /// # fn f(t: &userops::labels::LabelTable<u8>) { assert_eq!(t.rows().count(), t.len()); }
    /// ```
    pub fn rows(&self) -> impl Iterator<Item = UserLabels<U>> + '_
    where
        U: Clone,
    {
        (0..self.len()).filter_map(|i| self.row(i))
    }
}

impl<U: fmt::Display + Clone> fmt::Display for LabelTable<U> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let last = self
            .periods
            .last()
            .map_or_else(|| "-".to_string(), ToString::to_string);
        writeln!(
            f,
            "{} users, {} periods (stage as of {last})",
            self.len(),
            self.periods.len()
        )?;
        writeln!(
            f,
            "{:<16} {:<13} {:>5} {:>4} {:<20} {:<8} {:<10} {:>8} {:>10}  tags",
            "user", "stage", "idle", "rfm", "segment", "health", "tier", "p_alive", "clv"
        )?;
        let idx: Vec<usize> = (0..self.len()).collect();
        crate::report::rows(f, &idx, "users", |f, i| {
            let Some(r) = self.row(*i) else {
                return Ok(());
            };
            let opt = |v: Option<String>| v.unwrap_or_else(|| "-".to_string());
            writeln!(
                f,
                "{:<16} {:<13} {:>5} {:>4} {:<20} {:<8} {:<10} {:>8} {:>10}  {}",
                r.user.to_string(),
                opt(r.stage().map(|s| s.name().to_string())),
                r.inactive_periods,
                opt(r.rfm.map(|[a, b, c]| format!("{a}{b}{c}"))),
                opt(r.rfm_segment.clone()),
                opt(r.health.map(|h| h.name().to_string())),
                opt(r.value_tier.clone()),
                opt(r.p_alive.map(|p| format!("{p:.3}"))),
                opt(r.clv.map(|c| format!("{c:.2}"))),
                r.tags.join(";")
            )
        })
    }
}

/// Builds a [`LabelTable`] from the lifecycle activity and, optionally, the per-user reports
/// of other models, in one pass over the users (each report is lined up with the lifecycle's
/// users by [`Alignment`]: free when folded from the same event table).
///
/// ```
/// use chrono::{TimeZone, Utc};
/// use userops::event::EventRecord;
/// use userops::fold::{fold, Summary};
/// use userops::labels::Labeler;
/// use userops::lifecycle::{LifecycleSummary, StageParams};
/// use userops::rfm::{HealthParams, Method, RfmSummary, ScoreParams, SegmentRules};
/// use userops::time::{Calendar, Interval};
///
/// let m = |month| Utc.with_ymd_and_hms(2025, month, 10, 0, 0, 0).unwrap();
/// let log: Vec<_> = (1..=6_u32).map(|u| EventRecord::<u32>::new(u, m(u)).with_amount(f64::from(u))).collect();
/// let activity = fold(LifecycleSummary::new(Calendar::new(Utc, Interval::Month), m(1), m(6))?, &log)?.finish()?;
/// let scores = ScoreParams::new(Method::Quantile).check()?.score(&fold(RfmSummary::new(m(6)), &log)?.finish()?)?;
/// let segments = SegmentRules::standard().segment(&scores)?;
/// let table = Labeler::new(&activity, StageParams::default())
///     .rfm(&scores, &segments)
///     .health(HealthParams::default())
///     .build()?;
/// let six = table.row(5).unwrap();
/// // User 6 bought last and paid most: top recency and monetary scores, healthy.
/// assert_eq!((six.user, six.rfm.map(|[r, _, m]| (r, m))), (6, Some((5, 5))));
/// assert_eq!(six.health.map(|h| h.name()), Some("healthy"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct Labeler<'a, U, Tz: TimeZone> {
    activity: &'a LifecycleActivity<U, Tz>,
    params: StageParams,
    rfm: Option<(&'a RfmScores<U>, &'a Segmentation)>,
    health: Option<HealthParams>,
    value: Option<&'a ValueReport<U>>,
    clv: Option<&'a ClvReport<U>>,
    tags: Option<(&'a PreferenceReport<U>, usize, f64)>,
}

impl<'a, U: Clone + Eq + Hash, Tz: TimeZone> Labeler<'a, U, Tz> {
    /// Labels from the lifecycle activity with the stage model's parameters (users are known
    /// from their first event).
    ///
    /// ```
    /// # use userops::labels::Labeler;
    /// # fn f(a: &userops::lifecycle::LifecycleActivity<u8>) { let _ = Labeler::new(a, Default::default()); }
    /// ```
    #[must_use]
    pub fn new(activity: &'a LifecycleActivity<U, Tz>, params: StageParams) -> Self {
        Labeler {
            activity,
            params,
            rfm: None,
            health: None,
            value: None,
            clv: None,
            tags: None,
        }
    }

    /// Adds RFM scores and segments (the segmentation of these very scores).
    ///
    /// ```
    /// # fn f(l: userops::labels::Labeler<'_, u8, chrono::Utc>) -> userops::labels::Labeler<'_, u8, chrono::Utc> { l }
    /// ```
    #[must_use]
    pub fn rfm(mut self, scores: &'a RfmScores<U>, segments: &'a Segmentation) -> Self {
        self.rfm = Some((scores, segments));
        self
    }

    /// Adds health (healthy / warning / churned) from the RFM recency score; needs
    /// [`Labeler::rfm`].
    ///
    /// ```
    /// # fn f(l: userops::labels::Labeler<'_, u8, chrono::Utc>) -> userops::labels::Labeler<'_, u8, chrono::Utc> { l.health(Default::default()) }
    /// ```
    #[must_use]
    pub fn health(mut self, params: HealthParams) -> Self {
        self.health = Some(params);
        self
    }

    /// Adds value tiers.
    ///
    /// ```
    /// # fn f(l: userops::labels::Labeler<'_, u8, chrono::Utc>) -> userops::labels::Labeler<'_, u8, chrono::Utc> { l }
    /// ```
    #[must_use]
    pub fn value(mut self, report: &'a ValueReport<U>) -> Self {
        self.value = Some(report);
        self
    }

    /// Adds P(alive) and CLV of a fitted BTYD model.
    ///
    /// ```
    /// # fn f(l: userops::labels::Labeler<'_, u8, chrono::Utc>) -> userops::labels::Labeler<'_, u8, chrono::Utc> { l }
    /// ```
    #[must_use]
    pub fn clv(mut self, report: &'a ClvReport<U>) -> Self {
        self.clv = Some(report);
        self
    }

    /// Adds preference tags: each user's top `top` features with a share of at least
    /// `min_share` ([`crate::metric::UserPreferences::tags`]).
    ///
    /// ```
    /// # fn f(l: userops::labels::Labeler<'_, u8, chrono::Utc>) -> userops::labels::Labeler<'_, u8, chrono::Utc> { l }
    /// ```
    #[must_use]
    pub fn tags(mut self, report: &'a PreferenceReport<U>, top: usize, min_share: f64) -> Self {
        self.tags = Some((report, top, min_share));
        self
    }

    /// Builds the table: the users known by the last period, in the lifecycle's order.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] (`health`) when health is asked for without RFM scores,
    /// or when the health thresholds do not fit the scores' bins; (`min_share`) when the
    /// tag share is not a number in `[0, 1]`; [`Error::TooLarge`] when users × periods does
    /// not fit in memory's address space.
    ///
    /// ```
    /// # use userops::labels::Labeler;
    /// # fn f(a: &userops::lifecycle::LifecycleActivity<u8>) -> userops::Result<()> {
    /// let table = Labeler::new(a, Default::default()).build()?;
    /// assert!(table.rfm.is_none());
    /// # Ok(()) }
    /// ```
    pub fn build(self) -> Result<LabelTable<U>> {
        let activity = self.activity;
        let periods = activity.periods().to_vec();
        let n = periods.len();
        let all = activity.users();
        if let Some(h) = &self.health {
            match self.rfm {
                Some((scores, _)) => h.check(scores.bins())?,
                None => {
                    return Err(Error::invalid(
                        "health",
                        "health labels come from RFM recency scores: add .rfm(scores, segments) first",
                    ));
                }
            }
        }
        if let Some((_, _, share)) = self.tags {
            if !(share.is_finite() && (0.0..=1.0).contains(&share)) {
                return Err(Error::invalid(
                    "min_share",
                    format!("the tag share must be between 0 and 1, got {share}"),
                ));
            }
        }
        // Alignments of each report to the lifecycle's users (free for the same table).
        let rfm_align = self
            .rfm
            .map(|(s, _)| Alignment::of_rows(all, &s.customers, |c| &c.user));
        let value_align = self
            .value
            .map(|v| Alignment::of_rows(all, &v.users, |u| &u.user));
        let clv_align = self
            .clv
            .map(|c| Alignment::of_rows(all, &c.rows, |r| &r.user));
        let tag_align = self
            .tags
            .map(|(p, _, _)| Alignment::of_rows(all, &p.users, |u| &u.user));

        let cells = all.len().checked_mul(n).ok_or_else(|| Error::TooLarge {
            name: "periods",
            requested: format!("{} users × {n} periods", all.len()),
            cap: format!("{} cells", usize::MAX),
            hint: "label a shorter window",
        })?;
        let mut users = Vec::with_capacity(all.len());
        let mut stages: Vec<Option<Stage>> = Vec::with_capacity(cells);
        let mut inactive = Vec::with_capacity(all.len());
        let mut rfm_scores = Vec::new();
        let mut rfm_segment = Vec::new();
        let mut health = Vec::new();
        let mut tier = Vec::new();
        let (mut p_alive, mut clv) = (Vec::new(), Vec::new());
        let mut tags = Vec::new();
        let mut codes: Vec<u8> = Vec::with_capacity(n);
        let last = n as i64 - 1;
        for (i, user) in all.iter().enumerate() {
            codes.clear();
            activity.stage_codes(i, self.params, &mut codes);
            if codes
                .last()
                .is_none_or(|c| usize::from(*c) >= Stage::ALL.len())
            {
                continue; // not known by the last period
            }
            users.push(user.clone());
            stages.extend(
                codes
                    .iter()
                    .map(|c| Stage::ALL.get(usize::from(*c)).copied()),
            );
            let idle = activity
                .last_active_raw(i)
                .map_or(0, |a| (last - a).clamp(0, i64::from(u32::MAX)) as u32);
            inactive.push(idle);
            if let (Some((scores, segs)), Some(al)) = (self.rfm, &rfm_align) {
                let row = al.get(i);
                let c = row.and_then(|r| scores.customers.get(r));
                rfm_scores.push(c.map(|c| [c.r, c.f, c.m]));
                rfm_segment.push(row.and_then(|r| segs.of_customer.get(r).copied()));
                if let Some(h) = &self.health {
                    health.push(c.map(|c| h.health(c.r)));
                }
            }
            if let (Some(v), Some(al)) = (self.value, &value_align) {
                tier.push(
                    al.get(i)
                        .and_then(|r| v.users.get(r))
                        .map(|u| u16::try_from(u.tier).unwrap_or(u16::MAX)),
                );
            }
            if let (Some(c), Some(al)) = (self.clv, &clv_align) {
                let row = al.get(i).and_then(|r| c.rows.get(r));
                p_alive.push(row.map(|r| r.p_alive).filter(|x| x.is_finite()));
                clv.push(row.map(|r| r.clv).filter(|x| x.is_finite()));
            }
            if let (Some((p, top, share)), Some(al)) = (self.tags, &tag_align) {
                tags.push(
                    al.get(i)
                        .and_then(|r| p.users.get(r))
                        .map_or_else(Vec::new, |u| {
                            u.tags(top, share).into_iter().map(str::to_string).collect()
                        }),
                );
            }
        }
        Ok(LabelTable {
            periods,
            churn_after: self.params.churn_after(),
            users,
            stages,
            inactive_periods: inactive,
            rfm: self.rfm.map(|(_, segs)| RfmLabels {
                segment_names: segs.names.clone(),
                scores: rfm_scores,
                segment: rfm_segment,
            }),
            health: self.health.map(|_| health),
            value_tier: self.value.map(|v| TierLabels {
                names: v.tiers.iter().map(|t| t.name.clone()).collect(),
                tier,
            }),
            clv: self.clv.map(|_| ClvLabels { p_alive, clv }),
            tags: self.tags.map(|_| tags),
        })
    }
}
