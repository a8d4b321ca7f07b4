//! The change gate of a [`Context`]: [`Context::authorize`] before a procedure's first write,
//! [`Context::break_glass`] for an emergency rollback without approval, and the backstop
//! that refuses a mutating step nothing authorized.

use std::sync::Arc;
use std::time::Duration;

use super::Context;
use crate::change::gate::{
    BREAK_GLASS_STEP, CHANGE_CHECK_STEP, GateState, NOTIFY_APPROVERS_STEP, render_change_review,
};
use crate::change::{ChangeGate, ChangeId, ChangeRefusal, ChangeRequest, ChangeSpec};
use crate::error::{Error, Result};
use crate::runbook::journal::{JournalEntry, StepOutcome};

/// The longest break-glass reason kept (longer ones are clipped, with `…`).
const REASON_MAX: usize = 500;

/// How long each notice to the approvers may take (one attempt).
const NOTICE_TIMEOUT: Duration = Duration::from_secs(10);

impl Context {
    /// Puts `gate` between this context's procedures and their writes (see
    /// [`ChangeGate`]): procedures ask [`Context::authorize`] before their first write,
    /// and when the gate enforces, a mutating step refuses unless an authorization or a
    /// break-glass succeeded in this context or one of its
    /// [`for_procedure`](Context::for_procedure) clones made after this call.
    ///
    /// The authorization lasts as long as the context: a long-running front end makes one
    /// context (and sets the gate) per operation it runs.
    #[must_use]
    pub fn with_change_gate(mut self, gate: ChangeGate) -> Self {
        self.gate = Some(Arc::new(GateState::new(gate)));
        self
    }

    /// The change gate, if one was set.
    pub fn change_gate(&self) -> Option<&ChangeGate> {
        self.gate.as_deref().map(GateState::gate)
    }

    /// Whether a mutation in this context needs an approved change request (a gate is set
    /// and its policy enforces).
    pub fn enforces_changes(&self) -> bool {
        self.change_gate().is_some_and(ChangeGate::enforces)
    }

