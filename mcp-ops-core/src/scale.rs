//! `Scaler`: replicas, autoscaler bounds, container resources, recommendations, capacity
//! and resource use.
//!
//! Covers the runbook's `kubectl scale`, `kubectl get/patch hpa`, `kubectl get/describe
//! vpa`, the resources patch, `kubectl describe nodes | grep -A 5 "Allocated resources"` and
//! `kubectl top nodes/pods` (runbook: Scaling Procedures, High Response
//! Times (P2), Performance Tuning).

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::types::{
    ContainerName, DeploymentRef, Intent, Namespace, Quantity, Replicas, ResourceList,
    ResourceName, ResourceRequirements,
};

/// A change of replica count.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScaleChange {
    /// Which deployment.
    pub deployment: DeploymentRef,
    /// Replicas before.
    pub from: Replicas,
    /// Replicas after.
    pub to: Replicas,
    /// `true` when this was a dry run and nothing was changed.
    pub dry_run: bool,
}

/// A horizontal autoscaler's bounds and state (`kubectl get hpa`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AutoscalerStatus {
    /// The autoscaler's name (`mcp-typescript-api-hpa`).
    pub name: ResourceName,
    /// The deployment it scales.
    pub target: DeploymentRef,
    /// Lower bound.
    pub min: Replicas,
    /// Upper bound.
    pub max: Replicas,
    /// Replicas now.
    pub current: Replicas,
    /// Replicas it wants.
    pub desired: Replicas,
}

impl AutoscalerStatus {
    /// Whether it wants at least its upper bound (the runbook's "raise maxReplicas" case).
    pub fn at_max(&self) -> bool {
        self.desired >= self.max
    }
}

/// New bounds for an autoscaler; `None` keeps a bound as it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct AutoscalerBounds {
    /// New lower bound.
    pub min: Option<Replicas>,
    /// New upper bound.
    pub max: Option<Replicas>,
}

/// A change of autoscaler bounds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BoundsChange {
    /// The autoscaler.
    pub autoscaler: ResourceName,
    /// `(min, max)` before.
    pub from: (Replicas, Replicas),
    /// `(min, max)` after.
    pub to: (Replicas, Replicas),
    /// `true` when this was a dry run and nothing was changed.
    pub dry_run: bool,
}

/// A change of one container's resources.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResourceChange {
    /// Which deployment.
    pub deployment: DeploymentRef,
    /// Which container.
    pub container: ContainerName,
    /// Before.
    pub from: ResourceRequirements,
    /// After.
    pub to: ResourceRequirements,
    /// `true` when this was a dry run and nothing was changed.
    pub dry_run: bool,
}

/// Vertical recommendations for one container.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContainerRecommendation {
    /// The container.
    pub container: ContainerName,
    /// The recommended requests.
    pub target: ResourceList,
    /// The lowest sensible requests.
    pub lower_bound: ResourceList,
    /// The highest sensible requests.
    pub upper_bound: ResourceList,
}

/// What a vertical recommender says, if there is one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Recommendation {
    /// Recommendations per container.
    Available {
        /// One entry per container.
        containers: Vec<ContainerRecommendation>,
    },
    /// No recommender serves this deployment (no VPA installed, none created, no data yet).
    NotAvailable {
        /// Why.
        why: String,
    },
}

/// Allocatable resources of one node against what its pods request and limit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodeCapacity {
    /// The node.
    pub node: ResourceName,
    /// What the node offers to pods.
    pub allocatable: ResourceList,
    /// Sum of requests of its pods.
    pub requests: ResourceList,
    /// Sum of limits of its pods.
    pub limits: ResourceList,
    /// Pods on it.
    pub pods: u32,
}

impl NodeCapacity {
    /// Requested CPU as a fraction of allocatable, when both are known.
    pub fn cpu_requested_ratio(&self) -> Option<f64> {
        ratio(self.requests.cpu.as_ref(), self.allocatable.cpu.as_ref())
    }

    /// Requested memory as a fraction of allocatable, when both are known.
    pub fn memory_requested_ratio(&self) -> Option<f64> {
        ratio(
            self.requests.memory.as_ref(),
            self.allocatable.memory.as_ref(),
        )
    }
}

fn ratio(part: Option<&Quantity>, whole: Option<&Quantity>) -> Option<f64> {
    part?.ratio(whole?)
}

