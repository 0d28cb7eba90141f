//! Automation rules: "users in segment S, inactive for at least N periods, with attribute A →
//! action X through channel C", evaluated for one period, with one decision record per user and
//! rule, per-channel reach reports, and tiered compensation.
//!
//! Segment membership comes from the host or from the crate's models through one small trait,
//! [`SegmentSource`]: for each [`SegmentKind`] (RFM segment, lifecycle state, value tier,
//! health band, or a kind of the host's own) it names the labels it knows and a user's label.
//! [`SegmentMap`] is a ready-made source built from plain maps.
//!
//! ```
//! use chrono::NaiveDate;
//! use userops::ops::automation::*;
//! use userops::time::{Interval, Period};
//!
//! let week = |d| Period::containing(NaiveDate::from_ymd_opt(2025, 3, d).unwrap(), Interval::Day);
//! let mut segments = SegmentMap::new();
//! segments.assign(SegmentKind::Rfm, 1_u32, "at_risk");
//! segments.assign(SegmentKind::Rfm, 2_u32, "champions");
//! segments.assign(SegmentKind::Rfm, 3_u32, "at_risk");
//!
//! let rules = RuleSet::new(
//!     vec![Rule::new("win_back", SegmentKind::Rfm, "at_risk", "coupon_10", "email").inactive_for(7)],
//!     MatchMode::FirstMatch,
//! );
//! let audience = vec![LastActive::new(1_u32, week(1)), LastActive::new(2, week(2)), LastActive::new(3, week(20))];
//! let eval = rules.evaluate(week(21), &audience, &segments, &Attributes::new())?;
//! assert_eq!(eval.targets("win_back"), vec![&1]); // user 3 was active yesterday
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt;
use std::hash::Hash;

use serde::{Deserialize, Serialize};

use super::OpsError;
use crate::activity::ActivityReport;
use crate::event::UserAttribute;
use crate::fold::{Fold, Summary};
use crate::time::Period;
use crate::{Error, Result};

/// A kind of segmentation a rule can name.
///
/// ```
/// use userops::ops::automation::SegmentKind;
/// assert_eq!(SegmentKind::ValueTier.to_string(), "value_tier");
/// assert_eq!(SegmentKind::Custom("plan".into()).to_string(), "plan");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SegmentKind {
    /// An RFM segment (`champions`, `at_risk`, ...).
    Rfm,
    /// A lifecycle state (`new`, `active`, `dormant`, `churned`, ...).
    Lifecycle,
    /// A value tier (`gold`, `silver`, ...).
    ValueTier,
    /// A health band (e.g. `healthy`, `watch`, `critical` from the health index).
    Health,
    /// A segmentation of the host's own.
    Custom(String),
}

impl fmt::Display for SegmentKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SegmentKind::Rfm => f.write_str("rfm"),
            SegmentKind::Lifecycle => f.write_str("lifecycle"),
            SegmentKind::ValueTier => f.write_str("value_tier"),
            SegmentKind::Health => f.write_str("health"),
            SegmentKind::Custom(name) => f.write_str(name),
        }
    }
}

/// Where segment membership comes from: the host implements it over its own data or the
/// crate's models (RFM, lifecycle, value tiers, health).
///
/// ```
/// use userops::ops::automation::{SegmentKind, SegmentSource};
///
/// /// Even users are "gold", odd ones "silver".
/// struct Parity;
/// impl SegmentSource<u32> for Parity {
///     fn labels(&self, kind: &SegmentKind) -> Vec<String> {
///         match kind { SegmentKind::ValueTier => vec!["gold".into(), "silver".into()], _ => vec![] }
///     }
///     fn segment(&self, kind: &SegmentKind, user: &u32) -> Option<&str> {
///         (*kind == SegmentKind::ValueTier).then(|| if user % 2 == 0 { "gold" } else { "silver" })
///     }
/// }
/// assert_eq!(Parity.segment(&SegmentKind::ValueTier, &4), Some("gold"));
/// ```
pub trait SegmentSource<U> {
    /// Every label this source knows for `kind` (empty when it does not know the kind). Rules
    /// naming any other label are rejected, so a typo never silently targets nobody.
    fn labels(&self, kind: &SegmentKind) -> Vec<String>;

    /// `user`'s label for `kind`, or `None` when the user has none.
    fn segment(&self, kind: &SegmentKind, user: &U) -> Option<&str>;
}

impl<U, S: SegmentSource<U> + ?Sized> SegmentSource<U> for &S {
    fn labels(&self, kind: &SegmentKind) -> Vec<String> {
        (**self).labels(kind)
    }
    fn segment(&self, kind: &SegmentKind, user: &U) -> Option<&str> {
        (**self).segment(kind, user)
    }
}

/// Two sources side by side (e.g. RFM segments from one model, lifecycle states from
/// another): labels are the union, a user's label comes from the first source that has one.
///
/// ```
/// use userops::ops::automation::{SegmentKind, SegmentMap, SegmentSource};
/// let mut rfm = SegmentMap::new();
/// rfm.assign(SegmentKind::Rfm, 1_u32, "champions");
/// let mut life = SegmentMap::new();
/// life.assign(SegmentKind::Lifecycle, 1_u32, "active");
/// let both = (&rfm, &life);
/// assert_eq!(both.segment(&SegmentKind::Lifecycle, &1), Some("active"));
/// assert_eq!(both.labels(&SegmentKind::Rfm), vec!["champions"]);
/// ```
impl<U, A: SegmentSource<U>, B: SegmentSource<U>> SegmentSource<U> for (A, B) {
    fn labels(&self, kind: &SegmentKind) -> Vec<String> {
        let mut all: BTreeSet<String> = self.0.labels(kind).into_iter().collect();
        all.extend(self.1.labels(kind));
        all.into_iter().collect()
    }
    fn segment(&self, kind: &SegmentKind, user: &U) -> Option<&str> {
        self.0
            .segment(kind, user)
            .or_else(|| self.1.segment(kind, user))
    }
}

