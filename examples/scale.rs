//! Scale: every model on a generated log of a chosen size, or on the user's own file, one
//! JSON line per stage.
//!
//! ```sh
//! cargo run --release --example scale -- --users 1000000 --events 10000000
//! cargo run --release --features parallel --example scale -- --users 1000000 --events 10000000 --threads 2
//! cargo run --release --example scale -- --input events.csv --user user --time time --amount amount --event event
//! cargo run --release --features arrow,parallel --example scale -- --input events.parquet --threads 1,2
//! ```
//!
//! Each line: `{"stage": "rfm", "users": N, "events": M, "seconds": s, "events_per_sec": e,
//! "state_bytes": b, "threads": t, "events_folded": k}`. `seconds` covers the fold and the model
//! (not the generation or the reading of the log); `events_folded` is the number of events the
//! generator made for the requested M (Poisson counts plus one sign-up per user), and
//! `events_per_sec` uses it; `state_bytes` is the heap the stage's summary holds when the fold
//! is done, measured by a counting allocator. Stages: rfm, btyd_summary, bgnbd_fit,
//! pareto_nbd_fit, gamma_gamma_fit, clv_predict, lifecycle, retention, metric_tree
//! (`--stages a,b` picks some).
//!
//! The log comes from `userops::sample` with `SampleConfig::new(users).events_per_user(events /
//! users)` and `--seed` (default 1), the same as `scripts/compare/`. In the rfm and
//! btyd_summary stages every event counts as a transaction (the benchmark's "10M purchases").
//! btyd_summary's `seconds` is the fold and its finish (the summary table, as lifetimes'
//! `summary_data_from_transaction_data` makes it); its extra field `rows_seconds` is the
//! conversion of that table to the models' rows (`BtydReport::to_customers`).
//! The log is in time order (`--order time`, the default: users interleaved, as an application
//! logs events); `--order user` keeps it grouped by user (ascending ids, the folds' fast path)
//! and `--order shuffled` scatters every user's events. With `--threads T`
//! the folds and the model passes that the `parallel` feature splits run on a pool of T
//! threads (`--threads 1` with the feature: the same code on one thread). `--repeat K` runs
//! the stages K times over on the same log (one line per run: take the min; profile one stage).
//! `--threads 1,2` runs every stage at each thread count in turn, back to back (lines told
//! apart by their `threads` field): on a machine whose speed drifts, the two-thread speed-up
//! is best read from such pairs, run seconds apart, rather than from separate processes.
//!
//! ## Your own file: `--input FILE`
//!
//! A CSV file (the `csv` feature, on by default: `userops::csv::read_table`) or, with the
//! `arrow` feature, a Parquet file
//! (`userops::io::arrow::read_parquet`, straight into the table), told apart by the extension
//! (`.parquet`, `.pq`) or `--format csv|parquet`. Columns as in the `rfm`, `lifecycle`,
//! `retention` and `clv` examples: `--user COL` (default `user`), `--time COL` (default
//! `time`), `--amount COL`, `--event COL` (header names, or `#N` for a 0-based position),
//! `--delimiter ,|;|tab|ws`, `--no-header`, `--zone ZONE` (or `--tz`: times without an offset,
//! and the calendar of months). The first line is the `read` stage:
//! `{"stage": "read", "users": N, "events": M, "seconds": s, "threads": 1, "rows_read": R,
//! "rejected": J, "format": "csv"|"parquet"}` (`events` = accepted rows; the readers run on one
//! thread). Every model stage then folds the table's rows (`EventTable::rows`, the table split
//! into T ranges with `--threads T`), read excluded from its seconds. The models' settings:
//!
//! * `--as-of INSTANT` (a date is its midnight in `--zone`; default: the midnight after the
//!   last event): RFM's as-of instant; the BTYD calibration ends the day before it;
//! * lifecycle: monthly stages from the month of the first event to the instant before as-of;
//! * retention: recurring monthly retention, any event to any event, over the months from the
//!   first event's to the one before as-of (`--months K` sets the count);
//! * metric_tree needs the generator's events and is not run on a file.
//!
//! `--dump DIR` writes each stage's result to `DIR/<stage>.json` after timing it (RFM score
//! and segment counts and every customer's scores, lifecycle rows, retention cells, the BTYD
//! summary), for `scripts/compare/compare_duckdb.py`'s parity checks.

use std::alloc::{GlobalAlloc, Layout, System};
use std::error::Error;
use std::sync::atomic::{AtomicIsize, Ordering};
use std::time::Instant;

use userops::engine::{EventTable, Row};
use userops::event::Event;
use userops::fold::{Fold, FoldTable, Summary};
use userops::sample::{Order, SampleConfig, SampleData, SampleEvent, generate};
use userops::time::Zone;

/// Counts live heap bytes, so that a stage can report what its summary holds.
struct Counting;

