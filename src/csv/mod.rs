//! Events from delimited text files — CSV with a header, or whitespace-separated columns
//! without one (the CDNOW log) — with an account of every row that could not be used
//! (feature `csv`).
//!
//! The reader never drops a row silently: every data row is either an accepted event or a
//! [`RejectedRow`] with its line number and reason, and
//! `rows_read == events.len() + rejected.len()`. Blank lines are not rows.
//!
//! ```
//! use userops::csv::{read_events, CsvSpec};
//!
//! let text = "customer_id,order_date,revenue\n\
//!             ana,2025-01-05,30\n\
//!             bo,not-a-date,12\n\
//!             ana,2025-02-01,NaN\n\
//!             cy,2025-02-03,7.5\n";
//! let read = read_events(text.as_bytes(), &CsvSpec::new("customer_id", "order_date").amount("revenue"))?;
//! assert_eq!(read.rows_read, 4);
//! assert_eq!(read.events.len(), 2);
//! assert_eq!(read.rejected.iter().map(|r| r.line).collect::<Vec<_>>(), [3, 4]);
//! assert_eq!(read.rejected[1].reason.to_string(), "amount is not finite: \"NaN\"");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::fmt;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;

use chrono::TimeDelta;
use serde::{Deserialize, Serialize};

use crate::engine::EventTable;
use crate::error::{quote_if_needed, shorten};
use crate::event::EventRecord;
use crate::time::{InstantParser, Zone, parse_instant};

/// Whether `text` is a time the parser would read were it not for the supported range.
fn time_in_any_range(text: &str, zone: Zone) -> bool {
    matches!(parse_instant(text, &zone), Err(Error::TimeParse { reason, .. })
        if reason.starts_with("outside the supported"))
}
use crate::{Error, Result};

mod fast;
mod sniff;
pub use sniff::{Sniffed, sniff};

/// A column, by header name or by 0-based position.
///
/// ```
/// use userops::csv::Column;
/// assert_eq!(Column::from("revenue"), Column::Name("revenue".into()));
/// assert_eq!(Column::from(2_usize), Column::Index(2));
/// assert_eq!(Column::parse("#3"), Column::Index(3));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Column {
    /// A header name.
    Name(String),
    /// A 0-based position (the only way to name columns of a file without a header).
    Index(usize),
}

impl Column {
    /// Parses a command-line column argument: `#N` (or a bare number for a file without a
    /// header, see [`CsvSpec`]) is a 0-based position, anything else a header name.
    ///
    /// ```
    /// assert_eq!(userops::csv::Column::parse("user"), userops::csv::Column::Name("user".into()));
    /// ```
    pub fn parse(text: &str) -> Column {
        match text.strip_prefix('#').map(str::parse::<usize>) {
            Some(Ok(i)) => Column::Index(i),
            _ => Column::Name(text.to_string()),
        }
    }
}

impl From<&str> for Column {
    fn from(s: &str) -> Self {
        Column::Name(s.to_string())
    }
}

impl From<String> for Column {
    fn from(s: String) -> Self {
        Column::Name(s)
    }
}

impl From<usize> for Column {
    fn from(i: usize) -> Self {
        Column::Index(i)
    }
}

impl fmt::Display for Column {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Column::Name(n) => f.write_str(n),
            Column::Index(i) => write!(f, "#{i}"),
        }
    }
}

/// How fields are separated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Delimiter {
    /// One byte (`,` `;` `\t` `|`), with CSV quoting rules.
    Byte(u8),
    /// Runs of spaces or tabs, no quoting (fixed-width logs such as CDNOW).
    Whitespace,
}

/// What to read: which columns hold what, how fields are separated, and the zone for times
/// written without an offset.
///
/// ```
/// use userops::csv::{CsvSpec, Delimiter};
/// let spec = CsvSpec::new("user_id", "ts")
///     .amount("price")
///     .name("event")
///     .duration("seconds")
///     .attribute("channel")
///     .zone(userops::time::Zone::parse("Europe/Paris")?);
/// assert_eq!(spec.delimiter, Delimiter::Byte(b','));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct CsvSpec {
    /// The user id column (required; an empty value rejects the row).
    pub user: Column,
    /// The time column (required): RFC 3339, `YYYY-MM-DD HH:MM:SS`, `YYYY-MM-DD`, `YYYYMMDD`
    /// or Unix seconds.
    pub time: Column,
    /// The amount paid (optional; an empty field is 0, i.e. not a payment).
    pub amount: Option<Column>,
    /// The event name (optional; an empty field is no name).
    pub name: Option<Column>,
    /// Time spent in seconds (optional; an empty field is no duration).
    pub duration: Option<Column>,
    /// Attribute columns copied into [`EventRecord::attributes`] in this order.
    pub attributes: Vec<Column>,
    /// The field separator.
    pub delimiter: Delimiter,
    /// Whether the first line is a header (with [`Delimiter::Whitespace`] usually not).
    pub has_header: bool,
    /// The zone of times written without an offset.
    pub zone: Zone,
    /// A `strftime` format for the time column (chrono's syntax, e.g. `%d.%m.%Y`), for what
    /// the built-in detection cannot read; `None` reads every form
    /// [`parse_instant`] reads.
    pub time_format: Option<String>,
    /// Amounts and durations written with a decimal comma (`12,50`, as in files exported
    /// with `;` separators in much of Europe). A dot is still read as the decimal mark; a
    /// value with both (`1.234,50`) is rejected rather than guessed.
    pub decimal_comma: bool,
}

