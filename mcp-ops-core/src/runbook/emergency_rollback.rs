//! `emergency_rollback`: the runbook's "Emergency Rollback" (runbook:
//! Deployment Procedures).
//!
//! 1. "Immediate rollback": `kubectl rollout undo` of every deployment (by default the
//!    runbook's three), concurrently.
//! 2. "Verify rollback": `kubectl rollout status` of each deployment that was rolled back.
//! 3. "Test system health": `curl -f …/health` and the caller's smoke tests.
//! 4. "Document incident and root cause": an incident opened through the [`Escalator`] with
//!    what happened to each deployment.
//!
//! The report says per deployment whether it was rolled back, skipped (already at the
//! previous template), had no history, was paused, or failed. A dry run makes no mutating
//! call and returns the plan.

use std::collections::BTreeSet;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tracing::Instrument as _;

use super::smoke::{SMOKE_COMMAND, SmokeReport, SmokeTest};
use super::standard_deploy::{
    IncidentTemplate, RUNBOOK_HEALTH_URL, check_health, clip, plan_check, wait_rollout,
};
use super::{Context, Plan, StepPolicy, commands};
use crate::change::ChangeSpec;
use crate::deploy::{Deployer, UndoOutcome};
use crate::error::{Error, Result};
use crate::escalation::Escalator;
use crate::health::{HealthCheck, HealthStatus, HttpProbe};
use crate::incident::{IncidentId, NewIncident};
use crate::types::DeploymentRef;

/// The procedure's name in journals and plans.
pub const PROCEDURE: &str = "emergency_rollback";

/// The deployments the runbook rolls back, in its order.
pub const RUNBOOK_DEPLOYMENTS: [&str; 3] = [
    "mcp-typescript-api",
    "mcp-learning-system",
    "mcp-rust-server",
];

/// What to roll back and how; [`EmergencyRollback::runbook`] gives the runbook's values.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EmergencyRollback {
    /// The deployments to undo, each to its previous revision.
    pub deployments: Vec<DeploymentRef>,
    /// How long each rollback's rollout may take (600 s).
    pub rollout_timeout: Duration,
    /// The health endpoint checked afterwards; `None` skips the check.
    pub health: Option<HttpProbe>,
    /// How the incident is filled in (P1, `MCP Production`, `@ops-team`).
    pub incident: IncidentTemplate,
}

impl EmergencyRollback {
    /// `deployments` with the runbook's timeout, health endpoint and incident template.
    pub fn new(deployments: Vec<DeploymentRef>) -> Self {
        Self {
            deployments,
            rollout_timeout: Duration::from_secs(600),
            health: Some(HttpProbe::new("api", RUNBOOK_HEALTH_URL)),
            incident: IncidentTemplate::default(),
        }
    }

    /// The runbook's three deployments in `mcp-production`.
    ///
    /// # Errors
    /// None in practice (the names are valid); typed for the validating constructors.
    pub fn runbook() -> Result<Self> {
        let deployments = RUNBOOK_DEPLOYMENTS
            .iter()
            .map(|n| DeploymentRef::new(crate::types::RUNBOOK_NAMESPACE, n))
            .collect::<Result<Vec<_>>>()?;
        Ok(Self::new(deployments))
    }

    fn validate(&self) -> Result<()> {
        if self.deployments.is_empty() {
            return Err(Error::invalid(
                "deployments",
                "name at least one deployment",
            ));
        }
        let unique: BTreeSet<&DeploymentRef> = self.deployments.iter().collect();
        if unique.len() != self.deployments.len() {
            return Err(Error::invalid("deployments", "a deployment is named twice"));
        }
        if self.rollout_timeout.is_zero() {
            return Err(Error::invalid(
                "rollout_timeout",
                "must be greater than zero",
            ));
        }
        Ok(())
    }
}

