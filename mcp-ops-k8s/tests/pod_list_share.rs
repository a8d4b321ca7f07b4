//! Triage's checks share one paged pod list: the pods and services checks, pod usage and
//! node capacity, run together, list pods once (all namespaces, 500 a page), and each still
//! sees exactly the pods it asked for.
#![cfg(feature = "sim")]
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::collections::BTreeMap;

use mcp_ops_core::Scaler;
use mcp_ops_core::health::{
    ClusterResource, ClusterScope, HealthCheck, HealthTarget, ObservedValue,
};
use mcp_ops_core::types::Namespace;
use mcp_ops_k8s::KubeCluster;
use mcp_ops_k8s::sim::{Scenario, SimCluster, scenario};

const NS: &str = "mcp-production";

fn scope(r: ClusterResource) -> HealthTarget {
    HealthTarget::Cluster(ClusterScope {
        namespace: Namespace::new(NS).unwrap(),
        resources: vec![r],
    })
}

/// Pod LIST requests (every page counts), all namespaces and `NS` apart.
fn pod_lists(before: &BTreeMap<String, u64>, after: &BTreeMap<String, u64>) -> (u64, u64) {
    let n = |k: &str| after.get(k).copied().unwrap_or(0) - before.get(k).copied().unwrap_or(0);
    (
        n("GET /api/v1/pods"),
        n(&format!("GET /api/v1/namespaces/{NS}/pods")),
    )
}

fn count(r: &mcp_ops_core::HealthReport, name: &str) -> u64 {
    match r.observation(name) {
        Some(ObservedValue::Count(n)) => *n,
        other => panic!("{name}: {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn checks_run_together_list_pods_once_in_pages() {
    // 10 runbook pods + 1,190 more in NS, 3 in another namespace: 3 pages of 500.
    let c = SimCluster::start(
        Scenario::mcp_production()
            .with_object(scenario::deployment(
                NS,
                "bulk",
                "registry.local/bulk:v1",
                1190,
                80,
            ))
            .with_object(scenario::namespace("other"))
            .with_object(scenario::deployment(
                "other",
                "side",
                "registry.local/side:v1",
                3,
                80,
            )),
    )
    .await
    .unwrap();
    let in_ns = c.list("v1", "Pod", Some(NS)).len() as u64;
    let all = c.list("v1", "Pod", None).len() as u64;
    assert!(in_ns >= 1200 && all >= in_ns + 3, "{in_ns} {all}");
    let k = KubeCluster::new(c.client().unwrap());
    let ns = Namespace::new(NS).unwrap();

    let (pods_scope, services_scope) = (
        scope(ClusterResource::Pods),
        scope(ClusterResource::Services),
    );
    let before = c.faults().counts();
    let (pods, services, capacity) = tokio::join!(
        k.check(&pods_scope),
        k.check(&services_scope),
        k.node_capacity(),
    );
    let after = c.faults().counts();
    assert_eq!(pod_lists(&before, &after), (3, 0), "one list of 3 pages");
    let pods = pods.unwrap();
    assert_eq!(
        count(&pods, "pods"),
        in_ns,
        "only the namespace's pods are checked"
    );
    assert!(count(&services.unwrap(), "services") > 0);
    let on_nodes: u32 = capacity.unwrap().iter().map(|n| n.pods).sum();
    let bound = c
        .list("v1", "Pod", None)
        .iter()
        .filter(|p| {
            p["spec"]["nodeName"].is_string()
                && !matches!(p["status"]["phase"].as_str(), Some("Succeeded" | "Failed"))
        })
        .count();
    // The sim keeps scheduling meanwhile: what capacity saw is bound now too.
    assert!(
        on_nodes > 0 && on_nodes as usize <= bound,
        "{on_nodes} {bound}"
    );

    // Alone, a namespaced check lists its namespace only (3 pages too), and nothing is kept:
    // the next check lists again.
    let before = c.faults().counts();
    let again = k.check(&scope(ClusterResource::Pods)).await.unwrap();
    assert_eq!(count(&again, "pods"), in_ns);
    let after = c.faults().counts();
    assert_eq!(pod_lists(&before, &after), (0, 3));

    // Pod usage joins a list in flight as well (the sim serves metrics).
    let before = c.faults().counts();
    let (usage, capacity) = tokio::join!(k.pod_usage(&ns), k.node_capacity());
    let after = c.faults().counts();
    assert_eq!(pod_lists(&before, &after), (3, 0));
    assert!(capacity.is_ok());
    let usage = usage.unwrap();
    assert!(usage.iter().all(|u| u.object.starts_with("pod/")));
}
