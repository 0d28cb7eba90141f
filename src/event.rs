//! Host-facing traits: the host's own event type, user attributes and sign-up times.
//!
//! `userops` never asks the host to copy its data into a library type. The host implements
//! [`Event`] for whatever it already has — a struct from its database layer, a message from its
//! queue — and every model folds over those values directly.
//!
//! ```
//! use chrono::{DateTime, TimeZone, Utc};
//! use userops::event::Event;
//!
//! // The host's own type, exactly as its application already defines it.
//! struct Order {
//!     customer: u64,
//!     placed: DateTime<Utc>,
//!     total_cents: i64,
//! }
//!
//! // One short impl block plugs it in.
//! impl Event for Order {
//!     type User = u64;
//!     fn user(&self) -> &u64 { &self.customer }
//!     fn at(&self) -> DateTime<Utc> { self.placed }
//!     fn amount(&self) -> f64 { self.total_cents as f64 / 100.0 }
//! }
//!
//! let order = Order { customer: 7, placed: Utc.with_ymd_and_hms(2025, 1, 2, 3, 4, 5).unwrap(), total_cents: 1999 };
//! assert_eq!(order.amount(), 19.99);
//! assert_eq!(order.name(), None); // facets the host does not have keep their defaults
//! ```

use std::collections::{BTreeMap, HashMap};
use std::fmt::Debug;
use std::hash::{BuildHasher, Hash};

use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};

/// One thing a user did at one instant: the only trait a host must implement.
///
/// Required: who ([`Event::user`]) and when ([`Event::at`]). Optional facets have defaults
/// so that a host leaves out what its data does not have:
///
/// * [`Event::amount`] — money paid in this event; `0.0` means "not a payment". Negative
///   amounts are refunds: models that sum money accept them (a refund lowers monetary value);
///   models that need a positive spend (Gamma-Gamma) reject them with a clear error.
/// * [`Event::name`] — the event kind (`"signup"`, `"pageview"`, `"order"`).
/// * [`Event::duration`] — time spent, for usage-time metrics.
///
/// ```
/// use chrono::{DateTime, Utc};
/// use userops::event::Event;
///
/// struct PageView { visitor: String, ts: DateTime<Utc>, page: String }
///
/// impl Event for PageView {
///     type User = String;
///     fn user(&self) -> &String { &self.visitor }
///     fn at(&self) -> DateTime<Utc> { self.ts }
///     fn name(&self) -> Option<&str> { Some(&self.page) }
/// }
///
/// let v = PageView { visitor: "ana".into(), ts: DateTime::UNIX_EPOCH, page: "home".into() };
/// assert_eq!(v.name(), Some("home"));
/// assert_eq!(v.amount(), 0.0);
/// ```
pub trait Event {
    /// The host's own user id type.
    type User: Clone + Eq + Hash + Ord + Debug;

    /// Who did it.
    fn user(&self) -> &Self::User;

    /// When it happened (an exact instant; bucketing into calendar periods happens later,
    /// in the business's time zone).
    fn at(&self) -> DateTime<Utc>;

    /// Money paid in this event; `0.0` (the default) means the event is not a payment.
    fn amount(&self) -> f64 {
        0.0
    }

    /// The event kind, when the host has one.
    fn name(&self) -> Option<&str> {
        None
    }

    /// Time spent, when the host measures it.
    fn duration(&self) -> Option<TimeDelta> {
        None
    }

    /// The value of an event property (`"$browser"`, `"plan"`, `"utm_source"`), when the
    /// host has it: what a funnel is broken down by
    /// ([`crate::funnel::Breakdown::EventProperty`]) and what a step predicate may test.
    /// `None` (the default) means the event does not have that property.
    ///
    /// ```
    /// use chrono::{DateTime, Utc};
    /// use userops::event::Event;
    ///
    /// struct Visit { who: u32, at: DateTime<Utc>, browser: String }
    /// impl Event for Visit {
    ///     type User = u32;
    ///     fn user(&self) -> &u32 { &self.who }
    ///     fn at(&self) -> DateTime<Utc> { self.at }
    ///     fn property(&self, key: &str) -> Option<&str> {
    ///         (key == "$browser").then_some(self.browser.as_str())
    ///     }
    /// }
    /// let v = Visit { who: 1, at: DateTime::UNIX_EPOCH, browser: "Safari".into() };
    /// assert_eq!(v.property("$browser"), Some("Safari"));
    /// assert_eq!(v.property("plan"), None);
    /// ```
    fn property(&self, key: &str) -> Option<&str> {
        let _ = key;
        None
    }
}

