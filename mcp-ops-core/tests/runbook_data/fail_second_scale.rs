//! A `Scaler` wrapper that fails its second `scale` call, for the stop-failure path.

use super::*;

/// A scaler whose second `scale` call fails (an admission webhook refusing it).
pub(crate) struct FailSecondScale {
    pub(crate) inner: MockCluster,
    pub(crate) calls: std::sync::atomic::AtomicU32,
}

#[async_trait::async_trait]
impl Scaler for FailSecondScale {
    fn backend(&self) -> &'static str {
        "fail-second-scale"
    }
    async fn replicas(&self, d: &DeploymentRef) -> mcp_ops_core::Result<Replicas> {
        self.inner.replicas(d).await
    }
    async fn scale(
        &self,
        d: &DeploymentRef,
        to: Replicas,
        intent: &Intent,
    ) -> mcp_ops_core::Result<mcp_ops_core::ScaleChange> {
        if self.calls.fetch_add(1, std::sync::atomic::Ordering::SeqCst) == 1 {
            return Err(Error::policy("admission", "webhook denied the change"));
        }
        self.inner.scale(d, to, intent).await
    }
    async fn autoscaler(
        &self,
        d: &DeploymentRef,
    ) -> mcp_ops_core::Result<Option<mcp_ops_core::scale::AutoscalerStatus>> {
        self.inner.autoscaler(d).await
    }
    async fn set_autoscaler_bounds(
        &self,
        d: &DeploymentRef,
        b: mcp_ops_core::scale::AutoscalerBounds,
        intent: &Intent,
    ) -> mcp_ops_core::Result<mcp_ops_core::scale::BoundsChange> {
        self.inner.set_autoscaler_bounds(d, b, intent).await
    }
    async fn resources(
        &self,
        d: &DeploymentRef,
        c: &ContainerName,
    ) -> mcp_ops_core::Result<ResourceRequirements> {
        self.inner.resources(d, c).await
    }
    async fn set_resources(
        &self,
        d: &DeploymentRef,
        c: &ContainerName,
        r: &ResourceRequirements,
        intent: &Intent,
    ) -> mcp_ops_core::Result<mcp_ops_core::scale::ResourceChange> {
        self.inner.set_resources(d, c, r, intent).await
    }
    async fn recommendations(
        &self,
        d: &DeploymentRef,
    ) -> mcp_ops_core::Result<mcp_ops_core::scale::Recommendation> {
        self.inner.recommendations(d).await
    }
    async fn node_capacity(&self) -> mcp_ops_core::Result<Vec<mcp_ops_core::scale::NodeCapacity>> {
        self.inner.node_capacity().await
    }
    async fn pod_usage(
        &self,
        ns: &mcp_ops_core::types::Namespace,
    ) -> mcp_ops_core::Result<Vec<mcp_ops_core::scale::ResourceUsage>> {
        self.inner.pod_usage(ns).await
    }
}
