//! `ops deploy`, `rollback`, `scale` and `investigate` on a separate simulated cluster: values
//! no container or autoscaler runs with and objects that do not exist are refused with exit
//! 2, one line, before anything changes on the cluster; `investigate errors|latency` with
//! Prometheus partial, frozen (SIGSTOP) or killed says unknown, never pass.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod common;

use common::{SeparateSim, ops, signal};
use mcp_ops_alerts::testing::{SeriesSet, TestPrometheus};

const API: &str = "mcp-typescript-api";
const V1: &str = "ghcr.io/your-org/mcp-typescript-server:v1.0.1";

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap()
}

/// `ops investigate errors|latency` against `prom_url`: (exit code, stdout).
fn investigate(c: &SeparateSim, prom_url: &str, what: &str) -> (i32, String) {
    let out = ops()
        .arg("--kubeconfig")
        .arg(c.kubeconfig())
        .args(["--prometheus-url", prom_url, "investigate", what])
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

#[test]
fn investigate_without_metrics_never_says_pass() {
    let rt = runtime();
    let c = SeparateSim::start();
    // Series for one service only: the two others have no data.
    let partial = SeriesSet::ending_now()
        .requests(API, 20.0, 0.01)
        .latency(API, 20.0, 0.3);
    let prom = rt.block_on(TestPrometheus::start(&partial)).unwrap();
    for (what, head) in [("errors", "error rate: "), ("latency", "p95 latency: ")] {
        let (code, out) = investigate(&c, prom.url(), what);
        assert_eq!(code, 1, "{what}: {out}");
        assert!(out.starts_with(&format!("{head}unknown")), "{what}: {out}");
    }
    // Frozen (SIGSTOP): unknown, within the investigation's deadline.
    signal(prom.pid(), "-STOP");
    for (what, head) in [("errors", "error rate: "), ("latency", "p95 latency: ")] {
        let (code, out) = investigate(&c, prom.url(), what);
        assert_eq!(code, 1, "{what}: {out}");
        assert!(
            out.starts_with(&format!("{head}unknown")),
            "frozen {what}: {out}"
        );
    }
    signal(prom.pid(), "-CONT");
    // Killed.
    let url = prom.url().to_owned();
    signal(prom.pid(), "-KILL");
    for (what, head) in [("errors", "error rate: "), ("latency", "p95 latency: ")] {
        let (code, out) = investigate(&c, &url, what);
        assert_eq!(code, 1, "{what}: {out}");
        assert!(
            out.starts_with(&format!("{head}unknown")),
            "killed {what}: {out}"
        );
    }
}

/// `ops --kubeconfig <c> args…` must exit 2 with one line on stderr and change nothing on the
/// cluster (every Deployment and HPA keeps its resourceVersion).
fn refused_on(c: &SeparateSim, args: &[&str], says: &str) {
    let versions = || {
        let mut v: Vec<String> = ["Deployment", "HorizontalPodAutoscaler"]
            .iter()
            .flat_map(|k| {
                let api = if *k == "Deployment" {
                    "apps/v1"
                } else {
                    "autoscaling/v2"
                };
                c.sim.list(api, k, Some("mcp-production"))
            })
            .map(|o| {
                format!(
                    "{}={}",
                    o["metadata"]["name"], o["metadata"]["resourceVersion"]
                )
            })
            .collect();
        v.sort();
        v
    };
    let before = versions();
    let out = ops()
        .arg("--kubeconfig")
        .arg(c.kubeconfig())
        .args(args)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
    assert_eq!(stderr.lines().count(), 1, "{args:?}: {stderr}");
    assert!(stderr.contains(says), "{args:?}: {stderr}");
    assert!(
        !stderr.contains("Some(") && !stderr.contains("None"),
        "{stderr}"
    );
    assert!(out.stdout.is_empty(), "{args:?}");
    assert_eq!(versions(), before, "{args:?} changed the cluster");
}

#[test]
fn bad_values_and_missing_objects_are_refused_before_anything_changes() {
    let c = SeparateSim::start();
    let v1 = format!("{API}={V1}");
    // Evidence of 100,000 characters: over the 4,096 a free text may have.
    let huge = "tests passed ".repeat(100_000 / 13);
    for (args, says) in [
        (
            vec!["scale", "mcp-rust-server", "--cpu", "0", "--memory", "1Gi"],
            "cpu request 0",
        ),
        (
            vec!["scale", "mcp-rust-server", "--cpu", "1n", "--memory", "1Gi"],
            "at least 1m",
        ),
        (
            vec!["scale", "mcp-rust-server", "--cpu", "1", "--memory", "0"],
            "memory request 0",
        ),
        (
            vec!["scale", "mcp-rust-server", "--cpu", "1", "--memory", "0.5"],
            "whole number of bytes",
        ),
        (
            vec!["scale", "mcp-rust-server", "--cpu", "1", "--memory", "1m"],
            "whole number of bytes",
        ),
        (
            vec![
                "scale",
                "mcp-rust-server",
                "--cpu",
                "1",
                "--memory",
                "1Gi",
                "--memory-limit",
                "0.5",
            ],
            "memory limit",
        ),
        (
            vec!["scale", "mcp-rust-server", "--replicas", "100000"],
            "maximum of 1000",
        ),
        (
            vec!["scale", API, "--replicas", "0"],
            "cannot hold 0 replicas",
        ),
        (
            vec!["scale", API, "--hpa-max", "20", "--replicas", "0"],
            "cannot hold 0 replicas",
        ),
        (vec!["scale", API, "--hpa-max", "1"], "at most maxReplicas"),
        (
            vec![
                "scale",
                API,
                "--hpa-max",
                "20",
                "--cpu",
                "1",
                "--memory",
                "1Gi",
                "--container",
                "nope",
            ],
            "not found",
        ),
        (vec!["scale", "nothere", "--replicas", "3"], "not found"),
        (
            vec!["deploy", "nothere", "c=ghcr.io/x/y:1"],
            "deployment mcp-production/nothere not found",
        ),
        (vec!["deploy", API, "nope=ghcr.io/x/y:1"], "container nope"),
        (
            vec!["deploy", API, &v1, "--bake-seconds", "86401"],
            "24 h bound",
        ),
        (
            vec!["deploy", API, &v1, "--bake-seconds", "18446744073709551615"],
            "24 h bound",
        ),
        (vec!["rollback", "nothere"], "not found"),
        (
            vec!["deploy", API, &v1, "--evidence", &huge],
            "checklist.tests",
        ),
        (
            vec![
                "deploy",
                API,
                &v1,
                "--evidence",
                "ok",
                "--force",
                "\u{202e}reason",
            ],
            "force",
        ),
        (
            vec![
                "deploy",
                API,
                &v1,
                "--evidence",
                "ok",
                "--rollback-plan",
                "\u{200b}",
            ],
            "rollback_plan",
        ),
    ] {
        refused_on(&c, &args, says);
    }
}
