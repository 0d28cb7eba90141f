//! Parameters of the retention and stickiness folds, checked once.

use std::fmt;

use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use serde::{Deserialize, Serialize};

use crate::time::{Calendar, Interval, PeriodGrid, local_to_utc};
use crate::{Error, Result};

/// The most periods a retention window or stickiness range may span (ten thousand days is
/// 27 years): per-user state is two bits per period, so the cap bounds memory.
///
/// The retention *report* is a triangle of `n (n + 1) / 2` cells for `n` periods: 8 MB at
/// 1,000 periods, 400 MB at the cap (and its `Display` prints every cell). Use a longer
/// interval (weeks, months) for long histories.
pub const MAX_PERIODS: usize = 10_000;

/// The most periods (cohorts) a retention window may span: 3,000 (eight years of days). The
/// report is a triangle of `n (n + 1) / 2` cells, so the window's cap is lower than the
/// per-user cap [`MAX_PERIODS`]: at 3,000 periods the triangle is 4.5 million cells (36 MB, a
/// few seconds to print); at 10,000 it was 50 million (400 MB of state, 800 MB of text, a
/// minute). Use a longer interval (weeks, months) for longer histories.
pub const MAX_COHORT_PERIODS: usize = 3_000;

/// Which events count as a start or a return event, by [`crate::event::Event::name`].
///
/// `"*"` is PostHog's "All events": any event, named or not. Any other text matches events
/// whose name is exactly that text (case-sensitive); events without a name match only `"*"`.
///
/// ```
/// use userops::retention::EventMatch;
/// let signup = EventMatch::parse("signup", "start_event")?;
/// assert!(signup.matches(Some("signup")));
/// assert!(!signup.matches(Some("Signup")) && !signup.matches(None));
/// let any = EventMatch::parse("*", "return_event")?;
/// assert!(any.matches(None) && any.matches(Some("order")));
/// assert!(EventMatch::parse("  ", "start_event").is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventMatch {
    /// Any event ("All events" in PostHog), written `*`.
    Any,
    /// Events with exactly this name.
    Named(String),
}

impl EventMatch {
    /// Parses a name: `*` is [`EventMatch::Any`], other non-blank text [`EventMatch::Named`].
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] named `field` when the text is empty or blank.
    ///
    /// ```
    /// let e = userops::retention::EventMatch::parse("order", "return_event")?;
    /// assert_eq!(e.to_string(), "order");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn parse(text: &str, field: &'static str) -> Result<EventMatch> {
        if text.trim().is_empty() {
            return Err(Error::invalid(
                field,
                "the event name is empty; give an event name, or \"*\" for any event",
            ));
        }
        if text == "*" {
            Ok(EventMatch::Any)
        } else {
            Ok(EventMatch::Named(text.to_string()))
        }
    }

    /// Whether an event with this name matches.
    ///
    /// ```
    /// use userops::retention::EventMatch;
    /// assert!(EventMatch::Named("a".into()).matches(Some("a")));
    /// ```
    #[inline]
    #[must_use]
    pub fn matches(&self, name: Option<&str>) -> bool {
        match self {
            EventMatch::Any => true,
            // First byte before the full comparison: most non-matching names differ there,
            // and the full comparison is a call to memcmp.
            EventMatch::Named(n) => name.is_some_and(|name| {
                name.len() == n.len()
                    && name.as_bytes().first() == n.as_bytes().first()
                    && name == n.as_str()
            }),
        }
    }
}

impl fmt::Display for EventMatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EventMatch::Any => f.write_str("*"),
            EventMatch::Named(n) => f.write_str(n),
        }
    }
}

/// How cohorts are formed (PostHog's `retentionType`).
///
/// ```
/// use userops::retention::RetentionMode;
/// assert_eq!(RetentionMode::parse("first-time")?, RetentionMode::FirstTime);
/// assert_eq!(RetentionMode::parse("recurring")?, RetentionMode::Recurring);
/// assert!(RetentionMode::parse("sometimes").is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RetentionMode {
    /// `retention_recurring`: a user joins the cohort of *every* period in which they did the
    /// start event (one user can be in several cohorts).
    Recurring,
    /// `retention_first_time`: a user joins only the cohort of the period of their first start
    /// event *ever* (also before the window); users whose first start event is before the
    /// window are in no cohort.
    FirstTime,
}

