//! R, F and M scores from an [`RfmTable`]: checked parameters, the scored report, combined
//! scores and thresholds.

use std::fmt;
use std::hash::Hash;

use serde::{Deserialize, Serialize};

use super::binning::{
    Binner, Method, Thresholds, binner, binner_in_range, check_breaks, count_binner,
};
use super::summary::{Part, PurchaseState, RfmSummary, RfmTable, SummaryParts};
use crate::{Error, Result};

/// What frequency counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum FrequencyMeasure {
    /// Number of purchases (transactions) — what the R package uses.
    Orders,
    /// Number of distinct purchase days (needs [`super::RfmSummary::distinct_days`]).
    PurchaseDays,
}

/// Weights of R, F and M in [`ScoredCustomer::score_sum`] (each finite, not negative, not all
/// zero).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Weights {
    /// Weight of the recency score.
    pub r: f64,
    /// Weight of the frequency score.
    pub f: f64,
    /// Weight of the monetary score.
    pub m: f64,
}

impl Default for Weights {
    fn default() -> Self {
        Weights {
            r: 1.0,
            f: 1.0,
            m: 1.0,
        }
    }
}

/// Scoring parameters: a method per dimension, the number of bins and the weights. Build, then
/// [`ScoreParams::check`] once to get a [`Scorer`].
///
/// ```
/// use userops::rfm::{Method, ScoreParams};
/// let scorer = ScoreParams::new(Method::RfmR)
///     .bins(5)
///     .recency(Method::Breaks(vec![115.0, 181.0, 297.0, 482.0]))
///     .weights(2.0, 1.0, 1.0)
///     .check()?;
/// assert_eq!(scorer.params().bins, 5);
/// assert!(ScoreParams::new(Method::Quantile).bins(12).check().is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScoreParams {
    /// Method for recency (scores reversed: the most recent customers score highest).
    pub recency: Method,
    /// Method for frequency.
    pub frequency: Method,
    /// Method for monetary value.
    pub monetary: Method,
    /// Number of scores for the automatic methods (2 to 9; default 5). Breaks give their own
    /// count.
    pub bins: u8,
    /// Weights of the score sum.
    pub weights: Weights,
    /// What frequency counts.
    pub frequency_measure: FrequencyMeasure,
}

impl ScoreParams {
    /// The same method for all three dimensions, 5 bins, weights 1, frequency = orders.
    ///
    /// ```
    /// let p = userops::rfm::ScoreParams::new(userops::rfm::Method::Quantile);
    /// assert_eq!(p.bins, 5);
    /// ```
    #[must_use]
    pub fn new(method: Method) -> Self {
        ScoreParams {
            recency: method.clone(),
            frequency: method.clone(),
            monetary: method,
            bins: 5,
            weights: Weights::default(),
            frequency_measure: FrequencyMeasure::Orders,
        }
    }

    /// Sets the number of bins of the automatic methods.
    ///
    /// ```
    /// let p = userops::rfm::ScoreParams::new(userops::rfm::Method::Ntile).bins(4);
    /// assert_eq!(p.bins, 4);
    /// ```
    #[must_use]
    pub fn bins(mut self, bins: u8) -> Self {
        self.bins = bins;
        self
    }

    /// Sets the recency method.
    ///
    /// ```
    /// use userops::rfm::{Method, ScoreParams};
    /// let p = ScoreParams::new(Method::Quantile).recency(Method::Breaks(vec![30.0, 90.0]));
    /// assert_eq!(p.recency, Method::Breaks(vec![30.0, 90.0]));
    /// ```
    #[must_use]
    pub fn recency(mut self, method: Method) -> Self {
        self.recency = method;
        self
    }

    /// Sets the frequency method.
    ///
    /// ```
    /// use userops::rfm::{Method, ScoreParams};
    /// let p = ScoreParams::new(Method::Quantile).frequency(Method::Breaks(vec![2.0, 5.0]));
    /// assert_eq!(p.frequency, Method::Breaks(vec![2.0, 5.0]));
    /// ```
    #[must_use]
    pub fn frequency(mut self, method: Method) -> Self {
        self.frequency = method;
        self
    }

