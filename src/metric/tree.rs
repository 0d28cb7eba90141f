//! Metric definitions, the host's secondary-metric trait and the validated tree.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::MetricError;
use crate::Result;

/// How a metric is computed for one user over the evaluation window.
///
/// Sums (`Events`, `Count`, `Amount`, `Payments`, `TimeSpent`, `Sessions`, `Host`) and
/// `ActiveDays` come straight from the user's events; `PerActiveDay` and `Ratio` divide one
/// metric of the tree by another (by name) and are `0` when the divisor is `0` (no active
/// day, no payment: no rate).
///
/// ```
/// use userops::metric::Measure;
/// let m = Measure::per_active_day("answers");
/// assert_eq!(serde_json::to_string(&m)?, r#"{"kind":"per_active_day","of":"answers"}"#);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Measure {
    /// Number of events.
    Events,
    /// Number of events named `event`.
    Count {
        /// The event name to count.
        event: String,
    },
    /// Sum of amounts (revenue; refunds lower it).
    Amount,
    /// Number of events with an amount above zero.
    Payments,
    /// `1` when the user made at least one payment, else `0`.
    Paid,
    /// Time spent, in minutes (sum of durations).
    TimeSpent,
    /// Number of events with a duration (sessions).
    Sessions,
    /// Distinct local days with at least one event (visit frequency).
    ActiveDays,
    /// Sum of amounts per month of the window (the user's share of monthly ARPU: its
    /// population mean is ARPU). A month is 365.25 / 12 days.
    AmountPerMonth,
    /// Another metric of the tree divided by the user's active days.
    PerActiveDay {
        /// The metric to divide.
        of: String,
    },
    /// One metric of the tree divided by another.
    Ratio {
        /// The dividend metric.
        numerator: String,
        /// The divisor metric.
        denominator: String,
    },
    /// The host's own metric ([`SecondaryMetric`]) registered under the same name.
    Host,
}

impl Measure {
    /// Count of events named `event`.
    ///
    /// ```
    /// assert_eq!(userops::metric::Measure::count("answer"),
    ///            userops::metric::Measure::Count { event: "answer".into() });
    /// ```
    pub fn count(event: impl Into<String>) -> Measure {
        Measure::Count {
            event: event.into(),
        }
    }

    /// Metric `of` per active day.
    ///
    /// ```
    /// let m = userops::metric::Measure::per_active_day("events");
    /// assert!(matches!(m, userops::metric::Measure::PerActiveDay { .. }));
    /// ```
    pub fn per_active_day(of: impl Into<String>) -> Measure {
        Measure::PerActiveDay { of: of.into() }
    }

    /// Metric `numerator` divided by metric `denominator`.
    ///
    /// ```
    /// let m = userops::metric::Measure::ratio("revenue", "payments");
    /// assert!(matches!(m, userops::metric::Measure::Ratio { .. }));
    /// ```
    pub fn ratio(numerator: impl Into<String>, denominator: impl Into<String>) -> Measure {
        Measure::Ratio {
            numerator: numerator.into(),
            denominator: denominator.into(),
        }
    }

    fn references(&self) -> Vec<&str> {
        match self {
            Measure::PerActiveDay { of } => vec![of],
            Measure::Ratio {
                numerator,
                denominator,
            } => vec![numerator, denominator],
            _ => Vec::new(),
        }
    }
}

impl fmt::Display for Measure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Measure::Events => f.write_str("events"),
            Measure::Count { event } => write!(f, "count of {event:?}"),
            Measure::Amount => f.write_str("sum of amount"),
            Measure::Payments => f.write_str("payments"),
            Measure::Paid => f.write_str("paid (0/1)"),
            Measure::TimeSpent => f.write_str("minutes"),
            Measure::Sessions => f.write_str("sessions"),
            Measure::ActiveDays => f.write_str("active days"),
            Measure::AmountPerMonth => f.write_str("amount per month"),
            Measure::PerActiveDay { of } => write!(f, "{of} per active day"),
            Measure::Ratio {
                numerator,
                denominator,
            } => write!(f, "{numerator} / {denominator}"),
            Measure::Host => f.write_str("host metric"),
        }
    }
}

