//! `Deployer`: images, rollouts, history, undo, restart and blue-green switches.
//!
//! Covers the runbook's `kubectl set image`, `rollout status --timeout=600s`,
//! `rollout history`, `rollout undo`, `rollout restart`, `rollout pause/resume` and the
//! blue-green Service switch (runbook: Standard Deployment, Emergency
//! Rollback, Performance Troubleshooting).

use std::collections::BTreeMap;
use std::time::Duration;

use async_trait::async_trait;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::types::{
    ContainerName, DeploymentRef, ImageRef, Intent, Namespace, ResourceName, Revision,
};

/// Where a rollout stands, decided in kubectl's order (observedGeneration first, then
/// ProgressDeadlineExceeded, then updated / old / available replicas).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
#[non_exhaustive]
pub enum RolloutStatus {
    /// The controller has not observed the latest spec yet.
    Pending,
    /// Replicas are being replaced.
    Progressing {
        /// Replicas running the new template.
        updated: u32,
        /// Ready replicas.
        ready: u32,
        /// Available replicas.
        available: u32,
        /// Desired replicas.
        desired: u32,
    },
    /// Every replica runs the new template and is available.
    Complete {
        /// The revision that is rolled out.
        revision: Revision,
    },
    /// The rollout will not finish by itself (e.g. `ProgressDeadlineExceeded`).
    Failed {
        /// The reason the controller gave.
        reason: String,
    },
}

impl RolloutStatus {
    /// Whether no more progress will happen without intervention (Complete or Failed).
    pub fn is_terminal(&self) -> bool {
        matches!(
            self,
            RolloutStatus::Complete { .. } | RolloutStatus::Failed { .. }
        )
    }
}

impl std::fmt::Display for RolloutStatus {
    /// kubectl's words: `successfully rolled out (revision 3)`,
    /// `1 of 3 updated replicas are available` …
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RolloutStatus::Pending => f.write_str("waiting for the spec update to be observed"),
            RolloutStatus::Progressing {
                updated,
                available,
                desired,
                ..
            } => {
                if updated < desired {
                    write!(
                        f,
                        "{updated} out of {desired} new replicas have been updated"
                    )
                } else {
                    write!(f, "{available} of {updated} updated replicas are available")
                }
            }
            RolloutStatus::Complete { revision } => {
                write!(f, "successfully rolled out (revision {revision})")
            }
            RolloutStatus::Failed { reason } => write!(f, "rollout failed: {reason}"),
        }
    }
}

impl std::fmt::Display for UndoOutcome {
    /// kubectl's words: `rolled back`, `skipped rollback (current template already matches
    /// revision N)` …
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            UndoOutcome::RolledBack { from, to } => {
                write!(
                    f,
                    "rolled back from revision {from} to the template of revision {to}"
                )
            }
            UndoOutcome::Skipped { already_at } => write!(
                f,
                "skipped rollback (current template already matches revision {already_at})"
            ),
            UndoOutcome::NoHistory => f.write_str("no rollout history found"),
            UndoOutcome::Paused => {
                f.write_str("cannot roll back a paused deployment; resume it first")
            }
        }
    }
}

/// One revision of a deployment's rollout history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RevisionInfo {
    /// The revision number.
    pub revision: Revision,
    /// The image of every container in that revision's template.
    pub images: BTreeMap<ContainerName, ImageRef>,
    /// The `kubernetes.io/change-cause` recorded with it.
    pub change_cause: Option<String>,
    /// When that revision was created.
    pub created: Option<Timestamp>,
}

/// A deployment's state at a glance.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeploymentSummary {
    /// Which deployment.
    pub deployment: DeploymentRef,
    /// Desired replicas.
    pub desired: u32,
    /// Ready replicas.
    pub ready: u32,
    /// Available replicas.
    pub available: u32,
    /// Replicas on the current template.
    pub updated: u32,
    /// The current revision, when known.
    pub revision: Option<Revision>,
    /// The image of every container.
    pub images: BTreeMap<ContainerName, ImageRef>,
    /// Whether rollouts are paused.
    pub paused: bool,
    /// When the current revision was created (the "recent deployment" of triage).
    pub updated_at: Option<Timestamp>,
}

