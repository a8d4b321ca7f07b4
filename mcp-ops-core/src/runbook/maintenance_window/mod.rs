//! `maintenance_window`: the runbook's **"Database Maintenance"** (runbook:
//! Maintenance Procedures), with "Silence alerts (for maintenance)" from Alert Management.
//!
//! Steps, in order:
//! 1. Refuse outside the window (default Sunday 02:00–04:00 UTC, computed in UTC from the
//!    context's clock) unless forced with a reason; a refusal changes nothing.
//! 2. Notify: an informational P3 notice to every [`Notifier`] that takes P3.
//! 3. Silence the listed alerts (one silence per `alertname`) until the window ends.
//! 4. Scale down the non-essential deployments the caller lists, remembering their counts.
//! 5. Pre-maintenance backup, which must verify: if it does not, the maintenance tasks are
//!    not run.
//! 6. `ANALYZE`, then `VACUUM`; the first failure stops the tasks.
//! 7. Index usage report (with the runbook's `pg_stats` query).
//! 8. Verify database health.
//! 9. **Scale back to the remembered counts, even when a step above failed.**
//! 10. Expire the silences, send a completion notice, and write the maintenance log (a
//!     journal note and the typed [`MaintenanceLog`]).
//!
//! A failed notice or silence is a warning in the log, not a reason to stop: neither
//! endangers data. Autoscaled non-essential deployments are pinned to one replica by
//! default ([`AutoscaledHandling::PinToMinimum`]) and their bounds restored afterwards.

mod log;
mod notice;
mod tasks;
mod window;

use std::sync::Arc;
use std::time::Duration;

use jiff::SignedDuration;
use tracing::Instrument as _;

pub use log::{MaintenanceLog, MaintenanceStatus};
pub use tasks::IndexReport;
pub use window::{MaintenanceWindow, WindowCheck};

use super::recover_database::standby;
use super::recover_database::{AutoscaledHandling, verify_health};
use crate::backup::BackupManager;
use crate::change::ChangeSpec;
use crate::error::Result;
use crate::escalation::Escalator;
use crate::health::{HealthCheck, HealthTarget};
use crate::maintenance::DatabaseMaintenance;
use crate::notify::Notifier;
use crate::runbook::context::{Context, Plan};
use crate::scale::Scaler;
use crate::types::{DeploymentRef, Replicas};

/// The procedure's name in journals.
pub const PROCEDURE: &str = "maintenance_window";

/// What maintenance to do and when it may be done.
#[derive(Debug, Clone, PartialEq)]
pub struct MaintenanceInput {
    /// When maintenance is allowed (default Sunday 02:00–04:00 UTC).
    pub window: MaintenanceWindow,
    /// Run outside the window; the reason is journaled.
    pub force: Option<String>,
    /// The database (`mcp_db`).
    pub database: String,
    /// Deployments to scale down during maintenance (the runbook leaves the choice to the
    /// operator; default none).
    pub non_essential: Vec<DeploymentRef>,
    /// Replicas they run with during maintenance (default 0).
    pub scale_down_to: Replicas,
    /// Non-essential deployments an autoscaler owns (default: pin to one replica).
    pub autoscaled: AutoscaledHandling,
    /// Alert names silenced for the window (default `HighErrorRate`, `HighLatency`).
    pub silence_alerts: Vec<String>,
    /// Tables to `ANALYZE`/`VACUUM`; empty means the whole database (the runbook's).
    pub tables: Vec<String>,
    /// The schema of the statistics report (`public`).
    pub schema: String,
    /// What is checked afterwards (default the database).
    pub health_targets: Vec<HealthTarget>,
    /// Each health check may take this long (default 10 s).
    pub health_timeout: Duration,
    /// The backup, and each of `ANALYZE` and `VACUUM`, may take this long (default 30 min).
    pub task_timeout: Duration,
}

impl Default for MaintenanceInput {
    fn default() -> Self {
        Self {
            window: MaintenanceWindow::default(),
            force: None,
            database: "mcp_db".to_owned(),
            non_essential: Vec::new(),
            scale_down_to: Replicas::ZERO,
            autoscaled: AutoscaledHandling::PinToMinimum,
            silence_alerts: vec!["HighErrorRate".to_owned(), "HighLatency".to_owned()],
            tables: Vec::new(),
            schema: "public".to_owned(),
            health_targets: vec![HealthTarget::Database {
                name: "mcp_db".to_owned(),
            }],
            health_timeout: Duration::from_secs(10),
            task_timeout: Duration::from_secs(30 * 60),
        }
    }
}

