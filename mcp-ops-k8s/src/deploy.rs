//! [`Deployer`] on [`KubeCluster`]: set image, rollout status by watch, history from owned
//! ReplicaSets, kubectl's undo, restart, pause and the blue-green Service switch.
//!
//! Writes use the verbs kubectl uses (strategic-merge for `set image` and `rollout restart`,
//! json-patch for `rollout undo`, merge for pause and the Service selector); dry runs send
//! the same request with `dryRun=All`, so the server validates what would be applied. The
//! intent's [`change_cause`](mcp_ops_core::Intent::change_cause) is written as
//! `kubernetes.io/change-cause` with every template change (set image, restart); an undo
//! restores the annotations of the revision it goes back to, exactly as kubectl does.
//!
//! Set image, restart, undo and the Service switch decide what to write from what they read
//! (the container order, whether the deployment is paused, the revision list, the current
//! selector), so their patch is sent conditional on the resourceVersion read and, when the
//! object changed meanwhile, read and decided again (see `cluster::rmw`): a concurrent
//! writer's change is never overwritten, and a refusal (paused, wrong colour) still holds when
//! the write lands.

mod changes;
pub mod history;
mod pods;
pub mod status;
pub mod undo;
mod watch;

use std::collections::BTreeMap;
use std::time::Duration;

use async_trait::async_trait;
use k8s_openapi::api::apps::v1::{Deployment, ReplicaSet};
use k8s_openapi::api::core::v1::{Pod, Service};
use kube::api::Patch;
use mcp_ops_core::deploy::{
    DeploymentSummary, ImageChange, PodHealth, RestartReport, RevisionInfo, RolloutStatus,
    SwitchReport, TrafficSwitch, UndoOutcome, UndoReport,
};
use mcp_ops_core::types::{ContainerName, DeploymentRef, ImageRef, Intent, Namespace, Revision};
use mcp_ops_core::{Deployer, Error, Result};
use serde_json::json;

use crate::cluster::{Change, Decision, KubeCluster};
use crate::error::BACKEND;
use history::{owned, revision_info, selector_text, summary};
use undo::UndoPlan;

/// The template annotation `kubectl rollout restart` sets.
pub const RESTARTED_AT: &str = "kubectl.kubernetes.io/restartedAt";

/// Whether a pod is Ready and not terminating.
pub(crate) fn pod_ready(p: &Pod) -> bool {
    p.metadata.deletion_timestamp.is_none()
        && p.status
            .as_ref()
            .and_then(|s| s.conditions.as_ref())
            .is_some_and(|cs| cs.iter().any(|c| c.type_ == "Ready" && c.status == "True"))
}

impl KubeCluster {
    async fn deployment_obj(&self, d: &DeploymentRef) -> Result<Deployment> {
        self.get("deployment", d.namespace.as_str(), d.name.as_str())
            .await
    }

    /// The deployment and its owned ReplicaSets with revisions, oldest first.
    async fn with_history(
        &self,
        d: &DeploymentRef,
    ) -> Result<(Deployment, Vec<(Revision, ReplicaSet)>)> {
        let dep = self.deployment_obj(d).await?;
        let owned = self.history_of(&dep, &d.namespace).await?;
        Ok((dep, owned))
    }

    /// The ReplicaSets `dep` owns, with revisions, oldest first.
    async fn history_of(
        &self,
        dep: &Deployment,
        ns: &Namespace,
    ) -> Result<Vec<(Revision, ReplicaSet)>> {
        let selector = dep
            .spec
            .as_ref()
            .map(|s| selector_text(&s.selector))
            .unwrap_or_default();
        let rss: Vec<ReplicaSet> = self
            .list("replicaset", Some(ns.as_str()), Some(&selector))
            .await?;
        Ok(owned(dep, rss))
    }

    fn now_stamp() -> (jiff::Timestamp, String) {
        let now = jiff::Timestamp::now();
        let secs = jiff::Timestamp::from_second(now.as_second()).unwrap_or(now);
        (secs, secs.strftime("%Y-%m-%dT%H:%M:%SZ").to_string())
    }
}

