//! Stateful in-memory backends of every capability trait (feature `mock`).
//!
//! They behave like the real systems where the runbook cares, record every call, and accept
//! injected faults ([`Faults`]). Users test their own runbooks and tools with them; the
//! contract suites in [`crate::testing`] hold them to the same rules as the real backends.
//! The mockall mocks (`MockDeployer`, …) are re-exported here too for expectation-style tests.
//!
//! # Clocks
//!
//! Each mock built without a clock gets its own [`TokioClock::wall`](crate::TokioClock::wall):
//! wall time in a running runtime, paused time in a paused one, so a
//! `#[tokio::test(start_paused = true)]` sees rollouts progress as its time auto-advances.
//! For timestamps that agree exactly across mocks and the procedure's
//! [`Context`](crate::runbook::Context), hand one clock to every builder (`.clock(…)`) — or
//! use `testkit::TestKit` (feature `testkit`), which does that and more in one call.

mod alerting;
mod cluster;
mod database;
mod faults;

pub use alerting::*;
pub use cluster::{ClusterBehaviour, MockCluster, MockClusterBuilder};
pub use database::*;
pub use faults::{Call, Faults};

pub use crate::backup::MockBackupManager;
pub use crate::deploy::MockDeployer;
pub use crate::escalation::MockEscalator;
pub use crate::health::MockHealthCheck;
pub use crate::maintenance::MockDatabaseMaintenance;
pub use crate::node_group::MockNodeGroupScaler;
pub use crate::notify::MockNotifier;
pub use crate::scale::MockScaler;
pub use crate::secrets::MockSecretRotator;

/// The runbook's health endpoint as served by [`MockCluster::runbook`].
pub use cluster::RUNBOOK_HEALTH_URL;
