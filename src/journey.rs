//! Each user's named events in time order: the fold under [`crate::paths`] and
//! [`crate::correlation`], which both read a user's events as a sequence.

use std::hash::Hash;

use serde::{Deserialize, Serialize};

use crate::engine::{Dictionary, EventTable, Grouped, NO_NAME, TablePart, TableUsers, UserEvents};
use crate::event::{Event, checked_at};
use crate::fold::{Fold, FoldTable, Summary};
use crate::{Error, Result};

/// The journey fold: per user, every named event (its instant and name). Events without a
/// name are counted, not kept. Memory is proportional to the named events (16 bytes each).
///
/// It serializes as `{"names": [...], "events": {"users", "user", "at", "code"},
/// "events_unnamed"}` and deserializes checked (a name index past the names is an error).
///
/// ```
/// use chrono::{TimeZone, Utc};
/// use userops::event::EventRecord;
/// use userops::fold::{fold, Summary};
/// use userops::journey::JourneySummary;
/// let t = |h| Utc.with_ymd_and_hms(2025, 1, 1, h, 0, 0).unwrap();
/// let log = vec![
///     EventRecord::<u8>::new(1_u8, t(2)).with_name("b"),
///     EventRecord::new(1_u8, t(1)).with_name("a"),
/// ];
/// let journeys = fold(JourneySummary::new(), &log)?.finish()?;
/// let names: Vec<&str> = journeys.user(0).iter().map(|&(_, n)| journeys.name(n)).collect();
/// assert_eq!(names, ["a", "b"]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct JourneySummary<U> {
    names: Dictionary<String>,
    events: UserEvents<U, u32>,
    events_unnamed: u64,
}

impl<U> Default for JourneySummary<U> {
    fn default() -> Self {
        JourneySummary {
            names: Dictionary::new(),
            events: UserEvents::new(),
            events_unnamed: 0,
        }
    }
}

impl<U> JourneySummary<U> {
    /// An empty summary.
    ///
    /// ```
    /// assert_eq!(userops::journey::JourneySummary::<u8>::new().events_kept(), 0);
    /// ```
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Named events kept so far.
    ///
    /// ```
    /// assert_eq!(userops::journey::JourneySummary::<u8>::new().events_kept(), 0);
    /// ```
    #[must_use]
    pub fn events_kept(&self) -> usize {
        self.events.len()
    }
}

impl<E: Event> Fold<E> for JourneySummary<E::User> {
    fn observe(&mut self, event: &E) -> Result<()> {
        let Some(name) = event.name() else {
            self.events_unnamed += 1;
            return Ok(());
        };
        let at = checked_at(event)?.timestamp_micros();
        let code = self.names.intern_ref(name)?;
        self.events.push(event.user(), at, code)
    }
}

impl<U: Clone + Eq + Hash + Ord + std::fmt::Debug> FoldTable<U> for JourneySummary<U> {
    fn observe_part(&mut self, table: &EventTable<U>, part: &TablePart) -> Result<()> {
        let rows = part.rows_in(table.len());
        let map: Vec<u32> = table
            .names()
            .values()
            .iter()
            .map(|n| self.names.intern_ref(n.as_str()))
            .collect::<Result<_>>()?;
        let mut users = TableUsers::new(table);
        let columns = table.user_column()[rows.clone()]
            .iter()
            .zip(&table.at_column()[rows.clone()])
            .zip(&table.name_column()[rows]);
        for ((&t, &at), &name) in columns {
            if !part.holds(t) {
                continue;
            }
            let Some(&code) = (name != NO_NAME).then(|| map.get(name as usize)).flatten() else {
                self.events_unnamed += 1;
                continue;
            };
            let events = &mut self.events;
            let u = users.index_with(t, |id| events.user_index(id))?;
            events.push_indexed(u, at, code)?;
        }
        Ok(())
    }
}

impl<U: Clone + Eq + Hash + Ord> Summary for JourneySummary<U> {
    type Output = Journeys<U>;

    fn merge(&mut self, mut other: Self) -> Result<()> {
        let map = self.names.absorb(&other.names)?;
        other
            .events
            .map_codes(|c| *c = map.get(*c as usize).copied().unwrap_or(*c));
        self.events.merge(other.events)?;
        self.events_unnamed += other.events_unnamed;
        Ok(())
    }

    fn finish(self) -> Result<Journeys<U>> {
        // Names numbered in text order, so that events at one instant come in an order that
        // does not depend on which name was seen first.
        let values = self.names.into_values();
        let mut order: Vec<u32> = (0..values.len() as u32).collect();
        order.sort_by(|&a, &b| values[a as usize].cmp(&values[b as usize]));
        let mut rank = vec![0_u32; values.len()];
        for (r, &i) in order.iter().enumerate() {
            rank[i as usize] = r as u32;
        }
        let mut events = self.events;
        events.map_codes(|c| *c = rank.get(*c as usize).copied().unwrap_or(*c));
        let (users, grouped) = events.into_grouped();
        Ok(Journeys {
            users: users.into_values(),
            names: order.iter().map(|&i| values[i as usize].clone()).collect(),
            events: grouped,
            events_unnamed: self.events_unnamed,
        })
    }
}