#[derive(Debug, Clone)]
struct KindMap<U> {
    labels: BTreeSet<String>,
    users: HashMap<U, String>,
}

/// A [`SegmentSource`] built from maps: per kind, user → label, plus labels declared without
/// members (so that a rule for an empty segment is still valid).
///
/// ```
/// use userops::ops::automation::{SegmentKind, SegmentMap, SegmentSource};
/// let mut s = SegmentMap::new();
/// s.declare(SegmentKind::Lifecycle, ["new", "active", "dormant"]);
/// s.assign(SegmentKind::Lifecycle, "ana".to_string(), "dormant");
/// assert_eq!(s.segment(&SegmentKind::Lifecycle, &"ana".to_string()), Some("dormant"));
/// assert_eq!(s.labels(&SegmentKind::Lifecycle).len(), 3);
/// ```
#[derive(Debug, Clone)]
pub struct SegmentMap<U> {
    kinds: BTreeMap<SegmentKind, KindMap<U>>,
}

impl<U> Default for SegmentMap<U> {
    fn default() -> Self {
        SegmentMap {
            kinds: BTreeMap::new(),
        }
    }
}

impl<U: Eq + Hash> SegmentMap<U> {
    /// An empty source.
    ///
    /// ```
    /// let s = userops::ops::automation::SegmentMap::<u64>::new();
    /// # let _ = s;
    /// ```
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    fn kind_mut(&mut self, kind: SegmentKind) -> &mut KindMap<U> {
        self.kinds.entry(kind).or_insert_with(|| KindMap {
            labels: BTreeSet::new(),
            users: HashMap::new(),
        })
    }

    /// Declares labels of `kind` (members or not).
    ///
    /// ```
    /// use userops::ops::automation::{SegmentKind, SegmentMap, SegmentSource};
    /// let mut s = SegmentMap::<u8>::new();
    /// s.declare(SegmentKind::ValueTier, ["gold", "silver"]);
    /// assert_eq!(s.labels(&SegmentKind::ValueTier), vec!["gold", "silver"]);
    /// ```
    pub fn declare<L: Into<String>>(
        &mut self,
        kind: SegmentKind,
        labels: impl IntoIterator<Item = L>,
    ) {
        let k = self.kind_mut(kind);
        k.labels.extend(labels.into_iter().map(Into::into));
    }

    /// Puts `user` in segment `label` of `kind` (replacing an earlier label of that kind).
    ///
    /// ```
    /// use userops::ops::automation::{SegmentKind, SegmentMap, SegmentSource};
    /// let mut s = SegmentMap::new();
    /// s.assign(SegmentKind::Health, 7_u64, "critical");
    /// assert_eq!(s.segment(&SegmentKind::Health, &7), Some("critical"));
    /// ```
    pub fn assign(&mut self, kind: SegmentKind, user: U, label: impl Into<String>) {
        let label = label.into();
        let k = self.kind_mut(kind);
        if !k.labels.contains(&label) {
            k.labels.insert(label.clone());
        }
        k.users.insert(user, label);
    }

    /// Assigns every `(user, label)` pair of `members` under `kind`.
    ///
    /// ```
    /// use userops::ops::automation::{SegmentKind, SegmentMap, SegmentSource};
    /// let mut s = SegmentMap::new();
    /// s.extend(SegmentKind::Rfm, [(1_u8, "champions"), (2, "hibernating")]);
    /// assert_eq!(s.segment(&SegmentKind::Rfm, &2), Some("hibernating"));
    /// ```
    // By value like `declare` and `assign`, so the three read alike at the call site.
    #[allow(clippy::needless_pass_by_value)]
    pub fn extend<L: Into<String>>(
        &mut self,
        kind: SegmentKind,
        members: impl IntoIterator<Item = (U, L)>,
    ) {
        for (u, l) in members {
            self.assign(kind.clone(), u, l);
        }
    }
}

impl<U: Eq + Hash> SegmentSource<U> for SegmentMap<U> {
    fn labels(&self, kind: &SegmentKind) -> Vec<String> {
        self.kinds
            .get(kind)
            .map(|k| k.labels.iter().cloned().collect())
            .unwrap_or_default()
    }

    fn segment(&self, kind: &SegmentKind, user: &U) -> Option<&str> {
        self.kinds.get(kind)?.users.get(user).map(String::as_str)
    }
}

/// Named user attributes rules can test (acquisition channel, region, "drives the car but
/// never opens the app"), each any [`UserAttribute`].
///
/// ```
/// use std::collections::HashMap;
/// use userops::ops::automation::Attributes;
/// let region: HashMap<u32, String> = [(1, "north".to_string())].into();
/// let attrs = Attributes::new().with("region", region);
/// assert_eq!(attrs.value("region", &1).as_deref(), Some("north"));
/// assert_eq!(attrs.names(), vec!["region"]);
/// ```
pub struct Attributes<'a, U> {
    by_name: BTreeMap<String, Box<dyn UserAttribute<U> + 'a>>,
}

impl<U> fmt::Debug for Attributes<'_, U> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Attributes")
            .field("names", &self.by_name.keys().collect::<Vec<_>>())
            .finish()
    }
}

