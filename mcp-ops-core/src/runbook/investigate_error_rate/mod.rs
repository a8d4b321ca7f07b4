//! `investigate_error_rate`: the runbook's **"High Error Rate (P1)"**.
//!
//! Measures the error rate of each service (the runbook's Prometheus query, breach above the
//! policy's 5 %), checks database and cache connectivity (`pg_isready`, `redis-cli ping`),
//! connections in use against `max_connections`, the pods of the namespace, memory use and —
//! through a [`ConfigCheck`] the caller supplies, or the cluster's own findings — the
//! ConfigMaps and Secrets the services need. It then classifies what it found into the
//! section's *Common Causes & Solutions*, each with its evidence and typed suggestions:
//!
//! | cause | suggestion |
//! |---|---|
//! | database connection pool exhausted | [`Suggestion::RestartPods`] |
//! | memory growth (memory use at the policy's warning ratio) | [`Suggestion::Restart`] |
//! | external service outage (errors while database, cache, pods, memory and configuration are fine) | [`Suggestion::CircuitBreaker`] |
//! | configuration (missing ConfigMaps / Secrets) | [`Suggestion::VerifyConfiguration`] |
//! | database or cache not answering | [`Suggestion::EscalateInfrastructure`] |
//!
//! The runbook's first step, reading the service logs, needs a log backend the SDK does not
//! have: the journal records it as skipped with the `kubectl logs` line to run. The procedure
//! is read-only and returns by its deadline; what does not answer is `Unknown`.

use std::time::Duration;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use tracing::Instrument as _;

mod classify;
mod run;

use crate::error::Result;
use crate::health::{
    ClusterResource, ClusterScope, HealthCheck, HealthReport, HealthStatus, HealthSummary,
    HealthTarget, MetricKind,
};
use crate::maintenance::{ConnectionUsage, DatabaseMaintenance};
use crate::runbook::commands;
use crate::runbook::context::{Context, StepPolicy};
use crate::runbook::triage::{
    Check, Evidence, Finding, Probed, Prober, Suggestion, default_probe_policy, metric_target,
    metric_value, promql, rank,
};
use crate::types::{DeploymentRef, Namespace, ResourceName, Severity};

/// Finds ConfigMaps and Secrets (or keys of them) that the services need but are missing
/// or invalid; supplied by the caller, who knows what the services need.
///
/// # Example
///
/// ```
/// # #[tokio::main(flavor = "current_thread", start_paused = true)]
/// # async fn main() -> mcp_ops_core::Result<()> {
/// use mcp_ops_core::async_trait; // re-exported: no async-trait dependency of your own
/// use mcp_ops_core::runbook::investigate_error_rate::ConfigCheck;
/// use mcp_ops_core::types::Namespace;
///
/// /// Ours: the services need `db-password` in `mcp-secrets`; here it is missing.
/// struct NeedsDbPassword;
///
/// #[async_trait]
/// impl ConfigCheck for NeedsDbPassword {
///     async fn problems(&self, ns: &Namespace) -> mcp_ops_core::Result<Vec<String>> {
///         Ok(vec![format!("{ns}/secret/mcp-secrets: key db-password missing")])
///     }
/// }
///
/// let problems = NeedsDbPassword.problems(&Namespace::runbook()).await?;
/// assert_eq!(problems.len(), 1);
/// # Ok(())
/// # }
/// ```
#[cfg_attr(feature = "mock", mockall::automock)]
#[async_trait]
pub trait ConfigCheck: Send + Sync {
    /// What is missing or invalid in `namespace` (`secret/mcp-secrets: key db-password
    /// missing`); empty when everything is there.
    ///
    /// # Errors
    /// When the check could not run.
    async fn problems(&self, namespace: &Namespace) -> Result<Vec<String>>;
}

