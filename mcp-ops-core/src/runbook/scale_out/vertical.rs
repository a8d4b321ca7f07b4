//! Vertical scaling: new container resources, checked against the nodes and the VPA's
//! recommendations before they are applied.

use serde::{Deserialize, Serialize};

use super::ChangeOutcome;
use crate::error::Result;
use crate::runbook::context::Context;
use crate::scale::{NodeCapacity, Recommendation, Scaler};
use crate::types::{ContainerName, DeploymentRef, Quantity, ResourceList, ResourceRequirements};

/// Give `container` of `deployment` these resources (runbook: `mcp-typescript-api`
/// requests 500m / 1Gi, limits 2000m / 4Gi).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VerticalTarget {
    /// The deployment.
    pub deployment: DeploymentRef,
    /// The container.
    pub container: ContainerName,
    /// The new resources (validated on construction: no request above its limit).
    pub resources: ResourceRequirements,
}

/// What happened to one vertical target.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VerticalResult {
    /// The deployment.
    pub deployment: DeploymentRef,
    /// The container.
    pub container: ContainerName,
    /// Resources before.
    pub from: ResourceRequirements,
    /// Resources after.
    pub to: ResourceRequirements,
    /// What the vertical recommender says (`kubectl describe vpa`).
    pub recommendation: Recommendation,
    /// How it went.
    pub outcome: ChangeOutcome,
}

fn patch_command(t: &VerticalTarget) -> String {
    let list = |l: &ResourceList| {
        let mut f = Vec::new();
        if let Some(c) = &l.cpu {
            f.push(format!("\"cpu\":\"{c}\""));
        }
        if let Some(m) = &l.memory {
            f.push(format!("\"memory\":\"{m}\""));
        }
        f.join(",")
    };
    format!(
        "kubectl patch deployment {} -n {} --patch='{{\"spec\":{{\"template\":{{\"spec\":{{\"containers\":[{{\"name\":\"{}\",\"resources\":{{\"requests\":{{{}}},\"limits\":{{{}}}}}}}]}}}}}}}}'",
        t.deployment.name,
        t.deployment.namespace,
        t.container,
        list(t.resources.requests()),
        list(t.resources.limits())
    )
}

fn largest(
    nodes: &[NodeCapacity],
    pick: fn(&ResourceList) -> Option<&Quantity>,
) -> Option<Quantity> {
    nodes
        .iter()
        .filter_map(|n| pick(&n.allocatable).copied())
        .max()
}

/// Reads each target's current resources and recommendations, and checks that each new
/// request fits on the largest node (a request no node can hold leaves the pods Pending).
/// Returns the decisions, the violations and warnings. Changes nothing.
///
/// # Errors
/// Read errors.
pub(crate) async fn decide(
    ctx: &Context,
    scaler: &dyn Scaler,
    targets: &[VerticalTarget],
    nodes: &[NodeCapacity],
) -> Result<(Vec<VerticalResult>, Vec<String>, Vec<String>)> {
    let mut out = Vec::new();
    let mut violations = Vec::new();
    let mut warnings = Vec::new();
    let cpu_max = largest(nodes, |l| l.cpu.as_ref());
    let mem_max = largest(nodes, |l| l.memory.as_ref());
    for t in targets {
        let d = &t.deployment;
        let from = ctx
            .step("read resources", format!("{}/{}", d.qualified(), t.container))
            .command(format!("kubectl get deployment {} -n {} -o jsonpath='{{.spec.template.spec.containers[?(@.name==\"{}\")].resources}}'", d.name, d.namespace, t.container))
            .read(|| scaler.resources(d, &t.container), describe)
            .await?;
        let recommendation = ctx
            .step("check VPA recommendations", d.qualified())
            .command(format!(
                "kubectl describe vpa {}-vpa -n {}",
                d.name, d.namespace
            ))
            .read(
                || scaler.recommendations(d),
                |r| match r {
                    Recommendation::Available { containers } => {
                        format!("{} containers", containers.len())
                    }
                    Recommendation::NotAvailable { why } => format!("none: {why}"),
                },
            )
            .await?;
        let req = t.resources.requests();
        for (what, want, max) in [("cpu", req.cpu, cpu_max), ("memory", req.memory, mem_max)] {
            if let (Some(want), Some(max)) = (want, max)
                && want > max
            {
                violations.push(format!(
                        "{}/{}: {what} request {want} exceeds the largest node's allocatable {max}; its pods could not be scheduled",
                        d.qualified(),
                        t.container
                    ));
            }
        }
        if let Recommendation::Available { containers } = &recommendation
            && let Some(c) = containers.iter().find(|c| c.container == t.container)
        {
            for (what, want, low, high) in [
                ("cpu", req.cpu, c.lower_bound.cpu, c.upper_bound.cpu),
                (
                    "memory",
                    req.memory,
                    c.lower_bound.memory,
                    c.upper_bound.memory,
                ),
            ] {
                let w = match (want, low, high) {
                    (Some(w), Some(l), _) if w < l => {
                        Some(format!("below the VPA lower bound {l}"))
                    }
                    (Some(w), _, Some(h)) if w > h => {
                        Some(format!("above the VPA upper bound {h}"))
                    }
                    _ => None,
                };
                if let (Some(why), Some(w)) = (w, want) {
                    let text = format!(
                        "{}/{}: {what} request {w} is {why}",
                        d.qualified(),
                        t.container
                    );
                    ctx.note("VPA comparison", d.qualified(), text.clone());
                    warnings.push(text);
                }
            }
        }
        let outcome = ChangeOutcome::NothingToDo;
        out.push(VerticalResult {
            deployment: d.clone(),
            container: t.container.clone(),
            from,
            to: t.resources.clone(),
            recommendation,
            outcome,
        });
    }
    Ok((out, violations, warnings))
}

fn describe(r: &ResourceRequirements) -> String {
    let l = |l: &ResourceList| {
        format!(
            "cpu {} memory {}",
            l.cpu.map(|q| q.to_string()).unwrap_or_else(|| "-".into()),
            l.memory
                .map(|q| q.to_string())
                .unwrap_or_else(|| "-".into())
        )
    };
    format!("requests {}; limits {}", l(r.requests()), l(r.limits()))
}

/// Applies the new resources where they differ; a failure stays on its target.
pub(crate) async fn apply(
    ctx: &Context,
    scaler: &dyn Scaler,
    targets: &[VerticalTarget],
    results: &mut [VerticalResult],
) {
    let intent = ctx.intent();
    for (t, r) in targets.iter().zip(results.iter_mut()) {
        if r.from == r.to {
            continue;
        }
        let done = ctx
            .step(
                "set resources",
                format!("{}/{}", t.deployment.qualified(), t.container),
            )
            .action(describe(&t.resources))
            .command(patch_command(t))
            .act(
                || scaler.set_resources(&t.deployment, &t.container, &t.resources, intent),
                |c| format!("{} → {}", describe(&c.from), describe(&c.to)),
            )
            .await
            .map(|o| o.is_some());
        r.outcome = ChangeOutcome::from_act(done);
    }
}
