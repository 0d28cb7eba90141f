//! Funnel settings, checked once: the steps, their order mode, the conversion window, the
//! exclusions, the breakdown and which entries count.

use std::fmt;
use std::sync::Arc;

use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::event::Event;
use crate::{Error, Result};

/// The most steps a funnel may have (PostHog allows 20; a user's attempt is a bitmask).
pub const MAX_STEPS: usize = 16;
/// The most exclusion steps a funnel may have.
pub const MAX_EXCLUSIONS: usize = 8;
/// The most bins a time-to-convert histogram may have (the report holds one row per bin).
pub const MAX_BINS: usize = 1_000;

/// What a step predicate sees of an event: the facets of [`Event`] without the user type, so
/// that one predicate serves any event type.
///
/// ```
/// use userops::event::EventRecord;
/// use userops::funnel::EventFacts;
/// let e = EventRecord::<u8>::new(1_u8, chrono::DateTime::UNIX_EPOCH).with_name("order").with_amount(30.0);
/// let facts: &dyn EventFacts = &e;
/// assert_eq!((facts.name(), facts.amount()), (Some("order"), 30.0));
/// ```
pub trait EventFacts {
    /// [`Event::name`].
    fn name(&self) -> Option<&str>;
    /// [`Event::at`].
    fn at(&self) -> DateTime<Utc>;
    /// [`Event::amount`].
    fn amount(&self) -> f64;
    /// [`Event::property`].
    fn property(&self, key: &str) -> Option<&str>;
}

impl<E: Event> EventFacts for E {
    fn name(&self) -> Option<&str> {
        Event::name(self)
    }
    fn at(&self) -> DateTime<Utc> {
        Event::at(self)
    }
    fn amount(&self) -> f64 {
        Event::amount(self)
    }
    fn property(&self, key: &str) -> Option<&str> {
        Event::property(self, key)
    }
}

/// A test of an event, shared by the summaries that use it.
pub type Predicate = Arc<dyn Fn(&dyn EventFacts) -> bool + Send + Sync>;

/// Which events a step (or an exclusion) matches: any event, events of one name, or a
/// predicate over the event (PostHog's actions and property filters).
///
/// A step given by a name or `*` serializes as that text; a predicate cannot be written out,
/// so a summary whose steps include one refuses to serialize (with a clear error).
///
/// ```
/// use userops::event::EventRecord;
/// use userops::funnel::StepMatch;
/// let e = EventRecord::<u8>::new(1_u8, chrono::DateTime::UNIX_EPOCH).with_name("order").with_amount(120.0);
/// assert!(StepMatch::named("order").matches(&e));
/// assert!(StepMatch::Any.matches(&e));
/// let big = StepMatch::predicate("order over 100", |e| e.name() == Some("order") && e.amount() > 100.0);
/// assert!(big.matches(&e));
/// assert_eq!(big.to_string(), "order over 100");
/// ```
#[derive(Clone)]
pub enum StepMatch {
    /// Any event (PostHog's "All events"), written `*`.
    Any,
    /// Events with exactly this name.
    Named(String),
    /// Events the predicate accepts, shown under the label.
    Where {
        /// What the report calls the step.
        label: String,
        /// The test.
        test: Predicate,
    },
}

impl StepMatch {
    /// Events named `name`; `"*"` is [`StepMatch::Any`].
    ///
    /// ```
    /// assert!(matches!(userops::funnel::StepMatch::named("*"), userops::funnel::StepMatch::Any));
    /// ```
    #[must_use]
    pub fn named(name: &str) -> StepMatch {
        if name == "*" {
            StepMatch::Any
        } else {
            StepMatch::Named(name.to_string())
        }
    }

    /// Events the predicate accepts, labelled `label` in reports.
    ///
    /// ```
    /// let s = userops::funnel::StepMatch::predicate("paid", |e| e.amount() > 0.0);
    /// assert_eq!(s.to_string(), "paid");
    /// ```
    pub fn predicate(
        label: impl Into<String>,
        test: impl Fn(&dyn EventFacts) -> bool + Send + Sync + 'static,
    ) -> StepMatch {
        StepMatch::Where {
            label: label.into(),
            test: Arc::new(test),
        }
    }

