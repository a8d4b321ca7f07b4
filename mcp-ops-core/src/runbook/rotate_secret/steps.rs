//! The steps of `rotate_secret`: stage, apply, restart and wait, verify, revert, and the
//! dry-run plan of all of them.

use std::time::Duration;

use futures::future::join_all;

use super::{
    DependentRestart, Dependents, RotateSecretInput, RotateSecretOutcome, RotationBackends,
};
use crate::deploy::RolloutStatus;
use crate::error::{Error, Result};
use crate::health::{HealthReport, HealthStatus, HealthSummary, HealthTarget};
use crate::runbook::commands;
use crate::runbook::context::{Context, StepPolicy};
use crate::secrets::{RotationPhase, RotationReport, SecretCheck};
use crate::types::{DeploymentRef, SecretValue};

/// Extra time a wait step gets beyond the rollout timeout it passes to the backend.
const WAIT_MARGIN: Duration = Duration::from_secs(5);

pub(super) fn label(input: &RotateSecretInput) -> String {
    input.secret.to_string()
}

fn apply_command(input: &RotateSecretInput) -> String {
    let s = &input.secret;
    commands::patch_secret(s.namespace(), s.name().as_str(), s.key())
}

fn stage_command(input: &RotateSecretInput) -> String {
    let s = &input.secret;
    format!(
        "kubectl patch secret {} -n {} --dry-run=server --patch='{{\"data\":{{\"{}\":\"<new-{}-base64>\"}}}}'",
        s.name(),
        s.namespace(),
        s.key(),
        s.key()
    )
}

pub(super) fn health_command(target: &HealthTarget) -> String {
    match target {
        HealthTarget::Http(p) => commands::curl(&p.url),
        HealthTarget::Cluster(c) => commands::get("pods,deployments,services", &c.namespace),
        HealthTarget::Database { name } => commands::pg_isready(name),
        HealthTarget::Cache { .. } => commands::redis_ping(),
        other => other.label(),
    }
}

/// The deployments to restart: the listed ones, or every deployment of the namespace (a read,
/// done in dry runs too).
pub(super) async fn dependents(
    ctx: &Context,
    b: RotationBackends<'_>,
    input: &RotateSecretInput,
) -> Result<Vec<DeploymentRef>> {
    match &input.dependents {
        Dependents::Listed(d) => Ok(d.clone()),
        Dependents::Namespace(ns) => {
            ctx.step("list dependents", ns.as_str())
                .command(commands::get("deployments", ns))
                .read(
                    || async {
                        let all = b.deployer.deployments(ns).await?;
                        Ok(all.into_iter().map(|d| d.deployment).collect::<Vec<_>>())
                    },
                    |v| {
                        let names: Vec<&str> = v.iter().map(|d| d.name.as_str()).collect();
                        format!("{} deployments: {}", v.len(), names.join(", "))
                    },
                )
                .await
        }
    }
}

/// Stages `value` (one attempt: a retry after a lost answer would hit "already staged").
pub(super) async fn stage(
    ctx: &Context,
    b: RotationBackends<'_>,
    input: &RotateSecretInput,
    value: &SecretValue,
) -> Result<()> {
    let intent = ctx.intent();
    ctx.step("stage new value", label(input))
        .action(format!(
            "stage a new value (fingerprint {})",
            value.fingerprint()
        ))
        .command(stage_command(input))
        .policy(StepPolicy::once(Duration::from_secs(30)))
        .act(
            || b.rotator.stage(&input.secret, value, intent),
            |s| {
                format!(
                    "version {} staged beside version {}",
                    s.staged.version, s.current.version
                )
            },
        )
        .await
        .map(|_| ())
}

pub(super) async fn apply(
    ctx: &Context,
    b: RotationBackends<'_>,
    input: &RotateSecretInput,
) -> Result<Option<crate::secrets::SecretVersion>> {
    let intent = ctx.intent();
    ctx.step("apply new value", label(input))
        .command(apply_command(input))
        .policy(StepPolicy::once(Duration::from_secs(30)))
        .act(
            || b.rotator.apply(&input.secret, intent),
            |v| {
                format!(
                    "version {} (fingerprint {}) is current",
                    v.version, v.fingerprint
                )
            },
        )
        .await
}

