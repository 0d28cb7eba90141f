//! Unit economics: ARPU, ARPPU, churn, LTV (simple and discounted), CAC per acquisition
//! channel, LTV/CAC and the payback period.
//!
//! Everything here is computed from a [`CohortLedger`] (the mergeable per-user fold of
//! [`super::cohort`]) or from figures the host already has; [`channel_economics_from_events`]
//! goes straight from events that carry their acquisition channel.
//!
//! ## Definitions
//!
//! For a calendar period *t*:
//!
//! * **ARPU** = revenue in *t* / users active in *t* (a user is active in a period with at least
//!   one event in it);
//! * **ARPPU** = revenue in *t* / users who paid in *t* (a positive amount);
//! * **churn rate** = users active in *t − 1* and not active in *t* / users active in *t − 1*
//!   (a dormant user who comes back later churned once and is counted active again when back);
//!   [`churn_rate`] computes it from host-given counts.
//!
//! Pooled over periods (the figures an LTV uses), ARPU is total revenue / active user-periods
//! and churn is users lost / users at risk, summed over all period transitions.
//!
//! **LTV** of an active user with margin *m* (share of revenue kept, in `[0, 1]`), per-period
//! revenue ARPU, retention *r* = 1 − churn and a per-period discount rate *d*, the user paying
//! at the start of each period they are retained for:
//!
//! ```text
//! LTV = Σ_{t≥0} m·ARPU·rᵗ/(1+d)ᵗ = m·ARPU·(1+d) / (1 + d − r) = m·ARPU·(1+d) / (d + churn)
//! ```
//!
//! With no discount (*d* = 0) this is the simple **LTV = m·ARPU / churn**. This is the
//! infinite-horizon, constant-margin, constant-retention formula of Gupta & Lehmann
//! ("Customers as assets", *Journal of Interactive Marketing* 17(1), 2003, pp. 9–24; also
//! Gupta, Lehmann & Stuart, "Valuing customers", *Journal of Marketing Research* 41(1), 2004):
//! they write CLV = m·r/(1 + i − r) for margins received at the *end* of each period the
//! customer is retained; counting the current period's margin too adds *m*, which gives
//! m(1+i)/(1+i−r) above. Churn 0 without a discount makes the LTV unbounded: that is an
//! error, never an infinity.
//!
//! **CAC** of a channel = its acquisition spend / users it acquired. **LTV/CAC** = LTV / CAC.
//! The **payback period** is the number of periods (counting the acquisition period) after
//! which the realized cumulative margin per acquired user, *m* × the channel's cohort LTV
//! curve, first covers the CAC.
//!
//! ```
//! use userops::ltv::economics::{churn_rate, ltv, LtvParams};
//!
//! // 200 users at the start of the month, 10 lost: churn 5%.
//! let churn = churn_rate(200, 10)?;
//! assert_eq!(churn, 0.05);
//! // ARPU 20 a month at a 75% margin: LTV = 0.75 × 20 / 0.05 = 300.
//! let simple = LtvParams::new(0.75)?;
//! assert!((ltv(&simple, 20.0, churn)? - 300.0).abs() < 1e-9);
//! // With 1% a month discount: 0.75 × 20 × 1.01 / (0.01 + 0.05) = 252.5.
//! let discounted = simple.with_discount_rate(0.01)?;
//! assert!((ltv(&discounted, 20.0, churn)? - 252.5).abs() < 1e-9);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::collections::{BTreeMap, HashMap};
use std::fmt;

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use serde::{Deserialize, Serialize};

use super::cohort::{
    CohortLedger, CohortSummary, LedgerRow, UNKNOWN_CHANNEL, check_revenue, cohort_ltv,
    revenue_overflow,
};
use crate::event::{Event, FirstTouch, UserAttribute};
use crate::fold::{Summary, fold};
use crate::sample::ChannelSpend;
use crate::time::{Calendar, Interval, Period};
use crate::{Error, Result};

/// The settings of an LTV: the margin and the per-period discount rate. Checked when built.
///
/// ```
/// use userops::ltv::economics::LtvParams;
/// let p = LtvParams::new(0.6)?.with_discount_rate(0.01)?;
/// assert_eq!((p.margin, p.discount_rate), (0.6, 0.01));
/// assert!(LtvParams::new(1.5).is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct LtvParams {
    /// Share of revenue kept as contribution margin, in `[0, 1]`.
    pub margin: f64,
    /// Discount rate per period (0.01 = 1% a month for monthly periods), in `[0, 1]`; 0 means
    /// no discounting.
    pub discount_rate: f64,
}