impl<U> Default for Attributes<'_, U> {
    fn default() -> Self {
        Attributes {
            by_name: BTreeMap::new(),
        }
    }
}

impl<'a, U> Attributes<'a, U> {
    /// No attributes.
    ///
    /// ```
    /// assert!(userops::ops::automation::Attributes::<u8>::new().names().is_empty());
    /// ```
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds an attribute under `name`.
    ///
    /// ```
    /// let attrs = userops::ops::automation::Attributes::new()
    ///     .with("vip", |u: &u32| Some((*u < 10).to_string()));
    /// assert_eq!(attrs.value("vip", &3).as_deref(), Some("true"));
    /// ```
    #[must_use]
    pub fn with(mut self, name: impl Into<String>, attribute: impl UserAttribute<U> + 'a) -> Self {
        self.by_name.insert(name.into(), Box::new(attribute));
        self
    }

    /// The attribute names supplied.
    ///
    /// ```
    /// assert!(userops::ops::automation::Attributes::<u8>::new().names().is_empty());
    /// ```
    pub fn names(&self) -> Vec<&str> {
        self.by_name.keys().map(String::as_str).collect()
    }

    /// `user`'s value of attribute `name`.
    ///
    /// ```
    /// assert_eq!(userops::ops::automation::Attributes::<u8>::new().value("x", &1), None);
    /// ```
    pub fn value(&self, name: &str, user: &U) -> Option<String> {
        self.by_name.get(name)?.attribute(user)
    }
}

/// A rule's attribute condition: the user's value of `name` is one of `any_of`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttributeCondition {
    /// The attribute's name in [`Attributes`].
    pub name: String,
    /// Accepted values (a user without a value never matches).
    pub any_of: Vec<String>,
}

/// One automation rule. Rules are plain data (serde), so they can live in a JSON file.
///
/// ```
/// use userops::ops::automation::{Rule, SegmentKind};
/// let rule = Rule::new("nudge", SegmentKind::Lifecycle, "dormant", "push_reminder", "push")
///     .inactive_for(2)
///     .with_attribute("region", ["north", "west"]);
/// let json = serde_json::to_string(&rule)?;
/// assert_eq!(serde_json::from_str::<Rule>(&json)?, rule);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rule {
    /// Unique name (decision records carry it).
    pub name: String,
    /// The segmentation the rule looks at.
    pub kind: SegmentKind,
    /// The segment (label) a user must be in.
    pub segment: String,
    /// Minimum whole periods since the user's last active period (0: no requirement).
    pub min_inactive_periods: u32,
    /// An optional attribute condition.
    pub attribute: Option<AttributeCondition>,
    /// What to do (`coupon_10`, `win_back_call`, ...).
    pub action: String,
    /// Through which channel (`email`, `sms`, `push`, ...).
    pub channel: String,
}

impl Rule {
    /// A rule targeting segment `segment` of `kind` with `action` through `channel`.
    ///
    /// ```
    /// let r = userops::ops::automation::Rule::new("r", userops::ops::automation::SegmentKind::Rfm, "at_risk", "coupon", "sms");
    /// assert_eq!(r.min_inactive_periods, 0);
    /// ```
    pub fn new(
        name: impl Into<String>,
        kind: SegmentKind,
        segment: impl Into<String>,
        action: impl Into<String>,
        channel: impl Into<String>,
    ) -> Self {
        Rule {
            name: name.into(),
            kind,
            segment: segment.into(),
            min_inactive_periods: 0,
            attribute: None,
            action: action.into(),
            channel: channel.into(),
        }
    }

    /// Requires at least `periods` whole periods of inactivity.
    ///
    /// ```
    /// # use userops::ops::automation::{Rule, SegmentKind};
    /// assert_eq!(Rule::new("r", SegmentKind::Rfm, "a", "x", "c").inactive_for(3).min_inactive_periods, 3);
    /// ```
    #[must_use]
    pub fn inactive_for(mut self, periods: u32) -> Self {
        self.min_inactive_periods = periods;
        self
    }

    /// Requires attribute `name` to be one of `values`.
    ///
    /// ```
    /// # use userops::ops::automation::{Rule, SegmentKind};
    /// let r = Rule::new("r", SegmentKind::Rfm, "a", "x", "c").with_attribute("channel", ["search_ads"]);
    /// assert_eq!(r.attribute.unwrap().any_of, vec!["search_ads"]);
    /// ```
    #[must_use]
    pub fn with_attribute<V: Into<String>>(
        mut self,
        name: impl Into<String>,
        values: impl IntoIterator<Item = V>,
    ) -> Self {
        self.attribute = Some(AttributeCondition {
            name: name.into(),
            any_of: values.into_iter().map(Into::into).collect(),
        });
        self
    }
}

/// Whether a user may be targeted by several rules in one evaluation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MatchMode {
    /// Rules are in priority order: each user is targeted by the first rule that matches; later
    /// matches are recorded as suppressed.
    FirstMatch,
    /// Every matching rule targets the user.
    EveryMatch,
}

impl fmt::Display for MatchMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            MatchMode::FirstMatch => "first match",
            MatchMode::EveryMatch => "every match",
        })
    }
}

/// A user's last active period, the input for inactivity.
///
/// ```
/// use chrono::NaiveDate;
/// use userops::ops::automation::LastActive;
/// use userops::time::{Interval, Period};
/// let p = Period::containing(NaiveDate::from_ymd_opt(2025, 1, 6).unwrap(), Interval::Month);
/// assert_eq!(LastActive::new(1_u8, p).last_active, p);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LastActive<U> {
    /// The user.
    pub user: U,
    /// The last period in which the user was active.
    pub last_active: Period,
}

