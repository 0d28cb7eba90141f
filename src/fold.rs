//! The fold contract every summary follows: `observe` events, `merge` partial states,
//! `finish` into a report.
//!
//! Folding parts of the data and merging the parts gives the result of folding all of it, in
//! any order. That one law lets the same summary run on one thread ([`fold`]), on all cores
//! (`fold_par`, feature `parallel`) or as a distributed engine's aggregate (partial state,
//! merge, evaluate). [`laws`] checks it for any summary.
//!
//! ```
//! use userops::fold::{fold, Fold, Summary};
//! use userops::Result;
//!
//! /// Counts events: the smallest possible summary.
//! #[derive(Debug, Clone, Default)]
//! struct Count(u64);
//!
//! impl Summary for Count {
//!     type Output = u64;
//!     fn merge(&mut self, other: Self) -> Result<()> { self.0 += other.0; Ok(()) }
//!     fn finish(self) -> Result<u64> { Ok(self.0) }
//! }
//! impl<E> Fold<E> for Count {
//!     fn observe(&mut self, _event: &E) -> Result<()> { self.0 += 1; Ok(()) }
//! }
//!
//! let whole = fold(Count::default(), [1, 2, 3, 4, 5])?;
//! let mut left = fold(Count::default(), [1, 2])?;
//! left.merge(fold(Count::default(), [3, 4, 5])?)?;
//! assert_eq!(whole.finish()?, 5);
//! assert_eq!(left.finish()?, 5);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use crate::Result;

/// A mergeable state: the part of the fold contract that does not depend on the event type.
///
/// Laws (checked by [`laws`] in every summary's tests):
/// * **merge**: folding any split of the events into parts and merging the parts equals
///   folding the whole;
/// * **order**: the result does not depend on the order of the events.
pub trait Summary: Sized {
    /// What [`Summary::finish`] produces.
    type Output;

    /// Adds everything another partial state has seen.
    ///
    /// # Errors
    /// [`crate::Error::MergeMismatch`] when the two states were built with different settings.
    fn merge(&mut self, other: Self) -> Result<()>;

    /// The finished summary: the report.
    ///
    /// Every summary's `finish` has this one shape, `Result<Report>`, whether or not it can
    /// fail today, so that a host writes `summary.finish()?` everywhere.
    ///
    /// # Errors
    /// When the folded data cannot make a report (no events at all where the report needs
    /// some, a computed value that is not a finite number); the error says which.
    fn finish(self) -> Result<Self::Output>;
}

/// A [`Summary`] that observes events of type `E` one at a time.
pub trait Fold<E>: Summary {
    /// Adds one event.
    ///
    /// # Errors
    /// When the event is unusable for this summary (a NaN amount, an event after the as-of
    /// instant); the error names the user and the value, and the state is unchanged.
    fn observe(&mut self, event: &E) -> Result<()>;

    /// Adds every event of a slice, in order: the same state as [`Fold::observe`] on each.
    /// Summaries override it with a tighter loop (the RFM and BTYD summaries take a run of
    /// one user's events at a time), so a host that holds its events in a slice should call
    /// this rather than loop itself.
    ///
    /// # Errors
    /// The first error [`Fold::observe`] would return; the events before it are observed,
    /// the failing one and those after it are not.
    ///
    /// ```
    /// use chrono::{TimeZone, Utc};
    /// use userops::event::EventRecord;
    /// use userops::fold::{Fold, Summary};
    /// use userops::rfm::RfmSummary;
    /// let t = Utc.with_ymd_and_hms(2025, 1, 1, 0, 0, 0).unwrap();
    /// let log = vec![EventRecord::<u8>::new(1_u8, t).with_amount(5.0), EventRecord::new(1_u8, t).with_amount(2.0)];
    /// let mut summary = RfmSummary::new(t);
    /// summary.observe_many(&log)?;
    /// assert_eq!(summary.finish()?.customers[0].monetary, 7.0);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    fn observe_many(&mut self, events: &[E]) -> Result<()> {
        for (i, event) in events.iter().enumerate() {
            // A hint, no effect on the result: the event 2 KB ahead starts on its way to the
            // cache (see `userops_prefetch`).
            crate::engine::prefetch_ahead(events, i);
            self.observe(event)?;
        }
        Ok(())
    }
}

