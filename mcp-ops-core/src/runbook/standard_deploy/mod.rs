//! `standard_deploy`: the runbook's "Standard Deployment" (runbook:
//! Deployment Procedures), with the "Emergency Rollback" thresholds applied automatically.
//!
//! 1. **Pre-deployment Checklist** as typed [`Gate`]s; a failing gate refuses
//!    ([`DeployOutcome::Refused`]) unless the request is forced with a reason (journaled).
//! 2. `kubectl set image` with the intent's reason as change-cause.
//! 3. `kubectl rollout status --timeout=600s`.
//! 4. `curl -f …/health` through a [`HealthCheck`](crate::HealthCheck).
//! 5. `python tests/production_smoke_tests.py` through the caller's
//!    [`SmokeTest`](crate::runbook::smoke::SmokeTest).
//! 6. "Monitor metrics for 30 minutes": a bake period sampled every minute; error rate above
//!    [`Policy::rollback_error_rate`](crate::Policy) or p95 above
//!    [`Policy::rollback_p95_latency`](crate::Policy) is a breach, and so is the deployment
//!    itself going bad (pods not ready, restarts rising). A bake without evidence (no metric
//!    data, pods unreadable, or a bake of zero length) is inconclusive and never a success:
//!    the request's [`NoDataPolicy`] rolls back, holds (the default: reported as a failure)
//!    or accepts; the outcome is then [`DeployOutcome::Unverified`] ("deployed without
//!    verification").
//!
//! The deployment and its container are read before the gates: a deployment that does not
//! exist is [`Error::NotFound`], whatever the gates say.
//!
//! A failed rollout, a failed health check, failed smoke tests or a bake breach undo the
//! deployment (`kubectl rollout undo --to-revision=<previous>`), wait for the rollback, verify
//! health again and open a P1 incident through the [`Escalator`](crate::Escalator) with the
//! observed numbers.
//! A dry run checks the gates (reads only; a failing gate refuses a dry run too) and returns
//! the plan without a mutating call.
//!
//! **Change policy.** After the checks and before `set image`, the context's change gate
//! must authorize a [`ChangeSpec::Deploy`] of this image over the one running now
//! ([`Context::authorize`]); a refusal is an [`Error::ChangeRefused`] and nothing was
//! written. When the gate enforces, the automatic rollback is a break-glass
//! ([`Context::break_glass`], reason: the failure): it opens a retroactive change request
//! naming the approved deploy's, and tells the approvers.

mod bake;
mod bake_metrics;
mod gates;
mod no_data;
mod pod_watch;
mod request;
mod rollback;
mod steps;
mod stopped;

use stopped::{Halt, halt_if_stopped, stopped_halt};

use std::time::Duration;

use tracing::Instrument as _;

pub use bake::{BakeConfig, BakeSummary, BakeVerdict, MIN_COVERAGE_PERCENT};
pub use gates::{BackupGate, Checklist, Gate, GateResult, GateVerdict};
pub use no_data::NoDataPolicy;
pub use request::{
    DeployBackends, DeployOutcome, DeployReport, DeployRequest, IncidentTemplate, MAX_BAKE,
    MAX_ROLLOUT_TIMEOUT,
};
pub(crate) use steps::{
    check_health, clip, human_duration, percent, plan_check, record, wait_rollout,
    wait_rollout_or_stop,
};
pub use stopped::STOPPED_STEP;

use super::smoke::SMOKE_COMMAND;
use super::{Context, Plan, StepPolicy, commands};
use crate::change::ChangeSpec;
use crate::error::{Error, Result};
use crate::health::HealthStatus;
use crate::types::Revision;

/// The procedure's name in journals and plans.
pub const PROCEDURE: &str = "standard_deploy";

pub use crate::runbook::RUNBOOK_HEALTH_URL;

