//! One [`HealthCheck`] for the CLI: each kind of target (cluster objects, HTTP endpoint,
//! database, cache, metrics) goes to the backend configured for it.

use std::sync::Arc;

use async_trait::async_trait;
use mcp_ops_core::health::{HealthReport, HealthTarget, TargetKind};
use mcp_ops_core::{Error, HealthCheck, Result};

/// Routes every [`TargetKind`] to one backend.
#[derive(Clone)]
pub struct HealthRouter {
    /// Kubernetes objects.
    pub cluster: Arc<dyn HealthCheck>,
    /// The HTTP endpoint check.
    pub http: Arc<dyn HealthCheck>,
    /// PostgreSQL readiness.
    pub database: Arc<dyn HealthCheck>,
    /// Redis readiness.
    pub cache: Arc<dyn HealthCheck>,
    /// Error rate, p95 and memory.
    pub metrics: Arc<dyn HealthCheck>,
}

impl HealthRouter {
    /// The backend serving `kind`.
    pub fn route(&self, kind: TargetKind) -> &Arc<dyn HealthCheck> {
        match kind {
            TargetKind::Cluster => &self.cluster,
            TargetKind::Http => &self.http,
            TargetKind::Database => &self.database,
            TargetKind::Cache => &self.cache,
            TargetKind::Metric => &self.metrics,
            // A kind added to core later: the cluster backend says whether it supports it.
            _ => &self.cluster,
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