/// A [`Summary`] that folds an [`EventTable`](crate::engine::EventTable) by its columns: user
/// indices looked up once per distinct user, instants and amounts read straight from their
/// columns. The result is the state [`Fold::observe`] gives on each row in order.
///
/// ```
/// use chrono::{TimeZone, Utc};
/// use userops::engine::EventTable;
/// use userops::event::EventRecord;
/// use userops::fold::{fold, FoldTable, Summary};
/// use userops::rfm::RfmSummary;
///
/// let t = |d| Utc.with_ymd_and_hms(2025, 1, d, 0, 0, 0).unwrap();
/// let log = vec![
///     EventRecord::<u32>::new(7_u32, t(1)).with_amount(5.0),
///     EventRecord::new(9_u32, t(2)).with_amount(1.0),
///     EventRecord::new(7_u32, t(3)).with_amount(2.0),
/// ];
/// let table = EventTable::from_events(&log)?;
/// let mut by_columns = RfmSummary::new(t(10));
/// by_columns.observe_table(&table)?;
/// assert_eq!(by_columns.finish()?, fold(RfmSummary::new(t(10)), &log)?.finish()?);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub trait FoldTable<U>: Summary {
    /// Adds the rows of `part` of `table`, in order: the rows of its row range whose user
    /// lies in its user range ([`crate::engine::TablePart`]).
    ///
    /// # Errors
    /// The first error [`Fold::observe`] would return on a row; the rows before it are
    /// observed, the failing one and those after it are not.
    fn observe_part(
        &mut self,
        table: &crate::engine::EventTable<U>,
        part: &crate::engine::TablePart,
    ) -> Result<()>;

    /// Whether parts of a table cut by user ([`crate::engine::TablePart::users`]), each
    /// folded into an empty summary and merged in order, finish as the whole table's fold
    /// does, users listed in the same order: so for a summary that takes a user at the
    /// user's first row, or whose report does not depend on the order users came in.
    /// [`fold_table_par`] splits such a summary's table by user, any other by rows. False
    /// unless a summary says otherwise.
    ///
    /// ```
    /// use chrono::DateTime;
    /// use userops::fold::FoldTable;
    /// use userops::rfm::RfmSummary;
    /// let every_row = RfmSummary::<u8>::new(DateTime::UNIX_EPOCH);
    /// assert!(FoldTable::<u8>::splits_by_user(&every_row));
    /// // Payments only: a customer comes at the first payment, not at the first row.
    /// assert!(!FoldTable::<u8>::splits_by_user(&every_row.payments_only(true)));
    /// ```
    fn splits_by_user(&self) -> bool {
        false
    }

    /// Adds the rows `rows` of `table` (a range past the end stops at the end), in order.
    ///
    /// # Errors
    /// As [`FoldTable::observe_part`].
    fn observe_rows(
        &mut self,
        table: &crate::engine::EventTable<U>,
        rows: std::ops::Range<usize>,
    ) -> Result<()> {
        self.observe_part(table, &crate::engine::TablePart::rows(rows))
    }

    /// Adds every row of `table`, in order.
    ///
    /// # Errors
    /// As [`FoldTable::observe_part`].
    fn observe_table(&mut self, table: &crate::engine::EventTable<U>) -> Result<()> {
        self.observe_rows(table, 0..table.len())
    }
}

/// [`FoldTable::observe_rows`] for a summary that has no road of its own through the
/// columns: each row observed as an [`Event`](crate::event::Event) (the user's id looked up in
/// the summary's dictionary, as for the host's own events).
///
/// # Errors
/// The first error [`Fold::observe`] returns on a row.
///
/// ```
/// use chrono::DateTime;
/// use userops::engine::EventTable;
/// use userops::event::EventRecord;
/// use userops::fold::{observe_rows_as_events, Summary};
/// use userops::ops::health::DailyActivity;
///
/// let table = EventTable::from_events([EventRecord::<u8>::new(1_u8, DateTime::UNIX_EPOCH)])?;
/// let mut days = DailyActivity::new(chrono::Utc);
/// observe_rows_as_events(&mut days, &table, 0..table.len())?;
/// assert_eq!(days.finish()?.users.len(), 1);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn observe_rows_as_events<S, U>(
    summary: &mut S,
    table: &crate::engine::EventTable<U>,
    rows: std::ops::Range<usize>,
) -> Result<()>
where
    S: for<'a> Fold<crate::engine::Row<'a, U>>,
    U: Clone + Eq + std::hash::Hash + Ord + std::fmt::Debug,
{
    observe_part_as_events(summary, table, &crate::engine::TablePart::rows(rows))
}

