//! Preference tags: which features each user uses in how many of their active periods.

use std::collections::HashMap;
use std::fmt;
use std::hash::Hash;

use chrono::{DateTime, TimeZone, Utc};
use serde::{Deserialize, Serialize};

use super::summary::truncate;
use crate::engine::{Dictionary, PerUser};
use crate::event::{Event, checked_at};
use crate::fold::{Fold, Summary};
use crate::time::{Calendar, Interval, NamedZone, Period};
use crate::{Error, Result};

/// The default trailing window, in periods (three months).
const DEFAULT_PERIODS: usize = 3;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct UserUse {
    /// Bit `i`: active in window period `i`.
    active: u64,
    /// Per feature id: bit `i` set when the feature was used in window period `i`.
    used: Vec<(u32, u64)>,
}

/// Per user, over a trailing window of calendar periods ending with the period of `as_of`
/// (default: 3 months), the periods in which the user was active and, for each feature (event
/// name), the periods in which they used it.
///
/// A user's **preference share** for a feature is the share of their active periods in which
/// they used it: a user active in January and March who opened "car control" in both and
/// "community" in March only has car control 100%, community 50%. Events without a name make
/// a period active but use no feature. Events after `as_of` or before the window are skipped
/// and counted. Memory: two words per user plus one per feature a user used.
///
/// ```
/// use chrono::{TimeZone, Utc};
/// use userops::event::EventRecord;
/// use userops::fold::{fold, Summary};
/// use userops::metric::PreferenceSummary;
/// use userops::time::Zone;
///
/// let t = |m, d| Utc.with_ymd_and_hms(2025, m, d, 12, 0, 0).unwrap();
/// let log = vec![
///     EventRecord::<u32>::new(1_u32, t(1, 5)).with_name("car_control"),
///     EventRecord::new(1_u32, t(3, 2)).with_name("car_control"),
///     EventRecord::new(1_u32, t(3, 9)).with_name("community"),
/// ];
/// let prefs = fold(PreferenceSummary::months(Zone::Utc, t(3, 31))?, &log)?.finish()?;
/// let u = &prefs.users[0];
/// assert_eq!(u.active_periods, 2);
/// assert_eq!((u.shares[0].feature.as_str(), u.shares[0].share), ("car_control", 1.0));
/// assert_eq!((u.shares[1].feature.as_str(), u.shares[1].share), ("community", 0.5));
/// assert_eq!(u.tags(3, 0.5), ["car_control", "community"]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(
    bound(
        serialize = "U: Serialize, Tz: NamedZone",
        deserialize = "U: Deserialize<'de> + Clone + Eq + Hash + Ord, Tz: NamedZone"
    ),
    try_from = "PreferenceParts<U, Tz>"
)]
pub struct PreferenceSummary<U, Tz: TimeZone = crate::time::Zone> {
    calendar: Calendar<Tz>,
    as_of: DateTime<Utc>,
    /// The window's first period (from the calendar, `as_of` and `periods`).
    #[serde(skip)]
    first: Period,
    periods: usize,
    /// Every feature (event name) seen, by id.
    features: Dictionary<String>,
    users: PerUser<U, UserUse>,
    outside: u64,
}

/// A serialized [`PreferenceSummary`], checked on the way in.
#[derive(Deserialize)]
#[serde(bound(deserialize = "U: Deserialize<'de> + Clone + Eq + Hash + Ord, Tz: NamedZone"))]
struct PreferenceParts<U, Tz: TimeZone> {
    calendar: Calendar<Tz>,
    as_of: DateTime<Utc>,
    periods: usize,
    features: Dictionary<String>,
    users: PerUser<U, UserUse>,
    outside: u64,
}

impl<U: Clone + Eq + Hash + Ord, Tz: TimeZone> TryFrom<PreferenceParts<U, Tz>>
    for PreferenceSummary<U, Tz>
{
    type Error = Error;

    /// Only a state a fold can make: every user active in some period of the window, each
    /// feature of a user a known one, used at most once in the list, in periods the user was
    /// active in.
    fn try_from(parts: PreferenceParts<U, Tz>) -> Result<Self> {
        let mut summary = PreferenceSummary::new(parts.calendar, parts.as_of, parts.periods)?;
        let window = u64::MAX >> (64 - parts.periods);
        let features = parts.features.len();
        for u in parts.users.states() {
            let unknown = u.used.iter().enumerate().any(|(k, &(f, mask))| {
                f as usize >= features
                    || mask == 0
                    || mask & !u.active != 0
                    || u.used.iter().take(k).any(|&(g, _)| g == f)
            });
            if u.active == 0 || u.active & !window != 0 || unknown {
                return Err(Error::invalid(
                    "users",
                    "a user's periods or features are not ones a fold of this window makes",
                ));
            }
        }
        summary.features = parts.features;
        summary.users = parts.users;
        summary.outside = parts.outside;
        Ok(summary)
    }
}

