//! [`Scaler`] on [`KubeCluster`]: the scale subresource, HPA ownership and bounds
//! (autoscaling/v2), container resources, VPA recommendations through the dynamic API,
//! node capacity as `kubectl describe nodes` computes "Allocated resources", and pod usage
//! from metrics.k8s.io.

mod capacity;
mod dynamic;
mod resources;

use std::collections::BTreeMap;

use async_trait::async_trait;
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::autoscaling::v2::HorizontalPodAutoscaler;
use k8s_openapi::api::core::v1::Node;
use kube::api::{Api, DynamicObject, ListParams, Patch};
use mcp_ops_core::scale::{
    AutoscalerBounds, AutoscalerStatus, BoundsChange, ContainerRecommendation, NodeCapacity,
    Recommendation, ResourceChange, ResourceUsage,
};
use mcp_ops_core::types::{
    ContainerName, DeploymentRef, Intent, Namespace, Quantity, Replicas, ResourceName,
    ResourceRequirements,
};
use mcp_ops_core::{Error, Result, ScaleChange, Scaler};
use serde_json::json;

use crate::cluster::{Change, Decision, KubeCluster};
use crate::error::BACKEND;
use crate::retry::OnConflict;

pub use capacity::{pod_requests_and_limits, resource_list};
use dynamic::{list_at, metrics_resource, vpa_resource};
use resources::{core_requirements, resources_change};

/// The bounds `asked` applied to `cur`: checked, as a merge patch of both bounds.
fn bounds_change(
    cur: AutoscalerStatus,
    asked: AutoscalerBounds,
    dry_run: bool,
) -> Result<Decision<BoundsChange>> {
    let min = asked.min.unwrap_or(cur.min);
    let max = asked.max.unwrap_or(cur.max);
    if min > max || min.get() == 0 {
        return Err(Error::invalid(
            "autoscaler bounds",
            format!(
                "minReplicas {min} must be at least 1 (an autoscaler cannot scale to zero) and at most maxReplicas {max}"
            ),
        ));
    }
    let patch = json!({"spec": {"minReplicas": min.get(), "maxReplicas": max.get()}});
    Ok(Decision::Write(
        Change::Merge(patch),
        BoundsChange {
            autoscaler: cur.name,
            from: (cur.min, cur.max),
            to: (min, max),
            dry_run,
        },
    ))
}

fn replicas(n: Option<i32>, default: u32) -> Result<Replicas> {
    let n = n.map_or(default, |n| u32::try_from(n).unwrap_or(0));
    Replicas::new(n.min(Replicas::MAX))
}

impl KubeCluster {
    /// The HPA whose scaleTargetRef is this Deployment, if any.
    async fn hpa_for(&self, d: &DeploymentRef) -> Result<Option<HorizontalPodAutoscaler>> {
        let hpas: Vec<HorizontalPodAutoscaler> = self
            .list("horizontalpodautoscaler", Some(d.namespace.as_str()), None)
            .await?;
        Ok(hpas.into_iter().find(|h| {
            h.spec.as_ref().is_some_and(|s| {
                s.scale_target_ref.kind == "Deployment"
                    && s.scale_target_ref.name == d.name.as_str()
            })
        }))
    }

    fn autoscaler_status(
        d: &DeploymentRef,
        h: &HorizontalPodAutoscaler,
    ) -> Result<AutoscalerStatus> {
        let spec = h.spec.clone().unwrap_or_default();
        let status = h.status.clone().unwrap_or_default();
        Ok(AutoscalerStatus {
            name: ResourceName::new(h.metadata.name.clone().unwrap_or_default())?,
            target: d.clone(),
            min: replicas(spec.min_replicas, 1)?,
            max: replicas(Some(spec.max_replicas), 1)?,
            current: replicas(status.current_replicas, 0)?,
            desired: replicas(Some(status.desired_replicas), 0)?,
        })
    }

