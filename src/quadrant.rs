//! The product quadrant: usage frequency × direct payment, and the value metrics each
//! quadrant calls for.
//!
//! A product is placed on two axes:
//!
//! * **frequency** — how many distinct days an active user uses the product in a calendar
//!   month (the mean over active user-months: active user-days ÷ active user-months);
//! * **payment** — the share of active users who pay directly (the mean over active
//!   user-months of "paid at least once that month": paying user-months ÷ active
//!   user-months, the *paying-user rate* of game and subscription analytics).
//!
//! | | no direct payment | paid directly |
//! |---|---|---|
//! | **high frequency** | social: time spent, visit frequency | games, video memberships: visit frequency, time spent, revenue, ARPU together |
//! | **low frequency** | little commercial value (warning) | dating, home services, car wash: revenue first |
//!
//! **Thresholds** ([`QuadrantParams`], adjustable): a product is *high frequency* when its
//! active days per user per month are **at or above** `high_frequency_days` (default 4.0,
//! about weekly use), and *paid directly* when its payer share is **at or above**
//! `direct_payer_share` (default 0.02, the paying-user rate below which even free-to-play
//! games rarely fall). A value exactly at a threshold falls on the high / paid side.
//!
//! ```
//! use chrono::{TimeZone, Utc};
//! use userops::event::EventRecord;
//! use userops::fold::{fold, Summary};
//! use userops::quadrant::{classify, Frequency, Payment, QuadrantParams, UsageSummary};
//!
//! let day = |d| Utc.with_ymd_and_hms(2025, 3, d, 10, 0, 0).unwrap();
//! // One user, active on 5 distinct days of March, never pays.
//! let log: Vec<_> = [1, 2, 2, 9, 16, 23].iter().map(|d| EventRecord::<u32>::new(1_u32, day(*d))).collect();
//! let figures = fold(UsageSummary::new(Utc), &log)?.finish()?;
//! assert_eq!(figures.active_days_per_user_month, 5.0);
//! let q = classify(&figures, &QuadrantParams::default())?;
//! assert_eq!((q.frequency, q.payment), (Frequency::High, Payment::None));
//! assert_eq!(serde_json::to_value(&q)?["frequency"], "high");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::collections::BTreeMap;
use std::fmt;
use std::hash::Hash;

use chrono::{Datelike, NaiveDate, TimeZone};
use serde::{Deserialize, Serialize};

use crate::engine::PerUser;
use crate::event::{Event, checked_amount, checked_at};
use crate::fold::{Fold, Summary};
use crate::time::NamedZone;
use crate::{Error, Result};

/// Usage frequency: at or above the threshold is [`Frequency::High`]. Serialized as `"high"` /
/// `"low"`.
///
/// ```
/// assert_eq!(serde_json::to_string(&userops::quadrant::Frequency::Low)?, "\"low\"");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Frequency {
    /// Users come back often (at or above `high_frequency_days` active days a month).
    High,
    /// Users come rarely.
    Low,
}

/// Direct payment: at or above the payer-share threshold is [`Payment::Direct`]. Serialized as
/// `"direct"` / `"none"`.
///
/// ```
/// assert_eq!(serde_json::to_string(&userops::quadrant::Payment::Direct)?, "\"direct\"");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Payment {
    /// Users pay the product directly.
    Direct,
    /// No (or hardly any) direct payment.
    None,
}

/// A value metric a quadrant calls for; each names a primary metric of the standard
/// metric tree ([`crate::metric::MetricTree::standard`]).
///
/// ```
/// use userops::quadrant::ValueMetric;
/// assert_eq!(ValueMetric::Arpu.metric_name(), "arpu");
/// assert_eq!(serde_json::to_string(&ValueMetric::TimeSpent)?, "\"time_spent\"");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ValueMetric {
    /// Time spent in the product.
    TimeSpent,
    /// How often users come (distinct active days).
    VisitFrequency,
    /// Money paid.
    Revenue,
    /// Average revenue per user (per month).
    Arpu,
}

