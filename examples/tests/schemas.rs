//! `--output json` of every report validates against its schema in `schemas/`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{ops, schema, validate};
use serde_json::{Value, json};

fn check(name: &str, args: &[&str]) -> Value {
    let out = ops()
        .arg("--output")
        .arg("json")
        .args(args)
        .output()
        .unwrap();
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{args:?}: not JSON ({e}): {}",
            String::from_utf8_lossy(&out.stdout)
        )
    });
    validate(&schema(name), &doc, "").unwrap_or_else(|e| panic!("{args:?}: {e}"));
    doc
}

#[test]
fn the_validator_rejects_what_the_schema_forbids() {
    let s = schema("triage");
    assert!(validate(&s, &json!({}), "").is_err());
    assert!(validate(&s, &json!([]), "").is_err());
    let mut doc = check("triage", &["triage"]);
    doc["report"]["overall"] = json!("great");
    assert!(validate(&s, &doc, "").unwrap_err().contains("overall"));
    doc["report"]["overall"] = json!("Healthy");
    doc.as_object_mut().unwrap().remove("journal");
    assert!(validate(&s, &doc, "").unwrap_err().contains("journal"));
    // A rollback line is the deployer's undo outcome, a failure or a plan; nothing else.
    let s = schema("rollback");
    let mut doc = check("rollback", &["rollback", "mcp-rust-server"]);
    for bad in [
        json!({"status": "rolled_back", "from": 2, "to": 1}),
        json!({"status": "undo", "outcome": "exploded"}),
        json!({"status": "undo"}),
        json!({"status": "failed"}),
    ] {
        doc["report"]["deployments"][0]["status"] = bad.clone();
        assert!(validate(&s, &doc, "").is_err(), "{bad} must not validate");
    }
}

#[test]
fn diagnostics_validate() {
    let t = check("triage", &["triage"]);
    assert_eq!(t["status"], "ok");
    assert_eq!(t["report"]["overall"], "Healthy");
    check("investigate-errors", &["investigate", "errors"]);
    check("investigate-latency", &["investigate", "latency"]);
    check("capacity", &["capacity"]);
}

/// `args`, plus `--dry-run` when `dry`.
fn maybe_dry<'a>(args: &[&'a str], dry: bool) -> Vec<&'a str> {
    let mut v = args.to_vec();
    if dry {
        v.push("--dry-run");
    }
    v
}

#[test]
fn changes_validate_and_their_dry_runs_too() {
    let image = "mcp-typescript-api=ghcr.io/your-org/mcp-typescript-server:v1.0.1";
    for dry in [false, true] {
        let deploy = [
            "deploy",
            "mcp-typescript-api",
            image,
            "--evidence",
            "ci green",
            "--bake-seconds",
            "1",
        ];
        let d = check("deploy", &maybe_dry(&deploy, dry));
        assert_eq!(d["dry_run"], dry);
        assert_eq!(d["status"], if dry { "planned" } else { "ok" });
        let r = check(
            "rollback",
            &maybe_dry(&["rollback", "mcp-typescript-api"], dry),
        );
        let line = &r["report"]["deployments"][0]["status"];
        if dry {
            assert_eq!(line, &json!({"status": "planned"}));
        } else {
            assert_eq!(line["status"], "undo", "{line}");
            assert_eq!(line["outcome"], "rolled_back", "{line}");
        }
        check(
            "scale",
            &maybe_dry(&["scale", "mcp-rust-server", "--replicas", "5"], dry),
        );
        check("backup", &maybe_dry(&["backup", "db", "mcp_db"], dry));
        check(
            "maintenance",
            &maybe_dry(&["maintenance", "--force", "test"], dry),
        );
        check(
            "rotate-secret",
            &maybe_dry(&["rotate-secret", "mcp-secrets", "jwt-secret"], dry),
        );
        let incident = [
            "incident",
            "open",
            "Outage",
            "--ack-by",
            "alice",
            "--resolve",
            "fixed",
        ];
        check("incident-open", &maybe_dry(&incident, dry));
        check("silence", &maybe_dry(&["silence", "HighErrorRate"], dry));
        check(
            "restore",
            &maybe_dry(&["restore", "latest", "--autoscaled", "pin"], dry),
        );
    }
}

