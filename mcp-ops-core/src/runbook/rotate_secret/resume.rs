//! The end of a rotation (finish or revert) and the two ways to settle an interrupted one:
//! `--resume` (apply if needed, restart, verify, finish — revert on failure) and `--abort`
//! (put the previous value back, or drop the staged one, and restart the dependents when
//! they may have read the new value).

use std::time::Duration;

use super::steps::{self, label};
use super::{RotateSecretInput, RotateSecretOutcome, RotationBackends, plan};
use crate::error::Result;
use crate::runbook::context::{Context, Plan, StepPolicy};
use crate::secrets::{PendingRotation, RotationPhase, RotationReport};

/// Marks the rotation finished (the previous value stays for a later revert).
pub(super) async fn finish(
    ctx: &Context,
    b: RotationBackends<'_>,
    input: &RotateSecretInput,
) -> Result<()> {
    let intent = ctx.intent();
    let s = &input.secret;
    ctx.step("mark rotation finished", label(input))
        .command(format!(
            "kubectl annotate secret {} -n {} --overwrite mcp-ops.io/rotation=…  # {} verified",
            s.name(),
            s.namespace(),
            s.key()
        ))
        .policy(StepPolicy::once(Duration::from_secs(30)))
        .act(
            || b.rotator.finish(s, intent),
            |()| "no rotation pending".to_owned(),
        )
        .await
        .map(|_| ())
}

/// After apply/restart/verify: finish when nothing failed, else revert.
pub(super) async fn finish_or_revert(
    ctx: &Context,
    b: RotationBackends<'_>,
    input: &RotateSecretInput,
    failure: Option<String>,
    mut report: RotationReport,
    mut outcome: RotateSecretOutcome,
) -> Result<RotateSecretOutcome> {
    let label = label(input);
    if let Some(why) = failure {
        ctx.note("decision", &label, format!("reverting: {why}"));
        steps::revert(ctx, b, input, &mut report, &mut outcome, &why).await?;
        report.phases.push(RotationPhase::Reverted { why });
    } else {
        report.phases.push(RotationPhase::Verified);
        if let Err(e) = finish(ctx, b, input).await {
            // The value works; the next run sees the rotation unfinished and `--resume`
            // verifies and finishes it again.
            ctx.note(
                "warning",
                &label,
                format!(
                    "the new value is verified but the rotation could not be marked finished ({e}): {}",
                    super::preflight::advice(input)
                ),
            );
        }
        ctx.note(
            "decision",
            &label,
            format!(
                "rotation verified; current fingerprint {}",
                report.current.fingerprint
            ),
        );
    }
    outcome.report = report;
    Ok(outcome)
}

/// `--resume`: apply the staged value when it was not applied, restart, verify, finish.
pub(super) async fn resume(
    ctx: &Context,
    b: RotationBackends<'_>,
    input: &RotateSecretInput,
    pending: &PendingRotation,
    mut report: RotationReport,
    mut outcome: RotateSecretOutcome,
) -> Result<RotateSecretOutcome> {
    let applied = matches!(pending, PendingRotation::Applied { .. });
    if let PendingRotation::Applied {
        previous: Some(previous),
        ..
    } = pending
    {
        report.previous = previous.clone();
    }
    ctx.note(
        "decision",
        label(input),
        format!("resuming the rotation left {}", pending.phase()),
    );
    if ctx.dry_run() {
        plan::plan(ctx, b, input, None, !applied).await?;
        outcome.plan = Some(Plan::from_journal(ctx.journal(), ctx.procedure()));
        return Ok(outcome);
    }
    report.phases.push(RotationPhase::Staged);
    let failure = if applied {
        report.phases.push(RotationPhase::Applied);
        steps::restart_verify(ctx, b, input, &mut report, &mut outcome).await
    } else {
        steps::apply_restart_verify(ctx, b, input, &mut report, &mut outcome).await
    };
    finish_or_revert(ctx, b, input, failure, report, outcome).await
}

/// `--abort`: put the previous value back (or drop the staged one); restart the dependents
/// and check health when the new value had been applied.
pub(super) async fn abort(
    ctx: &Context,
    b: RotationBackends<'_>,
    input: &RotateSecretInput,
    pending: &PendingRotation,
    mut report: RotationReport,
    mut outcome: RotateSecretOutcome,
) -> Result<RotateSecretOutcome> {
    let applied = matches!(pending, PendingRotation::Applied { .. });
    let why = format!("aborted by the operator (new value {})", pending.phase());
    ctx.note("decision", label(input), why.clone());
    report.phases.push(RotationPhase::Staged);
    if applied {
        report.phases.push(RotationPhase::Applied);
    }
    if ctx.dry_run() {
        steps::revert_step(ctx, b, input, &report).await?;
        if applied {
            plan::plan_restarts(ctx, b, input, "restart after revert").await?;
        }
        outcome.plan = Some(Plan::from_journal(ctx.journal(), ctx.procedure()));
        return Ok(outcome);
    }
    steps::revert(ctx, b, input, &mut report, &mut outcome, &why).await?;
    report.phases.push(RotationPhase::Reverted { why });
    outcome.report = report;
    Ok(outcome)
}
