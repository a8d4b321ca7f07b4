//! Rollout behaviour of the `Deployer` on a real control plane, judged by the real deployment
//! controller and by kubectl of the same release: the undo differential, a real
//! `ProgressDeadlineExceeded`, paused deployments, revision renumbering, a wait that survives
//! a kube-apiserver restart, and read-modify-write calls (deployment, HPA and Secret rotation
//! bookkeeping) racing a concurrent writer.
#![cfg(feature = "testing")]
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod real_support;

#[path = "real_rollout/apiserver_gone.rs"]
mod apiserver_gone;
#[path = "real_rollout/apiserver_restart.rs"]
mod apiserver_restart;
#[path = "real_rollout/conflicts.rs"]
mod conflicts;
#[path = "real_rollout/deadline.rs"]
mod deadline;
#[path = "real_rollout/paused.rs"]
mod paused;
#[path = "real_rollout/renumbering.rs"]
mod renumbering;
#[path = "real_rollout/rotation_conflicts.rs"]
mod rotation_conflicts;
#[path = "real_rollout/undo_kubectl.rs"]
mod undo_kubectl;
