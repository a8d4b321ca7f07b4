//! The Kubernetes HealthCheck on a SimCluster over HTTP.
#![cfg(feature = "sim")]
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::time::Duration;

use mcp_ops_core::health::{
    ClusterResource, ClusterScope, HealthCheck, HealthStatus, HealthTarget, ObservedValue,
};
use mcp_ops_core::testing::{HealthFixture, health_contract};
use mcp_ops_core::types::Namespace;
use mcp_ops_k8s::KubeCluster;
use mcp_ops_k8s::sim::{ImageFailure, Scenario, SimCluster, scenario};

fn broken() -> Scenario {
    Scenario::mcp_production()
        .with_object(scenario::namespace("broken"))
        .with_object(scenario::deployment(
            "broken",
            "crasher",
            "registry.local/crash:v1",
            2,
            80,
        ))
        .with_object(scenario::deployment(
            "broken",
            "puller",
            "registry.local/missing:v1",
            1,
            80,
        ))
        .fail_image("registry.local/crash", ImageFailure::CrashLoop)
        .fail_image("registry.local/missing", ImageFailure::PullBackOff)
}

/// Waits (at most 10 s) until the kubelet has crashed and failed to pull in `broken`.
async fn settled(k: &KubeCluster) {
    for _ in 0..100 {
        let r = k.check(&cluster("broken")).await.unwrap();
        let seen = |what: &str| r.details.iter().any(|d| d.reason.contains(what));
        if seen("CrashLoopBackOff") && (seen("ImagePullBackOff") || seen("ErrImagePull")) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the broken pods never showed their failures");
}

fn cluster(ns: &str) -> HealthTarget {
    HealthTarget::Cluster(ClusterScope::all(Namespace::new(ns).unwrap()))
}

#[tokio::test]
async fn health_contract_passes_on_the_sim() {
    let c = SimCluster::start(broken()).await.unwrap();
    let k = KubeCluster::new(c.client().unwrap());
    settled(&k).await;
    let fx = HealthFixture {
        healthy: vec![cluster("mcp-production")],
        unhealthy: vec![cluster("broken")],
        unsupported: Some(HealthTarget::Database {
            name: "mcp_db".into(),
        }),
        per_check: Duration::from_secs(10),
    };
    health_contract(&k, &fx).await.unwrap();
}

#[tokio::test]
async fn broken_pods_are_named_with_their_reasons() {
    let c = SimCluster::start(broken()).await.unwrap();
    let k = KubeCluster::new(c.client().unwrap());
    settled(&k).await;
    let r = k.check(&cluster("broken")).await.unwrap();
    assert_eq!(r.status, HealthStatus::Unhealthy);
    let reasons: Vec<String> = r
        .details
        .iter()
        .map(|d| format!("{} {}", d.object, d.reason))
        .collect();
    assert!(
        reasons
            .iter()
            .any(|x| x.starts_with("pod/crasher-") && x.contains("CrashLoopBackOff")),
        "{reasons:?}"
    );
    assert!(
        reasons.iter().any(|x| x.starts_with("pod/puller-")
            && (x.contains("ImagePullBackOff") || x.contains("ErrImagePull"))),
        "{reasons:?}"
    );
    assert!(
        reasons
            .iter()
            .any(|x| x.starts_with("deployment/crasher") && x.contains("0/2 available")),
        "{reasons:?}"
    );
    assert!(
        r.details
            .first()
            .is_some_and(|d| d.status == HealthStatus::Unhealthy)
    );
}

#[tokio::test]
async fn healthy_runbook_namespace_observes_everything() {
    let c = SimCluster::start(Scenario::mcp_production()).await.unwrap();
    let k = KubeCluster::new(c.client().unwrap());
    let r = k.check(&cluster("mcp-production")).await.unwrap();
    assert_eq!(
        r.status,
        HealthStatus::Healthy,
        "{}: {:?}",
        r.message,
        r.details
    );
    assert_eq!(r.observation("ready_nodes"), Some(&ObservedValue::Count(3)));
    assert_eq!(r.observation("ready_pods"), Some(&ObservedValue::Count(10)));
    assert_eq!(
        r.observation("metrics_served"),
        Some(&ObservedValue::Flag(true))
    );
    assert_eq!(r.observation("ingresses"), Some(&ObservedValue::Count(1)));
    // Scoped to nodes only.
    let only = HealthTarget::Cluster(ClusterScope {
        namespace: Namespace::new("mcp-production").unwrap(),
        resources: vec![ClusterResource::Nodes],
    });
    let r = k.check(&only).await.unwrap();
    assert!(r.observation("deployments").is_none());
    assert_eq!(r.observation("nodes"), Some(&ObservedValue::Count(3)));
}
