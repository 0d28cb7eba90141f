//! Transaction log → per-customer BTYD summary (frequency, recency, T, mean repeat spend),
//! with an optional holdout period. A mergeable fold.

use std::fmt;
use std::hash::Hash;

use chrono::{Datelike, NaiveDate, TimeZone, Utc};
use serde::{Deserialize, Serialize};

use super::model::{Customer, TimeUnit};
use crate::engine::{EventTable, PerUser, TablePart, TableUsers};
use crate::engine::{Projection, Scale, reserve_column};
use crate::event::{Event, checked_amount, checked_at};
use crate::fold::{Fold, FoldTable, Summary};
use crate::time::NamedZone;
use crate::{Error, Result};

/// One customer's BTYD summary: calibration statistics and, when a holdout period is set,
/// what they did in it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CustomerSummary<U> {
    /// The customer.
    pub user: U,
    /// Repeat purchase days in calibration: distinct purchase days after the first.
    pub frequency: u32,
    /// Time from the first to the last purchase day in calibration.
    pub recency: f64,
    /// `T`: time from the first purchase day to the calibration end day.
    #[serde(rename = "T")]
    pub age: f64,
    /// Mean spend per repeat purchase day (a day's amounts summed; the first day excluded);
    /// 0 without repeat purchases.
    pub monetary: f64,
    /// Distinct purchase days in the holdout period (0 without one).
    pub frequency_holdout: u32,
    /// Mean spend per purchase day in the holdout period (0 without purchases).
    pub monetary_holdout: f64,
    /// Length of the holdout period (0 without one).
    pub duration_holdout: f64,
}

impl<U> CustomerSummary<U> {
    /// The row the models take.
    ///
    /// ```
    /// let s = userops::ltv::CustomerSummary { user: 1, frequency: 2, recency: 3.0, age: 5.0,
    ///     monetary: 7.0, frequency_holdout: 0, monetary_holdout: 0.0, duration_holdout: 0.0 };
    /// assert_eq!(s.customer().frequency, 2);
    /// ```
    pub fn customer(&self) -> Customer {
        Customer {
            frequency: self.frequency,
            recency: self.recency,
            age: self.age,
            monetary: self.monetary,
        }
    }
}

/// The finished [`BtydSummary`]: one row per customer whose first purchase is in calibration,
/// ordered by customer.
///
/// `Display` prints the first and the last [`crate::report::HEAD_ROWS`] customers and a count
/// of those between; `{:#}` prints every customer ([`crate::report`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BtydReport<U> {
    /// The time unit of recency, T and the holdout duration.
    pub unit: TimeUnit,
    /// Last day of the calibration period (inclusive).
    pub calibration_end: NaiveDate,
    /// Last day of the holdout period (inclusive), if any.
    pub holdout_end: Option<NaiveDate>,
    /// One row per customer.
    pub customers: Vec<CustomerSummary<U>>,
    /// Customers whose first purchase is after the calibration end (not in `customers`).
    pub first_purchase_after_calibration: u64,
    /// Transactions after the calibration end that were ignored because no holdout is set.
    pub ignored_after_calibration: u64,
}

impl<U> BtydReport<U> {
    /// The rows the models take, in the order of `customers`.
    ///
    /// ```
    /// let r = userops::ltv::BtydReport::<u32> { unit: userops::ltv::TimeUnit::Day,
    ///     calibration_end: chrono::NaiveDate::from_ymd_opt(2025, 1, 1).unwrap(), holdout_end: None,
    ///     customers: vec![], first_purchase_after_calibration: 0, ignored_after_calibration: 0 };
    /// assert!(r.to_customers().is_empty());
    /// ```
    pub fn to_customers(&self) -> Vec<Customer> {
        self.customers
            .iter()
            .map(CustomerSummary::customer)
            .collect()
    }

    /// The rows the models take, in the order of `customers`, with recency and `T` converted
    /// into time unit `unit` (give a model its own [`crate::ltv::TransactionModel::unit`]).
    ///
    /// ```
    /// use userops::ltv::{BtydReport, CustomerSummary, TimeUnit};
    /// let r = BtydReport::<u32> { unit: TimeUnit::Day,
    ///     calibration_end: chrono::NaiveDate::from_ymd_opt(2025, 1, 1).unwrap(), holdout_end: None,
    ///     customers: vec![CustomerSummary { user: 1, frequency: 1, recency: 7.0, age: 14.0,
    ///         monetary: 5.0, frequency_holdout: 0, monetary_holdout: 0.0, duration_holdout: 0.0 }],
    ///     first_purchase_after_calibration: 0, ignored_after_calibration: 0 };
    /// let weeks = r.customers_in(TimeUnit::Week);
    /// assert_eq!((weeks[0].recency, weeks[0].age), (1.0, 2.0));
    /// ```
    #[must_use]
    pub fn customers_in(&self, unit: TimeUnit) -> Vec<Customer> {
        self.customers
            .iter()
            .map(|c| Customer {
                recency: self.unit.convert(c.recency, unit),
                age: self.unit.convert(c.age, unit),
                ..c.customer()
            })
            .collect()
    }