impl CsvSpec {
    /// A comma-separated file with a header; times without offset in UTC.
    ///
    /// ```
    /// let spec = userops::csv::CsvSpec::new("user", "time");
    /// assert!(spec.has_header);
    /// ```
    pub fn new(user: impl Into<Column>, time: impl Into<Column>) -> Self {
        CsvSpec {
            user: user.into(),
            time: time.into(),
            amount: None,
            name: None,
            duration: None,
            attributes: Vec::new(),
            delimiter: Delimiter::Byte(b','),
            has_header: true,
            zone: Zone::Utc,
            time_format: None,
            decimal_comma: false,
        }
    }

    /// The CDNOW transaction log as Fader & Hardie ship it: whitespace-separated
    /// `customer_id customer_id_2 yyyymmdd quantity amount`, no header.
    ///
    /// ```
    /// let spec = userops::csv::CsvSpec::cdnow();
    /// assert!(!spec.has_header);
    /// ```
    #[must_use]
    pub fn cdnow() -> Self {
        CsvSpec::new(0_usize, 2_usize)
            .amount(4_usize)
            .delimiter(Delimiter::Whitespace)
            .header(false)
    }

    /// Sets the amount column.
    ///
    /// ```
    /// let s = userops::csv::CsvSpec::new("u", "t").amount("revenue");
    /// assert!(s.amount.is_some());
    /// ```
    #[must_use]
    pub fn amount(mut self, column: impl Into<Column>) -> Self {
        self.amount = Some(column.into());
        self
    }

    /// Sets the event-name column.
    ///
    /// ```
    /// let s = userops::csv::CsvSpec::new("u", "t").name("event");
    /// assert!(s.name.is_some());
    /// ```
    #[must_use]
    pub fn name(mut self, column: impl Into<Column>) -> Self {
        self.name = Some(column.into());
        self
    }

    /// Sets the duration column (seconds).
    ///
    /// ```
    /// let s = userops::csv::CsvSpec::new("u", "t").duration("secs");
    /// assert!(s.duration.is_some());
    /// ```
    #[must_use]
    pub fn duration(mut self, column: impl Into<Column>) -> Self {
        self.duration = Some(column.into());
        self
    }

    /// Adds an attribute column.
    ///
    /// ```
    /// let s = userops::csv::CsvSpec::new("u", "t").attribute("channel").attribute("region");
    /// assert_eq!(s.attributes.len(), 2);
    /// ```
    #[must_use]
    pub fn attribute(mut self, column: impl Into<Column>) -> Self {
        self.attributes.push(column.into());
        self
    }

    /// Sets the field separator.
    ///
    /// ```
    /// let s = userops::csv::CsvSpec::new("u", "t").delimiter(userops::csv::Delimiter::Byte(b';'));
    /// assert_eq!(s.delimiter, userops::csv::Delimiter::Byte(b';'));
    /// ```
    #[must_use]
    pub fn delimiter(mut self, delimiter: Delimiter) -> Self {
        self.delimiter = delimiter;
        self
    }

    /// Sets whether the first line is a header.
    ///
    /// ```
    /// let s = userops::csv::CsvSpec::new(0_usize, 1_usize).header(false);
    /// assert!(!s.has_header);
    /// ```
    #[must_use]
    pub fn header(mut self, has_header: bool) -> Self {
        self.has_header = has_header;
        self
    }

    /// Sets the zone for times without an offset.
    ///
    /// ```
    /// let s = userops::csv::CsvSpec::new("u", "t").zone(userops::time::Zone::parse("+08:00")?);
    /// assert_eq!(s.zone.name(), "+08:00");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn zone(mut self, zone: Zone) -> Self {
        self.zone = zone;
        self
    }

    /// Reads the time column with a `strftime` format (chrono's syntax) instead of detecting
    /// the form; a value that does not match is a rejected row naming the format.
    ///
    /// ```
    /// use userops::csv::{read_events, CsvSpec};
    /// let spec = CsvSpec::new("u", "t").time_format("%d.%m.%Y");
    /// let read = read_events("u,t\na,05.01.2025\nb,2025-01-05\n".as_bytes(), &spec)?;
    /// assert_eq!(read.events[0].at.to_rfc3339(), "2025-01-05T00:00:00+00:00");
    /// assert_eq!(read.rejected[0].line, 3);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn time_format(mut self, format: impl Into<String>) -> Self {
        self.time_format = Some(format.into());
        self
    }

    /// Reads amounts and durations with a decimal comma (`12,50`); see
    /// [`CsvSpec::decimal_comma`].
    ///
    /// ```
    /// use userops::csv::{read_events, CsvSpec, Delimiter};
    /// let text = "kunde;datum;betrag\nana;2025-01-05;12,50\nbo;2025-01-06;7.25\ncy;2025-01-07;1.234,5\n";
    /// let spec = CsvSpec::new("kunde", "datum").amount("betrag")
    ///     .delimiter(Delimiter::Byte(b';')).decimal_comma(true);
    /// let read = read_events(text.as_bytes(), &spec)?;
    /// let amounts: Vec<f64> = read.events.iter().map(|e| e.amount).collect();
    /// assert_eq!((amounts, read.rejected.len()), (vec![12.5, 7.25], 1));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn decimal_comma(mut self, on: bool) -> Self {
        self.decimal_comma = on;
        self
    }

    /// Takes the separator and header from the first 64 KiB of the file at `path`, as
    /// [`sniff`] reads them (what a command-line tool does when the user names neither).
    ///
    /// # Errors
    /// [`Error::Read`] naming the file if it cannot be opened or read.
    ///
    /// ```
    /// use userops::csv::{CsvSpec, Delimiter};
    /// let spec = CsvSpec::new("#1", "#2").sniffed("tests/data/cdnow_sample.txt")?;
    /// assert_eq!((spec.delimiter, spec.has_header), (Delimiter::Whitespace, false));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn sniffed(self, path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let cannot =
            |e: std::io::Error| Error::Read(format!("cannot read {}: {e}", path.display()));
        let mut start = Vec::new();
        std::fs::File::open(path)
            .map_err(cannot)?
            .take(64 * 1024)
            .read_to_end(&mut start)
            .map_err(cannot)?;
        let found = sniff(&start);
        Ok(self.delimiter(found.delimiter).header(found.has_header))
    }

    /// The parser of this spec's time column.
    fn instant_parser(&self) -> Result<InstantParser> {
        match &self.time_format {
            Some(format) => InstantParser::with_format(self.zone, format),
            None => Ok(InstantParser::new(self.zone)),
        }
    }
}

