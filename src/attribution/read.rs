//! A path table from a delimited file (ChannelAttribution's `path;total_conversions;
//! total_conversion_value;total_null`), every rejected row accounted for (feature `csv`).

use std::fmt;
use std::io::Read;

use serde::{Deserialize, Serialize};

use super::paths::{PathTable, PathTableBuilder};
use crate::csv::{Column, header_name, read_rows};
use crate::error::{quote_if_needed, shorten};
use crate::{Error, Result};

/// Which columns of a path file hold what; the first row is a header.
///
/// ```
/// use userops::attribution::PathColumns;
/// let spec = PathColumns::new("path", "total_conversions").value("total_conversion_value")
///     .nulls("total_null").delimiter(b';');
/// assert_eq!(spec.separator, ">");
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct PathColumns {
    /// The path column (channels separated by [`PathColumns::separator`]).
    pub path: Column,
    /// Conversions of the path.
    pub conversions: Column,
    /// Their value (none: 0).
    pub value: Option<Column>,
    /// Journeys on the path without conversion (none: 0).
    pub nulls: Option<Column>,
    /// Between channels in a path (default `">"`).
    pub separator: String,
    /// Between fields (default `,`).
    pub delimiter: u8,
}

impl PathColumns {
    /// Path and conversions columns, by name or 0-based index.
    ///
    /// ```
    /// let spec = userops::attribution::PathColumns::new("path", "#2");
    /// assert_eq!(spec.conversions, userops::csv::Column::Index(2));
    /// ```
    #[must_use]
    pub fn new(path: &str, conversions: &str) -> Self {
        PathColumns {
            path: Column::parse(path),
            conversions: Column::parse(conversions),
            value: None,
            nulls: None,
            separator: ">".into(),
            delimiter: b',',
        }
    }

    /// Sets the value column.
    ///
    /// ```
    /// let spec = userops::attribution::PathColumns::new("p", "c").value("v");
    /// assert!(spec.value.is_some());
    /// ```
    #[must_use]
    pub fn value(mut self, column: &str) -> Self {
        self.value = Some(Column::parse(column));
        self
    }

    /// Sets the nulls column.
    ///
    /// ```
    /// let spec = userops::attribution::PathColumns::new("p", "c").nulls("n");
    /// assert!(spec.nulls.is_some());
    /// ```
    #[must_use]
    pub fn nulls(mut self, column: &str) -> Self {
        self.nulls = Some(Column::parse(column));
        self
    }

    /// Sets the channel separator.
    ///
    /// ```
    /// let spec = userops::attribution::PathColumns::new("p", "c").separator(" -> ");
    /// assert_eq!(spec.separator, " -> ");
    /// ```
    #[must_use]
    pub fn separator(mut self, separator: &str) -> Self {
        self.separator = separator.into();
        self
    }

    /// Sets the field delimiter.
    ///
    /// ```
    /// let spec = userops::attribution::PathColumns::new("p", "c").delimiter(b';');
    /// assert_eq!(spec.delimiter, b';');
    /// ```
    #[must_use]
    pub fn delimiter(mut self, delimiter: u8) -> Self {
        self.delimiter = delimiter;
        self
    }
}

/// A row of a path file that was not used.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RejectedPath {
    /// 1-based line number (the header is line 1).
    pub line: u64,
    /// Why.
    pub reason: String,
}

impl fmt::Display for RejectedPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.reason)
    }
}

/// What [`read_paths`] returns: the table, the rejected rows, and the data rows read
/// (accepted + rejected).
#[derive(Debug, Clone, PartialEq)]
pub struct PathFile {
    /// The path table of the accepted rows.
    pub table: PathTable,
    /// Rows not used, in file order.
    pub rejected: Vec<RejectedPath>,
    /// Data rows read (header and blank lines excluded).
    pub rows_read: u64,
}

impl PathFile {
    /// Rows read, accepted, rejected and the first rejections, on one line.
    ///
    /// ```
    /// use userops::attribution::{read_paths, PathColumns};
    /// let text = "path,conv\na > b,2\n,1\n";
    /// let file = read_paths(text.as_bytes(), &PathColumns::new("path", "conv"))?;
    /// assert_eq!(file.account(), "2 rows read: 1 accepted, 1 rejected (line 3: a path with an empty channel name)");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn account(&self) -> String {
        let accepted = self.rows_read - self.rejected.len() as u64;
        let mut s = format!(
            "{} rows read: {accepted} accepted, {} rejected",
            self.rows_read,
            self.rejected.len()
        );
        if !self.rejected.is_empty() {
            let shown: Vec<String> = self
                .rejected
                .iter()
                .take(3)
                .map(ToString::to_string)
                .collect();
            s.push_str(" (");
            s.push_str(&shown.join("; "));
            if self.rejected.len() > 3 {
                s.push_str("; and ");
                s.push_str(&(self.rejected.len() - 3).to_string());
                s.push_str(" more");
            }
            s.push(')');
        }
        s
    }
}