/// The pods of a deployment at one moment: what the bake watches besides the metrics, so a
/// lost metric source does not blind it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PodHealth {
    /// Desired replicas.
    pub desired: u32,
    /// Ready replicas (the deployment's status).
    pub ready: u32,
    /// Unavailable replicas (the deployment's status).
    pub unavailable: u32,
    /// Container restarts summed over the deployment's pods.
    pub restarts: u64,
    /// Pods that are not ready, with the reason their containers give
    /// (`web-7d9f-abcde: CrashLoopBackOff`), at most ten.
    pub not_ready: Vec<String>,
}

impl PodHealth {
    /// Whether every desired replica is ready and none is unavailable.
    pub fn all_ready(&self) -> bool {
        self.ready >= self.desired && self.unavailable == 0
    }
}

/// The result of setting an image.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImageChange {
    /// Which deployment.
    pub deployment: DeploymentRef,
    /// Which container.
    pub container: ContainerName,
    /// The image before.
    pub from: ImageRef,
    /// The image after.
    pub to: ImageRef,
    /// `false` when the image already was `to` (nothing to roll out).
    pub changed: bool,
    /// `true` when this was a dry run and nothing was changed.
    pub dry_run: bool,
}

/// What an undo did, following kubectl's `rollout undo`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
#[non_exhaustive]
pub enum UndoOutcome {
    /// The template of revision `to` is being rolled out; it becomes the newest revision.
    RolledBack {
        /// The revision that was current.
        from: Revision,
        /// The revision whose template was restored.
        to: Revision,
    },
    /// The current template already matches the chosen revision: nothing was sent.
    Skipped {
        /// The revision that already matches.
        already_at: Revision,
    },
    /// There is no earlier revision to go back to.
    NoHistory,
    /// The deployment is paused: resume it first.
    Paused,
}

/// The result of an undo.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UndoReport {
    /// Which deployment.
    pub deployment: DeploymentRef,
    /// What happened (or, in a dry run, would happen).
    pub outcome: UndoOutcome,
    /// `true` when this was a dry run and nothing was changed.
    pub dry_run: bool,
}

/// The result of a restart (`kubectl rollout restart`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RestartReport {
    /// Which deployment.
    pub deployment: DeploymentRef,
    /// The `kubectl.kubernetes.io/restartedAt` value written.
    pub restarted_at: Timestamp,
    /// `true` when this was a dry run and nothing was changed.
    pub dry_run: bool,
}

/// A blue-green traffic switch: point a Service's selector from one color to the other.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrafficSwitch {
    /// The namespace of the Service and both Deployments.
    pub namespace: Namespace,
    /// The Service whose selector is switched.
    pub service: ResourceName,
    /// The label key that tells the colors apart (`color`).
    pub label: String,
    /// The value now receiving traffic (`blue`).
    pub from: String,
    /// The value that should receive traffic (`green`).
    pub to: String,
}

/// The result of a traffic switch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SwitchReport {
    /// The switch requested.
    pub switch: TrafficSwitch,
    /// Ready endpoints behind the new selector when the switch was made.
    pub ready_endpoints: u32,
    /// `true` when this was a dry run and nothing was changed.
    pub dry_run: bool,
}

/// Rolls out, watches and reverts Deployments.
///
/// # Example
///
/// ```
/// # #[cfg(feature = "testkit")]
/// # #[tokio::main(flavor = "current_thread", start_paused = true)]
/// # async fn main() -> mcp_ops_core::Result<()> {
/// use std::time::Duration;
/// use mcp_ops_core::types::{ContainerName, DeploymentRef, ImageRef};
/// use mcp_ops_core::{Deployer, Intent, RolloutStatus, UndoOutcome};
///
/// let kit = mcp_ops_core::testkit::TestKit::runbook().await?;
/// let deployer: &dyn Deployer = &kit.cluster;
/// let api: DeploymentRef = "mcp-production/mcp-typescript-api".parse()?;
/// let container = ContainerName::new("mcp-typescript-api")?;
/// let image = ImageRef::parse("ghcr.io/your-org/mcp-typescript-server:v1.0.1")?;
/// let intent = Intent::new("deploy v1.0.1", "ops-bot")?;
/// deployer.set_image(&api, &container, &image, &intent).await?;
/// let status = deployer.wait_for_rollout(&api, Duration::from_secs(600)).await?;
/// assert!(matches!(status, RolloutStatus::Complete { .. }), "{status}");
/// let undo = deployer.undo(&api, None, &Intent::new("error rate > 10 %", "ops-bot")?).await?;
/// assert!(matches!(undo.outcome, UndoOutcome::RolledBack { .. }));
/// # Ok(())
/// # }
/// # #[cfg(not(feature = "testkit"))]
/// # fn main() {}
/// ```
#[cfg_attr(feature = "mock", mockall::automock)]
#[async_trait]
pub trait Deployer: Send + Sync {
    /// The backend's name, for reports and errors.
    fn backend(&self) -> &'static str;

