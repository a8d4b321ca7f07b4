//! Change management on the kit: a change gate over an in-memory store, and change requests
//! requested and approved by the runbook's team in one call.

use std::sync::Arc;
use std::time::Duration;

use super::TestKit;
use crate::change::{
    Approval, ChangeDraft, ChangeGate, ChangePolicy, ChangeRequest, ChangeSpec, ChangeWindow,
    MemoryChangeStore, TeamDirectory,
};
use crate::error::{Error, Result};

/// Who requests the kit's change requests (`oncall`, who holds no role in
/// [`TeamDirectory::runbook`]).
pub const REQUESTER: &str = "oncall";

impl TestKit {
    /// A change gate over a new [`MemoryChangeStore`], the runbook's policy (enforcing or
    /// not), the runbook's team ([`TeamDirectory::runbook`]) and the kit's three recording
    /// notifiers (a break-glass notice, P2, reaches Slack and email).
    pub fn change_gate(&self, enforce: bool) -> ChangeGate {
        let policy = ChangePolicy {
            enforce,
            ..ChangePolicy::default()
        };
        ChangeGate::new(
            Arc::new(MemoryChangeStore::new()),
            policy,
            TeamDirectory::runbook(),
        )
        .with_notifiers(self.notifiers().to_vec())
    }

    /// Requests `spec` in `gate`'s store as [`REQUESTER`] for `window`, not approved yet.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for a spec or window a change request cannot have; the
    /// store's errors.
    pub async fn requested_change(
        &self,
        gate: &ChangeGate,
        spec: ChangeSpec,
        window: ChangeWindow,
    ) -> Result<ChangeRequest> {
        let now = self.now();
        let draft = ChangeDraft {
            spec,
            window,
            rollback_plan: "undo the change with the same procedure".to_owned(),
            description: "requested by the test kit".to_owned(),
            requester: REQUESTER.to_owned(),
            requested_risk: None,
        };
        let year = now.to_zoned(jiff::tz::TimeZone::UTC).year();
        gate.store()
            .create(year, &|id| ChangeRequest::new(id, draft.clone(), now))
            .await
    }

    /// Requests `spec` for a window from now for an hour and approves it as the policy asks:
    /// one holder of each role its risk needs in the runbook's team (`team-lead`,
    /// `engineering-manager`, `architect`), each signing the request's digest.
    ///
    /// # Errors
    /// As [`TestKit::requested_change`]; [`Error::PolicyViolation`] when the team has nobody
    /// for a role the risk needs.
    pub async fn approved_change(
        &self,
        gate: &ChangeGate,
        spec: ChangeSpec,
    ) -> Result<ChangeRequest> {
        let window = ChangeWindow::new(self.now(), Duration::from_secs(3600))?;
        let cr = self.requested_change(gate, spec, window).await?;
        self.approve_change(gate, &cr).await
    }

    /// Approves `cr` in `gate`'s store by one holder of each role its risk needs.
    ///
    /// # Errors
    /// [`Error::PolicyViolation`] when the team has nobody for a role; the store's errors.
    pub async fn approve_change(
        &self,
        gate: &ChangeGate,
        cr: &ChangeRequest,
    ) -> Result<ChangeRequest> {
        let now = self.now();
        let mut approvers = Vec::new();
        for role in gate.policy().required(cr.risk) {
            let person = gate
                .directory()
                .holders(*role)
                .into_iter()
                .find(|p| {
                    p.handle != cr.requester && !approvers.iter().any(|(h, _)| *h == p.handle)
                })
                .ok_or_else(|| {
                    Error::policy("change policy", format!("nobody in the team holds {role}"))
                })?;
            approvers.push((person.handle.clone(), *role));
        }
        gate.store()
            .modify(&cr.id, &|mut cr| {
                let digest = cr.digest();
                for (by, role) in &approvers {
                    cr.approvals.push(Approval {
                        by: by.clone(),
                        role: *role,
                        at: now,
                        comment: Some("approved by the test kit".to_owned()),
                        digest: digest.clone(),
                    });
                }
                Ok(cr)
            })
            .await
    }
}
