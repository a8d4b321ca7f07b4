//! `ops incident …` when notifications fail: against a closed port, a server answering 500
//! and a frozen (SIGSTOPped) server, the command names the failing channel and why, exits 3
//! when nobody was told, keeps every message (dead letters included) and a later tick
//! delivers them once the endpoint is back.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
#[path = "common/incident_servers.rs"]
mod incident_servers;

use common::ops;
use incident_servers::{StatusServer, closed_port};
use serde_json::Value;

const SECRET: &str = "XOXBSECRET4242";

/// `ops --output json <args>` with Slack at `webhook` in `state`; (exit code, stdout JSON,
/// stdout and stderr text).
fn incident(state: &std::path::Path, webhook: &str, args: &[&str]) -> (i32, Value, String) {
    let out = ops()
        .env("MCP_OPS_STATE_DIR", state)
        .env("MCP_OPS_SLACK_WEBHOOK_URL", webhook)
        .args(["--output", "json", "incident"])
        .args(args)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let text = format!("{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    assert!(
        !text.contains(SECRET),
        "{args:?} leaked the webhook: {text}"
    );
    let doc = serde_json::from_str(&stdout).unwrap_or(Value::Null);
    (out.status.code().unwrap(), doc, text)
}

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

fn id(doc: &Value) -> String {
    doc["report"]["incident"]["id"].as_str().unwrap().to_owned()
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

/// `ops incident <args>` in `state` with no notifier: asserts exit 2, one line on stderr,
/// nothing on stdout, and nothing created in `state`.
fn refused(state: &std::path::Path, env: &[(&str, &str)], args: &[&str]) -> String {
    let before = listing(state);
    let out = ops()
        .env("MCP_OPS_STATE_DIR", state)
        .envs(env.iter().copied())
        .args(args)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
    assert_eq!(stderr.lines().count(), 1, "{args:?}: {stderr:?}");
    assert!(out.stdout.is_empty(), "{args:?}");
    assert_eq!(
        listing(state),
        before,
        "{args:?} changed the state directory"
    );
    stderr
}

/// The state directory's entries (`None` when it does not exist).
fn listing(state: &std::path::Path) -> Option<Vec<(String, Vec<u8>)>> {
    let entries = std::fs::read_dir(state).ok()?;
    let mut v: Vec<(String, Vec<u8>)> = entries
        .flatten()
        .map(|e| {
            let bytes = std::fs::read(e.path()).unwrap_or_default();
            (e.file_name().to_string_lossy().into_owned(), bytes)
        })
        .collect();
    v.sort();
    Some(v)
}

#[test]
fn bad_incident_input_is_refused_before_anything_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state");
    let long = "x".repeat(100_000);
    let cases: Vec<Vec<&str>> = vec![
        vec!["incident", "open", "API down", "--ack-by", ""],
        vec!["incident", "open", "API down", "--ack-by", "\u{200B}"],
        vec!["incident", "open", "API down", "--update", " "],
        vec!["incident", "open", "API down", "--resolve", &long],
        vec!["incident", "open", ""],
        vec!["incident", "open", "\u{200B}\u{200C}\u{2060}\u{FEFF}"],
        vec!["incident", "open", "API \u{202E}nwod"],
        vec!["incident", "open", "API\u{2067}down"],
        vec!["incident", "open", "API\u{1B}[31mdown"],
        vec!["incident", "open", "API\ndown"],
        vec!["incident", "open", &long],
        vec!["incident", "open", "API down", "--impact", &long],
        vec!["incident", "open", "API down", "--severity", "P9"],
        vec!["silence", "High Error Rate"],
        vec!["silence", ""],
        vec!["silence", "9lives"],
        vec!["silence", "HighErrorRate", "--minutes", "0"],
        vec!["silence", "HighErrorRate", "--minutes", "525600"],
        vec!["silence", "HighErrorRate", "--comment", "\u{200B}"],
    ];
    for args in &cases {
        refused(&state, &[], args);
    }
    assert!(!state.exists(), "bad input created the state directory");
    // With an incident on file, bad updates, acks and resolutions change nothing either.
    let out = ops()
        .env("MCP_OPS_STATE_DIR", &state)
        .args(["--output", "json", "incident", "open", "API down"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let id = id(&serde_json::from_slice(&out.stdout).unwrap());
    for args in [
        vec!["incident", "update", &id, &long],
        vec!["incident", "update", &id, "\u{200B}"],
        vec!["incident", "update", &id, "step \u{202E}1"],
        vec!["incident", "ack", &id, "--by", ""],
        vec!["incident", "ack", &id, "--by", "\u{2066}alice"],
        vec!["incident", "resolve", &id, ""],
        vec!["incident", "resolve", &id, &long],
        vec!["incident", "update", "INC-NOPE", "restarted"],
    ] {
        refused(&state, &[], &args);
    }
}

#[test]
fn unsafe_notifier_settings_are_refused_with_one_line_and_no_secret() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state");
    let email = [
        ("MCP_OPS_EMAIL_FROM", "ops@company.com"),
        ("MCP_OPS_EMAIL_TO", "mcp-alerts@company.com"),
    ];
    let cases: Vec<Vec<(&str, &str)>> = vec![
        vec![("MCP_OPS_PAGERDUTY_ROUTING_KEY", "R0UTING KEY SECRET")],
        vec![("MCP_OPS_PAGERDUTY_ROUTING_KEY", "R0UTINGSECRET\u{200B}")],
        vec![(
            "MCP_OPS_SLACK_WEBHOOK_URL",
            "http://hooks.slack.com/services/T/B/SECRET",
        )],
        vec![(
            "MCP_OPS_SLACK_WEBHOOK_URL",
            "https://user:SECRET@hooks.slack.com/services/T/B/X",
        )],
        [
            &email[..],
            &[
                ("MCP_OPS_SMTP_HOST", "smtp.company.com"),
                ("MCP_OPS_SMTP_SECURITY", "plain"),
                ("MCP_OPS_SMTP_USER", "ops"),
                ("MCP_OPS_SMTP_PASSWORD", "SECRET"),
            ],
        ]
        .concat(),
        [&email[..], &[("MCP_OPS_SMTP_HOST", "smtp company com")]].concat(),
        [
            &email[..],
            &[
                ("MCP_OPS_SMTP_HOST", "smtp.company.com"),
                ("MCP_OPS_SMTP_PORT", "0"),
            ],
        ]
        .concat(),
    ];
    for env in &cases {
        let line = refused(&state, env, &["incident", "open", "API down"]);
        assert!(!line.contains("SECRET"), "{line}");
    }
    assert!(!state.exists());
}

#[test]
fn corrupt_or_unreadable_state_files_are_one_line_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("incidents.json");
    for (contents, reason) in [
        (&b"{\"version\": 1, SECRET"[..], "invalid JSON"),
        (b"", "truncated JSON"),
        (b"{\"version\": 9}", "version 9 is not supported"),
    ] {
        std::fs::write(&file, contents).unwrap();
        for args in [
            vec!["incident", "list"],
            vec!["incident", "open", "API down"],
            vec!["incident", "tick"],
        ] {
            let line = refused(dir.path(), &[], &args);
            assert!(line.contains("incidents.json"), "{line}");
            assert!(line.contains(reason), "{line}");
            assert!(!line.contains("SECRET"), "{line}");
        }
        assert_eq!(std::fs::read(&file).unwrap(), contents);
    }
    std::fs::remove_file(&file).unwrap();
    std::fs::create_dir(&file).unwrap();
    let line = refused(dir.path(), &[], &["incident", "list"]);
    assert!(line.contains("Is a directory (os error 21)"), "{line}");
}