/// The backends an emergency rollback uses.
#[derive(Clone, Copy)]
pub struct RollbackBackends<'a> {
    /// Undoes and waits.
    pub deployer: &'a dyn Deployer,
    /// Checks the HTTP health endpoint.
    pub health: &'a dyn HealthCheck,
    /// The caller's smoke tests.
    pub smoke: &'a dyn SmokeTest,
    /// Records the incident.
    pub escalator: &'a dyn Escalator,
}

impl std::fmt::Debug for RollbackBackends<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RollbackBackends")
            .field("deployer", &self.deployer.backend())
            .field("health", &self.health.backend())
            .field("escalator", &self.escalator.backend())
            .finish_non_exhaustive()
    }
}

/// What happened to one deployment: the deployer's [`UndoOutcome`], or what the procedure
/// adds to it (a failure, a planned undo).
///
/// In JSON the outcome is flattened beside the tag: `{"status": "undo", "outcome":
/// "rolled_back", "from": 2, "to": 1}`, `{"status": "failed", "error": "…"}`,
/// `{"status": "planned"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
#[non_exhaustive]
pub enum RollbackStatus {
    /// The undo's outcome. For [`UndoOutcome::RolledBack`] the rollback has also rolled out
    /// (otherwise the status is [`RollbackStatus::Failed`]).
    Undo(UndoOutcome),
    /// The undo or its rollout failed.
    Failed {
        /// Why.
        error: String,
    },
    /// A dry run: the undo is planned.
    Planned,
}

impl RollbackStatus {
    /// Whether the deployment is back: rolled back, or already at the previous template.
    pub fn is_back(&self) -> bool {
        matches!(
            self,
            RollbackStatus::Undo(UndoOutcome::RolledBack { .. } | UndoOutcome::Skipped { .. })
        )
    }
}

impl std::fmt::Display for RollbackStatus {
    /// The undo outcome in kubectl's words, `failed: …` or `planned`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RollbackStatus::Undo(outcome) => outcome.fmt(f),
            RollbackStatus::Failed { error } => write!(f, "failed: {error}"),
            RollbackStatus::Planned => f.write_str("planned"),
        }
    }
}

/// One deployment's line of the report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeploymentRollback {
    /// Which deployment.
    pub deployment: DeploymentRef,
    /// What happened.
    pub status: RollbackStatus,
}

/// The report of an emergency rollback.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EmergencyRollbackReport {
    /// One line per deployment, in the order asked.
    pub deployments: Vec<DeploymentRollback>,
    /// The health endpoint's status afterwards (`None`: not checked or could not run).
    pub health: Option<HealthStatus>,
    /// The smoke tests afterwards (`None`: dry run or could not run).
    pub smoke: Option<SmokeReport>,
    /// The incident recorded.
    pub incident: Option<IncidentId>,
    /// The plan, for a dry run.
    pub plan: Option<Plan>,
}

impl EmergencyRollbackReport {
    /// Whether every deployment is back (rolled back or already there), health is not
    /// unhealthy and the smoke tests passed.
    pub fn recovered(&self) -> bool {
        self.deployments.iter().all(|d| d.status.is_back())
            && self.health != Some(HealthStatus::Unhealthy)
            && self.smoke.as_ref().is_some_and(SmokeReport::passed)
    }
}