static LIVE: AtomicIsize = AtomicIsize::new(0);

// SAFETY: forwards to the system allocator unchanged and only counts sizes.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LIVE.fetch_add(layout.size() as isize, Ordering::Relaxed);
        // SAFETY: same layout as the caller's.
        unsafe { System.alloc(layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        LIVE.fetch_add(layout.size() as isize, Ordering::Relaxed);
        // SAFETY: same layout as the caller's. Forwarded so that large zeroed blocks keep the
        // system's fresh (already zero) pages instead of being written over.
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size() as isize, Ordering::Relaxed);
        // SAFETY: ptr came from `alloc` with this layout.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        LIVE.fetch_add(
            new_size as isize - layout.size() as isize,
            Ordering::Relaxed,
        );
        // SAFETY: forwarded unchanged.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

fn live() -> isize {
    LIVE.load(Ordering::Relaxed)
}

const STAGES: [&str; 9] = [
    "rfm",
    "btyd_summary",
    "bgnbd_fit",
    "pareto_nbd_fit",
    "gamma_gamma_fit",
    "clv_predict",
    "lifecycle",
    "retention",
    "metric_tree",
];

#[derive(Clone)]
struct Args {
    users: u64,
    events: u64,
    /// The thread count of the run under way (one of `thread_counts`).
    threads: usize,
    /// `--threads`: every count to run each stage at, in turn.
    thread_counts: Vec<usize>,
    seed: u64,
    months: u32,
    /// Whether `--months` was given (for a file: the retention window).
    months_given: bool,
    stages: Vec<String>,
    /// Whether `--stages` was given.
    stages_given: bool,
    /// The order of the generated log; `None` = shuffled.
    order: Option<Order>,
    /// `--input`: the user's own file and how to read it.
    input: Option<Input>,
    /// `--dump DIR`: each stage's result as JSON in DIR (for the parity checks of
    /// `scripts/compare/compare_duckdb.py`), written after its timing.
    dump: Option<std::path::PathBuf>,
    /// Run every stage this many times (one line each) on the same generated log.
    repeat: u64,
}

/// `--input` and the column flags.
#[derive(Clone, Debug)]
struct Input {
    path: String,
    parquet: bool,
    user: String,
    time: String,
    amount: Option<String>,
    event: Option<String>,
    delimiter: Option<String>,
    no_header: bool,
    zone: Zone,
    as_of: Option<String>,
}

const USAGE: &str = "usage: scale --users N --events M [--threads T[,T2...]] [--seed S] [--months K] [--order time|user|shuffled] [--stages rfm,lifecycle,...] [--repeat K]
       scale --input FILE [--format csv|parquet] [--user COL] [--time COL] [--amount COL] [--event COL]
             [--delimiter ,|;|tab|ws] [--no-header] [--zone ZONE] [--as-of INSTANT] [--months K]
             [--threads T[,T2...]] [--stages ...] [--repeat K] [--dump DIR]";

