//! The dry run of `rotate_secret`: every step journaled as planned, nothing called that
//! changes state.

use std::time::Duration;

use super::resume::finish;
use super::steps::{apply, health_command, label, stage};
use super::{RotateSecretInput, RotationBackends};
use crate::error::Result;
use crate::runbook::commands;
use crate::runbook::context::Context;
use crate::runbook::journal::{JournalEntry, StepOutcome};
use crate::types::SecretValue;

/// Journals a read the dry run would do, as planned (not a state change).
fn plan_read(ctx: &Context, step: &str, target: String, command: String) {
    ctx.journal().record(JournalEntry {
        at: ctx.now(),
        procedure: ctx.procedure().to_owned(),
        step: step.to_owned(),
        action: step.to_owned(),
        target,
        command,
        mutating: false,
        outcome: StepOutcome::Planned,
        duration: Duration::ZERO,
    });
}

/// Journals every step a real run would take, as planned; calls nothing that changes state.
/// `value`: stage it first (a new rotation); `apply`: apply the staged value (not when
/// resuming a rotation whose value is already applied).
pub(super) async fn plan(
    ctx: &Context,
    b: RotationBackends<'_>,
    input: &RotateSecretInput,
    value: Option<&SecretValue>,
    apply_staged: bool,
) -> Result<()> {
    if let Some(value) = value {
        stage(ctx, b, input, value).await?;
    }
    if apply_staged {
        apply(ctx, b, input).await?;
    }
    plan_restarts(ctx, b, input, "rolling restart").await?;
    for t in &input.health {
        plan_read(ctx, "verify health", t.label(), health_command(t));
    }
    plan_read(ctx, "verify secret", label(input), String::new());
    finish(ctx, b, input).await?;
    Ok(())
}

/// Journals the restart of every dependent and the wait for its rollout, as planned.
pub(super) async fn plan_restarts(
    ctx: &Context,
    b: RotationBackends<'_>,
    input: &RotateSecretInput,
    step: &str,
) -> Result<()> {
    for d in input.dependents.listed() {
        let intent = ctx.intent();
        ctx.step(step, d.qualified())
            .command(commands::rollout_restart(d))
            .act(|| b.deployer.restart(d, intent), |_| String::new())
            .await?;
        plan_read(
            ctx,
            "wait for rollout",
            d.qualified(),
            commands::rollout_status(d, input.rollout_timeout),
        );
    }
    Ok(())
}