impl<U> LastActive<U> {
    /// `user` was last active in `last_active`.
    ///
    /// ```
    /// # use userops::ops::automation::LastActive;
    /// # use userops::time::{Interval, Period};
    /// let a = LastActive::new("ana", Period::containing(chrono::NaiveDate::MIN, Interval::Day));
    /// assert_eq!(a.user, "ana");
    /// ```
    pub fn new(user: U, last_active: Period) -> Self {
        LastActive { user, last_active }
    }

    /// Every user's last active period from an [`ActivityReport`] (bucketed by the calendar
    /// the report was folded with; evaluate rules for a period of that same interval).
    ///
    /// ```
    /// use chrono::{TimeZone, Utc};
    /// use userops::activity::ActivitySummary;
    /// use userops::event::EventRecord;
    /// use userops::fold::{fold, Summary};
    /// use userops::ops::automation::LastActive;
    /// use userops::time::{Calendar, Interval};
    /// let log = vec![EventRecord::<u32>::new(1_u32, Utc.with_ymd_and_hms(2025, 2, 3, 0, 0, 0).unwrap())];
    /// let report = fold(ActivitySummary::new(Calendar::new(Utc, Interval::Month)), &log)?.finish()?;
    /// let last = LastActive::from_activity(&report);
    /// assert_eq!(last[0].last_active.to_string(), "2025-02");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn from_activity(report: &ActivityReport<U>) -> Vec<LastActive<U>>
    where
        U: Clone,
    {
        report
            .users
            .iter()
            .filter_map(|u| {
                u.active_periods
                    .last()
                    .map(|p| LastActive::new(u.user.clone(), *p))
            })
            .collect()
    }
}

/// Whether a decision targets the user or records a match that a higher-priority rule took.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DecisionStatus {
    /// The action goes out.
    Targeted,
    /// The rule matched, but an earlier rule targeted the user (first-match mode).
    Suppressed {
        /// The rule that took the user.
        by: String,
    },
}

/// One decision: a user matched a rule in a period. The host stores these and later joins them
/// with outcomes on `(period, rule, user)`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Decision<U> {
    /// The evaluated period.
    pub period: Period,
    /// The rule's name.
    pub rule: String,
    /// The user.
    pub user: U,
    /// The segmentation looked at.
    pub kind: SegmentKind,
    /// The user's segment.
    pub segment: String,
    /// Whole periods since the user's last active period.
    pub inactive_periods: i64,
    /// The user's value of the rule's attribute, when the rule has one.
    pub attribute_value: Option<String>,
    /// The action.
    pub action: String,
    /// The channel.
    pub channel: String,
    /// Targeted or suppressed.
    pub status: DecisionStatus,
}

/// Per-rule counts of an [`Evaluation`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleCount {
    /// The rule.
    pub rule: String,
    /// Its action.
    pub action: String,
    /// Its channel.
    pub channel: String,
    /// Users targeted.
    pub targeted: u64,
    /// Users matched but taken by an earlier rule.
    pub suppressed: u64,
}

/// The outcome of evaluating a [`RuleSet`] for one period.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Evaluation<U> {
    /// The evaluated period.
    pub period: Period,
    /// The match mode.
    pub mode: MatchMode,
    /// Users looked at.
    pub users: u64,
    /// Every decision, ordered by rule (in rule order) and then user.
    pub decisions: Vec<Decision<U>>,
    /// Counts per rule, in rule order.
    pub rules: Vec<RuleCount>,
}

impl<U> Evaluation<U> {
    /// The users `rule` targets (suppressed matches excluded), ordered.
    ///
    /// ```
    /// # use userops::ops::automation::*;
    /// # use userops::time::{Interval, Period};
    /// # let p = Period::containing(chrono::NaiveDate::from_ymd_opt(2025, 1, 1).unwrap(), Interval::Month);
    /// # let mut s = SegmentMap::new(); s.assign(SegmentKind::Rfm, 1_u8, "a");
    /// let rules = RuleSet::new(vec![Rule::new("r", SegmentKind::Rfm, "a", "x", "email")], MatchMode::EveryMatch);
    /// let e = rules.evaluate(p, &[LastActive::new(1_u8, p)], &s, &Attributes::new())?;
    /// assert_eq!(e.targets("r"), vec![&1]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn targets(&self, rule: &str) -> Vec<&U> {
        self.decisions
            .iter()
            .filter(|d| d.rule == rule && d.status == DecisionStatus::Targeted)
            .map(|d| &d.user)
            .collect()
    }
}

impl<U> fmt::Display for Evaluation<U> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "rules evaluated for {} ({}, {} users)",
            self.period, self.mode, self.users
        )?;
        write!(
            f,
            "{:<20} {:<18} {:<10} {:>9} {:>10}",
            "rule", "action", "channel", "targeted", "suppressed"
        )?;
        for r in &self.rules {
            write!(
                f,
                "\n{:<20} {:<18} {:<10} {:>9} {:>10}",
                r.rule, r.action, r.channel, r.targeted, r.suppressed
            )?;
        }
        Ok(())
    }
}

/// Rules in priority order and the match mode.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleSet {
    /// The rules, highest priority first.
    pub rules: Vec<Rule>,
    /// First match or every match.
    pub mode: MatchMode,
}

impl RuleSet {
    /// Rules in priority order.
    ///
    /// ```
    /// use userops::ops::automation::{MatchMode, RuleSet};
    /// assert!(RuleSet::new(vec![], MatchMode::EveryMatch).rules.is_empty());
    /// ```
    #[must_use]
    pub fn new(rules: Vec<Rule>, mode: MatchMode) -> Self {
        RuleSet { rules, mode }
    }

