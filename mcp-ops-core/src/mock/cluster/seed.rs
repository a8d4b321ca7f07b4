//! Building a [`MockCluster`], empty or seeded with the runbook's `mcp-production`.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use jiff::{SignedDuration, Timestamp};

use super::MockCluster;
use super::state::{
    ClusterBehaviour, ClusterState, ContainerSpec, DeploymentState, EndpointState, HpaState,
    NodeGroupState, NodeState, Rollout, ServiceState, Template, key,
};
use crate::clock::{SharedClock, TokioClock};
use crate::error::Result;
use crate::types::{
    ContainerName, DeploymentRef, ImageRef, Quantity, Replicas, ResourceList, ResourceName,
    ResourceRequirements, SecretValue,
};

pub use crate::runbook::RUNBOOK_HEALTH_URL;

/// Builds a [`MockCluster`].
#[derive(Debug)]
pub struct MockClusterBuilder {
    state: ClusterState,
    clock: SharedClock,
    behaviour: ClusterBehaviour,
    /// Seeds are created as if they happened this long before the clock's now.
    history: Vec<(DeploymentRef, ImageRef, Option<String>)>,
}

impl Default for MockClusterBuilder {
    fn default() -> Self {
        Self::new()
    }
}

impl MockClusterBuilder {
    /// An empty cluster on the default clock ([`TokioClock::wall`](crate::TokioClock::wall): wall
    /// time, or paused time in a paused runtime).
    pub fn new() -> Self {
        Self {
            state: ClusterState {
                load_factor_percent: 50,
                ..ClusterState::default()
            },
            clock: Arc::new(TokioClock::wall()),
            behaviour: ClusterBehaviour::default(),
            history: Vec::new(),
        }
    }

    /// The runbook's cluster: namespace `mcp-production` with deployments
    /// `mcp-typescript-api` (3 replicas), `mcp-learning-system` (2) and `mcp-rust-server` (3),
    /// each at image tag `v1.0.0` with a previous revision `v0.9.0`; the autoscaler
    /// `mcp-typescript-api-hpa` (3–10); a Service per deployment; three Ready nodes; the
    /// secret `mcp-secrets` (`jwt-secret`, `db-password`); node group `worker-nodes`; and the
    /// health endpoint [`RUNBOOK_HEALTH_URL`] backed by `mcp-typescript-api`.
    pub fn runbook() -> Self {
        Self::new().seed_runbook()
    }

    fn seed_runbook(self) -> Self {
        // The literals are valid; a failure here is a bug that the seed test catches.
        self.try_seed_runbook().unwrap_or_default()
    }

    fn try_seed_runbook(mut self) -> Result<Self> {
        let small = ResourceRequirements::new(
            ResourceList::new(Quantity::parse("250m")?, Quantity::parse("512Mi")?),
            ResourceList::new(Quantity::parse("1")?, Quantity::parse("2Gi")?),
        )?;
        let apps = [
            ("mcp-typescript-api", "mcp-typescript-server", 3, true),
            ("mcp-learning-system", "mcp-learning-system", 2, false),
            ("mcp-rust-server", "mcp-rust-server", 3, false),
        ];
        for (name, image, replicas, big) in apps {
            let d = DeploymentRef::new(crate::types::RUNBOOK_NAMESPACE, name)?;
            let old = ImageRef::parse(&format!("ghcr.io/your-org/{image}:v0.9.0"))?;
            let cur = ImageRef::parse(&format!("ghcr.io/your-org/{image}:v1.0.0"))?;
            let resources = if big {
                ResourceRequirements::runbook_typescript_api()
            } else {
                small.clone()
            };
            self = self.deployment(
                d.clone(),
                ContainerName::new(name)?,
                old,
                Replicas::new(replicas)?,
                resources,
            );
            self.history
                .push((d.clone(), cur, Some("Deploy v1.0.0".to_owned())));
            let mut selector = BTreeMap::new();
            selector.insert("app".to_owned(), name.to_owned());
            self = self.service(&d.namespace, &format!("{name}-service"), selector)?;
        }
        let api = DeploymentRef::new(crate::types::RUNBOOK_NAMESPACE, "mcp-typescript-api")?;
        self = self.hpa(
            &api,
            "mcp-typescript-api-hpa",
            Replicas::new(3)?,
            Replicas::new(10)?,
        )?;
        for n in ["worker-1", "worker-2", "worker-3"] {
            self = self.node(n, Quantity::parse("4")?, Quantity::parse("16Gi")?)?;
        }
        let ns = crate::types::RUNBOOK_NAMESPACE;
        self = self.secret(
            ns,
            "mcp-secrets",
            "jwt-secret",
            SecretValue::from_str_value("seed-jwt-secret-value"),
        );
        self = self.secret(
            ns,
            "mcp-secrets",
            "db-password",
            SecretValue::from_str_value("seed-db-password"),
        );
        self = self.node_group("mcp-production", "worker-nodes", 3, 1, 10);
        self.state.endpoints.insert(
            RUNBOOK_HEALTH_URL.to_owned(),
            EndpointState {
                status: 200,
                latency: Duration::from_millis(20),
                backed_by: Some(api),
            },
        );
        Ok(self)
    }

    /// Uses `clock` for controllers and timestamps (e.g. a [`crate::clock::TokioClock`]).
    pub fn clock(mut self, clock: SharedClock) -> Self {
        self.clock = clock;
        self
    }