/// One metric of a tree: its name, its parent (none for a primary metric) and its measure.
///
/// ```
/// use userops::metric::{Measure, MetricDef};
/// let d = MetricDef::new("answers", Some("visit_frequency"), Measure::count("answer"));
/// assert_eq!(d.parent.as_deref(), Some("visit_frequency"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MetricDef {
    /// Unique name.
    pub name: String,
    /// The metric it explains; `None` for a primary metric.
    pub parent: Option<String>,
    /// How it is computed.
    pub measure: Measure,
}

impl MetricDef {
    /// A definition.
    ///
    /// ```
    /// let d = userops::metric::MetricDef::new("revenue", None, userops::metric::Measure::Amount);
    /// assert!(d.parent.is_none());
    /// ```
    pub fn new(name: impl Into<String>, parent: Option<&str>, measure: Measure) -> Self {
        MetricDef {
            name: name.into(),
            parent: parent.map(str::to_string),
            measure,
        }
    }
}

/// A secondary (or primary) metric the host defines for its own product: what one event adds
/// to the user's total. The user's value is the sum over the window's events; divide it by
/// active days with [`Measure::PerActiveDay`] for a per-day rate.
///
/// A contribution that is NaN or infinite is an error naming the metric and the user.
///
/// ```
/// use chrono::DateTime;
/// use userops::event::{Event, EventRecord};
/// use userops::metric::SecondaryMetric;
///
/// /// Q&A community: likes received, carried on the host's "liked" events as the amount field.
/// struct LikesReceived;
/// impl SecondaryMetric<EventRecord<u64>> for LikesReceived {
///     fn name(&self) -> &str { "likes_received" }
///     fn observe(&self, e: &EventRecord<u64>) -> f64 {
///         if e.name() == Some("liked") { 1.0 } else { 0.0 }
///     }
/// }
/// let e = EventRecord::new(1_u64, DateTime::UNIX_EPOCH).with_name("liked");
/// assert_eq!(LikesReceived.observe(&e), 1.0);
/// ```
pub trait SecondaryMetric<E>: Send + Sync {
    /// The metric's name in the tree (unique).
    fn name(&self) -> &str;

    /// What one event adds to the user's total (`0.0` when it does not count).
    fn observe(&self, event: &E) -> f64;
}

/// How the per-user fold computes one metric (compiled from its [`Measure`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Op {
    /// `slots[i] * scale`.
    Slot(usize, f64),
    /// `1` when `slots[i] > 0`.
    Positive(usize),
    /// Distinct active days.
    ActiveDays,
    /// `slots[i]` per month of the window.
    PerMonth(usize),
    /// Metric `i` per active day.
    PerActiveDay(usize),
    /// Metric `i` / metric `j`.
    Ratio(usize, usize),
}

/// Slot indices of the always-present sums.
pub(crate) const SLOT_EVENTS: usize = 0;
pub(crate) const SLOT_AMOUNT: usize = 1;
pub(crate) const SLOT_PAYMENTS: usize = 2;
pub(crate) const SLOT_MILLIS: usize = 3;
pub(crate) const SLOT_SESSIONS: usize = 4;
pub(crate) const BASE_SLOTS: usize = 5;

/// A validated metric tree: unique names, known parents and references, no cycles.
///
/// Generic over the host's event type `E` because host metrics read it. Build one with
/// [`MetricTree::builder`] or start from [`MetricTree::standard`].
///
/// ```
/// use userops::metric::{Measure, MetricTree};
/// use userops::event::EventRecord;
/// let tree = MetricTree::<EventRecord>::standard().build()?;
/// assert_eq!(tree.len(), 12);
/// assert_eq!(tree.primaries().collect::<Vec<_>>(), ["time_spent", "visit_frequency", "revenue", "arpu"]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct MetricTree<E> {
    pub(crate) defs: Vec<MetricDef>,
    pub(crate) depth: Vec<usize>,
    pub(crate) hosts: Vec<Arc<dyn SecondaryMetric<E>>>,
    /// Event names counted by `Count` measures, interned once.
    pub(crate) names: Vec<String>,
    pub(crate) ops: Vec<Op>,
    /// Evaluation order: every metric after the metrics it divides.
    pub(crate) order: Vec<usize>,
    pub(crate) slots: usize,
}

