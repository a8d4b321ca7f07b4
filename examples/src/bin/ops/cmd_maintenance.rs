//! `ops maintenance` (Database Maintenance).

use mcp_ops_core::HealthCheck;
use mcp_ops_core::runbook::maintenance_window::{
    MaintenanceBackends, MaintenanceInput, MaintenanceStatus, maintenance_window,
};

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
