//! What every BTYD model shares: the customer row, the time unit, fit options and the fit
//! report, the compression of customers into unique weighted rows, and the fit driver.

use std::fmt;

use serde::{Deserialize, Serialize, de::DeserializeOwned};

use super::optim;
use crate::{Error, Result};

/// The unit BTYD times (recency, T, horizons) are measured in.
///
/// ```
/// use userops::ltv::TimeUnit;
/// assert_eq!(TimeUnit::parse("week")?, TimeUnit::Week);
/// assert_eq!(TimeUnit::Week.days(), 7.0);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TimeUnit {
    /// Days.
    Day,
    /// Weeks of 7 days (fractional: 10 days are 1.43 weeks).
    Week,
}

impl TimeUnit {
    /// Parses `day`/`days`/`d` or `week`/`weeks`/`w` (any case).
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] naming `unit` for anything else.
    ///
    /// ```
    /// assert!(userops::ltv::TimeUnit::parse("month").is_err());
    /// ```
    pub fn parse(text: &str) -> Result<TimeUnit> {
        match text.trim().to_ascii_lowercase().as_str() {
            "day" | "days" | "d" => Ok(TimeUnit::Day),
            "week" | "weeks" | "w" => Ok(TimeUnit::Week),
            other => Err(Error::invalid(
                "unit",
                format!("expected day or week, got {other:?}"),
            )),
        }
    }

    /// Days in one unit.
    ///
    /// ```
    /// assert_eq!(userops::ltv::TimeUnit::Day.days(), 1.0);
    /// ```
    #[must_use]
    pub fn days(self) -> f64 {
        match self {
            TimeUnit::Day => 1.0,
            TimeUnit::Week => 7.0,
        }
    }

    /// `value`, a time in this unit, in unit `to` (`TimeUnit::Day.convert(14.0, TimeUnit::Week)`
    /// is 2 weeks). Exact when `to` is this unit.
    ///
    /// ```
    /// use userops::ltv::TimeUnit;
    /// assert_eq!(TimeUnit::Day.convert(14.0, TimeUnit::Week), 2.0);
    /// assert_eq!(TimeUnit::Week.convert(2.0, TimeUnit::Day), 14.0);
    /// assert_eq!(TimeUnit::Week.convert(2.5, TimeUnit::Week), 2.5);
    /// ```
    #[must_use]
    pub fn convert(self, value: f64, to: TimeUnit) -> f64 {
        match (self, to) {
            (TimeUnit::Day, TimeUnit::Week) => value / 7.0,
            (TimeUnit::Week, TimeUnit::Day) => value * 7.0,
            _ => value,
        }
    }

    /// Units in one month: 4.345 weeks, as `lifetimes`' `customer_lifetime_value` counts a
    /// month of a weekly model, and the same month in days (4.345 × 7 = 30.415), so that a
    /// CLV does not depend on the unit a model was fitted in. (`lifetimes` counts 30 days for
    /// a daily model, a month 1.4 % shorter than its weekly one.)
    ///
    /// ```
    /// use userops::ltv::TimeUnit;
    /// assert_eq!(TimeUnit::Week.per_month(), 4.345);
    /// assert_eq!(TimeUnit::Day.per_month(), TimeUnit::Week.convert(4.345, TimeUnit::Day));
    /// ```
    #[must_use]
    pub fn per_month(self) -> f64 {
        TimeUnit::Week.convert(4.345, self)
    }
}

impl fmt::Display for TimeUnit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TimeUnit::Day => "day",
            TimeUnit::Week => "week",
        })
    }
}

/// One customer as the BTYD models see them: frequency `x` (repeat purchases), recency `t_x`
/// (time of the last purchase since the first), age `T` (time since the first purchase at the
/// end of calibration) and monetary (mean spend of the repeat purchases; only the spend model
/// reads it).
///
/// A row is a plain set of numbers: its times are in the [`TimeUnit`] of the model it is given
/// to ([`TransactionModel::unit`]). A [`crate::ltv::BtydReport`] carries its unit and hands out
/// rows in any unit ([`crate::ltv::BtydReport::customers_in`]); the unit-checked roads
/// ([`crate::ltv::ClvReport::from_summary`]) take the report itself.
///
/// ```
/// use userops::ltv::Customer;
/// let c = Customer::new(2, 30.43, 38.86)?.with_monetary(22.35);
/// assert_eq!(c.frequency, 2);
/// assert!(Customer::new(2, 40.0, 38.86).is_err()); // recency after T
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Customer {
    /// Repeat purchases `x` (purchase periods after the first).
    pub frequency: u32,
    /// Recency `t_x`: time from the first to the last purchase.
    pub recency: f64,
    /// Age `T`: time from the first purchase to the end of calibration.
    #[serde(rename = "T")]
    pub age: f64,
    /// Mean spend per repeat purchase (0 when there is none).
    #[serde(default)]
    pub monetary: f64,
}

impl Customer {
    /// A checked customer (monetary 0).
    ///
    /// # Errors
    /// [`Error::NonFinite`] for NaN/inf, [`Error::Negative`] for negative times,
    /// [`Error::InvalidInput`] when recency exceeds T or a customer without repeat purchases
    /// has a recency.
    ///
    /// ```
    /// assert!(userops::ltv::Customer::new(0, 0.0, 10.0).is_ok());
    /// ```
    pub fn new(frequency: u32, recency: f64, age: f64) -> Result<Customer> {
        let c = Customer {
            frequency,
            recency,
            age,
            monetary: 0.0,
        };
        c.check("")?;
        Ok(c)
    }