/// Measured resource use of one pod or node (`kubectl top`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResourceUsage {
    /// `pod/NAME` or `node/NAME`.
    pub object: String,
    /// CPU in use.
    pub cpu: Quantity,
    /// Memory in use.
    pub memory: Quantity,
    /// The memory limit, when the object has one.
    pub memory_limit: Option<Quantity>,
}

/// Changes how much runs and how big it is.
///
/// # Example
///
/// ```
/// # #[cfg(feature = "testkit")]
/// # #[tokio::main(flavor = "current_thread", start_paused = true)]
/// # async fn main() -> mcp_ops_core::Result<()> {
/// use mcp_ops_core::types::{DeploymentRef, Replicas};
/// use mcp_ops_core::{Error, Intent, Scaler};
///
/// let kit = mcp_ops_core::testkit::TestKit::runbook().await?;
/// let scaler: &dyn Scaler = &kit.cluster;
/// let intent = Intent::new("traffic spike", "ops-bot")?;
/// let rust: DeploymentRef = "mcp-production/mcp-rust-server".parse()?;
/// let change = scaler.scale(&rust, Replicas::new(8)?, &intent).await?;
/// assert_eq!((change.from.get(), change.to.get()), (3, 8));
/// // An autoscaler owns the API: scaling it is refused (change its bounds instead).
/// let api: DeploymentRef = "mcp-production/mcp-typescript-api".parse()?;
/// let refused = scaler.scale(&api, Replicas::new(8)?, &intent).await;
/// assert!(matches!(refused, Err(Error::PolicyViolation { .. })));
/// # Ok(())
/// # }
/// # #[cfg(not(feature = "testkit"))]
/// # fn main() {}
/// ```
#[cfg_attr(feature = "mock", mockall::automock)]
#[async_trait]
pub trait Scaler: Send + Sync {
    /// The backend's name, for reports and errors.
    fn backend(&self) -> &'static str;

    /// The desired replicas of a deployment.
    ///
    /// # Errors
    /// [`crate::Error::NotFound`] when it does not exist.
    async fn replicas(&self, deployment: &DeploymentRef) -> Result<Replicas>;

    /// Sets the desired replicas (`kubectl scale`).
    ///
    /// # Errors
    /// [`crate::Error::PolicyViolation`] naming the autoscaler when one owns the deployment
    /// (change its bounds instead); [`crate::Error::NotFound`] when it does not exist.
    async fn scale(
        &self,
        deployment: &DeploymentRef,
        to: Replicas,
        intent: &Intent,
    ) -> Result<ScaleChange>;

    /// The autoscaler that targets a deployment, if any.
    ///
    /// # Errors
    /// Backend errors.
    async fn autoscaler(&self, deployment: &DeploymentRef) -> Result<Option<AutoscalerStatus>>;

    /// Changes the bounds of the autoscaler that targets a deployment
    /// (`kubectl patch hpa … maxReplicas`).
    ///
    /// # Errors
    /// [`crate::Error::NotFound`] when no autoscaler targets it;
    /// [`crate::Error::InvalidInput`] when the new min would exceed the new max.
    async fn set_autoscaler_bounds(
        &self,
        deployment: &DeploymentRef,
        bounds: AutoscalerBounds,
        intent: &Intent,
    ) -> Result<BoundsChange>;

    /// The resources of one container.
    ///
    /// # Errors
    /// [`crate::Error::NotFound`] for an unknown deployment or container.
    async fn resources(
        &self,
        deployment: &DeploymentRef,
        container: &ContainerName,
    ) -> Result<ResourceRequirements>;

    /// Sets the resources of one container (a rolling update).
    ///
    /// # Errors
    /// [`crate::Error::NotFound`] for an unknown deployment or container.
    async fn set_resources(
        &self,
        deployment: &DeploymentRef,
        container: &ContainerName,
        resources: &ResourceRequirements,
        intent: &Intent,
    ) -> Result<ResourceChange>;

    /// Vertical recommendations for a deployment.
    ///
    /// # Errors
    /// Backend errors; "no recommender" is `Ok(Recommendation::NotAvailable)`.
    async fn recommendations(&self, deployment: &DeploymentRef) -> Result<Recommendation>;

    /// Capacity of every node.
    ///
    /// # Errors
    /// Backend errors.
    async fn node_capacity(&self) -> Result<Vec<NodeCapacity>>;

    /// Measured use of the pods of a namespace; empty when no metrics are served.
    ///
    /// # Errors
    /// Backend errors.
    async fn pod_usage(&self, namespace: &Namespace) -> Result<Vec<ResourceUsage>>;
}