fn parse_args() -> Result<Args, String> {
    let mut a = Args {
        users: 100_000,
        events: 1_000_000,
        threads: 1,
        thread_counts: vec![1],
        seed: 1,
        months: 24,
        months_given: false,
        stages: STAGES.iter().map(|s| s.to_string()).collect(),
        stages_given: false,
        order: Some(Order::Time),
        input: None,
        dump: None,
        repeat: 1,
    };
    let mut input = Input {
        path: String::new(),
        parquet: false,
        user: "user".into(),
        time: "time".into(),
        amount: None,
        event: None,
        delimiter: None,
        no_header: false,
        zone: Zone::Utc,
        as_of: None,
    };
    let mut format = None;
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        if flag == "--help" || flag == "-h" {
            println!("{USAGE}\nstages: {}", STAGES.join(", "));
            std::process::exit(0);
        }
        if flag == "--no-header" {
            input.no_header = true;
            continue;
        }
        let value = it
            .next()
            .ok_or_else(|| format!("{flag} needs a value\n{USAGE}"))?;
        let num = |v: &str| {
            v.replace('_', "").parse::<u64>().map_err(|_| {
                format!(
                    "{flag}: {:?} is not a whole number",
                    userops::error::shorten(v)
                )
            })
        };
        match flag.as_str() {
            "--users" => a.users = num(&value)?,
            "--events" => a.events = num(&value)?,
            "--threads" => {
                a.thread_counts = value
                    .split(',')
                    .map(|t| num(t.trim()).map(|t| t as usize))
                    .collect::<Result<_, _>>()?;
            }
            "--seed" => a.seed = num(&value)?,
            "--repeat" => a.repeat = num(&value)?,
            "--months" => {
                a.months =
                    u32::try_from(num(&value)?).map_err(|_| "--months is too large".to_string())?;
                a.months_given = true;
            }
            "--order" => {
                a.order = match value.as_str() {
                    "shuffled" => None,
                    other => Some(other.parse().map_err(|_| {
                        format!("--order: {other:?} is none of time, user, shuffled")
                    })?),
                }
            }
            "--input" => input.path = value,
            "--format" => format = Some(value),
            "--user" => input.user = value,
            "--time" => input.time = value,
            "--amount" => input.amount = Some(value),
            "--event" => input.event = Some(value),
            "--delimiter" => input.delimiter = Some(value),
            "--zone" | "--tz" => {
                input.zone = Zone::parse(&value).map_err(|e| format!("{flag}: {e}"))?;
            }
            "--as-of" => input.as_of = Some(value),
            "--dump" => a.dump = Some(value.into()),
            "--stages" => {
                a.stages_given = true;
                a.stages = value.split(',').map(|s| s.trim().to_string()).collect();
                if let Some(bad) = a.stages.iter().find(|s| !STAGES.contains(&s.as_str())) {
                    return Err(format!(
                        "unknown stage {bad:?}; stages: {}",
                        STAGES.join(", ")
                    ));
                }
            }
            _ => return Err(format!("unknown flag {flag}\n{USAGE}")),
        }
    }
    if a.users == 0 || a.events == 0 || a.thread_counts.contains(&0) || a.repeat == 0 {
        return Err("--users, --events, --threads and --repeat must be at least 1".into());
    }
    // Refuse what would run for hours or build thousands of thread pools instead of trying.
    if a.repeat > 100 {
        return Err(format!("--repeat must be from 1 to 100, got {}", a.repeat));
    }
    if let Some(t) = a.thread_counts.iter().find(|&&t| t > 1024) {
        return Err(format!("--threads must be from 1 to 1024, got {t}"));
    }
    if a.thread_counts.len() > 64 {
        return Err(format!(
            "--threads lists at most 64 counts, got {}",
            a.thread_counts.len()
        ));
    }
    a.threads = a.thread_counts.first().copied().unwrap_or(1);
    if !input.path.is_empty() {
        let lower = input.path.to_ascii_lowercase();
        input.parquet = match format.as_deref() {
            Some("parquet") => true,
            Some("csv") => false,
            Some(other) => return Err(format!("--format: {other:?} is neither csv nor parquet")),
            None => lower.ends_with(".parquet") || lower.ends_with(".pq"),
        };
        if a.stages.iter().any(|s| s == "metric_tree") {
            if a.stages_given {
                return Err(
                    "metric_tree needs the generator's events; it does not run on --input".into(),
                );
            }
            a.stages.retain(|s| s != "metric_tree");
        }
        a.input = Some(input);
    }
    if a.thread_counts.iter().any(|&t| t > 1) && !cfg!(feature = "parallel") {
        return Err("--threads above 1 needs the `parallel` feature: cargo run --release --features parallel --example scale -- ...".into());
    }
    Ok(a)
}

struct Report<'a> {
    args: &'a Args,
    events: usize,
}

impl Report<'_> {
    fn line(&self, stage: &str, seconds: f64, items: usize, state_bytes: isize) {
        self.line_with(stage, seconds, items, state_bytes, "");
    }

    /// A line with `extra` (`, "key": value` pairs) before its closing brace.
    fn line_with(&self, stage: &str, seconds: f64, items: usize, state_bytes: isize, extra: &str) {
        let eps = if seconds > 0.0 {
            items as f64 / seconds
        } else {
            0.0
        };
        println!(
            "{{\"stage\": \"{stage}\", \"users\": {}, \"events\": {}, \"seconds\": {seconds:.6}, \"events_per_sec\": {eps:.0}, \"state_bytes\": {}, \"threads\": {}, \"events_folded\": {}{extra}}}",
            self.args.users,
            self.args.events,
            state_bytes.max(0),
            self.args.threads,
            self.events
        );
    }
}

/// Runs `work` on a pool of `--threads` threads (the model passes that the `parallel` feature
/// splits over rayon's current pool), or directly without the feature.
fn in_pool<T: Send>(args: &Args, work: impl FnOnce() -> T + Send) -> T {
    #[cfg(feature = "parallel")]
    if let Some(pool) = pool(args.threads) {
        return pool.install(work);
    }
    let _ = args;
    work()
}

/// The thread pool of `threads` threads, built once for each count.
#[cfg(feature = "parallel")]
fn pool(threads: usize) -> Option<&'static rayon::ThreadPool> {
    type Pools = Vec<(usize, &'static rayon::ThreadPool)>;
    static POOLS: std::sync::Mutex<Pools> = std::sync::Mutex::new(Vec::new());
    let mut pools = POOLS.lock().ok()?;
    if let Some((_, p)) = pools.iter().find(|(t, _)| *t == threads) {
        return Some(p);
    }
    let p: &'static rayon::ThreadPool = Box::leak(Box::new(
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .ok()?,
    ));
    pools.push((threads, p));
    Some(p)
}

