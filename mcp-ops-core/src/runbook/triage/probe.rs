//! Running read-only probes against a deadline: each probe is a journaled step with its own
//! timeout and retries, and none outlives the procedure's deadline. A probe that has no
//! backend, errors, or does not answer in time becomes an `Unknown` result instead of
//! failing the procedure.

use std::future::Future;
use std::time::Duration;

use jiff::{SignedDuration, Timestamp};

use crate::clock::elapsed_between;
use crate::error::{Error, Result};
use crate::health::{HealthCheck, HealthReport, HealthStatus, HealthTarget};
use crate::runbook::context::{Context, StepPolicy};
use crate::runbook::journal::{JournalEntry, StepOutcome};

/// How the summary of a probe cut by the deadline starts.
pub(crate) const DEADLINE: &str = "no answer by the deadline";

/// What became of one probe.
#[derive(Debug)]
pub(crate) enum Probed<T> {
    /// It answered.
    Done(T),
    /// It could not run: no backend, unsupported, or an error after its retries.
    Failed(String),
    /// It did not answer by the procedure's deadline.
    Deadline,
}

impl<T> Probed<T> {
    /// The value, if it answered.
    pub(crate) fn ok(&self) -> Option<&T> {
        match self {
            Probed::Done(v) => Some(v),
            _ => None,
        }
    }

    /// Why there is no value (empty when there is one).
    pub(crate) fn why_not(&self, deadline: Duration) -> String {
        match self {
            Probed::Done(_) => String::new(),
            Probed::Failed(why) => why.clone(),
            Probed::Deadline => format!("{DEADLINE} ({} s)", deadline.as_secs_f64()),
        }
    }
}

/// Runs probes for one procedure run.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Prober<'c> {
    ctx: &'c Context,
    deadline: Timestamp,
    budget: Duration,
    policy: StepPolicy,
}

impl<'c> Prober<'c> {
    /// Probes of `ctx` that must all end `budget` from now; each has `policy`.
    pub(crate) fn new(ctx: &'c Context, budget: Duration, policy: StepPolicy) -> Self {
        let signed = SignedDuration::try_from(budget).unwrap_or(SignedDuration::MAX);
        let now = ctx.now();
        Self {
            ctx,
            deadline: now.saturating_add(signed).unwrap_or(Timestamp::MAX),
            budget,
            policy,
        }
    }

    /// The procedure's whole budget.
    pub(crate) fn budget(&self) -> Duration {
        self.budget
    }

