//! The real control plane side of the `triage_memory` bench: start it with nodes that hold
//! the pods, seed the pods through a Deployment (kube-controller-manager creates them, the
//! scheduler binds them, kwok makes them Running), and count API requests from
//! kube-apiserver's own `apiserver_request_total` counters.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};

use mcp_ops_k8s::testing::{ControlPlane, ControlPlaneOptions};

use super::NS;

/// Three fake nodes (the runbook's), each with room for a third of `pods` and some spare.
pub async fn start(pods: usize) -> ControlPlane {
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../mcp-ops-k8s/deploy/fixtures/mcp-production.yaml");
    ControlPlane::start(ControlPlaneOptions {
        fixtures: vec![fixture],
        max_pods: u32::try_from(pods / 3 + 500).unwrap(),
        node_cpus: 64,
        node_memory_gib: 256,
        ..ControlPlaneOptions::default()
    })
    .await
    .unwrap()
}

/// Pods in all namespaces now.
pub async fn pod_count(cp: &ControlPlane) -> usize {
    cp.kubectl(&["get", "pods", "-A", "--no-headers"])
        .await
        .unwrap()
        .lines()
        .count()
}

/// Adds Deployment `bulk` in [`NS`] so that the cluster holds `want` pods, and waits (at most
/// `limit`) until all of its replicas are ready. Returns the pods then in the cluster.
pub async fn seed(cp: &ControlPlane, want: usize, limit: Duration) -> usize {
    let have = pod_count(cp).await;
    let replicas = want.saturating_sub(have);
    let t = Instant::now();
    cp.kubectl(&[
        "create",
        "deployment",
        "bulk",
        "-n",
        NS,
        "--image=registry.local/bulk:v1",
        &format!("--replicas={replicas}"),
    ])
    .await
    .unwrap();
    let mut last_print = Instant::now();
    loop {
        let ready: usize = cp
            .kubectl(&[
                "get",
                "deployment",
                "bulk",
                "-n",
                NS,
                "-o",
                "jsonpath={.status.readyReplicas}",
            ])
            .await
            .unwrap()
            .trim()
            .parse()
            .unwrap_or(0);
        if ready >= replicas {
            println!("  {replicas} bulk pods Ready in {:.1?}", t.elapsed());
            break;
        }
        if t.elapsed() > limit {
            println!(
                "  only {ready} of {replicas} bulk pods Ready after {:.1?}; measuring as is",
                t.elapsed()
            );
            break;
        }
        if last_print.elapsed() > Duration::from_secs(30) {
            println!(
                "    {ready} of {replicas} bulk pods Ready ({:.0?})",
                t.elapsed()
            );
            last_print = Instant::now();
        }
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
    pod_count(cp).await
}

/// kube-apiserver's request counters for resource reads, `"VERB resource[/subresource]"` →
/// count (all clients, all response codes). Writes (kwok's leases and status patches) and
/// non-resource paths (this scrape, discovery) are left out.
pub async fn reads(cp: &ControlPlane) -> BTreeMap<String, u64> {
    let text = cp.kubectl(&["get", "--raw", "/metrics"]).await.unwrap();
    let mut out = BTreeMap::new();
    for line in text.lines() {
        let Some(rest) = line.strip_prefix("apiserver_request_total{") else {
            continue;
        };
        let Some((labels, value)) = rest.rsplit_once("} ") else {
            continue;
        };
        let labels: BTreeMap<&str, &str> = labels
            .split("\",")
            .filter_map(|kv| kv.split_once("=\""))
            .map(|(k, v)| (k, v.trim_end_matches('"')))
            .collect();
        let (verb, resource) = (labels.get("verb"), labels.get("resource"));
        let (Some(verb), Some(resource)) = (verb, resource) else {
            continue;
        };
        if resource.is_empty() || !matches!(*verb, "GET" | "LIST") {
            continue;
        }
        let key = match labels.get("subresource").filter(|s| !s.is_empty()) {
            Some(sub) => format!("{verb} {resource}/{sub}"),
            None => format!("{verb} {resource}"),
        };
        let n = value.trim().parse::<f64>().unwrap_or(0.0) as u64;
        *out.entry(key).or_insert(0) += n;
    }
    out
}

/// What grew between two [`reads`] snapshots.
pub fn grown(
    before: &BTreeMap<String, u64>,
    after: &BTreeMap<String, u64>,
) -> BTreeMap<String, u64> {
    after
        .iter()
        .map(|(k, v)| {
            (
                k.clone(),
                v.saturating_sub(before.get(k).copied().unwrap_or(0)),
            )
        })
        .filter(|(_, v)| *v > 0)
        .collect()
}