    /// Sets the mean repeat spend.
    ///
    /// ```
    /// let c = userops::ltv::Customer::new(1, 1.0, 2.0)?.with_monetary(9.5);
    /// assert_eq!(c.monetary, 9.5);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn with_monetary(mut self, monetary: f64) -> Customer {
        self.monetary = monetary;
        self
    }

    /// Whether [`Customer::check`] passes, without building an error (the fast test of the
    /// hot loops; they call `check` for the error only when this fails).
    #[inline]
    pub(crate) fn is_valid(&self) -> bool {
        self.recency.is_finite()
            && self.age.is_finite()
            && self.monetary.is_finite()
            && self.recency >= 0.0
            && self.age >= 0.0
            && self.recency <= self.age
            && (self.frequency != 0 || self.recency == 0.0)
    }

    /// Checks the row; `who` names it in errors (a row number or id).
    ///
    /// # Errors
    /// As [`Customer::new`]; a NaN/inf monetary is [`Error::NonFinite`].
    ///
    /// ```
    /// let c = userops::ltv::Customer { frequency: 1, recency: 3.0, age: 2.0, monetary: 0.0 };
    /// assert!(c.check("row 7").unwrap_err().to_string().contains("row 7"));
    /// ```
    pub fn check(&self, who: &str) -> Result<()> {
        for (field, value) in [
            ("recency", self.recency),
            ("T", self.age),
            ("monetary", self.monetary),
        ] {
            if !value.is_finite() {
                return Err(Error::NonFinite {
                    field,
                    value,
                    user: who.to_string(),
                });
            }
            if value < 0.0 && field != "monetary" {
                return Err(Error::Negative {
                    field,
                    value,
                    user: who.to_string(),
                    hint: "; times are measured from the first purchase",
                });
            }
        }
        if self.recency > self.age {
            return Err(Error::InvalidInput(format!(
                "{who}: recency {} is after T {}: the last purchase cannot be later than the end of calibration",
                self.recency, self.age
            )));
        }
        if self.frequency == 0 && self.recency != 0.0 {
            return Err(Error::InvalidInput(format!(
                "{who}: frequency is 0 but recency is {}: without repeat purchases recency must be 0",
                self.recency
            )));
        }
        Ok(())
    }
}

/// Checks every row of a customer table; errors name the row (0-based).
pub(crate) fn check_all(customers: &[Customer]) -> Result<()> {
    if customers.is_empty() {
        return Err(Error::Empty("no customers to fit"));
    }
    for (i, c) in customers.iter().enumerate() {
        // Name the row only when it is bad (formatting every row costs more than checking).
        if !c.is_valid() {
            c.check(&format!("row {i}"))?;
        }
    }
    Ok(())
}

/// Customers above which a fit first runs on an evenly spaced subsample of
/// [`SUBSAMPLE`] customers and starts the full fit from its estimates.
pub(crate) const WARM_START_ABOVE: usize = 200_000;
/// Size of the warm-start subsample.
pub(crate) const SUBSAMPLE: usize = 50_000;

/// Every k-th customer, about [`SUBSAMPLE`] of them.
pub(crate) fn subsample(customers: &[Customer]) -> Vec<Customer> {
    let step = (customers.len() / SUBSAMPLE).max(1);
    customers.iter().step_by(step).copied().collect()
}

/// A model's parameters: named values, checked on construction.
pub trait ModelParams:
    Sized + Clone + fmt::Debug + PartialEq + Serialize + DeserializeOwned
{
    /// The model's name as the `clv` example and JSON reports write it (`bgnbd`, ...).
    const MODEL: &'static str;
    /// Parameter names in order (`r`, `alpha`, ...).
    const NAMES: &'static [&'static str];
    /// Values in [`ModelParams::NAMES`] order.
    fn values(&self) -> Vec<f64>;
    /// Builds checked parameters from values in [`ModelParams::NAMES`] order, in time unit
    /// `unit`. The purchase-count models' rates are per unit time, so their parameters carry
    /// the unit; the spend model's (Gamma-Gamma, money per transaction) have no time unit and
    /// ignore it.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] unless every value is finite and positive.
    fn from_values(values: &[f64], unit: TimeUnit) -> Result<Self>;
    /// The time unit the parameters are in; `None` for the spend model, which has none.
    fn time_unit(&self) -> Option<TimeUnit>;
}

/// Checks that `values` has `names.len()` finite positive entries.
pub(crate) fn check_positive(names: &'static [&'static str], values: &[f64]) -> Result<()> {
    if values.len() != names.len() {
        return Err(Error::invalid(
            "params",
            format!(
                "expected {} values ({}), got {}",
                names.len(),
                names.join(", "),
                values.len()
            ),
        ));
    }
    for (name, v) in names.iter().zip(values) {
        if !(v.is_finite() && *v > 0.0) {
            return Err(Error::invalid(
                name,
                format!("must be a finite number > 0, got {v}"),
            ));
        }
    }
    Ok(())
}

/// Options for a maximum-likelihood fit.
///
/// ```
/// let o = userops::ltv::FitOptions::new().penalizer(0.01)?;
/// assert_eq!(o.penalizer, 0.01);
/// assert!(userops::ltv::FitOptions::new().penalizer(-1.0).is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct FitOptions {
    /// L2 penalizer as `lifetimes` applies it: the fit minimizes
    /// `-(mean log-likelihood) + penalizer * Σ params²`. 0 = plain maximum likelihood.
    pub penalizer: f64,
}

impl Default for FitOptions {
    fn default() -> Self {
        FitOptions::new()
    }
}

impl FitOptions {
    /// Plain maximum likelihood.
    ///
    /// ```
    /// assert_eq!(userops::ltv::FitOptions::new().penalizer, 0.0);
    /// ```
    #[must_use]
    pub fn new() -> Self {
        FitOptions { penalizer: 0.0 }
    }

