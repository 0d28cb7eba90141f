//! The fold: every user's touchpoints and conversions, in any order, merged per user; and the
//! rules that say which events are which.

use std::collections::BTreeMap;
use std::fmt;
use std::hash::Hash;

use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};

use super::journeys::Journeys;
use crate::engine::{Dictionary, EventTable, TablePart, TableUsers};
use crate::event::{Event, checked_amount, checked_at};
use crate::fold::{Fold, FoldTable, Summary};
use crate::{Error, Result};

/// The channel slot of a conversion mark: above every channel index, so that at one instant a
/// user's touchpoints sort before their conversion (a touchpoint at the conversion's instant
/// belongs to it).
pub(crate) const CONVERSION: u32 = u32::MAX;

/// The most channels a summary names (each a distinct touchpoint channel): a cap on the memory
/// a host's input can claim; [`Error::TooLarge`] past it.
pub const MAX_CHANNELS: u32 = 1 << 20;

/// Which events are conversions.
///
/// ```
/// use userops::attribution::ConversionRule;
/// let rule = ConversionRule::Named(vec!["order".into()]);
/// assert_ne!(rule, ConversionRule::Payments);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConversionRule {
    /// Events with a non-zero [`Event::amount`]; the amount is the conversion value.
    Payments,
    /// Events with one of these names; their amount (zero allowed) is the conversion value.
    Named(Vec<String>),
}

/// Which events are touchpoints, and of which channel.
///
/// ```
/// use std::collections::BTreeMap;
/// use userops::attribution::ChannelRule;
/// let map = BTreeMap::from([("utm_google".to_string(), "search".to_string())]);
/// assert_ne!(ChannelRule::Mapped(map), ChannelRule::EveryName);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChannelRule {
    /// Every named event that is not a conversion is a touchpoint of the channel of its name.
    EveryName,
    /// Events whose name is a key are touchpoints of the channel it maps to (several names
    /// may map to one channel); other events are left out.
    Mapped(BTreeMap<String, String>),
}

/// Which events of a log are touchpoints and conversions, and how far back a conversion looks
/// for its touchpoints.
///
/// * The **lookback window** (default: unlimited): a conversion at `t` claims the touchpoints
///   at `t - lookback ..= t` that no earlier conversion claimed.
/// * [`ConversionRule`] (default [`ConversionRule::Payments`]) and [`ChannelRule`] (default
///   [`ChannelRule::EveryName`]).
///
/// ```
/// use chrono::TimeDelta;
/// use userops::attribution::{ConversionRule, JourneyRules};
/// let rules = JourneyRules::new()
///     .conversions(ConversionRule::Named(vec!["purchase".into()]))
///     .lookback(TimeDelta::days(30))?;
/// assert_eq!(rules.lookback_window(), Some(TimeDelta::days(30)));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JourneyRules {
    conversion: ConversionRule,
    channels: ChannelRule,
    /// The lookback window in milliseconds (`None`: unlimited).
    lookback_ms: Option<i64>,
}

impl Default for JourneyRules {
    fn default() -> Self {
        JourneyRules {
            conversion: ConversionRule::Payments,
            channels: ChannelRule::EveryName,
            lookback_ms: None,
        }
    }
}

impl JourneyRules {
    /// Payments are conversions, every other named event is a touchpoint of its name's
    /// channel, no lookback limit.
    ///
    /// ```
    /// assert_eq!(userops::attribution::JourneyRules::new().lookback_window(), None);
    /// ```
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets which events are conversions.
    ///
    /// ```
    /// use userops::attribution::{ConversionRule, JourneyRules};
    /// let r = JourneyRules::new().conversions(ConversionRule::Named(vec!["signup".into()]));
    /// assert_eq!(r.conversion_rule(), &ConversionRule::Named(vec!["signup".into()]));
    /// ```
    #[must_use]
    pub fn conversions(mut self, rule: ConversionRule) -> Self {
        self.conversion = rule;
        self
    }

    /// Sets which events are touchpoints.
    ///
    /// ```
    /// use std::collections::BTreeMap;
    /// use userops::attribution::{ChannelRule, JourneyRules};
    /// let map = BTreeMap::from([("ad_click".to_string(), "display".to_string())]);
    /// let r = JourneyRules::new().channels(ChannelRule::Mapped(map.clone()));
    /// assert_eq!(r.channel_rule(), &ChannelRule::Mapped(map));
    /// ```
    #[must_use]
    pub fn channels(mut self, rule: ChannelRule) -> Self {
        self.channels = rule;
        self
    }

