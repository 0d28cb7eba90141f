//! Time: calendar periods in the business's time zone, period arithmetic, exact durations and
//! the date/time text formats the readers accept.
//!
//! Two kinds of time appear in user-ops models, and they are never mixed up:
//!
//! * **Calendar periods** ([`Period`]) — "March 2025", "the week starting Sunday 2025-03-09",
//!   "2025-03-09" — are buckets of the *local* calendar of a [`Calendar`]'s zone. A day with a
//!   daylight-saving change is still one day (23 or 25 hours long).
//! * **Durations** between instants ([`days_between`], [`weeks_between`]) are exact, in
//!   fractional days or weeks, never bucketed.
//!
//! ```
//! use chrono::{TimeZone, Utc, Weekday};
//! use userops::time::{Calendar, Interval, Zone};
//!
//! let cal = Calendar::new(Zone::parse("America/Los_Angeles")?, Interval::Week(Weekday::Sun));
//! // 2025-03-09 06:30 UTC is still Saturday evening, 2025-03-08, in Los Angeles ...
//! let p = cal.period_of(Utc.with_ymd_and_hms(2025, 3, 9, 6, 30, 0).unwrap());
//! assert_eq!(p.to_string(), "2025-03-02"); // ... so it belongs to the week starting Sunday 03-02
//! assert_eq!(p.next().to_string(), "2025-03-09");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod format;
mod named;
mod zone;

use std::fmt;

use chrono::{
    DateTime, Datelike, LocalResult, NaiveDate, NaiveDateTime, NaiveTime, TimeDelta, TimeZone, Utc,
    Weekday,
};
use serde::{Deserialize, Serialize};

pub use format::InstantParser;
pub use named::NamedZone;
pub use zone::{Zone, ZoneOffset};

use crate::{Error, Result};

/// The first year of the supported instants (UTC): 0001-01-01T00:00:00Z.
///
/// Every instant the crate reads or takes at a public entry point lies in
/// `MIN_YEAR-01-01T00:00:00Z ..= MAX_YEAR-12-31T23:59:59.999999999Z` ([`SUPPORTED_RANGE`]):
/// the time parser ([`parse_instant`]), the CSV reader, [`Calendar::periods`] /
/// [`Calendar::grid`] (and so every model's range), and the models' as-of instants check it
/// with [`check_instant`]. Inside this range every calendar computation (a week start, a month
/// later, a zone offset) stays within chrono's dates, so none can overflow.
pub const MIN_YEAR: i32 = 1;

/// The last year of the supported instants (UTC): up to 9999-12-31T23:59:59.999999999Z. See
/// [`MIN_YEAR`].
pub const MAX_YEAR: i32 = 9999;

/// The supported instants as the error messages print them.
pub const SUPPORTED_RANGE: &str = "0001-01-01T00:00:00Z to 9999-12-31T23:59:59Z";

/// The most periods one calendar range may span ([`Calendar::periods`], [`Calendar::grid`] and
/// so every model built on a range of periods): 100,000 periods are 273 years of days, 1,917
/// years of weeks or 8,333 years of months. A longer range is refused with
/// [`Error::TooLarge`] before anything is allocated; ask for a longer interval or a shorter
/// range.
pub const MAX_PERIODS: usize = 100_000;

/// Whether `at` is a supported instant (see [`MIN_YEAR`]).
///
/// ```
/// use chrono::{TimeZone, Utc};
/// assert!(userops::time::is_supported(Utc.with_ymd_and_hms(2025, 1, 1, 0, 0, 0).unwrap()));
/// assert!(!userops::time::is_supported(chrono::DateTime::<Utc>::MIN_UTC));
/// ```
#[must_use]
pub fn is_supported(at: DateTime<Utc>) -> bool {
    (MIN_YEAR..=MAX_YEAR).contains(&at.year())
}

/// Whether `micros` microseconds since 1970-01-01T00:00:00Z is a supported instant: the
/// answer of [`is_supported`] without making a date (what a reader asks of every row).
pub(crate) fn micros_supported(micros: i64) -> bool {
    /// 0001-01-01T00:00:00Z and 9999-12-31T23:59:59.999999Z.
    const FIRST: i64 = -62_135_596_800_000_000;
    const LAST: i64 = 253_402_300_799_999_999;
    (FIRST..=LAST).contains(&micros)
}

/// `at` itself when it is a supported instant (see [`MIN_YEAR`]).
///
/// # Errors
/// [`Error::InstantOutOfRange`] naming `name` and the supported range.
///
/// ```
/// use chrono::{DateTime, Utc};
/// let err = userops::time::check_instant("as_of", DateTime::<Utc>::MIN_UTC).unwrap_err();
/// assert_eq!(err.to_string(), "`as_of` -262143-01-01 00:00:00 UTC is outside the supported \
///     instants 0001-01-01T00:00:00Z to 9999-12-31T23:59:59Z; correct the date or leave the row out");
/// ```
pub fn check_instant(name: &'static str, at: DateTime<Utc>) -> Result<DateTime<Utc>> {
    if is_supported(at) {
        Ok(at)
    } else {
        Err(Error::InstantOutOfRange {
            name,
            at: at.to_string(),
        })
    }
}