impl<E: Event + ?Sized> Event for &E {
    type User = E::User;
    fn user(&self) -> &Self::User {
        (**self).user()
    }
    fn at(&self) -> DateTime<Utc> {
        (**self).at()
    }
    fn amount(&self) -> f64 {
        (**self).amount()
    }
    fn name(&self) -> Option<&str> {
        (**self).name()
    }
    fn duration(&self) -> Option<TimeDelta> {
        (**self).duration()
    }
    fn property(&self, key: &str) -> Option<&str> {
        (**self).property(key)
    }
}

/// A ready-made, owned event for callers without a type of their own (and what the CSV reader
/// returns).
///
/// ```
/// use chrono::{TimeZone, Utc};
/// use userops::event::{Event, EventRecord};
///
/// let e = EventRecord::<String>::new("u1", Utc.with_ymd_and_hms(2025, 3, 1, 12, 0, 0).unwrap())
///     .with_amount(25.0)
///     .with_name("order");
/// assert_eq!(e.user(), &"u1".to_string());
/// assert_eq!(e.amount(), 25.0);
/// assert_eq!(e.name(), Some("order"));
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EventRecord<U = String> {
    /// Who did it.
    pub user: U,
    /// When.
    pub at: DateTime<Utc>,
    /// Money paid (0 = not a payment; negative = refund).
    pub amount: f64,
    /// Event kind.
    pub name: Option<String>,
    /// Time spent, in milliseconds (kept as an integer so the record stays serializable).
    pub duration_ms: Option<i64>,
    /// Attribute values, in the order of the attribute columns the reader was given.
    pub attributes: Vec<String>,
}

impl<U> EventRecord<U> {
    /// A record with only a user and an instant.
    ///
    /// ```
    /// use chrono::Utc;
    /// let e = userops::event::EventRecord::<u64>::new(42_u64, chrono::DateTime::<Utc>::UNIX_EPOCH);
    /// assert_eq!(e.user, 42);
    /// ```
    pub fn new(user: impl Into<U>, at: DateTime<Utc>) -> Self {
        EventRecord {
            user: user.into(),
            at,
            amount: 0.0,
            name: None,
            duration_ms: None,
            attributes: Vec::new(),
        }
    }

    /// Sets the amount paid.
    ///
    /// ```
    /// let e = userops::event::EventRecord::<u32>::new(1_u32, chrono::DateTime::UNIX_EPOCH).with_amount(9.5);
    /// assert_eq!(e.amount, 9.5);
    /// ```
    #[must_use]
    pub fn with_amount(mut self, amount: f64) -> Self {
        self.amount = amount;
        self
    }

    /// Sets the event name.
    ///
    /// ```
    /// let e = userops::event::EventRecord::<u32>::new(1_u32, chrono::DateTime::UNIX_EPOCH).with_name("login");
    /// assert_eq!(e.name.as_deref(), Some("login"));
    /// ```
    #[must_use]
    pub fn with_name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// Sets the time spent.
    ///
    /// ```
    /// use chrono::TimeDelta;
    /// use userops::event::Event;
    /// let e = userops::event::EventRecord::<u32>::new(1_u32, chrono::DateTime::UNIX_EPOCH)
    ///     .with_duration(TimeDelta::seconds(90));
    /// assert_eq!(e.duration(), Some(TimeDelta::seconds(90)));
    /// ```
    #[must_use]
    pub fn with_duration(mut self, duration: TimeDelta) -> Self {
        self.duration_ms = Some(duration.num_milliseconds());
        self
    }
}

impl<U: Clone + Eq + Hash + Ord + Debug> Event for EventRecord<U> {
    type User = U;
    fn user(&self) -> &U {
        &self.user
    }
    fn at(&self) -> DateTime<Utc> {
        self.at
    }
    fn amount(&self) -> f64 {
        self.amount
    }
    fn name(&self) -> Option<&str> {
        self.name.as_deref()
    }
    fn duration(&self) -> Option<TimeDelta> {
        self.duration_ms.map(TimeDelta::milliseconds)
    }
}

/// A user attribute the host uses to break a report down: acquisition channel, region,
/// "drives the car but never opens the app".
///
/// Implemented for maps from user to value and for closures.
///
/// ```
/// use std::collections::HashMap;
/// use userops::event::UserAttribute;
///
/// let channel: HashMap<u32, String> = [(1, "ads".to_string()), (2, "organic".to_string())].into();
/// assert_eq!(channel.attribute(&1).as_deref(), Some("ads"));
/// assert_eq!(channel.attribute(&3), None);
///
/// let region = |u: &u32| Some(if *u % 2 == 0 { "north" } else { "south" }.to_string());
/// assert_eq!(region.attribute(&2).as_deref(), Some("north"));
/// ```
pub trait UserAttribute<U> {
    /// The attribute's value for `user`, or `None` when the host does not know it (such users
    /// are reported under an "(unknown)" group, never dropped).
    fn attribute(&self, user: &U) -> Option<String>;
}