impl LtvParams {
    /// An undiscounted LTV with `margin` (in `[0, 1]`).
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] (`margin`) when it is not a number in `[0, 1]`.
    ///
    /// ```
    /// assert!(userops::ltv::economics::LtvParams::new(0.0).is_ok());
    /// assert!(userops::ltv::economics::LtvParams::new(f64::NAN).is_err());
    /// ```
    pub fn new(margin: f64) -> Result<Self> {
        let p = LtvParams {
            margin,
            discount_rate: 0.0,
        };
        p.check()?;
        Ok(p)
    }

    /// The same with a per-period discount rate (in `[0, 1]`).
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] (`discount_rate`) when it is not a number in `[0, 1]`.
    ///
    /// ```
    /// use userops::ltv::economics::LtvParams;
    /// assert!(LtvParams::new(0.5)?.with_discount_rate(-0.1).is_err());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn with_discount_rate(mut self, rate: f64) -> Result<Self> {
        self.discount_rate = rate;
        self.check()?;
        Ok(self)
    }

    /// Checks the ranges (for params built field by field or deserialized).
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] naming `margin` or `discount_rate`.
    ///
    /// ```
    /// let p = userops::ltv::economics::LtvParams { margin: 0.5, discount_rate: 2.0 };
    /// assert!(p.check().is_err());
    /// ```
    pub fn check(&self) -> Result<()> {
        if !(0.0..=1.0).contains(&self.margin) {
            return Err(Error::invalid(
                "margin",
                format!(
                    "must be a share of revenue in [0, 1] (0.7 = 70%), got {}",
                    self.margin
                ),
            ));
        }
        if !(0.0..=1.0).contains(&self.discount_rate) {
            return Err(Error::invalid(
                "discount_rate",
                format!(
                    "must be a per-period rate in [0, 1] (0.01 = 1% a period), got {}",
                    self.discount_rate
                ),
            ));
        }
        Ok(())
    }
}

/// Churn rate from host-given figures: `lost / at_start`.
///
/// # Errors
/// * [`Error::InvalidParameter`] (`at_start`) when `at_start` is 0 (churn of nobody is
///   undefined);
/// * [`Error::InvalidParameter`] (`lost`) when more users were lost than there were.
///
/// ```
/// use userops::ltv::economics::churn_rate;
/// assert_eq!(churn_rate(40, 6)?, 0.15);
/// assert!(churn_rate(0, 0).is_err());
/// assert!(churn_rate(5, 6).is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn churn_rate(at_start: u64, lost: u64) -> Result<f64> {
    if at_start == 0 {
        return Err(Error::invalid(
            "at_start",
            "is 0: churn needs at least one user at the start of the period",
        ));
    }
    if lost > at_start {
        return Err(Error::invalid(
            "lost",
            format!("{lost} users lost out of {at_start}: cannot lose more users than there were"),
        ));
    }
    Ok(lost as f64 / at_start as f64)
}

/// The LTV of an active user: `margin × arpu × (1 + d) / (d + churn)`; with `d = 0`, the
/// simple `margin × arpu / churn` (see the [module docs](self) for the formula and its source).
///
/// `arpu` is revenue per active user per period and `churn` the per-period churn rate, both
/// of the same period length as the discount rate.
///
/// # Errors
/// * [`Error::InvalidParameter`] from [`LtvParams::check`];
/// * [`Error::NonFinite`] (`arpu`) for a NaN or infinite ARPU, [`Error::Negative`] (`arpu`)
///   for a negative one (net refunds);
/// * [`Error::InvalidParameter`] (`churn`) when churn is not in `[0, 1]`, or is 0 with no
///   discount rate (the LTV would be unbounded);
/// * [`Error::NonFinite`] (`ltv`) when the LTV overflows `f64` (an ARPU near `f64::MAX`).
///
/// ```
/// use userops::ltv::economics::{ltv, LtvParams};
/// // 0.5 × 10 / 0.25 = 20
/// assert_eq!(ltv(&LtvParams::new(0.5)?, 10.0, 0.25)?, 20.0);
/// // churn 0 is fine once future money is discounted: 0.5 × 10 × 1.25 / 0.25 = 25
/// assert_eq!(ltv(&LtvParams::new(0.5)?.with_discount_rate(0.25)?, 10.0, 0.0)?, 25.0);
/// assert!(ltv(&LtvParams::new(0.5)?, 10.0, 0.0).is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn ltv(params: &LtvParams, arpu: f64, churn: f64) -> Result<f64> {
    params.check()?;
    non_negative(
        "arpu",
        arpu,
        "; refunds exceed revenue, an LTV is not meaningful",
    )?;
    if !(0.0..=1.0).contains(&churn) {
        return Err(Error::invalid(
            "churn",
            format!("must be a per-period rate in [0, 1], got {churn}"),
        ));
    }
    let d = params.discount_rate;
    if d + churn <= 0.0 {
        return Err(Error::invalid(
            "churn",
            "is 0 with no discount rate: the LTV is unbounded; give a discount rate or a churn above 0",
        ));
    }
    let value = params.margin * arpu * (1.0 + d) / (d + churn);
    // An ARPU near f64::MAX over a small churn overflows (found by the `ltv_economics` fuzz
    // target: ARPU 1.8e308, churn 0, d 0.04 gave infinity).
    if !value.is_finite() {
        return Err(Error::NonFinite {
            field: "ltv",
            value,
            user: String::new(),
        });
    }
    Ok(value)
}