impl ValueMetric {
    /// The name of the matching primary metric in the standard metric tree.
    ///
    /// ```
    /// assert_eq!(userops::quadrant::ValueMetric::VisitFrequency.metric_name(), "visit_frequency");
    /// ```
    #[must_use]
    pub fn metric_name(self) -> &'static str {
        match self {
            ValueMetric::TimeSpent => "time_spent",
            ValueMetric::VisitFrequency => "visit_frequency",
            ValueMetric::Revenue => "revenue",
            ValueMetric::Arpu => "arpu",
        }
    }
}

impl fmt::Display for ValueMetric {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.metric_name())
    }
}

/// One of the four quadrants, with what it calls for.
///
/// ```
/// use userops::quadrant::{Frequency, Payment, Quadrant, ValueMetric};
/// let q = Quadrant { frequency: Frequency::Low, payment: Payment::Direct };
/// assert_eq!(q.value_metrics(), vec![ValueMetric::Revenue]);
/// assert!(q.warning().is_none());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Quadrant {
    /// Usage frequency.
    pub frequency: Frequency,
    /// Direct payment.
    pub payment: Payment,
}

impl Quadrant {
    /// The value metrics this quadrant calls for, most important first.
    ///
    /// * low frequency, no payment → visit frequency (the first job is to make the product
    ///   used more often), with a [`Quadrant::warning`];
    /// * low frequency, paid → revenue first;
    /// * high frequency, free → time spent and visit frequency;
    /// * high frequency, paid → visit frequency, time spent, revenue and ARPU together.
    ///
    /// ```
    /// use userops::quadrant::{Frequency, Payment, Quadrant, ValueMetric::*};
    /// let games = Quadrant { frequency: Frequency::High, payment: Payment::Direct };
    /// assert_eq!(games.value_metrics(), vec![VisitFrequency, TimeSpent, Revenue, Arpu]);
    /// ```
    #[must_use]
    pub fn value_metrics(&self) -> Vec<ValueMetric> {
        use ValueMetric::{Arpu, Revenue, TimeSpent, VisitFrequency};
        match (self.frequency, self.payment) {
            (Frequency::Low, Payment::None) => vec![VisitFrequency],
            (Frequency::Low, Payment::Direct) => vec![Revenue],
            (Frequency::High, Payment::None) => vec![TimeSpent, VisitFrequency],
            (Frequency::High, Payment::Direct) => vec![VisitFrequency, TimeSpent, Revenue, Arpu],
        }
    }

    /// The warning for the low-frequency, unpaid quadrant; `None` for the others.
    ///
    /// ```
    /// use userops::quadrant::{Frequency, Payment, Quadrant};
    /// let q = Quadrant { frequency: Frequency::Low, payment: Payment::None };
    /// assert!(q.warning().unwrap().contains("little commercial value"));
    /// ```
    #[must_use]
    pub fn warning(&self) -> Option<&'static str> {
        match (self.frequency, self.payment) {
            (Frequency::Low, Payment::None) => Some(
                "low usage frequency and no direct payment: the product has little commercial value as it stands; raise how often it is used or find a way to charge",
            ),
            _ => None,
        }
    }

    /// A short name and typical products of the quadrant.
    ///
    /// ```
    /// use userops::quadrant::{Frequency, Payment, Quadrant};
    /// let q = Quadrant { frequency: Frequency::High, payment: Payment::None };
    /// assert!(q.label().contains("social"));
    /// ```
    #[must_use]
    pub fn label(&self) -> &'static str {
        match (self.frequency, self.payment) {
            (Frequency::Low, Payment::None) => {
                "low frequency, no direct payment (tools used now and then)"
            }
            (Frequency::Low, Payment::Direct) => {
                "low frequency, paid directly (dating, home services, car wash)"
            }
            (Frequency::High, Payment::None) => "high frequency, free (social, content)",
            (Frequency::High, Payment::Direct) => {
                "high frequency, paid directly (games, video memberships)"
            }
        }
    }
}