/// A number as written, with a decimal comma read as a dot when `decimal_comma` is on (a
/// value with both a comma and a dot is not read).
fn parse_number(text: &str, decimal_comma: bool) -> Option<f64> {
    if decimal_comma && text.contains(',') {
        if text.contains('.') || text.matches(',').count() > 1 {
            return None;
        }
        return text.replace(',', ".").parse().ok();
    }
    text.parse().ok()
}

/// Why a row was rejected.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub enum RejectReason {
    /// The row has a different number of fields than the header (or, without a header, than
    /// the first accepted row), or fewer than the columns asked for need.
    WrongFieldCount {
        /// Fields expected.
        expected: usize,
        /// Fields found.
        found: usize,
    },
    /// The user field is empty.
    UserMissing,
    /// The time field could not be parsed.
    TimeUnparsable(String),
    /// The time field is a valid time outside the supported instants
    /// ([`crate::time::SUPPORTED_RANGE`]).
    TimeOutOfRange(String),
    /// A quoted field opens on this row and is never closed: the quote ran to the end of the
    /// file. The rows after this line are read again as if the quote were not there.
    UnterminatedQuote,
    /// The amount field is not a number.
    AmountNotNumber(String),
    /// The amount field is NaN or infinite.
    AmountNotFinite(String),
    /// The duration field is not a finite, non-negative number of seconds.
    DurationInvalid(String),
    /// The row is not valid UTF-8 or not valid CSV.
    Malformed(String),
}

impl fmt::Display for RejectReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RejectReason::WrongFieldCount { expected, found } => {
                write!(f, "wrong field count: expected {expected}, found {found}")
            }
            RejectReason::UserMissing => f.write_str("user missing"),
            RejectReason::TimeUnparsable(t) => write!(f, "time cannot be parsed: {t:?}"),
            RejectReason::TimeOutOfRange(t) => write!(
                f,
                "time is outside the supported instants {}: {t:?}",
                crate::time::SUPPORTED_RANGE
            ),
            RejectReason::UnterminatedQuote => f.write_str(
                "unterminated quote: a quoted field opens on this line and is never closed \
                 (the rows after it were read without it); close the quote or remove it",
            ),
            RejectReason::AmountNotNumber(t) => write!(f, "amount is not a number: {t:?}"),
            RejectReason::AmountNotFinite(t) => write!(f, "amount is not finite: {t:?}"),
            RejectReason::DurationInvalid(t) => {
                write!(f, "duration is not a non-negative number of seconds: {t:?}")
            }
            RejectReason::Malformed(t) => write!(f, "malformed row: {t}"),
        }
    }
}

/// A row the reader could not use.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RejectedRow {
    /// 1-based line number in the file (the header is line 1 when there is one).
    pub line: u64,
    /// Why.
    pub reason: RejectReason,
}

impl fmt::Display for RejectedRow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.reason)
    }
}

/// What [`read_events`] returns: the events, every rejected row, and the count of data rows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CsvEvents {
    /// Accepted events, in file order.
    pub events: Vec<EventRecord<String>>,
    /// Rejected rows, in file order.
    pub rejected: Vec<RejectedRow>,
    /// Data rows read (header and blank lines excluded): `events.len() + rejected.len()`.
    pub rows_read: u64,
    /// The names of the attribute columns, in [`EventRecord::attributes`] order.
    pub attribute_names: Vec<String>,
}

impl CsvEvents {
    /// A one-line account: rows read, accepted, rejected, and the first few rejections.
    ///
    /// ```
    /// let read = userops::csv::read_events("u,t\na,2025-01-01\n,2025-01-01\n".as_bytes(),
    ///     &userops::csv::CsvSpec::new("u", "t"))?;
    /// assert_eq!(read.account(), "2 rows read: 1 accepted, 1 rejected (line 3: user missing)");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn account(&self) -> String {
        account(self.rows_read, self.events.len(), &self.rejected)
    }
}

/// Rows read, accepted, rejected, and the first few rejections, on one line.
fn account(rows_read: u64, accepted: usize, rejected: &[RejectedRow]) -> String {
    let mut s = format!(
        "{rows_read} rows read: {accepted} accepted, {} rejected",
        rejected.len()
    );
    if !rejected.is_empty() {
        let shown: Vec<String> = rejected.iter().take(3).map(ToString::to_string).collect();
        s.push_str(" (");
        s.push_str(&shown.join("; "));
        if rejected.len() > 3 {
            s.push_str("; and ");
            s.push_str(&(rejected.len() - 3).to_string());
            s.push_str(" more");
        }
        s.push(')');
    }
    s
}

/// Resolved column positions.
struct Layout {
    user: usize,
    time: usize,
    amount: Option<usize>,
    name: Option<usize>,
    duration: Option<usize>,
    attributes: Vec<usize>,
    attribute_names: Vec<String>,
    /// Fields every row must have: the header's count, or without a header the count of the
    /// first accepted row (`None` until then).
    expected: Option<usize>,
}

