//! `sim-cluster` serves a cluster that real kubectl can use from another process, prints one
//! line, and stops cleanly on SIGTERM and SIGINT, removing its kubeconfig.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn start(kubeconfig: &Path) -> (Child, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_sim-cluster"))
        .args(["--kubeconfig-out", kubeconfig.to_str().unwrap()])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("sim-cluster starts");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    (child, line)
}

fn kubectl(kubeconfig: &Path, home: &Path, args: &[&str]) -> std::process::Output {
    Command::new("kubectl")
        .arg("--kubeconfig")
        .arg(kubeconfig)
        .arg("--cache-dir")
        .arg(home.join("cache"))
        .args(args)
        .env("HOME", home)
        .output()
        .expect("kubectl is on PATH (install the kubectl package)")
}

fn stop(mut child: Child, signal: &str) -> std::process::ExitStatus {
    let pid = child.id().to_string();
    let sent = Command::new("kill").args([signal, &pid]).status().unwrap();
    assert!(sent.success());
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        assert!(
            Instant::now() < deadline,
            "sim-cluster did not stop on {signal}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn kubectl_works_against_the_standalone_server_and_sigterm_stops_it() {
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = dir.path().join("sim.yaml");
    let (child, line) = start(&kubeconfig);
    assert!(
        line.starts_with("sim-cluster: serving http://127.0.0.1:"),
        "{line}"
    );
    assert!(line.contains(kubeconfig.to_str().unwrap()), "{line}");
    assert!(kubeconfig.exists());

    let out = kubectl(
        &kubeconfig,
        dir.path(),
        &["get", "deploy", "-n", "mcp-production"],
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for name in [
        "mcp-typescript-api",
        "mcp-learning-system",
        "mcp-rust-server",
    ] {
        assert!(text.contains(name), "{text}");
    }
    let out = kubectl(
        &kubeconfig,
        dir.path(),
        &[
            "rollout",
            "history",
            "deployment/mcp-typescript-api",
            "-n",
            "mcp-production",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("REVISION"));

    let status = stop(child, "-TERM");
    assert!(status.success(), "{status:?}");
    assert!(!kubeconfig.exists(), "the stale kubeconfig is removed");
}

#[test]
fn sigint_stops_it_too() {
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = dir.path().join("sim.yaml");
    let (child, line) = start(&kubeconfig);
    assert!(line.starts_with("sim-cluster: serving"), "{line}");
    assert!(stop(child, "-INT").success());
}

#[test]
fn bad_arguments_exit_2_with_one_line() {
    for args in [
        vec!["--scenario", "nope", "--kubeconfig-out", "/tmp/x"],
        vec![],
        vec!["--kubeconfig-out", "/tmp/x", "--port", "70000"],
        vec![
            "--kubeconfig-out",
            "/tmp/x",
            "--scenario",
            "scaled",
            "--pods-per-deployment",
            "0",
        ],
    ] {
        let out = Command::new(env!("CARGO_BIN_EXE_sim-cluster"))
            .args(&args)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(err.trim_end().lines().count(), 1, "{args:?}: {err}");
        assert!(!err.contains("panicked"));
    }
}
