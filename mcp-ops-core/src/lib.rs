#![doc = include_str!("../README.md")]
//!
//! ## Where things are
//!
//! | trait | module | runbook |
//! |---|---|---|
//! | [`HealthCheck`] | [`health`] | endpoint, cluster, database, cache and metric health |
//! | [`Deployer`] | [`deploy`] | set image, rollout status, history, undo, restart, blue-green |
//! | [`Scaler`] | [`scale`] | replicas, autoscaler bounds, resources, recommendations, capacity |
//! | [`BackupManager`] | [`backup`] | database, CronJob and configuration backups; verify; restore |
//! | [`SecretRotator`] | [`secrets`] | stage, apply, verify, revert credentials |
//! | [`Escalator`] | [`escalation`] | incidents, escalation levels, alerts, silences |
//! | [`DatabaseMaintenance`] | [`maintenance`] | ANALYZE, VACUUM, `pg_stat_*` views |
//! | [`NodeGroupScaler`] | [`node_group`] | node groups |
//! | [`Notifier`] | [`notify`] | Slack, PagerDuty, email |
//!
//! The procedures are in [`runbook`], driven by a [`runbook::Context`] that records every
//! step in a [`runbook::Journal`]; domain types are in [`types`], the clock in [`clock`],
//! errors in [`error`].
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod audit;
pub mod backends;
pub mod backoff;
pub mod backup;
pub mod change;
pub mod clock;
pub mod deploy;
pub mod error;
pub mod escalation;
pub mod escalation_silence;
pub mod health;
pub mod health_read;
pub mod incident;
pub mod maintenance;
#[cfg(feature = "mock")]
pub mod mock;
pub mod node_group;
pub mod notify;
pub mod platform;
pub mod policy;
pub mod prelude;
pub mod private_file;
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
pub use backends::Backends;
pub use backup::{
    BackupId, BackupKind, BackupManager, BackupRecord, BackupRequest, BackupStatus, IntegrityCheck,
    RestoreOptions, RestoreReport, VerificationReport,
};
pub use change::{ChangeId, ChangePolicy, ChangeRefusal, ChangeRequest, ChangeStore};
pub use clock::{Clock, SharedClock, SystemClock, TokioClock};
pub use deploy::{
    Deployer, DeploymentSummary, ImageChange, RevisionInfo, RolloutStatus, TrafficSwitch,
    UndoOutcome, UndoReport,
};
pub use error::{Error, Permission, Result};
pub use escalation::{EscalationPolicy, Escalator};
pub use health::{HealthCheck, HealthReport, HealthStatus, HealthSummary, HealthTarget};
pub use incident::{Incident, IncidentId, NewIncident};
/// The date-time crate of the API ([`jiff::Timestamp`] in reports, [`Clock::now`]), re-exported
/// so callers use the same version.
pub use jiff;
pub use maintenance::DatabaseMaintenance;
pub use node_group::NodeGroupScaler;
pub use notify::{Message, Notifier};
pub use policy::Policy;
pub use redact::{redact_json, redact_text, redact_url};
pub use scale::{ScaleChange, Scaler};
pub use secrets::{PendingRotation, RotationPhase, RotationReport, SecretKeyRef, SecretRotator};
pub use types::{Intent, SecretValue, Severity};
