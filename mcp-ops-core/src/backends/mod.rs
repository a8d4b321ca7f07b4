//! The wiring of a tool: one [`Backends`] value holding an `Arc<dyn …>` for every capability,
//! built with [`NotConfigured`] answers and filled in with `with_*` setters, plus the routers
//! that put several backends behind one trait ([`HealthRouter`], [`EscalatorRouter`]) and a
//! smoke test that `GET`s a health endpoint ([`HealthSmoke`]).
//!
//! The backend crates fill a bundle in a few lines: `mcp-ops-k8s` the cluster's parts from a
//! kubeconfig context, `mcp-ops-alerts` metrics and alerts from optional URLs, `mcp-ops-db`
//! the database's parts. What is left unset answers with a hint naming the setting.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> mcp_ops_core::Result<()> {
//! use std::sync::Arc;
//! use mcp_ops_core::prelude::*;
//! use mcp_ops_core::backends::Backends;
//! use mcp_ops_core::health::{HealthReport, HealthTarget, TargetKind};
//! use mcp_ops_core::runbook::triage::{triage, TriageInput};
//!
//! /// The tool's own metrics backend: everything is fine.
//! struct Calm;
//!
//! #[async_trait]
//! impl HealthCheck for Calm {
//!     fn backend(&self) -> &'static str { "calm" }
//!     fn supports(&self, kind: TargetKind) -> bool { kind == TargetKind::Metric }
//!     async fn check(&self, target: &HealthTarget) -> Result<HealthReport> {
//!         Ok(HealthReport::new(target.clone(), HealthStatus::Healthy, "fine", Timestamp::now()))
//!     }
//! }
//!
//! let backends = Backends::new().with_metrics(Arc::new(Calm));
//! let ctx = backends.context("triage", Intent::new("P0 page", "on-call")?);
//! let report = triage(&ctx, &backends.triage(), &TriageInput::runbook()).await?;
//! // The cluster, database and cache were not configured: triage says so, it does not guess.
//! assert_ne!(report.overall, HealthStatus::Healthy);
//! # Ok(()) }
//! ```

mod escalator_router;
mod health_router;
mod health_smoke;
mod not_configured;
#[cfg(test)]
mod tests;

use std::sync::Arc;

pub use escalator_router::EscalatorRouter;
pub use health_router::HealthRouter;
pub use health_smoke::HealthSmoke;
pub use not_configured::NotConfigured;

use crate::clock::{SharedClock, SystemClock};
use crate::runbook::Context;
use crate::runbook::emergency_rollback::RollbackBackends;
use crate::runbook::investigate_latency::LatencyBackends;
use crate::runbook::rotate_secret::RotationBackends;
use crate::runbook::scale_out::ScaleOutBackends;
use crate::runbook::smoke::SmokeTest;
use crate::runbook::standard_deploy::DeployBackends;
use crate::runbook::triage::TriageBackends;
use crate::{
    BackupManager, DatabaseMaintenance, Deployer, Escalator, HealthCheck, Intent, NodeGroupScaler,
    Notifier, Scaler, SecretRotator,
};

/// Every capability a procedure may use, each behind an `Arc<dyn …>`, and the clock
/// procedures run on. Cloning is cheap (the backends are shared).
#[derive(Clone)]
pub struct Backends {
    /// Deployments, rollouts, history, undo.
    pub deployer: Arc<dyn Deployer>,
    /// Replicas, autoscalers, resources, node capacity.
    pub scaler: Arc<dyn Scaler>,
    /// Secret rotation.
    pub secrets: Arc<dyn SecretRotator>,
    /// Node groups (`eksctl scale nodegroup`); `None`: there is no node group backend.
    pub node_groups: Option<Arc<dyn NodeGroupScaler>>,
    /// Every health check, routed by target kind.
    pub health: HealthRouter,
    /// Backups, verification, restore.
    pub backups: Arc<dyn BackupManager>,
    /// ANALYZE, VACUUM, `pg_stat_*` views.
    pub maintenance: Arc<dyn DatabaseMaintenance>,
    /// Incidents, escalation, alerts and silences.
    pub escalator: Arc<dyn Escalator>,
    /// Where notices go (Slack, PagerDuty, email …).
    pub notifiers: Vec<Arc<dyn Notifier>>,
    /// The clock procedures run on.
    pub clock: SharedClock,
}