impl RetentionMode {
    /// Parses `recurring` or `first-time` (also `first_time`, `retention_first_time`,
    /// `retention_recurring`), case-insensitive.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] named `mode` for any other text.
    ///
    /// ```
    /// assert!(userops::retention::RetentionMode::parse("FIRST_TIME").is_ok());
    /// ```
    pub fn parse(text: &str) -> Result<RetentionMode> {
        match text.trim().to_ascii_lowercase().replace('_', "-").as_str() {
            "recurring" | "retention-recurring" => Ok(RetentionMode::Recurring),
            "first-time" | "firsttime" | "retention-first-time" => Ok(RetentionMode::FirstTime),
            _ => Err(Error::invalid(
                "mode",
                format!("{text:?} is not one of recurring, first-time"),
            )),
        }
    }
}

impl fmt::Display for RetentionMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            RetentionMode::Recurring => "recurring",
            RetentionMode::FirstTime => "first-time",
        })
    }
}

/// Settings of a cohort retention table, PostHog's retention insight.
///
/// * The window is `periods` consecutive calendar periods of the calendar's interval and zone,
///   the last one being the period that contains `date_to` (PostHog's `dateRange.date_to` and
///   `totalIntervals`); a `date_to` in the middle of a period still includes the whole period.
/// * Cohort `i` (0-based, oldest first) is the users who did the start event in period `i`
///   ([`RetentionMode`] says which periods count). Cell `k` of cohort `i` counts the cohort's
///   users who did the return event in period `i + k` (`on_or_after = false`, PostHog's
///   default) or in period `i + k` *or any later period of the window* (`on_or_after = true`,
///   PostHog's `cumulative` / rolling retention).
/// * Cell 0 is the cohort size, whatever the return event. A return event in the start
///   period itself, or before it, does not count.
/// * Cohort `i` has `periods - i` cells: cells after the window's last period cannot be
///   observed yet and are absent, not zero.
/// * `min_return_events` (PostHog's `minimumOccurrences`, default 1): a period counts as a
///   return only when the user did the return event at least that many times in it.
///
/// ```
/// use chrono::{TimeZone, Utc};
/// use userops::retention::{RetentionMode, RetentionParams};
/// use userops::time::{Calendar, Interval, Zone};
///
/// let params = RetentionParams::new(
///     Calendar::new(Zone::parse("US/Pacific")?, Interval::Month),
///     Utc.with_ymd_and_hms(2025, 6, 30, 12, 0, 0).unwrap(),
///     6,
/// )
/// .start_event("signup")
/// .return_event("*")
/// .mode(RetentionMode::FirstTime);
/// let spec = params.check()?;
/// assert_eq!(spec.periods(), 6);
/// assert_eq!(spec.period_labels()[0], "2025-01");
/// assert!(RetentionParams::new(Calendar::new(Utc, Interval::Day), Utc::now(), 0).check().is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct RetentionParams<Tz: TimeZone = crate::time::Zone> {
    /// Period interval (day, week with its first weekday, month) and business time zone.
    pub calendar: Calendar<Tz>,
    /// Start (target) event name, `*` for any event. Default `*`.
    pub start_event: String,
    /// Return event name, `*` for any event. Default `*`.
    pub return_event: String,
    /// Any instant in the window's last period.
    pub date_to: DateTime<Utc>,
    /// Number of periods (cohorts) in the window, at least 1 and at most
    /// [`MAX_COHORT_PERIODS`].
    pub periods: usize,
    /// First-time or recurring cohorts. Default recurring (PostHog's default).
    pub mode: RetentionMode,
    /// Count a user in cell `k` when they returned in period `i + k` or later. Default false.
    pub on_or_after: bool,
    /// Return events a period needs to count as a return, 1 to 255. Default 1.
    pub min_return_events: u32,
}

