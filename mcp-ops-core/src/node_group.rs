//! `NodeGroupScaler`: add or remove cluster nodes through a cloud node group.
//!
//! Covers the runbook's `eksctl scale nodegroup --cluster=mcp-production
//! --name=worker-nodes --nodes=5` (runbook: Scaling Procedures,
//! Infrastructure Scaling). Only the trait and the mock exist; cloud backends come later.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::types::Intent;

/// A node group's size and bounds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodeGroup {
    /// The cluster (`mcp-production`).
    pub cluster: String,
    /// The group (`worker-nodes`).
    pub name: String,
    /// Nodes wanted.
    pub desired: u32,
    /// Lower bound.
    pub min: u32,
    /// Upper bound.
    pub max: u32,
}

/// A change of node count.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodeGroupChange {
    /// The group.
    pub name: String,
    /// Nodes before.
    pub from: u32,
    /// Nodes after.
    pub to: u32,
    /// `true` when this was a dry run and nothing was changed.
    pub dry_run: bool,
}

/// Scales cloud node groups.
///
/// # Example
///
/// ```
/// # #[cfg(feature = "testkit")]
/// # #[tokio::main(flavor = "current_thread", start_paused = true)]
/// # async fn main() -> mcp_ops_core::Result<()> {
/// use mcp_ops_core::{Intent, NodeGroupScaler};
///
/// let kit = mcp_ops_core::testkit::TestKit::runbook().await?;
/// let groups: &dyn NodeGroupScaler = &kit.cluster;
/// let workers = groups.node_groups("mcp-production").await?;
/// assert_eq!(workers.first().map(|g| g.desired), Some(3));
/// let intent = Intent::new("nodes at 90 % of requests", "ops-bot")?;
/// groups.scale_node_group("mcp-production", "worker-nodes", 5, &intent).await?;
/// let after = groups.node_groups("mcp-production").await?;
/// assert_eq!(after.first().map(|g| g.desired), Some(5));
/// # Ok(())
/// # }
/// # #[cfg(not(feature = "testkit"))]
/// # fn main() {}
/// ```
#[cfg_attr(feature = "mock", mockall::automock)]
#[async_trait]
pub trait NodeGroupScaler: Send + Sync {
    /// The backend's name, for reports and errors.
    fn backend(&self) -> &'static str;

    /// The node groups of a cluster.
    ///
    /// # Errors
    /// [`crate::Error::NotFound`] for an unknown cluster.
    async fn node_groups(&self, cluster: &str) -> Result<Vec<NodeGroup>>;

    /// Sets the desired node count of a group.
    ///
    /// # Errors
    /// [`crate::Error::InvalidInput`] outside the group's min..=max;
    /// [`crate::Error::NotFound`] for an unknown group.
    async fn scale_node_group(
        &self,
        cluster: &str,
        name: &str,
        nodes: u32,
        intent: &Intent,
    ) -> Result<NodeGroupChange>;
}