/// The backends maintenance uses.
#[derive(Clone, Copy)]
pub struct MaintenanceBackends<'a> {
    /// Scales the non-essential deployments.
    pub scaler: &'a dyn Scaler,
    /// Takes and verifies the pre-maintenance backup.
    pub backups: &'a dyn BackupManager,
    /// Runs `ANALYZE`, `VACUUM` and the statistics queries.
    pub database: &'a dyn DatabaseMaintenance,
    /// Creates and expires the silences.
    pub escalator: &'a dyn Escalator,
    /// Receives the maintenance notices (those that take P3).
    pub notifiers: &'a [Arc<dyn Notifier>],
    /// Health checks; each target goes to the first that supports its kind.
    pub health: &'a [&'a dyn HealthCheck],
}

impl std::fmt::Debug for MaintenanceBackends<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MaintenanceBackends")
            .field("scaler", &self.scaler.backend())
            .field("backups", &self.backups.backend())
            .field("database", &self.database.backend())
            .field("escalator", &self.escalator.backend())
            .field(
                "notifiers",
                &self
                    .notifiers
                    .iter()
                    .map(|n| n.channel())
                    .collect::<Vec<_>>(),
            )
            .finish_non_exhaustive()
    }
}

/// Runs the database maintenance; see the module documentation.
///
/// # Errors
/// [`crate::Error::InvalidInput`] for an invalid window or `force` without a reason;
/// [`crate::Error::ChangeRefused`] when the context's change gate does not authorize a
/// [`ChangeSpec::Maintenance`] of the database (checked after the window, before anything
/// is sent, silenced or scaled).
/// Everything else is reported in
/// [`MaintenanceLog::status`] and [`MaintenanceLog::warnings`], after scaling back.
///
/// Runbook section: **"Database Maintenance"**.
///
/// # Example
///
/// ```
/// # #[cfg(feature = "testkit")]
/// # #[tokio::main(flavor = "current_thread", start_paused = true)]
/// # async fn main() -> mcp_ops_core::Result<()> {
/// use mcp_ops_core::runbook::maintenance_window::{
///     MaintenanceInput, MaintenanceStatus, maintenance_window,
/// };
/// use mcp_ops_core::testkit::TestKit;
///
/// // The kit's clock starts on Sunday 02:30 UTC, inside the runbook's window.
/// let kit = TestKit::runbook().await?;
/// let ctx = kit.context("maintenance_window", "weekly database maintenance")?;
/// let health = kit.health_checks();
/// let input = MaintenanceInput::default();
/// let log = maintenance_window(&ctx, kit.maintenance_backends(&health), &input).await?;
/// assert_eq!(log.status, MaintenanceStatus::Completed);
/// assert!(!kit.database.maintenance_runs().is_empty()); // ANALYZE and VACUUM ran
/// # Ok(())
/// # }
/// # #[cfg(not(feature = "testkit"))]
/// # fn main() {}
/// ```
pub async fn maintenance_window(
    ctx: &Context,
    backends: MaintenanceBackends<'_>,
    input: &MaintenanceInput,
) -> Result<MaintenanceLog> {
    let ctx = ctx.for_procedure(PROCEDURE);
    let span = tracing::info_span!("maintenance_window", database = %input.database);
    run(&ctx, backends, input).instrument(span).await
}

