//! Instant parsing for readers: one parser per file, specialised for the ISO 8601 shapes that
//! exports use, or for a format the user names.

use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, Utc};

use super::{Zone, local_to_utc, parse_instant};
use crate::{Error, Result};

/// How a reader turns a time field into an instant.
///
/// * [`InstantParser::new`] reads everything [`parse_instant`] reads, with the same result,
///   but takes `YYYY-MM-DD`, `YYYY-MM-DD HH:MM:SS[.f]` (or with `T`), either with `Z` or
///   `±HH:MM`, and `YYYYMMDD` digit by digit, without a format string, and converts local
///   times in UTC or a fixed offset with integer arithmetic. Anything else (Unix seconds, a
///   leap second, an invalid date) goes the general way, so the two always agree.
/// * [`InstantParser::with_format`] reads a `strftime` format the user names (`%d.%m.%Y`,
///   `%m/%d/%Y %H:%M`, `%d %b %Y`), for what the general way cannot read.
///
/// ```
/// use chrono::{TimeZone, Utc};
/// use userops::time::{InstantParser, Zone};
///
/// let utc = InstantParser::new(Zone::Utc);
/// assert_eq!(utc.parse("2025-01-02 03:04:05.5")?, Utc.with_ymd_and_hms(2025, 1, 2, 3, 4, 5).unwrap() + chrono::TimeDelta::milliseconds(500));
/// assert_eq!(utc.parse_micros("1970-01-01T00:00:01Z")?, 1_000_000);
///
/// let german = InstantParser::with_format(Zone::parse("+01:00")?, "%d.%m.%Y")?;
/// assert_eq!(german.parse("05.01.2025")?, Utc.with_ymd_and_hms(2025, 1, 4, 23, 0, 0).unwrap());
/// assert!(german.parse("2025-01-05").is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct InstantParser {
    zone: Zone,
    format: Option<Format>,
}

#[derive(Debug, Clone, PartialEq)]
struct Format {
    text: String,
    /// What the format's fields name: an offset, a time of day, or only a date.
    kind: FormatKind,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum FormatKind {
    WithOffset,
    DateTime,
    Date,
}

impl InstantParser {
    /// The parser of every form [`parse_instant`] reads, local times read in `zone`.
    ///
    /// ```
    /// let p = userops::time::InstantParser::new(userops::time::Zone::Utc);
    /// assert!(p.parse("2025-02-30").is_err());
    /// ```
    #[must_use]
    pub fn new(zone: Zone) -> Self {
        InstantParser { zone, format: None }
    }

    /// A parser of one `strftime` format (chrono's syntax), local times read in `zone`. A
    /// format with an offset (`%z`, `%:z`) gives its own offset; one without a time of day
    /// reads local midnight.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for an empty format or one that names no date.
    ///
    /// ```
    /// use userops::time::{InstantParser, Zone};
    /// assert!(InstantParser::with_format(Zone::Utc, "%m/%d/%Y").is_ok());
    /// assert!(InstantParser::with_format(Zone::Utc, "%H:%M").is_err());
    /// ```
    pub fn with_format(zone: Zone, format: &str) -> Result<Self> {
        let has = |specs: &[&str]| specs.iter().any(|s| format.contains(s));
        if !has(&["%Y", "%y", "%C", "%G", "%F", "%D", "%x", "%s"]) && !has(&["%+", "%c"]) {
            return Err(Error::invalid(
                "time_format",
                format!(
                    "{format:?} names no date; use chrono's strftime fields, e.g. %d.%m.%Y or %m/%d/%Y %H:%M"
                ),
            ));
        }
        let kind = if has(&["%z", "%:z", "%::z", "%#z", "%+", "%s"]) {
            FormatKind::WithOffset
        } else if has(&[
            "%H", "%I", "%M", "%S", "%T", "%R", "%X", "%r", "%c", "%k", "%l",
        ]) {
            FormatKind::DateTime
        } else {
            FormatKind::Date
        };
        Ok(InstantParser {
            zone,
            format: Some(Format {
                text: format.to_string(),
                kind,
            }),
        })
    }

    /// The zone local times are read in.
    ///
    /// ```
    /// use userops::time::{InstantParser, Zone};
    /// assert_eq!(InstantParser::new(Zone::Utc).zone(), Zone::Utc);
    /// ```
    #[must_use]
    pub fn zone(&self) -> Zone {
        self.zone
    }

