//! Zones that can be written down by name, so that a calendar (and every summary that holds
//! one) serializes with its partial state.

use chrono::{FixedOffset, TimeZone, Utc};
use serde::de::{Deserializer, Error as _};
use serde::ser::Serializer;
use serde::{Deserialize, Serialize};

use super::{Calendar, Interval, Zone};
use crate::Result;

/// A time zone that has a name [`Zone::parse`] reads back: [`Zone`], [`chrono::Utc`],
/// [`chrono::FixedOffset`] and [`chrono_tz::Tz`]. A [`Calendar`] over such a zone serializes
/// as `{"zone": "...", "interval": ...}`.
///
/// ```
/// use userops::time::{Calendar, Interval, NamedZone, Zone};
/// assert_eq!(chrono::Utc.zone_name(), "UTC");
/// let cal = Calendar::new(Zone::parse("Asia/Shanghai")?, Interval::Month);
/// let json = serde_json::to_string(&cal)?;
/// assert_eq!(json, r#"{"zone":"Asia/Shanghai","interval":"month"}"#);
/// assert_eq!(serde_json::from_str::<Calendar>(&json)?, cal);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub trait NamedZone: TimeZone + Sized {
    /// The zone's name, as [`Zone::parse`] reads it.
    fn zone_name(&self) -> String;

    /// The zone of a name.
    ///
    /// # Errors
    /// [`crate::Error::UnknownTimeZone`] when the name is not one of this zone type.
    fn from_zone_name(name: &str) -> Result<Self>;
}

impl NamedZone for Zone {
    fn zone_name(&self) -> String {
        self.name()
    }
    fn from_zone_name(name: &str) -> Result<Self> {
        Zone::parse(name)
    }
}

impl NamedZone for Utc {
    fn zone_name(&self) -> String {
        "UTC".into()
    }
    fn from_zone_name(name: &str) -> Result<Self> {
        match Zone::parse(name)? {
            Zone::Utc => Ok(Utc),
            _ => Err(crate::Error::UnknownTimeZone(format!(
                "{name} (expected UTC)"
            ))),
        }
    }
}

impl NamedZone for FixedOffset {
    fn zone_name(&self) -> String {
        self.to_string()
    }
    fn from_zone_name(name: &str) -> Result<Self> {
        match Zone::parse(name)? {
            Zone::Fixed(offset) => Ok(offset),
            Zone::Utc => Ok(Utc.fix()),
            Zone::Iana(_) => Err(crate::Error::UnknownTimeZone(format!(
                "{name} (expected a fixed offset such as +08:00)"
            ))),
        }
    }
}

impl NamedZone for chrono_tz::Tz {
    fn zone_name(&self) -> String {
        self.name().to_string()
    }
    fn from_zone_name(name: &str) -> Result<Self> {
        match Zone::parse(name)? {
            Zone::Iana(tz) => Ok(tz),
            Zone::Utc => Ok(chrono_tz::UTC),
            Zone::Fixed(_) => Err(crate::Error::UnknownTimeZone(format!(
                "{name} (expected an IANA zone name)"
            ))),
        }
    }
}

use chrono::Offset as _;

#[derive(Serialize, Deserialize)]
struct CalendarParts {
    zone: String,
    interval: Interval,
}

impl<Tz: NamedZone> Serialize for Calendar<Tz> {
    fn serialize<S: Serializer>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error> {
        CalendarParts {
            zone: self.zone().zone_name(),
            interval: self.interval(),
        }
        .serialize(serializer)
    }
}

impl<'de, Tz: NamedZone> Deserialize<'de> for Calendar<Tz> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> std::result::Result<Self, D::Error> {
        let parts = CalendarParts::deserialize(deserializer)?;
        let tz = Tz::from_zone_name(&parts.zone).map_err(D::Error::custom)?;
        Ok(Calendar::new(tz, parts.interval))
    }
}