/// The services to look at and how long it may take.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ErrorRateInput {
    /// The namespace (runbook: `mcp-production`).
    pub namespace: Namespace,
    /// The services (deployments with `app=<name>` pods; runbook: `mcp-typescript-api`,
    /// `mcp-learning-system`, `mcp-rust-server`).
    pub services: Vec<ResourceName>,
    /// The database (runbook: `mcp_db`).
    pub database: String,
    /// The cache (runbook: `redis`).
    pub cache: String,
    /// The procedure returns by then (default 10 s).
    pub deadline: Duration,
    /// Timeout and retries of each probe (default 5 s, 2 attempts).
    pub probe: StepPolicy,
}

impl Default for ErrorRateInput {
    fn default() -> Self {
        Self::runbook()
    }
}

impl ErrorRateInput {
    /// The runbook's namespace, services, database and cache.
    pub fn runbook() -> Self {
        Self {
            namespace: Namespace::runbook(),
            services: runbook_services(),
            database: "mcp_db".to_owned(),
            cache: "redis".to_owned(),
            deadline: Duration::from_secs(10),
            probe: default_probe_policy(),
        }
    }
}

/// The runbook's three services.
pub(crate) fn runbook_services() -> Vec<ResourceName> {
    [
        "mcp-typescript-api",
        "mcp-learning-system",
        "mcp-rust-server",
    ]
    .into_iter()
    .filter_map(|n| ResourceName::new(n).ok())
    .collect()
}

/// The backends the investigation asks; any may be missing (its checks are then `Unknown`).
#[derive(Clone, Copy, Default)]
pub struct ErrorRateBackends<'a> {
    /// Error-rate and memory metrics.
    pub metrics: Option<&'a dyn HealthCheck>,
    /// Database readiness.
    pub database: Option<&'a dyn HealthCheck>,
    /// Cache readiness.
    pub cache: Option<&'a dyn HealthCheck>,
    /// Connections in use.
    pub maintenance: Option<&'a dyn DatabaseMaintenance>,
    /// Pods of the namespace (configuration problems it reports count too).
    pub cluster: Option<&'a dyn HealthCheck>,
    /// ConfigMaps and Secrets.
    pub config: Option<&'a dyn ConfigCheck>,
}

impl std::fmt::Debug for ErrorRateBackends<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ErrorRateBackends")
            .field("metrics", &self.metrics.map(|b| b.backend()))
            .field("database", &self.database.map(|b| b.backend()))
            .field("cache", &self.cache.map(|b| b.backend()))
            .field("maintenance", &self.maintenance.map(|b| b.backend()))
            .field("cluster", &self.cluster.map(|b| b.backend()))
            .field("config", &self.config.is_some())
            .finish()
    }
}

/// The error rate of one service.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ServiceErrorRate {
    /// The service's deployment.
    pub service: DeploymentRef,
    /// 5xx / all requests, when measured.
    pub error_rate: Option<f64>,
    /// Whether it is above the policy's P1 threshold.
    pub breach: bool,
    /// Memory use / limit, when measured.
    pub memory_ratio: Option<f64>,
}

/// One of the runbook's common causes of a high error rate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "cause", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Cause {
    /// "Database connection pool exhausted".
    ConnectionPoolExhausted {
        /// Connections in use.
        used: u32,
        /// `max_connections`.
        max: u32,
    },
    /// "Memory leaks": memory use at or above the policy's warning ratio.
    MemoryGrowth {
        /// The service.
        service: DeploymentRef,
        /// Memory use / limit.
        ratio: f64,
    },
    /// "External service outage": errors while its own dependencies look fine.
    ExternalOutage {
        /// The service.
        service: DeploymentRef,
        /// Its error rate.
        error_rate: f64,
    },
    /// "Configuration issues": missing or invalid ConfigMaps / Secrets.
    Configuration {
        /// What is wrong.
        problems: Vec<String>,
    },
    /// The database does not answer.
    DatabaseUnavailable,
    /// The cache does not answer.
    CacheUnavailable,
}