/// What the stages fold: the generated events, or a table read from the user's file.
trait Source: Sync {
    /// The user id type.
    type User: Clone
        + Eq
        + std::hash::Hash
        + Ord
        + Send
        + Sync
        + std::fmt::Debug
        + std::fmt::Display;
    /// One event.
    type Event<'a>: Event<User = Self::User>
    where
        Self: 'a;
    /// Number of events.
    fn len(&self) -> usize;
    /// Folds every event with `empty` on one thread or, with `--threads T` and the `parallel`
    /// feature, over T threads; returns the summary and the heap it holds.
    fn fold<S>(&self, args: &Args, empty: S) -> Result<(S, isize), Box<dyn Error>>
    where
        S: for<'a> Fold<Self::Event<'a>> + FoldTable<Self::User> + Clone + Send + Sync;
}

impl Source for SampleData {
    type User = u64;
    type Event<'a> = SampleEvent;

    fn len(&self) -> usize {
        self.events.len()
    }

    fn fold<S>(&self, args: &Args, empty: S) -> Result<(S, isize), Box<dyn Error>>
    where
        S: for<'a> Fold<SampleEvent> + FoldTable<u64> + Clone + Send + Sync,
    {
        fold_events(args, empty, &self.events)
    }
}

/// Folds generated events with `empty`: `observe_many` on one thread, `fold_par` on T.
fn fold_events<S>(
    args: &Args,
    empty: S,
    events: &[SampleEvent],
) -> Result<(S, isize), Box<dyn Error>>
where
    S: Fold<SampleEvent> + Clone + Send + Sync,
{
    let before = live();
    #[cfg(feature = "parallel")]
    if args.threads > 1 {
        let pool = pool(args.threads).ok_or("cannot start the thread pool")?;
        let s = pool.install(|| userops::fold::fold_par(&empty, events))?;
        let bytes = live() - before;
        return Ok((s, bytes));
    }
    let _ = args;
    let mut s = empty;
    s.observe_many(events)?;
    let bytes = live() - before;
    Ok((s, bytes))
}

impl Source for EventTable<String> {
    type User = String;
    type Event<'a> = Row<'a, String>;

    fn len(&self) -> usize {
        EventTable::len(self)
    }

    fn fold<S>(&self, args: &Args, empty: S) -> Result<(S, isize), Box<dyn Error>>
    where
        S: for<'a> Fold<Row<'a, String>> + FoldTable<String> + Clone + Send + Sync,
    {
        // By the table's columns (`FoldTable`): the user dictionary was built once, by the
        // read; with T threads, T ranges of rows folded apart and merged in order.
        let before = live();
        #[cfg(feature = "parallel")]
        if args.threads > 1 {
            let pool = pool(args.threads).ok_or("cannot start the thread pool")?;
            let s = pool.install(|| userops::fold::fold_table_par(&empty, self))?;
            let bytes = live() - before;
            return Ok((s, bytes));
        }
        let _ = args;
        let mut s = empty;
        s.observe_table(self)?;
        let bytes = live() - before;
        Ok((s, bytes))
    }
}

/// The models' settings: from the generator's settings, or from the user's flags and data.
struct Settings {
    zone: Zone,
    /// RFM's as-of instant.
    as_of: chrono::DateTime<chrono::Utc>,
    /// The last day of the BTYD calibration period.
    btyd_end: chrono::NaiveDate,
    /// Lifecycle window.
    from: chrono::DateTime<chrono::Utc>,
    to: chrono::DateTime<chrono::Utc>,
    /// Retention: the window ends with the period of `retention_last`.
    retention_last: chrono::DateTime<chrono::Utc>,
    retention_periods: usize,
    /// Recurring retention, any event to any event (a file) rather than first-time, from
    /// sign-up (the generator's log).
    recurring: bool,
}

impl Settings {
    fn of_sample(data: &SampleData) -> Settings {
        Settings {
            zone: Zone::Utc,
            as_of: data.end,
            btyd_end: (data.end - chrono::TimeDelta::days(1)).date_naive(),
            from: data.config.start.and_time(chrono::NaiveTime::MIN).and_utc(),
            to: data.end - chrono::TimeDelta::milliseconds(1),
            retention_last: data.end - chrono::TimeDelta::seconds(1),
            retention_periods: data.config.months as usize,
            recurring: false,
        }
    }
}

fn main() {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("scale: {e}");
            std::process::exit(2);
        }
    };
    if let Err(e) = run(&args) {
        eprintln!("scale: {e}");
        std::process::exit(1);
    }
}