    /// Whether the event matches.
    ///
    /// ```
    /// use userops::event::EventRecord;
    /// let e = EventRecord::<u8>::new(1_u8, chrono::DateTime::UNIX_EPOCH);
    /// assert!(!userops::funnel::StepMatch::named("order").matches(&e)); // no name
    /// ```
    #[must_use]
    pub fn matches(&self, event: &dyn EventFacts) -> bool {
        match self {
            StepMatch::Any => true,
            StepMatch::Named(n) => event.name() == Some(n.as_str()),
            StepMatch::Where { test, .. } => test(event),
        }
    }

    /// Whether an event of this name matches, when the name alone decides (`None` for a
    /// predicate, which needs the whole event).
    ///
    /// ```
    /// use userops::funnel::StepMatch;
    /// assert_eq!(StepMatch::named("a").matches_name(Some("a")), Some(true));
    /// assert_eq!(StepMatch::predicate("p", |_| true).matches_name(Some("a")), None);
    /// ```
    #[must_use]
    pub fn matches_name(&self, name: Option<&str>) -> Option<bool> {
        match self {
            StepMatch::Any => Some(true),
            StepMatch::Named(n) => Some(name == Some(n.as_str())),
            StepMatch::Where { .. } => None,
        }
    }
}

impl fmt::Debug for StepMatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StepMatch::Any => f.write_str("Any"),
            StepMatch::Named(n) => f.debug_tuple("Named").field(n).finish(),
            StepMatch::Where { label, .. } => {
                f.debug_struct("Where").field("label", label).finish()
            }
        }
    }
}

impl PartialEq for StepMatch {
    /// Names compare as text; predicates are equal only when they are the same closure.
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (StepMatch::Any, StepMatch::Any) => true,
            (StepMatch::Named(a), StepMatch::Named(b)) => a == b,
            (StepMatch::Where { label: a, test: x }, StepMatch::Where { label: b, test: y }) => {
                a == b && Arc::ptr_eq(x, y)
            }
            _ => false,
        }
    }
}

impl fmt::Display for StepMatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StepMatch::Any => f.write_str("*"),
            StepMatch::Named(n) => f.write_str(n),
            StepMatch::Where { label, .. } => f.write_str(label),
        }
    }
}

impl Serialize for StepMatch {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        match self {
            StepMatch::Any => s.serialize_str("*"),
            StepMatch::Named(n) => s.serialize_str(n),
            StepMatch::Where { label, .. } => Err(serde::ser::Error::custom(format!(
                "the step {label:?} is a predicate, which cannot be serialized; give steps by \
                 event name to ship a funnel's partial state"
            ))),
        }
    }
}

impl<'de> Deserialize<'de> for StepMatch {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        if text.trim().is_empty() {
            return Err(serde::de::Error::custom("a step's event name is empty"));
        }
        Ok(StepMatch::named(&text))
    }
}

/// How steps must follow each other (PostHog's `funnelOrderType`).
///
/// ```
/// use userops::funnel::StepOrder;
/// assert_eq!(StepOrder::parse("strict")?, StepOrder::Strict);
/// assert!(StepOrder::parse("sideways").is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StepOrder {
    /// Steps in order; other events may come between them.
    Ordered,
    /// Steps in order with no other event of the user between two steps.
    Strict,
    /// Steps in any order, all within the window of the first.
    Unordered,
}

impl StepOrder {
    /// Parses `ordered`, `strict` or `unordered` (case-insensitive).
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] named `order` for anything else.
    ///
    /// ```
    /// assert!(userops::funnel::StepOrder::parse("Unordered").is_ok());
    /// ```
    pub fn parse(text: &str) -> Result<StepOrder> {
        match text.trim().to_ascii_lowercase().as_str() {
            "ordered" => Ok(StepOrder::Ordered),
            "strict" => Ok(StepOrder::Strict),
            "unordered" => Ok(StepOrder::Unordered),
            _ => Err(Error::invalid(
                "order",
                format!(
                    "{:?} is not one of ordered, strict, unordered",
                    crate::error::shorten(text)
                ),
            )),
        }
    }
}