impl<Tz: TimeZone> RetentionParams<Tz> {
    /// Settings with the defaults: any event starts and returns, recurring, "on" (not "on or
    /// after").
    ///
    /// ```
    /// use userops::retention::{RetentionMode, RetentionParams};
    /// let p = RetentionParams::new(userops::time::Calendar::new(chrono::Utc, userops::time::Interval::Day),
    ///     chrono::DateTime::UNIX_EPOCH, 7);
    /// assert_eq!((p.start_event.as_str(), p.mode, p.on_or_after), ("*", RetentionMode::Recurring, false));
    /// ```
    pub fn new(calendar: Calendar<Tz>, date_to: DateTime<Utc>, periods: usize) -> Self {
        RetentionParams {
            calendar,
            start_event: "*".to_string(),
            return_event: "*".to_string(),
            date_to,
            periods,
            mode: RetentionMode::Recurring,
            on_or_after: false,
            min_return_events: 1,
        }
    }

    /// Sets the start event name (`*` for any).
    ///
    /// ```
    /// # use userops::retention::RetentionParams;
    /// let p = RetentionParams::new(userops::time::Calendar::new(chrono::Utc, userops::time::Interval::Day),
    ///     chrono::DateTime::UNIX_EPOCH, 7).start_event("signup");
    /// assert_eq!(p.start_event, "signup");
    /// ```
    #[must_use]
    pub fn start_event(mut self, name: impl Into<String>) -> Self {
        self.start_event = name.into();
        self
    }

    /// Sets the return event name (`*` for any).
    ///
    /// ```
    /// # use userops::retention::RetentionParams;
    /// let p = RetentionParams::new(userops::time::Calendar::new(chrono::Utc, userops::time::Interval::Day),
    ///     chrono::DateTime::UNIX_EPOCH, 7).return_event("order");
    /// assert_eq!(p.return_event, "order");
    /// ```
    #[must_use]
    pub fn return_event(mut self, name: impl Into<String>) -> Self {
        self.return_event = name.into();
        self
    }

    /// Sets first-time or recurring cohorts.
    ///
    /// ```
    /// # use userops::retention::{RetentionMode, RetentionParams};
    /// let p = RetentionParams::new(userops::time::Calendar::new(chrono::Utc, userops::time::Interval::Day),
    ///     chrono::DateTime::UNIX_EPOCH, 7).mode(RetentionMode::FirstTime);
    /// assert_eq!(p.mode, RetentionMode::FirstTime);
    /// ```
    #[must_use]
    pub fn mode(mut self, mode: RetentionMode) -> Self {
        self.mode = mode;
        self
    }

    /// Sets "on or after" (cumulative) counting.
    ///
    /// ```
    /// # use userops::retention::RetentionParams;
    /// let p = RetentionParams::new(userops::time::Calendar::new(chrono::Utc, userops::time::Interval::Day),
    ///     chrono::DateTime::UNIX_EPOCH, 7).on_or_after(true);
    /// assert!(p.on_or_after);
    /// ```
    #[must_use]
    pub fn on_or_after(mut self, on_or_after: bool) -> Self {
        self.on_or_after = on_or_after;
        self
    }

    /// Sets the return events a period needs to count as a return (PostHog's
    /// `minimumOccurrences`).
    ///
    /// ```
    /// # use userops::retention::RetentionParams;
    /// let p = RetentionParams::new(userops::time::Calendar::new(chrono::Utc, userops::time::Interval::Day),
    ///     chrono::DateTime::UNIX_EPOCH, 7).min_return_events(2);
    /// assert_eq!(p.min_return_events, 2);
    /// ```
    #[must_use]
    pub fn min_return_events(mut self, n: u32) -> Self {
        self.min_return_events = n;
        self
    }

