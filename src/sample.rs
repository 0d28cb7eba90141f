//! A deterministic, seeded generator of a realistic product's event log, for the `tour`,
//! examples, benchmarks and tests.
//!
//! The simulated product has users who sign up over a number of months through acquisition
//! channels that cost money, use the product in sessions (with durations and feature names),
//! buy with Gamma-distributed amounts, go dormant, churn and sometimes come back. The same
//! [`SampleConfig`] gives the same log on every machine: the generator uses its own small
//! PRNG (xoshiro256++ seeded by SplitMix64), never a global RNG or the wall clock.
//!
//! Events come out **grouped by user** (ids `0..users`) and in time order within a user,
//! which is what a database export ordered by user looks like. An application's own event
//! log is in time order instead, users interleaved: [`SampleData::into_order`] with
//! [`Order::Time`] gives that (what the benchmarks and the `scale` example use by default);
//! shuffle the events to test order independence.
//!
//! ```
//! use userops::sample::{generate, SampleConfig};
//!
//! let a = generate(&SampleConfig::new(200).seed(7))?;
//! let b = generate(&SampleConfig::new(200).seed(7))?;
//! assert_eq!(a.events, b.events); // same seed, same log
//! assert_eq!(a.users.len(), 200);
//! assert!(a.events.iter().any(|e| e.amount > 0.0));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use chrono::{DateTime, Months, NaiveDate, TimeDelta, Utc};
use serde::{Deserialize, Serialize};

use crate::event::{Event, SignUp, UserAttribute};
use crate::{Error, Result};

/// The feature (event name) of each session kind, indexed by [`SampleEvent::feature`].
pub const FEATURES: [&str; 6] = [
    "signup",
    "order",
    "browse",
    "search",
    "community",
    "car_control",
];

/// Acquisition channels and their cost per acquired user (in currency units).
pub const CHANNELS: [(&str, f64); 4] = [
    ("organic", 0.0),
    ("search_ads", 18.0),
    ("social_ads", 11.0),
    ("referral", 6.0),
];

/// The most users [`generate`] makes (20 million): the users and their events are held in
/// memory. Above it [`generate`] gives [`Error::TooLarge`].
pub const MAX_SAMPLE_USERS: u64 = 20_000_000;

/// The most events [`generate`] is asked for, `users × (events_per_user + 1.5)` (the sign-up
/// and first order come on top of the sessions): 200 million, about 8 GB. Above it
/// [`generate`] gives [`Error::TooLarge`].
pub const MAX_SAMPLE_EVENTS: u64 = 200_000_000;

/// Regions users come from.
pub const REGIONS: [&str; 3] = ["north", "south", "west"];

/// Settings of the generator.
///
/// ```
/// let cfg = userops::sample::SampleConfig::new(1_000).months(12).events_per_user(20.0).seed(42);
/// assert_eq!(cfg.users, 1_000);
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SampleConfig {
    /// Number of users (ids `0..users`).
    pub users: u64,
    /// Months of history (sign-ups spread over them).
    pub months: u32,
    /// The first day of the first month (UTC).
    pub start: NaiveDate,
    /// Mean number of events per user (sessions and orders, sign-up excluded).
    pub events_per_user: f64,
    /// Share of users who ever pay.
    pub payer_share: f64,
    /// The seed.
    pub seed: u64,
}

impl SampleConfig {
    /// `users` users over 24 months from 2024-01-01, about 10 events each, 35% payers, seed 1.
    ///
    /// ```
    /// assert_eq!(userops::sample::SampleConfig::new(10).months, 24);
    /// ```
    #[must_use]
    pub fn new(users: u64) -> Self {
        SampleConfig {
            users,
            months: 24,
            start: NaiveDate::from_ymd_opt(2024, 1, 1).unwrap_or(NaiveDate::MIN),
            events_per_user: 10.0,
            payer_share: 0.35,
            seed: 1,
        }
    }

