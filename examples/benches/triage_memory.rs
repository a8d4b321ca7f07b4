//! `ops triage` against `kubectl get pods -A` alone at 10,000 pods: wall time, peak RSS
//! (`/usr/bin/time -f %M`, the child's high-water mark) and the API requests one triage makes,
//! rounds interleaved in one run. Not a test: prints medians and ratios (goals: triage peak ≤
//! kubectl's, triage time ≤ 0.5× kubectl's).
//!
//! On the simulator always (it counts requests itself); with `MCP_OPS_BENCH_REAL=1` also on the
//! real control plane (`mcp_ops_k8s::testing::ControlPlane`, the judge), whose pods come from a
//! Deployment that kube-controller-manager, kube-scheduler and kwok make Running, and whose
//! requests are read from kube-apiserver's `apiserver_request_total` (see
//! `triage_memory/control_plane.rs`). `MCP_OPS_BENCH_SIM=0` skips the simulator.
//!
//! `cargo bench -p mcp-ops-examples --bench triage_memory` (`MCP_OPS_BENCH_ROUNDS`, default
//! 5; `MCP_OPS_BENCH_PODS`, default 10,000; `MCP_OPS_BENCH_SEED_SECS`, default 1200, the most
//! the real pods may take to become Ready; `MCP_OPS_KUBECTL`, default `kubectl` on PATH;
//! `MCP_OPS_CONTROL_PLANE_BIN` from `scripts/build-control-plane` for the real one; needs GNU
//! time at /usr/bin/time).
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use mcp_ops_k8s::sim::{Scenario, SimCluster, scenario};

#[path = "triage_memory/control_plane.rs"]
mod control_plane;

const NS: &str = "mcp-production";

fn kubectl() -> PathBuf {
    std::env::var_os("MCP_OPS_KUBECTL").map_or_else(|| PathBuf::from("kubectl"), PathBuf::from)
}

/// Runs `cmd` under GNU time; returns (wall time, peak RSS in KiB, stdout).
/// `ops triage` exits non-zero when it finds trouble (the closed health port is a P0), so
/// only kubectl must succeed.
fn timed(cmd: Command, what: &str, must_succeed: bool) -> (Duration, u64, Vec<u8>) {
    let rss_file = tempfile::NamedTempFile::new().unwrap();
    let mut wrapped = Command::new("/usr/bin/time");
    wrapped
        .args(["-f", "%M", "-o"])
        .arg(rss_file.path())
        .arg(cmd.get_program())
        .args(cmd.get_args());
    for (k, v) in cmd.get_envs() {
        match v {
            Some(v) => wrapped.env(k, v),
            None => wrapped.env_remove(k),
        };
    }
    let t = Instant::now();
    let out = wrapped.output().unwrap();
    let took = t.elapsed();
    assert!(
        out.status.success() || !must_succeed,
        "{what}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rss = std::fs::read_to_string(rss_file.path())
        .unwrap()
        .lines()
        .last()
        .and_then(|l| l.trim().parse().ok())
        .unwrap_or_else(|| panic!("{what}: no peak RSS from /usr/bin/time"));
    (took, rss, out.stdout)
}

fn ops_triage(kubeconfig: &Path) -> (Duration, u64) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_ops"));
    cmd.arg("--kubeconfig")
        .arg(kubeconfig)
        .args([
            "--namespace",
            NS,
            "--health-url",
            "http://127.0.0.1:9/health",
        ])
        .args(["--output", "json", "triage"]);
    let (took, rss, stdout) = timed(cmd, "ops triage", false);
    let json: serde_json::Value = serde_json::from_slice(&stdout).expect("ops triage JSON");
    assert!(json.is_object(), "{json}");
    (took, rss)
}

fn kubectl_get_pods(kubeconfig: &Path, home: &Path, pods: usize) -> (Duration, u64) {
    let mut cmd = Command::new(kubectl());
    cmd.arg(format!("--kubeconfig={}", kubeconfig.display()))
        .arg(format!("--cache-dir={}", home.join("cache").display()))
        .args(["get", "pods", "-A", "--no-headers"])
        .env("HOME", home)
        .env_remove("KUBECONFIG");
    let (took, rss, stdout) = timed(cmd, "kubectl get pods -A", true);
    let lines = stdout.iter().filter(|b| **b == b'\n').count();
    assert!(lines >= pods, "kubectl listed {lines} pods, want {pods}");
    (took, rss)
}

fn median<T: Ord + Copy>(mut v: Vec<T>) -> T {
    v.sort();
    v[v.len() / 2]
}

/// The request counts of one triage, by `"METHOD path"` (simulator) or `"VERB resource"`
/// (kube-apiserver), and how many of them were pod LIST pages.
fn summarize(diff: &BTreeMap<String, u64>) -> (u64, u64) {
    let total = diff.values().sum();
    let pod_lists = diff
        .iter()
        .filter(|(k, _)| {
            (k.starts_with("GET /api/v1/") && k.ends_with("/pods")) || k.as_str() == "LIST pods"
        })
        .map(|(_, v)| v)
        .sum();
    (total, pod_lists)
}

