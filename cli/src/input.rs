//! The input section every subcommand shares: which file, how it is separated, whether it has
//! a header, how its times read, and the one-line account of what was read.

use std::io::{IsTerminal, Read};
use std::path::Path;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use clap::Args;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use userops::csv::{Column, CsvEvents, CsvSpec, Delimiter, read_events, read_table, sniff};
use userops::engine::EventTable;
use userops::event::EventRecord;
use userops::time::Zone;

use crate::Res;

/// `--input` and the flags that say how to read it.
#[derive(Debug, Clone, Args)]
pub struct InputArgs {
    /// The events: CSV, TSV, `;`- or whitespace-separated, or Parquet (`.parquet`); `-` reads
    /// standard input.
    #[arg(long, value_name = "FILE")]
    pub input: Option<String>,
    /// Field separator: `,` `;` `tab` `|` or `ws` (runs of spaces); detected when not given.
    #[arg(long, value_name = "SEP", value_parser = parse_delimiter)]
    pub delimiter: Option<Delimiter>,
    /// The first row names the columns (detected when neither this nor --no-header is given).
    #[arg(long, conflicts_with = "no_header")]
    pub header: bool,
    /// The first row is data; columns are then `#N` (0-based).
    #[arg(long)]
    pub no_header: bool,
    /// strftime format of the time column, for what detection cannot read (e.g. `%d.%m.%Y`,
    /// `%m/%d/%Y %H:%M`, `%d %b %Y`).
    #[arg(long, value_name = "FORMAT")]
    pub time_format: Option<String>,
    /// The business's time zone: IANA (`Europe/Berlin`, `US/Pacific`) or an offset (`+08:00`);
    /// times without an offset are read in it, and days and months are cut in it.
    #[arg(long, alias = "tz", value_name = "ZONE", value_parser = parse_zone, default_value = "UTC")]
    pub zone: Zone,
    /// Amounts written with a decimal comma (`12,50`); on by default for `;`-separated files.
    #[arg(long)]
    pub decimal_comma: bool,
    /// Drop (and count) events after the as-of date instead of failing on them.
    #[arg(long)]
    pub drop_after_as_of: bool,
}

/// Parses `--delimiter`.
pub fn parse_delimiter(text: &str) -> Result<Delimiter, String> {
    match text {
        "ws" | "whitespace" | "space" => Ok(Delimiter::Whitespace),
        "tab" | "\\t" | "\t" => Ok(Delimiter::Byte(b'\t')),
        "," | "comma" => Ok(Delimiter::Byte(b',')),
        ";" | "semicolon" => Ok(Delimiter::Byte(b';')),
        "|" | "pipe" => Ok(Delimiter::Byte(b'|')),
        // Any other one punctuation character (':' '^' '~' ...): a quote, a letter, a digit
        // or a line end would split the values themselves.
        other => match other.as_bytes() {
            [b] if b.is_ascii_punctuation() && *b != b'"' => Ok(Delimiter::Byte(*b)),
            _ => Err(format!(
                "{other:?} is not a separator: give ',', ';', tab, '|', ws or one other \
                 punctuation character"
            )),
        },
    }
}

/// Parses `--zone`.
pub fn parse_zone(text: &str) -> Result<Zone, String> {
    Zone::parse(text).map_err(|e| e.to_string())
}

/// Columns to read, by name or `#N`.
#[derive(Debug, Clone, Default)]
pub struct Columns {
    /// The user id column.
    pub user: String,
    /// The time column.
    pub time: String,
    /// The amount column.
    pub amount: Option<String>,
    /// The event name column.
    pub name: Option<String>,
    /// The duration column (seconds).
    pub duration: Option<String>,
    /// Attribute columns, in order.
    pub attributes: Vec<String>,
}

/// What a subcommand gets back: the events and the reader's account.
#[derive(Debug)]
pub struct Loaded {
    /// Accepted events, in file order.
    pub events: Vec<EventRecord<String>>,
    /// Data rows read.
    pub rows_read: u64,
    /// Rows rejected.
    pub rejected: u64,
    /// Events dropped by `--drop-after-as-of`.
    pub dropped_after_as_of: u64,
}

impl InputArgs {
    /// The input path, or an error saying to give one.
    pub fn path(&self) -> Res<&str> {
        self.input
            .as_deref()
            .ok_or_else(|| "--input FILE is required (or `-` for standard input)".into())
    }

    /// The bytes of the input: the whole of standard input for `-`, else `None` (read the
    /// file as a stream).
    fn stdin_bytes(&self) -> Res<Option<Vec<u8>>> {
        if self.path()? != "-" {
            return Ok(None);
        }
        let mut buf = Vec::new();
        std::io::stdin()
            .lock()
            .read_to_end(&mut buf)
            .map_err(|e| format!("cannot read standard input: {e}"))?;
        Ok(Some(buf))
    }

    /// The separator and header: given, or read off the first 64 KiB.
    fn layout(&self, start: &[u8]) -> (Delimiter, bool) {
        let found = sniff(start);
        let delimiter = self.delimiter.unwrap_or(found.delimiter);
        let header = if self.header {
            true
        } else if self.no_header {
            false
        } else {
            found.has_header
        };
        (delimiter, header)
    }

