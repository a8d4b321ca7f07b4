//! `ops change …` and `--change` on the real binary: every way around the approval rules is
//! refused (exit 1, one line naming what is missing, nothing written to the store), and an
//! approved change runs.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "common/change_cli.rs"]
mod change_cli;
mod common;

use change_cli::{
    API, MAJOR, PATCH, approve, bytes, changes, changes_path, deploy, journal_lines, ops_as,
    refused, request_as, request_deploy, texts,
};
use serde_json::Value;

#[test]
fn an_approved_change_runs_and_everything_is_journaled_with_its_actor() {
    let id = request_deploy(PATCH);
    assert_eq!(id.len(), "CR-2026-001".len());
    approve(&id, "engineering-manager");
    let out = deploy(PATCH, Some(&id), true);
    let (stdout, stderr) = texts(&out);
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    assert!(stdout.contains("deployed"), "{stdout}");
    let lines = journal_lines();
    let records: Vec<Value> = lines
        .iter()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let kinds: Vec<&str> = records
        .iter()
        .map(|r| r["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds[0], "change_requested");
    assert_eq!(records[0]["actor"], "oncall");
    assert_eq!(kinds[1], "change_approved");
    assert_eq!(records[1]["actor"], "engineering-manager");
    let steps: Vec<&Value> = records.iter().filter(|r| r["kind"] == "step").collect();
    assert!(
        steps
            .iter()
            .any(|r| r["summary"].as_str().unwrap().starts_with("set image"))
    );
    assert!(
        steps
            .iter()
            .all(|r| r["actor"] == "oncall" && r["change"] == id.as_str())
    );
    // The JSON journal of the command carries each entry's time and duration.
    let out = ops_as("oncall", &["--output", "json", "change", "show", &id]);
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["report"]["status"], "approved");
}

#[test]
fn self_approval_is_refused_and_nothing_is_written() {
    let id = request_deploy(PATCH);
    let before = bytes(&changes_path());
    let out = ops_as("oncall", &["change", "approve", &id]);
    refused(&out, &["oncall requested", &id, "cannot approve"]);
    assert_eq!(bytes(&changes_path()), before);
    // The refusal itself is journaled, with who tried.
    let last: Value = serde_json::from_str(journal_lines().last().unwrap()).unwrap();
    assert_eq!(last["kind"], "change_refused");
    assert_eq!(last["actor"], "oncall");
    // An engineering manager who requests a change cannot approve it either.
    let own = request_as("engineering-manager", &["deploy", API, PATCH]);
    refused(
        &ops_as("engineering-manager", &["change", "approve", &own]),
        &["cannot approve"],
    );
}

#[test]
fn approval_without_the_role_or_twice_is_refused() {
    let id = request_deploy(PATCH);
    let before = bytes(&changes_path());
    for who in ["team-lead", "architect"] {
        refused(
            &ops_as(who, &["change", "approve", &id]),
            &[who, "does not hold the role engineering manager"],
        );
    }
    assert_eq!(bytes(&changes_path()), before);
    approve(&id, "engineering-manager");
    let before = bytes(&changes_path());
    refused(
        &ops_as("engineering-manager", &["change", "approve", &id]),
        &["already approved"],
    );
    assert_eq!(bytes(&changes_path()), before);
}

#[test]
fn high_risk_with_one_approver_is_refused_until_the_second() {
    let id = request_deploy(MAJOR);
    let doc: Value = serde_json::from_slice(
        &ops_as("oncall", &["--output", "json", "change", "show", &id]).stdout,
    )
    .unwrap();
    assert_eq!(doc["report"]["change"]["risk"], "high");
    approve(&id, "architect");
    refused(
        &deploy(MAJOR, Some(&id), true),
        &[&id, "engineering manager"],
    );
    // Not enforcing does not help: a named change must authorize what runs.
    refused(&deploy(MAJOR, Some(&id), false), &[&id]);
    approve(&id, "engineering-manager");
    let out = deploy(MAJOR, Some(&id), true);
    let (stdout, stderr) = texts(&out);
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
}

#[test]
fn a_requester_may_raise_the_risk_but_never_lower_it() {
    let id = request_as("oncall", &["deploy", API, PATCH, "--risk", "high"]);
    approve(&id, "engineering-manager");
    refused(&deploy(PATCH, Some(&id), true), &["architecture review"]);
    let out = ops_as(
        "oncall",
        &["change", "request", "deploy", API, MAJOR, "--risk", "low"],
    );
    let (_, stderr) = texts(&out);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("never lower"), "{stderr}");
}

