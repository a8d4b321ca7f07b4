//! `ops deploy` under faults, end to end on a separate simulated cluster (its own kubeconfig)
//! and a real Prometheus (`mcp_ops_alerts::testing`): a bake without evidence (no metrics
//! configured, Prometheus killed, Prometheus frozen with SIGSTOP, the cluster lost mid-bake)
//! is never a success, the deployment going bad during the bake fails it without metrics, and
//! the cluster going away during the rollout wait is named with what is already live. Bad
//! values and `investigate` without metrics: `cli_deploy_values.rs`.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod common;
#[path = "common/health_server.rs"]
mod health_server;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{SeparateSim, bad_input, ops, signal};
use health_server::HealthServer;
use mcp_ops_alerts::testing::{SeriesSet, TestPrometheus};
use mcp_ops_k8s::sim::ImageFailure;
use serde_json::Value;

const API: &str = "mcp-typescript-api";
const V0: &str = "ghcr.io/your-org/mcp-typescript-server:v1.0.0";
const V1: &str = "ghcr.io/your-org/mcp-typescript-server:v1.0.1";

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap()
}

/// A real Prometheus with the API's healthy traffic (1 % errors, p95 0.3 s).
fn prometheus(rt: &tokio::runtime::Runtime) -> TestPrometheus {
    let series = SeriesSet::ending_now()
        .requests(API, 20.0, 0.01)
        .latency(API, 20.0, 0.3);
    rt.block_on(TestPrometheus::start(&series)).unwrap()
}