/// The payback period: the number of periods, counting the acquisition period, after which
/// `margin × cumulative_revenue[k]` (the realized cumulative revenue per acquired user, as in
/// [`super::cohort::CohortLtvRow::ltv`]) first reaches `cac`. `Some(0)` when `cac` is 0;
/// `None` when the curve never reaches it (not paid back yet).
///
/// # Errors
/// [`Error::NonFinite`] / [`Error::Negative`] (`cac`) and [`Error::InvalidParameter`]
/// (`margin`, outside `[0, 1]`).
///
/// ```
/// use userops::ltv::economics::payback_period;
/// // margin 0.5 × [20, 40, 60] = [10, 20, 30]: a CAC of 25 is covered after 3 periods.
/// assert_eq!(payback_period(25.0, 0.5, &[20.0, 40.0, 60.0])?, Some(3));
/// assert_eq!(payback_period(31.0, 0.5, &[20.0, 40.0, 60.0])?, None);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn payback_period(cac: f64, margin: f64, cumulative_revenue: &[f64]) -> Result<Option<usize>> {
    non_negative("cac", cac, "")?;
    LtvParams::new(margin)?;
    if cac == 0.0 {
        return Ok(Some(0));
    }
    Ok(cumulative_revenue
        .iter()
        .position(|r| margin * r >= cac)
        .map(|k| k + 1))
}

/// One period's unit economics in a [`PeriodEconomicsReport`].
///
/// ```
/// # use chrono::{TimeZone, Utc};
/// # use userops::event::EventRecord;
/// # use userops::fold::{fold, Summary};
/// # use userops::ltv::{cohort::CohortSummary, economics::period_economics};
/// # use userops::time::{Calendar, Interval};
/// let t = Utc.with_ymd_and_hms(2025, 3, 5, 0, 0, 0).unwrap();
/// let log = vec![EventRecord::<u8>::new(1_u8, t).with_amount(8.0), EventRecord::new(2_u8, t)];
/// let ledger = fold(CohortSummary::new(Calendar::new(Utc, Interval::Month), t), &log)?.finish()?;
/// let row = &period_economics(&ledger)?.rows[0];
/// assert_eq!((row.arpu, row.arppu, row.churn_rate), (Some(4.0), Some(8.0), None));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PeriodEconomicsRow {
    /// The calendar period.
    pub period: Period,
    /// Users with at least one event in the period.
    pub active_users: u64,
    /// Users with a positive amount in the period.
    pub paying_users: u64,
    /// Users acquired in the period.
    pub new_users: u64,
    /// Sum of amounts in the period.
    pub revenue: f64,
    /// Revenue / active users (`None` with no active user).
    pub arpu: Option<f64>,
    /// Revenue / paying users (`None` with no paying user).
    pub arppu: Option<f64>,
    /// Users active in the previous period and not in this one.
    pub churned_users: u64,
    /// Churned users / users active in the previous period (`None` for the first period and
    /// after a period without active users).
    pub churn_rate: Option<f64>,
}

/// ARPU, ARPPU and churn per period, with pooled figures over all periods. Made by
/// [`period_economics`].
///
/// ```
/// # use chrono::{TimeZone, Utc};
/// # use userops::event::EventRecord;
/// # use userops::fold::{fold, Summary};
/// # use userops::ltv::{cohort::CohortSummary, economics::period_economics};
/// # use userops::time::{Calendar, Interval};
/// let at = |m| Utc.with_ymd_and_hms(2025, m, 5, 0, 0, 0).unwrap();
/// let log = vec![EventRecord::<u8>::new(1_u8, at(1)), EventRecord::new(2_u8, at(1)), EventRecord::new(2_u8, at(2))];
/// let ledger = fold(CohortSummary::new(Calendar::new(Utc, Interval::Month), at(2)), &log)?.finish()?;
/// let report = period_economics(&ledger)?;
/// assert_eq!(report.rows[1].churn_rate, Some(0.5)); // 1 of the 2 January users is gone
/// assert!(report.to_string().contains("2025-02"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PeriodEconomicsReport {
    /// Consecutive periods from the first acquisition to the as-of period.
    pub rows: Vec<PeriodEconomicsRow>,
    /// Users in the ledger.
    pub users: u64,
    /// Revenue overall.
    pub revenue: f64,
    /// Pooled ARPU: revenue / active user-periods (`None` without activity).
    pub arpu: Option<f64>,
    /// Pooled ARPPU: revenue / paying user-periods (`None` without a payment).
    pub arppu: Option<f64>,
    /// Pooled churn: churned users / users at risk (active in the previous period), over all
    /// period transitions (`None` with a single period or nobody at risk).
    pub churn_rate: Option<f64>,
}

#[derive(Debug, Clone, Copy, Default)]
struct PeriodAcc {
    active: u64,
    paying: u64,
    new: u64,
    revenue: f64,
    churned: u64,
}

/// Per-period accumulators over `[start, start + len)`.
#[derive(Debug, Clone)]
struct Periods {
    start: Period,
    acc: Vec<PeriodAcc>,
}

impl Periods {
    fn new<U>(ledger: &CohortLedger<U>) -> Self {
        let start = ledger
            .users
            .iter()
            .flat_map(|r| std::iter::once(r.acquired).chain(r.periods.first().map(|c| c.period)))
            .min()
            .unwrap_or(ledger.as_of_period)
            .min(ledger.as_of_period);
        let len = usize::try_from(start.periods_until(&ledger.as_of_period)).unwrap_or(0) + 1;
        Periods {
            start,
            acc: vec![PeriodAcc::default(); len],
        }
    }

    fn index(&self, p: Period) -> Option<usize> {
        usize::try_from(self.start.periods_until(&p)).ok()
    }