    /// The tour's data: 3,000 users, 24 months, about 20 events each.
    ///
    /// ```
    /// assert_eq!(userops::sample::SampleConfig::tour().users, 3_000);
    /// ```
    #[must_use]
    pub fn tour() -> Self {
        SampleConfig::new(3_000).events_per_user(20.0)
    }

    /// Sets the seed.
    ///
    /// ```
    /// assert_eq!(userops::sample::SampleConfig::new(1).seed(9).seed, 9);
    /// ```
    #[must_use]
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// Sets the number of months.
    ///
    /// ```
    /// assert_eq!(userops::sample::SampleConfig::new(1).months(6).months, 6);
    /// ```
    #[must_use]
    pub fn months(mut self, months: u32) -> Self {
        self.months = months;
        self
    }

    /// Sets the mean number of events per user.
    ///
    /// ```
    /// assert_eq!(userops::sample::SampleConfig::new(1).events_per_user(3.0).events_per_user, 3.0);
    /// ```
    #[must_use]
    pub fn events_per_user(mut self, mean: f64) -> Self {
        self.events_per_user = mean;
        self
    }

    /// Sets the share of users who ever pay.
    ///
    /// ```
    /// assert_eq!(userops::sample::SampleConfig::new(1).payer_share(1.0).payer_share, 1.0);
    /// ```
    #[must_use]
    pub fn payer_share(mut self, share: f64) -> Self {
        self.payer_share = share;
        self
    }

    fn check(&self) -> Result<()> {
        if self.users == 0 {
            return Err(Error::invalid("users", "must be at least 1"));
        }
        if self.users > MAX_SAMPLE_USERS {
            return Err(Error::TooLarge {
                name: "users",
                requested: format!("{} users", self.users),
                cap: format!("{MAX_SAMPLE_USERS} users"),
                hint: "generate fewer users (or several logs with different seeds)",
            });
        }
        if self.months == 0 || self.months > 1200 {
            return Err(Error::invalid(
                "months",
                format!("must be 1..=1200, got {}", self.months),
            ));
        }
        if !(self.events_per_user.is_finite()
            && self.events_per_user >= 0.0
            && self.events_per_user <= 1.0e6)
        {
            return Err(Error::invalid(
                "events_per_user",
                format!(
                    "must be a finite number in 0..=1e6, got {}",
                    self.events_per_user
                ),
            ));
        }
        let expected_events = self.users as f64 * (self.events_per_user + 1.5);
        if expected_events > MAX_SAMPLE_EVENTS as f64 {
            return Err(Error::TooLarge {
                name: "events_per_user",
                requested: format!(
                    "about {expected_events:.0} events ({} users × {} events)",
                    self.users,
                    self.events_per_user + 1.5
                ),
                cap: format!("{MAX_SAMPLE_EVENTS} events"),
                hint: "ask for fewer users or fewer events per user",
            });
        }
        if !(0.0..=1.0).contains(&self.payer_share) {
            return Err(Error::invalid(
                "payer_share",
                format!("must be in [0, 1], got {}", self.payer_share),
            ));
        }
        if self
            .start
            .checked_add_months(Months::new(self.months + 1))
            .is_none()
        {
            return Err(Error::invalid(
                "start",
                "start + months is beyond the calendar",
            ));
        }
        Ok(())
    }
}

/// One generated event. `feature` indexes [`FEATURES`]: 0 = sign-up, 1 = order (with an
/// amount), others are sessions (with a duration).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SampleEvent {
    /// User id (`0..users`).
    pub user: u64,
    /// When.
    pub at: DateTime<Utc>,
    /// Amount paid (orders only; 0 otherwise).
    pub amount: f64,
    /// Session length in seconds (sessions only; 0 otherwise).
    pub duration_secs: u32,
    /// Index into [`FEATURES`].
    pub feature: u8,
}