/// `ops --kubeconfig <sim> --health-url <h> [extra…] deploy mcp-typescript-api <V1> …`;
/// returns (exit code, stdout, stderr).
fn deploy(
    c: &SeparateSim,
    h: &HealthServer,
    extra: &[&str],
    flags: &[&str],
) -> (i32, String, String) {
    let image = format!("{API}={V1}");
    let out = ops()
        .arg("--kubeconfig")
        .arg(c.kubeconfig())
        .args(["--health-url", h.url()])
        .args(extra)
        .args([
            "deploy",
            API,
            &image,
            "--evidence",
            "CI green",
            "--force",
            "no database here",
        ])
        .args(["--bake-seconds", "3"])
        .args(flags)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The API's image as the simulated cluster stores it.
fn image_now(c: &SeparateSim) -> String {
    let d = c
        .sim
        .get("apps/v1", "Deployment", "mcp-production", API)
        .unwrap();
    d["spec"]["template"]["spec"]["containers"][0]["image"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// `ops` as a child process (for tests acting on the cluster while it runs), environment
/// as [`ops`] sets it.
fn spawn_ops(args: &[&str], kubeconfig: &std::path::Path) -> std::process::Child {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_ops"));
    for var in common::CALLER_SETTINGS {
        cmd.env_remove(var);
    }
    cmd.env("MCP_OPS_STATE_DIR", common::state_dir())
        .arg("--kubeconfig")
        .arg(kubeconfig)
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// Waits (60 s at most) until the API runs `V1` on every replica of the simulator.
fn wait_rolled_out(c: &SeparateSim) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let d = c
            .sim
            .get("apps/v1", "Deployment", "mcp-production", API)
            .unwrap();
        let s = &d["status"];
        // The status must be of the new template: right after `ops` sets the image, the
        // status still describes the previous rollout (complete) until the controller acts.
        if image_now(c) == V1
            && s["observedGeneration"] == d["metadata"]["generation"]
            && s["updatedReplicas"] == d["spec"]["replicas"]
            && s["availableReplicas"] == d["spec"]["replicas"]
            && s["replicas"] == d["spec"]["replicas"]
        {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "the rollout did not complete: {d}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn a_bake_without_metrics_is_not_a_success_by_default() {
    let (c, h) = (SeparateSim::start(), HealthServer::start());
    // No --prometheus-url: the bake has no metric to read.
    let (code, out, err) = deploy(&c, &h, &[], &[]);
    assert_eq!(code, 1, "{out}\n{err}");
    assert!(out.starts_with("deployed without verification: "), "{out}");
    assert!(out.contains("no metric data in 3 of 3 samples"), "{out}");
    assert!(out.contains("held (--on-no-data hold)"), "{out}");
    assert_eq!(image_now(&c), V1, "hold leaves the new revision running");
}

#[test]
fn on_no_data_accept_exits_0_and_rollback_undoes() {
    let (c, h) = (SeparateSim::start(), HealthServer::start());
    let (code, out, err) = deploy(&c, &h, &[], &["--on-no-data", "accept"]);
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(out.starts_with("deployed without verification: "), "{out}");
    assert!(out.contains("accepted (--on-no-data accept)"), "{out}");

    let (c, h) = (SeparateSim::start(), HealthServer::start());
    let (code, out, err) = deploy(&c, &h, &["--output", "json"], &["--on-no-data", "rollback"]);
    assert_eq!(code, 1, "{out}\n{err}");
    let doc: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(doc["report"]["outcome"]["outcome"], "rolled_back", "{doc}");
    assert_eq!(image_now(&c), V0);
    bad_input(&[
        "deploy",
        API,
        &format!("{API}={V1}"),
        "--on-no-data",
        "maybe",
    ]);
}

#[test]
fn prometheus_killed_or_frozen_leaves_the_deploy_unverified_within_its_bounds() {
    let rt = runtime();
    let h = HealthServer::start();
    // Working Prometheus: the bake passes.
    let prom = prometheus(&rt);
    let c = SeparateSim::start();
    let (code, out, err) = deploy(&c, &h, &["--prometheus-url", prom.url()], &[]);
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(out.starts_with("deployed "), "{out}");

    // Frozen (SIGSTOP): every read is bounded; the deploy ends as unverified.
    let c = SeparateSim::start();
    signal(prom.pid(), "-STOP");
    let (code, out, err) = deploy(&c, &h, &["--prometheus-url", prom.url()], &[]);
    signal(prom.pid(), "-CONT");
    assert_eq!(code, 1, "{out}\n{err}");
    assert!(out.starts_with("deployed without verification: "), "{out}");

    // Killed: connection refused is no data either.
    let c = SeparateSim::start();
    let url = prom.url().to_owned();
    signal(prom.pid(), "-KILL");
    let (code, out, err) = deploy(&c, &h, &["--prometheus-url", &url], &[]);
    assert_eq!(code, 1, "{out}\n{err}");
    assert!(out.starts_with("deployed without verification: "), "{out}");
}

#[test]
fn a_deployment_going_bad_during_the_bake_fails_it_without_metrics() {
    let (c, h) = (SeparateSim::start(), HealthServer::start());
    let image = format!("{API}={V1}");
    let child = spawn_ops(
        &[
            "--health-url",
            h.url(),
            "--output",
            "json",
            "deploy",
            API,
            &image,
            "--evidence",
            "CI green",
            "--force",
            "no database",
            "--bake-seconds",
            "60",
            "--on-no-data",
            "accept",
        ],
        c.kubeconfig(),
    );
    // Once v1.0.1 has rolled out, its containers start crash-looping: pods restarted by
    // the kubelet come back in CrashLoopBackOff.
    wait_rolled_out(&c);
    c.sim.fail_image("v1.0.1", ImageFailure::CrashLoop);
    for pod in c.sim.list("v1", "Pod", Some("mcp-production")) {
        let name = pod["metadata"]["name"].as_str().unwrap_or_default();
        if name.starts_with(API) {
            let kubectl = std::env::var("MCP_OPS_KUBECTL").unwrap_or_else(|_| "kubectl".into());
            let home = tempfile::tempdir().unwrap();
            let ok = Command::new(kubectl)
                .arg("--kubeconfig")
                .arg(c.kubeconfig())
                .args([
                    "delete",
                    "pod",
                    name,
                    "-n",
                    "mcp-production",
                    "--wait=false",
                ])
                .env("HOME", home.path())
                .output()
                .expect("kubectl is on PATH (source the test environment)");
            assert!(ok.status.success(), "{ok:?}");
        }
    }
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    let doc: Value = serde_json::from_str(&stdout).unwrap();
    let why = doc["report"]["outcome"]["why"].as_str().unwrap_or_default();
    assert_eq!(doc["report"]["outcome"]["outcome"], "rolled_back", "{doc}");
    assert!(why.contains("the deployment went bad"), "{why}");
}

#[test]
fn the_cluster_going_away_during_the_rollout_wait_is_named_with_what_is_live() {
    let h = HealthServer::start();
    let c = SeparateSim::start();
    // The new image never becomes ready: the rollout waits (600 s by the runbook).
    c.sim.fail_image("v1.0.1", ImageFailure::CrashLoop);
    let image = format!("{API}={V1}");
    let child = spawn_ops(
        &[
            "--health-url",
            h.url(),
            "deploy",
            API,
            &image,
            "--evidence",
            "CI green",
            "--force",
            "no database",
        ],
        c.kubeconfig(),
    );
    let deadline = Instant::now() + Duration::from_secs(60);
    while image_now(&c) != V1 {
        assert!(Instant::now() < deadline, "the image was never set");
        std::thread::sleep(Duration::from_millis(100));
    }
    std::thread::sleep(Duration::from_secs(1));
    drop(c);
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stdout}\n{stderr}");
    assert!(
        stdout.contains("the API server is unreachable ("),
        "{stdout}"
    );
    assert!(
        stdout.contains(&format!("the Deployment was already patched to image {V1}")),
        "{stdout}"
    );
    assert!(
        stdout.contains("kubectl rollout status deployment/mcp-typescript-api"),
        "{stdout}"
    );
    assert!(!stdout.contains("timed out"), "{stdout}");
}

#[test]
fn the_cluster_lost_mid_bake_leaves_the_deploy_unverified_even_with_metrics() {
    let rt = runtime();
    let prom = prometheus(&rt);
    let h = HealthServer::start();
    let c = SeparateSim::start();
    let image = format!("{API}={V1}");
    let child = spawn_ops(
        &[
            "--health-url",
            h.url(),
            "--prometheus-url",
            prom.url(),
            "deploy",
            API,
            &image,
            "--evidence",
            "CI green",
            "--force",
            "no database",
            "--bake-seconds",
            "20",
        ],
        c.kubeconfig(),
    );
    wait_rolled_out(&c);
    // The bake has begun (health and smoke tests go to the health server): the cluster goes.
    std::thread::sleep(Duration::from_secs(3));
    drop(c);
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.starts_with("deployed without verification: "),
        "{stdout}"
    );
    assert!(stdout.contains("pods unread in"), "{stdout}");
}
