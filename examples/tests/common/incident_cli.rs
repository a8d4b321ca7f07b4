//! Running `ops incident …` in a state directory of its own for the incident CLI tests.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use assert_cmd::Command;
use serde_json::Value;

/// A string standing for a secret: it must appear in no output.
pub const SECRET: &str = "XOXBSECRET4242";

/// The `ops` binary with none of the caller's targets (see `common::ops`).
fn ops() -> Command {
    super::common::ops()
}

/// `ops --output json <args>` with Slack at `webhook` in `state`; (exit code, stdout JSON,
/// stdout and stderr text).
pub fn incident(state: &std::path::Path, webhook: &str, args: &[&str]) -> (i32, Value, String) {
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

/// The id of the incident an `incident open --output json` document opened.
pub fn id(doc: &Value) -> String {
    doc["report"]["incident"]["id"].as_str().unwrap().to_owned()
}

/// `ops incident <args>` in `state` with no notifier: asserts exit 2, one line on stderr,
/// nothing on stdout, and nothing created in `state`.
pub fn refused(state: &std::path::Path, env: &[(&str, &str)], args: &[&str]) -> String {
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
pub fn listing(state: &std::path::Path) -> Option<Vec<(String, Vec<u8>)>> {
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