fn run(args: &Args) -> Result<(), Box<dyn Error>> {
    if let Some(input) = &args.input {
        return run_input(args, input);
    }
    let t = Instant::now();
    let cfg = SampleConfig::new(args.users)
        .events_per_user(args.events as f64 / args.users as f64)
        .months(args.months)
        .seed(args.seed);
    let mut data = generate(&cfg)?;
    if let Some(order) = args.order {
        data = data.into_order(order);
    } else {
        // Fisher-Yates with the sample generator's own random numbers: every user's events
        // scattered, so every fold takes its hash-map path.
        let mut rng = userops::sample::Rng::new(args.seed ^ 0x5eed);
        for i in (1..data.events.len()).rev() {
            let j = rng.below(i as u64 + 1) as usize;
            data.events.swap(i, j);
        }
    }
    eprintln!(
        "scale: generated {} events of {} users in {:.2} s ({} order)",
        data.events.len(),
        data.users.len(),
        t.elapsed().as_secs_f64(),
        args.order.map_or("shuffled", Order::name)
    );
    let settings = Settings::of_sample(&data);
    run_stages(args, &data, &settings, Some(&data))
}

/// Reads `--input` into a table (the `read` line), then runs the stages on it.
fn run_input(args: &Args, input: &Input) -> Result<(), Box<dyn Error>> {
    let t = Instant::now();
    let (table, rows_read, rejected, account) = read_input(input)?;
    let secs = t.elapsed().as_secs_f64();
    eprintln!("scale: {}: {account}", input.path);
    if table.is_empty() {
        return Err(format!("{}: no event could be read", input.path).into());
    }
    let args = &Args {
        users: table.users().len() as u64,
        events: table.len() as u64,
        ..args.clone()
    };
    println!(
        "{{\"stage\": \"read\", \"users\": {}, \"events\": {}, \"seconds\": {secs:.6}, \"events_per_sec\": {:.0}, \"threads\": 1, \"rows_read\": {rows_read}, \"rejected\": {rejected}, \"format\": \"{}\"}}",
        table.users().len(),
        table.len(),
        table.len() as f64 / secs.max(1e-9),
        if input.parquet { "parquet" } else { "csv" },
    );
    let settings = file_settings(args, input, &table)?;
    run_stages(args, &table, &settings, None)
}

/// The table, rows read, rows rejected, and the reader's account.
type Read = (EventTable<String>, u64, u64, String);

fn read_input(input: &Input) -> Result<Read, Box<dyn Error>> {
    use userops::csv::Column;
    if input.parquet {
        #[cfg(feature = "arrow")]
        {
            use userops::io::arrow::{ArrowSpec, read_parquet};
            let mut spec = ArrowSpec::new(Column::parse(&input.user), Column::parse(&input.time))
                .zone(input.zone);
            if let Some(a) = &input.amount {
                spec = spec.amount(Column::parse(a));
            }
            if let Some(e) = &input.event {
                spec = spec.name(Column::parse(e));
            }
            let (table, report) = read_parquet(&input.path, &spec)?;
            return Ok((table, report.rows_read, report.rejected, report.account()));
        }
        #[cfg(not(feature = "arrow"))]
        return Err("reading Parquet needs the `arrow` feature: cargo run --release --features arrow --example scale -- ...".into());
    }
    use userops::csv::{CsvSpec, Delimiter, read_table_from_path};
    let mut spec = CsvSpec::new(Column::parse(&input.user), Column::parse(&input.time))
        .zone(input.zone)
        .header(!input.no_header);
    if let Some(a) = &input.amount {
        spec = spec.amount(Column::parse(a));
    }
    if let Some(e) = &input.event {
        spec = spec.name(Column::parse(e));
    }
    if let Some(d) = &input.delimiter {
        spec = spec.delimiter(match d.as_str() {
            "ws" | "whitespace" => Delimiter::Whitespace,
            "tab" => Delimiter::Byte(b'\t'),
            "," | ";" | "|" => Delimiter::Byte(d.as_bytes()[0]),
            other => {
                return Err(format!(
                    "--delimiter: expected ws, tab, ',', ';' or '|', got {other:?}"
                )
                .into());
            }
        });
    }
    let read = read_table_from_path(&input.path, &spec)?;
    let account = read.account();
    let rejected = read.rejected.len() as u64;
    Ok((read.table, read.rows_read, rejected, account))
}

