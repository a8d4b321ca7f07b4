//! One metric read through a [`HealthCheck`], bounded in time, as a number or the reason
//! there is none — what the deploy's bake and the evidence-gated emergency rollback of
//! `ops mcp` both judge. No number is no evidence: the caller decides what that means.

use std::time::Duration;

use crate::health::{HealthCheck, HealthStatus, HealthTarget, MetricProbe, ObservedValue};

/// What one metric read gave.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MetricRead {
    /// The value (a ratio, or seconds for a latency), when the checker gave a finite number.
    pub value: Option<f64>,
    /// The checker judged the metric unhealthy without giving a number.
    pub unhealthy_without_value: bool,
    /// Why there is no value, when there is none (`error_rate: …`).
    pub missing: Option<String>,
}

/// Reads `probe` through `checker`, waiting at most `limit`.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// use std::time::Duration;
/// use mcp_ops_core::health::{MetricKind, MetricProbe};
/// use mcp_ops_core::health_read::read_metric;
/// use mcp_ops_core::mock::MockCluster;
///
/// let cluster = MockCluster::runbook();
/// let probe = MetricProbe {
///     service: "mcp-typescript-api".into(),
///     metric: MetricKind::ErrorRate,
///     threshold: 0.10,
///     window: Duration::from_secs(300),
/// };
/// let read = read_metric(&cluster, probe, Duration::from_secs(5)).await;
/// assert!(read.value.is_some() || read.missing.is_some());
/// # }
/// ```
pub async fn read_metric(
    checker: &dyn HealthCheck,
    probe: MetricProbe,
    limit: Duration,
) -> MetricRead {
    let name = probe.metric.as_str();
    match tokio::time::timeout(limit, checker.check(&HealthTarget::Metric(probe))).await {
        Ok(Ok(report)) => {
            let observed = report
                .observation(name)
                .or_else(|| report.observed.first().map(|o| &o.value));
            let value = match observed {
                Some(ObservedValue::Ratio(v) | ObservedValue::Number(v)) => Some(*v),
                Some(ObservedValue::Duration(d)) => Some(d.as_secs_f64()),
                _ => None,
            }
            .filter(|v| v.is_finite());
            let unhealthy_without_value =
                value.is_none() && report.status == HealthStatus::Unhealthy;
            MetricRead {
                value,
                unhealthy_without_value,
                missing: (value.is_none() && !unhealthy_without_value)
                    .then(|| format!("{name}: {}", report.message)),
            }
        }
        Ok(Err(e)) => {
            tracing::warn!("metric check failed, reading inconclusive: {e}");
            MetricRead {
                missing: Some(format!("{name}: {e}")),
                ..MetricRead::default()
            }
        }
        Err(_) => MetricRead {
            missing: Some(format!(
                "{name}: the metric source did not answer within {} s",
                limit.as_secs()
            )),
            ..MetricRead::default()
        },
    }
}
