//! The bake period: the runbook's "Monitor metrics for 30 minutes" after a deployment,
//! judged by the "Emergency Rollback" thresholds (error rate > 10 %, response time > 5 s).
//!
//! Every interval the error rate and the p95 latency of the service are read through a metric
//! [`HealthCheck`], and the deployment's pods through the [`Deployer`] (see `pod_watch`). A
//! value above the policy's rollback threshold, or the deployment going bad, is a breach and
//! ends the bake at once.
//!
//! Evidence: the bake passes only when both sources answered in its last sample and in at
//! least three quarters of its samples ([`MIN_COVERAGE_PERCENT`]). Otherwise it is
//! inconclusive — never a pass — and the request's
//! [`NoDataPolicy`](super::NoDataPolicy) decides what happens. Each metric read is bounded
//! (the interval, between 5 and 30 s), so a frozen metric source cannot stretch the bake.

use std::time::Duration;

use serde::{Deserialize, Serialize};

pub(super) use super::bake_metrics::promql;
use super::bake_metrics::{Reading, breach_reason, describe, probes, read};
use super::human_duration;
use super::pod_watch::{PodVerdict, PodWatch};
use crate::deploy::{Deployer, PodHealth};
use crate::health::HealthCheck;
use crate::runbook::{Context, StepPolicy};
use crate::types::DeploymentRef;

/// The share of samples (in percent) in which both the metrics and the pods must have been
/// read for a bake to pass; the last sample must always have both.
pub const MIN_COVERAGE_PERCENT: u32 = 75;

/// How long to watch and how often to look.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BakeConfig {
    /// How long to watch (runbook: 30 min). Zero skips the bake.
    pub duration: Duration,
    /// Time between samples (60 s).
    pub interval: Duration,
    /// The rate window of the queries (runbook: `[5m]`).
    pub window: Duration,
    /// The service label of the metrics; the deployment's name when `None`.
    pub service: Option<String>,
}

impl Default for BakeConfig {
    /// 30 min, sampled every 60 s over a 5 min window.
    fn default() -> Self {
        Self {
            duration: Duration::from_secs(30 * 60),
            interval: Duration::from_secs(60),
            window: Duration::from_secs(5 * 60),
            service: None,
        }
    }
}

/// How a bake ended.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "verdict", rename_all = "snake_case")]
#[non_exhaustive]
pub enum BakeVerdict {
    /// Metrics and pods were seen in enough samples (see [`MIN_COVERAGE_PERCENT`]) and none
    /// breached.
    Pass,
    /// A sample breached a rollback threshold, or the deployment went bad.
    Breach {
        /// Which sample (1-based).
        sample: u32,
        /// The error rate seen then, if any.
        error_rate: Option<f64>,
        /// The p95 latency seen then, if any.
        p95: Option<Duration>,
        /// In words, with the thresholds.
        reason: String,
    },
    /// Not enough evidence to call it a pass: nothing can be said.
    Inconclusive {
        /// What was missing, in words (`no metric data in 3 of 3 samples (…)`).
        why: String,
    },
}

/// What the bake saw.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BakeSummary {
    /// Samples taken.
    pub samples: u32,
    /// Samples with no data for either metric.
    pub inconclusive: u32,
    /// Samples whose pods could not be read.
    pub pods_unread: u32,
    /// The highest error rate seen.
    pub max_error_rate: Option<f64>,
    /// The highest p95 latency seen.
    pub max_p95: Option<Duration>,
    /// The deployment's pods at the last sample they were read.
    pub pods: Option<PodHealth>,
    /// The verdict.
    pub verdict: BakeVerdict,
}

/// What the bake watches.
pub(super) struct Watched<'a> {
    /// The metric checker.
    pub metrics: &'a dyn HealthCheck,
    /// The deployer, for the deployment's pods.
    pub deployer: &'a dyn Deployer,
    /// The deployment.
    pub deployment: &'a DeploymentRef,
    /// The metrics' service label.
    pub service: &'a str,
}

async fn pods(w: &Watched<'_>, limit: Duration) -> std::result::Result<PodHealth, String> {
    match tokio::time::timeout(limit, w.deployer.pod_health(w.deployment)).await {
        Ok(Ok(h)) => Ok(h),
        Ok(Err(e)) => Err(e.to_string()),
        Err(_) => Err(format!(
            "the cluster did not answer within {}",
            human_duration(limit)
        )),
    }
}

/// Whether `seen` of `total` samples is enough coverage.
fn covered(seen: u32, total: u32) -> bool {
    u64::from(seen) * 100 >= u64::from(total) * u64::from(MIN_COVERAGE_PERCENT)
}