    /// May `planned` run now? Called by every mutating procedure after validating its input
    /// and before its first write.
    ///
    /// - A dry run: `Ok(None)`; nothing is needed, read or recorded.
    /// - No gate: `Ok(None)`.
    /// - A change id on the gate: the change request must authorize `planned` now
    ///   ([`ChangePolicy::authorize`](crate::change::ChangePolicy::authorize): not rejected,
    ///   not tampered with, approved by the roles its risk needs, the same change, inside its
    ///   window) — `Ok(Some(id))` and a journal note, whether or not the gate enforces.
    /// - No change id, enforcing: refused ([`ChangeRefusal::NoChangeRequest`]).
    /// - No change id, not enforcing: `Ok(None)` and a journal note
    ///   `no change request (enforcement off)`.
    ///
    /// # Errors
    /// [`Error::ChangeRefused`] naming what is missing (journaled as a failed
    /// [`CHANGE_CHECK_STEP`] whose detail starts with `refused:`); the store's error when
    /// the change request cannot be read.
    ///
    /// # Example
    ///
    /// ```
    /// # #[cfg(feature = "testkit")]
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)]
    /// # async fn main() -> mcp_ops_core::Result<()> {
    /// use mcp_ops_core::change::ChangeSpec;
    /// use mcp_ops_core::testkit::TestKit;
    /// use mcp_ops_core::types::{DeploymentRef, Replicas};
    ///
    /// let kit = TestKit::runbook().await?;
    /// let gate = kit.change_gate(true);
    /// let planned = ChangeSpec::Scale {
    ///     deployment: "mcp-production/mcp-rust-server".parse::<DeploymentRef>()?,
    ///     replicas: Replicas::new(8)?,
    /// };
    /// // Requested by on-call, approved by the team lead (scaling is Low risk).
    /// let cr = kit.approved_change(&gate, planned.clone()).await?;
    /// let ctx = kit
    ///     .context("scale_out", "launch traffic")?
    ///     .with_change_gate(gate.with_change(Some(cr.id.clone())));
    /// assert_eq!(ctx.authorize(&planned).await?, Some(cr.id));
    /// // Nine replicas were not approved.
    /// let nine = ChangeSpec::Scale {
    ///     deployment: "mcp-production/mcp-rust-server".parse::<DeploymentRef>()?,
    ///     replicas: Replicas::new(9)?,
    /// };
    /// let refused = ctx.authorize(&nine).await.unwrap_err();
    /// assert!(refused.to_string().contains("replicas"), "{refused}");
    /// # Ok(())
    /// # }
    /// # #[cfg(not(feature = "testkit"))]
    /// # fn main() {}
    /// ```
    pub async fn authorize(&self, planned: &ChangeSpec) -> Result<Option<ChangeId>> {
        if self.dry_run() {
            return Ok(None);
        }
        let Some(state) = self.gate.clone() else {
            return Ok(None);
        };
        let gate = state.gate();
        let target = planned.targets().join(", ");
        let Some(id) = gate.change().cloned() else {
            if gate.enforces() {
                return Err(self.refuse_change(
                    &target,
                    ChangeRefusal::NoChangeRequest {
                        planned: planned.summary(),
                    },
                ));
            }
            self.note(
                CHANGE_CHECK_STEP,
                &target,
                format!("no change request (enforcement off): {}", planned.summary()),
            );
            return Ok(None);
        };
        let store = gate.store().clone();
        let cr = self
            .step("read change request", id.as_str())
            .command(format!("ops change show {id}"))
            .read(
                || store.get(&id),
                |cr| match cr {
                    Some(cr) => format!("{}: {}", cr.id, cr.spec.summary()),
                    None => "no such change request".to_owned(),
                },
            )
            .await?;
        let Some(cr) = cr else {
            return Err(self.refuse_change(&target, ChangeRefusal::UnknownChange { id }));
        };
        if let Err(refusal) = gate
            .policy()
            .authorize(&cr, planned, gate.directory(), self.now())
        {
            return Err(self.refuse_change(&target, refusal));
        }
        if let Some(audit) = gate.audit().cloned() {
            let records = self
                .step("read journal", id.as_str())
                .command(format!("ops journal show --change {id}"))
                .read(|| audit.records(), |r| format!("{} records", r.len()))
                .await?;
            let problems = crate::change::journal_mismatches(&cr, &records);
            if !problems.is_empty() {
                return Err(self.refuse_change(
                    &target,
                    ChangeRefusal::Tampered {
                        id,
                        what: format!("the journal does not back it: {}", problems.join("; ")),
                    },
                ));
            }
        }
        state.mark_authorized();
        self.note(
            CHANGE_CHECK_STEP,
            &target,
            format!(
                "{id} ({} risk, window until {}) authorizes {}",
                cr.risk,
                cr.window.end().strftime("%Y-%m-%d %H:%M UTC"),
                planned.summary()
            ),
        );
        Ok(Some(id))
    }

    /// An emergency rollback without approval: `planned` must be a
    /// [`ChangeSpec::Rollback`] and `reason` say why. Opens a retroactive change request
    /// (status `AwaitingReview`; its description names the change request the context runs
    /// under, if any), journals a [`BREAK_GLASS_STEP`], tells the approvers through the
    /// gate's notifiers ([`MessageKind::ChangeReview`](crate::notify::MessageKind), P2,
    /// concurrently, one 10 s attempt each; a notice that cannot be sent is journaled, not
    /// an error) and lets the context write.
    /// Works whether or not the gate enforces.
    ///
    /// # Errors
    /// [`Error::ChangeRefused`] ([`ChangeRefusal::NotBreakGlass`]) for a change that is not a
    /// rollback; [`Error::InvalidInput`] for an empty reason or a dry run (a dry run needs no
    /// approval: use [`Context::authorize`]); [`Error::PolicyViolation`] without a gate (no
    /// store to open the retroactive request in); the store's error.
    pub async fn break_glass(&self, planned: &ChangeSpec, reason: &str) -> Result<ChangeId> {
        if self.dry_run() {
            return Err(Error::invalid(
                "dry_run",
                "a dry run needs no approval and opens no retroactive change request",
            ));
        }
        let target = planned.targets().join(", ");
        if !matches!(planned, ChangeSpec::Rollback { .. }) {
            return Err(self.refuse_change(
                &target,
                ChangeRefusal::NotBreakGlass {
                    planned: planned.summary(),
                },
            ));
        }
        let reason = clip(&reason.replace(char::is_control, " "), REASON_MAX);
        if reason.trim().is_empty() {
            return Err(Error::invalid("reason", "break-glass needs a reason"));
        }
        let Some(state) = self.gate.clone() else {
            return Err(Error::policy(
                "change gate",
                "break-glass needs a change store to open the retroactive change request; \
                 no change gate is configured",
            ));
        };
        let gate = state.gate();
        let now = self.now();
        let by = self.intent().actor().to_owned();
        let during = gate.change().cloned();
        let year = now.to_zoned(jiff::tz::TimeZone::UTC).year();
        let make = |id: ChangeId| -> Result<ChangeRequest> {
            let mut cr = ChangeRequest::retroactive(id, planned.clone(), &reason, &by, now)?;
            if let Some(approved) = &during {
                cr.description = format!("{} (during approved change {approved})", cr.description);
            }
            Ok(cr)
        };
        let created = gate.store().create(year, &make).await;
        let cr = match created {
            Ok(cr) => cr,
            Err(e) => {
                self.journal().record(self.change_entry(
                    BREAK_GLASS_STEP,
                    &target,
                    StepOutcome::Failed(format!("retroactive change request not opened: {e}")),
                ));
                return Err(e);
            }
        };
        state.mark_authorized();
        self.journal().record(self.change_entry(
            BREAK_GLASS_STEP,
            &target,
            StepOutcome::Ok(format!(
                "{} opened (retroactive, awaiting review) for {}: {reason}",
                cr.id,
                planned.summary()
            )),
        ));
        self.notify_approvers(gate, &cr).await;
        Ok(cr.id)
    }

    /// Sends CHANGE REVIEW NEEDED to every notifier that takes it; failures are journaled.
    async fn notify_approvers(&self, gate: &ChangeGate, cr: &ChangeRequest) {
        let message = match render_change_review(cr, gate) {
            Ok(m) => m,
            Err(e) => {
                self.note(
                    NOTIFY_APPROVERS_STEP,
                    cr.id.as_str(),
                    format!("not sent: {e}"),
                );
                return;
            }
        };
        // Concurrently and briefly: the rollback waits for the notices, so a hung channel
        // may hold it up for NOTICE_TIMEOUT at most.
        let sends = gate
            .notifiers()
            .iter()
            .filter(|n| n.accepts(message.severity))
            .map(|notifier| {
                self.step(NOTIFY_APPROVERS_STEP, notifier.channel())
                    .action(format!("tell the approvers to review {}", cr.id))
                    .timeout(NOTICE_TIMEOUT)
                    .bookkeeping()
                    .act(
                        || notifier.send(&message),
                        |d| format!("sent on {}", d.channel),
                    )
            });
        // A notice that could not be sent is journaled as a failed step; the break-glass
        // stands.
        let _ = futures::future::join_all(sends).await;
    }

    /// Journals `refusal` as a failed change check and turns it into the error.
    pub(crate) fn refuse_change(&self, target: &str, refusal: ChangeRefusal) -> Error {
        self.journal().record(self.change_entry(
            CHANGE_CHECK_STEP,
            target,
            StepOutcome::Failed(format!("refused: {refusal}")),
        ));
        Error::ChangeRefused(Box::new(refusal))
    }

    /// The backstop: the refusal of a mutating step `action` on `target` when the gate
    /// enforces and nothing authorized the context (journaled).
    pub(super) fn unauthorized(&self, action: &str, target: &str) -> Option<Error> {
        let blocks = self.gate.as_deref().is_some_and(GateState::blocks);
        blocks.then(|| {
            self.refuse_change(
                target,
                ChangeRefusal::NoChangeRequest {
                    planned: format!(
                        "{action} on {target} (step of {} run without a change check)",
                        self.procedure()
                    ),
                },
            )
        })
    }

    fn change_entry(&self, step: &str, target: &str, outcome: StepOutcome) -> JournalEntry {
        JournalEntry {
            at: self.now(),
            procedure: self.procedure().to_owned(),
            step: step.to_owned(),
            target: target.to_owned(),
            action: step.to_owned(),
            command: String::new(),
            mutating: false,
            outcome,
            duration: Duration::ZERO,
        }
    }
}

/// At most `max` characters of `s`.
fn clip(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_owned(),
    }
}
