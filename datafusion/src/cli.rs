//! `userops-sql`: one SQL query, with the userops functions registered, over named files,
//! in-process or on a Ballista cluster.
//!
//! ```text
//! userops-sql "SELECT ..." --table tx=orders.parquet [--table other=x.csv]
//!             [--scheduler df://127.0.0.1:50050] [--format table|csv|json] [--partitions N]
//! ```
//!
//! Each `--table NAME=PATH` registers a table: a `.csv` file (comma-separated, with a header
//! line), a `.tsv` file (tab-separated, with a header line), a `.parquet` file, or a directory
//! of files of one of these kinds (one table, one partition per file at least). Without
//! `--scheduler` the query runs in this process; with it, on the Ballista scheduler at that URL
//! (started with `userops-ballista-scheduler`, its executors with `userops-ballista-executor`),
//! which then reads the files itself: give paths the executors can read (the same machine or
//! shared storage). Paths are made absolute before they are sent.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), userops_datafusion::cli::CliError> {
//! use clap::Parser;
//! let dir = std::env::temp_dir().join(format!("userops-sql-doc-{}", std::process::id()));
//! std::fs::create_dir_all(&dir).unwrap();
//! let file = dir.join("tx.csv");
//! std::fs::write(&file, "customer,amount\nana,30\nana,12\nbo,5\n").unwrap();
//! let args = userops_datafusion::cli::SqlArgs::parse_from([
//!     "userops-sql",
//!     "SELECT customer, count(*) AS orders, sum(amount) AS revenue FROM tx \
//!      GROUP BY customer ORDER BY customer",
//!     "--table",
//!     &format!("tx={}", file.display()),
//!     "--format",
//!     "csv",
//! ]);
//! let mut out = Vec::new();
//! userops_datafusion::cli::run(&args, &mut out).await?;
//! assert_eq!(
//!     String::from_utf8(out).unwrap(),
//!     "customer,orders,revenue\nana,2,42\nbo,1,5\n"
//! );
//! # std::fs::remove_dir_all(&dir).unwrap();
//! # Ok(())
//! # }
//! ```

use std::ffi::OsString;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, ValueEnum};
use datafusion::arrow::array::RecordBatch;
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::error::DataFusionError;
use datafusion::prelude::{CsvReadOptions, ParquetReadOptions, SessionConfig, SessionContext};

/// The command line of `userops-sql`.
#[derive(Debug, Clone, Parser)]
#[command(
    name = "userops-sql",
    version,
    about = "Runs one SQL query, with the userops functions (rfm, ...) registered, over named \
             CSV/TSV/Parquet files, in-process or on a Ballista cluster."
)]
pub struct SqlArgs {
    /// The query, e.g. "SELECT unnest(rfm(customer_id, order_date, revenue, DATE '2006-12-31'))
    /// FROM tx".
    pub query: String,
    /// A table: NAME=PATH, PATH a .csv/.tsv file (with a header line), a .parquet file, or a
    /// directory of such files. Repeat for several tables.
    #[arg(long = "table", value_name = "NAME=PATH")]
    pub tables: Vec<String>,
    /// Run on the Ballista scheduler at this URL (df://host:port) instead of in-process.
    #[arg(long, value_name = "URL")]
    pub scheduler: Option<String>,
    /// How the result is printed.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// Target partitions: how many parts a scan and an aggregation are split into
    /// (default: the number of cores).
    #[arg(long, value_name = "N")]
    pub partitions: Option<usize>,
}

/// How `userops-sql` prints the result.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// A table with borders, for people.
    Table,
    /// CSV with a header line.
    Csv,
    /// A JSON array of objects, one per row.
    Json,
}

/// Why `userops-sql` failed.
#[derive(Debug)]
pub enum CliError {
    /// The command line is wrong (a bad `--table` spec, a missing file...).
    Usage(String),
    /// Planning or running the query failed (SQL error, unreadable file, lost cluster...).
    Query(DataFusionError),
    /// The query failed on the Ballista scheduler at `url` (or the scheduler could not be
    /// reached).
    Cluster {
        /// The `--scheduler` URL.
        url: String,
        /// What went wrong.
        error: DataFusionError,
    },
    /// The result could not be written.
    Output(String),
}

impl std::fmt::Display for CliError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CliError::Usage(m) => f.write_str(m),
            CliError::Query(e) => write!(f, "query failed: {e}"),
            CliError::Cluster { url, error } => {
                write!(
                    f,
                    "query on the Ballista scheduler at {url} failed: {error}"
                )?;
                if error.to_string().contains("tcp connect error") {
                    write!(
                        f,
                        " (is a scheduler running there? start one with \
                         userops-ballista-scheduler)"
                    )?;
                }
                Ok(())
            }
            CliError::Output(m) => write!(f, "cannot write the result: {m}"),
        }
    }
}

impl std::error::Error for CliError {}

impl From<DataFusionError> for CliError {
    fn from(e: DataFusionError) -> Self {
        CliError::Query(e)
    }
}

