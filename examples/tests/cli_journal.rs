//! `ops journal verify|show` on the state directory's `journal.jsonl`: an intact chain
//! verifies (exit 0), a line edited, deleted, inserted or reordered is named with its
//! position and kind (exit 1), and `show` filters the persisted timeline.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "common/change_cli.rs"]
mod change_cli;
mod common;

use change_cli::{
    PATCH, approve, deploy, journal_lines, ops_as, request_as, request_deploy, texts, write_journal,
};
use serde_json::Value;

/// A journal of a few records: two requests, an approval, a refusal.
fn some_history() -> Vec<String> {
    let id = request_deploy(PATCH);
    approve(&id, "engineering-manager");
    let _ = ops_as("oncall", &["change", "approve", &id]);
    request_as("oncall", &["scale", "mcp-rust-server", "--replicas", "4"]);
    let lines = journal_lines();
    assert_eq!(lines.len(), 4, "{lines:?}");
    lines
}

/// `ops journal verify` in JSON: (exit code, document).
fn verify(extra: &[&str]) -> (Option<i32>, Value) {
    let mut args = vec!["--output", "json", "journal", "verify"];
    args.extend_from_slice(extra);
    let out = ops_as("oncall", &args);
    let (stdout, stderr) = texts(&out);
    let doc = serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout} {stderr}"));
    (out.status.code(), doc)
}

/// The breaks as (position, kind).
fn breaks(doc: &Value) -> Vec<(u64, String)> {
    doc["report"]["breaks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| {
            (
                b["position"].as_u64().unwrap(),
                b["kind"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

/// Writes `lines` as the journal, asserts `ops journal verify` exits 1 and returns its breaks
/// and document.
fn verify_broken(lines: &[String]) -> (Vec<(u64, String)>, Value) {
    write_journal(lines);
    let (code, doc) = verify(&[]);
    assert_eq!(code, Some(1), "{doc}");
    (breaks(&doc), doc)
}

#[test]
fn an_intact_journal_verifies_and_its_head_can_be_expected() {
    some_history();
    let (code, doc) = verify(&[]);
    assert_eq!(code, Some(0), "{doc}");
    assert_eq!(doc["report"]["records"], 4);
    let head = doc["report"]["head"].as_str().unwrap().to_owned();
    let (code, _) = verify(&["--expect-head", &head]);
    assert_eq!(code, Some(0));
    // Table output names the head.
    let out = ops_as("oncall", &["journal", "verify"]);
    assert!(texts(&out).0.contains(&head));
}

#[test]
fn an_edited_line_is_named() {
    let mut lines = some_history();
    lines[1] = lines[1].replace("engineering-manager", "team-lead");
    let (found, doc) = verify_broken(&lines);
    assert!(found.contains(&(2, "edited".to_owned())), "{doc}");
    let out = ops_as("oncall", &["journal", "verify"]);
    let (stdout, _) = texts(&out);
    assert_eq!(out.status.code(), Some(1));
    assert!(stdout.contains("position 2"), "{stdout}");
    assert!(stdout.contains("edited"), "{stdout}");
}

#[test]
fn a_deleted_line_is_named() {
    let mut lines = some_history();
    lines.remove(1);
    let (found, doc) = verify_broken(&lines);
    assert!(found.contains(&(2, "deleted".to_owned())), "{doc}");
}

#[test]
fn an_inserted_line_is_named() {
    let mut lines = some_history();
    let copy = lines[1].clone();
    lines.insert(2, copy);
    let (found, doc) = verify_broken(&lines);
    assert!(found.contains(&(3, "inserted".to_owned())), "{doc}");
}

#[test]
fn reordered_lines_are_named() {
    let mut lines = some_history();
    lines.swap(1, 2);
    let (found, doc) = verify_broken(&lines);
    assert!(found.iter().any(|(_, k)| k == "reordered"), "{doc}");
}

#[test]
fn cut_last_lines_and_a_rewritten_chain_are_detected() {
    let lines = some_history();
    let (_, doc) = verify(&[]);
    let head = doc["report"]["head"].as_str().unwrap().to_owned();
    let (found, doc) = verify_broken(&lines[..2]);
    assert!(found.iter().any(|(_, k)| k == "truncated"), "{doc}");
    // Even with the head anchor removed, the head noted earlier is no longer there.
    let _ = std::fs::remove_file(change_cli::journal_path().with_extension("jsonl.head"));
    let (code, doc) = verify(&["--expect-head", &head]);
    assert_eq!(code, Some(1), "{doc}");
}

#[test]
fn show_filters_the_persisted_timeline_by_change_and_time() {
    let id = request_deploy(PATCH);
    approve(&id, "engineering-manager");
    let out = deploy(PATCH, Some(&id), true);
    assert_eq!(out.status.code(), Some(0), "{:?}", texts(&out));
    request_as("oncall", &["scale", "mcp-rust-server", "--replicas", "4"]);
    let out = ops_as("oncall", &["--change", &id, "journal", "show"]);
    let (stdout, stderr) = texts(&out);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(stdout.contains("set image"), "{stdout}");
    assert!(stdout.contains("engineering-manager"), "{stdout}");
    assert!(!stdout.contains("mcp-rust-server"), "{stdout}");
    let out = ops_as(
        "oncall",
        &["--output", "json", "journal", "show", "--since", "2h"],
    );
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    let n = doc["report"]["records"].as_array().unwrap().len();
    assert_eq!(n, journal_lines().len());
    let out = ops_as(
        "oncall",
        &[
            "--output",
            "json",
            "journal",
            "show",
            "--since",
            "2099-01-01T00:00:00Z",
        ],
    );
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(doc["report"]["records"].as_array().unwrap().is_empty());
}

#[test]
fn bad_journal_input_is_one_line() {
    for args in [
        vec!["journal", "verify", "--expect-head", "abc"],
        vec!["journal", "show", "--since", "yesterday"],
        vec!["journal", "show", "--incident", "not an id!"],
        vec!["--change", "CR-1", "journal", "show"],
    ] {
        common::bad_input(&args);
    }
}
