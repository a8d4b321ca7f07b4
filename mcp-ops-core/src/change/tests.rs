//! The rules of change management, one test each: every bypass is refused.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::Duration;

use jiff::Timestamp;

use super::*;
use crate::Error;

pub(super) fn t(s: &str) -> Timestamp {
    s.parse().unwrap()
}

pub(super) const REQUESTED: &str = "2026-01-08T14:00:00Z";
pub(super) const START: &str = "2026-01-08T15:00:00Z";
pub(super) const INSIDE: &str = "2026-01-08T15:10:00Z";
pub(super) const IMAGE: &str = "ghcr.io/your-org/mcp-typescript-server";

pub(super) fn deploy(to: &str, from: &str) -> ChangeSpec {
    ChangeSpec::Deploy {
        deployment: "mcp-production/mcp-typescript-api".parse().unwrap(),
        container: "mcp-typescript-api".parse().unwrap(),
        image: format!("{IMAGE}:{to}").parse().unwrap(),
        from: Some(format!("{IMAGE}:{from}").parse().unwrap()),
    }
}

pub(super) fn scale(n: u32) -> ChangeSpec {
    ChangeSpec::Scale {
        deployment: "mcp-production/mcp-typescript-api".parse().unwrap(),
        replicas: crate::types::Replicas::new(n).unwrap(),
    }
}

pub(super) fn draft(spec: ChangeSpec) -> ChangeDraft {
    ChangeDraft {
        spec,
        window: ChangeWindow::new(t(START), Duration::from_secs(30 * 60)).unwrap(),
        rollback_plan: "kubectl rollout undo".into(),
        description: "Deploy v1.0.1 with performance improvements".into(),
        requester: "oncall".into(),
        requested_risk: None,
    }
}

pub(super) fn cr(number: u32, spec: ChangeSpec) -> ChangeRequest {
    ChangeRequest::new(
        ChangeId::new(2026, number).unwrap(),
        draft(spec),
        t(REQUESTED),
    )
    .unwrap()
}

pub(super) fn approve(cr: &mut ChangeRequest, by: &str, role: TeamRole) {
    let digest = cr.digest();
    cr.approvals.push(Approval {
        by: by.into(),
        role,
        at: t(INSIDE),
        comment: None,
        digest,
    });
}

pub(super) fn team() -> TeamDirectory {
    TeamDirectory::runbook()
}

pub(super) fn authorize(cr: &ChangeRequest, planned: &ChangeSpec) -> Result<(), ChangeRefusal> {
    ChangePolicy::default().authorize(cr, planned, &team(), t(INSIDE))
}

#[test]
fn approved_medium_change_runs_inside_its_window() {
    let spec = deploy("v1.0.1", "v1.0.0");
    let mut c = cr(1, spec.clone());
    assert_eq!(c.risk, Risk::Medium);
    approve(&mut c, "engineering-manager", TeamRole::EngineeringManager);
    assert_eq!(authorize(&c, &spec), Ok(()));
    let policy = ChangePolicy::default();
    assert_eq!(
        policy.status(&c, &team(), t(INSIDE)),
        ChangeStatus::Approved
    );
}

#[test]
fn self_approval_does_not_count_and_is_refused() {
    let spec = scale(5);
    let mut c = cr(1, spec.clone());
    let mut dir = team().people().to_vec();
    dir.iter_mut()
        .find(|p| p.handle == "oncall")
        .unwrap()
        .roles
        .push(TeamRole::TeamLead);
    let dir = TeamDirectory::new(dir).unwrap();
    let policy = ChangePolicy::default();
    assert!(matches!(
        policy.may_approve(&c, "oncall", TeamRole::TeamLead, &dir, t(INSIDE)),
        Err(ChangeRefusal::SelfApproval { .. })
    ));
    approve(&mut c, "oncall", TeamRole::TeamLead);
    let review = policy.review(&c, &dir);
    assert_eq!(review.missing, vec![TeamRole::TeamLead]);
    assert!(review.void[0].1.contains("cannot approve"), "{review:?}");
    let refusal = policy.authorize(&c, &spec, &dir, t(INSIDE)).unwrap_err();
    assert!(matches!(refusal, ChangeRefusal::ApprovalsMissing { .. }));
    assert!(refusal.to_string().contains("team lead"), "{refusal}");
    assert!(refusal.to_string().contains("CR-2026-001"), "{refusal}");
}