/// Runs the runbook's "Emergency Rollback"; the context's intent reason is the trigger
/// (`error rate > 10 %`) and becomes each undo's change-cause.
///
/// **Change policy** (before the first undo): with a change request named on the context's
/// gate, it must authorize a [`ChangeSpec::Rollback`] of every deployment; without one and
/// with an enforcing gate, each deployment's rollback is a break-glass
/// ([`Context::break_glass`], reason: the intent's) — a retroactive change request awaiting
/// review, journaled, and a notice to the approvers.
///
/// # Errors
/// [`Error::InvalidInput`] for no deployment, a deployment named twice or a zero timeout;
/// [`Error::ChangeRefused`] when the change request does not cover the rollback (nothing was
/// undone); the change store's error when a break-glass cannot be recorded (nothing was
/// undone). Failures of single deployments are reported per deployment, not as errors.
///
/// Runbook section: **"Emergency Rollback"**.
///
/// # Example
///
/// ```
/// # #[cfg(feature = "testkit")]
/// # #[tokio::main(flavor = "current_thread", start_paused = true)]
/// # async fn main() -> mcp_ops_core::Result<()> {
/// use mcp_ops_core::runbook::emergency_rollback::{EmergencyRollback, emergency_rollback};
/// use mcp_ops_core::testkit::TestKit;
/// use mcp_ops_core::types::{ContainerName, DeploymentRef, ImageRef};
/// use mcp_ops_core::{Deployer, Intent};
///
/// let kit = TestKit::runbook().await?;
/// // v1.0.1 went out and answers 500.
/// let api: DeploymentRef = "mcp-production/mcp-typescript-api".parse()?;
/// let bad = ImageRef::parse("ghcr.io/your-org/mcp-typescript-server:v1.0.1")?;
/// kit.cluster.mark_erroring_image(&bad);
/// let container = ContainerName::new("mcp-typescript-api")?;
/// kit.cluster.set_image(&api, &container, &bad, &Intent::new("deploy v1.0.1", "ci")?).await?;
///
/// let ctx = kit.context("emergency_rollback", "error rate > 10 % after v1.0.1")?;
/// let request = EmergencyRollback::new(vec![api.clone()]);
/// let report = emergency_rollback(&ctx, &kit.rollback_backends(), &request).await?;
/// assert!(report.recovered());
/// let images = kit.cluster.deployment(&api).await?.images;
/// assert!(images.values().all(|i| i != &bad));
/// # Ok(())
/// # }
/// # #[cfg(not(feature = "testkit"))]
/// # fn main() {}
/// ```
pub async fn emergency_rollback(
    ctx: &Context,
    backends: &RollbackBackends<'_>,
    request: &EmergencyRollback,
) -> Result<EmergencyRollbackReport> {
    request.validate()?;
    let ctx = ctx.for_procedure(PROCEDURE);
    authorize(&ctx, request).await?;
    let span = tracing::info_span!(
        "emergency_rollback",
        deployments = request.deployments.len()
    );
    run(&ctx, backends, request).instrument(span).await
}

/// The change policy, before the first undo: each deployment's rollback is authorized by the
/// change request the caller named (one request names one deployment, so a request covering
/// only some of them refuses the whole rollback). Without one, under an enforcing gate, each
/// is a break-glass with the intent's reason: a retroactive change request per deployment,
/// and a notice to the approvers.
async fn authorize(ctx: &Context, request: &EmergencyRollback) -> Result<()> {
    let glass = !ctx.dry_run()
        && ctx.enforces_changes()
        && ctx.change_gate().is_some_and(|g| g.change().is_none());
    for d in &request.deployments {
        let planned = ChangeSpec::Rollback {
            deployment: d.clone(),
        };
        if glass {
            ctx.break_glass(&planned, ctx.intent().reason()).await?;
        } else {
            ctx.authorize(&planned).await?;
        }
    }
    Ok(())
}

