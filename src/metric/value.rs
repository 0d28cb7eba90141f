//! User value: weighted score, tiers, Pareto share and the three growth levers.

use std::collections::HashSet;
use std::fmt;

use serde::{Deserialize, Serialize};

use super::MetricError;
use super::population::{MetricStats, quantile};
use super::summary::{MetricReport, truncate};
use crate::quadrant::Quadrant;
use crate::{Error, Result};

/// Weights of metrics in the value score, checked on construction: finite, not negative,
/// summing to more than zero, one per metric name.
///
/// ```
/// use userops::metric::{MetricError, ValueWeights};
/// let w = ValueWeights::new([("revenue", 2.0), ("visit_frequency", 1.0)])?;
/// assert_eq!(w.weights().len(), 2);
/// assert_eq!(ValueWeights::new([("revenue", -1.0)]).unwrap_err(),
///            userops::Error::Metric(MetricError::NegativeWeight { metric: "revenue".into(), weight: -1.0 }));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ValueWeights {
    weights: Vec<(String, f64)>,
}

impl ValueWeights {
    /// Weights by metric name.
    ///
    /// # Errors
    /// [`MetricError::NegativeWeight`] for a negative or NaN weight (infinite weights too),
    /// [`MetricError::ZeroWeights`] when the weights sum to zero or there are none,
    /// [`MetricError::DuplicateName`] when a metric is weighted twice.
    ///
    /// ```
    /// use userops::metric::{MetricError, ValueWeights};
    /// assert_eq!(ValueWeights::new([("revenue", 0.0)]).unwrap_err(),
    ///            userops::Error::Metric(MetricError::ZeroWeights));
    /// ```
    pub fn new<S: Into<String>>(weights: impl IntoIterator<Item = (S, f64)>) -> Result<Self> {
        let mut out: Vec<(String, f64)> = Vec::new();
        let mut seen = HashSet::new();
        for (name, w) in weights {
            let name = name.into();
            if !(w.is_finite() && w >= 0.0) {
                return Err(MetricError::NegativeWeight {
                    metric: name,
                    weight: w,
                }
                .into());
            }
            if !seen.insert(name.clone()) {
                return Err(MetricError::DuplicateName(name).into());
            }
            out.push((name, w));
        }
        let total: f64 = out.iter().map(|(_, w)| w).sum();
        if !(total > 0.0 && total.is_finite()) {
            return Err(MetricError::ZeroWeights.into());
        }
        Ok(ValueWeights { weights: out })
    }

    /// Equal weights on the primary metrics the quadrant calls for (see
    /// [`Quadrant::value_metrics`]): revenue alone for a low-frequency paid product; time
    /// spent and visit frequency for a free social one; all four for a high-frequency paid one
    /// (where revenue and ARPU move together per user, so money carries half the weight); visit
    /// frequency for the low-frequency unpaid one.
    ///
    /// ```
    /// use userops::metric::ValueWeights;
    /// use userops::quadrant::{Frequency, Payment, Quadrant};
    /// let w = ValueWeights::for_quadrant(&Quadrant { frequency: Frequency::Low, payment: Payment::Direct });
    /// assert_eq!(w.weights(), &[("revenue".to_string(), 1.0)]);
    /// ```
    #[must_use]
    pub fn for_quadrant(quadrant: &Quadrant) -> Self {
        ValueWeights {
            weights: quadrant
                .value_metrics()
                .iter()
                .map(|m| (m.metric_name().to_string(), 1.0))
                .collect(),
        }
    }

    /// The weights as given.
    ///
    /// ```
    /// let w = userops::metric::ValueWeights::new([("revenue", 1.0)])?;
    /// assert_eq!(w.weights()[0].0, "revenue");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn weights(&self) -> &[(String, f64)] {
        &self.weights
    }
}

