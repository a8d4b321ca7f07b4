//! The change request as a document: retroactive requests, JSON and digest, the Markdown of
//! the runbook's template, the error it becomes, and the memory store's contracts.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use jiff::SignedDuration;

use super::tests::{INSIDE, REQUESTED, approve, cr, deploy, scale, t, team};
use super::*;
use crate::Error;

#[test]
fn retroactive_change_awaits_review() {
    let spec = ChangeSpec::Rollback {
        deployment: "mcp-production/mcp-typescript-api".parse().unwrap(),
    };
    let now = t(INSIDE);
    let mut c = ChangeRequest::retroactive(
        ChangeId::new(2026, 9).unwrap(),
        spec,
        "error rate 14% after deploy",
        "oncall",
        now,
    )
    .unwrap();
    let policy = ChangePolicy::default();
    let later = now.checked_add(SignedDuration::from_hours(30)).unwrap();
    assert_eq!(
        c.window.end(),
        now.checked_add(SignedDuration::from_hours(1)).unwrap()
    );
    assert_eq!(
        policy.status(&c, &team(), later),
        ChangeStatus::AwaitingReview
    );
    assert!(c.break_glass.is_some() && c.is_retroactive());
    policy
        .may_approve(
            &c,
            "engineering-manager",
            TeamRole::EngineeringManager,
            &team(),
            later,
        )
        .unwrap();
    approve(&mut c, "engineering-manager", TeamRole::EngineeringManager);
    assert_eq!(policy.status(&c, &team(), later), ChangeStatus::Reviewed);
    assert!(
        ChangeRequest::retroactive(
            ChangeId::new(2026, 10).unwrap(),
            scale(1),
            "",
            "oncall",
            now
        )
        .is_err()
    );
}

#[test]
fn json_round_trips_and_digest_is_stable() {
    let mut c = cr(1, deploy("v1.0.1", "v1.0.0"));
    approve(&mut c, "engineering-manager", TeamRole::EngineeringManager);
    let json = serde_json::to_string(&c).unwrap();
    let back: ChangeRequest = serde_json::from_str(&json).unwrap();
    assert_eq!(back, c);
    assert_eq!(back.digest(), c.digest());
    assert_eq!(c.digest().len(), 64);
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["spec"]["type"], "deploy");
    assert_eq!(v["window"]["duration_secs"], 1800);
    assert_eq!(v["risk"], "medium");
    // Canonical form: keys sorted at every level, no whitespace.
    let canon =
        canonical_json(&serde_json::json!({"b": {"z": 1, "a": [2, {"y": 0, "x": 1}]}, "a": null}));
    assert_eq!(canon, r#"{"a":null,"b":{"a":[2,{"x":1,"y":0}],"z":1}}"#);
}

#[test]
fn refusal_becomes_a_non_retryable_error() {
    let e = Error::change_refused(ChangeRefusal::NoChangeRequest {
        planned: scale(5).summary(),
    });
    assert!(!e.is_retryable());
    assert_eq!(e.kind(), "change_refused");
    assert!(e.to_string().starts_with("refused by change policy: "));
    assert_eq!(e.duplicate().to_string(), e.to_string());
    assert_eq!(
        e.change_refusal().map(ChangeRefusal::kind),
        Some("no_change_request")
    );
}

#[test]
fn markdown_carries_every_field_of_the_runbook_template() {
    let mut c = cr(1, deploy("v1.0.1", "v1.0.0"));
    let policy = ChangePolicy::default();
    let md = c.to_markdown(&policy, &team(), t(REQUESTED));
    for line in [
        "## Change Request CR-2026-001",
        "**Type**: Deployment",
        "**Risk Level**: Medium",
        "**Scheduled**: 2026-01-08 15:00 UTC",
        "**Duration**: 30 minutes",
        "**Rollback Plan**: kubectl rollout undo",
        "**Approver**: @engineering-manager (engineering manager, pending)",
        "**Change Description**: Deploy v1.0.1 with performance improvements",
        "**Status**: Pending",
        "**Targets**: mcp-production/mcp-typescript-api",
        "**Requester**: @oncall",
        "**Requested**: 2026-01-08 14:00 UTC",
        "### Approvals",
    ] {
        assert!(md.contains(line), "missing {line:?} in\n{md}");
    }
    approve(&mut c, "engineering-manager", TeamRole::EngineeringManager);
    approve(&mut c, "oncall", TeamRole::TeamLead);
    let md = c.to_markdown(&policy, &team(), t(INSIDE));
    assert!(
        md.contains("**Approver**: @engineering-manager (engineering manager, approved)"),
        "{md}"
    );
    assert!(md.contains("**Status**: Approved"), "{md}");
    assert!(md.contains("| @oncall | team lead |"), "{md}");
    assert!(md.contains("| no: oncall requested"), "{md}");
}

#[cfg(feature = "testing")]
#[tokio::test]
async fn memory_store_passes_the_contracts() {
    let store = MemoryChangeStore::new();
    crate::testing::change_store_contract(&store).await.unwrap();
    let shared: std::sync::Arc<dyn ChangeStore> = std::sync::Arc::new(MemoryChangeStore::new());
    crate::testing::change_store_concurrency_contract(&[shared.clone(), shared])
        .await
        .unwrap();
}