/// The length of a calendar period.
///
/// ```
/// use chrono::Weekday;
/// use userops::time::Interval;
/// assert_eq!(Interval::parse("week", Weekday::Mon)?, Interval::Week(Weekday::Mon));
/// assert_eq!(Interval::parse("month", Weekday::Mon)?, Interval::Month);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Interval {
    /// A local calendar day.
    Day,
    /// Seven local days starting on the given weekday (Sunday in the US, Monday in ISO 8601).
    Week(Weekday),
    /// A local calendar month.
    Month,
}

impl Interval {
    /// Parses `day`, `week` or `month` (case-insensitive); weeks start on `week_start`.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for any other text.
    ///
    /// ```
    /// assert!(userops::time::Interval::parse("fortnight", chrono::Weekday::Mon).is_err());
    /// ```
    pub fn parse(text: &str, week_start: Weekday) -> Result<Interval> {
        match text.trim().to_ascii_lowercase().as_str() {
            "day" | "daily" => Ok(Interval::Day),
            "week" | "weekly" => Ok(Interval::Week(week_start)),
            "month" | "monthly" => Ok(Interval::Month),
            _ => Err(Error::invalid(
                "interval",
                format!("{text:?} is not one of day, week, month"),
            )),
        }
    }
}

/// Parses a weekday name for a week start: `monday`/`mon` or `sunday`/`sun` (any weekday works).
///
/// # Errors
/// [`Error::InvalidParameter`] when the text names no weekday.
///
/// ```
/// assert_eq!(userops::time::parse_weekday("Sunday")?, chrono::Weekday::Sun);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn parse_weekday(text: &str) -> Result<Weekday> {
    text.trim()
        .parse::<Weekday>()
        .map_err(|_| Error::invalid("week_start", format!("{text:?} is not a weekday")))
}

/// One calendar period: its interval and the local date it starts on.
///
/// Periods order by start date; [`Period::next`], [`Period::prev`] and [`Period::periods_until`]
/// do calendar arithmetic. A period prints as its start date (`2025-03-09`) for days and weeks
/// and as `2025-03` for months.
///
/// ```
/// use chrono::NaiveDate;
/// use userops::time::{Interval, Period};
///
/// let jan = Period::containing(NaiveDate::from_ymd_opt(2025, 1, 31).unwrap(), Interval::Month);
/// assert_eq!(jan.to_string(), "2025-01");
/// assert_eq!(jan.next().to_string(), "2025-02");
/// assert_eq!(jan.prev().to_string(), "2024-12");
/// assert_eq!(jan.periods_until(&jan.next().next()), 2);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Period {
    start: NaiveDate,
    interval: Interval,
}

impl Period {
    /// The period of `interval` that contains the local date `date`.
    ///
    /// ```
    /// use chrono::{NaiveDate, Weekday};
    /// use userops::time::{Interval, Period};
    /// let wed = NaiveDate::from_ymd_opt(2025, 3, 12).unwrap();
    /// assert_eq!(Period::containing(wed, Interval::Week(Weekday::Sun)).start().to_string(), "2025-03-09");
    /// assert_eq!(Period::containing(wed, Interval::Week(Weekday::Mon)).start().to_string(), "2025-03-10");
    /// ```
    #[must_use]
    pub fn containing(date: NaiveDate, interval: Interval) -> Period {
        let start = match interval {
            Interval::Day => date,
            Interval::Week(first) => {
                let back =
                    (7 + date.weekday().num_days_from_monday() - first.num_days_from_monday()) % 7;
                // Saturates at chrono's first date (outside the supported range anyway).
                date.checked_sub_signed(TimeDelta::days(i64::from(back)))
                    .unwrap_or(NaiveDate::MIN)
            }
            Interval::Month => date.with_day(1).unwrap_or(date),
        };
        Period { start, interval }
    }

    /// The local date the period starts on.
    ///
    /// ```
    /// use chrono::NaiveDate;
    /// use userops::time::{Interval, Period};
    /// let d = NaiveDate::from_ymd_opt(2024, 2, 29).unwrap();
    /// assert_eq!(Period::containing(d, Interval::Day).start(), d);
    /// ```
    #[must_use]
    pub fn start(&self) -> NaiveDate {
        self.start
    }

    /// The interval of this period.
    ///
    /// ```
    /// use userops::time::{Interval, Period};
    /// let p = Period::containing(chrono::NaiveDate::MIN, Interval::Day);
    /// assert_eq!(p.interval(), Interval::Day);
    /// ```
    #[must_use]
    pub fn interval(&self) -> Interval {
        self.interval
    }

    /// A running number: days, weeks or months since a fixed origin. Consecutive periods have
    /// consecutive ordinals, so `b.ordinal() - a.ordinal()` is the number of periods between.
    ///
    /// ```
    /// use chrono::NaiveDate;
    /// use userops::time::{Interval, Period};
    /// let a = Period::containing(NaiveDate::from_ymd_opt(2024, 11, 5).unwrap(), Interval::Month);
    /// let b = Period::containing(NaiveDate::from_ymd_opt(2025, 2, 1).unwrap(), Interval::Month);
    /// assert_eq!(b.ordinal() - a.ordinal(), 3);
    /// ```
    #[must_use]
    pub fn ordinal(&self) -> i64 {
        match self.interval {
            Interval::Day => i64::from(self.start.num_days_from_ce()),
            Interval::Week(_) => i64::from(self.start.num_days_from_ce()).div_euclid(7),
            Interval::Month => i64::from(self.start.year()) * 12 + i64::from(self.start.month0()),
        }
    }