/// [`FoldTable::observe_part`] for a summary that has no road of its own through the
/// columns: [`observe_rows_as_events`] on the rows of `part`.
///
/// # Errors
/// The first error [`Fold::observe`] returns on a row.
///
/// ```
/// use chrono::DateTime;
/// use userops::engine::{EventTable, TablePart};
/// use userops::event::EventRecord;
/// use userops::fold::{observe_part_as_events, Summary};
/// use userops::ops::health::DailyActivity;
///
/// let table = EventTable::from_events([5_u8, 6].map(|u| EventRecord::<u8>::new(u, DateTime::UNIX_EPOCH)))?;
/// let mut days = DailyActivity::new(chrono::Utc);
/// observe_part_as_events(&mut days, &table, &TablePart::users(1..2))?;
/// assert_eq!(days.finish()?.users.len(), 1);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn observe_part_as_events<S, U>(
    summary: &mut S,
    table: &crate::engine::EventTable<U>,
    part: &crate::engine::TablePart,
) -> Result<()>
where
    S: for<'a> Fold<crate::engine::Row<'a, U>>,
    U: Clone + Eq + std::hash::Hash + Ord + std::fmt::Debug,
{
    let rows = part.rows_in(table.len());
    for row in table.rows().skip(rows.start).take(rows.len()) {
        if part.holds(row.user_index()) {
            summary.observe(&row)?;
        }
    }
    Ok(())
}

/// Splits `table` over all cores (by user where the summary and the table allow, so that no
/// user's state is built twice: [`FoldTable::splits_by_user`],
/// [`EventTable::parts`](crate::engine::EventTable::parts)), folds each part into
/// a clone of `empty` with [`FoldTable::observe_part`] and merges the parts in order (feature
/// `parallel`).
///
/// # Errors
/// The first error any part's fold or merge returns.
///
/// ```
/// use chrono::{TimeZone, Utc};
/// use userops::engine::EventTable;
/// use userops::event::EventRecord;
/// use userops::fold::{fold_table_par, Summary};
/// use userops::rfm::RfmSummary;
///
/// let t = Utc.with_ymd_and_hms(2025, 1, 1, 0, 0, 0).unwrap();
/// let log: Vec<_> = (0..10_000_u32).map(|i| EventRecord::<u32>::new(i % 100, t).with_amount(1.0)).collect();
/// let table = EventTable::from_events(&log)?;
/// let report = fold_table_par(&RfmSummary::new(t), &table)?.finish()?;
/// assert_eq!(report.customers.len(), 100);
/// assert!(report.customers.iter().all(|c| c.orders == 100));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[cfg(feature = "parallel")]
pub fn fold_table_par<S, U>(empty: &S, table: &crate::engine::EventTable<U>) -> Result<S>
where
    S: FoldTable<U> + Clone + Send + Sync,
    U: Clone + Eq + std::hash::Hash + Ord + Send + Sync,
{
    use rayon::prelude::*;
    let threads = rayon::current_num_threads().max(1);
    let parts = if empty.splits_by_user() {
        table.parts(threads)
    } else {
        table.row_parts(threads)
    };
    parts
        .into_par_iter()
        .map(|part| {
            let mut state = empty.clone();
            state.observe_part(table, &part)?;
            Ok(state)
        })
        .try_reduce(
            || empty.clone(),
            |mut a, b| {
                a.merge(b)?;
                Ok(a)
            },
        )
}

