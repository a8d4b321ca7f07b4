//! `sim-cluster`: a simulated Kubernetes API server for people and scripts.
//!
//! ```text
//! cargo run -p mcp-ops-examples --bin sim-cluster -- --kubeconfig-out /tmp/sim.yaml
//! kubectl --kubeconfig /tmp/sim.yaml get pods -n mcp-production
//! ```
//!
//! Starts a `mcp_ops_k8s::sim::SimCluster` with the chosen scenario, writes a kubeconfig for
//! it, prints one line with the URL and the kubeconfig path, and serves until SIGINT or
//! SIGTERM; then it stops the server and removes the kubeconfig it wrote (its address would
//! be stale). RBAC is not simulated; `exec` and `port-forward` are not served.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, ValueEnum};
use mcp_ops_k8s::sim::{Scenario, SimCluster};

/// Which objects the cluster starts with.
#[derive(Debug, Clone, Copy, ValueEnum)]
enum ScenarioName {
    /// The runbook's `mcp-production` namespace with its deployments, services, autoscaler,
    /// CronJobs, secrets, StatefulSets and rollout history.
    McpProduction,
    /// Namespaces `default` and `kube-system` and one node.
    Empty,
    /// `--deployments` deployments of `--pods-per-deployment` pods in namespace `bench`.
    Scaled,
}

/// Serve a simulated Kubernetes API server until interrupted.
#[derive(Debug, Parser)]
#[command(name = "sim-cluster", version)]
struct Args {
    /// The initial objects.
    #[arg(long, value_enum, default_value = "mcp-production")]
    scenario: ScenarioName,
    /// Where to write the kubeconfig for kubectl.
    #[arg(long, value_name = "PATH")]
    kubeconfig_out: PathBuf,
    /// Port on 127.0.0.1 (0: a free one).
    #[arg(long, default_value_t = 0)]
    port: u16,
    /// Deployments of the `scaled` scenario.
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u16).range(1..=1000))]
    deployments: u16,
    /// Pods per deployment of the `scaled` scenario.
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u16).range(1..=1000))]
    pods_per_deployment: u16,
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = match Args::try_parse() {
        Ok(a) => a,
        Err(e) if !e.use_stderr() => {
            // --help / --version
            print!("{e}");
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            let first = e.to_string();
            let line = first.lines().next().unwrap_or("invalid arguments");
            eprintln!("sim-cluster: {}", line.trim_start_matches("error: "));
            return ExitCode::from(2);
        }
    };
    match serve(args).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("sim-cluster: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn serve(args: Args) -> Result<(), String> {
    let scenario = match args.scenario {
        ScenarioName::McpProduction => Scenario::mcp_production(),
        ScenarioName::Empty => Scenario::empty(),
        ScenarioName::Scaled => Scenario::scaled(
            usize::from(args.deployments),
            i64::from(args.pods_per_deployment),
        ),
    }
    .port(args.port);
    let cluster = SimCluster::start(scenario)
        .await
        .map_err(|e| format!("cannot start: {e}"))?;
    std::fs::copy(cluster.kubeconfig_path(), &args.kubeconfig_out).map_err(|e| {
        format!(
            "cannot write the kubeconfig to {}: {e}",
            args.kubeconfig_out.display()
        )
    })?;
    // Handlers are installed before the line is printed: whoever reads the line may signal
    // at once, and a signal before the handlers exist would kill the process uncleanly.
    let stop =
        StopSignals::install().map_err(|e| format!("cannot install signal handlers: {e}"))?;
    println!(
        "sim-cluster: serving {} — kubeconfig {}",
        cluster.url(),
        args.kubeconfig_out.display()
    );
    stop.wait().await;
    drop(cluster);
    let _ = std::fs::remove_file(&args.kubeconfig_out);
    eprintln!("sim-cluster: stopped");
    Ok(())
}

/// SIGINT and SIGTERM, listened for from the moment they are installed.
struct StopSignals {
    #[cfg(unix)]
    interrupt: tokio::signal::unix::Signal,
    #[cfg(unix)]
    terminate: tokio::signal::unix::Signal,
}

impl StopSignals {
    #[cfg(unix)]
    fn install() -> std::io::Result<Self> {
        use tokio::signal::unix::{SignalKind, signal};
        Ok(Self {
            interrupt: signal(SignalKind::interrupt())?,
            terminate: signal(SignalKind::terminate())?,
        })
    }

    #[cfg(not(unix))]
    fn install() -> std::io::Result<Self> {
        Ok(Self {})
    }

    /// Returns on the first of SIGINT or SIGTERM.
    #[cfg(unix)]
    async fn wait(mut self) {
        tokio::select! {
            _ = self.interrupt.recv() => {}
            _ = self.terminate.recv() => {}
        }
    }

    #[cfg(not(unix))]
    async fn wait(self) {
        let _ = tokio::signal::ctrl_c().await;
    }
}
