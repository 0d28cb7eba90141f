//! Shared by the cluster tests: a Ballista cluster of separate processes that is always stopped,
//! the data files, and queries run in-process or on the cluster through `userops_datafusion::cli`.
#![allow(dead_code)] // each test file uses a part

use std::fs::File;
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::time::{Duration, Instant};

use userops_datafusion::cli::{self, Format, SqlArgs};

/// How long a process may take to say it is ready. Debug binaries on a loaded 2-core CI
/// machine start in a second or two; this is generous on purpose.
pub const READY_TIMEOUT: Duration = Duration::from_secs(90);
/// Executors' heartbeat interval and the scheduler's executor timeout in the tests: a lost
/// executor is noticed within seconds (Ballista's defaults are 60 s and 180 s).
pub const HEARTBEAT_SECONDS: u64 = 1;
pub const EXECUTOR_TIMEOUT_SECONDS: u64 = 6;

/// One child process with its stdout and stderr in files; killed and reaped when dropped, so
/// that no test leaves a process behind, whatever fails.
pub struct Process {
    pub name: String,
    child: Child,
    /// A pipe the child watches (`--exit-with-stdin`): if this test process dies without
    /// running destructors (killed by a CI timeout), the pipe closes and the child stops.
    stdin: Option<ChildStdin>,
    stdout: PathBuf,
    stderr: PathBuf,
}

impl Process {
    fn spawn(name: &str, program: &str, args: &[String], logs: &Path) -> Process {
        let stdout = logs.join(format!("{name}.stdout"));
        let stderr = logs.join(format!("{name}.stderr"));
        let mut child = Command::new(program)
            .args(args)
            // The tests read the processes' default log (task starts, plans): a RUST_LOG of
            // the environment must not change it.
            .env_remove("RUST_LOG")
            .stdin(Stdio::piped())
            .stdout(File::create(&stdout).expect("create a log file"))
            .stderr(File::create(&stderr).expect("create a log file"))
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {program}: {e}"));
        let stdin = child.stdin.take();
        Process {
            name: name.to_string(),
            child,
            stdin,
            stdout,
            stderr,
        }
    }

