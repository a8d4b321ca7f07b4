//! `Deployer` on the mock cluster.

use std::time::Duration;

use async_trait::async_trait;

use super::{MockCluster, container_mut, find, find_mut, pod_failure, rollout_at};
use crate::deploy::{
    Deployer, DeploymentSummary, ImageChange, PodHealth, RestartReport, RevisionInfo,
    RolloutStatus, SwitchReport, TrafficSwitch, UndoOutcome, UndoReport,
};
use crate::error::{Error, Result};
use crate::types::{ContainerName, DeploymentRef, ImageRef, Intent, Namespace, Revision};

/// kubectl's refusal to restart a paused deployment, as the [`Deployer::restart`] docs state.
fn restart_paused(deployment: &DeploymentRef) -> Error {
    Error::policy(
        "paused-deployment",
        format!("can't restart paused deployment {deployment} (run rollout resume first)"),
    )
}

impl MockCluster {
    fn summary(&self, d: &super::state::DeploymentState) -> DeploymentSummary {
        let s = self.lock();
        let (_, counts) = rollout_at(&s, d, &self.behaviour, self.now());
        let current = d.current_revision();
        DeploymentSummary {
            deployment: d.reference.clone(),
            desired: d.replicas,
            ready: counts.ready,
            available: counts.available,
            updated: counts.updated,
            revision: current.and_then(|r| Revision::new(r.revision).ok()),
            images: d.images(),
            paused: d.paused,
            updated_at: current.map(|r| r.created),
        }
    }
}

