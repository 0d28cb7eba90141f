//! The funnel fold: each user's events that match a step or an exclusion (every event, in a
//! strict funnel), kept with the steps they match.

use std::hash::Hash;

use serde::{Deserialize, Serialize};

use super::model::FunnelOutcomes;
use super::params::{Breakdown, FunnelSpec, StepMatch};
use crate::engine::{Dictionary, EventTable, TablePart, TableUsers, UserEvents};
use crate::event::{Event, checked_at};
use crate::fold::{Fold, FoldTable, Summary, observe_part_as_events};
use crate::{Error, Result};

/// Bit of an event's code: it matches exclusion `i` (bits 16 to 23).
pub(crate) const EXCLUSION_SHIFT: u32 = 16;
/// Bit of an event's code: it matches no step and no exclusion (kept by strict funnels).
pub(crate) const OTHER: u64 = 1 << 24;
/// The breakdown index of an event without one (high 32 bits of its code).
pub(crate) const NO_BREAKDOWN: u32 = u32::MAX;

/// An event's code: steps it matches (bits 0-15), exclusions (16-23), [`OTHER`], and the
/// breakdown value's index in the high 32 bits.
pub(crate) fn code(steps: u64, exclusions: u64, breakdown: u32) -> u64 {
    let other = if steps == 0 && exclusions == 0 {
        OTHER
    } else {
        0
    };
    steps | (exclusions << EXCLUSION_SHIFT) | other | (u64::from(breakdown) << 32)
}

/// The breakdown index of a code.
pub(crate) fn breakdown_of(code: u64) -> u32 {
    (code >> 32) as u32
}

/// The funnel fold: per user, the events that match a step or an exclusion (in a strict
/// funnel, every event, since any event between two steps breaks the attempt), each with the
/// steps it matches and its breakdown value (a missing or empty value is none). Memory is
/// proportional to those events (20 bytes each); events that match nothing, or fall outside
/// the date range, cost a counter (`events_unmatched`).
///
/// Events come in any order; [`Summary::finish`] sorts each user's events by time (ties by
/// what they match, so that the order of arrival never changes a result) and gives the
/// [`FunnelOutcomes`], from which the reports come. The partial state serializes as
/// `{"spec", "breakdowns", "events": {"users", "user", "at", "code"}, "events_unmatched"}`
/// (steps given as predicates cannot be serialized) and deserializes checked.
///
/// ```
/// use chrono::{TimeDelta, TimeZone, Utc};
/// use userops::event::EventRecord;
/// use userops::fold::{fold, Summary};
/// use userops::funnel::{FunnelParams, FunnelSummary};
///
/// let at = |h| Utc.with_ymd_and_hms(2025, 3, 1, h, 0, 0).unwrap();
/// let log = vec![
///     EventRecord::<&str>::new("ana", at(9)).with_name("signup"),
///     EventRecord::new("ana", at(10)).with_name("order"),
///     EventRecord::new("bo", at(9)).with_name("signup"),
/// ];
/// let spec = FunnelParams::new(["signup", "order"]).window(TimeDelta::days(7)).check()?;
/// let report = fold(FunnelSummary::new(spec), &log)?.finish()?.report();
/// assert_eq!(report.steps[0].count, 2);
/// assert_eq!(report.steps[1].count, 1);
/// assert_eq!(report.steps[1].average_seconds, Some(3600.0));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct FunnelSummary<U> {
    spec: FunnelSpec,
    breakdowns: Dictionary<String>,
    events: UserEvents<U, u64>,
    events_unmatched: u64,
}

impl<U> FunnelSummary<U> {
    /// An empty summary for checked settings.
    ///
    /// ```
    /// let spec = userops::funnel::FunnelParams::new(["a", "b"]).check()?;
    /// assert!(userops::funnel::FunnelSummary::<u32>::new(spec).is_empty());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn new(spec: FunnelSpec) -> Self {
        FunnelSummary {
            spec,
            breakdowns: Dictionary::new(),
            events: UserEvents::new(),
            events_unmatched: 0,
        }
    }

    /// Whether no event was kept.
    ///
    /// ```
    /// let spec = userops::funnel::FunnelParams::new(["a", "b"]).check()?;
    /// assert!(userops::funnel::FunnelSummary::<u32>::new(spec).is_empty());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.events.is_empty()
    }

    /// Events kept so far.
    ///
    /// ```
    /// let spec = userops::funnel::FunnelParams::new(["a", "b"]).check()?;
    /// assert_eq!(userops::funnel::FunnelSummary::<u32>::new(spec).events_kept(), 0);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn events_kept(&self) -> usize {
        self.events.len()
    }

    /// The settings.
    ///
    /// ```
    /// let spec = userops::funnel::FunnelParams::new(["a", "b"]).check()?;
    /// assert_eq!(userops::funnel::FunnelSummary::<u32>::new(spec).spec().steps().len(), 2);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn spec(&self) -> &FunnelSpec {
        &self.spec
    }

    fn step_mask(&self, matches: impl Fn(&StepMatch) -> bool) -> (u64, u64) {
        let mut steps = 0_u64;
        for (i, s) in self.spec.steps.iter().enumerate() {
            if matches(s) {
                steps |= 1 << i;
            }
        }
        let mut exclusions = 0_u64;
        for (i, x) in self.spec.exclusions.iter().enumerate() {
            if matches(&x.event) {
                exclusions |= 1 << i;
            }
        }
        (steps, exclusions)
    }
}