    /// The separator byte for readers of other row shapes (summary files, groups).
    pub fn separator(&self) -> Res<(u8, bool)> {
        let path = self.path()?;
        let start = file_start(path)?;
        let (delimiter, header) = self.layout(&start);
        match delimiter {
            Delimiter::Byte(b) => Ok((b, header)),
            Delimiter::Whitespace => {
                Err(format!("{path}: this reader needs a one-byte separator, not ws").into())
            }
        }
    }

    /// Opens the input for a reader of its own (summary files, groups): standard input or
    /// the file.
    pub fn open(&self) -> Res<Box<dyn Read>> {
        let path = self.path()?;
        if path == "-" {
            return Ok(Box::new(std::io::stdin()));
        }
        let file = std::fs::File::open(path).map_err(|e| format!("cannot read {path}: {e}"))?;
        Ok(Box::new(std::io::BufReader::new(file)))
    }

    /// Reads the events, prints the account line on stderr, and drops events later than
    /// `as_of` (the last instant included) when `--drop-after-as-of` is given.
    pub fn load(&self, columns: &Columns, as_of: Option<DateTime<Utc>>) -> Res<Loaded> {
        let path = self.path()?;
        let mut loaded = if is_parquet(path) {
            self.load_parquet(path, columns)?
        } else {
            self.load_delimited(path, columns)?
        };
        if let (true, Some(end)) = (self.drop_after_as_of, as_of) {
            let before = loaded.events.len();
            loaded.events.retain(|e| e.at <= end);
            loaded.dropped_after_as_of = (before - loaded.events.len()) as u64;
        }
        let mut line = format!(
            "{} rows read: {} accepted, {} rejected",
            loaded.rows_read,
            loaded.events.len() as u64 + loaded.dropped_after_as_of,
            loaded.rejected
        );
        if self.drop_after_as_of {
            line.push_str(&format!(
                "; {} after the as-of date dropped (--drop-after-as-of)",
                loaded.dropped_after_as_of
            ));
        }
        eprintln!("{line}");
        Ok(loaded)
    }

    /// Reads the events straight into an [`EventTable`] (each user id and event name stored
    /// once), for the models that fold tables (funnels, journeys, paths, correlation); prints
    /// the account line on stderr. Attribute and duration columns are not kept in a table.
    pub fn load_table(&self, columns: &Columns) -> Res<EventTable<String>> {
        let path = self.path()?;
        let (table, account) = if is_parquet(path) {
            self.table_parquet(path, columns)?
        } else {
            let read = match self.stdin_bytes()? {
                Some(bytes) => {
                    let spec = self.spec(columns, &bytes[..bytes.len().min(64 * 1024)]);
                    read_table(&bytes[..], &spec)?
                }
                None => {
                    let spec = self.spec(columns, &file_start(path)?);
                    let file = std::fs::File::open(path)
                        .map_err(|e| format!("cannot read {path}: {e}"))?;
                    let size = file.metadata().map(|m| m.len()).unwrap_or(0);
                    read_table(std::io::BufReader::new(Progress::new(file, size)), &spec)
                        .map_err(|e| format!("{path}: {e}"))?
                }
            };
            let account = read.account();
            (read.table, account)
        };
        eprintln!("{account}");
        Ok(table)
    }

    #[cfg(feature = "parquet")]
    fn table_parquet(&self, path: &str, columns: &Columns) -> Res<(EventTable<String>, String)> {
        use userops::io::arrow::{ArrowSpec, read_parquet};
        let mut spec = ArrowSpec::new(Column::parse(&columns.user), Column::parse(&columns.time))
            .zone(self.zone);
        if let Some(c) = &columns.amount {
            spec = spec.amount(Column::parse(c));
        }
        if let Some(c) = &columns.name {
            spec = spec.name(Column::parse(c));
        }
        let (table, report) = read_parquet(path, &spec)?;
        Ok((table, report.account()))
    }

    #[cfg(not(feature = "parquet"))]
    fn table_parquet(&self, path: &str, columns: &Columns) -> Res<(EventTable<String>, String)> {
        Err(self
            .load_parquet(path, columns)
            .err()
            .unwrap_or_else(|| "Parquet input".into()))
    }

    fn spec(&self, columns: &Columns, start: &[u8]) -> CsvSpec {
        let (delimiter, header) = self.layout(start);
        let mut spec = CsvSpec::new(Column::parse(&columns.user), Column::parse(&columns.time))
            .zone(self.zone)
            .delimiter(delimiter)
            .header(header);
        if let Some(c) = &columns.amount {
            spec = spec.amount(Column::parse(c));
        }
        if let Some(c) = &columns.name {
            spec = spec.name(Column::parse(c));
        }
        if let Some(c) = &columns.duration {
            spec = spec.duration(Column::parse(c));
        }
        for c in &columns.attributes {
            spec = spec.attribute(Column::parse(c));
        }
        if let Some(f) = &self.time_format {
            spec = spec.time_format(f.clone());
        }
        spec.decimal_comma(self.decimal_comma || delimiter == Delimiter::Byte(b';'))
    }