/// Restarts one dependent and waits for its rollout.
async fn restart_one(
    ctx: &Context,
    b: RotationBackends<'_>,
    input: &RotateSecretInput,
    d: &DeploymentRef,
    step: &str,
) -> DependentRestart {
    let intent = ctx.intent();
    let target = d.qualified();
    let restarted = ctx
        .step(step, &target)
        .command(commands::rollout_restart(d))
        .act(
            || b.deployer.restart(d, intent),
            |r| format!("restartedAt {}", r.restarted_at),
        )
        .await;
    if let Err(e) = restarted {
        return DependentRestart {
            deployment: d.clone(),
            rollout: None,
            error: Some(format!("restart failed: {e}")),
        };
    }
    let waited = ctx
        .step("wait for rollout", &target)
        .command(commands::rollout_status(d, input.rollout_timeout))
        .timeout(input.rollout_timeout.saturating_add(WAIT_MARGIN))
        .read(
            || b.deployer.wait_for_rollout(d, input.rollout_timeout),
            ToString::to_string,
        )
        .await;
    match waited {
        Ok(status @ RolloutStatus::Complete { .. }) => DependentRestart {
            deployment: d.clone(),
            rollout: Some(status),
            error: None,
        },
        Ok(status) => DependentRestart {
            deployment: d.clone(),
            error: Some(status.to_string()),
            rollout: Some(status),
        },
        Err(e) => DependentRestart {
            deployment: d.clone(),
            rollout: None,
            error: Some(format!("wait failed: {e}")),
        },
    }
}

/// Restarts every dependent concurrently, each followed by a wait for its rollout.
async fn restart_all(
    ctx: &Context,
    b: RotationBackends<'_>,
    input: &RotateSecretInput,
    step: &str,
) -> Vec<DependentRestart> {
    join_all(
        input
            .dependents
            .listed()
            .iter()
            .map(|d| restart_one(ctx, b, input, d, step)),
    )
    .await
}

/// Why some restarts failed, if any did.
fn restart_failure(restarts: &[DependentRestart]) -> Option<String> {
    let failed: Vec<String> = restarts
        .iter()
        .filter(|r| !r.succeeded())
        .map(|r| {
            format!(
                "{}: {}",
                r.deployment,
                r.error.as_deref().unwrap_or("rollout did not complete")
            )
        })
        .collect();
    (!failed.is_empty()).then(|| format!("restart of dependents failed ({})", failed.join("; ")))
}

/// Checks every health target concurrently; an error or timeout becomes `Unknown`.
async fn check_health(
    ctx: &Context,
    b: RotationBackends<'_>,
    input: &RotateSecretInput,
) -> HealthSummary {
    let checks = input.health.iter().map(|t| async move {
        let r = ctx
            .step("verify health", t.label())
            .command(health_command(t))
            .timeout(input.health_timeout)
            .read(
                || b.health.check(t),
                |r: &HealthReport| format!("{}: {}", r.status.as_str(), r.message),
            )
            .await;
        r.unwrap_or_else(|e| {
            HealthReport::new(
                t.clone(),
                HealthStatus::Unknown,
                format!("check failed: {e}"),
                ctx.now(),
            )
        })
    });
    HealthSummary::from_reports(join_all(checks).await)
}

/// Why the health summary is not acceptable, if it is not.
fn health_failure(summary: &HealthSummary, worst: HealthStatus) -> Option<String> {
    let bad: Vec<String> = summary
        .reports
        .iter()
        .filter(|r| r.status > worst)
        .map(|r| format!("{} {} ({})", r.target.label(), r.status.as_str(), r.message))
        .collect();
    (!bad.is_empty()).then(|| format!("health check failed: {}", bad.join("; ")))
}