    /// Checks the settings and lays out the window.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] named `periods` (0 or above [`MAX_COHORT_PERIODS`], or a window
    /// reaching before the calendar's first date), `date_to` (outside
    /// [`crate::time::SUPPORTED_RANGE`]),
    /// `start_event` or `return_event` (empty name), `min_return_events` (0 or above 255).
    ///
    /// ```
    /// use chrono::{TimeZone, Utc};
    /// use userops::retention::RetentionParams;
    /// use userops::time::{Calendar, Interval};
    /// let spec = RetentionParams::new(Calendar::new(Utc, Interval::Day),
    ///     Utc.with_ymd_and_hms(2020, 6, 20, 6, 0, 0).unwrap(), 11).check()?;
    /// assert_eq!(spec.window_start(), Utc.with_ymd_and_hms(2020, 6, 10, 0, 0, 0).unwrap());
    /// assert_eq!(spec.window_end(), Utc.with_ymd_and_hms(2020, 6, 21, 0, 0, 0).unwrap());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn check(&self) -> Result<RetentionSpec> {
        check_periods(self.periods)?;
        if self.periods > MAX_COHORT_PERIODS {
            return Err(Error::invalid(
                "periods",
                format!(
                    "a retention window can have at most {MAX_COHORT_PERIODS} periods (its report is a triangle of n(n+1)/2 cells), got {}; use a longer interval",
                    self.periods
                ),
            ));
        }
        check_instant("date_to", self.date_to)?;
        if !(1..=255).contains(&self.min_return_events) {
            return Err(Error::invalid(
                "min_return_events",
                format!("must be between 1 and 255, got {}", self.min_return_events),
            ));
        }
        let start = EventMatch::parse(&self.start_event, "start_event")?;
        let ret = EventMatch::parse(&self.return_event, "return_event")?;
        let last = self.calendar.period_of(self.date_to);
        let back = i64::try_from(self.periods - 1).unwrap_or(0);
        let first = last.offset(-back);
        if first.periods_until(&last) != back {
            return Err(Error::invalid(
                "periods",
                format!(
                    "{} periods before {} reach beyond the calendar's range",
                    self.periods, self.date_to
                ),
            ));
        }
        let grid = self
            .calendar
            .grid(self.calendar.start_of(&first), self.date_to)?;
        if grid.len() != self.periods {
            return Err(Error::invalid(
                "periods",
                format!(
                    "the window holds {} periods, not {}",
                    grid.len(),
                    self.periods
                ),
            ));
        }
        Ok(RetentionSpec {
            interval: self.calendar.interval(),
            grid,
            start,
            ret,
            mode: self.mode,
            on_or_after: self.on_or_after,
            min_returns: u8::try_from(self.min_return_events).unwrap_or(u8::MAX),
        })
    }
}

/// The crate's one supported instant range ([`crate::time::is_supported`]), as an invalid
/// parameter of this model.
fn check_instant(name: &'static str, at: DateTime<Utc>) -> Result<()> {
    if crate::time::is_supported(at) {
        Ok(())
    } else {
        Err(Error::invalid(
            name,
            format!(
                "{at} is outside the supported instants {}",
                crate::time::SUPPORTED_RANGE
            ),
        ))
    }
}

fn check_periods(periods: usize) -> Result<()> {
    if periods == 0 {
        return Err(Error::invalid("periods", "must be at least 1, got 0"));
    }
    if periods > MAX_PERIODS {
        return Err(Error::invalid(
            "periods",
            format!("must be at most {MAX_PERIODS}, got {periods}; use a longer interval"),
        ));
    }
    Ok(())
}

/// Checked [`RetentionParams`]: the window's periods with their UTC boundaries, and the event
/// matchers. Only [`RetentionParams::check`] makes one.
///
/// ```
/// use chrono::{TimeZone, Utc, Weekday};
/// use userops::retention::RetentionParams;
/// use userops::time::{Calendar, Interval};
/// let spec = RetentionParams::new(Calendar::new(Utc, Interval::Week(Weekday::Sun)),
///     Utc.with_ymd_and_hms(2020, 7, 20, 0, 0, 0).unwrap(), 7).check()?;
/// assert_eq!(spec.period_labels(), ["2020-06-07", "2020-06-14", "2020-06-21", "2020-06-28",
///     "2020-07-05", "2020-07-12", "2020-07-19"]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// It serializes (with the summary that holds it) and deserializes back only as settings
/// [`RetentionParams::check`] could have made: one to [`MAX_PERIODS`] consecutive periods of
/// its interval with increasing boundaries, named events not blank, at least one return event.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RetentionSpec {
    pub(crate) interval: Interval,
    pub(crate) grid: PeriodGrid,
    #[serde(rename = "start_event")]
    pub(crate) start: EventMatch,
    #[serde(rename = "return_event")]
    pub(crate) ret: EventMatch,
    pub(crate) mode: RetentionMode,
    pub(crate) on_or_after: bool,
    #[serde(rename = "min_return_events")]
    pub(crate) min_returns: u8,
}

