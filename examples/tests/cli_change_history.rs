//! What the journal remembers that the change store may forget: a rejection deleted from
//! `changes.json` does not revive the approvals, and a journal deleted under a store full of
//! change requests is named by `ops journal verify` (and refuses those requests under
//! enforcement), as is a broken chain under `ops journal show`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "common/change_cli.rs"]
mod change_cli;
mod common;

use change_cli::{
    approve, change_mut, changes, journal_lines, journal_path, ops_as, refused, request_as, texts,
    write_changes, write_journal,
};
use serde_json::Value;

const SCALE: &[&str] = &["scale", "mcp-rust-server", "--replicas", "6"];

fn scale_under(id: &str) -> std::process::Output {
    let mut args = vec!["--enforce-changes", "--change", id];
    args.extend_from_slice(SCALE);
    ops_as("oncall", &args)
}

fn verify() -> (Option<i32>, Value) {
    let out = ops_as("oncall", &["--output", "json", "journal", "verify"]);
    let (stdout, stderr) = texts(&out);
    let doc = serde_json::from_str(&stdout).unwrap_or_else(|_| panic!("{stdout}\n{stderr}"));
    (out.status.code(), doc)
}

#[test]
fn a_rejection_deleted_from_the_store_does_not_revive_the_approvals() {
    let id = request_as("oncall", SCALE);
    approve(&id, "team-lead");
    let out = ops_as(
        "oncall",
        &["change", "reject", &id, "--comment", "not this week"],
    );
    assert_eq!(out.status.code(), Some(0), "{:?}", texts(&out));
    refused(&scale_under(&id), &[&id, "rejected"]);

    // The rejection removed by hand: the store alone would say approved again.
    let mut doc = changes();
    let cr = change_mut(&mut doc, &id);
    cr.as_object_mut().unwrap().remove("rejection");
    write_changes(&doc);
    refused(&scale_under(&id), &[&id, "tampered", "rejected by oncall"]);
    let (code, report) = verify();
    assert_eq!(code, Some(1), "{report}");
    let unbacked = report["report"]["unbacked_changes"].as_array().unwrap();
    assert!(
        unbacked
            .iter()
            .any(|u| u.as_str().unwrap().contains("rejected")),
        "{report}"
    );
}

#[test]
fn a_deleted_journal_is_named_and_its_changes_no_longer_run() {
    let id = request_as("oncall", SCALE);
    approve(&id, "team-lead");
    let (code, report) = verify();
    assert_eq!(code, Some(0), "{report}");

    // Both the journal and its head anchor gone: the chain alone looks like a new one, but
    // the store still holds a change request the journal does not back.
    std::fs::remove_file(journal_path()).unwrap();
    let mut head = journal_path().into_os_string();
    head.push(".head");
    let _ = std::fs::remove_file(head);
    let (code, report) = verify();
    assert_eq!(code, Some(1), "{report}");
    assert_eq!(report["report"]["intact"], false, "{report}");
    let summary = report["summary"].as_str().unwrap();
    assert!(
        summary.contains(&id) && summary.contains("no request in the journal"),
        "{summary}"
    );
    refused(&scale_under(&id), &[&id, "journal does not back it"]);
}

#[test]
fn a_broken_chain_makes_the_timeline_a_failure() {
    let id = request_as("oncall", SCALE);
    approve(&id, "team-lead");
    let out = ops_as("oncall", &["journal", "show"]);
    assert_eq!(out.status.code(), Some(0), "{:?}", texts(&out));

    let mut lines = journal_lines();
    lines[0] = lines[0].replace("oncall", "someone-else");
    write_journal(&lines);
    let out = ops_as("oncall", &["--output", "json", "journal", "show"]);
    let (stdout, stderr) = texts(&out);
    assert_eq!(out.status.code(), Some(1), "{stdout}\n{stderr}");
    let doc: Value = serde_json::from_str(&stdout).unwrap();
    let notes = doc["notes"].to_string();
    assert!(notes.contains("BROKEN"), "{notes}");
    // The timeline is still there: it is evidence.
    assert!(!doc["report"]["records"].as_array().unwrap().is_empty());
}

#[test]
fn a_lost_change_store_does_not_reuse_journaled_ids() {
    let id = request_as("oncall", SCALE);
    std::fs::remove_file(change_cli::changes_path()).unwrap();
    let mut args = vec!["change", "request"];
    args.extend_from_slice(SCALE);
    let out = ops_as("oncall", &args);
    refused(&out, &[&id, "lost or replaced"]);
    assert!(!change_cli::changes_path().exists(), "nothing written");
}

#[test]
fn a_break_glass_rollback_must_say_why() {
    let out = ops_as(
        "oncall",
        &["--enforce-changes", "rollback", "mcp-rust-server"],
    );
    let (stdout, stderr) = texts(&out);
    assert_eq!(out.status.code(), Some(2), "{stdout}\n{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("--reason"), "{stderr}");
    assert!(!change_cli::changes_path().exists(), "nothing written");

    let out = ops_as(
        "oncall",
        &[
            "--enforce-changes",
            "rollback",
            "mcp-rust-server",
            "--reason",
            "5xx spike after v1.0.2",
        ],
    );
    let (stdout, stderr) = texts(&out);
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    let doc = changes();
    let retro = &doc["changes"][0];
    assert!(
        retro["break_glass"]["reason"]
            .as_str()
            .unwrap()
            .contains("5xx spike after v1.0.2"),
        "{retro}"
    );
}