impl Default for Backends {
    fn default() -> Self {
        Self::new()
    }
}

impl std::fmt::Debug for Backends {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Backends")
            .field("deployer", &self.deployer.backend())
            .field("scaler", &self.scaler.backend())
            .field("secrets", &self.secrets.backend())
            .field(
                "node_groups",
                &self.node_groups.as_ref().map(|n| n.backend()),
            )
            .field("health", &self.health)
            .field("backups", &self.backups.backend())
            .field("maintenance", &self.maintenance.backend())
            .field("escalator", &self.escalator.backend())
            .field(
                "notifiers",
                &self
                    .notifiers
                    .iter()
                    .map(|n| n.channel())
                    .collect::<Vec<_>>(),
            )
            .finish_non_exhaustive()
    }
}

impl Backends {
    /// Nothing configured: the cluster's capabilities answer with
    /// [`NotConfigured::CLUSTER`], backups and maintenance with [`NotConfigured::DATABASE`],
    /// alerts and incidents with [`NotConfigured::ALERTMANAGER`], health checks as
    /// [`HealthRouter::new`]; no node groups, no notifiers, the system clock.
    pub fn new() -> Self {
        Self {
            deployer: Arc::new(NotConfigured::CLUSTER),
            scaler: Arc::new(NotConfigured::CLUSTER),
            secrets: Arc::new(NotConfigured::CLUSTER),
            node_groups: None,
            health: HealthRouter::new(),
            backups: Arc::new(NotConfigured::DATABASE),
            maintenance: Arc::new(NotConfigured::DATABASE),
            escalator: Arc::new(NotConfigured::ALERTMANAGER),
            notifiers: Vec::new(),
            clock: Arc::new(SystemClock),
        }
    }

    /// One backend for deployments, scaling, secrets and cluster health (a `KubeCluster`).
    #[must_use]
    pub fn with_cluster<C>(mut self, cluster: C) -> Self
    where
        C: Deployer + Scaler + SecretRotator + HealthCheck + Clone + 'static,
    {
        self.deployer = Arc::new(cluster.clone());
        self.scaler = Arc::new(cluster.clone());
        self.secrets = Arc::new(cluster.clone());
        self.health.cluster = Arc::new(cluster);
        self
    }

    /// Deployments go to `deployer`.
    #[must_use]
    pub fn with_deployer(mut self, deployer: Arc<dyn Deployer>) -> Self {
        self.deployer = deployer;
        self
    }

    /// Scaling goes to `scaler`.
    #[must_use]
    pub fn with_scaler(mut self, scaler: Arc<dyn Scaler>) -> Self {
        self.scaler = scaler;
        self
    }

    /// Secret rotation goes to `secrets`.
    #[must_use]
    pub fn with_secrets(mut self, secrets: Arc<dyn SecretRotator>) -> Self {
        self.secrets = secrets;
        self
    }

    /// Node groups go to `node_groups`.
    #[must_use]
    pub fn with_node_groups(mut self, node_groups: Arc<dyn NodeGroupScaler>) -> Self {
        self.node_groups = Some(node_groups);
        self
    }

    /// Replaces the whole health router.
    #[must_use]
    pub fn with_health(mut self, health: HealthRouter) -> Self {
        self.health = health;
        self
    }

    /// Checks of Kubernetes objects go to `backend`.
    #[must_use]
    pub fn with_cluster_health(mut self, backend: Arc<dyn HealthCheck>) -> Self {
        self.health.cluster = backend;
        self
    }

    /// Checks of HTTP endpoints go to `backend`.
    #[must_use]
    pub fn with_http_health(mut self, backend: Arc<dyn HealthCheck>) -> Self {
        self.health.http = backend;
        self
    }

    /// Database readiness checks go to `backend`.
    #[must_use]
    pub fn with_database_health(mut self, backend: Arc<dyn HealthCheck>) -> Self {
        self.health.database = backend;
        self
    }