    /// The context.
    pub(crate) fn ctx(&self) -> &'c Context {
        self.ctx
    }

    fn remaining(&self) -> Duration {
        elapsed_between(self.ctx.now(), self.deadline)
    }

    fn record_deadline(&self, step: &str, target: &str, command: &str, started: Timestamp) {
        let ctx = self.ctx;
        ctx.journal().record(JournalEntry {
            at: started,
            procedure: ctx.procedure().to_owned(),
            step: step.to_owned(),
            target: target.to_owned(),
            action: step.to_owned(),
            command: command.to_owned(),
            mutating: false,
            outcome: StepOutcome::Failed(format!("{DEADLINE} ({} s)", self.budget.as_secs_f64())),
            duration: elapsed_between(started, ctx.now()),
        });
    }

    /// Runs one read-only step, bounded by its policy and by the deadline.
    pub(crate) async fn read<T, F, Fut>(
        &self,
        step: &str,
        target: &str,
        command: &str,
        f: F,
        describe: impl FnOnce(&T) -> String,
    ) -> Probed<T>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T>>,
    {
        let started = self.ctx.now();
        let remaining = self.remaining();
        if remaining.is_zero() {
            self.record_deadline(step, target, command, started);
            return Probed::Deadline;
        }
        let mut policy = self.policy;
        policy.timeout = policy.timeout.min(remaining);
        let run = self
            .ctx
            .step(step, target)
            .command(command)
            .policy(policy)
            .read(f, describe);
        tokio::select! {
            r = run => match r {
                Ok(v) => Probed::Done(v),
                Err(e) => Probed::Failed(e.to_string()),
            },
            // The clock, not `ctx.sleep`: a caller's stop does not cut reads short (it would
            // report every probe as past the deadline); triage is bounded by its own deadline.
            () = self.ctx.clock().sleep(remaining) => {
                self.record_deadline(step, target, command, started);
                Probed::Deadline
            }
        }
    }

    /// Checks `target` on `checker`; always yields a report (`Unknown` when there is no
    /// checker, it does not serve the target's kind, it fails or it misses the deadline).
    pub(crate) async fn health(
        &self,
        checker: Option<&dyn HealthCheck>,
        step: &str,
        target: HealthTarget,
        command: &str,
    ) -> HealthReport {
        let label = target.label();
        let Some(checker) = checker else {
            let why = format!("no backend given for {label}");
            self.ctx.skip(step, &label, &why);
            return HealthReport::new(target, HealthStatus::Unknown, why, self.ctx.now());
        };
        if !checker.supports(target.kind()) {
            let why = format!("{} does not check {label}", checker.backend());
            self.ctx.skip(step, &label, &why);
            return HealthReport::new(target, HealthStatus::Unknown, why, self.ctx.now());
        }
        let probed = self
            .read(
                step,
                &label,
                command,
                || checker.check(&target),
                |r: &HealthReport| format!("{}: {}", r.status.as_str(), r.message),
            )
            .await;
        match probed {
            Probed::Done(r) => r,
            other => {
                let why = other.why_not(self.budget);
                HealthReport::new(target, HealthStatus::Unknown, why, self.ctx.now())
            }
        }
    }

    /// `kubectl get hpa`: the autoscaler of `deployment` (`None` when it has none), or
    /// [`Prober::missing`] without a scaler.
    pub(crate) async fn autoscaler(
        &self,
        scaler: Option<&dyn crate::scale::Scaler>,
        deployment: &crate::types::DeploymentRef,
    ) -> Probed<Option<crate::scale::AutoscalerStatus>> {
        const STEP: &str = "check autoscaler";
        let target = deployment.qualified();
        let Some(scaler) = scaler else {
            return self.missing(STEP, &target);
        };
        let command = crate::runbook::commands::get_hpa(&deployment.namespace);
        self.read(
            STEP,
            &target,
            &command,
            || scaler.autoscaler(deployment),
            |a: &Option<crate::scale::AutoscalerStatus>| match a {
                Some(a) => format!("{} {}..={} wants {}", a.name, a.min, a.max, a.desired),
                None => "no autoscaler".to_owned(),
            },
        )
        .await
    }

    /// The result of a probe whose backend was not given (journaled as skipped).
    pub(crate) fn missing<T>(&self, step: &str, target: &str) -> Probed<T> {
        let why = format!("no backend given for {step}");
        self.ctx.skip(step, target, &why);
        Probed::Failed(why)
    }
}

/// The default probe policy of the diagnostic procedures: 5 s per attempt, 2 attempts,
/// 500 ms between them.
pub(crate) fn default_probe_policy() -> StepPolicy {
    StepPolicy {
        timeout: Duration::from_secs(5),
        attempts: 2,
        backoff: Duration::from_millis(500),
    }
}

/// An error for an input that does not fit, kept here so that all three procedures word
/// it alike.
pub(crate) fn bad_deadline(deadline: Duration) -> Result<()> {
    if deadline.is_zero() {
        return Err(Error::invalid("deadline", "must be greater than zero"));
    }
    Ok(())
}

/// The metric target of `service` for `kind`, with the policy's threshold and window.
pub(crate) fn metric_target(
    policy: &crate::policy::Policy,
    service: &str,
    kind: crate::health::MetricKind,
) -> HealthTarget {
    use crate::health::{MetricKind, MetricProbe};
    let threshold = match kind {
        MetricKind::ErrorRate => policy.error_rate_p1,
        MetricKind::P95Latency => policy.p95_latency_p2.as_secs_f64(),
        _ => policy.memory_ratio_warning,
    };
    HealthTarget::Metric(MetricProbe {
        service: service.to_owned(),
        metric: kind,
        threshold,
        window: policy.error_rate_window,
    })
}

/// The runbook's Prometheus query for `kind`, narrowed to `service`.
pub(crate) fn promql(service: &str, kind: crate::health::MetricKind) -> String {
    use crate::health::MetricKind;
    match kind {
        MetricKind::ErrorRate => format!(
            "rate(http_requests_total{{service=\"{service}\",status=~\"5..\"}}[5m]) / rate(http_requests_total{{service=\"{service}\"}}[5m])"
        ),
        MetricKind::P95Latency => format!(
            "histogram_quantile(0.95, rate(http_request_duration_seconds_bucket{{service=\"{service}\"}}[5m]))"
        ),
        _ => format!(
            "container_memory_usage_bytes{{container=\"{service}\"}} / container_spec_memory_limit_bytes{{container=\"{service}\"}}"
        ),
    }
}