impl fmt::Display for StepOrder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            StepOrder::Ordered => "ordered",
            StepOrder::Strict => "strict",
            StepOrder::Unordered => "unordered",
        })
    }
}

/// Which of a user's entries into the funnel (events of the first step) start an attempt.
///
/// ```
/// use userops::funnel::Entry;
/// assert_eq!(Entry::parse("first")?, Entry::First);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Entry {
    /// Every entry starts an attempt and the user counts once, by their furthest attempt
    /// (the earliest of equals): PostHog's funnel.
    Every,
    /// Only the user's first entry starts an attempt.
    First,
}

impl Entry {
    /// Parses `every` or `first` (case-insensitive).
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] named `entry` for anything else.
    ///
    /// ```
    /// assert!(userops::funnel::Entry::parse("EVERY").is_ok());
    /// ```
    pub fn parse(text: &str) -> Result<Entry> {
        match text.trim().to_ascii_lowercase().as_str() {
            "every" => Ok(Entry::Every),
            "first" => Ok(Entry::First),
            _ => Err(Error::invalid(
                "entry",
                format!(
                    "{:?} is not one of every, first",
                    crate::error::shorten(text)
                ),
            )),
        }
    }
}

impl fmt::Display for Entry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Entry::Every => "every",
            Entry::First => "first",
        })
    }
}

/// An exclusion step: an event that, between step `from` and step `to` of an attempt (0-based,
/// PostHog's `funnelFromStep` / `funnelToStep`), voids that attempt.
///
/// ```
/// use userops::funnel::{Exclusion, StepMatch};
/// let x = Exclusion::new(StepMatch::named("refund"), 0, 1);
/// assert_eq!((x.from, x.to), (0, 1));
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Exclusion {
    /// The excluded event.
    pub event: StepMatch,
    /// The step after which it voids (0-based).
    pub from: usize,
    /// The step before which it voids (0-based, greater than `from`).
    pub to: usize,
}

impl Exclusion {
    /// An exclusion of `event` between steps `from` and `to` (0-based).
    ///
    /// ```
    /// let x = userops::funnel::Exclusion::new(userops::funnel::StepMatch::Any, 1, 3);
    /// assert_eq!(x.to, 3);
    /// ```
    #[must_use]
    pub fn new(event: StepMatch, from: usize, to: usize) -> Exclusion {
        Exclusion { event, from, to }
    }
}

/// What a funnel is broken down by at fold time. (A breakdown by a user attribute needs no
/// setting: [`crate::funnel::FunnelOutcomes::report_by`] takes the attribute.)
///
/// ```
/// let b = userops::funnel::Breakdown::EventProperty("$browser".into());
/// assert_ne!(b, userops::funnel::Breakdown::None);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Breakdown {
    /// No breakdown.
    None,
    /// The value of this event property, taken from the event that [`Attribution`] names
    /// (by default the user's first step event with a value, PostHog's "first touch");
    /// users without one are grouped under `(none)`.
    EventProperty(String),
}