fn resolve(spec: &CsvSpec, header: Option<&[String]>) -> Result<Layout> {
    let available = |h: &[String]| {
        h.iter()
            .map(|n| quote_if_needed(n))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let find = |c: &Column| -> Result<usize> {
        match (c, header) {
            (Column::Index(i), Some(h)) if *i >= h.len() => Err(Error::UnknownColumn {
                column: shorten(&c.to_string()),
                available: available(h),
            }),
            (Column::Index(i), _) => Ok(*i),
            (Column::Name(n), Some(h)) => {
                h.iter()
                    .position(|x| x == n)
                    .ok_or_else(|| Error::UnknownColumn {
                        column: shorten(n),
                        available: available(h),
                    })
            }
            (Column::Name(n), None) => match n.parse::<usize>() {
                Ok(i) => Ok(i),
                Err(_) => Err(Error::UnknownColumn {
                    column: shorten(n),
                    available:
                        "(the file has no header: name columns by 0-based position, e.g. #0)".into(),
                }),
            },
        }
    };
    let attributes = spec
        .attributes
        .iter()
        .map(find)
        .collect::<Result<Vec<_>>>()?;
    let attribute_names = spec
        .attributes
        .iter()
        .zip(&attributes)
        .map(|(c, i)| match (c, header) {
            (Column::Name(n), _) => n.clone(),
            (Column::Index(_), Some(h)) => h[*i].clone(),
            (Column::Index(i), None) => format!("#{i}"),
        })
        .collect();
    Ok(Layout {
        user: find(&spec.user)?,
        time: find(&spec.time)?,
        amount: spec.amount.as_ref().map(find).transpose()?,
        name: spec.name.as_ref().map(find).transpose()?,
        duration: spec.duration.as_ref().map(find).transpose()?,
        attributes,
        attribute_names,
        expected: header.map(<[String]>::len),
    })
}

impl Layout {
    fn max_index(&self) -> usize {
        [self.user, self.time]
            .into_iter()
            .chain(self.amount)
            .chain(self.name)
            .chain(self.duration)
            .chain(self.attributes.iter().copied())
            .max()
            .unwrap_or(0)
    }

    /// Whether `fields` has the number of fields this file's rows must have.
    fn check_count(&self, fields: &[&str]) -> std::result::Result<(), RejectReason> {
        // The largest column index is worked out only while no row has fixed the count
        // (the first rows of a file without a header), not once per row.
        match self.expected {
            Some(expected) if fields.len() != expected => Err(RejectReason::WrongFieldCount {
                expected,
                found: fields.len(),
            }),
            Some(_) => Ok(()),
            None => {
                let needed = self.max_index() + 1;
                if fields.len() < needed {
                    Err(RejectReason::WrongFieldCount {
                        expected: needed,
                        found: fields.len(),
                    })
                } else {
                    Ok(())
                }
            }
        }
    }

    /// Notes an accepted row: without a header, the first accepted row fixes the field count
    /// of the file (a bad first row must not make every later good row wrong).
    fn accepted(&mut self, fields: &[&str]) {
        self.expected.get_or_insert(fields.len());
    }

    /// The event of a row whose field count is right, or why it cannot be one.
    fn parse<'a>(
        &self,
        fields: &[&'a str],
        spec: &CsvSpec,
        parser: &InstantParser,
    ) -> std::result::Result<Parsed<'a>, RejectReason> {
        let user = fields[self.user].trim();
        if user.is_empty() {
            return Err(RejectReason::UserMissing);
        }
        let time_text = fields[self.time].trim();
        let at = match parser.parse(time_text) {
            Ok(at) => at,
            Err(_) if spec.time_format.is_none() && time_in_any_range(time_text, spec.zone) => {
                return Err(RejectReason::TimeOutOfRange(shorten(time_text)));
            }
            Err(_) => return Err(RejectReason::TimeUnparsable(shorten(time_text))),
        };
        let at = crate::time::check_instant("time", at)
            .map_err(|_| RejectReason::TimeOutOfRange(shorten(time_text)))?;
        let mut amount = 0.0;
        if let Some(i) = self.amount {
            let t = fields[i].trim();
            if !t.is_empty() {
                let a: f64 = parse_number(t, spec.decimal_comma)
                    .ok_or_else(|| RejectReason::AmountNotNumber(shorten(t)))?;
                if !a.is_finite() {
                    return Err(RejectReason::AmountNotFinite(shorten(t)));
                }
                amount = a;
            }
        }
        let name = self
            .name
            .map(|i| fields[i].trim())
            .filter(|t| !t.is_empty());
        let mut duration = None;
        if let Some(i) = self.duration {
            let t = fields[i].trim();
            if !t.is_empty() {
                let secs: f64 = parse_number(t, spec.decimal_comma)
                    .ok_or_else(|| RejectReason::DurationInvalid(shorten(t)))?;
                if !secs.is_finite() || !(0.0..=1.0e12).contains(&secs) {
                    return Err(RejectReason::DurationInvalid(shorten(t)));
                }
                duration = Some(TimeDelta::milliseconds((secs * 1000.0).round() as i64));
            }
        }
        Ok(Parsed {
            user,
            at,
            amount,
            name,
            duration,
        })
    }
}

/// One row's event, its fields borrowed from the row.
struct Parsed<'a> {
    user: &'a str,
    at: chrono::DateTime<chrono::Utc>,
    amount: f64,
    name: Option<&'a str>,
    duration: Option<TimeDelta>,
}