impl<U: Eq + Hash, S: BuildHasher> UserAttribute<U> for HashMap<U, String, S> {
    fn attribute(&self, user: &U) -> Option<String> {
        self.get(user).cloned()
    }
}

impl<U: Ord> UserAttribute<U> for BTreeMap<U, String> {
    fn attribute(&self, user: &U) -> Option<String> {
        self.get(user).cloned()
    }
}

impl<U, F: Fn(&U) -> Option<String>> UserAttribute<U> for F {
    fn attribute(&self, user: &U) -> Option<String> {
        self(user)
    }
}

/// A [`UserAttribute`] read off the host's events: each user's value on their earliest event
/// that carries one ("first touch": the channel of a customer's first order is the channel
/// that acquired them). Events at the same instant with different values resolve to the
/// smallest value, so the attribute does not depend on the order of the events, and parts
/// [`merge`](FirstTouch::merge) into the attribute of the whole.
///
/// ```
/// use chrono::{TimeZone, Utc};
/// use userops::event::{FirstTouch, UserAttribute};
/// let at = |d| Utc.with_ymd_and_hms(2025, 1, d, 0, 0, 0).unwrap();
/// // (customer, day, channel on the order)
/// let orders = [(1_u32, at(9), "email"), (1, at(2), "ads"), (2, at(5), "organic")];
/// let channel = FirstTouch::from_events(&orders, |o| &o.0, |o| o.1, |o| Some(o.2));
/// assert_eq!(channel.attribute(&1).as_deref(), Some("ads"));
/// assert_eq!(channel.attribute(&2).as_deref(), Some("organic"));
/// assert_eq!(channel.attribute(&3), None);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct FirstTouch<U: Eq + Hash> {
    values: HashMap<U, (DateTime<Utc>, String)>,
}

impl<U: Eq + Hash> Default for FirstTouch<U> {
    fn default() -> Self {
        FirstTouch {
            values: HashMap::new(),
        }
    }
}

impl<U: Eq + Hash + Clone> FirstTouch<U> {
    /// No user yet.
    ///
    /// ```
    /// assert!(userops::event::FirstTouch::<u32>::new().is_empty());
    /// ```
    #[must_use]
    pub fn new() -> Self {
        FirstTouch::default()
    }

    /// Takes `value`, seen on `user`'s event at `at`, when it is earlier than the value kept
    /// (or as early and smaller).
    ///
    /// ```
    /// use chrono::{TimeZone, Utc};
    /// use userops::event::{FirstTouch, UserAttribute};
    /// let mut t = FirstTouch::new();
    /// t.observe(&7_u32, Utc.with_ymd_and_hms(2025, 1, 2, 0, 0, 0).unwrap(), "b");
    /// t.observe(&7_u32, Utc.with_ymd_and_hms(2025, 1, 2, 0, 0, 0).unwrap(), "a");
    /// assert_eq!(t.attribute(&7).as_deref(), Some("a"));
    /// ```
    pub fn observe(&mut self, user: &U, at: DateTime<Utc>, value: &str) {
        match self.values.get_mut(user) {
            Some((kept_at, kept)) => {
                if (at, value) < (*kept_at, kept.as_str()) {
                    *kept_at = at;
                    value.clone_into(kept);
                }
            }
            None => {
                self.values.insert(user.clone(), (at, value.to_string()));
            }
        }
    }

    /// Adds what another part has seen: the result is the attribute of both parts' events.
    ///
    /// ```
    /// use chrono::{TimeZone, Utc};
    /// use userops::event::{FirstTouch, UserAttribute};
    /// let (mut a, mut b) = (FirstTouch::new(), FirstTouch::new());
    /// a.observe(&1_u32, Utc.with_ymd_and_hms(2025, 1, 9, 0, 0, 0).unwrap(), "email");
    /// b.observe(&1_u32, Utc.with_ymd_and_hms(2025, 1, 2, 0, 0, 0).unwrap(), "ads");
    /// a.merge(b);
    /// assert_eq!(a.attribute(&1).as_deref(), Some("ads"));
    /// ```
    pub fn merge(&mut self, other: Self) {
        for (user, (at, value)) in other.values {
            self.observe(&user, at, &value);
        }
    }