impl<U: Clone + Eq + Hash + Ord> FunnelSummary<U> {
    fn keep(&mut self, steps: u64, exclusions: u64) -> bool {
        if steps == 0 && exclusions == 0 && !self.spec.keeps_every_event() {
            self.events_unmatched += 1;
            false
        } else {
            true
        }
    }
}

impl<E: Event> Fold<E> for FunnelSummary<E::User> {
    fn observe(&mut self, event: &E) -> Result<()> {
        let (steps, exclusions) = self.step_mask(|s| s.matches(event));
        if !self.keep(steps, exclusions) {
            return Ok(());
        }
        let at = checked_at(event)?.timestamp_micros();
        if !self.spec.in_range(at) {
            self.events_unmatched += 1;
            return Ok(());
        }
        let breakdown = match &self.spec.breakdown {
            Breakdown::EventProperty(key) if steps != 0 => match event.property(key) {
                Some(v) if !v.is_empty() => self.breakdowns.intern_ref(v)?,
                _ => NO_BREAKDOWN,
            },
            _ => NO_BREAKDOWN,
        };
        self.events
            .push(event.user(), at, code(steps, exclusions, breakdown))
    }
}

impl<U: Clone + Eq + Hash + Ord + std::fmt::Debug> FoldTable<U> for FunnelSummary<U> {
    fn observe_part(&mut self, table: &EventTable<U>, part: &TablePart) -> Result<()> {
        let by_name = self
            .spec
            .steps
            .iter()
            .chain(self.spec.exclusions.iter().map(|x| &x.event))
            .all(|s| s.matches_name(None).is_some());
        if !by_name {
            // A predicate needs the whole event: each row as an event.
            return observe_part_as_events(self, table, part);
        }
        let rows = part.rows_in(table.len());
        // Each of the table's names as a code, worked out once (a table row has no
        // properties, so no breakdown value).
        // 0 for a name whose events are not kept (a kept event's code is never 0).
        let keep_all = self.spec.keeps_every_event();
        let decide = |name: Option<&str>| {
            let (steps, exclusions) = self.step_mask(|s| s.matches_name(name).unwrap_or(false));
            if steps != 0 || exclusions != 0 || keep_all {
                code(steps, exclusions, NO_BREAKDOWN)
            } else {
                0
            }
        };
        let codes: Vec<u64> = table
            .names()
            .values()
            .iter()
            .map(|n| decide(Some(n)))
            .collect();
        let unnamed = decide(None);
        let columns = || {
            table.user_column()[rows.clone()]
                .iter()
                .zip(&table.at_column()[rows.clone()])
                .zip(&table.name_column()[rows.clone()])
        };
        let spec = &self.spec;
        // `engine::NO_NAME` (u32::MAX) is past the end of `codes`: the unnamed code.
        let kept = |name: u32, at: i64| {
            let c = codes.get(name as usize).copied().unwrap_or(unnamed);
            (c != 0 && spec.in_range(at)).then_some(c)
        };
        if self.events.is_empty() && self.events.users().is_empty() {
            // A fresh summary takes the table's users as they are (a shared dictionary, no
            // copy): a row's user index is the table's, with no lookup. Its events are
            // stored by user, so that `finish` groups them without a copy.
            let (user, at, name) = (
                &table.user_column()[rows.clone()],
                &table.at_column()[rows.clone()],
                &table.name_column()[rows.clone()],
            );
            let mut other_users = 0;
            for &u in user {
                other_users += u64::from(!part.holds(u));
            }
            self.events = UserEvents::grouped_by_user(table.users().clone(), user, |i| {
                if part.holds(user[i]) {
                    kept(name[i], at[i]).map(|c| (at[i], c))
                } else {
                    None
                }
            })?;
            self.events_unmatched += rows.len() as u64 - other_users - self.events.len() as u64;
            return Ok(());
        }
        let mut users = TableUsers::new(table);
        for ((&t, &at), &name) in columns() {
            if !part.holds(t) {
                continue;
            }
            let Some(c) = kept(name, at) else {
                self.events_unmatched += 1;
                continue;
            };
            let events = &mut self.events;
            let u = users.index_with(t, |id| events.user_index(id))?;
            events.push_indexed(u, at, c)?;
        }
        Ok(())
    }
}