    /// Sets the L2 penalizer.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] unless finite and `>= 0`.
    ///
    /// ```
    /// assert!(userops::ltv::FitOptions::new().penalizer(f64::NAN).is_err());
    /// ```
    pub fn penalizer(mut self, penalizer: f64) -> Result<Self> {
        if !(penalizer.is_finite() && penalizer >= 0.0) {
            return Err(Error::invalid(
                "penalizer",
                format!("must be a finite number >= 0, got {penalizer}"),
            ));
        }
        self.penalizer = penalizer;
        Ok(self)
    }
}

/// A fitted model: parameters, log-likelihood, standard errors and whether the optimizer
/// really converged.
///
/// JSON keys are a contract of the `clv` example:
/// `{"model","params","log_likelihood","customers","converged","std_errors",...}`.
///
/// ```
/// use userops::ltv::{BgNbdParams, FitReport, TimeUnit};
/// let p = BgNbdParams::new(0.2426, 4.4137, 0.7930, 2.4262, TimeUnit::Week)?;
/// let report = FitReport { model: "bgnbd".into(), params: p.clone(), log_likelihood: -9582.43,
///     customers: 2357, converged: true, std_errors: None, penalizer: 0.0, evaluations: 0,
///     message: String::new(), covariance: None };
/// let json = serde_json::to_string(&report)?;
/// assert!(json.starts_with("{\"model\":\"bgnbd\",\"params\":{\"r\":0.2426"));
/// let back: FitReport<BgNbdParams> = serde_json::from_str(&json)?;
/// assert_eq!(back, report);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(bound(deserialize = "P: DeserializeOwned"))]
pub struct FitReport<P> {
    /// Model name (`bgnbd`, `mbgnbd`, `pareto-nbd`, `gamma-gamma`).
    pub model: String,
    /// The maximum-likelihood (or penalized) estimates.
    pub params: P,
    /// Log-likelihood of the data at `params` (without the penalty).
    pub log_likelihood: f64,
    /// Customers the fit used.
    pub customers: u64,
    /// Whether the optimizer converged to an interior optimum with a positive definite Hessian.
    /// A fit that ran off to a boundary is `false`, never passed off as fine.
    pub converged: bool,
    /// Standard errors from the inverse Hessian of the negative log-likelihood in the natural
    /// parameters; `None` when the Hessian is not positive definite.
    pub std_errors: Option<P>,
    /// The L2 penalizer used.
    pub penalizer: f64,
    /// Likelihood evaluations the optimizer used.
    pub evaluations: usize,
    /// Why the fit did not converge (empty when it did).
    pub message: String,
    /// Covariance matrix of the estimates (the inverse Hessian of the negative
    /// log-likelihood in the natural parameters, rows and columns in
    /// [`ModelParams::NAMES`] order); `None` when the Hessian is not positive definite.
    /// `std_errors` are the square roots of its diagonal.
    #[serde(default)]
    pub covariance: Option<Vec<Vec<f64>>>,
}

impl<P: ModelParams> fmt::Display for FitReport<P> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{} fit on {} customers{}: log-likelihood {:.2}, {}",
            self.model,
            self.customers,
            self.params
                .time_unit()
                .map(|u| format!(" (times in {u}s)"))
                .unwrap_or_default(),
            self.log_likelihood,
            if self.converged {
                "converged".to_string()
            } else {
                format!("NOT converged: {}", self.message)
            }
        )?;
        writeln!(f, "{:<8} {:>12} {:>12}", "param", "estimate", "std error")?;
        let se = self.std_errors.as_ref().map(ModelParams::values);
        for (i, (name, v)) in P::NAMES.iter().zip(self.params.values()).enumerate() {
            match se.as_ref().and_then(|s| s.get(i)) {
                Some(s) => writeln!(f, "{name:<8} {v:>12.4} {s:>12.4}")?,
                None => writeln!(f, "{name:<8} {v:>12.4} {:>12}", "-")?,
            }
        }
        Ok(())
    }
}

/// Customers compressed into unique `(x, t_x, T)` rows with weights, and the distinct
/// frequencies (so per-frequency terms such as `lnΓ(r + x)` are computed once per value).
#[derive(Debug, Clone)]
pub(crate) struct Rows {
    pub x: Vec<f64>,
    pub tx: Vec<f64>,
    pub t: Vec<f64>,
    pub w: Vec<f64>,
    /// Index of each row's frequency in `xs`.
    pub xi: Vec<u32>,
    /// Distinct frequencies.
    pub xs: Vec<f64>,
    /// Index of each row's recency in `txs`.
    pub txi: Vec<u32>,
    /// Distinct recencies.
    pub txs: Vec<f64>,
    /// Index of each row's T in `ts`.
    pub ti: Vec<u32>,
    /// Distinct ages T.
    pub ts: Vec<f64>,
    /// Total weight (customers).
    pub total: f64,
}

impl Rows {
    pub(crate) fn from_customers(customers: &[Customer]) -> Rows {
        Rows::from_customers_packed(customers)
            .unwrap_or_else(|| Rows::from_customers_sorted(customers))
    }