/// One `--table NAME=PATH`, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableSpec {
    /// The SQL name.
    pub name: String,
    /// The file or directory, absolute.
    pub path: PathBuf,
    /// Its format.
    pub kind: FileKind,
}

/// The format of a table's files.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    /// Comma-separated, header line (`.csv`).
    Csv,
    /// Tab-separated, header line (`.tsv`).
    Tsv,
    /// Parquet (`.parquet`).
    Parquet,
}

impl FileKind {
    fn of(path: &Path) -> Option<FileKind> {
        match path.extension()?.to_str()?.to_ascii_lowercase().as_str() {
            "csv" => Some(FileKind::Csv),
            "tsv" => Some(FileKind::Tsv),
            "parquet" => Some(FileKind::Parquet),
            _ => None,
        }
    }

    fn extension(self) -> &'static str {
        match self {
            FileKind::Csv => ".csv",
            FileKind::Tsv => ".tsv",
            FileKind::Parquet => ".parquet",
        }
    }
}

impl TableSpec {
    /// Reads `NAME=PATH`: the name must be a plain SQL identifier, the path an existing
    /// `.csv`, `.tsv` or `.parquet` file or a directory holding such files (of one kind).
    ///
    /// # Errors
    /// [`CliError::Usage`] saying what is wrong with the spec.
    ///
    /// ```
    /// use userops_datafusion::cli::TableSpec;
    /// assert!(TableSpec::parse("tx").is_err()); // no '='
    /// assert!(TableSpec::parse("tx=/no/such/file.csv").is_err());
    /// ```
    pub fn parse(spec: &str) -> Result<TableSpec, CliError> {
        let (name, path) = spec.split_once('=').ok_or_else(|| {
            CliError::Usage(format!(
                "--table {spec:?}: expected NAME=PATH, e.g. --table tx=orders.parquet"
            ))
        })?;
        let name = name.trim();
        let plain = name
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !plain {
            return Err(CliError::Usage(format!(
                "--table {spec:?}: the table name {name:?} must be letters, digits and '_', \
                 not starting with a digit"
            )));
        }
        if path.is_empty() {
            return Err(CliError::Usage(format!(
                "--table {spec:?}: no path after '='"
            )));
        }
        let path = Path::new(path);
        let absolute = std::fs::canonicalize(path).map_err(|e| {
            CliError::Usage(format!(
                "--table {spec:?}: cannot open {}: {e}",
                path.display()
            ))
        })?;
        let kind = if absolute.is_dir() {
            directory_kind(&absolute)
                .map_err(|m| CliError::Usage(format!("--table {spec:?}: {m}")))?
        } else {
            FileKind::of(&absolute).ok_or_else(|| {
                CliError::Usage(format!(
                    "--table {spec:?}: cannot tell the format of {}; name a .csv, .tsv or \
                     .parquet file, or a directory of them",
                    path.display()
                ))
            })?
        };
        Ok(TableSpec {
            name: name.to_string(),
            path: absolute,
            kind,
        })
    }
}

/// The one kind of data file in `dir`.
fn directory_kind(dir: &Path) -> Result<FileKind, String> {
    let entries =
        std::fs::read_dir(dir).map_err(|e| format!("cannot list {}: {e}", dir.display()))?;
    let mut kinds = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| format!("cannot list {}: {e}", dir.display()))?;
        if let Some(kind) = FileKind::of(&entry.path())
            && !kinds.contains(&kind)
        {
            kinds.push(kind);
        }
    }
    match kinds.as_slice() {
        [kind] => Ok(*kind),
        [] => Err(format!(
            "{} holds no .csv, .tsv or .parquet file",
            dir.display()
        )),
        _ => Err(format!(
            "{} mixes file formats; give a directory of one kind",
            dir.display()
        )),
    }
}

/// Registers `table` on `ctx`.
///
/// # Errors
/// The file cannot be read (e.g. a CSV header or Parquet footer is broken).
pub async fn register_table(ctx: &SessionContext, table: &TableSpec) -> Result<(), CliError> {
    let path = table.path.to_string_lossy();
    match table.kind {
        FileKind::Csv | FileKind::Tsv => {
            let delimiter = if table.kind == FileKind::Tsv {
                b'\t'
            } else {
                b','
            };
            let options = CsvReadOptions::new()
                .has_header(true)
                .delimiter(delimiter)
                .file_extension(table.kind.extension());
            ctx.register_csv(&table.name, path.as_ref(), options)
                .await?;
        }
        FileKind::Parquet => {
            let options = ParquetReadOptions {
                file_extension: table.kind.extension(),
                ..Default::default()
            };
            ctx.register_parquet(&table.name, path.as_ref(), options)
                .await?;
        }
    }
    Ok(())
}

