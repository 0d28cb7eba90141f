//! User paths: the most common next (or previous) events after (or before) a given event, up
//! to a depth, as rows `(step, from, to, users)` ready for a Sankey diagram — PostHog's paths
//! with a start point (or an end point).
//!
//! The fold is [`crate::journey::JourneySummary`]; [`paths`] reads its [`Journeys`].
//!
//! * **After**: each user's path starts at their *first* occurrence of the event and takes
//!   the next `depth` events; **before**: it ends at their first occurrence and takes the
//!   `depth` events before it. Events at one instant are in name order.
//! * With a **session gap**, a path also ends where two consecutive events are further apart
//!   than the gap (PostHog splits paths into sessions).
//! * Row `(k, from, to, users)`: the users whose path has `from` then `to` as its `k`-th edge,
//!   counting away from the event (so for **before**, step 1 is the edge into the event). A
//!   user counts once per row; each row's `from` and `to` are in time order.
//!
//! ```
//! use chrono::{TimeZone, Utc};
//! use userops::event::EventRecord;
//! use userops::fold::{fold, Summary};
//! use userops::journey::JourneySummary;
//! use userops::paths::{Direction, PathParams, paths};
//!
//! let t = |m| Utc.with_ymd_and_hms(2025, 1, 1, 9, m, 0).unwrap();
//! let log = vec![
//!     EventRecord::<u8>::new(1_u8, t(0)).with_name("home"),
//!     EventRecord::new(1_u8, t(1)).with_name("search"),
//!     EventRecord::new(1_u8, t(2)).with_name("product"),
//!     EventRecord::new(2_u8, t(0)).with_name("home"),
//!     EventRecord::new(2_u8, t(3)).with_name("search"),
//!     EventRecord::new(2_u8, t(4)).with_name("home"),
//! ];
//! let journeys = fold(JourneySummary::new(), &log)?.finish()?;
//! let spec = PathParams::new("home", Direction::After, 2).check()?;
//! let report = paths(&journeys, &spec);
//! let rows: Vec<(usize, &str, &str, u64)> =
//!     report.rows.iter().map(|r| (r.step, r.from.as_str(), r.to.as_str(), r.users)).collect();
//! assert_eq!(rows, [(1, "home", "search", 2), (2, "search", "home", 1), (2, "search", "product", 1)]);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::collections::BTreeMap;
use std::fmt;

use chrono::TimeDelta;
use serde::{Deserialize, Serialize};

pub use crate::journey::{JourneySummary, Journeys};
use crate::{Error, Result};

/// The deepest path a report follows (rows grow with depth × distinct events).
pub const MAX_DEPTH: usize = 50;

/// Which way a path runs from the event.
///
/// ```
/// assert_eq!(userops::paths::Direction::parse("before")?, userops::paths::Direction::Before);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// The events after it (PostHog's start point).
    After,
    /// The events before it (PostHog's end point).
    Before,
}

impl Direction {
    /// Parses `after` or `before`.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] named `direction` for anything else.
    ///
    /// ```
    /// assert!(userops::paths::Direction::parse("sideways").is_err());
    /// ```
    pub fn parse(text: &str) -> Result<Direction> {
        match text.trim().to_ascii_lowercase().as_str() {
            "after" | "next" => Ok(Direction::After),
            "before" | "previous" => Ok(Direction::Before),
            _ => Err(Error::invalid(
                "direction",
                format!("{:?} is not after or before", crate::error::shorten(text)),
            )),
        }
    }
}

/// Settings of a paths report; [`PathParams::check`] gives a [`PathSpec`].
///
/// ```
/// use userops::paths::{Direction, PathParams};
/// assert!(PathParams::new("signup", Direction::After, 3).check().is_ok());
/// assert!(PathParams::new("signup", Direction::After, 0).check().is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PathParams {
    /// The event the paths start (or end) at.
    pub event: String,
    /// After or before it.
    pub direction: Direction,
    /// How many events to follow.
    pub depth: usize,
    /// A path ends where consecutive events are further apart than this (none by default).
    pub session_gap: Option<TimeDelta>,
}

impl PathParams {
    /// Paths from (or to) `event`, `depth` events deep, without a session gap.
    ///
    /// ```
    /// let p = userops::paths::PathParams::new("a", userops::paths::Direction::Before, 2);
    /// assert_eq!(p.depth, 2);
    /// ```
    pub fn new(event: impl Into<String>, direction: Direction, depth: usize) -> PathParams {
        PathParams {
            event: event.into(),
            direction,
            depth,
            session_gap: None,
        }
    }

    /// Sets the session gap.
    ///
    /// ```
    /// let p = userops::paths::PathParams::new("a", userops::paths::Direction::After, 2)
    ///     .session_gap(chrono::TimeDelta::minutes(30));
    /// assert!(p.session_gap.is_some());
    /// ```
    #[must_use]
    pub fn session_gap(mut self, gap: TimeDelta) -> Self {
        self.session_gap = Some(gap);
        self
    }