/// Which event's property value a user is counted under when a funnel is broken down by an
/// event property and the value differs between the user's events (PostHog's
/// `breakdownAttributionType`, with `breakdownAttributionValue` for [`Attribution::Step`]).
///
/// The events looked at are the user's events that match a step (within the date range, if
/// one is set); a missing or empty value is no value.
///
/// ```
/// use userops::funnel::Attribution;
/// assert_eq!(Attribution::parse("step:1")?, Attribution::Step(1));
/// assert_eq!(Attribution::parse("last_touch")?, Attribution::LastTouch);
/// assert_eq!(Attribution::default(), Attribution::FirstTouch);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Attribution {
    /// The value of the user's earliest step event that has one; `(none)` when none has
    /// (PostHog's default, `first_touch`).
    #[default]
    FirstTouch,
    /// The value of the user's latest step event that has one (`last_touch`).
    LastTouch,
    /// Every value counts on its own: the user's funnel is worked out once per value, on
    /// the step events that carry it (events without a value form the `(none)` group), so
    /// a user may count under several values (`all_events`). Exclusion events (and, in a
    /// strict funnel, other events) apply to every value.
    AllEvents,
    /// The value of the user's earliest event of step `n` (0-based), even when it has none
    /// (`(none)`); users with no event of that step are in no breakdown group (`step` with
    /// `breakdown_attribution_value` = n).
    Step(usize),
}

impl Attribution {
    /// Parses `first_touch`, `last_touch`, `all_events` or `step:N` (N 0-based).
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] named `attribution` for anything else.
    ///
    /// ```
    /// assert!(userops::funnel::Attribution::parse("step:x").is_err());
    /// ```
    pub fn parse(text: &str) -> Result<Attribution> {
        let t = text.trim().to_ascii_lowercase();
        let bad = || {
            Error::invalid(
                "attribution",
                format!(
                    "{:?} is not one of first_touch, last_touch, all_events, step:N",
                    crate::error::shorten(text)
                ),
            )
        };
        match t.as_str() {
            "first_touch" => Ok(Attribution::FirstTouch),
            "last_touch" => Ok(Attribution::LastTouch),
            "all_events" => Ok(Attribution::AllEvents),
            _ => match t.strip_prefix("step:") {
                Some(n) => n.trim().parse().map(Attribution::Step).map_err(|_| bad()),
                None => Err(bad()),
            },
        }
    }
}

impl fmt::Display for Attribution {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Attribution::FirstTouch => f.write_str("first_touch"),
            Attribution::LastTouch => f.write_str("last_touch"),
            Attribution::AllEvents => f.write_str("all_events"),
            Attribution::Step(n) => write!(f, "step:{n}"),
        }
    }
}

/// Settings of a funnel, PostHog's funnel insight; [`FunnelParams::check`] turns them into a
/// [`FunnelSpec`].
///
/// ```
/// use chrono::TimeDelta;
/// use userops::funnel::{FunnelParams, StepOrder};
/// let spec = FunnelParams::new(["signup", "browse", "order"])
///     .window(TimeDelta::days(7))
///     .order(StepOrder::Strict)
///     .check()?;
/// assert_eq!(spec.steps().len(), 3);
/// assert!(FunnelParams::new(["signup"]).check().is_err()); // a funnel needs two steps
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct FunnelParams {
    /// The steps, in order.
    pub steps: Vec<StepMatch>,
    /// How steps follow each other. Default [`StepOrder::Ordered`].
    pub order: StepOrder,
    /// The conversion window: every step within this time of the attempt's first step
    /// (inclusive). Default 14 days, PostHog's default.
    pub window: TimeDelta,
    /// Exclusion steps.
    pub exclusions: Vec<Exclusion>,
    /// Breakdown by an event property. Default none.
    pub breakdown: Breakdown,
    /// Which entries start an attempt. Default [`Entry::Every`].
    pub entry: Entry,
    /// Bins of the time-to-convert histogram. Default 10.
    pub bins: usize,
    /// Which event's value a user is counted under in a breakdown by event property.
    /// Default [`Attribution::FirstTouch`].
    pub attribution: Attribution,
    /// Only events at or after this instant count (PostHog's `date_from`). Default none.
    pub date_from: Option<DateTime<Utc>>,
    /// Only events at or before this instant count (PostHog's `date_to`, inclusive: for a
    /// whole last day give its last microsecond). Default none.
    pub date_to: Option<DateTime<Utc>>,
}

