//! The examples of mcp-ops-core's README, as a user copies them.

use std::time::Duration;

use mcp_ops_core::mock::MockCluster;
use mcp_ops_core::types::{ContainerName, DeploymentRef, ImageRef, Intent};
use mcp_ops_core::{Deployer, RolloutStatus, UndoOutcome};

use crate::BoxError;

/// "Example: a deploy that checks its rollout" (also the workspace README's example).
pub async fn deploy_and_check() -> Result<(), BoxError> {
    let cluster = MockCluster::runbook();
    let api: DeploymentRef = "mcp-production/mcp-typescript-api".parse()?;
    let container = ContainerName::new("mcp-typescript-api")?;
    let image = ImageRef::parse("ghcr.io/your-org/mcp-typescript-server:v1.0.1")?;

    let intent = Intent::new("Deploy v1.0.1", "deploy-bot")?;
    cluster.set_image(&api, &container, &image, &intent).await?;
    match cluster
        .wait_for_rollout(&api, Duration::from_secs(600))
        .await?
    {
        RolloutStatus::Complete { revision } => println!("revision {revision} is live"),
        other => {
            let why = Intent::new(format!("rollout: {other:?}"), "deploy-bot")?;
            let undo = cluster.undo(&api, None, &why).await?;
            if !matches!(undo.outcome, UndoOutcome::RolledBack { .. }) {
                return Err(format!("undo after {other:?}: {:?}", undo.outcome).into());
            }
        }
    }
    Ok(())
}

/// "Example: undo, and a dry run that changes nothing".
pub async fn dry_run_and_undo() -> Result<(), BoxError> {
    let cluster = MockCluster::runbook();
    let api: DeploymentRef = "mcp-production/mcp-typescript-api".parse()?;
    let container = ContainerName::new("mcp-typescript-api")?;
    let before = cluster.deployment(&api).await?;

    let image = ImageRef::parse("ghcr.io/your-org/mcp-typescript-server:v1.0.1")?;
    let plan = Intent::new("deploy v1.0.1", "ops-bot")?.with_dry_run(true);
    cluster.set_image(&api, &container, &image, &plan).await?;
    if cluster.deployment(&api).await?.images != before.images {
        return Err("a dry run changed the deployment's images".into());
    }

    let intent = Intent::new("deploy v1.0.1", "ops-bot")?;
    cluster.set_image(&api, &container, &image, &intent).await?;
    let why = Intent::new("error rate > 10 %", "ops-bot")?;
    let undo = cluster.undo(&api, None, &why).await?;
    if !matches!(undo.outcome, UndoOutcome::RolledBack { .. }) {
        return Err(format!("undo: {:?}", undo.outcome).into());
    }
    Ok(())
}
