//! `ops history <deployment>` and `ops alerts`, the read-only commands behind `ops mcp`'s
//! `rollout_history` and `alerts` tools: what they list, bad input, and failing closed when
//! the system behind them cannot be read.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
#[path = "common/health_server.rs"]
mod health_server;

use std::time::Duration;

use common::{SeparateSim, bad_input, ops, run, run_on};
use health_server::HealthServer;
use jiff::{SignedDuration, Timestamp};
use mcp_ops_alerts::alertmanager::{AlertFilter, NewAlert};
use mcp_ops_alerts::testing::TestAlertmanager;
use serde_json::Value;

fn json(out: &str) -> Value {
    serde_json::from_str(out).unwrap_or_else(|e| panic!("{e}: {out}"))
}

/// `(revision, image of the one container)` of each line of a history document.
fn revisions(doc: &Value, container: &str) -> Vec<(u64, String)> {
    doc["report"]
        .as_array()
        .unwrap_or_else(|| panic!("no revisions: {doc}"))
        .iter()
        .map(|r| {
            (
                r["revision"].as_u64().unwrap(),
                r["images"][container].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

/// A kubeconfig whose API server is a closed port.
fn dead_kubeconfig(dir: &std::path::Path) -> std::path::PathBuf {
    let path = dir.join("dead.yaml");
    std::fs::write(
        &path,
        "apiVersion: v1\nkind: Config\nclusters:\n- name: dead\n  cluster:\n    server: http://127.0.0.1:9\n\
         contexts:\n- name: dead\n  context: {cluster: dead, user: u, namespace: mcp-production}\n\
         current-context: dead\nusers:\n- name: u\n  user: {}\n",
    )
    .unwrap();
    path
}

const API: &str = "mcp-typescript-api";
const IMAGE: &str = "ghcr.io/your-org/mcp-typescript-server";

#[test]
fn history_lists_the_seeded_revisions_oldest_first() {
    let doc = json(&run(&["--output", "json", "history", API], 0));
    assert_eq!(doc["command"], "history");
    assert_eq!(doc["status"], "ok");
    assert_eq!(
        revisions(&doc, API),
        vec![
            (1, format!("{IMAGE}:v0.9.0")),
            (2, format!("{IMAGE}:v0.9.5")),
            (3, format!("{IMAGE}:v1.0.0")),
        ]
    );
    let causes: Vec<&str> = doc["report"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["change_cause"].as_str().unwrap())
        .collect();
    assert!(causes[2].contains("kubectl set image"), "{causes:?}");
    // One read step, with the runbook's command; nothing mutating.
    let journal = doc["journal"].as_array().unwrap();
    assert_eq!(journal.len(), 1, "{journal:?}");
    assert_eq!(
        journal[0]["command"],
        format!("kubectl rollout history deployment/{API} -n mcp-production")
    );
    assert_eq!(journal[0]["mutating"], false);

    let table = run(&["history", API], 0);
    assert!(
        table.starts_with(&format!(
            "history of mcp-production/{API}: 3 revisions, current 3"
        )),
        "{table}"
    );
    assert!(table.contains(&format!("{API}={IMAGE}:v0.9.5")), "{table}");
}

#[test]
fn history_of_a_misspelt_or_invalid_deployment_is_bad_input() {
    bad_input(&["history", "mcp-typescript-apj"]);
    bad_input(&["history", "Not_A_Name"]);
    bad_input(&["history"]);
    let out = ops()
        .args(["history", "mcp-typescript-apj"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("not found"), "{stderr}");
}

#[test]
fn history_follows_a_deploy_on_a_cluster_that_outlives_the_process() {
    let c = SeparateSim::start();
    let cfg = c.kubeconfig();
    let before = json(&run_on(cfg, &["--output", "json", "history", API], 0));
    let seeded = revisions(&before, API);
    let image = format!("{API}={IMAGE}:v1.0.1");
    let health = HealthServer::start();
    run_on(
        cfg,
        &[
            "--health-url",
            health.url(),
            "deploy",
            API,
            &image,
            "--evidence",
            "ci green",
            "--bake-seconds",
            "0",
            // No database and no metrics on this cluster: the backup gate and the bake
            // cannot pass, which is not what this test is about (the health check can).
            "--force",
            "test cluster without a database",
            "--on-no-data",
            "accept",
            "--reason",
            "CHG-7 hotfix",
        ],
        0,
    );
    let after = json(&run_on(cfg, &["--output", "json", "history", API], 0));
    let listed = revisions(&after, API);
    assert_eq!(listed.len(), seeded.len() + 1, "{after}");
    let (last, newest) = listed.last().unwrap();
    assert_eq!(newest, &format!("{IMAGE}:v1.0.1"));
    assert!(*last > seeded.last().unwrap().0, "{listed:?}");
    let newest = after["report"].as_array().unwrap().last().unwrap();
    assert_eq!(
        newest["change_cause"], "CHG-7 hotfix (by ops-cli)",
        "{after}"
    );
}

#[test]
fn history_that_cannot_be_read_fails_closed() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dead_kubeconfig(dir.path());
    let out = ops()
        .arg("--kubeconfig")
        .arg(&cfg)
        .args(["--output", "json", "history", API])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(out.stdout.is_empty(), "{:?}", out.stdout);
    assert!(
        stderr.contains(&format!(
            "ops: failed: rollout history of mcp-production/{API}"
        )),
        "{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn alerts_on_the_embedded_target_are_read_from_its_stand_in() {
    // The runbook's in-memory alerting starts with no alert firing: that is a list that was
    // read (exit 0), not an unknown.
    let doc = json(&run(&["--output", "json", "alerts"], 0));
    assert_eq!(doc["command"], "alerts");
    assert_eq!(doc["status"], "ok");
    assert_eq!(doc["report"]["alerts"], serde_json::json!([]));
    assert!(doc["report"]["error"].is_null(), "{doc}");
    assert_eq!(doc["summary"], "alerts: none firing");
    assert_eq!(doc["journal"][0]["mutating"], false);
    assert_eq!(doc["journal"][0]["outcome"], "ok");
}

#[test]
fn alerts_lists_what_a_real_alertmanager_holds() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let am = rt.block_on(TestAlertmanager::start()).unwrap();
    let client = am.client().unwrap();
    let start = Timestamp::now()
        .checked_sub(SignedDuration::from_mins(1))
        .unwrap();
    let end = Timestamp::now()
        .checked_add(SignedDuration::from_hours(1))
        .unwrap();
    rt.block_on(
        client.post_alerts(&[
            NewAlert::new("HighErrorRate")
                .label("service", API)
                .label("severity", "critical")
                .annotation("summary", "error rate 12 %")
                .between(start, end),
            NewAlert::new("PodCrashLooping")
                .label("service", "mcp-rust-server")
                .label("severity", "warning")
                .between(start, end),
        ]),
    )
    .unwrap();
    // Alertmanager takes posted alerts asynchronously: wait until it lists both.
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while rt
        .block_on(client.alerts(&AlertFilter::default()))
        .unwrap()
        .len()
        < 2
    {
        assert!(std::time::Instant::now() < deadline, "alerts never listed");
        std::thread::sleep(Duration::from_millis(50));
    }

    let doc = json(&run(
        &["--alertmanager-url", am.url(), "--output", "json", "alerts"],
        0,
    ));
    assert_eq!(doc["status"], "ok", "{doc}");
    let alerts = doc["report"]["alerts"].as_array().unwrap();
    let high = alerts
        .iter()
        .find(|a| a["labels"]["alertname"] == "HighErrorRate")
        .unwrap_or_else(|| panic!("HighErrorRate not listed: {doc}"));
    assert_eq!(high["state"], "active");
    assert_eq!(high["labels"]["severity"], "critical");
    assert_eq!(high["annotations"]["summary"], "error rate 12 %");
    assert_eq!(alerts.len(), 2, "{doc}");
    assert_eq!(
        doc["summary"],
        "alerts: 2 firing, 0 silenced or unprocessed (2 in all)"
    );

    let table = run(&["--alertmanager-url", am.url(), "alerts"], 0);
    assert!(table.contains("HighErrorRate"), "{table}");
    assert!(table.contains("error rate 12 %"), "{table}");
    assert!(table.contains("service=mcp-rust-server"), "{table}");

    // A silenced alert is still listed, as silenced, after the firing one.
    run(
        &[
            "--alertmanager-url",
            am.url(),
            "silence",
            "PodCrashLooping",
            "--comment",
            "known, fix deploying",
        ],
        0,
    );
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while !rt
        .block_on(client.alerts(&AlertFilter::default()))
        .unwrap()
        .iter()
        .any(|a| a.name() == Some("PodCrashLooping") && a.is_silenced())
    {
        assert!(
            std::time::Instant::now() < deadline,
            "silence never applied"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let doc = json(&run(
        &["--alertmanager-url", am.url(), "--output", "json", "alerts"],
        0,
    ));
    let states: Vec<(&str, &str)> = doc["report"]["alerts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["labels"]["alertname"].as_str().unwrap(),
                a["state"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        states,
        vec![
            ("HighErrorRate", "active"),
            ("PodCrashLooping", "suppressed")
        ]
    );
    assert_eq!(
        doc["summary"],
        "alerts: 1 firing, 1 silenced or unprocessed (2 in all)"
    );
    let table = run(&["--alertmanager-url", am.url(), "alerts"], 0);
    assert!(table.contains("silenced"), "{table}");
}

#[test]
fn alerts_that_cannot_be_read_fail_closed() {
    // A closed port: a failed document with the reason, never "no alerts".
    let out = ops()
        .args([
            "--alertmanager-url",
            "http://127.0.0.1:9",
            "--output",
            "json",
            "alerts",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let doc = json(&String::from_utf8_lossy(&out.stdout));
    assert_eq!(doc["status"], "failed");
    assert!(doc["report"]["alerts"].is_null(), "{doc}");
    let why = doc["report"]["error"].as_str().unwrap();
    assert!(why.contains("unavailable"), "{why}");
    assert!(doc["summary"].as_str().unwrap().contains(why), "{doc}");
    assert_eq!(doc["journal"][0]["outcome"], "failed");

    // A cluster from a kubeconfig without --alertmanager-url: not configured, so unknown.
    let dir = tempfile::tempdir().unwrap();
    let cfg = dead_kubeconfig(dir.path());
    let out = ops()
        .arg("--kubeconfig")
        .arg(&cfg)
        .args(["--output", "json", "alerts"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let doc = json(&String::from_utf8_lossy(&out.stdout));
    assert_eq!(doc["status"], "failed");
    assert!(doc["report"]["alerts"].is_null(), "{doc}");
    assert!(
        doc["report"]["error"]
            .as_str()
            .unwrap()
            .contains("--alertmanager-url"),
        "{doc}"
    );
}
