//! `mcp_ops_core::HealthCheck` for metric targets, answered by Prometheus.
//!
//! Error rate above the probe's threshold is `Unhealthy` (P1); p95 latency or memory above it
//! is `Degraded` (P2); no data is `Unknown`, never a guess. Each report also records whether
//! the observation calls for the runbook's emergency rollback (error rate > 10 % or
//! p95 > 5 s, from [`Policy`]).

use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use mcp_ops_core::health::{
    HealthReport, HealthStatus, HealthTarget, MetricKind, MetricProbe, ObservedValue, TargetKind,
};
use mcp_ops_core::{HealthCheck, Policy, SharedClock, SystemClock};

use crate::prometheus::{PrometheusClient, Reading, queries};

/// Observation name telling whether the value calls for an emergency rollback.
pub const ROLLBACK_OBSERVATION: &str = "calls_for_rollback";

/// Health of metric targets from Prometheus.
#[derive(Debug, Clone)]
pub struct PrometheusHealth {
    client: PrometheusClient,
    policy: Policy,
    clock: SharedClock,
    evaluate_at_clock: bool,
}

impl PrometheusHealth {
    /// Checks with `client`, the runbook's [`Policy`] and wall-clock time; queries are
    /// evaluated at the server's current time.
    ///
    /// ```
    /// use mcp_ops_alerts::health::PrometheusHealth;
    /// use mcp_ops_alerts::prometheus::PrometheusClient;
    /// use mcp_ops_core::HealthCheck;
    /// use mcp_ops_core::health::TargetKind;
    ///
    /// let metrics = PrometheusHealth::new(PrometheusClient::new("http://127.0.0.1:9090")?);
    /// assert!(metrics.supports(TargetKind::Metric));
    /// assert!(!metrics.supports(TargetKind::Database));
    /// # Ok::<(), mcp_ops_alerts::AlertsError>(())
    /// ```
    #[must_use]
    pub fn new(client: PrometheusClient) -> Self {
        Self {
            client,
            policy: Policy::default(),
            clock: Arc::new(SystemClock),
            evaluate_at_clock: false,
        }
    }

    /// Replaces the policy (rollback thresholds).
    #[must_use]
    pub fn with_policy(mut self, policy: Policy) -> Self {
        self.policy = policy;
        self
    }

    /// Uses `clock` for report times **and** as the evaluation time of every query, so a
    /// test over back-filled data (or a replay of an incident) is deterministic.
    #[must_use]
    pub fn with_clock(mut self, clock: SharedClock) -> Self {
        self.clock = clock;
        self.evaluate_at_clock = true;
        self
    }

    async fn measure(&self, probe: &MetricProbe) -> crate::Result<(Reading, &'static str)> {
        let at = self.evaluate_at_clock.then(|| self.clock.now());
        Ok(match probe.metric {
            MetricKind::ErrorRate => (
                queries::error_rate(&self.client, &probe.service, probe.window, at).await?,
                "error_rate",
            ),
            MetricKind::P95Latency => (
                queries::p95_latency(&self.client, Some(&probe.service), at).await?,
                "p95_latency",
            ),
            _ => {
                let pods = queries::memory_usage(&self.client, None, at).await?;
                let worst = pods
                    .iter()
                    .filter(|p| {
                        p.container == probe.service
                            || p.pod.starts_with(&format!("{}-", probe.service))
                    })
                    .filter_map(queries::PodMemory::ratio)
                    .filter(|r| r.is_finite())
                    .fold(None, |m: Option<f64>, r| Some(m.map_or(r, |m| m.max(r))));
                let reading = match worst {
                    Some(r) => Reading::Value(r),
                    None => {
                        Reading::NoData(format!("no memory limit series for {}", probe.service))
                    }
                };
                (reading, "memory_ratio")
            }
        })
    }
}

fn observed(kind: MetricKind, v: f64) -> ObservedValue {
    match kind {
        MetricKind::P95Latency => ObservedValue::Duration(secs(v)),
        _ => ObservedValue::Ratio(v),
    }
}

#[async_trait]
impl HealthCheck for PrometheusHealth {
    fn backend(&self) -> &'static str {
        "prometheus"
    }

    fn supports(&self, kind: TargetKind) -> bool {
        kind == TargetKind::Metric
    }

    async fn check(&self, target: &HealthTarget) -> mcp_ops_core::Result<HealthReport> {
        let HealthTarget::Metric(probe) = target else {
            return Err(mcp_ops_core::Error::Unsupported {
                operation: "health check of a non-metric target",
                backend: "prometheus",
            });
        };
        if !probe.threshold.is_finite() {
            return Err(mcp_ops_core::Error::invalid(
                "threshold",
                "must be a finite number",
            ));
        }
        let started = Instant::now();
        let (reading, name) = self.measure(probe).await?;
        let now = self.clock.now();
        let mut report = match reading {
            Reading::NoData(why) => {
                HealthReport::new(target.clone(), HealthStatus::Unknown, why, now)
            }
            Reading::Value(v) => {
                let breach = v > probe.threshold;
                let status = match (breach, probe.metric) {
                    (false, _) => HealthStatus::Healthy,
                    (true, MetricKind::ErrorRate) => HealthStatus::Unhealthy,
                    (true, _) => HealthStatus::Degraded,
                };
                let rollback = match probe.metric {
                    MetricKind::ErrorRate => self.policy.calls_for_rollback(Some(v), None),
                    MetricKind::P95Latency => self.policy.calls_for_rollback(None, Some(secs(v))),
                    _ => false,
                };
                let verdict = if breach { "above" } else { "within" };
                HealthReport::new(
                    target.clone(),
                    status,
                    format!(
                        "{} {name} {v:.4} is {verdict} threshold {}",
                        probe.service, probe.threshold
                    ),
                    now,
                )
                .observe(name, observed(probe.metric, v))
                .observe(ROLLBACK_OBSERVATION, ObservedValue::Flag(rollback))
            }
        };
        report.latency = started.elapsed();
        Ok(report)
    }
}

/// Seconds as a duration, saturating (negative → 0, huge → `Duration::MAX`).
fn secs(v: f64) -> Duration {
    Duration::try_from_secs_f64(v.max(0.0)).unwrap_or(Duration::MAX)
}