/// The models' settings for a file: `--as-of` or the midnight after the last event, and the
/// months from the first event's.
fn file_settings(
    args: &Args,
    input: &Input,
    table: &EventTable<String>,
) -> Result<Settings, Box<dyn Error>> {
    use chrono::{DateTime, TimeDelta};
    use userops::time::{Calendar, Interval, local_to_utc, parse_date_or_time};
    let at = table.at_column();
    let first = at.iter().copied().min().unwrap_or(0);
    let last = at.iter().copied().max().unwrap_or(0);
    let first = DateTime::from_timestamp_micros(first).ok_or("first instant out of range")?;
    let last = DateTime::from_timestamp_micros(last).ok_or("last instant out of range")?;
    let zone = input.zone;
    let as_of = match &input.as_of {
        Some(text) => parse_date_or_time(text, &zone).map_err(|e| format!("--as-of: {e}"))?,
        None => {
            let day = last.with_timezone(&zone).date_naive() + TimeDelta::days(1);
            local_to_utc(&zone, day.and_time(chrono::NaiveTime::MIN))
        }
    };
    if as_of <= first {
        return Err(format!("--as-of {as_of} is not after the first event ({first})").into());
    }
    let calendar = Calendar::new(zone, Interval::Month);
    let retention_last = as_of - TimeDelta::seconds(1);
    let months = calendar
        .period_of(first)
        .periods_until(&calendar.period_of(retention_last))
        + 1;
    let retention_periods = if args.months_given {
        args.months as usize
    } else {
        usize::try_from(months.max(1))?
    };
    Ok(Settings {
        zone,
        as_of,
        btyd_end: (as_of - TimeDelta::days(1)).date_naive(),
        from: first,
        to: as_of - TimeDelta::milliseconds(1),
        retention_last,
        retention_periods,
        recurring: true,
    })
}

/// Every stage at every thread count, `--repeat` times.
fn run_stages<L: Source>(
    args: &Args,
    log: &L,
    settings: &Settings,
    sample: Option<&SampleData>,
) -> Result<(), Box<dyn Error>>
where
    userops::rfm::RfmSummary<L::User>: for<'a> Fold<L::Event<'a>>
        + Summary<Output = userops::rfm::RfmTable<L::User>>
        + Clone
        + Send
        + Sync,
    userops::retention::RetentionSummary<L::User>: for<'a> Fold<L::Event<'a>>
        + Summary<Output = userops::retention::RetentionReport>
        + Clone
        + Send
        + Sync,
    userops::lifecycle::LifecycleSummary<L::User, Zone>: for<'a> Fold<L::Event<'a>>
        + Summary<Output = userops::lifecycle::LifecycleActivity<L::User, Zone>>
        + Clone
        + Send
        + Sync,
    userops::ltv::BtydSummary<L::User>: for<'a> Fold<L::Event<'a>>
        + Summary<Output = userops::ltv::BtydReport<L::User>>
        + Clone
        + Send
        + Sync,
{
    let events = log.len();
    let mut btyd = None;
    let runs = (0..args.repeat).flat_map(|_| {
        args.stages
            .iter()
            .flat_map(|s| args.thread_counts.iter().map(move |&t| (s, t)))
    });
    for (stage, threads) in runs {
        let args = &Args {
            threads,
            ..args.clone()
        };
        let report = &Report { args, events };
        let model_stage = matches!(
            stage.as_str(),
            "bgnbd_fit" | "pareto_nbd_fit" | "gamma_gamma_fit" | "clv_predict"
        );
        if model_stage && btyd.is_none() {
            btyd = Some(btyd_customers(args, log, settings)?.customers);
        }
        match (stage.as_str(), &btyd) {
            ("rfm", _) => stage_rfm(args, log, settings, report)?,
            ("retention", _) => stage_retention(args, log, settings, report)?,
            ("lifecycle", _) => stage_lifecycle(args, log, settings, report)?,
            ("metric_tree", _) => match sample {
                Some(data) => stage_metric_tree(args, data, report)?,
                None => return Err("metric_tree needs the generator's events".into()),
            },
            ("btyd_summary", _) => {
                let run = btyd_customers(args, log, settings)?;
                report.line_with(
                    "btyd_summary",
                    run.summary_secs,
                    events,
                    run.bytes,
                    &format!(", \"rows_seconds\": {:.6}", run.rows_secs),
                );
                btyd = Some(run.customers);
            }
            (other, Some(customers)) => stage_btyd_model(other, customers, report)?,
            (other, None) => return Err(format!("unknown stage {other}").into()),
        }
    }
    Ok(())
}