    /// The period `n` periods later (earlier for negative `n`). Dates beyond chrono's range
    /// saturate at the last representable period.
    ///
    /// ```
    /// use chrono::NaiveDate;
    /// use userops::time::{Interval, Period};
    /// let p = Period::containing(NaiveDate::from_ymd_opt(2025, 1, 1).unwrap(), Interval::Day);
    /// assert_eq!(p.offset(-1).to_string(), "2024-12-31");
    /// ```
    #[must_use]
    pub fn offset(&self, n: i64) -> Period {
        let start = match self.interval {
            Interval::Day => TimeDelta::try_days(n).and_then(|d| self.start.checked_add_signed(d)),
            Interval::Week(_) => {
                TimeDelta::try_weeks(n).and_then(|d| self.start.checked_add_signed(d))
            }
            Interval::Month => {
                let months = u32::try_from(n.unsigned_abs()).unwrap_or(u32::MAX);
                if n >= 0 {
                    self.start.checked_add_months(chrono::Months::new(months))
                } else {
                    self.start.checked_sub_months(chrono::Months::new(months))
                }
            }
        };
        let start = start.unwrap_or(if n >= 0 {
            NaiveDate::MAX
        } else {
            NaiveDate::MIN
        });
        Period::containing(start, self.interval)
    }

    /// The next period.
    ///
    /// ```
    /// use chrono::NaiveDate;
    /// use userops::time::{Interval, Period};
    /// let dec = Period::containing(NaiveDate::from_ymd_opt(2024, 12, 9).unwrap(), Interval::Month);
    /// assert_eq!(dec.next().to_string(), "2025-01");
    /// ```
    #[must_use]
    pub fn next(&self) -> Period {
        self.offset(1)
    }

    /// The previous period.
    ///
    /// ```
    /// use chrono::NaiveDate;
    /// use userops::time::{Interval, Period};
    /// let mar1 = Period::containing(NaiveDate::from_ymd_opt(2024, 3, 1).unwrap(), Interval::Day);
    /// assert_eq!(mar1.prev().to_string(), "2024-02-29");
    /// ```
    #[must_use]
    pub fn prev(&self) -> Period {
        self.offset(-1)
    }

    /// How many periods from `self` to `other` (negative when `other` is earlier).
    ///
    /// ```
    /// use chrono::{NaiveDate, Weekday};
    /// use userops::time::{Interval, Period};
    /// let w = Interval::Week(Weekday::Mon);
    /// let a = Period::containing(NaiveDate::from_ymd_opt(2025, 1, 1).unwrap(), w);
    /// let b = Period::containing(NaiveDate::from_ymd_opt(2025, 3, 31).unwrap(), w);
    /// assert_eq!(a.periods_until(&b), 13);
    /// assert_eq!(b.periods_until(&a), -13);
    /// ```
    #[must_use]
    pub fn periods_until(&self, other: &Period) -> i64 {
        other.ordinal() - self.ordinal()
    }

    /// The local date of the last day of the period.
    ///
    /// ```
    /// use chrono::NaiveDate;
    /// use userops::time::{Interval, Period};
    /// let feb = Period::containing(NaiveDate::from_ymd_opt(2024, 2, 10).unwrap(), Interval::Month);
    /// assert_eq!(feb.last_day().to_string(), "2024-02-29");
    /// ```
    #[must_use]
    pub fn last_day(&self) -> NaiveDate {
        let next = self.next();
        if next.start <= self.start {
            // The next period would start beyond chrono's calendar: this one runs to its end.
            return NaiveDate::MAX;
        }
        next.start.pred_opt().unwrap_or(self.start)
    }
}

impl Interval {
    fn order_key(self) -> u8 {
        match self {
            Interval::Day => 0,
            Interval::Week(w) => 1 + w.num_days_from_monday() as u8,
            Interval::Month => 8,
        }
    }
}

impl PartialOrd for Period {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

/// Periods order by start date (then by interval, so that the order is total).
impl Ord for Period {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.start
            .cmp(&other.start)
            .then(self.interval.order_key().cmp(&other.interval.order_key()))
    }
}

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.interval {
            Interval::Month => write!(f, "{:04}-{:02}", self.start.year(), self.start.month()),
            _ => write!(f, "{}", self.start.format("%Y-%m-%d")),
        }
    }
}

/// Buckets instants into calendar periods of one interval in one time zone.
///
/// ```
/// use chrono::{TimeZone, Utc};
/// use userops::time::{Calendar, Interval, Zone};
///
/// let cal = Calendar::new(Zone::parse("Asia/Shanghai")?, Interval::Day);
/// // 23:30 UTC on the 31st is already the 1st in Shanghai (UTC+8).
/// let p = cal.period_of(Utc.with_ymd_and_hms(2025, 1, 31, 23, 30, 0).unwrap());
/// assert_eq!(p.to_string(), "2025-02-01");
/// assert_eq!(cal.start_of(&p), Utc.with_ymd_and_hms(2025, 1, 31, 16, 0, 0).unwrap());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Calendar<Tz: TimeZone = Zone> {
    tz: Tz,
    interval: Interval,
}

