//! Customer lifetime value: expected purchases × expected spend, discounted month by month as
//! `lifetimes`' `customer_lifetime_value` does.

use std::collections::HashMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use super::gamma_gamma::GammaGammaParams;
use super::keys::Ranked;
use super::model::{Customer, TimeUnit, TransactionModel};
use super::summary::BtydReport;
use crate::{Error, Result};

/// The longest CLV horizon, in months (100 years): the forecast is summed month by month, so
/// the horizon sets the work per customer.
pub const MAX_CLV_MONTHS: u32 = 1200;

/// Horizon and discounting of a CLV computation.
///
/// The options name no time unit: a month is counted in the transaction model's own unit
/// ([`TransactionModel::unit`]: 4.345 weeks, or the same month in days, see
/// [`TimeUnit::per_month`]), so a model fitted in days cannot be read as one in weeks.
///
/// ```
/// use userops::ltv::ClvOptions;
/// let o = ClvOptions::new(12)?.discount(0.01)?;
/// assert_eq!((o.months, o.monthly_discount), (12, 0.01));
/// assert!(ClvOptions::new(0).is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClvOptions {
    /// Horizon in months.
    pub months: u32,
    /// Discount rate per month (`0.01` = 1 % a month).
    pub monthly_discount: f64,
}

impl ClvOptions {
    /// A horizon of `months` months, no discount.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] naming `months` when it is 0, [`Error::TooLarge`] above
    /// [`MAX_CLV_MONTHS`].
    ///
    /// ```
    /// assert!(userops::ltv::ClvOptions::new(12).is_ok());
    /// ```
    pub fn new(months: u32) -> Result<Self> {
        let options = ClvOptions {
            months,
            monthly_discount: 0.0,
        };
        options.check()?;
        Ok(options)
    }

    /// Checks options built field by field: what [`ClvOptions::new`] and
    /// [`ClvOptions::discount`] check. [`clv`] and [`ClvReport::compute`] call it.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] naming `months` (0) or `discount` (not finite or `<= -1`),
    /// [`Error::TooLarge`] naming `months` above [`MAX_CLV_MONTHS`].
    ///
    /// ```
    /// use userops::ltv::ClvOptions;
    /// let o = ClvOptions { months: 1_000_000, monthly_discount: 0.0 };
    /// assert_eq!(o.check().unwrap_err().to_string(), "`months` asks for 1000000 months, \
    ///     more than the cap of 1200 months; forecast at most 100 years ahead");
    /// ```
    pub fn check(&self) -> Result<()> {
        if self.months == 0 {
            return Err(Error::invalid(
                "months",
                "the CLV horizon must be at least 1 month",
            ));
        }
        if self.months > MAX_CLV_MONTHS {
            return Err(Error::TooLarge {
                name: "months",
                requested: format!("{} months", self.months),
                cap: format!("{MAX_CLV_MONTHS} months"),
                hint: "forecast at most 100 years ahead",
            });
        }
        if !(self.monthly_discount.is_finite() && self.monthly_discount > -1.0) {
            return Err(Error::invalid(
                "discount",
                format!("must be a finite rate > -1, got {}", self.monthly_discount),
            ));
        }
        Ok(())
    }

    /// Sets the monthly discount rate.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] naming `discount` unless finite and `> -1`.
    ///
    /// ```
    /// assert!(userops::ltv::ClvOptions::new(12)?.discount(-1.0).is_err());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn discount(mut self, monthly_discount: f64) -> Result<Self> {
        if !(monthly_discount.is_finite() && monthly_discount > -1.0) {
            return Err(Error::invalid(
                "discount",
                format!("must be a finite rate > -1, got {monthly_discount}"),
            ));
        }
        self.monthly_discount = monthly_discount;
        Ok(self)
    }
}

/// Discounted expected purchases of a customer alive at `T`: `Σ_m (E(m f) - E((m-1) f)) /
/// (1+d)^m` with `f` of the model's time units per month.
fn discounted_if_alive<M: TransactionModel + ?Sized>(
    model: &M,
    x: u32,
    age: f64,
    o: &ClvOptions,
) -> Result<f64> {
    let f = model.unit().per_month();
    let mut prev = 0.0;
    let mut total = 0.0;
    let mut factor = 1.0;
    let what = || {
        format!(
            "the discounted purchases over {} months at a monthly discount of {}",
            o.months, o.monthly_discount
        )
    };
    for m in 1..=o.months {
        let e = model.expected_purchases_if_alive(x, age, f64::from(m) * f)?;
        // A rate near -1 multiplies the factor by up to 1e15 a month: past f64::MAX it is an
        // overflow, not an infinite CLV.
        factor /= 1.0 + o.monthly_discount;
        total += (e - prev) * factor;
        if !(factor.is_finite() && total.is_finite()) {
            return Err(Error::Overflow {
                what: what(),
                hint: "use a discount rate further from -1 or a shorter horizon",
            });
        }
        prev = e;
    }
    Ok(total)
}