    fn add<U>(&mut self, row: &LedgerRow<U>) {
        let n = self.acc.len();
        if let Some(a) = self.index(row.acquired).and_then(|i| self.acc.get_mut(i)) {
            a.new += 1;
        }
        let mut cells = row.periods.iter().peekable();
        while let Some(cell) = cells.next() {
            let Some(i) = self.index(cell.period) else {
                continue;
            };
            if let Some(a) = self.acc.get_mut(i) {
                a.active += 1;
                a.paying += u64::from(cell.paid);
                a.revenue += cell.revenue;
            }
            let next = cells.peek().and_then(|c| self.index(c.period));
            if i + 1 < n && next != Some(i + 1) {
                if let Some(a) = self.acc.get_mut(i + 1) {
                    a.churned += 1;
                }
            }
        }
    }

    /// The report; [`Error::NonFinite`] (`revenue`) when a revenue sum overflows `f64`.
    fn report(&self, users: u64) -> Result<PeriodEconomicsReport> {
        let ratio = |num: f64, den: u64| (den > 0).then(|| num / den as f64);
        let mut rows = Vec::with_capacity(self.acc.len());
        let mut prev_active = None;
        for (i, a) in self.acc.iter().enumerate() {
            rows.push(PeriodEconomicsRow {
                period: self.start.offset(i as i64),
                active_users: a.active,
                paying_users: a.paying,
                new_users: a.new,
                revenue: a.revenue,
                arpu: ratio(a.revenue, a.active),
                arppu: ratio(a.revenue, a.paying),
                churned_users: a.churned,
                churn_rate: prev_active.and_then(|p| ratio(a.churned as f64, p)),
            });
            prev_active = Some(a.active);
        }
        let revenue: f64 = self.acc.iter().map(|a| a.revenue).sum();
        let active: u64 = self.acc.iter().map(|a| a.active).sum();
        let paying: u64 = self.acc.iter().map(|a| a.paying).sum();
        let churned: u64 = self.acc.iter().skip(1).map(|a| a.churned).sum();
        let at_risk: u64 = self
            .acc
            .iter()
            .take(self.acc.len().saturating_sub(1))
            .map(|a| a.active)
            .sum();
        if let Some(v) = std::iter::once(revenue)
            .chain(rows.iter().map(|r| r.revenue))
            .find(|v| !v.is_finite())
        {
            return Err(revenue_overflow(v));
        }
        Ok(PeriodEconomicsReport {
            rows,
            users,
            revenue,
            arpu: ratio(revenue, active),
            arppu: ratio(revenue, paying),
            churn_rate: ratio(churned as f64, at_risk),
        })
    }
}

/// ARPU, ARPPU and churn for every period from the first acquisition to the as-of period,
/// and pooled over all of them.
///
/// A period still in progress at the as-of instant has partial figures (and churn that
/// counts users who may yet come back): build the ledger with an as-of instant at the end of
/// a period for complete ones.
///
/// # Errors
/// * [`Error::Empty`] when the ledger has no user;
/// * [`Error::NonFinite`] (`revenue`) when a cell's revenue is not a finite number or a sum
///   of revenue overflows `f64` (amounts near 1e308).
///
/// ```
/// use chrono::{TimeZone, Utc};
/// use userops::event::EventRecord;
/// use userops::fold::{fold, Summary};
/// use userops::ltv::{cohort::CohortSummary, economics::period_economics};
/// use userops::time::{Calendar, Interval};
///
/// let at = |m| Utc.with_ymd_and_hms(2025, m, 5, 0, 0, 0).unwrap();
/// let log = vec![
///     EventRecord::<u8>::new(1_u8, at(1)).with_amount(30.0),
///     EventRecord::new(2_u8, at(1)),
///     EventRecord::new(1_u8, at(2)).with_amount(10.0),
/// ];
/// let ledger = fold(CohortSummary::new(Calendar::new(Utc, Interval::Month), at(2)), &log)?.finish()?;
/// let report = period_economics(&ledger)?;
/// assert_eq!(report.rows[0].arpu, Some(15.0));  // 30 / 2 active
/// assert_eq!(report.rows[0].arppu, Some(30.0)); // 30 / 1 payer
/// assert_eq!(report.arpu, Some(40.0 / 3.0));    // pooled: 40 / 3 active user-months
/// assert_eq!(report.churn_rate, Some(0.5));     // 1 lost of 2 at risk
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn period_economics<U>(ledger: &CohortLedger<U>) -> Result<PeriodEconomicsReport> {
    if ledger.is_empty() {
        return Err(Error::Empty("no users in the cohort ledger"));
    }
    check_revenue(ledger)?;
    let mut periods = Periods::new(ledger);
    for row in &ledger.users {
        periods.add(row);
    }
    periods.report(ledger.users.len() as u64)
}