/// Folds every event of an iterator into `state`.
///
/// # Errors
/// The first error [`Fold::observe`] returns.
///
/// ```
/// use chrono::{TimeZone, Utc};
/// use userops::activity::ActivitySummary;
/// use userops::event::EventRecord;
/// use userops::fold::{fold, Summary};
/// use userops::time::{Calendar, Interval};
///
/// let t = Utc.with_ymd_and_hms(2025, 1, 1, 0, 0, 0).unwrap();
/// let events = vec![EventRecord::<u32>::new(1_u32, t), EventRecord::new(2_u32, t)];
/// let summary = fold(ActivitySummary::new(Calendar::new(Utc, Interval::Month)), &events)?;
/// assert_eq!(summary.finish()?.users.len(), 2);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn fold<S, I>(mut state: S, events: I) -> Result<S>
where
    I: IntoIterator,
    S: Fold<I::Item>,
{
    for event in events {
        state.observe(&event)?;
    }
    Ok(state)
}

/// Splits `events` over all cores, folds each part into a clone of `empty` and merges the parts
/// (feature `parallel`).
///
/// # Errors
/// The first error any part's [`Fold::observe`] or [`Summary::merge`] returns.
///
/// ```
/// use chrono::{TimeZone, Utc};
/// use userops::activity::ActivitySummary;
/// use userops::event::EventRecord;
/// use userops::fold::{fold_par, Summary};
/// use userops::time::{Calendar, Interval};
///
/// let t = Utc.with_ymd_and_hms(2025, 1, 1, 0, 0, 0).unwrap();
/// let events: Vec<_> = (0..10_000_u32).map(|u| EventRecord::<u32>::new(u % 100, t)).collect();
/// let summary = fold_par(&ActivitySummary::new(Calendar::new(Utc, Interval::Month)), &events)?;
/// assert_eq!(summary.finish()?.users.len(), 100);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[cfg(feature = "parallel")]
pub fn fold_par<S, E>(empty: &S, events: &[E]) -> Result<S>
where
    S: Fold<E> + Clone + Send + Sync,
    E: Sync,
{
    use rayon::prelude::*;
    // One part per thread: a merge costs a pass over the right part's users (appended as
    // they are for parts ordered by user, one dictionary lookup each otherwise), and more
    // parts mean more merges, for a load balance an otherwise idle machine does not need.
    let threads = rayon::current_num_threads().max(1);
    let chunk = events.len().div_ceil(threads).max(4096);
    events
        .par_chunks(chunk)
        .map(|part| {
            let mut state = empty.clone();
            state.observe_many(part)?;
            Ok(state)
        })
        .try_reduce(
            || empty.clone(),
            |mut a, b| {
                a.merge(b)?;
                Ok(a)
            },
        )
}

/// Runs `a` and `b`, on two of rayon's current threads with the `parallel` feature, one after
/// the other without it: for the independent passes of a model (three score dimensions).
#[cfg(feature = "parallel")]
pub(crate) fn join<A, B, RA, RB>(a: A, b: B) -> (RA, RB)
where
    A: FnOnce() -> RA + Send,
    B: FnOnce() -> RB + Send,
    RA: Send,
    RB: Send,
{
    rayon::join(a, b)
}

/// Runs `a` and `b` one after the other (the `parallel` feature is off).
#[cfg(not(feature = "parallel"))]
pub(crate) fn join<A, B, RA, RB>(a: A, b: B) -> (RA, RB)
where
    A: FnOnce() -> RA + Send,
    B: FnOnce() -> RB + Send,
    RA: Send,
    RB: Send,
{
    (a(), b())
}

/// Maps consecutive ranges covering `0..n` and reduces the results left to right: over
/// rayon's current threads with the `parallel` feature (for large `n`), as one range without
/// it. For per-user passes of a model that only read plain slices (never the host's ids, so
/// that no `Send`/`Sync` bound reaches the host's types).
pub(crate) fn map_ranges<T, M, R>(n: usize, map: M, reduce: R) -> T
where
    T: Send,
    M: Fn(std::ops::Range<usize>) -> T + Sync,
    R: Fn(T, T) -> T + Sync,
{
    #[cfg(feature = "parallel")]
    {
        use rayon::prelude::*;
        const MIN_RANGE: usize = 1 << 15;
        let threads = rayon::current_num_threads();
        if threads > 1 && n >= 2 * MIN_RANGE {
            let parts = (threads * 4).min(n / MIN_RANGE).max(1);
            let size = n.div_ceil(parts);
            return (0..parts)
                .into_par_iter()
                .map(|p| map((p * size).min(n)..((p + 1) * size).min(n)))
                .reduce_with(&reduce)
                .unwrap_or_else(|| map(0..n));
        }
    }
    let _ = &reduce;
    map(0..n)
}

