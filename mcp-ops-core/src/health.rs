//! `HealthCheck`: is a target healthy, with evidence.
//!
//! Covers the runbook's `curl -f …/health`, `kubectl get nodes/pods/services/ingress`,
//! `pg_isready`, `redis-cli ping` and the Prometheus error-rate / p95 / memory queries
//! (runbook: Critical System Down (P0), High Error Rate (P1), High Response
//! Times (P2), Monitoring and Alerting).

use std::time::Duration;

use async_trait::async_trait;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::types::{Namespace, Severity};

/// What to check.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub enum HealthTarget {
    /// An HTTP endpoint (the runbook's `curl -f https://api.mcp-production.com/health`).
    Http(HttpProbe),
    /// Kubernetes objects of one namespace.
    Cluster(ClusterScope),
    /// A database, by the name the backend knows it under (`mcp_db`).
    Database {
        /// Database name.
        name: String,
    },
    /// A cache, by the name the backend knows it under (`redis`).
    Cache {
        /// Cache name.
        name: String,
    },
    /// A metric of one service compared with a threshold.
    Metric(MetricProbe),
}

impl HealthTarget {
    /// A short human label for reports (`http api`, `cluster mcp-production`, …).
    pub fn label(&self) -> String {
        match self {
            HealthTarget::Http(p) => format!("http {}", p.name),
            HealthTarget::Cluster(c) => format!("cluster {}", c.namespace),
            HealthTarget::Database { name } => format!("database {name}"),
            HealthTarget::Cache { name } => format!("cache {name}"),
            HealthTarget::Metric(m) => format!("metric {} {}", m.service, m.metric.as_str()),
        }
    }

    /// The kind of target, for routing a target to the backend that serves it.
    pub fn kind(&self) -> TargetKind {
        match self {
            HealthTarget::Http(_) => TargetKind::Http,
            HealthTarget::Cluster(_) => TargetKind::Cluster,
            HealthTarget::Database { .. } => TargetKind::Database,
            HealthTarget::Cache { .. } => TargetKind::Cache,
            HealthTarget::Metric(_) => TargetKind::Metric,
        }
    }
}

/// The kinds of [`HealthTarget`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[non_exhaustive]
pub enum TargetKind {
    /// [`HealthTarget::Http`].
    Http,
    /// [`HealthTarget::Cluster`].
    Cluster,
    /// [`HealthTarget::Database`].
    Database,
    /// [`HealthTarget::Cache`].
    Cache,
    /// [`HealthTarget::Metric`].
    Metric,
}

/// An HTTP health probe.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HttpProbe {
    /// A short name for reports (`api`).
    pub name: String,
    /// The URL. Serialized redacted ([`redact_url`]): reports, journals and state files
    /// never hold its credentials or query values.
    #[serde(serialize_with = "crate::redact::serialize_url")]
    pub url: String,
    /// The status expected (`curl -f` accepts any 2xx; default 200).
    pub expected_status: u16,
    /// Slower than this is `Degraded`.
    pub max_latency: Duration,
    /// When set, the body must contain this text.
    pub body_contains: Option<String>,
}

impl HttpProbe {
    /// A probe of `url` expecting 200 within 2 s (the runbook's P2 threshold).
    pub fn new(name: impl Into<String>, url: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            url: url.into(),
            expected_status: 200,
            max_latency: Duration::from_secs(2),
            body_contains: None,
        }
    }

    /// The URL as it may be shown in journals, plans and findings: see [`redact_url`].
    pub fn display_url(&self) -> String {
        redact_url(&self.url)
    }
}

pub use crate::redact::redact_url;

/// Which Kubernetes objects of a namespace to check.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClusterScope {
    /// The namespace (`mcp-production`).
    pub namespace: Namespace,
    /// The object kinds to look at; empty means all of them.
    pub resources: Vec<ClusterResource>,
}

impl ClusterScope {
    /// All resource kinds of `namespace`.
    pub fn all(namespace: Namespace) -> Self {
        Self {
            namespace,
            resources: Vec::new(),
        }
    }

    /// Whether `resource` is in scope.
    pub fn includes(&self, resource: ClusterResource) -> bool {
        self.resources.is_empty() || self.resources.contains(&resource)
    }
}

/// Kubernetes object kinds a cluster health check covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[non_exhaustive]
pub enum ClusterResource {
    /// Nodes (Ready, pressure conditions, unschedulable).
    Nodes,
    /// Pods (phase, readiness, restarts, waiting reasons).
    Pods,
    /// Deployments (available vs desired).
    Deployments,
    /// Services (ready endpoints).
    Services,
    /// Ingresses (rules, load balancer).
    Ingresses,
    /// Warning events.
    Events,
}

