//! `ops incident …` and `ops silence` with values to refuse and state files that cannot be
//! used: exit 2, one line naming the field or the file and the reason, nothing written; a
//! read-only state directory still lists incidents.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
#[path = "common/incident_cli.rs"]
mod incident_cli;

use common::ops;
use incident_cli::{id, incident, refused};
use serde_json::Value;

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
    let disk = mcp_ops_db::testing::SmallDisk::mount("1m").unwrap_or_else(|e| panic!("{e}"));
    let mnt = disk.path();
    let (code, doc, text) = incident(mnt, "http://127.0.0.1:9/x", &["list"]);
    assert_eq!(code, 0, "{text}");
    assert!(
        std::fs::read_dir(mnt).unwrap().next().is_none(),
        "a read created files"
    );
    let out = ops()
        .env("MCP_OPS_STATE_DIR", mnt)
        .args(["--output", "json", "incident", "open", "API down"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let opened: Value = serde_json::from_slice(&out.stdout).unwrap();
    disk.remount_read_only().unwrap_or_else(|e| panic!("{e}"));
    let out = ops()
        .env("MCP_OPS_STATE_DIR", mnt)
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
        .env("MCP_OPS_STATE_DIR", mnt)
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
