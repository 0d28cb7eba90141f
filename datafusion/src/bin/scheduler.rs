//! `userops-ballista-scheduler`: Ballista's scheduler with the userops functions registered.

use std::sync::Arc;

use ballista_scheduler::cluster::BallistaCluster;
use ballista_scheduler::config::SchedulerConfig;
use ballista_scheduler::scheduler_process::start_server;
use clap::Parser;

/// Ballista's scheduler with the userops functions registered, for executors started with
/// `userops-ballista-executor`.
#[derive(Debug, Parser)]
#[command(version)]
struct Args {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1")]
    bind_host: String,
    /// gRPC port clients (`df://host:port`) and executors connect to.
    #[arg(long, default_value_t = 50050)]
    bind_port: u16,
    /// Seconds without a heartbeat after which an executor is taken as lost and its tasks are
    /// run again elsewhere.
    #[arg(long, default_value_t = 180)]
    executor_timeout_seconds: u64,
    /// How often (seconds) lost executors are looked for.
    #[arg(long, default_value_t = 15)]
    expire_dead_executor_interval_seconds: u64,
}

fn main() -> std::process::ExitCode {
    let args = Args::parse();
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
    let address = format!("{}:{}", args.bind_host, args.bind_port).parse()?;
    let mut config = SchedulerConfig {
        bind_host: args.bind_host.clone(),
        bind_port: args.bind_port,
        executor_timeout_seconds: args.executor_timeout_seconds,
        expire_dead_executor_interval_seconds: args.expire_dead_executor_interval_seconds,
        ..SchedulerConfig::default()
    };
    config = config
        .with_override_session_builder(Arc::new(userops_datafusion::ballista::scheduler_session));
    let cluster = BallistaCluster::new_from_config(&config).await?;
    println!("userops-ballista-scheduler listening on {address}");
    start_server(cluster, address, Arc::new(config)).await?;
    Ok(())
}