/// A metric of a service compared with a threshold.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MetricProbe {
    /// The service label (`mcp-typescript-api`).
    pub service: String,
    /// Which metric.
    pub metric: MetricKind,
    /// Above this is a breach (ratio for error rate and memory, seconds for latency).
    pub threshold: f64,
    /// The rate window (runbook: 5 min).
    pub window: Duration,
}

/// The runbook's three Prometheus queries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
pub enum MetricKind {
    /// 5xx / all requests (ratio).
    ErrorRate,
    /// 95th percentile of request duration (seconds).
    P95Latency,
    /// container memory usage / limit (ratio).
    MemoryRatio,
}

impl MetricKind {
    /// A stable short name.
    pub fn as_str(&self) -> &'static str {
        match self {
            MetricKind::ErrorRate => "error_rate",
            MetricKind::P95Latency => "p95_latency",
            MetricKind::MemoryRatio => "memory_ratio",
        }
    }
}

/// The health of one target, worst last so that `max` gives the overall status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum HealthStatus {
    /// Everything as expected.
    Healthy,
    /// Working but outside a threshold (slow, some replicas missing …).
    Degraded,
    /// Could not be determined (no data, probe timed out, backend absent).
    Unknown,
    /// Not working.
    Unhealthy,
}

impl HealthStatus {
    /// A stable lower-case name.
    pub fn as_str(&self) -> &'static str {
        match self {
            HealthStatus::Healthy => "healthy",
            HealthStatus::Degraded => "degraded",
            HealthStatus::Unknown => "unknown",
            HealthStatus::Unhealthy => "unhealthy",
        }
    }
}

/// One observed value, named (`status_code`, `error_rate`, `ready_replicas` …).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Observation {
    /// What was observed.
    pub name: String,
    /// The value.
    pub value: ObservedValue,
}

/// A typed observed value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", content = "value", rename_all = "snake_case")]
pub enum ObservedValue {
    /// A count (replicas, restarts, connections).
    Count(u64),
    /// A ratio in [0, 1] (error rate, memory usage / limit).
    Ratio(f64),
    /// A duration (latency, age).
    Duration(Duration),
    /// A plain number.
    Number(f64),
    /// A flag.
    Flag(bool),
    /// Text (versions, reasons).
    Text(String),
}

/// A finding about one object inside a target (a pod in CrashLoopBackOff, a node not Ready).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HealthDetail {
    /// The object (`pod/mcp-typescript-api-7d9f-abcde`, `node/worker-1`).
    pub object: String,
    /// Its status.
    pub status: HealthStatus,
    /// Why (`CrashLoopBackOff, 7 restarts`).
    pub reason: String,
}

/// The result of checking one target.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HealthReport {
    /// What was checked.
    pub target: HealthTarget,
    /// The verdict.
    pub status: HealthStatus,
    /// Values observed.
    pub observed: Vec<Observation>,
    /// Per-object findings, worst first.
    pub details: Vec<HealthDetail>,
    /// How long the check took.
    pub latency: Duration,
    /// One line for humans.
    pub message: String,
    /// When the check finished.
    pub checked_at: Timestamp,
}

impl HealthReport {
    /// A report of `status` with a message and nothing observed yet.
    pub fn new(
        target: HealthTarget,
        status: HealthStatus,
        message: impl Into<String>,
        checked_at: Timestamp,
    ) -> Self {
        Self {
            target,
            status,
            observed: Vec::new(),
            details: Vec::new(),
            latency: Duration::ZERO,
            message: message.into(),
            checked_at,
        }
    }

    /// Adds an observation.
    pub fn observe(mut self, name: impl Into<String>, value: ObservedValue) -> Self {
        self.observed.push(Observation {
            name: name.into(),
            value,
        });
        self
    }

    /// The observation called `name`, if any.
    pub fn observation(&self, name: &str) -> Option<&ObservedValue> {
        self.observed
            .iter()
            .find(|o| o.name == name)
            .map(|o| &o.value)
    }

    /// The runbook severity this single report implies, if any: an unhealthy endpoint is not
    /// P0 on its own (that needs all endpoints, see [`HealthSummary`]); a metric breach is P1
    /// (error rate) or P2 (latency, memory).
    pub fn metric_severity(&self) -> Option<Severity> {
        match (&self.target, self.status) {
            (HealthTarget::Metric(m), HealthStatus::Unhealthy | HealthStatus::Degraded) => {
                match m.metric {
                    MetricKind::ErrorRate => Some(Severity::P1),
                    MetricKind::P95Latency | MetricKind::MemoryRatio => Some(Severity::P2),
                }
            }
            _ => None,
        }
    }
}

