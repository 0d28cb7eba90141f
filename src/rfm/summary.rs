//! The per-user purchase summary RFM starts from: recency, frequency and monetary value as of
//! an explicit instant, as a mergeable fold; and the same table from customer-level rows.

use std::collections::HashSet;
use std::fmt;
use std::hash::Hash;

use chrono::{DateTime, Datelike, Utc};
use serde::{Deserialize, Serialize};

use crate::engine::{EventTable, PerUser, TablePart, TableUsers};
use crate::event::{Event, checked_amount, checked_at};
use crate::fold::{Fold, FoldTable, Summary};
use crate::time::Zone;
use crate::{Error, Result};

const MS_PER_DAY: f64 = 86_400_000.0;

/// What an [`RfmSummary`] keeps per user: 24 bytes (checked by a test with `size_of`).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub(crate) struct PurchaseState {
    /// The last purchase, in milliseconds since the epoch.
    last_ms: i64,
    monetary: f64,
    orders: u64,
}

impl PurchaseState {
    pub(crate) const EMPTY: PurchaseState = PurchaseState {
        last_ms: i64::MIN,
        monetary: 0.0,
        orders: 0,
    };

    /// One more purchase at `ms` (milliseconds since the epoch) of `amount`.
    ///
    /// `Err(())` when the monetary total would leave the finite numbers (the state is then
    /// unchanged); a count of orders cannot pass `u64::MAX` one purchase at a time.
    #[inline]
    fn add(&mut self, ms: i64, amount: f64) -> std::result::Result<(), ()> {
        let monetary = self.monetary + amount;
        if !monetary.is_finite() {
            return Err(());
        }
        self.last_ms = self.last_ms.max(ms);
        self.monetary = monetary;
        self.orders += 1;
        Ok(())
    }

    /// Adds another part's state of the same customer.
    fn merge(&mut self, o: &PurchaseState) -> Result<()> {
        let monetary = crate::checked::add(self.monetary, o.monetary, || {
            "a customer's monetary total".into()
        })?;
        let orders =
            crate::checked::add_count(self.orders, o.orders, || "a customer's order count".into())?;
        *self = PurchaseState {
            last_ms: self.last_ms.max(o.last_ms),
            monetary,
            orders,
        };
        Ok(())
    }

    /// Days from the last purchase to `as_of_ms` (milliseconds since the epoch).
    #[inline]
    pub(crate) fn recency_days(&self, as_of_ms: i64) -> f64 {
        as_of_ms.saturating_sub(self.last_ms) as f64 / MS_PER_DAY
    }

    #[inline]
    pub(crate) fn orders(&self) -> u64 {
        self.orders
    }

    #[inline]
    pub(crate) fn monetary(&self) -> f64 {
        self.monetary
    }
}

/// Users and their states, in slot order: a summary's own, or a part a merge appended.
#[derive(Debug, Clone)]
pub(crate) struct Part<U> {
    pub(crate) users: Vec<U>,
    pub(crate) states: Vec<PurchaseState>,
}

/// The raw state of a summary, for scoring straight from it (no table in between): the states
/// keep their time keys ([`PurchaseState::recency_days`] converts them). The parts hold the
/// slots in order (slot `i` of the second part is slot `parts[0].len() + i`).
pub(crate) struct SummaryParts<U> {
    pub(crate) as_of_ms: i64,
    pub(crate) parts: Vec<Part<U>>,
    pub(crate) day_counts: Option<Vec<u32>>,
}

impl<U> SummaryParts<U> {
    /// Number of slots over all parts.
    pub(crate) fn len(&self) -> usize {
        self.parts.iter().map(|p| p.states.len()).sum()
    }
}

