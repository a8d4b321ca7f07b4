//! `recover_database`: the runbook's **"Recovery Procedures"** → *Database Recovery*
//! (runbook: Backup and Recovery).
//!
//! The runbook stops every application deployment, restores the dump, checks
//! `SELECT COUNT(*) FROM users` and starts the services again with hand-typed replica counts.
//! This procedure does the same, more carefully:
//!
//! 1. **Verify the backup first** (checksum, readability, and a test restore with the
//!    caller's integrity checks where the backend supports it). A bad backup is refused
//!    **before anything is scaled down**.
//! 2. **Remember** the replica count of every deployment of the namespace
//!    ([`Deployer::deployments`]) and scale them to 0 (`kubectl scale deployment
//!    --replicas=0 --all`).
//! 3. **Restore** ([`BackupManager::restore`], verifying again) and run the caller's
//!    [`IntegrityCheck`]s (e.g. `SELECT COUNT(*) FROM users` ≥ N).
//! 4. **Scale back to the remembered counts — also when the restore or a check failed**, so
//!    the service is never left down by the procedure; then wait for the rollouts and
//!    verify health.
//!
//! **Autoscaled deployments.** A HorizontalPodAutoscaler cannot hold 0 replicas without the
//! `HPAScaleToZero` feature gate, and [`Scaler::scale`] refuses deployments an autoscaler
//! owns. Restoring while a writer still runs can leave the database inconsistent, so the
//! default, [`AutoscaledHandling::Refuse`], refuses the recovery before anything changes and
//! names the autoscalers. [`AutoscaledHandling::PinToMinimum`] pins the autoscaler's bounds
//! to `1..=1` during the restore and puts the remembered bounds back afterwards (one replica
//! keeps running — use it when the application tolerates a restore underneath);
//! [`AutoscaledHandling::Leave`] leaves them alone. Either choice is journaled.

mod health;
mod report;
pub(crate) mod standby;
mod stopped;
mod verify_first;

use std::time::Duration;

use tracing::Instrument as _;

pub(crate) use health::verify_health;
use report::describe_verification;
pub use report::{RecoveryReport, RecoveryStatus};
pub use standby::{AutoscaledHandling, Remembered, RestoreFailure};
pub use stopped::STOPPED_STEP;
use verify_first::data_step;

use crate::backup::{BackupId, BackupManager, IntegrityCheck, RestoreOptions};
use crate::change::ChangeSpec;
use crate::deploy::Deployer;
use crate::error::{Error, Result};
use crate::health::{ClusterScope, HealthCheck, HealthStatus, HealthTarget, HttpProbe};
use crate::runbook::commands;
use crate::runbook::context::{Context, Plan};
use crate::scale::Scaler;
use crate::types::{DeploymentRef, Namespace, Replicas};

/// The procedure's name in journals.
pub const PROCEDURE: &str = "recover_database";

/// What to recover and how.
#[derive(Debug, Clone, PartialEq)]
pub struct RecoveryInput {
    /// The backup to restore (`backup-20250108`).
    pub backup: BackupId,
    /// The database restored, for commands (`mcp_db`).
    pub database: String,
    /// The namespace whose deployments are stopped (`mcp-production`).
    pub namespace: Namespace,
    /// Checks the restored data must pass (runbook: `SELECT COUNT(*) FROM users`).
    pub integrity_checks: Vec<IntegrityCheck>,
    /// Deployments an autoscaler owns (default: refuse).
    pub autoscaled: AutoscaledHandling,
    /// A deadline for verifying and for restoring the backup, chosen by the caller; `None`
    /// (the default): none, as both take as long as the data needs.
    pub restore_timeout: Option<Duration>,
    /// Each deployment may take this long to come back (default 600 s).
    pub rollout_timeout: Duration,
    /// What "healthy" means afterwards (default: the database, the namespace's objects and
    /// the runbook's health endpoint).
    pub health_targets: Vec<HealthTarget>,
    /// Each health check may take this long (default 10 s).
    pub health_timeout: Duration,
}

impl RecoveryInput {
    /// The runbook's recovery of `backup` into `mcp_db` for `mcp-production`, checking that
    /// `users` has at least one row.
    pub fn runbook(backup: BackupId) -> Self {
        let namespace = Namespace::runbook();
        Self {
            backup,
            database: "mcp_db".to_owned(),
            integrity_checks: vec![IntegrityCheck {
                name: "users present".to_owned(),
                query: "SELECT COUNT(*) FROM users".to_owned(),
                min: 1,
            }],
            autoscaled: AutoscaledHandling::Refuse,
            restore_timeout: None,
            rollout_timeout: Duration::from_secs(600),
            health_targets: vec![
                HealthTarget::Database {
                    name: "mcp_db".to_owned(),
                },
                HealthTarget::Cluster(ClusterScope::all(namespace.clone())),
                HealthTarget::Http(HttpProbe::new(
                    "api",
                    "https://api.mcp-production.com/health",
                )),
            ],
            health_timeout: Duration::from_secs(10),
            namespace,
        }
    }
}

