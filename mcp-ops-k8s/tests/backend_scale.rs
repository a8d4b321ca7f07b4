//! The Kubernetes Scaler on a SimCluster over HTTP: the core contract, HPA ownership,
//! VPA recommendations, node capacity and pod usage.
#![cfg(feature = "sim")]
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::time::Duration;

use mcp_ops_core::scale::Recommendation;
use mcp_ops_core::testing::{ScalerFixture, scaler_contract};
use mcp_ops_core::types::{
    ContainerName, DeploymentRef, Intent, Quantity, Replicas, ResourceRequirements,
};
use mcp_ops_core::{Error, Scaler};
use mcp_ops_k8s::sim::{Scenario, SimCluster, scenario};
use mcp_ops_k8s::{KubeCluster, RetryPolicy};

const NS: &str = "mcp-production";

fn backend(c: &SimCluster) -> KubeCluster {
    KubeCluster::new(c.client().unwrap()).with_retry(RetryPolicy {
        max_attempts: 4,
        base_delay: Duration::from_millis(10),
        max_delay: Duration::from_millis(100),
        call_timeout: Duration::from_secs(10),
    })
}

fn with_worker() -> Scenario {
    Scenario::mcp_production().with_object(scenario::deployment(
        NS,
        "worker",
        "registry.local/worker:v1",
        2,
        8080,
    ))
}

fn d(name: &str) -> DeploymentRef {
    DeploymentRef::new(NS, name).unwrap()
}

#[tokio::test]
async fn scaler_contract_passes_on_the_sim() {
    let c = SimCluster::start(with_worker()).await.unwrap();
    let k = backend(&c);
    let fx = ScalerFixture {
        free: d("worker"),
        autoscaled: Some(d("mcp-typescript-api")),
        container: ContainerName::new("worker").unwrap(),
        resources: ResourceRequirements::runbook_typescript_api(),
        missing: d("nope"),
    };
    scaler_contract(&k, &fx).await.unwrap();
}

#[tokio::test]
async fn hpa_owned_scale_is_refused_naming_the_hpa() {
    let c = SimCluster::start(Scenario::mcp_production()).await.unwrap();
    let k = backend(&c);
    let before = k.replicas(&d("mcp-typescript-api")).await.unwrap();
    let e = k
        .scale(
            &d("mcp-typescript-api"),
            Replicas::new(8).unwrap(),
            &Intent::new("more", "t").unwrap(),
        )
        .await
        .unwrap_err();
    match e {
        Error::PolicyViolation { reason, .. } => {
            assert!(reason.contains("mcp-typescript-api-hpa"), "{reason}");
            assert!(reason.contains("max 10"), "{reason}");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(k.replicas(&d("mcp-typescript-api")).await.unwrap(), before);
    let a = k
        .autoscaler(&d("mcp-typescript-api"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!((a.min.get(), a.max.get()), (3, 10));
}

#[tokio::test]
async fn vpa_recommendations_and_their_absence() {
    let c = SimCluster::start(with_worker()).await.unwrap();
    let k = backend(&c);
    match k.recommendations(&d("mcp-typescript-api")).await.unwrap() {
        Recommendation::Available { containers } => {
            assert_eq!(containers.len(), 1);
            assert_eq!(
                containers[0].target.cpu,
                Some(Quantity::parse("350m").unwrap())
            );
            assert_eq!(
                containers[0].upper_bound.memory,
                Some(Quantity::parse("1Gi").unwrap())
            );
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        k.recommendations(&d("worker")).await.unwrap(),
        Recommendation::NotAvailable { why } if why.contains("no VerticalPodAutoscaler")
    ));
}

#[tokio::test]
async fn node_capacity_sums_pod_requests_per_node() {
    let c = SimCluster::start(Scenario::mcp_production()).await.unwrap();
    let k = backend(&c);
    let nodes = k.node_capacity().await.unwrap();
    assert_eq!(nodes.len(), 3);
    let pods: u32 = nodes.iter().map(|n| n.pods).sum();
    // 3 + 2 + 3 deployment replicas and 2 StatefulSet pods.
    assert_eq!(pods, 10);
    let total_cpu = nodes
        .iter()
        .filter_map(|n| n.requests.cpu)
        .fold(Quantity::ZERO, |a, b| a.checked_add(&b).unwrap());
    // 8 × 250m + 2 × 500m.
    assert_eq!(total_cpu, Quantity::parse("3").unwrap());
    for n in &nodes {
        assert_eq!(n.allocatable.cpu, Some(Quantity::parse("3920m").unwrap()));
    }
}

#[tokio::test]
async fn pod_usage_comes_from_metrics() {
    let c = SimCluster::start(Scenario::mcp_production()).await.unwrap();
    let k = backend(&c);
    let usage = k.pod_usage(&d("worker").namespace).await.unwrap();
    assert_eq!(usage.len(), 10);
    assert!(
        usage
            .iter()
            .all(|u| u.object.starts_with("pod/") && !u.cpu.is_zero())
    );
    let api = usage
        .iter()
        .find(|u| u.object.contains("mcp-typescript-api"))
        .unwrap();
    assert_eq!(api.memory_limit, Some(Quantity::parse("1Gi").unwrap()));
}

#[tokio::test]
async fn absent_vpa_and_metrics_apis_are_said_not_hidden() {
    let c = SimCluster::start(with_worker()).await.unwrap();
    // Make the cluster look like one without the VPA CRD and without metrics-server.
    c.faults().add(mcp_ops_k8s::sim::FaultRule::status(
        "GET",
        "verticalpodautoscalers",
        404,
    ));
    c.faults().add(mcp_ops_k8s::sim::FaultRule::status(
        "GET",
        "/apis/metrics.k8s.io/",
        404,
    ));
    let k = backend(&c);
    assert!(matches!(
        k.recommendations(&d("mcp-typescript-api")).await.unwrap(),
        Recommendation::NotAvailable { why } if why.contains("not served")
    ));
    // No metrics API is no evidence: an Unavailable error, never an empty "nothing in use".
    assert!(matches!(
        k.pod_usage(&d("worker").namespace).await,
        Err(mcp_ops_core::Error::Unavailable { reason, .. }) if reason.contains("not served")
    ));
    let r = mcp_ops_core::HealthCheck::check(
        &k,
        &mcp_ops_core::HealthTarget::Cluster(mcp_ops_core::health::ClusterScope::all(
            d("worker").namespace,
        )),
    )
    .await
    .unwrap();
    assert_eq!(
        r.observation("metrics_served"),
        Some(&mcp_ops_core::health::ObservedValue::Flag(false))
    );
}