/// A [`RetentionSpec`] as read, before its check.
#[derive(Deserialize)]
struct RetentionSpecParts {
    interval: Interval,
    grid: PeriodGrid,
    start_event: EventMatch,
    return_event: EventMatch,
    mode: RetentionMode,
    on_or_after: bool,
    min_return_events: u8,
}

impl<'de> Deserialize<'de> for RetentionSpec {
    fn deserialize<D: serde::Deserializer<'de>>(
        deserializer: D,
    ) -> std::result::Result<Self, D::Error> {
        use serde::de::Error as _;
        let p = RetentionSpecParts::deserialize(deserializer)?;
        let checked = check_grid(&p.grid, p.interval)
            .and_then(|()| check_match(&p.start_event, "start_event"))
            .and_then(|()| check_match(&p.return_event, "return_event"))
            .and_then(|()| {
                if p.min_return_events == 0 {
                    Err(Error::invalid("min_return_events", "must be at least 1"))
                } else {
                    Ok(())
                }
            });
        checked.map_err(D::Error::custom)?;
        Ok(RetentionSpec {
            interval: p.interval,
            grid: p.grid,
            start: p.start_event,
            ret: p.return_event,
            mode: p.mode,
            on_or_after: p.on_or_after,
            min_returns: p.min_return_events,
        })
    }
}

/// A grid read back from serde is one `check` could have laid out: 1 to [`MAX_PERIODS`]
/// consecutive periods of `interval`, one more boundary than periods, boundaries increasing.
fn check_grid(grid: &PeriodGrid, interval: Interval) -> Result<()> {
    check_periods(grid.len())?;
    let (periods, bounds) = (grid.periods(), grid.bounds());
    let aligned = periods
        .iter()
        .all(|p| crate::time::Period::containing(p.start(), interval) == *p);
    let consecutive = periods.windows(2).all(|w| w[0].next() == w[1]);
    let increasing = bounds.windows(2).all(|w| w[0] < w[1]);
    if !aligned || !consecutive || bounds.len() != periods.len() + 1 || !increasing {
        return Err(Error::invalid(
            "grid",
            "not consecutive periods of the interval with increasing boundaries",
        ));
    }
    Ok(())
}

/// A named event read back from serde is not blank.
fn check_match(event: &EventMatch, field: &'static str) -> Result<()> {
    match event {
        EventMatch::Named(name) => EventMatch::parse(name, field).map(|_| ()),
        EventMatch::Any => Ok(()),
    }
}

impl RetentionSpec {
    /// Number of periods (cohorts) in the window.
    ///
    /// ```
    /// # use chrono::Utc;
    /// let spec = userops::retention::RetentionParams::new(userops::time::Calendar::new(Utc, userops::time::Interval::Day),
    ///     chrono::DateTime::UNIX_EPOCH, 3).check()?;
    /// assert_eq!(spec.periods(), 3);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn periods(&self) -> usize {
        self.grid.len()
    }

    /// The first instant of the window (start of the first period).
    ///
    /// ```
    /// # use chrono::Utc;
    /// let spec = userops::retention::RetentionParams::new(userops::time::Calendar::new(Utc, userops::time::Interval::Day),
    ///     chrono::DateTime::UNIX_EPOCH, 1).check()?;
    /// assert_eq!(spec.window_start(), chrono::DateTime::UNIX_EPOCH);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn window_start(&self) -> DateTime<Utc> {
        millis_to_utc(self.grid.bounds().first().copied().unwrap_or(0))
    }

    /// The first instant after the window (end of the last period).
    ///
    /// ```
    /// # use chrono::Utc;
    /// let spec = userops::retention::RetentionParams::new(userops::time::Calendar::new(Utc, userops::time::Interval::Day),
    ///     chrono::DateTime::UNIX_EPOCH, 1).check()?;
    /// assert_eq!((spec.window_end() - spec.window_start()).num_hours(), 24);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn window_end(&self) -> DateTime<Utc> {
        millis_to_utc(self.grid.bounds().last().copied().unwrap_or(0))
    }

    /// The periods' labels (`2025-03-09`, or `2025-03` for months), oldest first.
    ///
    /// ```
    /// # use chrono::Utc;
    /// let spec = userops::retention::RetentionParams::new(userops::time::Calendar::new(Utc, userops::time::Interval::Month),
    ///     chrono::DateTime::UNIX_EPOCH, 2).check()?;
    /// assert_eq!(spec.period_labels(), ["1969-12", "1970-01"]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn period_labels(&self) -> Vec<String> {
        self.grid
            .periods()
            .iter()
            .map(ToString::to_string)
            .collect()
    }
}