#[test]
fn backups_and_incidents_validate() {
    check("backups", &["backups"]);
    let v = check("verify", &["verify", "latest"]);
    assert_eq!(v["report"]["checksum_ok"], true);
    check("incident-list", &["incident", "list"]);
    check(
        "incident-ack",
        &["incident", "ack", "INC-0001", "--dry-run"],
    );
    check(
        "incident-update",
        &[
            "incident",
            "update",
            "INC-0001",
            "rolling back",
            "--dry-run",
        ],
    );
    check(
        "incident-resolve",
        &["incident", "resolve", "INC-0001", "fixed", "--dry-run"],
    );
    // A configuration backup on the embedded cluster, kept in a directory, re-applied.
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_str().unwrap();
    let taken = check(
        "backup",
        &["--backup-dir", d, "backup", "config", "mcp-production"],
    );
    let config_id = taken["report"]["id"].as_str().unwrap().to_owned();
    assert!(config_id.starts_with("config-"), "{taken}");
    let restored = check(
        "restore-config",
        &["--backup-dir", d, "restore", &config_id],
    );
    assert!(
        restored["report"]["skipped"][0]
            .as_str()
            .unwrap()
            .starts_with("secret/")
    );
    check(
        "restore-config",
        &["--backup-dir", d, "restore", &config_id, "--dry-run"],
    );
    check("incident-tick", &["incident", "tick"]);
    check("incident-tick", &["incident", "tick", "--dry-run"]);
    // Incidents outlive the process: each step below is its own run of `ops`.
    let open = check("incident-open", &["incident", "open", "API down"]);
    let id = open["report"]["incident"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let acked = check("incident-ack", &["incident", "ack", &id, "--by", "alice"]);
    assert_eq!(acked["report"]["state"]["by"], "alice", "{acked}");
    check(
        "incident-update",
        &["incident", "update", &id, "rolling back"],
    );
    let listed = check("incident-list", &["incident", "list"]);
    assert_eq!(listed["report"][0]["id"], id.as_str());
    let resolved = check(
        "incident-resolve",
        &["incident", "resolve", &id, "rolled back"],
    );
    assert_eq!(
        resolved["report"]["state"]["state"], "resolved",
        "{resolved}"
    );
    // Resolved incidents are forgotten once old enough (a dry run forgets nothing).
    check(
        "incident-prune",
        &["incident", "prune", "--older-than-days", "0", "--dry-run"],
    );
    let kept = check("incident-prune", &["incident", "prune"]);
    assert_eq!(
        kept["report"],
        json!([]),
        "resolved just now: kept for 30 days"
    );
    let pruned = check(
        "incident-prune",
        &["incident", "prune", "--older-than-days", "0"],
    );
    assert!(
        pruned["report"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i == id.as_str()),
        "{pruned}"
    );
}

#[test]
fn the_drill_validates() {
    let d = check("drill", &["drill", "--bake-seconds", "1"]);
    assert_eq!(d["report"]["passed"], true);
    assert_eq!(d["status"], "ok");
    check("drill", &["drill", "--dry-run"]);
}

#[test]
fn security_reports_validate() {
    let a = check("audit", &["audit"]);
    assert_eq!(a["status"], "failed");
    assert!(
        a["report"]["findings"]
            .as_array()
            .is_some_and(|f| f.iter().any(|f| f["check"] == "RunAsNonRoot"))
    );
    check("audit", &["audit", "--dry-run"]);
    for dry in [false, true] {
        let q = check(
            "quarantine",
            &maybe_dry(&["quarantine", "postgres-primary-0"], dry),
        );
        assert_eq!(q["status"], if dry { "planned" } else { "ok" });
        assert_eq!(
            q["report"]["result"]["network_policy"],
            "mcp-ops-quarantine"
        );
        let r = check(
            "quarantine",
            &maybe_dry(&["quarantine", "redis-0", "--release"], dry),
        );
        assert_eq!(r["report"]["action"], "release");
    }
    let mut doc = check("audit", &["audit"]);
    doc["report"]["findings"][0]["check"] = json!("LooksFine");
    assert!(validate(&schema("audit"), &doc, "").is_err());
}

#[test]
fn read_only_commands_for_mcp_validate() {
    let h = check("history", &["history", "mcp-typescript-api"]);
    assert_eq!(h["status"], "ok");
    assert!(h["report"].as_array().is_some_and(|r| !r.is_empty()), "{h}");
    check("history", &["history", "mcp-typescript-api", "--dry-run"]);
    let a = check("alerts", &["alerts"]);
    assert_eq!(a["status"], "ok");
    assert!(a["report"]["alerts"].is_array(), "{a}");
    // Unreadable alerts are a failed document with the reason, and still validate.
    let dead = check(
        "alerts",
        &["--alertmanager-url", "http://127.0.0.1:9", "alerts"],
    );
    assert_eq!(dead["status"], "failed");
    assert!(dead["report"]["alerts"].is_null(), "{dead}");
    let mut bad = a.clone();
    bad["report"]["alerts"] =
        json!([{"labels": {}, "annotations": {}, "starts_at": "x", "state": "burning"}]);
    assert!(validate(&schema("alerts"), &bad, "").is_err());
}

#[test]
fn mutating_schemas_take_the_change_request_of_ops_mcp() {
    let mut plan = check("silence", &["silence", "HighErrorRate", "--dry-run"]);
    let cr = json!({"change": {"id": "CR-2026-001"}, "status": "pending",
                    "review": {}, "digest": "sha256:00"});
    plan["change"] = cr.clone();
    for name in [
        "deploy",
        "rollback",
        "scale",
        "restore",
        "restore-config",
        "rotate-secret",
        "maintenance",
        "quarantine",
        "silence",
        "incident-open",
        "incident-ack",
        "incident-update",
        "incident-resolve",
        "backup",
    ] {
        let s = schema(name);
        assert!(s["properties"]["change"].is_object(), "{name}");
        let required = s["required"].as_array().unwrap();
        assert!(!required.contains(&json!("change")), "{name}");
        assert!(
            validate(&s["properties"]["change"], &cr, "").is_ok(),
            "{name}"
        );
        assert!(
            validate(&s["properties"]["change"], &json!({"change": {}}), "").is_err(),
            "{name}"
        );
    }
    validate(&schema("silence"), &plan, "").unwrap();
}