/// The backends recovery uses.
#[derive(Clone, Copy)]
pub struct RecoveryBackends<'a> {
    /// Lists the deployments and waits for their rollouts.
    pub deployer: &'a dyn Deployer,
    /// Scales them.
    pub scaler: &'a dyn Scaler,
    /// Verifies and restores the backup.
    pub backups: &'a dyn BackupManager,
    /// Health checks; each target goes to the first that supports its kind.
    pub health: &'a [&'a dyn HealthCheck],
}

impl std::fmt::Debug for RecoveryBackends<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RecoveryBackends")
            .field("deployer", &self.deployer.backend())
            .field("scaler", &self.scaler.backend())
            .field("backups", &self.backups.backend())
            .field(
                "health",
                &self.health.iter().map(|h| h.backend()).collect::<Vec<_>>(),
            )
            .finish()
    }
}

/// Restores a database backup with the application stopped; see the module documentation.
///
/// # Errors
/// Read errors before anything changed (unknown backup, listing deployments, reading
/// replicas); [`Error::ChangeRefused`] when the context's change gate does not authorize a
/// [`ChangeSpec::Restore`] of this backup into this database (checked after the backup
/// verified, before anything is scaled down). Once something has changed, failures are reported in [`RecoveryReport::status`]
/// after the services were brought back.
///
/// Runbook section: **"Recovery Procedures"**.
///
/// # Example
///
/// ```
/// # #[cfg(feature = "testkit")]
/// # #[tokio::main(flavor = "current_thread", start_paused = true)]
/// # async fn main() -> mcp_ops_core::Result<()> {
/// use mcp_ops_core::runbook::recover_database::{
///     AutoscaledHandling, RecoveryInput, RecoveryStatus, recover_database,
/// };
/// use mcp_ops_core::testkit::TestKit;
///
/// let kit = TestKit::runbook().await?;
/// let mut input = RecoveryInput::runbook(kit.nightly_backup.id.clone());
/// input.autoscaled = AutoscaledHandling::PinToMinimum; // the API has an autoscaler
/// let ctx = kit.context("recover_database", "users table dropped at 02:10")?;
/// let health = kit.health_checks();
/// let report = recover_database(&ctx, kit.recovery_backends(&health), &input).await?;
/// assert_eq!(report.status, RecoveryStatus::Recovered);
/// assert_eq!(kit.database.restores(), vec![kit.nightly_backup.id.clone()]);
/// # Ok(())
/// # }
/// # #[cfg(not(feature = "testkit"))]
/// # fn main() {}
/// ```
pub async fn recover_database(
    ctx: &Context,
    backends: RecoveryBackends<'_>,
    input: &RecoveryInput,
) -> Result<RecoveryReport> {
    let ctx = ctx.for_procedure(PROCEDURE);
    let span = tracing::info_span!("recover_database", backup = %input.backup);
    run(&ctx, backends, input).instrument(span).await
}