    /// The same report with its times (recency, `T`, holdout duration) in time unit `unit`.
    ///
    /// ```
    /// use userops::ltv::{BtydReport, TimeUnit};
    /// let r = BtydReport::<u32> { unit: TimeUnit::Week,
    ///     calibration_end: chrono::NaiveDate::from_ymd_opt(2025, 1, 1).unwrap(), holdout_end: None,
    ///     customers: vec![], first_purchase_after_calibration: 0, ignored_after_calibration: 0 };
    /// assert_eq!(r.in_unit(TimeUnit::Day).unit, TimeUnit::Day);
    /// ```
    #[must_use]
    pub fn in_unit(mut self, unit: TimeUnit) -> Self {
        let from = self.unit;
        for c in &mut self.customers {
            c.recency = from.convert(c.recency, unit);
            c.age = from.convert(c.age, unit);
            c.duration_holdout = from.convert(c.duration_holdout, unit);
        }
        self.unit = unit;
        self
    }
}

impl<U: fmt::Debug> fmt::Display for BtydReport<U> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "BTYD summary: {} customers, calibration to {} (times in {}s){}",
            self.customers.len(),
            self.calibration_end,
            self.unit,
            self.holdout_end
                .map(|h| format!(", holdout to {h}"))
                .unwrap_or_default()
        )?;
        writeln!(
            f,
            "{:<12} {:>9} {:>9} {:>9} {:>10} {:>9}",
            "customer", "frequency", "recency", "T", "monetary", "holdout"
        )?;
        crate::report::rows(f, &self.customers, "customers", |f, c| {
            writeln!(
                f,
                "{:<12} {:>9} {:>9.2} {:>9.2} {:>10.2} {:>9}",
                format!("{:?}", c.user),
                c.frequency,
                c.recency,
                c.age,
                c.monetary,
                c.frequency_holdout
            )
        })
    }
}

/// Purchase days kept inline before a customer's days move elsewhere.
const INLINE_DAYS: usize = 11;

/// One customer's purchase days (calibration and holdout), unsorted, possibly repeated: a
/// few inline; a whole run of one user's events (see [`Fold::observe_many`]) as a range of
/// the summary's shared arena, so that no customer needs an allocation of its own; or a
/// `Vec` once days come one at a time past the inline ones (or to an arena range). A day equal
/// to the last one is skipped (several purchases on one day).
#[derive(Debug, Clone, PartialEq)]
enum Days {
    Inline { len: u8, days: [i32; INLINE_DAYS] },
    Arena { start: u32, len: u32 },
    Heap(Vec<i32>),
}

impl Days {
    const EMPTY: Days = Days::Inline {
        len: 0,
        days: [0; INLINE_DAYS],
    };

    fn is_empty(&self) -> bool {
        matches!(self, Days::Inline { len: 0, .. })
    }

    /// The days; `arena` is the summary's.
    fn as_slice<'a>(&'a self, arena: &'a [i32]) -> &'a [i32] {
        match self {
            Days::Inline { len, days } => days.get(..usize::from(*len)).unwrap_or_default(),
            Days::Arena { start, len } => {
                let start = *start as usize;
                arena.get(start..start + *len as usize).unwrap_or_default()
            }
            Days::Heap(v) => v,
        }
    }

    fn push(&mut self, day: i32, arena: &[i32]) {
        if self.as_slice(arena).last() == Some(&day) {
            return;
        }
        match self {
            Days::Inline { len, days } => {
                if let Some(slot) = days.get_mut(usize::from(*len)) {
                    *slot = day;
                    *len += 1;
                    return;
                }
            }
            Days::Heap(v) => {
                v.push(day);
                return;
            }
            Days::Arena { .. } => {}
        }
        // Full inline, or an arena range (which cannot grow): move to the heap.
        let old = self.as_slice(arena);
        let mut v = Vec::with_capacity((2 * old.len()).max(8));
        v.extend_from_slice(old);
        v.push(day);
        *self = Days::Heap(v);
    }

    /// Days whose range is in another summary's arena: moved to `offset` in this one's
    /// (`fits`) or, when the arena would pass 2^32 days, to the heap.
    fn adopt(&mut self, other_arena: &[i32], offset: usize, fits: bool) {
        let Days::Arena { start, .. } = *self else {
            return;
        };
        let moved = u32::try_from(offset)
            .ok()
            .and_then(|o| start.checked_add(o))
            .filter(|_| fits);
        match (moved, &mut *self) {
            (Some(moved), Days::Arena { start, .. }) => *start = moved,
            _ => *self = Days::Heap(self.as_slice(other_arena).to_vec()),
        }
    }
}

