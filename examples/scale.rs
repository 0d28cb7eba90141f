//! Scale: every model on a generated log of a chosen size, one JSON line per stage.
//!
//! ```sh
//! cargo run --release --example scale -- --users 1000000 --events 10000000
//! cargo run --release --features parallel --example scale -- --users 1000000 --events 10000000 --threads 2
//! ```
//!
//! Each line: `{"stage": "rfm", "users": N, "events": M, "seconds": s, "events_per_sec": e,
//! "state_bytes": b, "threads": t, "events_folded": k}`. `seconds` covers the fold and the model
//! (not the generation of the log); `events_folded` is the number of events the generator made
//! for the requested M (Poisson counts plus one sign-up per user), and `events_per_sec` uses it; `state_bytes` is the heap the stage's summary holds when the fold is
//! done, measured by a counting allocator. Stages: rfm, btyd_summary, bgnbd_fit, pareto_nbd_fit,
//! gamma_gamma_fit, clv_predict, lifecycle, retention, metric_tree (`--stages a,b` picks some).
//!
//! The log comes from `userops::sample` with `SampleConfig::new(users).events_per_user(events /
//! users)` and `--seed` (default 1), the same as `scripts/compare/`. In the rfm and
//! btyd_summary stages every event counts as a transaction (the benchmark's "10M purchases").
//! btyd_summary's `seconds` is the fold and its finish (the summary table, as lifetimes'
//! `summary_data_from_transaction_data` makes it); its extra field `rows_seconds` is the
//! conversion of that table to the models' rows (`BtydReport::to_customers`).
//! The log is grouped by user (ascending ids), the folds' fast path; `--order shuffled`
//! scatters every user's events so that each fold takes its hash-map path. With `--threads T`
//! the folds and the model passes that the `parallel` feature splits run on a pool of T
//! threads (`--threads 1` with the feature: the same code on one thread). `--repeat K` runs
//! the stages K times over on the same log (one line per run: take the min; profile one stage).
//! `--threads 1,2` runs every stage at each thread count in turn, back to back (lines told
//! apart by their `threads` field): on a machine whose speed drifts, the two-thread speed-up
//! is best read from such pairs, run seconds apart, rather than from separate processes.

use std::alloc::{GlobalAlloc, Layout, System};
use std::error::Error;
use std::sync::atomic::{AtomicIsize, Ordering};
use std::time::Instant;

use userops::fold::{Fold, Summary};
use userops::sample::{SampleConfig, SampleData, SampleEvent, generate};

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
    stages: Vec<String>,
    /// Shuffle the events (the hash-map path) instead of keeping them grouped by user.
    shuffled: bool,
    /// Run every stage this many times (one line each) on the same generated log.
    repeat: u64,
}

const USAGE: &str = "usage: scale --users N --events M [--threads T[,T2...]] [--seed S] [--months K] [--order grouped|shuffled] [--stages rfm,lifecycle,...] [--repeat K]";