/// The value a metric report observed, as a number (ratios as ratios, latencies in seconds).
pub(crate) fn metric_value(report: &HealthReport) -> Option<f64> {
    use crate::health::ObservedValue;
    let HealthTarget::Metric(m) = &report.target else {
        return None;
    };
    match report.observation(m.metric.as_str())? {
        ObservedValue::Ratio(r) | ObservedValue::Number(r) => Some(*r),
        ObservedValue::Duration(d) => Some(d.as_secs_f64()),
        _ => None,
    }
    .filter(|v| v.is_finite())
}

/// `ceil(current × observed / threshold)`, at least one more than `current`, at most `cap`;
/// `None` when `current` already is at the cap.
pub(crate) fn proportional(current: u32, observed: f64, threshold: f64, cap: u32) -> Option<u32> {
    if current >= cap {
        return None;
    }
    let wanted = if threshold > 0.0 && observed.is_finite() {
        (f64::from(current.max(1)) * observed / threshold).ceil()
    } else {
        f64::from(current) + 1.0
    };
    let wanted = if wanted >= f64::from(cap) {
        cap
    } else if wanted <= f64::from(current) {
        current + 1
    } else {
        // In (current, cap): fits in u32.
        wanted as u32
    };
    Some(wanted.clamp(current + 1, cap))
}

/// The finding on a deployment's autoscaler (`kubectl get hpa`): Degraded when it wants
/// its maximum, Healthy without one, Unknown when the probe gave no answer.
pub(crate) fn autoscaler_finding(
    probed: &Probed<Option<crate::scale::AutoscalerStatus>>,
    target: &str,
    namespace: &crate::types::Namespace,
    budget: Duration,
) -> super::Finding {
    use super::{Check, Finding};
    let hpa_cmd = crate::runbook::commands::get_hpa(namespace);
    match probed {
        Probed::Done(Some(a)) => Finding::new(
            Check::Autoscaler,
            target,
            if a.at_max() {
                HealthStatus::Degraded
            } else {
                HealthStatus::Healthy
            },
            format!(
                "{} wants {} of {}..={} replicas{}",
                a.name,
                a.desired,
                a.min,
                a.max,
                if a.at_max() { " (at max)" } else { "" }
            ),
            hpa_cmd,
        ),
        Probed::Done(None) => Finding::new(
            Check::Autoscaler,
            target,
            HealthStatus::Healthy,
            "no autoscaler",
            hpa_cmd,
        ),
        other => Finding::new(
            Check::Autoscaler,
            target,
            HealthStatus::Unknown,
            other.why_not(budget),
            hpa_cmd,
        ),
    }
}

/// Memory use / limit of each pod whose name starts with `pod/<deployment>-`.
pub(crate) fn pod_memory_ratios<'u>(
    usage: &'u [crate::scale::ResourceUsage],
    deployment: &str,
) -> impl Iterator<Item = (&'u str, f64)> {
    let prefix = format!("pod/{deployment}-");
    usage.iter().filter_map(move |u| {
        if !u.object.starts_with(&prefix) {
            return None;
        }
        let r = u.memory.ratio(u.memory_limit.as_ref()?)?;
        Some((u.object.as_str(), r))
    })
}

#[cfg(test)]
mod tests {
    use super::proportional;

    #[test]
    fn proportional_scaling_is_at_least_one_more_and_at_most_the_cap() {
        assert_eq!(proportional(3, 3.0, 2.0, 20), Some(5));
        assert_eq!(proportional(3, 2.01, 2.0, 20), Some(4));
        assert_eq!(proportional(3, 0.5, 2.0, 20), Some(4));
        assert_eq!(proportional(3, 600.0, 2.0, 20), Some(20));
        assert_eq!(proportional(3, f64::NAN, 2.0, 20), Some(4));
        assert_eq!(proportional(0, 3.0, 2.0, 20), Some(2));
        assert_eq!(proportional(20, 3.0, 2.0, 20), None);
        assert_eq!(proportional(25, 3.0, 2.0, 20), None);
    }
}