/// Where a reader's rows go: events ([`CsvEvents`]) or columns ([`CsvTable`]). Both count
/// rows and rejections alike.
trait Sink {
    /// Takes a row whose fields are split, or says why it cannot.
    fn accept(
        &mut self,
        layout: &mut Layout,
        fields: &[&str],
        spec: &CsvSpec,
        parser: &InstantParser,
    ) -> std::result::Result<(), RejectReason>;
    fn reject(&mut self, row: RejectedRow);
    fn count_row(&mut self);
    fn set_attribute_names(&mut self, names: &[String]);
}

impl Sink for CsvEvents {
    fn accept(
        &mut self,
        layout: &mut Layout,
        fields: &[&str],
        spec: &CsvSpec,
        parser: &InstantParser,
    ) -> std::result::Result<(), RejectReason> {
        layout.check_count(fields)?;
        let row = layout.parse(fields, spec, parser)?;
        let mut event = EventRecord::new(row.user.to_string(), row.at).with_amount(row.amount);
        event.name = row.name.map(str::to_string);
        if let Some(d) = row.duration {
            event = event.with_duration(d);
        }
        event.attributes = layout
            .attributes
            .iter()
            .map(|i| fields[*i].trim().to_string())
            .collect();
        self.events.push(event);
        layout.accepted(fields);
        Ok(())
    }
    fn reject(&mut self, row: RejectedRow) {
        self.rejected.push(row);
    }
    fn count_row(&mut self) {
        self.rows_read += 1;
    }
    fn set_attribute_names(&mut self, names: &[String]) {
        self.attribute_names = names.to_vec();
    }
}

/// What [`read_table`] returns: the accepted rows as an [`EventTable`] (users and event names
/// interned once each, no string or event object per row), every rejected row, and the count
/// of data rows.
#[derive(Debug, Clone, PartialEq)]
pub struct CsvTable {
    /// Accepted rows, in file order.
    pub table: EventTable<String>,
    /// Rejected rows, in file order.
    pub rejected: Vec<RejectedRow>,
    /// Data rows read (header and blank lines excluded): `table.len() + rejected.len()`.
    pub rows_read: u64,
}

impl CsvTable {
    /// A one-line account: rows read, accepted, rejected, and the first few rejections.
    ///
    /// ```
    /// let read = userops::csv::read_table("u,t\na,2025-01-01\n,2025-01-01\n".as_bytes(),
    ///     &userops::csv::CsvSpec::new("u", "t"))?;
    /// assert_eq!(read.account(), "2 rows read: 1 accepted, 1 rejected (line 3: user missing)");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn account(&self) -> String {
        account(self.rows_read, self.table.len(), &self.rejected)
    }
}

impl Sink for CsvTable {
    fn accept(
        &mut self,
        layout: &mut Layout,
        fields: &[&str],
        spec: &CsvSpec,
        parser: &InstantParser,
    ) -> std::result::Result<(), RejectReason> {
        layout.check_count(fields)?;
        let row = layout.parse(fields, spec, parser)?;
        push_row(
            &mut self.table,
            row.user,
            row.at.timestamp_micros(),
            row.amount,
            row.name,
            row.duration,
        )?;
        layout.accepted(fields);
        Ok(())
    }
    fn reject(&mut self, row: RejectedRow) {
        self.rejected.push(row);
    }
    fn count_row(&mut self) {
        self.rows_read += 1;
    }
    fn set_attribute_names(&mut self, _names: &[String]) {}
}

/// Appends one parsed row to a table: its event name and user interned (the name first),
/// the one place both table readers (the general one and the fast road) add rows.
fn push_row(
    table: &mut EventTable<String>,
    user: &str,
    at_micros: i64,
    amount: f64,
    name: Option<&str>,
    duration: Option<TimeDelta>,
) -> std::result::Result<(), RejectReason> {
    let name = match name {
        Some(name) => Some(table.name_index(name).map_err(|e| too_many(&e))?),
        None => None,
    };
    table
        .push_parts(user, at_micros, amount, name, duration)
        .map_err(|e| too_many(&e))
}

/// A dictionary past its cap, as a row's reason (the row is counted, not lost).
fn too_many(e: &Error) -> RejectReason {
    RejectReason::Malformed(shorten(&e.to_string()))
}

/// Reads a delimited file straight into an [`EventTable`]: the same rows accepted and
/// rejected as [`read_events`], each user id and event name made into a string once (when it
/// is first seen), times read by one parser chosen for the file. Attribute columns are not
/// kept in a table: a spec that names any is an error.
///
/// A file with a header and a one-byte separator is read in blocks of 16 MiB (memory stays
/// bounded whatever the file's size): a block with no quote, no lone `\r` and only valid
/// UTF-8 is split into lines and fields directly and parsed on every core (the `parallel`
/// feature), its rows added to the table in file order; from the first block that is not so
/// plain on, rows go through the full CSV parser. Either way the table, the rejected rows
/// and their line numbers are the same.
///
/// # Errors
/// As [`read_events`]; [`Error::InvalidParameter`] when the spec names attribute columns, or
/// for a time format that names no date.
///
/// ```
/// use userops::csv::{read_table, CsvSpec};
/// use userops::event::Event;
///
/// let text = "user,time,amount,event\nana,2025-01-05 10:00:00,30,order\nbo,2025-01-06,,visit\nana,bad,1,order\n";
/// let read = read_table(text.as_bytes(), &CsvSpec::new("user", "time").amount("amount").name("event"))?;
/// assert_eq!((read.rows_read, read.table.len(), read.rejected.len()), (3, 2, 1));
/// assert_eq!(read.table.users().values(), &["ana".to_string(), "bo".to_string()]);
/// let first = read.table.row(0).unwrap();
/// assert_eq!((first.user().as_str(), first.amount(), first.name()), ("ana", 30.0, Some("order")));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn read_table<R: Read>(reader: R, spec: &CsvSpec) -> Result<CsvTable> {
    read_table_with(reader, spec, &fast::Params::default())
}