impl FunnelParams {
    /// Steps given by event name (`"*"` = any event), with the defaults.
    ///
    /// ```
    /// let p = userops::funnel::FunnelParams::new(["a", "b"]);
    /// assert_eq!(p.window, chrono::TimeDelta::days(14));
    /// ```
    pub fn new<S: AsRef<str>>(steps: impl IntoIterator<Item = S>) -> FunnelParams {
        FunnelParams::with_steps(steps.into_iter().map(|s| StepMatch::named(s.as_ref())))
    }

    /// Steps given as matchers (names, `Any` or predicates), with the defaults.
    ///
    /// ```
    /// use userops::funnel::{FunnelParams, StepMatch};
    /// let p = FunnelParams::with_steps([StepMatch::named("visit"), StepMatch::predicate("paid", |e| e.amount() > 0.0)]);
    /// assert_eq!(p.steps.len(), 2);
    /// ```
    pub fn with_steps(steps: impl IntoIterator<Item = StepMatch>) -> FunnelParams {
        FunnelParams {
            steps: steps.into_iter().collect(),
            order: StepOrder::Ordered,
            window: TimeDelta::days(14),
            exclusions: Vec::new(),
            breakdown: Breakdown::None,
            entry: Entry::Every,
            bins: 10,
            attribution: Attribution::FirstTouch,
            date_from: None,
            date_to: None,
        }
    }

    /// Sets the order mode.
    ///
    /// ```
    /// let p = userops::funnel::FunnelParams::new(["a", "b"]).order(userops::funnel::StepOrder::Unordered);
    /// assert_eq!(p.order, userops::funnel::StepOrder::Unordered);
    /// ```
    #[must_use]
    pub fn order(mut self, order: StepOrder) -> Self {
        self.order = order;
        self
    }

    /// Sets the conversion window.
    ///
    /// ```
    /// let p = userops::funnel::FunnelParams::new(["a", "b"]).window(chrono::TimeDelta::seconds(15));
    /// assert_eq!(p.window.num_seconds(), 15);
    /// ```
    #[must_use]
    pub fn window(mut self, window: TimeDelta) -> Self {
        self.window = window;
        self
    }

    /// Adds an exclusion step.
    ///
    /// ```
    /// use userops::funnel::{Exclusion, FunnelParams, StepMatch};
    /// let p = FunnelParams::new(["a", "b"]).exclude(Exclusion::new(StepMatch::named("x"), 0, 1));
    /// assert_eq!(p.exclusions.len(), 1);
    /// ```
    #[must_use]
    pub fn exclude(mut self, exclusion: Exclusion) -> Self {
        self.exclusions.push(exclusion);
        self
    }

    /// Breaks the funnel down by an event property, each user under the value that
    /// [`FunnelParams::attribution`] picks (by default their first step event's).
    ///
    /// ```
    /// let p = userops::funnel::FunnelParams::new(["a", "b"]).breakdown_by_property("$browser");
    /// assert!(matches!(p.breakdown, userops::funnel::Breakdown::EventProperty(_)));
    /// ```
    #[must_use]
    pub fn breakdown_by_property(mut self, key: impl Into<String>) -> Self {
        self.breakdown = Breakdown::EventProperty(key.into());
        self
    }

    /// Sets which event's value a user is counted under in a breakdown by event property.
    ///
    /// ```
    /// use userops::funnel::{Attribution, FunnelParams};
    /// let p = FunnelParams::new(["a", "b"]).breakdown_by_property("$browser").attribution(Attribution::Step(1));
    /// assert_eq!(p.attribution, Attribution::Step(1));
    /// ```
    #[must_use]
    pub fn attribution(mut self, attribution: Attribution) -> Self {
        self.attribution = attribution;
        self
    }

