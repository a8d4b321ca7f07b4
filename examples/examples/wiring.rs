//! The ops wiring in a few lines, for a tool of your own: the cluster from a kubeconfig,
//! Prometheus, Alertmanager, PostgreSQL and Redis from optional URLs, everything else
//! answering "not configured" with the setting to pass. No mock in production code.
//!
//! `cargo run -p mcp-ops-examples --example wiring`
//!
//! A SimCluster stands in for your cluster (its kubeconfig is what `--kubeconfig` would
//! name); set `MCP_OPS_PROMETHEUS_URL`, `MCP_OPS_ALERTMANAGER_URL`, `DATABASE_URL` or
//! `REDIS_URL` to reach real servers. Prints where each capability goes and a triage.

use std::process::ExitCode;

use mcp_ops_alerts::AlertsBackends;
use mcp_ops_core::prelude::*;
use mcp_ops_core::runbook::triage::TriageInput;
use mcp_ops_db::DbBackends;
use mcp_ops_k8s::sim::{Scenario, SimCluster};
use mcp_ops_k8s::{KubeBackends, KubeConfig};

#[tokio::main]
async fn main() -> ExitCode {
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("wiring failed: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<()> {
    let sim = SimCluster::start(Scenario::mcp_production()).await?;
    let env = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());

    // The wiring: one line per backend crate.
    let kube = KubeConfig::new().with_kubeconfig_path(sim.kubeconfig_path());
    let backends =
        DbBackends::from_urls(env("DATABASE_URL").as_deref(), env("REDIS_URL").as_deref())?
            .install(Backends::new())?;
    let backends = AlertsBackends::from_urls(
        env("MCP_OPS_PROMETHEUS_URL").as_deref(),
        env("MCP_OPS_ALERTMANAGER_URL").as_deref(),
    )?
    .install(backends);
    let backends = KubeBackends::from_kubeconfig(kube, "mcp-production".parse()?)
        .await?
        .install(backends);
    // HTTP endpoints stay "not configured" here; a real GET is one more line:
    // `.with_http_health(Arc::new(mcp_ops_alerts::http_health::HttpHealthCheck::new()?))`.
    println!("{backends:#?}");

    let ctx = backends.context("triage", Intent::new("wiring example", "my-tool")?);
    let report = triage(&ctx, &backends.triage(), &TriageInput::runbook()).await?;
    println!("overall: {:?}", report.overall);
    for f in &report.findings {
        println!("- {:?} {}: {}", f.status, f.target, f.summary);
    }
    Ok(())
}