    /// Sets the lookback window.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for a window that is not positive.
    ///
    /// ```
    /// use chrono::TimeDelta;
    /// use userops::attribution::JourneyRules;
    /// assert!(JourneyRules::new().lookback(TimeDelta::days(7)).is_ok());
    /// assert!(JourneyRules::new().lookback(TimeDelta::zero()).is_err());
    /// ```
    pub fn lookback(mut self, window: TimeDelta) -> Result<Self> {
        let ms = window.num_milliseconds();
        if ms <= 0 {
            return Err(Error::invalid(
                "lookback",
                format!("must be a positive duration, got {window}"),
            ));
        }
        self.lookback_ms = Some(ms);
        Ok(self)
    }

    /// The lookback window (`None`: unlimited).
    ///
    /// ```
    /// assert_eq!(userops::attribution::JourneyRules::new().lookback_window(), None);
    /// ```
    #[must_use]
    pub fn lookback_window(&self) -> Option<TimeDelta> {
        self.lookback_ms.map(TimeDelta::milliseconds)
    }

    /// The conversion rule.
    ///
    /// ```
    /// use userops::attribution::{ConversionRule, JourneyRules};
    /// assert_eq!(JourneyRules::new().conversion_rule(), &ConversionRule::Payments);
    /// ```
    #[must_use]
    pub fn conversion_rule(&self) -> &ConversionRule {
        &self.conversion
    }

    /// The channel rule.
    ///
    /// ```
    /// use userops::attribution::{ChannelRule, JourneyRules};
    /// assert_eq!(JourneyRules::new().channel_rule(), &ChannelRule::EveryName);
    /// ```
    #[must_use]
    pub fn channel_rule(&self) -> &ChannelRule {
        &self.channels
    }

    /// What an event with this name and amount is.
    fn classify<'a>(&'a self, name: Option<&'a str>, amount: f64) -> Mark<'a> {
        let converts = match &self.conversion {
            ConversionRule::Payments => amount != 0.0,
            ConversionRule::Named(names) => name.is_some_and(|n| names.iter().any(|c| c == n)),
        };
        if converts {
            return Mark::Conversion;
        }
        match (name, &self.channels) {
            (Some(n), ChannelRule::EveryName) => Mark::Touch(n),
            (Some(n), ChannelRule::Mapped(map)) => {
                map.get(n).map_or(Mark::Other, |c| Mark::Touch(c))
            }
            (None, _) => Mark::Other,
        }
    }
}

/// What one event is to attribution.
enum Mark<'a> {
    Touch(&'a str),
    Conversion,
    Other,
}

/// One touchpoint or conversion of one user: 24 bytes.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub(crate) struct Point {
    /// The user's index in the summary's dictionary.
    pub(crate) user: u32,
    /// The channel's index, or [`CONVERSION`].
    pub(crate) channel: u32,
    /// Milliseconds since the epoch.
    pub(crate) at_ms: i64,
    /// The conversion value (0 for a touchpoint).
    pub(crate) value: f64,
}

/// Every user's touchpoints (channel events) and conversions (events with a value): a
/// mergeable fold over any event order, finished into [`Journeys`].
///
/// Which events are which is said by [`JourneyRules`] (by event name and amount); a host
/// whose mapping is its own calls [`JourneySummary::touch`] and [`JourneySummary::convert`]
/// instead. A conversion value must be finite and not negative (a refund is not a
/// conversion: leave it out).
///
/// The state keeps one 24-byte point per touchpoint and conversion (memory proportional to
/// them, as any journey needs); the users and channels live in the engine's dictionaries.
/// Merging appends the other part's points under this part's indices. The state serializes
/// (serde) and reads back equal, with every index and value checked.
///
/// ```
/// use chrono::{TimeDelta, TimeZone, Utc};
/// use userops::attribution::{ConversionRule, JourneyRules, JourneySummary};
/// use userops::event::EventRecord;
/// use userops::fold::{fold, Summary};
///
/// let day = |d| Utc.with_ymd_and_hms(2025, 4, d, 12, 0, 0).unwrap();
/// let log = vec![
///     EventRecord::<&str>::new("ana", day(1)).with_name("search"),
///     EventRecord::new("ana", day(3)).with_name("email"),
///     EventRecord::new("ana", day(4)).with_name("order").with_amount(80.0),
///     EventRecord::new("bo", day(2)).with_name("display"),
/// ];
/// let rules = JourneyRules::new()
///     .conversions(ConversionRule::Named(vec!["order".into()]))
///     .lookback(TimeDelta::days(30))?;
/// let journeys = fold(JourneySummary::new(rules), &log)?.finish()?;
/// assert_eq!(journeys.channels(), ["display", "email", "search"]);
/// let paths = journeys.paths()?;
/// assert_eq!(paths.to_string().lines().nth(1).unwrap().split_whitespace().collect::<Vec<_>>(),
///            ["display", "0", "0.00", "1"]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct JourneySummary<U> {
    rules: JourneyRules,
    users: Dictionary<U>,
    channels: Dictionary<String>,
    points: Vec<Point>,
}