/// Per-user recency, frequency and monetary value as of an explicit instant: a mergeable fold
/// over purchase events.
///
/// * **recency** — exact days (fractional) from the user's last purchase to `as_of`;
/// * **frequency** — number of purchases (transactions) and, when
///   [`RfmSummary::distinct_days`] is on, the number of distinct purchase days in a zone;
/// * **monetary** — total and mean amount (refunds, being negative, lower it).
///
/// Every folded event is a purchase (the R package `rfm` counts every order row); for a mixed
/// log use [`RfmSummary::payments_only`] to skip events without an amount. Events may come in
/// any order; customers are kept in the engine's [`PerUser`] (one state per customer in a
/// dense vector, the user dictionary shared with every model), and rows come out in the order
/// customers were first seen. The partial state serializes (serde) and reads back equal.
///
/// ```
/// use chrono::{TimeZone, Utc};
/// use userops::event::EventRecord;
/// use userops::fold::{fold, Summary};
/// use userops::rfm::RfmSummary;
///
/// let day = |d| Utc.with_ymd_and_hms(2025, 3, d, 0, 0, 0).unwrap();
/// let orders = vec![
///     EventRecord::<&str>::new("ana", day(1)).with_amount(30.0),
///     EventRecord::new("ana", day(11)).with_amount(12.0),
///     EventRecord::new("bo", day(21)).with_amount(99.0),
/// ];
/// let table = fold(RfmSummary::new(day(31)), &orders)?.finish()?;
/// let ana = &table.customers[0];
/// assert_eq!((ana.recency_days, ana.orders, ana.monetary, ana.mean_monetary), (20.0, 2, 42.0, 21.0));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct RfmSummary<U> {
    as_of: DateTime<Utc>,
    as_of_ms: i64,
    payments_only: bool,
    day_zone: Option<Zone>,
    customers: PerUser<U, PurchaseState>,
    /// (customer index, local day number) pairs, when distinct days are counted.
    days: HashSet<(u32, i32)>,
}

impl<U: Clone + Eq + Hash> RfmSummary<U> {
    /// An empty summary as of `as_of` (events later than it are an error).
    ///
    /// ```
    /// let s = userops::rfm::RfmSummary::<u64>::new(chrono::DateTime::UNIX_EPOCH);
    /// assert!(s.is_empty());
    /// ```
    #[must_use]
    pub fn new(as_of: DateTime<Utc>) -> Self {
        RfmSummary {
            as_of,
            as_of_ms: as_of.timestamp_millis(),
            payments_only: false,
            day_zone: None,
            customers: PerUser::new(),
            days: HashSet::new(),
        }
    }