/// A state directory on a file system mounted read-only: reads work, a change fails with
/// the OS reason.
#[test]
fn a_read_only_state_directory_still_lists_incidents() {
    let dir = tempfile::tempdir().unwrap();
    let mnt = dir.path().join("ro");
    std::fs::create_dir(&mnt).unwrap();
    let mount = |args: &[&str]| {
        let ok = std::process::Command::new("mount")
            .args(args)
            .status()
            .unwrap()
            .success();
        assert!(
            ok,
            "mount {args:?} failed (the test needs root to mount a tmpfs)"
        );
    };
    let m = mnt.to_str().unwrap();
    mount(&["-t", "tmpfs", "-o", "size=1m", "tmpfs", m]);
    struct Unmount<'a>(&'a str);
    impl Drop for Unmount<'_> {
        fn drop(&mut self) {
            let _ = std::process::Command::new("umount").arg(self.0).status();
        }
    }
    let _unmount = Unmount(m);
    let (code, doc, text) = incident(&mnt, "http://127.0.0.1:9/x", &["list"]);
    assert_eq!(code, 0, "{text}");
    assert!(
        std::fs::read_dir(&mnt).unwrap().next().is_none(),
        "a read created files"
    );
    let out = ops()
        .env("MCP_OPS_STATE_DIR", &mnt)
        .args(["--output", "json", "incident", "open", "API down"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let opened: Value = serde_json::from_slice(&out.stdout).unwrap();
    mount(&["-o", "remount,ro", m]);
    let out = ops()
        .env("MCP_OPS_STATE_DIR", &mnt)
        .args(["--output", "json", "incident", "list"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let listed: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        listed["report"][0]["id"],
        opened["report"]["incident"]["id"]
    );
    let out = ops()
        .env("MCP_OPS_STATE_DIR", &mnt)
        .args(["incident", "update", &id(&opened), "restarted pods"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("Read-only file system (os error 30)"),
        "{stderr}"
    );
    let _ = doc;
}