impl<U: Clone + Eq + Hash + Ord> JourneySummary<U> {
    /// An empty summary with these rules.
    ///
    /// ```
    /// let s = userops::attribution::JourneySummary::<u64>::new(Default::default());
    /// assert!(s.is_empty());
    /// ```
    #[must_use]
    pub fn new(rules: JourneyRules) -> Self {
        JourneySummary {
            rules,
            users: Dictionary::new(),
            channels: Dictionary::with_limit(MAX_CHANNELS),
            points: Vec::new(),
        }
    }

    /// The rules.
    ///
    /// ```
    /// let s = userops::attribution::JourneySummary::<u64>::new(Default::default());
    /// assert_eq!(s.rules().lookback_window(), None);
    /// ```
    #[must_use]
    pub fn rules(&self) -> &JourneyRules {
        &self.rules
    }

    /// Number of users seen (with a touchpoint or a conversion).
    ///
    /// ```
    /// let s = userops::attribution::JourneySummary::<u64>::new(Default::default());
    /// assert_eq!(s.len(), 0);
    /// ```
    #[must_use]
    pub fn len(&self) -> usize {
        self.users.len()
    }

    /// Whether no user has been seen.
    ///
    /// ```
    /// let s = userops::attribution::JourneySummary::<u64>::new(Default::default());
    /// assert!(s.is_empty());
    /// ```
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.users.is_empty()
    }

    /// Adds a touchpoint of `channel` by `user` at `at`: for a host whose events map to
    /// channels by a rule of its own.
    ///
    /// # Errors
    /// [`Error::InstantOutOfRange`] for an instant outside the supported years;
    /// [`Error::TooLarge`] past [`MAX_CHANNELS`] channels; [`Error::TooManyUsers`] past the
    /// dictionary's limit.
    ///
    /// ```
    /// use chrono::DateTime;
    /// use userops::attribution::JourneySummary;
    /// use userops::fold::Summary;
    /// let mut s = JourneySummary::new(Default::default());
    /// s.touch(&7_u64, DateTime::UNIX_EPOCH, "newsletter")?;
    /// s.convert(&7_u64, DateTime::UNIX_EPOCH, 12.0)?;
    /// assert_eq!(s.finish().unwrap().conversions(), 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn touch(&mut self, user: &U, at: DateTime<Utc>, channel: &str) -> Result<()> {
        let at = crate::time::check_instant("touchpoint time", at)?;
        let channel = self.channel_index(channel)?;
        let user = self.users.intern(user)?;
        self.points.push(Point {
            user,
            channel,
            at_ms: at.timestamp_millis(),
            value: 0.0,
        });
        Ok(())
    }

    /// Adds a conversion worth `value` by `user` at `at`.
    ///
    /// # Errors
    /// [`Error::NonFinite`] or [`Error::Negative`] for a value that is not a finite,
    /// non-negative number; [`Error::InstantOutOfRange`]; [`Error::TooManyUsers`].
    ///
    /// ```
    /// use chrono::DateTime;
    /// let mut s = userops::attribution::JourneySummary::new(Default::default());
    /// assert!(s.convert(&1_u8, DateTime::UNIX_EPOCH, -5.0).is_err());
    /// assert!(s.convert(&1_u8, DateTime::UNIX_EPOCH, f64::NAN).is_err());
    /// assert!(s.is_empty());
    /// ```
    pub fn convert(&mut self, user: &U, at: DateTime<Utc>, value: f64) -> Result<()>
    where
        U: fmt::Debug,
    {
        check_value(value, || format!("{user:?}"))?;
        let at = crate::time::check_instant("conversion time", at)?;
        let user = self.users.intern(user)?;
        self.points.push(Point {
            user,
            channel: CONVERSION,
            at_ms: at.timestamp_millis(),
            value,
        });
        Ok(())
    }

    fn channel_index(&mut self, channel: &str) -> Result<u32> {
        self.channels
            .intern_ref(channel)
            .map_err(|_| Error::TooLarge {
                name: "channels",
                requested: format!("more than {MAX_CHANNELS} channels"),
                cap: format!("{MAX_CHANNELS} channels"),
                hint: "map event names to fewer channels (ChannelRule::Mapped)",
            })
    }
}