    async fn container_resources(
        &self,
        deployment: &DeploymentRef,
        container: &ContainerName,
    ) -> Result<(usize, k8s_openapi::api::core::v1::ResourceRequirements)> {
        let d: Deployment = self
            .get(
                "deployment",
                deployment.namespace.as_str(),
                deployment.name.as_str(),
            )
            .await?;
        let containers = d
            .spec
            .and_then(|s| s.template.spec)
            .map(|s| s.containers)
            .unwrap_or_default();
        containers
            .into_iter()
            .enumerate()
            .find(|(_, c)| c.name == container.as_str())
            .map(|(i, c)| (i, c.resources.unwrap_or_default()))
            .ok_or_else(|| Error::not_found("container", format!("{deployment}/{container}")))
    }
}

#[async_trait]
impl Scaler for KubeCluster {
    fn backend(&self) -> &'static str {
        BACKEND
    }

    async fn replicas(&self, deployment: &DeploymentRef) -> Result<Replicas> {
        let api: Api<Deployment> = self.namespaced(deployment.namespace.as_str());
        let name = deployment.name.as_str();
        let scale = self
            .call(
                "deployment",
                &deployment.qualified(),
                OnConflict::Fail,
                || api.get_scale(name),
            )
            .await?;
        replicas(scale.spec.and_then(|s| s.replicas), 0)
    }

    async fn scale(
        &self,
        deployment: &DeploymentRef,
        to: Replicas,
        intent: &Intent,
    ) -> Result<ScaleChange> {
        let from = Scaler::replicas(self, deployment).await?;
        if let Some(h) = self.hpa_for(deployment).await? {
            let a = Self::autoscaler_status(deployment, &h)?;
            return Err(Error::policy(
                "autoscaler-owned",
                format!(
                    "{deployment} is scaled by HorizontalPodAutoscaler {} (min {}, max {}); \
                     change its bounds instead of its replicas",
                    a.name, a.min, a.max
                ),
            ));
        }
        let api: Api<Deployment> = self.namespaced(deployment.namespace.as_str());
        let pp = self.patch_params(intent.is_dry_run());
        let patch = Patch::Merge(json!({"spec": {"replicas": to.get()}}));
        let name = deployment.name.as_str();
        self.call(
            "deployment",
            &deployment.qualified(),
            OnConflict::Reread,
            || api.patch_scale(name, &pp, &patch),
        )
        .await?;
        Ok(ScaleChange {
            deployment: deployment.clone(),
            from,
            to,
            dry_run: intent.is_dry_run(),
        })
    }

    async fn autoscaler(&self, deployment: &DeploymentRef) -> Result<Option<AutoscalerStatus>> {
        self.hpa_for(deployment)
            .await?
            .map(|h| Self::autoscaler_status(deployment, &h))
            .transpose()
    }

    async fn set_autoscaler_bounds(
        &self,
        deployment: &DeploymentRef,
        bounds: AutoscalerBounds,
        intent: &Intent,
    ) -> Result<BoundsChange> {
        let dry_run = intent.is_dry_run();
        // Both bounds are written, so the one not asked for must not come from a stale read.
        // The HPA is found by listing (what the role grants), on every attempt.
        let (change, _) = self
            .modify(
                "horizontalpodautoscaler",
                deployment.namespace.as_str(),
                dry_run,
                || async {
                    self.hpa_for(deployment).await?.ok_or_else(|| {
                        Error::not_found("horizontalpodautoscaler", format!("for {deployment}"))
                    })
                },
                |h: HorizontalPodAutoscaler| {
                    let decided = Self::autoscaler_status(deployment, &h)
                        .and_then(|cur| bounds_change(cur, bounds, dry_run));
                    async move { decided }
                },
            )
            .await?;
        Ok(change)
    }

    async fn resources(
        &self,
        deployment: &DeploymentRef,
        container: &ContainerName,
    ) -> Result<ResourceRequirements> {
        let (_, r) = self.container_resources(deployment, container).await?;
        core_requirements(&r)
    }

    async fn set_resources(
        &self,
        deployment: &DeploymentRef,
        container: &ContainerName,
        resources: &ResourceRequirements,
        intent: &Intent,
    ) -> Result<ResourceChange> {
        let cause = intent.change_cause();
        let from = self
            .read_modify_write(
                "deployment",
                deployment.namespace.as_str(),
                deployment.name.as_str(),
                intent.is_dry_run(),
                |d: Deployment| {
                    let decided = resources_change(&d, deployment, container, resources, &cause);
                    async move { decided }
                },
            )
            .await?;
        Ok(ResourceChange {
            deployment: deployment.clone(),
            container: container.clone(),
            from,
            to: resources.clone(),
            dry_run: intent.is_dry_run(),
        })
    }

    async fn recommendations(&self, deployment: &DeploymentRef) -> Result<Recommendation> {
        let ar = vpa_resource();
        let api: Api<DynamicObject> =
            Api::namespaced_with(self.client().clone(), deployment.namespace.as_str(), &ar);
        let lp = ListParams::default();
        let Some(list) = self
            .call_opt(
                "verticalpodautoscaler",
                deployment.namespace.as_str(),
                || api.list(&lp),
            )
            .await?
        else {
            return Ok(Recommendation::NotAvailable {
                why: "the VerticalPodAutoscaler API (autoscaling.k8s.io/v1) is not served".into(),
            });
        };
        let vpa = list.items.into_iter().find(|v| {
            let t = &v.data["spec"]["targetRef"];
            t["kind"] == "Deployment" && t["name"] == deployment.name.as_str()
        });
        let Some(vpa) = vpa else {
            return Ok(Recommendation::NotAvailable {
                why: format!("no VerticalPodAutoscaler targets {deployment}"),
            });
        };
        let recs = vpa.data["status"]["recommendation"]["containerRecommendations"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        if recs.is_empty() {
            return Ok(Recommendation::NotAvailable {
                why: "the VerticalPodAutoscaler has no recommendation yet".into(),
            });
        }
        let containers = recs
            .iter()
            .filter_map(|r| {
                Some(ContainerRecommendation {
                    container: ContainerName::new(r["containerName"].as_str()?).ok()?,
                    target: list_at(&r["target"]),
                    lower_bound: list_at(&r["lowerBound"]),
                    upper_bound: list_at(&r["upperBound"]),
                })
            })
            .collect();
        Ok(Recommendation::Available { containers })
    }

    async fn node_capacity(&self) -> Result<Vec<NodeCapacity>> {
        let api: Api<Node> = self.all();
        let lp = ListParams::default();
        // Both at once: a pod list started now is shared with the checks running beside.
        let (nodes, pods) = tokio::try_join!(
            self.call("node", "all nodes", OnConflict::Fail, || api.list(&lp)),
            self.pod_facts(None),
        )?;
        capacity::node_capacity(&nodes.items, pods.iter())
    }

    async fn pod_usage(&self, namespace: &Namespace) -> Result<Vec<ResourceUsage>> {
        let ar = metrics_resource("PodMetrics", "pods");
        let api: Api<DynamicObject> =
            Api::namespaced_with(self.client().clone(), namespace.as_str(), &ar);
        let lp = ListParams::default();
        let (metrics, pods) = tokio::try_join!(
            self.call_opt("podmetrics", namespace.as_str(), || api.list(&lp)),
            self.pod_facts(Some(namespace.as_str())),
        )?;
        // No metrics API is no evidence, not "nothing in use": `kubectl top` fails there too.
        let Some(list) = metrics else {
            return Err(Error::unavailable(
                crate::error::BACKEND,
                "the metrics API (metrics.k8s.io) is not served: install metrics-server",
            ));
        };
        let limits: BTreeMap<&str, Option<Quantity>> = pods
            .iter()
            .map(|p| (p.name.as_str(), p.limits.memory))
            .collect();
        let mut out = Vec::new();
        for m in list.items {
            let name = m.metadata.name.clone().unwrap_or_default();
            let mut cpu = Quantity::ZERO;
            let mut memory = Quantity::ZERO;
            for c in m.data["containers"].as_array().into_iter().flatten() {
                let u = list_at(&c["usage"]);
                cpu = u.cpu.and_then(|q| cpu.checked_add(&q)).unwrap_or(cpu);
                memory = u
                    .memory
                    .and_then(|q| memory.checked_add(&q))
                    .unwrap_or(memory);
            }
            out.push(ResourceUsage {
                object: format!("pod/{name}"),
                cpu,
                memory,
                memory_limit: limits.get(name.as_str()).cloned().flatten(),
            });
        }
        out.sort_by(|a, b| a.object.cmp(&b.object));
        Ok(out)
    }
}
