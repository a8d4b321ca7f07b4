//! The change kinds added for node groups and configuration restores, on the real `ops`
//! binary: a configuration restore (High risk) under `--enforce-changes` is refused without
//! a change request and with one approval, and runs with both; a node group change is a
//! Low-risk request.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "common/change_cli.rs"]
mod change_cli;
mod common;

use change_cli::{API, approve, ops_as, refused, request_as, texts};
use common::{bad_input, schema, state_dir, validate};
use serde_json::Value;

/// `ops --as who --backup-dir <state>/config-backups args…`.
fn with_backups(who: &str, args: &[&str]) -> std::process::Output {
    let dir = state_dir().join("config-backups");
    let mut all = vec!["--backup-dir", dir.to_str().unwrap()];
    all.extend_from_slice(args);
    ops_as(who, &all)
}

/// `ops --output json …` with the backup directory; asserts exit `code`.
fn json(who: &str, args: &[&str], code: i32) -> Value {
    let mut all = vec!["--output", "json"];
    all.extend_from_slice(args);
    let out = with_backups(who, &all);
    let (stdout, stderr) = texts(&out);
    assert_eq!(
        out.status.code(),
        Some(code),
        "{args:?}: {stdout}\n{stderr}"
    );
    serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{args:?}: {e}: {stdout}"))
}

#[test]
fn a_configuration_restore_needs_two_approvals_under_enforcement() {
    // Taking the backup is not change-managed, even under enforcement.
    let backup = json(
        "oncall",
        &["--enforce-changes", "backup", "config", "mcp-production"],
        0,
    );
    let id = backup["report"]["id"].as_str().unwrap().to_owned();
    assert!(id.starts_with("config-"), "{backup}");
    let restore = |change: Option<&str>| {
        let mut args = vec!["--enforce-changes"];
        if let Some(c) = change {
            args.extend(["--change", c]);
        }
        args.extend(["restore", id.as_str()]);
        with_backups("oncall", &args)
    };
    // No change request: refused, naming the restore.
    refused(
        &restore(None),
        &["restore the configuration of namespace mcp-production", &id],
    );
    // The request: High risk, its own type, the namespace read from the backup.
    let doc = json("oncall", &["change", "request", "restore", &id], 0);
    validate(&schema("change"), &doc, "").unwrap();
    let cr = &doc["report"]["change"];
    assert_eq!(cr["spec"]["type"], "restore_config", "{cr}");
    assert_eq!(cr["spec"]["namespace"], "mcp-production", "{cr}");
    assert_eq!(cr["risk"], "high", "{cr}");
    let why = cr["derived_risk"]["why"].as_str().unwrap();
    assert!(
        why.contains("every object of namespace mcp-production"),
        "{why}"
    );
    let change = cr["id"].as_str().unwrap().to_owned();
    let md = texts(&with_backups("oncall", &["change", "show", &change])).0;
    assert!(md.contains("**Type**: Configuration restore"), "{md}");
    // One approval is not enough for High risk.
    approve(&change, "engineering-manager");
    refused(&restore(Some(&change)), &[&change, "architecture review"]);
    // Both: it runs.
    approve(&change, "architect");
    let out = restore(Some(&change));
    let (stdout, stderr) = texts(&out);
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    assert!(stdout.contains(&format!("restore of {id}:")), "{stdout}");
    assert!(stdout.contains("replaced"), "{stdout}");
}

#[test]
fn a_node_group_change_is_a_low_risk_request() {
    let id = request_as(
        "oncall",
        &[
            "node-group",
            "mcp-production",
            "worker-nodes",
            "--nodes",
            "5",
        ],
    );
    let doc = json("oncall", &["change", "show", &id], 0);
    validate(&schema("change"), &doc, "").unwrap();
    let cr = &doc["report"]["change"];
    assert_eq!(
        cr["spec"],
        serde_json::json!({
            "type": "node_group",
            "cluster": "mcp-production",
            "group": "worker-nodes",
            "nodes": 5
        })
    );
    assert_eq!(cr["risk"], "low", "{cr}");
    let list = json("oncall", &["change", "list"], 0);
    validate(&schema("change-list"), &list, "").unwrap();
    let md = texts(&ops_as("oncall", &["change", "show", &id])).0;
    for want in [
        "**Type**: Node scaling",
        "**Targets**: node group mcp-production/worker-nodes",
        "**Rollback Plan**: eksctl scale nodegroup --cluster mcp-production --name worker-nodes",
        "@team-lead",
    ] {
        assert!(md.contains(want), "want {want:?} in\n{md}");
    }
    bad_input(&[
        "change",
        "request",
        "node-group",
        "bad cluster",
        "worker-nodes",
        "--nodes",
        "5",
    ]);
    bad_input(&[
        "change",
        "request",
        "node-group",
        "mcp-production",
        "workers",
    ]);
}

#[test]
fn an_autoscaler_ceiling_runs_under_enforcement_only_as_approved() {
    let hpa = |change: Option<&str>, max: &str, extra: &[&str]| {
        let mut args = vec!["--enforce-changes"];
        if let Some(c) = change {
            args.extend(["--change", c]);
        }
        args.extend(["scale", API, "--hpa-max", max]);
        args.extend_from_slice(extra);
        ops_as("oncall", &args)
    };
    // No change request: refused in one line naming the change (the autoscaler's floor, 3,
    // is kept).
    refused(
        &hpa(None, "15", &[]),
        &[
            "set the autoscaler of mcp-production/mcp-typescript-api to 3..=15 replicas",
            "ops change request",
        ],
    );
    // A dry run needs nothing.
    let plan = hpa(None, "15", &["--dry-run"]);
    let (stdout, stderr) = texts(&plan);
    assert_eq!(plan.status.code(), Some(0), "{stdout}\n{stderr}");
    assert!(stdout.contains("kubectl patch hpa"), "{stdout}");
    // The request takes the arguments `ops scale` takes; Low risk, its own type.
    let doc = json(
        "oncall",
        &["change", "request", "scale", API, "--hpa-max", "15"],
        0,
    );
    validate(&schema("change"), &doc, "").unwrap();
    let cr = &doc["report"]["change"];
    assert_eq!(
        cr["spec"],
        serde_json::json!({
            "type": "autoscaler",
            "deployment": "mcp-production/mcp-typescript-api",
            "min": 3,
            "max": 15
        })
    );
    assert_eq!(cr["risk"], "low", "{cr}");
    let id = cr["id"].as_str().unwrap().to_owned();
    let md = texts(&ops_as("oncall", &["change", "show", &id])).0;
    assert!(md.contains("**Type**: Autoscaling"), "{md}");
    let list = json("oncall", &["change", "list"], 0);
    validate(&schema("change-list"), &list, "").unwrap();
    // Pending: refused for the missing approval.
    refused(&hpa(Some(&id), "15", &[]), &[&id, "team lead"]);
    approve(&id, "team-lead");
    // Another ceiling than approved: refused, naming both.
    refused(
        &hpa(Some(&id), "20", &[]),
        &[&id, "max replicas", "15", "20"],
    );
    // Exactly what was approved runs.
    let out = hpa(Some(&id), "15", &[]);
    let (stdout, stderr) = texts(&out);
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    assert!(stdout.contains("max 10 → 15"), "{stdout}");
    // A request the autoscaler cannot hold is bad input.
    bad_input(&["change", "request", "scale", API, "--hpa-max", "2"]);
    bad_input(&["change", "request", "scale", "no-such", "--hpa-max", "5"]);
    bad_input(&["change", "request", "scale", API]);
}