    /// The fast path: rank the recencies and the ages among their distinct values (a hash
    /// table), pack `(x, rank of t_x, rank of T)` into one `u64` and radix-sort those. The rows
    /// come out exactly as [`Rows::from_customers_sorted`] makes them. `None` when the packed
    /// key would not fit in 64 bits.
    fn from_customers_packed(customers: &[Customer]) -> Option<Rows> {
        use super::keys::{Ranked, bits_for, radix_sort};
        let tx = Ranked::new(customers.iter().map(|c| c.recency.to_bits()))?;
        let t = Ranked::new(customers.iter().map(|c| c.age.to_bits()))?;
        let max_x = customers.iter().map(|c| c.frequency).max().unwrap_or(0);
        let (bx, btx, bt) = (
            bits_for(u64::from(max_x)),
            bits_for(tx.distinct.len() as u64),
            bits_for(t.distinct.len() as u64),
        );
        if bx + btx + bt > 64 {
            return None;
        }
        let mut keys: Vec<u64> = customers
            .iter()
            .zip(tx.rank.iter().zip(&t.rank))
            .map(|(c, (&rtx, &rt))| {
                (u64::from(c.frequency) << btx << bt) | (u64::from(rtx) << bt) | u64::from(rt)
            })
            .collect();
        radix_sort(&mut keys, bx + btx + bt);
        let tmask = (1_u64 << bt) - 1;
        let txmask = (1_u64 << btx) - 1;
        let txs: Vec<f64> = tx.distinct.iter().map(|b| f64::from_bits(*b)).collect();
        let ts: Vec<f64> = t.distinct.iter().map(|b| f64::from_bits(*b)).collect();
        // Count the unique rows first so that every column is allocated once, at its size.
        let m = 1 + keys.windows(2).filter(|p| p[0] != p[1]).count();
        let mut rows = Rows {
            x: Vec::with_capacity(m),
            tx: Vec::with_capacity(m),
            t: Vec::with_capacity(m),
            w: Vec::with_capacity(m),
            xi: Vec::with_capacity(m),
            xs: vec![],
            txi: Vec::with_capacity(m),
            txs: vec![],
            ti: Vec::with_capacity(m),
            ts: vec![],
            total: customers.len() as f64,
        };
        for run in keys.chunk_by(|a, b| a == b) {
            let k = run[0];
            let x = f64::from((k >> btx >> bt) as u32);
            let rtx = ((k >> bt) & txmask) as u32;
            let rt = (k & tmask) as u32;
            if rows.xs.last() != Some(&x) {
                rows.xs.push(x);
            }
            rows.xi.push((rows.xs.len() - 1) as u32);
            rows.x.push(x);
            rows.tx.push(txs[rtx as usize]);
            rows.t.push(ts[rt as usize]);
            rows.w.push(run.len() as f64);
            rows.txi.push(rtx);
            rows.ti.push(rt);
        }
        rows.txs = txs;
        rows.ts = ts;
        Some(rows)
    }

    /// The plain path: sort the `(x, t_x, T)` tuples.
    fn from_customers_sorted(customers: &[Customer]) -> Rows {
        // Sort the (x, t_x, T) keys and count runs: no hashing, and rows come out in key
        // order. Non-negative floats order like their bit patterns.
        let mut keys: Vec<(u32, u64, u64)> = customers
            .iter()
            .map(|c| (c.frequency, c.recency.to_bits(), c.age.to_bits()))
            .collect();
        keys.sort_unstable();
        let mut rows = Rows {
            x: vec![],
            tx: vec![],
            t: vec![],
            w: vec![],
            xi: vec![],
            xs: vec![],
            txi: vec![],
            txs: vec![],
            ti: vec![],
            ts: vec![],
            total: customers.len() as f64,
        };
        let mut tx_bits: Vec<u64> = Vec::new();
        let mut t_bits: Vec<u64> = Vec::new();
        for run in keys.chunk_by(|a, b| a == b) {
            let (x, tx, t) = run[0];
            if rows.xs.last() != Some(&f64::from(x)) {
                rows.xs.push(f64::from(x));
            }
            rows.xi.push((rows.xs.len() - 1) as u32);
            rows.x.push(f64::from(x));
            rows.tx.push(f64::from_bits(tx));
            rows.t.push(f64::from_bits(t));
            rows.w.push(run.len() as f64);
            tx_bits.push(tx);
            t_bits.push(t);
        }
        // Distinct recencies and ages, and each row's index among them.
        let distinct = |bits: &[u64]| -> (Vec<f64>, Vec<u32>) {
            let mut d = bits.to_vec();
            d.sort_unstable();
            d.dedup();
            let index = bits
                .iter()
                .map(|b| d.binary_search(b).unwrap_or(0) as u32)
                .collect();
            (d.into_iter().map(f64::from_bits).collect(), index)
        };
        (rows.txs, rows.txi) = distinct(&tx_bits);
        (rows.ts, rows.ti) = distinct(&t_bits);
        rows
    }

    pub(crate) fn len(&self) -> usize {
        self.x.len()
    }
}

/// Sums `f(i)` over rows `0..n`, in parallel with the `parallel` feature.
pub(crate) fn sum_rows(n: usize, f: impl Fn(usize) -> f64 + Sync + Send) -> f64 {
    #[cfg(feature = "parallel")]
    {
        if n >= 50_000 {
            use rayon::prelude::*;
            return (0..n).into_par_iter().with_min_len(8192).map(f).sum();
        }
    }
    (0..n).map(f).sum()
}

/// Sums the `k`-vector `f(i, acc)` adds over rows `0..n` (in parallel with `parallel`).
pub(crate) fn sum_rows_vec(
    n: usize,
    k: usize,
    f: impl Fn(usize, &mut [f64]) + Sync + Send,
) -> Vec<f64> {
    #[cfg(feature = "parallel")]
    {
        if n >= 50_000 {
            use rayon::prelude::*;
            return (0..n)
                .into_par_iter()
                .with_min_len(8192)
                .fold(
                    || vec![0.0; k],
                    |mut acc, i| {
                        f(i, &mut acc);
                        acc
                    },
                )
                .reduce(
                    || vec![0.0; k],
                    |mut a, b| {
                        for (x, y) in a.iter_mut().zip(b) {
                            *x += y;
                        }
                        a
                    },
                );
        }
    }
    let mut acc = vec![0.0; k];
    for i in 0..n {
        f(i, &mut acc);
    }
    acc
}

