//! The ingestion layer under every per-user model, and every speed trick the models share.
//!
//! Between the host's events and the per-user summaries sits one layer, as in a query
//! engine's grouped aggregation (DataFusion's `GroupsAccumulator`): each distinct user gets a
//! dense `u32` index once, and per-user state lives in plain vectors indexed by it.
//!
//! * [`Dictionary`] — distinct values (user ids, event names) in first-seen order, each with
//!   its index; a run of one user's events costs one comparison, users in ascending order need
//!   no hash table, and anything else goes through a randomly keyed foldhash table. At most
//!   [`MAX_ENTRIES`] users (2³² − 1): past that, [`crate::Error::TooManyUsers`].
//! * [`PerUser`] — a dictionary and one state per user: what every per-user summary keeps
//!   instead of a map of its own; merges by index; serializes as `{users, states}`.
//! * [`UserRows`] — a dictionary and one fixed-width row of cells per user in one flat
//!   vector: the columnar [`PerUser`] of summaries whose state is a few words a user (period
//!   bitsets, per-period counters).
//! * [`UserEvents`] — a dictionary and each user's events as (instant, code) columns, grouped
//!   by user and sorted by time on demand: the state of the folds whose answer depends on the
//!   order of a user's events (funnels, paths, behaviour in the first days).
//! * [`Alignment`] — where each user of one report sits in another's list: no work when
//!   both were folded from the same table (same order), a hash join otherwise.
//! * [`EventTable`] — an event log as columns (user index, instant, amount, name index,
//!   duration) with the dictionaries built once: what readers fill, and what every summary
//!   folds (its rows are [`crate::event::Event`]s). The CSV and Arrow readers find a row's
//!   user through a flat table of packed ids (an id of up to 8 bytes, or a decimal number of
//!   up to 19 digits, kept in its slot beside its index: one cache miss a row where a
//!   dictionary of strings takes three), a batch of rows at a time with the slots ahead
//!   prefetched; new users are appended unhashed and the dictionary's own table is built
//!   once at the end. A summary that is empty when a table's rows come takes the table's
//!   users the same way ([`TableUsers`]): while they come in table order, a user's summary
//!   index is the table's less the first one's, with no map, and the state of the user 16
//!   rows on is fetched ahead.
//! * [`TablePart`] — the rows one thread folds ([`EventTable::parts`]): a range of users
//!   when the table numbers users in the order of their first rows (then no user's state is
//!   built twice, and parts merged in order list users as the whole fold does), a range of
//!   rows otherwise.
//!
//! Memory hints (huge pages for big fresh vectors, prefetch of the event ahead) live here too,
//! and only here.
//!
//! ```
//! use chrono::{TimeZone, Utc};
//! use userops::engine::EventTable;
//! use userops::event::EventRecord;
//!
//! let t = Utc.with_ymd_and_hms(2025, 1, 1, 0, 0, 0).unwrap();
//! let table = EventTable::from_events((0..10_u32).map(|i| EventRecord::<u32>::new(i % 3, t)))?;
//! assert_eq!((table.len(), table.users().len()), (10, 3));
//! assert_eq!(&table.user_column()[..4], &[0, 1, 2, 0]);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod align;
mod dictionary;
pub(crate) mod pages;
mod per_user;
mod rows;
mod table;
mod text_ids;
mod user_events;
pub(crate) mod zone;

pub use align::Alignment;
pub use dictionary::{Dictionary, MAX_ENTRIES};
pub use per_user::PerUser;
pub(crate) use rows::RowParts;
pub use rows::UserRows;
pub use table::{EventTable, NO_NAME, Row, TablePart, TableUsers};
pub(crate) use text_ids::{FULL, Key as IdKey, KeyHasher, TextIds};
pub use user_events::{Grouped, UserEvents};

/// Asks for the item 2 KB ahead of `i` in `items` to start on its way to the cache: a hint
/// with no effect on any result (see `userops_prefetch`).
#[inline]
pub(crate) fn prefetch_ahead<T>(items: &[T], i: usize) {
    userops_prefetch::prefetch_ahead(items, i);
}

/// The items of `items` in order, each asking for the one 2 KB ahead on the way (a hint with
/// no effect on any result): how a model walks a big block of per-user rows.
#[inline]
pub(crate) fn scan<T>(items: &[T]) -> impl Iterator<Item = &T> {
    items.iter().enumerate().map(move |(i, item)| {
        prefetch_ahead(items, i);
        item
    })
}

/// An empty column with room for `n` values, its memory mapped as the engine maps big fresh
/// columns (huge pages where the kernel offers them): what a model fills with one value per
/// user.
#[inline]
pub(crate) fn column<T>(n: usize) -> Vec<T> {
    pages::with_capacity(n)
}

/// Room for `additional` more values in a model's column `v`, grown as the engine grows big
/// columns (at least doubling, new room mapped as [`column`] maps it).
#[inline]
pub(crate) fn reserve_column<T>(v: &mut Vec<T>, additional: usize) {
    pages::reserve(v, additional);
}

pub(crate) use pages::{Projection, Scale};
