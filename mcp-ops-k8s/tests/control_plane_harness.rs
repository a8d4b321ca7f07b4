//! The control-plane harness itself: it serves the fixture with Running pods, gives each test
//! a namespace, restarts the API server on demand, and leaves no process behind — neither
//! after a test that panics nor after a test process that is killed outright.
#![cfg(feature = "testing")]
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::path::{Path, PathBuf};
use std::time::Duration;

use mcp_ops_k8s::testing::{ControlPlane, ControlPlaneOptions};

const FIXTURE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/deploy/fixtures/mcp-production.yaml"
);
/// Set in the child process of the orphan tests: what the child should do.
const CHILD_ENV: &str = "MCP_OPS_HARNESS_CHILD";

/// Every process whose command line mentions `marker`.
fn processes_mentioning(marker: &str) -> Vec<String> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if !name.chars().all(|c| c.is_ascii_digit()) || name == std::process::id().to_string() {
            continue;
        }
        if let Ok(cmd) = std::fs::read(entry.path().join("cmdline")) {
            let cmd = String::from_utf8_lossy(&cmd).replace('\0', " ");
            if cmd.contains(marker) {
                found.push(format!("{name}: {cmd}"));
            }
        }
    }
    found
}

#[tokio::test]
async fn the_fixture_runs_in_a_namespace_of_its_own() {
    let cp = ControlPlane::shared().await.unwrap();
    let ns = cp.namespace("harness").await.unwrap();
    cp.apply_fixture(Path::new(FIXTURE), &ns).await.unwrap();
    let phases = cp
        .kubectl(&[
            "get",
            "pods",
            "-n",
            &ns,
            "-o",
            "jsonpath={.items[*].status.phase}",
        ])
        .await
        .unwrap();
    let phases: Vec<&str> = phases.split_whitespace().collect();
    // 3 + 2 + 3 deployment replicas and the two StatefulSets' pods.
    assert_eq!(phases.len(), 10, "{phases:?}");
    assert!(phases.iter().all(|p| *p == "Running"), "{phases:?}");
    let nodes = cp
        .kubectl(&["get", "nodes", "-o", "jsonpath={.items[*].metadata.name}"])
        .await
        .unwrap();
    assert_eq!(nodes.trim(), "ip-10-0-1-11 ip-10-0-1-12 ip-10-0-1-13");
    let other = cp.namespace("harness").await.unwrap();
    assert_ne!(ns, other);
}

/// Runs this test binary again as a child doing `what` with a control plane of its own, and
/// returns the launcher's work directory the child reported.
fn run_child(what: &str) -> (std::process::ExitStatus, PathBuf) {
    let report = tempfile::NamedTempFile::new().unwrap();
    let mut child = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "child_with_a_control_plane", "--nocapture"])
        .env(CHILD_ENV, what)
        .env("MCP_OPS_HARNESS_REPORT", report.path())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut work = String::new();
    for _ in 0..6000 {
        work = std::fs::read_to_string(report.path()).unwrap();
        if !work.is_empty() {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(
        !work.is_empty(),
        "the child never reported its control plane"
    );
    assert!(
        !processes_mentioning(&work).is_empty(),
        "no process of the child's control plane was seen"
    );
    if what == "kill" {
        child.kill().unwrap();
    }
    let status = child.wait().unwrap();
    (status, PathBuf::from(work))
}

fn assert_no_orphans(work: &Path) {
    let marker = work.display().to_string();
    let mut left = processes_mentioning(&marker);
    for _ in 0..400 {
        if left.is_empty() {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
        left = processes_mentioning(&marker);
    }
    assert!(left.is_empty(), "processes left behind: {left:#?}");
}

#[test]
fn a_panicking_test_leaves_no_process_behind() {
    let (status, work) = run_child("panic");
    assert!(!status.success(), "the child test was meant to fail");
    assert_no_orphans(&work);
    assert!(
        !work.exists(),
        "the work directory {} was left",
        work.display()
    );
}

#[test]
fn a_killed_test_process_leaves_no_process_behind() {
    let (_, work) = run_child("kill");
    assert_no_orphans(&work);
}

/// Not a test of its own: the child of the two tests above (does nothing when run directly).
#[tokio::test]
async fn child_with_a_control_plane() {
    let Ok(what) = std::env::var(CHILD_ENV) else {
        return;
    };
    let cp = ControlPlane::start(ControlPlaneOptions::default())
        .await
        .unwrap();
    let (_, work) = cp.launcher().unwrap();
    let report = std::env::var("MCP_OPS_HARNESS_REPORT").unwrap();
    std::fs::write(report, work.display().to_string()).unwrap();
    if what == "kill" {
        tokio::time::sleep(Duration::from_secs(600)).await;
    }
    panic!("this child test fails on purpose, with a control plane in scope");
}

#[tokio::test]
async fn the_api_server_restarts_and_keeps_its_data() {
    let cp = ControlPlane::start(ControlPlaneOptions::default())
        .await
        .unwrap();
    let ns = cp.namespace("restart").await.unwrap();
    cp.kubectl(&[
        "create",
        "configmap",
        "kept",
        "-n",
        &ns,
        "--from-literal=k=v",
    ])
    .await
    .unwrap();
    cp.stop_apiserver().await.unwrap();
    assert!(
        cp.kubectl(&["get", "configmap", "kept", "-n", &ns])
            .await
            .is_err()
    );
    cp.start_apiserver().await.unwrap();
    let v = cp
        .kubectl(&[
            "get",
            "configmap",
            "kept",
            "-n",
            &ns,
            "-o",
            "jsonpath={.data.k}",
        ])
        .await
        .unwrap();
    assert_eq!(v, "v");
}