/// The thresholds of the two axes, checked on construction.
///
/// A product is high frequency when `active_days_per_user_month >= high_frequency_days`
/// and paid directly when `payer_share >= direct_payer_share` (exactly at a threshold counts as
/// high / paid). Defaults: 4.0 days (about weekly use) and 0.02 (2% of active users pay in a
/// month).
///
/// ```
/// use userops::quadrant::QuadrantParams;
/// let p = QuadrantParams::new(10.0, 0.05)?;
/// assert_eq!((p.high_frequency_days(), p.direct_payer_share()), (10.0, 0.05));
/// assert!(QuadrantParams::new(0.0, 0.05).is_err());
/// assert_eq!(QuadrantParams::default().high_frequency_days(), 4.0);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct QuadrantParams {
    high_frequency_days: f64,
    direct_payer_share: f64,
}

impl Default for QuadrantParams {
    fn default() -> Self {
        QuadrantParams {
            high_frequency_days: 4.0,
            direct_payer_share: 0.02,
        }
    }
}

impl QuadrantParams {
    /// Thresholds: active days per user per month for high frequency (in `(0, 31]`), share
    /// of active users who pay for "paid directly" (in `(0, 1]`).
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] naming the threshold that is out of range or not finite.
    ///
    /// ```
    /// assert!(userops::quadrant::QuadrantParams::new(4.0, 1.5).is_err());
    /// ```
    pub fn new(high_frequency_days: f64, direct_payer_share: f64) -> Result<Self> {
        if !(high_frequency_days.is_finite()
            && high_frequency_days > 0.0
            && high_frequency_days <= 31.0)
        {
            return Err(Error::invalid(
                "high_frequency_days",
                format!("must be in (0, 31] active days per month, got {high_frequency_days}"),
            ));
        }
        if !(direct_payer_share.is_finite()
            && direct_payer_share > 0.0
            && direct_payer_share <= 1.0)
        {
            return Err(Error::invalid(
                "direct_payer_share",
                format!("must be a share in (0, 1], got {direct_payer_share}"),
            ));
        }
        Ok(QuadrantParams {
            high_frequency_days,
            direct_payer_share,
        })
    }

    /// Active days per user per month at or above which a product is high frequency.
    ///
    /// ```
    /// assert_eq!(userops::quadrant::QuadrantParams::default().high_frequency_days(), 4.0);
    /// ```
    #[must_use]
    pub fn high_frequency_days(&self) -> f64 {
        self.high_frequency_days
    }

    /// Share of active users who pay at or above which a product is paid directly.
    ///
    /// ```
    /// assert_eq!(userops::quadrant::QuadrantParams::default().direct_payer_share(), 0.02);
    /// ```
    #[must_use]
    pub fn direct_payer_share(&self) -> f64 {
        self.direct_payer_share
    }
}

/// The counts behind [`ProductFigures`] measured from events.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct UsageCounts {
    /// Distinct users.
    pub users: u64,
    /// (user, calendar month) pairs with at least one event.
    pub active_user_months: u64,
    /// (user, calendar day) pairs with at least one event.
    pub active_user_days: u64,
    /// (user, calendar month) pairs with at least one payment (amount > 0).
    pub paying_user_months: u64,
}

/// The two measured figures a quadrant is decided on: measured from events
/// ([`UsageSummary`]) or given by the host ([`ProductFigures::given`]).
///
/// ```
/// let f = userops::quadrant::ProductFigures::given(12.0, 0.3)?;
/// assert!(f.counts.is_none());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ProductFigures {
    /// Mean distinct active days per active user per calendar month.
    pub active_days_per_user_month: f64,
    /// Mean share of active users who pay in a month.
    pub payer_share: f64,
    /// The counts, when measured from events; `None` when the host gave the figures.
    pub counts: Option<UsageCounts>,
}

