//! A time zone chosen at run time by name: UTC, a fixed offset or an IANA zone.

use std::fmt;
use std::str::FromStr;

use chrono::{FixedOffset, MappedLocalTime, NaiveDate, NaiveDateTime, Offset, TimeZone, Utc};

use crate::{Error, Result};

/// A time zone named at run time: `UTC`, a fixed offset (`+08:00`, `-0530`, `Z`) or an IANA
/// name (`America/Los_Angeles`, `US/Pacific`, `Asia/Shanghai`).
///
/// It implements [`chrono::TimeZone`], so it works everywhere a compile-time zone does.
///
/// ```
/// use chrono::{TimeZone, Utc};
/// use userops::time::Zone;
///
/// let la: Zone = "America/Los_Angeles".parse()?;
/// let noon_utc = Utc.with_ymd_and_hms(2025, 1, 15, 20, 0, 0).unwrap();
/// assert_eq!(noon_utc.with_timezone(&la).to_string(), "2025-01-15 12:00:00 -08:00");
/// assert!("Mars/Olympus".parse::<Zone>().is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Zone {
    /// Coordinated Universal Time.
    Utc,
    /// A fixed offset from UTC, without daylight saving time.
    Fixed(FixedOffset),
    /// A zone of the IANA time-zone database, with its daylight saving rules.
    Iana(chrono_tz::Tz),
}

impl Zone {
    /// Parses a zone name; see the type docs for the accepted forms.
    ///
    /// # Errors
    /// [`Error::UnknownTimeZone`] when the text is neither an IANA name nor an offset.
    ///
    /// ```
    /// use userops::time::Zone;
    /// assert_eq!(Zone::parse("utc")?, Zone::Utc);
    /// assert!(matches!(Zone::parse("+05:30")?, Zone::Fixed(_)));
    /// assert!(matches!(Zone::parse("US/Pacific")?, Zone::Iana(_)));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn parse(name: &str) -> Result<Zone> {
        let t = name.trim();
        if t.eq_ignore_ascii_case("utc") || t == "Z" || t.eq_ignore_ascii_case("gmt") {
            return Ok(Zone::Utc);
        }
        if let Some(off) = parse_offset(t) {
            return Ok(Zone::Fixed(off));
        }
        chrono_tz::Tz::from_str(t)
            .map(Zone::Iana)
            .map_err(|_| Error::UnknownTimeZone(name.to_string()))
    }

    /// The zone's name as it would be parsed back.
    ///
    /// ```
    /// let z = userops::time::Zone::parse("Europe/Berlin")?;
    /// assert_eq!(z.name(), "Europe/Berlin");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn name(&self) -> String {
        match self {
            Zone::Utc => "UTC".to_string(),
            Zone::Fixed(o) => o.to_string(),
            Zone::Iana(tz) => tz.name().to_string(),
        }
    }
}

fn parse_offset(t: &str) -> Option<FixedOffset> {
    let (sign, rest) = match t.as_bytes().first()? {
        b'+' => (1, &t[1..]),
        b'-' => (-1, &t[1..]),
        _ => return None,
    };
    let digits: String = rest.chars().filter(|c| *c != ':').collect();
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let (h, m) = match digits.len() {
        1 | 2 => (digits.parse::<i32>().ok()?, 0),
        4 => (
            digits[..2].parse::<i32>().ok()?,
            digits[2..].parse::<i32>().ok()?,
        ),
        _ => return None,
    };
    if h > 23 || m > 59 {
        return None;
    }
    FixedOffset::east_opt(sign * (h * 3600 + m * 60))
}

impl FromStr for Zone {
    type Err = Error;
    fn from_str(s: &str) -> Result<Zone> {
        Zone::parse(s)
    }
}

impl fmt::Display for Zone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name())
    }
}

/// The offset of a [`Zone`] at one instant (what [`chrono::TimeZone::Offset`] needs).
///
/// ```
/// use chrono::{Offset, TimeZone, Utc};
/// let z = userops::time::Zone::parse("+02:00")?;
/// let t = Utc.with_ymd_and_hms(2025, 1, 1, 0, 0, 0).unwrap().with_timezone(&z);
/// assert_eq!(t.offset().fix().local_minus_utc(), 7200);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ZoneOffset {
    zone: Zone,
    fixed: FixedOffset,
}

impl Offset for ZoneOffset {
    fn fix(&self) -> FixedOffset {
        self.fixed
    }
}

impl fmt::Display for ZoneOffset {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.fixed, f)
    }
}

fn utc_fixed() -> FixedOffset {
    Utc.fix()
}

impl TimeZone for Zone {
    type Offset = ZoneOffset;

    fn from_offset(offset: &ZoneOffset) -> Zone {
        offset.zone
    }

    fn offset_from_local_date(&self, local: &NaiveDate) -> MappedLocalTime<ZoneOffset> {
        self.offset_from_local_datetime(&local.and_time(chrono::NaiveTime::MIN))
    }

    fn offset_from_local_datetime(&self, local: &NaiveDateTime) -> MappedLocalTime<ZoneOffset> {
        let zone = *self;
        match self {
            Zone::Utc => MappedLocalTime::Single(ZoneOffset {
                zone,
                fixed: utc_fixed(),
            }),
            Zone::Fixed(o) => MappedLocalTime::Single(ZoneOffset { zone, fixed: *o }),
            Zone::Iana(tz) => tz.offset_from_local_datetime(local).map(|o| ZoneOffset {
                zone,
                fixed: o.fix(),
            }),
        }
    }

    fn offset_from_utc_date(&self, utc: &NaiveDate) -> ZoneOffset {
        self.offset_from_utc_datetime(&utc.and_time(chrono::NaiveTime::MIN))
    }

    // Inlined so that UTC and fixed offsets, the common zones, cost no call per event.
    #[inline]
    fn offset_from_utc_datetime(&self, utc: &NaiveDateTime) -> ZoneOffset {
        let zone = *self;
        let fixed = match self {
            Zone::Utc => utc_fixed(),
            Zone::Fixed(o) => *o,
            Zone::Iana(tz) => tz.offset_from_utc_datetime(utc).fix(),
        };
        ZoneOffset { zone, fixed }
    }
}