/// Runs the runbook's "Standard Deployment" with verification and automatic rollback.
///
/// # Errors
/// [`Error::InvalidInput`] for a request that cannot run (zero timeout, zero bake interval,
/// empty force reason); the error of reading the deployment or of setting the image (nothing
/// was rolled out then). Failed checks after the image changed are not errors: they roll back
/// and are reported in the [`DeployOutcome`].
///
/// Runbook section: **"Standard Deployment"**.
///
/// # Example
///
/// ```
/// # #[cfg(feature = "testkit")]
/// # #[tokio::main(flavor = "current_thread", start_paused = true)]
/// # async fn main() -> mcp_ops_core::Result<()> {
/// use std::time::Duration;
/// use mcp_ops_core::runbook::standard_deploy::{
///     Checklist, DeployOutcome, DeployRequest, standard_deploy,
/// };
/// use mcp_ops_core::testkit::TestKit;
/// use mcp_ops_core::types::ImageRef;
///
/// let kit = TestKit::runbook().await?;
/// let image = ImageRef::parse("ghcr.io/your-org/mcp-typescript-server:v1.0.1")?;
/// let request = DeployRequest::runbook(image)?.with_checklist(Checklist::all_passed(
///     "CI run 4711 green, scans clean, benchmark within budget",
///     "kubectl rollout undo deployment/mcp-typescript-api -n mcp-production",
/// ));
/// let ctx = kit.context("standard_deploy", "deploy v1.0.1")?;
/// // The 30-minute bake runs in paused time: microseconds of wall time.
/// let report = standard_deploy(&ctx, &kit.deploy_backends(), &request).await?;
/// assert!(matches!(report.outcome, DeployOutcome::Deployed { .. }));
///
/// // The next release breaches the 10 % error rate ten minutes into its bake.
/// kit.metrics.breach_after(Duration::from_secs(10 * 60));
/// let next = ImageRef::parse("ghcr.io/your-org/mcp-typescript-server:v1.0.2")?;
/// let request = DeployRequest { image: next, ..request };
/// let report = standard_deploy(&ctx, &kit.deploy_backends(), &request).await?;
/// assert!(matches!(report.outcome, DeployOutcome::RolledBack { .. }));
/// assert!(report.incident.is_some());
/// # Ok(())
/// # }
/// # #[cfg(not(feature = "testkit"))]
/// # fn main() {}
/// ```
pub async fn standard_deploy(
    ctx: &Context,
    backends: &DeployBackends<'_>,
    request: &DeployRequest,
) -> Result<DeployReport> {
    request.validate()?;
    let ctx = ctx.for_procedure(PROCEDURE);
    let span = tracing::info_span!("standard_deploy", deployment = %request.deployment);
    run(&ctx, backends, request).instrument(span).await
}