/// A log-likelihood and its gradient.
type LlAndGradient = (f64, Vec<f64>);

/// The log-likelihood of all the data and its gradient in the natural parameters.
pub(crate) type LlGrad<'a> = &'a (dyn Fn(&[f64]) -> (f64, Vec<f64>) + Sync);

/// The log-likelihood of all the data, its gradient and its Hessian in the natural
/// parameters (one pass over the rows).
pub(crate) type LlHess<'a> = &'a (dyn Fn(&[f64]) -> (f64, Vec<f64>, Vec<Vec<f64>>) + Sync);

/// A log-likelihood, its gradient and its Hessian.
type LlGradHess = (f64, Vec<f64>, Vec<Vec<f64>>);

/// How far, in `ln(param / scale)`, a parameter may move before the fit counts as one that
/// ran off to 0 or infinity: a factor e^16 ≈ 9e6. (A likelihood flat along a ridge, such as
/// BG/NBD or Pareto/NBD on customers who never drop out, lets BFGS crawl outwards with a
/// vanishing gradient; a fit that ended out there is reported as not converged.)
const BOUND: f64 = 16.0;

/// A starting point from a fit on a subsample: its estimates, and the inverse Hessian of the
/// mean objective in the optimizer's coordinates `ln(param / estimate)`.
pub(crate) struct Warm {
    scales: Vec<f64>,
    inv_hessian: Option<Vec<Vec<f64>>>,
}

impl Warm {
    /// The warm start a fit on `customers` gives, when it converged.
    pub(crate) fn from<P: ModelParams>(fit: Result<FitReport<P>>) -> Option<Warm> {
        let fit = fit.ok().filter(|f| f.converged)?;
        let p = fit.params.values();
        let n = fit.customers as f64;
        // f = -ll/n: its Hessian in θ = ln p is diag(p) H diag(p) / n at the optimum, so the
        // inverse is n diag(1/p) C diag(1/p) with C the covariance.
        let inv_hessian = fit.covariance.as_ref().map(|c| {
            c.iter()
                .enumerate()
                .map(|(i, row)| {
                    row.iter()
                        .enumerate()
                        .map(|(j, v)| n * v / (p[i] * p[j]))
                        .collect()
                })
                .collect()
        });
        Some(Warm {
            scales: p,
            inv_hessian,
        })
    }
}