/// Reads a path table; every row is accepted (repeated paths added up) or listed with its
/// line and reason.
///
/// # Errors
/// [`Error::UnknownColumn`] for a column the header does not have; [`Error::Read`] for an
/// I/O error or a file without header; [`Error::Overflow`] when the totals do not fit.
///
/// ```
/// use userops::attribution::{read_paths, PathColumns};
/// let text = "path;total_conversions;total_conversion_value;total_null\n\
///             C1 > C2 > C3;1;1000;0\nC1;0;0;1\nC2 > C3;0;0;1\n";
/// let spec = PathColumns::new("path", "total_conversions").value("total_conversion_value")
///     .nulls("total_null").delimiter(b';');
/// let file = read_paths(text.as_bytes(), &spec)?;
/// assert_eq!((file.table.conversions(), file.table.nulls(), file.rows_read), (1, 2, 3));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn read_paths<R: Read>(reader: R, spec: &PathColumns) -> Result<PathFile> {
    let mut columns: Option<[Option<usize>; 4]> = None;
    let mut builder = PathTableBuilder::default();
    let mut rejected = Vec::new();
    let mut rows_read = 0u64;
    read_rows(reader, spec.delimiter, |line, row| {
        let Some([path, conversions, value, nulls]) = columns else {
            let row = row.map_err(|r| Error::Read(format!("no header row: {r}")))?;
            let header: Vec<String> = row.iter().map(|h| header_name(h)).collect();
            let find = |column: &Column| -> Result<usize> {
                let unknown = || Error::UnknownColumn {
                    column: shorten(&column.to_string()),
                    available: header
                        .iter()
                        .map(|h| quote_if_needed(h))
                        .collect::<Vec<_>>()
                        .join(", "),
                };
                match column {
                    Column::Index(i) if *i < header.len() => Ok(*i),
                    Column::Name(n) => header.iter().position(|h| h == n).ok_or_else(unknown),
                    Column::Index(_) => Err(unknown()),
                }
            };
            columns = Some([
                Some(find(&spec.path)?),
                Some(find(&spec.conversions)?),
                spec.value.as_ref().map(&find).transpose()?,
                spec.nulls.as_ref().map(&find).transpose()?,
            ]);
            return Ok(());
        };
        rows_read += 1;
        let reject = |reason: String| RejectedPath { line, reason };
        let fields = match row {
            Ok(f) => f,
            Err(reason) => {
                rejected.push(reject(reason.to_string()));
                return Ok(());
            }
        };
        let field = |c: Option<usize>| c.and_then(|j| fields.get(j)).map(|f| f.trim());
        let count = |c: Option<usize>, what: &str| -> std::result::Result<u64, String> {
            if c.is_none() {
                return Ok(0);
            }
            match field(c) {
                Some(t) => t
                    .parse::<u64>()
                    .map_err(|_| format!("{what} is not a whole number: {:?}", shorten(t))),
                None => Err(format!("{what} missing")),
            }
        };
        let parsed = (|| -> std::result::Result<(u64, f64, u64), String> {
            let c = count(conversions, "conversions")?;
            let n = count(nulls, "nulls")?;
            let v = match field(value) {
                None if value.is_none() => 0.0,
                None => return Err("value missing".into()),
                Some(t) => t
                    .parse::<f64>()
                    .map_err(|_| format!("value is not a number: {:?}", shorten(t)))?,
            };
            Ok((c, v, n))
        })();
        let (c, v, n) = match parsed {
            Ok(p) => p,
            Err(why) => {
                rejected.push(reject(why));
                return Ok(());
            }
        };
        let text = field(path).unwrap_or("");
        match builder.add_text(text, &spec.separator, c, v, n) {
            Ok(()) => {}
            Err(e @ Error::Overflow { .. }) => return Err(e),
            Err(Error::InvalidInput(why)) => rejected.push(reject(why)),
            Err(e) => rejected.push(reject(e.to_string())),
        }
        Ok(())
    })?;
    if columns.is_none() {
        return Err(Error::Read("no header row (the file is empty)".into()));
    }
    Ok(PathFile {
        table: builder.build(),
        rejected,
        rows_read,
    })
}
