//! The CR document, dry runs, bad input and the enforce-mode game day of change management,
//! on the real `ops` binary.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "common/change_cli.rs"]
mod change_cli;
mod common;

use change_cli::{
    API, PATCH, bytes, changes_path, deploy, journal_path, ops_as, request_deploy, texts,
};
use common::{bad_input, ops, schema, validate};
use serde_json::Value;

#[test]
fn the_cr_document_of_a_deploy_carries_every_field_of_the_runbook_template() {
    let out = ops_as(
        "oncall",
        &[
            "change",
            "request",
            "deploy",
            API,
            PATCH,
            "--scheduled",
            "2099-01-08T15:00:00Z",
            "--duration",
            "30m",
            "--description",
            "Deploy v1.0.1 with performance improvements",
            "--rollback-plan",
            "kubectl rollout undo",
        ],
    );
    let (md, stderr) = texts(&out);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    for line in [
        "## Change Request CR-",
        "**Type**: Deployment",
        "**Risk Level**: Medium",
        "**Scheduled**: 2099-01-08 15:00 UTC",
        "**Duration**: 30 minutes",
        "**Rollback Plan**: kubectl rollout undo",
        "**Approver**: @engineering-manager",
        "**Change Description**: Deploy v1.0.1 with performance improvements",
    ] {
        assert!(md.contains(line), "want {line:?} in\n{md}");
    }
}

#[test]
fn change_outputs_validate_against_their_schemas() {
    let json = |who: &str, args: &[&str]| -> Value {
        let mut all = vec!["--output", "json"];
        all.extend_from_slice(args);
        let out = ops_as(who, &all);
        serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("{args:?}: {e}: {:?}", texts(&out)))
    };
    let doc = json("oncall", &["change", "request", "deploy", API, PATCH]);
    validate(&schema("change"), &doc, "").unwrap();
    let id = doc["report"]["change"]["id"].as_str().unwrap().to_owned();
    let doc = json(
        "engineering-manager",
        &["change", "approve", &id, "--comment", "ok"],
    );
    validate(&schema("change"), &doc, "").unwrap();
    // `ops --as oncall --output json args…` validates against the schema `name`.
    let valid = |name: &str, args: &[&str]| {
        validate(&schema(name), &json("oncall", args), "").unwrap();
    };
    valid("change", &["change", "show", &id]);
    valid("change-list", &["change", "list"]);
    let other = request_deploy(PATCH);
    let doc = json(
        "engineering-manager",
        &["change", "reject", &other, "--comment", "no"],
    );
    validate(&schema("change"), &doc, "").unwrap();
    // A deploy's journal entries carry their time and duration.
    let doc = json(
        "oncall",
        &[
            "--change",
            &id,
            "deploy",
            API,
            PATCH,
            "--evidence",
            "ci",
            "--bake-seconds",
            "1",
        ],
    );
    validate(&schema("deploy"), &doc, "").unwrap();
    for e in doc["journal"].as_array().unwrap() {
        assert!(e["at"].as_str().unwrap().ends_with('Z'), "{e}");
        assert!(e["duration_ms"].is_u64(), "{e}");
    }
    valid("journal-verify", &["journal", "verify"]);
    valid("journal-show", &["journal", "show"]);
}

#[test]
fn a_dry_run_needs_no_approval_and_records_nothing() {
    let id = request_deploy(PATCH);
    let (store, journal) = (bytes(&changes_path()), bytes(&journal_path()));
    // Enforced, without a change request, and with one that is not approved: both plan.
    for change in [None, Some(id.as_str())] {
        let mut prefix = vec!["--enforce-changes", "--dry-run"];
        if let Some(c) = change {
            prefix.extend(["--change", c]);
        }
        let out = ops_as(
            "oncall",
            &[
                prefix.clone(),
                vec!["deploy", API, PATCH, "--evidence", "ci"],
            ]
            .concat(),
        );
        let (stdout, stderr) = texts(&out);
        assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
        assert!(stdout.contains("dry run"), "{stdout}");
        let out = ops_as(
            "oncall",
            &[prefix, vec!["scale", API, "--replicas", "5"]].concat(),
        );
        assert_eq!(out.status.code(), Some(0), "{:?}", texts(&out));
    }
    // Approving or requesting in a dry run writes nothing either.
    let out = ops_as(
        "engineering-manager",
        &["--dry-run", "change", "approve", &id],
    );
    assert_eq!(out.status.code(), Some(0), "{:?}", texts(&out));
    let out = ops_as(
        "oncall",
        &["--dry-run", "change", "request", "deploy", API, PATCH],
    );
    assert_eq!(out.status.code(), Some(0), "{:?}", texts(&out));
    assert_eq!(bytes(&changes_path()), store);
    assert_eq!(bytes(&journal_path()), journal);
}