/// `Ok` for a finite, non-negative conversion value.
fn check_value(value: f64, user: impl FnOnce() -> String) -> Result<()> {
    if !value.is_finite() {
        return Err(Error::NonFinite {
            field: "conversion value",
            value,
            user: user(),
        });
    }
    if value < 0.0 {
        return Err(Error::Negative {
            field: "conversion value",
            value,
            user: user(),
            hint: "; a refund is not a conversion: leave it out of the attribution log",
        });
    }
    Ok(())
}

impl<E: Event> Fold<E> for JourneySummary<E::User> {
    #[inline]
    fn observe(&mut self, event: &E) -> Result<()> {
        let amount = checked_amount(event)?;
        match self.rules.classify(event.name(), amount) {
            Mark::Other => Ok(()),
            Mark::Conversion => self.convert(event.user(), checked_at(event)?, amount),
            Mark::Touch(channel) => {
                let at = checked_at(event)?;
                // `channel` borrows the rules or the event; intern it before the user.
                let channel = match self.channels.get(channel) {
                    Some(i) => i,
                    None => {
                        let owned = channel.to_string();
                        self.channel_index(&owned)?
                    }
                };
                let user = self.users.intern(event.user())?;
                self.points.push(Point {
                    user,
                    channel,
                    at_ms: at.timestamp_millis(),
                    value: 0.0,
                });
                Ok(())
            }
        }
    }
}

impl<U: Clone + Eq + Hash + Ord + fmt::Debug> FoldTable<U> for JourneySummary<U> {
    fn observe_part(&mut self, table: &EventTable<U>, part: &TablePart) -> Result<()> {
        let rows = part.rows_in(table.len());
        // What each of the table's event names is, decided once per name.
        let names = table.names().values();
        let mut kinds: Vec<Option<u32>> = Vec::with_capacity(names.len());
        let mut converts: Vec<bool> = Vec::with_capacity(names.len());
        for name in names {
            // A payment rule looks at the amount of each row: a named row may be either.
            let (conversion, channel) = match self.rules.classify(Some(name), 0.0) {
                Mark::Conversion => (true, None),
                Mark::Touch(c) => (false, Some(c.to_string())),
                Mark::Other => (false, None),
            };
            converts.push(conversion);
            kinds.push(match channel {
                Some(c) => Some(self.channel_index(&c)?),
                None => None,
            });
        }
        let payments = self.rules.conversion == ConversionRule::Payments;
        let mut users = TableUsers::new(table);
        let columns = table.user_column()[rows.clone()]
            .iter()
            .zip(&table.at_column()[rows.clone()])
            .zip(&table.amount_column()[rows.clone()])
            .zip(&table.name_column()[rows.clone()]);
        for (i, (((&user, &at), &amount), &name)) in columns.enumerate() {
            if !part.holds(user) {
                continue;
            }
            if !amount.is_finite() {
                // The event road refuses any event with such an amount; it names the user.
                let row = table.row(rows.start + i).ok_or(Error::Empty("table row"))?;
                return self.observe(&row);
            }
            let name = name as usize;
            let conversion = if payments {
                amount != 0.0
            } else {
                converts.get(name).copied().unwrap_or(false)
            };
            let channel = if conversion {
                CONVERSION
            } else {
                match kinds.get(name) {
                    Some(Some(c)) => *c,
                    _ => continue,
                }
            };
            if conversion && amount < 0.0 {
                // The plain road reports the row with its user.
                let row = table.row(rows.start + i).ok_or(Error::Empty("table row"))?;
                return self.observe(&row);
            }
            let user = users.index_with(user, |id| self.users.intern(id))?;
            self.points.push(Point {
                user,
                channel,
                at_ms: at.div_euclid(1000),
                value: if conversion { amount } else { 0.0 },
            });
        }
        Ok(())
    }
}

impl<U: Clone + Eq + Hash + Ord> Summary for JourneySummary<U> {
    type Output = Journeys;

