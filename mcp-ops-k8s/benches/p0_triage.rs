//! P0 triage data for `mcp-production` with 2,000 pods: the SDK (concurrent typed calls over
//! one connection pool) versus the runbook's kubectl sequence (get nodes, get pods, get
//! services, get ingress, rollout history × 3, get events --sort-by, top nodes, top pods),
//! both against the same SimCluster. Not a test: prints the timings and their ratio (target:
//! SDK ≥ 20× faster). Run with `cargo bench -p mcp-ops-k8s --features sim --bench p0_triage`
//! (needs kubectl on PATH).
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::time::{Duration, Instant};

use mcp_ops_core::health::{ClusterScope, HealthCheck, HealthTarget};
use mcp_ops_core::types::{DeploymentRef, Namespace};
use mcp_ops_core::{Deployer, Scaler};
use mcp_ops_k8s::KubeCluster;
use mcp_ops_k8s::sim::{Scenario, SimCluster, scenario};

const NS: &str = "mcp-production";
const APPS: [&str; 3] = [
    "mcp-typescript-api",
    "mcp-learning-system",
    "mcp-rust-server",
];

async fn sdk_triage(k: &KubeCluster) -> usize {
    let ns = Namespace::new(NS).unwrap();
    let target = HealthTarget::Cluster(ClusterScope::all(ns.clone()));
    let d: Vec<DeploymentRef> = APPS
        .iter()
        .map(|n| DeploymentRef::new(NS, n).unwrap())
        .collect();
    let (health, h1, h2, h3, usage, nodes) = tokio::join!(
        k.check(&target),
        k.history(&d[0]),
        k.history(&d[1]),
        k.history(&d[2]),
        k.pod_usage(&ns),
        k.node_capacity(),
    );
    health.unwrap().details.len()
        + h1.unwrap().len()
        + h2.unwrap().len()
        + h3.unwrap().len()
        + usage.unwrap().len()
        + nodes.unwrap().len()
}

async fn kubectl_triage(c: &SimCluster, home: &std::path::Path) {
    let mut steps: Vec<Vec<String>> = vec![
        vec!["get".into(), "nodes".into()],
        vec!["get".into(), "pods".into(), "-n".into(), NS.into()],
        vec!["get".into(), "services".into(), "-n".into(), NS.into()],
        vec!["get".into(), "ingress".into(), "-n".into(), NS.into()],
    ];
    for a in APPS {
        steps.push(vec![
            "rollout".into(),
            "history".into(),
            format!("deployment/{a}"),
            "-n".into(),
            NS.into(),
        ]);
    }
    steps.push(vec![
        "get".into(),
        "events".into(),
        "-n".into(),
        NS.into(),
        "--sort-by=.lastTimestamp".into(),
    ]);
    steps.push(vec!["top".into(), "nodes".into()]);
    steps.push(vec!["top".into(), "pods".into(), "-n".into(), NS.into()]);
    for s in steps {
        let out = tokio::process::Command::new("kubectl")
            .arg(format!("--kubeconfig={}", c.kubeconfig_path().display()))
            .arg(format!("--cache-dir={}", home.join("cache").display()))
            .args(&s)
            .env("HOME", home)
            .env_remove("KUBECONFIG")
            .output()
            .await
            .expect("kubectl on PATH (apt-get install -y kubectl)");
        assert!(
            out.status.success(),
            "kubectl {s:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[tokio::main]
async fn main() {
    // 10 runbook pods + 1,990 more = 2,000 pods in mcp-production.
    let scenario = Scenario::mcp_production().with_object(scenario::deployment(
        NS,
        "bulk",
        "registry.local/bulk:v1",
        1990,
        8080,
    ));
    let c = SimCluster::start(scenario).await.unwrap();
    let pods = c.list("v1", "Pod", Some(NS)).len();
    let k = KubeCluster::new(c.client().unwrap());
    let home = tempfile::tempdir().unwrap();

    // One warm-up each (connection pool; kubectl discovery cache), then one measured run.
    sdk_triage(&k).await;
    kubectl_triage(&c, home.path()).await;
    let t = Instant::now();
    let n = sdk_triage(&k).await;
    let sdk = t.elapsed();
    let t = Instant::now();
    kubectl_triage(&c, home.path()).await;
    let kubectl = t.elapsed();
    let ratio = kubectl.as_secs_f64()
        / sdk
            .as_secs_f64()
            .max(Duration::from_micros(1).as_secs_f64());
    println!("P0 triage, {pods} pods in {NS} ({n} facts collected by the SDK)");
    println!("  SDK (concurrent typed calls): {sdk:?}");
    println!("  kubectl sequence (10 commands): {kubectl:?}");
    println!("  ratio kubectl / SDK: {ratio:.1}x (target >= 20x)");
}