/// CLV of each customer: Gamma-Gamma expected spend × the transaction model's expected
/// purchases per month, discounted (as `lifetimes`' `customer_lifetime_value`). Customers with
/// the same `(x, t_x, T)` share one purchase forecast.
///
/// The customer rows are in the model's time unit ([`TransactionModel::unit`]), and a month is
/// counted in that unit. For rows that carry their unit, take [`ClvReport::from_summary`],
/// which converts them.
///
/// # Errors
/// Options that fail [`ClvOptions::check`], an invalid customer row, `q <= 1` in the spend
/// model, or a forecast that is not finite ([`Error::Overflow`]: e.g. a discount rate near -1
/// makes later months worth more than `f64::MAX`).
///
/// ```
/// use userops::ltv::{clv, BgNbdParams, ClvOptions, Customer, GammaGammaParams, TimeUnit};
/// let bg = BgNbdParams::new(0.2426, 4.4137, 0.7930, 2.4262, TimeUnit::Week)?;
/// let gg = GammaGammaParams::new(6.25, 3.74, 15.44)?;
/// let c = [Customer::new(2, 30.43, 38.86)?.with_monetary(22.35)];
/// let plain = clv(&bg, &gg, &c, &ClvOptions::new(12)?)?;
/// let discounted = clv(&bg, &gg, &c, &ClvOptions::new(12)?.discount(0.01)?)?;
/// assert!(discounted[0] < plain[0]);
/// // The same model and customer in days: the same value.
/// let in_days = [Customer::new(2, 30.43 * 7.0, 38.86 * 7.0)?.with_monetary(22.35)];
/// let days = clv(&bg.in_unit(TimeUnit::Day), &gg, &in_days, &ClvOptions::new(12)?)?;
/// assert!((days[0] - plain[0]).abs() < 1e-3 * plain[0]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn clv<M: TransactionModel + Sync + ?Sized>(
    model: &M,
    spend: &GammaGammaParams,
    customers: &[Customer],
    options: &ClvOptions,
) -> Result<Vec<f64>> {
    options.check()?;
    let purchases = discounted_purchases_all(model, customers, options)?;
    // Every row was checked by `p_alive_all`.
    let mean = if customers.is_empty() {
        0.0
    } else {
        spend.mean_spend()?
    };
    customers
        .iter()
        .zip(purchases)
        .map(|(c, p)| {
            crate::checked::finite(spend.expected_spend_checked(c, mean)? * p, || {
                "a customer's CLV (expected spend × discounted purchases)".into()
            })
        })
        .collect()
}

/// Discounted expected purchases for every customer: the forecast of a customer alive at `T`
/// depends only on `(x, T)`, so it is computed once per distinct pair and scaled by each
/// customer's P(alive).
fn discounted_purchases_all<M: TransactionModel + Sync + ?Sized>(
    model: &M,
    customers: &[Customer],
    options: &ClvOptions,
) -> Result<Vec<f64>> {
    let (unique, which) = unique_pairs(customers);
    #[cfg(feature = "parallel")]
    let values: Vec<f64> = {
        use rayon::prelude::*;
        unique
            .par_iter()
            .map(|&(x, t)| discounted_if_alive(model, x, t, options))
            .collect::<Result<_>>()?
    };
    #[cfg(not(feature = "parallel"))]
    let values: Vec<f64> = unique
        .iter()
        .map(|&(x, t)| discounted_if_alive(model, x, t, options))
        .collect::<Result<_>>()?;
    let alive = model.p_alive_all(customers)?;
    Ok(alive
        .iter()
        .zip(which)
        .map(|(p, i)| p * values[i as usize])
        .collect())
}