/// [`period_economics`] for each acquisition channel's users separately (users the
/// attribute does not know go to [`UNKNOWN_CHANNEL`]), on one common run of periods.
///
/// # Errors
/// As [`period_economics`].
///
/// ```
/// use std::collections::HashMap;
/// use chrono::{TimeZone, Utc};
/// use userops::event::EventRecord;
/// use userops::fold::{fold, Summary};
/// use userops::ltv::{cohort::CohortSummary, economics::period_economics_by_channel};
/// use userops::time::{Calendar, Interval};
///
/// let at = |m| Utc.with_ymd_and_hms(2025, m, 5, 0, 0, 0).unwrap();
/// let log = vec![EventRecord::<u8>::new(1_u8, at(1)).with_amount(9.0), EventRecord::new(2_u8, at(1))];
/// let channel: HashMap<u8, String> = [(1, "ads".to_string())].into();
/// let ledger = fold(CohortSummary::new(Calendar::new(Utc, Interval::Month), at(1)), &log)?.finish()?;
/// let by = period_economics_by_channel(&ledger, &channel)?;
/// assert_eq!(by["ads"].arpu, Some(9.0));
/// assert_eq!(by["(unknown)"].arpu, Some(0.0));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn period_economics_by_channel<U>(
    ledger: &CohortLedger<U>,
    channel: &dyn UserAttribute<U>,
) -> Result<BTreeMap<String, PeriodEconomicsReport>> {
    if ledger.is_empty() {
        return Err(Error::Empty("no users in the cohort ledger"));
    }
    check_revenue(ledger)?;
    let template = Periods::new(ledger);
    let mut per_channel: BTreeMap<String, (u64, Periods)> = BTreeMap::new();
    for row in &ledger.users {
        let name = channel
            .attribute(&row.user)
            .unwrap_or_else(|| UNKNOWN_CHANNEL.into());
        let (n, periods) = per_channel
            .entry(name)
            .or_insert_with(|| (0, template.clone()));
        *n += 1;
        periods.add(row);
    }
    per_channel
        .into_iter()
        .map(|(name, (n, periods))| Ok((name, periods.report(n)?)))
        .collect()
}

/// Acquisition spend of one channel in one period, as the host has it. Implemented for
/// [`ChannelSpend`] (the sample generator's type) and for `(channel, date, spend)` tuples.
///
/// The date may be any day of the period (it is bucketed with the ledger's interval).
///
/// ```
/// use chrono::NaiveDate;
/// use userops::ltv::economics::AcquisitionSpend;
///
/// struct Invoice { campaign: String, day: NaiveDate, cost: f64 }
/// impl AcquisitionSpend for Invoice {
///     fn channel(&self) -> &str { &self.campaign }
///     fn date(&self) -> NaiveDate { self.day }
///     fn spend(&self) -> f64 { self.cost }
/// }
///
/// let row = ("search_ads", NaiveDate::from_ymd_opt(2025, 1, 1).unwrap(), 1200.0);
/// assert_eq!(row.spend(), 1200.0);
/// ```
pub trait AcquisitionSpend {
    /// The acquisition channel, as the channel [`UserAttribute`] names it.
    fn channel(&self) -> &str;
    /// A local date in the period the money was spent in.
    fn date(&self) -> NaiveDate;
    /// The money spent (not negative).
    fn spend(&self) -> f64;
}

impl AcquisitionSpend for ChannelSpend {
    fn channel(&self) -> &str {
        &self.channel
    }
    fn date(&self) -> NaiveDate {
        self.month
    }
    fn spend(&self) -> f64 {
        self.spend
    }
}

impl<S: AsRef<str>> AcquisitionSpend for (S, NaiveDate, f64) {
    fn channel(&self) -> &str {
        self.0.as_ref()
    }
    fn date(&self) -> NaiveDate {
        self.1
    }
    fn spend(&self) -> f64 {
        self.2
    }
}

impl<T: AcquisitionSpend + ?Sized> AcquisitionSpend for &T {
    fn channel(&self) -> &str {
        (**self).channel()
    }
    fn date(&self) -> NaiveDate {
        (**self).date()
    }
    fn spend(&self) -> f64 {
        (**self).spend()
    }
}

/// One channel's row (or the all-channel total) in a [`ChannelEconomicsReport`].
///
/// ```
/// let row = userops::ltv::economics::ChannelEconomicsRow {
///     channel: "ads".into(), new_users: 10, spend: 100.0, cac: 10.0, arpu: Some(5.0),
///     churn_rate: Some(0.25), ltv: Some(14.0), ltv_cac: Some(1.4), payback_periods: Some(4),
/// };
/// assert_eq!(row.ltv_cac, Some(1.4));
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChannelEconomicsRow {
    /// The channel ([`UNKNOWN_CHANNEL`] for users the attribute does not know; `all` for the
    /// total).
    pub channel: String,
    /// Users acquired through the channel (through the as-of period).
    pub new_users: u64,
    /// Acquisition spend (0 for a channel without spend rows, such as organic).
    pub spend: f64,
    /// Spend / new users.
    pub cac: f64,
    /// Pooled revenue per active user per period.
    pub arpu: Option<f64>,
    /// Pooled churn rate per period.
    pub churn_rate: Option<f64>,
    /// [`ltv`] from the pooled ARPU and churn (`None` when either is undefined, when churn is
    /// 0 with no discount rate, or when ARPU is negative).
    pub ltv: Option<f64>,
    /// LTV / CAC (`None` when the LTV is undefined, the CAC is 0, or the ratio overflows).
    pub ltv_cac: Option<f64>,
    /// [`payback_period`] on the channel's realized cohort LTV curve (`None`: not yet paid
    /// back within the periods observed).
    pub payback_periods: Option<usize>,
}

