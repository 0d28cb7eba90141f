//! Population statistics of every metric: mean, median, quantiles, histogram.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::MetricError;
use super::summary::{MetricReport, truncate};
use crate::{Error, Result};

/// The quantiles every [`MetricStats`] reports.
const QUANTILES: [f64; 6] = [0.1, 0.25, 0.5, 0.75, 0.9, 0.99];

/// The `p`-quantile of **sorted** values by linear interpolation between order statistics
/// (Hyndman & Fan type 7, the default of R's `quantile` and NumPy's `percentile`); `None` for
/// no values or `p` outside `[0, 1]`.
///
/// ```
/// use userops::metric::quantile;
/// // R: quantile(c(1, 2, 3, 4), 0.25) == 1.75
/// assert_eq!(quantile(&[1.0, 2.0, 3.0, 4.0], 0.25), Some(1.75));
/// assert_eq!(quantile(&[5.0], 0.9), Some(5.0));
/// assert_eq!(quantile(&[], 0.5), None);
/// ```
#[must_use]
pub fn quantile(sorted: &[f64], p: f64) -> Option<f64> {
    if sorted.is_empty() || !(0.0..=1.0).contains(&p) {
        return None;
    }
    let h = (sorted.len() - 1) as f64 * p;
    let lo = h.floor() as usize;
    let lo_v = *sorted.get(lo)?;
    let hi_v = sorted.get(lo + 1).copied().unwrap_or(lo_v);
    Some(lo_v + (h - lo as f64) * (hi_v - lo_v))
}

/// One quantile of a metric.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct QuantileValue {
    /// The probability (0.5 is the median).
    pub p: f64,
    /// The value.
    pub value: f64,
}

/// Equal-width bins from `lower` to `upper`; the last bin includes `upper`. When all values
/// are equal there is one bin of width 0.
///
/// ```
/// let h = userops::metric::Histogram::of(&[0.0, 1.0, 2.0, 10.0], 5);
/// assert_eq!(h.counts, vec![2, 1, 0, 0, 1]);
/// assert_eq!(h.edges(), vec![0.0, 2.0, 4.0, 6.0, 8.0, 10.0]);
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Histogram {
    /// The lower edge of the first bin (the minimum).
    pub lower: f64,
    /// The upper edge of the last bin (the maximum).
    pub upper: f64,
    /// Counts per bin.
    pub counts: Vec<u64>,
}

impl Histogram {
    /// A histogram of finite `values` with `bins` bins (at least 1); values that are not finite
    /// are left out.
    ///
    /// ```
    /// let h = userops::metric::Histogram::of(&[3.0, 3.0], 4);
    /// assert_eq!(h.counts, vec![2]);
    /// ```
    #[must_use]
    pub fn of(values: &[f64], bins: usize) -> Histogram {
        let finite = values.iter().copied().filter(|v| v.is_finite());
        let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
        for v in finite.clone() {
            lo = lo.min(v);
            hi = hi.max(v);
        }
        if lo > hi {
            return Histogram {
                lower: 0.0,
                upper: 0.0,
                counts: Vec::new(),
            };
        }
        let bins = if hi > lo { bins.max(1) } else { 1 };
        let mut counts = vec![0_u64; bins];
        let width = (hi - lo) / bins as f64;
        for v in finite {
            let b = if width > 0.0 {
                (((v - lo) / width) as usize).min(bins - 1)
            } else {
                0
            };
            counts[b] += 1;
        }
        Histogram {
            lower: lo,
            upper: hi,
            counts,
        }
    }

    /// The bin edges (`counts.len() + 1` values).
    ///
    /// ```
    /// assert_eq!(userops::metric::Histogram::of(&[0.0, 1.0], 2).edges(), vec![0.0, 0.5, 1.0]);
    /// ```
    #[must_use]
    pub fn edges(&self) -> Vec<f64> {
        let n = self.counts.len();
        if n == 0 {
            return Vec::new();
        }
        let width = (self.upper - self.lower) / n as f64;
        (0..=n)
            .map(|i| {
                if i == n {
                    self.upper
                } else {
                    self.lower + width * i as f64
                }
            })
            .collect()
    }
}

