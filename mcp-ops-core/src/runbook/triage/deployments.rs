//! Triage's per-deployment probes (rollout status, history, autoscaler, error rate, p95,
//! memory) and what they say about each deployment.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use super::probe::{Probed, Prober, metric_target, promql};
use super::{TriageBackends, TriageInput};
use crate::deploy::{DeploymentSummary, RevisionInfo, RolloutStatus};
use crate::health::{HealthReport, MetricKind};
use crate::runbook::commands;
use crate::scale::AutoscalerStatus;
use crate::types::{DeploymentRef, ResourceName, Revision};

/// What triage learned about one deployment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeploymentDiagnosis {
    /// Which deployment.
    pub deployment: DeploymentRef,
    /// Desired replicas.
    pub desired: u32,
    /// Available replicas.
    pub available: u32,
    /// The revision it runs, when known.
    pub revision: Option<Revision>,
    /// The revision before it (where a rollback would go), when there is one.
    pub previous_revision: Option<Revision>,
    /// When the current revision was created.
    pub updated_at: Option<Timestamp>,
    /// Whether that is within the recent-deployment window.
    pub recently_changed: bool,
    /// The change-cause of the current revision.
    pub change_cause: Option<String>,
    /// Its autoscaler, if any.
    pub autoscaler: Option<AutoscalerStatus>,
    /// Error rate (ratio), when measured.
    pub error_rate: Option<f64>,
    /// p95 latency in seconds, when measured.
    pub p95_seconds: Option<f64>,
    /// The highest memory use / limit of its pods (metrics or `kubectl top`), when known.
    pub memory_ratio: Option<f64>,
    /// Why it counts as degraded; empty when it does not.
    pub degraded: Vec<String>,
}

/// The six probes of one deployment.
pub(super) struct Probes {
    pub(super) summary: DeploymentSummary,
    pub(super) rollout: Probed<RolloutStatus>,
    pub(super) history: Probed<Vec<RevisionInfo>>,
    pub(super) autoscaler: Probed<Option<AutoscalerStatus>>,
    pub(super) error_rate: HealthReport,
    pub(super) p95: HealthReport,
    pub(super) memory: HealthReport,
}

/// Everything the deployment probes returned.
pub(super) struct AllProbes {
    pub(super) listing: Probed<()>,
    pub(super) per: Vec<Probes>,
    pub(super) missing: Vec<ResourceName>,
}

async fn probe_one(
    prober: &Prober<'_>,
    backends: &TriageBackends<'_>,
    summary: DeploymentSummary,
) -> Probes {
    let d = &summary.deployment;
    let target = d.qualified();
    let name = d.name.as_str();
    let policy = prober.ctx().policy();
    let rollout = async {
        match backends.deployer {
            Some(b) => {
                let cmd = format!(
                    "kubectl rollout status deployment/{} -n {} --watch=false",
                    d.name, d.namespace
                );
                prober
                    .read(
                        "check rollout",
                        &target,
                        &cmd,
                        || b.rollout_status(d),
                        |s| s.to_string(),
                    )
                    .await
            }
            None => prober.missing("check rollout", &target),
        }
    };
    let history = async {
        match backends.deployer {
            Some(b) => {
                let cmd = commands::rollout_history(d);
                prober
                    .read(
                        "check rollout history",
                        &target,
                        &cmd,
                        || b.history(d),
                        |h: &Vec<RevisionInfo>| format!("{} revisions", h.len()),
                    )
                    .await
            }
            None => prober.missing("check rollout history", &target),
        }
    };
    let autoscaler = prober.autoscaler(backends.scaler, d);
    let metric = |kind: MetricKind, step: &'static str| {
        let t = metric_target(policy, name, kind);
        let cmd = promql(name, kind);
        async move { prober.health(backends.metrics, step, t, &cmd).await }
    };
    let (rollout, history, autoscaler, error_rate, p95, memory) = tokio::join!(
        rollout,
        history,
        autoscaler,
        metric(MetricKind::ErrorRate, "check error rate"),
        metric(MetricKind::P95Latency, "check p95 latency"),
        metric(MetricKind::MemoryRatio, "check memory"),
    );
    Probes {
        summary,
        rollout,
        history,
        autoscaler,
        error_rate,
        p95,
        memory,
    }
}

/// Lists the deployments, then probes each of them concurrently.
pub(super) async fn probe_all(
    prober: &Prober<'_>,
    backends: &TriageBackends<'_>,
    input: &TriageInput,
) -> AllProbes {
    let ns = &input.namespace;
    let listing = match backends.deployer {
        Some(b) => {
            let cmd = commands::get("deployments", ns);
            prober
                .read(
                    "list deployments",
                    ns.as_str(),
                    &cmd,
                    || b.deployments(ns),
                    |v: &Vec<DeploymentSummary>| format!("{} deployments", v.len()),
                )
                .await
        }
        None => prober.missing("list deployments", ns.as_str()),
    };
    let list = match listing {
        Probed::Done(list) => list,
        Probed::Failed(why) => {
            return AllProbes {
                listing: Probed::Failed(why),
                per: Vec::new(),
                missing: Vec::new(),
            };
        }
        Probed::Deadline => {
            return AllProbes {
                listing: Probed::Deadline,
                per: Vec::new(),
                missing: Vec::new(),
            };
        }
    };
    let wanted = |s: &DeploymentSummary| {
        input.deployments.is_empty() || input.deployments.contains(&s.deployment.name)
    };
    let missing = input
        .deployments
        .iter()
        .filter(|n| !list.iter().any(|s| &s.deployment.name == *n))
        .cloned()
        .collect();
    let per = futures::future::join_all(
        list.into_iter()
            .filter(wanted)
            .map(|s| probe_one(prober, backends, s)),
    )
    .await;
    AllProbes {
        listing: Probed::Done(()),
        per,
        missing,
    }
}