async fn run(
    ctx: &Context,
    backends: RecoveryBackends<'_>,
    input: &RecoveryInput,
) -> Result<RecoveryReport> {
    let mut report = RecoveryReport::new(input.backup.clone());

    // 1. Verify the backup before anything else.
    let verification = verify_first::verify_first(ctx, backends, input).await?;
    let passed = verification.passed();
    let why = describe_verification(&verification);
    report.verification = Some(verification);
    if !passed {
        ctx.note(
            "refuse",
            input.backup.as_str(),
            format!("backup failed verification ({why}); nothing was scaled down"),
        );
        report.status = RecoveryStatus::Refused {
            why: format!("backup {} failed verification: {why}", input.backup),
        };
        return Ok(report);
    }

    // 2. Remember the replica counts.
    let deployments = ctx
        .step("list deployments", input.namespace.as_str())
        .command(commands::get("deployments", &input.namespace))
        .read(
            || backends.deployer.deployments(&input.namespace),
            |d| format!("{} deployments", d.len()),
        )
        .await?;
    let refs: Vec<DeploymentRef> = deployments.into_iter().map(|d| d.deployment).collect();
    let entries = match standby::survey(
        ctx,
        backends.scaler,
        &refs,
        Replicas::ZERO,
        input.autoscaled,
    )
    .await
    {
        Ok(e) => e,
        Err(Error::PolicyViolation { reason, .. }) => {
            ctx.note(
                "refuse",
                input.namespace.as_str(),
                format!("{reason}; nothing was scaled down"),
            );
            report.status = RecoveryStatus::Refused { why: reason };
            return Ok(report);
        }
        Err(e) => return Err(e),
    };
    report.remembered = entries.clone();
    // The change policy, after every check and before the first write.
    ctx.authorize(&ChangeSpec::Restore {
        backup: input.backup.clone(),
        database: input.database.clone(),
    })
    .await?;
    // A stop before the first write: nothing changed.
    if let Some(why) = ctx.stop_signal().reason() {
        let refused = Error::stopped(why, "scale down");
        ctx.skip("scale down", input.namespace.as_str(), refused.to_string());
        return Err(refused);
    }

    // 3. Stop the application.
    let mut writers_down = stopped::WritersDown::new(ctx, input.backup.clone());
    if !ctx.dry_run() {
        writers_down.set(&entries);
    }
    let (changed, stop_error) = standby::scale_down(ctx, backends.scaler, &entries).await;
    if !ctx.dry_run() {
        writers_down.set(&changed);
    }
    if let Some(e) = stop_error {
        report.scale_back_failures = standby::scale_back(ctx, backends.scaler, &changed).await;
        writers_down.disarm();
        report.status = match e {
            Error::Stopped { why, .. } => {
                ctx.skip(
                    "restore database",
                    input.database.as_str(),
                    "stopped by the caller",
                );
                stopped::stopped_status(
                    ctx,
                    &input.backup,
                    why,
                    &changed,
                    &report.scale_back_failures,
                )
            }
            e => {
                ctx.skip(
                    "restore database",
                    input.database.as_str(),
                    "stopping the services failed",
                );
                RecoveryStatus::StopFailed { why: e.to_string() }
            }
        };
        return Ok(finish(ctx, report));
    }

    // 4. Restore and check.
    let options = RestoreOptions {
        verify_first: true,
        integrity_checks: input.integrity_checks.clone(),
        timeout: input.restore_timeout,
    };
    let intent = ctx.intent();
    let restored = ctx
        .step("restore database", input.database.as_str())
        .action(format!("restore {} into {}", input.backup, input.database))
        .command(commands::pg_restore(
            &input.database,
            &format!("/backups/{}.sql", input.backup),
        ))
        .policy(data_step(input.restore_timeout))
        .act(
            || backends.backups.restore(&input.backup, &options, intent),
            |r| format!("restored in {:?}; {} checks", r.duration, r.checks.len()),
        )
        .await;
    let mut failure = None;
    let mut stopped_why = None;
    match restored {
        Ok(Some(r)) => {
            let failed = report::journal_integrity(ctx, &r.checks);
            if !failed.is_empty() {
                failure = Some(RecoveryStatus::IntegrityFailed { failed });
            }
            report.integrity = r.checks.clone();
            report.restore = Some(r);
        }
        Ok(None) => {}
        Err(Error::Stopped { why, .. }) => stopped_why = Some(why),
        Err(e) => failure = Some(RecoveryStatus::RestoreFailed { why: e.to_string() }),
    }

    if stopped_why.is_none() && report.restore.is_some() && ctx.is_stopped() {
        ctx.note(
            STOPPED_STEP,
            input.backup.as_str(),
            "stopped by the caller during the restore: the restore was not interrupted and \
             ran to its end; the services are brought back",
        );
    }

    // 5. Bring the services back, whatever happened above (also after a stop).
    report.scale_back_failures = standby::scale_back(ctx, backends.scaler, &changed).await;
    writers_down.disarm();
    if ctx.dry_run() {
        report.status = RecoveryStatus::Planned;
        return Ok(finish(ctx, report));
    }
    report.scale_back_failures.extend(
        standby::wait_for_autoscalers(ctx, backends.scaler, &changed, input.rollout_timeout).await,
    );
    for d in changed.iter().map(Remembered::deployment) {
        let waited = ctx
            .step("wait for rollout", d.qualified())
            .command(commands::rollout_status(d, input.rollout_timeout))
            .timeout(input.rollout_timeout)
            .read(
                || backends.deployer.wait_for_rollout(d, input.rollout_timeout),
                |s| s.to_string(),
            )
            .await;
        if let Err(e) = waited {
            report.scale_back_failures.push(RestoreFailure {
                deployment: d.clone(),
                why: e.to_string(),
            });
        }
    }
    let health = verify_health(
        ctx,
        backends.health,
        &input.health_targets,
        input.health_timeout,
    )
    .await?;
    let unhealthy = health.overall != HealthStatus::Healthy;
    let overall = health.overall;
    report.health = Some(health);
    report.status = match (stopped_why, failure) {
        (Some(why), _) => stopped::stopped_status(
            ctx,
            &input.backup,
            why,
            &changed,
            &report.scale_back_failures,
        ),
        (None, Some(f)) => f,
        (None, None) if !report.scale_back_failures.is_empty() => RecoveryStatus::NotHealthy {
            why: format!("{} deployments not back", report.scale_back_failures.len()),
        },
        (None, None) if unhealthy => RecoveryStatus::NotHealthy {
            why: format!("health is {}", overall.as_str()),
        },
        (None, None) => RecoveryStatus::Recovered,
    };
    Ok(finish(ctx, report))
}

/// Adds the plan to a dry run's report and a closing journal note.
fn finish(ctx: &Context, mut report: RecoveryReport) -> RecoveryReport {
    if ctx.dry_run() {
        report.status = RecoveryStatus::Planned;
        report.plan = Some(Plan::from_journal(ctx.journal(), PROCEDURE));
    }
    let status = report.status.summary();
    ctx.note(
        "recovery log",
        report.backup.as_str(),
        format!("recovery {status}"),
    );
    report
}