impl<Tz: TimeZone> Calendar<Tz> {
    /// A calendar of `interval` periods in zone `tz`.
    ///
    /// ```
    /// let cal = userops::time::Calendar::new(chrono::Utc, userops::time::Interval::Month);
    /// assert_eq!(cal.interval(), userops::time::Interval::Month);
    /// ```
    pub fn new(tz: Tz, interval: Interval) -> Self {
        Calendar { tz, interval }
    }

    /// The interval.
    ///
    /// ```
    /// let cal = userops::time::Calendar::new(chrono::Utc, userops::time::Interval::Day);
    /// assert_eq!(cal.interval(), userops::time::Interval::Day);
    /// ```
    pub fn interval(&self) -> Interval {
        self.interval
    }

    /// The time zone.
    ///
    /// ```
    /// let cal = userops::time::Calendar::new(chrono::Utc, userops::time::Interval::Day);
    /// assert_eq!(cal.zone(), &chrono::Utc);
    /// ```
    pub fn zone(&self) -> &Tz {
        &self.tz
    }

    /// The local date of an instant in this calendar's zone.
    ///
    /// ```
    /// use chrono::{NaiveDate, TimeZone, Utc};
    /// let cal = userops::time::Calendar::new(userops::time::Zone::parse("-05:00")?, userops::time::Interval::Day);
    /// let d = cal.local_date(Utc.with_ymd_and_hms(2025, 1, 1, 3, 0, 0).unwrap());
    /// assert_eq!(d, NaiveDate::from_ymd_opt(2024, 12, 31).unwrap());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn local_date(&self, at: DateTime<Utc>) -> NaiveDate {
        // chrono's `date_naive()` panics within a day of its range limits when the offset
        // pushes the local time out of range; saturate there instead.
        let utc = at.naive_utc();
        let offset = chrono::Offset::fix(&self.tz.offset_from_utc_datetime(&utc));
        match utc.checked_add_offset(offset) {
            Some(local) => local.date(),
            None if offset.local_minus_utc() > 0 => NaiveDate::MAX,
            None => NaiveDate::MIN,
        }
    }

    /// The period an instant falls in.
    ///
    /// ```
    /// use chrono::{TimeZone, Utc};
    /// use userops::time::{Calendar, Interval};
    /// let cal = Calendar::new(Utc, Interval::Month);
    /// assert_eq!(cal.period_of(Utc.with_ymd_and_hms(2025, 7, 31, 23, 59, 59).unwrap()).to_string(), "2025-07");
    /// ```
    pub fn period_of(&self, at: DateTime<Utc>) -> Period {
        Period::containing(self.local_date(at), self.interval)
    }

    /// The first instant of a period: local midnight of its start date (or, on the rare day
    /// whose midnight a DST change skips, the first local instant that exists).
    ///
    /// ```
    /// use chrono::{TimeZone, Utc};
    /// use userops::time::{Calendar, Interval, Zone};
    /// let cal = Calendar::new(Zone::parse("America/Los_Angeles")?, Interval::Day);
    /// let p = cal.period_of(Utc.with_ymd_and_hms(2025, 7, 1, 12, 0, 0).unwrap());
    /// assert_eq!(cal.start_of(&p), Utc.with_ymd_and_hms(2025, 7, 1, 7, 0, 0).unwrap()); // PDT = UTC-7
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn start_of(&self, period: &Period) -> DateTime<Utc> {
        local_to_utc(&self.tz, period.start.and_time(NaiveTime::MIN))
    }

    /// The first instant after a period (the start of the next one).
    ///
    /// ```
    /// use chrono::{TimeZone, Utc};
    /// use userops::time::{Calendar, Interval, Zone};
    /// let cal = Calendar::new(Zone::parse("America/Los_Angeles")?, Interval::Day);
    /// let dst = cal.period_of(Utc.with_ymd_and_hms(2025, 3, 9, 12, 0, 0).unwrap());
    /// let hours = (cal.end_of(&dst) - cal.start_of(&dst)).num_hours();
    /// assert_eq!(hours, 23); // the spring-forward day is one day of 23 hours
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn end_of(&self, period: &Period) -> DateTime<Utc> {
        self.start_of(&period.next())
    }

    /// The periods from the one containing `from` to the one containing `to`, both included.
    ///
    /// # Errors
    /// As [`Calendar::count_periods`]: `to` before `from`, an instant outside
    /// [`SUPPORTED_RANGE`], more than [`MAX_PERIODS`] periods.
    ///
    /// ```
    /// use chrono::{TimeZone, Utc};
    /// use userops::time::{Calendar, Interval};
    /// let cal = Calendar::new(Utc, Interval::Month);
    /// let ps = cal.periods(Utc.with_ymd_and_hms(2025, 1, 15, 0, 0, 0).unwrap(),
    ///                      Utc.with_ymd_and_hms(2025, 3, 1, 0, 0, 0).unwrap())?;
    /// assert_eq!(ps.iter().map(|p| p.to_string()).collect::<Vec<_>>(), ["2025-01", "2025-02", "2025-03"]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn periods(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> Result<Vec<Period>> {
        let n = self.count_periods(from, to)?;
        let first = self.period_of(from);
        let mut out = Vec::with_capacity(n);
        let mut p = first;
        for _ in 0..n {
            out.push(p);
            p = p.next();
        }
        Ok(out)
    }

    /// How many periods [`Calendar::periods`] would give for `from ..= to`, checked: both
    /// within the supported instants (with a margin of one year on each side, for a model's
    /// lead or lag period), `from <= to`, at most [`MAX_PERIODS`].
    ///
    /// # Errors
    /// [`Error::InstantOutOfRange`] (`from` or `to` outside [`SUPPORTED_RANGE`] and its margin),
    /// [`Error::InvalidParameter`] (`to` before `from`), [`Error::TooLarge`] (more than
    /// [`MAX_PERIODS`] periods).
    ///
    /// ```
    /// use chrono::{TimeZone, Utc};
    /// use userops::time::{Calendar, Interval};
    /// let cal = Calendar::new(Utc, Interval::Day);
    /// let from = Utc.with_ymd_and_hms(1, 1, 1, 0, 0, 0).unwrap();
    /// let to = Utc.with_ymd_and_hms(9999, 12, 31, 0, 0, 0).unwrap();
    /// assert_eq!(cal.count_periods(from, from)?, 1);
    /// assert_eq!(cal.count_periods(from, to).unwrap_err().to_string(),
    ///     "`to` asks for 3652059 periods (day), more than the cap of 100000 periods; \
    ///      use a longer interval (week, month) or a shorter range");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn count_periods(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> Result<usize> {
        // A year of margin on each side: a model may add a lead period before a supported
        // `from` (lifecycle's "previous period") or a lag after a supported `to`.
        for (name, at) in [("from", from), ("to", to)] {
            if !(MIN_YEAR - 1..=MAX_YEAR + 1).contains(&at.year()) {
                return Err(Error::InstantOutOfRange {
                    name,
                    at: at.to_string(),
                });
            }
        }
        if to < from {
            return Err(Error::invalid(
                "to",
                format!("`to` ({to}) is before `from` ({from}); swap them"),
            ));
        }
        let first = self.period_of(from);
        let n = first.periods_until(&self.period_of(to)).saturating_add(1);
        let n = usize::try_from(n).unwrap_or(usize::MAX);
        if n > MAX_PERIODS {
            let unit = match self.interval {
                Interval::Day => "day",
                Interval::Week(_) => "week",
                Interval::Month => "month",
            };
            return Err(Error::TooLarge {
                name: "to",
                requested: format!("{n} periods ({unit})"),
                cap: format!("{MAX_PERIODS} periods"),
                hint: "use a longer interval (week, month) or a shorter range",
            });
        }
        Ok(n)
    }

    /// A precomputed grid of consecutive periods for fast bucketing of many instants.
    ///
    /// # Errors
    /// As [`Calendar::count_periods`]: `to` before `from`, an instant outside
    /// [`SUPPORTED_RANGE`], more than [`MAX_PERIODS`] periods.
    ///
    /// ```
    /// use chrono::{TimeZone, Utc};
    /// use userops::time::{Calendar, Interval};
    /// let cal = Calendar::new(Utc, Interval::Month);
    /// let grid = cal.grid(Utc.with_ymd_and_hms(2025, 1, 1, 0, 0, 0).unwrap(),
    ///                     Utc.with_ymd_and_hms(2025, 12, 31, 0, 0, 0).unwrap())?;
    /// assert_eq!(grid.len(), 12);
    /// assert_eq!(grid.index_of(Utc.with_ymd_and_hms(2025, 3, 5, 0, 0, 0).unwrap()), Some(2));
    /// assert_eq!(grid.index_of(Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap()), None);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn grid(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> Result<PeriodGrid> {
        let periods = self.periods(from, to)?;
        let mut bounds: Vec<i64> = periods
            .iter()
            .map(|p| self.start_of(p).timestamp_millis())
            .collect();
        if let Some(last) = periods.last() {
            bounds.push(self.end_of(last).timestamp_millis());
        }
        Ok(PeriodGrid { periods, bounds })
    }
}