impl<U: Eq + Hash, Tz: TimeZone> PreferenceSummary<U, Tz> {
    /// A summary over the `periods` periods of `calendar` ending with the period of `as_of`.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for `periods` outside `1..=64`.
    ///
    /// ```
    /// use chrono::{DateTime, Utc};
    /// use userops::metric::PreferenceSummary;
    /// use userops::time::{Calendar, Interval};
    /// let s = PreferenceSummary::<u64, _>::new(Calendar::new(Utc, Interval::Month), DateTime::UNIX_EPOCH, 6)?;
    /// assert!(PreferenceSummary::<u64, _>::new(Calendar::new(Utc, Interval::Month), DateTime::UNIX_EPOCH, 0).is_err());
    /// # let _ = s;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn new(calendar: Calendar<Tz>, as_of: DateTime<Utc>, periods: usize) -> Result<Self> {
        if !(1..=64).contains(&periods) {
            return Err(Error::invalid(
                "periods",
                format!("the trailing window must have 1 to 64 periods, got {periods}"),
            ));
        }
        let first = calendar.period_of(as_of).offset(1 - periods as i64);
        Ok(PreferenceSummary {
            calendar,
            as_of,
            first,
            periods,
            features: Dictionary::new(),
            users: PerUser::new(),
            outside: 0,
        })
    }

    /// The default: the 3 calendar months (in zone `tz`) ending with the month of `as_of`.
    ///
    /// # Errors
    /// Never in practice; the signature matches [`PreferenceSummary::new`].
    ///
    /// ```
    /// let s = userops::metric::PreferenceSummary::<u64, _>::months(chrono::Utc, chrono::DateTime::UNIX_EPOCH)?;
    /// # let _ = s;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn months(tz: Tz, as_of: DateTime<Utc>) -> Result<Self> {
        PreferenceSummary::new(Calendar::new(tz, Interval::Month), as_of, DEFAULT_PERIODS)
    }

    fn feature_id(&mut self, name: &str) -> Result<u32> {
        match self.features.get(name) {
            Some(i) => Ok(i),
            None => self.features.intern(&name.to_string()),
        }
    }
}

impl UserUse {
    const NONE: UserUse = UserUse {
        active: 0,
        used: Vec::new(),
    };
}

/// Marks `user` active in the periods of `bits`, and using `feature` in them.
fn mark(user: &mut UserUse, bits: u64, feature: Option<u32>) {
    user.active |= bits;
    if let Some(f) = feature {
        match user.used.iter_mut().find(|(g, _)| *g == f) {
            Some((_, mask)) => *mask |= bits,
            None => user.used.push((f, bits)),
        }
    }
}

impl<E, Tz> Fold<E> for PreferenceSummary<E::User, Tz>
where
    E: Event,
    Tz: TimeZone + PartialEq,
{
    fn observe(&mut self, event: &E) -> Result<()> {
        let at = checked_at(event)?;
        if at > self.as_of {
            self.outside += 1;
            return Ok(());
        }
        let idx = self.first.periods_until(&self.calendar.period_of(at));
        if idx < 0 || idx >= self.periods as i64 {
            self.outside += 1;
            return Ok(());
        }
        let bit = 1_u64 << idx;
        let feature = event.name().map(|n| self.feature_id(n)).transpose()?;
        mark(
            self.users.entry(event.user(), || UserUse::NONE)?,
            bit,
            feature,
        );
        Ok(())
    }
}

/// One feature's share for one user.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FeatureShare {
    /// The feature (event name).
    pub feature: String,
    /// Active periods in which the user used it.
    pub periods: u32,
    /// `periods / active periods`, in `(0, 1]`.
    pub share: f64,
}