    /// Sets the monetary method.
    ///
    /// ```
    /// use userops::rfm::{Method, ScoreParams};
    /// let p = ScoreParams::new(Method::Quantile).monetary(Method::Ntile);
    /// assert_eq!(p.monetary, Method::Ntile);
    /// ```
    #[must_use]
    pub fn monetary(mut self, method: Method) -> Self {
        self.monetary = method;
        self
    }

    /// Sets the weights of the score sum.
    ///
    /// ```
    /// let p = userops::rfm::ScoreParams::new(userops::rfm::Method::Quantile).weights(3.0, 2.0, 1.0);
    /// assert_eq!(p.weights.r, 3.0);
    /// ```
    #[must_use]
    pub fn weights(mut self, r: f64, f: f64, m: f64) -> Self {
        self.weights = Weights { r, f, m };
        self
    }

    /// Sets what frequency counts.
    ///
    /// ```
    /// use userops::rfm::{FrequencyMeasure, Method, ScoreParams};
    /// let p = ScoreParams::new(Method::Quantile).frequency_measure(FrequencyMeasure::PurchaseDays);
    /// assert_eq!(p.frequency_measure, FrequencyMeasure::PurchaseDays);
    /// ```
    #[must_use]
    pub fn frequency_measure(mut self, measure: FrequencyMeasure) -> Self {
        self.frequency_measure = measure;
        self
    }

    /// Checks the parameters once.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] naming the parameter: `bins` outside 2..=9, breaks that are
    /// not finite or not strictly increasing (`recency_breaks`, ...), more than 8 breaks,
    /// weights negative, not finite or all zero.
    ///
    /// ```
    /// use userops::rfm::{Method, ScoreParams};
    /// let err = ScoreParams::new(Method::Quantile)
    ///     .monetary(Method::Breaks(vec![10.0, 10.0])).check().unwrap_err();
    /// assert!(err.to_string().contains("monetary_breaks"));
    /// ```
    pub fn check(self) -> Result<Scorer> {
        if !(2..=9).contains(&self.bins) {
            return Err(Error::invalid(
                "bins",
                format!("must be between 2 and 9, got {}", self.bins),
            ));
        }
        for (name, m) in [
            ("recency_breaks", &self.recency),
            ("frequency_breaks", &self.frequency),
            ("monetary_breaks", &self.monetary),
        ] {
            if let Method::Breaks(b) = m {
                check_breaks(name, b)?;
            }
        }
        let w = self.weights;
        if [w.r, w.f, w.m].iter().any(|x| !x.is_finite() || *x < 0.0) {
            return Err(Error::invalid(
                "weights",
                format!(
                    "each weight must be finite and not negative, got ({}, {}, {})",
                    w.r, w.f, w.m
                ),
            ));
        }
        if w.r + w.f + w.m == 0.0 {
            return Err(Error::invalid(
                "weights",
                "at least one weight must be positive",
            ));
        }
        Ok(Scorer { params: self })
    }
}

/// Checked [`ScoreParams`]: scores tables.
#[derive(Debug, Clone, PartialEq)]
pub struct Scorer {
    params: ScoreParams,
}

