//! `Scaler` on the mock cluster.

use async_trait::async_trait;

use super::state::key;
use super::{MockCluster, container_mut, find, find_mut};
use crate::error::{Error, Result};
use crate::scale::{
    AutoscalerBounds, AutoscalerStatus, BoundsChange, NodeCapacity, Recommendation, ResourceChange,
    ResourceUsage, ScaleChange, Scaler,
};
use crate::types::{
    ContainerName, DeploymentRef, Intent, Namespace, Quantity, Replicas, ResourceList,
    ResourceRequirements,
};

fn add(a: &mut Option<Quantity>, b: Option<&Quantity>, times: i64) {
    if let Some(b) = b.and_then(|b| b.checked_mul(times)) {
        *a = Some(match a.take() {
            Some(x) => x.checked_add(&b).unwrap_or(x),
            None => b,
        });
    }
}

#[async_trait]
impl Scaler for MockCluster {
    fn backend(&self) -> &'static str {
        "mock-cluster"
    }

    async fn replicas(&self, deployment: &DeploymentRef) -> Result<Replicas> {
        self.faults.read("replicas", deployment.qualified()).await?;
        Replicas::new(find(&self.lock(), deployment)?.replicas)
    }

    async fn scale(
        &self,
        deployment: &DeploymentRef,
        to: Replicas,
        intent: &Intent,
    ) -> Result<ScaleChange> {
        self.faults
            .write("scale", deployment.qualified(), intent.is_dry_run())
            .await?;
        let mut s = self.lock();
        if let Some(hpa) = s.hpas.get(&key(deployment)) {
            return Err(Error::policy(
                "autoscaler-owned",
                format!(
                    "{} is scaled by autoscaler {} ({}..={}); change its bounds instead",
                    deployment.qualified(),
                    hpa.name,
                    hpa.min,
                    hpa.max
                ),
            ));
        }
        let d = find_mut(&mut s, deployment)?;
        let from = Replicas::new(d.replicas)?;
        if !intent.is_dry_run() {
            d.replicas = to.get();
            d.rollout.generation += 1;
        }
        Ok(ScaleChange {
            deployment: deployment.clone(),
            from,
            to,
            dry_run: intent.is_dry_run(),
        })
    }

    async fn autoscaler(&self, deployment: &DeploymentRef) -> Result<Option<AutoscalerStatus>> {
        self.faults
            .read("autoscaler", deployment.qualified())
            .await?;
        let s = self.lock();
        let d = find(&s, deployment)?;
        Ok(s.hpas.get(&key(deployment)).map(|h| AutoscalerStatus {
            name: h.name.clone(),
            target: deployment.clone(),
            min: h.min,
            max: h.max,
            current: Replicas::new(d.replicas).unwrap_or(h.desired),
            desired: h.desired,
        }))
    }

    async fn set_autoscaler_bounds(
        &self,
        deployment: &DeploymentRef,
        bounds: AutoscalerBounds,
        intent: &Intent,
    ) -> Result<BoundsChange> {
        self.faults
            .write(
                "set_autoscaler_bounds",
                deployment.qualified(),
                intent.is_dry_run(),
            )
            .await?;
        let mut s = self.lock();
        let hpa = s.hpas.get_mut(&key(deployment)).ok_or_else(|| {
            Error::not_found("autoscaler", format!("for {}", deployment.qualified()))
        })?;
        let from = (hpa.min, hpa.max);
        let to = (bounds.min.unwrap_or(hpa.min), bounds.max.unwrap_or(hpa.max));
        if to.0 > to.1 {
            return Err(Error::invalid(
                "autoscaler bounds",
                format!("min {} exceeds max {}", to.0, to.1),
            ));
        }
        if to.1.get() == 0 || to.0.get() == 0 {
            return Err(Error::invalid(
                "autoscaler bounds",
                "min and max must be at least 1 (an autoscaler cannot scale to zero)",
            ));
        }
        let name = hpa.name.clone();
        if !intent.is_dry_run() {
            hpa.min = to.0;
            hpa.max = to.1;
            hpa.desired = Replicas::new(hpa.desired.get().clamp(to.0.get(), to.1.get()))?;
            let desired = hpa.desired.get();
            if let Ok(d) = find_mut(&mut s, deployment) {
                d.replicas = desired;
            }
        }
        Ok(BoundsChange {
            autoscaler: name,
            from,
            to,
            dry_run: intent.is_dry_run(),
        })
    }

    async fn resources(
        &self,
        deployment: &DeploymentRef,
        container: &ContainerName,
    ) -> Result<ResourceRequirements> {
        self.faults
            .read("resources", deployment.qualified())
            .await?;
        let s = self.lock();
        let d = find(&s, deployment)?;
        d.template
            .containers
            .get(container)
            .map(|c| c.resources.clone())
            .ok_or_else(|| {
                Error::not_found(
                    "container",
                    format!("{}/{container}", deployment.qualified()),
                )
            })
    }

    async fn set_resources(
        &self,
        deployment: &DeploymentRef,
        container: &ContainerName,
        resources: &ResourceRequirements,
        intent: &Intent,
    ) -> Result<ResourceChange> {
        self.faults
            .write("set_resources", deployment.qualified(), intent.is_dry_run())
            .await?;
        let now = self.now();
        let mut s = self.lock();
        let d = find_mut(&mut s, deployment)?;
        let spec = container_mut(d, container)?;
        let from = spec.resources.clone();
        if !intent.is_dry_run() && &from != resources {
            spec.resources = resources.clone();
            d.record_revision(Some(intent.change_cause()), now);
            d.bump(now);
        }
        Ok(ResourceChange {
            deployment: deployment.clone(),
            container: container.clone(),
            from,
            to: resources.clone(),
            dry_run: intent.is_dry_run(),
        })
    }

    async fn recommendations(&self, deployment: &DeploymentRef) -> Result<Recommendation> {
        self.faults
            .read("recommendations", deployment.qualified())
            .await?;
        let s = self.lock();
        find(&s, deployment)?;
        Ok(match s.recommendations.get(&key(deployment)) {
            Some(c) => Recommendation::Available {
                containers: c.clone(),
            },
            None => Recommendation::NotAvailable {
                why: format!(
                    "no VerticalPodAutoscaler targets {}",
                    deployment.qualified()
                ),
            },
        })
    }

    async fn node_capacity(&self) -> Result<Vec<NodeCapacity>> {
        self.faults.read("node_capacity", "cluster").await?;
        let s = self.lock();
        let n = s.nodes.len();
        let mut out: Vec<NodeCapacity> = s
            .nodes
            .iter()
            .map(|node| NodeCapacity {
                node: node.name.clone(),
                allocatable: node.allocatable.clone(),
                requests: ResourceList::default(),
                limits: ResourceList::default(),
                pods: 0,
            })
            .collect();
        if n == 0 {
            return Ok(out);
        }
        // Pods are spread round-robin over the nodes, as a balanced scheduler would.
        let mut slot = 0usize;
        for d in s.deployments.values() {
            for _ in 0..d.replicas {
                if let Some(node) = out.get_mut(slot % n) {
                    node.pods += 1;
                    for c in d.template.containers.values() {
                        add(
                            &mut node.requests.cpu,
                            c.resources.requests().cpu.as_ref(),
                            1,
                        );
                        add(
                            &mut node.requests.memory,
                            c.resources.requests().memory.as_ref(),
                            1,
                        );
                        add(&mut node.limits.cpu, c.resources.limits().cpu.as_ref(), 1);
                        add(
                            &mut node.limits.memory,
                            c.resources.limits().memory.as_ref(),
                            1,
                        );
                    }
                }
                slot += 1;
            }
        }
        Ok(out)
    }

    async fn pod_usage(&self, namespace: &Namespace) -> Result<Vec<ResourceUsage>> {
        self.faults.read("pod_usage", namespace.as_str()).await?;
        let s = self.lock();
        let factor = i128::from(s.load_factor_percent);
        let scaled_cpu = |q: Option<Quantity>| {
            let millis = q.map(|q| q.as_millis_ceil()).unwrap_or(0) * factor / 100;
            Quantity::from_millis(i64::try_from(millis).unwrap_or(i64::MAX))
        };
        let scaled_memory = |q: Option<Quantity>| {
            let bytes = q.map(|q| q.as_units_ceil()).unwrap_or(0) * factor / 100;
            Quantity::from_bytes(i64::try_from(bytes).unwrap_or(i64::MAX))
        };
        let mut out = Vec::new();
        for d in s
            .deployments
            .values()
            .filter(|d| &d.reference.namespace == namespace)
        {
            let mut cpu = None;
            let mut memory = None;
            let mut limit = None;
            for c in d.template.containers.values() {
                add(&mut cpu, c.resources.requests().cpu.as_ref(), 1);
                add(&mut memory, c.resources.requests().memory.as_ref(), 1);
                add(&mut limit, c.resources.limits().memory.as_ref(), 1);
            }
            for i in 0..d.replicas {
                out.push(ResourceUsage {
                    object: format!("pod/{}-{i}", d.reference.name),
                    cpu: scaled_cpu(cpu),
                    memory: scaled_memory(memory),
                    memory_limit: limit,
                });
            }
        }
        Ok(out)
    }
}
