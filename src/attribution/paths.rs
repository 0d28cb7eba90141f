//! The path table: unique channel paths with their conversions, value and non-conversions,
//! the input of ChannelAttribution (`path, total_conversions, total_conversion_value,
//! total_null`).

use std::collections::HashMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::engine::Dictionary;
use crate::{Error, Result};

/// One unique path: its channels (indices into [`PathTable::channels`]) and what the
/// journeys that took it came to.
///
/// ```
/// use userops::attribution::PathRow;
/// let row = PathRow { path: vec![0, 1], conversions: 3, value: 120.0, nulls: 7 };
/// assert_eq!(row.conversions + row.nulls, 10);
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PathRow {
    /// Channel indices, first touchpoint first (repeats kept).
    pub path: Vec<u32>,
    /// Journeys on this path that converted.
    pub conversions: u64,
    /// Their total conversion value.
    pub value: f64,
    /// Journeys on this path that did not convert.
    pub nulls: u64,
}

/// Unique paths with counts: what the Markov and Shapley models read, and what a host with
/// ChannelAttribution-style data passes directly ([`PathTable::builder`]).
///
/// Canonical form: channels sorted by name, rows sorted by path, each path once (repeated
/// paths are added up), rows with neither conversions nor nulls left out, and channels on no
/// row left out; so equal tables compare equal however they were built. Tables merge
/// ([`PathTable::merge`]) by adding up their rows.
///
/// ```
/// use userops::attribution::PathTable;
/// let mut b = PathTable::builder();
/// b.add_text("C1 > C2 > C3", ">", 1, 1000.0, 0)?;
/// b.add_text("C1", ">", 0, 0.0, 1)?;
/// b.add_text("C2 > C3", ">", 0, 0.0, 1)?;
/// let table = b.build();
/// assert_eq!(table.channels(), ["C1", "C2", "C3"]);
/// assert_eq!((table.conversions(), table.value(), table.nulls()), (1, 1000.0, 2));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(try_from = "PathTableParts")]
pub struct PathTable {
    channels: Vec<String>,
    rows: Vec<PathRow>,
}

impl PathTable {
    /// A builder that collects rows and adds up repeated paths.
    ///
    /// ```
    /// let table = userops::attribution::PathTable::builder().build();
    /// assert!(table.rows().is_empty());
    /// ```
    #[must_use]
    pub fn builder() -> PathTableBuilder {
        PathTableBuilder::default()
    }

    /// The channels, sorted by name.
    ///
    /// ```
    /// assert!(userops::attribution::PathTable::default().channels().is_empty());
    /// ```
    #[must_use]
    pub fn channels(&self) -> &[String] {
        &self.channels
    }

    /// The rows, sorted by path.
    ///
    /// ```
    /// assert!(userops::attribution::PathTable::default().rows().is_empty());
    /// ```
    #[must_use]
    pub fn rows(&self) -> &[PathRow] {
        &self.rows
    }

    /// Total conversions (a sum of counts that the builder checked).
    ///
    /// ```
    /// assert_eq!(userops::attribution::PathTable::default().conversions(), 0);
    /// ```
    #[must_use]
    pub fn conversions(&self) -> u64 {
        self.rows.iter().map(|r| r.conversions).sum()
    }

    /// Total conversion value.
    ///
    /// ```
    /// assert_eq!(userops::attribution::PathTable::default().value(), 0.0);
    /// ```
    #[must_use]
    pub fn value(&self) -> f64 {
        self.rows.iter().map(|r| r.value).sum()
    }

    /// Total journeys without conversion.
    ///
    /// ```
    /// assert_eq!(userops::attribution::PathTable::default().nulls(), 0);
    /// ```
    #[must_use]
    pub fn nulls(&self) -> u64 {
        self.rows.iter().map(|r| r.nulls).sum()
    }

    /// Adds every row of `other` into this table.
    ///
    /// # Errors
    /// [`Error::Overflow`] when a count or value sum does not fit.
    ///
    /// ```
    /// use userops::attribution::PathTable;
    /// let mut a = PathTable::builder();
    /// a.add(&["x", "y"], 1, 10.0, 0)?;
    /// let mut a = a.build();
    /// let mut b = PathTable::builder();
    /// b.add(&["w"], 0, 0.0, 2)?;
    /// b.add(&["x", "y"], 2, 5.0, 1)?;
    /// a.merge(b.build())?;
    /// assert_eq!(a.channels(), ["w", "x", "y"]);
    /// assert_eq!((a.conversions(), a.value(), a.nulls()), (3, 15.0, 3));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn merge(&mut self, other: PathTable) -> Result<()> {
        let mut builder = PathTableBuilder::default();
        for table in [std::mem::take(self), other] {
            let PathTable { channels, rows } = table;
            let mut names = Vec::new();
            for row in rows {
                names.clear();
                names.extend(row.path.iter().map(|&c| channels[c as usize].as_str()));
                builder.add(&names, row.conversions, row.value, row.nulls)?;
            }
        }
        *self = builder.build();
        Ok(())
    }
}