/// Many reports with their overall status and runbook severity.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HealthSummary {
    /// One report per target, in the order of the targets.
    pub reports: Vec<HealthReport>,
    /// The worst status of all reports (Healthy when there are none).
    pub overall: HealthStatus,
    /// The runbook severity: every HTTP endpoint unhealthy → P0; error-rate breach → P1;
    /// latency or memory breach → P2; otherwise none.
    pub severity: Option<Severity>,
}

impl HealthSummary {
    /// Summarises `reports`.
    pub fn from_reports(reports: Vec<HealthReport>) -> Self {
        let overall = reports
            .iter()
            .map(|r| r.status)
            .max()
            .unwrap_or(HealthStatus::Healthy);
        let endpoints: Vec<&HealthReport> = reports
            .iter()
            .filter(|r| matches!(r.target, HealthTarget::Http(_)))
            .collect();
        let all_down = !endpoints.is_empty()
            && endpoints
                .iter()
                .all(|r| r.status == HealthStatus::Unhealthy);
        let severity = if all_down {
            Some(Severity::P0)
        } else {
            reports
                .iter()
                .filter_map(HealthReport::metric_severity)
                .fold(None, |worst: Option<Severity>, s| match worst {
                    Some(w) if w.is_more_severe_than(&s) || w == s => Some(w),
                    _ => Some(s),
                })
        };
        Self {
            reports,
            overall,
            severity,
        }
    }
}

/// Checks the health of targets.
///
/// A backend answers the targets it [`supports`](HealthCheck::supports); for others it returns
/// [`crate::Error::Unsupported`]. A target that is down is a report with
/// [`HealthStatus::Unhealthy`], not an error: errors are for when the check itself could not
/// run (bad input, backend unreachable).
///
/// # Example
///
/// ```
/// # #[cfg(feature = "testkit")]
/// # #[tokio::main(flavor = "current_thread", start_paused = true)]
/// # async fn main() -> mcp_ops_core::Result<()> {
/// use mcp_ops_core::health::{HealthTarget, HttpProbe};
/// use mcp_ops_core::runbook::RUNBOOK_HEALTH_URL;
/// use mcp_ops_core::{HealthCheck, HealthStatus};
///
/// let kit = mcp_ops_core::testkit::TestKit::runbook().await?;
/// // The kit routes each kind of target to the mock that answers it.
/// let checker: &dyn HealthCheck = &kit.health;
/// let api = HealthTarget::Http(HttpProbe::new("api", RUNBOOK_HEALTH_URL));
/// let db = HealthTarget::Database { name: "mcp_db".into() };
/// for target in [api, db] {
///     let report = checker.check(&target).await?;
///     assert_eq!(report.status, HealthStatus::Healthy, "{}", report.message);
/// }
/// # Ok(())
/// # }
/// # #[cfg(not(feature = "testkit"))]
/// # fn main() {}
/// ```
#[cfg_attr(feature = "mock", mockall::automock)]
#[async_trait]
pub trait HealthCheck: Send + Sync {
    /// The backend's name, for reports and errors.
    fn backend(&self) -> &'static str;

    /// Whether this backend can check targets of `kind`.
    fn supports(&self, kind: TargetKind) -> bool;

    /// Checks one target.
    ///
    /// # Errors
    /// [`crate::Error::Unsupported`] for a kind this backend does not check; other errors when
    /// the check could not run at all.
    async fn check(&self, target: &HealthTarget) -> Result<HealthReport>;
}

/// How many checks [`check_all`] runs at once: like `curl -Z --parallel-max 50`, enough to
/// keep a pool of reused connections busy without opening one socket per target.
pub const DEFAULT_CONCURRENCY: usize = 50;

/// Checks `targets` on `checker`, at most [`DEFAULT_CONCURRENCY`] at a time, each bounded by
/// `per_check`, and summarises; see [`check_all_bounded`].
pub async fn check_all(
    checker: &dyn HealthCheck,
    targets: &[HealthTarget],
    per_check: Duration,
    now: impl Fn() -> Timestamp + Sync,
) -> HealthSummary {
    check_all_bounded(checker, targets, per_check, now, DEFAULT_CONCURRENCY).await
}

/// Checks `targets` on `checker`, at most `max_concurrent` at a time (0 counts as 1), and
/// summarises. Reports come back in the order of the targets.
///
/// Each check gets `per_check` from the moment it starts, not from the moment the batch
/// starts: a target waiting for a free slot is not charged for the wait. A check that errors
/// or exceeds its time becomes an [`HealthStatus::Unknown`] report saying why, so one hung
/// probe never hides the others.
pub async fn check_all_bounded(
    checker: &dyn HealthCheck,
    targets: &[HealthTarget],
    per_check: Duration,
    now: impl Fn() -> Timestamp + Sync,
    max_concurrent: usize,
) -> HealthSummary {
    use futures::StreamExt as _;

    let now = &now;
    let checks = targets.iter().map(|t| async move {
        // The deadline is taken here, when the check is first polled (it has a slot).
        match tokio::time::timeout(per_check, checker.check(t)).await {
            Ok(Ok(report)) => report,
            Ok(Err(e)) => HealthReport::new(
                t.clone(),
                HealthStatus::Unknown,
                format!("check failed: {e}"),
                now(),
            ),
            Err(_) => HealthReport::new(
                t.clone(),
                HealthStatus::Unknown,
                format!("no answer within {per_check:?}"),
                now(),
            ),
        }
    });
    let reports: Vec<HealthReport> = futures::stream::iter(checks)
        .buffered(max_concurrent.max(1))
        .collect()
        .await;
    HealthSummary::from_reports(reports)
}

