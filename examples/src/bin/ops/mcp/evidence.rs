//! The emergency rollback's evidence: the runbook's trigger (error rate > 10 % or p95 > 5 s,
//! the platform's `rollback_*` thresholds) measured by the server itself, now — never taken
//! from the caller's word.

use mcp_ops_core::health::{HealthCheck, MetricKind, MetricProbe};
use mcp_ops_core::health_read::read_metric;
use mcp_ops_core::policy::Policy;

/// What the server measured for one deployment.
#[derive(Debug, Clone)]
pub struct Evidence {
    /// Whether the runbook's trigger is met.
    pub triggered: bool,
    /// One line: the readings and the thresholds.
    pub summary: String,
}

/// How long each reading may take.
const LIMIT: std::time::Duration = std::time::Duration::from_secs(10);

/// A metric's value, or why there is none (a checker's "unhealthy" without a number is no
/// measurement either).
async fn reading(checker: &dyn HealthCheck, probe: MetricProbe) -> Result<f64, String> {
    let name = probe.metric.as_str();
    let read = read_metric(checker, probe, LIMIT).await;
    read.value.ok_or_else(|| {
        read.missing
            .unwrap_or_else(|| format!("{name}: judged unhealthy without a value"))
    })
}

/// Measures `service`'s error rate and p95 now through `checker` (the metrics source) and
/// judges them against `policy`'s rollback thresholds. No reading is no evidence.
pub async fn measure(checker: &dyn HealthCheck, service: &str, policy: &Policy) -> Evidence {
    let window = policy.error_rate_window;
    let probe = |metric, threshold| MetricProbe {
        service: service.to_owned(),
        metric,
        threshold,
        window,
    };
    let (er, p95) = tokio::join!(
        reading(
            checker,
            probe(MetricKind::ErrorRate, policy.rollback_error_rate)
        ),
        reading(
            checker,
            probe(
                MetricKind::P95Latency,
                policy.rollback_p95_latency.as_secs_f64()
            )
        ),
    );
    let error_rate = er.as_ref().ok().copied();
    let p95_seconds = p95.as_ref().ok().copied();
    let triggered = policy.calls_for_rollback(
        error_rate,
        p95_seconds
            .filter(|s| *s >= 0.0)
            .map(std::time::Duration::from_secs_f64),
    );
    let show = |r: &Result<f64, String>, f: &dyn Fn(f64) -> String| match r {
        Ok(v) => f(*v),
        Err(why) => format!("unknown ({why})"),
    };
    let summary = format!(
        "measured by the server for {service}: error rate {} (trigger > {:.0} %), p95 {} (trigger > {:.1} s)",
        show(&er, &|v| format!("{:.1} %", v * 100.0)),
        policy.rollback_error_rate * 100.0,
        show(&p95, &|v| format!("{v:.2} s")),
        policy.rollback_p95_latency.as_secs_f64(),
    );
    Evidence { triggered, summary }
}