    /// Sets controller behaviour (rollout steps and their length).
    pub fn behaviour(mut self, behaviour: ClusterBehaviour) -> Self {
        self.behaviour = behaviour;
        self
    }

    /// Adds a deployment with one container, one revision and a completed rollout; the pods
    /// carry the label `app=<name>`.
    pub fn deployment(
        mut self,
        deployment: DeploymentRef,
        container: ContainerName,
        image: ImageRef,
        replicas: Replicas,
        resources: ResourceRequirements,
    ) -> Self {
        let mut containers = BTreeMap::new();
        containers.insert(container, ContainerSpec { image, resources });
        let mut labels = BTreeMap::new();
        labels.insert("app".to_owned(), deployment.name.as_str().to_owned());
        let state = DeploymentState {
            reference: deployment.clone(),
            replicas: replicas.get(),
            labels,
            template: Template {
                containers,
                restarted_at: None,
            },
            revisions: Vec::new(),
            paused: false,
            rollout: Rollout {
                started: Timestamp::UNIX_EPOCH,
                generation: 1,
                observed_generation: 1,
                paused_at: None,
            },
        };
        self.state.deployments.insert(key(&deployment), state);
        self
    }

    /// Adds a label to a deployment's pods (e.g. `color=blue` for blue-green).
    pub fn label(mut self, deployment: &DeploymentRef, k: &str, v: &str) -> Self {
        if let Some(d) = self.state.deployments.get_mut(&key(deployment)) {
            d.labels.insert(k.to_owned(), v.to_owned());
        }
        self
    }

    /// Adds a Service selecting pods by `selector`.
    ///
    /// # Errors
    /// [`crate::Error::InvalidInput`] for an invalid name.
    pub fn service(
        mut self,
        namespace: &crate::types::Namespace,
        name: &str,
        selector: BTreeMap<String, String>,
    ) -> Result<Self> {
        let name = ResourceName::new(name)?;
        self.state.services.insert(
            (namespace.as_str().to_owned(), name.as_str().to_owned()),
            ServiceState { selector },
        );
        Ok(self)
    }

    /// Adds an autoscaler for a deployment.
    ///
    /// # Errors
    /// [`crate::Error::InvalidInput`] for an invalid name or `min > max`.
    pub fn hpa(
        mut self,
        deployment: &DeploymentRef,
        name: &str,
        min: Replicas,
        max: Replicas,
    ) -> Result<Self> {
        if min > max {
            return Err(crate::Error::invalid(
                "hpa bounds",
                "min must not exceed max",
            ));
        }
        let current = self
            .state
            .deployments
            .get(&key(deployment))
            .map(|d| d.replicas)
            .unwrap_or(min.get());
        let desired = Replicas::new(current.clamp(min.get(), max.get()))?;
        self.state.hpas.insert(
            key(deployment),
            HpaState {
                name: ResourceName::new(name)?,
                min,
                max,
                desired,
            },
        );
        Ok(self)
    }

    /// Adds a Ready node.
    ///
    /// # Errors
    /// [`crate::Error::InvalidInput`] for an invalid name.
    pub fn node(mut self, name: &str, cpu: Quantity, memory: Quantity) -> Result<Self> {
        self.state.nodes.push(NodeState {
            name: ResourceName::new(name)?,
            ready: true,
            allocatable: ResourceList::new(cpu, memory),
        });
        Ok(self)
    }

    /// Adds a secret key with its first version.
    pub fn secret(mut self, namespace: &str, name: &str, k: &str, value: SecretValue) -> Self {
        let entry = self
            .state
            .secrets
            .entry((namespace.to_owned(), name.to_owned(), k.to_owned()))
            .or_default();
        entry.versions.push(value);
        entry.current = entry.versions.len() - 1;
        self
    }

    /// Adds a cloud node group.
    pub fn node_group(
        mut self,
        cluster: &str,
        name: &str,
        desired: u32,
        min: u32,
        max: u32,
    ) -> Self {
        self.state.node_groups.insert(
            (cluster.to_owned(), name.to_owned()),
            NodeGroupState { desired, min, max },
        );
        self
    }

    /// Builds the cluster. Seeded rollouts are complete; seeded history entries become the
    /// newest revisions, created one hour apart before the clock's now.
    pub fn build(mut self) -> MockCluster {
        let now = self.clock.now();
        let hour = SignedDuration::from_hours(1);
        let back = |n: i32| now.saturating_sub(hour * n).unwrap_or(now);
        for d in self.state.deployments.values_mut() {
            d.record_revision(Some("Initial deployment".to_owned()), back(48));
            d.rollout.started = back(48);
        }
        for (i, (d, image, cause)) in std::mem::take(&mut self.history).into_iter().enumerate() {
            if let Some(state) = self.state.deployments.get_mut(&key(&d)) {
                for c in state.template.containers.values_mut() {
                    c.image = image.clone();
                }
                let at = back(24 - i32::try_from(i).unwrap_or(0));
                state.record_revision(cause, at);
                state.rollout.started = at;
                state.rollout.generation += 1;
                state.rollout.observed_generation = state.rollout.generation;
            }
        }
        MockCluster::new(self.state, self.clock, self.behaviour)
    }
}