/// Fits a model by maximum likelihood: `total_ll(params)` is the log-likelihood of all the
/// data, `customers` the number of customers behind it, `scales` the typical size of each
/// parameter (the optimizer works on `ln(param / scale)` starting at 0), replaced by the
/// estimates of a `warm` start when there is one.
// The likelihood, its derivatives, the data's size and scales, the start, the options and the
// data's time unit: each is a different thing, and a struct for one private call would only
// rename them.
#[allow(clippy::too_many_arguments)]
pub(crate) fn fit_model<P: ModelParams>(
    total_ll: &(dyn Fn(&[f64]) -> f64 + Sync),
    gradient: Option<LlGrad<'_>>,
    hessian: Option<LlHess<'_>>,
    customers: f64,
    scales: &[f64],
    warm: Option<Warm>,
    options: FitOptions,
    unit: TimeUnit,
) -> Result<FitReport<P>> {
    let (scales, h0, warm) = match warm {
        Some(w) => (w.scales, w.inv_hessian, true),
        None => (scales.to_vec(), None, false),
    };
    let scales = &scales[..];
    let pen = options.penalizer;
    let natural = |theta: &[f64]| -> Vec<f64> {
        theta.iter().zip(scales).map(|(t, s)| t.exp() * s).collect()
    };
    let objective = |theta: &[f64]| -> f64 {
        let p = natural(theta);
        let ll = total_ll(&p);
        if !ll.is_finite() {
            return f64::INFINITY;
        }
        -ll / customers + pen * p.iter().map(|v| v * v).sum::<f64>()
    };
    let start = vec![0.0; scales.len()];
    // With an exact gradient: BFGS on the log-parameters; if it does not converge, fall back
    // to the derivative-free search, which is slower but more patient.
    // The natural-scale (log-likelihood, gradient) of the points BFGS evaluated, so that the
    // one it stops at need not be evaluated again (one pass over the rows fewer).
    let seen: std::cell::RefCell<Vec<(Vec<f64>, LlAndGradient)>> =
        std::cell::RefCell::new(Vec::new());
    // With an exact Hessian and a warm start (already near the optimum): Newton's method,
    // which also leaves the Hessian at the point it stops at. The natural-scale results are
    // kept, so that the Hessian for the standard errors need not be computed again.
    let seen_hess: std::cell::RefCell<Vec<(Vec<f64>, LlGradHess)>> =
        std::cell::RefCell::new(Vec::new());
    let newton = hessian.filter(|_| warm).map(|hess| {
        let fgh = |theta: &[f64]| -> (f64, Vec<f64>, Vec<Vec<f64>>) {
            let p = natural(theta);
            let (ll, g, h) = hess(&p);
            let n = p.len();
            if !ll.is_finite() {
                return (f64::INFINITY, vec![0.0; n], vec![vec![0.0; n]; n]);
            }
            let f = -ll / customers + pen * p.iter().map(|v| v * v).sum::<f64>();
            // In θ = ln(p / scale): ∂F/∂θᵢ = pᵢ aᵢ with aᵢ = -gᵢ/n + 2 pen pᵢ, and
            // ∂²F/∂θᵢ∂θⱼ = pᵢ pⱼ (-Hᵢⱼ/n + 2 pen δᵢⱼ) + δᵢⱼ pᵢ aᵢ.
            let a: Vec<f64> = p
                .iter()
                .zip(&g)
                .map(|(pi, gi)| -gi / customers + 2.0 * pen * pi)
                .collect();
            let gt = p.iter().zip(&a).map(|(pi, ai)| pi * ai).collect();
            let ht = (0..n)
                .map(|i| {
                    (0..n)
                        .map(|j| {
                            let diag = if i == j { 2.0 * pen } else { 0.0 };
                            let extra = if i == j { p[i] * a[i] } else { 0.0 };
                            p[i] * p[j] * (-h[i][j] / customers + diag) + extra
                        })
                        .collect()
                })
                .collect();
            {
                let mut seen = seen_hess.borrow_mut();
                if seen.len() >= 4 {
                    seen.remove(0);
                }
                seen.push((theta.to_vec(), (ll, g, h)));
            }
            (f, gt, ht)
        };
        optim::newton(&fgh, &start, BOUND, 1e-9, 20)
    });
    let newton_evaluations = newton.as_ref().map_or(0, |o| o.evaluations);
    let quasi_newton = match newton {
        Some(o) if o.converged => Some(o),
        _ => gradient.map(|grad| {
            let fg = |theta: &[f64]| -> (f64, Vec<f64>) {
                let p = natural(theta);
                let (ll, g) = grad(&p);
                {
                    let mut seen = seen.borrow_mut();
                    if seen.len() >= 8 {
                        seen.remove(0);
                    }
                    seen.push((theta.to_vec(), (ll, g.clone())));
                }
                if !ll.is_finite() {
                    return (f64::INFINITY, vec![0.0; p.len()]);
                }
                let f = -ll / customers + pen * p.iter().map(|v| v * v).sum::<f64>();
                // d/dθ = p d/dp
                let gt = p
                    .iter()
                    .zip(&g)
                    .map(|(pi, gi)| pi * (-gi / customers + 2.0 * pen * pi))
                    .collect();
                (f, gt)
            };
            let mut o = optim::bfgs(&fg, &start, BOUND, 1e-9, h0);
            o.evaluations += newton_evaluations;
            o
        }),
    };
    let opt = match quasi_newton {
        Some(o) if o.converged => o,
        Some(o) => {
            let mut fallback =
                optim::minimize(&objective, &start, BOUND, if warm { 0.05 } else { 0.5 });
            fallback.evaluations += o.evaluations;
            fallback
        }
        None => optim::minimize(&objective, &start, BOUND, if warm { 0.05 } else { 0.5 }),
    };
    let p = natural(&opt.x);
    let params = P::from_values(&p, unit)?;
    // With a gradient, one call gives the log-likelihood and the gradient the forward
    // differences of the Hessian start from.
    let at_hess = seen_hess
        .borrow()
        .iter()
        .rev()
        .find(|(theta, _)| *theta == opt.x)
        .map(|(_, v)| v.clone());
    let at_optimum = gradient.map(|grad| {
        if let Some((ll, g, _)) = &at_hess {
            return (*ll, g.clone());
        }
        let cached = seen
            .borrow()
            .iter()
            .rev()
            .find(|(theta, _)| *theta == opt.x)
            .map(|(_, v)| v.clone());
        cached.unwrap_or_else(|| grad(&p))
    });
    let log_likelihood = match &at_optimum {
        Some((ll, _)) => *ll,
        None => total_ll(&p),
    };
    if !log_likelihood.is_finite() {
        return Err(Error::NonFinite {
            field: "log_likelihood",
            value: log_likelihood,
            user: String::new(),
        });
    }
    // Standard errors: inverse Hessian of the (penalized) negative log-likelihood, natural scale.
    let total_obj = |q: &[f64]| -> f64 {
        if q.iter().any(|v| v.is_nan() || *v <= 0.0) {
            return f64::NAN;
        }
        -total_ll(q) + customers * pen * q.iter().map(|v| v * v).sum::<f64>()
    };
    let h = match (hessian, gradient) {
        (Some(hess), _) => {
            // The exact Hessian: where Newton's method stopped, or one pass over the rows.
            let mut h = match at_hess {
                Some((_, _, h)) => h,
                None => hess(&p).2,
            };
            for (i, row) in h.iter_mut().enumerate() {
                for v in row.iter_mut() {
                    *v = -*v;
                }
                if let Some(d) = row.get_mut(i) {
                    *d += 2.0 * customers * pen;
                }
            }
            h
        }
        (None, Some(grad)) => {
            let penalized = |q: &[f64], g: &[f64]| -> Vec<f64> {
                g.iter()
                    .zip(q)
                    .map(|(gi, qi)| -gi + 2.0 * customers * pen * qi)
                    .collect()
            };
            let g = |q: &[f64]| -> Vec<f64> { penalized(q, &grad(q).1) };
            // Central differences; on large data forward differences from the gradient at the
            // optimum, which take 4 more gradients instead of 8 and are still accurate to
            // about 1e-5 there.
            match &at_optimum {
                Some((_, g0)) if customers > WARM_START_ABOVE as f64 => {
                    optim::hessian_from_gradient(&g, &p, 1e-5, Some(&penalized(&p, g0)))
                }
                _ => optim::hessian_from_gradient(&g, &p, 1e-4, None),
            }
        }
        (None, None) => optim::hessian(&total_obj, &p, 1e-3),
    };
    let covariance = optim::inverse_spd(&h).filter(|inv| {
        (0..p.len()).all(|i| inv[i][i].is_finite() && inv[i][i] > 0.0)
            && inv.iter().flatten().all(|v| v.is_finite())
    });
    let std_errors = covariance.as_ref().and_then(|inv| {
        let se: Vec<f64> = (0..p.len()).map(|i| inv[i][i].sqrt()).collect();
        P::from_values(&se, unit).ok()
    });
    let covariance = if std_errors.is_some() {
        covariance
    } else {
        None
    };
    let mut converged = opt.converged;
    let mut message = opt.message;
    if converged && std_errors.is_none() {
        converged = false;
        message = "the Hessian in the natural parameters is not positive definite".into();
    }
    Ok(FitReport {
        model: P::MODEL.to_string(),
        params,
        log_likelihood,
        customers: customers as u64,
        converged,
        std_errors,
        penalizer: pen,
        evaluations: opt.evaluations,
        message,
        covariance,
    })
}