/// `(0..n).map(f)` collected: in place over rayon's current threads with the `parallel`
/// feature, in one pass without it. For per-user passes over plain slices (see [`map_ranges`]).
pub(crate) fn map_collect<T, F>(n: usize, f: F) -> Vec<T>
where
    T: Send,
    F: Fn(usize) -> T + Sync + Send,
{
    #[cfg(feature = "parallel")]
    {
        use rayon::prelude::*;
        if rayon::current_num_threads() > 1 && n >= 1 << 16 {
            let mut out = crate::engine::column(n);
            (0..n).into_par_iter().map(f).collect_into_vec(&mut out);
            return out;
        }
    }
    let mut out = crate::engine::column(n);
    out.extend((0..n).map(f));
    out
}

/// Checks for the fold laws, usable from any test (proptest or not) and from fuzz targets.
///
/// ```
/// use userops::fold::{laws, Fold, Summary};
/// use userops::Result;
///
/// #[derive(Debug, Clone, Default)]
/// struct Sum(f64);
/// impl Summary for Sum {
///     type Output = f64;
///     fn merge(&mut self, o: Self) -> Result<()> { self.0 += o.0; Ok(()) }
///     fn finish(self) -> Result<f64> { Ok(self.0) }
/// }
/// impl Fold<f64> for Sum {
///     fn observe(&mut self, e: &f64) -> Result<()> { self.0 += e; Ok(()) }
/// }
///
/// let events = [0.1, 0.2, 0.3, 0.4];
/// let close = |a: &f64, b: &f64| laws::close(*a, *b, 1e-9);
/// laws::merge_law(Sum::default, &events, &[1, 3], close).unwrap();
/// laws::order_law(Sum::default, &events, &[3, 1, 0, 2], close).unwrap();
/// ```
pub mod laws {
    use std::fmt::Debug;

    use super::Fold;

    /// Whether `a` and `b` agree within `rel` relative tolerance (absolute near zero); NaN
    /// equals NaN so that a law check never hides a NaN behind a failed comparison.
    ///
    /// ```
    /// assert!(userops::fold::laws::close(1.0, 1.0 + 1e-12, 1e-9));
    /// assert!(!userops::fold::laws::close(1.0, 1.1, 1e-9));
    /// ```
    #[must_use]
    pub fn close(a: f64, b: f64, rel: f64) -> bool {
        if a.is_nan() || b.is_nan() {
            return a.is_nan() && b.is_nan();
        }
        if a == b {
            return true;
        }
        (a - b).abs() <= rel * a.abs().max(b.abs()).max(1.0)
    }

    /// Folds `events` whole (one [`Fold::observe`] at a time), and again cut at `cuts`
    /// (indices, any order, out-of-range ones clamped) into parts, each folded with
    /// [`Fold::observe_many`] and merged left to right; `Err` describes the difference.
    ///
    /// # Errors
    /// A message when the two results differ or a fold step fails.
    ///
    /// ```
    /// # use userops::fold::{laws, Fold, Summary};
    /// # #[derive(Debug, Clone, Default)] struct N(u32);
    /// # impl Summary for N { type Output = u32;
    /// #   fn merge(&mut self, o: Self) -> userops::Result<()> { self.0 += o.0; Ok(()) }
    /// #   fn finish(self) -> userops::Result<u32> { Ok(self.0) } }
    /// # impl Fold<u8> for N {
    /// #   fn observe(&mut self, _: &u8) -> userops::Result<()> { self.0 += 1; Ok(()) } }
    /// laws::merge_law(N::default, &[1_u8, 2, 3], &[2], |a, b| a == b).unwrap();
    /// ```
    pub fn merge_law<E, S, F>(
        empty: impl Fn() -> S,
        events: &[E],
        cuts: &[usize],
        same: F,
    ) -> Result<(), String>
    where
        S: Fold<E>,
        S::Output: Debug,
        F: Fn(&S::Output, &S::Output) -> bool,
    {
        let whole = run(empty(), events.iter())?;
        let cuts = bounds(events.len(), cuts);
        let mut merged = empty();
        for w in cuts.windows(2) {
            // The whole one event at a time, the parts as slices: the law covers
            // `observe_many` too.
            let mut part = empty();
            part.observe_many(&events[w[0]..w[1]])
                .map_err(|err| format!("observe_many failed: {err}"))?;
            merged
                .merge(part)
                .map_err(|e| format!("merge failed: {e}"))?;
        }
        let Some((whole, merged)) = finish_both(whole, merged, "whole", "parts")? else {
            return Ok(());
        };
        if same(&whole, &merged) {
            Ok(())
        } else {
            Err(format!(
                "merge law broken at cuts {cuts:?}:\n whole: {whole:?}\n parts: {merged:?}"
            ))
        }
    }

