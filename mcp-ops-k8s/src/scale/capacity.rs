//! Node capacity as `kubectl describe nodes` shows it under "Allocated resources": for every
//! node, the sums of the requests and limits of its non-terminated pods (phase neither
//! Succeeded nor Failed), where a pod's amount is kubectl's `PodRequestsAndLimits`: the sum
//! over its containers, raised to the largest init container, plus the pod overhead.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{Container, Node, Pod};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity as KQuantity;
use mcp_ops_core::Result;
use mcp_ops_core::scale::NodeCapacity;
use mcp_ops_core::types::{Quantity, ResourceList, ResourceName};

use crate::health::pods::PodFacts;

/// The cpu and memory of a Kubernetes resource map (unparsable amounts are left out).
pub fn resource_list(m: Option<&BTreeMap<String, KQuantity>>) -> ResourceList {
    let get = |k: &str| {
        m.and_then(|m| m.get(k))
            .and_then(|q| Quantity::parse(&q.0).ok())
    };
    ResourceList {
        cpu: get("cpu"),
        memory: get("memory"),
    }
}

fn add(a: Option<Quantity>, b: Option<Quantity>) -> Option<Quantity> {
    match (a, b) {
        (Some(a), Some(b)) => a.checked_add(&b).or(Some(a)),
        (a, None) => a,
        (None, b) => b,
    }
}

fn max(a: Option<Quantity>, b: Option<Quantity>) -> Option<Quantity> {
    match (a, b) {
        (Some(a), Some(b)) => Some(if b > a { b } else { a }),
        (a, None) => a,
        (None, b) => b,
    }
}

fn sum(a: ResourceList, b: ResourceList) -> ResourceList {
    ResourceList {
        cpu: add(a.cpu, b.cpu),
        memory: add(a.memory, b.memory),
    }
}

fn larger(a: ResourceList, b: ResourceList) -> ResourceList {
    ResourceList {
        cpu: max(a.cpu, b.cpu),
        memory: max(a.memory, b.memory),
    }
}

fn of(c: &Container) -> (ResourceList, ResourceList) {
    let r = c.resources.as_ref();
    (
        resource_list(r.and_then(|r| r.requests.as_ref())),
        resource_list(r.and_then(|r| r.limits.as_ref())),
    )
}

/// A pod's requests and limits as kubectl's `resourcehelper.PodRequestsAndLimits` computes
/// them.
pub fn pod_requests_and_limits(p: &Pod) -> (ResourceList, ResourceList) {
    let Some(spec) = p.spec.as_ref() else {
        return (ResourceList::default(), ResourceList::default());
    };
    let (mut req, mut lim) = (ResourceList::default(), ResourceList::default());
    for c in &spec.containers {
        let (r, l) = of(c);
        req = sum(req, r);
        lim = sum(lim, l);
    }
    for c in spec.init_containers.iter().flatten() {
        let (r, l) = of(c);
        req = larger(req, r);
        lim = larger(lim, l);
    }
    if let Some(o) = spec.overhead.as_ref() {
        let o = resource_list(Some(o));
        if !req.is_empty() {
            req = sum(req, o.clone());
        }
        if !lim.is_empty() {
            lim = sum(lim, o);
        }
    }
    (req, lim)
}

/// The capacity of every node given every pod of the cluster (as [`PodFacts`]).
///
/// # Errors
/// A node whose name is not a valid object name.
pub(crate) fn node_capacity<'a>(
    nodes: &[Node],
    pods: impl IntoIterator<Item = &'a PodFacts>,
) -> Result<Vec<NodeCapacity>> {
    // One pass over the pods: (requests, limits, count) by node.
    let mut by_node: BTreeMap<&str, (ResourceList, ResourceList, u32)> = BTreeMap::new();
    for p in pods.into_iter().filter(|p| !p.terminated()) {
        let Some(node) = p.node.as_deref() else {
            continue;
        };
        let e = by_node.entry(node).or_default();
        e.0 = sum(std::mem::take(&mut e.0), p.requests.clone());
        e.1 = sum(std::mem::take(&mut e.1), p.limits.clone());
        e.2 += 1;
    }
    let mut out = Vec::with_capacity(nodes.len());
    for n in nodes {
        let name = n.metadata.name.clone().unwrap_or_default();
        let (requests, limits, count) = by_node.remove(name.as_str()).unwrap_or_default();
        let zero = |l: ResourceList| ResourceList {
            cpu: l.cpu.or(Some(Quantity::ZERO)),
            memory: l.memory.or(Some(Quantity::ZERO)),
        };
        out.push(NodeCapacity {
            node: ResourceName::new(name)?,
            allocatable: resource_list(n.status.as_ref().and_then(|s| s.allocatable.as_ref())),
            requests: zero(requests),
            limits: zero(limits),
            pods: count,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use serde_json::json;

    fn q(s: &str) -> Option<Quantity> {
        Some(Quantity::parse(s).unwrap())
    }

    #[test]
    fn pod_amounts_follow_kubectl() {
        let p: Pod = serde_json::from_value(json!({"spec": {
            "containers": [
                {"name": "a", "resources": {"requests": {"cpu": "250m", "memory": "256Mi"}, "limits": {"cpu": "1"}}},
                {"name": "b", "resources": {"requests": {"cpu": "250m"}}}],
            "initContainers": [{"name": "i", "resources": {"requests": {"cpu": "2", "memory": "64Mi"}}}],
            "overhead": {"cpu": "100m"}}})).unwrap();
        let (r, l) = pod_requests_and_limits(&p);
        assert_eq!(r.cpu, q("2100m"));
        assert_eq!(r.memory, q("256Mi"));
        assert_eq!(l.cpu, q("1100m"));
        assert_eq!(l.memory, None);
    }

    #[test]
    fn node_sums_skip_finished_pods_and_other_nodes() {
        let node: Node = serde_json::from_value(json!({"metadata": {"name": "n1"},
            "status": {"allocatable": {"cpu": "3920m", "memory": "15242244Ki"}}}))
        .unwrap();
        let pod = |node: &str, phase: &str| -> Pod {
            serde_json::from_value(json!({"spec": {"nodeName": node, "containers": [
                {"name": "a", "resources": {"requests": {"cpu": "500m", "memory": "1Gi"}}}]},
                "status": {"phase": phase}}))
            .unwrap()
        };
        let pods = [
            pod("n1", "Running"),
            pod("n1", "Pending"),
            pod("n1", "Succeeded"),
            pod("n2", "Running"),
        ];
        let facts: Vec<PodFacts> = pods.iter().map(PodFacts::of).collect();
        let caps = node_capacity(&[node], &facts).unwrap();
        assert_eq!(caps[0].pods, 2);
        assert_eq!(caps[0].requests.cpu, q("1"));
        assert_eq!(caps[0].requests.memory, q("2Gi"));
        assert_eq!(caps[0].limits.cpu, q("0"));
        assert!(caps[0].cpu_requested_ratio().unwrap() > 0.25);
    }
}
