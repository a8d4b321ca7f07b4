//! P0 triage with 2,000 pods in `mcp-production`: `ops triage` against the runbook's kubectl
//! sequence (get nodes, get pods, get services, get ingress, rollout history × 3, get events
//! --sort-by, top nodes, top pods), on the simulator and on the real control plane, rounds
//! interleaved in one run. Not a test: prints medians and ratios.
//!
//! kubectl is called directly (the control plane's release, `MCP_OPS_KUBECTL`), never through
//! a version dispatcher. The real control plane has no metrics-server, so there both `kubectl
//! top` calls fail fast (their time still counts) and `ops triage` reports its usage checks
//! as unknown: the kubectl side does less work there, not more.
//!
//! `export MCP_OPS_CONTROL_PLANE_BIN=$(scripts/build-control-plane)` then
//! `MCP_OPS_KUBECTL=$MCP_OPS_CONTROL_PLANE_BIN/kubectl cargo bench -p mcp-ops-examples --bench p0_triage_ops`
//! (`MCP_OPS_BENCH_ROUNDS`, default 5).
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use mcp_ops_k8s::sim::{Scenario, SimCluster, scenario};
use mcp_ops_k8s::testing::{ControlPlane, ControlPlaneOptions};

const NS: &str = "mcp-production";
const APPS: [&str; 3] = [
    "mcp-typescript-api",
    "mcp-learning-system",
    "mcp-rust-server",
];
const BULK: i64 = 1990;

fn kubectl() -> PathBuf {
    std::env::var_os("MCP_OPS_KUBECTL")
        .map(PathBuf::from)
        .expect("set MCP_OPS_KUBECTL to the control plane's kubectl (scripts/build-control-plane)")
}

fn runbook_steps() -> Vec<Vec<String>> {
    let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
    let mut steps = vec![
        s(&["get", "nodes"]),
        s(&["get", "pods", "-n", NS]),
        s(&["get", "services", "-n", NS]),
        s(&["get", "ingress", "-n", NS]),
    ];
    for a in APPS {
        steps.push(s(&[
            "rollout",
            "history",
            &format!("deployment/{a}"),
            "-n",
            NS,
        ]));
    }
    steps.push(s(&["get", "events", "-n", NS, "--sort-by=.lastTimestamp"]));
    steps.push(s(&["top", "nodes"]));
    steps.push(s(&["top", "pods", "-n", NS]));
    steps
}

/// The runbook's sequence, one kubectl process a step, as an operator types it.
fn kubectl_sequence(kubeconfig: &Path, home: &Path, expect_metrics: bool) -> Duration {
    let t = Instant::now();
    for step in runbook_steps() {
        let out = std::process::Command::new(kubectl())
            .arg(format!("--kubeconfig={}", kubeconfig.display()))
            .arg(format!("--cache-dir={}", home.join("cache").display()))
            .args(&step)
            .env("HOME", home)
            .env_remove("KUBECONFIG")
            .output()
            .unwrap();
        let is_top = step[0] == "top";
        assert!(
            out.status.success() || (is_top && !expect_metrics),
            "kubectl {step:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    t.elapsed()
}

/// `ops triage` as a user runs it (one process, JSON output). Its HTTP check goes to a closed
/// loopback port: the runbook's default URL is not ours to probe from here.
fn ops_triage(kubeconfig: &Path) -> Duration {
    let t = Instant::now();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_ops"))
        .args(["--kubeconfig"])
        .arg(kubeconfig)
        .args([
            "--namespace",
            NS,
            "--health-url",
            "http://127.0.0.1:9/health",
        ])
        .args(["--output", "json", "triage"])
        .output()
        .unwrap();
    let took = t.elapsed();
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "ops triage printed no JSON ({e}): {}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    assert!(json.is_object(), "{json}");
    took
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

/// Interleaved rounds on one target; returns (ops median, kubectl median).
fn measure(name: &str, kubeconfig: &Path, rounds: usize, metrics: bool) -> (Duration, Duration) {
    let home = tempfile::tempdir().unwrap();
    // Warm-up: kubectl's discovery cache, the page cache for both programs.
    ops_triage(kubeconfig);
    kubectl_sequence(kubeconfig, home.path(), metrics);
    let (mut ops, mut kubectl) = (Vec::new(), Vec::new());
    for i in 0..rounds {
        if i % 2 == 0 {
            ops.push(ops_triage(kubeconfig));
            kubectl.push(kubectl_sequence(kubeconfig, home.path(), metrics));
        } else {
            kubectl.push(kubectl_sequence(kubeconfig, home.path(), metrics));
            ops.push(ops_triage(kubeconfig));
        }
    }
    let (o, k) = (median(ops), median(kubectl));
    println!(
        "  {name:<22} ops triage {o:>10.1?}   kubectl sequence {k:>10.1?}   ratio {:.1}x",
        k.as_secs_f64() / o.as_secs_f64().max(1e-6)
    );
    (o, k)
}

#[tokio::main]
async fn main() {
    let rounds: usize = std::env::var("MCP_OPS_BENCH_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5);
    println!(
        "P0 triage, {} pods in {NS}, median of {rounds} interleaved rounds",
        BULK + 10
    );

    let sim = SimCluster::start(Scenario::mcp_production().with_object(scenario::deployment(
        NS,
        "bulk",
        "registry.local/bulk:v1",
        BULK,
        8080,
    )))
    .await
    .unwrap();
    let sim_pods = sim.list("v1", "Pod", Some(NS)).len();

    let fixture = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../mcp-ops-k8s/deploy/fixtures/mcp-production.yaml");
    let started = Instant::now();
    let cp = ControlPlane::start(ControlPlaneOptions {
        fixtures: vec![fixture],
        max_pods: 1000,
        ..ControlPlaneOptions::default()
    })
    .await
    .unwrap();
    let start_up = started.elapsed();
    let t = Instant::now();
    cp.kubectl(&[
        "create",
        "deployment",
        "bulk",
        "-n",
        NS,
        "--image=registry.local/bulk:v1",
        &format!("--replicas={BULK}"),
    ])
    .await
    .unwrap();
    cp.kubectl(&[
        "wait",
        "--for=condition=Available",
        "deployment/bulk",
        "-n",
        NS,
        "--timeout=900s",
    ])
    .await
    .unwrap();
    let real_pods = cp
        .kubectl(&["get", "pods", "-n", NS, "--no-headers"])
        .await
        .unwrap()
        .lines()
        .count();
    println!(
        "  control plane up in {start_up:.1?}; {BULK} more pods Running in {:.1?}",
        t.elapsed()
    );
    assert_eq!(sim_pods, real_pods, "both targets hold the same pods");

    let (so, sk) = measure("simulator", sim.kubeconfig_path(), rounds, true);
    let (ro, rk) = measure("real control plane", cp.kubeconfig_path(), rounds, false);
    println!(
        "ratios kubectl/ops: simulator {:.1}x, real control plane {:.1}x",
        sk.as_secs_f64() / so.as_secs_f64().max(1e-6),
        rk.as_secs_f64() / ro.as_secs_f64().max(1e-6)
    );
}
