//! `userops-ballista-scheduler`: Ballista's scheduler with the userops functions registered.
//!
//! Prints `userops-ballista-scheduler ready on HOST:PORT` on stdout once it accepts
//! connections (with `--bind-port 0`, the port the system chose), and exits with status 0 on
//! ctrl-c or SIGTERM.

use std::sync::Arc;

use ballista_scheduler::cluster::BallistaCluster;
use ballista_scheduler::config::{SchedulerConfig, TaskDistributionPolicy};
use ballista_scheduler::scheduler_process::{create_scheduler, start_grpc_service_with_listener};
use clap::Parser;
use datafusion_proto::protobuf::{LogicalPlanNode, PhysicalPlanNode};

/// Ballista's scheduler with the userops functions registered, for executors started with
/// `userops-ballista-executor`.
#[derive(Debug, Parser)]
#[command(version)]
struct Args {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1")]
    bind_host: String,
    /// gRPC port clients (`df://host:port`) and executors connect to; 0 lets the system choose
    /// a free one (printed on the readiness line).
    #[arg(long, default_value_t = 50050)]
    bind_port: u16,
    /// Host name the scheduler gives of itself (default: `--bind-host`).
    #[arg(long)]
    external_host: Option<String>,
    /// Seconds without a heartbeat after which an executor is taken as lost: its running tasks
    /// and the shuffle output it held are computed again on the other executors. Keep it above
    /// the executors' `--heartbeat-seconds`.
    #[arg(long, default_value_t = 180)]
    executor_timeout_seconds: u64,
    /// How often (seconds) lost executors are looked for.
    #[arg(long, default_value_t = 15)]
    expire_dead_executor_interval_seconds: u64,
    /// Seconds a job waits for an executor to (re)register once the cluster has none left,
    /// before it fails (default: `--executor-timeout-seconds`).
    #[arg(long)]
    no_executors_grace_period_seconds: Option<u64>,
    /// Attempts of one task before its job fails.
    #[arg(long, default_value_t = 4)]
    task_max_failures: usize,
    /// How tasks are spread over executors: `round-robin` (one task per executor in turn) or
    /// `bias` (fill one executor's slots first, Ballista's default).
    #[arg(long, value_enum, default_value_t = Distribution::RoundRobin)]
    task_distribution: Distribution,
    /// Stop when standard input reaches its end (for a parent process holding a pipe to it).
    #[arg(long)]
    exit_with_stdin: bool,
    /// Log filter (`RUST_LOG` syntax); the `RUST_LOG` variable takes precedence.
    #[arg(long, default_value = "warn,ballista_scheduler=info")]
    log: String,
}

/// `--task-distribution`.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum Distribution {
    RoundRobin,
    Bias,
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
    match runtime.block_on(run(args)) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run(args: Args) -> Result<(), Box<dyn std::error::Error>> {
    let listener = tokio::net::TcpListener::bind((args.bind_host.as_str(), args.bind_port))
        .await
        .map_err(|e| {
            format!(
                "cannot listen on {}:{}: {e}",
                args.bind_host, args.bind_port
            )
        })?;
    let address = listener.local_addr()?;
    let config = SchedulerConfig {
        bind_host: args.bind_host.clone(),
        bind_port: address.port(),
        external_host: args.external_host.unwrap_or(args.bind_host),
        executor_timeout_seconds: args.executor_timeout_seconds,
        expire_dead_executor_interval_seconds: args.expire_dead_executor_interval_seconds,
        no_executors_grace_period_seconds: args
            .no_executors_grace_period_seconds
            .unwrap_or(args.executor_timeout_seconds),
        task_max_failures: args.task_max_failures,
        task_distribution: match args.task_distribution {
            Distribution::RoundRobin => TaskDistributionPolicy::RoundRobin,
            Distribution::Bias => TaskDistributionPolicy::Bias,
        },
        ..SchedulerConfig::default()
    }
    .with_override_session_builder(Arc::new(userops_datafusion::ballista::scheduler_session));
    config.validate()?;
    let config = Arc::new(config);
    let cluster = BallistaCluster::new_from_config(&config).await?;
    let scheduler = create_scheduler::<LogicalPlanNode, PhysicalPlanNode>(cluster, config).await?;
    println!("userops-ballista-scheduler ready on {address}");
    let stdin_closed = async {
        if args.exit_with_stdin {
            userops_datafusion::ballista::stdin_closed().await;
        } else {
            std::future::pending::<()>().await;
        }
    };
    tokio::select! {
        served = start_grpc_service_with_listener(listener, scheduler) => served?,
        _ = userops_datafusion::ballista::shutdown_signal() => {
            eprintln!("userops-ballista-scheduler: stopping");
        }
        _ = stdin_closed => {
            eprintln!("userops-ballista-scheduler: stdin closed, stopping");
        }
    }
    Ok(())
}