impl<U: Clone + Eq + Hash + Ord> Summary for FunnelSummary<U> {
    type Output = FunnelOutcomes<U>;

    fn merge(&mut self, mut other: Self) -> Result<()> {
        if self.spec != other.spec {
            return Err(Error::MergeMismatch(
                "funnel summaries use different settings (steps, window, order, exclusions or breakdown)"
                    .into(),
            ));
        }
        if !other.breakdowns.is_empty() {
            let map = self.breakdowns.absorb(&other.breakdowns)?;
            other.events.map_codes(|c| {
                let b = breakdown_of(*c);
                if b != NO_BREAKDOWN {
                    let to = map.get(b as usize).copied().unwrap_or(NO_BREAKDOWN);
                    *c = (*c & 0xFFFF_FFFF) | (u64::from(to) << 32);
                }
            });
        }
        self.events.merge(other.events)?;
        self.events_unmatched += other.events_unmatched;
        Ok(())
    }

    fn finish(self) -> Result<FunnelOutcomes<U>> {
        // Breakdown values sorted by text, so that the codes (and with them the order of
        // events at one instant) do not depend on which part saw a value first.
        let mut events = self.events;
        let values = self.breakdowns.into_values();
        let mut order: Vec<u32> = (0..values.len() as u32).collect();
        order.sort_by(|&a, &b| values[a as usize].cmp(&values[b as usize]));
        let mut rank = vec![NO_BREAKDOWN; values.len()];
        for (r, &i) in order.iter().enumerate() {
            rank[i as usize] = r as u32;
        }
        if !values.is_empty() {
            events.map_codes(|c| {
                let b = breakdown_of(*c);
                if b != NO_BREAKDOWN {
                    let to = rank.get(b as usize).copied().unwrap_or(NO_BREAKDOWN);
                    *c = (*c & 0xFFFF_FFFF) | (u64::from(to) << 32);
                }
            });
        }
        let sorted: Vec<String> = order.iter().map(|&i| values[i as usize].clone()).collect();
        // The users as a shared dictionary: no copy of the ids (a table's, when the fold
        // took the table's users); the events grouped in place.
        let (users, grouped) = events.into_grouped();
        Ok(FunnelOutcomes::new(
            self.spec,
            users,
            grouped,
            sorted,
            self.events_unmatched,
        ))
    }
}

#[derive(Serialize)]
#[serde(bound(serialize = "U: Serialize"))]
struct StateRef<'a, U> {
    spec: &'a FunnelSpec,
    breakdowns: &'a [String],
    events: &'a UserEvents<U, u64>,
    events_unmatched: u64,
}

#[derive(Deserialize)]
#[serde(bound(deserialize = "U: Deserialize<'de> + Clone + Eq + Hash + Ord"))]
struct State<U> {
    spec: FunnelSpec,
    breakdowns: Vec<String>,
    events: UserEvents<U, u64>,
    events_unmatched: u64,
}

impl<U: Serialize> Serialize for FunnelSummary<U> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        StateRef {
            spec: &self.spec,
            breakdowns: self.breakdowns.values(),
            events: &self.events,
            events_unmatched: self.events_unmatched,
        }
        .serialize(s)
    }
}

impl<'de, U> Deserialize<'de> for FunnelSummary<U>
where
    U: Deserialize<'de> + Clone + Eq + Hash + Ord,
{
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        use serde::de::Error as _;
        let s = State::<U>::deserialize(d)?;
        let n = s.spec.steps.len();
        let x = s.spec.exclusions.len();
        let allowed = ((1_u64 << n) - 1) | (((1_u64 << x) - 1) << EXCLUSION_SHIFT) | OTHER;
        for &c in s.events.codes() {
            let b = breakdown_of(c);
            if (c & 0xFFFF_FFFF) & !allowed != 0
                || c.trailing_zeros() >= 32
                || (b != NO_BREAKDOWN && b as usize >= s.breakdowns.len())
            {
                return Err(D::Error::custom(format!(
                    "an event code {c:#x} that a funnel of {n} steps and {x} exclusions cannot make"
                )));
            }
        }
        Ok(FunnelSummary {
            spec: s.spec,
            breakdowns: Dictionary::from_values(s.breakdowns).map_err(D::Error::custom)?,
            events: s.events,
            events_unmatched: s.events_unmatched,
        })
    }
}
