//! `triage`: the runbook's **"Critical System Down (P0)"**.
//!
//! Every check of the section's *Immediate Actions* and *Investigation* runs at once —
//! nodes, pods, services and ingress (`kubectl get …`), the health endpoint (`curl -I
//! …/health`), the rollout history of each deployment, recent Warning events, resource use
//! (`kubectl top`, allocated node resources), database and cache readiness — plus the
//! error-rate, p95 and memory queries of each deployment that decide P1 and P2. The report
//! ranks what was found, worst first, with evidence, and turns the section's *Resolution*
//! into typed [`Suggestion`]s: a recent deployment that is degraded → roll it back; resource
//! exhaustion → scale; otherwise → escalate to the infrastructure team.
//!
//! Triage is read-only (it makes no mutating call, dry run or not) and returns by its
//! deadline: a probe that has not answered by then is reported `Unknown`, the rest is
//! reported as found. A backend that is not given (say, no database checker) is `Unknown`
//! too, never an error.

mod deployments;
mod diagnose;
mod finding;
mod probe;
mod resolution;
mod run;

use std::time::Duration;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use tracing::Instrument as _;

pub use deployments::DeploymentDiagnosis;
pub use finding::{Check, Evidence, Finding, ScaleTarget, Suggestion, describe_value, rank};
pub(crate) use probe::{
    DEADLINE, Probed, Prober, autoscaler_finding, default_probe_policy, metric_target,
    metric_value, pod_memory_ratios, promql, proportional,
};
pub(crate) use run::suggestion_target;

use crate::deploy::Deployer;
use crate::error::Result;
use crate::health::{
    ClusterResource, ClusterScope, HealthCheck, HealthReport, HealthStatus, HealthSummary,
    HealthTarget, HttpProbe,
};
use crate::runbook::commands;
use crate::runbook::context::{Context, StepPolicy};
use crate::scale::{NodeCapacity, ResourceUsage, Scaler};
use crate::types::{Namespace, ResourceName, Severity};

pub use crate::runbook::RUNBOOK_HEALTH_URL;

/// An HTTP endpoint to probe and the deployments that serve it (an endpoint that fails
/// makes the deployments behind it count as degraded).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Endpoint {
    /// The probe.
    pub probe: HttpProbe,
    /// Names of the deployments (in the triaged namespace) behind it.
    pub served_by: Vec<ResourceName>,
}

/// A cloud node group, for the "scale up nodes" suggestion (`eksctl scale nodegroup`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodeGroupRef {
    /// The cluster (`mcp-production`).
    pub cluster: String,
    /// The node group (`worker-nodes`).
    pub name: String,
}

/// What to triage and how long it may take.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TriageInput {
    /// The namespace (runbook: `mcp-production`).
    pub namespace: Namespace,
    /// Deployments to look at; empty means every deployment of the namespace.
    pub deployments: Vec<ResourceName>,
    /// Endpoints to probe (runbook: the API's `/health`, served by `mcp-typescript-api`).
    pub endpoints: Vec<Endpoint>,
    /// The database to ask for readiness (runbook: `mcp_db`).
    pub database: String,
    /// The cache to ping (runbook: `redis`).
    pub cache: String,
    /// A deployment whose current revision is younger than this counts as "recent"
    /// (default 1 h).
    pub recent_deployment_window: Duration,
    /// A node whose CPU or memory requests reach this share of its allocatable resources is
    /// exhausted (default 0.9).
    pub node_requests_ratio: f64,
    /// The node group to scale when nodes are exhausted (runbook: `mcp-production` /
    /// `worker-nodes`).
    pub node_group: NodeGroupRef,
    /// Triage returns by then, whatever does not answer (default 10 s).
    pub deadline: Duration,
    /// Timeout and retries of each probe (default 5 s, 2 attempts, 500 ms apart); a probe
    /// never outlives [`TriageInput::deadline`].
    pub probe: StepPolicy,
}

impl Default for TriageInput {
    fn default() -> Self {
        Self::runbook()
    }
}

impl TriageInput {
    /// The runbook's numbers and names.
    pub fn runbook() -> Self {
        let api = ResourceName::new("mcp-typescript-api").ok();
        Self {
            namespace: Namespace::runbook(),
            deployments: Vec::new(),
            endpoints: vec![Endpoint {
                probe: HttpProbe::new("api", RUNBOOK_HEALTH_URL),
                served_by: api.into_iter().collect(),
            }],
            database: "mcp_db".to_owned(),
            cache: "redis".to_owned(),
            recent_deployment_window: Duration::from_secs(60 * 60),
            node_requests_ratio: 0.9,
            node_group: NodeGroupRef {
                cluster: "mcp-production".to_owned(),
                name: "worker-nodes".to_owned(),
            },
            deadline: Duration::from_secs(10),
            probe: default_probe_policy(),
        }
    }
}

