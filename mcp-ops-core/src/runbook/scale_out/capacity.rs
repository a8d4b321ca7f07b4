//! Infrastructure scaling: the node capacity report (`kubectl describe nodes | grep -A 5
//! "Allocated resources"`) and the node group change (`eksctl scale nodegroup`).

use serde::{Deserialize, Serialize};

use super::ChangeOutcome;
use crate::error::Result;
use crate::node_group::NodeGroupScaler;
use crate::runbook::context::Context;
use crate::scale::{NodeCapacity, Scaler};
use crate::types::Quantity;

/// Requested share of allocatable above which a node counts as tight.
pub const TIGHT_RATIO: f64 = 0.8;

/// Nodes' allocatable resources against what their pods request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CapacityReport {
    /// Every node.
    pub nodes: Vec<NodeCapacity>,
    /// Requested CPU / allocatable CPU over all nodes.
    pub cpu_requested_ratio: Option<f64>,
    /// Requested memory / allocatable memory over all nodes.
    pub memory_requested_ratio: Option<f64>,
    /// Nodes whose CPU or memory requests exceed [`TIGHT_RATIO`] of allocatable.
    pub tight_nodes: Vec<String>,
}

fn total(
    nodes: &[NodeCapacity],
    pick: impl Fn(&NodeCapacity) -> Option<Quantity>,
) -> Option<Quantity> {
    nodes
        .iter()
        .filter_map(pick)
        .try_fold(None::<Quantity>, |acc, q| match acc {
            None => Some(Some(q)),
            Some(a) => a.checked_add(&q).map(Some),
        })
        .flatten()
}

/// Reads node capacity.
///
/// # Errors
/// Read errors.
pub(crate) async fn nodes(ctx: &Context, scaler: &dyn Scaler) -> Result<Vec<NodeCapacity>> {
    ctx.step("check node capacity", "cluster")
        .command("kubectl describe nodes | grep -A 5 \"Allocated resources\"")
        .read(|| scaler.node_capacity(), |n| format!("{} nodes", n.len()))
        .await
}

/// Summarises node capacity.
pub(crate) fn report(nodes: Vec<NodeCapacity>) -> CapacityReport {
    let ratio = |part: Option<Quantity>, whole: Option<Quantity>| part?.ratio(&whole?);
    let cpu = ratio(
        total(&nodes, |n| n.requests.cpu),
        total(&nodes, |n| n.allocatable.cpu),
    );
    let memory = ratio(
        total(&nodes, |n| n.requests.memory),
        total(&nodes, |n| n.allocatable.memory),
    );
    let tight_nodes = nodes
        .iter()
        .filter(|n| {
            n.cpu_requested_ratio().is_some_and(|r| r > TIGHT_RATIO)
                || n.memory_requested_ratio().is_some_and(|r| r > TIGHT_RATIO)
        })
        .map(|n| n.node.to_string())
        .collect();
    CapacityReport {
        nodes,
        cpu_requested_ratio: cpu,
        memory_requested_ratio: memory,
        tight_nodes,
    }
}

/// Set the node group `name` of `cluster` to `nodes` (runbook: `mcp-production`,
/// `worker-nodes`, 5).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodeGroupTarget {
    /// The cluster.
    pub cluster: String,
    /// The node group.
    pub name: String,
    /// Nodes wanted.
    pub nodes: u32,
}

/// What happened to the node group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodeGroupResult {
    /// The target.
    pub target: NodeGroupTarget,
    /// Nodes before.
    pub from: u32,
    /// How it went.
    pub outcome: ChangeOutcome,
}

/// Reads the group and checks the wanted size against its bounds. Changes nothing.
///
/// # Errors
/// Read errors.
pub(crate) async fn decide_nodes(
    ctx: &Context,
    groups: Option<&dyn NodeGroupScaler>,
    target: &NodeGroupTarget,
) -> Result<std::result::Result<NodeGroupResult, String>> {
    let Some(groups) = groups else {
        return Ok(Err(format!(
            "node group {}/{}: no NodeGroupScaler was given",
            target.cluster, target.name
        )));
    };
    let all = ctx
        .step("read node groups", target.cluster.as_str())
        .command(format!("eksctl get nodegroup --cluster={}", target.cluster))
        .read(
            || groups.node_groups(&target.cluster),
            |g| format!("{} groups", g.len()),
        )
        .await?;
    let Some(g) = all.iter().find(|g| g.name == target.name) else {
        return Ok(Err(format!(
            "node group {}/{} does not exist",
            target.cluster, target.name
        )));
    };
    if target.nodes < g.min || target.nodes > g.max {
        return Ok(Err(format!(
            "node group {}/{}: {} nodes is outside its bounds {}..={}",
            target.cluster, target.name, target.nodes, g.min, g.max
        )));
    }
    Ok(Ok(NodeGroupResult {
        target: target.clone(),
        from: g.desired,
        outcome: ChangeOutcome::NothingToDo,
    }))
}

/// Scales the node group when its size differs.
pub(crate) async fn apply_nodes(
    ctx: &Context,
    groups: Option<&dyn NodeGroupScaler>,
    r: &mut NodeGroupResult,
) {
    let Some(groups) = groups else { return };
    if r.from == r.target.nodes {
        return;
    }
    let t = &r.target;
    let done = ctx
        .step("scale node group", format!("{}/{}", t.cluster, t.name))
        .action(format!("set nodes to {}", t.nodes))
        .command(format!(
            "eksctl scale nodegroup --cluster={} --name={} --nodes={}",
            t.cluster, t.name, t.nodes
        ))
        .act(
            || groups.scale_node_group(&t.cluster, &t.name, t.nodes, ctx.intent()),
            |c| format!("{} → {} nodes", c.from, c.to),
        )
        .await
        .map(|o| o.is_some());
    r.outcome = ChangeOutcome::from_act(done);
}