    /// Lists the deployments of a namespace.
    ///
    /// # Errors
    /// Backend errors.
    async fn deployments(&self, namespace: &Namespace) -> Result<Vec<DeploymentSummary>>;

    /// One deployment's summary.
    ///
    /// # Errors
    /// [`crate::Error::NotFound`] when it does not exist.
    async fn deployment(&self, deployment: &DeploymentRef) -> Result<DeploymentSummary>;

    /// Sets the image of one container (`kubectl set image`), recording the intent's reason
    /// as the change-cause.
    ///
    /// # Errors
    /// [`crate::Error::NotFound`] for an unknown deployment or container.
    async fn set_image(
        &self,
        deployment: &DeploymentRef,
        container: &ContainerName,
        image: &ImageRef,
        intent: &Intent,
    ) -> Result<ImageChange>;

    /// The rollout's status now.
    ///
    /// # Errors
    /// [`crate::Error::NotFound`] when the deployment does not exist.
    async fn rollout_status(&self, deployment: &DeploymentRef) -> Result<RolloutStatus>;

    /// The deployment's pods now: readiness, unavailable replicas and container restarts.
    ///
    /// # Errors
    /// [`crate::Error::NotFound`] when the deployment does not exist; backend errors.
    async fn pod_health(&self, deployment: &DeploymentRef) -> Result<PodHealth>;

    /// Waits until the rollout is Complete or Failed, at most `timeout`.
    ///
    /// # Errors
    /// [`crate::Error::Timeout`] when neither happened in time.
    async fn wait_for_rollout(
        &self,
        deployment: &DeploymentRef,
        timeout: Duration,
    ) -> Result<RolloutStatus>;

    /// The rollout history, oldest revision first.
    ///
    /// # Errors
    /// [`crate::Error::NotFound`] when the deployment does not exist.
    async fn history(&self, deployment: &DeploymentRef) -> Result<Vec<RevisionInfo>>;

    /// Rolls back to `to`, or to the previous revision when `None` (`kubectl rollout undo`).
    ///
    /// # Errors
    /// [`crate::Error::NotFound`] when the deployment or the revision `to` does not exist.
    async fn undo(
        &self,
        deployment: &DeploymentRef,
        to: Option<Revision>,
        intent: &Intent,
    ) -> Result<UndoReport>;

    /// Restarts every pod by a rolling update (`kubectl rollout restart`).
    ///
    /// A paused deployment is not restarted, as kubectl refuses with "can't restart paused
    /// deployment (run rollout resume first)": a restart written while paused would only
    /// roll out at the next resume. The refusal comes before anything is written, in a dry
    /// run too, and is not retryable (waiting does not resume the deployment).
    ///
    /// # Errors
    /// [`crate::Error::NotFound`] when the deployment does not exist;
    /// [`crate::Error::PolicyViolation`] with policy `paused-deployment` when it is paused
    /// (the reason names the deployment and says to resume it first); nothing is changed.
    async fn restart(&self, deployment: &DeploymentRef, intent: &Intent) -> Result<RestartReport>;

    /// Pauses (`true`) or resumes (`false`) rollouts of a deployment.
    ///
    /// # Errors
    /// [`crate::Error::NotFound`] when the deployment does not exist.
    async fn set_paused(
        &self,
        deployment: &DeploymentRef,
        paused: bool,
        intent: &Intent,
    ) -> Result<()>;

    /// Switches a Service between two colored Deployments, after checking that the target
    /// color has ready endpoints.
    ///
    /// # Errors
    /// [`crate::Error::Conflict`] when the Service does not select `from` or `to` has no
    /// ready pods; [`crate::Error::NotFound`] for an unknown Service.
    async fn switch_traffic(&self, switch: &TrafficSwitch, intent: &Intent)
    -> Result<SwitchReport>;
}