// Host metrics are trait objects without Debug: Debug shows the definitions only.
#[allow(clippy::missing_fields_in_debug)]
impl<E> fmt::Debug for MetricTree<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MetricTree")
            .field("defs", &self.defs)
            .field("event_names", &self.names)
            .field("host_metrics", &self.hosts.len())
            .finish()
    }
}

impl<E> fmt::Display for MetricTree<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut first = true;
        for i in self.display_order() {
            if !first {
                writeln!(f)?;
            }
            first = false;
            let d = &self.defs[i];
            let indent = "  ".repeat(self.depth[i]);
            write!(f, "{indent}{} — {}", d.name, d.measure)?;
        }
        Ok(())
    }
}

impl<E> MetricTree<E> {
    /// An empty builder.
    ///
    /// ```
    /// let b = userops::metric::MetricTree::<userops::event::EventRecord>::builder();
    /// assert!(b.build().is_err()); // a tree needs at least one metric
    /// ```
    #[must_use]
    pub fn builder() -> MetricTreeBuilder<E> {
        MetricTreeBuilder {
            defs: Vec::new(),
            hosts: Vec::new(),
        }
    }

    /// A builder holding the standard tree: four primary metrics with two secondary metrics
    /// each. Add the host's own metrics to it before `build`.
    ///
    /// | primary | measure | secondary metrics |
    /// |---|---|---|
    /// | `time_spent` | minutes | `minutes_per_active_day`, `sessions` |
    /// | `visit_frequency` | active days | `events`, `events_per_active_day` |
    /// | `revenue` | sum of amount | `payments`, `revenue_per_payment` |
    /// | `arpu` | amount per month | `paid`, `revenue_per_active_day` |
    ///
    /// ```
    /// use userops::metric::{Measure, MetricTree};
    /// let tree = MetricTree::<userops::event::EventRecord>::standard()
    ///     .secondary("visit_frequency", "answers", Measure::count("answer"))
    ///     .build()?;
    /// assert_eq!(tree.len(), 13);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn standard() -> MetricTreeBuilder<E> {
        MetricTree::builder()
            .primary("time_spent", Measure::TimeSpent)
            .secondary(
                "time_spent",
                "minutes_per_active_day",
                Measure::per_active_day("time_spent"),
            )
            .secondary("time_spent", "sessions", Measure::Sessions)
            .primary("visit_frequency", Measure::ActiveDays)
            .secondary("visit_frequency", "events", Measure::Events)
            .secondary(
                "visit_frequency",
                "events_per_active_day",
                Measure::per_active_day("events"),
            )
            .primary("revenue", Measure::Amount)
            .secondary("revenue", "payments", Measure::Payments)
            .secondary(
                "revenue",
                "revenue_per_payment",
                Measure::ratio("revenue", "payments"),
            )
            .primary("arpu", Measure::AmountPerMonth)
            .secondary("arpu", "paid", Measure::Paid)
            .secondary(
                "arpu",
                "revenue_per_active_day",
                Measure::per_active_day("revenue"),
            )
    }

    /// Number of metrics.
    ///
    /// ```
    /// let t = userops::metric::MetricTree::<userops::event::EventRecord>::standard().build()?;
    /// assert!(!t.is_empty());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn len(&self) -> usize {
        self.defs.len()
    }

    /// Whether the tree has no metric (never true for a built tree).
    ///
    /// ```
    /// let t = userops::metric::MetricTree::<userops::event::EventRecord>::standard().build()?;
    /// assert!(!t.is_empty());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.defs.is_empty()
    }

    /// The definitions, in the order they were added.
    ///
    /// ```
    /// let t = userops::metric::MetricTree::<userops::event::EventRecord>::standard().build()?;
    /// assert_eq!(t.defs()[0].name, "time_spent");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn defs(&self) -> &[MetricDef] {
        &self.defs
    }

    /// The primary metrics' names.
    ///
    /// ```
    /// let t = userops::metric::MetricTree::<userops::event::EventRecord>::standard().build()?;
    /// assert_eq!(t.primaries().count(), 4);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn primaries(&self) -> impl Iterator<Item = &str> {
        self.defs
            .iter()
            .filter(|d| d.parent.is_none())
            .map(|d| d.name.as_str())
    }

    /// The index of a metric by name.
    ///
    /// ```
    /// let t = userops::metric::MetricTree::<userops::event::EventRecord>::standard().build()?;
    /// assert_eq!(t.index_of("time_spent"), Some(0));
    /// assert_eq!(t.index_of("nope"), None);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn index_of(&self, name: &str) -> Option<usize> {
        self.defs.iter().position(|d| d.name == name)
    }

    /// Depth of each metric (0 for primary), in definition order.
    pub(crate) fn depths(&self) -> &[usize] {
        &self.depth
    }

    /// Metric indices in tree order: each primary followed by its descendants.
    pub(crate) fn display_order(&self) -> Vec<usize> {
        let mut out = Vec::with_capacity(self.defs.len());
        fn visit(i: usize, defs: &[MetricDef], out: &mut Vec<usize>) {
            out.push(i);
            for (j, d) in defs.iter().enumerate() {
                if d.parent.as_deref() == Some(defs[i].name.as_str()) {
                    visit(j, defs, out);
                }
            }
        }
        for (i, d) in self.defs.iter().enumerate() {
            if d.parent.is_none() {
                visit(i, &self.defs, &mut out);
            }
        }
        out
    }
}