impl Days {
    /// The days of a run, at `arena`'s end from `run_start`, settled: moved inline when
    /// few, else kept as that range of the arena (or moved to the heap when the arena would
    /// pass 2^32 days).
    fn settle(arena: &mut Vec<i32>, run_start: usize) -> Days {
        let run = arena.get(run_start..).unwrap_or_default();
        let len = run.len();
        if len <= INLINE_DAYS {
            let mut days = [0; INLINE_DAYS];
            if let Some(head) = days.get_mut(..len) {
                head.copy_from_slice(run);
            }
            arena.truncate(run_start);
            return Days::Inline {
                len: len as u8, // <= INLINE_DAYS
                days,
            };
        }
        match (u32::try_from(run_start), u32::try_from(arena.len())) {
            (Ok(start), Ok(_)) => Days::Arena {
                start,
                len: len as u32, // < 2^32: the end fits
            },
            _ => {
                let days = Days::Heap(run.to_vec());
                arena.truncate(run_start);
                days
            }
        }
    }
}

/// Takes in another summary's arena: appended to `arena`, the days of `states` (the other
/// summary's) moved to their new ranges.
fn adopt_arena(arena: &mut Vec<i32>, other_arena: &[i32], states: &mut [State]) {
    let offset = arena.len();
    let fits = u32::try_from(offset + other_arena.len()).is_ok();
    for s in states.iter_mut() {
        s.days.adopt(other_arena, offset, fits);
    }
    if fits {
        arena.extend_from_slice(other_arena);
    }
}

#[derive(Debug, Clone, PartialEq)]
struct State {
    /// Purchase days (calibration and holdout), unsorted, possibly repeated.
    days: Days,
    amounts: Amounts,
}

/// A state's amounts and first day, apart from its days: a run of purchases adds to a copy of
/// them in locals (registers), written back once when the run ends.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Amounts {
    /// First calibration purchase day (`i32::MAX` when none yet).
    first_day: i32,
    /// Amount spent on `first_day`.
    first_amount: f64,
    /// Amount spent in calibration.
    calibration: f64,
    /// Amount spent in the holdout period.
    holdout: f64,
}

impl Amounts {
    #[inline]
    fn add(&mut self, p: Purchase) {
        if p.holdout {
            self.holdout += p.amount;
        } else {
            self.calibration += p.amount;
            if p.day < self.first_day {
                self.first_day = p.day;
                self.first_amount = p.amount;
            } else if p.day == self.first_day {
                self.first_amount += p.amount;
            }
        }
    }
}

/// Per-customer BTYD summary of a transaction log, as `lifetimes`'
/// `summary_data_from_transaction_data` / `calibration_and_holdout_data` compute it:
/// purchases are counted by distinct calendar day in the zone `Tz`; frequency is the number
/// of purchase days after the first; recency and T are whole days between purchase days and
/// the calibration end day, expressed in the chosen [`TimeUnit`]; monetary is the mean spend
/// of the repeat purchase days.
///
/// Events after the calibration end count in the holdout period when one is set (events after
/// its end are an error), else they are ignored and counted in the report.
///
/// ```
/// use chrono::{NaiveDate, TimeZone, Utc};
/// use userops::event::EventRecord;
/// use userops::fold::{fold, Summary};
/// use userops::ltv::{BtydSummary, TimeUnit};
///
/// let at = |m, d| Utc.with_ymd_and_hms(1997, m, d, 12, 0, 0).unwrap();
/// let log = vec![
///     EventRecord::<u32>::new(4_u32, at(1, 1)).with_amount(29.33),
///     EventRecord::new(4_u32, at(1, 18)).with_amount(29.73),
///     EventRecord::new(4_u32, at(8, 2)).with_amount(14.96),
///     EventRecord::new(4_u32, at(12, 12)).with_amount(26.48),
/// ];
/// let end = NaiveDate::from_ymd_opt(1997, 9, 30).unwrap();
/// let report = fold(BtydSummary::new(end, TimeUnit::Week), &log)?.finish()?;
/// let c = &report.customers[0];
/// assert_eq!(c.frequency, 2);
/// assert!((c.recency - 213.0 / 7.0).abs() < 1e-12); // Jan 1 -> Aug 2
/// assert!((c.age - 272.0 / 7.0).abs() < 1e-12);     // Jan 1 -> Sep 30
/// assert!((c.monetary - (29.73 + 14.96) / 2.0).abs() < 1e-12);
/// assert_eq!(report.ignored_after_calibration, 1);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// The partial state serializes (serde) with its settings and, per customer, the purchase
/// days and amounts; deserializing checks that a fold could have made it.
#[derive(Debug, Clone)]
pub struct BtydSummary<U, Tz: TimeZone = Utc> {
    zone: Tz,
    unit: TimeUnit,
    calibration_end: NaiveDate,
    holdout_end: Option<NaiveDate>,
    cal_day: i32,
    holdout_day: Option<i32>,
    customers: PerUser<U, State>,
    first_after: u64,
    ignored: u64,
    /// The days of customers first seen in a run of [`Fold::observe_many`] (see
    /// [`Days::Arena`]).
    arena: Vec<i32>,
}

