//! Change management, after the runbook's "Change Management" section: change requests
//! (`CR-YYYY-NNN`), their risk, the approvals each risk needs from the right people, and
//! whether a planned mutation may run under a change request now.
//!
//! - [`ChangeSpec`]: the exact change (image, replicas, resources, secret key, restore
//!   source …) a mutation must match; [`derive_risk`] gives its [`Risk`].
//! - [`ChangeRequest`]: the CR document (window, rollback plan, description, requester,
//!   approvals); [`ChangeRequest::digest`] is what approvers sign.
//! - [`TeamDirectory`]: people and their [`TeamRole`]s.
//! - [`ChangePolicy`]: the roles each risk needs (the runbook's by default), [`Review`] of the
//!   approvals, [`ChangeStatus`], and [`ChangePolicy::authorize`], which refuses with a
//!   typed [`ChangeRefusal`].
//! - [`ChangeStore`]: where requests are kept ([`MemoryChangeStore`] here).

mod evidence;
mod file;
pub mod gate;
mod id;
mod markdown;
mod memory;
mod refusal;
mod request;
mod review;
mod risk;
#[cfg(any(test, feature = "testing"))]
pub(crate) mod sample;
mod spec;
mod spec_bookkeeping;
mod store;
mod team;

#[cfg(test)]
mod document_tests;
#[cfg(test)]
mod tests;

pub use evidence::journal_mismatches;
pub use file::FileChangeStore;
pub use gate::ChangeGate;
pub use id::ChangeId;
pub use memory::MemoryChangeStore;
pub use refusal::ChangeRefusal;
pub use request::{
    Approval, BreakGlass, ChangeDraft, ChangeRequest, ChangeWindow, RETROACTIVE_WINDOW, Rejection,
    TEXT_MAX, WINDOW_MAX, WINDOW_MIN, canonical_json, check_text,
};
pub use review::{ChangePolicy, ChangeStatus, HIGH_DISTINCT_APPROVERS, Review};
pub use risk::{Risk, RiskAssessment, derive_risk};
pub use spec::{ChangeKind, ChangeSpec, SpecDifference};
pub use spec_bookkeeping::{IncidentChange, SILENCE_MINUTES_MAX};
pub use store::ChangeStore;
pub use team::{Person, TeamDirectory, TeamRole, check_handle};