/// [`read_table`] with the fast road's block and piece sizes (tests make them tiny).
fn read_table_with<R: Read>(reader: R, spec: &CsvSpec, params: &fast::Params) -> Result<CsvTable> {
    if !spec.attributes.is_empty() {
        return Err(Error::invalid(
            "attributes",
            "an event table keeps no attribute columns; read them with read_events",
        ));
    }
    let mut out = CsvTable {
        table: EventTable::new(),
        rejected: Vec::new(),
        rows_read: 0,
    };
    match (spec.delimiter, spec.has_header) {
        (Delimiter::Byte(b), true) if fast::fits(b) => {
            let parser = spec.instant_parser()?;
            fast::read_table(reader, spec, b, &parser, &mut out, params)?;
            // The users the fast road appended unhashed get the dictionary's own index.
            out.table.users_mut().index_pending();
        }
        _ => read_into(reader, spec, &mut out)?,
    }
    Ok(out)
}

/// [`read_table`] by the general road only (every row through the CSV parser): what the
/// fast road must equal.
#[cfg(test)]
fn read_table_general<R: Read>(reader: R, spec: &CsvSpec) -> Result<CsvTable> {
    let mut out = CsvTable {
        table: EventTable::new(),
        rejected: Vec::new(),
        rows_read: 0,
    };
    read_into(reader, spec, &mut out)?;
    Ok(out)
}

/// Reads a file into an [`EventTable`]; see [`read_table`].
///
/// # Errors
/// As [`read_table`], plus [`Error::Read`] naming the path when it cannot be opened.
///
/// ```
/// let err = userops::csv::read_table_from_path("/no/such/file.csv", &userops::csv::CsvSpec::new("u", "t"));
/// assert!(err.unwrap_err().to_string().contains("/no/such/file.csv"));
/// ```
pub fn read_table_from_path(path: impl AsRef<Path>, spec: &CsvSpec) -> Result<CsvTable> {
    let path = path.as_ref();
    let file = std::fs::File::open(path)
        .map_err(|e| Error::Read(format!("cannot open {}: {e}", path.display())))?;
    read_table(BufReader::with_capacity(1 << 20, file), spec)
}

fn read_into<R: Read, K: Sink>(reader: R, spec: &CsvSpec, out: &mut K) -> Result<()> {
    let parser = spec.instant_parser()?;
    match spec.delimiter {
        Delimiter::Whitespace => read_whitespace(reader, spec, &parser, out),
        Delimiter::Byte(b) => read_delimited(reader, spec, b, &parser, out),
    }
}

/// Reads events from any reader.
///
/// # Errors
/// Whole-file problems only — a missing header, a column that does not exist (the error lists
/// the columns that do), an I/O error. Row problems are not errors: they are reported in
/// [`CsvEvents::rejected`].
///
/// ```
/// use userops::csv::{read_events, CsvSpec};
/// let err = read_events("a,b\n1,2\n".as_bytes(), &CsvSpec::new("user", "b")).unwrap_err();
/// assert_eq!(err.to_string(), "column \"user\" does not exist; the columns are: a, b");
/// ```
pub fn read_events<R: Read>(reader: R, spec: &CsvSpec) -> Result<CsvEvents> {
    let mut out = CsvEvents {
        events: Vec::new(),
        rejected: Vec::new(),
        rows_read: 0,
        attribute_names: Vec::new(),
    };
    read_into(reader, spec, &mut out)?;
    Ok(out)
}

/// Reads events from a file; see [`read_events`].
///
/// # Errors
/// As [`read_events`], plus [`Error::Read`] naming the path when it cannot be opened.
///
/// ```
/// let err = userops::csv::read_events_from_path("/no/such/file.csv", &userops::csv::CsvSpec::new("u", "t"));
/// assert!(err.unwrap_err().to_string().contains("/no/such/file.csv"));
/// ```
pub fn read_events_from_path(path: impl AsRef<Path>, spec: &CsvSpec) -> Result<CsvEvents> {
    let path = path.as_ref();
    let file = std::fs::File::open(path)
        .map_err(|e| Error::Read(format!("cannot open {}: {e}", path.display())))?;
    read_events(BufReader::new(file), spec)
}

/// Watches the bytes the CSV parser reads: the last one (to tell at the end whether the file
/// ended inside a quote) and where each non-blank line starts (the parser's own positions
/// point before the blank lines it skips, so its line numbers are wrong after blank lines).
struct TailReader<R> {
    inner: R,
    /// The last non-line-end byte read so far (0 before any).
    last: u8,
    /// Whether the end of the input has been reached.
    ended: bool,
    /// Bytes read so far.
    offset: u64,
    /// The 1-based number of the line being read.
    line: u64,
    /// Whether the next byte starts a line.
    at_line_start: bool,
    /// Whether the previous byte was a `\r` (a `\n` right after it ends no other line).
    prev_cr: bool,
    /// (byte offset, line number) of the non-blank lines read ahead of the parser.
    starts: std::collections::VecDeque<(u64, u64)>,
}

impl<R> TailReader<R> {
    fn new(inner: R) -> Self {
        TailReader {
            inner,
            last: 0,
            ended: false,
            offset: 0,
            line: 1,
            at_line_start: true,
            prev_cr: false,
            starts: std::collections::VecDeque::new(),
        }
    }

    /// The line of the first non-blank line starting at or after `byte` (a record's position):
    /// the line the record is on.
    fn line_at(&mut self, byte: u64) -> Option<u64> {
        while self.starts.front().is_some_and(|(o, _)| *o < byte) {
            self.starts.pop_front();
        }
        self.starts.front().map(|(_, line)| *line)
    }
}

