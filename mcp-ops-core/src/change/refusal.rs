//! [`ChangeRefusal`]: why the change policy refuses a mutation or an approval.

use jiff::Timestamp;
use serde::Serialize;

use super::{ChangeId, Risk, SpecDifference, TeamRole};

/// Why a mutation (or an approval) is refused by the change policy. Every message names the
/// change request and what is missing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[serde(tag = "refusal", rename_all = "snake_case")]
#[non_exhaustive]
pub enum ChangeRefusal {
    /// Changes are enforced and the mutation names no change request.
    #[error(
        "{planned}: no change request given and changes are enforced; request one with `ops change request` and pass --change CR-…"
    )]
    NoChangeRequest {
        /// The planned change (summary).
        planned: String,
    },
    /// The change request does not exist.
    #[error("change request {id} does not exist")]
    UnknownChange {
        /// The id given.
        id: ChangeId,
    },
    /// The change request was rejected.
    #[error("change request {id} was rejected by {by}: {comment}")]
    Rejected {
        /// The change request.
        id: ChangeId,
        /// Who rejected it.
        by: String,
        /// Their comment.
        comment: String,
    },
    /// The requester tried to approve their own change.
    #[error("{who} requested {id} and cannot approve it: another person must")]
    SelfApproval {
        /// The change request.
        id: ChangeId,
        /// The requester.
        who: String,
    },
    /// The approver does not hold the role they approve as.
    #[error(
        "{who} does not hold the role {role} in the team directory and cannot approve {id} as {role}"
    )]
    RoleNotHeld {
        /// The change request.
        id: ChangeId,
        /// The would-be approver.
        who: String,
        /// The role claimed.
        role: TeamRole,
    },
    /// The person already approved this change request.
    #[error("{who} already approved {id}; a second approval needs another person")]
    AlreadyApproved {
        /// The change request.
        id: ChangeId,
        /// The approver.
        who: String,
    },
    /// The approvals the risk needs are not all there.
    #[error(
        "{id} ({risk} risk) is not approved: {}; {distinct_have} of {distinct_needed} distinct approvers besides the requester",
        missing_text(.missing)
    )]
    ApprovalsMissing {
        /// The change request.
        id: ChangeId,
        /// Its risk.
        risk: Risk,
        /// The roles no valid approval covers.
        missing: Vec<TeamRole>,
        /// How many distinct approvers the risk needs.
        distinct_needed: usize,
        /// How many valid distinct approvers there are.
        distinct_have: usize,
    },
    /// The stored change request no longer matches what was approved or journaled.
    #[error("{id} was tampered with: {what}")]
    Tampered {
        /// The change request.
        id: ChangeId,
        /// What does not match.
        what: String,
    },
    /// What is about to run is not what was approved.
    #[error("the planned change does not match {id}: {}", differences_text(.differences))]
    Mismatch {
        /// The change request.
        id: ChangeId,
        /// Every field that differs.
        differences: Vec<SpecDifference>,
    },
    /// The change window has not started.
    #[error("the window of {id} opens at {start}; it is not open yet")]
    NotYetOpen {
        /// The change request.
        id: ChangeId,
        /// When the window opens.
        start: Timestamp,
    },
    /// The change window is over.
    #[error("the window of {id} closed at {end}; request a new change")]
    WindowClosed {
        /// The change request.
        id: ChangeId,
        /// When the window closed.
        end: Timestamp,
    },
    /// The change request records a break-glass action already taken: reviewing it
    /// authorizes nothing new.
    #[error(
        "{id} is the record of a break-glass action already taken; its review authorizes nothing new: request a change"
    )]
    Retroactive {
        /// The change request.
        id: ChangeId,
    },
    /// Break-glass was asked for something other than a rollback.
    #[error(
        "{planned}: break-glass only covers a rollback; this change needs an approved change request"
    )]
    NotBreakGlass {
        /// The planned change (summary).
        planned: String,
    },
}

impl ChangeRefusal {
    /// A short stable name of the refusal (`self_approval`, `mismatch` …), for journals.
    pub fn kind(&self) -> &'static str {
        match self {
            ChangeRefusal::NoChangeRequest { .. } => "no_change_request",
            ChangeRefusal::UnknownChange { .. } => "unknown_change",
            ChangeRefusal::Rejected { .. } => "rejected",
            ChangeRefusal::SelfApproval { .. } => "self_approval",
            ChangeRefusal::RoleNotHeld { .. } => "role_not_held",
            ChangeRefusal::AlreadyApproved { .. } => "already_approved",
            ChangeRefusal::ApprovalsMissing { .. } => "approvals_missing",
            ChangeRefusal::Tampered { .. } => "tampered",
            ChangeRefusal::Mismatch { .. } => "mismatch",
            ChangeRefusal::NotYetOpen { .. } => "not_yet_open",
            ChangeRefusal::WindowClosed { .. } => "window_closed",
            ChangeRefusal::NotBreakGlass { .. } => "not_break_glass",
            ChangeRefusal::Retroactive { .. } => "retroactive",
        }
    }

    /// The change request the refusal is about, when there is one.
    pub fn change(&self) -> Option<&ChangeId> {
        match self {
            ChangeRefusal::NoChangeRequest { .. } | ChangeRefusal::NotBreakGlass { .. } => None,
            ChangeRefusal::UnknownChange { id }
            | ChangeRefusal::Rejected { id, .. }
            | ChangeRefusal::SelfApproval { id, .. }
            | ChangeRefusal::RoleNotHeld { id, .. }
            | ChangeRefusal::AlreadyApproved { id, .. }
            | ChangeRefusal::ApprovalsMissing { id, .. }
            | ChangeRefusal::Tampered { id, .. }
            | ChangeRefusal::Mismatch { id, .. }
            | ChangeRefusal::NotYetOpen { id, .. }
            | ChangeRefusal::WindowClosed { id, .. }
            | ChangeRefusal::Retroactive { id } => Some(id),
        }
    }
}

fn missing_text(missing: &[TeamRole]) -> String {
    if missing.is_empty() {
        "every role is covered".to_owned()
    } else {
        let roles: Vec<String> = missing.iter().map(ToString::to_string).collect();
        format!("missing approval by {}", roles.join(" and "))
    }
}

fn differences_text(differences: &[SpecDifference]) -> String {
    let parts: Vec<String> = differences.iter().map(ToString::to_string).collect();
    parts.join("; ")
}