/// Value tiers by quantile of the value score, checked on construction.
///
/// With cuts `c1 < c2 < …` (quantile probabilities in `(0, 1)`) and thresholds
/// `t_j = quantile(scores, c_j)` (type 7), a user's tier is the number of thresholds their
/// score is **strictly above**: tier 0 is the lowest. Users with equal scores share a tier,
/// every user is in exactly one tier, and when all scores are equal everyone is in tier 0 (no
/// one stands out). Default: `low` (below the median), `mid`, `high` (above the 80th
/// percentile).
///
/// ```
/// use userops::metric::TierParams;
/// let t = TierParams::new(vec![0.9], vec!["rest".into(), "top".into()])?;
/// assert_eq!(t.names().len(), 2);
/// assert!(TierParams::new(vec![0.8, 0.5], vec!["a".into(), "b".into(), "c".into()]).is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TierParams {
    cuts: Vec<f64>,
    names: Vec<String>,
}

impl Default for TierParams {
    fn default() -> Self {
        TierParams {
            cuts: vec![0.5, 0.8],
            names: vec!["low".into(), "mid".into(), "high".into()],
        }
    }
}

impl TierParams {
    /// Tiers from increasing quantile cuts in `(0, 1)` and one more name than cuts.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] naming `cuts` or `names` when they do not fit.
    ///
    /// ```
    /// assert!(userops::metric::TierParams::new(vec![1.5], vec!["a".into(), "b".into()]).is_err());
    /// ```
    pub fn new(cuts: Vec<f64>, names: Vec<String>) -> Result<Self> {
        if cuts
            .iter()
            .any(|c| !(c.is_finite() && *c > 0.0 && *c < 1.0))
        {
            return Err(Error::invalid(
                "cuts",
                "every cut must be a quantile in (0, 1)",
            ));
        }
        if cuts.windows(2).any(|w| w[0] >= w[1]) {
            return Err(Error::invalid("cuts", "cuts must be strictly increasing"));
        }
        if names.len() != cuts.len() + 1 {
            return Err(Error::invalid(
                "names",
                format!(
                    "{} cuts make {} tiers, got {} names",
                    cuts.len(),
                    cuts.len() + 1,
                    names.len()
                ),
            ));
        }
        Ok(TierParams { cuts, names })
    }

    /// The tier names, lowest first.
    ///
    /// ```
    /// assert_eq!(userops::metric::TierParams::default().names(), ["low", "mid", "high"]);
    /// ```
    #[must_use]
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// The quantile cuts.
    ///
    /// ```
    /// assert_eq!(userops::metric::TierParams::default().cuts(), [0.5, 0.8]);
    /// ```
    #[must_use]
    pub fn cuts(&self) -> &[f64] {
        &self.cuts
    }
}

/// How one metric enters the score.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WeightRow {
    /// The metric.
    pub metric: String,
    /// Its weight, normalised so that all weights sum to 1.
    pub weight: f64,
    /// The scale it is divided by: its population mean of absolute values (0 = left out,
    /// every user has 0).
    pub scale: f64,
}

/// One user's value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UserValue<U> {
    /// The user.
    pub user: U,
    /// The value score: 1.0 is a user as valuable as the average user on every weighted
    /// metric.
    pub score: f64,
    /// The tier index (0 = lowest).
    pub tier: usize,
}

/// One tier's summary.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TierRow {
    /// The tier name.
    pub name: String,
    /// Scores strictly above this threshold (none for the lowest tier) and not above the
    /// next tier's threshold.
    pub above: Option<f64>,
    /// Users in the tier.
    pub users: u64,
    /// Share of all (non-negative) value the tier holds.
    pub value_share: f64,
}

/// Value scores, tiers and the Pareto share.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ValueReport<U> {
    /// The weights and scales used.
    pub weights: Vec<WeightRow>,
    /// One row per user, in the metric report's user order.
    pub users: Vec<UserValue<U>>,
    /// The tiers, lowest first.
    pub tiers: Vec<TierRow>,
    /// Share of the value held by the top 20% of users (see [`pareto_share`]).
    pub pareto_share: f64,
}