/// The session `args` ask for: in-process with the userops functions registered, or on the
/// Ballista scheduler of `--scheduler`, with every `--table` registered.
///
/// # Errors
/// A bad `--table`, an unreadable file, a scheduler URL Ballista cannot parse, or
/// `--scheduler` in a build without the `ballista` feature.
pub async fn session(args: &SqlArgs) -> Result<SessionContext, CliError> {
    let tables = args
        .tables
        .iter()
        .map(|t| TableSpec::parse(t))
        .collect::<Result<Vec<_>, _>>()?;
    let mut config = SessionConfig::new();
    if let Some(n) = args.partitions {
        if n == 0 || n > 4096 {
            return Err(CliError::Usage(format!(
                "--partitions {n}: give a number between 1 and 4096"
            )));
        }
        config = config.with_target_partitions(n);
    }
    let ctx = match &args.scheduler {
        None => {
            let ctx = SessionContext::new_with_config(config);
            crate::register(&ctx);
            ctx
        }
        #[cfg(feature = "ballista")]
        Some(url) => crate::ballista::connect_with_config(url, config).await?,
        #[cfg(not(feature = "ballista"))]
        Some(_) => {
            return Err(CliError::Usage(
                "--scheduler: this build has no Ballista client (feature `ballista`)".into(),
            ));
        }
    };
    for table in &tables {
        register_table(&ctx, table).await?;
    }
    Ok(ctx)
}

/// Runs the query of `args` and writes its result to `out` in `args.format`.
///
/// # Errors
/// See [`CliError`].
pub async fn run(args: &SqlArgs, out: &mut impl Write) -> Result<(), CliError> {
    let ctx = session(args).await?;
    let on_cluster = |error: DataFusionError| match &args.scheduler {
        Some(url) => CliError::Cluster {
            url: url.clone(),
            error,
        },
        None => CliError::Query(error),
    };
    let frame = ctx.sql(&args.query).await.map_err(on_cluster)?;
    let schema: SchemaRef = frame.schema().inner().clone();
    if args.format == Format::Csv
        && let Some(field) = schema.fields().iter().find(|f| f.data_type().is_nested())
    {
        return Err(CliError::Usage(format!(
            "--format csv: column {:?} is a {}, which CSV cannot hold; select its fields \
             (e.g. SELECT r['user'], r['recency_days'] FROM (SELECT unnest(rfm(...)) AS r \
             FROM tx)) or use --format json",
            field.name(),
            field.data_type()
        )));
    }
    let batches = frame.collect().await.map_err(on_cluster)?;
    write_batches(&schema, &batches, args.format, out)
}

/// Writes `batches` to `out` in `format`.
///
/// # Errors
/// [`CliError::Output`]: `out` fails, or a column CSV cannot hold (a list or struct: use
/// `unnest` and field access, or `--format json`).
pub fn write_batches(
    schema: &SchemaRef,
    batches: &[RecordBatch],
    format: Format,
    out: &mut impl Write,
) -> Result<(), CliError> {
    let output = |e: &dyn std::fmt::Display| CliError::Output(e.to_string());
    match format {
        Format::Table => {
            let text = datafusion::arrow::util::pretty::pretty_format_batches_with_schema(
                schema.clone(),
                batches,
            )
            .map_err(|e| output(&e))?;
            writeln!(out, "{text}").map_err(|e| output(&e))?;
        }
        Format::Csv => {
            let mut writer = datafusion::arrow::csv::WriterBuilder::new()
                .with_header(true)
                .build(&mut *out);
            if batches.is_empty() {
                writer
                    .write(&RecordBatch::new_empty(schema.clone()))
                    .map_err(|e| output(&e))?;
            }
            for batch in batches {
                writer.write(batch).map_err(|e| output(&e))?;
            }
        }
        Format::Json => {
            let mut writer = datafusion::arrow::json::ArrayWriter::new(&mut *out);
            for batch in batches {
                writer.write(batch).map_err(|e| output(&e))?;
            }
            writer.finish().map_err(|e| output(&e))?;
            drop(writer);
            writeln!(out).map_err(|e| output(&e))?;
        }
    }
    out.flush().map_err(|e| output(&e))
}

/// The whole `userops-sql` program: parses `args` (the program name first), runs the query
/// on a new async runtime, prints the result on stdout or the error on stderr. Exit status 0
/// on success, 1 when the query fails, 2 for a bad command line.
///
/// ```
/// let status = userops_datafusion::cli::main(["userops-sql", "--table", "no-equals-sign", "SELECT 1"]);
/// assert_eq!(status, std::process::ExitCode::from(2));
/// ```
pub fn main<I, T>(args: I) -> ExitCode
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let args = match SqlArgs::try_parse_from(args) {
        Ok(a) => a,
        Err(e) => {
            // --help and --version are "errors" that print to stdout and succeed.
            let _ = e.print();
            return if e.use_stderr() {
                ExitCode::from(2)
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    match runtime.block_on(run(&args, &mut out)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            match e {
                CliError::Usage(_) => ExitCode::from(2),
                _ => ExitCode::FAILURE,
            }
        }
    }
}