/// Interleaved rounds of both programs; prints medians, ratios and `requests` (one triage's).
fn measure(
    target: &str,
    kubeconfig: &Path,
    pods: usize,
    rounds: usize,
    requests: &BTreeMap<String, u64>,
) {
    let home = tempfile::tempdir().unwrap();
    // Warm-up: kubectl's discovery cache, the page cache for both programs.
    ops_triage(kubeconfig);
    kubectl_get_pods(kubeconfig, home.path(), pods);
    let (mut ot, mut or, mut kt, mut kr) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for i in 0..rounds {
        let mut ops = || {
            let (t, r) = ops_triage(kubeconfig);
            ot.push(t);
            or.push(r);
        };
        if i % 2 == 0 {
            ops();
        }
        let (t, r) = kubectl_get_pods(kubeconfig, home.path(), pods);
        kt.push(t);
        kr.push(r);
        if i % 2 == 1 {
            ops();
        }
    }
    let (ot, or, kt, kr) = (median(ot), median(or), median(kt), median(kr));
    let mib = |k: u64| k as f64 / 1024.0;
    println!("{target}: {pods} pods, median of {rounds} interleaved rounds");
    println!(
        "  ops triage            {ot:>9.1?}   peak RSS {:>7.1} MiB",
        mib(or)
    );
    println!(
        "  kubectl get pods -A   {kt:>9.1?}   peak RSS {:>7.1} MiB",
        mib(kr)
    );
    println!(
        "  ratios triage/kubectl: time {:.2}x (goal <= 0.5x), peak RSS {:.2}x (goal <= 1x)",
        ot.as_secs_f64() / kt.as_secs_f64().max(1e-9),
        or as f64 / (kr as f64).max(1.0)
    );
    let (total, pod_lists) = summarize(requests);
    println!("  one triage: {total} API requests, {pod_lists} of them pod LIST pages");
    for (k, v) in requests {
        println!("    {v:>4}  {k}");
    }
}

fn env_usize(k: &str, d: usize) -> usize {
    std::env::var(k)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(d)
}

async fn on_simulator(want: usize, rounds: usize) {
    let started = Instant::now();
    let sim = SimCluster::start(Scenario::mcp_production().with_object(scenario::deployment(
        NS,
        "bulk",
        "registry.local/bulk:v1",
        i64::try_from(want.saturating_sub(10)).unwrap(),
        8080,
    )))
    .await
    .unwrap();
    let pods = sim.list("v1", "Pod", None).len();
    println!("simulator up with {pods} pods in {:.1?}", started.elapsed());
    let kubeconfig = sim.kubeconfig_path().to_path_buf();
    ops_triage(&kubeconfig);
    let before = sim.faults().counts();
    ops_triage(&kubeconfig);
    let after = sim.faults().counts();
    let diff: BTreeMap<String, u64> = after
        .iter()
        .map(|(k, v)| (k.clone(), v - before.get(k).copied().unwrap_or(0)))
        .filter(|(_, v)| *v > 0)
        .collect();
    measure("simulator", &kubeconfig, pods, rounds, &diff);
}

async fn on_control_plane(want: usize, rounds: usize) {
    let started = Instant::now();
    let cp = control_plane::start(want).await;
    println!("real control plane up in {:.1?}", started.elapsed());
    let limit = Duration::from_secs(env_usize("MCP_OPS_BENCH_SEED_SECS", 1200) as u64);
    let pods = control_plane::seed(&cp, want, limit).await;
    let kubeconfig = cp.kubeconfig_path().to_path_buf();
    ops_triage(&kubeconfig);
    // Background reads (controllers, kwok) over as long as a triage takes, then one triage.
    let t = Instant::now();
    let before = control_plane::reads(&cp).await;
    ops_triage(&kubeconfig);
    let took = t.elapsed();
    let after = control_plane::reads(&cp).await;
    tokio::time::sleep(took).await;
    let idle = control_plane::reads(&cp).await;
    let diff = control_plane::grown(&before, &after);
    let background: u64 = control_plane::grown(&after, &idle).values().sum();
    println!(
        "  (kube-apiserver counts every client: {background} resource reads by others in an \
         idle {took:.1?}, besides the scrapes)"
    );
    measure("real control plane", &kubeconfig, pods, rounds, &diff);
}

#[tokio::main]
async fn main() {
    let rounds = env_usize("MCP_OPS_BENCH_ROUNDS", 5);
    let want = env_usize("MCP_OPS_BENCH_PODS", 10_000);
    println!("triage vs kubectl get pods -A at {want} pods");
    if std::env::var("MCP_OPS_BENCH_SIM").as_deref() != Ok("0") {
        on_simulator(want, rounds).await;
    }
    if std::env::var("MCP_OPS_BENCH_REAL").as_deref() == Ok("1") {
        on_control_plane(want, rounds).await;
    }
}