/// Applies, restarts, waits and verifies; returns why it failed, if it did.
pub(super) async fn apply_restart_verify(
    ctx: &Context,
    b: RotationBackends<'_>,
    input: &RotateSecretInput,
    report: &mut RotationReport,
    outcome: &mut RotateSecretOutcome,
) -> Option<String> {
    match apply(ctx, b, input).await {
        Ok(Some(v)) => report.current = v,
        Ok(None) => return Some("apply was not run".to_owned()),
        Err(e) => return Some(format!("apply failed: {e}")),
    }
    report.phases.push(RotationPhase::Applied);
    restart_verify(ctx, b, input, report, outcome).await
}

/// Restarts the dependents, waits and verifies the value that is current; returns why it
/// failed, if it did.
pub(super) async fn restart_verify(
    ctx: &Context,
    b: RotationBackends<'_>,
    input: &RotateSecretInput,
    report: &mut RotationReport,
    outcome: &mut RotateSecretOutcome,
) -> Option<String> {
    outcome.restarts = restart_all(ctx, b, input, "rolling restart").await;
    if let Some(why) = restart_failure(&outcome.restarts) {
        return Some(why);
    }
    report.phases.push(RotationPhase::Restarted);

    let health = check_health(ctx, b, input).await;
    let health_why = health_failure(&health, input.worst_acceptable);
    outcome.health = Some(health);
    let checked = ctx
        .step("verify secret", label(input))
        .action("verify the new value against the backend")
        .read(
            || b.rotator.verify(&input.secret),
            |c| match c {
                SecretCheck::Works => "works".to_owned(),
                SecretCheck::Rejected { why } => format!("rejected: {why}"),
                _ => "not applicable: the dependents' health decides".to_owned(),
            },
        )
        .await;
    let secret_why = match &checked {
        Ok(SecretCheck::Rejected { why }) => {
            Some(format!("the backend rejected the new value: {why}"))
        }
        Ok(_) => None,
        Err(e) => Some(format!("secret verification could not run: {e}")),
    };
    outcome.secret_check = checked.ok();
    match (health_why, secret_why) {
        (None, None) => None,
        (Some(h), None) => Some(h),
        (None, Some(s)) => Some(s),
        (Some(h), Some(s)) => Some(format!("{h}; {s}")),
    }
}

/// The revert call as a journaled step (planned in a dry run).
pub(super) async fn revert_step(
    ctx: &Context,
    b: RotationBackends<'_>,
    input: &RotateSecretInput,
    report: &RotationReport,
) -> Result<Option<crate::secrets::SecretVersion>> {
    let intent = ctx.intent();
    ctx.step("revert to previous value", label(input))
        .action(format!(
            "put back version {} (fingerprint {})",
            report.previous.version, report.previous.fingerprint
        ))
        .command(apply_command(input).replace("<new-", "<previous-"))
        .act(
            || b.rotator.revert(&input.secret, intent),
            |v| {
                format!(
                    "version {} (fingerprint {}) is current again",
                    v.version, v.fingerprint
                )
            },
        )
        .await
}

/// Puts the previous value back; restarts the dependents again when they had been restarted,
/// then checks health once more.
///
/// # Errors
/// [`Error::Backend`] when the revert itself fails.
pub(super) async fn revert(
    ctx: &Context,
    b: RotationBackends<'_>,
    input: &RotateSecretInput,
    report: &mut RotationReport,
    outcome: &mut RotateSecretOutcome,
    why: &str,
) -> Result<()> {
    let reverted = revert_step(ctx, b, input, report).await;
    match reverted {
        Ok(Some(v)) => report.current = v,
        Ok(None) => {}
        Err(e) => {
            return Err(Error::Backend {
                backend: b.rotator.backend(),
                message: format!(
                    "rotation of {} failed ({why}) and the revert failed too; the new value may still be current: revert by hand",
                    input.secret
                ),
                retryable: false,
                source: Some(Box::new(e)),
            });
        }
    }
    let restarted = report.phases.contains(&RotationPhase::Applied);
    if restarted {
        outcome.revert_restarts = restart_all(ctx, b, input, "restart after revert").await;
        outcome.health_after_revert = Some(check_health(ctx, b, input).await);
    } else {
        ctx.skip(
            "restart after revert",
            label(input),
            "the dependents were not restarted with the new value",
        );
    }
    Ok(())
}
