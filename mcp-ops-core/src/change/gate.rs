//! [`ChangeGate`]: the change policy between every front end and every mutation.
//!
//! A front end (the CLI, the MCP tools, the service) builds one gate — the change store, the
//! policy, the team directory, the change id the caller names and the notifiers that reach
//! the approvers — and hands it to the procedure's context with
//! [`Context::with_change_gate`](crate::runbook::Context::with_change_gate). Every mutating
//! procedure then calls [`Context::authorize`](crate::runbook::Context::authorize) after
//! validating its input and before its first write; an emergency rollback without approval
//! goes through [`Context::break_glass`](crate::runbook::Context::break_glass), which opens a
//! retroactive change request and tells the approvers.
//!
//! The backstop: in a context whose gate enforces, a mutating step
//! ([`Step::act`](crate::runbook::Step::act)) that is not a dry run refuses unless an
//! authorization or a break-glass succeeded in that context (or one of its
//! [`for_procedure`](crate::runbook::Context::for_procedure) clones). A procedure that forgot
//! to ask cannot write around the policy.

use std::fmt::Write as _;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::audit::AuditLog;

use super::{ChangeId, ChangePolicy, ChangeRequest, ChangeStore, TeamDirectory};
use crate::error::Result;
use crate::incident::IncidentId;
use crate::notify::{Message, MessageKind, Notifier};
use crate::types::Severity;

/// The journal step of every change check (`change check`): an authorization, a note that
/// none was needed, or a refusal (outcome `failed`, detail `refused: …`).
pub const CHANGE_CHECK_STEP: &str = "change check";

/// The journal step of a break-glass (`break-glass`): the retroactive change request opened.
pub const BREAK_GLASS_STEP: &str = "break-glass";

/// The journal step of each notice to the approvers after a break-glass.
pub const NOTIFY_APPROVERS_STEP: &str = "notify approvers";

/// The severity of a change-review notice: P2 reaches Slack and email, never pages.
pub const REVIEW_SEVERITY: Severity = Severity::P2;

/// What stands between a front end and a mutation: where change requests are kept, the
/// policy (the roles each risk needs, whether enforcement is on), who holds which role, the
/// change request the caller named, and who is told about a break-glass.
///
/// # Example
///
/// ```
/// # #[cfg(feature = "testkit")]
/// # #[tokio::main(flavor = "current_thread", start_paused = true)]
/// # async fn main() -> mcp_ops_core::Result<()> {
/// use std::sync::Arc;
/// use mcp_ops_core::change::{
///     ChangeGate, ChangePolicy, ChangeSpec, MemoryChangeStore, TeamDirectory,
/// };
/// use mcp_ops_core::testkit::TestKit;
/// use mcp_ops_core::types::{DeploymentRef, Replicas};
/// use mcp_ops_core::Error;
///
/// let kit = TestKit::runbook().await?;
/// let policy = ChangePolicy { enforce: true, ..ChangePolicy::default() };
/// let gate = ChangeGate::new(Arc::new(MemoryChangeStore::new()), policy, TeamDirectory::runbook())
///     .with_notifiers(kit.notifiers().to_vec());
/// assert!(gate.enforces());
/// let ctx = kit.context("scale_out", "launch traffic")?.with_change_gate(gate);
/// let planned = ChangeSpec::Scale {
///     deployment: "mcp-production/mcp-rust-server".parse::<DeploymentRef>()?,
///     replicas: Replicas::new(8)?,
/// };
/// // Enforcement on and no change request named: refused before any write.
/// let refused = ctx.authorize(&planned).await;
/// assert!(matches!(refused, Err(Error::ChangeRefused(_))));
/// # Ok(())
/// # }
/// # #[cfg(not(feature = "testkit"))]
/// # fn main() {}
/// ```
#[derive(Clone)]
pub struct ChangeGate {
    store: Arc<dyn ChangeStore>,
    policy: ChangePolicy,
    directory: TeamDirectory,
    change: Option<ChangeId>,
    notifiers: Vec<Arc<dyn Notifier>>,
    audit: Option<Arc<dyn AuditLog>>,
}

impl std::fmt::Debug for ChangeGate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChangeGate")
            .field("store", &self.store)
            .field("enforce", &self.policy.enforce)
            .field("change", &self.change)
            .field("audit", &self.audit.is_some())
            .field(
                "notifiers",
                &self
                    .notifiers
                    .iter()
                    .map(|n| n.channel())
                    .collect::<Vec<_>>(),
            )
            .finish_non_exhaustive()
    }
}

impl ChangeGate {
    /// A gate over `store` with `policy` and `directory`, naming no change request and
    /// telling nobody.
    pub fn new(
        store: Arc<dyn ChangeStore>,
        policy: ChangePolicy,
        directory: TeamDirectory,
    ) -> Self {
        Self {
            store,
            policy,
            directory,
            change: None,
            notifiers: Vec::new(),
            audit: None,
        }
    }

    /// The change request the caller runs under (`--change CR-…`), or none.
    #[must_use]
    pub fn with_change(mut self, change: Option<ChangeId>) -> Self {
        self.change = change;
        self
    }