#[async_trait]
impl Deployer for KubeCluster {
    fn backend(&self) -> &'static str {
        BACKEND
    }

    async fn deployments(&self, namespace: &Namespace) -> Result<Vec<DeploymentSummary>> {
        let ns = namespace.as_str();
        let deps: Vec<Deployment> = self.list("deployment", Some(ns), None).await?;
        let rss: Vec<ReplicaSet> = self.list("replicaset", Some(ns), None).await?;
        let mut out = Vec::with_capacity(deps.len());
        for d in &deps {
            let name = d.metadata.name.clone().unwrap_or_default();
            let target = DeploymentRef::new(ns, &name)?;
            out.push(summary(target, d, &owned(d, rss.clone())));
        }
        out.sort_by(|a, b| a.deployment.cmp(&b.deployment));
        Ok(out)
    }

    async fn deployment(&self, deployment: &DeploymentRef) -> Result<DeploymentSummary> {
        let (d, owned) = self.with_history(deployment).await?;
        Ok(summary(deployment.clone(), &d, &owned))
    }

    async fn set_image(
        &self,
        deployment: &DeploymentRef,
        container: &ContainerName,
        image: &ImageRef,
        intent: &Intent,
    ) -> Result<ImageChange> {
        let dry_run = intent.is_dry_run();
        let cause = intent.change_cause();
        let change = self
            .read_modify_write(
                "deployment",
                deployment.namespace.as_str(),
                deployment.name.as_str(),
                dry_run,
                |d: Deployment| {
                    let decided =
                        changes::image_change(&d, deployment, container, image, &cause, dry_run);
                    async move { decided }
                },
            )
            .await?;
        if change.changed {
            tracing::info!(deployment = %deployment, %container, to = %image, dry_run, "set image");
        }
        Ok(change)
    }

    async fn rollout_status(&self, deployment: &DeploymentRef) -> Result<RolloutStatus> {
        Ok(status::decide(&self.deployment_obj(deployment).await?))
    }

    async fn pod_health(&self, deployment: &DeploymentRef) -> Result<PodHealth> {
        let dep = self.deployment_obj(deployment).await?;
        let selector = dep
            .spec
            .as_ref()
            .map(|s| selector_text(&s.selector))
            .unwrap_or_default();
        let pods: Vec<Pod> = self
            .list("pod", Some(deployment.namespace.as_str()), Some(&selector))
            .await?;
        Ok(pods::pod_health(&dep, &pods))
    }

    async fn wait_for_rollout(
        &self,
        deployment: &DeploymentRef,
        timeout: Duration,
    ) -> Result<RolloutStatus> {
        self.watch_rollout(deployment, timeout).await
    }

    async fn history(&self, deployment: &DeploymentRef) -> Result<Vec<RevisionInfo>> {
        let (_, owned) = self.with_history(deployment).await?;
        Ok(owned.iter().map(|(r, rs)| revision_info(*r, rs)).collect())
    }

    async fn undo(
        &self,
        deployment: &DeploymentRef,
        to: Option<Revision>,
        intent: &Intent,
    ) -> Result<UndoReport> {
        let dry_run = intent.is_dry_run();
        let report = |outcome| UndoReport {
            deployment: deployment.clone(),
            outcome,
            dry_run,
        };
        // Planned on the deployment as read and sent conditional on that read: a deploy, pause
        // or undo that lands in between makes the undo plan again instead of acting on a
        // stale revision list.
        let done = self
            .read_modify_write(
                "deployment",
                deployment.namespace.as_str(),
                deployment.name.as_str(),
                dry_run,
                |d: Deployment| async move {
                    let owned = self.history_of(&d, &deployment.namespace).await?;
                    Ok(match undo::plan(&d, &owned, to) {
                        UndoPlan::NoHistory => Decision::Done(report(UndoOutcome::NoHistory)),
                        UndoPlan::UnknownRevision(r) => {
                            return Err(Error::not_found(
                                "revision",
                                format!("{deployment} revision {r}"),
                            ));
                        }
                        UndoPlan::Paused => Decision::Done(report(UndoOutcome::Paused)),
                        UndoPlan::Skipped(r) => {
                            Decision::Done(report(UndoOutcome::Skipped { already_at: r }))
                        }
                        UndoPlan::Patch { from, to, patch } => Decision::Write(
                            Change::Json(patch),
                            report(UndoOutcome::RolledBack { from, to }),
                        ),
                    })
                },
            )
            .await?;
        if let UndoOutcome::RolledBack { from, to } = done.outcome {
            tracing::info!(deployment = %deployment, %from, %to, reason = intent.reason(), dry_run, "rolled back");
        }
        Ok(done)
    }

    async fn restart(&self, deployment: &DeploymentRef, intent: &Intent) -> Result<RestartReport> {
        let (at, stamp) = Self::now_stamp();
        let cause = intent.change_cause();
        self.read_modify_write(
            "deployment",
            deployment.namespace.as_str(),
            deployment.name.as_str(),
            intent.is_dry_run(),
            |d: Deployment| {
                let decided = changes::restart_change(&d, deployment, &stamp, &cause);
                async move { decided }
            },
        )
        .await?;
        Ok(RestartReport {
            deployment: deployment.clone(),
            restarted_at: at,
            dry_run: intent.is_dry_run(),
        })
    }

    async fn set_paused(
        &self,
        deployment: &DeploymentRef,
        paused: bool,
        intent: &Intent,
    ) -> Result<()> {
        let _: Deployment = self
            .patch(
                "deployment",
                deployment.namespace.as_str(),
                deployment.name.as_str(),
                &Patch::Merge(json!({"spec": {"paused": paused}})),
                intent.is_dry_run(),
            )
            .await?;
        Ok(())
    }

    async fn switch_traffic(
        &self,
        switch: &TrafficSwitch,
        intent: &Intent,
    ) -> Result<SwitchReport> {
        let ns = switch.namespace.as_str();
        let name = switch.service.as_str();
        // Checked on the Service as read and written conditional on that read, so a switch
        // someone else made meanwhile is never overwritten.
        let (ready, patched) = self
            .read_modify_write_obj(
                "service",
                ns,
                name,
                intent.is_dry_run(),
                |svc: Service| async move {
                    let mut selector: BTreeMap<String, String> = svc
                        .spec
                        .as_ref()
                        .and_then(|s| s.selector.clone())
                        .unwrap_or_default();
                    let current = selector.get(&switch.label).cloned();
                    if current.as_deref() != Some(switch.from.as_str()) {
                        return Err(Error::conflict(
                            format!("service {ns}/{name}"),
                            format!(
                                "selects {}={}, not {}={}",
                                switch.label,
                                current.unwrap_or_else(|| "<unset>".into()),
                                switch.label,
                                switch.from
                            ),
                        ));
                    }
                    selector.insert(switch.label.clone(), switch.to.clone());
                    let text: Vec<String> =
                        selector.iter().map(|(k, v)| format!("{k}={v}")).collect();
                    let pods: Vec<Pod> = self.list("pod", Some(ns), Some(&text.join(","))).await?;
                    let ready = u32::try_from(pods.iter().filter(|p| pod_ready(p)).count())
                        .unwrap_or(u32::MAX);
                    if ready == 0 {
                        return Err(Error::conflict(
                            format!("service {ns}/{name}"),
                            format!(
                                "no ready pods behind {}={}; not switching",
                                switch.label, switch.to
                            ),
                        ));
                    }
                    let patch = json!({"spec": {"selector": {switch.label.as_str(): switch.to}}});
                    Ok(Decision::Write(Change::Merge(patch), ready))
                },
            )
            .await?;
        let now = patched
            .and_then(|s| s.spec)
            .and_then(|s| s.selector)
            .and_then(|s| s.get(&switch.label).cloned());
        if now.as_deref() != Some(switch.to.as_str()) {
            return Err(Error::conflict(
                format!("service {ns}/{name}"),
                "the selector did not take the new value",
            ));
        }
        Ok(SwitchReport {
            switch: switch.clone(),
            ready_endpoints: ready,
            dry_run: intent.is_dry_run(),
        })
    }
}