    /// Checks the rules against the sources: unique names, non-empty action and channel,
    /// segments the source knows, attributes supplied.
    ///
    /// # Errors
    /// [`OpsError::DuplicateRule`], [`OpsError::UnknownSegment`], [`OpsError::UnknownAttribute`],
    /// [`Error::InvalidParameter`] (`action` / `channel`) for an empty action or channel.
    ///
    /// ```
    /// use userops::ops::automation::*;
    /// let mut s = SegmentMap::<u8>::new();
    /// s.declare(SegmentKind::Rfm, ["champions"]);
    /// let rules = RuleSet::new(vec![Rule::new("r", SegmentKind::Rfm, "champs", "x", "email")], MatchMode::FirstMatch);
    /// assert!(rules.check(&s, &Attributes::new()).is_err()); // "champs" is a typo
    /// ```
    pub fn check<U, S: SegmentSource<U>>(
        &self,
        segments: &S,
        attributes: &Attributes<'_, U>,
    ) -> Result<()> {
        let mut names = BTreeSet::new();
        for rule in &self.rules {
            if !names.insert(rule.name.as_str()) {
                return Err(OpsError::DuplicateRule(rule.name.clone()).into());
            }
            if rule.action.trim().is_empty() {
                return Err(Error::invalid(
                    "action",
                    format!("rule `{}` has an empty action", rule.name),
                ));
            }
            if rule.channel.trim().is_empty() {
                return Err(Error::invalid(
                    "channel",
                    format!("rule `{}` has an empty channel", rule.name),
                ));
            }
            let known = segments.labels(&rule.kind);
            if !known.contains(&rule.segment) {
                return Err(OpsError::UnknownSegment {
                    rule: rule.name.clone(),
                    kind: rule.kind.to_string(),
                    label: rule.segment.clone(),
                    known: known.join(", "),
                }
                .into());
            }
            if let Some(cond) = &rule.attribute {
                if !attributes.by_name.contains_key(&cond.name) {
                    return Err(OpsError::UnknownAttribute {
                        rule: rule.name.clone(),
                        attribute: cond.name.clone(),
                        supplied: attributes.names().join(", "),
                    }
                    .into());
                }
            }
        }
        Ok(())
    }

    /// Evaluates the rules for `period` over `audience` (one entry per user; a user listed
    /// twice is evaluated once, with the later of its last-active periods).
    ///
    /// A user matches a rule when its label of the rule's kind equals the rule's segment, at
    /// least `min_inactive_periods` whole periods lie between its last active period and
    /// `period`, and its attribute value is one of the rule's values. The result does not
    /// depend on the order of `audience`.
    ///
    /// # Errors
    /// As [`RuleSet::check`]; [`Error::InvalidParameter`] (`period`) when a last-active period
    /// has another interval than `period` or lies after it.
    ///
    /// ```
    /// use chrono::NaiveDate;
    /// use userops::ops::automation::*;
    /// use userops::time::{Interval, Period};
    /// let m = |mo| Period::containing(NaiveDate::from_ymd_opt(2025, mo, 1).unwrap(), Interval::Month);
    /// let mut s = SegmentMap::new();
    /// s.extend(SegmentKind::ValueTier, [(1_u32, "gold"), (2, "gold")]);
    /// s.extend(SegmentKind::Lifecycle, [(1_u32, "dormant"), (2, "dormant")]);
    /// let rules = RuleSet::new(vec![
    ///     Rule::new("vip_call", SegmentKind::ValueTier, "gold", "call", "phone").inactive_for(2),
    ///     Rule::new("dormant_mail", SegmentKind::Lifecycle, "dormant", "mail", "email"),
    /// ], MatchMode::FirstMatch);
    /// let e = rules.evaluate(m(6), &[LastActive::new(1, m(1)), LastActive::new(2, m(5))], &s, &Attributes::new())?;
    /// assert_eq!(e.targets("vip_call"), vec![&1]);
    /// assert_eq!(e.targets("dormant_mail"), vec![&2]); // user 1 was taken by vip_call
    /// assert_eq!(e.decisions.len(), 3);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn evaluate<U, S>(
        &self,
        period: Period,
        audience: &[LastActive<U>],
        segments: &S,
        attributes: &Attributes<'_, U>,
    ) -> Result<Evaluation<U>>
    where
        U: Clone + Ord,
        S: SegmentSource<U>,
    {
        self.check(segments, attributes)?;
        // Deduplicate and order users so that the result is independent of audience order.
        let mut last: BTreeMap<&U, Period> = BTreeMap::new();
        for a in audience {
            if a.last_active.interval() != period.interval() {
                return Err(Error::invalid(
                    "period",
                    format!(
                        "evaluated period {period} and a last-active period {} use different intervals",
                        a.last_active
                    ),
                ));
            }
            if a.last_active > period {
                return Err(Error::invalid(
                    "period",
                    format!(
                        "a user was last active in {}, after the evaluated period {period}; evaluate a later period or filter activity to it",
                        a.last_active
                    ),
                ));
            }
            let e = last.entry(&a.user).or_insert(a.last_active);
            if a.last_active > *e {
                *e = a.last_active;
            }
        }
        let mut per_rule: Vec<Vec<Decision<U>>> = vec![Vec::new(); self.rules.len()];
        let mut counts: Vec<RuleCount> = self
            .rules
            .iter()
            .map(|r| RuleCount {
                rule: r.name.clone(),
                action: r.action.clone(),
                channel: r.channel.clone(),
                targeted: 0,
                suppressed: 0,
            })
            .collect();
        for (user, last_active) in &last {
            let inactive = period.ordinal() - last_active.ordinal();
            let mut taken_by: Option<&str> = None;
            for (i, rule) in self.rules.iter().enumerate() {
                let Some(label) = segments.segment(&rule.kind, user) else {
                    continue;
                };
                if label != rule.segment || inactive < i64::from(rule.min_inactive_periods) {
                    continue;
                }
                let attribute_value = match &rule.attribute {
                    Some(cond) => match attributes.value(&cond.name, user) {
                        Some(v) if cond.any_of.contains(&v) => Some(v),
                        _ => continue,
                    },
                    None => None,
                };
                let status = match (self.mode, taken_by) {
                    (MatchMode::FirstMatch, Some(by)) => {
                        DecisionStatus::Suppressed { by: by.to_string() }
                    }
                    _ => DecisionStatus::Targeted,
                };
                if status == DecisionStatus::Targeted {
                    counts[i].targeted += 1;
                    if taken_by.is_none() {
                        taken_by = Some(rule.name.as_str());
                    }
                } else {
                    counts[i].suppressed += 1;
                }
                per_rule[i].push(Decision {
                    period,
                    rule: rule.name.clone(),
                    user: (*user).clone(),
                    kind: rule.kind.clone(),
                    segment: rule.segment.clone(),
                    inactive_periods: inactive,
                    attribute_value,
                    action: rule.action.clone(),
                    channel: rule.channel.clone(),
                    status,
                });
            }
        }
        Ok(Evaluation {
            period,
            mode: self.mode,
            users: last.len() as u64,
            decisions: per_rule.into_iter().flatten().collect(),
            rules: counts,
        })
    }
}