    fn load_delimited(&self, path: &str, columns: &Columns) -> Res<Loaded> {
        let read: CsvEvents = match self.stdin_bytes()? {
            Some(bytes) => {
                let spec = self.spec(columns, &bytes[..bytes.len().min(64 * 1024)]);
                read_events(&bytes[..], &spec)?
            }
            None => {
                let spec = self.spec(columns, &file_start(path)?);
                let file =
                    std::fs::File::open(path).map_err(|e| format!("cannot read {path}: {e}"))?;
                let size = file.metadata().map(|m| m.len()).unwrap_or(0);
                let progress = Progress::new(file, size);
                let read = read_events(std::io::BufReader::new(progress), &spec);
                read.map_err(|e| format!("{path}: {e}"))?
            }
        };
        for r in read.rejected.iter().take(5) {
            eprintln!("  rejected {r}");
        }
        if read.rejected.len() > 5 {
            eprintln!("  ... and {} more rejected rows", read.rejected.len() - 5);
        }
        Ok(Loaded {
            rows_read: read.rows_read,
            rejected: read.rejected.len() as u64,
            events: read.events,
            dropped_after_as_of: 0,
        })
    }

    #[cfg(feature = "parquet")]
    fn load_parquet(&self, path: &str, columns: &Columns) -> Res<Loaded> {
        use userops::event::Event;
        use userops::io::arrow::{ArrowSpec, read_parquet};
        if !columns.attributes.is_empty() || columns.duration.is_some() {
            return Err(format!(
                "{path}: attribute and duration columns are read from CSV files only; \
                 export those columns to CSV"
            )
            .into());
        }
        let mut spec = ArrowSpec::new(Column::parse(&columns.user), Column::parse(&columns.time))
            .zone(self.zone);
        if let Some(c) = &columns.amount {
            spec = spec.amount(Column::parse(c));
        }
        if let Some(c) = &columns.name {
            spec = spec.name(Column::parse(c));
        }
        let (table, report) = read_parquet(path, &spec)?;
        for r in report.rejections.iter().take(5) {
            eprintln!("  rejected {r}");
        }
        let events = table
            .rows()
            .map(|r| {
                let mut e = EventRecord::new(r.user().clone(), r.at()).with_amount(r.amount());
                if let Some(n) = r.name() {
                    e = e.with_name(n);
                }
                e
            })
            .collect();
        Ok(Loaded {
            events,
            rows_read: report.rows_read,
            rejected: report.rejected,
            dropped_after_as_of: 0,
        })
    }

    #[cfg(not(feature = "parquet"))]
    fn load_parquet(&self, path: &str, _: &Columns) -> Res<Loaded> {
        Err(format!(
            "{path}: Parquet input needs the `parquet` feature of userops-cli \
             (cargo install --path cli, or run `userops` rather than the example)"
        )
        .into())
    }
}

/// Whether `path` is a Parquet file: by its name, or by its `PAR1` magic.
fn is_parquet(path: &str) -> bool {
    if path == "-" {
        return false;
    }
    let lower = path.to_ascii_lowercase();
    if lower.ends_with(".parquet") || lower.ends_with(".pq") {
        return true;
    }
    let mut magic = [0u8; 4];
    std::fs::File::open(path)
        .and_then(|mut f| f.read_exact(&mut magic))
        .is_ok_and(|()| &magic == b"PAR1")
}

/// The first 64 KiB of a file (for detection).
fn file_start(path: &str) -> Res<Vec<u8>> {
    let mut start = Vec::new();
    std::fs::File::open(Path::new(path))
        .and_then(|f| f.take(64 * 1024).read_to_end(&mut start))
        .map_err(|e| format!("cannot read {path}: {e}"))?;
    Ok(start)
}

/// A reader that shows a progress bar on stderr once a read has taken a second, and only
/// when stderr is a terminal.
struct Progress<R> {
    inner: R,
    bar: Option<ProgressBar>,
    started: Instant,
    shown: bool,
}

impl<R> Progress<R> {
    fn new(inner: R, size: u64) -> Self {
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = ProgressBar::with_draw_target(Some(size), ProgressDrawTarget::hidden());
            if let Ok(style) = ProgressStyle::with_template(
                "{bar:40} {bytes}/{total_bytes} {bytes_per_sec} eta {eta}",
            ) {
                bar.set_style(style);
            }
            bar
        });
        Progress {
            inner,
            bar,
            started: Instant::now(),
            shown: false,
        }
    }
}

impl<R: Read> Read for Progress<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        if let Some(bar) = &self.bar {
            bar.inc(n as u64);
            if !self.shown && self.started.elapsed() >= Duration::from_secs(1) {
                bar.set_draw_target(ProgressDrawTarget::stderr());
                self.shown = true;
            }
            if n == 0 {
                bar.finish_and_clear();
            }
        }
        Ok(n)
    }
}