/// Collects metric definitions and host metrics; [`MetricTreeBuilder::build`] validates them.
///
/// ```
/// use userops::metric::{Measure, MetricDef, MetricTree};
/// let tree = MetricTree::<userops::event::EventRecord>::builder()
///     .metric(MetricDef::new("revenue", None, Measure::Amount))
///     .metric(MetricDef::new("payments", Some("revenue"), Measure::Payments))
///     .build()?;
/// assert_eq!(tree.len(), 2);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct MetricTreeBuilder<E> {
    defs: Vec<MetricDef>,
    hosts: Vec<Arc<dyn SecondaryMetric<E>>>,
}

impl<E> fmt::Debug for MetricTreeBuilder<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MetricTreeBuilder")
            .field("defs", &self.defs)
            .field("host_metrics", &self.hosts.len())
            .finish()
    }
}

impl<E> MetricTreeBuilder<E> {
    /// Adds a definition as given.
    ///
    /// ```
    /// use userops::metric::{Measure, MetricDef, MetricTree};
    /// let b = MetricTree::<userops::event::EventRecord>::builder()
    ///     .metric(MetricDef::new("events", None, Measure::Events));
    /// assert!(b.build().is_ok());
    /// ```
    #[must_use]
    pub fn metric(mut self, def: MetricDef) -> Self {
        self.defs.push(def);
        self
    }

    /// Adds a primary metric.
    ///
    /// ```
    /// let b = userops::metric::MetricTree::<userops::event::EventRecord>::builder()
    ///     .primary("revenue", userops::metric::Measure::Amount);
    /// assert!(b.build().is_ok());
    /// ```
    #[must_use]
    pub fn primary(self, name: impl Into<String>, measure: Measure) -> Self {
        self.metric(MetricDef {
            name: name.into(),
            parent: None,
            measure,
        })
    }

