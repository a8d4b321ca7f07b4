//! The change store edited by hand: an approved change whose image, replicas or target is
//! changed in `changes.json` (with or without recomputing the digests), an approval copied
//! from another change, a window moved, an approval added, and a change whose window has
//! closed — each refused before anything runs, and `ops change show` says so.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "common/change_cli.rs"]
mod change_cli;
mod common;

use change_cli::{
    API, PATCH, approve, change_mut, changes, deploy, journal_lines, ops_as, refused, request_as,
    request_deploy, texts, write_changes,
};
use mcp_ops_core::audit::{AuditDraft, AuditKind, AuditLog as _, FileAuditLog};
use mcp_ops_core::change::{
    Approval, ChangeRequest, ChangeSpec, ChangeStore as _, FileChangeStore, TeamRole,
};
use mcp_ops_core::jiff::{SignedDuration, Timestamp};
use mcp_ops_core::testing::sample_deploy_draft;
use serde_json::Value;

/// The change request `id` as stored, parsed.
fn stored(id: &str) -> ChangeRequest {
    let mut doc = changes();
    serde_json::from_value(change_mut(&mut doc, id).clone()).unwrap()
}

/// Replaces the change request `id` in `changes.json` with `cr`.
fn store(id: &str, cr: &ChangeRequest) {
    let mut doc = changes();
    *change_mut(&mut doc, id) = serde_json::to_value(cr).unwrap();
    write_changes(&doc);
}

