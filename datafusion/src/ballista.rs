//! A Ballista cluster that knows the userops functions (feature `ballista`).
//!
//! Ballista plans a query on its scheduler and runs the plan's tasks on executors; a function
//! named in a plan is looked up by name in each process's registry. So the userops functions
//! must be registered three times: on the client (to plan the SQL), on the scheduler (to turn
//! the logical plan into stages) and on every executor (to run them). The two binaries of this
//! crate, `userops-ballista-scheduler` and `userops-ballista-executor`, are Ballista's own
//! scheduler and executor with the functions registered; [`connect`] is the client.

use std::sync::Arc;

use ballista::prelude::{SessionConfigExt, SessionContextExt};
use ballista_core::registry::BallistaFunctionRegistry;
use datafusion::error::Result;
use datafusion::execution::FunctionRegistry;
use datafusion::execution::SessionState;
use datafusion::prelude::{SessionConfig, SessionContext};

/// Ballista's default function registry plus every userops function: what an executor looks
/// functions up in.
///
/// ```
/// let registry = userops_datafusion::ballista::function_registry();
/// assert!(registry.aggregate_functions.contains_key("rfm"));
/// assert!(registry.aggregate_functions.contains_key("sum"));
/// ```
#[must_use]
pub fn function_registry() -> BallistaFunctionRegistry {
    let mut registry = BallistaFunctionRegistry::default();
    for f in crate::aggregate_functions() {
        registry.aggregate_functions.insert(f.name().to_string(), f);
    }
    registry
}

/// The scheduler's session: Ballista's default one with every userops function registered.
///
/// # Errors
/// As Ballista's `default_session_builder`.
///
/// ```
/// use datafusion::execution::FunctionRegistry;
/// let state = userops_datafusion::ballista::scheduler_session(
///     datafusion::prelude::SessionConfig::new(),
/// )?;
/// assert!(state.udaf("rfm").is_ok());
/// # Ok::<(), datafusion::error::DataFusionError>(())
/// ```
pub fn scheduler_session(config: SessionConfig) -> Result<SessionState> {
    let mut state = ballista_core::utils::default_session_builder(config)?;
    for f in crate::aggregate_functions() {
        state.register_udaf(f)?;
    }
    Ok(state)
}

/// A client session on the Ballista scheduler at `url` (`df://host:port`), with every userops
/// function registered for planning.
///
/// # Errors
/// A URL Ballista cannot parse. The scheduler is first contacted by the first query.
///
/// ```no_run
/// # async fn run() -> datafusion::error::Result<()> {
/// let ctx = userops_datafusion::ballista::connect("df://127.0.0.1:50050").await?;
/// ctx.register_parquet("tx", "orders.parquet", Default::default()).await?;
/// let rows = ctx.sql("SELECT unnest(rfm(customer, ts, amount, DATE '1998-07-01')) FROM tx").await?;
/// # Ok(()) }
/// ```
pub async fn connect(url: &str) -> Result<SessionContext> {
    let ctx = SessionContext::remote(url).await?;
    crate::register(&ctx);
    Ok(ctx)
}

/// As [`connect`], with the session settings of `config` (target partitions, batch size...).
///
/// # Errors
/// A URL Ballista cannot parse.
///
/// ```no_run
/// # async fn run() -> datafusion::error::Result<()> {
/// let config = datafusion::prelude::SessionConfig::new().with_target_partitions(4);
/// let ctx = userops_datafusion::ballista::connect_with_config("df://127.0.0.1:50050", config).await?;
/// # Ok(()) }
/// ```
pub async fn connect_with_config(url: &str, config: SessionConfig) -> Result<SessionContext> {
    let state = datafusion::execution::SessionStateBuilder::new()
        .with_default_features()
        .with_config(config.upgrade_for_ballista())
        .build();
    let ctx = SessionContext::remote_with_state(url, state).await?;
    crate::register(&ctx);
    Ok(ctx)
}

/// The userops functions, as the executor's override of its function registry.
#[must_use]
pub fn executor_registry() -> Arc<BallistaFunctionRegistry> {
    Arc::new(function_registry())
}

/// Sends the log of Ballista (and of DataFusion) to stderr, filtered by `RUST_LOG` when it is
/// set, else by `filter` (same syntax, e.g. `"warn,ballista_scheduler=info"`). What the two
/// binaries call first; a second call does nothing.
///
/// ```
/// userops_datafusion::ballista::init_logging("warn");
/// ```
pub fn init_logging(filter: &str) {
    use tracing_subscriber::EnvFilter;
    let filter = std::env::var(EnvFilter::DEFAULT_ENV).unwrap_or_else(|_| filter.to_string());
    let filter = EnvFilter::try_new(&filter).unwrap_or_else(|e| {
        eprintln!("warning: log filter {filter:?} not understood ({e}); using \"warn\"");
        EnvFilter::new("warn")
    });
    // Err only when a logger is already installed: keep that one.
    let _ = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .with_env_filter(filter)
        .try_init();
}

/// Completes on ctrl-c or (on Unix) SIGTERM: when a scheduler or executor should stop.
///
/// ```no_run
/// # async fn run() {
/// userops_datafusion::ballista::shutdown_signal().await;
/// # }
/// ```
pub async fn shutdown_signal() {
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(s) => s,
                Err(_) => {
                    let _ = tokio::signal::ctrl_c().await;
                    return;
                }
            };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// Completes when standard input reaches its end (or cannot be read): with
/// `--exit-with-stdin`, a scheduler or executor started by another program with a pipe on its
/// stdin stops when that program ends, even if it is killed before it could stop them.
///
/// Reads stdin on a thread of its own, which never keeps the process alive.
///
/// ```no_run
/// # async fn run() {
/// userops_datafusion::ballista::stdin_closed().await;
/// # }
/// ```
pub async fn stdin_closed() {
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let spawned = std::thread::Builder::new()
        .name("stdin-watch".into())
        .spawn(move || {
            use std::io::Read;
            let mut stdin = std::io::stdin();
            let mut buf = [0u8; 256];
            while let Ok(n) = stdin.read(&mut buf) {
                if n == 0 {
                    break;
                }
            }
            let _ = tx.send(());
        });
    if spawned.is_ok() {
        let _ = rx.await;
    }
}