/// Consecutive periods with their UTC boundaries, for bucketing millions of instants by binary
/// search instead of a time-zone conversion each.
///
/// ```
/// use chrono::{TimeZone, Utc};
/// use userops::time::{Calendar, Interval};
/// let grid = Calendar::new(Utc, Interval::Day)
///     .grid(Utc.with_ymd_and_hms(2025, 1, 1, 0, 0, 0).unwrap(), Utc.with_ymd_and_hms(2025, 1, 3, 0, 0, 0).unwrap())?;
/// assert_eq!(grid.periods().len(), 3);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PeriodGrid {
    periods: Vec<Period>,
    /// `periods.len() + 1` boundaries in Unix milliseconds.
    bounds: Vec<i64>,
}

impl PeriodGrid {
    /// The periods, in order.
    ///
    /// ```
    /// # use chrono::{TimeZone, Utc};
    /// # let grid = userops::time::Calendar::new(Utc, userops::time::Interval::Day)
    /// #   .grid(Utc.with_ymd_and_hms(2025, 1, 1, 0, 0, 0).unwrap(), Utc.with_ymd_and_hms(2025, 1, 2, 0, 0, 0).unwrap())?;
    /// assert_eq!(grid.periods()[0].to_string(), "2025-01-01");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn periods(&self) -> &[Period] {
        &self.periods
    }

    /// Number of periods.
    ///
    /// ```
    /// # use chrono::{TimeZone, Utc};
    /// # let grid = userops::time::Calendar::new(Utc, userops::time::Interval::Day)
    /// #   .grid(Utc.with_ymd_and_hms(2025, 1, 1, 0, 0, 0).unwrap(), Utc.with_ymd_and_hms(2025, 1, 2, 0, 0, 0).unwrap())?;
    /// assert_eq!(grid.len(), 2);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn len(&self) -> usize {
        self.periods.len()
    }

    /// Whether the grid has no period (never true for a grid built by [`Calendar::grid`]).
    ///
    /// ```
    /// # use chrono::{TimeZone, Utc};
    /// # let grid = userops::time::Calendar::new(Utc, userops::time::Interval::Day)
    /// #   .grid(Utc.with_ymd_and_hms(2025, 1, 1, 0, 0, 0).unwrap(), Utc.with_ymd_and_hms(2025, 1, 2, 0, 0, 0).unwrap())?;
    /// assert!(!grid.is_empty());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.periods.is_empty()
    }

    /// The index of the period containing `at`, or `None` outside the grid.
    ///
    /// ```
    /// # use chrono::{TimeZone, Utc};
    /// # let grid = userops::time::Calendar::new(Utc, userops::time::Interval::Day)
    /// #   .grid(Utc.with_ymd_and_hms(2025, 1, 1, 0, 0, 0).unwrap(), Utc.with_ymd_and_hms(2025, 1, 2, 0, 0, 0).unwrap())?;
    /// assert_eq!(grid.index_of(Utc.with_ymd_and_hms(2025, 1, 2, 23, 59, 59).unwrap()), Some(1));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[inline]
    #[must_use]
    pub fn index_of(&self, at: DateTime<Utc>) -> Option<usize> {
        self.index_of_millis(at.timestamp_millis())
    }

    /// [`PeriodGrid::index_of`] for an instant given in Unix milliseconds.
    ///
    /// ```
    /// # use chrono::{TimeZone, Utc};
    /// # let grid = userops::time::Calendar::new(Utc, userops::time::Interval::Day)
    /// #   .grid(Utc.with_ymd_and_hms(2025, 1, 1, 0, 0, 0).unwrap(), Utc.with_ymd_and_hms(2025, 1, 2, 0, 0, 0).unwrap())?;
    /// assert_eq!(grid.index_of_millis(1_735_689_600_000), Some(0)); // 2025-01-01T00:00:00Z
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[inline]
    #[must_use]
    pub fn index_of_millis(&self, millis: i64) -> Option<usize> {
        let first = *self.bounds.first()?;
        let last = *self.bounds.last()?;
        if millis < first || millis >= last {
            return None;
        }
        Some(self.bounds.partition_point(|b| *b <= millis) - 1)
    }

    /// The UTC boundaries in Unix milliseconds: `len() + 1` values, period `i` spanning
    /// `[bounds[i], bounds[i + 1])`.
    ///
    /// ```
    /// # use chrono::{TimeZone, Utc};
    /// # let grid = userops::time::Calendar::new(Utc, userops::time::Interval::Day)
    /// #   .grid(Utc.with_ymd_and_hms(2025, 1, 1, 0, 0, 0).unwrap(), Utc.with_ymd_and_hms(2025, 1, 2, 0, 0, 0).unwrap())?;
    /// assert_eq!(grid.bounds()[1] - grid.bounds()[0], 86_400_000);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn bounds(&self) -> &[i64] {
        &self.bounds
    }
}

