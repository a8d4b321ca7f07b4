//! # mcp-ops-core
//!
//! The operations runbook of an MCP platform on Kubernetes as a typed, tested SDK: domain
//! types that validate on construction, six capability traits (one per kind of work the
//! runbook does), thresholds with the runbook's numbers, in-memory mock backends and the
//! contract suites every backend must pass. This crate knows no backend: the Kubernetes,
//! database and alerting backends live in `mcp-ops-k8s`, `mcp-ops-db` and `mcp-ops-alerts`.
//!
//! | trait | module | runbook |
//! |---|---|---|
//! | [`HealthCheck`] | [`health`] | endpoint, cluster, database, cache and metric health |
//! | [`Deployer`] | [`deploy`] | set image, rollout status, history, undo, restart, blue-green |
//! | [`Scaler`] | [`scale`] | replicas, autoscaler bounds, resources, recommendations, capacity |
//! | [`BackupManager`] | [`backup`] | database, CronJob and configuration backups; verify; restore |
//! | [`SecretRotator`] | [`secrets`] | stage, apply, verify, revert credentials |
//! | [`Escalator`] | [`escalation`] | incidents, escalation levels, alerts, silences |
//!
//! Every mutating call takes an [`Intent`]: why (the change-cause), who, and
//! whether it is a dry run — a dry run returns the planned change and changes nothing.
//!
//! ```
//! # #[cfg(feature = "mock")]
//! # async fn demo() -> mcp_ops_core::Result<()> {
//! use mcp_ops_core::mock::MockCluster;
//! use mcp_ops_core::types::{ContainerName, DeploymentRef, ImageRef, Intent};
//! use mcp_ops_core::{Deployer, UndoOutcome};
//! use std::time::Duration;
//!
//! let cluster = MockCluster::runbook();
//! let api: DeploymentRef = "mcp-production/mcp-typescript-api".parse()?;
//! let intent = Intent::new("deploy v1.0.1", "ops-bot")?;
//! let image = ImageRef::parse("ghcr.io/your-org/mcp-typescript-server:v1.0.1")?;
//! cluster.set_image(&api, &ContainerName::new("mcp-typescript-api")?, &image, &intent).await?;
//! let undo = cluster.undo(&api, None, &Intent::new("error rate > 10 %", "ops-bot")?).await?;
//! assert!(matches!(undo.outcome, UndoOutcome::RolledBack { .. }));
//! # Ok(()) }
//! ```
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod backends;
pub mod backup;
pub mod clock;
pub mod deploy;
pub mod error;
pub mod escalation;
pub mod escalation_silence;
pub mod health;
pub mod incident;
pub mod maintenance;
#[cfg(feature = "mock")]
pub mod mock;
pub mod node_group;
pub mod notify;
pub mod platform;
pub mod policy;
pub mod prelude;
pub mod redact;
pub mod runbook;
pub mod scale;
pub mod secrets;
#[cfg(feature = "testing")]
pub mod testing;
#[cfg(feature = "testkit")]
pub mod testkit;
pub mod types;
pub mod url_check;

/// The `#[async_trait]` macro the capability traits are written with: implement them with
/// `#[mcp_ops_core::async_trait]`, no `async-trait` dependency of your own.
pub use async_trait::async_trait;
/// The date-time crate of the API ([`jiff::Timestamp`] in reports, [`Clock::now`]), re-exported
/// so callers use the same version.
pub use jiff;
pub use backends::Backends;
pub use backup::{
    BackupId, BackupKind, BackupManager, BackupRecord, BackupRequest, BackupStatus, IntegrityCheck,
    RestoreOptions, RestoreReport, VerificationReport,
};
pub use clock::{Clock, SharedClock, SystemClock, TokioClock};
pub use deploy::{
    Deployer, DeploymentSummary, ImageChange, RevisionInfo, RolloutStatus, TrafficSwitch,
    UndoOutcome, UndoReport,
};
pub use error::{Error, Permission, Result};
pub use escalation::{EscalationPolicy, Escalator};
pub use health::{HealthCheck, HealthReport, HealthStatus, HealthSummary, HealthTarget};
pub use incident::{Incident, IncidentId, NewIncident};
pub use maintenance::DatabaseMaintenance;
pub use node_group::NodeGroupScaler;
pub use notify::{Message, Notifier};
pub use policy::Policy;
pub use redact::{redact_json, redact_text, redact_url};
pub use scale::{ScaleChange, Scaler};
pub use secrets::{PendingRotation, RotationPhase, RotationReport, SecretKeyRef, SecretRotator};
pub use types::{Intent, SecretValue, Severity};

/// The README's example, compiled and run as a doc test.
#[cfg(all(doctest, feature = "mock"))]
#[doc = include_str!("../../README.md")]
pub struct ReadmeDoctests;