#[test]
fn approval_by_someone_without_the_role_is_refused() {
    let spec = scale(5);
    let mut c = cr(1, spec.clone());
    let policy = ChangePolicy::default();
    for (who, role) in [
        ("architect", TeamRole::TeamLead),
        ("nobody", TeamRole::TeamLead),
        ("engineering-manager", TeamRole::TeamLead),
    ] {
        assert!(matches!(
            policy.may_approve(&c, who, role, &team(), t(INSIDE)),
            Err(ChangeRefusal::RoleNotHeld { .. })
        ));
    }
    // Written straight into the store: still does not count.
    approve(&mut c, "architect", TeamRole::TeamLead);
    assert!(matches!(
        authorize(&c, &spec),
        Err(ChangeRefusal::ApprovalsMissing { .. })
    ));
    // A role held when approving but withdrawn since no longer counts.
    let mut c = cr(2, spec.clone());
    approve(&mut c, "team-lead", TeamRole::TeamLead);
    assert_eq!(authorize(&c, &spec), Ok(()));
    let demoted =
        TeamDirectory::new(vec![Person::new("team-lead", None, vec![]).unwrap()]).unwrap();
    assert!(policy.authorize(&c, &spec, &demoted, t(INSIDE)).is_err());
}

#[test]
fn a_second_approval_by_the_same_person_is_refused() {
    let mut c = cr(1, scale(5));
    approve(&mut c, "team-lead", TeamRole::TeamLead);
    assert!(matches!(
        ChangePolicy::default().may_approve(
            &c,
            "team-lead",
            TeamRole::TeamLead,
            &team(),
            t(INSIDE)
        ),
        Err(ChangeRefusal::AlreadyApproved { .. })
    ));
}

#[test]
fn high_needs_two_distinct_approvers() {
    let spec = deploy("v2.0.0", "v1.4.2");
    let mut c = cr(1, spec.clone());
    assert_eq!(c.risk, Risk::High);
    approve(&mut c, "engineering-manager", TeamRole::EngineeringManager);
    let refusal = authorize(&c, &spec).unwrap_err();
    match &refusal {
        ChangeRefusal::ApprovalsMissing {
            missing,
            distinct_needed,
            distinct_have,
            ..
        } => {
            assert_eq!(missing, &vec![TeamRole::ArchitectureReview]);
            assert_eq!((*distinct_needed, *distinct_have), (2, 1));
        }
        other => panic!("{other:?}"),
    }
    assert!(refusal.to_string().contains("architecture review"));

    // One person holding both roles approving twice is still one approver.
    let both = TeamDirectory::new(vec![
        Person::new(
            "boss",
            None,
            vec![TeamRole::EngineeringManager, TeamRole::ArchitectureReview],
        )
        .unwrap(),
    ])
    .unwrap();
    let mut c2 = cr(2, spec.clone());
    approve(&mut c2, "boss", TeamRole::EngineeringManager);
    approve(&mut c2, "boss", TeamRole::ArchitectureReview);
    let policy = ChangePolicy::default();
    assert!(policy.authorize(&c2, &spec, &both, t(INSIDE)).is_err());

    // A policy that lists one role for High still needs two people.
    let lax = ChangePolicy {
        high: vec![TeamRole::EngineeringManager],
        ..ChangePolicy::default()
    };
    let mut c3 = cr(3, spec.clone());
    approve(&mut c3, "engineering-manager", TeamRole::EngineeringManager);
    assert!(matches!(
        lax.authorize(&c3, &spec, &team(), t(INSIDE)),
        Err(ChangeRefusal::ApprovalsMissing {
            distinct_needed: 2,
            distinct_have: 1,
            ..
        })
    ));
    approve(&mut c3, "team-lead", TeamRole::TeamLead);
    assert_eq!(lax.authorize(&c3, &spec, &team(), t(INSIDE)), Ok(()));

    approve(&mut c, "architect", TeamRole::ArchitectureReview);
    assert_eq!(authorize(&c, &spec), Ok(()));
}

#[test]
fn an_approval_replayed_from_another_change_is_refused() {
    let spec = deploy("v1.0.1", "v1.0.0");
    let mut first = cr(1, spec.clone());
    approve(
        &mut first,
        "engineering-manager",
        TeamRole::EngineeringManager,
    );
    let mut second = cr(2, spec.clone());
    second.approvals = first.approvals.clone();
    assert!(matches!(
        authorize(&second, &spec),
        Err(ChangeRefusal::Tampered { .. })
    ));
    let review = ChangePolicy::default().review(&second, &team());
    assert_eq!(review.missing, vec![TeamRole::EngineeringManager]);
    assert!(review.void[0].1.contains("other content"));
}