async fn run(
    ctx: &Context,
    b: MaintenanceBackends<'_>,
    input: &MaintenanceInput,
) -> Result<MaintenanceLog> {
    if input.force.as_deref().is_some_and(|r| r.trim().is_empty()) {
        return Err(crate::Error::invalid("force", "forcing needs a reason"));
    }
    let started = ctx.now();
    let window = input.window.check(started)?;
    let mut log = MaintenanceLog {
        status: MaintenanceStatus::Completed,
        window,
        forced: input.force.clone(),
        started,
        finished: started,
        notified: Vec::new(),
        silences: Vec::new(),
        remembered: Vec::new(),
        scale_back_failures: Vec::new(),
        backup: None,
        verification: None,
        tasks: Vec::new(),
        index_report: None,
        health: None,
        warnings: Vec::new(),
        plan: None,
    };

    // 1. The window.
    let window_text = format!(
        "window {} – {}, now {}",
        window.starts.strftime("%a %Y-%m-%d %H:%M UTC"),
        window.ends.strftime("%H:%M UTC"),
        started.strftime("%a %H:%M UTC")
    );
    let ends = if window.inside {
        ctx.note(
            "check maintenance window",
            input.database.as_str(),
            format!("inside the {window_text}"),
        );
        window.ends
    } else if let Some(reason) = &input.force {
        ctx.note(
            "check maintenance window",
            input.database.as_str(),
            format!("outside the window, forced: {reason} ({window_text})"),
        );
        let length =
            SignedDuration::try_from(input.window.length).unwrap_or(SignedDuration::from_hours(2));
        started.checked_add(length).unwrap_or(window.ends)
    } else {
        let why = format!(
            "outside the maintenance window ({window_text}); the next one starts {}; pass force with a reason to run anyway",
            window.next_start.strftime("%Y-%m-%d %H:%M UTC")
        );
        ctx.note("refuse", input.database.as_str(), why.clone());
        log.status = MaintenanceStatus::Refused { why };
        return Ok(log);
    };

    // The change policy, after the window check and before the first write.
    ctx.authorize(&ChangeSpec::Maintenance {
        database: input.database.clone(),
    })
    .await?;

    // 2–3. Notify and silence.
    if let Some(m) = notice::notice(
        &input.database,
        started,
        ends,
        "Starting now: ANALYZE, VACUUM, index review. Non-essential services are scaled down meanwhile.",
    ) {
        let (sent, warnings) = notice::send(ctx, b.notifiers, "notify maintenance start", &m).await;
        log.notified = sent;
        log.warnings.extend(warnings);
    }
    let (silences, warnings) =
        notice::silence(ctx, b.escalator, &input.silence_alerts, started, ends).await;
    log.silences = silences;
    log.warnings.extend(warnings);

    // 4. Scale down non-essential services.
    let mut changed = Vec::new();
    let mut failed: Option<(String, String)> = None;
    match standby::survey(
        ctx,
        b.scaler,
        &input.non_essential,
        input.scale_down_to,
        input.autoscaled,
    )
    .await
    {
        Ok(entries) => {
            log.remembered = entries.clone();
            let (done, error) = standby::scale_down(ctx, b.scaler, &entries).await;
            changed = done;
            if let Some(e) = error {
                failed = Some((
                    "scale down non-essential services".to_owned(),
                    e.to_string(),
                ));
            }
        }
        Err(e) => {
            failed = Some((
                "scale down non-essential services".to_owned(),
                e.to_string(),
            ))
        }
    }

    // 5–7. Backup, tasks, report.
    if failed.is_none() {
        match tasks::backup_and_verify(ctx, b.backups, &input.database, input.task_timeout).await {
            Ok(Some((record, verification))) => {
                log.backup = Some(record);
                log.verification = Some(verification);
            }
            Ok(None) => {}
            Err(e) => failed = Some(("pre-maintenance backup".to_owned(), e.to_string())),
        }
    }
    if failed.is_none() {
        match tasks::analyze_and_vacuum(
            ctx,
            b.database,
            &input.database,
            &input.tables,
            input.task_timeout,
        )
        .await
        {
            Ok(done) => log.tasks = done,
            Err((step, e)) => failed = Some((step.to_owned(), e.to_string())),
        }
    }
    if failed.is_none() {
        match tasks::index_report(ctx, b.database, &input.database, &input.schema).await {
            Ok(r) => log.index_report = Some(r),
            Err(e) => log.warnings.push(format!("index usage report failed: {e}")),
        }
    }
    if let Some((step, why)) = &failed {
        let not_run: &[&str] = match step.as_str() {
            "ANALYZE" => &["VACUUM", "check index usage"],
            "VACUUM" => &["check index usage"],
            _ => &["ANALYZE", "VACUUM", "check index usage"],
        };
        for skipped in not_run {
            ctx.skip(
                *skipped,
                input.database.as_str(),
                format!("{step} failed: {why}"),
            );
        }
    }

    // 8. Health.
    match verify_health(ctx, b.health, &input.health_targets, input.health_timeout).await {
        Ok(h) => log.health = Some(h),
        Err(e) => log.warnings.push(format!("health check failed: {e}")),
    }

    // 9–10. Always: scale back, expire silences, tell people, log.
    log.scale_back_failures = standby::scale_back(ctx, b.scaler, &changed).await;
    log.warnings
        .extend(notice::expire(ctx, b.escalator, &log.silences).await);
    if let Some((step, why)) = failed {
        log.status = MaintenanceStatus::Aborted { step, why };
    }
    let outcome = match &log.status {
        MaintenanceStatus::Aborted { step, why } => {
            format!("Aborted at {step}: {why}. Services are scaled back.")
        }
        _ => "Completed. Services are scaled back.".to_owned(),
    };
    if let Some(m) = notice::notice(&input.database, started, ends, &outcome) {
        let (_, warnings) = notice::send(ctx, b.notifiers, "notify maintenance end", &m).await;
        log.warnings.extend(warnings);
    }
    log.finished = ctx.now();
    if ctx.dry_run() {
        log.status = MaintenanceStatus::Planned;
        log.plan = Some(Plan::from_journal(ctx.journal(), PROCEDURE));
    }
    ctx.note(
        "update maintenance log",
        input.database.as_str(),
        format!(
            "{}; {} tasks; {} deployments scaled back; {} warnings",
            outcome,
            log.tasks.len(),
            log.remembered.iter().filter(|r| r.changes()).count(),
            log.warnings.len()
        ),
    );
    Ok(log)
}
