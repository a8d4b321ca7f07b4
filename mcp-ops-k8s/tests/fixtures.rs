//! The manifests in `deploy/fixtures/mcp-production.yaml` (applied to a real cluster by
//! `scripts/kind-up`) describe the same namespace as the simulator's built-in
//! `Scenario::mcp_production()`: the same objects by kind and name, the same containers,
//! labels, replicas and autoscaler bounds. A change to one without the other fails here.
#![cfg(feature = "sim")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;

use mcp_ops_k8s::sim::{Scenario, SimCluster};
use serde_json::Value;

const FIXTURE: &str = include_str!("../deploy/fixtures/mcp-production.yaml");
const NS: &str = "mcp-production";
const KINDS: [(&str, &str); 10] = [
    ("apps/v1", "Deployment"),
    ("apps/v1", "StatefulSet"),
    ("v1", "Service"),
    ("v1", "Secret"),
    ("v1", "ConfigMap"),
    ("batch/v1", "CronJob"),
    ("autoscaling/v2", "HorizontalPodAutoscaler"),
    ("networking.k8s.io/v1", "Ingress"),
    ("networking.k8s.io/v1", "NetworkPolicy"),
    ("v1", "Namespace"),
];

fn names(c: &SimCluster) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for (api, kind) in KINDS {
        let ns = if kind == "Namespace" { None } else { Some(NS) };
        for o in c.list(api, kind, ns) {
            let name = o["metadata"]["name"]
                .as_str()
                .unwrap_or_default()
                .to_owned();
            if kind != "Namespace" || name == NS {
                out.insert(format!("{kind}/{name}"));
            }
        }
    }
    out
}

/// What the runbook's commands rely on: per workload its container names, labels,
/// replicas and what it reads from Secrets and ConfigMaps; per autoscaler its target and bounds; the secret's keys.
fn shape(c: &SimCluster) -> Vec<String> {
    let mut out = Vec::new();
    for kind in ["Deployment", "StatefulSet"] {
        for d in c.list("apps/v1", kind, Some(NS)) {
            let containers: Vec<&str> = d["spec"]["template"]["spec"]["containers"]
                .as_array()
                .map(|cs| cs.iter().filter_map(|c| c["name"].as_str()).collect())
                .unwrap_or_default();
            let c0 = &d["spec"]["template"]["spec"]["containers"][0];
            out.push(format!(
                "{kind}/{} replicas={} labels={} containers={containers:?} env={} envFrom={}",
                d["metadata"]["name"].as_str().unwrap_or_default(),
                d["spec"]["replicas"],
                d["spec"]["template"]["metadata"]["labels"],
                c0["env"],
                c0["envFrom"]
            ));
        }
    }
    for h in c.list("autoscaling/v2", "HorizontalPodAutoscaler", Some(NS)) {
        out.push(format!(
            "hpa/{} -> {} {}..={}",
            h["metadata"]["name"].as_str().unwrap_or_default(),
            h["spec"]["scaleTargetRef"]["name"],
            h["spec"]["minReplicas"],
            h["spec"]["maxReplicas"]
        ));
    }
    for s in c.list("v1", "Secret", Some(NS)) {
        let keys: Vec<&String> = s["data"]
            .as_object()
            .map(|m| m.keys().collect())
            .unwrap_or_default();
        out.push(format!(
            "secret/{} keys={keys:?}",
            s["metadata"]["name"].as_str().unwrap_or_default()
        ));
    }
    out
}

#[tokio::test]
async fn the_fixture_manifests_match_the_built_in_scenario() {
    let from_yaml = SimCluster::start(Scenario::from_manifests(FIXTURE).unwrap())
        .await
        .unwrap();
    let built_in = SimCluster::start(Scenario::mcp_production()).await.unwrap();
    assert_eq!(names(&from_yaml), names(&built_in));
    assert_eq!(shape(&from_yaml), shape(&built_in));
    let images: Vec<Value> = from_yaml
        .list("apps/v1", "Deployment", Some(NS))
        .iter()
        .map(|d| d["spec"]["template"]["spec"]["containers"][0]["image"].clone())
        .collect();
    assert_eq!(
        images,
        vec![
            Value::from("ghcr.io/your-org/mcp-learning-system:v1.0.0"),
            Value::from("ghcr.io/your-org/mcp-rust-server:v1.0.0"),
            Value::from("ghcr.io/your-org/mcp-typescript-server:v1.0.0"),
        ]
    );
}
