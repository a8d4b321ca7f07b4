//! The automatic rollback of a deployment that failed a check: the runbook's "Emergency
//! Rollback" for one deployment (undo, verify the rollback, verify health, document the
//! incident), triggered by the procedure instead of a person.

use super::{DeployBackends, DeployOutcome, DeployRequest, check_health, clip, wait_rollout};
use crate::change::ChangeSpec;
use crate::change::gate::BREAK_GLASS_STEP;
use crate::deploy::{UndoOutcome, UndoReport};
use crate::health::HealthStatus;
use crate::incident::{IncidentId, NewIncident};
use crate::runbook::{Context, commands};
use crate::types::{Intent, Revision};

/// The intent of an undo: the same actor, the rollback's `reason`.
pub(super) fn undo_intent(ctx: &Context, reason: &str) -> Intent {
    let reason = reason.replace(char::is_control, " ");
    Intent::new(clip(&reason, 400), ctx.intent().actor())
        .map(|i| i.with_dry_run(ctx.dry_run()))
        .unwrap_or_else(|_| ctx.intent().clone())
}

/// The journaled undo of `req`'s deployment to `previous` (or the revision before), with
/// `reason` as its intent's. A compensation: undoing a deployment that failed its checks, or
/// that the caller stopped, runs even after the caller stopped.
pub(super) async fn undo_step(
    ctx: &Context,
    b: &DeployBackends<'_>,
    req: &DeployRequest,
    previous: Option<Revision>,
    reason: &str,
) -> crate::Result<Option<UndoReport>> {
    let d = &req.deployment;
    let intent = undo_intent(ctx, reason);
    ctx.step("rollback", d.qualified())
        .action(match previous {
            Some(r) => format!("undo to revision {r}"),
            None => "undo to the previous revision".to_owned(),
        })
        .command(commands::rollout_undo(d, previous))
        .compensation()
        .act(
            || b.deployer.undo(d, previous, &intent),
            |r| r.outcome.to_string(),
        )
        .await
}

/// Under an enforcing change gate the rollback is a break-glass: a retroactive change request
/// (its description names the approved deploy's) and a notice to the approvers. When it
/// cannot be opened (the store is down), the rollback still runs — undoing a failed deploy
/// is the approved change's own rollback plan — and the journal says so.
async fn break_glass(ctx: &Context, req: &DeployRequest, why: &str) {
    if !ctx.enforces_changes() || ctx.dry_run() {
        return;
    }
    let spec = ChangeSpec::Rollback {
        deployment: req.deployment.clone(),
    };
    if let Err(e) = ctx
        .break_glass(&spec, &format!("automatic rollback: {why}"))
        .await
    {
        ctx.note(
            BREAK_GLASS_STEP,
            req.deployment.qualified(),
            format!(
                "retroactive change request not opened ({e}); rolling back under the approved \
                 change's rollback plan"
            ),
        );
    }
}

/// What an automatic rollback (or the rollback of a stop) came to.
pub(super) struct Undone {
    /// `RolledBack`, `RollbackFailed` or `Stopped`.
    pub outcome: DeployOutcome,
    /// Health after the rollback, when it was checked.
    pub health: Option<HealthStatus>,
    /// The incident opened.
    pub incident: Option<IncidentId>,
}

/// Undoes the deployment to `previous`, waits, verifies health and opens an incident.
pub(super) async fn auto_rollback(
    ctx: &Context,
    b: &DeployBackends<'_>,
    req: &DeployRequest,
    previous: Option<Revision>,
    why: String,
) -> Undone {
    let d = &req.deployment;
    let target = d.qualified();
    ctx.note("decide", &target, format!("automatic rollback: {why}"));
    break_glass(ctx, req, &why).await;
    let undo = undo_step(ctx, b, req, previous, &format!("automatic rollback: {why}")).await;
    let (from, to) = match undo {
        Ok(Some(r)) => match r.outcome {
            UndoOutcome::RolledBack { from, to } => (from, to),
            other => {
                return failed(ctx, b, req, why, other.to_string()).await;
            }
        },
        Ok(None) => return failed(ctx, b, req, why, "dry run".to_owned()).await,
        Err(e) => return failed(ctx, b, req, why, e.to_string()).await,
    };
    let live = format!("the undo to revision {to} was already sent");
    let rollout = match wait_rollout(ctx, b.deployer, d, req.rollout_timeout, &live).await {
        Ok(r) => format!("revision {r} rolled out"),
        Err(e) => format!("the rollback's rollout failed ({e})"),
    };
    let health = match check_health(ctx, b.health, &req.health).await {
        Ok(r) => Some(r.status),
        Err(_) => None,
    };
    let health_text = health.map_or("unknown", |h| h.as_str());
    let impact = format!(
        "Deployment of {} to {target} rolled back from revision {from} to {to}: {why}. \
         {rollout}; health after rollback: {health_text}",
        req.image
    );
    let title = format!("Deployment to {target} rolled back");
    Undone {
        incident: open_incident(ctx, b, req, title, impact).await,
        outcome: DeployOutcome::RolledBack { from, to, why },
        health,
    }
}

async fn failed(
    ctx: &Context,
    b: &DeployBackends<'_>,
    req: &DeployRequest,
    why: String,
    error: String,
) -> Undone {
    let target = req.deployment.qualified();
    let impact = format!(
        "Deployment of {} to {target} failed ({why}) and the automatic rollback did not \
         happen: {error}",
        req.image
    );
    let title = format!("Deployment to {target} failed; rollback did not happen");
    Undone {
        incident: open_incident(ctx, b, req, title, impact).await,
        outcome: DeployOutcome::RollbackFailed { why, error },
        health: None,
    }
}

/// Opens the incident; a failure to open it is journaled and leaves `None`.
async fn open_incident(
    ctx: &Context,
    b: &DeployBackends<'_>,
    req: &DeployRequest,
    title: String,
    impact: String,
) -> Option<IncidentId> {
    let new = NewIncident {
        title: clip(&title, 500),
        severity: req.incident.severity,
        service: req.incident.service.clone(),
        impact: clip(&impact.replace(char::is_control, " "), 500),
        investigating: req.incident.investigating.clone(),
    };
    let opened = ctx
        .step("open incident", &new.service)
        .bookkeeping()
        .action(format!(
            "open {} incident: {}",
            new.severity.as_str(),
            new.title
        ))
        .act(
            || b.escalator.open(&new, ctx.intent()),
            |i| format!("incident {} opened: {}", i.id, i.impact),
        )
        .await;
    opened.ok().flatten().map(|i| i.id)
}