impl<U> ValueReport<U> {
    /// The index of the top tier.
    ///
    /// ```
    /// let r = userops::metric::ValueReport::<u8> { weights: vec![], users: vec![], tiers: vec![], pareto_share: 0.2 };
    /// assert_eq!(r.top_tier(), 0);
    /// ```
    #[must_use]
    pub fn top_tier(&self) -> usize {
        self.tiers.len().saturating_sub(1)
    }
}

impl<U> fmt::Display for ValueReport<U> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let w: Vec<String> = self
            .weights
            .iter()
            .map(|w| format!("{} {:.2}", w.metric, w.weight))
            .collect();
        writeln!(f, "value score weights: {}", w.join(", "))?;
        writeln!(
            f,
            "{:<10} {:>14} {:>10} {:>12}",
            "tier", "score above", "users", "value share"
        )?;
        for t in self.tiers.iter().rev() {
            writeln!(
                f,
                "{:<10} {:>14} {:>10} {:>11.1}%",
                truncate(&t.name, 10),
                t.above.map_or("-".to_string(), |a| format!("{a:.3}")),
                t.users,
                t.value_share * 100.0
            )?;
        }
        write!(
            f,
            "Pareto share: the top 20% of users hold {:.1}% of the value",
            self.pareto_share * 100.0
        )
    }
}

/// The share of the total held by the top 20% of values, in `[0.2, 1]`.
///
/// Values below zero count as zero. Each value is an equal slice `1/n` of the population;
/// the top 20% is `0.2·n` slices, taken from the largest down, with the last slice taken
/// fractionally — so the share is a point of the Lorenz curve, defined for any `n` (for one
/// value it is 0.2). When all values are equal (or the total is zero) it is exactly 0.2;
/// rounding is clamped into `[0.2, 1]`.
///
/// ```
/// use userops::metric::pareto_share;
/// assert_eq!(pareto_share(&[5.0, 5.0, 5.0]), 0.2);
/// // Ten users, one holds everything: the top 20% hold all of it.
/// let mut v = vec![0.0; 10]; v[3] = 100.0;
/// assert_eq!(pareto_share(&v), 1.0);
/// // Five users 1, 1, 1, 1, 6: the top fifth is the 6, i.e. 6 of 10.
/// assert_eq!(pareto_share(&[1.0, 1.0, 6.0, 1.0, 1.0]), 0.6);
/// ```
#[must_use]
pub fn pareto_share(values: &[f64]) -> f64 {
    let mut v: Vec<f64> = values
        .iter()
        .map(|x| if x.is_finite() { x.max(0.0) } else { 0.0 })
        .collect();
    let total: f64 = v.iter().sum();
    let all_equal = v.windows(2).all(|w| w[0] == w[1]);
    if v.is_empty() || all_equal || total <= 0.0 || !total.is_finite() {
        return 0.2;
    }
    v.sort_unstable_by(|a, b| b.total_cmp(a));
    let slices = 0.2 * v.len() as f64;
    let whole = slices.floor() as usize;
    let frac = slices - whole as f64;
    let mut top: f64 = v.iter().take(whole).sum();
    if let Some(next) = v.get(whole) {
        top += frac * next;
    }
    (top / total).clamp(0.2, 1.0)
}

