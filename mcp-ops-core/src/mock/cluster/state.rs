//! The in-memory state of [`MockCluster`](super::MockCluster): deployments with their
//! revisions (what ReplicaSets are to a real cluster), autoscalers, services, nodes, secrets
//! and node groups.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use jiff::Timestamp;

use crate::types::{
    ContainerName, DeploymentRef, ImageRef, Replicas, ResourceList, ResourceName,
    ResourceRequirements, SecretValue,
};

/// The part of a deployment that makes a revision: what kubectl compares on undo.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Template {
    pub containers: BTreeMap<ContainerName, ContainerSpec>,
    pub restarted_at: Option<Timestamp>,
}

/// One container of a template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ContainerSpec {
    pub image: ImageRef,
    pub resources: ResourceRequirements,
}

/// One revision (a ReplicaSet in a real cluster).
#[derive(Debug, Clone)]
pub(crate) struct RevisionState {
    pub revision: u64,
    pub template: Template,
    pub change_cause: Option<String>,
    pub created: Timestamp,
}

/// A rollout in flight or done.
#[derive(Debug, Clone)]
pub(crate) struct Rollout {
    /// When the current template was set.
    pub started: Timestamp,
    /// The generation of the spec; bumped on every template or replica change.
    pub generation: u64,
    /// The generation the "controller" has seen; it catches up on the first observation.
    pub observed_generation: u64,
    /// When the deployment was paused (while it is): its rollout makes no progress after it.
    pub paused_at: Option<Timestamp>,
}

/// One deployment.
#[derive(Debug, Clone)]
pub(crate) struct DeploymentState {
    pub reference: DeploymentRef,
    pub replicas: u32,
    pub labels: BTreeMap<String, String>,
    pub template: Template,
    pub revisions: Vec<RevisionState>,
    pub paused: bool,
    pub rollout: Rollout,
}

impl DeploymentState {
    /// The revision whose template is current (highest number with an equal template).
    pub fn current_revision(&self) -> Option<&RevisionState> {
        self.revisions
            .iter()
            .filter(|r| r.template == self.template)
            .max_by_key(|r| r.revision)
    }

    /// The highest revision number.
    pub fn max_revision(&self) -> u64 {
        self.revisions.iter().map(|r| r.revision).max().unwrap_or(0)
    }

    /// Records the current template as the newest revision: an existing revision with the
    /// same template is renumbered to max+1 (as the deployment controller does), otherwise a
    /// new one is created.
    pub fn record_revision(&mut self, change_cause: Option<String>, now: Timestamp) {
        let next = self.max_revision() + 1;
        if let Some(existing) = self
            .revisions
            .iter_mut()
            .find(|r| r.template == self.template)
        {
            existing.revision = next;
            if change_cause.is_some() {
                existing.change_cause = change_cause;
            }
        } else {
            self.revisions.push(RevisionState {
                revision: next,
                template: self.template.clone(),
                change_cause,
                created: now,
            });
        }
        self.revisions.sort_by_key(|r| r.revision);
    }

    /// Marks a spec change: a new rollout starts now.
    pub fn bump(&mut self, now: Timestamp) {
        self.rollout.generation += 1;
        self.rollout.started = now;
    }

    /// Pauses or resumes the deployment at `now`. A paused rollout keeps the progress it had
    /// when it was paused (a complete one stays complete); resuming continues from there, as
    /// the deployment controller does.
    pub fn set_paused(&mut self, paused: bool, now: Timestamp) {
        if self.paused == paused {
            return;
        }
        self.paused = paused;
        self.rollout.generation += 1;
        if paused {
            self.rollout.paused_at = Some(now);
        } else if let Some(at) = self.rollout.paused_at.take() {
            // Shift the start by the paused time so the progress made before the pause
            // counts; a template changed while paused starts its rollout now.
            let paused_for = crate::clock::elapsed_between(at, now);
            self.rollout.started = if self.rollout.started <= at {
                jiff::SignedDuration::try_from(paused_for)
                    .ok()
                    .and_then(|d| self.rollout.started.checked_add(d).ok())
                    .unwrap_or(now)
            } else {
                now
            };
        } else {
            self.rollout.started = now;
        }
    }

