//! `ops incident …` when notifications fail: against a closed port, a server answering 500
//! and a frozen (SIGSTOPped) server, the command names the failing channel and why, exits 3
//! when nobody was told, keeps every message (dead letters included) and a later tick
//! delivers them once the endpoint is back.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
#[path = "common/incident_cli.rs"]
mod incident_cli;
#[path = "common/incident_servers.rs"]
mod incident_servers;

use common::ops;
use incident_cli::{SECRET, id, incident};
use incident_servers::{StatusServer, closed_port};
use serde_json::Value;

fn open(state: &std::path::Path, webhook: &str) -> (i32, Value, String) {
    incident(
        state,
        webhook,
        &[
            "open",
            "API down",
            "--severity",
            "P1",
            "--impact",
            "all users",
        ],
    )
}

#[test]
fn a_closed_port_fails_open_and_tick_with_exit_3_and_keeps_the_message_until_delivered() {
    let state = tempfile::tempdir().unwrap();
    let port = closed_port();
    let hook = format!("http://127.0.0.1:{port}/services/T/B/{SECRET}");
    let (code, doc, text) = open(state.path(), &hook);
    assert_eq!(code, 3, "{text}");
    assert_eq!(doc["status"], "failed", "{text}");
    let summary = doc["summary"].as_str().unwrap();
    assert!(summary.contains("NOT DELIVERED"), "{summary}");
    assert!(summary.contains("slack"), "{summary}");
    assert!(summary.contains("Connection refused"), "{summary}");
    let id = id(&doc);
    // Five attempts in all (open + 4 ticks), each tick failing loudly; then a dead letter.
    for attempt in 2..=6 {
        let (code, doc, text) = incident(state.path(), &hook, &["tick"]);
        assert_eq!(code, 3, "tick {attempt}: {text}");
        assert!(doc["summary"].as_str().unwrap().contains(&id), "{text}");
    }
    let (code, doc, text) = incident(state.path(), &hook, &["list"]);
    assert_eq!(code, 0, "{text}");
    assert_eq!(doc["report"][0]["delivery"], "NOT DELIVERED (1)", "{text}");
    assert!(text.contains("reached no channel"), "{text}");
    let file = std::fs::read_to_string(state.path().join("incidents.json")).unwrap();
    assert!(file.contains("gave_up"), "{file}");
    // The endpoint comes back on the same port: the next tick delivers the dead letter.
    let server = StatusServer::start(port, 200);
    let (code, _, text) = incident(state.path(), &hook, &["tick"]);
    assert_eq!(code, 0, "{text}");
    assert_eq!(server.hits(), 1);
    let (_, doc, text) = incident(state.path(), &hook, &["list"]);
    assert_eq!(doc["report"][0]["delivery"], "delivered", "{text}");
}

#[test]
fn a_server_answering_500_is_named_with_its_status_on_every_command() {
    let state = tempfile::tempdir().unwrap();
    let server = StatusServer::start(0, 500);
    let hook = server.webhook(SECRET);
    let (code, doc, text) = open(state.path(), &hook);
    assert_eq!(code, 3, "{text}");
    assert!(text.contains("HTTP 500"), "{text}");
    let id = id(&doc);
    for args in [
        vec!["update", id.as_str(), "restarting pods"],
        vec!["ack", id.as_str(), "--by", "alice"],
        vec!["resolve", id.as_str(), "rolled back"],
    ] {
        let (code, doc, text) = incident(state.path(), &hook, &args);
        assert_eq!(code, 3, "{args:?}: {text}");
        assert!(
            doc["summary"].as_str().unwrap().contains("HTTP 500"),
            "{text}"
        );
    }
    assert!(server.hits() >= 1);
}

#[test]
fn one_channel_delivering_is_enough_but_the_failing_one_is_named() {
    let state = tempfile::tempdir().unwrap();
    let slack = StatusServer::start(0, 200);
    let out = ops()
        .env("MCP_OPS_STATE_DIR", state.path())
        .env("MCP_OPS_SLACK_WEBHOOK_URL", slack.webhook(SECRET))
        .env("MCP_OPS_SMTP_HOST", "127.0.0.1")
        .env("MCP_OPS_SMTP_PORT", closed_port().to_string())
        .env("MCP_OPS_SMTP_SECURITY", "plain")
        .env("MCP_OPS_EMAIL_FROM", "ops@company.com")
        .env("MCP_OPS_EMAIL_TO", "mcp-alerts@company.com")
        .args(["incident", "open", "Slow API", "--severity", "P2"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(stdout.contains("not delivered by email"), "{stdout}");
    assert_eq!(slack.hits(), 1);
}

#[test]
fn a_frozen_server_times_out_and_says_so() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let am = rt
        .block_on(mcp_ops_alerts::testing::TestAlertmanager::start())
        .unwrap();
    let pid = am.pid().to_string();
    assert!(
        std::process::Command::new("kill")
            .args(["-STOP", &pid])
            .status()
            .unwrap()
            .success()
    );
    let state = tempfile::tempdir().unwrap();
    let hook = format!("{}/hooks/{SECRET}", am.url());
    let (code, _, text) = open(state.path(), &hook);
    let _ = std::process::Command::new("kill")
        .args(["-CONT", &pid])
        .status();
    assert_eq!(code, 3, "{text}");
    assert!(text.contains("timed out"), "{text}");
}