/// Value score per user, value tiers and the Pareto share.
///
/// Each weighted metric is divided by its scale — its population mean of absolute values, so
/// `1.0` means "as much as the average user" — and the score is the weighted mean of these
/// (weights normalised to sum to 1). A metric whose scale is 0 (every user has 0) adds 0.
/// The score never falls when a positively weighted metric of the user rises.
///
/// # Errors
/// [`Error::Empty`] for a report without users; [`MetricError::UnknownMetric`] for a weight
/// on a metric the report does not have; [`MetricError::NotANumber`] naming metric and user
/// for a value that is not finite.
///
/// ```
/// use userops::metric::*;
/// let report = MetricReport::<char> {
///     window: Window::new(chrono::DateTime::UNIX_EPOCH, chrono::DateTime::UNIX_EPOCH + chrono::TimeDelta::days(365))?,
///     metrics: vec![MetricInfo { name: "revenue".into(), parent: None, depth: 0, measure: Measure::Amount }],
///     users: vec!['a', 'b', 'c', 'd'],
///     values: vec![0.0, 10.0, 10.0, 20.0],
///     outside_window: 0,
/// };
/// let v = value_scores(&report, &ValueWeights::new([("revenue", 1.0)])?, &TierParams::default())?;
/// // mean revenue 10: scores 0, 1, 1, 2
/// assert_eq!(v.users.iter().map(|u| u.score).collect::<Vec<_>>(), [0.0, 1.0, 1.0, 2.0]);
/// // median 1.0, p80 1.4: 'a', 'b', 'c' are low (not above 1.0), 'd' is high
/// assert_eq!(v.users.iter().map(|u| u.tier).collect::<Vec<_>>(), [0, 0, 0, 2]);
/// // top 20% of 4 users = 0.8 of 'd': 16 of 40
/// assert!((v.pareto_share - 0.4).abs() < 1e-12);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn value_scores<U: Clone + fmt::Debug>(
    report: &MetricReport<U>,
    weights: &ValueWeights,
    tiers: &TierParams,
) -> Result<ValueReport<U>> {
    let weights = ValueWeights::new(weights.weights.iter().cloned())?;
    let tiers = TierParams::new(tiers.cuts.clone(), tiers.names.clone())?;
    let n = report.users.len();
    if n == 0 {
        return Err(Error::Empty("no users to score"));
    }
    let m = report.metrics.len();
    if report.values.len() != n * m {
        return Err(Error::InvalidInput(format!(
            "metric report has {} values for {n} users × {m} metrics",
            report.values.len()
        )));
    }
    let total_w: f64 = weights.weights.iter().map(|(_, w)| w).sum();
    let mut rows = Vec::with_capacity(weights.weights.len());
    let mut cols = Vec::with_capacity(weights.weights.len());
    for (name, w) in &weights.weights {
        let k = report
            .metric_index(name)
            .ok_or_else(|| MetricError::UnknownMetric {
                name: name.clone(),
                referenced_by: "weights".into(),
            })?;
        let col = report.column(k);
        if let Some(i) = col.iter().position(|v| !v.is_finite()) {
            return Err(MetricError::NotANumber {
                metric: name.clone(),
                user: format!("{:?}", report.users[i]),
                value: col[i],
            }
            .into());
        }
        let scale = col.iter().map(|v| v.abs()).sum::<f64>() / n as f64;
        rows.push(WeightRow {
            metric: name.clone(),
            weight: w / total_w,
            scale,
        });
        cols.push(col);
    }
    let mut scores = vec![0.0_f64; n];
    for (row, col) in rows.iter().zip(&cols) {
        if row.scale > 0.0 && row.weight > 0.0 {
            for (s, v) in scores.iter_mut().zip(col) {
                *s += row.weight * (v / row.scale);
            }
        }
    }
    let mut sorted = scores.clone();
    sorted.sort_unstable_by(f64::total_cmp);
    let thresholds: Vec<f64> = tiers
        .cuts
        .iter()
        .map(|&c| quantile(&sorted, c).unwrap_or(0.0))
        .collect();
    let tier_of = |s: f64| thresholds.iter().filter(|t| s > **t).count();
    let positive_total: f64 = scores.iter().map(|s| s.max(0.0)).sum();
    let mut tier_rows: Vec<TierRow> = tiers
        .names
        .iter()
        .enumerate()
        .map(|(i, name)| TierRow {
            name: name.clone(),
            above: if i == 0 {
                None
            } else {
                thresholds.get(i - 1).copied()
            },
            users: 0,
            value_share: 0.0,
        })
        .collect();
    let users: Vec<UserValue<U>> = report
        .users
        .iter()
        .zip(&scores)
        .map(|(u, &score)| {
            let tier = tier_of(score);
            if let Some(t) = tier_rows.get_mut(tier) {
                t.users += 1;
                t.value_share += score.max(0.0);
            }
            UserValue {
                user: u.clone(),
                score,
                tier,
            }
        })
        .collect();
    for t in &mut tier_rows {
        t.value_share = if positive_total > 0.0 {
            t.value_share / positive_total
        } else {
            0.0
        };
    }
    Ok(ValueReport {
        weights: rows,
        users,
        tiers: tier_rows,
        pareto_share: pareto_share(&scores),
    })
}