/// One user's preferences.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UserPreferences<U> {
    /// The user.
    pub user: U,
    /// Periods of the window in which the user was active.
    pub active_periods: u32,
    /// Features used, highest share first (ties by name).
    pub shares: Vec<FeatureShare>,
}

impl<U> UserPreferences<U> {
    /// The user's top `top` features with a share of at least `min_share`: their preference
    /// tags.
    ///
    /// ```
    /// use userops::metric::{FeatureShare, UserPreferences};
    /// let u = UserPreferences { user: 1, active_periods: 10, shares: vec![
    ///     FeatureShare { feature: "car_control".into(), periods: 9, share: 0.9 },
    ///     FeatureShare { feature: "activities".into(), periods: 5, share: 0.5 },
    ///     FeatureShare { feature: "community".into(), periods: 4, share: 0.4 },
    /// ]};
    /// assert_eq!(u.tags(2, 0.3), ["car_control", "activities"]);
    /// assert_eq!(u.tags(5, 0.45), ["car_control", "activities"]);
    /// ```
    pub fn tags(&self, top: usize, min_share: f64) -> Vec<&str> {
        self.shares
            .iter()
            .filter(|s| s.share >= min_share)
            .take(top)
            .map(|s| s.feature.as_str())
            .collect()
    }
}

/// One feature in a group's profile.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FeatureProfile {
    /// The feature.
    pub feature: String,
    /// Mean preference share over the group's users (0 for a user who never used it).
    pub mean_share: f64,
    /// Users of the group who used it at least once.
    pub users_using: u64,
    /// `users_using / users`.
    pub share_of_users: f64,
}

/// The preference profile of a group of users (a segment, a lifecycle state).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GroupProfile {
    /// Users of the group found in the window.
    pub users: u64,
    /// Features, highest mean share first (ties by name).
    pub features: Vec<FeatureProfile>,
}

impl fmt::Display for GroupProfile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:<20} {:>12} {:>12}   ({} users)",
            "feature", "mean share", "users using", self.users
        )?;
        for p in &self.features {
            write!(
                f,
                "\n{:<20} {:>11.1}% {:>11.1}%",
                truncate(&p.feature, 20),
                p.mean_share * 100.0,
                p.share_of_users * 100.0
            )?;
        }
        Ok(())
    }
}

/// Every user's preference shares over the window.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PreferenceReport<U> {
    /// The window's periods, oldest first.
    pub periods: Vec<Period>,
    /// Every feature seen, by name.
    pub features: Vec<String>,
    /// One row per user active in the window, ordered by user.
    pub users: Vec<UserPreferences<U>>,
    /// Events skipped because they were outside the window.
    pub outside_window: u64,
}

impl<U> PreferenceReport<U> {
    /// The preference profile of the users for which `member` is true.
    ///
    /// ```
    /// use userops::metric::{FeatureShare, PreferenceReport, UserPreferences};
    /// let user = |id, shares: Vec<(&str, f64)>| UserPreferences { user: id, active_periods: 2,
    ///     shares: shares.into_iter().map(|(f, s)| FeatureShare { feature: f.into(), periods: (s * 2.0) as u32, share: s }).collect() };
    /// let report = PreferenceReport { periods: vec![], features: vec!["a".into(), "b".into()], outside_window: 0,
    ///     users: vec![user(1, vec![("a", 1.0)]), user(2, vec![("a", 0.5), ("b", 0.5)]), user(3, vec![("b", 1.0)])] };
    /// let dormant = report.profile(|u| *u != 3);
    /// assert_eq!(dormant.users, 2);
    /// assert_eq!((dormant.features[0].feature.as_str(), dormant.features[0].mean_share), ("a", 0.75));
    /// assert_eq!(dormant.features[1].mean_share, 0.25);
    /// ```
    pub fn profile(&self, member: impl Fn(&U) -> bool) -> GroupProfile {
        let mut sums: HashMap<&str, (f64, u64)> = HashMap::new();
        let mut n = 0_u64;
        for u in self.users.iter().filter(|u| member(&u.user)) {
            n += 1;
            for s in &u.shares {
                let e = sums.entry(s.feature.as_str()).or_insert((0.0, 0));
                e.0 += s.share;
                e.1 += 1;
            }
        }
        let mut features: Vec<FeatureProfile> = sums
            .into_iter()
            .map(|(feature, (sum, using))| FeatureProfile {
                feature: feature.to_string(),
                mean_share: sum / n as f64,
                users_using: using,
                share_of_users: using as f64 / n as f64,
            })
            .collect();
        features.sort_by(|a, b| {
            b.mean_share
                .total_cmp(&a.mean_share)
                .then_with(|| a.feature.cmp(&b.feature))
        });
        GroupProfile { users: n, features }
    }

