//! # userops — user-operations models as mergeable folds
//!
//! `userops` computes the numbers a growth or user-ops team runs its product on — product
//! quadrant, metric tree, RFM scores and segments, lifecycle stages, retention cohorts,
//! LTV/CAC and each customer's probable future value (BG/NBD, Pareto/NBD, Gamma-Gamma) —
//! straight from the host application's own event type. No server, no database, no global
//! state, no wall clock.
//!
//! ## The fold model
//!
//! ```text
//! host events ──(trait Event)──▶ per-user summary ──(merge)──▶ model ──▶ report (serde)
//!    any type, any order          mergeable state               pure fn      Display + JSON
//! ```
//!
//! 1. The host implements [`event::Event`] for its own type (one short `impl`).
//! 2. A summary folds events ([`fold::Fold`]: `observe`, `merge`, `finish`). Folding parts and
//!    merging them equals folding the whole, so the same code runs on one thread, on all cores
//!    (feature `parallel`) or inside a distributed engine.
//! 3. Models are pure functions over summaries with checked parameters.
//! 4. Reports are plain data: `Debug + Clone + PartialEq + Serialize + Deserialize`, and
//!    `Display` prints a readable table.
//!
//! ```
//! use chrono::{DateTime, TimeZone, Utc};
//! use userops::activity::ActivitySummary;
//! use userops::event::Event;
//! use userops::fold::{fold, Summary};
//! use userops::time::{Calendar, Interval};
//!
//! struct Order { customer: u64, placed: DateTime<Utc>, total: f64 }
//!
//! impl Event for Order {
//!     type User = u64;
//!     fn user(&self) -> &u64 { &self.customer }
//!     fn at(&self) -> DateTime<Utc> { self.placed }
//!     fn amount(&self) -> f64 { self.total }
//! }
//!
//! let t = |d| Utc.with_ymd_and_hms(2025, 5, d, 9, 0, 0).unwrap();
//! let orders = vec![
//!     Order { customer: 1, placed: t(1), total: 30.0 },
//!     Order { customer: 1, placed: t(20), total: 12.5 },
//!     Order { customer: 2, placed: t(7), total: 99.0 },
//! ];
//! let report = fold(ActivitySummary::new(Calendar::new(Utc, Interval::Month)), &orders)?.finish()?;
//! assert_eq!(report.users[0].amount, 42.5);
//! assert_eq!(report.users[1].events, 1);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! ## Module map
//!
//! | module | what it owns |
//! |---|---|
//! | [`event`] | host traits: [`event::Event`], [`event::UserAttribute`] (and [`event::FirstTouch`], one read off the events), [`event::SignUp`], the owned [`event::EventRecord`] |
//! | [`time`] | calendar periods (day, week with a chosen first weekday, month) in any zone, exact durations, time parsing |
//! | [`fold`] | the observe / merge / finish contract, [`fold::fold`], `fold_par`, [`fold::FoldTable`], the law checks |
//! | [`engine`] | the ingestion layer under every per-user model: the user [`engine::Dictionary`] (dense `u32` indices, one policy at 2³² users), [`engine::PerUser`] state vectors, the columnar [`engine::EventTable`]; every speed trick the models share |
//! | [`activity`] | per-user activity and per-period totals |
//! | [`retention`] | cohort retention tables (first-time / recurring, on / on or after) and stickiness, PostHog-compatible |
//! | [`funnel`] | conversion funnels (ordered, strict, unordered; window, exclusions, date range, breakdowns with PostHog's attribution, first or every entry), per-step conversion and drop-off, time to convert, conversion trend, PostHog-compatible |
//! | [`journey`] | each user's named events in time order: the fold under paths and correlation |
//! | [`paths`] | the most common next / previous events after / before an event, as Sankey rows (step, from, to, users) |
//! | [`correlation`] | what predicts retention: odds ratio, phi, χ² p-value and Benjamini–Hochberg q-value per event and "did X at least n times within d days" |
//! | [`labels`] | one per-user table of every model's labels (stage per period, RFM segment and scores, health, value tier, P(alive), CLV, preference tags), CSV / JSON export, the segment source of automation rules |
//! | [`lifecycle`] | per-period user stages, transition matrix, active-user decomposition, forecast and target planning, PostHog's lifecycle view |
//! | `csv` | events from CSV or whitespace-separated files, with every rejected row accounted for (feature `csv`) |
//! | `io` | readers straight into [`engine::EventTable`]: `io::arrow` reads Arrow record batches and Parquet files, with every rejected row accounted for (feature `arrow`) |
//! | [`ltv`] | unit economics (ARPU, ARPPU, churn, LTV, CAC, LTV/CAC, payback), cohort LTV; BTYD summary of a transaction log; BG/NBD, MBG/NBD, Pareto/NBD and Gamma-Gamma fitted by maximum likelihood; P(alive), expected purchases, CLV |
//! | [`quadrant`] | product frequency × payment quadrant and the value metrics each quadrant calls for |
//! | [`metric`] | primary/secondary metric tree, per-user value score, value tiers, Pareto share, growth levers, key users, preference tags |
//! | [`rfm`] | recency / frequency / monetary summary, four binning methods (one reproducing R `rfm` 0.3), segment rules, segment summary, health and value × activity quadrant |
//! | [`attribution`] | multi-touch attribution: per-user touchpoints and conversions in a lookback window, journeys and ChannelAttribution-style path tables; first/last touch, linear, time decay, position based, exact Markov removal effect (any order), Shapley value |
//! | [`ops`] | user health index and alerts, three-colour warnings, experiment significance tests, automation rules, NPS |
//! | `chart` | every model's report as an SVG chart (RFM heatmap and segments, lifecycle bars and waterfall, retention triangle, CLV matrices and checks, quadrant, Pareto curve, health index), and the one-file HTML report (feature `charts`) |
//! | [`report`] | how reports print: long reports show their head and tail with a count, `{:#}` shows every row |
//! | [`sample`] | a deterministic, seeded generator of a realistic product's event log |
//! | [`error`] | the crate's error type |
//!
//! ## Conventions
//!
//! The rules every module follows, on one page (issue 19). Where a module departs from one,
//! it is listed here with the reason.
//!
//! **Finishing a summary.** Every [`fold::Summary::finish`] returns `Result<Report>`, whether
//! or not that summary can fail today: `summary.finish()?` everywhere.
//!
//! **Instants and days.** An instant is a `chrono::DateTime<Utc>`, everywhere: event times,
//! as-of instants, the bounds of a window. A `chrono::NaiveDate` appears only where a *day* of
//! a local calendar is meant, never an instant: the start day of a [`time::Period`], the last
//! day of a BTYD calibration or holdout period (BTYD counts purchase days), the days of the
//! health index, a cohort row's first day, a spend row's month, the sample's first day. The
//! zone of such a day is the one the API names (the summary's or the calendar's zone).
//!
//! **Ranges.**
//! * A range of instants is half-open, `[from, to)`: `from` is the first instant in, `to` the
//!   first instant after. [`metric::Window`], a generated history (`sample`:
//!   `[start, end)`), a retention report's `window_start` / `window_end`, the bounds of a
//!   [`time::PeriodGrid`].
//! * An as-of instant is the moment a snapshot is taken: events at or before it count, events
//!   after it are refused ([`Error::AfterAsOf`]) or counted as outside. A window that *ends*
//!   at an as-of instant is still a range, `[from, as_of)`: [`metric::Window::trailing_days`]
//!   leaves out an event stamped exactly `as_of`, which an RFM or cohort summary as of that
//!   instant counts.
//! * A range of calendar periods or days is given by its first and last period or day, both
//!   included, as a calendar says "January through March": [`time::Calendar::periods`] (the
//!   period containing `from` through the one containing `to`), the lifecycle summary's
//!   `from` / `to`, stickiness's `from` / `to` (PostHog's `date_from` / `date_to`: events
//!   through the end of `to`'s day), retention's `date_to` (its last period) with a count of
//!   periods, the health index's `from` / `to` days, a BTYD summary's `calibration_end` and
//!   `holdout_end` (last days, as the BTYD literature states its periods: CDNOW's calibration
//!   "ends 1997-09-30"). As instants, each is the half-open range from the start of the first
//!   period or day to the end of the last.
//! * Score ranges are inclusive integers, as R's `rfm` writes them: scores `1..=k`, a segment
//!   rule's `[lowest, highest]`.
//!
//! **Time units.** Exact durations ([`time::days_between`], [`time::weeks_between`]) are never
//! bucketed. The BTYD models carry the [`ltv::TimeUnit`] they were fitted in: their customer
//! rows and horizons are in that unit, a CLV month is counted in it (4.345 weeks = 30.415
//! days), and `in_unit` converts a model exactly ([`ltv::BgNbdParams::in_unit`]).
//!
//! **Type annotations.** A model's event type comes from the events it folds. The one
//! summary whose event type cannot come from [`fold::fold`] is the metric tree's (its host
//! metrics read the host's own event type, and `fold` accepts anything that borrows as an
//! event): fold it with [`metric::MetricSummary::fold_events`] and
//! `MetricTree::standard()` needs no annotation.
//!
//! **Printing reports.** A report with a row per user prints its first and last
//! [`report::HEAD_ROWS`] rows and a count of the rows between; `{:#}` prints every row
//! ([`report`]).
//!
//! ## Feature flags
//!
//! | feature | default | what it adds |
//! |---|---|---|
//! | `csv` | yes | the `csv` module (the `csv` crate) |
//! | `parallel` | no | `fold::fold_par`, `rfm::Scorer::score_summary_par`, and the per-user passes of RFM scoring and lifecycle stages on rayon's current pool (rayon) |
//! | `arrow` | no | the `io::arrow` module: Arrow `RecordBatch`es and Parquet files into an [`engine::EventTable`] (arrow-rs's `arrow-array`, `arrow-schema` and `parquet`, major 55); turns on `csv` for its column type |
//! | `charts` | no | the `chart` module: every model's report as an SVG chart, and the one-file HTML report (no dependency) |
//! | `fast-hash` | no | no effect (kept for builds that name it): the engine's user dictionary always hashes with foldhash, randomly keyed |
//!
//! ## Errors and panics
//!
//! Library code does not panic on any input. Every fallible function returns
//! [`Result`]; [`Error`] says what was wrong and what to do. NaN or infinite amounts, events
//! after the as-of instant, empty data, parameters out of range: each is a clear `Err` or a
//! documented result. Negative amounts are refunds: they lower monetary totals; models that
//! need positive spend reject them.
//!
//! Three policies hold everywhere (issue 18), each documented in one place:
//!
//! * **Instants**: years 1 to 9999 UTC ([`time::SUPPORTED_RANGE`], [`time::check_instant`]).
//!   The time parser, the CSV reader (a row outside is rejected with its line) and the
//!   calendar ranges refuse anything else with [`Error::InstantOutOfRange`] or
//!   [`Error::TimeParse`]; the infallible period arithmetic ([`time::Period::offset`])
//!   saturates at chrono's limits instead of panicking.
//! * **Allocations sized by a parameter** have a documented cap and a clear error above it
//!   ([`Error::TooLarge`], or [`Error::InvalidParameter`] where a model had one already)
//!   naming it above: [`time::MAX_PERIODS`] periods in a calendar range,
//!   [`retention::MAX_COHORT_PERIODS`] in a retention window (its report is a triangle),
//!   [`retention::MAX_PERIODS`] in a stickiness range, [`ltv::MAX_CLV_MONTHS`] months of CLV,
//!   [`sample::MAX_SAMPLE_USERS`] / [`sample::MAX_SAMPLE_EVENTS`] for generated data.
//! * **Sums and counts**: an `f64` sum that leaves the finite numbers or a count past
//!   `u64::MAX` is an [`Error::Overflow`] naming what overflowed, never `inf`, NaN or a
//!   wrapped number.
//!
//! Outside text in a message (a field, a column name, a user id) is shortened to
//! [`error::SHOWN_CHARS`] characters and escaped where it would not show
//! ([`error::shorten`], [`error::quote_if_needed`]).