/// What the purchase-count models (BG/NBD, MBG/NBD, Pareto/NBD) predict for a customer.
///
/// ```
/// use userops::ltv::{BgNbdParams, Customer, TimeUnit, TransactionModel};
/// let m = BgNbdParams::new(0.2426, 4.4137, 0.7930, 2.4262, TimeUnit::Week)?;
/// let c = Customer::new(2, 30.43, 38.86)?;
/// let p = m.p_alive(&c)?;
/// assert!(p > 0.0 && p < 1.0);
/// assert!(m.expected_purchases(&c, 52.0)? > m.expected_purchases(&c, 39.0)?);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub trait TransactionModel {
    /// The model's name (`bgnbd`, ...).
    fn model_name(&self) -> &'static str;

    /// The time unit of the model: every customer row and horizon given to it is measured
    /// in this unit (convert the model with its `in_unit`, or the rows with
    /// [`crate::ltv::BtydReport::customers_in`]).
    fn unit(&self) -> TimeUnit;

    /// Log-likelihood of one customer's `(x, t_x, T)`.
    ///
    /// # Errors
    /// An invalid customer row, or a non-finite result.
    fn log_likelihood(&self, customer: &Customer) -> Result<f64>;

    /// Probability the customer is still alive at `T`.
    ///
    /// # Errors
    /// An invalid customer row, or a non-finite result.
    fn p_alive(&self, customer: &Customer) -> Result<f64>;

    /// [`TransactionModel::p_alive`] of every customer, in order. Models override it with a
    /// batch that computes the terms customers with the same frequency share once.
    ///
    /// # Errors
    /// As [`TransactionModel::p_alive`], for the first customer that fails.
    ///
    /// ```
    /// use userops::ltv::{BgNbdParams, Customer, TimeUnit, TransactionModel};
    /// let m = BgNbdParams::new(0.2426, 4.4137, 0.7930, 2.4262, TimeUnit::Week)?;
    /// let cs = [Customer::new(2, 30.43, 38.86)?, Customer::new(0, 0.0, 38.86)?];
    /// let all = m.p_alive_all(&cs)?;
    /// assert_eq!(all.len(), 2);
    /// assert!((all[0] - m.p_alive(&cs[0])?).abs() < 1e-15);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    fn p_alive_all(&self, customers: &[Customer]) -> Result<Vec<f64>> {
        customers.iter().map(|c| self.p_alive(c)).collect()
    }

    /// Expected purchases in `(T, T + t]` given the customer's history.
    ///
    /// # Errors
    /// An invalid customer row, a negative or non-finite `t`, or a non-finite result.
    fn expected_purchases(&self, customer: &Customer, t: f64) -> Result<f64>;

    /// Expected purchases in `(T, T + t]` of a customer with `frequency` repeat purchases and
    /// age `T` who is alive at `T`. It does not depend on recency, so forecasts for many
    /// customers share it: [`TransactionModel::expected_purchases`] is
    /// `p_alive × expected_purchases_if_alive`.
    ///
    /// # Errors
    /// A negative or non-finite `t` or `age`, or a non-finite result.
    fn expected_purchases_if_alive(&self, frequency: u32, age: f64, t: f64) -> Result<f64>;

    /// Expected purchases in `(0, t]` of a customer just acquired (unconditional `E[X(t)]`).
    ///
    /// # Errors
    /// A negative or non-finite `t`, or a non-finite result.
    fn expected_purchases_new(&self, t: f64) -> Result<f64>;

    /// `P(X(t) = n)`: probability that a new customer makes exactly `n` repeat purchases in
    /// `(0, t]`.
    ///
    /// # Errors
    /// A negative or non-finite `t`, or a non-finite result.
    fn purchases_pmf(&self, n: u32, t: f64) -> Result<f64>;
}

/// Checks a horizon `t`.
pub(crate) fn check_horizon(t: f64) -> Result<()> {
    if !t.is_finite() {
        return Err(Error::NonFinite {
            field: "horizon",
            value: t,
            user: String::new(),
        });
    }
    if t < 0.0 {
        return Err(Error::Negative {
            field: "horizon",
            value: t,
            user: String::new(),
            hint: "",
        });
    }
    Ok(())
}

/// Turns a computed value into `Ok` when finite, else a [`Error::NonFinite`] naming it.
/// A probability computed by a series or a quadrature: rounding may take it a hair outside
/// `[0, 1]` (the `btyd` fuzz target found 1 + 2.4e-7), which is clamped; anything further out
/// means the method lost its precision and is an [`crate::Error::Numerical`].
pub(crate) fn probability(field: &'static str, v: f64) -> Result<f64> {
    let v = finite(field, v)?;
    if (-1e-6..=1.0 + 1e-6).contains(&v) {
        Ok(v.clamp(0.0, 1.0))
    } else {
        Err(crate::Error::Numerical(format!(
            "{field} = {v} is not a probability: the series lost its precision at these parameters"
        )))
    }
}