/// Which metrics describe "behaving like a high-value user" and "buying", and how little a
/// candidate buys (checked by [`conversion_candidates`]).
///
/// ```
/// let p = userops::metric::CandidateParams::default();
/// assert_eq!((p.engagement.as_str(), p.money.as_str(), p.money_share), ("visit_frequency", "revenue", 0.5));
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CandidateParams {
    /// The usage metric (default `visit_frequency`).
    pub engagement: String,
    /// The money metric (default `revenue`).
    pub money: String,
    /// A candidate's money is below this share of the top tier's median money, in `(0, 1]`
    /// (default 0.5: pays less than half of what a typical high-value user pays).
    pub money_share: f64,
}

impl Default for CandidateParams {
    fn default() -> Self {
        CandidateParams {
            engagement: "visit_frequency".into(),
            money: "revenue".into(),
            money_share: 0.5,
        }
    }
}

/// One conversion candidate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Candidate<U> {
    /// The user.
    pub user: U,
    /// Their engagement metric.
    pub engagement: f64,
    /// Their money metric.
    pub money: f64,
    /// Their value score.
    pub score: f64,
}

/// Low-value users who behave like high-value ones: browse often, rarely buy.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConversionCandidates<U> {
    /// The engagement metric.
    pub engagement_metric: String,
    /// The money metric.
    pub money_metric: String,
    /// Median engagement of the top value tier: candidates are at or above it.
    pub engagement_bar: f64,
    /// `money_share` × the top tier's median money: candidates are below it.
    pub money_bar: f64,
    /// Candidates, most engaged first (ties by user order).
    pub users: Vec<Candidate<U>>,
}

impl<U> fmt::Display for ConversionCandidates<U> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "conversion candidates: {} users outside the top tier with {} >= {:.2} (the top tier's median) but {} < {:.2}",
            self.users.len(),
            self.engagement_metric,
            self.engagement_bar,
            self.money_metric,
            self.money_bar
        )
    }
}

fn column_of<U>(report: &MetricReport<U>, name: &str, by: &str) -> Result<Vec<f64>> {
    let k = report
        .metric_index(name)
        .ok_or_else(|| MetricError::UnknownMetric {
            name: name.to_string(),
            referenced_by: by.to_string(),
        })?;
    Ok(report.column(k))
}

fn median_of(mut v: Vec<f64>) -> f64 {
    v.sort_unstable_by(f64::total_cmp);
    quantile(&v, 0.5).unwrap_or(0.0)
}

