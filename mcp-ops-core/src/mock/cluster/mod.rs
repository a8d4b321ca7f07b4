//! [`MockCluster`]: a stateful in-memory Kubernetes for `Deployer`, `Scaler`,
//! `HealthCheck` (cluster scopes and HTTP endpoints), `SecretRotator` and `NodeGroupScaler`.
//!
//! It behaves like a real cluster where the runbook cares: a new image makes a new revision
//! and a rollout that completes after [`ClusterBehaviour::rollout_steps`] steps of the
//! cluster's clock, or fails with `ProgressDeadlineExceeded` when the image is marked bad;
//! undo follows kubectl (second-highest revision, the restored revision becomes the newest,
//! template already current → Skipped, paused → Paused, one revision → NoHistory); scaling a
//! deployment an autoscaler owns is refused.

mod deploy;
mod health;
mod node_group;
mod scale;
mod secrets;
mod seed;
mod state;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use jiff::Timestamp;

use crate::clock::{SharedClock, TokioClock, elapsed_between};
use crate::deploy::RolloutStatus;
use crate::error::{Error, Result};
use crate::mock::Faults;
use crate::types::{ContainerName, DeploymentRef, ImageRef, Revision};

pub use seed::{MockClusterBuilder, RUNBOOK_HEALTH_URL};
pub use state::ClusterBehaviour;
use state::{ClusterState, DeploymentState, key};

/// A stateful in-memory cluster. Cheap to clone: clones share state.
#[derive(Debug, Clone)]
pub struct MockCluster {
    state: Arc<Mutex<ClusterState>>,
    faults: Faults,
    clock: SharedClock,
    behaviour: ClusterBehaviour,
}

impl MockCluster {
    /// A builder seeded with nothing; see [`MockCluster::runbook`] for the runbook's cluster.
    pub fn builder() -> MockClusterBuilder {
        MockClusterBuilder::new()
    }

    /// A builder seeded with the runbook's `mcp-production` cluster, to adjust (clock,
    /// behaviour, more objects) before building.
    ///
    /// # Example
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use std::sync::Arc;
    /// use mcp_ops_core::mock::{ClusterBehaviour, MockCluster};
    /// use mcp_ops_core::types::DeploymentRef;
    /// use mcp_ops_core::{Deployer, TokioClock};
    ///
    /// // One clock for every mock and the procedures' contexts (or use `testkit::TestKit`).
    /// let clock = Arc::new(TokioClock::starting_at("2025-01-08T14:30:00Z".parse()?));
    /// let cluster = MockCluster::builder_runbook()
    ///     .clock(clock)
    ///     .behaviour(ClusterBehaviour::default())
    ///     .build();
    /// let api: DeploymentRef = "mcp-production/mcp-typescript-api".parse()?;
    /// assert_eq!(cluster.deployment(&api).await?.desired, 3);
    /// # Ok(())
    /// # }
    /// ```
    pub fn builder_runbook() -> MockClusterBuilder {
        MockClusterBuilder::runbook()
    }

    /// The runbook's `mcp-production` cluster on the default clock
    /// ([`TokioClock::wall`](crate::TokioClock::wall): wall time, or paused time in a paused
    /// runtime).
    pub fn runbook() -> Self {
        MockClusterBuilder::runbook().build()
    }

    fn new(state: ClusterState, clock: SharedClock, behaviour: ClusterBehaviour) -> Self {
        Self {
            state: Arc::new(Mutex::new(state)),
            faults: Faults::default(),
            clock,
            behaviour,
        }
    }

    pub(crate) fn lock(&self) -> MutexGuard<'_, ClusterState> {
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The call recorder and fault injector of this cluster.
    pub fn faults(&self) -> &Faults {
        &self.faults
    }

    /// The clock the cluster's controllers follow.
    pub fn clock(&self) -> &SharedClock {
        &self.clock
    }

    /// Marks an image as unpullable: rollouts to it fail with `ProgressDeadlineExceeded`
    /// and its pods report `ImagePullBackOff`.
    pub fn mark_bad_image(&self, image: &ImageRef) {
        self.lock().bad_images.insert(image.to_string());
    }

    /// Marks an image as crashing: rollouts to it fail and its pods report
    /// `CrashLoopBackOff`.
    pub fn mark_crashing_image(&self, image: &ImageRef) {
        self.lock().crashing_images.insert(image.to_string());
    }

    /// Marks an image as a bad release: its pods start and become ready (the rollout
    /// completes) but the endpoints they serve answer 500, as in the runbook's "error rate
    /// > 10 %" rollback case.
    pub fn mark_erroring_image(&self, image: &ImageRef) {
        self.lock().erroring_images.insert(image.to_string());
    }

    /// Registers an HTTP endpoint answering `status` after `latency`; when `backed_by` is
    /// given, the endpoint answers 503 while that deployment has no ready replica or its
    /// rollout failed.
    pub fn set_endpoint(
        &self,
        url: &str,
        status: u16,
        latency: Duration,
        backed_by: Option<DeploymentRef>,
    ) {
        self.lock().endpoints.insert(
            url.to_owned(),
            state::EndpointState {
                status,
                latency,
                backed_by,
            },
        );
    }

