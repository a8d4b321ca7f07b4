//! Steps and wording shared by `standard_deploy` and `emergency_rollback`.

use std::time::Duration;

use crate::deploy::{Deployer, RolloutStatus};
use crate::error::Error;
use crate::health::{HealthCheck, HealthReport, HealthTarget, HttpProbe};
use crate::runbook::journal::{JournalEntry, StepOutcome};
use crate::runbook::{Context, StepPolicy, commands};
use crate::types::{DeploymentRef, Revision};

/// `kubectl rollout status … --timeout=…`, one attempt bounded a little past the timeout:
/// the revision rolled out, or why not (a rollout that failed or did not finish is journaled
/// as a failed step).
///
/// `live` says what is already applied (`the Deployment was already patched to image X`): when
/// the API server became unreachable during the wait, the reason names it, with the command
/// to check the rollout once the server answers, instead of a bare "timed out".
pub(crate) async fn wait_rollout(
    ctx: &Context,
    deployer: &dyn Deployer,
    d: &DeploymentRef,
    timeout: Duration,
    live: &str,
) -> std::result::Result<Revision, String> {
    ctx.step("wait for rollout", d.qualified())
        .command(commands::rollout_status(d, timeout))
        .policy(StepPolicy::once(
            timeout.saturating_add(Duration::from_secs(30)),
        ))
        .read(
            || async {
                match deployer.wait_for_rollout(d, timeout).await? {
                    RolloutStatus::Complete { revision } => Ok(revision),
                    other => Err(Error::backend(deployer.backend(), other.to_string(), false)),
                }
            },
            |r| format!("successfully rolled out (revision {r})"),
        )
        .await
        .map_err(|e| match e {
            Error::Backend { message, .. } => message,
            Error::Unavailable { reason, .. } => format!(
                "{reason}; {live}: check with `{}` once it answers",
                commands::rollout_status(d, timeout)
            ),
            other => format!("rollout did not complete: {other}"),
        })
}

/// [`wait_rollout`] that gives up as soon as the caller stops the context: `Ok(None)` then,
/// journaled as a skipped wait saying what is already applied (`live`). The rollback's own
/// wait is not stoppable (it is part of the safe stop); the deployment's is.
pub(crate) async fn wait_rollout_or_stop(
    ctx: &Context,
    deployer: &dyn Deployer,
    d: &DeploymentRef,
    timeout: Duration,
    live: &str,
) -> std::result::Result<Option<Revision>, String> {
    tokio::select! {
        waited = wait_rollout(ctx, deployer, d, timeout, live) => waited.map(Some),
        () = ctx.stop_signal().stopped() => {
            let why = ctx.stop_signal().reason().unwrap_or_default();
            record(
                ctx,
                "wait for rollout",
                &d.qualified(),
                &commands::rollout_status(d, timeout),
                StepOutcome::Skipped(format!("stopped by the caller while waiting ({why}); {live}")),
            );
            Ok(None)
        }
    }
}

/// `curl -f <url>` through the health checker.
pub(crate) async fn check_health(
    ctx: &Context,
    health: &dyn HealthCheck,
    probe: &HttpProbe,
) -> crate::Result<HealthReport> {
    let target = HealthTarget::Http(probe.clone());
    ctx.step("verify health", probe.display_url())
        .command(commands::curl(&probe.url))
        .read(
            || health.check(&target),
            |r| format!("{}: {}", r.status.as_str(), r.message),
        )
        .await
}

/// Journals a read-only step of a dry run as planned (it would run after a mutating step that
/// did not happen, so running it now would observe nothing).
pub(crate) fn plan_check(ctx: &Context, step: &str, target: &str, command: &str) {
    record(ctx, step, target, command, StepOutcome::Planned);
}

/// Journals a non-mutating entry with an explicit outcome.
pub(crate) fn record(ctx: &Context, step: &str, target: &str, command: &str, outcome: StepOutcome) {
    ctx.journal().record(JournalEntry {
        at: ctx.now(),
        procedure: ctx.procedure().to_owned(),
        step: step.to_owned(),
        target: target.to_owned(),
        action: step.to_owned(),
        command: command.to_owned(),
        mutating: false,
        outcome,
        duration: Duration::ZERO,
    });
}

/// `24 h`, `30 min`, `1 min 30 s`, `5 s`, `0.35 s`.
pub(crate) fn human_duration(d: Duration) -> String {
    let s = d.as_secs();
    if d.subsec_nanos() != 0 && s < 60 {
        return format!("{:.2} s", d.as_secs_f64());
    }
    let (h, m, sec) = (s / 3600, (s % 3600) / 60, s % 60);
    let mut parts = Vec::new();
    if h > 0 {
        parts.push(format!("{h} h"));
    }
    if m > 0 {
        parts.push(format!("{m} min"));
    }
    if sec > 0 || parts.is_empty() {
        parts.push(format!("{sec} s"));
    }
    parts.join(" ")
}

/// `15.0 %`.
pub(crate) fn percent(ratio: f64) -> String {
    format!("{:.1} %", ratio * 100.0)
}

/// At most `max` characters of `s`.
pub(crate) fn clip(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_and_percentages_read_well() {
        assert_eq!(human_duration(Duration::from_secs(24 * 3600)), "24 h");
        assert_eq!(human_duration(Duration::from_secs(30 * 60)), "30 min");
        assert_eq!(human_duration(Duration::from_secs(90)), "1 min 30 s");
        assert_eq!(human_duration(Duration::from_secs(5)), "5 s");
        assert_eq!(human_duration(Duration::from_millis(350)), "0.35 s");
        assert_eq!(percent(0.15), "15.0 %");
        assert_eq!(clip("abcdef", 3), "abc…");
        assert_eq!(clip("abc", 3), "abc");
    }
}
