//! Triage ("Critical System Down (P0)") on the in-memory runbook cluster, after a bad
//! deploy: `mcp-typescript-server:v1.0.2` rolls out fine but answers HTTP 500 and 42 % of
//! requests fail. Triage probes everything at once, read-only, ranks the findings worst
//! first and turns the runbook's *Resolution* into a typed suggestion: roll the recent
//! deployment back. Prints the findings, the deployments, the suggestions and the journal.
//!
//! `cargo run -p mcp-ops-examples --example triage`
//!
//! The in-memory backends are used (the `ops` binary's default SimCluster would need the
//! HTTP endpoint check and the metrics routed to stand-ins; the mocks serve all of them).

use std::process::ExitCode;
use std::time::Duration;

use mcp_ops_core::health::MetricKind;
use mcp_ops_core::mock::{MockAlerting, MockCluster, MockDatabase};
use mcp_ops_core::runbook::Context;
use mcp_ops_core::runbook::triage::{TriageBackends, TriageInput, triage};
use mcp_ops_core::types::{ContainerName, DeploymentRef, ImageRef, Intent};
use mcp_ops_core::{Deployer, HealthStatus};

#[tokio::main]
async fn main() -> ExitCode {
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("triage failed: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run() -> mcp_ops_core::Result<()> {
    let cluster = MockCluster::runbook();
    let db = MockDatabase::runbook();
    let alerting = MockAlerting::runbook();

    // What goes wrong: v1.0.2 starts, passes its readiness probe, then fails requests.
    let api: DeploymentRef = "mcp-production/mcp-typescript-api".parse()?;
    let container = ContainerName::new("mcp-typescript-api")?;
    let bad = ImageRef::parse("ghcr.io/your-org/mcp-typescript-server:v1.0.2")?;
    cluster.mark_erroring_image(&bad);
    let deploy = Intent::new("Deploy v1.0.2", "deploy-bot")?;
    let change = cluster.set_image(&api, &container, &bad, &deploy).await?;
    println!("$ set image {} → {}", change.from, change.to);
    let status = cluster
        .wait_for_rollout(&api, Duration::from_secs(60))
        .await?;
    println!("  → {status}");
    alerting.set_metric("mcp-typescript-api", MetricKind::ErrorRate, Some(0.42));

    // Triage, as the on-call engineer would at 3 a.m.
    let intent = Intent::new("API down: page from the health check", "on-call")?;
    let ctx = Context::new("triage", intent, cluster.clock().clone());
    let backends = TriageBackends {
        cluster: Some(&cluster),
        deployer: Some(&cluster),
        scaler: Some(&cluster),
        database: Some(&db),
        cache: Some(&db),
        metrics: Some(&alerting),
    };
    let report = triage(&ctx, &backends, &TriageInput::runbook()).await?;

    println!(
        "\n== triage: {} (severity {}, {} findings, complete: {})",
        report.overall.as_str(),
        report
            .severity
            .map_or_else(|| "none".to_owned(), |s| s.to_string()),
        report.findings.len(),
        report.complete
    );
    println!("\n== findings needing attention (worst first)");
    for f in report
        .findings
        .iter()
        .filter(|f| f.status != HealthStatus::Healthy)
    {
        println!(
            "{:<9} {:?} {}: {}",
            f.status.as_str(),
            f.check,
            f.target,
            f.summary
        );
        for e in &f.evidence {
            println!("          {} = {}", e.object, e.detail);
        }
    }
    println!("\n== deployments");
    for d in &report.deployments {
        println!(
            "{:<40} {}/{} rev {:<3} {}",
            d.deployment.to_string(),
            d.available,
            d.desired,
            d.revision.map(|r| r.to_string()).unwrap_or_default(),
            if d.degraded.is_empty() {
                "healthy".to_owned()
            } else {
                d.degraded.join("; ")
            }
        );
    }
    println!("\n== suggestions");
    for s in &report.suggestions {
        println!("{}", serde_json::to_string(s).unwrap_or_default());
        println!("  $ {}", s.command());
    }
    println!("\n== journal");
    println!("{}", ctx.journal().to_markdown("Triage of mcp-production"));
    Ok(())
}