#[async_trait]
impl Deployer for MockCluster {
    fn backend(&self) -> &'static str {
        "mock-cluster"
    }

    async fn deployments(&self, namespace: &Namespace) -> Result<Vec<DeploymentSummary>> {
        self.faults.read("deployments", namespace.as_str()).await?;
        let list: Vec<_> = {
            let s = self.lock();
            s.deployments
                .values()
                .filter(|d| &d.reference.namespace == namespace)
                .cloned()
                .collect()
        };
        Ok(list.iter().map(|d| self.summary(d)).collect())
    }

    async fn deployment(&self, deployment: &DeploymentRef) -> Result<DeploymentSummary> {
        self.faults
            .read("deployment", deployment.qualified())
            .await?;
        let d = find(&self.lock(), deployment)?.clone();
        Ok(self.summary(&d))
    }

    async fn set_image(
        &self,
        deployment: &DeploymentRef,
        container: &ContainerName,
        image: &ImageRef,
        intent: &Intent,
    ) -> Result<ImageChange> {
        self.faults
            .write("set_image", deployment.qualified(), intent.is_dry_run())
            .await?;
        let now = self.now();
        let mut s = self.lock();
        let d = find_mut(&mut s, deployment)?;
        let spec = container_mut(d, container)?;
        let from = spec.image.clone();
        let changed = &from != image;
        if changed && !intent.is_dry_run() {
            spec.image = image.clone();
            d.record_revision(Some(intent.change_cause()), now);
            d.bump(now);
        }
        Ok(ImageChange {
            deployment: deployment.clone(),
            container: container.clone(),
            from,
            to: image.clone(),
            changed,
            dry_run: intent.is_dry_run(),
        })
    }

    async fn rollout_status(&self, deployment: &DeploymentRef) -> Result<RolloutStatus> {
        self.faults
            .read("rollout_status", deployment.qualified())
            .await?;
        let s = self.lock();
        let d = find(&s, deployment)?;
        Ok(rollout_at(&s, d, &self.behaviour, self.now()).0)
    }

    async fn pod_health(&self, deployment: &DeploymentRef) -> Result<PodHealth> {
        self.faults
            .read("pod_health", deployment.qualified())
            .await?;
        let now = self.now();
        let s = self.lock();
        let d = find(&s, deployment)?;
        let (_, counts) = rollout_at(&s, d, &self.behaviour, now);
        // Pods of a failing image (marked bad or crashing, also after its rollout completed)
        // are not ready, and crashing ones restart once per controller step since the rollout
        // started, as a kubelet's back-off would count them.
        Ok(match pod_failure(&s, d) {
            Some(reason) => {
                let step = self.behaviour.step.max(Duration::from_millis(1));
                let elapsed = crate::clock::elapsed_between(d.rollout.started, now);
                let restarts = if reason == "CrashLoopBackOff" {
                    u64::try_from(elapsed.as_millis() / step.as_millis()).unwrap_or(u64::MAX)
                } else {
                    0
                };
                PodHealth {
                    desired: d.replicas,
                    ready: 0,
                    unavailable: d.replicas,
                    restarts,
                    not_ready: (0..d.replicas.min(10))
                        .map(|i| format!("{}-{i}: {reason}", d.reference.name))
                        .collect(),
                }
            }
            None => PodHealth {
                desired: d.replicas,
                ready: counts.ready,
                unavailable: d.replicas.saturating_sub(counts.available),
                restarts: 0,
                not_ready: Vec::new(),
            },
        })
    }

    async fn wait_for_rollout(
        &self,
        deployment: &DeploymentRef,
        timeout: Duration,
    ) -> Result<RolloutStatus> {
        self.faults
            .read("wait_for_rollout", deployment.qualified())
            .await?;
        // A timeout too large for an `Instant` waits without a deadline.
        let deadline = tokio::time::Instant::now().checked_add(timeout);
        loop {
            let status = {
                let s = self.lock();
                let d = find(&s, deployment)?;
                rollout_at(&s, d, &self.behaviour, self.now()).0
            };
            if status.is_terminal() {
                return Ok(status);
            }
            let now = tokio::time::Instant::now();
            if deadline.is_some_and(|d| now >= d) {
                return Err(Error::timeout(
                    format!("rollout of {}", deployment.qualified()),
                    timeout,
                ));
            }
            let left = deadline.map_or(Duration::MAX, |d| d.saturating_duration_since(now));
            let wait = self.behaviour.poll_interval.min(left);
            self.clock.sleep(wait).await;
        }
    }

    async fn history(&self, deployment: &DeploymentRef) -> Result<Vec<RevisionInfo>> {
        self.faults.read("history", deployment.qualified()).await?;
        let s = self.lock();
        let d = find(&s, deployment)?;
        d.revisions
            .iter()
            .map(|r| {
                Ok(RevisionInfo {
                    revision: Revision::new(r.revision)?,
                    images: r
                        .template
                        .containers
                        .iter()
                        .map(|(n, c)| (n.clone(), c.image.clone()))
                        .collect(),
                    change_cause: r.change_cause.clone(),
                    created: Some(r.created),
                })
            })
            .collect()
    }

    async fn undo(
        &self,
        deployment: &DeploymentRef,
        to: Option<Revision>,
        intent: &Intent,
    ) -> Result<UndoReport> {
        self.faults
            .write("undo", deployment.qualified(), intent.is_dry_run())
            .await?;
        let now = self.now();
        let mut s = self.lock();
        let d = find_mut(&mut s, deployment)?;
        let report = |outcome| UndoReport {
            deployment: deployment.clone(),
            outcome,
            dry_run: intent.is_dry_run(),
        };
        // kubectl looks the target revision up before it checks for a pause.
        let mut numbers: Vec<u64> = d.revisions.iter().map(|r| r.revision).collect();
        numbers.sort_unstable();
        let target = match to {
            Some(rev) => {
                if !numbers.contains(&rev.get()) {
                    return Err(Error::not_found(
                        "revision",
                        format!("{} revision {rev}", deployment.qualified()),
                    ));
                }
                rev.get()
            }
            None => match numbers.len().checked_sub(2).and_then(|i| numbers.get(i)) {
                Some(n) => *n,
                None => return Ok(report(UndoOutcome::NoHistory)),
            },
        };
        if d.paused {
            return Ok(report(UndoOutcome::Paused));
        }
        let template = d
            .revisions
            .iter()
            .find(|r| r.revision == target)
            .map(|r| (r.template.clone(), r.change_cause.clone()))
            .ok_or_else(|| Error::not_found("revision", format!("{target}")))?;
        let target_rev = Revision::new(target)?;
        if template.0 == d.template {
            return Ok(report(UndoOutcome::Skipped {
                already_at: target_rev,
            }));
        }
        let from = d
            .current_revision()
            .map(|r| r.revision)
            .unwrap_or_else(|| d.max_revision());
        let from = Revision::new(from)?;
        if !intent.is_dry_run() {
            d.template = template.0;
            d.record_revision(template.1, now);
            d.bump(now);
        }
        Ok(report(UndoOutcome::RolledBack {
            from,
            to: target_rev,
        }))
    }

    async fn restart(&self, deployment: &DeploymentRef, intent: &Intent) -> Result<RestartReport> {
        self.faults
            .write("restart", deployment.qualified(), intent.is_dry_run())
            .await?;
        let now = self.now();
        let mut s = self.lock();
        let d = find_mut(&mut s, deployment)?;
        if d.paused {
            return Err(restart_paused(deployment));
        }
        if !intent.is_dry_run() {
            d.template.restarted_at = Some(now);
            d.record_revision(Some(intent.change_cause()), now);
            d.bump(now);
        }
        Ok(RestartReport {
            deployment: deployment.clone(),
            restarted_at: now,
            dry_run: intent.is_dry_run(),
        })
    }

    async fn set_paused(
        &self,
        deployment: &DeploymentRef,
        paused: bool,
        intent: &Intent,
    ) -> Result<()> {
        self.faults
            .write("set_paused", deployment.qualified(), intent.is_dry_run())
            .await?;
        let now = self.now();
        let mut s = self.lock();
        let d = find_mut(&mut s, deployment)?;
        if !intent.is_dry_run() {
            d.set_paused(paused, now);
        }
        Ok(())
    }

    async fn switch_traffic(
        &self,
        switch: &TrafficSwitch,
        intent: &Intent,
    ) -> Result<SwitchReport> {
        let target = format!("{}/{}", switch.namespace, switch.service);
        self.faults
            .write("switch_traffic", target.clone(), intent.is_dry_run())
            .await?;
        let now = self.now();
        let mut s = self.lock();
        let svc_key = (
            switch.namespace.as_str().to_owned(),
            switch.service.as_str().to_owned(),
        );
        let selector = s
            .services
            .get(&svc_key)
            .map(|svc| svc.selector.clone())
            .ok_or_else(|| Error::not_found("service", target.clone()))?;
        if selector.get(&switch.label) != Some(&switch.from) {
            return Err(Error::conflict(
                target,
                format!(
                    "the selector does not have {}={}",
                    switch.label, switch.from
                ),
            ));
        }
        let mut wanted = selector.clone();
        wanted.insert(switch.label.clone(), switch.to.clone());
        let ready: u32 = s
            .deployments
            .values()
            .filter(|d| d.reference.namespace == switch.namespace)
            .filter(|d| wanted.iter().all(|(k, v)| d.labels.get(k) == Some(v)))
            .map(|d| {
                let (status, counts) = rollout_at(&s, d, &self.behaviour, now);
                if matches!(status, RolloutStatus::Failed { .. }) {
                    0
                } else {
                    counts.ready
                }
            })
            .sum();
        if ready == 0 {
            return Err(Error::conflict(
                target,
                format!("no ready pods have {}={}", switch.label, switch.to),
            ));
        }
        if !intent.is_dry_run()
            && let Some(svc) = s.services.get_mut(&svc_key)
        {
            svc.selector = wanted;
        }
        Ok(SwitchReport {
            switch: switch.clone(),
            ready_endpoints: ready,
            dry_run: intent.is_dry_run(),
        })
    }
}