#[test]
fn a_change_edited_after_approval_is_refused() {
    let spec = deploy("v1.0.1", "v1.0.0");
    let mut c = cr(1, spec.clone());
    approve(&mut c, "engineering-manager", TeamRole::EngineeringManager);
    let mut edited = c.clone();
    edited.spec = deploy("v1.0.2", "v1.0.0");
    assert!(matches!(
        authorize(&edited, &edited.spec.clone()),
        Err(ChangeRefusal::Tampered { .. })
    ));
    let mut longer = c.clone();
    longer.window.duration = Duration::from_secs(7 * 24 * 3600);
    assert!(matches!(
        authorize(&longer, &spec),
        Err(ChangeRefusal::Tampered { .. })
    ));
    // A risk lowered by hand before anyone approved: the approvals sign the lowered
    // digest, but the change still derives its own risk.
    let mut lowered = cr(2, deploy("v2.0.0", "v1.0.0"));
    lowered.risk = Risk::Low;
    lowered.derived_risk.risk = Risk::Low;
    approve(&mut lowered, "team-lead", TeamRole::TeamLead);
    let refusal = authorize(&lowered, &lowered.spec.clone()).unwrap_err();
    assert!(
        matches!(refusal, ChangeRefusal::Tampered { .. }),
        "{refusal}"
    );
    assert!(refusal.to_string().contains("High"), "{refusal}");
    // Approvals and the rejection are outside the digest; everything else is in it.
    let mut other = c.clone();
    other.approvals.clear();
    assert_eq!(other.digest(), c.digest());
    other.description.push('!');
    assert_ne!(other.digest(), c.digest());
}

#[test]
fn planned_change_must_match_the_approved_one() {
    let spec = deploy("v1.0.1", "v1.0.0");
    let mut c = cr(1, spec.clone());
    approve(&mut c, "engineering-manager", TeamRole::EngineeringManager);
    let image = deploy("v1.0.2", "v1.0.0");
    match authorize(&c, &image) {
        Err(ChangeRefusal::Mismatch { differences, .. }) => {
            assert_eq!(differences.len(), 1);
            assert_eq!(differences[0].field, "image");
            assert!(differences[0].planned.ends_with(":v1.0.2"));
        }
        other => panic!("{other:?}"),
    }
    let target = ChangeSpec::Deploy {
        deployment: "mcp-production/mcp-python-api".parse().unwrap(),
        container: "mcp-typescript-api".parse().unwrap(),
        image: format!("{IMAGE}:v1.0.1").parse().unwrap(),
        from: None,
    };
    let refusal = authorize(&c, &target).unwrap_err();
    assert!(refusal.to_string().contains("deployment"), "{refusal}");
    assert!(matches!(
        authorize(&c, &scale(3)),
        Err(ChangeRefusal::Mismatch { .. })
    ));

    // Replicas changed after approval.
    let mut s = cr(2, scale(5));
    approve(&mut s, "team-lead", TeamRole::TeamLead);
    match authorize(&s, &scale(50)) {
        Err(ChangeRefusal::Mismatch { differences, .. }) => {
            assert_eq!(differences[0].field, "replicas");
            assert_eq!(
                (
                    differences[0].approved.as_str(),
                    differences[0].planned.as_str()
                ),
                ("5", "50")
            );
        }
        other => panic!("{other:?}"),
    }
    // The running image changed since approval.
    assert!(authorize(&c, &deploy("v1.0.1", "v0.9.0")).is_err());
}

#[test]
fn window_not_open_or_closed_is_refused() {
    let spec = scale(5);
    let mut c = cr(1, spec.clone());
    approve(&mut c, "team-lead", TeamRole::TeamLead);
    let policy = ChangePolicy::default();
    let at = |s: &str| policy.authorize(&c, &spec, &team(), t(s));
    assert!(matches!(
        at("2026-01-08T14:59:59Z"),
        Err(ChangeRefusal::NotYetOpen { .. })
    ));
    assert_eq!(at(START), Ok(()));
    assert_eq!(at("2026-01-08T15:29:59Z"), Ok(()));
    let closed = at("2026-01-08T15:30:00Z").unwrap_err();
    assert!(matches!(closed, ChangeRefusal::WindowClosed { .. }));
    assert!(closed.to_string().contains("CR-2026-001"));
    assert_eq!(
        policy.status(&c, &team(), t("2026-01-08T15:30:00Z")),
        ChangeStatus::Expired
    );
    // No approval once expired.
    let fresh = cr(2, spec);
    assert!(matches!(
        policy.may_approve(
            &fresh,
            "team-lead",
            TeamRole::TeamLead,
            &team(),
            t("2026-01-09T00:00:00Z")
        ),
        Err(ChangeRefusal::WindowClosed { .. })
    ));
}

