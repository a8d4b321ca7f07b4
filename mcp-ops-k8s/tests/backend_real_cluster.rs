//! Read-only checks against a real cluster: the test control plane (a namespace of its own
//! holding the runbook's fixture), or the cluster named by `MCP_OPS_KUBECONFIG` (namespace
//! `MCP_OPS_NAMESPACE`, default `mcp-production`), e.g. one made by `scripts/kind-up`.
#![cfg(feature = "testing")]
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use mcp_ops_core::health::{ClusterScope, HealthCheck, HealthTarget};
use mcp_ops_core::types::Namespace;
use mcp_ops_core::{Deployer, Scaler};
use mcp_ops_k8s::KubeConfig;
use mcp_ops_k8s::testing::ControlPlane;

async fn cluster() -> (mcp_ops_k8s::KubeCluster, Namespace) {
    if let Ok(path) = std::env::var("MCP_OPS_KUBECONFIG") {
        let ns = std::env::var("MCP_OPS_NAMESPACE").unwrap_or_else(|_| "mcp-production".into());
        let k = KubeConfig::new()
            .with_kubeconfig_path(path)
            .build()
            .await
            .unwrap();
        return (k, Namespace::new(ns).unwrap());
    }
    let cp = ControlPlane::shared().await.unwrap();
    let ns = cp.namespace("read-only").await.unwrap();
    let fixture = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/deploy/fixtures/mcp-production.yaml"
    );
    cp.apply_fixture(fixture.as_ref(), &ns).await.unwrap();
    (cp.cluster(&ns).await.unwrap(), Namespace::new(ns).unwrap())
}

#[tokio::test]
async fn read_only_triage_on_a_real_cluster() {
    let (k, ns) = cluster().await;
    let report = k
        .check(&HealthTarget::Cluster(ClusterScope::all(ns.clone())))
        .await
        .unwrap();
    assert!(!report.message.is_empty());
    let deployments = k.deployments(&ns).await.unwrap();
    assert!(
        !deployments.is_empty(),
        "the fixture's deployments are listed"
    );
    for d in deployments {
        let history = k.history(&d.deployment).await.unwrap();
        assert!(!history.is_empty());
        assert!(history.windows(2).all(|w| w[0].revision < w[1].revision));
        k.rollout_status(&d.deployment).await.unwrap();
    }
    let nodes = k.node_capacity().await.unwrap();
    assert!(!nodes.is_empty());
    // No metrics-server on the test control plane: pod usage is an error, not "no usage".
    if std::env::var("MCP_OPS_KUBECONFIG").is_err() {
        assert!(k.pod_usage(&ns).await.is_err());
    } else {
        k.pod_usage(&ns).await.unwrap();
    }
}