impl<U: Eq + Hash> BtydSummary<U, Utc> {
    /// An empty summary with days in UTC; calibration ends on `calibration_end` (inclusive).
    ///
    /// ```
    /// let end = chrono::NaiveDate::from_ymd_opt(1997, 9, 30).unwrap();
    /// let s = userops::ltv::BtydSummary::<u64>::new(end, userops::ltv::TimeUnit::Week);
    /// assert!(s.is_empty());
    /// ```
    #[must_use]
    pub fn new(calibration_end: NaiveDate, unit: TimeUnit) -> Self {
        BtydSummary::with_zone(Utc, calibration_end, unit)
    }
}

impl<U: Eq + Hash, Tz: TimeZone> BtydSummary<U, Tz> {
    /// An empty summary counting purchase days in the zone `zone`.
    ///
    /// ```
    /// let end = chrono::NaiveDate::from_ymd_opt(2025, 3, 31).unwrap();
    /// let zone = userops::time::Zone::parse("Europe/Paris")?;
    /// let s = userops::ltv::BtydSummary::<u64, _>::with_zone(zone, end, userops::ltv::TimeUnit::Day);
    /// assert_eq!(s.len(), 0);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn with_zone(zone: Tz, calibration_end: NaiveDate, unit: TimeUnit) -> Self {
        BtydSummary {
            zone,
            unit,
            calibration_end,
            holdout_end: None,
            cal_day: calibration_end.num_days_from_ce(),
            holdout_day: None,
            customers: PerUser::new(),
            first_after: 0,
            ignored: 0,
            arena: Vec::new(),
        }
    }

    /// Sets a holdout period from the day after the calibration end to `holdout_end`
    /// (inclusive).
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] naming `holdout_end` when it is not after the calibration end.
    ///
    /// ```
    /// use chrono::NaiveDate;
    /// let d = |m| NaiveDate::from_ymd_opt(1997, m, 30).unwrap();
    /// let s = userops::ltv::BtydSummary::<u64>::new(d(9), userops::ltv::TimeUnit::Week);
    /// assert!(s.clone().holdout(d(6)).is_err());
    /// assert!(s.holdout(d(11)).is_ok());
    /// ```
    pub fn holdout(mut self, holdout_end: NaiveDate) -> Result<Self> {
        if holdout_end <= self.calibration_end {
            return Err(Error::invalid(
                "holdout_end",
                format!(
                    "{holdout_end} is not after the calibration end {}",
                    self.calibration_end
                ),
            ));
        }
        self.holdout_end = Some(holdout_end);
        self.holdout_day = Some(holdout_end.num_days_from_ce());
        Ok(self)
    }

    /// Customers seen so far.
    ///
    /// ```
    /// let end = chrono::NaiveDate::from_ymd_opt(1997, 9, 30).unwrap();
    /// assert_eq!(userops::ltv::BtydSummary::<u64>::new(end, userops::ltv::TimeUnit::Day).len(), 0);
    /// ```
    pub fn len(&self) -> usize {
        self.customers.len()
    }

    /// Whether no customer has been seen.
    ///
    /// ```
    /// let end = chrono::NaiveDate::from_ymd_opt(1997, 9, 30).unwrap();
    /// assert!(userops::ltv::BtydSummary::<u64>::new(end, userops::ltv::TimeUnit::Day).is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.customers.is_empty()
    }

    fn settings_differ(&self, other: &Self) -> bool
    where
        Tz: PartialEq,
    {
        self.zone != other.zone
            || self.unit != other.unit
            || self.calibration_end != other.calibration_end
            || self.holdout_end != other.holdout_end
    }
}

impl State {
    fn empty() -> State {
        State {
            days: Days::EMPTY,
            amounts: Amounts {
                first_day: i32::MAX,
                first_amount: 0.0,
                calibration: 0.0,
                holdout: 0.0,
            },
        }
    }

    #[inline]
    fn add(&mut self, p: Purchase, arena: &[i32]) {
        self.days.push(p.day, arena);
        self.amounts.add(p);
    }

    /// Adds another state of the same customer; both states' days are in `arena`.
    fn merge(&mut self, o: &State, arena: &[i32]) {
        for &d in o.days.as_slice(arena) {
            self.days.push(d, arena);
        }
        let (a, b) = (&mut self.amounts, &o.amounts);
        a.calibration += b.calibration;
        a.holdout += b.holdout;
        if b.first_day < a.first_day {
            a.first_day = b.first_day;
            a.first_amount = b.first_amount;
        } else if b.first_day == a.first_day && b.first_day != i32::MAX {
            a.first_amount += b.first_amount;
        }
    }
}

