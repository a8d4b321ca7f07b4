//! The store checked against the journal: a change request's approvals must each have been
//! journaled (same person, same digest) and its content must still be what was journaled
//! when it was requested. This catches a store edited by hand even when the editor
//! recomputed the digests (the policy alone sees only the store), and an approval copied
//! from another change.

use mcp_ops_core::audit::{AuditKind, AuditRecord};
use mcp_ops_core::change::ChangeRequest;

use crate::backends::Backends;
use crate::cli::{Command, Global};
use crate::{Failure, change_setup};

/// What in `cr` the journal does not back, one line each; empty when everything matches.
pub fn journal_mismatches(cr: &ChangeRequest, records: &[AuditRecord]) -> Vec<String> {
    let id = cr.id.as_str();
    let of = |kind: AuditKind| {
        records
            .iter()
            .filter(move |r| r.draft.kind == kind && r.draft.change.as_deref() == Some(id))
    };
    let mut out = Vec::new();
    // A break-glass change request is opened by the gate inside a procedure (journaled as its
    // step); the others were requested through `ops change request`.
    if !cr.is_retroactive() {
        let digest = cr.digest();
        let requested: Vec<&AuditRecord> = of(AuditKind::ChangeRequested).collect();
        if requested.is_empty() {
            out.push(format!("{id} has no request in the journal"));
        } else if !requested
            .iter()
            .any(|r| r.draft.digest.as_deref() == Some(digest.as_str()))
        {
            out.push(format!(
                "{id} differs from what was requested (its digest is not the journaled one)"
            ));
        }
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

/// Before a command that runs under `--change`: the change request must exist and match
/// the journal ([`journal_mismatches`]); a refusal otherwise (journaled by the caller).
/// The change and journal commands and the drill are not checked here.
///
/// # Errors
/// [`Failure::Refused`] naming what does not match; [`Failure::Failed`] when the store or
/// the journal cannot be read.
pub async fn guard(command: &Command, g: &Global, b: &Backends) -> Result<(), Failure> {
    if g.dry_run
        || matches!(
            command,
            Command::Change { .. } | Command::Journal { .. } | Command::Drill { .. }
        )
    {
        return Ok(());
    }
    let (Some(id), Some(setup)) = (change_setup::change_id(g)?, &b.changes) else {
        return Ok(());
    };
    // An unknown change is the gate's refusal (UnknownChange); nothing to compare here.
    let Some(cr) = setup.store.get(&id).await? else {
        return Ok(());
    };
    let records = setup.audit.records().await?;
    let problems = journal_mismatches(&cr, &records);
    if problems.is_empty() {
        return Ok(());
    }
    Err(Failure::Refused(format!(
        "refused by change policy: change request {id} was tampered with: {}",
        problems.join("; ")
    )))
}
