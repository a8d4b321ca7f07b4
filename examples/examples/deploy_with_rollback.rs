//! The runbook's Standard Deployment, end to end on the in-memory backends: the checklist
//! gates pass, the new image rolls out, health and smoke tests pass, and during the bake the
//! error rate reads 15 % — above the runbook's 10 % rollback threshold — so the deployment is
//! undone automatically and a P1 incident is opened. Prints the typed report and the journal
//! as a Markdown timeline.
//!
//! `cargo run -p mcp-ops-examples --example deploy_with_rollback`
//!
//! The bake is shortened to 3 s (sampled every second) so the example runs in seconds; the
//! runbook's default is 30 minutes.

use std::process::ExitCode;
use std::time::Duration;

use async_trait::async_trait;
use mcp_ops_core::Escalator;
use mcp_ops_core::health::MetricKind;
use mcp_ops_core::mock::{MockAlerting, MockCluster, MockDatabase};
use mcp_ops_core::runbook::Context;
use mcp_ops_core::runbook::smoke::{SmokeCheck, SmokeReport, SmokeTest};
use mcp_ops_core::runbook::standard_deploy::{
    BakeConfig, Checklist, DeployBackends, DeployOutcome, DeployRequest, standard_deploy,
};
use mcp_ops_core::types::{ImageRef, Intent};

/// The caller's smoke tests (the runbook's `python tests/production_smoke_tests.py`).
struct Smoke;

#[async_trait]
impl SmokeTest for Smoke {
    async fn run(&self) -> mcp_ops_core::Result<SmokeReport> {
        Ok(SmokeReport::new(vec![
            SmokeCheck::pass("GET /health", "HTTP 200"),
            SmokeCheck::pass("list tools", "HTTP 200, 12 tools"),
        ]))
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("deploy_with_rollback failed: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run() -> mcp_ops_core::Result<()> {
    let cluster = MockCluster::runbook();
    // With last night's backup, so the "backup verified within 24 h" gate can pass.
    let (db, _nightly) = MockDatabase::runbook_with_nightly_backup().await?;
    let alerting = MockAlerting::runbook();

    // The new release errors on 15 % of requests once it serves traffic.
    alerting.set_metric("mcp-typescript-api", MetricKind::ErrorRate, Some(0.15));
    alerting.set_metric("mcp-typescript-api", MetricKind::P95Latency, Some(0.4));

    let image = ImageRef::parse("ghcr.io/your-org/mcp-typescript-server:v1.0.1")?;
    let mut request = DeployRequest::runbook(image)?.with_checklist(Checklist::all_passed(
        "CI run 4812 green; trivy clean; p95 310 ms in the benchmark",
        "kubectl rollout undo deployment/mcp-typescript-api -n mcp-production",
    ));
    request.bake = BakeConfig {
        duration: Duration::from_secs(3),
        interval: Duration::from_secs(1),
        ..BakeConfig::default()
    };

    let intent = Intent::new("Deploy v1.0.1 with performance improvements", "deploy-bot")?
        .with_ticket("CR-2025-001")?;
    let ctx = Context::new("standard_deploy", intent, cluster.clock().clone());
    let backends = DeployBackends {
        deployer: &cluster,
        backups: &db,
        health: &cluster,
        metrics: &alerting,
        smoke: &Smoke,
        escalator: &alerting,
    };
    let report = standard_deploy(&ctx, &backends, &request).await?;

    println!("== outcome");
    match &report.outcome {
        DeployOutcome::Deployed { revision } => println!("deployed revision {revision}"),
        DeployOutcome::RolledBack { from, to, why } => {
            println!("rolled back from revision {from} to {to}: {why}");
        }
        other => println!("{other:?}"),
    }
    println!("\n== gates");
    for g in &report.gates {
        println!("{:<5} {}", if g.passed { "pass" } else { "FAIL" }, g.gate);
    }
    if let Some(id) = &report.incident {
        let incident = alerting.incident(id).await?;
        println!(
            "\n== incident {id} ({}, level L{}): {}",
            incident.severity, incident.level, incident.impact
        );
    }
    println!("\n== report (JSON)");
    println!(
        "{}",
        serde_json::to_string_pretty(&report).unwrap_or_default()
    );
    println!("\n== journal");
    println!("{}", ctx.journal().to_markdown("Deployment of v1.0.1"));
    Ok(())
}
