//! The runbook's *Resolution* for "Critical System Down (P0)", as rules:
//! - a deployment changed within the recent-deployment window and degraded → roll it back;
//! - resource exhaustion (memory use / limit at the policy's warning ratio, node requests
//!   at the input's ratio, an autoscaler at its max) → scale;
//! - otherwise, when something is wrong (or nodes are not Ready) → escalate to the
//!   infrastructure team.

use std::time::Duration;

use super::deployments::DeploymentDiagnosis;
use super::probe::{Probed, proportional};
use super::{Check, Evidence, Finding, ScaleTarget, Suggestion, TriageInput};
use crate::health::{HealthReport, HealthStatus};
use crate::runbook::commands;
use crate::runbook::context::Context;
use crate::scale::{NodeCapacity, ResourceUsage};
use crate::types::{Namespace, Replicas, Severity};

const CAPACITY_CMD: &str = "kubectl describe nodes | grep -A 5 \"Allocated resources\"";

fn node_ratio(n: &NodeCapacity) -> Option<f64> {
    match (n.cpu_requested_ratio(), n.memory_requested_ratio()) {
        (Some(a), Some(b)) => Some(a.max(b)),
        (a, b) => a.or(b),
    }
}

/// The node-capacity finding: nodes whose requests reach `ratio` are exhausted.
pub(super) fn capacity_finding(
    capacity: &Probed<Vec<NodeCapacity>>,
    ratio: f64,
    budget: Duration,
) -> Finding {
    let Probed::Done(nodes) = capacity else {
        return Finding::new(
            Check::NodeCapacity,
            "nodes",
            HealthStatus::Unknown,
            capacity.why_not(budget),
            CAPACITY_CMD,
        );
    };
    let evidence: Vec<Evidence> = nodes
        .iter()
        .map(|n| {
            let r = node_ratio(n)
                .map_or_else(|| "unknown".to_owned(), |r| format!("{:.0} %", r * 100.0));
            Evidence::new(
                format!("node/{}", n.node),
                format!("{r} of allocatable requested, {} pods", n.pods),
            )
        })
        .collect();
    let hot = nodes
        .iter()
        .filter(|n| node_ratio(n).is_some_and(|r| r >= ratio))
        .count();
    let status = if hot > 0 {
        HealthStatus::Degraded
    } else {
        HealthStatus::Healthy
    };
    Finding::new(
        Check::NodeCapacity,
        "nodes",
        status,
        format!(
            "{hot} of {} nodes have {:.0} % or more of their resources requested",
            nodes.len(),
            ratio * 100.0
        ),
        CAPACITY_CMD,
    )
    .with_evidence(evidence)
}

/// The pod-usage finding: pods whose memory use reaches `warning` of their limit.
pub(super) fn usage_finding(
    usage: &Probed<Vec<ResourceUsage>>,
    ns: &Namespace,
    warning: f64,
    budget: Duration,
) -> Finding {
    let cmd = commands::top_pods(ns);
    let Probed::Done(pods) = usage else {
        return Finding::new(
            Check::PodUsage,
            ns.as_str(),
            HealthStatus::Unknown,
            usage.why_not(budget),
            cmd,
        );
    };
    let hot: Vec<Evidence> = pods
        .iter()
        .filter_map(|u| {
            let r = u.memory.ratio(u.memory_limit.as_ref()?)?;
            (r >= warning).then(|| {
                Evidence::new(
                    &u.object,
                    format!("memory {} = {:.0} % of its limit", u.memory, r * 100.0),
                )
            })
        })
        .collect();
    let status = if hot.is_empty() {
        HealthStatus::Healthy
    } else {
        HealthStatus::Degraded
    };
    Finding::new(
        Check::PodUsage,
        ns.as_str(),
        status,
        format!(
            "{} of {} pods use {:.0} % or more of their memory limit",
            hot.len(),
            pods.len(),
            warning * 100.0
        ),
        cmd,
    )
    .with_evidence(hot)
}

/// What the rules look at.
pub(super) struct Inputs<'a> {
    pub ctx: &'a Context,
    pub input: &'a TriageInput,
    pub deployments: &'a [DeploymentDiagnosis],
    pub capacity: Option<&'a [NodeCapacity]>,
    pub nodes: Option<&'a HealthReport>,
    pub severity: Option<Severity>,
    pub findings: &'a [Finding],
}

fn raise_max(d: &DeploymentDiagnosis, cap: u32, why: String) -> Option<Suggestion> {
    let a = d.autoscaler.as_ref()?;
    let from = a.max.get();
    let to = Replicas::new(proportional(from, 2.0, 1.0, cap)?).ok()?;
    Some(Suggestion::Scale {
        command: commands::patch_hpa(&d.deployment.namespace, a.name.as_str(), None, Some(to)),
        target: ScaleTarget::AutoscalerMax {
            deployment: d.deployment.clone(),
            autoscaler: a.name.clone(),
            from: a.max,
            to,
        },
        why,
    })
}