/// Converts a local date-time of zone `tz` to UTC. An ambiguous time (the repeated hour of a
/// fall-back change) takes the earlier instant; a time that does not exist (the skipped hour of
/// a spring-forward change) moves forward to the first instant that exists after it.
///
/// ```
/// use chrono::{NaiveDate, TimeZone, Utc};
/// use userops::time::{local_to_utc, Zone};
/// let la = Zone::parse("America/Los_Angeles")?;
/// // 02:30 on 2025-03-09 does not exist in Los Angeles; 03:00 PDT (10:00 UTC) is the next instant.
/// let t = NaiveDate::from_ymd_opt(2025, 3, 9).unwrap().and_hms_opt(2, 30, 0).unwrap();
/// assert_eq!(local_to_utc(&la, t), Utc.with_ymd_and_hms(2025, 3, 9, 10, 0, 0).unwrap());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn local_to_utc<Tz: TimeZone>(tz: &Tz, local: NaiveDateTime) -> DateTime<Utc> {
    match tz.from_local_datetime(&local) {
        LocalResult::Single(t) | LocalResult::Ambiguous(t, _) => t.with_timezone(&Utc),
        LocalResult::None => {
            // Gaps are at most a few hours: walk forward minute by minute to the first local
            // time that exists, which is the instant of the change itself.
            let mut probe = local;
            for _ in 0..(26 * 60) {
                let Some(next) = probe.checked_add_signed(TimeDelta::minutes(1)) else {
                    break;
                };
                probe = next;
                if let Some(t) = tz.from_local_datetime(&probe).earliest() {
                    return t.with_timezone(&Utc);
                }
            }
            DateTime::<Utc>::from_naive_utc_and_offset(local, Utc)
        }
    }
}