    /// Only events from `from` to `to` (both inclusive) count, PostHog's date range: every
    /// step of an attempt, its exclusions and (in a strict funnel) the events between its
    /// steps must fall inside it, so a step after `to` is not reached even within the
    /// conversion window.
    ///
    /// ```
    /// use chrono::{TimeZone, Utc};
    /// let from = Utc.with_ymd_and_hms(2020, 1, 1, 0, 0, 0).unwrap();
    /// let to = Utc.with_ymd_and_hms(2020, 1, 14, 23, 59, 59).unwrap();
    /// let p = userops::funnel::FunnelParams::new(["a", "b"]).date_range(from, to);
    /// assert!(p.check().is_ok());
    /// assert!(userops::funnel::FunnelParams::new(["a", "b"]).date_range(to, from).check().is_err());
    /// ```
    #[must_use]
    pub fn date_range(mut self, from: DateTime<Utc>, to: DateTime<Utc>) -> Self {
        self.date_from = Some(from);
        self.date_to = Some(to);
        self
    }

    /// Sets which entries start an attempt.
    ///
    /// ```
    /// let p = userops::funnel::FunnelParams::new(["a", "b"]).entry(userops::funnel::Entry::First);
    /// assert_eq!(p.entry, userops::funnel::Entry::First);
    /// ```
    #[must_use]
    pub fn entry(mut self, entry: Entry) -> Self {
        self.entry = entry;
        self
    }

    /// Sets the number of time-to-convert histogram bins.
    ///
    /// ```
    /// let p = userops::funnel::FunnelParams::new(["a", "b"]).bins(5);
    /// assert_eq!(p.bins, 5);
    /// ```
    #[must_use]
    pub fn bins(mut self, bins: usize) -> Self {
        self.bins = bins;
        self
    }

    /// Checks the settings.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for fewer than two steps, a blank step name, a window
    /// that is not positive or is wider than 10,000 years, an exclusion whose steps are not
    /// `from < to < steps` (in an unordered funnel, only the whole funnel, `0` to the last
    /// step), or no histogram bin; [`Error::TooLarge`] for more than [`MAX_STEPS`] steps,
    /// [`MAX_EXCLUSIONS`] exclusions or [`MAX_BINS`] bins.
    ///
    /// ```
    /// use userops::funnel::{Exclusion, FunnelParams, StepMatch};
    /// assert!(FunnelParams::new(["a", "b"]).exclude(Exclusion::new(StepMatch::named("x"), 1, 1)).check().is_err());
    /// assert!(FunnelParams::new(["a", "b"]).window(chrono::TimeDelta::zero()).check().is_err());
    /// ```
    pub fn check(&self) -> Result<FunnelSpec> {
        let n = self.steps.len();
        if n < 2 {
            return Err(Error::invalid(
                "steps",
                format!("a funnel needs at least two steps, got {n}"),
            ));
        }
        if n > MAX_STEPS {
            return Err(Error::TooLarge {
                name: "steps",
                requested: format!("{n} steps"),
                cap: format!("{MAX_STEPS} steps"),
                hint: "split the funnel into two funnels that share a step",
            });
        }
        for s in self
            .steps
            .iter()
            .chain(self.exclusions.iter().map(|x| &x.event))
        {
            if let StepMatch::Named(name) = s {
                if name.trim().is_empty() {
                    return Err(Error::invalid(
                        "steps",
                        "a step's event name is empty; give an event name, or \"*\" for any event",
                    ));
                }
            }
        }
        let window = self.window.num_microseconds().unwrap_or(i64::MAX);
        if window <= 0 || self.window > TimeDelta::days(3_652_500) {
            return Err(Error::invalid(
                "window",
                format!(
                    "the conversion window must be positive and at most 10,000 years, got {}",
                    self.window
                ),
            ));
        }
        if self.exclusions.len() > MAX_EXCLUSIONS {
            return Err(Error::TooLarge {
                name: "exclusions",
                requested: format!("{} exclusions", self.exclusions.len()),
                cap: format!("{MAX_EXCLUSIONS} exclusions"),
                hint: "give one exclusion a predicate that matches several events",
            });
        }
        for x in &self.exclusions {
            if !(x.from < x.to && x.to < n) {
                return Err(Error::invalid(
                    "exclusions",
                    format!(
                        "an exclusion runs from step {} to step {} (0-based); it needs from < to < {n}",
                        x.from, x.to
                    ),
                ));
            }
            if self.order == StepOrder::Unordered && (x.from != 0 || x.to != n - 1) {
                return Err(Error::invalid(
                    "exclusions",
                    format!(
                        "in an unordered funnel an exclusion spans the whole funnel, from 0 to {}",
                        n - 1
                    ),
                ));
            }
        }
        if self.bins == 0 {
            return Err(Error::invalid(
                "bins",
                "the histogram needs at least one bin",
            ));
        }
        if self.bins > MAX_BINS {
            return Err(Error::TooLarge {
                name: "bins",
                requested: format!("{} bins", self.bins),
                cap: format!("{MAX_BINS} bins"),
                hint: "ask for fewer bins",
            });
        }
        if let Attribution::Step(k) = self.attribution {
            if k >= n {
                return Err(Error::invalid(
                    "attribution",
                    format!("attribution to step {k} (0-based) in a funnel of {n} steps"),
                ));
            }
            if self.order == StepOrder::Unordered && k > 0 {
                return Err(Error::invalid(
                    "attribution",
                    "an unordered funnel has no step N to attribute to but the entry, step 0 \
                     (PostHog refuses it too); use first_touch, last_touch or all_events",
                ));
            }
        }
        let from = self.date_from.map_or(i64::MIN, |t| t.timestamp_micros());
        let to = self.date_to.map_or(i64::MAX, |t| t.timestamp_micros());
        if from > to {
            return Err(Error::invalid(
                "date_range",
                format!(
                    "the date range starts after it ends ({:?} to {:?})",
                    self.date_from, self.date_to
                ),
            ));
        }
        Ok(FunnelSpec {
            steps: self.steps.clone(),
            order: self.order,
            window_micros: window,
            exclusions: self.exclusions.clone(),
            breakdown: self.breakdown.clone(),
            entry: self.entry,
            bins: self.bins,
            attribution: self.attribution,
            range: (from, to),
        })
    }
}