impl Event for SampleEvent {
    type User = u64;
    #[inline]
    fn user(&self) -> &u64 {
        &self.user
    }
    #[inline]
    fn at(&self) -> DateTime<Utc> {
        self.at
    }
    #[inline]
    fn amount(&self) -> f64 {
        self.amount
    }
    #[inline]
    fn name(&self) -> Option<&str> {
        FEATURES.get(usize::from(self.feature)).copied()
    }
    #[inline]
    fn duration(&self) -> Option<TimeDelta> {
        (self.duration_secs > 0).then(|| TimeDelta::seconds(i64::from(self.duration_secs)))
    }
}

/// One generated user.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SampleUser {
    /// User id.
    pub id: u64,
    /// Sign-up instant.
    pub signed_up: DateTime<Utc>,
    /// Acquisition channel (a name from [`CHANNELS`]).
    pub channel: String,
    /// Region (a name from [`REGIONS`]).
    pub region: String,
}

/// Marketing spend of one channel in one month.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChannelSpend {
    /// Channel name.
    pub channel: String,
    /// First day of the month.
    pub month: NaiveDate,
    /// Money spent.
    pub spend: f64,
}

/// A generated log: events grouped by user, the users, and channel spend per month.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SampleData {
    /// The settings it was made with.
    pub config: SampleConfig,
    /// Events, grouped by user and in time order within a user.
    pub events: Vec<SampleEvent>,
    /// Users, indexed by id.
    pub users: Vec<SampleUser>,
    /// Spend per channel and month.
    pub spend: Vec<ChannelSpend>,
    /// The end of the simulated history (exclusive): the natural "as of" instant.
    pub end: DateTime<Utc>,
}

/// The order of a generated log's events.
///
/// ```
/// use userops::sample::Order;
/// assert_eq!("time".parse::<Order>()?, Order::Time);
/// assert_eq!("user".parse::<Order>()?, Order::User);
/// assert!("random".parse::<Order>().is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Order {
    /// Grouped by user, ids ascending, in time order within a user: as [`generate`] makes
    /// it (a database export ordered by user).
    User,
    /// In time order, users interleaved, as an application writes its event log: sorted by
    /// instant (stable), so events at the same instant stay in user-id order and one user's
    /// events at the same instant in the order they were generated.
    Time,
}

impl Order {
    /// The flag value: `"user"` or `"time"`.
    ///
    /// ```
    /// assert_eq!(userops::sample::Order::Time.name(), "time");
    /// ```
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Order::User => "user",
            Order::Time => "time",
        }
    }
}

impl std::str::FromStr for Order {
    type Err = Error;

    /// `user` (or `grouped`) and `time`, in any case.
    fn from_str(s: &str) -> Result<Order> {
        match s.trim().to_ascii_lowercase().as_str() {
            "user" | "grouped" => Ok(Order::User),
            "time" => Ok(Order::Time),
            other => Err(Error::invalid(
                "order",
                format!("expected time or user, got {other:?}"),
            )),
        }
    }
}

impl SampleData {
    /// The same log with its events in `order`: [`Order::User`] leaves them as generated,
    /// [`Order::Time`] sorts them by instant (a stable sort: ties stay in user-id order).
    /// Only the order changes: the events are the same, and so is every model's result.
    ///
    /// ```
    /// use userops::sample::{generate, Order, SampleConfig};
    /// let data = generate(&SampleConfig::new(300))?.into_order(Order::Time);
    /// assert!(data.events.windows(2).all(|w| w[0].at <= w[1].at));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn into_order(mut self, order: Order) -> Self {
        match order {
            Order::User => {
                // As generated, unless the caller reordered them: grouped by user again.
                if !self
                    .events
                    .windows(2)
                    .all(|w| (w[0].user, w[0].at) <= (w[1].user, w[1].at))
                {
                    self.events.sort_by_key(|e| (e.user, e.at));
                }
            }
            Order::Time => self.events.sort_by_key(|e| e.at),
        }
        self
    }

    /// Only the orders (events with an amount), grouped by user.
    ///
    /// ```
    /// let data = userops::sample::generate(&userops::sample::SampleConfig::new(100))?;
    /// assert!(data.orders().all(|e| e.amount > 0.0));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn orders(&self) -> impl Iterator<Item = &SampleEvent> {
        self.events.iter().filter(|e| e.feature == 1)
    }

    /// A user's acquisition channel, as a [`UserAttribute`].
    ///
    /// ```
    /// use userops::event::UserAttribute;
    /// let data = userops::sample::generate(&userops::sample::SampleConfig::new(10))?;
    /// assert!(data.channel().attribute(&0).is_some());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn channel(&self) -> impl UserAttribute<u64> + '_ {
        |u: &u64| {
            usize::try_from(*u)
                .ok()
                .and_then(|i| self.users.get(i))
                .map(|x| x.channel.clone())
        }
    }

    /// A user's region, as a [`UserAttribute`].
    ///
    /// ```
    /// use userops::event::UserAttribute;
    /// let data = userops::sample::generate(&userops::sample::SampleConfig::new(10))?;
    /// assert!(data.region().attribute(&0).is_some());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn region(&self) -> impl UserAttribute<u64> + '_ {
        |u: &u64| {
            usize::try_from(*u)
                .ok()
                .and_then(|i| self.users.get(i))
                .map(|x| x.region.clone())
        }
    }
}

