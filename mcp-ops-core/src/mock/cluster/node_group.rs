//! `NodeGroupScaler` on the mock cluster.

use async_trait::async_trait;

use super::MockCluster;
use crate::error::{Error, Result};
use crate::node_group::{NodeGroup, NodeGroupChange, NodeGroupScaler};
use crate::types::Intent;

#[async_trait]
impl NodeGroupScaler for MockCluster {
    fn backend(&self) -> &'static str {
        "mock-cluster"
    }

    async fn node_groups(&self, cluster: &str) -> Result<Vec<NodeGroup>> {
        self.faults.read("node_groups", cluster).await?;
        let s = self.lock();
        let groups: Vec<NodeGroup> = s
            .node_groups
            .iter()
            .filter(|((c, _), _)| c == cluster)
            .map(|((c, n), g)| NodeGroup {
                cluster: c.clone(),
                name: n.clone(),
                desired: g.desired,
                min: g.min,
                max: g.max,
            })
            .collect();
        if groups.is_empty() {
            return Err(Error::not_found("cluster", cluster));
        }
        Ok(groups)
    }

    async fn scale_node_group(
        &self,
        cluster: &str,
        name: &str,
        nodes: u32,
        intent: &Intent,
    ) -> Result<NodeGroupChange> {
        self.faults
            .write(
                "scale_node_group",
                format!("{cluster}/{name}"),
                intent.is_dry_run(),
            )
            .await?;
        let mut s = self.lock();
        let g = s
            .node_groups
            .get_mut(&(cluster.to_owned(), name.to_owned()))
            .ok_or_else(|| Error::not_found("node group", format!("{cluster}/{name}")))?;
        if nodes < g.min || nodes > g.max {
            return Err(Error::invalid(
                "nodes",
                format!(
                    "{nodes} is outside the group's bounds {}..={}",
                    g.min, g.max
                ),
            ));
        }
        let from = g.desired;
        if !intent.is_dry_run() {
            g.desired = nodes;
        }
        Ok(NodeGroupChange {
            name: name.to_owned(),
            from,
            to: nodes,
            dry_run: intent.is_dry_run(),
        })
    }
}