    /// The instant of `text`.
    ///
    /// # Errors
    /// [`Error::TimeParse`] naming the text and what was expected.
    ///
    /// ```
    /// let p = userops::time::InstantParser::new(userops::time::Zone::Utc);
    /// assert_eq!(p.parse("20250102")?.to_rfc3339(), "2025-01-02T00:00:00+00:00");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn parse(&self, text: &str) -> Result<DateTime<Utc>> {
        if let Some(format) = &self.format {
            return self.parse_format(text, format);
        }
        match self.fast(text) {
            Some(micros) => {
                DateTime::from_timestamp_micros(micros).ok_or_else(|| Error::TimeParse {
                    text: text.to_string(),
                    reason: "outside the range of instants".into(),
                })
            }
            None => parse_instant(text, &self.zone),
        }
    }

    /// The instant of `text` in microseconds since the epoch (what an
    /// [`EventTable`](crate::engine::EventTable) stores), sub-microseconds dropped towards the
    /// past.
    ///
    /// # Errors
    /// As [`InstantParser::parse`].
    ///
    /// ```
    /// let p = userops::time::InstantParser::new(userops::time::Zone::Utc);
    /// assert_eq!(p.parse_micros("1969-12-31 23:59:59.9999999")?, -1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[inline]
    pub fn parse_micros(&self, text: &str) -> Result<i64> {
        if self.format.is_none() {
            if let Some(micros) = self.fast(text) {
                return Ok(micros);
            }
        }
        self.parse(text).map(|t| t.timestamp_micros())
    }

    fn parse_format(&self, text: &str, format: &Format) -> Result<DateTime<Utc>> {
        let t = text.trim();
        let fail = |e: chrono::ParseError| Error::TimeParse {
            text: text.to_string(),
            reason: format!("does not match the time format {:?} ({e})", format.text),
        };
        match format.kind {
            FormatKind::WithOffset => DateTime::parse_from_str(t, &format.text)
                .map(|d| d.with_timezone(&Utc))
                .map_err(fail),
            FormatKind::DateTime => NaiveDateTime::parse_from_str(t, &format.text)
                .map(|n| local_to_utc(&self.zone, n))
                .map_err(fail),
            FormatKind::Date => NaiveDate::parse_from_str(t, &format.text)
                .map(|d| local_to_utc(&self.zone, d.and_time(NaiveTime::MIN)))
                .map_err(fail),
        }
    }

    /// The ISO shapes, digit by digit; `None` sends the text the general way.
    #[inline]
    fn fast(&self, text: &str) -> Option<i64> {
        let b = text.as_bytes();
        // Trimmed as `parse_instant` trims (ASCII white space is all a field has in practice;
        // anything else goes the general way).
        let b = b.trim_ascii();
        if b.len() == 8 {
            let (y, m, d) = (digits(b, 0, 4)?, digits(b, 4, 2)?, digits(b, 6, 2)?);
            return self.local(y, m, d, 0, 0);
        }
        if b.len() < 10 || b[4] != b'-' || b[7] != b'-' {
            return None;
        }
        let (y, m, d) = (digits(b, 0, 4)?, digits(b, 5, 2)?, digits(b, 8, 2)?);
        if b.len() == 10 {
            return self.local(y, m, d, 0, 0);
        }
        if b.len() < 19 || !(b[10] == b' ' || b[10] == b'T') || b[13] != b':' || b[16] != b':' {
            return None;
        }
        let (hh, mm, ss) = (digits(b, 11, 2)?, digits(b, 14, 2)?, digits(b, 17, 2)?);
        if hh > 23 || mm > 59 || ss > 59 {
            return None;
        }
        let mut rest = &b[19..];
        let mut micros = 0;
        if let Some((b'.', frac)) = rest.split_first() {
            let n = frac.iter().take_while(|c| c.is_ascii_digit()).count();
            // Nanoseconds go the general way, which keeps them in a `DateTime`.
            if n == 0 || n > 6 {
                return None;
            }
            let mut value = 0_i64;
            for &c in &frac[..n] {
                value = value * 10 + i64::from(c - b'0');
            }
            for _ in n..6 {
                value *= 10;
            }
            micros = value;
            rest = &frac[n..];
        }
        let second = i64::from(hh) * 3600 + i64::from(mm) * 60 + i64::from(ss);
        match rest {
            [] => self.local(y, m, d, second, micros),
            [b'Z'] => utc_micros(y, m, d, second, micros, 0),
            [sign @ (b'+' | b'-'), h1, h2, b':', m1, m2] => {
                let offset = offset_seconds(*sign, [*h1, *h2, *m1, *m2])?;
                utc_micros(y, m, d, second, micros, offset)
            }
            _ => None,
        }
    }

