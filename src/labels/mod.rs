//! Per-user labels: which users are new, dormant or churned in each period, their RFM
//! segment, health, value tier, P(alive), CLV and preference tags, as one per-user table.
//!
//! The models count users per stage, per segment, per tier; the labels say *which* users, so
//! that automation rules can target them ([`LabelTable`] is a
//! [`SegmentSource`](crate::ops::automation::SegmentSource)) and the decisions can be joined
//! to what happened next ([`crate::ops::outcome`]).
//!
//! * [`Labeler`] builds a [`LabelTable`] from the lifecycle activity and any of the other
//!   models' per-user reports, in one pass over the users;
//! * [`label_events`] is the one-call entry point over an [`EventTable`]: lifecycle stages,
//!   RFM scores and segments and health, with [`LabelOptions`];
//! * [`LabelTable::write_csv`] and [`LabelTable::write_json`] export it, one row per user;
//!   with the `arrow` feature, `LabelTable::to_record_batch` and `LabelTable::write_parquet`.
//!
//! ```
//! use chrono::{TimeZone, Utc};
//! use userops::engine::EventTable;
//! use userops::event::EventRecord;
//! use userops::labels::{label_events, LabelOptions};
//! use userops::lifecycle::Stage;
//!
//! let m = |month| Utc.with_ymd_and_hms(2025, month, 10, 0, 0, 0).unwrap();
//! let log = vec![
//!     EventRecord::<u32>::new(1_u32, m(1)).with_amount(10.0),
//!     EventRecord::new(2_u32, m(1)).with_amount(20.0),
//!     EventRecord::new(2_u32, m(3)).with_amount(5.0),
//! ];
//! let table = EventTable::from_events(&log)?;
//! let labels = label_events(&table, &LabelOptions::monthly(m(3), 3))?;
//! assert_eq!(labels.row(0).unwrap().stages, [Some(Stage::New), Some(Stage::Dormant), Some(Stage::Churned)]);
//! assert_eq!(labels.row(1).unwrap().stage(), Some(Stage::Woken));
//! let mut csv = Vec::new();
//! labels.write_csv(&mut csv)?;
//! assert!(String::from_utf8(csv)?.starts_with("user,stage_2025-01,stage_2025-02,stage_2025-03,inactive_periods"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod export;
#[cfg(feature = "arrow")]
mod parquet;
mod segments;
mod table;

use std::fmt;
use std::hash::Hash;

use chrono::{DateTime, Utc};

pub use segments::{LabelSegments, TOP_TAG};
pub use table::{ClvLabels, LabelTable, Labeler, RfmLabels, TierLabels, UserLabels};

use std::sync::Arc;

use crate::engine::{EventTable, Row};
use crate::event::Event;
use crate::fold::{FoldTable, Summary, fold};
use crate::lifecycle::{LifecycleSummary, StageParams};
use crate::ltv::{
    BgNbdParams, BtydSummary, ClvOptions, ClvReport, FitOptions, GammaGammaParams, TimeUnit,
};
use crate::metric::PreferenceSummary;
use crate::metric::{
    MetricSummary, MetricTree, TierParams, ValueReport, ValueWeights, Window, value_scores,
};
use crate::quadrant::{QuadrantParams, UsageSummary, classify};
use crate::rfm::{HealthParams, Method, RfmSummary, ScoreParams, SegmentRules};
use crate::time::{Calendar, Interval, Zone};
use crate::{Error, Result};

/// Settings of [`label_events`].
///
/// ```
/// use chrono::{TimeZone, Utc};
/// let o = userops::labels::LabelOptions::monthly(Utc.with_ymd_and_hms(2025, 6, 30, 0, 0, 0).unwrap(), 12);
/// assert_eq!((o.periods, o.stage_params.churn_after()), (12, 2));
/// ```
#[derive(Debug, Clone)]
pub struct LabelOptions {
    /// The calendar of the stage periods.
    pub calendar: Calendar<Zone>,
    /// The snapshot instant: the last stage period is the one containing it, RFM recency is
    /// counted to it. Events after it are refused.
    pub as_of: DateTime<Utc>,
    /// Stage periods, ending with the one containing `as_of` (at least 1).
    pub periods: usize,
    /// The stage model.
    pub stage_params: StageParams,
    /// RFM scoring; `None` leaves out RFM scores, segments and health.
    pub rfm: Option<ScoreParams>,
    /// RFM segment rules.
    pub segments: SegmentRules,
    /// Health thresholds on the RFM recency score; `None` leaves health out.
    pub health: Option<HealthParams>,
    /// Preference tags from the event names over the last `periods` periods (at most 64);
    /// `None` leaves tags out.
    pub tags: Option<TagOptions>,
    /// Value tiers from the value score over the `value_days` days before `as_of`, weighted
    /// as the product's quadrant recommends (as `userops value` computes them); `None`
    /// leaves value tiers out.
    pub value_days: Option<u32>,
    /// P(alive) and CLV from a BG/NBD + Gamma-Gamma fit on the purchases (amount > 0) up to
    /// `as_of`; `None` leaves them out.
    pub clv: Option<ClvLabelOptions>,
}

