//! Helpers of the change-management CLI tests: request, approve and deploy as someone, read
//! and edit the state directory's `changes.json` and `journal.jsonl`.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;
use std::process::Output;

use serde_json::Value;

use super::common::{ops, state_dir};

/// The runbook's API deployment.
pub const API: &str = "mcp-typescript-api";

/// A patch release of the API (Medium risk: the engineering manager approves).
pub const PATCH: &str = "mcp-typescript-api=ghcr.io/your-org/mcp-typescript-server:v1.0.1";

/// A major release of the API (High risk: architecture review + engineering manager).
pub const MAJOR: &str = "mcp-typescript-api=ghcr.io/your-org/mcp-typescript-server:v2.0.0";

/// `ops --as who args…`.
pub fn ops_as(who: &str, args: &[&str]) -> Output {
    ops().arg("--as").arg(who).args(args).output().unwrap()
}

/// stdout and stderr as text.
pub fn texts(out: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Requests a change as `who` (`ops change request <args…>`) and returns its id.
pub fn request_as(who: &str, args: &[&str]) -> String {
    let mut all = vec!["--output", "json", "change", "request"];
    all.extend_from_slice(args);
    let out = ops_as(who, &all);
    let (stdout, stderr) = texts(&out);
    assert_eq!(out.status.code(), Some(0), "{args:?}: {stdout}\n{stderr}");
    let doc: Value = serde_json::from_str(&stdout).unwrap();
    doc["report"]["change"]["id"].as_str().unwrap().to_owned()
}

/// Requests the deploy of `image` as `oncall`.
pub fn request_deploy(image: &str) -> String {
    request_as("oncall", &["deploy", API, image])
}

/// `ops change approve id` as `who`; asserts exit 0.
pub fn approve(id: &str, who: &str) {
    let out = ops_as(who, &["change", "approve", id]);
    let (stdout, stderr) = texts(&out);
    assert_eq!(
        out.status.code(),
        Some(0),
        "approve {id} as {who}: {stdout}\n{stderr}"
    );
}

/// Asserts `out` is a refusal: exit 1, one line on stderr holding every `want`, no stdout.
pub fn refused(out: &Output, want: &[&str]) -> String {
    let (stdout, stderr) = texts(out);
    assert_eq!(
        out.status.code(),
        Some(1),
        "stdout {stdout}\nstderr {stderr}"
    );
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.starts_with("ops: "), "{stderr}");
    assert!(stdout.is_empty(), "{stdout}");
    for w in want {
        assert!(stderr.contains(w), "want {w:?} in {stderr}");
    }
    stderr
}

/// `ops [--enforce-changes] [--change id] deploy API image --evidence … --bake-seconds 1`
/// as `oncall`.
pub fn deploy(image: &str, change: Option<&str>, enforce: bool) -> Output {
    let mut args = vec![];
    if enforce {
        args.push("--enforce-changes");
    }
    if let Some(c) = change {
        args.extend(["--change", c]);
    }
    args.extend([
        "deploy",
        API,
        image,
        "--evidence",
        "ci green",
        "--bake-seconds",
        "1",
    ]);
    ops_as("oncall", &args)
}

/// The state directory's change store.
pub fn changes_path() -> PathBuf {
    state_dir().join("changes.json")
}

/// The state directory's journal.
pub fn journal_path() -> PathBuf {
    state_dir().join("journal.jsonl")
}

/// `changes.json` as JSON.
pub fn changes() -> Value {
    serde_json::from_str(&std::fs::read_to_string(changes_path()).unwrap()).unwrap()
}

/// The change request `id` inside `changes.json`'s document.
pub fn change_mut<'a>(doc: &'a mut Value, id: &str) -> &'a mut Value {
    doc["changes"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|c| c["id"] == id)
        .unwrap()
}

/// Writes `doc` back to `changes.json`.
pub fn write_changes(doc: &Value) {
    std::fs::write(changes_path(), serde_json::to_string_pretty(doc).unwrap()).unwrap();
}

/// The journal's lines.
pub fn journal_lines() -> Vec<String> {
    std::fs::read_to_string(journal_path())
        .unwrap_or_default()
        .lines()
        .map(str::to_owned)
        .collect()
}

/// Writes the journal's lines back.
pub fn write_journal(lines: &[String]) {
    let mut text = lines.join("\n");
    text.push('\n');
    std::fs::write(journal_path(), text).unwrap();
}

/// The bytes of a file, empty when it does not exist.
pub fn bytes(path: &std::path::Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_default()
}