impl Scorer {
    /// The checked parameters.
    ///
    /// ```
    /// let s = userops::rfm::ScoreParams::new(userops::rfm::Method::Quantile).check()?;
    /// assert_eq!(s.params().bins, 5);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn params(&self) -> &ScoreParams {
        &self.params
    }

    /// Scores every customer of a summary straight from its per-user state, without building
    /// the [`RfmTable`] first (the same result as `score(&summary.finish()?)`, with less memory
    /// and one pass less).
    ///
    /// # Errors
    /// As [`Scorer::score`].
    ///
    /// ```
    /// use chrono::{TimeZone, Utc};
    /// use userops::event::EventRecord;
    /// use userops::fold::{fold, Summary};
    /// use userops::rfm::{Method, RfmSummary, ScoreParams};
    /// let day = |d| Utc.with_ymd_and_hms(2025, 1, d, 0, 0, 0).unwrap();
    /// let log: Vec<_> = (1..=9_u32).map(|d| EventRecord::<u32>::new(d, day(d)).with_amount(f64::from(d))).collect();
    /// let scorer = ScoreParams::new(Method::Quantile).check()?;
    /// let direct = scorer.score_summary(fold(RfmSummary::new(day(10)), &log)?)?;
    /// let via_table = scorer.score(&fold(RfmSummary::new(day(10)), &log)?.finish()?)?;
    /// assert_eq!(direct, via_table);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn score_summary<U>(&self, summary: RfmSummary<U>) -> Result<RfmScores<U>>
    where
        U: Clone + Eq + Hash + Ord,
    {
        self.score_parts(summary.into_parts(), |parts, n, plan| {
            let mut customers = crate::engine::column(n);
            for (offset, Part { users, states }) in with_offsets(parts) {
                customers.extend(
                    users
                        .into_iter()
                        .zip(&states)
                        .enumerate()
                        .map(|(i, (user, st))| plan.customer(offset + i, *st, user)),
                );
            }
            customers
        })
    }

    /// [`Scorer::score_summary`] with every pass over the customers split over rayon's
    /// current threads (feature `parallel`; the ids must be `Send`). The same result.
    ///
    /// # Errors
    /// As [`Scorer::score`].
    ///
    /// ```
    /// use chrono::{TimeZone, Utc};
    /// use userops::event::EventRecord;
    /// use userops::fold::{fold, fold_par};
    /// use userops::rfm::{Method, RfmSummary, ScoreParams};
    /// let day = |d| Utc.with_ymd_and_hms(2025, 1, d, 0, 0, 0).unwrap();
    /// let log: Vec<_> = (1..=9_u32).map(|d| EventRecord::<u32>::new(d, day(d)).with_amount(f64::from(d))).collect();
    /// let scorer = ScoreParams::new(Method::Quantile).check()?;
    /// let par = scorer.score_summary_par(fold_par(&RfmSummary::new(day(10)), &log)?)?;
    /// let one = scorer.score_summary(fold(RfmSummary::new(day(10)), &log)?)?;
    /// assert_eq!(par, one);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[cfg(feature = "parallel")]
    pub fn score_summary_par<U>(&self, summary: RfmSummary<U>) -> Result<RfmScores<U>>
    where
        U: Clone + Eq + Hash + Ord + Send,
    {
        use rayon::prelude::*;
        self.score_parts(summary.into_parts(), |parts, n, plan| {
            // Each part written in place, over all threads (an indexed iterator: no lists to
            // join), so that the parts of `fold_par` are never copied into one.
            let mut customers = crate::engine::column(n);
            for (offset, Part { users, states }) in with_offsets(parts) {
                customers.par_extend(
                    users
                        .into_par_iter()
                        .zip(&states)
                        .enumerate()
                        .map(|(i, (user, st))| plan.customer(offset + i, *st, user)),
                );
            }
            customers
        })
    }

    /// Scores a summary's parts straight from its states, `build` making the `n` rows from
    /// the parts with [`Plan::customer`] (a generic call, inlined per row); a state that
    /// cannot be scored straight (an overflowed sum) sends the parts down the table road,
    /// which reports it.
    fn score_parts<U, B>(&self, parts: SummaryParts<U>, build: B) -> Result<RfmScores<U>>
    where
        U: Clone,
        B: FnOnce(Vec<Part<U>>, usize, &Plan<'_>) -> Vec<ScoredCustomer<U>>,
    {
        let n = parts.len();
        let Some(plan) = self.plan(parts.as_of_ms, &parts.parts, n, parts.day_counts.as_deref())?
        else {
            return self.score(&RfmSummary::table_from_parts(parts));
        };
        let customers = build(parts.parts, n, &plan);
        Ok(plan.into_scores(customers))
    }

    /// The binners of a summary's parts (`n` states in all), or `None` when a state cannot be
    /// scored straight (a sum that overflowed: the table road then reports it).
    fn plan<'a, U>(
        &'a self,
        as_of_ms: i64,
        parts: &[Part<U>],
        n: usize,
        days: Option<&'a [u32]>,
    ) -> Result<Option<Plan<'a>>> {
        // Only the states cross threads (the ids need not be `Sync`).
        let parts: Vec<&[PurchaseState]> = parts.iter().map(|p| p.states.as_slice()).collect();
        let parts = parts.as_slice();
        let states = || parts.iter().flat_map(|p| p.iter());
        if n == 0 {
            return Err(Error::Empty("no customers to score"));
        }
        let p = &self.params;
        let measure = p.frequency_measure;
        if measure == FrequencyMeasure::PurchaseDays && days.is_none() {
            return Err(Error::invalid(
                "frequency_measure",
                "purchase days were not counted: build the summary with distinct_days(zone) or score by orders",
            ));
        }
        let freq = |i: usize, orders: u64| -> u64 {
            match measure {
                FrequencyMeasure::Orders => orders,
                FrequencyMeasure::PurchaseDays => {
                    u64::from(days.and_then(|d| d.get(i).copied()).unwrap_or(0))
                }
            }
        };
        // The three dimensions are binned independently (on two threads with the `parallel`
        // feature). Each work column is built in one pass that also finds its range; whole
        // order counts are binned off their counts, with no column.
        let (r_bin, (f_bin, m_bin)) = crate::fold::join(
            || {
                // Kept for the rows (the binner only reads it).
                let (rec, range) = column(parts, n, |st| st.recency_days(as_of_ms));
                binner_in_range(&rec, &p.recency, p.bins, range).map(|b| (b, rec))
            },
            || {
                let frequencies = states().enumerate().map(|(i, st)| freq(i, st.orders()));
                let f_bin = match count_binner(frequencies, &p.frequency, p.bins) {
                    Some(b) => Ok(b),
                    None => {
                        let mut i = 0;
                        let (fre, range) = column(parts, n, |st| {
                            let f = freq(i, st.orders());
                            i += 1;
                            f as f64
                        });
                        binner_in_range(&fre, &p.frequency, p.bins, range)
                    }
                };
                // Every slot has an order and sums of finite amounts are finite unless they
                // overflow: the table road takes those (and reports them).
                let mut finite = true;
                let (mon, range) = column(parts, n, |st| {
                    let v = st.monetary();
                    finite &= v.is_finite(); // NaN too (+inf and -inf parts merged)
                    v
                });
                let usable = finite;
                let m_bin = usable.then(|| binner_in_range(&mon, &p.monetary, p.bins, range));
                (f_bin, m_bin)
            },
        );
        let Some(m_bin) = m_bin else {
            return Ok(None);
        };
        let ((r_bin, recency), f_bin, m_bin) = (r_bin?, f_bin?, m_bin?);
        Ok(Some(Plan {
            params: p,
            days,
            recency,
            r_top: r_bin.thresholds.bins + 1,
            r_bin,
            f_bin,
            m_bin,
            sums: (0..1000_u16)
                .map(|s| {
                    let digit = |d: u16| u8::try_from(d % 10).unwrap_or(0);
                    weighted_sum(p.weights, digit(s / 100), digit(s / 10), digit(s))
                })
                .collect(),
        }))
    }

    /// Scores every customer of `table`.
    ///
    /// # Errors
    /// * [`Error::Empty`] when the table has no customers;
    /// * [`Error::InvalidParameter`] (`frequency_measure`) when frequency is purchase days but
    ///   the table has none;
    /// * [`Error::Overflow`] when a customer's monetary total is infinite (amounts whose sum
    ///   passed `f64::MAX`);
    /// * [`Error::NonFinite`] when a value is NaN (or a recency infinite; only possible in a
    ///   table built by hand).
    ///
    /// ```
    /// use userops::rfm::{CustomerRow, Method, RfmTable, ScoreParams};
    /// let rows = (1..=10).map(|i| CustomerRow::new(i, f64::from(i), i as u64, 10.0 * f64::from(i)));
    /// let table = RfmTable::<i32>::from_customers(rows)?;
    /// let scores = ScoreParams::new(Method::Quantile).check()?.score(&table)?;
    /// let first = &scores.customers[0]; // recency 1 day, 1 order, 10.0
    /// assert_eq!((first.r, first.f, first.m, first.rfm_score), (5, 1, 1, 511));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn score<U: Clone>(&self, table: &RfmTable<U>) -> Result<RfmScores<U>> {
        let n = table.customers.len();
        if n == 0 {
            return Err(Error::Empty("no customers to score"));
        }
        let p = &self.params;
        let measure = p.frequency_measure;
        for (i, c) in table.customers.iter().enumerate() {
            if c.monetary.is_infinite() {
                // Finite amounts whose sum passed f64::MAX (the summaries add them up).
                return Err(Error::Overflow {
                    what: format!("the monetary total of customer {} of the table", i + 1),
                    hint: crate::checked::SCALE_HINT,
                });
            }
            for (field, v) in [("recency_days", c.recency_days), ("monetary", c.monetary)] {
                if !v.is_finite() {
                    return Err(Error::NonFinite {
                        field,
                        value: v,
                        user: String::new(),
                    });
                }
            }
            if measure == FrequencyMeasure::PurchaseDays && c.purchase_days.is_none() {
                return Err(Error::invalid(
                    "frequency_measure",
                    "purchase days were not counted: build the summary with distinct_days(zone) or score by orders",
                ));
            }
        }
        // One pass over the table fills the three work buffers (selection reorders them);
        // scores are then read off the table in a second pass.
        let mut rec = Vec::with_capacity(n);
        let mut fre = Vec::with_capacity(n);
        let mut mon = Vec::with_capacity(n);
        for c in &table.customers {
            rec.push(c.recency_days);
            fre.push(frequency_of(c, measure) as f64);
            mon.push(c.monetary);
        }
        let r_bin = binner(&rec, &p.recency, p.bins)?;
        let f_bin = binner(&fre, &p.frequency, p.bins)?;
        let m_bin = binner(&mon, &p.monetary, p.bins)?;
        drop((rec, fre, mon));
        let r_bins = r_bin.thresholds.bins;
        let w = p.weights;
        let customers = table
            .customers
            .iter()
            .enumerate()
            .map(|(i, c)| {
                // Recency: the most recent (smallest days) scores highest.
                let r = r_bins + 1 - r_bin.score(i, c.recency_days);
                let frequency = frequency_of(c, measure);
                let f = f_bin.score(i, frequency as f64);
                let m = m_bin.score(i, c.monetary);
                ScoredCustomer {
                    user: c.user.clone(),
                    recency_days: c.recency_days,
                    frequency,
                    orders: c.orders,
                    monetary: c.monetary,
                    r,
                    f,
                    m,
                    rfm_score: u16::from(r) * 100 + u16::from(f) * 10 + u16::from(m),
                    score_sum: weighted_sum(w, r, f, m),
                }
            })
            .collect();
        let mut r_t = r_bin.thresholds;
        for b in &mut r_t.bands {
            b.score = r_bins + 1 - b.score;
        }
        Ok(RfmScores {
            params: p.clone(),
            recency: r_t,
            frequency: f_bin.thresholds,
            monetary: m_bin.thresholds,
            customers,
        })
    }
}