/// The backends triage asks; any may be missing (its checks are then `Unknown`).
#[derive(Clone, Copy, Default)]
pub struct TriageBackends<'a> {
    /// Cluster scopes (nodes, pods, services, ingress, events) and HTTP endpoints.
    pub cluster: Option<&'a dyn HealthCheck>,
    /// Deployments, rollout status and history.
    pub deployer: Option<&'a dyn Deployer>,
    /// Autoscalers, pod usage and node capacity.
    pub scaler: Option<&'a dyn Scaler>,
    /// Database readiness.
    pub database: Option<&'a dyn HealthCheck>,
    /// Cache readiness.
    pub cache: Option<&'a dyn HealthCheck>,
    /// Error-rate, p95 and memory metrics.
    pub metrics: Option<&'a dyn HealthCheck>,
}

impl std::fmt::Debug for TriageBackends<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TriageBackends")
            .field("cluster", &self.cluster.map(|b| b.backend()))
            .field("deployer", &self.deployer.map(|b| b.backend()))
            .field("scaler", &self.scaler.map(|b| b.backend()))
            .field("database", &self.database.map(|b| b.backend()))
            .field("cache", &self.cache.map(|b| b.backend()))
            .field("metrics", &self.metrics.map(|b| b.backend()))
            .finish()
    }
}

/// What triage found.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TriageReport {
    /// The runbook severity: every endpoint down (5xx or unreachable) → P0; an error-rate
    /// breach → P1; a latency or memory breach, or a slow endpoint → P2; otherwise none.
    pub severity: Option<Severity>,
    /// The worst status of all findings.
    pub overall: HealthStatus,
    /// Every finding, worst first.
    pub findings: Vec<Finding>,
    /// Each deployment looked at.
    pub deployments: Vec<DeploymentDiagnosis>,
    /// The runbook's resolution for what was found, most specific first.
    pub suggestions: Vec<Suggestion>,
    /// Whether every probe answered (false when one was cut by the deadline).
    pub complete: bool,
    /// When triage started.
    pub started_at: Timestamp,
    /// When it returned.
    pub finished_at: Timestamp,
}

/// Triage per the runbook's "Critical System Down (P0)".
///
/// Runs every probe concurrently, each bounded by `input.probe` and all by `input.deadline`,
/// and never changes anything. Missing backends, failing and late probes become `Unknown`
/// findings.
///
/// # Errors
/// [`crate::Error::InvalidInput`] for a zero deadline or an invalid [`crate::Policy`]; probe
/// failures are findings, not errors.
///
/// Runbook section: **"Critical System Down (P0)"**.
///
/// # Example
///
/// ```
/// # #[cfg(feature = "testkit")]
/// # #[tokio::main(flavor = "current_thread", start_paused = true)]
/// # async fn main() -> mcp_ops_core::Result<()> {
/// use mcp_ops_core::HealthStatus;
/// use mcp_ops_core::mock::Availability;
/// use mcp_ops_core::runbook::triage::{TriageInput, triage};
/// use mcp_ops_core::testkit::TestKit;
///
/// let kit = TestKit::runbook().await?;
/// let ctx = kit.context("triage", "API down: 503 on /health")?;
/// let report = triage(&ctx, &kit.triage_backends(), &TriageInput::runbook()).await?;
/// assert_eq!(report.overall, HealthStatus::Healthy);
/// // The database stops answering: triage finds it.
/// kit.database.set_database_health(Availability::Down);
/// let report = triage(&ctx, &kit.triage_backends(), &TriageInput::runbook()).await?;
/// assert_eq!(report.overall, HealthStatus::Unhealthy);
/// # Ok(())
/// # }
/// # #[cfg(not(feature = "testkit"))]
/// # fn main() {}
/// ```
pub async fn triage(
    ctx: &Context,
    backends: &TriageBackends<'_>,
    input: &TriageInput,
) -> Result<TriageReport> {
    probe::bad_deadline(input.deadline)?;
    ctx.policy().validate()?;
    let span = tracing::info_span!("triage", namespace = %input.namespace);
    run::run(ctx, backends, input).instrument(span).await
}