impl<R: Read> Read for TailReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.ended |= n == 0 && !buf.is_empty();
        for &b in &buf[..n] {
            let o = self.offset;
            self.offset += 1;
            if std::mem::take(&mut self.prev_cr) && b == b'\n' {
                continue;
            }
            if b == b'\n' || b == b'\r' {
                self.line += 1;
                self.at_line_start = true;
                self.prev_cr = b == b'\r';
            } else {
                self.last = b;
                if std::mem::take(&mut self.at_line_start) {
                    self.starts.push_back((o, self.line));
                }
            }
        }
        Ok(n)
    }
}

fn read_delimited<R: Read, K: Sink>(
    reader: R,
    spec: &CsvSpec,
    delimiter: u8,
    parser: &InstantParser,
    out: &mut K,
) -> Result<()> {
    read_delimited_at(reader, spec, delimiter, parser, out, 0, None)
}

/// [`read_delimited`] over text that starts `line_offset` lines into its file, the layout
/// already resolved when the header has been read (by the fast road, see `fast`).
fn read_delimited_at<R: Read, K: Sink>(
    reader: R,
    spec: &CsvSpec,
    delimiter: u8,
    parser: &InstantParser,
    out: &mut K,
    line_offset: u64,
    mut layout: Option<Layout>,
) -> Result<()> {
    let mut header_seen = layout.is_some();
    read_rows_at(reader, delimiter, line_offset, |line, row| {
        if spec.has_header && !header_seen {
            header_seen = true;
            let fields = row.map_err(|reason| {
                Error::Read(format!(
                    "the header row (line {line}) cannot be read: {reason}"
                ))
            })?;
            let names: Vec<String> = fields.iter().map(|f| header_name(f)).collect();
            let l = resolve(spec, Some(&names))?;
            out.set_attribute_names(&l.attribute_names);
            layout = Some(l);
            return Ok(());
        }
        let l = match layout.as_mut() {
            Some(l) => l,
            None => {
                let l = resolve(spec, None)?;
                out.set_attribute_names(&l.attribute_names);
                layout.insert(l)
            }
        };
        out.count_row();
        if let Err(reason) = row.and_then(|fields| out.accept(l, fields, spec, parser)) {
            out.reject(RejectedRow { line, reason });
        }
        Ok(())
    })?;
    if spec.has_header && !header_seen {
        return Err(Error::Empty("the file has no header row"));
    }
    if layout.is_none() {
        // No data row: still check the columns (a file of only blank lines).
        let l = resolve(spec, None)?;
        out.set_attribute_names(&l.attribute_names);
    }
    Ok(())
}

/// A header field as a column name: trimmed, without a byte-order mark.
///
/// ```
/// assert_eq!(userops::csv::header_name("\u{feff} user "), "user");
/// ```
#[must_use]
pub fn header_name(field: &str) -> String {
    field.trim_start_matches('\u{feff}').trim().to_string()
}

/// The rows of a delimited file (one byte separates fields, RFC 4180 quoting), each with its
/// 1-based line number: every non-blank line's fields, or why the row could not be split into
/// fields ([`RejectReason::Malformed`] for invalid UTF-8 or CSV framing,
/// [`RejectReason::UnterminatedQuote`] for a quote the file never closes, after which the
/// lines the quote swallowed are read again). The first row (a header, if the file has one)
/// is a row like the others. The one splitter behind [`read_events`] and the command-line
/// tools that read tables of their own, so that all count lines alike.
///
/// # Errors
/// An I/O error, or whatever `on_row` returns (which stops the reading).
///
/// ```
/// let text = "a,b\n\n1,2\n\"3,4\n5,6\n";
/// let mut rows = Vec::new();
/// userops::csv::read_rows(text.as_bytes(), b',', |line, row| {
///     rows.push((line, row.map(|f| f.join("|")).map_err(|r| r.to_string())));
///     Ok(())
/// })?;
/// assert_eq!(rows[0], (1, Ok("a|b".to_string())));
/// assert_eq!(rows[1], (3, Ok("1|2".to_string()))); // line 2 is blank
/// assert!(rows[2].1.as_ref().unwrap_err().starts_with("unterminated quote"));
/// assert_eq!(rows[3], (5, Ok("5|6".to_string()))); // read again after the quote
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn read_rows<R: Read>(
    reader: R,
    delimiter: u8,
    on_row: impl FnMut(u64, std::result::Result<&[&str], RejectReason>) -> Result<()>,
) -> Result<()> {
    read_rows_at(reader, delimiter, 0, on_row)
}

/// [`read_rows`] over text that starts `line_offset` lines into its file: every line number
/// is the reader's own plus `line_offset`.
fn read_rows_at<R: Read>(
    reader: R,
    delimiter: u8,
    line_offset: u64,
    mut on_row: impl FnMut(u64, std::result::Result<&[&str], RejectReason>) -> Result<()>,
) -> Result<()> {
    let builder = {
        let mut b = ::csv::ReaderBuilder::new();
        b.delimiter(delimiter).has_headers(false).flexible(true);
        b
    };
    let mut rdr = builder.from_reader(TailReader::new(reader));
    // After an unterminated quote, the text it swallowed is read again from the next line.
    let mut again = read_records(&mut rdr, line_offset, &mut on_row)?;
    while let Some((text, line_offset)) = again.take() {
        let mut rdr = builder.from_reader(TailReader::new(text.as_slice()));
        again = read_records(&mut rdr, line_offset, &mut on_row)?;
    }
    Ok(())
}