#[test]
fn rejected_change_is_refused_first() {
    let spec = scale(5);
    let mut c = cr(1, spec.clone());
    approve(&mut c, "team-lead", TeamRole::TeamLead);
    c.rejection = Some(Rejection {
        by: "engineering-manager".into(),
        at: t(INSIDE),
        comment: "not during the launch".into(),
    });
    let r = authorize(&c, &scale(99)).unwrap_err();
    assert!(matches!(r, ChangeRefusal::Rejected { .. }));
    assert!(r.to_string().contains("not during the launch"));
    let policy = ChangePolicy::default();
    assert_eq!(
        policy.status(&c, &team(), t(INSIDE)),
        ChangeStatus::Rejected
    );
    assert!(
        policy
            .may_approve(
                &c,
                "architect",
                TeamRole::ArchitectureReview,
                &team(),
                t(INSIDE)
            )
            .is_err()
    );
}

#[test]
fn requester_may_raise_risk_never_lower_it() {
    let mut d = draft(deploy("v1.0.1", "v1.0.0"));
    d.requested_risk = Some(Risk::High);
    let c = ChangeRequest::new(ChangeId::new(2026, 1).unwrap(), d.clone(), t(REQUESTED)).unwrap();
    assert_eq!((c.risk, c.derived_risk.risk), (Risk::High, Risk::Medium));
    d.requested_risk = Some(Risk::Low);
    let err = ChangeRequest::new(ChangeId::new(2026, 2).unwrap(), d, t(REQUESTED)).unwrap_err();
    let text = err.to_string();
    assert!(matches!(err, Error::InvalidInput { field: "risk", .. }));
    assert!(text.contains("Low") && text.contains("Medium"), "{text}");
}

#[test]
fn drafts_are_validated() {
    let id = || ChangeId::new(2026, 1).unwrap();
    let bad = [
        ChangeDraft {
            rollback_plan: " ".into(),
            ..draft(scale(2))
        },
        ChangeDraft {
            description: "a\nb".into(),
            ..draft(scale(2))
        },
        ChangeDraft {
            description: "x".repeat(TEXT_MAX + 1),
            ..draft(scale(2))
        },
        ChangeDraft {
            requester: "Oncall".into(),
            ..draft(scale(2))
        },
        ChangeDraft {
            window: ChangeWindow {
                start: t("2026-01-01T00:00:00Z"),
                duration: Duration::from_secs(600),
            },
            ..draft(scale(2))
        },
        ChangeDraft {
            window: ChangeWindow {
                start: t(START),
                duration: Duration::from_secs(30),
            },
            ..draft(scale(2))
        },
        draft(ChangeSpec::RotateSecret {
            namespace: "mcp-production".parse().unwrap(),
            secret: "db".parse().unwrap(),
            key: "pass word".into(),
        }),
    ];
    for d in bad {
        assert!(
            ChangeRequest::new(id(), d.clone(), t(REQUESTED)).is_err(),
            "{d:?}"
        );
    }
    assert!(ChangeWindow::new(t(START), Duration::from_secs(7 * 24 * 3600 + 1)).is_err());
    assert!(ChangeWindow::new(t(START), Duration::from_secs(60)).is_ok());
}

#[test]
fn a_reviewed_break_glass_record_authorizes_nothing_new() {
    let rollback = ChangeSpec::Rollback {
        deployment: "mcp-production/mcp-typescript-api".parse().unwrap(),
    };
    let mut glass = ChangeRequest::retroactive(
        ChangeId::new(2026, 9).unwrap(),
        rollback.clone(),
        "error rate 30 % measured",
        "oncall",
        t(INSIDE),
    )
    .unwrap();
    approve(
        &mut glass,
        "engineering-manager",
        TeamRole::EngineeringManager,
    );
    let refusal = ChangePolicy::default()
        .authorize(&glass, &rollback, &team(), t(INSIDE))
        .unwrap_err();
    assert_eq!(refusal.kind(), "retroactive");
    assert!(
        refusal.to_string().contains("authorizes nothing new"),
        "{refusal}"
    );
}