/// The local calendar day of `at` in `tz` as a day number (days from the common era, as
/// chrono's `num_days_from_ce`), without a calendar conversion or a 64-bit division: a zone's
/// offset is less than a day, so the local day is the UTC day or a neighbour. For the folds'
/// per-event "which day" (BTYD purchase days, metric-tree days).
#[inline]
pub(crate) fn local_day<Tz: TimeZone>(tz: &Tz, at: DateTime<Utc>) -> i64 {
    use chrono::{Offset, Timelike};
    let utc = at.naive_utc();
    let offset = tz.offset_from_utc_datetime(&utc).fix().local_minus_utc();
    let seconds = i64::from(utc.time().num_seconds_from_midnight()) + i64::from(offset);
    let day = i64::from(utc.date().num_days_from_ce());
    if seconds < 0 {
        day - 1
    } else if seconds >= 86_400 {
        day + 1
    } else {
        day
    }
}

/// Exact days from `from` to `to` (fractional; negative when `to` is earlier).
///
/// ```
/// use chrono::{TimeZone, Utc};
/// let a = Utc.with_ymd_and_hms(2025, 1, 1, 0, 0, 0).unwrap();
/// let b = Utc.with_ymd_and_hms(2025, 1, 2, 12, 0, 0).unwrap();
/// assert_eq!(userops::time::days_between(a, b), 1.5);
/// ```
#[must_use]
pub fn days_between(from: DateTime<Utc>, to: DateTime<Utc>) -> f64 {
    millis_between(from, to) / 86_400_000.0
}

/// Exact weeks from `from` to `to` (fractional; negative when `to` is earlier).
///
/// ```
/// use chrono::{TimeZone, Utc};
/// let a = Utc.with_ymd_and_hms(2025, 1, 1, 0, 0, 0).unwrap();
/// let b = Utc.with_ymd_and_hms(2025, 1, 15, 0, 0, 0).unwrap();
/// assert_eq!(userops::time::weeks_between(a, b), 2.0);
/// ```
#[must_use]
pub fn weeks_between(from: DateTime<Utc>, to: DateTime<Utc>) -> f64 {
    millis_between(from, to) / 604_800_000.0
}

fn millis_between(from: DateTime<Utc>, to: DateTime<Utc>) -> f64 {
    // i64 milliseconds cover ±292 million years: no overflow for any chrono instant.
    (to.timestamp_millis() - from.timestamp_millis()) as f64
}

/// Parses an instant from text in one of the formats the readers accept, reading texts without
/// an offset in `zone`:
///
/// * RFC 3339 / ISO 8601 with offset: `2025-03-09T10:00:00Z`, `2025-03-09T02:00:00-08:00`
/// * `YYYY-MM-DD HH:MM:SS` or `YYYY-MM-DDTHH:MM:SS` (fractional seconds allowed; also `HH:MM`)
/// * `YYYY-MM-DD` (local midnight)
/// * `YYYYMMDD` (local midnight; eight digits are always read as a date)
/// * Unix seconds, integer or fractional, with 9 to 11 integer digits (1973 to 5138): a
///   7-digit typo of a date or a 13-digit millisecond stamp is an error, not a wrong instant
///
/// The instant must lie in the supported range ([`SUPPORTED_RANGE`], see [`MIN_YEAR`]).
///
/// # Errors
/// [`Error::TimeParse`] naming the text (at most [`crate::error::SHOWN_CHARS`] characters of
/// it) and the accepted formats, or saying that the instant is outside the supported range.
///
/// ```
/// use chrono::{TimeZone, Utc};
/// use userops::time::{parse_instant, Zone};
/// let la = Zone::parse("America/Los_Angeles")?;
/// let want = Utc.with_ymd_and_hms(2025, 1, 2, 8, 0, 0).unwrap();
/// assert_eq!(parse_instant("2025-01-02", &la)?, want);
/// assert_eq!(parse_instant("20250102", &la)?, want);
/// assert_eq!(parse_instant("2025-01-02 00:00:00", &la)?, want);
/// assert_eq!(parse_instant("2025-01-02T08:00:00Z", &la)?, want);
/// assert_eq!(parse_instant("1735804800", &la)?, want);
/// assert!(parse_instant("yesterday", &la).is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn parse_instant<Tz: TimeZone>(text: &str, zone: &Tz) -> Result<DateTime<Utc>> {
    let at = parse_any_instant(text, zone)?;
    if is_supported(at) {
        Ok(at)
    } else {
        Err(Error::TimeParse {
            text: crate::error::shorten(text),
            reason: format!("outside the supported instants {SUPPORTED_RANGE}"),
        })
    }
}