    /// `cuts` (clamped to `len`, any order) with 0 and `len`, sorted and without repeats: the
    /// bounds of the parts a law cuts a log into.
    fn bounds(len: usize, cuts: &[usize]) -> Vec<usize> {
        let mut b: Vec<usize> = cuts.iter().map(|c| (*c).min(len)).collect();
        b.extend([0, len]);
        b.sort_unstable();
        b.dedup();
        b
    }

    /// `events` folded whole (one event at a time), and the parts cut at `cuts` each folded
    /// with [`Fold::observe_many`], written to JSON and read back, then merged left to right:
    /// the two states, for a caller to compare as it needs. Each part must read back equal to
    /// what was written and write the same JSON again.
    ///
    /// # Errors
    /// A message when a part does not round-trip or a fold or merge step fails.
    ///
    /// ```
    /// # use userops::fold::{laws, Fold, Summary};
    /// # #[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)] struct N(u32);
    /// # impl Summary for N { type Output = u32;
    /// #   fn merge(&mut self, o: Self) -> userops::Result<()> { self.0 += o.0; Ok(()) }
    /// #   fn finish(self) -> userops::Result<u32> { Ok(self.0) } }
    /// # impl Fold<u8> for N {
    /// #   fn observe(&mut self, _: &u8) -> userops::Result<()> { self.0 += 1; Ok(()) } }
    /// let (whole, merged) = laws::whole_and_serialized_parts(N::default, &[1_u8, 2, 3], &[1])?;
    /// assert_eq!(whole, merged);
    /// # Ok::<(), String>(())
    /// ```
    pub fn whole_and_serialized_parts<E, S>(
        empty: impl Fn() -> S,
        events: &[E],
        cuts: &[usize],
    ) -> Result<(S, S), String>
    where
        S: Fold<E> + PartialEq + Debug + serde::Serialize + serde::de::DeserializeOwned,
    {
        let whole = run(empty(), events.iter())?;
        let mut merged = empty();
        for w in bounds(events.len(), cuts).windows(2) {
            let mut part = empty();
            part.observe_many(&events[w[0]..w[1]])
                .map_err(|err| format!("observe_many failed: {err}"))?;
            let json = serde_json::to_string(&part).map_err(|e| format!("serialize: {e}"))?;
            let back: S =
                serde_json::from_str(&json).map_err(|e| format!("deserialize: {e}\n{json}"))?;
            if back != part {
                return Err(format!(
                    "round trip changed the state:\n before: {part:?}\n after: {back:?}"
                ));
            }
            let again = serde_json::to_string(&back).map_err(|e| format!("serialize: {e}"))?;
            if again != json {
                return Err(format!("written again differently:\n {json}\n {again}"));
            }
            merged
                .merge(back)
                .map_err(|e| format!("merge failed: {e}"))?;
        }
        Ok((whole, merged))
    }

