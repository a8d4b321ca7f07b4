//! Quickstart: a deploy that fails, seen and undone, on the in-memory runbook cluster.
//!
//! `cargo run -p mcp-ops-examples --example quickstart`
//!
//! 1. deploy `mcp-typescript-server:v1.0.1` (a good image) and wait for the rollout;
//! 2. deploy `v1.0.2`, whose image cannot be pulled: the rollout fails with
//!    `ProgressDeadlineExceeded` (the old pods keep serving, as on a real cluster);
//! 3. undo to the previous revision, wait, and check health again;
//! 4. print the rollout history, as `kubectl rollout history` would.

use std::process::ExitCode;
use std::time::Duration;

use mcp_ops_core::health::{ClusterScope, HealthTarget, HttpProbe};
use mcp_ops_core::mock::{MockCluster, RUNBOOK_HEALTH_URL};
use mcp_ops_core::types::{ContainerName, DeploymentRef, ImageRef, Intent, Namespace};
use mcp_ops_core::{Deployer, HealthCheck, RolloutStatus, UndoOutcome};

#[tokio::main]
async fn main() -> ExitCode {
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("quickstart failed: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn health_line(cluster: &MockCluster) -> mcp_ops_core::Result<String> {
    let probe = HealthTarget::Http(HttpProbe::new("api", RUNBOOK_HEALTH_URL));
    let endpoint = cluster.check(&probe).await?;
    let scope = HealthTarget::Cluster(ClusterScope::all(Namespace::new("mcp-production")?));
    let objects = cluster.check(&scope).await?;
    let worst = objects
        .details
        .iter()
        .find(|d| d.status != mcp_ops_core::HealthStatus::Healthy)
        .map(|d| format!("{} {}", d.object, d.reason))
        .unwrap_or_else(|| format!("{} objects healthy", objects.details.len()));
    Ok(format!(
        "endpoint {} ({}), cluster {} ({worst})",
        endpoint.status.as_str(),
        endpoint.message,
        objects.status.as_str()
    ))
}

async fn run() -> mcp_ops_core::Result<()> {
    let cluster = MockCluster::runbook();
    let api: DeploymentRef = "mcp-production/mcp-typescript-api".parse()?;
    let container = ContainerName::new("mcp-typescript-api")?;
    let timeout = Duration::from_secs(600);
    println!("cluster: in-memory mock seeded with the runbook's mcp-production namespace");
    println!("health:  {}", health_line(&cluster).await?);

    let good = ImageRef::parse("ghcr.io/your-org/mcp-typescript-server:v1.0.1")?;
    let deploy = Intent::new("Deploy v1.0.1 with performance improvements", "quickstart")?;
    let change = cluster.set_image(&api, &container, &good, &deploy).await?;
    println!("\n$ set image {} → {}", change.from, change.to);
    let status = cluster.wait_for_rollout(&api, timeout).await?;
    println!("  → {status}");

    let bad = ImageRef::parse("ghcr.io/your-org/mcp-typescript-server:v1.0.2")?;
    cluster.mark_bad_image(&bad);
    let deploy = Intent::new("Deploy v1.0.2", "quickstart")?;
    let change = cluster.set_image(&api, &container, &bad, &deploy).await?;
    println!("\n$ set image {} → {}", change.from, change.to);
    let status = cluster.wait_for_rollout(&api, timeout).await?;
    println!("  → {status}");
    println!("health:  {}", health_line(&cluster).await?);

    if matches!(status, RolloutStatus::Failed { .. }) {
        let why = Intent::new(
            "Rollout of v1.0.2 failed: ProgressDeadlineExceeded",
            "quickstart",
        )?;
        let plan = cluster
            .undo(&api, None, &why.clone().with_dry_run(true))
            .await?;
        println!("\n$ undo --dry-run → would be: {}", plan.outcome);
        let undo = cluster.undo(&api, None, &why).await?;
        println!("$ undo → {}", undo.outcome);
        if !matches!(undo.outcome, UndoOutcome::RolledBack { .. }) {
            return Err(mcp_ops_core::Error::conflict(
                api.qualified(),
                undo.outcome.to_string(),
            ));
        }
        let status = cluster.wait_for_rollout(&api, timeout).await?;
        println!("  → {status}");
        println!("health:  {}", health_line(&cluster).await?);
    }

    println!("\nREVISION  IMAGE                                           CHANGE-CAUSE");
    for r in cluster.history(&api).await? {
        let image = r
            .images
            .get(&container)
            .map(ToString::to_string)
            .unwrap_or_default();
        println!(
            "{:<9} {:<47} {}",
            r.revision.to_string(),
            image,
            r.change_cause.unwrap_or_default()
        );
    }
    let calls = cluster.faults().state_changes();
    println!("\n{} state-changing calls were made:", calls.len());
    for c in calls {
        println!("  {} {}", c.operation, c.target);
    }
    Ok(())
}