/// What happened to one message: the host reports it per decision (sent is implied).
///
/// ```
/// let d = userops::ops::automation::Delivery::new("email").delivered().opened();
/// assert!(d.opened && !d.converted);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Delivery {
    /// The channel it went through.
    pub channel: String,
    /// Reached the user.
    pub delivered: bool,
    /// Opened / read / clicked through.
    pub opened: bool,
    /// Led to the goal (purchase, return visit).
    pub converted: bool,
}

impl Delivery {
    /// A message sent through `channel`, not (yet) delivered.
    ///
    /// ```
    /// assert!(!userops::ops::automation::Delivery::new("sms").delivered);
    /// ```
    pub fn new(channel: impl Into<String>) -> Self {
        Delivery {
            channel: channel.into(),
            delivered: false,
            opened: false,
            converted: false,
        }
    }
    /// Marks it delivered.
    ///
    /// ```
    /// assert!(userops::ops::automation::Delivery::new("sms").delivered().delivered);
    /// ```
    #[must_use]
    pub fn delivered(mut self) -> Self {
        self.delivered = true;
        self
    }
    /// Marks it opened.
    ///
    /// ```
    /// assert!(userops::ops::automation::Delivery::new("sms").opened().opened);
    /// ```
    #[must_use]
    pub fn opened(mut self) -> Self {
        self.opened = true;
        self
    }
    /// Marks it converted.
    ///
    /// ```
    /// assert!(userops::ops::automation::Delivery::new("sms").converted().converted);
    /// ```
    #[must_use]
    pub fn converted(mut self) -> Self {
        self.converted = true;
        self
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
struct Funnel {
    sent: u64,
    delivered: u64,
    opened: u64,
    converted: u64,
}

/// Per-channel reach: a mergeable summary of [`Delivery`] outcomes (or of counts the host
/// already has).
///
/// ```
/// use userops::fold::{fold, Summary};
/// use userops::ops::automation::{Delivery, ReachSummary};
/// let outcomes = vec![
///     Delivery::new("email").delivered().opened().converted(),
///     Delivery::new("email").delivered(),
///     Delivery::new("email"),
///     Delivery::new("sms").delivered().opened(),
/// ];
/// let report = fold(ReachSummary::default(), &outcomes)?.finish()?;
/// let email = &report.channels[0];
/// assert_eq!((email.sent, email.delivered, email.opened, email.converted), (3, 2, 1, 1));
/// assert_eq!(email.open_rate, Some(0.5));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ReachSummary {
    channels: BTreeMap<String, Funnel>,
}

impl ReachSummary {
    /// Adds counts the host already has for `channel`.
    ///
    /// # Errors
    /// [`OpsError::FunnelOrder`] unless `sent ≥ delivered ≥ opened ≥ converted`.
    ///
    /// ```
    /// let mut r = userops::ops::automation::ReachSummary::default();
    /// r.add_counts("push", 100, 90, 30, 3)?;
    /// assert!(r.add_counts("push", 10, 20, 0, 0).is_err());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn add_counts(
        &mut self,
        channel: &str,
        sent: u64,
        delivered: u64,
        opened: u64,
        converted: u64,
    ) -> Result<()> {
        let reason = if delivered > sent {
            Some("more delivered than sent")
        } else if opened > delivered {
            Some("more opened than delivered")
        } else if converted > opened {
            Some("more converted than opened")
        } else {
            None
        };
        if let Some(reason) = reason {
            return Err(OpsError::FunnelOrder {
                channel: channel.to_string(),
                reason,
            }
            .into());
        }
        let f = self.channels.entry(channel.to_string()).or_default();
        f.sent += sent;
        f.delivered += delivered;
        f.opened += opened;
        f.converted += converted;
        Ok(())
    }
}