    fn merge(&mut self, other: Self) -> Result<()> {
        if self.rules != other.rules {
            return Err(Error::MergeMismatch(
                "journey summaries with different rules (conversions, channels or lookback)".into(),
            ));
        }
        let users = self.users.absorb(&other.users)?;
        let channels = self.channels.absorb(&other.channels)?;
        self.points.reserve(other.points.len());
        for p in other.points {
            self.points.push(Point {
                user: users[p.user as usize],
                channel: if p.channel == CONVERSION {
                    CONVERSION
                } else {
                    channels[p.channel as usize]
                },
                ..p
            });
        }
        Ok(())
    }

    fn finish(self) -> Result<Journeys> {
        Ok(Journeys::from_points(
            self.users.len(),
            self.channels.values(),
            self.points,
            self.rules.lookback_ms,
        ))
    }
}

impl<U: PartialEq> PartialEq for JourneySummary<U> {
    fn eq(&self, other: &Self) -> bool {
        self.rules == other.rules
            && self.users == other.users
            && self.channels == other.channels
            && self.points == other.points
    }
}

/// The serialized form of a [`JourneySummary`].
#[derive(Serialize)]
#[serde(rename = "JourneySummary")]
struct StateRef<'a, U> {
    rules: &'a JourneyRules,
    users: &'a [U],
    channels: &'a [String],
    /// `[user, channel, at_ms, value]`, channel `4294967295` for a conversion.
    points: Vec<(u32, u32, i64, f64)>,
}

#[derive(Deserialize)]
#[serde(rename = "JourneySummary")]
struct State<U> {
    rules: JourneyRules,
    users: Vec<U>,
    channels: Vec<String>,
    points: Vec<(u32, u32, i64, f64)>,
}

impl<U: Serialize> Serialize for JourneySummary<U> {
    fn serialize<S: serde::Serializer>(
        &self,
        serializer: S,
    ) -> std::result::Result<S::Ok, S::Error> {
        StateRef {
            rules: &self.rules,
            users: self.users.values(),
            channels: self.channels.values(),
            points: self
                .points
                .iter()
                .map(|p| (p.user, p.channel, p.at_ms, p.value))
                .collect(),
        }
        .serialize(serializer)
    }
}

impl<'de, U> Deserialize<'de> for JourneySummary<U>
where
    U: Clone + Eq + Hash + Ord + Deserialize<'de>,
{
    fn deserialize<D: serde::Deserializer<'de>>(
        deserializer: D,
    ) -> std::result::Result<Self, D::Error> {
        use serde::de::Error as _;
        let state = State::<U>::deserialize(deserializer)?;
        if let Some(ms) = state.rules.lookback_ms {
            if ms <= 0 {
                return Err(D::Error::custom("a lookback window that is not positive"));
            }
        }
        if state.channels.len() > MAX_CHANNELS as usize {
            return Err(D::Error::custom(format!(
                "more than {MAX_CHANNELS} channels"
            )));
        }
        let users = Dictionary::from_values(state.users).map_err(D::Error::custom)?;
        let mut channels = Dictionary::with_limit(MAX_CHANNELS);
        for c in &state.channels {
            let before = channels.len();
            if channels.intern(c).map_err(D::Error::custom)? as usize != before {
                return Err(D::Error::custom(format!("channel {c:?} listed twice")));
            }
        }
        let mut points = Vec::with_capacity(state.points.len());
        for (user, channel, at_ms, value) in state.points {
            if user as usize >= users.len() {
                return Err(D::Error::custom(format!("a point of unknown user {user}")));
            }
            if channel != CONVERSION && channel as usize >= channels.len() {
                return Err(D::Error::custom(format!(
                    "a point of unknown channel {channel}"
                )));
            }
            let at = DateTime::from_timestamp_millis(at_ms)
                .ok_or_else(|| D::Error::custom(format!("instant {at_ms} ms out of range")))?;
            crate::time::check_instant("point time", at).map_err(D::Error::custom)?;
            if channel == CONVERSION {
                check_value(value, String::new).map_err(D::Error::custom)?;
            } else if value != 0.0 {
                return Err(D::Error::custom("a touchpoint with a value"));
            }
            points.push(Point {
                user,
                channel,
                at_ms,
                value,
            });
        }
        Ok(JourneySummary {
            rules: state.rules,
            users,
            channels,
            points,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn point_is_24_bytes() {
        assert_eq!(std::mem::size_of::<Point>(), 24);
    }
}
