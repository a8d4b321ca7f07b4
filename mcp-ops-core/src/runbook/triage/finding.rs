//! What the diagnostic procedures report: findings with evidence, ranked worst first, and
//! the runbook's resolutions as typed suggestions.
//!
//! Shared by [`triage`](super::triage),
//! [`investigate_error_rate`](crate::runbook::investigate_error_rate::investigate_error_rate)
//! and [`investigate_latency`](crate::runbook::investigate_latency::investigate_latency).

use serde::{Deserialize, Serialize};

use crate::health::{HealthReport, HealthStatus, ObservedValue};
use crate::maintenance::ActiveQuery;
use crate::types::{DeploymentRef, Replicas, ResourceName, Revision};

/// Which check produced a finding (one per line of the runbook's investigation).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Check {
    /// `kubectl get nodes`.
    Nodes,
    /// `kubectl get pods`.
    Pods,
    /// `kubectl get services`.
    Services,
    /// `kubectl get ingress`.
    Ingress,
    /// `kubectl get events` (Warning events).
    Events,
    /// `curl -I …/health`.
    Endpoint,
    /// The list of deployments.
    Deployments,
    /// `kubectl rollout status`.
    Rollout,
    /// `kubectl rollout history`.
    RolloutHistory,
    /// `kubectl get hpa`.
    Autoscaler,
    /// `kubectl top pods`.
    PodUsage,
    /// `kubectl describe nodes | grep -A 5 "Allocated resources"`.
    NodeCapacity,
    /// `pg_isready`.
    Database,
    /// `redis-cli ping`.
    Cache,
    /// The error-rate query.
    ErrorRate,
    /// The p95 latency query.
    Latency,
    /// The memory usage / limit query.
    Memory,
    /// Connections in use against `max_connections`.
    Connections,
    /// `pg_stat_activity` (active and long-running statements).
    ActiveQueries,
    /// ConfigMaps and Secrets the services need.
    Configuration,
    /// The replica count of a deployment.
    Replicas,
}

/// One piece of evidence: an object and what was seen on it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Evidence {
    /// The object (`pod/mcp-typescript-api-7d9f`, `http api`, `error_rate`).
    pub object: String,
    /// What was observed (`CrashLoopBackOff`, `HTTP 500 in 20 ms`, `0.12`).
    pub detail: String,
}

impl Evidence {
    /// Evidence about `object`.
    pub fn new(object: impl Into<String>, detail: impl Into<String>) -> Self {
        Self {
            object: object.into(),
            detail: detail.into(),
        }
    }
}

/// One result of a diagnostic procedure.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    /// Which check.
    pub check: Check,
    /// What it was about (`mcp-production`, `mcp-production/mcp-typescript-api`, `mcp_db`).
    pub target: String,
    /// The verdict; `Unknown` when the check could not run, had no backend, or did not
    /// answer by the deadline.
    pub status: HealthStatus,
    /// One line for humans.
    pub summary: String,
    /// What the verdict rests on.
    pub evidence: Vec<Evidence>,
    /// The command a human would run to see the same.
    pub command: String,
}

impl Finding {
    /// A finding without evidence yet.
    pub fn new(
        check: Check,
        target: impl Into<String>,
        status: HealthStatus,
        summary: impl Into<String>,
        command: impl Into<String>,
    ) -> Self {
        Self {
            check,
            target: target.into(),
            status,
            summary: summary.into(),
            evidence: Vec::new(),
            command: command.into(),
        }
    }

    /// Adds evidence.
    pub fn with_evidence(mut self, evidence: impl IntoIterator<Item = Evidence>) -> Self {
        self.evidence.extend(evidence);
        self
    }

    /// A finding from a health report: the objects that are not healthy (or, when all are,
    /// the observed values) become the evidence.
    pub fn from_report(
        check: Check,
        target: impl Into<String>,
        report: &HealthReport,
        command: impl Into<String>,
    ) -> Self {
        let mut evidence: Vec<Evidence> = report
            .details
            .iter()
            .filter(|d| d.status != HealthStatus::Healthy)
            .map(|d| Evidence::new(&d.object, format!("{}: {}", d.status.as_str(), d.reason)))
            .collect();
        evidence.extend(
            report
                .observed
                .iter()
                .map(|o| Evidence::new(&o.name, describe_value(&o.value))),
        );
        Self::new(check, target, report.status, &report.message, command).with_evidence(evidence)
    }
}

/// A value as text for evidence.
pub fn describe_value(v: &ObservedValue) -> String {
    match v {
        ObservedValue::Count(n) => n.to_string(),
        ObservedValue::Ratio(r) => format!("{:.1} %", r * 100.0),
        ObservedValue::Duration(d) => format!("{} ms", d.as_millis()),
        ObservedValue::Number(n) => n.to_string(),
        ObservedValue::Flag(b) => b.to_string(),
        ObservedValue::Text(t) => t.clone(),
    }
}

/// Sorts findings worst first (unhealthy, unknown, degraded, healthy), keeping the order of
/// the checks among equals.
pub fn rank(findings: &mut [Finding]) {
    findings.sort_by_key(|f| std::cmp::Reverse(f.status));
}