/// How [`label_events`] fits the CLV labels: BG/NBD in weeks on every customer's purchase
/// days, refitted with an L2 `penalizer` (as lifetimes recommends) when the plain fit does not
/// converge, and Gamma-Gamma on the repeat customers' mean spend.
///
/// ```
/// let c = userops::labels::ClvLabelOptions::default();
/// assert_eq!((c.months, c.monthly_discount, c.penalizer), (12, 0.0, 0.001));
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ClvLabelOptions {
    /// The CLV horizon in months.
    pub months: u32,
    /// The monthly discount rate of the CLV.
    pub monthly_discount: f64,
    /// The penalizer of the refit when the plain BG/NBD fit does not converge.
    pub penalizer: f64,
}

impl Default for ClvLabelOptions {
    fn default() -> Self {
        ClvLabelOptions {
            months: 12,
            monthly_discount: 0.0,
            penalizer: 0.001,
        }
    }
}

/// Which features become a user's preference tags ([`crate::metric::UserPreferences::tags`]).
///
/// ```
/// let t = userops::labels::TagOptions::default();
/// assert_eq!((t.top, t.min_share), (3, 0.3));
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TagOptions {
    /// At most this many tags per user, most preferred first.
    pub top: usize,
    /// A feature becomes a tag when used in at least this share of the user's active periods.
    pub min_share: f64,
}

impl Default for TagOptions {
    fn default() -> Self {
        TagOptions {
            top: 3,
            min_share: 0.3,
        }
    }
}

impl LabelOptions {
    /// Monthly stages in UTC over the `periods` months ending with `as_of`'s, `churn_after`
    /// 2, RFM quintiles with the standard segments and the default health thresholds.
    ///
    /// ```
    /// # use chrono::{TimeZone, Utc};
    /// let o = userops::labels::LabelOptions::monthly(Utc.with_ymd_and_hms(2025, 6, 30, 0, 0, 0).unwrap(), 6);
    /// assert!(o.rfm.is_some() && o.health.is_some());
    /// ```
    #[must_use]
    pub fn monthly(as_of: DateTime<Utc>, periods: usize) -> Self {
        LabelOptions {
            calendar: Calendar::new(Zone::Utc, Interval::Month),
            as_of,
            periods,
            stage_params: StageParams::default(),
            rfm: Some(ScoreParams::new(Method::Quantile)),
            segments: SegmentRules::standard(),
            health: Some(HealthParams::default()),
            tags: None,
            value_days: None,
            clv: None,
        }
    }
}

/// The instant of the table's last event (`None` for an empty table): the default as-of
/// instant of a labels run over a whole log.
///
/// ```
/// use chrono::{TimeZone, Utc};
/// use userops::engine::EventTable;
/// use userops::event::EventRecord;
/// let t = |d| Utc.with_ymd_and_hms(2025, 1, d, 0, 0, 0).unwrap();
/// let table = EventTable::from_events([EventRecord::<u8>::new(1_u8, t(9)), EventRecord::new(2_u8, t(3))])?;
/// assert_eq!(userops::labels::latest_event(&table), Some(t(9)));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[must_use]
pub fn latest_event<U>(table: &EventTable<U>) -> Option<DateTime<Utc>> {
    let micros = table.at_column().iter().copied().max()?;
    DateTime::<Utc>::from_timestamp_micros(micros)
}