/// The column of `value` over the `n` states of `parts` in slot order, and its minimum and
/// maximum (of the values that are not NaN).
fn column(
    parts: &[&[PurchaseState]],
    n: usize,
    mut value: impl FnMut(&PurchaseState) -> f64,
) -> (Vec<f64>, (f64, f64)) {
    let mut out = crate::engine::column(n);
    for part in parts {
        out.extend(part.iter().map(&mut value));
    }
    let range = crate::rfm::binning::min_max(&out);
    (out, range)
}

/// The parts with the slot of each one's first state.
fn with_offsets<U>(parts: Vec<Part<U>>) -> impl Iterator<Item = (usize, Part<U>)> {
    parts.into_iter().scan(0, |next, part| {
        let offset = *next;
        *next += part.states.len();
        Some((offset, part))
    })
}

/// Everything scoring a summary's customer needs besides its id and state: the three
/// binners and the recency column.
struct Plan<'a> {
    params: &'a ScoreParams,
    days: Option<&'a [u32]>,
    /// Every customer's recency in days (the binner's column).
    recency: Vec<f64>,
    /// The recency score count plus one (recency scores are reversed).
    r_top: u8,
    r_bin: Binner,
    f_bin: Binner,
    m_bin: Binner,
    /// [`weighted_sum`] of every `rfm_score` below 1000 (scores are single digits), so that a
    /// row reads its sum instead of computing it.
    sums: Vec<f64>,
}