async fn run(ctx: &Context, b: &DeployBackends<'_>, req: &DeployRequest) -> Result<DeployReport> {
    let d = &req.deployment;
    let target = d.qualified();
    // Every named object is checked before the gates and before the first write: a
    // misspelt deployment or container is "not found", never hidden behind a failing gate.
    let before = ctx
        .step("record current revision", &target)
        .command(commands::rollout_history(d))
        .read(
            || b.deployer.deployment(d),
            |s| match s.revision {
                Some(r) => format!("revision {r}"),
                None => "no revision".to_owned(),
            },
        )
        .await?;
    if !before.images.contains_key(&req.container) {
        let names: Vec<&str> = before.images.keys().map(|c| c.as_str()).collect();
        return Err(Error::not_found(
            "container",
            format!(
                "{} in {target} (containers: {})",
                req.container,
                names.join(", ")
            ),
        ));
    }
    let gates = gates::evaluate(ctx, b.backups, &req.checklist, &req.backup, &target)
        .instrument(tracing::info_span!("pre-deployment checklist"))
        .await;
    let failing: Vec<String> = gates
        .iter()
        .filter(|g| !g.passed)
        .map(|g| format!("{}: {}", g.gate, g.detail))
        .collect();
    let mut forced = None;
    if !failing.is_empty() {
        let why = failing.join("; ");
        match req.force.as_deref() {
            Some(reason) => {
                ctx.note(
                    "force",
                    &target,
                    format!("failing gates forced ({why}); reason: {reason}"),
                );
                forced = Some(reason.to_owned());
            }
            None => {
                ctx.note("refuse", &target, format!("refused: {why}"));
                return Ok(DeployReport::new(
                    DeployOutcome::Refused { why },
                    gates,
                    None,
                ));
            }
        }
    }
    // The change policy, after the checks and before the first write.
    let planned = ChangeSpec::Deploy {
        deployment: d.clone(),
        container: req.container.clone(),
        image: req.image.clone(),
        from: before.images.get(&req.container).cloned(),
    };
    ctx.authorize(&planned).await?;
    let change = ctx
        .step("set image", &target)
        .action(format!("set image {}={}", req.container, req.image))
        .command(commands::set_image(d, &req.container, &req.image))
        .act(
            || {
                b.deployer
                    .set_image(d, &req.container, &req.image, ctx.intent())
            },
            |c| {
                if c.changed {
                    format!("{} -> {}", c.from, c.to)
                } else {
                    format!("already {}", c.to)
                }
            },
        )
        .await?;
    let Some(change) = change else {
        plan_rest(ctx, req);
        let plan = Plan::from_journal(ctx.journal(), PROCEDURE);
        return Ok(DeployReport::new(
            DeployOutcome::Planned { plan },
            gates,
            forced,
        ));
    };
    if !change.changed {
        let revision = before.revision.ok_or_else(|| {
            Error::conflict(&target, "the image is unchanged and no revision is known")
        })?;
        ctx.note(
            "deployed",
            &target,
            format!("{} already runs; nothing rolled out", req.image),
        );
        return Ok(DeployReport::new(
            DeployOutcome::Deployed { revision },
            gates,
            forced,
        ));
    }
    let mut bake = None;
    let mut report = match verify(ctx, b, req, &mut bake).await {
        Ok((revision, None)) => {
            ctx.note(
                "deployed",
                &target,
                format!("revision {revision} runs {}", req.image),
            );
            DeployReport::new(DeployOutcome::Deployed { revision }, gates, forced)
        }
        Ok((revision, Some(why))) => {
            let policy = req.on_no_data;
            ctx.note(
                "deployed without verification",
                &target,
                format!(
                    "revision {revision} runs {}; the bake was inconclusive ({why}); \
                     on no data: {policy}",
                    req.image
                ),
            );
            let outcome = DeployOutcome::Unverified {
                revision,
                why,
                policy,
            };
            DeployReport::new(outcome, gates, forced)
        }
        Err(Halt::Stopped(why)) => {
            let undone = stopped::stop_rollback(ctx, b, req, before.revision, why)
                .instrument(tracing::info_span!("rollback of a stopped deployment"))
                .await;
            let mut report = DeployReport::new(undone.outcome, gates, forced);
            report.health_after_rollback = undone.health;
            report
        }
        Err(Halt::Failed(why)) => {
            let undone = rollback::auto_rollback(ctx, b, req, before.revision, why)
                .instrument(tracing::info_span!("automatic rollback"))
                .await;
            let mut report = DeployReport::new(undone.outcome, gates, forced);
            report.health_after_rollback = undone.health;
            report.incident = undone.incident;
            report
        }
    };
    report.bake = bake;
    Ok(report)
}