    /// The channels that tell the approvers about a break-glass (each takes the notice when
    /// it accepts [`REVIEW_SEVERITY`]).
    #[must_use]
    pub fn with_notifiers(mut self, notifiers: Vec<Arc<dyn Notifier>>) -> Self {
        self.notifiers = notifiers;
        self
    }

    /// The persisted journal every request and approval was recorded in: with it,
    /// [`Context::authorize`](crate::runbook::Context::authorize) also refuses a change
    /// request the journal does not back ([`journal_mismatches`](super::journal_mismatches):
    /// a store edited by hand, digests recomputed or not).
    #[must_use]
    pub fn with_audit(mut self, audit: Arc<dyn AuditLog>) -> Self {
        self.audit = Some(audit);
        self
    }

    /// The journal change requests are checked against, if one was given.
    pub fn audit(&self) -> Option<&Arc<dyn AuditLog>> {
        self.audit.as_ref()
    }

    /// Where change requests are kept.
    pub fn store(&self) -> &Arc<dyn ChangeStore> {
        &self.store
    }

    /// The policy.
    pub fn policy(&self) -> &ChangePolicy {
        &self.policy
    }

    /// Who holds which role.
    pub fn directory(&self) -> &TeamDirectory {
        &self.directory
    }

    /// The change request the caller named.
    pub fn change(&self) -> Option<&ChangeId> {
        self.change.as_ref()
    }

    /// Whether a mutation needs an approved change request (the policy's `enforce`).
    pub fn enforces(&self) -> bool {
        self.policy.enforce
    }

    /// The channels to the approvers.
    pub fn notifiers(&self) -> &[Arc<dyn Notifier>] {
        &self.notifiers
    }

    /// The handles of everyone who may approve `cr` (holders of the roles its risk needs),
    /// without its requester, sorted and unique.
    pub fn approvers(&self, cr: &ChangeRequest) -> Vec<String> {
        let mut handles: Vec<String> = self
            .policy
            .required(cr.risk)
            .iter()
            .flat_map(|role| self.directory.holders(*role))
            .map(|p| p.handle.clone())
            .filter(|h| *h != cr.requester)
            .collect();
        handles.sort();
        handles.dedup();
        handles
    }
}

/// A gate as a context holds it: the gate and whether an authorization or a break-glass
/// succeeded in the context (shared by every clone of the context).
#[derive(Debug)]
pub(crate) struct GateState {
    gate: ChangeGate,
    authorized: AtomicBool,
}

impl GateState {
    pub(crate) fn new(gate: ChangeGate) -> Self {
        Self {
            gate,
            authorized: AtomicBool::new(false),
        }
    }

    pub(crate) fn gate(&self) -> &ChangeGate {
        &self.gate
    }

    /// Records that a change check (or a break-glass) let the context write.
    pub(crate) fn mark_authorized(&self) {
        self.authorized.store(true, Ordering::SeqCst);
    }

    /// Whether a mutating step must refuse: the gate enforces and nothing authorized the
    /// context yet.
    pub(crate) fn blocks(&self) -> bool {
        self.gate.enforces() && !self.authorized.load(Ordering::SeqCst)
    }
}

/// CHANGE REVIEW NEEDED: the notice to the approvers of a retroactive change request.
///
/// The message's incident id is the change request's id; its severity
/// [`REVIEW_SEVERITY`]; its recipients the handles of the approvers.
///
/// # Errors
/// [`crate::Error::InvalidInput`] only if the change id were not a valid incident id (it
/// always is: `CR-YYYY-NNN`).
pub fn render_change_review(cr: &ChangeRequest, gate: &ChangeGate) -> Result<Message> {
    let approvers = gate.approvers(cr);
    let roles: Vec<String> = gate
        .policy
        .required(cr.risk)
        .iter()
        .map(ToString::to_string)
        .collect();
    let mut body = String::from("CHANGE REVIEW NEEDED\n");
    let _ = writeln!(body, "Change Request: {} (retroactive)", cr.id);
    let _ = writeln!(body, "Type: {}", cr.spec.kind());
    let _ = writeln!(body, "Risk Level: {}", cr.risk);
    let _ = writeln!(body, "Change: {}", cr.spec.summary());
    if let Some(bg) = &cr.break_glass {
        let _ = writeln!(body, "Break-glass by: {}", bg.by);
        let _ = writeln!(body, "At: {}", bg.at.strftime("%Y-%m-%d %H:%M UTC"));
        let _ = writeln!(body, "Reason: {}", bg.reason);
    }
    let _ = writeln!(body, "Description: {}", cr.description);
    let _ = writeln!(
        body,
        "Approver: {} ({})",
        roles.join(" + "),
        if approvers.is_empty() {
            "nobody in the team directory holds the role".to_owned()
        } else {
            approvers.join(", ")
        }
    );
    let _ = write!(
        body,
        "Review: ops change show {id}; ops change approve {id} --comment …",
        id = cr.id
    );
    Ok(Message {
        kind: MessageKind::ChangeReview,
        incident: IncidentId::new(cr.id.as_str())?,
        severity: REVIEW_SEVERITY,
        subject: format!("[REVIEW] {} break-glass: {}", cr.id, cr.spec.summary()),
        body,
        level: None,
        recipients: approvers,
    })
}