pub(crate) fn millis_to_utc(ms: i64) -> DateTime<Utc> {
    DateTime::<Utc>::from_timestamp_millis(ms).unwrap_or(DateTime::<Utc>::UNIX_EPOCH)
}

/// How many events make a period count for stickiness (PostHog's `stickinessCriteria`, with
/// its operators `gte`, `lte` and `exact`). A period without the event never counts.
///
/// ```
/// use userops::retention::EventsPerPeriod;
/// assert!(EventsPerPeriod::AtLeast(2).accepts(3));
/// assert!(!EventsPerPeriod::AtMost(1).accepts(2));
/// assert!(EventsPerPeriod::Exactly(2).accepts(2));
/// assert!(!EventsPerPeriod::AtLeast(1).accepts(0));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventsPerPeriod {
    /// At least this many events (`gte`); `AtLeast(1)` is plain stickiness.
    AtLeast(u32),
    /// At most this many events, and at least one (`lte`).
    AtMost(u32),
    /// Exactly this many events (`exact`).
    Exactly(u32),
}

impl EventsPerPeriod {
    /// Whether a period with `count` events counts.
    ///
    /// ```
    /// assert!(userops::retention::EventsPerPeriod::AtMost(3).accepts(1));
    /// ```
    #[must_use]
    pub fn accepts(self, count: u32) -> bool {
        count > 0
            && match self {
                EventsPerPeriod::AtLeast(n) => count >= n,
                EventsPerPeriod::AtMost(n) => count <= n,
                EventsPerPeriod::Exactly(n) => count == n,
            }
    }

    fn value(self) -> u32 {
        match self {
            EventsPerPeriod::AtLeast(n)
            | EventsPerPeriod::AtMost(n)
            | EventsPerPeriod::Exactly(n) => n,
        }
    }
}

impl fmt::Display for EventsPerPeriod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EventsPerPeriod::AtLeast(n) => write!(f, "at least {n}"),
            EventsPerPeriod::AtMost(n) => write!(f, "at most {n}"),
            EventsPerPeriod::Exactly(n) => write!(f, "exactly {n}"),
        }
    }
}

/// Settings of a stickiness histogram, PostHog's stickiness insight: for every user who did
/// the event in the range, the number of periods in which they did it (as many times as
/// `events_per_period` asks; by default at least once).
///
/// The range is the periods from the one containing `from` to the one containing `to`; as in
/// PostHog, events count from the start of the first period up to the end of the local *day*
/// containing `to` (so a weekly or monthly range ends with `to`'s day, not with the end of its
/// week or month).
///
/// ```
/// use chrono::{TimeZone, Utc};
/// use userops::retention::StickinessParams;
/// use userops::time::{Calendar, Interval};
/// let spec = StickinessParams::new(Calendar::new(Utc, Interval::Day),
///     Utc.with_ymd_and_hms(2020, 1, 11, 0, 0, 0).unwrap(),
///     Utc.with_ymd_and_hms(2020, 1, 20, 0, 0, 0).unwrap())
///     .event("$pageview")
///     .check()?;
/// assert_eq!(spec.periods(), 10);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct StickinessParams<Tz: TimeZone = crate::time::Zone> {
    /// Period interval and business time zone.
    pub calendar: Calendar<Tz>,
    /// Any instant in the first period.
    pub from: DateTime<Utc>,
    /// Any instant of the last day of the range.
    pub to: DateTime<Utc>,
    /// Event name, `*` for any event. Default `*`.
    pub event: String,
    /// Events that make a period count for a user. Default at least 1; the value must be at
    /// least 1.
    pub events_per_period: EventsPerPeriod,
}