    /// The merge law through serialized state, as a distributed engine ships partial
    /// aggregates: [`whole_and_serialized_parts`], then the two finished results must agree
    /// by `same`.
    ///
    /// # Errors
    /// A message when a part does not round-trip, the results differ, or a step fails.
    ///
    /// ```
    /// # use userops::fold::{laws, Fold, Summary};
    /// # #[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)] struct N(u32);
    /// # impl Summary for N { type Output = u32;
    /// #   fn merge(&mut self, o: Self) -> userops::Result<()> { self.0 += o.0; Ok(()) }
    /// #   fn finish(self) -> userops::Result<u32> { Ok(self.0) } }
    /// # impl Fold<u8> for N {
    /// #   fn observe(&mut self, _: &u8) -> userops::Result<()> { self.0 += 1; Ok(()) } }
    /// laws::serde_merge_law(N::default, &[1_u8, 2, 3], &[1, 2], |a, b| a == b).unwrap();
    /// ```
    pub fn serde_merge_law<E, S, F>(
        empty: impl Fn() -> S,
        events: &[E],
        cuts: &[usize],
        same: F,
    ) -> Result<(), String>
    where
        S: Fold<E> + PartialEq + Debug + serde::Serialize + serde::de::DeserializeOwned,
        S::Output: Debug,
        F: Fn(&S::Output, &S::Output) -> bool,
    {
        let (whole, merged) = whole_and_serialized_parts(empty, events, cuts)?;
        let Some((whole, merged)) = finish_both(whole, merged, "whole", "parts")? else {
            return Ok(());
        };
        if same(&whole, &merged) {
            Ok(())
        } else {
            Err(format!(
                "serialized merge law broken at cuts {cuts:?}:\n whole: {whole:?}\n parts: {merged:?}"
            ))
        }
    }

    /// Folds `events` in their order and in the order `permutation` gives (indices; missing
    /// or repeated indices are an error of the caller and reported).
    ///
    /// # Errors
    /// A message when the two results differ, the permutation is not one, or a fold step fails.
    ///
    /// ```
    /// # use userops::fold::{laws, Fold, Summary};
    /// # #[derive(Debug, Clone, Default)] struct N(u32);
    /// # impl Summary for N { type Output = u32;
    /// #   fn merge(&mut self, o: Self) -> userops::Result<()> { self.0 += o.0; Ok(()) }
    /// #   fn finish(self) -> userops::Result<u32> { Ok(self.0) } }
    /// # impl Fold<u8> for N {
    /// #   fn observe(&mut self, _: &u8) -> userops::Result<()> { self.0 += 1; Ok(()) } }
    /// laws::order_law(N::default, &[1_u8, 2, 3], &[2, 0, 1], |a, b| a == b).unwrap();
    /// ```
    pub fn order_law<E, S, F>(
        empty: impl Fn() -> S,
        events: &[E],
        permutation: &[usize],
        same: F,
    ) -> Result<(), String>
    where
        S: Fold<E>,
        S::Output: Debug,
        F: Fn(&S::Output, &S::Output) -> bool,
    {
        let mut seen = vec![false; events.len()];
        if permutation.len() != events.len() {
            return Err("permutation length differs from events length".into());
        }
        for &i in permutation {
            if i >= events.len() || seen[i] {
                return Err(format!("not a permutation: index {i}"));
            }
            seen[i] = true;
        }
        let forward = run(empty(), events.iter())?;
        let shuffled = run(empty(), permutation.iter().map(|&i| &events[i]))?;
        let Some((forward, shuffled)) = finish_both(forward, shuffled, "in order", "shuffled")?
        else {
            return Ok(());
        };
        if same(&forward, &shuffled) {
            Ok(())
        } else {
            Err(format!(
                "order law broken:\n in order: {forward:?}\n shuffled: {shuffled:?}"
            ))
        }
    }

