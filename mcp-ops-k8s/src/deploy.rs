//! [`Deployer`] on [`KubeCluster`]: set image, rollout status by watch, history from owned
//! ReplicaSets, kubectl's undo, restart, pause and the blue-green Service switch.
//!
//! Writes use the verbs kubectl uses (strategic-merge for `set image` and `rollout restart`,
//! json-patch for `rollout undo`, merge for pause and the Service selector); dry runs send
//! the same request with `dryRun=All`, so the server validates what would be applied. The
//! intent's [`change_cause`](mcp_ops_core::Intent::change_cause) is written as
//! `kubernetes.io/change-cause` with every template change (set image, restart); an undo
//! restores the annotations of the revision it goes back to, exactly as kubectl does.

pub mod history;
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
    DeploymentSummary, ImageChange, RestartReport, RevisionInfo, RolloutStatus, SwitchReport,
    TrafficSwitch, UndoOutcome, UndoReport,
};
use mcp_ops_core::types::{ContainerName, DeploymentRef, ImageRef, Intent, Namespace, Revision};
use mcp_ops_core::{Deployer, Error, Result};
use serde_json::json;

use crate::cluster::KubeCluster;
use crate::error::{BACKEND, malformed};
use history::{CHANGE_CAUSE, owned, revision_info, selector_text, summary};
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
        let selector = dep
            .spec
            .as_ref()
            .map(|s| selector_text(&s.selector))
            .unwrap_or_default();
        let rss: Vec<ReplicaSet> = self
            .list("replicaset", Some(d.namespace.as_str()), Some(&selector))
            .await?;
        let owned = owned(&dep, rss);
        Ok((dep, owned))
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
        let d = self.deployment_obj(deployment).await?;
        let containers = d
            .spec
            .as_ref()
            .and_then(|s| s.template.spec.as_ref())
            .map(|s| s.containers.clone())
            .unwrap_or_default();
        let current = containers
            .iter()
            .find(|c| c.name == container.as_str())
            .ok_or_else(|| Error::not_found("container", format!("{deployment}/{container}")))?;
        let from = ImageRef::parse(current.image.as_deref().unwrap_or_default())
            .map_err(|_| malformed(format!("container {container} has an unparsable image")))?;
        let mut change = ImageChange {
            deployment: deployment.clone(),
            container: container.clone(),
            from: from.clone(),
            to: image.clone(),
            changed: from != *image,
            dry_run: intent.is_dry_run(),
        };
        if !change.changed {
            return Ok(change);
        }
        let order: Vec<_> = containers.iter().map(|c| json!({"name": c.name})).collect();
        let patch = json!({
            "metadata": {"annotations": {CHANGE_CAUSE: intent.change_cause()}},
            "spec": {"template": {"spec": {
                "$setElementOrder/containers": order,
                "containers": [{"name": container.as_str(), "image": image.to_string()}],
            }}}
        });
        let _: Deployment = self
            .patch(
                "deployment",
                deployment.namespace.as_str(),
                deployment.name.as_str(),
                &Patch::Strategic(patch),
                intent.is_dry_run(),
            )
            .await?;
        tracing::info!(deployment = %deployment, %container, to = %image, dry_run = intent.is_dry_run(), "set image");
        change.dry_run = intent.is_dry_run();
        Ok(change)
    }

    async fn rollout_status(&self, deployment: &DeploymentRef) -> Result<RolloutStatus> {
        Ok(status::decide(&self.deployment_obj(deployment).await?))
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
        let (d, owned) = self.with_history(deployment).await?;
        let report = |outcome| UndoReport {
            deployment: deployment.clone(),
            outcome,
            dry_run: intent.is_dry_run(),
        };
        match undo::plan(&d, &owned, to) {
            UndoPlan::NoHistory => Ok(report(UndoOutcome::NoHistory)),
            UndoPlan::UnknownRevision(r) => Err(Error::not_found(
                "revision",
                format!("{deployment} revision {r}"),
            )),
            UndoPlan::Paused => Ok(report(UndoOutcome::Paused)),
            UndoPlan::Skipped(r) => Ok(report(UndoOutcome::Skipped { already_at: r })),
            UndoPlan::Patch { from, to, patch } => {
                let patch: json_patch::Patch = serde_json::from_value(patch)
                    .map_err(|e| malformed(format!("undo patch: {e}")))?;
                let _: Deployment = self
                    .patch(
                        "deployment",
                        deployment.namespace.as_str(),
                        deployment.name.as_str(),
                        &Patch::<()>::Json(patch),
                        intent.is_dry_run(),
                    )
                    .await?;
                tracing::info!(deployment = %deployment, %from, %to, reason = intent.reason(), dry_run = intent.is_dry_run(), "rolled back");
                Ok(report(UndoOutcome::RolledBack { from, to }))
            }
        }
    }

    async fn restart(&self, deployment: &DeploymentRef, intent: &Intent) -> Result<RestartReport> {
        let d = self.deployment_obj(deployment).await?;
        if d.spec.as_ref().and_then(|s| s.paused).unwrap_or(false) {
            // kubectl refuses before sending anything, in a dry run too.
            return Err(Error::policy(
                "paused-deployment",
                format!("can't restart paused deployment {deployment} (run rollout resume first)"),
            ));
        }
        let (at, stamp) = Self::now_stamp();
        let patch = json!({
            "metadata": {"annotations": {CHANGE_CAUSE: intent.change_cause()}},
            "spec": {"template": {"metadata": {"annotations": {RESTARTED_AT: stamp}}}}
        });
        let _: Deployment = self
            .patch(
                "deployment",
                deployment.namespace.as_str(),
                deployment.name.as_str(),
                &Patch::Strategic(patch),
                intent.is_dry_run(),
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
        let svc: Service = self.get("service", ns, name).await?;
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
        let text: Vec<String> = selector.iter().map(|(k, v)| format!("{k}={v}")).collect();
        let pods: Vec<Pod> = self.list("pod", Some(ns), Some(&text.join(","))).await?;
        let ready = u32::try_from(pods.iter().filter(|p| pod_ready(p)).count()).unwrap_or(u32::MAX);
        if ready == 0 {
            return Err(Error::conflict(
                format!("service {ns}/{name}"),
                format!(
                    "no ready pods behind {}={}; not switching",
                    switch.label, switch.to
                ),
            ));
        }
        let patched: Service = self
            .patch(
                "service",
                ns,
                name,
                &Patch::Merge(json!({"spec": {"selector": {switch.label.as_str(): switch.to}}})),
                intent.is_dry_run(),
            )
            .await?;
        let now = patched
            .spec
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
