//! Change requests for silences and incident actions on the real `ops` binary (the kinds
//! `ops mcp` runs only under an approved change): a Low-risk request, refused before the team
//! lead approves it and for another alert, title or incident, and run once approved, with
//! the requester and the approver in the journal. Without `--change` the commands run as
//! before (unmanaged).
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "common/change_cli.rs"]
mod change_cli;
mod common;

use std::process::Output;

use change_cli::{journal_lines, refused, texts};
use common::{schema, validate};
use serde_json::Value;

/// The runbook's platform file (it holds the `[[team]]` directory).
fn platform() -> String {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("platforms/runbook.toml")
        .to_str()
        .unwrap()
        .to_owned()
}

/// `ops --platform runbook.toml --as who args…`.
fn ops_as(who: &str, args: &[&str]) -> Output {
    let platform = platform();
    let mut all = vec!["--platform", platform.as_str()];
    all.extend_from_slice(args);
    change_cli::ops_as(who, &all)
}

/// `ops --output json …` as `who`; asserts exit `code` and returns the document.
fn json(who: &str, args: &[&str], code: i32) -> Value {
    let mut all = vec!["--output", "json"];
    all.extend_from_slice(args);
    let out = ops_as(who, &all);
    let (stdout, stderr) = texts(&out);
    assert_eq!(
        out.status.code(),
        Some(code),
        "{args:?}: {stdout}\n{stderr}"
    );
    serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{args:?}: {e}: {stdout}"))
}

/// `ops change request <args…>` as on-call: the CR (schema-checked, Low risk).
fn request(args: &[&str]) -> Value {
    let mut all = vec!["change", "request"];
    all.extend_from_slice(args);
    let doc = json("oncall", &all, 0);
    validate(&schema("change"), &doc, "").unwrap();
    let cr = doc["report"]["change"].clone();
    assert_eq!(cr["risk"], "low", "{cr}");
    assert_eq!(cr["derived_risk"]["risk"], "low", "{cr}");
    cr
}

/// The id of a CR document.
fn id_of(cr: &Value) -> String {
    cr["id"].as_str().unwrap().to_owned()
}

/// Approves `id` as the team lead (Low risk needs the team lead).
fn approve(id: &str) {
    let out = ops_as("team-lead", &["change", "approve", id]);
    assert_eq!(out.status.code(), Some(0), "{:?}", texts(&out));
}

/// Whether the persisted journal holds a successful step whose summary starts with `what`.
fn journaled_step(what: &str) -> bool {
    journal_lines().iter().any(|l| {
        let r: Value = serde_json::from_str(l).unwrap();
        r["kind"] == "step" && r["summary"].as_str().unwrap_or("").starts_with(what)
    })
}