impl ProductFigures {
    /// Figures the host knows already (from its own analytics).
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] when days are negative, above 31 or not finite, or the share
    /// is outside `[0, 1]`.
    ///
    /// ```
    /// assert!(userops::quadrant::ProductFigures::given(-1.0, 0.1).is_err());
    /// ```
    pub fn given(active_days_per_user_month: f64, payer_share: f64) -> Result<Self> {
        if !(active_days_per_user_month.is_finite()
            && (0.0..=31.0).contains(&active_days_per_user_month))
        {
            return Err(Error::invalid(
                "active_days_per_user_month",
                format!("must be in [0, 31], got {active_days_per_user_month}"),
            ));
        }
        if !(payer_share.is_finite() && (0.0..=1.0).contains(&payer_share)) {
            return Err(Error::invalid(
                "payer_share",
                format!("must be a share in [0, 1], got {payer_share}"),
            ));
        }
        Ok(ProductFigures {
            active_days_per_user_month,
            payer_share,
            counts: None,
        })
    }
}

/// The product's quadrant, the value metrics it calls for, and why.
///
/// Serialized with `frequency` and `payment` first:
/// `{"frequency": "high", "payment": "direct", ...}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QuadrantReport {
    /// High or low usage frequency.
    pub frequency: Frequency,
    /// Paid directly or not.
    pub payment: Payment,
    /// The quadrant's name and typical products.
    pub label: String,
    /// The value metrics to steer by, most important first.
    pub value_metrics: Vec<ValueMetric>,
    /// The warning of the low-frequency, unpaid quadrant.
    pub warning: Option<String>,
    /// The measured figures.
    pub measured: ProductFigures,
    /// The thresholds they were compared with.
    pub thresholds: QuadrantParams,
    /// One sentence per axis: the measured value against its threshold.
    pub reasons: Vec<String>,
}

impl QuadrantReport {
    /// The quadrant as a pair.
    ///
    /// ```
    /// use userops::quadrant::{classify, ProductFigures, QuadrantParams, Frequency};
    /// let r = classify(&ProductFigures::given(1.0, 0.5)?, &QuadrantParams::default())?;
    /// assert_eq!(r.quadrant().frequency, Frequency::Low);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn quadrant(&self) -> Quadrant {
        Quadrant {
            frequency: self.frequency,
            payment: self.payment,
        }
    }
}

impl fmt::Display for QuadrantReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "quadrant: {}", self.label)?;
        for r in &self.reasons {
            writeln!(f, "  - {r}")?;
        }
        let metrics: Vec<&str> = self.value_metrics.iter().map(|m| m.metric_name()).collect();
        write!(f, "value metrics: {}", metrics.join(", "))?;
        if let Some(w) = &self.warning {
            write!(f, "\nwarning: {w}")?;
        }
        Ok(())
    }
}

