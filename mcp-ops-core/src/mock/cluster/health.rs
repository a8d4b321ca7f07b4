//! `HealthCheck` on the mock cluster: cluster scopes and HTTP endpoints.

use async_trait::async_trait;

use super::state::ClusterState;
use super::{MockCluster, pod_failure, pod_labels, rollout_at};
use crate::deploy::RolloutStatus;
use crate::error::{Error, Result};
use crate::health::{
    ClusterResource, ClusterScope, HealthCheck, HealthDetail, HealthReport, HealthStatus,
    HealthTarget, HttpProbe, ObservedValue, TargetKind,
};

impl MockCluster {
    fn cluster_details(&self, s: &ClusterState, scope: &ClusterScope) -> Vec<HealthDetail> {
        let now = self.now();
        let mut details = Vec::new();
        if scope.includes(ClusterResource::Nodes) {
            for n in &s.nodes {
                details.push(HealthDetail {
                    object: format!("node/{}", n.name),
                    status: if n.ready {
                        HealthStatus::Healthy
                    } else {
                        HealthStatus::Unhealthy
                    },
                    reason: if n.ready { "Ready" } else { "NotReady" }.to_owned(),
                });
            }
        }
        let in_ns = s
            .deployments
            .values()
            .filter(|d| d.reference.namespace == scope.namespace);
        for d in in_ns {
            let (status, counts) = rollout_at(s, d, &self.behaviour, now);
            if scope.includes(ClusterResource::Deployments) {
                let (st, reason) = match &status {
                    RolloutStatus::Failed { reason } => {
                        (HealthStatus::Degraded, format!("rollout failed: {reason}"))
                    }
                    _ if counts.available < d.replicas => (
                        HealthStatus::Degraded,
                        format!("{}/{} available", counts.available, d.replicas),
                    ),
                    _ => (
                        HealthStatus::Healthy,
                        format!("{}/{} available", counts.available, d.replicas),
                    ),
                };
                details.push(HealthDetail {
                    object: format!("deployment/{}", d.reference.name),
                    status: st,
                    reason,
                });
            }
            if scope.includes(ClusterResource::Pods)
                && counts.updated > 0
                && let Some(why) = pod_failure(s, d)
            {
                details.push(HealthDetail {
                    object: format!("pod/{}-new-0", d.reference.name),
                    status: HealthStatus::Unhealthy,
                    reason: why.to_owned(),
                });
            }
        }
        if scope.includes(ClusterResource::Services) {
            for ((ns, name), svc) in &s.services {
                if ns != scope.namespace.as_str() {
                    continue;
                }
                let ready: u32 = s
                    .deployments
                    .values()
                    .filter(|d| d.reference.namespace == scope.namespace)
                    .filter(|d| {
                        let labels = pod_labels(d);
                        svc.selector.iter().all(|(k, v)| labels.get(k) == Some(v))
                    })
                    .map(|d| rollout_at(s, d, &self.behaviour, now).1.ready)
                    .sum();
                details.push(HealthDetail {
                    object: format!("service/{name}"),
                    status: if ready > 0 {
                        HealthStatus::Healthy
                    } else {
                        HealthStatus::Unhealthy
                    },
                    reason: format!("{ready} ready endpoints"),
                });
            }
        }
        details.sort_by_key(|d| std::cmp::Reverse(d.status));
        details
    }

    fn endpoint_status(
        &self,
        s: &ClusterState,
        probe: &HttpProbe,
    ) -> Option<(u16, std::time::Duration)> {
        let e = s.endpoints.get(&probe.url)?;
        let Some(backing) = &e.backed_by else {
            return Some((e.status, e.latency));
        };
        let Some(d) = s.deployments.get(&super::state::key(backing)) else {
            return Some((503, e.latency));
        };
        let (_, counts) = rollout_at(s, d, &self.behaviour, self.now());
        let erroring = counts.updated > 0
            && d.template
                .containers
                .values()
                .any(|c| s.erroring_images.contains(&c.image.to_string()));
        let code = if counts.ready == 0 {
            503
        } else if erroring {
            500
        } else {
            e.status
        };
        Some((code, e.latency))
    }
}

#[async_trait]
impl HealthCheck for MockCluster {
    fn backend(&self) -> &'static str {
        "mock-cluster"
    }

    fn supports(&self, kind: TargetKind) -> bool {
        matches!(kind, TargetKind::Cluster | TargetKind::Http)
    }

    async fn check(&self, target: &HealthTarget) -> Result<HealthReport> {
        self.faults.read("check", target.label()).await?;
        match target {
            HealthTarget::Cluster(scope) => {
                let details = {
                    let s = self.lock();
                    self.cluster_details(&s, scope)
                };
                let status = details
                    .iter()
                    .map(|d| d.status)
                    .max()
                    .unwrap_or(HealthStatus::Healthy);
                let bad = details
                    .iter()
                    .filter(|d| d.status != HealthStatus::Healthy)
                    .count();
                let mut report = HealthReport::new(
                    target.clone(),
                    status,
                    format!("{bad} of {} objects need attention", details.len()),
                    self.now(),
                )
                .observe("objects", ObservedValue::Count(details.len() as u64))
                .observe("unhealthy_objects", ObservedValue::Count(bad as u64));
                report.details = details;
                Ok(report)
            }
            HealthTarget::Http(probe) => {
                let answer = {
                    let s = self.lock();
                    self.endpoint_status(&s, probe)
                };
                let Some((code, latency)) = answer else {
                    return Ok(HealthReport::new(
                        target.clone(),
                        HealthStatus::Unhealthy,
                        format!("{} unreachable", probe.name),
                        self.now(),
                    ));
                };
                self.clock.sleep(latency).await;
                let status = if code != probe.expected_status {
                    HealthStatus::Unhealthy
                } else if latency > probe.max_latency {
                    HealthStatus::Degraded
                } else {
                    HealthStatus::Healthy
                };
                let mut report = HealthReport::new(
                    target.clone(),
                    status,
                    format!("HTTP {code} in {} ms", latency.as_millis()),
                    self.now(),
                )
                .observe("status_code", ObservedValue::Count(u64::from(code)))
                .observe("latency", ObservedValue::Duration(latency));
                report.latency = latency;
                Ok(report)
            }
            other => Err(Error::Unsupported {
                operation: match other.kind() {
                    TargetKind::Database => "database health",
                    TargetKind::Cache => "cache health",
                    _ => "metric health",
                },
                backend: "mock-cluster",
            }),
        }
    }
}