/// Checked funnel settings ([`FunnelParams::check`]): what the summary and the model take.
///
/// ```
/// let spec = userops::funnel::FunnelParams::new(["a", "b"]).check()?;
/// assert_eq!(spec.window(), chrono::TimeDelta::days(14));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "SpecRaw", into = "SpecRaw")]
pub struct FunnelSpec {
    pub(crate) steps: Vec<StepMatch>,
    pub(crate) order: StepOrder,
    pub(crate) window_micros: i64,
    pub(crate) exclusions: Vec<Exclusion>,
    pub(crate) breakdown: Breakdown,
    pub(crate) entry: Entry,
    pub(crate) bins: usize,
    pub(crate) attribution: Attribution,
    /// The date range in microseconds, both ends inclusive (`i64::MIN`/`MAX` when open).
    pub(crate) range: (i64, i64),
}

impl FunnelSpec {
    /// The steps.
    ///
    /// ```
    /// let spec = userops::funnel::FunnelParams::new(["a", "b"]).check()?;
    /// assert_eq!(spec.steps()[1].to_string(), "b");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn steps(&self) -> &[StepMatch] {
        &self.steps
    }

    /// The order mode.
    ///
    /// ```
    /// let spec = userops::funnel::FunnelParams::new(["a", "b"]).check()?;
    /// assert_eq!(spec.order(), userops::funnel::StepOrder::Ordered);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn order(&self) -> StepOrder {
        self.order
    }

    /// The conversion window.
    ///
    /// ```
    /// let spec = userops::funnel::FunnelParams::new(["a", "b"]).window(chrono::TimeDelta::hours(1)).check()?;
    /// assert_eq!(spec.window().num_minutes(), 60);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn window(&self) -> TimeDelta {
        TimeDelta::microseconds(self.window_micros)
    }

    /// The breakdown.
    ///
    /// ```
    /// let spec = userops::funnel::FunnelParams::new(["a", "b"]).check()?;
    /// assert_eq!(spec.breakdown(), &userops::funnel::Breakdown::None);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn breakdown(&self) -> &Breakdown {
        &self.breakdown
    }

    /// The breakdown attribution.
    ///
    /// ```
    /// let spec = userops::funnel::FunnelParams::new(["a", "b"]).check()?;
    /// assert_eq!(spec.attribution(), userops::funnel::Attribution::FirstTouch);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn attribution(&self) -> Attribution {
        self.attribution
    }

    /// Whether an instant (microseconds) is inside the date range.
    #[inline]
    pub(crate) fn in_range(&self, at_micros: i64) -> bool {
        self.range.0 <= at_micros && at_micros <= self.range.1
    }

    /// Whether a summary must keep every event of a user (strict order: any event between
    /// two steps breaks the attempt), not only those that match a step or an exclusion.
    pub(crate) fn keeps_every_event(&self) -> bool {
        self.order == StepOrder::Strict
    }
}

