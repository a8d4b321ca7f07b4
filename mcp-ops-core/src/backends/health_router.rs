//! One [`HealthCheck`] over several: each kind of target (cluster objects, HTTP endpoint,
//! database, cache, metrics) goes to the backend configured for it.

use std::sync::Arc;

use async_trait::async_trait;

use super::NotConfigured;
use crate::Result;
use crate::error::Error;
use crate::health::{HealthCheck, HealthReport, HealthTarget, TargetKind};

/// Routes every [`TargetKind`] to one backend. [`HealthRouter::new`] starts with every kind
/// [`NotConfigured`]; the `with_*` setters plug backends in.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> mcp_ops_core::Result<()> {
/// use std::sync::Arc;
/// use mcp_ops_core::backends::{HealthRouter, NotConfigured};
/// use mcp_ops_core::health::{HealthTarget, TargetKind};
/// use mcp_ops_core::{HealthCheck, HealthStatus};
///
/// let router = HealthRouter::new().with_cache(Arc::new(NotConfigured::setting("cache.url")));
/// assert_eq!(router.route(TargetKind::Cache).backend(), "unconfigured");
/// let report = router.check(&HealthTarget::Cache { name: "redis".into() }).await?;
/// assert_eq!(report.status, HealthStatus::Unknown);
/// assert_eq!(report.message, "not configured: set cache.url");
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct HealthRouter {
    /// Kubernetes objects.
    pub cluster: Arc<dyn HealthCheck>,
    /// The HTTP endpoint check.
    pub http: Arc<dyn HealthCheck>,
    /// Database readiness.
    pub database: Arc<dyn HealthCheck>,
    /// Cache readiness.
    pub cache: Arc<dyn HealthCheck>,
    /// Error rate, p95 and memory.
    pub metrics: Arc<dyn HealthCheck>,
}

impl Default for HealthRouter {
    fn default() -> Self {
        Self::new()
    }
}

impl std::fmt::Debug for HealthRouter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HealthRouter")
            .field("cluster", &self.cluster.backend())
            .field("http", &self.http.backend())
            .field("database", &self.database.backend())
            .field("cache", &self.cache.backend())
            .field("metrics", &self.metrics.backend())
            .finish()
    }
}

impl HealthRouter {
    /// Every kind not configured: [`NotConfigured::CLUSTER`], [`NotConfigured::HEALTH`],
    /// [`NotConfigured::DATABASE`], [`NotConfigured::REDIS`], [`NotConfigured::PROMETHEUS`].
    pub fn new() -> Self {
        Self {
            cluster: Arc::new(NotConfigured::CLUSTER),
            http: Arc::new(NotConfigured::HEALTH),
            database: Arc::new(NotConfigured::DATABASE),
            cache: Arc::new(NotConfigured::REDIS),
            metrics: Arc::new(NotConfigured::PROMETHEUS),
        }
    }

    /// Kubernetes objects go to `backend`.
    #[must_use]
    pub fn with_cluster(mut self, backend: Arc<dyn HealthCheck>) -> Self {
        self.cluster = backend;
        self
    }

    /// HTTP endpoints go to `backend`.
    #[must_use]
    pub fn with_http(mut self, backend: Arc<dyn HealthCheck>) -> Self {
        self.http = backend;
        self
    }

    /// Databases go to `backend`.
    #[must_use]
    pub fn with_database(mut self, backend: Arc<dyn HealthCheck>) -> Self {
        self.database = backend;
        self
    }

    /// Caches go to `backend`.
    #[must_use]
    pub fn with_cache(mut self, backend: Arc<dyn HealthCheck>) -> Self {
        self.cache = backend;
        self
    }

    /// Metrics go to `backend`.
    #[must_use]
    pub fn with_metrics(mut self, backend: Arc<dyn HealthCheck>) -> Self {
        self.metrics = backend;
        self
    }

    /// The backend serving `kind`.
    pub fn route(&self, kind: TargetKind) -> &Arc<dyn HealthCheck> {
        match kind {
            TargetKind::Cluster => &self.cluster,
            TargetKind::Http => &self.http,
            TargetKind::Database => &self.database,
            TargetKind::Cache => &self.cache,
            TargetKind::Metric => &self.metrics,
        }
    }
}

#[async_trait]
impl HealthCheck for HealthRouter {
    fn backend(&self) -> &'static str {
        "ops"
    }

    fn supports(&self, kind: TargetKind) -> bool {
        self.route(kind).supports(kind)
    }

    /// The check of the backend `target`'s kind is routed to;
    /// [`Error::Unsupported`] when that backend does not check this kind.
    async fn check(&self, target: &HealthTarget) -> Result<HealthReport> {
        let backend = self.route(target.kind());
        if !backend.supports(target.kind()) {
            return Err(Error::Unsupported {
                operation: "health check of this kind of target",
                backend: backend.backend(),
            });
        }
        backend.check(target).await
    }
}
