//! A gate given the persisted journal (`ChangeGate::with_audit`) authorizes a change request
//! only when the journal backs it: its request and each approval were journaled with the
//! digests the store holds. A store edited by hand — an approval added with a correctly
//! recomputed digest — is refused as tampered before any write.
#![cfg(feature = "testkit")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use mcp_ops_core::audit::{AuditDraft, AuditKind, AuditLog, MemoryAuditLog};
use mcp_ops_core::change::{ChangeRequest, ChangeSpec};
use mcp_ops_core::testkit::TestKit;
use mcp_ops_core::types::{DeploymentRef, Replicas};

fn scale(n: u32) -> ChangeSpec {
    ChangeSpec::Scale {
        deployment: "mcp-production/mcp-rust-server"
            .parse::<DeploymentRef>()
            .unwrap(),
        replicas: Replicas::new(n).unwrap(),
    }
}

/// What a front end journals when `cr` is requested and approved.
fn journaled(cr: &ChangeRequest) -> Vec<AuditDraft> {
    let mut drafts = vec![{
        let mut d = AuditDraft::new(
            cr.requested_at,
            &cr.requester,
            AuditKind::ChangeRequested,
            "requested",
        )
        .with_change(Some(cr.id.as_str()));
        d.digest = Some(cr.digest());
        d
    }];
    for a in &cr.approvals {
        let mut d = AuditDraft::new(a.at, &a.by, AuditKind::ChangeApproved, "approved")
            .with_change(Some(cr.id.as_str()));
        d.digest = Some(a.digest.clone());
        drafts.push(d);
    }
    drafts
}

#[tokio::test(start_paused = true)]
async fn only_a_change_request_the_journal_backs_is_authorized() {
    let kit = TestKit::runbook().await.unwrap();
    let journal = Arc::new(MemoryAuditLog::default());
    let gate = kit.change_gate(true).with_audit(journal.clone());
    let cr = kit.approved_change(&gate, scale(8)).await.unwrap();
    let gate = gate.with_change(Some(cr.id.clone()));

    // Approved in the store, but nothing in the journal: refused as tampered.
    let ctx = kit
        .context("scale_out", "launch")
        .unwrap()
        .with_change_gate(gate.clone());
    let err = ctx.authorize(&scale(8)).await.unwrap_err();
    let refusal = err.change_refusal().unwrap();
    assert_eq!(refusal.kind(), "tampered", "{err}");
    assert!(
        err.to_string().contains("no request in the journal"),
        "{err}"
    );

    // Journaled as it happened: authorized.
    journal.append(journaled(&cr)).await.unwrap();
    let ctx = kit
        .context("scale_out", "launch")
        .unwrap()
        .with_change_gate(gate.clone());
    assert_eq!(ctx.authorize(&scale(8)).await.unwrap(), Some(cr.id.clone()));

    // A second approval written into the store by hand, digest recomputed: refused, and the
    // refusal names who it claims to be from.
    gate.store()
        .modify(&cr.id, &|mut c: ChangeRequest| {
            let mut forged = c.approvals[0].clone();
            forged.by = "architect".to_owned();
            forged.digest = c.digest();
            c.approvals.push(forged);
            Ok(c)
        })
        .await
        .unwrap();
    let ctx = kit
        .context("scale_out", "launch")
        .unwrap()
        .with_change_gate(gate);
    let err = ctx.authorize(&scale(8)).await.unwrap_err();
    assert!(
        err.to_string().contains("approval of") && err.to_string().contains("architect"),
        "{err}"
    );
}