impl std::fmt::Display for Cause {
    /// The runbook's words with the numbers: `database connection pool exhausted (95 of 100
    /// connections)`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Cause::ConnectionPoolExhausted { used, max } => write!(
                f,
                "database connection pool exhausted ({used} of {max} connections)"
            ),
            Cause::MemoryGrowth { service, ratio } => write!(
                f,
                "memory growth in {service} ({:.1} % of its limit)",
                ratio * 100.0
            ),
            Cause::ExternalOutage {
                service,
                error_rate,
            } => write!(
                f,
                "external service outage behind {service} ({:.1} % errors)",
                error_rate * 100.0
            ),
            Cause::Configuration { problems } => {
                write!(f, "configuration issues: {}", problems.join("; "))
            }
            Cause::DatabaseUnavailable => f.write_str("the database does not answer"),
            Cause::CacheUnavailable => f.write_str("the cache does not answer"),
        }
    }
}

/// A cause with its evidence and what to do about it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Diagnosis {
    /// The cause.
    pub cause: Cause,
    /// What points to it.
    pub evidence: Vec<Evidence>,
    /// The runbook's solution for it.
    pub suggestions: Vec<Suggestion>,
}

/// What the investigation found.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ErrorRateReport {
    /// P1 when any service's error rate is above the policy's threshold.
    pub severity: Option<Severity>,
    /// Each service's error rate.
    pub services: Vec<ServiceErrorRate>,
    /// Every finding, worst first.
    pub findings: Vec<Finding>,
    /// The causes found, each with evidence and suggestions.
    pub diagnoses: Vec<Diagnosis>,
    /// Whether every probe answered before the deadline.
    pub complete: bool,
}

impl ErrorRateReport {
    /// Every suggestion of every diagnosis, in order.
    pub fn suggestions(&self) -> Vec<&Suggestion> {
        self.diagnoses.iter().flat_map(|d| &d.suggestions).collect()
    }
}

struct ServiceProbes {
    service: DeploymentRef,
    error_rate: HealthReport,
    memory: HealthReport,
}

/// Investigates per the runbook's "High Error Rate (P1)"; makes no mutating call.
///
/// # Errors
/// [`crate::Error::InvalidInput`] for a zero deadline, an invalid service name or an invalid
/// [`crate::Policy`]; probe failures are `Unknown` findings, not errors.
///
/// Runbook section: **"High Error Rate (P1)"**.
///
/// # Example
///
/// ```
/// # #[cfg(feature = "testkit")]
/// # #[tokio::main(flavor = "current_thread", start_paused = true)]
/// # async fn main() -> mcp_ops_core::Result<()> {
/// use mcp_ops_core::Severity;
/// use mcp_ops_core::health::MetricKind;
/// use mcp_ops_core::runbook::investigate_error_rate::{ErrorRateInput, investigate_error_rate};
/// use mcp_ops_core::testkit::TestKit;
///
/// let kit = TestKit::runbook().await?;
/// kit.metrics.set("mcp-typescript-api", MetricKind::ErrorRate, Some(0.15));
/// let ctx = kit.context("investigate_error_rate", "5xx alert on the API")?;
/// let input = ErrorRateInput::runbook();
/// let report = investigate_error_rate(&ctx, &kit.error_rate_backends(), &input).await?;
/// assert_eq!(report.severity, Some(Severity::P1));
/// for d in &report.diagnoses {
///     println!("{:?}: {} suggestion(s)", d.cause, d.suggestions.len());
/// }
/// # Ok(())
/// # }
/// # #[cfg(not(feature = "testkit"))]
/// # fn main() {}
/// ```
pub async fn investigate_error_rate(
    ctx: &Context,
    backends: &ErrorRateBackends<'_>,
    input: &ErrorRateInput,
) -> Result<ErrorRateReport> {
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
    let span = tracing::info_span!("investigate_error_rate", namespace = %input.namespace);
    run::run(ctx, backends, input, services)
        .instrument(span)
        .await
}