    /// Images of the current template.
    pub fn images(&self) -> BTreeMap<ContainerName, ImageRef> {
        self.template
            .containers
            .iter()
            .map(|(n, c)| (n.clone(), c.image.clone()))
            .collect()
    }
}

/// A horizontal autoscaler.
#[derive(Debug, Clone)]
pub(crate) struct HpaState {
    pub name: ResourceName,
    pub min: Replicas,
    pub max: Replicas,
    pub desired: Replicas,
}

/// A Service with its selector.
#[derive(Debug, Clone)]
pub(crate) struct ServiceState {
    pub selector: BTreeMap<String, String>,
}

/// A node.
#[derive(Debug, Clone)]
pub(crate) struct NodeState {
    pub name: ResourceName,
    pub ready: bool,
    pub allocatable: ResourceList,
}

/// One key of a secret with all its versions.
#[derive(Debug, Clone, Default)]
pub(crate) struct SecretKeyState {
    /// Every value it has had; index + 1 is the version.
    pub versions: Vec<SecretValue>,
    /// Index of the current value.
    pub current: usize,
    /// Index of the version before the last apply, for revert.
    pub previous: Option<usize>,
    /// Index of a staged value.
    pub staged: Option<usize>,
    /// When the current version became current.
    pub since: Option<Timestamp>,
    /// The current version was applied and the rotation neither finished nor reverted.
    pub unverified: bool,
}

/// A cloud node group.
#[derive(Debug, Clone)]
pub(crate) struct NodeGroupState {
    pub desired: u32,
    pub min: u32,
    pub max: u32,
}

/// How the mock cluster's controllers behave.
#[derive(Debug, Clone)]
pub struct ClusterBehaviour {
    /// A rollout takes this many steps.
    pub rollout_steps: u32,
    /// One step lasts this long on the cluster's clock.
    pub step: Duration,
    /// How often `wait_for_rollout` looks.
    pub poll_interval: Duration,
}

impl Default for ClusterBehaviour {
    fn default() -> Self {
        Self {
            rollout_steps: 3,
            step: Duration::from_millis(500),
            poll_interval: Duration::from_millis(250),
        }
    }
}

/// Everything the mock cluster holds.
#[derive(Debug, Default)]
pub(crate) struct ClusterState {
    pub deployments: BTreeMap<(String, String), DeploymentState>,
    pub hpas: BTreeMap<(String, String), HpaState>,
    pub services: BTreeMap<(String, String), ServiceState>,
    pub nodes: Vec<NodeState>,
    pub secrets: BTreeMap<(String, String, String), SecretKeyState>,
    pub node_groups: BTreeMap<(String, String), NodeGroupState>,
    pub bad_images: BTreeSet<String>,
    pub crashing_images: BTreeSet<String>,
    pub erroring_images: BTreeSet<String>,
    pub endpoints: BTreeMap<String, EndpointState>,
    pub recommendations: BTreeMap<(String, String), Vec<crate::scale::ContainerRecommendation>>,
    pub load_factor_percent: u32,
}

/// An HTTP endpoint the mock answers for.
#[derive(Debug, Clone)]
pub(crate) struct EndpointState {
    /// The status code answered while the backing deployment (if any) is healthy.
    pub status: u16,
    /// The latency of an answer.
    pub latency: Duration,
    /// The deployment serving this endpoint: 503 while it has no ready replica, 500 once
    /// pods of an erroring image serve.
    pub backed_by: Option<DeploymentRef>,
}

/// Key of a namespaced object.
pub(crate) fn key(d: &DeploymentRef) -> (String, String) {
    (d.namespace.as_str().to_owned(), d.name.as_str().to_owned())
}