/// Every user's named events in time order (ties by name): the finished [`JourneySummary`].
///
/// ```
/// # use userops::fold::Summary;
/// let j = userops::journey::JourneySummary::<u8>::new().finish().unwrap();
/// assert_eq!(j.len(), 0);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Journeys<U> {
    users: Vec<U>,
    names: Vec<String>,
    events: Grouped<u32>,
    events_unnamed: u64,
}

impl<U> Journeys<U> {
    /// Number of users.
    ///
    /// ```
    /// # use userops::fold::Summary;
    /// assert!(userops::journey::JourneySummary::<u8>::new().finish().unwrap().is_empty());
    /// ```
    #[must_use]
    pub fn len(&self) -> usize {
        self.users.len()
    }

    /// Whether there is no user.
    ///
    /// ```
    /// # use userops::fold::Summary;
    /// assert!(userops::journey::JourneySummary::<u8>::new().finish().unwrap().is_empty());
    /// ```
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.users.is_empty()
    }

    /// The users, indexed as [`Journeys::user`].
    ///
    /// ```
    /// # use userops::fold::Summary;
    /// assert!(userops::journey::JourneySummary::<u8>::new().finish().unwrap().users().is_empty());
    /// ```
    #[must_use]
    pub fn users(&self) -> &[U] {
        &self.users
    }

    /// The event names, in text order (a name index is a position here).
    ///
    /// ```
    /// # use userops::fold::Summary;
    /// assert!(userops::journey::JourneySummary::<u8>::new().finish().unwrap().names().is_empty());
    /// ```
    #[must_use]
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// The name with index `i` (empty text for an index out of range).
    ///
    /// ```
    /// # use userops::fold::Summary;
    /// assert_eq!(userops::journey::JourneySummary::<u8>::new().finish().unwrap().name(0), "");
    /// ```
    #[must_use]
    pub fn name(&self, i: u32) -> &str {
        self.names.get(i as usize).map_or("", String::as_str)
    }

    /// The index of a name, if any event had it.
    ///
    /// ```
    /// # use userops::fold::Summary;
    /// assert_eq!(userops::journey::JourneySummary::<u8>::new().finish().unwrap().name_index("a"), None);
    /// ```
    #[must_use]
    pub fn name_index(&self, name: &str) -> Option<u32> {
        self.names
            .binary_search_by(|n| n.as_str().cmp(name))
            .ok()
            .map(|i| i as u32)
    }

    /// User `i`'s events, (microseconds since the epoch, name index), in time order.
    ///
    /// ```
    /// # use userops::fold::Summary;
    /// assert!(userops::journey::JourneySummary::<u8>::new().finish().unwrap().user(0).is_empty());
    /// ```
    #[must_use]
    pub fn user(&self, i: usize) -> &[(i64, u32)] {
        self.events.user(i)
    }

    /// Events without a name (not kept).
    ///
    /// ```
    /// # use userops::fold::Summary;
    /// assert_eq!(userops::journey::JourneySummary::<u8>::new().finish().unwrap().events_unnamed(), 0);
    /// ```
    #[must_use]
    pub fn events_unnamed(&self) -> u64 {
        self.events_unnamed
    }
}

#[derive(Serialize)]
#[serde(bound(serialize = "U: Serialize"))]
struct StateRef<'a, U> {
    names: &'a [String],
    events: &'a UserEvents<U, u32>,
    events_unnamed: u64,
}

#[derive(Deserialize)]
#[serde(bound(deserialize = "U: Deserialize<'de> + Clone + Eq + Hash + Ord"))]
struct State<U> {
    names: Vec<String>,
    events: UserEvents<U, u32>,
    events_unnamed: u64,
}

impl<U: Serialize> Serialize for JourneySummary<U> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        StateRef {
            names: self.names.values(),
            events: &self.events,
            events_unnamed: self.events_unnamed,
        }
        .serialize(s)
    }
}

impl<'de, U> Deserialize<'de> for JourneySummary<U>
where
    U: Deserialize<'de> + Clone + Eq + Hash + Ord,
{
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        use serde::de::Error as _;
        let s = State::<U>::deserialize(d)?;
        if let Some(bad) = s.events.codes().find(|&&c| c as usize >= s.names.len()) {
            return Err(D::Error::custom(Error::invalid(
                "events",
                format!("name index {bad} but only {} names", s.names.len()),
            )));
        }
        Ok(JourneySummary {
            names: Dictionary::from_values(s.names).map_err(D::Error::custom)?,
            events: s.events,
            events_unnamed: s.events_unnamed,
        })
    }
}