/// `ops change show id` in JSON.
fn show(id: &str) -> Value {
    let out = ops_as("oncall", &["--output", "json", "change", "show", id]);
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn an_image_edited_after_approval_is_tampering() {
    let id = request_deploy(PATCH);
    approve(&id, "engineering-manager");
    let mut doc = changes();
    change_mut(&mut doc, &id)["spec"]["image"] =
        Value::from("ghcr.io/your-org/mcp-typescript-server:v1.0.9");
    write_changes(&doc);
    let edited = "mcp-typescript-api=ghcr.io/your-org/mcp-typescript-server:v1.0.9";
    refused(&deploy(edited, Some(&id), true), &[&id, "tampered"]);
    let shown = show(&id);
    assert_eq!(shown["status"], "failed", "{shown}");
    assert_eq!(shown["report"]["status"], "pending");
}

#[test]
fn a_forged_store_with_recomputed_digests_is_caught_by_the_journal() {
    let id = request_deploy(PATCH);
    approve(&id, "engineering-manager");
    // Whoever edits the file recomputes every digest: the store is consistent again…
    let mut cr = stored(&id);
    if let ChangeSpec::Deploy { image, .. } = &mut cr.spec {
        *image = "ghcr.io/your-org/mcp-typescript-server:v1.0.9"
            .parse()
            .unwrap();
    }
    let digest = cr.digest();
    for a in &mut cr.approvals {
        a.digest = digest.clone();
    }
    store(&id, &cr);
    // …but the journal holds what was requested and approved.
    let edited = "mcp-typescript-api=ghcr.io/your-org/mcp-typescript-server:v1.0.9";
    refused(
        &deploy(edited, Some(&id), true),
        &[&id, "tampered", "differs from what was requested"],
    );
    let shown = show(&id);
    assert_eq!(shown["status"], "failed");
    assert!(
        !shown["report"]["journal_mismatches"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    // The refusal is journaled.
    let last: Value = serde_json::from_str(journal_lines().last().unwrap()).unwrap();
    assert_eq!(last["kind"], "change_refused");
}

#[test]
fn replicas_and_target_edited_after_approval_are_tampering() {
    let id = request_as("oncall", &["scale", API, "--replicas", "5"]);
    approve(&id, "team-lead");
    let mut doc = changes();
    change_mut(&mut doc, &id)["spec"]["replicas"] = Value::from(9);
    write_changes(&doc);
    refused(
        &ops_as(
            "oncall",
            &["--change", &id, "scale", API, "--replicas", "9"],
        ),
        &[&id, "tampered"],
    );
    let id = request_as("oncall", &["scale", API, "--replicas", "5"]);
    approve(&id, "team-lead");
    let mut doc = changes();
    change_mut(&mut doc, &id)["spec"]["deployment"] = Value::from("mcp-production/mcp-rust-server");
    write_changes(&doc);
    refused(
        &ops_as(
            "oncall",
            &[
                "--change",
                &id,
                "scale",
                "mcp-rust-server",
                "--replicas",
                "5",
            ],
        ),
        &[&id, "tampered"],
    );
}

#[test]
fn an_approval_copied_from_another_change_does_not_count() {
    let approved = request_deploy(PATCH);
    approve(&approved, "engineering-manager");
    let other = request_as(
        "oncall",
        &[
            "deploy",
            API,
            PATCH,
            "--description",
            "the same image, later",
        ],
    );
    let mut doc = changes();
    let approval = change_mut(&mut doc, &approved)["approvals"][0].clone();
    change_mut(&mut doc, &other)["approvals"] = Value::Array(vec![approval]);
    write_changes(&doc);
    refused(&deploy(PATCH, Some(&other), true), &[&other]);
    let shown = show(&other);
    assert_ne!(shown["report"]["status"], "approved", "{shown}");
    // Re-signed with the other change's digest, it still has no journal record.
    let mut cr = stored(&other);
    let digest = cr.digest();
    cr.approvals[0].digest = digest;
    store(&other, &cr);
    refused(
        &deploy(PATCH, Some(&other), true),
        &[&other, "no matching journal record"],
    );
}

#[test]
fn an_approval_added_by_hand_or_a_window_moved_is_refused() {
    let id = request_deploy(PATCH);
    let mut cr = stored(&id);
    cr.approvals.push(Approval {
        by: "engineering-manager".to_owned(),
        role: TeamRole::EngineeringManager,
        at: Timestamp::now(),
        comment: None,
        digest: cr.digest(),
    });
    store(&id, &cr);
    refused(
        &deploy(PATCH, Some(&id), true),
        &[&id, "no matching journal record"],
    );

    let id = request_deploy(PATCH);
    approve(&id, "engineering-manager");
    let mut doc = changes();
    change_mut(&mut doc, &id)["window"]["duration_secs"] = Value::from(7 * 86_400);
    write_changes(&doc);
    refused(&deploy(PATCH, Some(&id), true), &[&id, "tampered"]);
}

#[test]
fn a_closed_window_refuses() {
    // A change requested, approved and journaled two days ago for a 30-minute window.
    let state = common::state_dir();
    let then = Timestamp::now() - SignedDuration::from_hours(48);
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let id = runtime.block_on(async {
        let store = FileChangeStore::new(state.join("changes.json")).unwrap();
        let log = FileAuditLog::new(state.join("journal.jsonl")).unwrap();
        let draft = sample_deploy_draft(then, "Deploy v1.0.1");
        let cr = store
            .create(2026, &|id| ChangeRequest::new(id, draft.clone(), then))
            .await
            .unwrap();
        let digest = cr.digest();
        let approved = store
            .modify(&cr.id, &|mut c| {
                c.approvals.push(Approval {
                    by: "engineering-manager".to_owned(),
                    role: TeamRole::EngineeringManager,
                    at: then,
                    comment: None,
                    digest: digest.clone(),
                });
                Ok(c)
            })
            .await
            .unwrap();
        let mut requested =
            AuditDraft::new(then, "oncall", AuditKind::ChangeRequested, "requested")
                .with_change(Some(cr.id.as_str()));
        requested.digest = Some(digest.clone());
        let mut ok = AuditDraft::new(
            then,
            "engineering-manager",
            AuditKind::ChangeApproved,
            "approved",
        )
        .with_change(Some(cr.id.as_str()));
        ok.digest = Some(approved.digest());
        log.append(vec![requested, ok]).await.unwrap();
        cr.id.to_string()
    });
    let shown = show(&id);
    assert_eq!(shown["report"]["status"], "expired", "{shown}");
    assert_eq!(shown["status"], "ok", "{shown}");
    refused(&deploy(PATCH, Some(&id), true), &[&id, "closed"]);
    // Nor can it be approved any more.
    refused(
        &ops_as("team-lead", &["change", "approve", &id]),
        &[&id, "closed"],
    );
}

#[test]
fn an_unreadable_store_is_one_line_naming_the_file_not_its_content() {
    let id = request_deploy(PATCH);
    std::fs::write(
        change_cli::changes_path(),
        "{\"changes\": [ SECRET-LOOKING-TEXT",
    )
    .unwrap();
    let out = ops_as("oncall", &["change", "show", &id]);
    let (stdout, stderr) = texts(&out);
    assert_ne!(out.status.code(), Some(0), "{stdout}");
    assert!(stderr.contains("changes.json"), "{stderr}");
    assert!(!stderr.contains("SECRET-LOOKING-TEXT"), "{stderr}");
    assert_eq!(
        stderr
            .lines()
            .filter(|l| l.starts_with("ops: ") && !l.contains("embedded"))
            .count(),
        1,
        "{stderr}"
    );
}
