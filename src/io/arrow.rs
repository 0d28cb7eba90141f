//! Events from Arrow [`RecordBatch`]es and Parquet files, straight into an
//! [`EventTable<String>`] (feature `arrow`).
//!
//! Each batch is read column by column as Arrow holds it: no event object and no `String` per
//! row. The rows are checked first; then the accepted rows' user ids are looked up as one
//! batch by a packed key (an integer id without being formatted), and a new id is stored once,
//! as its decimal text for an integer column. With the `parallel` feature, [`read_parquet`]
//! decodes the file on a second thread while the first checks and interns. A row with a time
//! outside the supported years is a rejected row ([`RejectReason::TimeOutOfRange`]).
//!
//! | role | Arrow types read |
//! |---|---|
//! | user (required) | `Utf8`, `LargeUtf8`, `Utf8View`, `Dictionary(any integer key, Utf8 / LargeUtf8 / Utf8View)`; `Int8`..`Int64`, `UInt8`..`UInt64` |
//! | time (required) | `Timestamp(any unit, any zone or none)`, `Date32`, `Date64`; `Utf8` / `LargeUtf8` / `Utf8View` parsed with [`crate::time::parse_instant`] |
//! | amount (optional) | `Float64`, `Float32`, `Int8`..`Int64`, `UInt8`..`UInt64`, `Decimal128` |
//! | event name (optional) | the string and dictionary types of the user column |
//!
//! * **Integer user ids** become their decimal text (`42`, `-7`), formatted per row into the
//!   reused buffer (no allocation): the same ids a CSV of the same data gives, so a table read
//!   from a Parquet file and one read from its CSV export have the same users.
//! * **Times.** A timestamp *with* a zone is an instant (Arrow stores UTC; the zone only
//!   names how to display it), read as it is. A timestamp *without* a zone, a `Date32` and a
//!   `Date64` are wall-clock times: they are read in [`ArrowSpec::zone`], UTC unless set (as the
//!   CSV reader reads times written without an offset). Nanoseconds are cut to the microsecond
//!   towards the past, as [`EventTable`] keeps them, so no instant changes its calendar day.
//! * **Nothing is dropped silently.** A row with a null or empty user, a null time, a time
//!   that cannot be parsed or is outside the calendar, or an amount that is NaN or infinite is
//!   rejected and counted; [`ReadReport`] lists the first [`ArrowSpec::max_listed`] of them
//!   with their 0-based row number (over all batches, in order), and
//!   `rows_read == accepted + rejected`. A null amount is 0 (not a payment) and a null or
//!   empty event name is no name, as empty fields are in the CSV reader.
//! * A column that does not exist is an [`Error::UnknownColumn`] listing the ones that do; a
//!   column of a type not in the table above is an [`Error::InvalidInput`]; neither reads
//!   any row.
//!
//! ```
//! use std::sync::Arc;
//! use arrow_array::{Float64Array, Int64Array, RecordBatch, TimestampMillisecondArray};
//! use userops::event::Event;
//! use userops::io::arrow::{read_batches, ArrowSpec};
//!
//! let batch = RecordBatch::try_from_iter([
//!     ("customer", Arc::new(Int64Array::from(vec![Some(7), None, Some(7)])) as _),
//!     ("ts", Arc::new(TimestampMillisecondArray::from(vec![0, 1_000, 86_400_000]).with_timezone("UTC")) as _),
//!     ("revenue", Arc::new(Float64Array::from(vec![Some(9.5), Some(1.0), None])) as _),
//! ])?;
//! let (table, report) = read_batches([&batch], &ArrowSpec::new("customer", "ts").amount("revenue"))?;
//! assert_eq!((report.rows_read, report.accepted, report.rejected), (3, 2, 1));
//! assert_eq!(report.account(), "3 rows read: 2 accepted, 1 rejected (row 1: user missing)");
//! let last = table.row(1).unwrap();
//! assert_eq!((last.user().as_str(), last.at().to_rfc3339(), last.amount()), ("7", "1970-01-02T00:00:00+00:00".to_string(), 0.0));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::borrow::Borrow;
use std::fmt::{self, Write as _};
use std::path::Path;

use arrow_array::cast::AsArray;
use arrow_array::types::{
    Date32Type, Date64Type, Decimal128Type, Float32Type, Float64Type, Int8Type, Int16Type,
    Int32Type, Int64Type, TimestampMicrosecondType, TimestampMillisecondType,
    TimestampNanosecondType, TimestampSecondType, UInt8Type, UInt16Type, UInt32Type, UInt64Type,
};
use arrow_array::{
    Array, ArrayRef, LargeStringArray, PrimitiveArray, RecordBatch, StringArray, StringViewArray,
};
use arrow_schema::{DataType, Schema, TimeUnit};
use chrono::DateTime;
use serde::{Deserialize, Serialize};

use crate::csv::Column;
use crate::engine::{EventTable, FULL, IdKey, TextIds};
use crate::time::{Zone, local_to_utc, parse_instant};
use crate::{Error, Result};

/// Rows per batch when reading a Parquet file.
const PARQUET_BATCH_ROWS: usize = 64 * 1024;

/// What to read: which columns hold what, the zone of wall-clock times, and how many
/// rejected rows to list.
///
/// ```
/// use userops::io::arrow::ArrowSpec;
/// let spec = ArrowSpec::new("user_id", 1_usize)
///     .amount("price")
///     .name("event")
///     .zone(userops::time::Zone::parse("Europe/Paris")?)
///     .max_listed(10);
/// assert_eq!(spec.time, userops::csv::Column::Index(1));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct ArrowSpec {
    /// The user id column (required).
    pub user: Column,
    /// The time column (required).
    pub time: Column,
    /// The amount column (optional; without it every amount is 0).
    pub amount: Option<Column>,
    /// The event-name column (optional).
    pub name: Option<Column>,
    /// The zone of wall-clock times: timestamps without a zone, dates, and text times
    /// without an offset. UTC unless set.
    pub zone: Zone,
    /// How many rejected rows [`ReadReport::rejections`] lists (all are counted). 1,000 unless
    /// set.
    pub max_listed: usize,
}

impl ArrowSpec {
    /// Reads `user` and `time` (by name or 0-based index); wall-clock times in UTC.
    ///
    /// ```
    /// let spec = userops::io::arrow::ArrowSpec::new("u", "t");
    /// assert_eq!((spec.amount, spec.max_listed), (None, 1_000));
    /// ```
    pub fn new(user: impl Into<Column>, time: impl Into<Column>) -> Self {
        ArrowSpec {
            user: user.into(),
            time: time.into(),
            amount: None,
            name: None,
            zone: Zone::Utc,
            max_listed: 1_000,
        }
    }

    /// Sets the amount column.
    ///
    /// ```
    /// assert!(userops::io::arrow::ArrowSpec::new("u", "t").amount("revenue").amount.is_some());
    /// ```
    #[must_use]
    pub fn amount(mut self, column: impl Into<Column>) -> Self {
        self.amount = Some(column.into());
        self
    }

    /// Sets the event-name column.
    ///
    /// ```
    /// assert!(userops::io::arrow::ArrowSpec::new("u", "t").name("event").name.is_some());
    /// ```
    #[must_use]
    pub fn name(mut self, column: impl Into<Column>) -> Self {
        self.name = Some(column.into());
        self
    }