/// `w_r * r + w_f * f + w_m * m`.
#[inline]
fn weighted_sum(w: Weights, r: u8, f: u8, m: u8) -> f64 {
    w.r * f64::from(r) + w.f * f64::from(f) + w.m * f64::from(m)
}

impl Plan<'_> {
    /// Customer `i` (a slot of the summary, with state `st`) scored.
    #[inline]
    fn customer<U>(&self, i: usize, st: PurchaseState, user: U) -> ScoredCustomer<U> {
        // The column has a place for every customer (no fallback is ever taken).
        let recency_days = self.recency.get(i).copied().unwrap_or(0.0);
        let frequency = match self.params.frequency_measure {
            FrequencyMeasure::Orders => st.orders(),
            FrequencyMeasure::PurchaseDays => {
                u64::from(self.days.and_then(|d| d.get(i).copied()).unwrap_or(0))
            }
        };
        let r = self.r_top - self.r_bin.score(i, recency_days);
        let f = self.f_bin.score(i, frequency as f64);
        let m = self.m_bin.score(i, st.monetary());
        let rfm_score = u16::from(r) * 100 + u16::from(f) * 10 + u16::from(m);
        ScoredCustomer {
            user,
            recency_days,
            frequency,
            orders: st.orders(),
            monetary: st.monetary(),
            r,
            f,
            m,
            rfm_score,
            score_sum: self
                .sums
                .get(usize::from(rfm_score))
                .copied()
                .unwrap_or_else(|| weighted_sum(self.params.weights, r, f, m)),
        }
    }

    /// The report around the scored customers.
    fn into_scores<U>(self, customers: Vec<ScoredCustomer<U>>) -> RfmScores<U> {
        let mut r_t = self.r_bin.thresholds;
        for b in &mut r_t.bands {
            b.score = self.r_top - b.score;
        }
        RfmScores {
            params: self.params.clone(),
            recency: r_t,
            frequency: self.f_bin.thresholds,
            monetary: self.m_bin.thresholds,
            customers,
        }
    }
}

