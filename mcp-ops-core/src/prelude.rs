//! One `use` for writing a tool or a backend: `use mcp_ops_core::prelude::*;`.
//!
//! It brings the capability traits, the domain types most calls take, [`Result`] and
//! [`Error`], [`Intent`], the runbook's [`Context`] and procedures, the [`Backends`] bundle,
//! the [`async_trait`](macro@async_trait) macro and jiff's [`Timestamp`] — so implementing a trait needs no
//! dependency besides this crate:
//!
//! ```
//! use mcp_ops_core::prelude::*;
//! use mcp_ops_core::runbook::smoke::{SmokeCheck, SmokeReport};
//!
//! /// The team's own smoke tests.
//! struct Checkout;
//!
//! #[async_trait]
//! impl SmokeTest for Checkout {
//!     async fn run(&self) -> Result<SmokeReport> {
//!         Ok(SmokeReport::new(vec![SmokeCheck::pass("POST /cart", "201 in 80 ms")]))
//!     }
//! }
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<()> {
//! assert!(Checkout.run().await?.passed());
//! let started: Timestamp = Backends::new().clock.now();
//! assert!(started > Timestamp::UNIX_EPOCH);
//! # Ok(()) }
//! ```

pub use async_trait::async_trait;
pub use jiff::Timestamp;

pub use crate::backends::{Backends, HealthRouter, NotConfigured};
pub use crate::backup::{BackupId, BackupKind, BackupManager, BackupRecord, BackupRequest};
pub use crate::clock::{Clock, SharedClock, SystemClock, TokioClock};
pub use crate::deploy::{Deployer, RolloutStatus};
pub use crate::error::{Error, Result};
pub use crate::escalation::Escalator;
pub use crate::health::{HealthCheck, HealthReport, HealthStatus, HealthTarget, HttpProbe};
pub use crate::incident::{Incident, IncidentId, NewIncident};
pub use crate::maintenance::DatabaseMaintenance;
pub use crate::node_group::NodeGroupScaler;
pub use crate::notify::{Message, Notifier};
pub use crate::policy::Policy;
pub use crate::runbook::emergency_rollback::emergency_rollback;
pub use crate::runbook::investigate_error_rate::investigate_error_rate;
pub use crate::runbook::investigate_latency::investigate_latency;
pub use crate::runbook::maintenance_window::maintenance_window;
pub use crate::runbook::recover_database::recover_database;
pub use crate::runbook::rotate_secret::rotate_secret;
pub use crate::runbook::run_incident::run_incident;
pub use crate::runbook::scale_out::scale_out;
pub use crate::runbook::smoke::SmokeTest;
pub use crate::runbook::standard_deploy::standard_deploy;
pub use crate::runbook::triage::triage;
pub use crate::runbook::{Context, Journal};
pub use crate::scale::Scaler;
pub use crate::secrets::{SecretKeyRef, SecretRotator};
pub use crate::types::{
    ContainerName, DeploymentRef, ImageRef, Intent, Namespace, Replicas, SecretValue, Severity,
};