/// Collects path rows (by channel names or by text such as `"C1 > C2"`), adding up repeated
/// paths, and builds the canonical [`PathTable`].
///
/// ```
/// let mut b = userops::attribution::PathTable::builder();
/// b.add(&["email", "search"], 2, 40.0, 1)?;
/// b.add(&["email", "search"], 1, 20.0, 0)?;
/// let table = b.build();
/// assert_eq!(table.rows()[0].conversions, 3);
/// assert!(b_is_checked());
/// # fn b_is_checked() -> bool {
/// #   let mut b = userops::attribution::PathTable::builder();
/// #   b.add::<&str>(&[], 1, 0.0, 0).is_err() && b.add(&["a"], 0, 5.0, 0).is_err()
/// # }
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Default)]
pub struct PathTableBuilder {
    channels: Dictionary<String>,
    rows: Vec<PathRow>,
    index: HashMap<Vec<u32>, usize, foldhash::fast::RandomState>,
    path: Vec<u32>,
    /// Totals so far, checked, so that the table's sums fit.
    totals: (u64, f64, u64),
}

impl PathTableBuilder {
    /// A builder whose channel indices are `channels`' (sorted, each once).
    pub(crate) fn with_channels(channels: Vec<String>) -> Self {
        let channels = Dictionary::from_values(channels).unwrap_or_default();
        PathTableBuilder {
            channels,
            ..Self::default()
        }
    }

    /// Adds a path of channel names with its conversions, their value, and its nulls.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for an empty path or an empty channel name, a value without
    /// conversions; [`Error::NonFinite`] / [`Error::Negative`] for a value that is not a
    /// finite, non-negative number; [`Error::Overflow`] when a sum does not fit.
    ///
    /// ```
    /// let mut b = userops::attribution::PathTable::builder();
    /// b.add(&["a", "b", "a"], 1, 3.5, 2)?;
    /// assert_eq!(b.build().rows()[0].path, [0, 1, 0]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn add<S: AsRef<str>>(
        &mut self,
        path: &[S],
        conversions: u64,
        value: f64,
        nulls: u64,
    ) -> Result<()> {
        let mut indices = std::mem::take(&mut self.path);
        indices.clear();
        for channel in path {
            let channel = channel.as_ref().trim();
            if channel.is_empty() {
                self.path = indices;
                return Err(Error::InvalidInput(
                    "a path with an empty channel name".into(),
                ));
            }
            indices.push(self.channels.intern_ref(channel)?);
        }
        let added = self.add_indexed(&indices, conversions, value, nulls);
        self.path = indices;
        added
    }

    /// Adds a path written as text, channels separated by `separator` (ChannelAttribution's
    /// `"C1 > C2 > C3"` with `">"`); spaces around channel names are trimmed.
    ///
    /// # Errors
    /// As [`PathTableBuilder::add`]; [`Error::InvalidParameter`] for an empty separator.
    ///
    /// ```
    /// let mut b = userops::attribution::PathTable::builder();
    /// b.add_text("google ads > mailing", ">", 1, 0.0, 0)?;
    /// assert_eq!(b.build().channels(), ["google ads", "mailing"]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn add_text(
        &mut self,
        path: &str,
        separator: &str,
        conversions: u64,
        value: f64,
        nulls: u64,
    ) -> Result<()> {
        if separator.is_empty() {
            return Err(Error::invalid("separator", "must not be empty"));
        }
        let channels: Vec<&str> = path.split(separator).collect();
        self.add(&channels, conversions, value, nulls)
    }

    /// Adds a path of channel indices of this builder.
    pub(crate) fn add_indexed(
        &mut self,
        path: &[u32],
        conversions: u64,
        value: f64,
        nulls: u64,
    ) -> Result<()> {
        if path.is_empty() {
            return Err(Error::InvalidInput(
                "an empty path (a journey needs at least one touchpoint)".into(),
            ));
        }
        if !value.is_finite() {
            return Err(Error::NonFinite {
                field: "path value",
                value,
                user: String::new(),
            });
        }
        if value < 0.0 {
            return Err(Error::Negative {
                field: "path value",
                value,
                user: String::new(),
                hint: "; a conversion value is not negative",
            });
        }
        if conversions == 0 && value != 0.0 {
            return Err(Error::InvalidInput(format!(
                "a path with value {value} but no conversion"
            )));
        }
        let what = || "a path table's totals".to_string();
        let (c, v, n) = self.totals;
        self.totals = (
            crate::checked::add_count(c, conversions, what)?,
            crate::checked::add(v, value, what)?,
            crate::checked::add_count(n, nulls, what)?,
        );
        match self.index.get(path) {
            Some(&i) => {
                // Within the checked totals: these sums fit.
                let row = &mut self.rows[i];
                row.conversions += conversions;
                row.nulls += nulls;
                row.value += value;
            }
            None => {
                self.index.insert(path.to_vec(), self.rows.len());
                self.rows.push(PathRow {
                    path: path.to_vec(),
                    conversions,
                    value,
                    nulls,
                });
            }
        }
        Ok(())
    }

    /// The canonical table of the rows added.
    ///
    /// ```
    /// let mut b = userops::attribution::PathTable::builder();
    /// b.add(&["z"], 0, 0.0, 0)?; // neither conversions nor nulls: left out
    /// assert!(b.build().channels().is_empty());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn build(self) -> PathTable {
        let names = self.channels.into_values();
        let mut rows: Vec<PathRow> = self
            .rows
            .into_iter()
            .filter(|r| r.conversions > 0 || r.nulls > 0)
            .collect();
        let mut used = vec![false; names.len()];
        for r in &rows {
            for &c in &r.path {
                used[c as usize] = true;
            }
        }
        let mut order: Vec<usize> = (0..names.len()).filter(|&c| used[c]).collect();
        order.sort_unstable_by(|&a, &b| names[a].cmp(&names[b]));
        let mut rank = vec![u32::MAX; names.len()];
        for (r, &c) in order.iter().enumerate() {
            rank[c] = r as u32;
        }
        let identity = order.iter().enumerate().all(|(r, &c)| r == c);
        if !identity {
            for r in &mut rows {
                for c in &mut r.path {
                    *c = rank[*c as usize];
                }
            }
        }
        rows.sort_unstable_by(|a, b| a.path.cmp(&b.path));
        let channels = order.into_iter().map(|c| names[c].clone()).collect();
        PathTable { channels, rows }
    }
}

