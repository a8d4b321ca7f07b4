//! The safe stop of a deployment the caller stopped (Ctrl-C, an MCP client's cancellation)
//! after its image was set: undo to the previous revision (a
//! [`compensation`](crate::runbook::Step::compensation) step, which runs although the
//! context is stopped), wait for the undo, check health, and journal what is left — a step
//! `stopped` reading `stopped by the caller: rolled back to revision N`, or, when the undo did
//! not happen, what still runs and the command that finishes the job.
//!
//! Unlike the automatic rollback of a failed check, a stop opens no incident (nothing was
//! seen failing) and no break-glass change request (undoing the change is the approved
//! change's own rollback plan, and the stop is the caller's decision).

use super::rollback::{Undone, undo_step};
use super::{DeployBackends, DeployOutcome, DeployRequest, check_health, record, wait_rollout};
use crate::deploy::UndoOutcome;
use crate::runbook::journal::StepOutcome;
use crate::runbook::{Context, commands};
use crate::types::Revision;

/// The journal step that says what a stopped deployment left.
pub const STOPPED_STEP: &str = "stopped";

/// Why a changed deployment is not kept.
pub(super) enum Halt {
    /// A check failed: the automatic rollback (with an incident).
    Failed(String),
    /// The caller stopped the procedure (their reason): the rollback of the safe stop.
    Stopped(String),
}

/// `Err(Halt::Stopped)` when the caller stopped the context.
pub(super) fn halt_if_stopped(ctx: &Context) -> std::result::Result<(), Halt> {
    if ctx.is_stopped() {
        return Err(stopped_halt(ctx));
    }
    Ok(())
}

/// The halt of a stopped context, with the caller's reason.
pub(super) fn stopped_halt(ctx: &Context) -> Halt {
    Halt::Stopped(ctx.stop_signal().reason().unwrap_or_default())
}

/// Undoes the stopped deployment to `previous`, waits for the undo, checks health and
/// journals the state left.
pub(super) async fn stop_rollback(
    ctx: &Context,
    b: &DeployBackends<'_>,
    req: &DeployRequest,
    previous: Option<Revision>,
    why: String,
) -> Undone {
    let d = &req.deployment;
    let target = d.qualified();
    ctx.note(
        "decide",
        &target,
        format!(
            "stopped by the caller ({why}) after {} was set: undoing the deployment",
            req.image
        ),
    );
    let undo = undo_step(
        ctx,
        b,
        req,
        previous,
        &format!("stopped by the caller: {why}"),
    )
    .await;
    let not_undone = match undo {
        Ok(Some(r)) => match r.outcome {
            UndoOutcome::RolledBack { to, .. } => return rolled_back(ctx, b, req, to, why).await,
            other => other.to_string(),
        },
        Ok(None) => "dry run".to_owned(),
        Err(e) => e.to_string(),
    };
    let left = format!(
        "stopped by the caller: {} is still set on {target}, not verified; the rollback did \
         not happen ({not_undone}): undo it with `{}`, or run the deployment again",
        req.image,
        commands::rollout_undo(d, previous)
    );
    record(
        ctx,
        STOPPED_STEP,
        &target,
        &commands::rollout_undo(d, previous),
        StepOutcome::Failed(left.clone()),
    );
    Undone {
        outcome: DeployOutcome::Stopped {
            why,
            rolled_back_to: None,
            left,
        },
        health: None,
        incident: None,
    }
}

/// After the undo to `to` was sent: its rollout (not stoppable: it is the safe stop) and
/// health, then the journal's `stopped` step.
async fn rolled_back(
    ctx: &Context,
    b: &DeployBackends<'_>,
    req: &DeployRequest,
    to: Revision,
    why: String,
) -> Undone {
    let d = &req.deployment;
    let target = d.qualified();
    let live = format!("the undo to revision {to} was already sent");
    let mut left = format!("rolled back to revision {to}");
    if let Err(e) = wait_rollout(ctx, b.deployer, d, req.rollout_timeout, &live).await {
        left.push_str(&format!(
            " (sent; its rollout did not complete: {e}; check with `{}`)",
            commands::rollout_status(d, req.rollout_timeout)
        ));
    }
    let health = check_health(ctx, b.health, &req.health)
        .await
        .ok()
        .map(|r| r.status);
    let health_text = health.map_or("unknown", |h| h.as_str());
    ctx.note(
        STOPPED_STEP,
        &target,
        format!("stopped by the caller: {left}; health after the rollback: {health_text}"),
    );
    Undone {
        outcome: DeployOutcome::Stopped {
            why,
            rolled_back_to: Some(to),
            left,
        },
        health,
        incident: None,
    }
}