impl Fold<Delivery> for ReachSummary {
    fn observe(&mut self, d: &Delivery) -> Result<()> {
        let reason = if d.opened && !d.delivered {
            Some("a message was opened but not delivered")
        } else if d.converted && !d.opened {
            Some("a message converted but was not opened")
        } else {
            None
        };
        if let Some(reason) = reason {
            return Err(OpsError::FunnelOrder {
                channel: d.channel.clone(),
                reason,
            }
            .into());
        }
        let f = match self.channels.get_mut(&d.channel) {
            Some(f) => f,
            None => self.channels.entry(d.channel.clone()).or_default(),
        };
        f.sent += 1;
        f.delivered += u64::from(d.delivered);
        f.opened += u64::from(d.opened);
        f.converted += u64::from(d.converted);
        Ok(())
    }
}

impl Fold<&Delivery> for ReachSummary {
    fn observe(&mut self, d: &&Delivery) -> Result<()> {
        Fold::<Delivery>::observe(self, *d)
    }
}

impl Summary for ReachSummary {
    type Output = ReachReport;

    fn merge(&mut self, other: Self) -> Result<()> {
        for (c, o) in other.channels {
            let f = self.channels.entry(c).or_default();
            f.sent += o.sent;
            f.delivered += o.delivered;
            f.opened += o.opened;
            f.converted += o.converted;
        }
        Ok(())
    }

    fn finish(self) -> Result<ReachReport> {
        let row = |channel: String, f: Funnel| {
            let rate = |a: u64, b: u64| (b > 0).then(|| a as f64 / b as f64);
            ChannelReach {
                channel,
                sent: f.sent,
                delivered: f.delivered,
                opened: f.opened,
                converted: f.converted,
                delivery_rate: rate(f.delivered, f.sent),
                open_rate: rate(f.opened, f.delivered),
                conversion_rate: rate(f.converted, f.opened),
                overall_conversion: rate(f.converted, f.sent),
            }
        };
        let mut total = Funnel::default();
        for f in self.channels.values() {
            total.sent += f.sent;
            total.delivered += f.delivered;
            total.opened += f.opened;
            total.converted += f.converted;
        }
        Ok(ReachReport {
            channels: self.channels.into_iter().map(|(c, f)| row(c, f)).collect(),
            total: row("(all)".to_string(), total),
        })
    }
}

/// One channel's funnel and the rates between its steps (`None` when the step before is zero).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChannelReach {
    /// The channel.
    pub channel: String,
    /// Messages sent.
    pub sent: u64,
    /// Delivered.
    pub delivered: u64,
    /// Opened.
    pub opened: u64,
    /// Converted.
    pub converted: u64,
    /// delivered / sent.
    pub delivery_rate: Option<f64>,
    /// opened / delivered.
    pub open_rate: Option<f64>,
    /// converted / opened.
    pub conversion_rate: Option<f64>,
    /// converted / sent.
    pub overall_conversion: Option<f64>,
}

/// Reach per channel (ordered by name) and over all channels.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReachReport {
    /// One row per channel.
    pub channels: Vec<ChannelReach>,
    /// All channels together.
    pub total: ChannelReach,
}

impl fmt::Display for ReachReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let pct = |r: Option<f64>| super::cell(r.map(|x| 100.0 * x), 1);
        write!(
            f,
            "{:<10} {:>8} {:>9} {:>7} {:>9} {:>9} {:>7} {:>9} {:>9}",
            "channel",
            "sent",
            "delivered",
            "opened",
            "converted",
            "deliv %",
            "open %",
            "conv %",
            "overall %"
        )?;
        for c in self.channels.iter().chain(std::iter::once(&self.total)) {
            write!(
                f,
                "\n{:<10} {:>8} {:>9} {:>7} {:>9} {:>9} {:>7} {:>9} {:>9}",
                c.channel,
                c.sent,
                c.delivered,
                c.opened,
                c.converted,
                pct(c.delivery_rate),
                pct(c.open_rate),
                pct(c.conversion_rate),
                pct(c.overall_conversion)
            )?;
        }
        Ok(())
    }
}

/// A compensation level: what a user of a tier gets after an incident.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Compensation {
    /// The level's name (`full_refund_and_credit`, `credit_20`, `apology`).
    pub level: String,
    /// Its monetary value (0 for a non-monetary gesture).
    pub amount: f64,
}

impl Compensation {
    /// A level with its amount.
    ///
    /// ```
    /// assert_eq!(userops::ops::automation::Compensation::new("credit_20", 20.0).amount, 20.0);
    /// ```
    pub fn new(level: impl Into<String>, amount: f64) -> Self {
        Compensation {
            level: level.into(),
            amount,
        }
    }
}

/// Tiered compensation for an incident: value tiers (or any segmentation) mapped to
/// compensation levels, with an optional default for users without a mapped tier.
///
/// ```
/// use userops::ops::automation::{Compensation, CompensationPlan, SegmentKind, SegmentMap};
/// let mut tiers = SegmentMap::new();
/// tiers.extend(SegmentKind::ValueTier, [(1_u32, "gold"), (2, "silver"), (3, "bronze")]);
/// let plan = CompensationPlan::new()
///     .tier("gold", Compensation::new("credit_50", 50.0))
///     .tier("silver", Compensation::new("credit_20", 20.0))
///     .otherwise(Compensation::new("apology", 0.0));
/// let r = plan.apply(&[1, 2, 3, 4], &tiers)?;
/// assert_eq!(r.total_amount, 70.0);
/// assert_eq!(r.awards[3].level, "apology"); // user 4 has no tier
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CompensationPlan {
    /// The segmentation tiers come from (default [`SegmentKind::ValueTier`]).
    pub kind: SegmentKind,
    /// Tier label → compensation.
    pub tiers: BTreeMap<String, Compensation>,
    /// For users whose tier is not mapped (or who have none); `None` leaves them uncovered.
    pub default: Option<Compensation>,
}