/// Places a product in its quadrant.
///
/// # Errors
/// [`Error::InvalidParameter`] when a figure is not finite or out of range.
///
/// ```
/// use userops::quadrant::{classify, Frequency, Payment, ProductFigures, QuadrantParams};
/// // Exactly at both default thresholds: high frequency, paid directly.
/// let r = classify(&ProductFigures::given(4.0, 0.02)?, &QuadrantParams::default())?;
/// assert_eq!((r.frequency, r.payment), (Frequency::High, Payment::Direct));
/// assert!(r.reasons[0].contains("4.00 active days"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn classify(figures: &ProductFigures, params: &QuadrantParams) -> Result<QuadrantReport> {
    // Re-check: figures may have been built field by field.
    ProductFigures::given(figures.active_days_per_user_month, figures.payer_share)?;
    let params = QuadrantParams::new(params.high_frequency_days, params.direct_payer_share)?;
    let days = figures.active_days_per_user_month;
    let share = figures.payer_share;
    let frequency = if days >= params.high_frequency_days {
        Frequency::High
    } else {
        Frequency::Low
    };
    let payment = if share >= params.direct_payer_share {
        Payment::Direct
    } else {
        Payment::None
    };
    let q = Quadrant { frequency, payment };
    let reasons = vec![
        format!(
            "frequency {}: {:.2} active days per user per month {} the threshold {:.2}",
            if frequency == Frequency::High {
                "high"
            } else {
                "low"
            },
            days,
            if frequency == Frequency::High {
                "is at or above"
            } else {
                "is below"
            },
            params.high_frequency_days
        ),
        format!(
            "payment {}: {:.1}% of active users pay in a month, {} the threshold {:.1}%",
            if payment == Payment::Direct {
                "direct"
            } else {
                "none"
            },
            share * 100.0,
            if payment == Payment::Direct {
                "at or above"
            } else {
                "below"
            },
            params.direct_payer_share * 100.0
        ),
    ];
    Ok(QuadrantReport {
        frequency,
        payment,
        label: q.label().to_string(),
        value_metrics: q.value_metrics(),
        warning: q.warning().map(str::to_string),
        measured: *figures,
        thresholds: params,
        reasons,
    })
}

/// Measures [`ProductFigures`] from events: per user, the distinct local days with an event
/// and whether the user paid (amount > 0) on each.
///
/// Days and months are local calendar days and months in zone `Tz`. Partial first and last
/// months count as months (a product measured over a few days looks less frequent than it
/// is: give it whole months). Memory is proportional to active user-days.
///
/// `finish` gives [`Error::Empty`] when no event was seen. See the [module docs](self).
///
/// ```
/// use chrono::{TimeZone, Utc};
/// use userops::event::EventRecord;
/// use userops::fold::{fold, Summary};
/// use userops::quadrant::UsageSummary;
///
/// let t = |m, d| Utc.with_ymd_and_hms(2025, m, d, 8, 0, 0).unwrap();
/// let log = vec![
///     EventRecord::<&str>::new("a", t(1, 3)).with_amount(9.0),
///     EventRecord::new("a", t(2, 3)),
///     EventRecord::new("b", t(2, 4)),
/// ];
/// let f = fold(UsageSummary::new(Utc), &log)?.finish()?;
/// // 3 user-months, each with one active day; 1 of them paying.
/// assert_eq!(f.active_days_per_user_month, 1.0);
/// assert_eq!(f.payer_share, 1.0 / 3.0);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(bound(
    serialize = "U: Serialize, Tz: NamedZone",
    deserialize = "U: Deserialize<'de> + Clone + Eq + Hash + Ord, Tz: NamedZone"
))]
pub struct UsageSummary<U, Tz: TimeZone = crate::time::Zone> {
    #[serde(with = "crate::engine::zone")]
    tz: Tz,
    /// Per user: the local days (days from CE) with an event, and whether the user paid on
    /// each.
    users: PerUser<U, ActiveDays>,
}

/// One user's active local days (days from CE) → paid that day; never empty.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(transparent)]
struct ActiveDays(BTreeMap<i32, bool>);

impl ActiveDays {
    fn add(&mut self, day: i32, paid: bool) {
        *self.0.entry(day).or_insert(false) |= paid;
    }
}

impl<'de> Deserialize<'de> for ActiveDays {
    /// Only what a fold makes: at least one day, each a date chrono can represent.
    fn deserialize<D: serde::Deserializer<'de>>(
        deserializer: D,
    ) -> std::result::Result<Self, D::Error> {
        use serde::de::Error as _;
        let days = BTreeMap::<i32, bool>::deserialize(deserializer)?;
        if days.is_empty() {
            return Err(D::Error::custom(
                "a user of a usage summary has no active day",
            ));
        }
        if let Some(d) = days
            .keys()
            .find(|&&d| NaiveDate::from_num_days_from_ce_opt(d).is_none())
        {
            return Err(D::Error::custom(format!("day {d} is not a date")));
        }
        Ok(ActiveDays(days))
    }
}