/// What to scale.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[non_exhaustive]
pub enum ScaleTarget {
    /// The replicas of a deployment no autoscaler owns (`kubectl scale`).
    Replicas {
        /// Which deployment.
        deployment: DeploymentRef,
        /// Replicas now.
        from: Replicas,
        /// Replicas suggested (never above the policy's `max_replicas`).
        to: Replicas,
    },
    /// The upper bound of the autoscaler that owns a deployment (`kubectl patch hpa`).
    AutoscalerMax {
        /// Which deployment.
        deployment: DeploymentRef,
        /// The autoscaler.
        autoscaler: ResourceName,
        /// Its `maxReplicas` now.
        from: Replicas,
        /// The `maxReplicas` suggested (never above the policy's `max_replicas`).
        to: Replicas,
    },
    /// The cluster's worker nodes (`eksctl scale nodegroup`).
    Nodes {
        /// Nodes now.
        from: u32,
        /// Nodes suggested.
        to: u32,
    },
}

/// The runbook's resolutions, as typed suggestions. Diagnostic procedures only suggest:
/// acting on a suggestion is the caller's decision (e.g. through `emergency_rollback` or
/// `scale_out`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "suggestion", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Suggestion {
    /// "If recent deployment caused issue": roll it back.
    RollBack {
        /// Which deployment.
        deployment: DeploymentRef,
        /// The revision it runs now, when known.
        from: Option<Revision>,
        /// The revision to go back to.
        to: Revision,
        /// Why.
        why: String,
        /// `kubectl rollout undo … --to-revision=N`.
        command: String,
    },
    /// "If resource exhaustion: Scale up nodes or pods".
    Scale {
        /// What to scale.
        target: ScaleTarget,
        /// Why.
        why: String,
        /// The equivalent command.
        command: String,
    },
    /// "Database connection pool exhausted: Restart application pods".
    RestartPods {
        /// Which deployment.
        deployment: DeploymentRef,
        /// Why.
        why: String,
        /// `kubectl rollout restart deployment/…`.
        command: String,
    },
    /// "Memory leaks: Check memory usage and restart if needed".
    Restart {
        /// Which deployment.
        deployment: DeploymentRef,
        /// Why.
        why: String,
        /// `kubectl rollout restart deployment/…`.
        command: String,
    },
    /// "External service outage: Check dependencies and implement circuit breaker".
    CircuitBreaker {
        /// The service whose calls fail.
        service: String,
        /// Why.
        why: String,
    },
    /// "Configuration issues: Validate ConfigMaps and Secrets".
    VerifyConfiguration {
        /// The ConfigMaps / Secrets (or keys) found missing or invalid.
        problems: Vec<String>,
        /// `kubectl get configmaps,secrets -n …`.
        command: String,
    },
    /// "Check for slow queries": statements running longer than the policy allows.
    ReviewSlowQueries {
        /// The long-running statements, longest first.
        queries: Vec<ActiveQuery>,
        /// The runbook's `pg_stat_activity` query.
        command: String,
    },
    /// "If infrastructure issue: Follow infrastructure team procedures" (or contact the cloud
    /// provider when the cluster is down).
    EscalateInfrastructure {
        /// Why.
        why: String,
    },
}

impl Suggestion {
    /// The equivalent command, empty for advice without one.
    pub fn command(&self) -> &str {
        match self {
            Suggestion::RollBack { command, .. }
            | Suggestion::Scale { command, .. }
            | Suggestion::RestartPods { command, .. }
            | Suggestion::Restart { command, .. }
            | Suggestion::VerifyConfiguration { command, .. }
            | Suggestion::ReviewSlowQueries { command, .. } => command,
            Suggestion::CircuitBreaker { .. } | Suggestion::EscalateInfrastructure { .. } => "",
        }
    }
}

impl std::fmt::Display for Suggestion {
    /// One line for humans (the journal, a chat message).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Suggestion::RollBack {
                deployment,
                from,
                to,
                why,
                ..
            } => match from {
                Some(from) => write!(
                    f,
                    "roll back {deployment} from revision {from} to {to}: {why}"
                ),
                None => write!(f, "roll back {deployment} to revision {to}: {why}"),
            },
            Suggestion::Scale { target, why, .. } => match target {
                ScaleTarget::Replicas {
                    deployment,
                    from,
                    to,
                } => {
                    write!(f, "scale {deployment} from {from} to {to} replicas: {why}")
                }
                ScaleTarget::AutoscalerMax {
                    autoscaler,
                    from,
                    to,
                    ..
                } => {
                    write!(
                        f,
                        "raise maxReplicas of {autoscaler} from {from} to {to}: {why}"
                    )
                }
                ScaleTarget::Nodes { from, to } => {
                    write!(f, "scale nodes from {from} to {to}: {why}")
                }
            },
            Suggestion::RestartPods {
                deployment, why, ..
            } => {
                write!(f, "restart the pods of {deployment}: {why}")
            }
            Suggestion::Restart {
                deployment, why, ..
            } => write!(f, "restart {deployment}: {why}"),
            Suggestion::CircuitBreaker { service, why } => write!(
                f,
                "check the external dependencies of {service} and put a circuit breaker in front of them: {why}"
            ),
            Suggestion::VerifyConfiguration { problems, .. } => {
                write!(f, "verify ConfigMaps and Secrets: {}", problems.join("; "))
            }
            Suggestion::ReviewSlowQueries { queries, .. } => {
                let pids: Vec<String> = queries.iter().map(|q| q.pid.to_string()).collect();
                write!(
                    f,
                    "review long-running statements (pids {})",
                    pids.join(", ")
                )
            }
            Suggestion::EscalateInfrastructure { why } => {
                write!(f, "escalate to the infrastructure team: {why}")
            }
        }
    }
}