#[test]
fn what_runs_must_be_what_was_approved() {
    let id = request_deploy(PATCH);
    approve(&id, "engineering-manager");
    // Another image.
    let other = "mcp-typescript-api=ghcr.io/your-org/mcp-typescript-server:v1.0.2";
    refused(
        &deploy(other, Some(&id), true),
        &["image", "v1.0.1", "v1.0.2"],
    );
    // Another target.
    let out = ops_as(
        "oncall",
        &[
            "--enforce-changes",
            "--change",
            &id,
            "deploy",
            "mcp-rust-server",
            "mcp-rust-server=ghcr.io/your-org/mcp-rust-server:v1.0.1",
            "--evidence",
            "ci",
            "--bake-seconds",
            "1",
        ],
    );
    refused(&out, &[&id, "deployment"]);
    // Another kind of change.
    let out = ops_as(
        "oncall",
        &["--change", &id, "scale", API, "--replicas", "5"],
    );
    refused(&out, &[&id]);
    // Replicas: a scale approved for 5 does not run 6.
    let scale = request_as("oncall", &["scale", API, "--replicas", "5"]);
    approve(&scale, "team-lead");
    let six = ops_as(
        "oncall",
        &["--change", &scale, "scale", API, "--replicas", "6"],
    );
    refused(&six, &["replicas", "5", "6"]);
    let five = ops_as(
        "oncall",
        &["--change", &scale, "scale", API, "--replicas", "5"],
    );
    let (stdout, stderr) = texts(&five);
    assert_eq!(five.status.code(), Some(0), "{stdout}\n{stderr}");
}

#[test]
fn enforcement_refuses_a_mutation_without_a_change_and_a_rejected_one() {
    refused(
        &deploy(PATCH, None, true),
        &["no change request", "ops change request"],
    );
    // The environment variable turns it on too.
    let out = change_cli::texts(
        &common::ops()
            .env("MCP_OPS_ENFORCE_CHANGES", "1")
            .args(["--as", "oncall", "scale", API, "--replicas", "4"])
            .output()
            .unwrap(),
    );
    assert!(out.1.contains("no change request"), "{}", out.1);
    let id = request_deploy(PATCH);
    // Not someone without the role it needs…
    refused(
        &ops_as("team-lead", &["change", "reject", &id, "--comment", "no"]),
        &["team-lead cannot reject", "engineering manager"],
    );
    // …but its approver may.
    let out = ops_as(
        "engineering-manager",
        &["change", "reject", &id, "--comment", "not this week"],
    );
    assert_eq!(out.status.code(), Some(0), "{:?}", texts(&out));
    refused(
        &ops_as("engineering-manager", &["change", "approve", &id]),
        &["rejected", "not this week"],
    );
    refused(&deploy(PATCH, Some(&id), true), &["rejected"]);
    // Backups and silences are not change-managed: they run under enforcement.
    for args in [
        vec!["--enforce-changes", "backup", "db", "mcp_db"],
        vec!["--enforce-changes", "silence", "HighErrorRate"],
    ] {
        let out = ops_as("oncall", &args);
        assert_eq!(out.status.code(), Some(0), "{args:?}: {:?}", texts(&out));
    }
    // Without enforcement and without --change, a mutation still runs (opt-in for the CLI).
    let out = deploy(PATCH, None, false);
    assert_eq!(out.status.code(), Some(0), "{:?}", texts(&out));
}

#[test]
fn a_window_not_yet_open_refuses() {
    let later = (mcp_ops_core::jiff::Timestamp::now()
        + mcp_ops_core::jiff::SignedDuration::from_hours(2))
    .to_string();
    let id = request_as(
        "oncall",
        &[
            "deploy",
            API,
            PATCH,
            "--scheduled",
            &later,
            "--duration",
            "1h",
        ],
    );
    approve(&id, "engineering-manager");
    refused(&deploy(PATCH, Some(&id), true), &[&id, "not open"]);
}

#[test]
fn list_and_show_give_the_status() {
    let a = request_deploy(PATCH);
    let b = request_as("oncall", &["scale", API, "--replicas", "5"]);
    approve(&b, "team-lead");
    let out = ops_as("oncall", &["--output", "json", "change", "list"]);
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    let rows = doc["report"].as_array().unwrap();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0]["change"]["id"], a.as_str());
    assert_eq!(rows[0]["status"], "pending");
    assert_eq!(rows[1]["status"], "approved");
    let stored = changes();
    assert_eq!(stored["changes"].as_array().unwrap().len(), 2);
}

#[test]
fn quarantine_goes_through_the_change_policy() {
    let pod = "postgres-primary-0";
    refused(
        &ops_as("oncall", &["--enforce-changes", "quarantine", pod]),
        &["no change request"],
    );
    let id = request_as("oncall", &["quarantine", pod]);
    approve(&id, "team-lead");
    // Approved to isolate, not to release.
    refused(
        &ops_as("oncall", &["--change", &id, "quarantine", pod, "--release"]),
        &[&id, "release"],
    );
    let out = ops_as(
        "oncall",
        &["--enforce-changes", "--change", &id, "quarantine", pod],
    );
    assert_eq!(out.status.code(), Some(0), "{:?}", texts(&out));
}