    /// Sets the zone of wall-clock times.
    ///
    /// ```
    /// let spec = userops::io::arrow::ArrowSpec::new("u", "t").zone(userops::time::Zone::parse("+08:00")?);
    /// assert_eq!(spec.zone.name(), "+08:00");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn zone(mut self, zone: Zone) -> Self {
        self.zone = zone;
        self
    }

    /// Sets how many rejected rows are listed.
    ///
    /// ```
    /// assert_eq!(userops::io::arrow::ArrowSpec::new("u", "t").max_listed(5).max_listed, 5);
    /// ```
    #[must_use]
    pub fn max_listed(mut self, rows: usize) -> Self {
        self.max_listed = rows;
        self
    }
}

/// Why a row was rejected.
///
/// ```
/// use userops::io::arrow::RejectReason;
/// assert_eq!(RejectReason::TimeMissing.to_string(), "time missing");
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub enum RejectReason {
    /// The user is null or an empty string.
    UserMissing,
    /// The time is null.
    TimeMissing,
    /// The time is text that [`crate::time::parse_instant`] cannot read.
    TimeUnparsable(String),
    /// The time is outside the range of instants the calendar can hold.
    TimeOutOfRange(String),
    /// The amount is NaN or infinite.
    AmountNotFinite(String),
}

impl fmt::Display for RejectReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RejectReason::UserMissing => f.write_str("user missing"),
            RejectReason::TimeMissing => f.write_str("time missing"),
            RejectReason::TimeUnparsable(t) => write!(f, "time cannot be parsed: {t:?}"),
            RejectReason::TimeOutOfRange(t) => write!(f, "time out of range: {t}"),
            RejectReason::AmountNotFinite(t) => write!(f, "amount is not finite: {t}"),
        }
    }
}

/// A row the reader could not use.
///
/// ```
/// use userops::io::arrow::{RejectedRow, RejectReason};
/// let r = RejectedRow { row: 4, reason: RejectReason::UserMissing };
/// assert_eq!(r.to_string(), "row 4: user missing");
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RejectedRow {
    /// 0-based row number over every batch read, in order.
    pub row: u64,
    /// Why.
    pub reason: RejectReason,
}

impl fmt::Display for RejectedRow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "row {}: {}", self.row, self.reason)
    }
}

/// The account of a read: rows read, accepted and rejected, and the first rejected rows.
///
/// ```
/// let report = userops::io::arrow::ReadReport::default();
/// assert_eq!(report.account(), "0 rows read: 0 accepted, 0 rejected");
/// ```
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ReadReport {
    /// Rows read: `accepted + rejected`.
    pub rows_read: u64,
    /// Rows that became events.
    pub accepted: u64,
    /// Rows rejected.
    pub rejected: u64,
    /// The first [`ArrowSpec::max_listed`] rejected rows, in row order.
    pub rejections: Vec<RejectedRow>,
}

impl ReadReport {
    /// A one-line account: rows read, accepted, rejected, and the first few rejections.
    ///
    /// ```
    /// use userops::io::arrow::{ReadReport, RejectedRow, RejectReason};
    /// let report = ReadReport {
    ///     rows_read: 10, accepted: 8, rejected: 2,
    ///     rejections: vec![RejectedRow { row: 3, reason: RejectReason::TimeMissing }],
    /// };
    /// assert_eq!(report.account(), "10 rows read: 8 accepted, 2 rejected (row 3: time missing; and 1 more)");
    /// ```
    #[must_use]
    pub fn account(&self) -> String {
        let mut s = format!(
            "{} rows read: {} accepted, {} rejected",
            self.rows_read, self.accepted, self.rejected
        );
        if self.rejected > 0 {
            let shown: Vec<String> = self
                .rejections
                .iter()
                .take(3)
                .map(ToString::to_string)
                .collect();
            s.push_str(" (");
            s.push_str(&shown.join("; "));
            let more = self.rejected - shown.len() as u64;
            if more > 0 {
                if !shown.is_empty() {
                    s.push_str("; ");
                }
                let _ = write!(s, "and {more} more");
            }
            s.push(')');
        }
        s
    }
}

/// Column positions resolved against a schema.
#[derive(Debug, Clone, Copy)]
struct Layout {
    user: usize,
    time: usize,
    amount: Option<usize>,
    name: Option<usize>,
}

impl Layout {
    fn resolve(spec: &ArrowSpec, schema: &Schema) -> Result<Layout> {
        let available = || {
            schema
                .fields()
                .iter()
                .map(|f| f.name().as_str())
                .collect::<Vec<_>>()
                .join(", ")
        };
        let find = |c: &Column| -> Result<usize> {
            let found = match c {
                Column::Index(i) => (*i < schema.fields().len()).then_some(*i),
                Column::Name(n) => schema.index_of(n).ok(),
            };
            found.ok_or_else(|| Error::UnknownColumn {
                column: c.to_string(),
                available: available(),
            })
        };
        Ok(Layout {
            user: find(&spec.user)?,
            time: find(&spec.time)?,
            amount: spec.amount.as_ref().map(find).transpose()?,
            name: spec.name.as_ref().map(find).transpose()?,
        })
    }

    /// The distinct columns read, ascending.
    fn columns(&self) -> Vec<usize> {
        let mut c: Vec<usize> = [self.user, self.time]
            .into_iter()
            .chain(self.amount)
            .chain(self.name)
            .collect();
        c.sort_unstable();
        c.dedup();
        c
    }

    /// The same columns in a batch holding only `columns` (ascending), in that order.
    fn projected(&self, columns: &[usize]) -> Layout {
        let at = |i: usize| columns.binary_search(&i).unwrap_or(0);
        Layout {
            user: at(self.user),
            time: at(self.time),
            amount: self.amount.map(at),
            name: self.name.map(at),
        }
    }
}

fn unsupported(role: &str, column: &Column, found: &DataType, expected: &str) -> Error {
    Error::InvalidInput(format!(
        "the {role} column {column} is {found}; expected {expected}"
    ))
}

