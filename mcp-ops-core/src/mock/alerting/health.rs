//! `HealthCheck` on the mock alerting system: metric targets compared with their threshold.

use std::time::Duration;

use async_trait::async_trait;

use super::{BACKEND, MockAlerting};
use crate::error::{Error, Result};
use crate::health::{
    HealthCheck, HealthReport, HealthStatus, HealthTarget, MetricKind, ObservedValue, TargetKind,
};

fn observed(metric: MetricKind, value: f64) -> ObservedValue {
    match metric {
        MetricKind::P95Latency => Duration::try_from_secs_f64(value)
            .map(ObservedValue::Duration)
            .unwrap_or(ObservedValue::Number(value)),
        MetricKind::ErrorRate | MetricKind::MemoryRatio => ObservedValue::Ratio(value),
    }
}

#[async_trait]
impl HealthCheck for MockAlerting {
    fn backend(&self) -> &'static str {
        BACKEND
    }

    fn supports(&self, kind: TargetKind) -> bool {
        kind == TargetKind::Metric
    }

    async fn check(&self, target: &HealthTarget) -> Result<HealthReport> {
        self.faults.read("check", target.label()).await?;
        let HealthTarget::Metric(probe) = target else {
            return Err(Error::Unsupported {
                operation: match target.kind() {
                    TargetKind::Http => "http health",
                    TargetKind::Cluster => "cluster health",
                    TargetKind::Database => "database health",
                    _ => "cache health",
                },
                backend: BACKEND,
            });
        };
        let value = self
            .lock()
            .metrics
            .get(&(probe.service.clone(), probe.metric))
            .copied();
        let name = probe.metric.as_str();
        let report = match value {
            Some(v) if v.is_finite() => {
                let status = if v > probe.threshold {
                    HealthStatus::Unhealthy
                } else {
                    HealthStatus::Healthy
                };
                HealthReport::new(
                    target.clone(),
                    status,
                    format!(
                        "{name} of {} is {v} (threshold {})",
                        probe.service, probe.threshold
                    ),
                    self.now(),
                )
                .observe(name, observed(probe.metric, v))
            }
            _ => HealthReport::new(
                target.clone(),
                HealthStatus::Unknown,
                format!("no data for {name} of {}", probe.service),
                self.now(),
            ),
        };
        Ok(report)
    }
}