impl<E, Tz> Fold<E> for BtydSummary<E::User, Tz>
where
    E: Event,
    Tz: TimeZone + PartialEq,
{
    fn observe(&mut self, event: &E) -> Result<()> {
        let Some(purchase) = self.purchase(event)? else {
            self.ignored += 1;
            return Ok(());
        };
        let i = self.customer(event.user())?;
        if let Some(s) = self.customers.states_mut().get_mut(i) {
            s.add(purchase, &self.arena);
        }
        Ok(())
    }

    /// A run of one customer's purchases at a time: the run's state taken out of the table
    /// while the run is added, and the days of a customer first seen in the run stored in
    /// the shared arena (no allocation per customer).
    fn observe_many(&mut self, events: &[E]) -> Result<()> {
        self.fold_runs(
            events.iter(),
            |_| true,
            |summary, event| summary.customer(event.user()),
        )
    }
}

impl<U, Tz> FoldTable<U> for BtydSummary<U, Tz>
where
    U: Clone + Eq + Hash + Ord + fmt::Debug,
    Tz: TimeZone + PartialEq,
{
    /// The report lists customers sorted by id, whatever order they came in.
    fn splits_by_user(&self) -> bool {
        true
    }

    fn observe_part(&mut self, table: &EventTable<U>, part: &TablePart) -> Result<()> {
        let rows = part.rows_in(table.len());
        let mut users = TableUsers::new(table);
        self.fold_runs(
            table.rows().skip(rows.start).take(rows.len()),
            |row| part.holds(row.user_index()),
            |summary, row| {
                users
                    .index_row(row.position(), &mut summary.customers, State::empty)
                    .map(|i| i as usize)
            },
        )
    }
}

impl<U: Clone + Eq + Hash + Ord + fmt::Debug, Tz: TimeZone + PartialEq> BtydSummary<U, Tz> {
    /// Folds `events` a run of one customer's purchases at a time, each event's customer
    /// index given by `customer` (the dictionary, or a table's user indices).
    fn fold_runs<E: Event<User = U>>(
        &mut self,
        events: impl ExactSizeIterator<Item = E>,
        keep: impl Fn(&E) -> bool,
        mut customer: impl FnMut(&mut Self, &E) -> Result<usize>,
    ) -> Result<()> {
        let mut run: Option<Run> = None;
        let mut outcome = Ok(());
        let total = events.len();
        let mut projection = Projection::new(self.is_empty(), total);
        for (k, event) in events.enumerate() {
            if let Some(scale) = projection.due(total - k) {
                self.reserve_projected(scale);
            }
            if !keep(&event) {
                continue;
            }
            let purchase = match self.classify(&event) {
                Class::Purchase(purchase) => purchase,
                Class::Ignored => {
                    self.ignored += 1;
                    continue;
                }
                Class::Bad => {
                    outcome = Err(self.purchase_error(&event));
                    break;
                }
            };
            let i = match customer(self, &event) {
                Ok(i) => i,
                Err(e) => {
                    outcome = Err(e);
                    break;
                }
            };
            let run = match &mut run {
                Some(r) if r.customer == i => r,
                _ => {
                    if let Some(ended) = run.take() {
                        self.end_run(ended);
                    }
                    run.insert(self.start_run(i))
                }
            };
            run.add(purchase, &mut self.arena);
        }
        if let Some(ended) = run {
            self.end_run(ended);
        }
        outcome
    }
}

/// One customer's run of purchases in [`Fold::observe_many`]: the state, out of the table
/// until the run ends.
struct Run {
    customer: usize,
    state: State,
    /// Whether the state had no day before the run: its days then go straight to the arena's
    /// end from `start` (consecutive repeats skipped) and are settled when the run ends.
    fresh: bool,
    start: usize,
}

impl Run {
    #[inline]
    fn add(&mut self, p: Purchase, arena: &mut Vec<i32>) {
        if self.fresh {
            if arena.len() == self.start || arena.last() != Some(&p.day) {
                arena.push(p.day);
            }
        } else {
            self.state.days.push(p.day, arena);
        }
        self.state.amounts.add(p);
    }
}

/// What [`BtydSummary::classify`] makes of an event.
#[derive(Debug, Clone, Copy)]
enum Class {
    Purchase(Purchase),
    /// After the calibration end, with no holdout period (counted as ignored).
    Ignored,
    /// A non-finite amount, a day out of range or a purchase after the holdout end.
    Bad,
}

/// One purchase as the summary counts it.
#[derive(Debug, Clone, Copy)]
struct Purchase {
    /// Local calendar day number (days from the common era).
    day: i32,
    /// Whether it falls in the holdout period.
    holdout: bool,
    amount: f64,
}

