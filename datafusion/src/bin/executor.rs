//! `userops-ballista-executor`: Ballista's executor with the userops functions registered.
//!
//! Prints `userops-ballista-executor ready: ...` on stdout once the scheduler has accepted its
//! registration and first heartbeat. On ctrl-c or SIGTERM it tells the scheduler it is
//! stopping, waits for its running tasks and exits with status 0.

use std::sync::Arc;
use std::time::Duration;

use ballista_executor::executor_process::{ExecutorProcessConfig, start_executor_process};
use ballista_executor::health::ExecutorHealth;
use clap::Parser;

/// Ballista's executor with the userops functions registered: it runs the tasks of queries
/// planned by `userops-ballista-scheduler`.
#[derive(Debug, Parser)]
#[command(version)]
struct Args {
    /// The scheduler's host.
    #[arg(long, default_value = "127.0.0.1")]
    scheduler_host: String,
    /// The scheduler's gRPC port.
    #[arg(long, default_value_t = 50050)]
    scheduler_port: u16,
    /// Seconds to keep trying to reach the scheduler at start (0: one try).
    #[arg(long, default_value_t = 30)]
    scheduler_connect_timeout_seconds: u16,
    /// Address to listen on (also the address given to the scheduler and clients).
    #[arg(long, default_value = "127.0.0.1")]
    bind_host: String,
    /// Arrow Flight port: shuffle data and results are fetched from it.
    #[arg(long, default_value_t = 50051)]
    port: u16,
    /// gRPC port the scheduler sends tasks to.
    #[arg(long, default_value_t = 50052)]
    grpc_port: u16,
    /// Tasks run at once (default: the machine's cores).
    #[arg(long)]
    concurrent_tasks: Option<usize>,
    /// Directory for shuffle files (default: a fresh directory under the system's temporary
    /// directory, removed at exit).
    #[arg(long)]
    work_dir: Option<String>,
    /// Seconds between heartbeats to the scheduler; keep it well below the scheduler's
    /// `--executor-timeout-seconds`.
    #[arg(long, default_value_t = 60)]
    heartbeat_seconds: u64,
    /// Stop when standard input reaches its end (for a parent process holding a pipe to it).
    #[arg(long)]
    exit_with_stdin: bool,
    /// Log filter (`RUST_LOG` syntax); the `RUST_LOG` variable takes precedence.
    #[arg(long, default_value = "warn,ballista_executor=info")]
    log: String,
}

fn main() -> std::process::ExitCode {
    let args = Args::parse();
    userops_datafusion::ballista::init_logging(&args.log);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_stack_size(32 * 1024 * 1024)
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    // Ballista's own default work directory is removed as soon as it is chosen; make one that
    // lives as long as the process.
    let own_work_dir = match &args.work_dir {
        Some(_) => None,
        None => {
            let dir = std::env::temp_dir()
                .join(format!("userops-ballista-executor-{}", std::process::id()));
            if let Err(e) = std::fs::create_dir_all(&dir) {
                eprintln!(
                    "error: cannot create the work directory {}: {e}",
                    dir.display()
                );
                return std::process::ExitCode::FAILURE;
            }
            Some(dir)
        }
    };
    let work_dir = args.work_dir.clone().or_else(|| {
        own_work_dir
            .as_ref()
            .map(|d| d.to_string_lossy().into_owned())
    });
    let result = runtime.block_on(run(args, work_dir));
    if let Some(dir) = own_work_dir {
        let _ = std::fs::remove_dir_all(dir);
    }
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run(args: Args, work_dir: Option<String>) -> Result<(), Box<dyn std::error::Error>> {
    let defaults = ExecutorProcessConfig::default();
    let health = ExecutorHealth::new();
    let config = ExecutorProcessConfig {
        bind_host: args.bind_host.clone(),
        external_host: Some(args.bind_host.clone()),
        port: args.port,
        grpc_port: args.grpc_port,
        scheduler_host: args.scheduler_host,
        scheduler_port: args.scheduler_port,
        scheduler_connect_timeout_seconds: args.scheduler_connect_timeout_seconds,
        vcores: args.concurrent_tasks.unwrap_or(defaults.vcores),
        work_dir,
        executor_heartbeat_interval_seconds: args.heartbeat_seconds,
        override_function_registry: Some(userops_datafusion::ballista::executor_registry()),
        health: health.clone(),
        ..defaults
    };
    let ready_line = format!(
        "userops-ballista-executor ready: id {}, flight {}:{}, grpc {}, scheduler {}:{}",
        config.executor_id,
        config.bind_host,
        config.port,
        config.grpc_port,
        config.scheduler_host,
        config.scheduler_port
    );
    // Ready once the scheduler has acknowledged a heartbeat (registration comes before it).
    let announce = tokio::spawn(async move {
        while !health.is_ready() {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        println!("{ready_line}");
    });
    let exit_with_stdin = args.exit_with_stdin;
    let stdin_closed = async {
        if exit_with_stdin {
            userops_datafusion::ballista::stdin_closed().await;
        } else {
            std::future::pending::<()>().await;
        }
    };
    let result = tokio::select! {
        r = start_executor_process(Arc::new(config)) => r,
        _ = stdin_closed => {
            eprintln!("userops-ballista-executor: stdin closed, stopping");
            Ok(())
        }
    };
    announce.abort();
    result?;
    Ok(())
}