/// The distinct `(x, T)` pairs of `customers` (in order of first appearance) and each
/// customer's index among them. The ages are ranked among their distinct values (few: whole
/// days or weeks) by a hash table, and the pairs indexed in a dense `x × age` table when it is
/// small enough; otherwise in a hash map.
fn unique_pairs(customers: &[Customer]) -> (Vec<(u32, f64)>, Vec<u32>) {
    let mut unique: Vec<(u32, f64)> = Vec::new();
    let mut which: Vec<u32> = Vec::with_capacity(customers.len());
    let max_x = customers.iter().map(|c| c.frequency).max().unwrap_or(0) as usize;
    let ranked = Ranked::new(customers.iter().map(|c| c.age.to_bits()))
        .filter(|r| (max_x + 1).saturating_mul(r.distinct.len()) <= 1 << 24);
    if let Some(ranked) = ranked {
        let width = ranked.distinct.len();
        let mut slot = vec![u32::MAX; (max_x + 1) * width];
        for (c, r) in customers.iter().zip(&ranked.rank) {
            let k = c.frequency as usize * width + *r as usize;
            if slot[k] == u32::MAX {
                slot[k] = unique.len() as u32;
                unique.push((c.frequency, c.age));
            }
            which.push(slot[k]);
        }
    } else {
        let mut index: HashMap<(u32, u64), u32> = HashMap::new();
        for c in customers {
            let i = *index
                .entry((c.frequency, c.age.to_bits()))
                .or_insert_with(|| {
                    unique.push((c.frequency, c.age));
                    (unique.len() - 1) as u32
                });
            which.push(i);
        }
    }
    (unique, which)
}

/// One customer's forecast.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CustomerValue<U> {
    /// The customer.
    pub user: U,
    /// The customer's summary row.
    pub customer: Customer,
    /// Probability of being alive at `T`.
    pub p_alive: f64,
    /// Expected purchases in the horizon.
    pub expected_purchases: f64,
    /// Expected spend per purchase (Gamma-Gamma).
    pub expected_spend: f64,
    /// Discounted value over the horizon.
    pub clv: f64,
}

/// Every customer's forecast over a horizon, most valuable first.
///
/// `Display` prints the first and the last [`crate::report::HEAD_ROWS`] customers and a count
/// of those between; `{:#}` prints every customer ([`crate::report`]).
///
/// ```
/// use userops::ltv::{BgNbdParams, ClvOptions, ClvReport, Customer, GammaGammaParams, TimeUnit};
/// let bg = BgNbdParams::new(0.2426, 4.4137, 0.7930, 2.4262, TimeUnit::Week)?;
/// let gg = GammaGammaParams::new(6.25, 3.74, 15.44)?;
/// let rows = vec![
///     ("ana", Customer::new(2, 30.43, 38.86)?.with_monetary(22.35)),
///     ("bo", Customer::new(0, 0.0, 38.86)?),
/// ];
/// let report = ClvReport::compute(&bg, &gg, rows, &ClvOptions::new(12)?)?;
/// assert_eq!(report.rows[0].user, "ana");
/// let json = serde_json::to_string(&report)?;
/// assert_eq!(serde_json::from_str::<ClvReport<String>>(&json)?.rows.len(), 2);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClvReport<U> {
    /// The transaction model's name.
    pub model: String,
    /// The time unit of the rows' recency and `T` (the model's).
    pub unit: TimeUnit,
    /// Horizon and discounting.
    pub options: ClvOptions,
    /// One row per customer, highest CLV first.
    pub rows: Vec<CustomerValue<U>>,
}