/// CAC, LTV, LTV/CAC and payback per acquisition channel, with the all-channel total. Made by
/// [`channel_economics`].
///
/// ```
/// # use chrono::{NaiveDate, TimeZone, Utc};
/// # use std::collections::HashMap;
/// # use userops::event::EventRecord;
/// # use userops::fold::{fold, Summary};
/// # use userops::ltv::{cohort::CohortSummary, economics::{channel_economics, LtvParams}};
/// # use userops::time::{Calendar, Interval};
/// let at = |m| Utc.with_ymd_and_hms(2025, m, 5, 0, 0, 0).unwrap();
/// let log = vec![EventRecord::<u8>::new(1_u8, at(1)).with_amount(40.0), EventRecord::new(1_u8, at(2))];
/// let channel: HashMap<u8, String> = [(1, "ads".to_string())].into();
/// let spend = [("ads", NaiveDate::from_ymd_opt(2025, 1, 1).unwrap(), 20.0)];
/// let ledger = fold(CohortSummary::new(Calendar::new(Utc, Interval::Month), at(2)), &log)?.finish()?;
/// let report = channel_economics(&ledger, &channel, &spend, &LtvParams::new(0.5)?)?;
/// assert_eq!(report.rows[0].cac, 20.0);
/// assert_eq!(report.rows[0].payback_periods, Some(1)); // 0.5 × 40 = 20 covers it at once
/// assert!(report.to_string().contains("ads"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChannelEconomicsReport {
    /// The LTV settings used.
    pub params: LtvParams,
    /// The period length of ARPU, churn and payback.
    pub interval: Interval,
    /// One row per channel, by name.
    pub rows: Vec<ChannelEconomicsRow>,
    /// All channels together (blended CAC).
    pub total: ChannelEconomicsRow,
    /// CAC per channel and period: one row for each period in which a channel had spend or
    /// acquired users, by channel then period.
    pub by_period: Vec<ChannelPeriodCac>,
}

/// One channel's acquisition in one period, in [`ChannelEconomicsReport::by_period`].
///
/// ```
/// use chrono::NaiveDate;
/// use userops::ltv::economics::ChannelPeriodCac;
/// use userops::time::{Interval, Period};
/// let row = ChannelPeriodCac {
///     channel: "ads".into(),
///     period: Period::containing(NaiveDate::from_ymd_opt(2025, 1, 1).unwrap(), Interval::Month),
///     spend: 50.0, new_users: 0, cac: None,
/// };
/// assert_eq!(row.cac, None); // spend without a user acquired: no finite CAC
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChannelPeriodCac {
    /// The channel.
    pub channel: String,
    /// The period.
    pub period: Period,
    /// Spend in the period.
    pub spend: f64,
    /// Users acquired in the period.
    pub new_users: u64,
    /// Spend / new users (`None` when no user was acquired in the period).
    pub cac: Option<f64>,
}

/// [`channel_economics`] straight from the host's events, when the acquisition channel is
/// written on the events themselves (on every order, say) rather than kept in a per-user map:
/// each user's channel is the one on their earliest event that carries one
/// ([`FirstTouch`]), and the ledger is the [`CohortSummary`] of the events with `calendar`
/// through `as_of`.
///
/// # Errors
/// As [`CohortSummary`]'s fold (an event after `as_of`, a bad amount) and as
/// [`channel_economics`].
///
/// ```
/// use chrono::{DateTime, NaiveDate, TimeZone, Utc};
/// use userops::event::Event;
/// use userops::ltv::economics::{channel_economics_from_events, LtvParams};
/// use userops::time::{Calendar, Interval};
///
/// struct Order { customer: u32, placed: DateTime<Utc>, total: f64, channel: &'static str }
/// impl Event for Order {
///     type User = u32;
///     fn user(&self) -> &u32 { &self.customer }
///     fn at(&self) -> DateTime<Utc> { self.placed }
///     fn amount(&self) -> f64 { self.total }
/// }
/// let at = |m| Utc.with_ymd_and_hms(2025, m, 5, 0, 0, 0).unwrap();
/// let orders = [
///     Order { customer: 1, placed: at(1), total: 10.0, channel: "ads" },
///     Order { customer: 2, placed: at(1), total: 0.0, channel: "ads" },
/// ];
/// let spend = [("ads", NaiveDate::from_ymd_opt(2025, 1, 1).unwrap(), 30.0)];
/// let report = channel_economics_from_events(Calendar::new(Utc, Interval::Month), at(1),
///     &orders, |o| Some(o.channel), &spend, &LtvParams::new(1.0)?)?;
/// assert_eq!((report.rows[0].channel.as_str(), report.rows[0].cac), ("ads", 15.0));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn channel_economics_from_events<E, Tz, S, I>(
    calendar: Calendar<Tz>,
    as_of: DateTime<Utc>,
    events: &[E],
    channel: impl Fn(&E) -> Option<&str>,
    spend: I,
    params: &LtvParams,
) -> Result<ChannelEconomicsReport>
where
    E: Event,
    Tz: TimeZone + PartialEq,
    I: IntoIterator<Item = S>,
    S: AcquisitionSpend,
{
    let ledger = fold(CohortSummary::new(calendar, as_of), events)?.finish()?;
    let first = FirstTouch::from_events(events, Event::user, Event::at, &channel);
    channel_economics(&ledger, &first, spend, params)
}

