//! The crate's error type.
//!
//! Every fallible function in `userops` returns [`Result`]. Modules with failure modes of their
//! own define their own error enum and convert into [`Error`] with `#[from]`, so a caller can
//! match on the module error or simply use `?`.

use thiserror::Error as ThisError;

/// The crate-wide result alias.
///
/// ```
/// fn parse_bins(text: &str) -> userops::Result<u8> {
///     text.parse().map_err(|_| userops::Error::invalid("bins", format!("{text:?} is not a number")))
/// }
/// assert!(parse_bins("5").is_ok());
/// assert!(parse_bins("five").is_err());
/// ```
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong in `userops`.
///
/// Every variant says what was wrong and, where it can, what to do about it.
///
/// ```
/// use userops::Error;
/// let err = Error::invalid("bins", "must be between 2 and 9, got 1");
/// assert_eq!(err.to_string(), "invalid parameter `bins`: must be between 2 and 9, got 1");
/// ```
#[derive(Debug, Clone, PartialEq, ThisError)]
#[non_exhaustive]
pub enum Error {
    /// There was nothing to compute on (no events, no users, no rows).
    #[error("empty input: {0}")]
    Empty(&'static str),

    /// A number that must be finite was NaN or infinite.
    #[error("`{field}` must be a finite number, got {value}{}", of_user(user))]
    NonFinite {
        /// Which field (e.g. `amount`).
        field: &'static str,
        /// The offending value.
        value: f64,
        /// The user it belongs to, as text (empty when unknown).
        user: String,
    },

    /// A number that must not be negative was negative.
    #[error("`{field}` must not be negative, got {value}{}{hint}", of_user(user))]
    Negative {
        /// Which field (e.g. `amount`).
        field: &'static str,
        /// The offending value.
        value: f64,
        /// The user it belongs to, as text (empty when unknown).
        user: String,
        /// What to do about it, starting with "; " (may be empty).
        hint: &'static str,
    },

    /// An event is later than the explicit "as of" instant of the computation.
    #[error(
        "event at {at} is after the as-of instant {as_of}{}; filter events to `at <= as_of` or move as_of later",
        of_named_user(user)
    )]
    AfterAsOf {
        /// The event's instant (RFC 3339).
        at: String,
        /// The as-of instant (RFC 3339).
        as_of: String,
        /// The user the event belongs to.
        user: String,
    },

    /// More distinct users than a dictionary holds (`u32::MAX` by default, see
    /// [`crate::engine::MAX_ENTRIES`], or the host's own cap).
    #[error(
        "more than {limit} distinct users; split the data by user and fold the parts separately, or raise the cap"
    )]
    TooManyUsers {
        /// The cap that was reached.
        limit: u64,
    },

    /// A parameter is out of its range or inconsistent with another.
    #[error("invalid parameter `{name}`: {reason}")]
    InvalidParameter {
        /// The parameter's name, as in the API.
        name: &'static str,
        /// What is wrong and what is allowed.
        reason: String,
    },

    /// Input data is malformed in a way not covered by a more specific variant.
    #[error("invalid input: {0}")]
    InvalidInput(String),

    /// A time-zone name is neither an IANA name (`America/Los_Angeles`, `US/Pacific`, `UTC`)
    /// nor a fixed offset (`+08:00`, `-0530`, `Z`).
    #[error(
        "unknown time zone {0:?}: use an IANA name such as \"America/Los_Angeles\" or a fixed offset such as \"+08:00\""
    )]
    UnknownTimeZone(String),

    /// A date or time text could not be parsed.
    #[error("cannot parse time {text:?}: {reason}")]
    TimeParse {
        /// The text as given.
        text: String,
        /// The accepted formats or what went wrong.
        reason: String,
    },

    /// A named column does not exist in the input.
    #[error("column {column:?} does not exist; the columns are: {available}")]
    UnknownColumn {
        /// The column that was asked for.
        column: String,
        /// The columns that do exist, comma-separated.
        available: String,
    },

    /// Two summaries built with different settings (as-of instant, calendar, bins) were merged.
    #[error("cannot merge summaries built with different settings: {0}")]
    MergeMismatch(String),

    /// Reading input failed (file not found, I/O error, malformed CSV framing).
    #[error("read error: {0}")]
    Read(String),

    /// A numerical method (a hypergeometric series, a quadrature) lost its precision at extreme
    /// parameters; the message names the quantity and the parameters. The result would have been
    /// wrong, so none is given.
    #[error("numerical precision lost: {0}")]
    Numerical(String),

    /// An instant (an event's time, an as-of instant, a range bound) lies outside the supported
    /// instants: years [`crate::time::MIN_YEAR`] to [`crate::time::MAX_YEAR`] in UTC (see
    /// [`crate::time::check_instant`]).
    #[error(
        "`{name}` {at} is outside the supported instants {}; correct the date or leave the row out",
        crate::time::SUPPORTED_RANGE
    )]
    InstantOutOfRange {
        /// What the instant is (`time`, `from`, `to`, `as_of`, ...).
        name: &'static str,
        /// The instant as text.
        at: String,
    },

    /// A request would allocate or loop more than a documented cap allows (periods of a
    /// calendar range, users of a sample, months of a projection). Nothing was allocated.
    #[error("`{name}` asks for {requested}, more than the cap of {cap}; {hint}")]
    TooLarge {
        /// The parameter, as in the API or on the command line.
        name: &'static str,
        /// What was asked for, with its unit (e.g. `3652059 periods`).
        requested: String,
        /// The cap, with its unit.
        cap: String,
        /// How to make the request fit.
        hint: &'static str,
    },

    /// A sum or count exceeded what its number type holds (an `f64` beyond ±1.8e308, a count
    /// beyond `u64::MAX`). The result would have been infinite, NaN or wrapped, so none is given.
    #[error("overflow: {what} is too large to represent; {hint}")]
    Overflow {
        /// What overflowed (e.g. `revenue of segment "Champions"`).
        what: String,
        /// How to make it fit.
        hint: &'static str,
    },

    /// JSON could not be parsed or does not have the expected shape.
    #[error("JSON error: {0}")]
    Json(String),

    /// An error of the operations toolkit (experiments, automation rules, NPS).
    #[error(transparent)]
    Ops(#[from] crate::ops::OpsError),
    /// A metric tree, value weights or a metric value is wrong (see [`crate::metric::MetricError`]).
    #[error(transparent)]
    Metric(#[from] crate::metric::MetricError),
}

impl Error {
    /// Shorthand for [`Error::InvalidParameter`].
    ///
    /// ```
    /// let e = userops::Error::invalid("churn_after", "must be at least 1");
    /// assert!(matches!(e, userops::Error::InvalidParameter { name: "churn_after", .. }));
    /// ```
    pub fn invalid(name: &'static str, reason: impl Into<String>) -> Self {
        Error::InvalidParameter {
            name,
            reason: reason.into(),
        }
    }
}

/// ` (user "ana")` for a user id (as the fold wrote it, usually `{:?}`-quoted), nothing when
/// the user is unknown (an empty field); an id that is itself empty is said to be empty.
pub(crate) fn of_user(user: &str) -> String {
    match user {
        "" => String::new(),
        "\"\"" => " (a user whose id is empty)".to_string(),
        _ => format!(" (user {})", escaped(user)),
    }
}

/// As [`of_user`], for a user that is always known: an empty id is said to be empty.
fn of_named_user(user: &str) -> String {
    if user.is_empty() {
        " (a user whose id is empty)".to_string()
    } else {
        of_user(user)
    }
}

/// Shortened, and `{:?}`-escaped when it holds a character that would not show.
fn escaped(text: &str) -> String {
    if text
        .chars()
        .all(|c| c.escape_debug().len() == 1 || c == '"' || c == '\\')
    {
        shorten(text)
    } else {
        format!("{:?}", shorten(text))
    }
}

/// Most characters of outside text shown in a message; longer text is cut with a count.
pub const SHOWN_CHARS: usize = 60;

/// Outside text (a field, a column name, a user id) as a message shows it: at most
/// [`SHOWN_CHARS`] characters, then `…(N more chars)`. Control characters, a byte-order mark and
/// other invisible characters stay escaped when the result is printed with `{:?}`.
///
/// ```
/// let long = "x".repeat(1000);
/// let short = userops::error::shorten(&long);
/// assert_eq!(short, format!("{}…(940 more chars)", "x".repeat(60)));
/// assert_eq!(userops::error::shorten("ana"), "ana");
/// ```
#[must_use]
pub fn shorten(text: &str) -> String {
    match text.char_indices().nth(SHOWN_CHARS) {
        None => text.to_string(),
        Some((cut, _)) => {
            let rest = text[cut..].chars().count();
            format!("{}…({rest} more chars)", &text[..cut])
        }
    }
}

/// A name (column, user id) as a message shows it: as is when it is short, plain printable
/// text without surrounding spaces; otherwise [`shorten`]ed and quoted with escapes, so that an
/// empty name, a byte-order mark or a NUL byte can be seen.
///
/// ```
/// use userops::error::quote_if_needed;
/// assert_eq!(quote_if_needed("revenue"), "revenue");
/// assert_eq!(quote_if_needed("\u{feff}user"), r#""\u{feff}user""#);
/// assert_eq!(quote_if_needed(""), r#""""#);
/// assert_eq!(quote_if_needed("a\0b"), r#""a\0b""#);
/// ```
#[must_use]
pub fn quote_if_needed(name: &str) -> String {
    let plain = !name.is_empty()
        && name.chars().count() <= SHOWN_CHARS
        && name.trim() == name
        && name
            .chars()
            .all(|c| c.escape_debug().len() == 1 && c != ',' && c != '"' && c != '\\');
    if plain {
        name.to_string()
    } else {
        format!("{:?}", shorten(name))
    }
}

impl From<serde_json::Error> for Error {
    fn from(e: serde_json::Error) -> Self {
        Error::Json(e.to_string())
    }
}

impl From<std::io::Error> for Error {
    fn from(e: std::io::Error) -> Self {
        Error::Read(e.to_string())
    }
}