/// A column of text: plain, large, view, or dictionary-encoded.
enum Strings<'a> {
    Utf8(&'a StringArray),
    Large(&'a LargeStringArray),
    View(&'a StringViewArray),
    Dict {
        keys: Vec<usize>,
        values: Box<Strings<'a>>,
    },
}

impl<'a> Strings<'a> {
    fn new(array: &'a dyn Array) -> Option<Strings<'a>> {
        match array.data_type() {
            DataType::Utf8 => array.as_string_opt::<i32>().map(Strings::Utf8),
            DataType::LargeUtf8 => array.as_string_opt::<i64>().map(Strings::Large),
            DataType::Utf8View => array.as_string_view_opt().map(Strings::View),
            DataType::Dictionary(_, value) if is_text(value) => {
                let dict = array.as_any_dictionary_opt()?;
                let values: &'a ArrayRef = dict.values();
                Some(Strings::Dict {
                    keys: dict.normalized_keys(),
                    values: Box::new(Strings::new(values.as_ref())?),
                })
            }
            _ => None,
        }
    }

    /// Row `i`'s text (callers check nulls first).
    #[inline]
    fn value(&self, i: usize) -> &'a str {
        match self {
            Strings::Utf8(a) => a.value(i),
            Strings::Large(a) => a.value(i),
            Strings::View(a) => a.value(i),
            Strings::Dict { keys, values } => values.value(keys[i]),
        }
    }
}

fn is_text(t: &DataType) -> bool {
    matches!(t, DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View)
}

/// Integer user ids, as Arrow holds them.
enum Ints<'a> {
    I8(&'a PrimitiveArray<Int8Type>),
    I16(&'a PrimitiveArray<Int16Type>),
    I32(&'a PrimitiveArray<Int32Type>),
    I64(&'a PrimitiveArray<Int64Type>),
    U8(&'a PrimitiveArray<UInt8Type>),
    U16(&'a PrimitiveArray<UInt16Type>),
    U32(&'a PrimitiveArray<UInt32Type>),
    U64(&'a PrimitiveArray<UInt64Type>),
}

impl Ints<'_> {
    /// The packed key of row `i`'s id, as its decimal text would pack.
    #[inline]
    fn key(&self, i: usize) -> Option<IdKey> {
        match self {
            Ints::I8(a) => IdKey::of_i64(a.value(i).into()),
            Ints::I16(a) => IdKey::of_i64(a.value(i).into()),
            Ints::I32(a) => IdKey::of_i64(a.value(i).into()),
            Ints::I64(a) => IdKey::of_i64(a.value(i)),
            Ints::U8(a) => IdKey::of_u64(a.value(i).into()),
            Ints::U16(a) => IdKey::of_u64(a.value(i).into()),
            Ints::U32(a) => IdKey::of_u64(a.value(i).into()),
            Ints::U64(a) => IdKey::of_u64(a.value(i)),
        }
    }

    /// Writes row `i`'s id as decimal text into `buf` (cleared first).
    #[inline]
    fn write(&self, i: usize, buf: &mut String) {
        buf.clear();
        // Writing to a String cannot fail.
        let _ = match self {
            Ints::I8(a) => write!(buf, "{}", a.value(i)),
            Ints::I16(a) => write!(buf, "{}", a.value(i)),
            Ints::I32(a) => write!(buf, "{}", a.value(i)),
            Ints::I64(a) => write!(buf, "{}", a.value(i)),
            Ints::U8(a) => write!(buf, "{}", a.value(i)),
            Ints::U16(a) => write!(buf, "{}", a.value(i)),
            Ints::U32(a) => write!(buf, "{}", a.value(i)),
            Ints::U64(a) => write!(buf, "{}", a.value(i)),
        };
    }
}

enum Users<'a> {
    Text(Strings<'a>),
    Int(Ints<'a>),
}

impl<'a> Users<'a> {
    fn new(array: &'a dyn Array, column: &Column) -> Result<Users<'a>> {
        let ints = match array.data_type() {
            DataType::Int8 => array.as_primitive_opt().map(Ints::I8),
            DataType::Int16 => array.as_primitive_opt().map(Ints::I16),
            DataType::Int32 => array.as_primitive_opt().map(Ints::I32),
            DataType::Int64 => array.as_primitive_opt().map(Ints::I64),
            DataType::UInt8 => array.as_primitive_opt().map(Ints::U8),
            DataType::UInt16 => array.as_primitive_opt().map(Ints::U16),
            DataType::UInt32 => array.as_primitive_opt().map(Ints::U32),
            DataType::UInt64 => array.as_primitive_opt().map(Ints::U64),
            _ => None,
        };
        if let Some(ints) = ints {
            return Ok(Users::Int(ints));
        }
        Strings::new(array).map(Users::Text).ok_or_else(|| {
            unsupported(
                "user",
                column,
                array.data_type(),
                "text (Utf8, LargeUtf8, Utf8View or a dictionary of them) or integers",
            )
        })
    }
}

/// Times as Arrow holds them.
enum Times<'a> {
    /// Counts since the epoch: `per_second` of them a second (1 for seconds .. 10⁹ for
    /// nanoseconds); `wall_clock` when they are local times (no zone) rather than instants.
    Epoch {
        values: &'a [i64],
        per_second: i64,
        wall_clock: bool,
    },
    /// Days since the epoch (a wall-clock date).
    Days(&'a [i32]),
    Text(Strings<'a>),
}

impl<'a> Times<'a> {
    fn new(array: &'a dyn Array, column: &Column) -> Result<Times<'a>> {
        let epoch = |values: &'a [i64], per_second: i64, wall_clock: bool| Times::Epoch {
            values,
            per_second,
            wall_clock,
        };
        let found = match array.data_type() {
            DataType::Timestamp(unit, zone) => {
                let wall = zone.is_none();
                match unit {
                    TimeUnit::Second => array
                        .as_primitive_opt::<TimestampSecondType>()
                        .map(|a| epoch(a.values(), 1, wall)),
                    TimeUnit::Millisecond => array
                        .as_primitive_opt::<TimestampMillisecondType>()
                        .map(|a| epoch(a.values(), 1_000, wall)),
                    TimeUnit::Microsecond => array
                        .as_primitive_opt::<TimestampMicrosecondType>()
                        .map(|a| epoch(a.values(), 1_000_000, wall)),
                    TimeUnit::Nanosecond => array
                        .as_primitive_opt::<TimestampNanosecondType>()
                        .map(|a| epoch(a.values(), 1_000_000_000, wall)),
                }
            }
            DataType::Date32 => array
                .as_primitive_opt::<Date32Type>()
                .map(|a| Times::Days(a.values())),
            DataType::Date64 => array
                .as_primitive_opt::<Date64Type>()
                .map(|a| epoch(a.values(), 1_000, true)),
            _ => Strings::new(array).map(Times::Text),
        };
        found.ok_or_else(|| {
            unsupported(
                "time",
                column,
                array.data_type(),
                "Timestamp, Date32, Date64 or text",
            )
        })
    }

    /// Row `i`'s instant in microseconds since the epoch (callers check nulls first).
    #[inline]
    fn micros(&self, i: usize, zone: Zone) -> std::result::Result<i64, RejectReason> {
        let (micros, wall_clock) = match self {
            Times::Epoch {
                values,
                per_second,
                wall_clock,
            } => {
                let v = values[i];
                let micros = match per_second {
                    1 => v.checked_mul(1_000_000),
                    1_000 => v.checked_mul(1_000),
                    1_000_000 => Some(v),
                    // Towards the past, as the table keeps instants.
                    _ => Some(v.div_euclid(1_000)),
                };
                let out_of_range = || {
                    RejectReason::TimeOutOfRange(format!("{v} (1/{per_second} s since 1970-01-01)"))
                };
                (micros.ok_or_else(out_of_range)?, *wall_clock)
            }
            Times::Days(values) => {
                let d = i64::from(values[i]);
                (d * 86_400_000_000, true)
            }
            Times::Text(strings) => {
                let text = strings.value(i);
                let at = parse_instant(text, &zone)
                    .map_err(|_| RejectReason::TimeUnparsable(text.to_string()))?;
                return Ok(at.timestamp_micros());
            }
        };
        let Some(at) = DateTime::from_timestamp_micros(micros) else {
            return Err(RejectReason::TimeOutOfRange(format!(
                "{micros} µs since 1970-01-01"
            )));
        };
        if !wall_clock || matches!(zone, Zone::Utc) {
            return Ok(micros);
        }
        Ok(local_to_utc(&zone, at.naive_utc()).timestamp_micros())
    }
}

/// Amounts as Arrow holds them.
enum Amounts<'a> {
    F64(&'a [f64]),
    F32(&'a [f32]),
    I8(&'a [i8]),
    I16(&'a [i16]),
    I32(&'a [i32]),
    I64(&'a [i64]),
    U8(&'a [u8]),
    U16(&'a [u16]),
    U32(&'a [u32]),
    U64(&'a [u64]),
    /// Unscaled values and 10^scale.
    Decimal(&'a [i128], f64),
}

impl<'a> Amounts<'a> {
    fn new(array: &'a dyn Array, column: &Column) -> Result<Amounts<'a>> {
        let found = match array.data_type() {
            DataType::Float64 => array
                .as_primitive_opt::<Float64Type>()
                .map(|a| Amounts::F64(a.values())),
            DataType::Float32 => array
                .as_primitive_opt::<Float32Type>()
                .map(|a| Amounts::F32(a.values())),
            DataType::Int8 => array
                .as_primitive_opt::<Int8Type>()
                .map(|a| Amounts::I8(a.values())),
            DataType::Int16 => array
                .as_primitive_opt::<Int16Type>()
                .map(|a| Amounts::I16(a.values())),
            DataType::Int32 => array
                .as_primitive_opt::<Int32Type>()
                .map(|a| Amounts::I32(a.values())),
            DataType::Int64 => array
                .as_primitive_opt::<Int64Type>()
                .map(|a| Amounts::I64(a.values())),
            DataType::UInt8 => array
                .as_primitive_opt::<UInt8Type>()
                .map(|a| Amounts::U8(a.values())),
            DataType::UInt16 => array
                .as_primitive_opt::<UInt16Type>()
                .map(|a| Amounts::U16(a.values())),
            DataType::UInt32 => array
                .as_primitive_opt::<UInt32Type>()
                .map(|a| Amounts::U32(a.values())),
            DataType::UInt64 => array
                .as_primitive_opt::<UInt64Type>()
                .map(|a| Amounts::U64(a.values())),
            DataType::Decimal128(_, scale) => array
                .as_primitive_opt::<Decimal128Type>()
                .map(|a| Amounts::Decimal(a.values(), 10_f64.powi(i32::from(*scale)))),
            _ => None,
        };
        found.ok_or_else(|| {
            unsupported(
                "amount",
                column,
                array.data_type(),
                "Float64, Float32, an integer type or Decimal128",
            )
        })
    }

    #[inline]
    fn value(&self, i: usize) -> f64 {
        match self {
            Amounts::F64(v) => v[i],
            Amounts::F32(v) => f64::from(v[i]),
            Amounts::I8(v) => f64::from(v[i]),
            Amounts::I16(v) => f64::from(v[i]),
            Amounts::I32(v) => f64::from(v[i]),
            Amounts::I64(v) => v[i] as f64,
            Amounts::U8(v) => f64::from(v[i]),
            Amounts::U16(v) => f64::from(v[i]),
            Amounts::U32(v) => f64::from(v[i]),
            Amounts::U64(v) => v[i] as f64,
            Amounts::Decimal(v, scale) => v[i] as f64 / scale,
        }
    }
}

/// Whether row `i` of a column is null, given the column's logical nulls (for a dictionary:
/// its key or its value).
macro_rules! is_null {
    ($nulls:expr, $i:expr) => {
        $nulls.as_ref().is_some_and(|n| n.is_null($i))
    };
}

/// Reads Arrow batches into an [`EventTable<String>`], one batch at a time, keeping the
/// account of every row.
///
/// ```
/// use std::sync::Arc;
/// use arrow_array::{RecordBatch, StringArray};
/// use userops::io::arrow::{ArrowReader, ArrowSpec};
///
/// let mut reader = ArrowReader::new(ArrowSpec::new(0_usize, 1_usize));
/// for day in ["2025-01-01", "2025-01-02"] {
///     let batch = RecordBatch::try_from_iter([
///         ("user", Arc::new(StringArray::from(vec!["ana", ""])) as _),
///         ("time", Arc::new(StringArray::from(vec![day, day])) as _),
///     ])?;
///     reader.push_batch(&batch)?;
/// }
/// let (table, report) = reader.finish();
/// assert_eq!((table.len(), table.users().len()), (2, 1));
/// assert_eq!(report.rejections.iter().map(|r| r.row).collect::<Vec<_>>(), [1, 3]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct ArrowReader {
    spec: ArrowSpec,
    table: EventTable<String>,
    report: ReadReport,
    /// The table's user ids, found by packed key (made with the first batch).
    ids: Option<TextIds>,
    /// The user index of each accepted row of a batch (kept to reuse its room).
    indices: Vec<u32>,
}

impl ArrowReader {
    /// A reader filling an empty table.
    ///
    /// ```
    /// let reader = userops::io::arrow::ArrowReader::new(userops::io::arrow::ArrowSpec::new("u", "t"));
    /// assert_eq!(reader.report().rows_read, 0);
    /// ```
    #[must_use]
    pub fn new(spec: ArrowSpec) -> Self {
        ArrowReader {
            spec,
            table: EventTable::new(),
            report: ReadReport::default(),
            ids: None,
            indices: Vec::new(),
        }
    }

    /// The account so far.
    ///
    /// ```
    /// let reader = userops::io::arrow::ArrowReader::new(userops::io::arrow::ArrowSpec::new("u", "t"));
    /// assert_eq!(reader.report().accepted, 0);
    /// ```
    #[must_use]
    pub fn report(&self) -> &ReadReport {
        &self.report
    }

    /// Room for `rows` more rows in the table.
    ///
    /// ```
    /// let mut reader = userops::io::arrow::ArrowReader::new(userops::io::arrow::ArrowSpec::new("u", "t"));
    /// reader.reserve(1_000);
    /// ```
    pub fn reserve(&mut self, rows: usize) {
        self.table.reserve(rows);
    }

    /// Appends every row of `batch`, its columns found by the spec in the batch's schema.
    ///
    /// # Errors
    /// [`Error::UnknownColumn`] or [`Error::InvalidInput`] (a column of a type this reader
    /// does not read) before any row is read; [`Error::TooManyUsers`] past the dictionary's
    /// limit, with the rows before it in the table.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use arrow_array::{RecordBatch, BooleanArray, StringArray};
    /// let batch = RecordBatch::try_from_iter([
    ///     ("u", Arc::new(StringArray::from(vec!["a"])) as _),
    ///     ("t", Arc::new(BooleanArray::from(vec![true])) as _),
    /// ])?;
    /// let mut reader = userops::io::arrow::ArrowReader::new(userops::io::arrow::ArrowSpec::new("u", "t"));
    /// assert!(reader.push_batch(&batch).unwrap_err().to_string().contains("the time column t is Boolean"));
    /// assert!(reader.push_batch(&batch.project(&[0])?).unwrap_err().to_string().contains("\"t\" does not exist"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn push_batch(&mut self, batch: &RecordBatch) -> Result<()> {
        let layout = Layout::resolve(&self.spec, batch.schema_ref())?;
        self.push_with_layout(batch, layout)
    }

    fn push_with_layout(&mut self, batch: &RecordBatch, layout: Layout) -> Result<()> {
        let ArrowReader {
            spec,
            table,
            report,
            ids,
            indices,
        } = self;
        let user_array = batch.column(layout.user).as_ref();
        let time_array = batch.column(layout.time).as_ref();
        let users = Users::new(user_array, &spec.user)?;
        let times = Times::new(time_array, &spec.time)?;
        let amount_array = layout.amount.map(|i| batch.column(i).as_ref());
        let amounts = match (amount_array, &spec.amount) {
            (Some(a), Some(c)) => Some(Amounts::new(a, c)?),
            _ => None,
        };
        let name_array = layout.name.map(|i| batch.column(i).as_ref());
        let names = match (name_array, &spec.name) {
            (Some(a), Some(c)) => Some(Strings::new(a).ok_or_else(|| {
                unsupported(
                    "event name",
                    c,
                    a.data_type(),
                    "text (Utf8, LargeUtf8, Utf8View or a dictionary of them)",
                )
            })?),
            _ => None,
        };
        let user_nulls = user_array.logical_nulls();
        let time_nulls = time_array.logical_nulls();
        let amount_nulls = amount_array.and_then(Array::logical_nulls);
        let name_nulls = name_array.and_then(Array::logical_nulls);
        // A dictionary-encoded name column: each dictionary value interned once per batch.
        let mut name_of_key: Vec<u32> = match &names {
            Some(Strings::Dict { .. }) => vec![u32::MAX; name_array.map_or(0, dict_len)],
            _ => Vec::new(),
        };

        // First the rows: each checked, and the accepted ones' parts kept; then their user
        // ids looked up as one batch (the slots of the rows ahead asked for first).
        let ids = ids.get_or_insert_with(|| TextIds::new(table.users()));
        let mut rows = Vec::with_capacity(batch.num_rows());
        let mut keys = Vec::with_capacity(batch.num_rows());
        for i in 0..batch.num_rows() {
            let row = report.rows_read;
            report.rows_read += 1;
            let verdict = (|| {
                if is_null!(user_nulls, i) {
                    return Err(RejectReason::UserMissing);
                }
                let key = match &users {
                    Users::Text(s) => {
                        let id = s.value(i);
                        if id.is_empty() {
                            return Err(RejectReason::UserMissing);
                        }
                        IdKey::of(id)
                    }
                    Users::Int(n) => n.key(i),
                };
                if is_null!(time_nulls, i) {
                    return Err(RejectReason::TimeMissing);
                }
                let at = times.micros(i, spec.zone)?;
                if !crate::time::micros_supported(at) {
                    return Err(RejectReason::TimeOutOfRange(format!(
                        "{at} µs since 1970-01-01 (the supported years are {}..={})",
                        crate::time::MIN_YEAR,
                        crate::time::MAX_YEAR
                    )));
                }
                let amount = match &amounts {
                    Some(a) if !is_null!(amount_nulls, i) => a.value(i),
                    _ => 0.0,
                };
                if !amount.is_finite() {
                    return Err(RejectReason::AmountNotFinite(amount.to_string()));
                }
                Ok((key, at, amount))
            })();
            let (key, at, amount) = match verdict {
                Ok(parts) => parts,
                Err(reason) => {
                    report.rejected += 1;
                    if report.rejections.len() < spec.max_listed {
                        report.rejections.push(RejectedRow { row, reason });
                    }
                    continue;
                }
            };
            let name = match &names {
                Some(n) if !is_null!(name_nulls, i) => match n {
                    Strings::Dict { keys, values } => {
                        let k = keys[i];
                        match name_of_key.get(k).copied() {
                            Some(u32::MAX) | None => {
                                let text = values.value(k);
                                let index = (!text.is_empty())
                                    .then(|| table.name_index(text))
                                    .transpose()?
                                    .unwrap_or(u32::MAX - 1);
                                if let Some(slot) = name_of_key.get_mut(k) {
                                    *slot = index;
                                }
                                (index != u32::MAX - 1).then_some(index)
                            }
                            Some(index) => (index != u32::MAX - 1).then_some(index),
                        }
                    }
                    _ => {
                        let text = n.value(i);
                        (!text.is_empty())
                            .then(|| table.name_index(text))
                            .transpose()?
                    }
                },
                _ => None,
            };
            keys.push(key);
            rows.push((i, at, amount, name));
        }
        let mut user_index = std::mem::take(indices);
        user_index.clear();
        ids.intern_all(
            table.users_mut(),
            &keys,
            |k, buf| match &users {
                Users::Text(s) => buf.push_str(s.value(rows[k].0)),
                Users::Int(n) => n.write(rows[k].0, buf),
            },
            &mut user_index,
        );
        // A full dictionary ends the read; the rows before the first that did not fit are in.
        let fitted = user_index
            .iter()
            .position(|&u| u == FULL)
            .unwrap_or(user_index.len());
        table.reserve(fitted);
        for (&user, &(_, at, amount, name)) in user_index[..fitted].iter().zip(&rows) {
            table.push_checked(user, at, amount, name, None);
        }
        report.accepted += fitted as u64;
        *indices = user_index;
        if fitted < rows.len() {
            return Err(Error::TooManyUsers {
                limit: u64::from(table.users().limit()),
            });
        }
        Ok(())
    }

    /// The table and the account.
    ///
    /// ```
    /// let (table, report) = userops::io::arrow::ArrowReader::new(userops::io::arrow::ArrowSpec::new("u", "t")).finish();
    /// assert!(table.is_empty() && report.rows_read == 0);
    /// ```
    #[must_use]
    pub fn finish(mut self) -> (EventTable<String>, ReadReport) {
        self.table.users_mut().index_pending();
        (self.table, self.report)
    }
}

/// The number of values of a dictionary column's dictionary.
fn dict_len(array: &dyn Array) -> usize {
    array
        .as_any_dictionary_opt()
        .map_or(0, |d| d.values().len())
}

/// Reads every batch of an iterator (owned batches or references) into a table.
///
/// # Errors
/// As [`ArrowReader::push_batch`].
///
/// ```
/// use std::sync::Arc;
/// use arrow_array::{DictionaryArray, RecordBatch, TimestampSecondArray};
/// use arrow_array::types::Int8Type;
/// use userops::io::arrow::{read_batches, ArrowSpec};
///
/// let users: DictionaryArray<Int8Type> = vec!["ana", "bo", "ana"].into_iter().collect();
/// let batch = RecordBatch::try_from_iter([
///     ("user", Arc::new(users) as _),
///     ("at", Arc::new(TimestampSecondArray::from(vec![0, 60, 120]).with_timezone("+02:00")) as _),
/// ])?;
/// let (table, report) = read_batches(vec![batch], &ArrowSpec::new("user", "at"))?;
/// assert_eq!(table.users().values(), &["ana".to_string(), "bo".to_string()]);
/// assert_eq!(table.at_column(), &[0, 60_000_000, 120_000_000]);
/// assert_eq!(report.accepted, 3);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn read_batches<I>(batches: I, spec: &ArrowSpec) -> Result<(EventTable<String>, ReadReport)>
where
    I: IntoIterator,
    I::Item: Borrow<RecordBatch>,
{
    let mut reader = ArrowReader::new(spec.clone());
    for batch in batches {
        reader.push_batch(batch.borrow())?;
    }
    Ok(reader.finish())
}

/// Reads a Parquet file into a table: only the spec's columns are decoded, in batches of
/// 65,536 rows, into a table sized for the file's row count up front.
///
/// # Errors
/// [`Error::Read`] when the file cannot be opened or is not valid Parquet (the message names
/// the path); otherwise as [`ArrowReader::push_batch`].
///
/// ```
/// use userops::io::arrow::{read_parquet, ArrowSpec};
/// let err = read_parquet("/no/such/file.parquet", &ArrowSpec::new("u", "t")).unwrap_err();
/// assert!(err.to_string().contains("/no/such/file.parquet"));
/// ```
pub fn read_parquet(
    path: impl AsRef<Path>,
    spec: &ArrowSpec,
) -> Result<(EventTable<String>, ReadReport)> {
    use parquet::arrow::ProjectionMask;
    use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

    let path = path.as_ref();
    let failed = |e: &dyn fmt::Display| Error::Read(format!("{}: {e}", path.display()));
    let file = std::fs::File::open(path)
        .map_err(|e| Error::Read(format!("cannot open {}: {e}", path.display())))?;
    let builder = ParquetRecordBatchReaderBuilder::try_new(file).map_err(|e| failed(&e))?;
    let layout = Layout::resolve(spec, builder.schema())?;
    let columns = layout.columns();
    let rows = builder.metadata().file_metadata().num_rows();
    let mask = ProjectionMask::roots(builder.parquet_schema(), columns.iter().copied());
    let batches = builder
        .with_projection(mask)
        .with_batch_size(PARQUET_BATCH_ROWS)
        .build()
        .map_err(|e| failed(&e))?;
    let projected = layout.projected(&columns);
    let mut reader = ArrowReader::new(spec.clone());
    reader.reserve(usize::try_from(rows).unwrap_or(0));
    // With the `parallel` feature and more than one thread, the file is decoded on a thread
    // of its own while this one checks and interns the rows: the two halves of a read overlap.
    #[cfg(feature = "parallel")]
    if rayon::current_num_threads() > 1 {
        std::thread::scope(|scope| {
            let (send, receive) = std::sync::mpsc::sync_channel(2);
            scope.spawn(move || {
                for batch in batches {
                    // The reader stopped (an error): stop decoding.
                    if send.send(batch).is_err() {
                        break;
                    }
                }
            });
            for batch in receive {
                let batch = batch.map_err(|e| failed(&e))?;
                reader.push_with_layout(&batch, projected)?;
            }
            Ok::<(), Error>(())
        })?;
        return Ok(reader.finish());
    }
    for batch in batches {
        let batch = batch.map_err(|e| failed(&e))?;
        reader.push_with_layout(&batch, projected)?;
    }
    Ok(reader.finish())
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow_array::{
        Date32Array, Date64Array, Decimal128Array, DictionaryArray, Float32Array, Float64Array,
        Int32Array, Int64Array, LargeStringArray, StringViewArray, TimestampMicrosecondArray,
        TimestampMillisecondArray, TimestampNanosecondArray, TimestampSecondArray, UInt32Array,
        UInt64Array,
    };
    use chrono::{TimeZone, Utc};

    use super::*;
    use crate::event::Event;

    fn batch(columns: Vec<(&str, ArrayRef)>) -> RecordBatch {
        RecordBatch::try_from_iter(columns).unwrap()
    }

    fn users(t: &EventTable<String>) -> Vec<&str> {
        t.user_column()
            .iter()
            .map(|&i| t.users().values()[i as usize].as_str())
            .collect()
    }

    fn us(y: i32, mo: u32, d: u32, h: u32, mi: u32, s: u32) -> i64 {
        Utc.with_ymd_and_hms(y, mo, d, h, mi, s)
            .unwrap()
            .timestamp_micros()
    }

    #[test]
    fn integer_ids_read_as_their_decimal_text_in_first_seen_order() {
        let t = Arc::new(TimestampSecondArray::from(vec![0_i64; 5])) as ArrayRef;
        let mut reader = ArrowReader::new(ArrowSpec::new("u", "t"));
        let big = vec![u64::MAX, 123_456_789_012, 7, u64::MAX, 99_999_999];
        reader
            .push_batch(&batch(vec![
                ("u", Arc::new(UInt64Array::from(big)) as ArrayRef),
                ("t", t.clone()),
            ]))
            .unwrap();
        let signed = vec![-5_i64, i64::MIN, -5, 7, 123_456_789_012];
        reader
            .push_batch(&batch(vec![
                ("u", Arc::new(Int64Array::from(signed)) as ArrayRef),
                ("t", t),
            ]))
            .unwrap();
        let (table, report) = reader.finish();
        assert_eq!(report.accepted, 10);
        assert_eq!(
            users(&table),
            [
                "18446744073709551615",
                "123456789012",
                "7",
                "18446744073709551615",
                "99999999",
                "-5",
                "-9223372036854775808",
                "-5",
                "7",
                "123456789012"
            ]
        );
        assert_eq!(table.users().len(), 6);
        assert_eq!(table.users().get("-5"), Some(4));
        assert_eq!(table.user_column(), &[0, 1, 2, 0, 3, 4, 5, 4, 2, 1]);
    }

    #[test]
    fn a_time_past_year_9999_is_a_rejected_row_not_a_failed_read() {
        // 10000-01-01T00:00:00Z is 253,402,300,800 s after the epoch.
        let mut reader = ArrowReader::new(ArrowSpec::new("u", "t"));
        reader
            .push_batch(&batch(vec![
                (
                    "u",
                    Arc::new(StringArray::from(vec!["a", "b", "c"])) as ArrayRef,
                ),
                (
                    "t",
                    Arc::new(TimestampSecondArray::from(vec![
                        0,
                        253_402_300_800,
                        253_402_300_799,
                    ])) as ArrayRef,
                ),
            ]))
            .unwrap();
        let (table, report) = reader.finish();
        assert_eq!(
            (report.rows_read, report.accepted, report.rejected),
            (3, 2, 1)
        );
        assert_eq!(report.rejections[0].row, 1);
        assert!(matches!(
            report.rejections[0].reason,
            RejectReason::TimeOutOfRange(_)
        ));
        assert_eq!(users(&table), ["a", "c"]);
    }

    #[test]
    fn every_timestamp_unit_and_zone() {
        // 2025-03-01T12:00:00Z = 1_740_830_400 s.
        let s = 1_740_830_400_i64;
        let expected = us(2025, 3, 1, 12, 0, 0);
        let columns: Vec<ArrayRef> = vec![
            Arc::new(TimestampSecondArray::from(vec![s])),
            Arc::new(TimestampMillisecondArray::from(vec![s * 1_000]).with_timezone("UTC")),
            Arc::new(
                TimestampMicrosecondArray::from(vec![s * 1_000_000])
                    .with_timezone("America/New_York"),
            ),
            // 999 ns past the second: cut to the microsecond towards the past.
            Arc::new(
                TimestampNanosecondArray::from(vec![s * 1_000_000_000 + 999])
                    .with_timezone("+05:30"),
            ),
        ];
        for array in columns {
            let b = batch(vec![
                ("u", Arc::new(StringArray::from(vec!["a"]))),
                ("t", array),
            ]);
            let (t, r) = read_batches([&b], &ArrowSpec::new("u", "t")).unwrap();
            assert_eq!((r.accepted, t.at_column()), (1, &[expected][..]));
        }
        // Before the epoch, nanoseconds: -1 ns is 1969-12-31T23:59:59.999999.
        let b = batch(vec![
            ("u", Arc::new(StringArray::from(vec!["a"]))),
            ("t", Arc::new(TimestampNanosecondArray::from(vec![-1]))),
        ]);
        let (t, _) = read_batches([&b], &ArrowSpec::new("u", "t")).unwrap();
        assert_eq!(t.at_column(), &[-1]);
    }

    #[test]
    fn wall_clock_times_are_read_in_the_spec_zone() {
        // 2025-07-01 09:00 without a zone; 2025-07-01 (Date32 = 20_270 days; Date64 in ms).
        let naive = us(2025, 7, 1, 9, 0, 0);
        let b = batch(vec![
            ("u", Arc::new(StringArray::from(vec!["a"]))),
            (
                "naive",
                Arc::new(TimestampMicrosecondArray::from(vec![naive])),
            ),
            (
                "zoned",
                Arc::new(TimestampMicrosecondArray::from(vec![naive]).with_timezone("Asia/Tokyo")),
            ),
            ("d32", Arc::new(Date32Array::from(vec![20_270]))),
            (
                "d64",
                Arc::new(Date64Array::from(vec![20_270 * 86_400_000])),
            ),
            (
                "text",
                Arc::new(StringArray::from(vec!["2025-07-01 09:00:00"])),
            ),
        ]);
        let paris = Zone::parse("Europe/Paris").unwrap(); // UTC+2 in July
        let at = |col: &str, zone: &Zone| {
            let spec = ArrowSpec::new("u", col).zone(*zone);
            read_batches([&b], &spec).unwrap().0.at_column()[0]
        };
        assert_eq!(at("naive", &Zone::Utc), us(2025, 7, 1, 9, 0, 0));
        assert_eq!(at("naive", &paris), us(2025, 7, 1, 7, 0, 0));
        // A zoned timestamp is an instant: the spec's zone does not move it.
        assert_eq!(at("zoned", &paris), us(2025, 7, 1, 9, 0, 0));
        assert_eq!(at("d32", &Zone::Utc), us(2025, 7, 1, 0, 0, 0));
        assert_eq!(at("d32", &paris), us(2025, 6, 30, 22, 0, 0));
        assert_eq!(at("d64", &paris), us(2025, 6, 30, 22, 0, 0));
        assert_eq!(at("text", &paris), us(2025, 7, 1, 7, 0, 0));
    }

    #[test]
    fn user_columns_of_every_kind_give_the_same_ids() {
        let t = Arc::new(Date32Array::from(vec![0, 1, 2])) as ArrayRef;
        let dict: DictionaryArray<Int32Type> = vec!["7", "42", "7"].into_iter().collect();
        let cases: Vec<ArrayRef> = vec![
            Arc::new(StringArray::from(vec!["7", "42", "7"])),
            Arc::new(LargeStringArray::from(vec!["7", "42", "7"])),
            Arc::new(StringViewArray::from(vec!["7", "42", "7"])),
            Arc::new(dict),
            Arc::new(Int32Array::from(vec![7, 42, 7])),
            Arc::new(Int64Array::from(vec![7, 42, 7])),
            Arc::new(UInt32Array::from(vec![7, 42, 7])),
            Arc::new(UInt64Array::from(vec![7, 42, 7])),
        ];
        for users_col in cases {
            let dt = users_col.data_type().clone();
            let b = batch(vec![("u", users_col), ("t", t.clone())]);
            let (table, report) = read_batches([&b], &ArrowSpec::new(0_usize, 1_usize)).unwrap();
            assert_eq!(users(&table), ["7", "42", "7"], "{dt}");
            assert_eq!(table.user_column(), &[0, 1, 0], "{dt}");
            assert_eq!(report.accepted, 3);
        }
        let b = batch(vec![
            ("u", Arc::new(Int64Array::from(vec![-5, i64::MAX]))),
            ("t", Arc::new(Date32Array::from(vec![0, 0]))),
        ]);
        let (table, _) = read_batches([&b], &ArrowSpec::new("u", "t")).unwrap();
        assert_eq!(users(&table), ["-5", "9223372036854775807"]);
    }

    #[test]
    fn dictionary_ids_with_null_keys_and_null_values() {
        // Keys [0, 1, null, 2, 0] over values ["ana", "bo", null].
        let keys = Int32Array::from(vec![Some(0), Some(1), None, Some(2), Some(0)]);
        let values = Arc::new(StringArray::from(vec![Some("ana"), Some("bo"), None]));
        let dict = DictionaryArray::<Int32Type>::try_new(keys, values).unwrap();
        let names: DictionaryArray<Int32Type> =
            vec!["buy", "view", "buy", "view", ""].into_iter().collect();
        let b = batch(vec![
            ("user", Arc::new(dict)),
            ("time", Arc::new(Date32Array::from(vec![0, 1, 2, 3, 4]))),
            ("event", Arc::new(names)),
        ]);
        let (table, report) =
            read_batches([&b], &ArrowSpec::new("user", "time").name("event")).unwrap();
        assert_eq!(users(&table), ["ana", "bo", "ana"]);
        assert_eq!(
            (report.rows_read, report.accepted, report.rejected),
            (5, 3, 2)
        );
        assert_eq!(
            report.rejections,
            [
                RejectedRow {
                    row: 2,
                    reason: RejectReason::UserMissing
                },
                RejectedRow {
                    row: 3,
                    reason: RejectReason::UserMissing
                }
            ]
        );
        let names: Vec<Option<String>> = table.rows().map(|r| r.name().map(String::from)).collect();
        // Row 4's name is empty: no name.
        assert_eq!(names, [Some("buy".into()), Some("view".into()), None]);
        assert_eq!(
            table.names().values(),
            &["buy".to_string(), "view".to_string()]
        );
    }

    #[test]
    fn nulls_and_bad_values_are_rejected_and_counted() {
        let b = batch(vec![
            (
                "u",
                Arc::new(StringArray::from(vec![
                    Some("a"),
                    None,
                    Some(""),
                    Some("b"),
                    Some("c"),
                    Some("d"),
                    Some("e"),
                ])),
            ),
            (
                "t",
                Arc::new(StringArray::from(vec![
                    Some("2025-01-01"),
                    Some("2025-01-01"),
                    Some("2025-01-01"),
                    None,
                    Some("yesterday"),
                    Some("2025-01-02"),
                    Some("2025-01-03"),
                ])),
            ),
            (
                "amount",
                Arc::new(Float64Array::from(vec![
                    Some(1.5),
                    Some(1.0),
                    Some(1.0),
                    Some(1.0),
                    Some(1.0),
                    Some(f64::NAN),
                    None,
                ])),
            ),
        ]);
        let spec = ArrowSpec::new("u", "t").amount("amount").max_listed(3);
        let (table, report) = read_batches([&b], &spec).unwrap();
        assert_eq!(
            (report.rows_read, report.accepted, report.rejected),
            (7, 2, 5)
        );
        assert_eq!(
            report.rejections,
            [
                RejectedRow {
                    row: 1,
                    reason: RejectReason::UserMissing
                },
                RejectedRow {
                    row: 2,
                    reason: RejectReason::UserMissing
                },
                RejectedRow {
                    row: 3,
                    reason: RejectReason::TimeMissing
                },
            ]
        );
        assert_eq!(
            report.account(),
            "7 rows read: 2 accepted, 5 rejected (row 1: user missing; row 2: user missing; row 3: time missing; and 2 more)"
        );
        assert_eq!(users(&table), ["a", "e"]);
        // A null amount is 0, not a rejection.
        assert_eq!(table.amount_column(), &[1.5, 0.0]);
        // Unlisted but counted: the unparsable time and the NaN amount.
        let all = read_batches([&b], &ArrowSpec::new("u", "t").amount("amount"))
            .unwrap()
            .1;
        assert_eq!(
            all.rejections[3..].to_vec(),
            [
                RejectedRow {
                    row: 4,
                    reason: RejectReason::TimeUnparsable("yesterday".into())
                },
                RejectedRow {
                    row: 5,
                    reason: RejectReason::AmountNotFinite("NaN".into())
                },
            ]
        );
    }

    #[test]
    fn out_of_range_times_are_rejected() {
        let b = batch(vec![
            ("u", Arc::new(StringArray::from(vec!["a", "b"]))),
            ("t", Arc::new(TimestampSecondArray::from(vec![i64::MAX, 0]))),
        ]);
        let (table, report) = read_batches([&b], &ArrowSpec::new("u", "t")).unwrap();
        assert_eq!((table.len(), report.rejected), (1, 1));
        assert!(matches!(
            report.rejections[0].reason,
            RejectReason::TimeOutOfRange(_)
        ));
    }

    #[test]
    fn amounts_of_every_type() {
        let t = Arc::new(Date32Array::from(vec![0, 0])) as ArrayRef;
        let u = Arc::new(StringArray::from(vec!["a", "b"])) as ArrayRef;
        let cases: Vec<(ArrayRef, [f64; 2])> = vec![
            (Arc::new(Float64Array::from(vec![2.5, -1.0])), [2.5, -1.0]),
            (Arc::new(Float32Array::from(vec![2.5, -1.0])), [2.5, -1.0]),
            (Arc::new(Int32Array::from(vec![3, -4])), [3.0, -4.0]),
            (Arc::new(Int64Array::from(vec![3, -4])), [3.0, -4.0]),
            (Arc::new(UInt64Array::from(vec![3, 4])), [3.0, 4.0]),
            (
                // 12.34 and -0.05 at scale 2.
                Arc::new(
                    Decimal128Array::from(vec![1234, -5])
                        .with_precision_and_scale(10, 2)
                        .unwrap(),
                ),
                [12.34, -0.05],
            ),
        ];
        for (amounts, expected) in cases {
            let b = batch(vec![("u", u.clone()), ("t", t.clone()), ("m", amounts)]);
            let (table, _) = read_batches([&b], &ArrowSpec::new("u", "t").amount("m")).unwrap();
            assert_eq!(table.amount_column(), &expected[..]);
        }
    }

    #[test]
    fn unknown_columns_and_types_are_errors() {
        let b = batch(vec![
            ("u", Arc::new(StringArray::from(vec!["a"]))),
            ("t", Arc::new(Date32Array::from(vec![0]))),
        ]);
        let err = read_batches([&b], &ArrowSpec::new("user", "t")).unwrap_err();
        assert_eq!(
            err.to_string(),
            "column \"user\" does not exist; the columns are: u, t"
        );
        assert!(read_batches([&b], &ArrowSpec::new("u", 2_usize)).is_err());
        let err = read_batches([&b], &ArrowSpec::new("t", "t")).unwrap_err();
        assert!(
            err.to_string().contains("the user column t is Date32"),
            "{err}"
        );
    }

    #[test]
    fn row_numbers_run_across_batches() {
        let one = |u: Option<&str>| {
            batch(vec![
                ("u", Arc::new(StringArray::from(vec![u, Some("x")]))),
                ("t", Arc::new(Date32Array::from(vec![0, 1]))),
            ])
        };
        let (table, report) = read_batches(
            [one(Some("a")), one(None), one(None)],
            &ArrowSpec::new("u", "t"),
        )
        .unwrap();
        assert_eq!(table.len(), 4);
        let rows: Vec<u64> = report.rejections.iter().map(|r| r.row).collect();
        assert_eq!(rows, [2, 4]);
    }

    #[test]
    fn parquet_round_trip() {
        use parquet::arrow::ArrowWriter;
        use parquet::file::properties::WriterProperties;

        let path =
            std::env::temp_dir().join(format!("userops-arrow-test-{}.parquet", std::process::id()));
        let ids: DictionaryArray<Int32Type> = vec!["ana", "bo", "ana", "cy"].into_iter().collect();
        let b = batch(vec![
            (
                "note",
                Arc::new(StringArray::from(vec!["x", "y", "z", "w"])),
            ),
            (
                "at",
                Arc::new(
                    TimestampMillisecondArray::from(vec![
                        Some(1_700_000_000_000),
                        Some(1_700_000_060_000),
                        None,
                        Some(1_700_000_120_500),
                    ])
                    .with_timezone("UTC"),
                ),
            ),
            ("customer", Arc::new(ids)),
            (
                "revenue",
                Arc::new(Float64Array::from(vec![
                    Some(10.0),
                    None,
                    Some(3.0),
                    Some(0.25),
                ])),
            ),
        ]);
        {
            let file = std::fs::File::create(&path).unwrap();
            // Two row groups of 2 rows, batches read back across them.
            let props = WriterProperties::builder()
                .set_max_row_group_row_count(Some(2))
                .build();
            let mut w = ArrowWriter::try_new(file, b.schema(), Some(props)).unwrap();
            w.write(&b).unwrap();
            w.close().unwrap();
        }
        // Columns by name and by index (3 = revenue), in a different order from the file's.
        let spec = ArrowSpec::new("customer", "at").amount(3_usize);
        let read = read_parquet(&path, &spec);
        let _ = std::fs::remove_file(&path);
        let (table, report) = read.unwrap();
        assert_eq!(
            (report.rows_read, report.accepted, report.rejected),
            (4, 3, 1)
        );
        assert_eq!(
            report.rejections,
            [RejectedRow {
                row: 2,
                reason: RejectReason::TimeMissing
            }]
        );
        assert_eq!(users(&table), ["ana", "bo", "cy"]);
        assert_eq!(
            table.at_column(),
            &[
                1_700_000_000_000_000,
                1_700_000_060_000_000,
                1_700_000_120_500_000
            ]
        );
        assert_eq!(table.amount_column(), &[10.0, 0.0, 0.25]);
        let err = read_parquet(&path, &spec).unwrap_err();
        assert!(err.to_string().contains("cannot open"));
    }
}
