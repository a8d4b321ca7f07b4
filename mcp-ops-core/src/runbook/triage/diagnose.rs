//! What triage's probes say about each deployment: findings, degraded reasons, the
//! revision a rollback would go to.

use std::time::Duration;

use super::deployments::{AllProbes, DeploymentDiagnosis};
use super::probe::{
    DEADLINE, Probed, Prober, autoscaler_finding, metric_value, pod_memory_ratios, promql,
};
use super::{Check, Endpoint, Evidence, Finding, TriageInput};
use crate::clock::elapsed_between;
use crate::deploy::RolloutStatus;
use crate::health::{HealthReport, HealthStatus, MetricKind};
use crate::runbook::commands;
use crate::scale::ResourceUsage;

/// What the other checks said, for deciding whether a deployment is degraded.
pub(super) struct Facts<'a> {
    pub pods: Option<&'a HealthReport>,
    pub endpoints: &'a [Endpoint],
    pub endpoint_reports: &'a [HealthReport],
    pub usage: &'a [ResourceUsage],
}

fn unknown(check: Check, target: &str, why: String, command: String) -> Finding {
    Finding::new(check, target, HealthStatus::Unknown, why, command)
}

fn breach(r: &HealthReport) -> bool {
    matches!(r.status, HealthStatus::Unhealthy | HealthStatus::Degraded)
}