async fn run(
    ctx: &Context,
    b: &RollbackBackends<'_>,
    req: &EmergencyRollback,
) -> Result<EmergencyRollbackReport> {
    let undos = req.deployments.iter().map(|d| {
        undo_one(ctx, b.deployer, d, req.rollout_timeout)
            .instrument(tracing::info_span!("immediate rollback", deployment = %d))
    });
    let deployments = futures::future::join_all(undos).await;
    let mut report = EmergencyRollbackReport {
        deployments,
        health: None,
        smoke: None,
        incident: None,
        plan: None,
    };
    let ns = req
        .deployments
        .first()
        .map(|d| d.namespace.to_string())
        .unwrap_or_default();
    if ctx.dry_run() {
        if let Some(probe) = &req.health {
            plan_check(
                ctx,
                "verify health",
                &probe.display_url(),
                &commands::curl(&probe.url),
            );
        }
        plan_check(ctx, "run smoke tests", &ns, SMOKE_COMMAND);
    } else {
        if let Some(probe) = &req.health {
            report.health = check_health(ctx, b.health, probe)
                .await
                .ok()
                .map(|r| r.status);
        }
        report.smoke = ctx
            .step("run smoke tests", &ns)
            .command(SMOKE_COMMAND)
            .policy(StepPolicy::once(Duration::from_secs(600)))
            .read(|| b.smoke.run(), |r| r.summary())
            .await
            .ok();
    }
    report.incident = record_incident(ctx, b, req, &report).await;
    if ctx.dry_run() {
        report.plan = Some(Plan::from_journal(ctx.journal(), PROCEDURE));
    }
    Ok(report)
}

/// Undo, then wait for the rollback's rollout.
async fn undo_one(
    ctx: &Context,
    deployer: &dyn Deployer,
    d: &DeploymentRef,
    timeout: Duration,
) -> DeploymentRollback {
    let line = |status| DeploymentRollback {
        deployment: d.clone(),
        status,
    };
    let undo = ctx
        .step("rollback", d.qualified())
        .action("undo to the previous revision")
        .command(commands::rollout_undo(d, None))
        .act(
            || deployer.undo(d, None, ctx.intent()),
            |r| r.outcome.to_string(),
        )
        .await;
    let (from, to) = match undo {
        Ok(None) => {
            plan_check(
                ctx,
                "wait for rollout",
                &d.qualified(),
                &commands::rollout_status(d, timeout),
            );
            return line(RollbackStatus::Planned);
        }
        Ok(Some(r)) => match r.outcome {
            UndoOutcome::RolledBack { from, to } => (from, to),
            other => return line(RollbackStatus::Undo(other)),
        },
        Err(e) => {
            return line(RollbackStatus::Failed {
                error: e.to_string(),
            });
        }
    };
    let live = format!("the undo to revision {to} was already sent");
    match wait_rollout(ctx, deployer, d, timeout, &live).await {
        Ok(_) => line(RollbackStatus::Undo(UndoOutcome::RolledBack { from, to })),
        Err(why) => line(RollbackStatus::Failed {
            error: format!("undone from revision {from} to {to}, but {why}"),
        }),
    }
}

/// "Document incident and root cause": one incident with every deployment's line.
async fn record_incident(
    ctx: &Context,
    b: &RollbackBackends<'_>,
    req: &EmergencyRollback,
    report: &EmergencyRollbackReport,
) -> Option<IncidentId> {
    let lines: Vec<String> = report
        .deployments
        .iter()
        .map(|l| format!("{}: {}", l.deployment.name, l.status))
        .collect();
    let health = report.health.map_or("not checked", |h| h.as_str());
    let smoke = report
        .smoke
        .as_ref()
        .map_or("not run".to_owned(), SmokeReport::summary);
    let impact = format!(
        "Emergency rollback ({}): {}. Health: {health}. Smoke tests: {smoke}",
        ctx.intent().reason(),
        lines.join("; ")
    );
    let new = NewIncident {
        title: format!(
            "Emergency rollback of {} deployments",
            req.deployments.len()
        ),
        severity: req.incident.severity,
        service: req.incident.service.clone(),
        impact: clip(&impact.replace(char::is_control, " "), 500),
        investigating: req.incident.investigating.clone(),
    };
    ctx.step("record incident", &new.service)
        .bookkeeping()
        .action(format!(
            "open {} incident: {}",
            new.severity.as_str(),
            new.title
        ))
        .act(
            || b.escalator.open(&new, ctx.intent()),
            |i| format!("incident {} opened", i.id),
        )
        .await
        .ok()
        .flatten()
        .map(|i| i.id)
}

#[cfg(test)]
#[path = "emergency_rollback_tests.rs"]
mod tests;