/// CAC, LTV, LTV/CAC and payback period per acquisition channel.
///
/// New users per channel come from the ledger (each user's acquisition period, see
/// [`CohortLedger::use_sign_up`]) and the host's `channel` attribute; spend comes from the
/// host's `spend` rows, summed per channel over all periods through the as-of period (give
/// spend for the same window as the events). ARPU and churn are pooled per channel over all
/// periods ([`period_economics`] restricted to the channel's users), the LTV is [`ltv`] of
/// those, and the payback period is [`payback_period`] on the channel's pooled realized
/// cohort LTV curve ([`cohort_ltv`]). Channels without spend rows (organic) have spend and
/// CAC 0 and no LTV/CAC.
///
/// # Errors
/// * [`Error::Empty`] when the ledger has no user;
/// * [`Error::InvalidParameter`] from [`LtvParams::check`];
/// * [`Error::NonFinite`] / [`Error::Negative`] (`spend`) for a NaN, infinite or negative
///   spend;
/// * [`Error::InvalidParameter`] (`spend`) for spend in a period after the as-of period;
/// * [`Error::InvalidInput`] for spend on a channel through which no user was acquired (a
///   misspelt channel, or a CAC that would be infinite);
/// * [`Error::NonFinite`] (`revenue` or `spend`) when a revenue in the ledger is not a
///   finite number or a sum of revenue or spend overflows `f64` (amounts near 1e308).
///
/// ```
/// use std::collections::HashMap;
/// use chrono::{NaiveDate, TimeZone, Utc};
/// use userops::event::EventRecord;
/// use userops::fold::{fold, Summary};
/// use userops::ltv::{cohort::CohortSummary, economics::{channel_economics, LtvParams}};
/// use userops::time::{Calendar, Interval};
///
/// let at = |m| Utc.with_ymd_and_hms(2025, m, 5, 0, 0, 0).unwrap();
/// let log = vec![
///     EventRecord::<u8>::new(1_u8, at(1)).with_amount(10.0),
///     EventRecord::new(2_u8, at(1)),
/// ];
/// let channel: HashMap<u8, String> = [(1, "ads".to_string()), (2, "ads".to_string())].into();
/// let spend = [("ads", NaiveDate::from_ymd_opt(2025, 1, 1).unwrap(), 30.0)];
/// let ledger = fold(CohortSummary::new(Calendar::new(Utc, Interval::Month), at(1)), &log)?.finish()?;
/// let report = channel_economics(&ledger, &channel, &spend, &LtvParams::new(1.0)?)?;
/// assert_eq!(report.rows[0].cac, 15.0); // 30 / 2 users
/// assert_eq!(report.rows[0].ltv, None); // one period: no churn observed yet
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn channel_economics<U, S, I>(
    ledger: &CohortLedger<U>,
    channel: &dyn UserAttribute<U>,
    spend: I,
    params: &LtvParams,
) -> Result<ChannelEconomicsReport>
where
    I: IntoIterator<Item = S>,
    S: AcquisitionSpend,
{
    params.check()?;
    if ledger.is_empty() {
        return Err(Error::Empty("no users in the cohort ledger"));
    }
    // Users' channels and per-channel period accumulators.
    let template = Periods::new(ledger);
    let mut per_channel: BTreeMap<String, (u64, Periods)> = BTreeMap::new();
    let mut all = template.clone();
    for row in &ledger.users {
        let name = channel
            .attribute(&row.user)
            .unwrap_or_else(|| UNKNOWN_CHANNEL.into());
        let (n, periods) = per_channel
            .entry(name)
            .or_insert_with(|| (0, template.clone()));
        *n += 1;
        periods.add(row);
        all.add(row);
    }
    // Spend per channel, checked.
    let mut spent: HashMap<String, f64> = HashMap::new();
    let mut spent_by_period: BTreeMap<(String, Period), f64> = BTreeMap::new();
    for s in spend {
        let amount = s.spend();
        non_negative(
            "spend",
            amount,
            "; spend is money paid to acquire users, never negative",
        )?;
        let period = Period::containing(s.date(), ledger.interval);
        if period > ledger.as_of_period {
            return Err(Error::invalid(
                "spend",
                format!(
                    "channel {:?} has spend in {period}, after the as-of period {}; give spend through the as-of period only",
                    s.channel(),
                    ledger.as_of_period
                ),
            ));
        }
        if !per_channel.contains_key(s.channel()) {
            let known: Vec<&str> = per_channel.keys().map(String::as_str).collect();
            return Err(Error::InvalidInput(format!(
                "spend names channel {:?}, through which no user was acquired (its CAC would be unbounded); the channels are: {}",
                s.channel(),
                known.join(", ")
            )));
        }
        *spent.entry(s.channel().to_string()).or_default() += amount;
        *spent_by_period
            .entry((s.channel().to_string(), period))
            .or_default() += amount;
    }
    let total_spend: f64 = spent.values().sum();
    if let Some(v) = std::iter::once(total_spend)
        .chain(spent_by_period.values().copied())
        .find(|v| !v.is_finite())
    {
        return Err(Error::NonFinite {
            field: "spend",
            value: v,
            user: String::new(),
        });
    }
    let curves = cohort_ltv(ledger, Some(channel))?;
    let make_row = |name: &str,
                    users: u64,
                    spend: f64,
                    periods: &Periods,
                    curve: &[f64]|
     -> Result<ChannelEconomicsRow> {
        let pooled = periods.report(users)?;
        let cac = if users > 0 { spend / users as f64 } else { 0.0 };
        let value = match (pooled.arpu, pooled.churn_rate) {
            (Some(arpu), Some(churn)) => ltv(params, arpu, churn).ok(),
            _ => None,
        };
        Ok(ChannelEconomicsRow {
            channel: name.to_string(),
            new_users: users,
            spend,
            cac,
            arpu: pooled.arpu,
            churn_rate: pooled.churn_rate,
            ltv: value,
            ltv_cac: value
                .and_then(|v| (cac > 0.0).then(|| v / cac))
                .filter(|r| r.is_finite()),
            payback_periods: payback_period(cac, params.margin, curve).ok().flatten(),
        })
    };
    let mut rows = Vec::with_capacity(per_channel.len());
    for (name, (users, periods)) in &per_channel {
        let curve = curves
            .channels
            .iter()
            .find(|r| r.channel.as_deref() == Some(name.as_str()))
            .map_or(&[][..], |r| r.ltv.as_slice());
        let s = spent.get(name).copied().unwrap_or(0.0);
        rows.push(make_row(name, *users, s, periods, curve)?);
    }
    let total = make_row(
        "all",
        ledger.users.len() as u64,
        total_spend,
        &all,
        &curves.total.ltv,
    )?;
    let mut cells: BTreeMap<(String, Period), (f64, u64)> = spent_by_period
        .into_iter()
        .map(|(key, spend)| (key, (spend, 0)))
        .collect();
    for (name, (_, periods)) in &per_channel {
        for (i, acc) in periods.acc.iter().enumerate() {
            if acc.new > 0 {
                let key = (name.clone(), periods.start.offset(i as i64));
                cells.entry(key).or_insert((0.0, 0)).1 += acc.new;
            }
        }
    }
    let by_period = cells
        .into_iter()
        .map(|((channel, period), (spend, new_users))| ChannelPeriodCac {
            channel,
            period,
            spend,
            new_users,
            cac: (new_users > 0).then(|| spend / new_users as f64),
        })
        .collect();
    Ok(ChannelEconomicsReport {
        by_period,
        params: *params,
        interval: ledger.interval,
        rows,
        total,
    })
}