/// Reads records and hands them to `on_row`; line numbers are the reader's plus
/// `line_offset`. Returns the text to read again (and its line offset) when the last record
/// opened a quote that the file never closed.
fn read_records<R: Read>(
    rdr: &mut ::csv::Reader<TailReader<R>>,
    line_offset: u64,
    on_row: &mut impl FnMut(u64, std::result::Result<&[&str], RejectReason>) -> Result<()>,
) -> Result<Option<(Vec<u8>, u64)>> {
    let mut rec = ::csv::ByteRecord::new();
    loop {
        let read = rdr.read_byte_record(&mut rec);
        let mut line_of = |p: Option<&::csv::Position>| {
            let p = p?;
            let line = rdr.get_mut().line_at(p.byte()).unwrap_or(p.line());
            Some(line_offset + line)
        };
        match read {
            Ok(false) => return Ok(None),
            Err(e) => {
                // I/O errors end the file; framing errors are one bad row.
                if let ::csv::ErrorKind::Io(_) = e.kind() {
                    return Err(Error::Read(e.to_string()));
                }
                let line = line_of(e.position()).unwrap_or(line_offset);
                on_row(line, Err(RejectReason::Malformed(shorten(&e.to_string()))))?;
            }
            Ok(true) => {
                let line = line_of(rec.position()).unwrap_or(line_offset);
                if let Some(again) = unterminated_quote(rdr, &rec, line) {
                    on_row(line, Err(RejectReason::UnterminatedQuote))?;
                    return Ok(Some(again));
                }
                let fields: std::result::Result<Vec<&str>, _> =
                    rec.iter().map(std::str::from_utf8).collect();
                match fields {
                    Err(_) => on_row(line, Err(RejectReason::Malformed("not valid UTF-8".into())))?,
                    Ok(fields) => on_row(line, Ok(&fields))?,
                }
            }
        }
    }
}

/// When `rec` is the file's last record and its last field is a quote that ran to the end of
/// the file (it spans lines, and the file does not end with a closing quote), the text of that
/// field after its first line, to read again, with the line offset of that text.
fn unterminated_quote<R: Read>(
    rdr: &mut ::csv::Reader<TailReader<R>>,
    rec: &::csv::ByteRecord,
    line: u64,
) -> Option<(Vec<u8>, u64)> {
    let last = rec.get(rec.len().checked_sub(1)?)?;
    let newline = last.iter().position(|b| matches!(b, b'\n' | b'\r'))?;
    // A record ended by a line end leaves the reader short of the end of the input; only a
    // record that ran to the end (a quote still open, or no final line end) reaches it.
    if !rdr.get_ref().ended || rdr.get_ref().last == b'"' {
        return None;
    }
    let mut rest = &last[newline..];
    // One line end (\n, \r\n or \r) ends the record's first line.
    if rest.starts_with(b"\r\n") {
        rest = &rest[2..];
    } else {
        rest = &rest[1..];
    }
    Some((rest.to_vec(), line))
}

/// One line of a whitespace-separated file: the header, a blank line or a data row.
fn whitespace_line<K: Sink>(
    line: &[u8],
    line_no: u64,
    spec: &CsvSpec,
    parser: &InstantParser,
    layout: &mut Option<Layout>,
    out: &mut K,
) -> Result<()> {
    let Ok(text) = std::str::from_utf8(line) else {
        if layout.is_none() && spec.has_header {
            return Err(Error::Read(format!(
                "the header line (line {line_no}) is not valid UTF-8"
            )));
        }
        out.count_row();
        out.reject(RejectedRow {
            line: line_no,
            reason: RejectReason::Malformed("not valid UTF-8".into()),
        });
        return Ok(());
    };
    let fields: Vec<&str> = text.split_ascii_whitespace().collect();
    if fields.is_empty() {
        return Ok(());
    }
    if layout.is_none() {
        if spec.has_header {
            let names: Vec<String> = fields.iter().map(ToString::to_string).collect();
            let l = resolve(spec, Some(&names))?;
            out.set_attribute_names(&l.attribute_names);
            *layout = Some(l);
            return Ok(());
        }
        let l = resolve(spec, None)?;
        out.set_attribute_names(&l.attribute_names);
        *layout = Some(l);
    }
    let Some(l) = layout.as_mut() else {
        return Ok(());
    };
    out.count_row();
    if let Err(reason) = out.accept(l, &fields, spec, parser) {
        out.reject(RejectedRow {
            line: line_no,
            reason,
        });
    }
    Ok(())
}

fn read_whitespace<R: Read, K: Sink>(
    reader: R,
    spec: &CsvSpec,
    parser: &InstantParser,
    out: &mut K,
) -> Result<()> {
    let mut reader = BufReader::new(reader);
    let mut buf = Vec::new();
    let mut line_no = 0_u64;
    let mut layout: Option<Layout> = None;
    loop {
        buf.clear();
        let n = reader.read_until(b'\n', &mut buf)?;
        if n == 0 {
            break;
        }
        if line_no == 0 && buf.starts_with("\u{feff}".as_bytes()) {
            buf.drain(..3);
        }
        // A line ends at \n, \r\n or a lone \r (old Mac files): split what `read_until` gave
        // at every \r, and let a \r just before the \n (or at the very end) end no extra line.
        let chunk = buf.strip_suffix(b"\n").unwrap_or(&buf);
        let chunk = chunk.strip_suffix(b"\r").unwrap_or(chunk);
        for line in chunk.split(|b| *b == b'\r') {
            line_no += 1;
            whitespace_line(line, line_no, spec, parser, &mut layout, out)?;
        }
    }
    if layout.is_none() && spec.has_header {
        return Err(Error::Empty("the file has no header row"));
    }
    Ok(())
}