impl<U: Eq + Hash, Tz: TimeZone> UsageSummary<U, Tz> {
    /// An empty summary with days and months in zone `tz`.
    ///
    /// ```
    /// let s = userops::quadrant::UsageSummary::<u64, _>::new(chrono::Utc);
    /// # let _ = s;
    /// ```
    pub fn new(tz: Tz) -> Self {
        UsageSummary {
            tz,
            users: PerUser::new(),
        }
    }
}

impl<E, Tz> Fold<E> for UsageSummary<E::User, Tz>
where
    E: Event,
    Tz: TimeZone + PartialEq,
{
    fn observe(&mut self, event: &E) -> Result<()> {
        let amount = checked_amount(event)?;
        let day = checked_at(event)?
            .with_timezone(&self.tz)
            .date_naive()
            .num_days_from_ce();
        self.users
            .entry(event.user(), ActiveDays::default)?
            .add(day, amount > 0.0);
        Ok(())
    }
}

impl<U: Clone + Eq + Hash + Ord, Tz: TimeZone + PartialEq> Summary for UsageSummary<U, Tz> {
    type Output = ProductFigures;

    fn merge(&mut self, other: Self) -> Result<()> {
        if self.tz != other.tz {
            return Err(Error::MergeMismatch(
                "usage summaries use different time zones".into(),
            ));
        }
        self.users.merge(other.users, |mine, theirs| {
            for (day, paid) in theirs.0 {
                mine.add(day, paid);
            }
        })
    }

    fn finish(self) -> Result<ProductFigures> {
        let mut counts = UsageCounts {
            users: self.users.len() as u64,
            active_user_months: 0,
            active_user_days: 0,
            paying_user_months: 0,
        };
        for ActiveDays(days) in self.users.states() {
            // Days are sorted, so a month's days are consecutive.
            let mut month: Option<(i32, u32)> = None;
            let mut month_paid = false;
            for (&d, &paid) in days {
                counts.active_user_days += 1;
                let m = NaiveDate::from_num_days_from_ce_opt(d).map(|x| (x.year(), x.month()));
                if m != month {
                    if month.is_some() && month_paid {
                        counts.paying_user_months += 1;
                    }
                    counts.active_user_months += 1;
                    month = m;
                    month_paid = false;
                }
                month_paid |= paid;
            }
            if month.is_some() && month_paid {
                counts.paying_user_months += 1;
            }
        }
        if counts.active_user_months == 0 {
            return Err(Error::Empty("no events to measure the product's usage on"));
        }
        let months = counts.active_user_months as f64;
        Ok(ProductFigures {
            active_days_per_user_month: counts.active_user_days as f64 / months,
            payer_share: counts.paying_user_months as f64 / months,
            counts: Some(counts),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::EventRecord;
    use crate::fold::{fold, laws};
    use chrono::Utc;

    #[test]
    fn payment_on_a_day_without_other_events_counts() {
        let t = |d| Utc.with_ymd_and_hms(2025, 1, d, 0, 0, 0).unwrap();
        let log: Vec<EventRecord<u8>> = vec![
            EventRecord::new(1_u8, t(1)),
            EventRecord::new(1_u8, t(1)).with_amount(2.0),
            EventRecord::new(1_u8, t(31)),
        ];
        let f = fold(UsageSummary::new(Utc), &log)
            .unwrap()
            .finish()
            .unwrap();
        assert_eq!(f.counts.unwrap().active_user_days, 2);
        assert_eq!(f.payer_share, 1.0);
        let same = |a: &ProductFigures, b: &ProductFigures| a == b;
        laws::merge_law(|| UsageSummary::new(Utc), &log, &[1], same).unwrap();
        laws::order_law(|| UsageSummary::new(Utc), &log, &[2, 0, 1], same).unwrap();
    }
}