impl<U, Tz> BtydSummary<U, Tz>
where
    U: Clone + Eq + Hash + Ord + fmt::Debug,
    Tz: TimeZone,
{
    /// The event's purchase, `None` when it is after the calibration end and no holdout is
    /// set (ignored and counted).
    #[inline]
    fn purchase<E: Event<User = U>>(&self, event: &E) -> Result<Option<Purchase>> {
        match self.classify(event) {
            Class::Purchase(p) => Ok(Some(p)),
            Class::Ignored => Ok(None),
            Class::Bad => Err(self.purchase_error(event)),
        }
    }

    /// [`BtydSummary::purchase`] without building an error: a small value the run loop keeps
    /// in registers (the error, when there is one, comes from [`BtydSummary::purchase_error`]).
    #[inline]
    fn classify<E: Event<User = U>>(&self, event: &E) -> Class {
        let amount = event.amount();
        if !amount.is_finite() {
            return Class::Bad;
        }
        let at = event.at();
        if !crate::time::is_supported(at) {
            return Class::Bad;
        }
        let Ok(day) = i32::try_from(crate::time::local_day(&self.zone, at)) else {
            return Class::Bad;
        };
        if day > self.cal_day {
            match self.holdout_day {
                None => Class::Ignored,
                Some(h) if day > h => Class::Bad,
                Some(_) => Class::Purchase(Purchase {
                    day,
                    holdout: true,
                    amount,
                }),
            }
        } else {
            Class::Purchase(Purchase {
                day,
                holdout: false,
                amount,
            })
        }
    }

    /// What is wrong with an event [`BtydSummary::classify`] finds bad.
    #[cold]
    #[inline(never)]
    fn purchase_error<E: Event<User = U>>(&self, event: &E) -> Error {
        if let Err(e) = checked_amount(event) {
            return e;
        }
        let at = match checked_at(event) {
            Ok(at) => at,
            Err(e) => return e,
        };
        if i32::try_from(crate::time::local_day(&self.zone, at)).is_err() {
            return Error::InvalidInput(format!("time {at} is out of range"));
        }
        Error::AfterAsOf {
            at: at.to_rfc3339(),
            as_of: format!(
                "{} (end of the holdout period)",
                self.holdout_end.map(|d| d.to_string()).unwrap_or_default()
            ),
            user: format!("{:?}", event.user()),
        }
    }

    /// The index of `user`'s state, an empty state made when the customer is new.
    #[inline]
    fn customer(&mut self, user: &U) -> Result<usize> {
        Ok(self.customers.index(user, State::empty)? as usize)
    }

    /// Room for the customers and arena days of a whole slice, projected from what the events
    /// folded so far made.
    #[cold]
    #[inline(never)]
    fn reserve_projected(&mut self, scale: Scale) {
        self.customers.reserve(scale.room(self.customers.len()));
        let days = scale.room(self.arena.len());
        reserve_column(&mut self.arena, days);
    }

    /// Takes customer `i`'s state out of the table for a run.
    fn start_run(&mut self, i: usize) -> Run {
        let state = self
            .customers
            .states_mut()
            .get_mut(i)
            .map_or_else(State::empty, |s| std::mem::replace(s, State::empty()));
        Run {
            customer: i,
            fresh: state.days.is_empty(),
            state,
            start: self.arena.len(),
        }
    }

    /// Puts a run's state back, its days settled.
    fn end_run(&mut self, mut run: Run) {
        if run.fresh {
            run.state.days = Days::settle(&mut self.arena, run.start);
        }
        if let Some(s) = self.customers.states_mut().get_mut(run.customer) {
            *s = run.state;
        }
    }
}

/// One customer's state as it serializes: the purchase days as stored (unsorted, no day
/// twice in a row) and the amounts.
#[derive(Serialize, Deserialize)]
struct CustomerState<Days> {
    days: Days,
    /// The first calibration purchase day, if any (days from the common era).
    first_day: Option<i32>,
    first_amount: f64,
    calibration: f64,
    holdout: f64,
}

/// Every customer's state, with the arena their days are in: serializes as a list.
struct StatesRef<'a> {
    states: &'a [State],
    arena: &'a [i32],
}

impl Serialize for StatesRef<'_> {
    fn serialize<S: serde::Serializer>(
        &self,
        serializer: S,
    ) -> std::result::Result<S::Ok, S::Error> {
        serializer.collect_seq(self.states.iter().map(|s| CustomerState {
            days: s.days.as_slice(self.arena),
            first_day: (s.amounts.first_day != i32::MAX).then_some(s.amounts.first_day),
            first_amount: s.amounts.first_amount,
            calibration: s.amounts.calibration,
            holdout: s.amounts.holdout,
        }))
    }
}

/// The customers as they serialize: `{"users": [...], "states": [...]}`, as a
/// [`PerUser`] does.
#[derive(Serialize)]
struct CustomersRef<'a, U> {
    users: &'a [U],
    states: StatesRef<'a>,
}

#[derive(Serialize)]
#[serde(bound(serialize = "U: Serialize"))]
struct BtydStateRef<'a, U> {
    zone: String,
    unit: TimeUnit,
    calibration_end: NaiveDate,
    holdout_end: Option<NaiveDate>,
    customers: CustomersRef<'a, U>,
    first_purchase_after_calibration: u64,
    ignored_after_calibration: u64,
}