/// Labels every user of an event table: lifecycle stages over the `periods` periods ending
/// with the one containing `as_of`, and (when set in `options`) RFM scores, segments and
/// health as of `as_of`, and preference tags from the event names. The entry point of the `labels` command.
///
/// # Errors
/// [`Error::InvalidParameter`] (`periods`) for 0 periods or more than
/// [`crate::time::MAX_PERIODS`]; [`Error::AfterAsOf`] when the table has an event after
/// `as_of`; errors of the RFM scoring and of [`Labeler::build`].
///
/// ```
/// use chrono::{TimeZone, Utc};
/// use userops::engine::EventTable;
/// use userops::event::EventRecord;
/// use userops::labels::{label_events, LabelOptions};
/// let t = Utc.with_ymd_and_hms(2025, 1, 1, 0, 0, 0).unwrap();
/// let table = EventTable::from_events([EventRecord::<u8>::new(1_u8, t)])?;
/// assert!(label_events(&table, &LabelOptions::monthly(t, 0)).is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn label_events<U>(table: &EventTable<U>, options: &LabelOptions) -> Result<LabelTable<U>>
where
    U: Clone + Eq + Hash + Ord + fmt::Debug,
{
    if options.periods == 0 || options.periods > crate::time::MAX_PERIODS {
        return Err(Error::invalid(
            "periods",
            format!(
                "label between 1 and {} periods, got {}",
                crate::time::MAX_PERIODS,
                options.periods
            ),
        ));
    }
    let cal = &options.calendar;
    let last = cal.period_of(options.as_of);
    let first = last.offset(-(options.periods as i64 - 1));
    let mut lifecycle = LifecycleSummary::new(cal.clone(), cal.start_of(&first), options.as_of)?;
    lifecycle.observe_table(table)?;
    let activity = lifecycle.finish()?;
    let preferences = match options.tags {
        Some(_) => {
            let mut p =
                PreferenceSummary::new(cal.clone(), options.as_of, options.periods.min(64))?;
            p.observe_table(table)?;
            Some(p.finish()?)
        }
        None => None,
    };
    let zone = *cal.zone();
    let value = match options.value_days {
        Some(days) => Some(value_report(table, options.as_of, zone, days)?),
        None => None,
    };
    let clv = match &options.clv {
        Some(c) => Some(clv_report(table, options.as_of, zone, c)?),
        None => None,
    };
    let mut labeler = Labeler::new(&activity, options.stage_params);
    if let (Some(p), Some(t)) = (&preferences, options.tags) {
        labeler = labeler.tags(p, t.top, t.min_share);
    }
    if let Some(v) = &value {
        labeler = labeler.value(v);
    }
    if let Some(c) = &clv {
        labeler = labeler.clv(c);
    }
    let Some(score) = &options.rfm else {
        if options.health.is_some() {
            return Err(Error::invalid(
                "health",
                "health labels come from RFM recency scores: set options.rfm",
            ));
        }
        return labeler.build();
    };
    let mut rfm = RfmSummary::new(options.as_of);
    rfm.observe_table(table)?;
    let scores = score.clone().check()?.score_summary(rfm)?;
    let segments = options.segments.segment(&scores)?;
    let labeler = labeler.rfm(&scores, &segments);
    match options.health {
        Some(h) => labeler.health(h).build(),
        None => labeler.build(),
    }
}

/// Value scores and tiers over the `days` days before `as_of`, weighted for the product's
/// quadrant.
fn value_report<U>(
    table: &EventTable<U>,
    as_of: DateTime<Utc>,
    zone: Zone,
    days: u32,
) -> Result<ValueReport<U>>
where
    U: Clone + Eq + Hash + Ord + fmt::Debug,
{
    let before = || table.rows().filter(move |r| r.at() < as_of);
    let figures = fold(UsageSummary::new(zone), before())?.finish()?;
    let quadrant = classify(&figures, &QuadrantParams::default())?;
    let tree = Arc::new(MetricTree::<Row<'_, U>>::standard().build()?);
    let window = Window::trailing_days(as_of, days)?;
    let metrics = fold(MetricSummary::new(tree, zone, window), before())?.finish()?;
    value_scores(
        &metrics,
        &ValueWeights::for_quadrant(&quadrant.quadrant()),
        &TierParams::default(),
    )
}

/// BG/NBD (weeks) + Gamma-Gamma on the purchases up to `as_of`, and each customer's CLV.
fn clv_report<U>(
    table: &EventTable<U>,
    as_of: DateTime<Utc>,
    zone: Zone,
    c: &ClvLabelOptions,
) -> Result<ClvReport<U>>
where
    U: Clone + Eq + Hash + Ord + fmt::Debug,
{
    let last_day = as_of.with_timezone(&zone).date_naive();
    let purchases = table.rows().filter(|r| r.amount() > 0.0 && r.at() <= as_of);
    let btyd = fold(
        BtydSummary::with_zone(zone, last_day, TimeUnit::Week),
        purchases,
    )?
    .finish()?;
    let customers = btyd.to_customers();
    let mut fit = BgNbdParams::fit(&customers, TimeUnit::Week, &FitOptions::new())?;
    if !fit.converged {
        fit = BgNbdParams::fit(
            &customers,
            TimeUnit::Week,
            &FitOptions::new().penalizer(c.penalizer)?,
        )?;
    }
    let spend = GammaGammaParams::fit(&customers, &FitOptions::new())?;
    let rows = btyd
        .customers
        .iter()
        .map(|b| (b.user.clone(), b.customer()));
    let options = ClvOptions::new(c.months)?.discount(c.monthly_discount)?;
    ClvReport::compute(&fit.params, &spend.params, rows, &options)
}
