//! [`ScriptedMetrics`]: a metric source whose values follow a script on the kit's clock.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use async_trait::async_trait;
use jiff::{SignedDuration, Timestamp};

use crate::clock::SharedClock;
use crate::error::{Error, Result};
use crate::health::{
    HealthCheck, HealthReport, HealthStatus, HealthTarget, MetricKind, ObservedValue, TargetKind,
};

/// The error rate every service reads unless scripted otherwise (0.2 %).
pub const HEALTHY_ERROR_RATE: f64 = 0.002;
/// The p95 latency every service reads unless scripted otherwise (0.2 s).
pub const HEALTHY_P95_SECONDS: f64 = 0.2;
/// The memory ratio every service reads unless scripted otherwise (45 %).
pub const HEALTHY_MEMORY_RATIO: f64 = 0.45;
/// The error rate [`ScriptedMetrics::breach_after`] scripts (25 %, above the runbook's 10 %
/// rollback threshold).
pub const BREACH_ERROR_RATE: f64 = 0.25;

/// One scripted value: from `from` on, `metric` of `service` (every service when `None`)
/// reads `value` (`None`: no data).
#[derive(Debug, Clone)]
struct Entry {
    from: Timestamp,
    service: Option<String>,
    metric: Option<MetricKind>,
    value: Option<f64>,
}

/// A [`HealthCheck`] for metric targets whose readings follow a script on a clock.
///
/// Every service reads healthy values ([`HEALTHY_ERROR_RATE`], [`HEALTHY_P95_SECONDS`],
/// [`HEALTHY_MEMORY_RATIO`]) until a script says otherwise; a reading above the probe's
/// threshold is `Unhealthy`, no data is `Unknown` — as a Prometheus backend answers. Of the
/// scripted values in effect, the one that took effect last wins. Clones share the script.
#[derive(Debug, Clone)]
pub struct ScriptedMetrics {
    clock: SharedClock,
    script: Arc<Mutex<Vec<Entry>>>,
    reads: Arc<Mutex<usize>>,
}

impl ScriptedMetrics {
    /// Healthy metrics for every service, read on `clock`.
    pub fn healthy(clock: SharedClock) -> Self {
        Self {
            clock,
            script: Arc::default(),
            reads: Arc::default(),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Vec<Entry>> {
        self.script
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn at(&self, delay: Duration) -> Timestamp {
        let now = self.clock.now();
        let d = SignedDuration::try_from(delay).unwrap_or(SignedDuration::MAX);
        now.saturating_add(d).unwrap_or(Timestamp::MAX)
    }

    /// From `delay` after now (on the clock) on, `metric` of `service` (every service when
    /// `None`) reads `value`; `None` means no data.
    pub fn set_after(
        &self,
        delay: Duration,
        service: Option<&str>,
        metric: MetricKind,
        value: Option<f64>,
    ) {
        let from = self.at(delay);
        self.lock().push(Entry {
            from,
            service: service.map(str::to_owned),
            metric: Some(metric),
            value,
        });
    }

    /// From now on, `metric` of `service` reads `value` (`None`: no data).
    pub fn set(&self, service: &str, metric: MetricKind, value: Option<f64>) {
        self.set_after(Duration::ZERO, Some(service), metric, value);
    }

    /// From `delay` after now on, every service's error rate reads [`BREACH_ERROR_RATE`]:
    /// a bake running then sees a breach and the deploy rolls back.
    pub fn breach_after(&self, delay: Duration) {
        self.set_after(delay, None, MetricKind::ErrorRate, Some(BREACH_ERROR_RATE));
    }

    /// From `delay` after now on, no metric of any service has data (Prometheus lost its
    /// scrape targets): a bake running then is inconclusive.
    pub fn no_data_after(&self, delay: Duration) {
        let from = self.at(delay);
        self.lock().push(Entry {
            from,
            service: None,
            metric: None,
            value: None,
        });
    }

    /// From now on, every metric reads healthy again (the script so far is forgotten).
    pub fn heal(&self) {
        self.lock().clear();
    }

    /// How many metric checks were answered.
    pub fn reads(&self) -> usize {
        *self
            .reads
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// What `metric` of `service` reads now.
    pub fn value(&self, service: &str, metric: MetricKind) -> Option<f64> {
        let now = self.clock.now();
        let script = self.lock();
        let mut current: Option<&Entry> = None;
        for e in script.iter() {
            let applies = e.from <= now
                && e.service.as_deref().is_none_or(|s| s == service)
                && e.metric.is_none_or(|m| m == metric);
            if applies && current.is_none_or(|c| e.from >= c.from) {
                current = Some(e);
            }
        }
        match current {
            Some(e) => e.value,
            None => Some(healthy(metric)),
        }
    }
}

fn healthy(metric: MetricKind) -> f64 {
    match metric {
        MetricKind::ErrorRate => HEALTHY_ERROR_RATE,
        MetricKind::P95Latency => HEALTHY_P95_SECONDS,
        _ => HEALTHY_MEMORY_RATIO,
    }
}

fn observed(metric: MetricKind, value: f64) -> ObservedValue {
    match metric {
        MetricKind::P95Latency => Duration::try_from_secs_f64(value)
            .map(ObservedValue::Duration)
            .unwrap_or(ObservedValue::Number(value)),
        _ => ObservedValue::Ratio(value),
    }
}

#[async_trait]
impl HealthCheck for ScriptedMetrics {
    fn backend(&self) -> &'static str {
        "testkit-metrics"
    }

    fn supports(&self, kind: TargetKind) -> bool {
        kind == TargetKind::Metric
    }

    async fn check(&self, target: &HealthTarget) -> Result<HealthReport> {
        let HealthTarget::Metric(probe) = target else {
            return Err(Error::Unsupported {
                operation: "non-metric health",
                backend: "testkit-metrics",
            });
        };
        *self
            .reads
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) += 1;
        let name = probe.metric.as_str();
        let now = self.clock.now();
        Ok(match self.value(&probe.service, probe.metric) {
            Some(v) if v.is_finite() => {
                let status = if v > probe.threshold {
                    HealthStatus::Unhealthy
                } else {
                    HealthStatus::Healthy
                };
                let message = format!(
                    "{name} of {} is {v} (threshold {})",
                    probe.service, probe.threshold
                );
                HealthReport::new(target.clone(), status, message, now)
                    .observe(name, observed(probe.metric, v))
            }
            _ => HealthReport::new(
                target.clone(),
                HealthStatus::Unknown,
                format!("no data for {name} of {}", probe.service),
                now,
            ),
        })
    }
}
