//! A bare time zone in a serialized partial state, written by its name (see
//! [`crate::time::NamedZone`]): for summaries that keep a zone without a calendar.
//!
//! Use with `#[serde(with = "crate::engine::zone")]`.

use serde::de::{Deserialize, Deserializer, Error as _};
use serde::ser::Serializer;

use crate::time::NamedZone;

/// Writes the zone's name.
pub(crate) fn serialize<Tz: NamedZone, S: Serializer>(
    zone: &Tz,
    serializer: S,
) -> std::result::Result<S::Ok, S::Error> {
    serializer.serialize_str(&zone.zone_name())
}

/// Reads a zone back from its name; an unknown name is an error.
pub(crate) fn deserialize<'de, Tz: NamedZone, D: Deserializer<'de>>(
    deserializer: D,
) -> std::result::Result<Tz, D::Error> {
    let name = String::deserialize(deserializer)?;
    Tz::from_zone_name(&name).map_err(D::Error::custom)
}