#[test]
fn bad_input_is_one_line_and_writes_nothing() {
    let id = request_deploy(PATCH);
    let (store, journal) = (bytes(&changes_path()), bytes(&journal_path()));
    // `ops --as who args…`, refused as bad input.
    let bad_as = |who: &str, args: &[&str]| bad_input(&[&["--as", who][..], args].concat());
    let request = ["change", "request", "deploy", API, PATCH];
    // Malformed change ids.
    bad_as(
        "oncall",
        &["--change", "CR-1", "scale", API, "--replicas", "4"],
    );
    bad_as("engineering-manager", &["change", "approve", "CR-2026-01"]);
    bad_as("oncall", &["change", "show", "cr 2026 001"]);
    bad_as(
        "team-lead",
        &["change", "reject", "INC-0001", "--comment", "no"],
    );
    // Unknown or malformed handles.
    for who in ["nobody", "Eve Admin"] {
        bad_as(who, &["change", "approve", &id]);
    }
    bad_as("mallory", &request);
    // Bad durations and windows.
    for (flag, value) in [
        ("--duration", "5x"),
        ("--duration", "0m"),
        ("--duration", "30d"),
        ("--scheduled", "tomorrow"),
        ("--scheduled", "2001-01-01T00:00:00Z"),
    ] {
        bad_as("oncall", &[&request[..], &[flag, value]].concat());
    }
    // Values of the change itself.
    bad_as(
        "oncall",
        &["change", "request", "deploy", API, "no-equals-sign"],
    );
    bad_as(
        "oncall",
        &["change", "request", "deploy", "no-such-deployment", PATCH],
    );
    for (flag, value) in [("--description", ""), ("--risk", "extreme")] {
        bad_as("oncall", &[&request[..], &[flag, value]].concat());
    }
    // A change that does not exist.
    bad_as("engineering-manager", &["change", "approve", "CR-2026-999"]);
    bad_as("oncall", &["change", "reject", &id, "--comment", ""]);
    assert_eq!(bytes(&changes_path()), store);
    assert_eq!(bytes(&journal_path()), journal);
}

#[test]
fn an_unknown_change_refuses_the_mutation() {
    let out = deploy(PATCH, Some("CR-2026-777"), false);
    change_cli::refused(&out, &["CR-2026-777", "does not exist"]);
}

#[test]
fn the_drill_runs_under_enforced_change_management() {
    let out = ops()
        .args([
            "--output",
            "json",
            "drill",
            "--bake-seconds",
            "1",
            "--enforce-changes",
        ])
        .output()
        .unwrap();
    let (stdout, stderr) = texts(&out);
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    let doc: Value = serde_json::from_str(&stdout).unwrap();
    validate(&schema("drill"), &doc, "").unwrap();
    let changes = &doc["report"]["changes"];
    let approved = &changes["approved"];
    assert_eq!(approved["requester"], "oncall");
    assert_eq!(approved["approvals"][0]["by"], "engineering-manager");
    let retro = &changes["retroactive"];
    assert!(
        retro["break_glass"]["reason"]
            .as_str()
            .unwrap()
            .contains("automatic rollback")
    );
    assert_eq!(retro["spec"]["type"], "rollback");
    assert_eq!(doc["report"]["passed"], true);
    // The table output shows both change requests after the timeline.
    let out = ops()
        .args(["drill", "--bake-seconds", "1", "--enforce-changes"])
        .output()
        .unwrap();
    let (stdout, _) = texts(&out);
    assert_eq!(out.status.code(), Some(0));
    assert!(stdout.contains("**Break-glass**"), "{stdout}");
    assert!(stdout.contains("Awaiting review"), "{stdout}");
    assert!(stdout.contains("break-glass"), "{stdout}");
    // The plain drill is unchanged: no change requests.
    let out = ops()
        .args(["--output", "json", "drill", "--bake-seconds", "1"])
        .output()
        .unwrap();
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(doc["report"].get("changes").is_none());
}

#[test]
fn the_platform_file_can_enforce_and_names_the_team() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("ops.toml");
    let text = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("platforms/runbook.toml"),
    )
    .unwrap()
    .replace("enforce = false", "enforce = true");
    std::fs::write(&file, text).unwrap();
    let platform = file.to_str().unwrap();
    let out = ops_as(
        "oncall",
        &["--platform", platform, "scale", API, "--replicas", "4"],
    );
    change_cli::refused(&out, &["no change request"]);
    // The shop's team approves its own changes.
    let shop = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("platforms/shop.toml");
    let shop = shop.to_str().unwrap();
    let id = change_cli::request_as(
        "shop-oncall",
        &["--platform", shop, "scale", "storefront", "--replicas", "5"],
    );
    let out = ops_as("maria", &["--platform", shop, "change", "approve", &id]);
    assert_eq!(out.status.code(), Some(0), "{:?}", texts(&out));
}