    /// Skips events whose amount is exactly 0 (sessions, page views) so that a mixed event
    /// log can be folded directly; refunds (negative amounts) still count as transactions.
    ///
    /// ```
    /// use chrono::{TimeZone, Utc};
    /// use userops::event::EventRecord;
    /// use userops::fold::{fold, Summary};
    /// let t = Utc.with_ymd_and_hms(2025, 1, 1, 0, 0, 0).unwrap();
    /// let log = vec![EventRecord::<u8>::new(1_u8, t), EventRecord::new(1_u8, t).with_amount(5.0)];
    /// let table = fold(userops::rfm::RfmSummary::new(t).payments_only(true), &log)?.finish()?;
    /// assert_eq!(table.customers[0].orders, 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn payments_only(mut self, yes: bool) -> Self {
        self.payments_only = yes;
        self
    }

    /// Also counts distinct purchase days (calendar days in `zone`) per user.
    ///
    /// Exact under any order and any merge, at the price of memory proportional to distinct
    /// (user, day) pairs rather than to users; off by default.
    ///
    /// ```
    /// use chrono::{TimeZone, Utc};
    /// use userops::event::EventRecord;
    /// use userops::fold::{fold, Summary};
    /// use userops::time::Zone;
    /// let at = |d, h| Utc.with_ymd_and_hms(2025, 1, d, h, 0, 0).unwrap();
    /// let log = vec![
    ///     EventRecord::<u8>::new(1_u8, at(1, 9)).with_amount(5.0),
    ///     EventRecord::new(1_u8, at(1, 18)).with_amount(5.0),
    ///     EventRecord::new(1_u8, at(2, 9)).with_amount(5.0),
    /// ];
    /// let s = userops::rfm::RfmSummary::new(at(3, 0)).distinct_days(Zone::Utc);
    /// let table = fold(s, &log)?.finish()?;
    /// assert_eq!((table.customers[0].orders, table.customers[0].purchase_days), (3, Some(2)));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn distinct_days(mut self, zone: Zone) -> Self {
        self.day_zone = Some(zone);
        self
    }

    /// The as-of instant.
    ///
    /// ```
    /// let s = userops::rfm::RfmSummary::<u64>::new(chrono::DateTime::UNIX_EPOCH);
    /// assert_eq!(s.as_of(), chrono::DateTime::UNIX_EPOCH);
    /// ```
    #[must_use]
    pub fn as_of(&self) -> DateTime<Utc> {
        self.as_of
    }

    /// Number of users seen.
    ///
    /// ```
    /// let s = userops::rfm::RfmSummary::<u64>::new(chrono::DateTime::UNIX_EPOCH);
    /// assert_eq!(s.len(), 0);
    /// ```
    #[must_use]
    pub fn len(&self) -> usize {
        self.customers.len()
    }

    /// Whether no user has been seen.
    ///
    /// ```
    /// let s = userops::rfm::RfmSummary::<u64>::new(chrono::DateTime::UNIX_EPOCH);
    /// assert!(s.is_empty());
    /// ```
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.customers.is_empty()
    }

    /// The users, their states and day counts (every state has at least one order).
    pub(crate) fn into_parts(self) -> SummaryParts<U> {
        let n = self.len();
        let day_counts = self.day_zone.map(|_| {
            let mut counts = vec![0u32; n];
            for (customer, _) in &self.days {
                if let Some(c) = counts.get_mut(*customer as usize) {
                    *c += 1;
                }
            }
            counts
        });
        let as_of_ms = self.as_of_ms;
        let (users, states) = self.customers.into_parts();
        let parts = if users.is_empty() {
            Vec::new()
        } else {
            vec![Part { users, states }]
        };
        SummaryParts {
            as_of_ms,
            parts,
            day_counts,
        }
    }

    #[allow(clippy::trivially_copy_pass_by_ref)] // pedantic; `zone: Zone` would do as well
    fn day_number(zone: &Zone, at: DateTime<Utc>) -> i32 {
        at.with_timezone(zone).date_naive().num_days_from_ce()
    }
}

impl<E> Fold<E> for RfmSummary<E::User>
where
    E: Event,
{
    #[inline]
    fn observe(&mut self, event: &E) -> Result<()> {
        let amount = event.amount();
        if !amount.is_finite() {
            return Err(non_finite(event));
        }
        if self.payments_only && amount == 0.0 {
            return Ok(());
        }
        let at = checked_at(event)?;
        if at > self.as_of {
            return Err(after_as_of(event, self.as_of));
        }
        let customer = self
            .customers
            .index(event.user(), || PurchaseState::EMPTY)?;
        self.customers.states_mut()[customer as usize]
            .add(at.timestamp_millis(), amount)
            .map_err(|()| overflow(event))?;
        if let Some(zone) = &self.day_zone {
            self.days.insert((customer, Self::day_number(zone, at)));
        }
        Ok(())
    }
}

impl<U: Clone + Eq + Hash + Ord + fmt::Debug> FoldTable<U> for RfmSummary<U> {
    /// A customer comes at the first row, unless only payments count.
    fn splits_by_user(&self) -> bool {
        !self.payments_only
    }

    fn observe_part(&mut self, table: &EventTable<U>, part: &TablePart) -> Result<()> {
        if self.day_zone.is_some() {
            // Distinct days need the local date of every purchase: the plain road.
            return crate::fold::observe_part_as_events(self, table, part);
        }
        let rows = part.rows_in(table.len());
        let as_of_micros = self.as_of.timestamp_micros();
        let mut users = TableUsers::new(table);
        let columns = table.user_column()[rows.clone()]
            .iter()
            .zip(&table.at_column()[rows.clone()])
            .zip(&table.amount_column()[rows.clone()]);
        for (i, ((&user, &at), &amount)) in columns.enumerate() {
            if !part.holds(user) || (self.payments_only && amount == 0.0) {
                continue;
            }
            if !amount.is_finite() || at > as_of_micros {
                let row = table.row(rows.start + i).ok_or(Error::Empty("table row"))?;
                return Err(if amount.is_finite() {
                    after_as_of(&row, self.as_of)
                } else {
                    non_finite(&row)
                });
            }
            let customer =
                users.index_row(rows.start + i, &mut self.customers, || PurchaseState::EMPTY)?;
            if self.customers.states_mut()[customer as usize]
                .add(at.div_euclid(1000), amount)
                .is_err()
            {
                let row = table.row(rows.start + i).ok_or(Error::Empty("table row"))?;
                return Err(overflow(&row));
            }
        }
        Ok(())
    }
}