/// Watches the service's metrics and the deployment's pods for `config.duration`, one
/// journaled step per sample; stops at the first breach, and as soon as the caller stops the
/// context (inconclusive then).
pub(super) async fn bake(ctx: &Context, w: &Watched<'_>, config: &BakeConfig) -> BakeSummary {
    let policy = ctx.policy().clone();
    let service = w.service;
    let interval = config.interval.max(Duration::from_secs(1));
    let limit = interval.clamp(Duration::from_secs(5), Duration::from_secs(30));
    let total =
        u32::try_from(config.duration.as_nanos().div_ceil(interval.as_nanos())).unwrap_or(u32::MAX);
    let mut summary = BakeSummary {
        samples: 0,
        inconclusive: 0,
        pods_unread: 0,
        max_error_rate: None,
        max_p95: None,
        pods: None,
        verdict: BakeVerdict::Inconclusive {
            why: "no sample was taken".to_owned(),
        },
    };
    let mut watch = PodWatch::default();
    watch.begin(pods(w, limit).await.ok().as_ref());
    let mut remaining = config.duration;
    let (mut last_metrics, mut last_pods) = (None::<String>, None::<String>);
    for n in 1..=total {
        let wait = interval.min(remaining);
        ctx.sleep(wait).await;
        if let Some(why) = ctx.stop_signal().reason() {
            // The caller stopped: no verdict can be given; the procedure decides what to undo.
            let taken = n - 1;
            let why = format!("stopped by the caller ({why}) after {taken} of {total} samples");
            ctx.note("bake verdict", service, format!("inconclusive: {why}"));
            summary.verdict = BakeVerdict::Inconclusive { why };
            return summary;
        }
        remaining = remaining.saturating_sub(wait);
        let (er_probe, p95_probe) = probes(service, &policy, config.window);
        let (reading, pod_read) = ctx
            .step(format!("bake sample {n}/{total}"), service)
            .command(promql(service, config.window))
            .policy(StepPolicy::once(limit.saturating_add(Duration::from_secs(5))))
            .read(
                || async {
                    let ((er, er_bad, er_missing), (p95, p95_bad, p95_missing), pod_read) = futures::join!(
                        read(w.metrics, er_probe.clone(), limit),
                        read(w.metrics, p95_probe.clone(), limit),
                        pods(w, limit)
                    );
                    let reading = Reading {
                        error_rate: er,
                        p95: p95.and_then(|s| Duration::try_from_secs_f64(s).ok()),
                        unhealthy_without_value: er_bad || p95_bad,
                        missing: er_missing.or(p95_missing),
                    };
                    Ok((reading, pod_read))
                },
                |(r, p)| match p {
                    Ok(h) => format!("{}; pods {}/{} ready, {} restarts", describe(r), h.ready, h.desired, h.restarts),
                    Err(e) => format!("{}; pods unread: {e}", describe(r)),
                },
            )
            .await
            .unwrap_or_else(|e| {
                let why = e.to_string();
                (Reading { missing: Some(why.clone()), ..Reading::default() }, Err(why))
            });
        summary.samples = n;
        if reading.has_data() {
            last_metrics = None;
        } else {
            summary.inconclusive += 1;
            last_metrics = Some(
                reading
                    .missing
                    .clone()
                    .unwrap_or_else(|| "no data".to_owned()),
            );
        }
        if let Some(er) = reading.error_rate {
            summary.max_error_rate = Some(summary.max_error_rate.map_or(er, |m| m.max(er)));
        }
        if let Some(p) = reading.p95 {
            summary.max_p95 = Some(summary.max_p95.map_or(p, |m| m.max(p)));
        }
        let verdict = watch.observe(pod_read, n == total);
        last_pods = match &verdict {
            PodVerdict::Unread(why) => Some(why.clone()),
            _ => None,
        };
        summary.pods_unread = watch.unread;
        summary.pods.clone_from(&watch.last);
        let mut reasons: Vec<String> = breach_reason(&reading, &policy).into_iter().collect();
        if let PodVerdict::Breach(why) = &verdict {
            reasons.push(format!("the deployment went bad: {why}"));
        }
        if !reasons.is_empty() {
            let reason = reasons.join("; ");
            ctx.note(
                "bake verdict",
                service,
                format!("breach at sample {n}/{total}: {reason}"),
            );
            summary.verdict = BakeVerdict::Breach {
                sample: n,
                error_rate: reading.error_rate,
                p95: reading.p95,
                reason,
            };
            return summary;
        }
        tracing::debug!(sample = n, pods = %PodWatch::describe(&verdict, watch.last.as_ref()), "bake sample");
    }
    let n = summary.samples;
    let mut missing = Vec::new();
    if last_metrics.is_some() || !covered(n - summary.inconclusive.min(n), n) {
        let why = last_metrics.map_or_else(String::new, |w| format!(" (last: {w})"));
        missing.push(format!(
            "no metric data in {} of {n} samples{why}",
            summary.inconclusive
        ));
    }
    if last_pods.is_some() || !covered(n - watch.unread.min(n), n) {
        let why = last_pods.map_or_else(String::new, |w| format!(" (last: {w})"));
        missing.push(format!(
            "the deployment's pods unread in {} of {n} samples{why}",
            watch.unread
        ));
    }
    summary.verdict = if n == 0 {
        BakeVerdict::Inconclusive {
            why: "no sample was taken".to_owned(),
        }
    } else if missing.is_empty() {
        BakeVerdict::Pass
    } else {
        BakeVerdict::Inconclusive {
            why: missing.join("; "),
        }
    };
    let verdict = match &summary.verdict {
        BakeVerdict::Pass => "pass".to_owned(),
        BakeVerdict::Inconclusive { why } => format!("inconclusive: {why}"),
        BakeVerdict::Breach { reason, .. } => reason.clone(),
    };
    ctx.note(
        "bake verdict",
        service,
        format!(
            "{verdict} after {} samples over {}",
            summary.samples,
            human_duration(config.duration)
        ),
    );
    summary
}