impl<Tz: TimeZone> StickinessParams<Tz> {
    /// Settings for any event, one event per period.
    ///
    /// ```
    /// use chrono::Utc;
    /// let p = userops::retention::StickinessParams::new(
    ///     userops::time::Calendar::new(Utc, userops::time::Interval::Day), chrono::DateTime::UNIX_EPOCH, chrono::DateTime::UNIX_EPOCH);
    /// assert_eq!(p.event, "*");
    /// assert_eq!(p.events_per_period, userops::retention::EventsPerPeriod::AtLeast(1));
    /// ```
    pub fn new(calendar: Calendar<Tz>, from: DateTime<Utc>, to: DateTime<Utc>) -> Self {
        StickinessParams {
            calendar,
            from,
            to,
            event: "*".to_string(),
            events_per_period: EventsPerPeriod::AtLeast(1),
        }
    }

    /// Sets the event name (`*` for any).
    ///
    /// ```
    /// # use chrono::Utc;
    /// let p = userops::retention::StickinessParams::new(
    ///     userops::time::Calendar::new(Utc, userops::time::Interval::Day), chrono::DateTime::UNIX_EPOCH, chrono::DateTime::UNIX_EPOCH)
    ///     .event("login");
    /// assert_eq!(p.event, "login");
    /// ```
    #[must_use]
    pub fn event(mut self, name: impl Into<String>) -> Self {
        self.event = name.into();
        self
    }

    /// Sets the minimum number of events that make a period count.
    ///
    /// ```
    /// # use chrono::Utc;
    /// let p = userops::retention::StickinessParams::new(
    ///     userops::time::Calendar::new(Utc, userops::time::Interval::Day), chrono::DateTime::UNIX_EPOCH, chrono::DateTime::UNIX_EPOCH)
    ///     .min_events_per_period(2);
    /// assert_eq!(p.events_per_period, userops::retention::EventsPerPeriod::AtLeast(2));
    /// ```
    #[must_use]
    pub fn min_events_per_period(mut self, n: u32) -> Self {
        self.events_per_period = EventsPerPeriod::AtLeast(n);
        self
    }

    /// Sets which event counts make a period count.
    ///
    /// ```
    /// # use chrono::Utc;
    /// use userops::retention::EventsPerPeriod;
    /// let p = userops::retention::StickinessParams::new(
    ///     userops::time::Calendar::new(Utc, userops::time::Interval::Day), chrono::DateTime::UNIX_EPOCH, chrono::DateTime::UNIX_EPOCH)
    ///     .events_per_period(EventsPerPeriod::Exactly(2));
    /// assert_eq!(p.events_per_period, EventsPerPeriod::Exactly(2));
    /// ```
    #[must_use]
    pub fn events_per_period(mut self, criterion: EventsPerPeriod) -> Self {
        self.events_per_period = criterion;
        self
    }

    /// Checks the settings and lays out the range.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] named `to` (before `from`), `from` or `to` (outside
    /// [`crate::time::SUPPORTED_RANGE`]), `periods` (more than [`MAX_PERIODS`]), `event`
    /// (empty name) or `events_per_period` (a value of 0).
    ///
    /// ```
    /// use chrono::{TimeZone, Utc};
    /// use userops::retention::StickinessParams;
    /// use userops::time::{Calendar, Interval};
    /// let t = |d| Utc.with_ymd_and_hms(2020, 1, d, 0, 0, 0).unwrap();
    /// assert!(StickinessParams::new(Calendar::new(Utc, Interval::Day), t(20), t(11)).check().is_err());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn check(&self) -> Result<StickinessSpec> {
        let event = EventMatch::parse(&self.event, "event")?;
        if self.events_per_period.value() == 0 {
            return Err(Error::invalid(
                "events_per_period",
                format!(
                    "{}: the count must be at least 1 (a period without the event never counts)",
                    self.events_per_period
                ),
            ));
        }
        check_instant("from", self.from)?;
        check_instant("to", self.to)?;
        if self.to < self.from {
            return Err(Error::invalid(
                "to",
                format!("`to` ({}) is before `from` ({})", self.to, self.from),
            ));
        }
        let first = self.calendar.period_of(self.from);
        let n = first.periods_until(&self.calendar.period_of(self.to));
        check_periods(usize::try_from(n.saturating_add(1)).unwrap_or(usize::MAX))?;
        let grid = self.calendar.grid(self.from, self.to)?;
        let next_day = self
            .calendar
            .local_date(self.to)
            .checked_add_signed(TimeDelta::days(1))
            .unwrap_or(chrono::NaiveDate::MAX);
        let day_end = local_to_utc(
            self.calendar.zone(),
            next_day.and_time(chrono::NaiveTime::MIN),
        )
        .timestamp_millis();
        let grid_end = grid.bounds().last().copied().unwrap_or(day_end);
        Ok(StickinessSpec {
            interval: self.calendar.interval(),
            grid,
            end_ms: day_end.min(grid_end),
            event,
            criterion: self.events_per_period,
        })
    }
}