impl<U> ClvReport<U> {
    /// Forecasts every customer; the rows are in the model's time unit, as for [`clv`].
    ///
    /// # Errors
    /// As [`clv`].
    ///
    /// ```
    /// # use userops::ltv::*;
    /// let bg = BgNbdParams::new(0.2426, 4.4137, 0.7930, 2.4262, TimeUnit::Week)?;
    /// let gg = GammaGammaParams::new(6.25, 3.74, 15.44)?;
    /// let r = ClvReport::compute(&bg, &gg, vec![(1, Customer::new(0, 0.0, 5.0)?)], &ClvOptions::new(1)?)?;
    /// assert_eq!(r.rows.len(), 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn compute<M: TransactionModel + Sync + ?Sized>(
        model: &M,
        spend: &GammaGammaParams,
        customers: impl IntoIterator<Item = (U, Customer)>,
        options: &ClvOptions,
    ) -> Result<ClvReport<U>> {
        let (users, rows): (Vec<U>, Vec<Customer>) = customers.into_iter().unzip();
        let values = clv(model, spend, &rows, options)?;
        let horizon = f64::from(options.months) * model.unit().per_month();
        let mut out = Vec::with_capacity(rows.len());
        for ((user, c), value) in users.into_iter().zip(rows).zip(values) {
            out.push(CustomerValue {
                user,
                customer: c,
                p_alive: model.p_alive(&c)?,
                expected_purchases: model.expected_purchases(&c, horizon)?,
                expected_spend: spend.expected_spend(&c)?,
                clv: value,
            });
        }
        out.sort_by(|a, b| b.clv.total_cmp(&a.clv));
        Ok(ClvReport {
            model: model.model_name().to_string(),
            unit: model.unit(),
            options: *options,
            rows: out,
        })
    }

    /// Forecasts every customer of a BTYD summary, whatever unit it was built in: its rows are
    /// converted exactly into the model's time unit ([`BtydReport::customers_in`]), so a
    /// model fitted in days and a summary in weeks give the value of the model in weeks. The
    /// report's rows are in the model's unit.
    ///
    /// # Errors
    /// As [`clv`].
    ///
    /// ```
    /// use chrono::{NaiveDate, TimeZone, Utc};
    /// use userops::event::EventRecord;
    /// use userops::fold::{fold, Summary};
    /// use userops::ltv::{BgNbdParams, BtydSummary, ClvOptions, ClvReport, GammaGammaParams, TimeUnit};
    /// let day = |d| Utc.with_ymd_and_hms(2025, 1, d, 12, 0, 0).unwrap();
    /// let log = vec![EventRecord::<u32>::new(1_u32, day(1)).with_amount(20.0),
    ///                EventRecord::new(1_u32, day(15)).with_amount(30.0)];
    /// let end = NaiveDate::from_ymd_opt(2025, 1, 29).unwrap();
    /// let weeks = fold(BtydSummary::new(end, TimeUnit::Week), &log)?.finish()?;
    /// let days = fold(BtydSummary::new(end, TimeUnit::Day), &log)?.finish()?;
    /// let bg = BgNbdParams::new(0.2426, 4.4137, 0.7930, 2.4262, TimeUnit::Week)?;
    /// let gg = GammaGammaParams::new(6.25, 3.74, 15.44)?;
    /// let o = ClvOptions::new(12)?;
    /// let a = ClvReport::from_summary(&bg, &gg, &weeks, &o)?;
    /// let b = ClvReport::from_summary(&bg, &gg, &days, &o)?;
    /// assert!((a.rows[0].clv - b.rows[0].clv).abs() < 1e-9 * a.rows[0].clv);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn from_summary<M: TransactionModel + Sync + ?Sized>(
        model: &M,
        spend: &GammaGammaParams,
        summary: &BtydReport<U>,
        options: &ClvOptions,
    ) -> Result<ClvReport<U>>
    where
        U: Clone,
    {
        let rows = summary.customers_in(model.unit());
        let users = summary.customers.iter().map(|c| c.user.clone());
        ClvReport::compute(model, spend, users.zip(rows), options)
    }

    /// The `n` most valuable customers.
    ///
    /// ```
    /// # use userops::ltv::*;
    /// # let bg = BgNbdParams::new(0.2426, 4.4137, 0.7930, 2.4262, TimeUnit::Week)?;
    /// # let gg = GammaGammaParams::new(6.25, 3.74, 15.44)?;
    /// # let r = ClvReport::compute(&bg, &gg, vec![(1, Customer::new(0, 0.0, 5.0)?)], &ClvOptions::new(1)?)?;
    /// assert_eq!(r.top(0).rows.len(), 0);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn top(mut self, n: usize) -> ClvReport<U> {
        self.rows.truncate(n);
        self
    }
}

impl<U: fmt::Display> fmt::Display for ClvReport<U> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "CLV over {} months ({} + gamma-gamma, {:.1} % monthly discount, times in {}s)",
            self.options.months,
            self.model,
            self.options.monthly_discount * 100.0,
            self.unit
        )?;
        let unit = format!("{}s", self.unit);
        writeln!(
            f,
            "{:<12} {:>7} {:>11} {:>11} {:>8} {:>10} {:>12} {:>10}",
            "customer",
            "repeats",
            format!("t_x ({unit})"),
            format!("T ({unit})"),
            "p_alive",
            "purchases",
            "spend/order",
            "clv"
        )?;
        crate::report::rows(f, &self.rows, "customers", |f, r| {
            writeln!(
                f,
                "{:<12} {:>7} {:>11.2} {:>11.2} {:>8.3} {:>10.2} {:>12.2} {:>10.2}",
                r.user.to_string(),
                r.customer.frequency,
                r.customer.recency,
                r.customer.age,
                r.p_alive,
                r.expected_purchases,
                r.expected_spend,
                r.clv
            )
        })
    }
}