fn scale_pods(
    d: &DeploymentDiagnosis,
    ratio: f64,
    warning: f64,
    cap: u32,
    why: String,
) -> Option<Suggestion> {
    let from = Replicas::new(d.desired).ok()?;
    let to = Replicas::new(proportional(d.desired, ratio, warning, cap)?).ok()?;
    Some(Suggestion::Scale {
        command: commands::scale(&d.deployment, to),
        target: ScaleTarget::Replicas {
            deployment: d.deployment.clone(),
            from,
            to,
        },
        why,
    })
}

/// The suggestions, most specific first: rollbacks, then scaling, then escalation.
pub(super) fn suggest(i: &Inputs<'_>) -> Vec<Suggestion> {
    let policy = i.ctx.policy();
    let window = i.input.recent_deployment_window;
    let mut out = Vec::new();
    for d in i
        .deployments
        .iter()
        .filter(|d| d.recently_changed && !d.degraded.is_empty())
    {
        let why = format!(
            "deployed within the last {} min and degraded: {}",
            window.as_secs() / 60,
            d.degraded.join("; ")
        );
        match d.previous_revision {
            Some(to) => out.push(Suggestion::RollBack {
                deployment: d.deployment.clone(),
                from: d.revision,
                to,
                command: commands::rollout_undo(&d.deployment, Some(to)),
                why,
            }),
            None => i.ctx.note(
                "no rollback",
                d.deployment.qualified(),
                format!("{why}; but there is no earlier revision"),
            ),
        }
    }
    let cap = policy.max_replicas;
    let warning = policy.memory_ratio_warning;
    for d in i.deployments {
        let at_max = d
            .autoscaler
            .as_ref()
            .is_some_and(crate::scale::AutoscalerStatus::at_max);
        let memory = d.memory_ratio.filter(|m| *m >= warning);
        let suggestion = match (memory, &d.autoscaler) {
            (Some(m), None) => scale_pods(
                d,
                m,
                warning,
                cap,
                format!(
                    "memory use at {:.0} % of the limit (warning at {:.0} %)",
                    m * 100.0,
                    warning * 100.0
                ),
            ),
            (_, Some(a)) if at_max => raise_max(
                d,
                cap,
                format!(
                    "autoscaler {} wants {} and is at its max {}",
                    a.name, a.desired, a.max
                ),
            ),
            (Some(m), Some(a)) => {
                i.ctx.note(
                    "no scale",
                    d.deployment.qualified(),
                    format!(
                        "memory at {:.0} % but autoscaler {} still has room up to {}",
                        m * 100.0,
                        a.name,
                        a.max
                    ),
                );
                None
            }
            _ => None,
        };
        match suggestion {
            Some(s) => out.push(s),
            None if at_max || memory.is_some() => i.ctx.note(
                "no scale",
                d.deployment.qualified(),
                format!("exhausted but already at the policy's max of {cap} replicas"),
            ),
            None => {}
        }
    }
    if let Some(nodes) = i.capacity {
        let hot = nodes
            .iter()
            .filter(|n| node_ratio(n).is_some_and(|r| r >= i.input.node_requests_ratio))
            .count();
        if hot > 0 {
            let from = u32::try_from(nodes.len()).unwrap_or(u32::MAX);
            let to = from.saturating_add(u32::try_from(hot).unwrap_or(u32::MAX));
            let g = &i.input.node_group;
            out.push(Suggestion::Scale {
                target: ScaleTarget::Nodes { from, to },
                why: format!(
                    "{hot} of {from} nodes have {:.0} % or more of their resources requested",
                    i.input.node_requests_ratio * 100.0
                ),
                command: format!(
                    "eksctl scale nodegroup --cluster={} --name={} --nodes={to}",
                    g.cluster, g.name
                ),
            });
        }
    }
    let nodes_down: Vec<&str> = i
        .nodes
        .map(|r| {
            r.details
                .iter()
                .filter(|d| d.object.starts_with("node/") && d.status == HealthStatus::Unhealthy)
                .map(|d| d.object.as_str())
                .collect()
        })
        .unwrap_or_default();
    let wrong = i.severity.is_some()
        || i.findings
            .iter()
            .any(|f| matches!(f.status, HealthStatus::Unhealthy | HealthStatus::Degraded));
    if !nodes_down.is_empty() {
        out.push(Suggestion::EscalateInfrastructure {
            why: format!("nodes not Ready: {}", nodes_down.join(", ")),
        });
    } else if out.is_empty() && wrong {
        let worst: Vec<String> = i
            .findings
            .iter()
            .filter(|f| f.status == HealthStatus::Unhealthy)
            .map(|f| format!("{}: {}", f.target, f.summary))
            .collect();
        out.push(Suggestion::EscalateInfrastructure {
            why: if worst.is_empty() {
                "degraded without a recent deployment or resource exhaustion to explain it"
                    .to_owned()
            } else {
                format!(
                    "no recent deployment or resource exhaustion explains: {}",
                    worst.join("; ")
                )
            },
        });
    }
    out
}