impl SignUp<u64> for SampleData {
    fn signed_up(&self, user: &u64) -> Option<DateTime<Utc>> {
        usize::try_from(*user)
            .ok()
            .and_then(|i| self.users.get(i))
            .map(|u| u.signed_up)
    }
}

/// A small, fast, seedable PRNG (xoshiro256++), so that samples are the same everywhere.
///
/// ```
/// let mut a = userops::sample::Rng::new(1);
/// let mut b = userops::sample::Rng::new(1);
/// assert_eq!(a.next_u64(), b.next_u64());
/// let u = a.uniform();
/// assert!((0.0..1.0).contains(&u));
/// ```
#[derive(Debug, Clone)]
pub struct Rng {
    s: [u64; 4],
}

impl Rng {
    /// Seeds the generator (SplitMix64 expands the seed).
    ///
    /// ```
    /// let _ = userops::sample::Rng::new(123);
    /// ```
    #[must_use]
    pub fn new(seed: u64) -> Self {
        let mut x = seed;
        let mut next = || {
            x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = x;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^ (z >> 31)
        };
        Rng {
            s: [next(), next(), next(), next()],
        }
    }

    /// The next 64 random bits.
    ///
    /// ```
    /// let mut r = userops::sample::Rng::new(5);
    /// assert_ne!(r.next_u64(), r.next_u64());
    /// ```
    pub fn next_u64(&mut self) -> u64 {
        let s = &mut self.s;
        let result = s[0].wrapping_add(s[3]).rotate_left(23).wrapping_add(s[0]);
        let t = s[1] << 17;
        s[2] ^= s[0];
        s[3] ^= s[1];
        s[1] ^= s[2];
        s[0] ^= s[3];
        s[2] ^= t;
        s[3] = s[3].rotate_left(45);
        result
    }