    /// Checks the settings.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for a blank event, a depth of 0 or a gap that is not
    /// positive; [`Error::TooLarge`] for a depth over [`MAX_DEPTH`].
    ///
    /// ```
    /// assert!(userops::paths::PathParams::new(" ", userops::paths::Direction::After, 2).check().is_err());
    /// ```
    pub fn check(&self) -> Result<PathSpec> {
        if self.event.trim().is_empty() {
            return Err(Error::invalid("event", "the event name is empty"));
        }
        if self.depth == 0 {
            return Err(Error::invalid("depth", "the depth must be at least 1"));
        }
        if self.depth > MAX_DEPTH {
            return Err(Error::TooLarge {
                name: "depth",
                requested: format!("{} steps", self.depth),
                cap: format!("{MAX_DEPTH} steps"),
                hint: "follow fewer steps, or start a second report where this one ends",
            });
        }
        let gap = match self.session_gap {
            Some(g) => match g.num_microseconds() {
                Some(us) if us > 0 => Some(us),
                _ => {
                    return Err(Error::invalid(
                        "session_gap",
                        format!("the session gap must be positive, got {g}"),
                    ));
                }
            },
            None => None,
        };
        Ok(PathSpec {
            event: self.event.clone(),
            direction: self.direction,
            depth: self.depth,
            gap_micros: gap,
        })
    }
}

/// Checked path settings.
///
/// ```
/// let s = userops::paths::PathParams::new("a", userops::paths::Direction::After, 2).check()?;
/// assert_eq!(s.depth(), 2);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PathSpec {
    event: String,
    direction: Direction,
    depth: usize,
    gap_micros: Option<i64>,
}

impl PathSpec {
    /// The depth.
    ///
    /// ```
    /// let s = userops::paths::PathParams::new("a", userops::paths::Direction::After, 4).check()?;
    /// assert_eq!(s.depth(), 4);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn depth(&self) -> usize {
        self.depth
    }
}

/// One edge of the paths: users whose `step`-th edge goes from `from` to `to`.
///
/// ```
/// let r = userops::paths::PathRow { step: 1, from: "a".into(), to: "b".into(), users: 3 };
/// assert_eq!(r.users, 3);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PathRow {
    /// Edge number, from 1 (counting away from the event).
    pub step: usize,
    /// The earlier event.
    pub from: String,
    /// The later event.
    pub to: String,
    /// Users with this edge at this step.
    pub users: u64,
}

/// Paths from (or to) an event: rows by step, most users first (ties by names).
///
/// ```
/// let r = userops::paths::PathReport { event: "a".into(), direction: userops::paths::Direction::After, depth: 1, users: 0, rows: vec![] };
/// assert!(r.to_string().contains("step"));
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PathReport {
    /// The event.
    pub event: String,
    /// After or before it.
    pub direction: Direction,
    /// The depth followed.
    pub depth: usize,
    /// Users who did the event.
    pub users: u64,
    /// The edges.
    pub rows: Vec<PathRow>,
}

impl fmt::Display for PathReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let way = match self.direction {
            Direction::After => "after",
            Direction::Before => "before",
        };
        writeln!(
            f,
            "paths {way} {:?}, {} steps deep, {} users",
            self.event, self.depth, self.users
        )?;
        let w = self
            .rows
            .iter()
            .map(|r| r.from.len())
            .max()
            .unwrap_or(4)
            .max(4);
        writeln!(
            f,
            "{:>4}  {:<w$}  {:<w$} {:>10}",
            "step", "from", "to", "users"
        )?;
        for r in &self.rows {
            writeln!(
                f,
                "{:>4}  {:<w$}  {:<w$} {:>10}",
                r.step, r.from, r.to, r.users
            )?;
        }
        Ok(())
    }
}

/// The paths report of `journeys` for `spec` (see the module docs for the semantics).
///
/// ```
/// # use userops::fold::Summary;
/// let journeys = userops::journey::JourneySummary::<u8>::new().finish().unwrap();
/// let spec = userops::paths::PathParams::new("a", userops::paths::Direction::After, 2).check()?;
/// assert!(userops::paths::paths(&journeys, &spec).rows.is_empty());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[must_use]
pub fn paths<U>(journeys: &Journeys<U>, spec: &PathSpec) -> PathReport {
    let mut edges: BTreeMap<(usize, u32, u32), u64> = BTreeMap::new();
    let mut users = 0_u64;
    if let Some(target) = journeys.name_index(&spec.event) {
        for i in 0..journeys.len() {
            let events = journeys.user(i);
            let Some(at) = events.iter().position(|&(_, n)| n == target) else {
                continue;
            };
            users += 1;
            let split = |a: i64, b: i64| spec.gap_micros.is_some_and(|g| (b - a).abs() > g);
            match spec.direction {
                Direction::After => {
                    for k in 1..=spec.depth {
                        let (Some(&(ta, a)), Some(&(tb, b))) =
                            (events.get(at + k - 1), events.get(at + k))
                        else {
                            break;
                        };
                        if split(ta, tb) {
                            break;
                        }
                        *edges.entry((k, a, b)).or_insert(0) += 1;
                    }
                }
                Direction::Before => {
                    for k in 1..=spec.depth.min(at) {
                        let (ta, a) = events[at - k];
                        let (tb, b) = events[at - k + 1];
                        if split(ta, tb) {
                            break;
                        }
                        *edges.entry((k, a, b)).or_insert(0) += 1;
                    }
                }
            }
        }
    }
    let mut rows: Vec<PathRow> = edges
        .into_iter()
        .map(|((step, a, b), n)| PathRow {
            step,
            from: journeys.name(a).to_string(),
            to: journeys.name(b).to_string(),
            users: n,
        })
        .collect();
    rows.sort_by(|x, y| {
        (x.step, std::cmp::Reverse(x.users), &x.from, &x.to).cmp(&(
            y.step,
            std::cmp::Reverse(y.users),
            &y.from,
            &y.to,
        ))
    });
    PathReport {
        event: spec.event.clone(),
        direction: spec.direction,
        depth: spec.depth,
        users,
        rows,
    }
}