/// The serialized form of a [`PathTable`], rebuilt through the builder on the way in.
#[derive(Deserialize)]
struct PathTableParts {
    channels: Vec<String>,
    rows: Vec<PathRow>,
}

impl TryFrom<PathTableParts> for PathTable {
    type Error = Error;

    fn try_from(p: PathTableParts) -> Result<Self> {
        let mut builder = PathTableBuilder::default();
        let mut names = Vec::new();
        for row in p.rows {
            names.clear();
            for &c in &row.path {
                names.push(p.channels.get(c as usize).ok_or_else(|| {
                    Error::InvalidInput(format!("a path of unknown channel {c}"))
                })?);
            }
            builder.add(&names, row.conversions, row.value, row.nulls)?;
        }
        let table = builder.build();
        if table.channels != p.channels {
            return Err(Error::InvalidInput(
                "path table channels must be sorted by name, each on some row".into(),
            ));
        }
        Ok(table)
    }
}

/// A path as a readable text: channels joined by `" > "`, shortened past 48 characters.
pub(crate) fn shown_path(channels: &[&str]) -> String {
    let text = channels.join(" > ");
    if text.chars().count() > 48 {
        let cut: String = text.chars().take(45).collect();
        format!("{cut}...")
    } else {
        text
    }
}

impl fmt::Display for PathTable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{:<48} {:>12} {:>14} {:>10}",
            "path", "conversions", "value", "nulls"
        )?;
        for r in self.rows.iter().take(20) {
            let names: Vec<&str> = r
                .path
                .iter()
                .map(|&c| self.channels[c as usize].as_str())
                .collect();
            writeln!(
                f,
                "{:<48} {:>12} {:>14.2} {:>10}",
                shown_path(&names),
                r.conversions,
                r.value,
                r.nulls
            )?;
        }
        if self.rows.len() > 20 {
            writeln!(f, "... {} more paths", self.rows.len() - 20)?;
        }
        write!(
            f,
            "{} paths, {} channels: {} conversions, value {:.2}, {} nulls",
            self.rows.len(),
            self.channels.len(),
            self.conversions(),
            self.value(),
            self.nulls()
        )
    }
}
