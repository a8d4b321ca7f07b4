//! The bake period: the runbook's "Monitor metrics for 30 minutes" after a deployment,
//! judged by the "Emergency Rollback" thresholds (error rate > 10 %, response time > 5 s).
//!
//! Every interval the error rate and the p95 latency of the service are read through a metric
//! [`HealthCheck`]. A value above the policy's rollback threshold is a breach and ends the bake
//! at once; no data (or a check that fails) is inconclusive, never a breach.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::{human_duration, percent};
use crate::health::{
    HealthCheck, HealthStatus, HealthTarget, MetricKind, MetricProbe, ObservedValue,
};
use crate::policy::Policy;
use crate::runbook::{Context, StepPolicy};

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
    /// At least one sample had data and none breached.
    Pass,
    /// A sample breached a rollback threshold.
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
    /// No sample had data: nothing can be said.
    Inconclusive,
}

/// What the bake saw.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BakeSummary {
    /// Samples taken.
    pub samples: u32,
    /// Samples with no data for either metric.
    pub inconclusive: u32,
    /// The highest error rate seen.
    pub max_error_rate: Option<f64>,
    /// The highest p95 latency seen.
    pub max_p95: Option<Duration>,
    /// The verdict.
    pub verdict: BakeVerdict,
}

/// One sample's readings.
#[derive(Debug, Clone, Copy, Default)]
struct Reading {
    error_rate: Option<f64>,
    p95: Option<Duration>,
    /// The checker judged a metric unhealthy without giving a number.
    unhealthy_without_value: bool,
}

fn value_of(status: HealthStatus, observed: Option<&ObservedValue>) -> (Option<f64>, bool) {
    let v = match observed {
        Some(ObservedValue::Ratio(v) | ObservedValue::Number(v)) => Some(*v),
        Some(ObservedValue::Duration(d)) => Some(d.as_secs_f64()),
        _ => None,
    };
    let v = v.filter(|v| v.is_finite());
    (v, v.is_none() && status == HealthStatus::Unhealthy)
}

async fn read(checker: &dyn HealthCheck, probe: MetricProbe) -> (Option<f64>, bool) {
    let name = probe.metric.as_str();
    match checker.check(&HealthTarget::Metric(probe)).await {
        Ok(report) => {
            let observed = report
                .observation(name)
                .or_else(|| report.observed.first().map(|o| &o.value));
            value_of(report.status, observed)
        }
        Err(e) => {
            tracing::warn!("metric check failed, sample inconclusive: {e}");
            (None, false)
        }
    }
}

fn probes(service: &str, policy: &Policy, window: Duration) -> (MetricProbe, MetricProbe) {
    let er = MetricProbe {
        service: service.to_owned(),
        metric: MetricKind::ErrorRate,
        threshold: policy.rollback_error_rate,
        window,
    };
    let p95 = MetricProbe {
        service: service.to_owned(),
        metric: MetricKind::P95Latency,
        threshold: policy.rollback_p95_latency.as_secs_f64(),
        window,
    };
    (er, p95)
}

/// The runbook's two Prometheus queries for `service`, as the equivalent command.
pub(super) fn promql(service: &str, window: Duration) -> String {
    let w = format!("{}m", window.as_secs() / 60);
    let sel = format!("service=\"{service}\"");
    let errors = format!("rate(http_requests_total{{{sel},status=~\"5..\"}}[{w}])");
    let total = format!("rate(http_requests_total{{{sel}}}[{w}])");
    let p95 = format!(
        "histogram_quantile(0.95, rate(http_request_duration_seconds_bucket{{{sel}}}[{w}]))"
    );
    format!("promql: {errors} / {total}; {p95}")
}

fn describe(r: &Reading) -> String {
    let er = r.error_rate.map_or("no data".to_owned(), percent);
    let p95 = r.p95.map_or("no data".to_owned(), |d| {
        format!("{:.2} s", d.as_secs_f64())
    });
    format!("error rate {er}, p95 {p95}")
}

fn breach_reason(r: &Reading, policy: &Policy) -> Option<String> {
    let mut why = Vec::new();
    if let Some(er) = r.error_rate.filter(|er| *er > policy.rollback_error_rate) {
        why.push(format!(
            "error rate {} > {}",
            percent(er),
            percent(policy.rollback_error_rate)
        ));
    }
    if let Some(p) = r.p95.filter(|p| *p > policy.rollback_p95_latency) {
        why.push(format!(
            "p95 {:.2} s > {}",
            p.as_secs_f64(),
            human_duration(policy.rollback_p95_latency)
        ));
    }
    if why.is_empty() && r.unhealthy_without_value {
        why.push("the metric checker reports a rollback threshold breached".to_owned());
    }
    (!why.is_empty()).then(|| why.join(" and "))
}

/// Watches `service` for `config.duration`, one journaled step per sample; stops at the
/// first breach.
pub(super) async fn bake(
    ctx: &Context,
    metrics: &dyn HealthCheck,
    service: &str,
    config: &BakeConfig,
) -> BakeSummary {
    let policy = ctx.policy().clone();
    let interval = config.interval.max(Duration::from_secs(1));
    let total =
        u32::try_from(config.duration.as_nanos().div_ceil(interval.as_nanos())).unwrap_or(u32::MAX);
    let mut summary = BakeSummary {
        samples: 0,
        inconclusive: 0,
        max_error_rate: None,
        max_p95: None,
        verdict: BakeVerdict::Inconclusive,
    };
    let mut remaining = config.duration;
    let mut any_data = false;
    for n in 1..=total {
        let wait = interval.min(remaining);
        ctx.sleep(wait).await;
        remaining = remaining.saturating_sub(wait);
        let (er_probe, p95_probe) = probes(service, &policy, config.window);
        let reading = ctx
            .step(format!("bake sample {n}/{total}"), service)
            .command(promql(service, config.window))
            .policy(StepPolicy::once(Duration::from_secs(30)))
            .read(
                || async {
                    let ((er, er_bad), (p95, p95_bad)) = futures::join!(
                        read(metrics, er_probe.clone()),
                        read(metrics, p95_probe.clone())
                    );
                    Ok(Reading {
                        error_rate: er,
                        p95: p95.and_then(|s| Duration::try_from_secs_f64(s).ok()),
                        unhealthy_without_value: er_bad || p95_bad,
                    })
                },
                describe,
            )
            .await
            .unwrap_or_default();
        summary.samples = n;
        if reading.error_rate.is_none() && reading.p95.is_none() && !reading.unhealthy_without_value
        {
            summary.inconclusive += 1;
        } else {
            any_data = true;
        }
        if let Some(er) = reading.error_rate {
            summary.max_error_rate = Some(summary.max_error_rate.map_or(er, |m| m.max(er)));
        }
        if let Some(p) = reading.p95 {
            summary.max_p95 = Some(summary.max_p95.map_or(p, |m| m.max(p)));
        }
        if let Some(reason) = breach_reason(&reading, &policy) {
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
    }
    summary.verdict = if any_data {
        BakeVerdict::Pass
    } else {
        BakeVerdict::Inconclusive
    };
    let verdict = match summary.verdict {
        BakeVerdict::Pass => "pass",
        _ => "inconclusive: no metric data",
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