    /// Waits for a stdout line starting with `prefix`; `Err` with the reason and the process's
    /// stderr if it exits first or `timeout` passes.
    fn wait_ready(&mut self, prefix: &str, timeout: Duration) -> Result<String, String> {
        let start = Instant::now();
        loop {
            if let Ok(text) = std::fs::read_to_string(&self.stdout)
                && let Some(line) = text.lines().find(|l| l.starts_with(prefix))
            {
                return Ok(line.to_string());
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                return Err(format!(
                    "{} exited ({status}) before it was ready; its stderr:\n{}",
                    self.name,
                    self.stderr_tail(8_000)
                ));
            }
            if start.elapsed() > timeout {
                return Err(format!(
                    "{} not ready after {timeout:?}; its stderr:\n{}",
                    self.name,
                    self.stderr_tail(8_000)
                ));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// The last `bytes` of the process's stderr.
    pub fn stderr_tail(&self, bytes: u64) -> String {
        let Ok(mut f) = File::open(&self.stderr) else {
            return String::from("(no stderr file)");
        };
        let len = f.metadata().map(|m| m.len()).unwrap_or(0);
        let _ = f.seek(SeekFrom::Start(len.saturating_sub(bytes)));
        let mut text = String::new();
        let _ = f.read_to_string(&mut text);
        text
    }

    /// The whole stderr.
    pub fn stderr(&self) -> String {
        std::fs::read_to_string(&self.stderr).unwrap_or_default()
    }

    /// SIGKILL (no chance to tell the scheduler), then reap.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        self.stdin = None;
    }

    /// The exit status if it has exited.
    pub fn exited(&mut self) -> Option<std::process::ExitStatus> {
        self.child.try_wait().ok().flatten()
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        self.kill();
    }
}

#[cfg(feature = "ballista")]
/// Two ports free a moment ago on 127.0.0.1 (bound together so that they differ).
fn free_ports() -> (u16, u16) {
    let a = TcpListener::bind("127.0.0.1:0").expect("bind a port");
    let b = TcpListener::bind("127.0.0.1:0").expect("bind a port");
    (
        a.local_addr().unwrap().port(),
        b.local_addr().unwrap().port(),
    )
}

#[cfg(feature = "ballista")]
/// A scheduler and executors as separate processes on 127.0.0.1, stopped when dropped.
pub struct Cluster {
    /// `df://127.0.0.1:PORT`.
    pub url: String,
    pub scheduler: Process,
    pub executors: Vec<Process>,
    /// Logs and shuffle files; dropped after the processes (field order).
    dir: tempfile::TempDir,
}

#[cfg(feature = "ballista")]
impl Cluster {
    /// Starts a scheduler and `executors` executors (2 task slots each, heartbeat every
    /// [`HEARTBEAT_SECONDS`], lost after [`EXECUTOR_TIMEOUT_SECONDS`]) and waits until every
    /// executor has registered. Panics with the processes' stderr if that fails.
    pub fn start(executors: usize) -> Cluster {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let mut scheduler = Process::spawn(
            "scheduler",
            env!("CARGO_BIN_EXE_userops-ballista-scheduler"),
            &[
                "--bind-port".into(),
                "0".into(),
                "--executor-timeout-seconds".into(),
                EXECUTOR_TIMEOUT_SECONDS.to_string(),
                "--expire-dead-executor-interval-seconds".into(),
                "1".into(),
                "--task-distribution".into(),
                "round-robin".into(),
                "--exit-with-stdin".into(),
            ],
            dir.path(),
        );
        let line = scheduler
            .wait_ready("userops-ballista-scheduler ready on ", READY_TIMEOUT)
            .unwrap_or_else(|e| panic!("{e}"));
        let port: u16 = line
            .rsplit(':')
            .next()
            .and_then(|p| p.trim().parse().ok())
            .unwrap_or_else(|| panic!("no port in the scheduler's line {line:?}"));
        let mut cluster = Cluster {
            url: format!("df://127.0.0.1:{port}"),
            scheduler,
            executors: Vec::new(),
            dir,
        };
        for i in 0..executors {
            let executor = cluster.start_executor(i, port);
            cluster.executors.push(executor);
        }
        cluster
    }

    /// Starts executor `i`; a port taken between choosing and binding it is retried with
    /// other ports.
    fn start_executor(&mut self, i: usize, scheduler_port: u16) -> Process {
        let mut failures = Vec::new();
        for attempt in 0..3 {
            let (port, grpc_port) = free_ports();
            let work = self.dir.path().join(format!("executor-{i}-work"));
            std::fs::create_dir_all(&work).expect("a work directory");
            let mut p = Process::spawn(
                &format!("executor-{i}-attempt-{attempt}"),
                env!("CARGO_BIN_EXE_userops-ballista-executor"),
                &[
                    "--scheduler-port".into(),
                    scheduler_port.to_string(),
                    "--port".into(),
                    port.to_string(),
                    "--grpc-port".into(),
                    grpc_port.to_string(),
                    "--concurrent-tasks".into(),
                    "2".into(),
                    "--heartbeat-seconds".into(),
                    HEARTBEAT_SECONDS.to_string(),
                    "--work-dir".into(),
                    work.to_string_lossy().into_owned(),
                    "--exit-with-stdin".into(),
                ],
                self.dir.path(),
            );
            match p.wait_ready("userops-ballista-executor ready", READY_TIMEOUT) {
                Ok(_) => return p,
                Err(e) => failures.push(e),
            }
        }
        panic!(
            "executor {i} did not start:\n{}\nscheduler's stderr:\n{}",
            failures.join("\n"),
            self.scheduler.stderr_tail(8_000)
        );
    }

    /// Every process's stderr tail, for a failure message.
    pub fn logs(&self) -> String {
        let mut text = format!("--- scheduler ---\n{}", self.scheduler.stderr_tail(6_000));
        for e in &self.executors {
            text.push_str(&format!("\n--- {} ---\n{}", e.name, e.stderr_tail(6_000)));
        }
        text
    }
}

#[cfg(feature = "ballista")]
impl Drop for Cluster {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!("cluster logs at the failure:\n{}", self.logs());
        }
        // Executors first, so that none reports to a scheduler that is gone; then the
        // scheduler (the `Process` fields are killed and reaped as they drop).
        for e in &mut self.executors {
            e.kill();
        }
        self.scheduler.kill();
    }
}

/// A file of the repository's test data (`tests/data` at the workspace root).
pub fn repo_data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join("tests")
        .join("data")
        .join(name)
}