fn parse_args() -> Result<Args, String> {
    let mut a = Args {
        users: 100_000,
        events: 1_000_000,
        threads: 1,
        thread_counts: vec![1],
        seed: 1,
        months: 24,
        stages: STAGES.iter().map(|s| s.to_string()).collect(),
        shuffled: false,
        repeat: 1,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        if flag == "--help" || flag == "-h" {
            println!("{USAGE}\nstages: {}", STAGES.join(", "));
            std::process::exit(0);
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
                    u32::try_from(num(&value)?).map_err(|_| "--months is too large".to_string())?
            }
            "--order" => {
                a.shuffled = match value.as_str() {
                    "grouped" => false,
                    "shuffled" => true,
                    other => {
                        return Err(format!(
                            "--order: {other:?} is neither grouped nor shuffled"
                        ));
                    }
                }
            }
            "--stages" => {
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

/// Folds `events` with `empty` on one thread or, with `--threads T` and the `parallel`
/// feature, over T threads; returns the summary and the heap it holds.
fn run_fold<S>(args: &Args, empty: S, events: &[SampleEvent]) -> Result<(S, isize), Box<dyn Error>>
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
    let t = Instant::now();
    let cfg = SampleConfig::new(args.users)
        .events_per_user(args.events as f64 / args.users as f64)
        .months(args.months)
        .seed(args.seed);
    let mut data = generate(&cfg)?;
    if args.shuffled {
        // Fisher-Yates with the sample generator's own random numbers: every user's events
        // scattered, so every fold takes its hash-map path.
        let mut rng = userops::sample::Rng::new(args.seed ^ 0x5eed);
        for i in (1..data.events.len()).rev() {
            let j = rng.below(i as u64 + 1) as usize;
            data.events.swap(i, j);
        }
    }
    eprintln!(
        "scale: generated {} events of {} users in {:.2} s",
        data.events.len(),
        data.users.len(),
        t.elapsed().as_secs_f64()
    );
    let report = Report {
        args,
        events: data.events.len(),
    };
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
        let report = Report {
            args,
            events: report.events,
        };
        let report = &report;
        let model_stage = matches!(
            stage.as_str(),
            "bgnbd_fit" | "pareto_nbd_fit" | "gamma_gamma_fit" | "clv_predict"
        );
        if model_stage && btyd.is_none() {
            btyd = Some(btyd_customers(args, &data)?.customers);
        }
        match (stage.as_str(), &btyd) {
            ("rfm", _) => stage_rfm(args, &data, report)?,
            ("retention", _) => stage_retention(args, &data, report)?,
            ("lifecycle", _) => stage_lifecycle(args, &data, report)?,
            ("metric_tree", _) => stage_metric_tree(args, &data, report)?,
            ("btyd_summary", _) => {
                let run = btyd_customers(args, &data)?;
                report.line_with(
                    "btyd_summary",
                    run.summary_secs,
                    data.events.len(),
                    run.bytes,
                    &format!(", \"rows_seconds\": {:.6}", run.rows_secs),
                );
                let customers = run.customers;
                btyd = Some(customers);
            }
            (other, Some(customers)) => stage_btyd_model(other, customers, report)?,
            (other, None) => return Err(format!("unknown stage {other}").into()),
        }
    }
    Ok(())
}

fn stage_rfm(args: &Args, data: &SampleData, report: &Report) -> Result<(), Box<dyn Error>> {
    use userops::rfm::{Method, RfmSummary, ScoreParams, SegmentRules};
    let rules = SegmentRules::standard();
    let scorer = ScoreParams::new(Method::Quantile).check()?;
    let t = Instant::now();
    let (summary, bytes) = run_fold(args, RfmSummary::new(data.end), &data.events)?;
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
    report.line("rfm", secs, data.events.len(), bytes);
    Ok(())
}

fn stage_retention(args: &Args, data: &SampleData, report: &Report) -> Result<(), Box<dyn Error>> {
    use userops::retention::{RetentionMode, RetentionParams, RetentionSummary};
    use userops::time::{Calendar, Interval, Zone};
    let last = data.end - chrono::TimeDelta::seconds(1);
    let spec = RetentionParams::new(
        Calendar::new(Zone::Utc, Interval::Month),
        last,
        data.config.months as usize,
    )
    .start_event("signup")
    .return_event("*")
    .mode(RetentionMode::FirstTime)
    .check()?;
    let t = Instant::now();
    let (summary, bytes) = run_fold(args, RetentionSummary::new(spec), &data.events)?;
    let table = in_pool(args, || summary.finish());
    let secs = t.elapsed().as_secs_f64();
    std::hint::black_box(&table);
    report.line("retention", secs, data.events.len(), bytes);
    Ok(())
}

fn stage_lifecycle(args: &Args, data: &SampleData, report: &Report) -> Result<(), Box<dyn Error>> {
    use userops::lifecycle::{LifecycleSummary, StageParams};
    use userops::time::{Calendar, Interval, Zone};
    let from = data.config.start.and_time(chrono::NaiveTime::MIN).and_utc();
    let to = data.end - chrono::TimeDelta::milliseconds(1);
    let empty = LifecycleSummary::new(Calendar::new(Zone::Utc, Interval::Month), from, to)?;
    let params = StageParams::default();
    let t = Instant::now();
    let (summary, bytes) = run_fold(args, empty, &data.events)?;
    let stages = in_pool(args, || summary.finish().stages(&params, None));
    let secs = t.elapsed().as_secs_f64();
    std::hint::black_box(&stages);
    report.line("lifecycle", secs, data.events.len(), bytes);
    Ok(())
}

fn stage_metric_tree(
    args: &Args,
    data: &SampleData,
    report: &Report,
) -> Result<(), Box<dyn Error>> {
    use std::sync::Arc;
    use userops::metric::{MetricSummary, MetricTree, Window};
    use userops::time::Zone;
    // The benchmark's tree: the standard 4 primary and 8 secondary metrics.
    let tree: MetricTree<SampleEvent> = MetricTree::standard().build()?;
    let tree = Arc::new(tree);
    let from = data.config.start.and_time(chrono::NaiveTime::MIN).and_utc();
    let window = Window::new(from, data.end)?;
    let t = Instant::now();
    let (summary, bytes) = run_fold(
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

/// The BTYD summary in weeks, calibration ending the day before the sample's end; every event
/// counts as a transaction (its amount, possibly 0, as the spend). Returns the models' rows,
/// the summary's heap and the seconds of the fold and finish (the summary, as lifetimes'
/// `summary_data_from_transaction_data` makes it) and of the conversion to the models' rows.
fn btyd_customers(args: &Args, data: &SampleData) -> Result<BtydRun, Box<dyn Error>> {
    use userops::ltv::{BtydSummary, TimeUnit};
    let end = (data.end - chrono::TimeDelta::days(1)).date_naive();
    let t = Instant::now();
    let (summary, bytes) = run_fold(args, BtydSummary::new(end, TimeUnit::Week), &data.events)?;
    let report = summary.finish();
    let summary_secs = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let customers = report.to_customers();
    let rows_secs = t.elapsed().as_secs_f64();
    drop(report);
    Ok(BtydRun {
        customers,
        bytes,
        summary_secs,
        rows_secs,
    })
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
            let fit = BgNbdParams::fit(customers, &options)?;
            std::hint::black_box(&fit);
            report.line(stage, t.elapsed().as_secs_f64(), customers.len(), 0);
        }
        "pareto_nbd_fit" => {
            let fit = ParetoNbdParams::fit(customers, &options)?;
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
            let purchases = BgNbdParams::fit(customers, &options)?.params;
            let buyers: Vec<_> = customers
                .iter()
                .filter(|c| c.frequency > 0 && c.monetary > 0.0)
                .cloned()
                .collect();
            let spend = GammaGammaParams::fit(&buyers, &FitOptions::new())?.params;
            let opts = ClvOptions::new(12, TimeUnit::Week)?.discount(0.01)?;
            let t = Instant::now();
            let values = clv(&purchases, &spend, customers, &opts)?;
            std::hint::black_box(&values);
            report.line(stage, t.elapsed().as_secs_f64(), customers.len(), 0);
        }
    }
    Ok(())
}
