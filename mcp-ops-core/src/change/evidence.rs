//! A change request checked against the persisted journal: what the store says must be what
//! was journaled when it happened.
//!
//! The policy ([`ChangePolicy::authorize`](super::ChangePolicy::authorize)) sees only the
//! store. Someone who edits the store by hand and recomputes the digests — adding an
//! approval, or changing the image and re-signing — passes it. The journal
//! ([`crate::audit`]) recorded every request and approval with its digest when it was made,
//! in a hash chain, so [`journal_mismatches`] names every approval no journal record backs
//! and a request whose content is not the journaled one. A gate given the journal
//! ([`ChangeGate::with_audit`](super::ChangeGate::with_audit)) refuses such a change
//! request as tampered.

use super::ChangeRequest;
use crate::audit::{AuditKind, AuditRecord};

/// What in `cr` the journal `records` does not back, one line each; empty when everything
/// matches.
///
/// - A request made through a front end (not a break-glass one) needs a
///   [`AuditKind::ChangeRequested`] record of its id with its current digest.
/// - Every approval needs an [`AuditKind::ChangeApproved`] record of its id by the same
///   person with the digest the approval signed.
/// - A request the journal records as rejected ([`AuditKind::ChangeRejected`]) must still
///   carry its rejection (a rejection deleted from the store does not revive the approvals).
///
/// A retroactive (break-glass) request is opened inside a procedure and journaled as that
/// procedure's step, so only its approvals are checked.
///
/// # Example
///
/// ```
/// use jiff::Timestamp;
/// use mcp_ops_core::audit::{AuditLog, MemoryAuditLog};
/// use mcp_ops_core::change::{journal_mismatches, ChangeId, ChangeRequest, ChangeSpec};
/// use mcp_ops_core::types::DeploymentRef;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> mcp_ops_core::Result<()> {
/// let now: Timestamp = "2026-12-06T10:00:00Z".parse().map_err(|_| mcp_ops_core::Error::invalid("time", "bad"))?;
/// let spec = ChangeSpec::Rollback { deployment: "mcp-production/mcp-typescript-api".parse::<DeploymentRef>()? };
/// let cr = ChangeRequest::retroactive(ChangeId::new(2026, 1)?, spec, "5xx spike", "oncall", now)?;
/// let journal = MemoryAuditLog::default();
/// // No approval yet: nothing to back.
/// assert!(journal_mismatches(&cr, &journal.records().await?).is_empty());
/// // An approval written into the store by hand, with the right digest, but never journaled.
/// let mut forged = cr.clone();
/// forged.approvals.push(mcp_ops_core::change::Approval {
///     by: "team-lead".into(),
///     role: mcp_ops_core::change::TeamRole::TeamLead,
///     at: now,
///     comment: None,
///     digest: cr.digest(),
/// });
/// let problems = journal_mismatches(&forged, &journal.records().await?);
/// assert_eq!(problems.len(), 1, "{problems:?}");
/// # Ok(())
/// # }
/// ```
pub fn journal_mismatches(cr: &ChangeRequest, records: &[AuditRecord]) -> Vec<String> {
    let id = cr.id.as_str();
    let of = |kind: AuditKind| {
        records
            .iter()
            .filter(move |r| r.draft.kind == kind && r.draft.change.as_deref() == Some(id))
    };
    let mut out = Vec::new();
    if !cr.is_retroactive() {
        let digest = cr.digest();
        let mut requested = of(AuditKind::ChangeRequested).peekable();
        if requested.peek().is_none() {
            out.push(format!("{id} has no request in the journal"));
        } else if !requested.any(|r| r.draft.digest.as_deref() == Some(digest.as_str())) {
            out.push(format!(
                "{id} differs from what was requested (its digest is not the journaled one)"
            ));
        }
    }
    // A rejection is final: the journal remembers it even when the store forgets it.
    if cr.rejection.is_none()
        && let Some(r) = of(AuditKind::ChangeRejected).next()
    {
        out.push(format!(
            "{id} was rejected by {} (journal record {}), but the store has no rejection",
            r.draft.actor, r.seq
        ));
    }
    for a in &cr.approvals {
        let backed = of(AuditKind::ChangeApproved)
            .any(|r| r.draft.actor == a.by && r.draft.digest.as_deref() == Some(a.digest.as_str()));
        if !backed {
            out.push(format!(
                "the approval of {id} by {} has no matching journal record",
                a.by
            ));
        }
    }
    out
}