/// The actors of the persisted journal's records of change `id` (`ops journal show`).
fn actors_of(id: &str) -> Vec<(String, String)> {
    let doc = json("oncall", &["--change", id, "journal", "show"], 0);
    doc["report"]["records"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["kind"].as_str().unwrap().to_owned(),
                r["actor"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

/// The open incidents (`ops incident list`).
fn open_incidents() -> Vec<Value> {
    json("oncall", &["incident", "list"], 0)["report"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

#[test]
fn a_silence_runs_only_under_its_approved_change() {
    let cr = request(&["silence", "HighErrorRate", "--minutes", "30"]);
    assert_eq!(cr["spec"]["type"], "silence", "{cr}");
    assert_eq!(cr["spec"]["alertname"], "HighErrorRate", "{cr}");
    assert_eq!(cr["spec"]["minutes"], 30, "{cr}");
    let id = id_of(&cr);
    let md = texts(&ops_as("oncall", &["change", "show", &id])).0;
    assert!(md.contains("**Type**: Silence"), "{md}");
    assert!(md.contains("**Risk Level**: Low"), "{md}");
    assert!(md.contains("amtool silence expire"), "{md}");

    // A dry run needs no approval.
    let plan = ops_as(
        "oncall",
        &[
            "--dry-run",
            "--change",
            &id,
            "silence",
            "HighErrorRate",
            "--minutes",
            "30",
        ],
    );
    let (stdout, stderr) = texts(&plan);
    assert_eq!(plan.status.code(), Some(0), "{stdout}\n{stderr}");
    assert!(stdout.contains("no silence created"), "{stdout}");
    // Before approval: refused, one line, nothing silenced, the refusal journaled.
    let silence = |alert: &str, minutes: &str| {
        ops_as(
            "oncall",
            &["--change", &id, "silence", alert, "--minutes", minutes],
        )
    };
    refused(&silence("HighErrorRate", "30"), &[&id, "not approved"]);
    assert!(!journaled_step("silence alert"));
    let last: Value = serde_json::from_str(journal_lines().last().unwrap()).unwrap();
    assert_eq!(last["kind"], "change_refused", "{last}");
    assert_eq!(last["actor"], "oncall");
    assert_eq!(last["change"], id.as_str());

    approve(&id);
    // Another alert, or longer: refused naming the field.
    refused(
        &silence("HighLatency", "30"),
        &["alertname", "HighErrorRate", "HighLatency"],
    );
    refused(&silence("HighErrorRate", "60"), &["minutes", "30", "60"]);
    assert!(!journaled_step("silence alert"));
    // The approved silence runs.
    let out = silence("HighErrorRate", "30");
    let (stdout, stderr) = texts(&out);
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    assert!(stdout.contains("silence "), "{stdout}");
    assert!(journaled_step("silence alert"));
    let actors = actors_of(&id);
    assert!(
        actors.contains(&("change_requested".into(), "oncall".into())),
        "{actors:?}"
    );
    assert!(
        actors.contains(&("change_approved".into(), "team-lead".into())),
        "{actors:?}"
    );
    assert!(
        actors.contains(&("step".into(), "oncall".into())),
        "{actors:?}"
    );
    // Without --change the silence stays unmanaged, even under enforcement.
    let out = ops_as("oncall", &["--enforce-changes", "silence", "HighLatency"]);
    assert_eq!(out.status.code(), Some(0), "{:?}", texts(&out));
}

#[test]
fn a_silence_change_outside_its_window_or_rejected_is_refused() {
    let later = request(&[
        "silence",
        "HighErrorRate",
        "--scheduled",
        "2099-01-01T00:00:00Z",
    ]);
    let later = id_of(&later);
    approve(&later);
    refused(
        &ops_as("oncall", &["--change", &later, "silence", "HighErrorRate"]),
        &[&later, "not open yet"],
    );
    let rejected = id_of(&request(&["silence", "HighErrorRate"]));
    let out = ops_as(
        "team-lead",
        &["change", "reject", &rejected, "--comment", "fix the rule"],
    );
    assert_eq!(out.status.code(), Some(0), "{:?}", texts(&out));
    refused(
        &ops_as(
            "oncall",
            &["--change", &rejected, "silence", "HighErrorRate"],
        ),
        &[&rejected, "rejected"],
    );
    assert!(!journaled_step("silence alert"));
    // Values no silence can take are bad input, not requests.
    for bad in [
        vec!["silence", "High Error Rate"],
        vec!["silence", "HighErrorRate", "--minutes", "0"],
        vec!["silence", "HighErrorRate", "--minutes", "10081"],
        vec!["incident-open", " "],
        vec!["incident-open", "API down", "--severity", "P9"],
        vec!["incident-ack", "INC-20990101-0001"],
        vec!["incident-resolve", "not an id!"],
    ] {
        let mut args = vec!["change", "request"];
        args.extend(bad.iter().copied());
        let out = ops_as("oncall", &args);
        let (_, stderr) = texts(&out);
        assert_eq!(out.status.code(), Some(2), "{bad:?}: {stderr}");
        assert_eq!(stderr.lines().count(), 1, "{bad:?}: {stderr}");
    }
}

#[test]
fn incident_actions_run_only_under_their_approved_changes() {
    let cr = request(&["incident-open", "API down", "--severity", "P2"]);
    assert_eq!(cr["spec"]["type"], "incident", "{cr}");
    assert_eq!(cr["spec"]["action"]["kind"], "open", "{cr}");
    assert_eq!(cr["spec"]["action"]["severity"], "P2", "{cr}");
    let open_cr = id_of(&cr);
    let open = |title: &str, severity: &str| {
        let args = [
            "--output",
            "json",
            "--change",
            &open_cr,
            "incident",
            "open",
            title,
            "--severity",
            severity,
        ];
        ops_as("oncall", &args)
    };
    refused(&open("API down", "P2"), &[&open_cr, "not approved"]);
    assert!(open_incidents().is_empty());
    approve(&open_cr);
    refused(&open("DB down", "P2"), &["title", "API down", "DB down"]);
    refused(&open("API down", "P1"), &["severity", "P2", "P1"]);
    // The opening's CR covers the opening only.
    let out = ops_as(
        "oncall",
        &[
            "--change",
            &open_cr,
            "incident",
            "open",
            "API down",
            "--severity",
            "P2",
            "--ack-by",
            "alice",
        ],
    );
    assert_eq!(out.status.code(), Some(2), "{:?}", texts(&out));
    assert!(open_incidents().is_empty());
    let out = open("API down", "P2");
    let (stdout, stderr) = texts(&out);
    assert!(
        matches!(out.status.code(), Some(0 | 3)),
        "{stdout}\n{stderr}"
    );
    let doc: Value = serde_json::from_str(&stdout).unwrap();
    let incident = doc["report"]["incident"]["id"].as_str().unwrap().to_owned();
    assert_eq!(open_incidents().len(), 1);

    // Acknowledge: its own CR, for this incident.
    let ack_cr = id_of(&request(&["incident-ack", &incident]));
    let ack = |change: &str| {
        ops_as(
            "oncall",
            &[
                "--change", change, "incident", "ack", &incident, "--by", "oncall",
            ],
        )
    };
    refused(&ack(&ack_cr), &[&ack_cr, "not approved"]);
    assert_eq!(open_incidents()[0]["state"]["state"], "open");
    approve(&ack_cr);
    // The opening's CR does not acknowledge.
    refused(&ack(&open_cr), &["action", "acknowledge"]);
    let out = ack(&ack_cr);
    assert!(
        matches!(out.status.code(), Some(0 | 3)),
        "{:?}",
        texts(&out)
    );
    assert_eq!(open_incidents()[0]["state"]["state"], "acknowledged");
    let actors = actors_of(&ack_cr);
    assert!(
        actors.contains(&("change_approved".into(), "team-lead".into())),
        "{actors:?}"
    );
    assert!(
        actors.contains(&("step".into(), "oncall".into())),
        "{actors:?}"
    );

    // Resolve under an update's CR: refused; under its own: resolved.
    let update_cr = id_of(&request(&["incident-update", &incident]));
    approve(&update_cr);
    let resolve = |change: &str| {
        ops_as(
            "oncall",
            &[
                "--change",
                change,
                "incident",
                "resolve",
                &incident,
                "rolled back",
            ],
        )
    };
    refused(&resolve(&update_cr), &["action", "resolve"]);
    let out = ops_as(
        "oncall",
        &[
            "--change",
            &update_cr,
            "incident",
            "update",
            &incident,
            "rolling back",
        ],
    );
    assert!(
        matches!(out.status.code(), Some(0 | 3)),
        "{:?}",
        texts(&out)
    );
    let resolve_cr = id_of(&request(&["incident-resolve", &incident]));
    approve(&resolve_cr);
    let out = resolve(&resolve_cr);
    assert!(
        matches!(out.status.code(), Some(0 | 3)),
        "{:?}",
        texts(&out)
    );
    assert!(open_incidents().is_empty());
}

#[test]
fn without_a_change_incident_actions_stay_unmanaged_even_under_enforcement() {
    // Enforcement never stops an acknowledgement, an update, a resolution or a page.
    let doc = json(
        "oncall",
        &["--enforce-changes", "incident", "open", "Queue backlog"],
        0,
    );
    let incident = doc["report"]["incident"]["id"].as_str().unwrap().to_owned();
    for args in [
        vec!["incident", "tick"],
        vec!["incident", "ack", &incident],
        vec!["incident", "update", &incident, "draining the queue"],
        vec!["incident", "resolve", &incident, "queue drained"],
    ] {
        let mut all = vec!["--enforce-changes"];
        all.extend(args.iter().copied());
        let out = ops_as("oncall", &all);
        assert!(
            matches!(out.status.code(), Some(0 | 3)),
            "{args:?}: {:?}",
            texts(&out)
        );
    }
    assert!(open_incidents().is_empty());
}