/// Findings, diagnoses and the metric reports (for the severity) of every deployment;
/// the flag says whether every probe answered before the deadline.
pub(super) fn diagnose(
    prober: &Prober<'_>,
    all: AllProbes,
    facts: &Facts<'_>,
    input: &TriageInput,
) -> (
    Vec<DeploymentDiagnosis>,
    Vec<Finding>,
    Vec<HealthReport>,
    bool,
) {
    let ctx = prober.ctx();
    let ns = input.namespace.as_str();
    let budget = prober.budget();
    let mut findings = Vec::new();
    let mut complete = !matches!(all.listing, Probed::Deadline);
    let list_cmd = commands::get("deployments", &input.namespace);
    if !matches!(all.listing, Probed::Done(())) {
        findings.push(unknown(
            Check::Deployments,
            ns,
            all.listing.why_not(budget),
            list_cmd.clone(),
        ));
    }
    for m in &all.missing {
        findings.push(Finding::new(
            Check::Deployments,
            format!("{ns}/{m}"),
            HealthStatus::Unhealthy,
            format!("deployment {m} not found in {ns}"),
            list_cmd.clone(),
        ));
    }
    let mut diagnoses = Vec::new();
    let mut metrics = Vec::new();
    for p in all.per {
        let d = p.summary.deployment.clone();
        let target = d.qualified();
        let name = d.name.as_str().to_owned();
        complete &= ![
            &p.rollout.why_not(budget),
            &p.history.why_not(budget),
            &p.autoscaler.why_not(budget),
        ]
        .iter()
        .any(|w| w.starts_with(DEADLINE));
        let mut degraded = Vec::new();

        // Rollout status and availability.
        let rollout_cmd = format!(
            "kubectl rollout status deployment/{} -n {} --watch=false",
            d.name, d.namespace
        );
        let availability = Evidence::new(
            format!("deployment/{name}"),
            format!(
                "{}/{} available, {} updated",
                p.summary.available, p.summary.desired, p.summary.updated
            ),
        );
        if p.summary.available < p.summary.desired {
            degraded.push(format!(
                "{}/{} replicas available",
                p.summary.available, p.summary.desired
            ));
        }
        let rollout_finding = match &p.rollout {
            Probed::Done(s) => {
                let status = match s {
                    RolloutStatus::Failed { reason } => {
                        degraded.push(format!("rollout failed: {reason}"));
                        HealthStatus::Unhealthy
                    }
                    RolloutStatus::Complete { .. } if p.summary.available >= p.summary.desired => {
                        HealthStatus::Healthy
                    }
                    _ => HealthStatus::Degraded,
                };
                Finding::new(Check::Rollout, &target, status, s.to_string(), rollout_cmd)
            }
            other => unknown(Check::Rollout, &target, other.why_not(budget), rollout_cmd),
        };
        findings.push(rollout_finding.with_evidence([availability]));

        // Metrics.
        let error_rate = metric_value(&p.error_rate);
        let p95 = metric_value(&p.p95);
        if breach(&p.error_rate) {
            degraded.push(p.error_rate.message.clone());
        }
        if breach(&p.p95) {
            degraded.push(p.p95.message.clone());
        }
        let warning = ctx.policy().memory_ratio_warning;
        let mut memory_report = p.memory.clone();
        let metric_memory = metric_value(&memory_report);
        if metric_memory.is_some_and(|m| m >= warning)
            && memory_report.status < HealthStatus::Unhealthy
        {
            memory_report.status = HealthStatus::Unhealthy;
        }
        let pod_memory = pod_memory_ratios(facts.usage, &name)
            .map(|(_, r)| r)
            .fold(None, |m: Option<f64>, r| Some(m.map_or(r, |m| m.max(r))));
        let memory_ratio = match (metric_memory, pod_memory) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        };
        for (check, report, kind) in [
            (Check::ErrorRate, &p.error_rate, MetricKind::ErrorRate),
            (Check::Latency, &p.p95, MetricKind::P95Latency),
            (Check::Memory, &memory_report, MetricKind::MemoryRatio),
        ] {
            findings.push(Finding::from_report(
                check,
                &target,
                report,
                promql(&name, kind),
            ));
        }
        metrics.extend([p.error_rate.clone(), p.p95.clone(), memory_report]);

        // Pods and endpoints.
        let prefix = format!("pod/{name}-");
        if let Some(pods) = facts.pods {
            for detail in pods
                .details
                .iter()
                .filter(|x| x.object.starts_with(&prefix) && x.status != HealthStatus::Healthy)
            {
                degraded.push(format!("{}: {}", detail.object, detail.reason));
            }
        }
        for (e, r) in facts.endpoints.iter().zip(facts.endpoint_reports) {
            if e.served_by.iter().any(|n| n.as_str() == name) && r.status == HealthStatus::Unhealthy
            {
                degraded.push(format!("{}: {}", r.target.label(), r.message));
            }
        }

        // History.
        let history_cmd = commands::rollout_history(&d);
        let current = p.summary.revision;
        let now = ctx.now();
        let recently_changed = p
            .summary
            .updated_at
            .is_some_and(|at| elapsed_between(at, now) <= input.recent_deployment_window);
        let (previous_revision, change_cause) = match &p.history {
            Probed::Done(h) => (
                h.iter()
                    .map(|r| r.revision)
                    .filter(|r| current.is_none_or(|c| *r < c))
                    .max(),
                h.iter()
                    .find(|r| Some(r.revision) == current)
                    .and_then(|r| r.change_cause.clone()),
            ),
            _ => (None, None),
        };
        let history_finding = match &p.history {
            Probed::Done(h) => {
                let age = p.summary.updated_at.map(|at| elapsed_between(at, now));
                let summary = match (current, age) {
                    (Some(c), Some(age)) => format!(
                        "revision {c} created {} ago{}",
                        human(age),
                        if recently_changed { " (recent)" } else { "" }
                    ),
                    _ => format!("{} revisions", h.len()),
                };
                let status = if recently_changed && !degraded.is_empty() {
                    HealthStatus::Degraded
                } else {
                    HealthStatus::Healthy
                };
                let evidence = h.iter().rev().take(5).map(|r| {
                    let images: Vec<String> = r.images.values().map(ToString::to_string).collect();
                    Evidence::new(
                        format!("revision {}", r.revision),
                        format!(
                            "{} ({})",
                            images.join(", "),
                            r.change_cause.as_deref().unwrap_or("no change-cause")
                        ),
                    )
                });
                Finding::new(Check::RolloutHistory, &target, status, summary, history_cmd)
                    .with_evidence(evidence)
            }
            other => unknown(
                Check::RolloutHistory,
                &target,
                other.why_not(budget),
                history_cmd,
            ),
        };
        findings.push(history_finding);

        // Autoscaler.
        let autoscaler = p.autoscaler.ok().cloned().flatten();
        findings.push(autoscaler_finding(
            &p.autoscaler,
            &target,
            &d.namespace,
            budget,
        ));

        diagnoses.push(DeploymentDiagnosis {
            deployment: d,
            desired: p.summary.desired,
            available: p.summary.available,
            revision: current,
            previous_revision,
            updated_at: p.summary.updated_at,
            recently_changed,
            change_cause,
            autoscaler,
            error_rate,
            p95_seconds: p95,
            memory_ratio,
            degraded,
        });
    }
    (diagnoses, findings, metrics, complete)
}

/// `3 min`, `2 h 5 min`, `40 s`.
fn human(d: Duration) -> String {
    let s = d.as_secs();
    if s < 60 {
        format!("{s} s")
    } else if s < 3600 {
        format!("{} min", s / 60)
    } else {
        format!("{} h {} min", s / 3600, (s % 3600) / 60)
    }
}