/// A model's expectation, which must be a finite number: NaN means the formula lost its
/// precision ([`Error::Numerical`]), an infinity that the expectation overflowed
/// ([`Error::Overflow`]); neither is a bad input value.
pub(crate) fn expectation(field: &'static str, v: f64) -> Result<f64> {
    if v.is_nan() {
        Err(Error::Numerical(format!(
            "{field} is NaN: the model's formula lost its precision for this customer and \
             horizon; use a shorter horizon (at most {} months for CLV)",
            crate::ltv::MAX_CLV_MONTHS
        )))
    } else if v.is_infinite() {
        Err(Error::Overflow {
            what: field.to_string(),
            hint: "the customer's history or the horizon is beyond what the model can forecast: use a shorter horizon",
        })
    } else {
        Ok(v)
    }
}

pub(crate) fn finite(field: &'static str, v: f64) -> Result<f64> {
    if v.is_finite() {
        Ok(v)
    } else {
        Err(Error::NonFinite {
            field,
            value: v,
            user: String::new(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn same(a: &Rows, b: &Rows) {
        assert_eq!(a.x, b.x);
        assert_eq!(a.tx, b.tx);
        assert_eq!(a.t, b.t);
        assert_eq!(a.w, b.w);
        assert_eq!(a.xi, b.xi);
        assert_eq!(a.xs, b.xs);
        assert_eq!(a.txi, b.txi);
        assert_eq!(a.txs, b.txs);
        assert_eq!(a.ti, b.ti);
        assert_eq!(a.ts, b.ts);
        assert_eq!(a.total, b.total);
    }

    #[test]
    fn is_valid_agrees_with_check() {
        let values = [0.0, -0.0, 1.0, 2.0, -1.0, f64::NAN, f64::INFINITY];
        for x in [0, 1] {
            for &tx in &values {
                for &t in &values {
                    for &m in &[0.0, -3.0, f64::NAN] {
                        let c = Customer {
                            frequency: x,
                            recency: tx,
                            age: t,
                            monetary: m,
                        };
                        assert_eq!(c.is_valid(), c.check("").is_ok(), "{c:?}");
                    }
                }
            }
        }
    }

    #[test]
    fn packed_rows_equal_sorted_rows() {
        // Repeats, a -0.0 recency, fractional weeks and a large frequency: the radix path must
        // give exactly the rows of the tuple sort.
        let mut customers = vec![
            Customer::new(0, -0.0, 3.0).unwrap(),
            Customer::new(0, 0.0, 3.0).unwrap(),
            Customer::new(4_000_000, 2.0, 3.0).unwrap(),
        ];
        for i in 0..20_000_u32 {
            let t = f64::from(i % 97) / 7.0 + 1.0;
            let x = (i * 31) % 13;
            let tx = if x == 0 {
                0.0
            } else {
                t * f64::from(i % 5) / 5.0
            };
            customers.push(Customer::new(x, tx, t).unwrap());
        }
        let packed = Rows::from_customers_packed(&customers).unwrap();
        same(&packed, &Rows::from_customers_sorted(&customers));
        assert!(packed.len() < customers.len());
        let small = &customers[..5];
        same(
            &Rows::from_customers(small),
            &Rows::from_customers_sorted(small),
        );
    }
}

/// Checks shared by the fits' unit tests: a warm-started Newton fit against the plain BFGS
/// fit, and an exact Hessian's covariance against central differences of the gradient.
#[cfg(test)]
pub(crate) mod fit_checks {
    use super::{FitReport, ModelParams};
    use crate::ltv::optim;

    /// Both converged to the same optimum, within a hundredth of a standard error, with
    /// standard errors within 1 % (they are taken at two slightly different points).
    pub(crate) fn assert_same_optimum<P: ModelParams + std::fmt::Debug>(
        fast: &FitReport<P>,
        plain: &FitReport<P>,
        what: &str,
    ) {
        assert!(
            fast.converged && plain.converged,
            "{what}: {} / {}\n{fast:?}\n{plain:?}",
            fast.message,
            plain.message
        );
        let (se_fast, se_plain) = (
            fast.std_errors.as_ref().unwrap().values(),
            plain.std_errors.as_ref().unwrap().values(),
        );
        for (k, (a, b)) in fast
            .params
            .values()
            .iter()
            .zip(plain.params.values())
            .enumerate()
        {
            assert!((a - b).abs() < 0.01 * se_plain[k], "{what} {k}: {a} vs {b}");
            assert!(
                (se_fast[k] / se_plain[k] - 1.0).abs() < 0.01,
                "{what} {k}: {se_fast:?} vs {se_plain:?}"
            );
        }
    }

    /// At `p`, the covariance from the exact Hessian `exact` of the log-likelihood equals the
    /// one from central differences of its gradient `grad`, within 1e-5 of the scale
    /// `sqrt(cov_ii cov_jj)`.
    pub(crate) fn assert_covariance_matches(
        exact: Vec<Vec<f64>>,
        grad: &dyn Fn(&[f64]) -> Vec<f64>,
        p: &[f64],
        what: &str,
    ) {
        let neg = |h: Vec<Vec<f64>>| -> Vec<Vec<f64>> {
            h.into_iter()
                .map(|r| r.into_iter().map(|v| -v).collect())
                .collect()
        };
        let exact = optim::inverse_spd(&neg(exact)).unwrap();
        let fd =
            optim::inverse_spd(&neg(optim::hessian_from_gradient(grad, p, 1e-4, None))).unwrap();
        for i in 0..p.len() {
            for j in 0..p.len() {
                let scale = (fd[i][i] * fd[j][j]).sqrt();
                assert!(
                    (exact[i][j] - fd[i][j]).abs() < 1e-5 * scale,
                    "{what} ({i},{j}): {exact:?} vs {fd:?}"
                );
            }
        }
    }
}