    /// Folds `events` one [`Fold::observe`] at a time and again with one
    /// [`Fold::observe_many`]: both must fail alike (the first failing event stops both, the
    /// events before it observed) and leave the same state.
    ///
    /// # Errors
    /// A message when one fails and the other does not, or the two states differ.
    ///
    /// ```
    /// # use userops::fold::{laws, Fold, Summary};
    /// # #[derive(Debug, Clone, Default)] struct N(u32);
    /// # impl Summary for N { type Output = u32;
    /// #   fn merge(&mut self, o: Self) -> userops::Result<()> { self.0 += o.0; Ok(()) }
    /// #   fn finish(self) -> userops::Result<u32> { Ok(self.0) } }
    /// # impl Fold<u8> for N {
    /// #   fn observe(&mut self, _: &u8) -> userops::Result<()> { self.0 += 1; Ok(()) } }
    /// laws::slice_law(N::default, &[1_u8, 2, 3], |a, b| a == b).unwrap();
    /// ```
    pub fn slice_law<E, S, F>(empty: impl Fn() -> S, events: &[E], same: F) -> Result<(), String>
    where
        S: Fold<E>,
        S::Output: Debug,
        F: Fn(&S::Output, &S::Output) -> bool,
    {
        let mut one = empty();
        let mut one_failed = None;
        for (i, e) in events.iter().enumerate() {
            if let Err(err) = one.observe(e) {
                one_failed = Some((i, err.to_string()));
                break;
            }
        }
        let mut many = empty();
        let many_failed = many.observe_many(events).err().map(|e| e.to_string());
        match (&one_failed, &many_failed) {
            (None, None) => {}
            (Some((_, a)), Some(b)) if a == b => {}
            _ => {
                return Err(format!(
                    "slice law broken: one at a time {one_failed:?}, observe_many {many_failed:?}"
                ));
            }
        }
        let Some((one, many)) = finish_both(one, many, "one at a time", "observe_many")? else {
            return Ok(());
        };
        if same(&one, &many) {
            Ok(())
        } else {
            Err(format!(
                "slice law broken:\n one at a time: {one:?}\n observe_many: {many:?}"
            ))
        }
    }

    /// Two finished reports.
    type Pair<O> = (O, O);

    /// Both states finished: `Some` of the two reports; `None` when both fail with the same
    /// error (the law holds: the same data gives the same refusal); a message when only one
    /// fails or the two errors differ.
    fn finish_both<S: super::Summary>(
        a: S,
        b: S,
        a_name: &str,
        b_name: &str,
    ) -> Result<Option<Pair<S::Output>>, String> {
        match (a.finish(), b.finish()) {
            (Ok(a), Ok(b)) => Ok(Some((a, b))),
            (Err(x), Err(y)) if x.to_string() == y.to_string() => Ok(None),
            (a, b) => Err(format!(
                "finish differs:\n {a_name}: {:?}\n {b_name}: {:?}",
                a.err().map(|e| e.to_string()),
                b.err().map(|e| e.to_string())
            )),
        }
    }

    fn run<'a, E: 'a, S: Fold<E>>(
        mut state: S,
        events: impl Iterator<Item = &'a E>,
    ) -> Result<S, String> {
        for e in events {
            state
                .observe(e)
                .map_err(|err| format!("observe failed: {err}"))?;
        }
        Ok(state)
    }
}

/// [`FoldTable`] by [`observe_rows_as_events`] for summaries that have no road of their own
/// through the columns yet.
macro_rules! fold_table_by_rows {
    ($($summary:ident<U $(, $tz:ident)?>),* $(,)?) => {$(
        impl<U $(, $tz)?> FoldTable<U> for $summary<U $(, $tz)?>
        where
            U: Clone + Eq + std::hash::Hash + Ord + std::fmt::Debug,
            $($tz: chrono::TimeZone + PartialEq,)?
            Self: Summary,
        {
            fn observe_part(
                &mut self,
                table: &crate::engine::EventTable<U>,
                part: &crate::engine::TablePart,
            ) -> Result<()> {
                observe_part_as_events(self, table, part)
            }
        }
    )*};
}

use crate::activity::{ActivitySummary, PeriodTotals};
use crate::ltv::cohort::CohortSummary;
use crate::metric::PreferenceSummary;
use crate::ops::health::DailyActivity;
use crate::quadrant::UsageSummary;
use crate::retention::StickinessSummary;

fold_table_by_rows!(
    ActivitySummary<U, Tz>,
    PeriodTotals<U, Tz>,
    DailyActivity<U, Tz>,
    StickinessSummary<U>,
    CohortSummary<U, Tz>,
    PreferenceSummary<U, Tz>,
    UsageSummary<U, Tz>,
);