/// Conversion candidates — browse often, rarely buy: users **not** in the top value tier whose
/// engagement is at least the top tier's median engagement and whose money metric is below
/// `money_share` times the top tier's median money. No top-tier user (all scores equal) means
/// no candidate.
///
/// # Errors
/// [`MetricError::UnknownMetric`] when a metric of `params` is not in the report;
/// [`Error::InvalidParameter`] for `money_share` outside `(0, 1]`;
/// [`Error::InvalidInput`] when `value` was not computed from `report` (different users).
///
/// ```
/// use userops::metric::*;
/// let report = MetricReport::<u8> {
///     window: Window::new(chrono::DateTime::UNIX_EPOCH, chrono::DateTime::UNIX_EPOCH + chrono::TimeDelta::days(365))?,
///     metrics: vec![
///         MetricInfo { name: "visit_frequency".into(), parent: None, depth: 0, measure: Measure::ActiveDays },
///         MetricInfo { name: "revenue".into(), parent: None, depth: 0, measure: Measure::Amount },
///     ],
///     users: vec![1, 2, 3, 4, 5],
///     // user 5 pays a lot; user 4 visits as often as 5 but pays nothing
///     values: vec![1.0, 0.0,  2.0, 0.0,  1.0, 0.0,  20.0, 0.0,  20.0, 100.0],
///     outside_window: 0,
/// };
/// let value = value_scores(&report, &ValueWeights::new([("revenue", 1.0)])?, &TierParams::default())?;
/// let c = conversion_candidates(&report, &value, &CandidateParams::default())?;
/// assert_eq!(c.users.iter().map(|c| c.user).collect::<Vec<_>>(), [4]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn conversion_candidates<U: Clone + PartialEq>(
    report: &MetricReport<U>,
    value: &ValueReport<U>,
    params: &CandidateParams,
) -> Result<ConversionCandidates<U>> {
    if !(params.money_share > 0.0 && params.money_share <= 1.0) {
        return Err(Error::invalid(
            "money_share",
            format!("must be a share in (0, 1], got {}", params.money_share),
        ));
    }
    same_users(report, value)?;
    let engagement = column_of(report, &params.engagement, "candidate rule")?;
    let money = column_of(report, &params.money, "candidate rule")?;
    let top = value.top_tier();
    let in_top: Vec<usize> = (0..value.users.len())
        .filter(|&i| value.users[i].tier == top && top > 0)
        .collect();
    let engagement_bar = median_of(in_top.iter().map(|&i| engagement[i]).collect());
    let money_bar = params.money_share * median_of(in_top.iter().map(|&i| money[i]).collect());
    let mut users: Vec<Candidate<U>> = if in_top.is_empty() {
        Vec::new()
    } else {
        value
            .users
            .iter()
            .enumerate()
            .filter(|(i, u)| {
                u.tier < top && engagement[*i] >= engagement_bar && money[*i] < money_bar
            })
            .map(|(i, u)| Candidate {
                user: u.user.clone(),
                engagement: engagement[i],
                money: money[i],
                score: u.score,
            })
            .collect()
    };
    users.sort_by(|a, b| b.engagement.total_cmp(&a.engagement));
    Ok(ConversionCandidates {
        engagement_metric: params.engagement.clone(),
        money_metric: params.money.clone(),
        engagement_bar,
        money_bar,
        users,
    })
}

fn same_users<U: PartialEq>(report: &MetricReport<U>, value: &ValueReport<U>) -> Result<()> {
    if report.users.len() != value.users.len()
        || report
            .users
            .iter()
            .zip(&value.users)
            .any(|(a, b)| *a != b.user)
    {
        return Err(Error::InvalidInput(
            "the value report was not computed from this metric report (users differ)".into(),
        ));
    }
    Ok(())
}

/// Settings of [`falling_usage`], checked by it.
///
/// ```
/// let p = userops::metric::FallingParams::default();
/// assert_eq!((p.usage.as_str(), p.min_drop), ("visit_frequency", 0.3));
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FallingParams {
    /// The usage metric (default `visit_frequency`).
    pub usage: String,
    /// The relative drop that counts as falling, in `(0, 1]` (default 0.3: down 30% or more).
    pub min_drop: f64,
}

impl Default for FallingParams {
    fn default() -> Self {
        FallingParams {
            usage: "visit_frequency".into(),
            min_drop: 0.3,
        }
    }
}

/// One high-value user whose usage fell.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FallingUser<U> {
    /// The user.
    pub user: U,
    /// Usage in the earlier period.
    pub before: f64,
    /// Usage in the later period (0 when the user was not seen).
    pub after: f64,
    /// Relative change, `after / before - 1` (negative).
    pub change: f64,
}

/// High-value users (top tier in the earlier period) whose usage is falling: the potential
/// to dig.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FallingUsage<U> {
    /// The usage metric.
    pub usage_metric: String,
    /// The drop that counts.
    pub min_drop: f64,
    /// Top-tier users in the earlier period.
    pub high_value_users: u64,
    /// Those whose usage fell by at least `min_drop`, steepest fall first.
    pub users: Vec<FallingUser<U>>,
}

impl<U> fmt::Display for FallingUsage<U> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "falling usage: {} of {} high-value users used {} at least {:.0}% less than in the previous period",
            self.users.len(),
            self.high_value_users,
            self.usage_metric,
            self.min_drop * 100.0
        )
    }
}

