//! Read-only checks against a real cluster: run with
//! `MCP_OPS_KUBECONFIG=/path/to/kubeconfig cargo test -p mcp-ops-k8s --test backend_real_cluster -- --ignored`
//! (optionally `MCP_OPS_NAMESPACE`, default `mcp-production`). `scripts/kind-up` creates a
//! kind cluster with the runbook's objects for this.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use mcp_ops_core::health::{ClusterScope, HealthCheck, HealthTarget};
use mcp_ops_core::types::Namespace;
use mcp_ops_core::{Deployer, Scaler};
use mcp_ops_k8s::KubeConfig;

async fn cluster() -> (mcp_ops_k8s::KubeCluster, Namespace) {
    let path = std::env::var("MCP_OPS_KUBECONFIG").unwrap_or_else(|_| {
        panic!("set MCP_OPS_KUBECONFIG to a kubeconfig file (for example after scripts/kind-up)")
    });
    let ns = std::env::var("MCP_OPS_NAMESPACE").unwrap_or_else(|_| "mcp-production".into());
    let k = KubeConfig::new()
        .with_kubeconfig_path(path)
        .build()
        .await
        .unwrap();
    (k, Namespace::new(ns).unwrap())
}

#[tokio::test]
#[ignore = "needs a real cluster: set MCP_OPS_KUBECONFIG and run with --ignored"]
async fn read_only_triage_on_a_real_cluster() {
    let (k, ns) = cluster().await;
    let report = k
        .check(&HealthTarget::Cluster(ClusterScope::all(ns.clone())))
        .await
        .unwrap();
    assert!(!report.message.is_empty());
    for d in k.deployments(&ns).await.unwrap() {
        let history = k.history(&d.deployment).await.unwrap();
        assert!(history.windows(2).all(|w| w[0].revision < w[1].revision));
        k.rollout_status(&d.deployment).await.unwrap();
    }
    let nodes = k.node_capacity().await.unwrap();
    assert!(!nodes.is_empty());
    k.pod_usage(&ns).await.unwrap();
}