    /// Each user's preference tags (see [`UserPreferences::tags`]).
    ///
    /// ```
    /// use userops::metric::{FeatureShare, PreferenceReport, UserPreferences};
    /// let report = PreferenceReport { periods: vec![], features: vec!["a".into()], outside_window: 0,
    ///     users: vec![UserPreferences { user: 'x', active_periods: 1,
    ///         shares: vec![FeatureShare { feature: "a".into(), periods: 1, share: 1.0 }] }] };
    /// assert_eq!(report.tags(3, 0.5), vec![('x', vec!["a".to_string()])]);
    /// ```
    #[must_use]
    pub fn tags(&self, top: usize, min_share: f64) -> Vec<(U, Vec<String>)>
    where
        U: Clone,
    {
        self.users
            .iter()
            .map(|u| {
                (
                    u.user.clone(),
                    u.tags(top, min_share)
                        .into_iter()
                        .map(str::to_string)
                        .collect(),
                )
            })
            .collect()
    }
}

impl<U: fmt::Debug> fmt::Display for PreferenceReport<U> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let window = match (self.periods.first(), self.periods.last()) {
            (Some(a), Some(b)) => format!("{a} to {b}"),
            _ => "-".into(),
        };
        writeln!(
            f,
            "preferences over {window}: {} active users, {} features",
            self.users.len(),
            self.features.len()
        )?;
        writeln!(f, "{}", self.profile(|_| true))?;
        writeln!(
            f,
            "{:<12} tags (up to 3 features used in 30% or more of the user's active periods)",
            "user"
        )?;
        crate::report::rows(f, &self.users, "users", |f, u| {
            writeln!(
                f,
                "{:<12} {}",
                truncate(&format!("{:?}", u.user), 12),
                u.tags(3, 0.3).join(", ")
            )
        })
    }
}

impl<U: Clone + Eq + Hash + Ord, Tz: TimeZone + PartialEq> Summary for PreferenceSummary<U, Tz> {
    type Output = PreferenceReport<U>;

    fn merge(&mut self, other: Self) -> Result<()> {
        if self.calendar != other.calendar
            || self.as_of != other.as_of
            || self.periods != other.periods
        {
            return Err(Error::MergeMismatch(
                "preference summaries use different calendars, as-of instants or windows".into(),
            ));
        }
        self.outside += other.outside;
        // Their feature ids, as ids of this summary's features.
        let remap = self.features.absorb(&other.features)?;
        let mut theirs = other.users;
        for u in theirs.states_mut() {
            for (f, _) in &mut u.used {
                *f = remap.get(*f as usize).copied().unwrap_or(*f);
            }
        }
        self.users.merge(theirs, |mine, theirs| {
            mine.active |= theirs.active;
            for (f, mask) in theirs.used {
                mark(mine, mask, Some(f));
            }
        })
    }

    fn finish(self) -> Result<PreferenceReport<U>> {
        let features = self.features.into_values();
        let mut users: Vec<UserPreferences<U>> = self
            .users
            .into_iter()
            .map(|(user, u)| {
                let active = u.active.count_ones();
                let mut shares: Vec<FeatureShare> = u
                    .used
                    .iter()
                    .map(|(f, mask)| {
                        let periods = mask.count_ones();
                        FeatureShare {
                            feature: features.get(*f as usize).cloned().unwrap_or_default(),
                            periods,
                            share: f64::from(periods) / f64::from(active.max(1)),
                        }
                    })
                    .collect();
                shares.sort_by(|a, b| {
                    b.share
                        .total_cmp(&a.share)
                        .then_with(|| a.feature.cmp(&b.feature))
                });
                UserPreferences {
                    user,
                    active_periods: active,
                    shares,
                }
            })
            .collect();
        users.sort_by(|a, b| a.user.cmp(&b.user));
        let mut names = features;
        names.sort();
        Ok(PreferenceReport {
            periods: (0..self.periods as i64)
                .map(|i| self.first.offset(i))
                .collect(),
            features: names,
            users,
            outside_window: self.outside,
        })
    }
}