/// High-value users whose usage fell between two periods: users in the top tier of
/// `before_value` (computed from `before`) whose usage metric in `after` is at most
/// `(1 - min_drop)` times its value in `before` (a user missing from `after` has usage 0).
/// Users with no usage before cannot fall.
///
/// # Errors
/// [`Error::InvalidParameter`] for `min_drop` outside `(0, 1]`; [`MetricError::UnknownMetric`]
/// when the usage metric is not in a report; [`Error::InvalidInput`] when `before_value` was
/// not computed from `before`.
///
/// ```
/// use userops::metric::*;
/// let report = |values: Vec<f64>, users: Vec<u8>| MetricReport::<u8> {
///     window: Window::new(chrono::DateTime::UNIX_EPOCH, chrono::DateTime::UNIX_EPOCH + chrono::TimeDelta::days(365)).unwrap(),
///     metrics: vec![MetricInfo { name: "visit_frequency".into(), parent: None, depth: 0, measure: Measure::ActiveDays }],
///     users, values, outside_window: 0,
/// };
/// let before = report(vec![1.0, 1.0, 1.0, 10.0, 12.0], vec![1, 2, 3, 4, 5]);
/// let after = report(vec![1.0, 1.0, 3.0, 11.0], vec![1, 2, 3, 5]); // 4 is gone, 5 went 12 -> 11
/// let tiers = TierParams::new(vec![0.6], vec!["rest".into(), "top".into()])?;
/// let value = value_scores(&before, &ValueWeights::new([("visit_frequency", 1.0)])?, &tiers)?;
/// let falling = falling_usage(&before, &value, &after, &FallingParams::default())?;
/// assert_eq!(falling.users.iter().map(|u| (u.user, u.after)).collect::<Vec<_>>(), [(4, 0.0)]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn falling_usage<U: Clone + Ord>(
    before: &MetricReport<U>,
    before_value: &ValueReport<U>,
    after: &MetricReport<U>,
    params: &FallingParams,
) -> Result<FallingUsage<U>> {
    if !(params.min_drop > 0.0 && params.min_drop <= 1.0) {
        return Err(Error::invalid(
            "min_drop",
            format!("must be a relative drop in (0, 1], got {}", params.min_drop),
        ));
    }
    same_users(before, before_value)?;
    let usage_before = column_of(before, &params.usage, "falling usage")?;
    let k_after = after
        .metric_index(&params.usage)
        .ok_or_else(|| MetricError::UnknownMetric {
            name: params.usage.clone(),
            referenced_by: "falling usage".into(),
        })?;
    let top = before_value.top_tier();
    let mut high = 0_u64;
    let mut users = Vec::new();
    for (i, u) in before_value.users.iter().enumerate() {
        if top == 0 || u.tier != top {
            continue;
        }
        high += 1;
        let b = usage_before[i];
        if b <= 0.0 {
            continue;
        }
        let a = after
            .user_index(&u.user)
            .and_then(|j| after.value(j, k_after))
            .unwrap_or(0.0);
        if a <= (1.0 - params.min_drop) * b {
            users.push(FallingUser {
                user: u.user.clone(),
                before: b,
                after: a,
                change: a / b - 1.0,
            });
        }
    }
    users.sort_by(|a, b| a.change.total_cmp(&b.change));
    Ok(FallingUsage {
        usage_metric: params.usage.clone(),
        min_drop: params.min_drop,
        high_value_users: high,
        users,
    })
}

/// How one metric's distribution moved between two periods.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MetricShift {
    /// The metric.
    pub metric: String,
    /// Users in the earlier period.
    pub users_before: u64,
    /// Users in the later period.
    pub users_after: u64,
    /// Mean before.
    pub mean_before: f64,
    /// Mean after.
    pub mean_after: f64,
    /// Relative change of the mean (`None` when the mean before is 0).
    pub mean_change: Option<f64>,
    /// Median before.
    pub median_before: f64,
    /// Median after.
    pub median_after: f64,
    /// 90th percentile before.
    pub p90_before: f64,
    /// 90th percentile after.
    pub p90_after: f64,
    /// Share of later-period users strictly above the earlier median (0.5-ish when nothing
    /// moved, higher when the whole distribution lifted).
    pub share_above_previous_median: f64,
}