fn opt(v: Option<f64>, width: usize, decimals: usize) -> String {
    match v {
        Some(x) => format!("{x:>width$.decimals$}"),
        None => format!("{:>width$}", "-"),
    }
}

/// A rate as a percentage with one decimal (`-` when undefined).
fn pct(v: Option<f64>, width: usize) -> String {
    match v {
        Some(x) => format!("{:>width$}", format!("{:.1}%", x * 100.0)),
        None => format!("{:>width$}", "-"),
    }
}

impl fmt::Display for PeriodEconomicsReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{:<10} {:>8} {:>8} {:>8} {:>12} {:>9} {:>9} {:>8} {:>7}",
            "period", "active", "paying", "new", "revenue", "ARPU", "ARPPU", "churned", "churn"
        )?;
        for r in &self.rows {
            writeln!(
                f,
                "{:<10} {:>8} {:>8} {:>8} {:>12.2} {} {} {:>8} {}",
                r.period.to_string(),
                r.active_users,
                r.paying_users,
                r.new_users,
                r.revenue,
                opt(r.arpu, 9, 2),
                opt(r.arppu, 9, 2),
                r.churned_users,
                pct(r.churn_rate, 7),
            )?;
        }
        write!(
            f,
            "pooled: {} users, revenue {:.2}, ARPU {}, ARPPU {}, churn {} per period",
            self.users,
            self.revenue,
            opt(self.arpu, 0, 2),
            opt(self.arppu, 0, 2),
            pct(self.churn_rate, 0)
        )
    }
}

impl fmt::Display for ChannelEconomicsReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let unit = match self.interval {
            Interval::Day => "days",
            Interval::Week(_) => "weeks",
            Interval::Month => "months",
        };
        writeln!(
            f,
            "margin {:.0}%, discount {:.2}% per period; payback in {unit}",
            self.params.margin * 100.0,
            self.params.discount_rate * 100.0
        )?;
        writeln!(
            f,
            "{:<14} {:>9} {:>12} {:>8} {:>8} {:>7} {:>9} {:>8} {:>8}",
            "channel", "new users", "spend", "CAC", "ARPU", "churn", "LTV", "LTV/CAC", "payback"
        )?;
        for r in self.rows.iter().chain(std::iter::once(&self.total)) {
            writeln!(
                f,
                "{:<14} {:>9} {:>12.2} {:>8.2} {} {} {} {} {:>8}",
                r.channel,
                r.new_users,
                r.spend,
                r.cac,
                opt(r.arpu, 8, 2),
                pct(r.churn_rate, 7),
                opt(r.ltv, 9, 2),
                opt(r.ltv_cac, 8, 2),
                r.payback_periods
                    .map_or_else(|| "-".to_string(), |p| p.to_string()),
            )?;
        }
        write!(
            f,
            "payback: {unit} (the acquisition one counted) until the realized margin per acquired user covers the CAC; - = not yet"
        )
    }
}

/// A money figure must be a finite, non-negative number: [`Error::NonFinite`] or
/// [`Error::Negative`] (with `hint`, starting with "; " when given) naming `field` otherwise.
fn non_negative(field: &'static str, value: f64, hint: &'static str) -> Result<()> {
    if !value.is_finite() {
        return Err(Error::NonFinite {
            field,
            value,
            user: String::new(),
        });
    }
    if value < 0.0 {
        return Err(Error::Negative {
            field,
            value,
            user: String::new(),
            hint,
        });
    }
    Ok(())
}
