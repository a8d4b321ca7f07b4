//! What the kubectl tests share: the runbook cluster, waiting for a deployment, revisions.

use super::common::Kubectl;
use mcp_ops_k8s::sim::{Scenario, SimCluster};
use serde_json::Value;
use std::time::Duration;

pub const TS_IMAGE: &str = "ghcr.io/your-org/mcp-typescript-server";

pub async fn prod() -> (SimCluster, Kubectl) {
    let c = SimCluster::start(Scenario::mcp_production()).await.unwrap();
    let k = Kubectl::new(&c);
    (c, k)
}

/// Waits (bounded) until `f` holds for the deployment, so assertions see a settled state.
pub async fn wait_deploy(c: &SimCluster, name: &str, f: impl Fn(&Value) -> bool) -> Value {
    for _ in 0..400 {
        let d = c
            .get("apps/v1", "Deployment", "mcp-production", name)
            .unwrap();
        if f(&d) {
            return d;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("deployment {name} never reached the expected state");
}

pub fn revision(o: &Value) -> String {
    o["metadata"]["annotations"]["deployment.kubernetes.io/revision"]
        .as_str()
        .unwrap_or("")
        .to_string()
}
