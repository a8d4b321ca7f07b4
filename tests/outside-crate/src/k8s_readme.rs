//! The example of mcp-ops-k8s's README that needs no real cluster: `KubeCluster` over the
//! in-process simulated API server.

use std::time::Duration;

use mcp_ops_core::types::{ContainerName, DeploymentRef, ImageRef, Intent};
use mcp_ops_core::{Deployer, RolloutStatus};
use mcp_ops_k8s::KubeCluster;
use mcp_ops_k8s::sim::{Scenario, SimCluster};

use crate::BoxError;

/// "Example: a deploy on the simulated cluster".
pub async fn deploy_on_sim() -> Result<(), BoxError> {
    let sim = SimCluster::start(Scenario::mcp_production()).await?;
    let cluster = KubeCluster::new(sim.client()?);
    println!(
        "kubectl --kubeconfig {} get pods -n mcp-production",
        sim.kubeconfig_path().display()
    );

    let api: DeploymentRef = "mcp-production/mcp-typescript-api".parse()?;
    let image = ImageRef::parse("ghcr.io/your-org/mcp-typescript-server:v1.0.1")?;
    let intent = Intent::new("deploy v1.0.1", "deploy-bot")?;
    let container = ContainerName::new("mcp-typescript-api")?;
    cluster.set_image(&api, &container, &image, &intent).await?;
    let status = cluster
        .wait_for_rollout(&api, Duration::from_secs(60))
        .await?;
    if !matches!(status, RolloutStatus::Complete { .. }) {
        return Err(format!("the rollout did not complete: {status:?}").into());
    }
    Ok(())
}
