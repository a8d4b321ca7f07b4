//! `ops maintenance` (Database Maintenance) and `ops rotate-secret` (Secret Rotation).

use mcp_ops_core::HealthCheck;
use mcp_ops_core::health::HealthTarget;
use mcp_ops_core::runbook::maintenance_window::{
    MaintenanceBackends, MaintenanceInput, MaintenanceStatus, maintenance_window,
};
use mcp_ops_core::runbook::rotate_secret::{RotateSecretInput, RotationBackends, rotate_secret};
use mcp_ops_core::secrets::SecretKeyRef;
use mcp_ops_core::types::DeploymentRef;

use crate::backends::Backends;
use crate::cli::Global;
use crate::output::{Report, Status, table, to_value};
use crate::{Outcome, context};

/// `ops maintenance [--force <reason>]`.
pub async fn maintenance(force: Option<&str>, g: &Global, b: &Backends) -> Outcome {
    let input = MaintenanceInput {
        force: force.map(str::to_owned),
        ..MaintenanceInput::default()
    };
    let ctx = context("maintenance_window", "ops maintenance", g, b)?;
    let health: [&dyn HealthCheck; 1] = [&b.health];
    let backends = MaintenanceBackends {
        scaler: b.scaler.as_ref(),
        backups: b.backups.as_ref(),
        database: b.maintenance.as_ref(),
        escalator: b.escalator.as_ref(),
        notifiers: &b.notifiers,
        health: &health,
    };
    let log = maintenance_window(&ctx, backends, &input).await?;
    let (status, summary) = match &log.status {
        MaintenanceStatus::Completed => (Status::Ok, "maintenance: completed".to_owned()),
        MaintenanceStatus::Planned => (Status::Planned, "maintenance: dry run".to_owned()),
        MaintenanceStatus::Refused { why } => {
            (Status::Failed, format!("maintenance refused: {why}"))
        }
        MaintenanceStatus::Aborted { step, why } => (
            Status::Failed,
            format!("maintenance aborted at {step}: {why}"),
        ),
        other => (Status::Failed, format!("maintenance: {other:?}")),
    };
    let steps = ctx.journal().entries();
    let rows = steps.iter().map(|e| {
        vec![
            e.step.clone(),
            e.target.clone(),
            e.outcome.word().to_owned(),
        ]
    });
    let mut report = Report::new("maintenance", status, summary, to_value(&log))
        .table("Steps", table(&["STEP", "TARGET", "OUTCOME"], rows))
        .journal(steps);
    report.notes.extend(log.warnings.iter().cloned());
    Ok(report)
}

/// `ops rotate-secret <secret> <key> [--restart <deployment>…]`.
pub async fn rotate(
    secret: &str,
    key: &str,
    dependents: &[String],
    g: &Global,
    b: &Backends,
) -> Outcome {
    let mut input = RotateSecretInput::new(SecretKeyRef::new(&g.namespace, secret, key)?);
    if !dependents.is_empty() {
        let refs = dependents
            .iter()
            .map(|d| DeploymentRef::new(&g.namespace, d))
            .collect::<Result<Vec<_>, _>>()?;
        input = input.with_dependents(refs);
    }
    input.health = vec![HealthTarget::Http(b.health_probe.clone())];
    input.validate()?;
    let ctx = context("rotate_secret", "ops rotate-secret", g, b)?;
    let backends = RotationBackends {
        rotator: b.secrets.as_ref(),
        deployer: b.deployer.as_ref(),
        health: &b.health,
    };
    let outcome = rotate_secret(&ctx, backends, &input).await?;
    let status = if g.dry_run {
        Status::Planned
    } else if outcome.succeeded() {
        Status::Ok
    } else {
        Status::Failed
    };
    let summary = match status {
        Status::Planned => format!("dry run: would rotate {}", input.secret),
        Status::Ok => format!("rotated {}: new value verified", input.secret),
        Status::Failed if outcome.reverted() => {
            format!("rotation of {} failed and was reverted", input.secret)
        }
        Status::Failed => format!("rotation of {} failed", input.secret),
    };
    let rows = outcome.restarts.iter().map(|r| {
        vec![
            r.deployment.to_string(),
            r.rollout
                .as_ref()
                .map_or_else(|| r.error.clone().unwrap_or_default(), ToString::to_string),
        ]
    });
    Ok(
        Report::new("rotate-secret", status, summary, to_value(&outcome))
            .table("Restarted", table(&["DEPLOYMENT", "ROLLOUT"], rows))
            .journal(ctx.journal().entries()),
    )
}