    /// A local date and time in this parser's zone, in microseconds since the epoch.
    #[inline]
    fn local(&self, y: u32, m: u32, d: u32, second: i64, micros: i64) -> Option<i64> {
        match self.zone {
            Zone::Utc => utc_micros(y, m, d, second, micros, 0),
            Zone::Fixed(offset) => {
                utc_micros(y, m, d, second, micros, i64::from(offset.local_minus_utc()))
            }
            Zone::Iana(_) => {
                let date = NaiveDate::from_ymd_opt(i32::try_from(y).ok()?, m, d)?;
                // In range: `second` is less than a day.
                let time = NaiveTime::from_num_seconds_from_midnight_opt(
                    u32::try_from(second).ok()?,
                    u32::try_from(micros).ok()? * 1000,
                )?;
                let at = local_to_utc(&self.zone, date.and_time(time)).timestamp_micros();
                (at < YEAR_10000_MICROS).then_some(at)
            }
        }
    }
}

/// `n` ASCII digits of `b` from `at`, as a number; `None` when one is not a digit.
#[inline]
fn digits(b: &[u8], at: usize, n: usize) -> Option<u32> {
    let mut v = 0;
    for &c in b.get(at..at + n)? {
        if !c.is_ascii_digit() {
            return None;
        }
        v = v * 10 + u32::from(c - b'0');
    }
    Some(v)
}

fn offset_seconds(sign: u8, [h1, h2, m1, m2]: [u8; 4]) -> Option<i64> {
    let hh = digits(&[h1, h2], 0, 2)?;
    let mm = digits(&[m1, m2], 0, 2)?;
    if hh > 23 || mm > 59 {
        return None;
    }
    let s = i64::from(hh * 3600 + mm * 60);
    Some(if sign == b'-' { -s } else { s })
}

/// Microseconds since the epoch of a civil date and time at `offset` seconds east of UTC.
/// Years 1000 to 9999 only (four digits, no sign): the rest goes the general way, where the
/// supported range is decided.
#[inline]
fn utc_micros(y: u32, m: u32, d: u32, second: i64, micros: i64, offset: i64) -> Option<i64> {
    if !(1000..=9999).contains(&y) || !(1..=12).contains(&m) || d == 0 || d > days_in(y, m) {
        return None;
    }
    let days = days_from_civil(i64::from(y), i64::from(m), i64::from(d));
    let at = ((days * 86_400 + second - offset) * 1_000_000) + micros;
    // A local time late on 9999-12-31 west of UTC is in the year 10000 in UTC: past the
    // supported instants, which the general way refuses with its error.
    (at < YEAR_10000_MICROS).then_some(at)
}

/// 10000-01-01T00:00:00Z in microseconds since the epoch.
const YEAR_10000_MICROS: i64 = 253_402_300_800_000_000;

fn days_in(y: u32, m: u32) -> u32 {
    match m {
        4 | 6 | 9 | 11 => 30,
        2 if y % 4 == 0 && (y % 100 != 0 || y % 400 == 0) => 29,
        2 => 28,
        _ => 31,
    }
}

/// Days from 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's `days_from_civil`).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