    /// Adds a secondary metric under `parent`.
    ///
    /// ```
    /// use userops::metric::{Measure, MetricTree};
    /// let b = MetricTree::<userops::event::EventRecord>::builder()
    ///     .primary("revenue", Measure::Amount)
    ///     .secondary("revenue", "payments", Measure::Payments);
    /// assert_eq!(b.build()?.len(), 2);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn secondary(self, parent: &str, name: impl Into<String>, measure: Measure) -> Self {
        self.metric(MetricDef {
            name: name.into(),
            parent: Some(parent.to_string()),
            measure,
        })
    }

    /// Adds the host's own metric under `parent` (its name is [`SecondaryMetric::name`]).
    ///
    /// ```
    /// use userops::event::EventRecord;
    /// use userops::metric::{Measure, MetricTree, SecondaryMetric};
    /// struct Big;
    /// impl SecondaryMetric<EventRecord> for Big {
    ///     fn name(&self) -> &str { "big_orders" }
    ///     fn observe(&self, e: &EventRecord) -> f64 { if e.amount > 100.0 { 1.0 } else { 0.0 } }
    /// }
    /// let tree = MetricTree::builder().primary("revenue", Measure::Amount).host("revenue", Big).build()?;
    /// assert_eq!(tree.defs()[1].name, "big_orders");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn host(self, parent: &str, metric: impl SecondaryMetric<E> + 'static) -> Self {
        self.host_metric(Some(parent), Arc::new(metric))
    }

    /// Adds the host's own metric as a primary metric (`parent` `None`) or under a parent.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use userops::event::EventRecord;
    /// use userops::metric::{MetricTree, SecondaryMetric};
    /// struct Answers;
    /// impl SecondaryMetric<EventRecord> for Answers {
    ///     fn name(&self) -> &str { "answers" }
    ///     fn observe(&self, e: &EventRecord) -> f64 { (e.name.as_deref() == Some("answer")) as u8 as f64 }
    /// }
    /// let tree = MetricTree::builder().host_metric(None, Arc::new(Answers)).build()?;
    /// assert_eq!(tree.primaries().collect::<Vec<_>>(), ["answers"]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn host_metric(
        mut self,
        parent: Option<&str>,
        metric: Arc<dyn SecondaryMetric<E>>,
    ) -> Self {
        self.defs.push(MetricDef {
            name: metric.name().to_string(),
            parent: parent.map(str::to_string),
            measure: Measure::Host,
        });
        self.hosts.push(metric);
        self
    }

    /// Validates and compiles the tree.
    ///
    /// # Errors
    /// * [`MetricError::DuplicateName`] when two metrics (or two host metrics) share a name;
    /// * [`MetricError::UnknownMetric`] when a parent or a rate refers to a missing metric, or a
    ///   `Measure::Host` definition has no host metric of that name;
    /// * [`MetricError::Cycle`] when parents or rates go round in a circle;
    /// * [`crate::Error::Empty`] for a tree without metrics; [`crate::Error::InvalidParameter`]
    ///   for an empty name.
    ///
    /// ```
    /// use userops::metric::{Measure, MetricDef, MetricError, MetricTree};
    /// let err = MetricTree::<userops::event::EventRecord>::builder()
    ///     .metric(MetricDef::new("a", Some("b"), Measure::Events))
    ///     .metric(MetricDef::new("b", Some("a"), Measure::Events))
    ///     .build()
    ///     .unwrap_err();
    /// assert!(matches!(err, userops::Error::Metric(MetricError::Cycle(_))));
    /// ```
    pub fn build(self) -> Result<MetricTree<E>> {
        let defs = self.defs;
        if defs.is_empty() {
            return Err(crate::Error::Empty(
                "a metric tree needs at least one metric",
            ));
        }
        let mut index: HashMap<&str, usize> = HashMap::new();
        for (i, d) in defs.iter().enumerate() {
            if d.name.trim().is_empty() {
                return Err(crate::Error::invalid(
                    "name",
                    "a metric name must not be empty",
                ));
            }
            if index.insert(d.name.as_str(), i).is_some() {
                return Err(MetricError::DuplicateName(d.name.clone()).into());
            }
        }
        // Host metrics by name (a host metric's name is its definition's name).
        let mut host_slot: HashMap<&str, usize> = HashMap::new();
        for (k, h) in self.hosts.iter().enumerate() {
            if host_slot.insert(h.name(), k).is_some() {
                return Err(MetricError::DuplicateName(h.name().to_string()).into());
            }
        }
        let lookup = |name: &str, by: &str| -> Result<usize> {
            index.get(name).copied().ok_or_else(|| {
                MetricError::UnknownMetric {
                    name: name.to_string(),
                    referenced_by: by.to_string(),
                }
                .into()
            })
        };
        // Parents: must exist; following parents must reach a primary metric.
        let mut parent: Vec<Option<usize>> = Vec::with_capacity(defs.len());
        for d in &defs {
            parent.push(match &d.parent {
                Some(p) => Some(lookup(p, &d.name)?),
                None => None,
            });
        }
        let mut depth = vec![0_usize; defs.len()];
        for (i, depth_i) in depth.iter_mut().enumerate() {
            let mut path = vec![i];
            let mut at = i;
            while let Some(p) = parent[at] {
                if let Some(pos) = path.iter().position(|&x| x == p) {
                    let mut names: Vec<String> =
                        path[pos..].iter().map(|&x| defs[x].name.clone()).collect();
                    names.push(defs[p].name.clone());
                    return Err(MetricError::Cycle(names).into());
                }
                path.push(p);
                at = p;
            }
            *depth_i = path.len() - 1;
        }
        // Measure references: must exist and must not go round.
        let mut refs: Vec<Vec<usize>> = Vec::with_capacity(defs.len());
        for d in &defs {
            let mut r = Vec::new();
            for name in d.measure.references() {
                r.push(lookup(name, &d.name)?);
            }
            refs.push(r);
        }
        let order = topological(&defs, &refs)?;
        // Slots: base sums, then one per counted event name, then one per host metric.
        let mut names: Vec<String> = Vec::new();
        for d in &defs {
            if let Measure::Count { event } = &d.measure {
                if !names.contains(event) {
                    names.push(event.clone());
                }
            }
        }
        let host_base = BASE_SLOTS + names.len();
        let mut ops = Vec::with_capacity(defs.len());
        for (i, d) in defs.iter().enumerate() {
            let op = match &d.measure {
                Measure::Events => Op::Slot(SLOT_EVENTS, 1.0),
                Measure::Count { event } => {
                    let j = names.iter().position(|n| n == event).unwrap_or(0);
                    Op::Slot(BASE_SLOTS + j, 1.0)
                }
                Measure::Amount => Op::Slot(SLOT_AMOUNT, 1.0),
                Measure::Payments => Op::Slot(SLOT_PAYMENTS, 1.0),
                Measure::Paid => Op::Positive(SLOT_PAYMENTS),
                Measure::TimeSpent => Op::Slot(SLOT_MILLIS, 1.0 / 60_000.0),
                Measure::Sessions => Op::Slot(SLOT_SESSIONS, 1.0),
                Measure::ActiveDays => Op::ActiveDays,
                Measure::AmountPerMonth => Op::PerMonth(SLOT_AMOUNT),
                Measure::PerActiveDay { .. } => Op::PerActiveDay(refs[i][0]),
                Measure::Ratio { .. } => Op::Ratio(refs[i][0], refs[i][1]),
                Measure::Host => match host_slot.get(d.name.as_str()) {
                    Some(&k) => Op::Slot(host_base + k, 1.0),
                    None => {
                        return Err(MetricError::UnknownMetric {
                            name: d.name.clone(),
                            referenced_by: "host metrics".into(),
                        }
                        .into());
                    }
                },
            };
            ops.push(op);
        }
        // Host metrics without a definition are impossible through the builder; order the
        // host list by slot so that slot `host_base + k` is `hosts[k]`.
        let slots = host_base + self.hosts.len();
        Ok(MetricTree {
            defs,
            depth,
            hosts: self.hosts,
            names,
            ops,
            order,
            slots,
        })
    }
}