/// One metric over the population.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MetricStats {
    /// The metric.
    pub metric: String,
    /// Its parent (`None` for a primary metric).
    pub parent: Option<String>,
    /// Depth in the tree.
    pub depth: usize,
    /// Users in the population.
    pub users: u64,
    /// Mean over users.
    pub mean: f64,
    /// Median (type-7 quantile 0.5).
    pub median: f64,
    /// Smallest value.
    pub min: f64,
    /// Largest value.
    pub max: f64,
    /// Quantiles 0.1, 0.25, 0.5, 0.75, 0.9, 0.99 (type 7).
    pub quantiles: Vec<QuantileValue>,
    /// Equal-width histogram.
    pub histogram: Histogram,
}

impl MetricStats {
    /// The quantile `p` if reported.
    ///
    /// ```
    /// # use userops::metric::*;
    /// let s = MetricStats::of("x", &[1.0, 2.0, 3.0, 4.0, 5.0], 4)?;
    /// assert_eq!(s.quantile(0.9), Some(4.6));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn quantile(&self, p: f64) -> Option<f64> {
        self.quantiles.iter().find(|q| q.p == p).map(|q| q.value)
    }

    /// Statistics of one list of values (a primary metric named `metric`).
    ///
    /// # Errors
    /// [`Error::Empty`] for no values, [`MetricError::NotANumber`] for a value that is not
    /// finite, [`Error::InvalidParameter`] for 0 bins.
    ///
    /// ```
    /// let s = userops::metric::MetricStats::of("x", &[4.0, 1.0, 3.0, 2.0], 2)?;
    /// assert_eq!((s.mean, s.median, s.min, s.max), (2.5, 2.5, 1.0, 4.0));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn of(metric: &str, values: &[f64], bins: usize) -> Result<MetricStats> {
        stats(metric, None, 0, values.to_vec(), bins)
    }
}

fn stats(
    metric: &str,
    parent: Option<String>,
    depth: usize,
    mut values: Vec<f64>,
    bins: usize,
) -> Result<MetricStats> {
    if values.is_empty() {
        return Err(Error::Empty("no users to compute population statistics on"));
    }
    if bins == 0 {
        return Err(Error::invalid("bins", "a histogram needs at least 1 bin"));
    }
    if let Some(bad) = values.iter().find(|v| !v.is_finite()) {
        return Err(MetricError::NotANumber {
            metric: metric.to_string(),
            user: String::new(),
            value: *bad,
        }
        .into());
    }
    let histogram = Histogram::of(&values, bins);
    values.sort_unstable_by(f64::total_cmp);
    let n = values.len();
    // Σ v/n, not Σ v / n: the sum of finite values can pass f64::MAX where their mean cannot.
    let mean = crate::checked::finite(values.iter().map(|v| v / n as f64).sum(), || {
        format!("the mean of metric {metric:?}")
    })?;
    let quantiles: Vec<QuantileValue> = QUANTILES
        .iter()
        .map(|&p| QuantileValue {
            p,
            value: quantile(&values, p).unwrap_or(0.0),
        })
        .collect();
    Ok(MetricStats {
        metric: metric.to_string(),
        parent,
        depth,
        users: n as u64,
        mean,
        median: quantile(&values, 0.5).unwrap_or(0.0),
        min: values[0],
        max: values[n - 1],
        quantiles,
        histogram,
    })
}

/// Every metric of a tree over the population of users in a [`MetricReport`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PopulationReport {
    /// Users in the population.
    pub users: u64,
    /// One row per metric, in tree definition order.
    pub metrics: Vec<MetricStats>,
}

