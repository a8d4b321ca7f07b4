//! `investigate_latency`: the runbook's **"High Response Times (P2)"**.
//!
//! Measures each service's p95 (breach above the policy's 2 s), resource use (`kubectl top
//! pods`), the autoscaler of each service (`kubectl get hpa`: at its max?) and the
//! database's active statements (`pg_stat_activity`), singling out those running longer than
//! the policy's 30 s. Then it advises as the section's *Resolution* does:
//!
//! - a slow service no autoscaler owns → scale it to N replicas, N = ⌈replicas × p95 /
//!   threshold⌉, at least one more, at most the policy's `max_replicas`
//!   ([`ScaleTarget::Replicas`], `kubectl scale …`);
//! - a slow service whose autoscaler is at its max → raise the max the same way
//!   ([`ScaleTarget::AutoscalerMax`], the exact `kubectl patch hpa …` line);
//! - a slow service whose autoscaler still has room → no scaling (the autoscaler is on it),
//!   noted in the journal;
//! - already at the policy's max → escalate;
//! - long-running statements → [`Suggestion::ReviewSlowQueries`].
//!
//! The procedure is read-only and returns by its deadline; what does not answer is `Unknown`.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use tracing::Instrument as _;

mod advise;
mod run;

use crate::error::Result;
use crate::health::{HealthCheck, HealthReport, HealthStatus, HealthSummary, MetricKind};
use crate::maintenance::{ActiveQuery, DatabaseMaintenance, long_running};
use crate::runbook::commands;
use crate::runbook::context::{Context, StepPolicy};
use crate::runbook::investigate_error_rate::runbook_services;
use crate::runbook::triage::{
    Check, Evidence, Finding, Probed, Prober, ScaleTarget, Suggestion, autoscaler_finding,
    default_probe_policy, metric_target, metric_value, pod_memory_ratios, promql, proportional,
    rank,
};
use crate::scale::{AutoscalerStatus, ResourceUsage, Scaler};
use crate::types::{DeploymentRef, Namespace, Replicas, ResourceName, Severity};

/// The runbook's slow-query check.
const SLOW_QUERY_SQL: &str = "SELECT query, query_start, state FROM pg_stat_activity WHERE state = 'active' AND query_start < NOW() - INTERVAL '30 seconds';";

/// The services to look at and how long it may take.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LatencyInput {
    /// The namespace (runbook: `mcp-production`).
    pub namespace: Namespace,
    /// The services (runbook: `mcp-typescript-api`, `mcp-learning-system`,
    /// `mcp-rust-server`).
    pub services: Vec<ResourceName>,
    /// The database, for the equivalent commands (runbook: `mcp_db`).
    pub database: String,
    /// The procedure returns by then (default 10 s).
    pub deadline: Duration,
    /// Timeout and retries of each probe (default 5 s, 2 attempts).
    pub probe: StepPolicy,
}

impl Default for LatencyInput {
    fn default() -> Self {
        Self::runbook()
    }
}

impl LatencyInput {
    /// The runbook's namespace, services and database.
    pub fn runbook() -> Self {
        Self {
            namespace: Namespace::runbook(),
            services: runbook_services(),
            database: "mcp_db".to_owned(),
            deadline: Duration::from_secs(10),
            probe: default_probe_policy(),
        }
    }
}

/// The backends the investigation asks; any may be missing (its checks are then `Unknown`).
#[derive(Clone, Copy, Default)]
pub struct LatencyBackends<'a> {
    /// p95 metrics.
    pub metrics: Option<&'a dyn HealthCheck>,
    /// Replicas, autoscalers and pod usage.
    pub scaler: Option<&'a dyn Scaler>,
    /// Active statements.
    pub maintenance: Option<&'a dyn DatabaseMaintenance>,
}

impl std::fmt::Debug for LatencyBackends<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LatencyBackends")
            .field("metrics", &self.metrics.map(|b| b.backend()))
            .field("scaler", &self.scaler.map(|b| b.backend()))
            .field("maintenance", &self.maintenance.map(|b| b.backend()))
            .finish()
    }
}

/// What was learned about one service.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ServiceLatency {
    /// The service's deployment.
    pub service: DeploymentRef,
    /// p95 in seconds, when measured.
    pub p95_seconds: Option<f64>,
    /// Whether it is above the policy's P2 threshold.
    pub breach: bool,
    /// Desired replicas, when known.
    pub replicas: Option<Replicas>,
    /// Its autoscaler, if any.
    pub autoscaler: Option<AutoscalerStatus>,
    /// The highest memory use / limit of its pods (`kubectl top pods`), when known.
    pub memory_ratio: Option<f64>,
}

/// What the investigation found.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LatencyReport {
    /// P2 when any service's p95 is above the policy's threshold.
    pub severity: Option<Severity>,
    /// Each service.
    pub services: Vec<ServiceLatency>,
    /// Statements running now, longest first (empty when unknown).
    pub active_queries: Vec<ActiveQuery>,
    /// Those running longer than the policy's `long_running_query`.
    pub long_running: Vec<ActiveQuery>,
    /// Every finding, worst first.
    pub findings: Vec<Finding>,
    /// What to do, per the runbook's Resolution.
    pub advice: Vec<Suggestion>,
    /// Whether every probe answered before the deadline.
    pub complete: bool,
}

struct ServiceProbes {
    service: DeploymentRef,
    p95: HealthReport,
    replicas: Probed<Replicas>,
    autoscaler: Probed<Option<AutoscalerStatus>>,
}

/// Investigates per the runbook's "High Response Times (P2)"; makes no mutating call.
///
/// # Errors
/// [`crate::Error::InvalidInput`] for a zero deadline, an invalid service name or an invalid
/// [`crate::Policy`]; probe failures are `Unknown` findings, not errors.
///
/// Runbook section: **"High Response Times (P2)"**.
///
/// # Example
///
/// ```
/// # #[cfg(feature = "testkit")]
/// # #[tokio::main(flavor = "current_thread", start_paused = true)]
/// # async fn main() -> mcp_ops_core::Result<()> {
/// use mcp_ops_core::Severity;
/// use mcp_ops_core::health::MetricKind;
/// use mcp_ops_core::runbook::investigate_latency::{LatencyInput, investigate_latency};
/// use mcp_ops_core::testkit::TestKit;
///
/// let kit = TestKit::runbook().await?;
/// kit.metrics.set("mcp-typescript-api", MetricKind::P95Latency, Some(3.5)); // seconds
/// let ctx = kit.context("investigate_latency", "p95 alert on the API")?;
/// let input = LatencyInput::runbook();
/// let report = investigate_latency(&ctx, &kit.latency_backends(), &input).await?;
/// assert_eq!(report.severity, Some(Severity::P2));
/// for advice in &report.advice {
///     println!("{advice:?}");
/// }
/// # Ok(())
/// # }
/// # #[cfg(not(feature = "testkit"))]
/// # fn main() {}
/// ```
pub async fn investigate_latency(
    ctx: &Context,
    backends: &LatencyBackends<'_>,
    input: &LatencyInput,
) -> Result<LatencyReport> {
    if input.deadline.is_zero() {
        return Err(crate::Error::invalid(
            "deadline",
            "must be greater than zero",
        ));
    }
    ctx.policy().validate()?;
    let services = input
        .services
        .iter()
        .map(|s| DeploymentRef::new(input.namespace.as_str(), s.as_str()))
        .collect::<Result<Vec<_>>>()?;
    let span = tracing::info_span!("investigate_latency", namespace = %input.namespace);
    run::run(ctx, backends, input, services)
        .instrument(span)
        .await
}