impl Default for CompensationPlan {
    fn default() -> Self {
        CompensationPlan {
            kind: SegmentKind::ValueTier,
            tiers: BTreeMap::new(),
            default: None,
        }
    }
}

impl CompensationPlan {
    /// An empty plan over value tiers.
    ///
    /// ```
    /// assert!(userops::ops::automation::CompensationPlan::new().tiers.is_empty());
    /// ```
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Maps `tier` to `compensation`.
    ///
    /// ```
    /// use userops::ops::automation::{Compensation, CompensationPlan};
    /// let p = CompensationPlan::new().tier("gold", Compensation::new("credit", 5.0));
    /// assert_eq!(p.tiers.len(), 1);
    /// ```
    #[must_use]
    pub fn tier(mut self, tier: impl Into<String>, compensation: Compensation) -> Self {
        self.tiers.insert(tier.into(), compensation);
        self
    }

    /// The compensation of users without a mapped tier.
    ///
    /// ```
    /// use userops::ops::automation::{Compensation, CompensationPlan};
    /// assert!(CompensationPlan::new().otherwise(Compensation::new("apology", 0.0)).default.is_some());
    /// ```
    #[must_use]
    pub fn otherwise(mut self, compensation: Compensation) -> Self {
        self.default = Some(compensation);
        self
    }

    /// Compensation for each affected user.
    ///
    /// # Errors
    /// [`OpsError::UnknownSegment`] (rule `compensation plan`) for a tier the source does not
    /// know; [`Error::InvalidParameter`] (`amount`) for a negative or non-finite amount.
    ///
    /// ```
    /// use userops::ops::automation::{Compensation, CompensationPlan, SegmentKind, SegmentMap};
    /// let tiers = SegmentMap::<u8>::new();
    /// let plan = CompensationPlan::new().tier("platinum", Compensation::new("c", 1.0));
    /// assert!(plan.apply(&[1], &tiers).is_err());
    /// ```
    pub fn apply<U: Clone, S: SegmentSource<U>>(
        &self,
        affected: &[U],
        tiers: &S,
    ) -> Result<CompensationReport<U>> {
        let known = tiers.labels(&self.kind);
        for (tier, c) in &self.tiers {
            if !known.iter().any(|k| k == tier) {
                return Err(OpsError::UnknownSegment {
                    rule: "compensation plan".into(),
                    kind: self.kind.to_string(),
                    label: tier.clone(),
                    known: known.join(", "),
                }
                .into());
            }
            check_amount(c)?;
        }
        if let Some(c) = &self.default {
            check_amount(c)?;
        }
        let mut awards = Vec::with_capacity(affected.len());
        let mut uncovered = Vec::new();
        let mut by_level: BTreeMap<String, (u64, f64)> = BTreeMap::new();
        for user in affected {
            let tier = tiers.segment(&self.kind, user);
            let c = tier
                .and_then(|t| self.tiers.get(t))
                .or(self.default.as_ref());
            match c {
                Some(c) => {
                    let e = by_level.entry(c.level.clone()).or_default();
                    e.0 += 1;
                    e.1 += c.amount;
                    awards.push(Award {
                        user: user.clone(),
                        tier: tier.map(str::to_string),
                        level: c.level.clone(),
                        amount: c.amount,
                    });
                }
                None => uncovered.push(user.clone()),
            }
        }
        Ok(CompensationReport {
            total_amount: awards.iter().map(|a| a.amount).sum(),
            levels: by_level
                .into_iter()
                .map(|(level, (users, amount))| LevelTotal {
                    level,
                    users,
                    amount,
                })
                .collect(),
            awards,
            uncovered,
        })
    }
}

fn check_amount(c: &Compensation) -> Result<()> {
    if c.amount.is_finite() && c.amount >= 0.0 {
        Ok(())
    } else {
        Err(Error::invalid(
            "amount",
            format!(
                "compensation `{}` has amount {}; it must be finite and not negative",
                c.level, c.amount
            ),
        ))
    }
}

/// One user's compensation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Award<U> {
    /// The user.
    pub user: U,
    /// The user's tier, if any.
    pub tier: Option<String>,
    /// The compensation level.
    pub level: String,
    /// Its amount.
    pub amount: f64,
}

/// Users and money per compensation level.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LevelTotal {
    /// The level.
    pub level: String,
    /// Users at that level.
    pub users: u64,
    /// Money at that level.
    pub amount: f64,
}

/// The result of [`CompensationPlan::apply`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CompensationReport<U> {
    /// One award per covered user, in the order given.
    pub awards: Vec<Award<U>>,
    /// Users with no mapped tier and no default.
    pub uncovered: Vec<U>,
    /// Totals per level, ordered by level name.
    pub levels: Vec<LevelTotal>,
    /// Money over all awards.
    pub total_amount: f64,
}

impl<U> fmt::Display for CompensationReport<U> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:<24} {:>8} {:>12}", "level", "users", "amount")?;
        for l in &self.levels {
            write!(f, "\n{:<24} {:>8} {:>12.2}", l.level, l.users, l.amount)?;
        }
        write!(
            f,
            "\ntotal {:.2} for {} users; {} uncovered",
            self.total_amount,
            self.awards.len(),
            self.uncovered.len()
        )
    }
}