fn parse_any_instant<Tz: TimeZone>(text: &str, zone: &Tz) -> Result<DateTime<Utc>> {
    let t = text.trim();
    let fail = || Error::TimeParse {
        text: crate::error::shorten(text),
        reason:
            "expected RFC 3339, `YYYY-MM-DD HH:MM:SS`, `YYYY-MM-DD`, `YYYYMMDD` or Unix seconds"
                .to_string(),
    };
    if t.is_empty() {
        return Err(fail());
    }
    let bytes = t.as_bytes();
    // YYYYMMDD
    if bytes.len() == 8 && bytes.iter().all(u8::is_ascii_digit) {
        let d = NaiveDate::parse_from_str(t, "%Y%m%d").map_err(|_| fail())?;
        return Ok(local_to_utc(zone, d.and_time(NaiveTime::MIN)));
    }
    // Unix seconds.
    let numeric = bytes
        .iter()
        .enumerate()
        .all(|(i, b)| b.is_ascii_digit() || *b == b'.' || (i == 0 && (*b == b'-' || *b == b'+')));
    if numeric {
        // Unix seconds need 9 to 11 integer digits (1973-03-03 .. 5138-11-16): shorter numbers
        // are far more likely a mistyped date than an instant of early 1970, and 13 digits
        // are milliseconds, which must not be read as seconds of the year 40000.
        let int_digits = t
            .trim_start_matches(['-', '+'])
            .split('.')
            .next()
            .map_or(0, str::len);
        if !(9..=11).contains(&int_digits) {
            return Err(fail());
        }
        let secs: f64 = t.parse().map_err(|_| fail())?;
        if !secs.is_finite() {
            return Err(fail());
        }
        let millis = (secs * 1000.0).round();
        if millis.abs() > 8.0e15 {
            return Err(fail());
        }
        return DateTime::<Utc>::from_timestamp_millis(millis as i64).ok_or_else(fail);
    }
    if let Ok(dt) = DateTime::parse_from_rfc3339(t) {
        return Ok(dt.with_timezone(&Utc));
    }
    for fmt in [
        "%Y-%m-%d %H:%M:%S%.f%:z",
        "%Y-%m-%d %H:%M:%S%.f%z",
        "%Y-%m-%dT%H:%M:%S%.f%z",
    ] {
        if let Ok(dt) = DateTime::parse_from_str(t, fmt) {
            return Ok(dt.with_timezone(&Utc));
        }
    }
    if let Some(stripped) = t.strip_suffix(" UTC").or_else(|| t.strip_suffix('Z')) {
        if let Ok(n) = parse_naive(stripped) {
            return Ok(DateTime::<Utc>::from_naive_utc_and_offset(n, Utc));
        }
    }
    let naive = parse_naive(t).map_err(|()| fail())?;
    Ok(local_to_utc(zone, naive))
}

fn parse_naive(t: &str) -> std::result::Result<NaiveDateTime, ()> {
    for fmt in [
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M",
        "%Y-%m-%dT%H:%M",
        "%Y/%m/%d %H:%M:%S",
    ] {
        if let Ok(n) = NaiveDateTime::parse_from_str(t, fmt) {
            return Ok(n);
        }
    }
    for fmt in ["%Y-%m-%d", "%Y/%m/%d"] {
        if let Ok(d) = NaiveDate::parse_from_str(t, fmt) {
            return Ok(d.and_time(NaiveTime::MIN));
        }
    }
    Err(())
}

/// Parses a date (`YYYY-MM-DD`, `YYYYMMDD`) or a date-time as [`parse_instant`] does; the name is
/// for command-line flags such as `--as-of` and `--from`.
///
/// # Errors
/// As [`parse_instant`].
///
/// ```
/// use chrono::{TimeZone, Utc};
/// let t = userops::time::parse_date_or_time("2006-12-31", &Utc)?;
/// assert_eq!(t, Utc.with_ymd_and_hms(2006, 12, 31, 0, 0, 0).unwrap());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn parse_date_or_time<Tz: TimeZone>(text: &str, zone: &Tz) -> Result<DateTime<Utc>> {
    parse_instant(text, zone)
}

#[cfg(test)]
mod micros_tests {
    use chrono::{DateTime, TimeZone, Utc};

    #[test]
    fn micros_supported_agrees_with_is_supported_at_the_edges() {
        let first = Utc.with_ymd_and_hms(1, 1, 1, 0, 0, 0).unwrap();
        let last = Utc.with_ymd_and_hms(9999, 12, 31, 23, 59, 59).unwrap();
        for at in [first, last + chrono::TimeDelta::microseconds(999_999)] {
            let m = at.timestamp_micros();
            for micros in [m - 1, m, m + 1] {
                let expected =
                    DateTime::from_timestamp_micros(micros).is_some_and(super::is_supported);
                assert_eq!(super::micros_supported(micros), expected, "{micros}");
            }
        }
        assert!(super::micros_supported(0));
        assert!(!super::micros_supported(i64::MIN) && !super::micros_supported(i64::MAX));
    }
}