impl Default for InstantParser {
    fn default() -> Self {
        InstantParser::new(Zone::Utc)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn agree(p: &InstantParser, text: &str) {
        let general = parse_instant(text, &p.zone).map(|t| t.timestamp_micros());
        let fast = p.parse_micros(text);
        match (&general, &fast) {
            (Ok(a), Ok(b)) => assert_eq!(a, b, "{text:?}"),
            (Err(_), Err(_)) => {}
            _ => panic!("{text:?}: general {general:?}, fast {fast:?}"),
        }
    }

    #[test]
    fn fast_shapes_agree_with_the_general_parser() {
        let zones = [
            "UTC",
            "+05:30",
            "-08:00",
            "America/Los_Angeles",
            "Asia/Shanghai",
        ];
        let texts = [
            "2025-01-02",
            "20250102",
            "2025-01-02 03:04:05",
            "2025-01-02T03:04:05",
            "2025-01-02 03:04:05.123456789",
            "2025-01-02 03:04:05.1",
            "2025-01-02T03:04:05Z",
            "2025-01-02 03:04:05Z",
            "2025-01-02T03:04:05+08:00",
            "2025-01-02T03:04:05.25-07:30",
            "2024-02-29 23:59:59",
            "2023-02-29",
            "2025-13-01",
            "2025-00-10",
            "2025-01-32 00:00:00",
            "2025-01-02 24:00:00",
            "2025-01-02 23:60:00",
            "2016-12-31 23:59:60",
            "  2025-01-02  ",
            "2025-03-09 02:30:00",
            "2025-11-02 01:30:00",
            "1735804800",
            "0999-12-31",
            "1000-01-01 00:00:00",
            "9999-12-31 23:59:59.999999",
            "2025-1-2",
            "2025-01-02 3:04:05",
            "2025-01-02 03:04:05.",
            "2025-01-02 03:04:05.1234567890",
            "2025-01-02 03:04:05+8",
            "2025/01/02",
            "",
        ];
        for zone in zones {
            let p = InstantParser::new(Zone::parse(zone).unwrap());
            for text in texts {
                agree(&p, text);
            }
        }
    }

    #[test]
    fn year_10000_is_where_the_fast_road_stops() {
        let t = NaiveDate::from_ymd_opt(9999, 12, 31)
            .unwrap()
            .and_hms_opt(23, 59, 59)
            .unwrap()
            .and_utc()
            .timestamp_micros();
        assert_eq!(YEAR_10000_MICROS, t + 1_000_000);
        assert_eq!(
            utc_micros(9999, 12, 31, 86_399, 999_999, 0),
            Some(YEAR_10000_MICROS - 1)
        );
        assert_eq!(utc_micros(9999, 12, 31, 86_399, 0, -3600), None);
    }

    #[test]
    fn days_from_civil_matches_chrono() {
        for (y, m, d) in [
            (1970, 1, 1),
            (2000, 2, 29),
            (1000, 1, 1),
            (9999, 12, 31),
            (1969, 12, 31),
        ] {
            let want = NaiveDate::from_ymd_opt(y, m, d)
                .unwrap()
                .signed_duration_since(NaiveDate::from_ymd_opt(1970, 1, 1).unwrap())
                .num_days();
            assert_eq!(
                days_from_civil(i64::from(y), i64::from(m), i64::from(d)),
                want
            );
        }
    }

    #[test]
    fn named_formats_read_what_detection_cannot() {
        let p = InstantParser::with_format(Zone::Utc, "%m/%d/%Y").unwrap();
        assert_eq!(
            p.parse("10/02/2025").unwrap(),
            Utc.with_ymd_and_hms(2025, 10, 2, 0, 0, 0).unwrap()
        );
        let p = InstantParser::with_format(Zone::Utc, "%d %b %Y").unwrap();
        assert_eq!(
            p.parse("5 Jan 2025").unwrap(),
            Utc.with_ymd_and_hms(2025, 1, 5, 0, 0, 0).unwrap()
        );
        let p = InstantParser::with_format(Zone::Utc, "%d.%m.%Y %H:%M %z").unwrap();
        assert_eq!(
            p.parse("05.01.2025 10:00 +0200").unwrap(),
            Utc.with_ymd_and_hms(2025, 1, 5, 8, 0, 0).unwrap()
        );
        let err = p.parse("05.01.2025").unwrap_err().to_string();
        assert!(err.contains("%d.%m.%Y %H:%M %z"), "{err}");
    }

    proptest::proptest! {
        #[test]
        fn random_iso_texts_agree(
            y in 900u32..10_100, m in 0u32..14, d in 0u32..33,
            hh in 0u32..26, mm in 0u32..61, ss in 0u32..61,
            frac in proptest::option::of(0u32..1_000_000_000), digits in 1usize..11,
            sep in proptest::sample::select(vec![" ", "T"]),
            tail in proptest::sample::select(vec!["", "Z", "+08:00", "-03:30", "+24:00", " UTC"]),
            shape in 0u8..4,
            zone in proptest::sample::select(vec!["UTC", "+05:30", "America/Los_Angeles"]),
        ) {
            let date = format!("{y:04}-{m:02}-{d:02}");
            let text = match shape {
                0 => date,
                1 => format!("{y:04}{m:02}{d:02}"),
                _ => {
                    let mut t = format!("{date}{sep}{hh:02}:{mm:02}:{ss:02}");
                    if let Some(f) = frac {
                        let f = format!("{f:09}");
                        t.push('.');
                        t.push_str(&f[..digits.min(9)]);
                        if digits > 9 { t.push('7'); }
                    }
                    t.push_str(tail);
                    t
                }
            };
            agree(&InstantParser::new(Zone::parse(zone).unwrap()), &text);
        }
    }
}