    /// Uniform in `[0, 1)`.
    ///
    /// ```
    /// let mut r = userops::sample::Rng::new(5);
    /// assert!(r.uniform() < 1.0);
    /// ```
    pub fn uniform(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// Uniform integer in `0..n` (`0` when `n == 0`).
    ///
    /// ```
    /// let mut r = userops::sample::Rng::new(5);
    /// assert!(r.below(10) < 10);
    /// ```
    pub fn below(&mut self, n: u64) -> u64 {
        if n == 0 {
            return 0;
        }
        ((u128::from(self.next_u64()) * u128::from(n)) >> 64) as u64
    }

    /// Standard normal (Box–Muller).
    ///
    /// ```
    /// let mut r = userops::sample::Rng::new(5);
    /// assert!(r.normal().is_finite());
    /// ```
    pub fn normal(&mut self) -> f64 {
        let u1 = 1.0 - self.uniform(); // (0, 1]
        let u2 = self.uniform();
        (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
    }

    /// Gamma(shape, scale) by Marsaglia & Tsang (shape < 1 boosted); `0` for invalid arguments.
    ///
    /// ```
    /// let mut r = userops::sample::Rng::new(5);
    /// let mean: f64 = (0..20_000).map(|_| r.gamma(2.0, 3.0)).sum::<f64>() / 20_000.0;
    /// assert!((mean - 6.0).abs() < 0.2);
    /// ```
    pub fn gamma(&mut self, shape: f64, scale: f64) -> f64 {
        if !(shape > 0.0 && scale > 0.0 && shape.is_finite() && scale.is_finite()) {
            return 0.0;
        }
        if shape < 1.0 {
            let u = 1.0 - self.uniform();
            return self.gamma(shape + 1.0, scale) * u.powf(1.0 / shape);
        }
        let d = shape - 1.0 / 3.0;
        let c = 1.0 / (9.0 * d).sqrt();
        loop {
            let x = self.normal();
            let v = (1.0 + c * x).powi(3);
            if v <= 0.0 {
                continue;
            }
            let u = 1.0 - self.uniform();
            if u.ln() < 0.5 * x * x + d - d * v + d * v.ln() {
                return d * v * scale;
            }
        }
    }

    /// Poisson(mean): exact (Knuth) below 30, normal approximation above; `0` for invalid means.
    ///
    /// ```
    /// let mut r = userops::sample::Rng::new(5);
    /// let mean: f64 = (0..20_000).map(|_| r.poisson(3.0) as f64).sum::<f64>() / 20_000.0;
    /// assert!((mean - 3.0).abs() < 0.1);
    /// ```
    pub fn poisson(&mut self, mean: f64) -> u64 {
        if !(mean > 0.0 && mean.is_finite()) {
            return 0;
        }
        if mean < 30.0 {
            let l = (-mean).exp();
            let mut k = 0;
            let mut p = 1.0;
            loop {
                p *= self.uniform();
                if p <= l {
                    return k;
                }
                k += 1;
            }
        }
        (mean + mean.sqrt() * self.normal()).round().max(0.0) as u64
    }
}

/// Generates a log.
///
/// Each user signs up in a month drawn with growth over time (later months get more
/// sign-ups), through a channel, and then lives a month-by-month life: active, dormant
/// (skips a month) or churned (gone for good, though 10% come back). The user's events
/// (about `events_per_user` on average, Gamma-distributed across users) fall on days of the
/// active months; payers turn some sessions into orders with Gamma-distributed amounts.
///
/// # Errors
/// [`Error::InvalidParameter`] for zero users, zero months, or out-of-range settings;
/// [`Error::TooLarge`] above [`MAX_SAMPLE_USERS`] users or [`MAX_SAMPLE_EVENTS`] events.
///
/// ```
/// let data = userops::sample::generate(&userops::sample::SampleConfig::new(1_000).seed(3))?;
/// let per_user = data.events.len() as f64 / 1_000.0;
/// assert!(per_user > 8.0 && per_user < 14.0, "{per_user}"); // ~10 events + 1 sign-up each
/// assert!(userops::sample::generate(&userops::sample::SampleConfig::new(0)).is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn generate(config: &SampleConfig) -> Result<SampleData> {
    config.check()?;
    let mut rng = Rng::new(config.seed);
    let months = config.months as usize;
    let month_start: Vec<NaiveDate> = (0..=config.months)
        .map(|m| {
            config
                .start
                .checked_add_months(Months::new(m))
                .unwrap_or(NaiveDate::MAX)
        })
        .collect();
    let to_utc = |d: NaiveDate| d.and_time(chrono::NaiveTime::MIN).and_utc();
    let end = to_utc(month_start[months]);
    // Sign-up month weights grow linearly (a growing product).
    let weights: Vec<f64> = (0..months)
        .map(|m| 1.0 + m as f64 / months as f64)
        .collect();
    let total_w: f64 = weights.iter().sum();
    // Both within the caps `check` enforced.
    let mut users = Vec::with_capacity(usize::try_from(config.users).unwrap_or(0));
    let cap = (config.users as f64 * (config.events_per_user + 1.5)).min(MAX_SAMPLE_EVENTS as f64)
        as usize;
    let mut events = Vec::with_capacity(cap);
    let mut new_by_channel_month = vec![[0_u64; CHANNELS.len()]; months];
    let mut active_months: Vec<usize> = Vec::with_capacity(months);
    let mut days: Vec<(usize, u32)> = Vec::new();

    for id in 0..config.users {
        // Sign-up month and instant.
        let mut pick = rng.uniform() * total_w;
        let mut signup_month = months - 1;
        for (m, w) in weights.iter().enumerate() {
            if pick < *w {
                signup_month = m;
                break;
            }
            pick -= w;
        }
        let days_in = (month_start[signup_month + 1] - month_start[signup_month]).num_days();
        let signup_at = to_utc(month_start[signup_month])
            + TimeDelta::seconds(rng.below((days_in * 86_400) as u64) as i64);
        let channel = match rng.uniform() {
            x if x < 0.45 => 0,
            x if x < 0.70 => 1,
            x if x < 0.90 => 2,
            _ => 3,
        };
        new_by_channel_month[signup_month][channel] += 1;
        let region = rng.below(REGIONS.len() as u64) as usize;
        users.push(SampleUser {
            id,
            signed_up: signup_at,
            channel: CHANNELS[channel].0.to_string(),
            region: REGIONS[region].to_string(),
        });
        events.push(SampleEvent {
            user: id,
            at: signup_at,
            amount: 0.0,
            duration_secs: 0,
            feature: 0,
        });

        // Month-by-month life: 0 active, 1 dormant, 2 churned.
        let loyalty = rng.uniform();
        let mut state = 0_u8;
        active_months.clear();
        for m in signup_month..months {
            if m > signup_month {
                let u = rng.uniform();
                state = match state {
                    0 if u < 0.12 + 0.15 * (1.0 - loyalty) => 2,
                    0 if u < 0.30 + 0.2 * (1.0 - loyalty) => 1,
                    0 => 0,
                    1 if u < 0.35 => 0,
                    1 if u < 0.65 => 2,
                    1 => 1,
                    _ if u < 0.04 => 0,
                    _ => 2,
                };
            }
            if state == 0 {
                active_months.push(m);
            }
        }
        let intensity = rng.gamma(1.5, 1.0 / 1.5);
        let n = rng.poisson(config.events_per_user * intensity);
        if n == 0 {
            continue;
        }
        let payer = rng.uniform() < config.payer_share;
        let order_share = if payer {
            0.1 + 0.3 * rng.uniform()
        } else {
            0.0
        };
        let spend_scale = rng.gamma(4.0, 8.0);
        let favourite = 2 + rng.below(4) as u8;
        // Choose the day (month, second-of-month) of each event.
        days.clear();
        for _ in 0..n {
            let m = active_months[rng.below(active_months.len() as u64) as usize];
            let start = if m == signup_month {
                (signup_at - to_utc(month_start[m])).num_seconds()
            } else {
                0
            };
            let span = (month_start[m + 1] - month_start[m]).num_days() * 86_400 - start;
            let sec = start + rng.below(span.max(1) as u64) as i64;
            days.push((m, sec as u32));
        }
        days.sort_unstable();
        for &(m, sec) in &days {
            let at = to_utc(month_start[m]) + TimeDelta::seconds(i64::from(sec));
            if rng.uniform() < order_share {
                let amount = (rng.gamma(3.0, spend_scale / 3.0) * 100.0).round().max(1.0) / 100.0;
                events.push(SampleEvent {
                    user: id,
                    at,
                    amount,
                    duration_secs: 0,
                    feature: 1,
                });
            } else {
                let feature = if rng.uniform() < 0.5 {
                    favourite
                } else {
                    2 + rng.below(4) as u8
                };
                let duration = (rng.gamma(2.0, 150.0) as u32).max(5);
                events.push(SampleEvent {
                    user: id,
                    at,
                    amount: 0.0,
                    duration_secs: duration,
                    feature,
                });
            }
        }
    }

    let mut spend = Vec::new();
    for (m, counts) in new_by_channel_month.iter().enumerate() {
        for (c, (name, cost)) in CHANNELS.iter().enumerate() {
            if *cost > 0.0 {
                let noise = 0.85 + 0.3 * rng.uniform();
                spend.push(ChannelSpend {
                    channel: (*name).to_string(),
                    month: month_start[m],
                    spend: (counts[c] as f64 * cost * noise * 100.0).round() / 100.0,
                });
            }
        }
    }
    Ok(SampleData {
        config: config.clone(),
        events,
        users,
        spend,
        end,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Datelike;

    fn at(day: u32, hour: u32) -> DateTime<Utc> {
        use chrono::TimeZone;
        Utc.with_ymd_and_hms(2024, 1, day, hour, 0, 0).unwrap()
    }

    fn event(user: u64, at: DateTime<Utc>, feature: u8) -> SampleEvent {
        SampleEvent {
            user,
            at,
            amount: 0.0,
            duration_secs: 0,
            feature,
        }
    }

    #[test]
    fn time_order_by_hand() {
        let mut data = generate(&SampleConfig::new(1)).unwrap();
        // Grouped by user, as generated: user 0 on days 2, 3 (two at 3 09:00), user 1 on 1, 3.
        data.events = vec![
            event(0, at(2, 9), 0),
            event(0, at(3, 9), 2),
            event(0, at(3, 9), 3),
            event(1, at(1, 9), 0),
            event(1, at(3, 9), 1),
        ];
        let time = data.clone().into_order(Order::Time);
        let got: Vec<(u64, u32, u8)> = time
            .events
            .iter()
            .map(|e| (e.user, e.at.day(), e.feature))
            .collect();
        // Day 1: user 1; day 2: user 0; day 3 at the same instant: user 0's two (in
        // generated order) before user 1's.
        assert_eq!(got, [(1, 1, 0), (0, 2, 0), (0, 3, 2), (0, 3, 3), (1, 3, 1)]);
        // And back.
        assert_eq!(time.into_order(Order::User).events, data.events);
    }

    #[test]
    fn time_order_keeps_every_event_and_sorts_by_instant() {
        let user = generate(&SampleConfig::new(2_000).months(6).seed(5)).unwrap();
        let time = user.clone().into_order(Order::Time);
        assert_eq!(time.events.len(), user.events.len());
        // Times non-decreasing; at equal instants, user ids non-decreasing.
        assert!(
            time.events
                .windows(2)
                .all(|w| w[0].at < w[1].at || (w[0].at == w[1].at && w[0].user <= w[1].user))
        );
        // Users interleaved: the log is not grouped by user any more.
        assert!(time.events.windows(2).any(|w| w[0].user > w[1].user));
        // The same multiset of events.
        let key = |e: &SampleEvent| (e.user, e.at, e.feature, e.amount.to_bits(), e.duration_secs);
        let mut a: Vec<_> = user.events.iter().map(key).collect();
        let mut b: Vec<_> = time.events.iter().map(key).collect();
        a.sort_unstable();
        b.sort_unstable();
        assert_eq!(a, b);
        // Users, spend and end untouched.
        assert_eq!(
            (time.users, time.spend, time.end),
            (user.users, user.spend, user.end)
        );
    }

    #[test]
    fn months_are_respected_and_events_are_grouped() {
        let d = generate(&SampleConfig::new(500).months(6)).unwrap();
        assert!(d.events.iter().all(|e| e.at
            >= DateTime::<Utc>::from_naive_utc_and_offset(
                d.config.start.and_time(chrono::NaiveTime::MIN),
                Utc
            )
            && e.at < d.end));
        assert!(
            d.events
                .windows(2)
                .all(|w| w[0].user < w[1].user || (w[0].user == w[1].user && w[0].at <= w[1].at))
        );
        assert_eq!(
            d.end.date_naive(),
            NaiveDate::from_ymd_opt(2024, 7, 1).unwrap()
        );
        assert_eq!(d.end.day(), 1);
    }
}