/// Checked [`StickinessParams`]. Only [`StickinessParams::check`] makes one.
///
/// ```
/// use chrono::{TimeZone, Utc};
/// use userops::retention::StickinessParams;
/// use userops::time::{Calendar, Interval};
/// let spec = StickinessParams::new(Calendar::new(Utc, Interval::Month),
///     Utc.with_ymd_and_hms(2020, 1, 11, 0, 0, 0).unwrap(),
///     Utc.with_ymd_and_hms(2020, 1, 20, 0, 0, 0).unwrap()).check()?;
/// assert_eq!(spec.periods(), 1);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// It serializes (with the summary that holds it) and deserializes back only as settings
/// [`StickinessParams::check`] could have made (see [`RetentionSpec`]; the range's end within
/// its last period, a count of at least 1).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StickinessSpec {
    pub(crate) interval: Interval,
    pub(crate) grid: PeriodGrid,
    /// Events at or after this instant (Unix ms) are outside the range.
    pub(crate) end_ms: i64,
    pub(crate) event: EventMatch,
    #[serde(rename = "events_per_period")]
    pub(crate) criterion: EventsPerPeriod,
}

/// A [`StickinessSpec`] as read, before its check.
#[derive(Deserialize)]
struct StickinessSpecParts {
    interval: Interval,
    grid: PeriodGrid,
    end_ms: i64,
    event: EventMatch,
    events_per_period: EventsPerPeriod,
}

impl<'de> Deserialize<'de> for StickinessSpec {
    fn deserialize<D: serde::Deserializer<'de>>(
        deserializer: D,
    ) -> std::result::Result<Self, D::Error> {
        use serde::de::Error as _;
        let p = StickinessSpecParts::deserialize(deserializer)?;
        let b = p.grid.bounds();
        let checked = check_grid(&p.grid, p.interval)
            .and_then(|()| check_match(&p.event, "event"))
            .and_then(|()| {
                let last_period = b.len().checked_sub(2).and_then(|i| b.get(i..));
                if last_period.is_some_and(|w| w[0] < p.end_ms && p.end_ms <= w[1]) {
                    Ok(())
                } else {
                    Err(Error::invalid(
                        "end_ms",
                        "not within the range's last period",
                    ))
                }
            })
            .and_then(|()| {
                if p.events_per_period.value() == 0 {
                    Err(Error::invalid("events_per_period", "must be at least 1"))
                } else {
                    Ok(())
                }
            });
        checked.map_err(D::Error::custom)?;
        Ok(StickinessSpec {
            interval: p.interval,
            grid: p.grid,
            end_ms: p.end_ms,
            event: p.event,
            criterion: p.events_per_period,
        })
    }
}

impl StickinessSpec {
    /// Number of periods in the range.
    ///
    /// ```
    /// # use chrono::Utc;
    /// let spec = userops::retention::StickinessParams::new(userops::time::Calendar::new(Utc, userops::time::Interval::Day),
    ///     chrono::DateTime::UNIX_EPOCH, chrono::DateTime::UNIX_EPOCH).check()?;
    /// assert_eq!(spec.periods(), 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn periods(&self) -> usize {
        self.grid.len()
    }
}