impl PopulationReport {
    /// A metric's statistics by name.
    ///
    /// ```
    /// # use userops::metric::*;
    /// let r = PopulationReport { users: 1, metrics: vec![MetricStats::of("x", &[1.0], 1)?] };
    /// assert_eq!(r.metric("x").map(|s| s.mean), Some(1.0));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn metric(&self, name: &str) -> Option<&MetricStats> {
        self.metrics.iter().find(|m| m.metric == name)
    }
}

impl fmt::Display for PopulationReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{:<30} {:>12} {:>12} {:>12} {:>12} {:>12}",
            "metric", "mean", "p25", "median", "p75", "p90"
        )?;
        // Tree order: each primary followed by its descendants.
        let order = tree_order(&self.metrics);
        for (n, i) in order.iter().enumerate() {
            let m = &self.metrics[*i];
            let name = format!("{}{}", "  ".repeat(m.depth), m.metric);
            write!(
                f,
                "{:<30} {:>12.2} {:>12.2} {:>12.2} {:>12.2} {:>12.2}",
                truncate(&name, 30),
                m.mean,
                m.quantile(0.25).unwrap_or(0.0),
                m.median,
                m.quantile(0.75).unwrap_or(0.0),
                m.quantile(0.9).unwrap_or(0.0)
            )?;
            if n + 1 < order.len() {
                writeln!(f)?;
            }
        }
        write!(f, "\n({} users)", self.users)
    }
}

fn tree_order(metrics: &[MetricStats]) -> Vec<usize> {
    let mut out = Vec::with_capacity(metrics.len());
    let mut seen = vec![false; metrics.len()];
    fn visit(i: usize, metrics: &[MetricStats], seen: &mut [bool], out: &mut Vec<usize>) {
        if seen[i] {
            return;
        }
        seen[i] = true;
        out.push(i);
        for (j, m) in metrics.iter().enumerate() {
            if m.parent.as_deref() == Some(metrics[i].metric.as_str()) {
                visit(j, metrics, seen, out);
            }
        }
    }
    for (i, m) in metrics.iter().enumerate() {
        if m.parent.is_none() {
            visit(i, metrics, &mut seen, &mut out);
        }
    }
    for (i, done) in seen.iter().enumerate() {
        if !done {
            out.push(i);
        }
    }
    out
}

/// Mean, median, quantiles (0.1 … 0.99, type 7) and a `bins`-bin histogram of every metric
/// over the users of `report`.
///
/// # Errors
/// [`Error::Empty`] when the report has no users; [`Error::InvalidParameter`] for 0 bins;
/// [`MetricError::NotANumber`] for a value that is not finite.
///
/// ```
/// use userops::metric::*;
/// let report = MetricReport::<u8> {
///     window: Window::new(chrono::DateTime::UNIX_EPOCH, chrono::DateTime::UNIX_EPOCH + chrono::TimeDelta::days(365))?,
///     metrics: vec![MetricInfo { name: "events".into(), parent: None, depth: 0, measure: Measure::Events }],
///     users: vec![1, 2, 3, 4],
///     values: vec![1.0, 2.0, 3.0, 10.0],
///     outside_window: 0,
/// };
/// let pop = population(&report, 3)?;
/// let events = pop.metric("events").unwrap();
/// assert_eq!((events.mean, events.median), (4.0, 2.5));
/// assert_eq!(events.histogram.counts, vec![3, 0, 1]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn population<U>(report: &MetricReport<U>, bins: usize) -> Result<PopulationReport> {
    if report.users.is_empty() {
        return Err(Error::Empty("no users in the metric report"));
    }
    let metrics = report
        .metrics
        .iter()
        .enumerate()
        .map(|(i, m)| stats(&m.name, m.parent.clone(), m.depth, report.column(i), bins))
        .collect::<Result<Vec<_>>>()?;
    Ok(PopulationReport {
        users: report.users.len() as u64,
        metrics,
    })
}