#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![warn(missing_debug_implementations)]
// Clippy's pedantic group over the whole crate (CI's `-D warnings` keeps it clean), with these
// lints allowed, each for a reason:
#![warn(clippy::pedantic)]
// Counts (u64, usize) become f64 for rates, means and test statistics: exact below 2^53
// (9e15 users or events), far beyond any input this library folds in memory.
#![allow(clippy::cast_precision_loss)]
// Float-to-integer casts are of values already checked finite and in range (bins, ranks,
// quantile positions) and saturate in Rust anyway; integer-to-integer casts are of indices
// and period offsets bounded by the checked window sizes. The fuzz targets in `fuzz/` drive
// every model over extreme inputs to keep it so.
#![allow(
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    clippy::cast_possible_wrap
)]
// Formulas keep the notation of their papers (r, α, a, b, x, t, T; p, q, γ; s, β), so that
// the code can be read against the equations.
#![allow(clippy::many_single_char_names, clippy::similar_names)]
// Exact float comparisons are deliberate where they appear: ties when ranking, "are all the
// values equal", two parameters given equal, a quantile looked up by the very `p` it was
// computed for; computed results are compared with tolerances.
#![allow(clippy::float_cmp)]
// Style preferences of the code base: a two-armed `match` on an `Option` with a comment in
// each arm, `if x != NONE` with the common case first, helper items declared beside their
// single use, and a few long functions that are one linear pipeline (splitting them would
// only hide the order of steps).
#![allow(
    clippy::single_match_else,
    clippy::if_not_else,
    clippy::items_after_statements,
    clippy::too_many_lines
)]

pub mod activity;
pub mod attribution;
#[cfg(feature = "charts")]
pub mod chart;
mod checked;
pub mod correlation;
#[cfg(feature = "csv")]
pub mod csv;
pub mod engine;
pub mod error;
pub mod event;
pub mod fold;
pub mod funnel;
#[cfg(feature = "arrow")]
pub mod io;
pub mod journey;
pub mod labels;
pub mod lifecycle;
pub mod ltv;
pub mod metric;
pub mod ops;
pub mod paths;
pub mod quadrant;
pub mod report;
pub mod retention;
pub mod rfm;
pub mod sample;
pub mod time;

pub use error::{Error, Result};