#[derive(Serialize, Deserialize)]
struct SpecRaw {
    steps: Vec<StepMatch>,
    order: StepOrder,
    window_micros: i64,
    exclusions: Vec<Exclusion>,
    breakdown: Breakdown,
    entry: Entry,
    bins: usize,
    #[serde(default)]
    attribution: Attribution,
    #[serde(default)]
    date_from: Option<DateTime<Utc>>,
    #[serde(default)]
    date_to: Option<DateTime<Utc>>,
}

impl From<FunnelSpec> for SpecRaw {
    fn from(s: FunnelSpec) -> Self {
        SpecRaw {
            steps: s.steps,
            order: s.order,
            window_micros: s.window_micros,
            exclusions: s.exclusions,
            breakdown: s.breakdown,
            entry: s.entry,
            bins: s.bins,
            attribution: s.attribution,
            date_from: (s.range.0 != i64::MIN)
                .then(|| DateTime::from_timestamp_micros(s.range.0))
                .flatten(),
            date_to: (s.range.1 != i64::MAX)
                .then(|| DateTime::from_timestamp_micros(s.range.1))
                .flatten(),
        }
    }
}

impl TryFrom<SpecRaw> for FunnelSpec {
    type Error = Error;
    fn try_from(r: SpecRaw) -> Result<FunnelSpec> {
        FunnelParams {
            steps: r.steps,
            order: r.order,
            window: TimeDelta::microseconds(r.window_micros),
            exclusions: r.exclusions,
            breakdown: r.breakdown,
            entry: r.entry,
            bins: r.bins,
            attribution: r.attribution,
            date_from: r.date_from,
            date_to: r.date_to,
        }
        .check()
    }
}

/// Parses a window such as `7d`, `14 days`, `15s`, `2w`, `1h`, `30min` (units: s, min, h, d,
/// w and their long names).
///
/// # Errors
/// [`Error::InvalidParameter`] named `window` for anything else or a number that is not a
/// positive whole number.
///
/// ```
/// use userops::funnel::parse_window;
/// assert_eq!(parse_window("7d")?, chrono::TimeDelta::days(7));
/// assert_eq!(parse_window("15 seconds")?, chrono::TimeDelta::seconds(15));
/// assert!(parse_window("7 fortnights").is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn parse_window(text: &str) -> Result<TimeDelta> {
    let t = text.trim().to_ascii_lowercase();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let bad = || {
        Error::invalid(
            "window",
            format!(
                "{:?} is not a window such as 7d, 14 days, 1h, 30min, 15s, 2w",
                crate::error::shorten(text)
            ),
        )
    };
    let n: i64 = num.parse().map_err(|_| bad())?;
    if n <= 0 || n > 1_000_000_000 {
        return Err(bad());
    }
    let per = match unit.trim() {
        "s" | "sec" | "second" | "seconds" => 1,
        "min" | "minute" | "minutes" => 60,
        "h" | "hour" | "hours" => 3_600,
        "" | "d" | "day" | "days" => 86_400,
        "w" | "week" | "weeks" => 604_800,
        _ => return Err(bad()),
    };
    Ok(TimeDelta::seconds(n * per))
}