#[inline]
fn frequency_of<U>(c: &super::CustomerRfm<U>, m: FrequencyMeasure) -> u64 {
    match m {
        FrequencyMeasure::Orders => c.orders,
        FrequencyMeasure::PurchaseDays => u64::from(c.purchase_days.unwrap_or(0)),
    }
}

/// One customer's scores.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScoredCustomer<U> {
    /// The customer.
    pub user: U,
    /// Days since the last purchase.
    pub recency_days: f64,
    /// Frequency as scored (orders or purchase days).
    pub frequency: u64,
    /// Number of orders (whatever frequency counts).
    pub orders: u64,
    /// Total amount.
    pub monetary: f64,
    /// Recency score (high = recent).
    pub r: u8,
    /// Frequency score.
    pub f: u8,
    /// Monetary score.
    pub m: u8,
    /// The scores as digits: `r * 100 + f * 10 + m` (e.g. 545).
    pub rfm_score: u16,
    /// `w_r * r + w_f * f + w_m * m` with the parameters' weights.
    pub score_sum: f64,
}

/// Every customer's scores and the thresholds used.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RfmScores<U> {
    /// The parameters used.
    pub params: ScoreParams,
    /// Recency thresholds (bands in ascending days; scores reversed).
    pub recency: Thresholds,
    /// Frequency thresholds.
    pub frequency: Thresholds,
    /// Monetary thresholds.
    pub monetary: Thresholds,
    /// One row per customer, in the table's order.
    pub customers: Vec<ScoredCustomer<U>>,
}