/// The shift of the whole distribution between two periods (global lift), for every metric
/// both reports have. Each period's population is its own active users.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GlobalLift {
    /// One row per metric, in the earlier report's order.
    pub metrics: Vec<MetricShift>,
}

impl fmt::Display for GlobalLift {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:<26} {:>11} {:>11} {:>9} {:>11} {:>11} {:>14}",
            "metric",
            "mean before",
            "mean after",
            "change",
            "median bef.",
            "median aft.",
            "above old med."
        )?;
        for m in &self.metrics {
            write!(
                f,
                "\n{:<26} {:>11.2} {:>11.2} {:>9} {:>11.2} {:>11.2} {:>13.1}%",
                truncate(&m.metric, 26),
                m.mean_before,
                m.mean_after,
                m.mean_change
                    .map_or("-".to_string(), |c| format!("{:+.1}%", c * 100.0)),
                m.median_before,
                m.median_after,
                m.share_above_previous_median * 100.0
            )?;
        }
        Ok(())
    }
}

/// Global lift: for every metric in both reports, mean, median and 90th percentile before and
/// after, the relative change of the mean and the share of later users above the earlier
/// median.
///
/// # Errors
/// [`Error::Empty`] when either report has no users; [`MetricError::NotANumber`] for a value
/// that is not finite.
///
/// ```
/// use userops::metric::*;
/// let report = |values: Vec<f64>| MetricReport::<u8> {
///     window: Window::new(chrono::DateTime::UNIX_EPOCH, chrono::DateTime::UNIX_EPOCH + chrono::TimeDelta::days(365)).unwrap(),
///     metrics: vec![MetricInfo { name: "events".into(), parent: None, depth: 0, measure: Measure::Events }],
///     users: (0..values.len() as u8).collect(), values, outside_window: 0,
/// };
/// let lift = global_lift(&report(vec![1.0, 2.0, 3.0, 4.0]), &report(vec![2.0, 3.0, 4.0, 5.0]))?;
/// let m = &lift.metrics[0];
/// assert_eq!((m.mean_before, m.mean_after), (2.5, 3.5));
/// assert!((m.mean_change.unwrap() - 0.4).abs() < 1e-12);
/// assert_eq!(m.share_above_previous_median, 0.75); // 3, 4, 5 are above 2.5
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn global_lift<U>(before: &MetricReport<U>, after: &MetricReport<U>) -> Result<GlobalLift> {
    if before.users.is_empty() || after.users.is_empty() {
        return Err(Error::Empty("global lift needs users in both periods"));
    }
    let mut metrics = Vec::new();
    for (k, info) in before.metrics.iter().enumerate() {
        let Some(k_after) = after.metric_index(&info.name) else {
            continue;
        };
        let b = MetricStats::of(&info.name, &before.column(k), 1)?;
        let a_values = after.column(k_after);
        let a = MetricStats::of(&info.name, &a_values, 1)?;
        let above = a_values.iter().filter(|v| **v > b.median).count();
        metrics.push(MetricShift {
            metric: info.name.clone(),
            users_before: b.users,
            users_after: a.users,
            mean_before: b.mean,
            mean_after: a.mean,
            mean_change: match (b.mean != 0.0).then(|| a.mean / b.mean - 1.0) {
                Some(c) => Some(crate::checked::finite(c, || {
                    format!("the change of the mean of metric {:?}", info.name)
                })?),
                None => None,
            },
            median_before: b.median,
            median_after: a.median,
            p90_before: b.quantile(0.9).unwrap_or(0.0),
            p90_after: a.quantile(0.9).unwrap_or(0.0),
            share_above_previous_median: above as f64 / a_values.len() as f64,
        });
    }
    Ok(GlobalLift { metrics })
}