#[cold]
#[inline(never)]
fn non_finite<E: Event>(event: &E) -> Error {
    checked_amount(event)
        .err()
        .unwrap_or_else(|| Error::InvalidInput("amount is not finite".into()))
}

#[cold]
#[inline(never)]
fn overflow<E: Event>(event: &E) -> Error {
    Error::Overflow {
        what: format!("the monetary total of customer {:?}", event.user()),
        hint: crate::checked::SCALE_HINT,
    }
}

#[cold]
#[inline(never)]
fn after_as_of<E: Event>(event: &E, as_of: DateTime<Utc>) -> Error {
    Error::AfterAsOf {
        at: event.at().to_rfc3339(),
        as_of: as_of.to_rfc3339(),
        user: format!("{:?}", event.user()),
    }
}

impl<U: Clone + Eq + Hash + Ord> Summary for RfmSummary<U> {
    type Output = RfmTable<U>;

    fn merge(&mut self, other: Self) -> Result<()> {
        if self.as_of != other.as_of {
            return Err(Error::MergeMismatch(format!(
                "RFM summaries as of {} and {}",
                self.as_of.to_rfc3339(),
                other.as_of.to_rfc3339()
            )));
        }
        if self.payments_only != other.payments_only || self.day_zone != other.day_zone {
            return Err(Error::MergeMismatch(
                "RFM summaries differ in payments_only or distinct_days".into(),
            ));
        }
        // An overflow stops nothing midway (the states of the users it hits stay as they
        // were) but the merge reports it: a summary that fails to merge is to be dropped.
        let mut overflow = None;
        let map = self
            .customers
            .merge_indexed(other.customers, |mine, theirs| {
                if let Err(e) = mine.merge(&theirs) {
                    overflow.get_or_insert(e);
                }
            })?;
        for (customer, day) in other.days {
            if let Some(&to) = map.get(customer as usize) {
                self.days.insert((to, day));
            }
        }
        overflow.map_or(Ok(()), Err)
    }

    fn finish(self) -> Result<RfmTable<U>> {
        let as_of = self.as_of;
        let mut table = Self::table_from_parts(self.into_parts());
        table.as_of = Some(as_of);
        Ok(table)
    }
}

/// The serialized form of an [`RfmSummary`]: settings, customers and their states (last
/// purchase in milliseconds since the epoch), and the distinct (customer, day) pairs.
#[derive(Serialize)]
#[serde(rename = "RfmSummary")]
struct RfmStateRef<'a, U> {
    as_of: DateTime<Utc>,
    payments_only: bool,
    day_zone: Option<String>,
    users: &'a [U],
    states: &'a [PurchaseState],
    days: Vec<(u32, i32)>,
}

#[derive(Deserialize)]
#[serde(rename = "RfmSummary")]
struct RfmState<U> {
    as_of: DateTime<Utc>,
    payments_only: bool,
    day_zone: Option<String>,
    users: Vec<U>,
    states: Vec<PurchaseState>,
    days: Vec<(u32, i32)>,
}

impl<U: Clone + Eq + Hash + Ord + Serialize> Serialize for RfmSummary<U> {
    fn serialize<S: serde::Serializer>(
        &self,
        serializer: S,
    ) -> std::result::Result<S::Ok, S::Error> {
        let mut days: Vec<(u32, i32)> = self.days.iter().copied().collect();
        days.sort_unstable();
        RfmStateRef {
            as_of: self.as_of,
            payments_only: self.payments_only,
            day_zone: self.day_zone.map(|z| z.name()),
            users: self.customers.users().values(),
            states: self.customers.states(),
            days,
        }
        .serialize(serializer)
    }
}