impl<U: Serialize, Tz: NamedZone> Serialize for BtydSummary<U, Tz> {
    fn serialize<S: serde::Serializer>(
        &self,
        serializer: S,
    ) -> std::result::Result<S::Ok, S::Error> {
        BtydStateRef {
            zone: self.zone.zone_name(),
            unit: self.unit,
            calibration_end: self.calibration_end,
            holdout_end: self.holdout_end,
            customers: CustomersRef {
                users: self.customers.users().values(),
                states: StatesRef {
                    states: self.customers.states(),
                    arena: &self.arena,
                },
            },
            first_purchase_after_calibration: self.first_after,
            ignored_after_calibration: self.ignored,
        }
        .serialize(serializer)
    }
}

#[derive(Deserialize)]
#[serde(bound(deserialize = "U: Deserialize<'de> + Clone + Eq + Hash + Ord, Tz: NamedZone"))]
struct BtydParts<U, Tz: TimeZone> {
    #[serde(with = "crate::engine::zone")]
    zone: Tz,
    unit: TimeUnit,
    calibration_end: NaiveDate,
    holdout_end: Option<NaiveDate>,
    customers: PerUser<U, CustomerState<Vec<i32>>>,
    first_purchase_after_calibration: u64,
    ignored_after_calibration: u64,
}

impl<'de, U, Tz> Deserialize<'de> for BtydSummary<U, Tz>
where
    U: Deserialize<'de> + Clone + Eq + Hash + Ord,
    Tz: NamedZone,
{
    fn deserialize<D: serde::Deserializer<'de>>(
        deserializer: D,
    ) -> std::result::Result<Self, D::Error> {
        let parts = BtydParts::<U, Tz>::deserialize(deserializer)?;
        BtydSummary::from_parts(parts).map_err(serde::de::Error::custom)
    }
}

impl<U: Clone + Eq + Hash + Ord, Tz: TimeZone> BtydSummary<U, Tz> {
    /// The summary of a serialized state, if a fold could have made it: each customer has a
    /// purchase day, none after the period's end, no day twice in a row; the first
    /// calibration day is the earliest calibration day (none without one, and then no
    /// calibration spend); no holdout spend without a holdout day.
    fn from_parts(parts: BtydParts<U, Tz>) -> Result<Self> {
        let mut summary = BtydSummary::with_zone(parts.zone, parts.calibration_end, parts.unit);
        if let Some(h) = parts.holdout_end {
            summary = summary.holdout(h)?;
        }
        let (cal, end) = (
            summary.cal_day,
            summary.holdout_day.unwrap_or(summary.cal_day),
        );
        let (users, customers) = parts.customers.into_parts();
        let mut states = Vec::with_capacity(customers.len());
        for c in customers {
            let first = c.days.iter().copied().filter(|&d| d <= cal).min();
            let fits = !c.days.is_empty()
                && c.days.iter().all(|&d| d <= end)
                && c.days.windows(2).all(|w| w[0] != w[1])
                && c.first_day == first
                && (first.is_some() || (c.calibration == 0.0 && c.first_amount == 0.0))
                && (c.days.iter().any(|&d| d > cal) || c.holdout == 0.0);
            if !fits {
                return Err(Error::invalid(
                    "customers",
                    "a customer's days or amounts are not ones a fold with these settings makes",
                ));
            }
            let start = summary.arena.len();
            summary.arena.extend_from_slice(&c.days);
            states.push(State {
                days: Days::settle(&mut summary.arena, start),
                amounts: Amounts {
                    first_day: c.first_day.unwrap_or(i32::MAX),
                    first_amount: c.first_amount,
                    calibration: c.calibration,
                    holdout: c.holdout,
                },
            });
        }
        summary.customers = PerUser::from_parts(users, states)?;
        summary.first_after = parts.first_purchase_after_calibration;
        summary.ignored = parts.ignored_after_calibration;
        Ok(summary)
    }
}

