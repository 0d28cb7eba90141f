//! Cohort retention (first-time and recurring, "on" and "on or after") and stickiness, with
//! PostHog's definitions.
//!
//! # Retention
//!
//! A retention table answers "of the users who did the *start event* in a period, how many
//! did the *return event* one, two, ... periods later?". [`RetentionParams`] chooses:
//!
//! * the **calendar**: day, week (Sunday or Monday start) or month, in the business's time
//!   zone (a DST day is one day);
//! * the **window**: `periods` periods ending with the one that contains `date_to`;
//! * the **start** and **return** events by [`Event::name`](crate::event::Event::name)
//!   (`"*"` = any event, PostHog's "All events");
//! * the **mode** ([`RetentionMode`]): *recurring* — a user is in the cohort of every period
//!   in which they did the start event; *first-time* — only in the cohort of their first start
//!   event ever (users whose first start event is before the window are in no cohort);
//! * **on** vs **on or after**: cell `k` counts users who returned in period `i + k`, or in
//!   that period or any later one of the window (PostHog's `cumulative`, "rolling" retention).
//!
//! Cell 0 is the cohort size. A return event in the start period itself does not count.
//! Cohort `i` of `n` has `n - i` cells: cells that lie after the window cannot be observed yet
//! and are *absent* (PostHog's older "triangle" format), not zero.
//!
//! ```
//! use chrono::{TimeZone, Utc};
//! use userops::event::EventRecord;
//! use userops::fold::{fold, Summary};
//! use userops::retention::{RetentionMode, RetentionParams, RetentionSummary};
//! use userops::time::{Calendar, Interval, Zone};
//!
//! let at = |m, d| Utc.with_ymd_and_hms(2025, m, d, 18, 0, 0).unwrap();
//! let log = vec![
//!     EventRecord::<u32>::new(1_u32, at(1, 10)).with_name("signup"),
//!     EventRecord::new(1_u32, at(2, 3)).with_name("session"),
//!     EventRecord::new(1_u32, at(3, 9)).with_name("session"),
//!     EventRecord::new(2_u32, at(2, 20)).with_name("signup"),
//!     EventRecord::new(2_u32, at(3, 1)).with_name("order"),
//! ];
//! let spec = RetentionParams::new(Calendar::new(Zone::parse("Europe/Berlin")?, Interval::Month), at(3, 31), 3)
//!     .start_event("signup")
//!     .return_event("*")
//!     .mode(RetentionMode::FirstTime)
//!     .check()?;
//! let table = fold(RetentionSummary::new(spec), &log)?.finish()?;
//! assert_eq!(table.cohorts[0].period, "2025-01");
//! assert_eq!(table.cohorts[0].counts, [1, 1, 1]);
//! assert_eq!(table.cohorts[1].counts, [1, 1]);
//! assert_eq!(table.cohorts[2].counts, [0]);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Stickiness
//!
//! [`StickinessSummary`] counts, for every user who did the event in a range of periods, the
//! number of periods in which they did it, and reports users by that number (exactly `k` and
//! `k` or more), as PostHog's stickiness insight does.
//!
//! # What is left out
//!
//! PostHog's hourly interval, property filters and breakdowns are not here: filter or split
//! the events before folding them (each split is its own fold), or name the events so that
//! the names say what the filter would. PostHog's `minimumOccurrences` is
//! [`RetentionParams::min_return_events`]; its stickiness criteria are
//! [`StickinessParams::events_per_period`].

mod bits;
mod cohort;
mod params;
mod stickiness;

pub use cohort::{CohortRow, RetentionReport, RetentionSummary};
pub use params::{
    EventMatch, EventsPerPeriod, MAX_COHORT_PERIODS, MAX_PERIODS, RetentionMode, RetentionParams,
    RetentionSpec, StickinessParams, StickinessSpec,
};
pub use stickiness::{StickinessReport, StickinessSummary};