impl<'de, U> Deserialize<'de> for RfmSummary<U>
where
    U: Clone + Eq + Hash + Ord + Deserialize<'de>,
{
    fn deserialize<D: serde::Deserializer<'de>>(
        deserializer: D,
    ) -> std::result::Result<Self, D::Error> {
        use serde::de::Error as _;
        let state = RfmState::<U>::deserialize(deserializer)?;
        let mut summary = RfmSummary::new(state.as_of).payments_only(state.payments_only);
        if let Some(zone) = state.day_zone {
            summary = summary.distinct_days(Zone::parse(&zone).map_err(D::Error::custom)?);
        }
        for s in &state.states {
            if s.last_ms > summary.as_of_ms || DateTime::from_timestamp_millis(s.last_ms).is_none()
            {
                return Err(D::Error::custom(
                    "a last purchase after the as-of instant or outside chrono's range",
                ));
            }
            if s.orders == 0 || !s.monetary.is_finite() {
                return Err(D::Error::custom(
                    "a customer without orders or with a non-finite monetary total",
                ));
            }
        }
        summary.customers =
            PerUser::from_parts(state.users, state.states).map_err(D::Error::custom)?;
        if summary.day_zone.is_none() && !state.days.is_empty() {
            return Err(D::Error::custom("purchase days without distinct_days"));
        }
        for (customer, day) in state.days {
            if customer as usize >= summary.len() {
                return Err(D::Error::custom("a purchase day of an unknown customer"));
            }
            summary.days.insert((customer, day));
        }
        Ok(summary)
    }
}

impl<U: PartialEq> PartialEq for RfmSummary<U> {
    fn eq(&self, other: &Self) -> bool {
        self.as_of == other.as_of
            && self.payments_only == other.payments_only
            && self.day_zone == other.day_zone
            && self.customers == other.customers
            && self.days == other.days
    }
}
impl<U> RfmSummary<U> {
    /// The table of a summary's parts (rows of users with at least one order).
    pub(crate) fn table_from_parts(parts: SummaryParts<U>) -> RfmTable<U> {
        let as_of_ms = parts.as_of_ms;
        let mut customers = Vec::with_capacity(parts.len());
        let day_counts = parts.day_counts;
        customers.extend(
            parts
                .parts
                .into_iter()
                .flat_map(|p| p.users.into_iter().zip(p.states))
                .enumerate()
                .filter(|(_, (_, s))| s.orders > 0)
                .map(|(i, (user, s))| CustomerRfm {
                    user,
                    recency_days: s.recency_days(as_of_ms),
                    orders: s.orders,
                    purchase_days: day_counts.as_ref().and_then(|c| c.get(i).copied()),
                    monetary: s.monetary,
                    mean_monetary: s.monetary / s.orders as f64,
                }),
        );
        RfmTable {
            as_of: DateTime::from_timestamp_millis(as_of_ms),
            customers,
        }
    }
}

/// One customer's recency, frequency and monetary value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CustomerRfm<U> {
    /// The customer.
    pub user: U,
    /// Exact days from the last purchase to the as-of instant (fractional; never negative).
    pub recency_days: f64,
    /// Number of purchases (transactions).
    pub orders: u64,
    /// Distinct purchase days, when counted ([`RfmSummary::distinct_days`]).
    pub purchase_days: Option<u32>,
    /// Total amount.
    pub monetary: f64,
    /// Mean amount per purchase (`monetary / orders`; 0 when there are no orders).
    pub mean_monetary: f64,
}

/// A customer-level row, for hosts that already have recency, order count and revenue per
/// customer (the R package's `rfm_table_customer` case).
///
/// ```
/// let row = userops::rfm::CustomerRow::<&str>::new("22086", 232.0, 9, 777.0);
/// assert_eq!(row.orders, 9);
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CustomerRow<U> {
    /// The customer.
    pub user: U,
    /// Days since the last purchase (finite, not negative).
    pub recency_days: f64,
    /// Number of orders.
    pub orders: u64,
    /// Total revenue (finite).
    pub monetary: f64,
}