/// Rollout, health, smoke tests and bake; `Err` asks for a rollback (a failed check, or the
/// caller stopped the procedure: checked between the phases, and the rollout wait and the bake
/// end early on a stop), `Ok((revision, Some(why)))` is a deployment the bake could not
/// verify, held or accepted by the no-data policy.
async fn verify(
    ctx: &Context,
    b: &DeployBackends<'_>,
    req: &DeployRequest,
    bake_summary: &mut Option<BakeSummary>,
) -> std::result::Result<(Revision, Option<String>), Halt> {
    let d = &req.deployment;
    let target = d.qualified();
    let live = format!("the Deployment was already patched to image {}", req.image);
    halt_if_stopped(ctx)?;
    let waited = wait_rollout_or_stop(ctx, b.deployer, d, req.rollout_timeout, &live).await;
    halt_if_stopped(ctx)?;
    let Some(revision) = waited.map_err(Halt::Failed)? else {
        return Err(stopped_halt(ctx));
    };
    match check_health(ctx, b.health, &req.health).await {
        Ok(r) if matches!(r.status, HealthStatus::Healthy | HealthStatus::Degraded) => {}
        Ok(r) => {
            return Err(Halt::Failed(format!(
                "health check {}: {}",
                r.status.as_str(),
                r.message
            )));
        }
        Err(e) => return Err(Halt::Failed(format!("health check could not run: {e}"))),
    }
    halt_if_stopped(ctx)?;
    let smoke = ctx
        .step("run smoke tests", &target)
        .command(SMOKE_COMMAND)
        .policy(StepPolicy::once(Duration::from_secs(600)))
        .read(|| b.smoke.run(), |r| r.summary())
        .await;
    match smoke {
        Ok(r) if r.passed() => {}
        Ok(r) => return Err(Halt::Failed(format!("smoke tests failed: {}", r.summary()))),
        Err(e) => return Err(Halt::Failed(format!("smoke tests could not run: {e}"))),
    }
    halt_if_stopped(ctx)?;
    let inconclusive = if req.bake.duration.is_zero() {
        ctx.skip("bake", &target, "bake duration is zero");
        "the bake was skipped (zero duration)".to_owned()
    } else {
        let service = req
            .bake
            .service
            .clone()
            .unwrap_or_else(|| d.name.as_str().to_owned());
        let watched = bake::Watched {
            metrics: b.metrics,
            deployer: b.deployer,
            deployment: d,
            service: &service,
        };
        let summary = bake::bake(ctx, &watched, &req.bake)
            .instrument(tracing::info_span!("monitor metrics", service = %service))
            .await;
        let verdict = summary.verdict.clone();
        *bake_summary = Some(summary);
        match verdict {
            BakeVerdict::Breach { sample, reason, .. } => {
                return Err(Halt::Failed(format!(
                    "bake breach at sample {sample}/{}: {reason}",
                    bake_samples(&req.bake)
                )));
            }
            // A bake cut short by the caller is neither a verdict nor evidence.
            _ if ctx.is_stopped() => return Err(stopped_halt(ctx)),
            BakeVerdict::Inconclusive { why } => why,
            _ => return Ok((revision, None)),
        }
    };
    match req.on_no_data {
        NoDataPolicy::Rollback => Err(Halt::Failed(format!(
            "bake inconclusive ({inconclusive}); --on-no-data rollback"
        ))),
        NoDataPolicy::Hold | NoDataPolicy::Accept => Ok((revision, Some(inconclusive))),
    }
}

fn bake_samples(c: &BakeConfig) -> u128 {
    c.duration
        .as_nanos()
        .div_ceil(c.interval.max(Duration::from_secs(1)).as_nanos())
}

/// In a dry run, the steps after `set image`, as planned checks.
fn plan_rest(ctx: &Context, req: &DeployRequest) {
    let d = &req.deployment;
    let target = d.qualified();
    plan_check(
        ctx,
        "wait for rollout",
        &target,
        &commands::rollout_status(d, req.rollout_timeout),
    );
    plan_check(
        ctx,
        "verify health",
        &req.health.display_url(),
        &commands::curl(&req.health.url),
    );
    plan_check(ctx, "run smoke tests", &target, SMOKE_COMMAND);
    if !req.bake.duration.is_zero() {
        let service = req.bake.service.as_deref().unwrap_or(d.name.as_str());
        plan_check(
            ctx,
            &format!(
                "bake {} (sample every {})",
                human_duration(req.bake.duration),
                human_duration(req.bake.interval)
            ),
            service,
            &bake::promql(service, req.bake.window),
        );
    }
}