impl<U> RfmScores<U> {
    /// The largest score of any dimension (rules and health checks are checked against it).
    ///
    /// ```
    /// use userops::rfm::{CustomerRow, Method, RfmTable, ScoreParams};
    /// let t = RfmTable::<u8>::from_customers((1..=9).map(|i| CustomerRow::new(i, 1.0, 1, 1.0)))?;
    /// let s = ScoreParams::new(Method::Quantile).bins(3).check()?.score(&t)?;
    /// assert_eq!(s.max_score(), 3);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn max_score(&self) -> u8 {
        self.recency
            .bins
            .max(self.frequency.bins)
            .max(self.monetary.bins)
    }

    /// Number of scores per dimension `(r, f, m)`.
    ///
    /// ```
    /// use userops::rfm::{CustomerRow, Method, RfmTable, ScoreParams};
    /// let t = RfmTable::<u8>::from_customers((1..=9).map(|i| CustomerRow::new(i, 1.0, 1, 1.0)))?;
    /// let s = ScoreParams::new(Method::Quantile)
    ///     .recency(Method::Breaks(vec![7.0])).check()?.score(&t)?;
    /// assert_eq!(s.bins(), (2, 5, 5));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn bins(&self) -> (u8, u8, u8) {
        (self.recency.bins, self.frequency.bins, self.monetary.bins)
    }
}

fn write_thresholds(f: &mut fmt::Formatter<'_>, name: &str, t: &Thresholds) -> fmt::Result {
    let (open, close) = match t.closed {
        super::Closed::Left => ("[", ")"),
        super::Closed::Right => ("(", "]"),
        super::Closed::Rank => ("[", "]"),
    };
    write!(f, "{name:<10} {:<9}", t.method.name())?;
    for (i, b) in t.bands.iter().enumerate() {
        let o = if i == 0 { "[" } else { open };
        write!(
            f,
            " {}:{o}{}, {}{close}",
            b.score,
            Trim(b.lower),
            Trim(b.upper)
        )?;
    }
    writeln!(f)
}

/// Prints a float without trailing zeros.
struct Trim(f64);

impl fmt::Display for Trim {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = format!("{:.4}", self.0);
        let s = if s.contains('.') {
            s.trim_end_matches('0').trim_end_matches('.').to_string()
        } else {
            s
        };
        f.pad(&s)
    }
}

impl<U: fmt::Display> fmt::Display for RfmScores<U> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "thresholds (score: values)")?;
        write_thresholds(f, "recency", &self.recency)?;
        write_thresholds(f, "frequency", &self.frequency)?;
        write_thresholds(f, "monetary", &self.monetary)?;
        writeln!(
            f,
            "{:<20} {:>12} {:>9} {:>12} {:>2} {:>2} {:>2} {:>5} {:>6}",
            "customer", "recency_days", "frequency", "monetary", "r", "f", "m", "rfm", "sum"
        )?;
        crate::report::rows(f, &self.customers, "customers", |f, c| {
            writeln!(
                f,
                "{:<20} {:>12} {:>9} {:>12.2} {:>2} {:>2} {:>2} {:>5} {:>6}",
                c.user.to_string(),
                Trim(c.recency_days).to_string(),
                c.frequency,
                c.monetary,
                c.r,
                c.f,
                c.m,
                c.rfm_score,
                Trim(c.score_sum).to_string()
            )
        })?;
        write!(f, "{} customers scored", self.customers.len())
    }
}
