//! The bake's metric readings: the runbook's two Prometheus queries (error rate, p95) read
//! through a [`HealthCheck`], each bounded in time, and judged against the policy's rollback
//! thresholds.

use std::time::Duration;

use super::{human_duration, percent};
use crate::health::{HealthCheck, MetricKind, MetricProbe};
use crate::health_read::read_metric;
use crate::policy::Policy;

/// One sample's readings.
#[derive(Debug, Clone, Default)]
pub(super) struct Reading {
    pub error_rate: Option<f64>,
    pub p95: Option<Duration>,
    /// The checker judged a metric unhealthy without giving a number.
    pub unhealthy_without_value: bool,
    /// Why a metric had no value, when one had none.
    pub missing: Option<String>,
}

impl Reading {
    pub fn has_data(&self) -> bool {
        self.error_rate.is_some() || self.p95.is_some() || self.unhealthy_without_value
    }
}

/// One metric: its value, whether it was judged unhealthy without one, and why it had none.
type Probe = (Option<f64>, bool, Option<String>);

pub(super) async fn read(checker: &dyn HealthCheck, probe: MetricProbe, limit: Duration) -> Probe {
    let r = read_metric(checker, probe, limit).await;
    (r.value, r.unhealthy_without_value, r.missing)
}

pub(super) fn probes(
    service: &str,
    policy: &Policy,
    window: Duration,
) -> (MetricProbe, MetricProbe) {
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

pub(super) fn describe(r: &Reading) -> String {
    let er = r.error_rate.map_or("no data".to_owned(), percent);
    let p95 = r.p95.map_or("no data".to_owned(), |d| {
        format!("{:.2} s", d.as_secs_f64())
    });
    format!("error rate {er}, p95 {p95}")
}

pub(super) fn breach_reason(r: &Reading, policy: &Policy) -> Option<String> {
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