fn stage_rfm<L: Source>(
    args: &Args,
    log: &L,
    settings: &Settings,
    report: &Report,
) -> Result<(), Box<dyn Error>>
where
    userops::rfm::RfmSummary<L::User>: for<'a> Fold<L::Event<'a>>
        + Summary<Output = userops::rfm::RfmTable<L::User>>
        + Clone
        + Send
        + Sync,
{
    use userops::rfm::{Method, RfmSummary, ScoreParams, SegmentRules};
    let rules = SegmentRules::standard();
    let scorer = ScoreParams::new(Method::Quantile).check()?;
    let t = Instant::now();
    let (summary, bytes) = log.fold(args, RfmSummary::new(settings.as_of))?;
    let scores = in_pool(args, || {
        #[cfg(feature = "parallel")]
        if args.threads > 1 {
            return scorer.score_summary_par(summary);
        }
        scorer.score_summary(summary)
    })?;
    let segments = in_pool(args, || {
        #[cfg(feature = "parallel")]
        if args.threads > 1 {
            return rules.segment_par(&scores);
        }
        rules.segment(&scores)
    })?;
    let secs = t.elapsed().as_secs_f64();
    std::hint::black_box(&segments);
    report.line("rfm", secs, log.len(), bytes);
    if args.dump.is_some() {
        let mut dist = [
            std::collections::BTreeMap::<u8, u64>::new(),
            std::collections::BTreeMap::new(),
            std::collections::BTreeMap::new(),
        ];
        let mut customers = serde_json::Map::new();
        for c in &scores.customers {
            for (d, s) in dist.iter_mut().zip([c.r, c.f, c.m]) {
                *d.entry(s).or_default() += 1;
            }
            customers.insert(c.user.to_string(), serde_json::json!([c.r, c.f, c.m]));
        }
        let segs: serde_json::Map<String, serde_json::Value> = segments
            .summary
            .iter()
            .map(|s| (s.segment.clone(), s.customers.into()))
            .collect();
        let [r, f, m] = dist;
        dump(
            args,
            "rfm",
            &serde_json::json!({"r": r, "f": f, "m": m, "segments": segs, "customers": customers}),
        )?;
    }
    Ok(())
}

fn stage_retention<L: Source>(
    args: &Args,
    log: &L,
    settings: &Settings,
    report: &Report,
) -> Result<(), Box<dyn Error>>
where
    userops::retention::RetentionSummary<L::User>: for<'a> Fold<L::Event<'a>>
        + Summary<Output = userops::retention::RetentionReport>
        + Clone
        + Send
        + Sync,
{
    use userops::retention::{RetentionMode, RetentionParams, RetentionSummary};
    use userops::time::{Calendar, Interval};
    let params = RetentionParams::new(
        Calendar::new(settings.zone, Interval::Month),
        settings.retention_last,
        settings.retention_periods,
    );
    let params = if settings.recurring {
        params
            .start_event("*")
            .return_event("*")
            .mode(RetentionMode::Recurring)
    } else {
        params
            .start_event("signup")
            .return_event("*")
            .mode(RetentionMode::FirstTime)
    };
    let spec = params.check()?;
    let t = Instant::now();
    let (summary, bytes) = log.fold(args, RetentionSummary::new(spec))?;
    let table = in_pool(args, || summary.finish())?;
    let secs = t.elapsed().as_secs_f64();
    std::hint::black_box(&table);
    report.line("retention", secs, log.len(), bytes);
    let cohorts: Vec<&Vec<u64>> = table.cohorts.iter().map(|c| &c.counts).collect();
    dump(
        args,
        "retention",
        &serde_json::json!({ "cohorts": cohorts }),
    )?;
    Ok(())
}

fn stage_lifecycle<L: Source>(
    args: &Args,
    log: &L,
    settings: &Settings,
    report: &Report,
) -> Result<(), Box<dyn Error>>
where
    userops::lifecycle::LifecycleSummary<L::User, Zone>: for<'a> Fold<L::Event<'a>>
        + Summary<Output = userops::lifecycle::LifecycleActivity<L::User, Zone>>
        + Clone
        + Send
        + Sync,
{
    use userops::lifecycle::{LifecycleSummary, StageParams};
    use userops::time::{Calendar, Interval};
    let empty = LifecycleSummary::new(
        Calendar::new(settings.zone, Interval::Month),
        settings.from,
        settings.to,
    )?;
    let params = StageParams::default();
    let t = Instant::now();
    let (summary, bytes) = log.fold(args, empty)?;
    let stages = in_pool(args, || summary.finish().map(|a| a.stages(&params, None)))?;
    let secs = t.elapsed().as_secs_f64();
    std::hint::black_box(&stages);
    report.line("lifecycle", secs, log.len(), bytes);
    if args.dump.is_some() {
        dump(
            args,
            "lifecycle",
            &serde_json::json!({ "rows": stages.rows }),
        )?;
    }
    Ok(())
}

fn stage_metric_tree(
    args: &Args,
    data: &SampleData,
    report: &Report,
) -> Result<(), Box<dyn Error>> {
    use std::sync::Arc;
    use userops::metric::{MetricSummary, MetricTree, Window};
    // The benchmark's tree: the standard 4 primary and 8 secondary metrics.
    let tree: MetricTree<SampleEvent> = MetricTree::standard().build()?;
    let tree = Arc::new(tree);
    let from = data.config.start.and_time(chrono::NaiveTime::MIN).and_utc();
    let window = Window::new(from, data.end)?;
    let t = Instant::now();
    let (summary, bytes) = fold_events(
        args,
        MetricSummary::new(tree, Zone::Utc, window),
        &data.events,
    )?;
    let rows = in_pool(args, || summary.finish())?;
    let secs = t.elapsed().as_secs_f64();
    std::hint::black_box(&rows);
    report.line("metric_tree", secs, data.events.len(), bytes);
    Ok(())
}