    /// The attribute of `events`: `user` and `at` of each event, and `value` its attribute
    /// (`None` for an event that does not carry one). For an [`Event`] type, pass
    /// `Event::user` and `Event::at`.
    ///
    /// ```
    /// use chrono::{TimeZone, Utc};
    /// use userops::event::{Event, EventRecord, FirstTouch, UserAttribute};
    /// let at = |d| Utc.with_ymd_and_hms(2025, 1, d, 0, 0, 0).unwrap();
    /// let log = [EventRecord::<u8>::new(1_u8, at(3)).with_name("ads"), EventRecord::new(1_u8, at(1))];
    /// let t = FirstTouch::from_events(&log, Event::user, Event::at, Event::name);
    /// assert_eq!(t.attribute(&1).as_deref(), Some("ads")); // the earlier event carries none
    /// ```
    pub fn from_events<'a, E: 'a>(
        events: impl IntoIterator<Item = &'a E>,
        user: impl Fn(&'a E) -> &'a U,
        at: impl Fn(&'a E) -> DateTime<Utc>,
        value: impl Fn(&'a E) -> Option<&'a str>,
    ) -> Self
    where
        U: 'a,
    {
        let mut touch = FirstTouch::new();
        for e in events {
            if let Some(v) = value(e) {
                touch.observe(user(e), at(e), v);
            }
        }
        touch
    }

    /// Users with a value.
    ///
    /// ```
    /// assert_eq!(userops::event::FirstTouch::<u32>::new().len(), 0);
    /// ```
    #[must_use]
    pub fn len(&self) -> usize {
        self.values.len()
    }

    /// Whether no user has a value.
    ///
    /// ```
    /// assert!(userops::event::FirstTouch::<u32>::new().is_empty());
    /// ```
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }
}

impl<U: Eq + Hash> UserAttribute<U> for FirstTouch<U> {
    fn attribute(&self, user: &U) -> Option<String> {
        self.values.get(user).map(|(_, v)| v.clone())
    }
}

/// A user's sign-up (creation) time, where the host has one. Lifecycle models use it to decide
/// when a user is "new"; without it, the first activity decides.
///
/// ```
/// use std::collections::HashMap;
/// use chrono::{DateTime, Utc};
/// use userops::event::SignUp;
///
/// let created: HashMap<u32, DateTime<Utc>> = [(1, DateTime::UNIX_EPOCH)].into();
/// assert_eq!(created.signed_up(&1), Some(DateTime::UNIX_EPOCH));
/// assert_eq!(created.signed_up(&2), None);
/// ```
pub trait SignUp<U> {
    /// When `user` signed up, if known.
    fn signed_up(&self, user: &U) -> Option<DateTime<Utc>>;
}

impl<U: Eq + Hash, S: BuildHasher> SignUp<U> for HashMap<U, DateTime<Utc>, S> {
    fn signed_up(&self, user: &U) -> Option<DateTime<Utc>> {
        self.get(user).copied()
    }
}

impl<U: Ord> SignUp<U> for BTreeMap<U, DateTime<Utc>> {
    fn signed_up(&self, user: &U) -> Option<DateTime<Utc>> {
        self.get(user).copied()
    }
}

impl<U, F: Fn(&U) -> Option<DateTime<Utc>>> SignUp<U> for F {
    fn signed_up(&self, user: &U) -> Option<DateTime<Utc>> {
        self(user)
    }
}

/// Checks that an event's amount is a finite number; the shared guard every money-summing fold
/// uses.
///
/// # Errors
/// [`crate::Error::NonFinite`] naming the user when the amount is NaN or infinite.
///
/// ```
/// use userops::event::{checked_amount, EventRecord};
/// let ok = EventRecord::<u32>::new(1_u32, chrono::DateTime::UNIX_EPOCH).with_amount(3.0);
/// assert_eq!(checked_amount(&ok)?, 3.0);
/// let bad = EventRecord::<u32>::new(1_u32, chrono::DateTime::UNIX_EPOCH).with_amount(f64::NAN);
/// assert!(checked_amount(&bad).is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn checked_amount<E: Event>(event: &E) -> crate::Result<f64> {
    let a = event.amount();
    if a.is_finite() {
        Ok(a)
    } else {
        Err(crate::Error::NonFinite {
            field: "amount",
            value: a,
            user: format!("{:?}", event.user()),
        })
    }
}

/// An event's instant when it lies in the supported years ([`crate::time::MIN_YEAR`] to
/// [`crate::time::MAX_YEAR`]); the shared guard every fold applies to the host's events, as
/// the readers apply it to their rows.
///
/// # Errors
/// [`crate::Error::InstantOutOfRange`] naming the instant.
///
/// ```
/// use chrono::{TimeZone, Utc};
/// use userops::event::{checked_at, EventRecord};
/// let ok = EventRecord::<u32>::new(1_u32, chrono::DateTime::UNIX_EPOCH);
/// assert_eq!(checked_at(&ok)?, chrono::DateTime::UNIX_EPOCH);
/// let early = EventRecord::<u32>::new(1_u32, Utc.with_ymd_and_hms(0, 1, 1, 0, 0, 0).unwrap());
/// assert!(checked_at(&early).is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[inline]
pub fn checked_at<E: Event>(event: &E) -> crate::Result<DateTime<Utc>> {
    crate::time::check_instant("event time", event.at())
}