    /// Cache readiness checks go to `backend`.
    #[must_use]
    pub fn with_cache_health(mut self, backend: Arc<dyn HealthCheck>) -> Self {
        self.health.cache = backend;
        self
    }

    /// Metric checks (error rate, p95, memory) go to `backend`.
    #[must_use]
    pub fn with_metrics(mut self, backend: Arc<dyn HealthCheck>) -> Self {
        self.health.metrics = backend;
        self
    }

    /// Backups go to `backups`.
    #[must_use]
    pub fn with_backups(mut self, backups: Arc<dyn BackupManager>) -> Self {
        self.backups = backups;
        self
    }

    /// Database maintenance goes to `maintenance`.
    #[must_use]
    pub fn with_maintenance(mut self, maintenance: Arc<dyn DatabaseMaintenance>) -> Self {
        self.maintenance = maintenance;
        self
    }

    /// Incidents, alerts and silences go to `escalator`.
    #[must_use]
    pub fn with_escalator(mut self, escalator: Arc<dyn Escalator>) -> Self {
        self.escalator = escalator;
        self
    }

    /// Adds a notifier.
    #[must_use]
    pub fn with_notifier(mut self, notifier: Arc<dyn Notifier>) -> Self {
        self.notifiers.push(notifier);
        self
    }

    /// Procedures run on `clock` (a `TokioClock` for tests in paused time).
    #[must_use]
    pub fn with_clock(mut self, clock: SharedClock) -> Self {
        self.clock = clock;
        self
    }

    /// A [`Context`] for `procedure` run with `intent`, on this bundle's clock.
    pub fn context(&self, procedure: &'static str, intent: Intent) -> Context {
        Context::new(procedure, intent, self.clock.clone())
    }

    /// The backends of [`triage`](crate::runbook::triage::triage): every one of them.
    pub fn triage(&self) -> TriageBackends<'_> {
        TriageBackends {
            cluster: Some(&self.health),
            deployer: Some(self.deployer.as_ref()),
            scaler: Some(self.scaler.as_ref()),
            database: Some(&self.health),
            cache: Some(&self.health),
            metrics: Some(&self.health),
        }
    }

    /// The backends of
    /// [`investigate_latency`](crate::runbook::investigate_latency::investigate_latency).
    pub fn latency(&self) -> LatencyBackends<'_> {
        LatencyBackends {
            metrics: Some(&self.health),
            scaler: Some(self.scaler.as_ref()),
            maintenance: Some(self.maintenance.as_ref()),
        }
    }

    /// The backends of [`scale_out`](crate::runbook::scale_out::scale_out).
    pub fn scale_out(&self) -> ScaleOutBackends<'_> {
        ScaleOutBackends {
            scaler: self.scaler.as_ref(),
            node_groups: self.node_groups.as_deref(),
        }
    }

    /// The backends of [`standard_deploy`](crate::runbook::standard_deploy::standard_deploy),
    /// with the caller's smoke tests (a [`HealthSmoke`], say).
    pub fn deploy<'a>(&'a self, smoke: &'a dyn SmokeTest) -> DeployBackends<'a> {
        DeployBackends {
            deployer: self.deployer.as_ref(),
            backups: self.backups.as_ref(),
            health: &self.health,
            metrics: &self.health,
            smoke,
            escalator: self.escalator.as_ref(),
        }
    }

    /// The backends of
    /// [`emergency_rollback`](crate::runbook::emergency_rollback::emergency_rollback), with the
    /// caller's smoke tests.
    pub fn rollback<'a>(&'a self, smoke: &'a dyn SmokeTest) -> RollbackBackends<'a> {
        RollbackBackends {
            deployer: self.deployer.as_ref(),
            health: &self.health,
            smoke,
            escalator: self.escalator.as_ref(),
        }
    }

    /// The backends of [`rotate_secret`](crate::runbook::rotate_secret::rotate_secret).
    pub fn rotation(&self) -> RotationBackends<'_> {
        RotationBackends {
            rotator: self.secrets.as_ref(),
            deployer: self.deployer.as_ref(),
            health: &self.health,
        }
    }
}