    /// Marks a node Ready or NotReady.
    ///
    /// # Errors
    /// [`Error::NotFound`] for an unknown node.
    pub fn set_node_ready(&self, node: &str, ready: bool) -> Result<()> {
        let mut s = self.lock();
        let n = s
            .nodes
            .iter_mut()
            .find(|n| n.name.as_str() == node)
            .ok_or_else(|| Error::not_found("node", node))?;
        n.ready = ready;
        Ok(())
    }

    /// The value of the current version of a secret key, for tests of rotation.
    pub fn secret_value(
        &self,
        namespace: &str,
        name: &str,
        key: &str,
    ) -> Option<crate::types::SecretValue> {
        let s = self.lock();
        let k = s
            .secrets
            .get(&(namespace.to_owned(), name.to_owned(), key.to_owned()))?;
        k.versions.get(k.current).cloned()
    }

    pub(crate) fn now(&self) -> Timestamp {
        self.clock.now()
    }
}

/// Looks a deployment up.
pub(crate) fn find<'a>(s: &'a ClusterState, d: &DeploymentRef) -> Result<&'a DeploymentState> {
    s.deployments
        .get(&key(d))
        .ok_or_else(|| Error::not_found("deployment", d.qualified()))
}

/// Looks a deployment up for change.
pub(crate) fn find_mut<'a>(
    s: &'a mut ClusterState,
    d: &DeploymentRef,
) -> Result<&'a mut DeploymentState> {
    s.deployments
        .get_mut(&key(d))
        .ok_or_else(|| Error::not_found("deployment", d.qualified()))
}

/// Looks a container of a deployment's template up for change.
pub(crate) fn container_mut<'a>(
    d: &'a mut DeploymentState,
    container: &ContainerName,
) -> Result<&'a mut state::ContainerSpec> {
    let qualified = d.reference.qualified();
    d.template
        .containers
        .get_mut(container)
        .ok_or_else(|| Error::not_found("container", format!("{qualified}/{container}")))
}

/// Why a deployment's pods cannot run, if they cannot.
pub(crate) fn pod_failure(s: &ClusterState, d: &DeploymentState) -> Option<&'static str> {
    let images: Vec<String> = d
        .template
        .containers
        .values()
        .map(|c| c.image.to_string())
        .collect();
    if images.iter().any(|i| s.bad_images.contains(i)) {
        Some("ImagePullBackOff")
    } else if images.iter().any(|i| s.crashing_images.contains(i)) {
        Some("CrashLoopBackOff")
    } else {
        None
    }
}

/// Replica counts of a deployment at `now`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Counts {
    pub updated: u32,
    pub ready: u32,
    pub available: u32,
}

/// The rollout status and counts of a deployment at `now`, decided as the deployment
/// controller and kubectl would.
pub(crate) fn rollout_at(
    s: &ClusterState,
    d: &DeploymentState,
    behaviour: &ClusterBehaviour,
    now: Timestamp,
) -> (RolloutStatus, Counts) {
    let desired = d.replicas;
    // A paused rollout makes no progress after the pause (kubectl then reports the progress
    // it had: a rollout that was complete stays complete).
    let frozen = d
        .rollout
        .paused_at
        .filter(|at| d.paused && *at > d.rollout.started);
    let now = frozen.map_or(now, |at| at.min(now));
    let elapsed = elapsed_between(d.rollout.started, now);
    let step = behaviour.step.max(Duration::from_millis(1));
    let steps_done = u32::try_from(elapsed.as_millis() / step.as_millis()).unwrap_or(u32::MAX);
    let total = behaviour.rollout_steps.max(1);
    let revision = d
        .current_revision()
        .and_then(|r| Revision::new(r.revision).ok());
    let progressing = |updated| RolloutStatus::Progressing {
        updated,
        ready: desired,
        available: desired,
        desired,
    };
    // Old pods keep serving in every phase of this model, so ready and available stay at the
    // desired count; only how many pods run the new template changes.
    let (status, updated) = if steps_done == 0 {
        // The controller has not observed the new generation yet.
        (RolloutStatus::Pending, 0)
    } else if d.paused && frozen.is_none() {
        // Paused with no rollout progress to keep (the template changed while paused): the
        // controller does not start the new pods.
        (progressing(0), 0)
    } else if pod_failure(s, d).is_some() {
        // One surge pod on the new template never becomes ready.
        let updated = desired.min(1);
        if steps_done >= total {
            let failed = RolloutStatus::Failed {
                reason: "ProgressDeadlineExceeded".into(),
            };
            (failed, updated)
        } else {
            (progressing(updated), updated)
        }
    } else if steps_done >= total || desired == 0 {
        let status = revision.map_or(RolloutStatus::Pending, |revision| RolloutStatus::Complete {
            revision,
        });
        (status, desired)
    } else {
        let updated = desired.saturating_mul(steps_done) / total;
        (progressing(updated), updated)
    };
    let counts = Counts {
        updated,
        ready: desired,
        available: desired,
    };
    (status, counts)
}

/// Labels of the pods of a deployment: its own labels.
pub(crate) fn pod_labels(d: &DeploymentState) -> &BTreeMap<String, String> {
    &d.labels
}

impl Default for MockCluster {
    fn default() -> Self {
        MockCluster::new(
            ClusterState::default(),
            Arc::new(TokioClock::wall()),
            ClusterBehaviour::default(),
        )
    }
}
