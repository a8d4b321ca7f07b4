//! One [`HealthCheck`] for the CLI's cluster checks: Kubernetes objects go to the Kubernetes
//! backend, the HTTP endpoint check to the in-memory stand-in (the CLI has no HTTP prober
//! of its own yet; the banner says so).

use std::sync::Arc;

use async_trait::async_trait;
use mcp_ops_core::health::{HealthReport, HealthTarget, TargetKind};
use mcp_ops_core::{HealthCheck, Result};
use mcp_ops_k8s::KubeCluster;

/// Routes [`HealthTarget::Cluster`] to a [`KubeCluster`] and every other target to `other`.
pub struct RoutedHealth {
    /// The Kubernetes backend.
    pub kube: KubeCluster,
    /// Everything else (the HTTP endpoint check).
    pub other: Arc<dyn HealthCheck>,
}

#[async_trait]
impl HealthCheck for RoutedHealth {
    fn backend(&self) -> &'static str {
        "kubernetes"
    }

    fn supports(&self, kind: TargetKind) -> bool {
        kind == TargetKind::Cluster || self.other.supports(kind)
    }

    async fn check(&self, target: &HealthTarget) -> Result<HealthReport> {
        if target.kind() == TargetKind::Cluster {
            self.kube.check(target).await
        } else {
            self.other.check(target).await
        }
    }
}