/// A generated event log, `files` CSV files in `dir` (`user_id,ts,amount`), deterministic.
/// Amounts are whole numbers, so sums are exact in any order: the in-process and cluster
/// results can be compared digit for digit whatever order the partial states merge in.
pub fn write_log(dir: &Path, files: usize, rows_per_file: usize, users: u64, seed: u64) {
    std::fs::create_dir_all(dir).expect("a directory for the log");
    let mut state = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    let mut next = move || {
        // PCG-style LCG step, high bits out.
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        state >> 33
    };
    for f in 0..files {
        let path = dir.join(format!("part-{f:03}.csv"));
        let mut w = std::io::BufWriter::new(File::create(&path).expect("create a log file"));
        writeln!(w, "user_id,ts,amount").unwrap();
        for _ in 0..rows_per_file {
            let user = next() % users;
            let day = next() % 365;
            let second = next() % 86_400;
            let amount = 1 + next() % 500;
            let date = chrono::NaiveDate::from_ymd_opt(2024, 1, 1).unwrap()
                + chrono::Duration::days(day as i64);
            writeln!(
                w,
                "u{user:06},{date}T{:02}:{:02}:{:02},{amount}",
                second / 3600,
                second / 60 % 60,
                second % 60
            )
            .unwrap();
        }
        w.flush().unwrap();
    }
}

/// Parquet copies of every CSV file in `csv_dir`, one file each, in `parquet_dir`.
pub fn to_parquet(csv_dir_or_file: &Path, parquet_dir: &Path) {
    std::fs::create_dir_all(parquet_dir).unwrap();
    let files: Vec<PathBuf> = if csv_dir_or_file.is_dir() {
        let mut v: Vec<PathBuf> = std::fs::read_dir(csv_dir_or_file)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "csv"))
            .collect();
        v.sort();
        v
    } else {
        vec![csv_dir_or_file.to_path_buf()]
    };
    block_on(async {
        let ctx = datafusion::prelude::SessionContext::new();
        for (i, f) in files.iter().enumerate() {
            let name = format!("src{i}");
            ctx.register_csv(&name, f.to_str().unwrap(), Default::default())
                .await
                .unwrap();
            let out = parquet_dir.join(format!(
                "{}.parquet",
                f.file_stem().unwrap().to_string_lossy()
            ));
            ctx.sql(&format!(
                "COPY {name} TO '{}' STORED AS PARQUET",
                out.display()
            ))
            .await
            .unwrap()
            .collect()
            .await
            .unwrap();
        }
    });
}

/// Runs `future` on a fresh multi-threaded runtime.
pub fn block_on<F: std::future::Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime")
        .block_on(future)
}

/// The arguments of one query: `tables` as `NAME=PATH`, on `scheduler` if given.
pub fn sql_args(
    query: &str,
    tables: &[String],
    scheduler: Option<&str>,
    partitions: Option<usize>,
) -> SqlArgs {
    SqlArgs {
        query: query.to_string(),
        tables: tables.to_vec(),
        scheduler: scheduler.map(str::to_string),
        format: Format::Csv,
        partitions,
    }
}

/// The query's result as CSV text (what the comparisons compare), or the error's text.
pub async fn run_csv(args: &SqlArgs) -> Result<String, String> {
    let mut out = Vec::new();
    cli::run(args, &mut out).await.map_err(|e| e.to_string())?;
    Ok(String::from_utf8(out).expect("CSV output is UTF-8"))
}

/// Every row of `rfm(...)` with its fields as columns, ordered by user.
pub fn rfm_query(table: &str, user: &str, time: &str, amount: &str, params: &str) -> String {
    format!(
        "SELECT r['user'] AS customer, r['recency_days'] AS recency, r['frequency'] AS frequency, \
                r['monetary'] AS monetary, r['r'] AS r_score, r['f'] AS f_score, r['m'] AS m_score, \
                r['rfm_score'] AS rfm_score, r['segment'] AS segment \
         FROM (SELECT unnest(rfm({user}, {time}, {amount}, {params})) AS r FROM {table}) \
         ORDER BY customer"
    )
}

/// Reads the lines of `path` (for counting log lines).
pub fn lines_of(path: &Path) -> Vec<String> {
    File::open(path)
        .map(|f| BufReader::new(f).lines().map_while(Result::ok).collect())
        .unwrap_or_default()
}