impl<U, Tz> Summary for BtydSummary<U, Tz>
where
    U: Clone + Eq + Hash + Ord,
    Tz: TimeZone + PartialEq,
{
    type Output = BtydReport<U>;

    fn merge(&mut self, other: Self) -> Result<()> {
        if self.settings_differ(&other) {
            return Err(Error::MergeMismatch(
                "BTYD summaries with different zone, unit, calibration end or holdout end".into(),
            ));
        }
        self.first_after += other.first_after;
        self.ignored += other.ignored;
        let mut theirs = other.customers;
        adopt_arena(&mut self.arena, &other.arena, theirs.states_mut());
        let arena = &self.arena;
        self.customers
            .merge(theirs, |mine, theirs| mine.merge(&theirs, arena))
    }

    fn finish(self) -> Result<BtydReport<U>> {
        let unit_days = self.unit.days();
        let cal = self.cal_day;
        let duration_holdout = self
            .holdout_day
            .map_or(0.0, |h| f64::from(h - cal) / unit_days);
        let mut first_after = self.first_after;
        let mut rows: Vec<CustomerSummary<U>> = Vec::with_capacity(self.customers.len());
        let mut scratch: Vec<i32> = Vec::new();
        let arena = self.arena;
        for (user, s) in self.customers.into_iter() {
            if s.amounts.first_day == i32::MAX {
                first_after += 1;
                continue;
            }
            // Distinct days in order: as stored when they came in order (a log sorted by
            // time), else sorted and deduplicated in the scratch buffer.
            let stored = s.days.as_slice(&arena);
            let days: &[i32] = if stored.windows(2).all(|w| matches!(w, [a, b] if a < b)) {
                stored
            } else {
                scratch.clear();
                scratch.extend_from_slice(stored);
                scratch.sort_unstable();
                scratch.dedup();
                &scratch
            };
            let split = days.partition_point(|d| *d <= cal);
            let cal_days = days.get(..split).unwrap_or_default();
            let holdout_days = days.len() - split;
            let last = cal_days.last().copied().unwrap_or(s.amounts.first_day);
            let frequency = u32::try_from(cal_days.len().saturating_sub(1)).unwrap_or(u32::MAX);
            let monetary = if frequency > 0 {
                (s.amounts.calibration - s.amounts.first_amount) / f64::from(frequency)
            } else {
                0.0
            };
            let frequency_holdout = u32::try_from(holdout_days).unwrap_or(u32::MAX);
            rows.push(CustomerSummary {
                user,
                frequency,
                recency: f64::from(last - s.amounts.first_day) / unit_days,
                age: f64::from(cal - s.amounts.first_day) / unit_days,
                monetary,
                frequency_holdout,
                monetary_holdout: if frequency_holdout > 0 {
                    s.amounts.holdout / f64::from(frequency_holdout)
                } else {
                    0.0
                },
                duration_holdout,
            });
        }
        // Each user once: an unstable sort gives the one order there is.
        rows.sort_unstable_by(|a, b| a.user.cmp(&b.user));
        Ok(BtydReport {
            unit: self.unit,
            calibration_end: self.calibration_end,
            holdout_end: self.holdout_end,
            customers: rows,
            first_purchase_after_calibration: first_after,
            ignored_after_calibration: self.ignored,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_follow_a_zone_behind_utc() {
        use crate::event::EventRecord;
        use crate::fold::fold;
        // 03:00 UTC on Jan 2 is 22:00 on Jan 1 in New York (-05:00): with 15:00 UTC on Jan 1
        // (10:00 there), one purchase day in New York, two in UTC. Both calibrations end on
        // Jan 31: 30 days from Jan 1.
        let zone = crate::time::Zone::parse("America/New_York").unwrap();
        let end = NaiveDate::from_ymd_opt(2025, 1, 31).unwrap();
        let log = vec![
            EventRecord::<u8>::new(1_u8, Utc.with_ymd_and_hms(2025, 1, 1, 15, 0, 0).unwrap()),
            EventRecord::new(1_u8, Utc.with_ymd_and_hms(2025, 1, 2, 3, 0, 0).unwrap()),
        ];
        let ny = fold(BtydSummary::with_zone(zone, end, TimeUnit::Day), &log)
            .unwrap()
            .finish()
            .unwrap();
        let utc = fold(BtydSummary::new(end, TimeUnit::Day), &log)
            .unwrap()
            .finish()
            .unwrap();
        assert_eq!((ny.customers[0].frequency, ny.customers[0].age), (0, 30.0));
        assert_eq!(
            (utc.customers[0].frequency, utc.customers[0].age),
            (1, 30.0)
        );
    }

    #[test]
    fn days_follow_the_zone() {
        use crate::event::EventRecord;
        use crate::fold::fold;
        // 23:30 UTC on Jan 1 is Jan 2 in Paris (+01:00): two purchase days in UTC become one.
        let zone = crate::time::Zone::parse("Europe/Paris").unwrap();
        let end = NaiveDate::from_ymd_opt(2025, 1, 31).unwrap();
        let log = vec![
            EventRecord::<u8>::new(1_u8, Utc.with_ymd_and_hms(2025, 1, 1, 23, 30, 0).unwrap()),
            EventRecord::new(1_u8, Utc.with_ymd_and_hms(2025, 1, 2, 10, 0, 0).unwrap()),
        ];
        let paris = fold(BtydSummary::with_zone(zone, end, TimeUnit::Day), &log)
            .unwrap()
            .finish()
            .unwrap();
        let utc = fold(BtydSummary::new(end, TimeUnit::Day), &log)
            .unwrap()
            .finish()
            .unwrap();
        assert_eq!(
            (paris.customers[0].frequency, paris.customers[0].age),
            (0, 29.0)
        );
        assert_eq!(
            (utc.customers[0].frequency, utc.customers[0].age),
            (1, 30.0)
        );
    }
}