#[cfg(test)]
mod tests {
    use super::{HttpProbe, redact_url};

    #[test]
    fn urls_lose_credentials_and_query_values_only() {
        for (url, shown) in [
            (
                "https://api.mcp-production.com/health",
                "https://api.mcp-production.com/health",
            ),
            (
                "https://u:p@host:8443/health",
                "https://***@host:8443/health",
            ),
            ("https://tok@host", "https://***@host"),
            ("http://host/a@b", "http://host/a@b"),
            ("https://host/h?token=s3cret", "https://host/h?token=***"),
            ("https://host/h?a=1&flag#top", "https://host/h?a=***&***"),
            ("not a url", "not a url"),
            ("", ""),
        ] {
            assert_eq!(redact_url(url), shown, "{url}");
        }
        let probe = HttpProbe::new("api", "https://ops:hunter2@api.example/health?key=k");
        assert!(!probe.display_url().contains("hunter2"));
        assert!(!probe.display_url().contains("=k"));
    }

    mod fan_out {
        #![allow(clippy::unwrap_used)]
        use std::sync::atomic::{AtomicUsize, Ordering};
        use std::time::Duration;

        use async_trait::async_trait;

        use crate::health::{
            HealthCheck, HealthReport, HealthStatus, HealthTarget, HttpProbe, TargetKind,
            check_all_bounded,
        };

        /// Sleeps a while per check (forever for names starting with `hang`) and records how
        /// many checks ran at once.
        #[derive(Default)]
        struct Slow {
            now: AtomicUsize,
            most: AtomicUsize,
        }

        #[async_trait]
        impl HealthCheck for Slow {
            fn backend(&self) -> &'static str {
                "slow"
            }
            fn supports(&self, kind: TargetKind) -> bool {
                kind == TargetKind::Http
            }
            async fn check(&self, target: &HealthTarget) -> crate::Result<HealthReport> {
                /// Counts the check as finished however it ends (a timeout drops it).
                struct Running<'a>(&'a AtomicUsize);
                impl Drop for Running<'_> {
                    fn drop(&mut self) {
                        self.0.fetch_sub(1, Ordering::SeqCst);
                    }
                }
                let n = self.now.fetch_add(1, Ordering::SeqCst) + 1;
                let _running = Running(&self.now);
                self.most.fetch_max(n, Ordering::SeqCst);
                let hang = matches!(target, HealthTarget::Http(p) if p.name.starts_with("hang"));
                let wait = if hang { 3600 } else { 1 };
                tokio::time::sleep(Duration::from_secs(wait)).await;
                Ok(HealthReport::new(
                    target.clone(),
                    HealthStatus::Healthy,
                    "ok",
                    jiff::Timestamp::UNIX_EPOCH,
                ))
            }
        }

        #[tokio::test(start_paused = true)]
        async fn at_most_the_limit_runs_at_once_and_reports_keep_the_targets_order() {
            let targets: Vec<HealthTarget> = (0..20)
                .map(|i| {
                    let name = if i == 3 {
                        "hang".to_owned()
                    } else {
                        format!("t{i}")
                    };
                    HealthTarget::Http(HttpProbe::new(name, format!("http://h/{i}")))
                })
                .collect();
            let slow = Slow::default();
            let summary = check_all_bounded(
                &slow,
                &targets,
                Duration::from_secs(5),
                || jiff::Timestamp::UNIX_EPOCH,
                4,
            )
            .await;
            assert_eq!(slow.most.load(Ordering::SeqCst), 4);
            let order: Vec<&HealthTarget> = summary.reports.iter().map(|r| &r.target).collect();
            assert_eq!(order, targets.iter().collect::<Vec<_>>());
            // Every check that waited for a slot still had its full 5 s: only the hung one
            // is Unknown.
            for (i, r) in summary.reports.iter().enumerate() {
                let want = if i == 3 {
                    HealthStatus::Unknown
                } else {
                    HealthStatus::Healthy
                };
                assert_eq!(r.status, want, "{i}: {}", r.message);
            }
            assert!(summary.reports[3].message.contains("no answer within"));
        }
    }
}