impl<U> CustomerRow<U> {
    /// A row.
    ///
    /// ```
    /// let row = userops::rfm::CustomerRow::<u32>::new(7_u32, 3.5, 2, 40.0);
    /// assert_eq!(row.recency_days, 3.5);
    /// ```
    pub fn new(user: impl Into<U>, recency_days: f64, orders: u64, monetary: f64) -> Self {
        CustomerRow {
            user: user.into(),
            recency_days,
            orders,
            monetary,
        }
    }
}

/// Recency, frequency and monetary value of every customer: the input of scoring.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RfmTable<U> {
    /// The as-of instant (unknown for customer-level rows).
    pub as_of: Option<DateTime<Utc>>,
    /// One row per customer, in the order customers were first seen.
    pub customers: Vec<CustomerRfm<U>>,
}

impl<U: Clone + Eq + Hash + fmt::Debug> RfmTable<U> {
    /// A table from customer-level rows.
    ///
    /// # Errors
    /// * [`Error::NonFinite`] for a NaN or infinite recency or revenue;
    /// * [`Error::Negative`] for a negative recency;
    /// * [`Error::InvalidInput`] when a customer appears twice.
    ///
    /// ```
    /// use userops::rfm::{CustomerRow, RfmTable};
    /// let table = RfmTable::from_customers(vec![
    ///     CustomerRow::<&str>::new("a", 10.0, 3, 120.0),
    ///     CustomerRow::new("b", 200.0, 1, 15.0),
    /// ])?;
    /// assert_eq!(table.customers[0].mean_monetary, 40.0);
    /// assert!(RfmTable::from_customers(vec![CustomerRow::<&str>::new("a", -1.0, 1, 1.0)]).is_err());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn from_customers(rows: impl IntoIterator<Item = CustomerRow<U>>) -> Result<Self> {
        let mut seen: HashSet<U> = HashSet::new();
        let mut customers = Vec::new();
        for row in rows {
            let who = || format!("{:?}", row.user);
            if !row.recency_days.is_finite() {
                return Err(Error::NonFinite {
                    field: "recency_days",
                    value: row.recency_days,
                    user: who(),
                });
            }
            if !row.monetary.is_finite() {
                return Err(Error::NonFinite {
                    field: "monetary",
                    value: row.monetary,
                    user: who(),
                });
            }
            if row.recency_days < 0.0 {
                return Err(Error::Negative {
                    field: "recency_days",
                    value: row.recency_days,
                    user: who(),
                    hint: "; a last purchase after the analysis date is not allowed",
                });
            }
            if !seen.insert(row.user.clone()) {
                return Err(Error::InvalidInput(format!(
                    "customer {} appears twice in the customer-level rows",
                    who()
                )));
            }
            customers.push(CustomerRfm {
                mean_monetary: if row.orders == 0 {
                    0.0
                } else {
                    row.monetary / row.orders as f64
                },
                user: row.user,
                recency_days: row.recency_days,
                orders: row.orders,
                purchase_days: None,
                monetary: row.monetary,
            });
        }
        Ok(RfmTable {
            as_of: None,
            customers,
        })
    }
}

impl<U: fmt::Display> fmt::Display for RfmTable<U> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{:<20} {:>12} {:>8} {:>12} {:>10}",
            "customer", "recency_days", "orders", "monetary", "mean"
        )?;
        crate::report::rows(f, &self.customers, "customers", |f, c| {
            writeln!(
                f,
                "{:<20} {:>12.1} {:>8} {:>12.2} {:>10.2}",
                c.user.to_string(),
                c.recency_days,
                c.orders,
                c.monetary,
                c.mean_monetary
            )
        })?;
        write!(f, "{} customers", self.customers.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn purchase_state_is_24_bytes() {
        // Last purchase (i64), monetary (f64), orders (u64); the id and its dictionary entry
        // live in the engine's `PerUser`.
        assert_eq!(std::mem::size_of::<PurchaseState>(), 24);
    }
}