/// The BTYD summary in weeks, calibration ending the day before the as-of instant (the
/// sample's end); every event counts as a transaction (its amount, possibly 0, as the spend).
/// Returns the models' rows, the summary's heap and the seconds of the fold and finish (the
/// summary, as lifetimes' `summary_data_from_transaction_data` makes it) and of the
/// conversion to the models' rows.
fn btyd_customers<L: Source>(
    args: &Args,
    log: &L,
    settings: &Settings,
) -> Result<BtydRun, Box<dyn Error>>
where
    userops::ltv::BtydSummary<L::User>: for<'a> Fold<L::Event<'a>>
        + Summary<Output = userops::ltv::BtydReport<L::User>>
        + Clone
        + Send
        + Sync,
{
    use userops::ltv::{BtydSummary, TimeUnit};
    let t = Instant::now();
    let (summary, bytes) = log.fold(args, BtydSummary::new(settings.btyd_end, TimeUnit::Week))?;
    let report = summary.finish()?;
    let summary_secs = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let customers = report.to_customers();
    let rows_secs = t.elapsed().as_secs_f64();
    if args.dump.is_some() {
        let customers: serde_json::Map<String, serde_json::Value> = report
            .customers
            .iter()
            .map(|c| {
                let row = serde_json::json!([c.frequency, c.recency, c.age, c.monetary]);
                (c.user.to_string(), row)
            })
            .collect();
        dump(
            args,
            "btyd_summary",
            &serde_json::json!({ "customers": customers }),
        )?;
    }
    drop(report);
    Ok(BtydRun {
        customers,
        bytes,
        summary_secs,
        rows_secs,
    })
}

/// Writes `value` to `DIR/name.json` with `--dump DIR`.
fn dump(args: &Args, name: &str, value: &serde_json::Value) -> Result<(), Box<dyn Error>> {
    if let Some(dir) = &args.dump {
        std::fs::write(
            dir.join(format!("{name}.json")),
            serde_json::to_string(value)?,
        )?;
    }
    Ok(())
}

/// What [`btyd_customers`] measured.
struct BtydRun {
    customers: Vec<userops::ltv::Customer>,
    bytes: isize,
    summary_secs: f64,
    rows_secs: f64,
}

fn stage_btyd_model(
    stage: &str,
    customers: &[userops::ltv::Customer],
    report: &Report,
) -> Result<(), Box<dyn Error>> {
    use userops::ltv::{
        BgNbdParams, ClvOptions, FitOptions, GammaGammaParams, ParetoNbdParams, TimeUnit, clv,
    };
    // The sample's customers never churn, so plain maximum likelihood sends BG/NBD's a, b to
    // infinity; a small L2 penalty (as lifetimes recommends) keeps the fit finite.
    let options = FitOptions::new().penalizer(0.001)?;
    let t = Instant::now();
    match stage {
        "bgnbd_fit" => {
            let fit = BgNbdParams::fit(customers, TimeUnit::Week, &options)?;
            std::hint::black_box(&fit);
            report.line(stage, t.elapsed().as_secs_f64(), customers.len(), 0);
        }
        "pareto_nbd_fit" => {
            let fit = ParetoNbdParams::fit(customers, TimeUnit::Week, &options)?;
            std::hint::black_box(&fit);
            report.line(stage, t.elapsed().as_secs_f64(), customers.len(), 0);
        }
        "gamma_gamma_fit" => {
            let buyers: Vec<_> = customers
                .iter()
                .filter(|c| c.frequency > 0 && c.monetary > 0.0)
                .cloned()
                .collect();
            let t = Instant::now();
            let fit = GammaGammaParams::fit(&buyers, &FitOptions::new())?;
            std::hint::black_box(&fit);
            report.line(stage, t.elapsed().as_secs_f64(), buyers.len(), 0);
        }
        _ => {
            // Fitting is not timed here: only the prediction for every customer.
            let purchases = BgNbdParams::fit(customers, TimeUnit::Week, &options)?.params;
            let buyers: Vec<_> = customers
                .iter()
                .filter(|c| c.frequency > 0 && c.monetary > 0.0)
                .cloned()
                .collect();
            let spend = GammaGammaParams::fit(&buyers, &FitOptions::new())?.params;
            let opts = ClvOptions::new(12)?.discount(0.01)?;
            let t = Instant::now();
            let values = clv(&purchases, &spend, customers, &opts)?;
            std::hint::black_box(&values);
            report.line(stage, t.elapsed().as_secs_f64(), customers.len(), 0);
        }
    }
    Ok(())
}