/// Evaluation order (dependencies first) or the cycle found.
fn topological(defs: &[MetricDef], refs: &[Vec<usize>]) -> Result<Vec<usize>> {
    // 0 = unvisited, 1 = on the stack, 2 = done.
    let mut state = vec![0_u8; defs.len()];
    let mut order = Vec::with_capacity(defs.len());
    let mut stack: Vec<usize> = Vec::new();
    fn visit(
        i: usize,
        defs: &[MetricDef],
        refs: &[Vec<usize>],
        state: &mut [u8],
        stack: &mut Vec<usize>,
        order: &mut Vec<usize>,
    ) -> Result<()> {
        match state[i] {
            2 => return Ok(()),
            1 => {
                let pos = stack.iter().position(|&x| x == i).unwrap_or(0);
                let mut names: Vec<String> =
                    stack[pos..].iter().map(|&x| defs[x].name.clone()).collect();
                names.push(defs[i].name.clone());
                return Err(MetricError::Cycle(names).into());
            }
            _ => {}
        }
        state[i] = 1;
        stack.push(i);
        for &j in &refs[i] {
            visit(j, defs, refs, state, stack, order)?;
        }
        stack.pop();
        state[i] = 2;
        order.push(i);
        Ok(())
    }
    for i in 0..defs.len() {
        visit(i, defs, refs, &mut state, &mut stack, &mut order)?;
    }
    Ok(order)
}
