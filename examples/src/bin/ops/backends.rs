//! Which systems `ops` talks to: one [`Backends`] value of `Arc<dyn Trait>`s.
//!
//! The cluster is the embedded SimCluster (a simulated Kubernetes API server started in
//! process, seeded with the runbook's `mcp-production`) or the one `--kubeconfig` names.
//! PostgreSQL, Redis, Prometheus, Alertmanager and the API's health endpoint are the ones the
//! URL flags name ([`Endpoints`]). What is not named is served by the in-memory stand-ins of
//! `mcp-ops-core` on the embedded cluster (they describe the same `mcp-production`), and is
//! **not configured** on a real cluster: its checks report `Unknown` with the flag to pass,
//! its actions fail with it. Incidents are kept in the state directory on every target, so
//! `ops incident ack` can follow `ops incident open`. The banner lists each source.

use std::ops::Deref;
use std::sync::Arc;

use mcp_ops_alerts::escalation::EscalationEngine;
use mcp_ops_core::backends::{HealthSmoke, NotConfigured};
use mcp_ops_core::health::HttpProbe;
use mcp_ops_core::mock::{
    MockAlerting, MockAlertingBuilder, MockCluster, MockDatabase, RecordingNotifier,
};
use mcp_ops_core::types::Namespace;
use mcp_ops_k8s::sim::{Scenario, SimCluster};
use mcp_ops_k8s::{ConfigBackups, KubeCluster, KubeConfig};

use crate::Failure;
use crate::assemble::assemble;
use crate::endpoints::Endpoints;

/// The capabilities a command may use ([`mcp_ops_core::Backends`], reached through
/// `Deref`: `b.deployer`, `b.health` …), and where they come from.
#[derive(Clone)]
pub struct Backends {
    /// Every capability: deployer, scaler, node groups, the health router, backups,
    /// maintenance, secrets, escalator, notifiers and the clock.
    pub core: mcp_ops_core::Backends,
    /// `embedded` or `kubeconfig`.
    pub target: String,
    /// The cluster's half of the banner.
    pub(crate) cluster_line: String,
    /// The API's health probe (`--health-url`, else the runbook's).
    pub health_probe: HttpProbe,
    /// The escalation engine behind incidents (pruning); `None` on the drill's stand-ins.
    pub engine: Option<Arc<EscalationEngine>>,
    /// The in-memory systems, for the drill's scripted faults (embedded target only).
    pub embedded: Option<Embedded>,
    /// The Kubernetes backend (quarantine, audit).
    pub kube: KubeCluster,
    /// The embedded simulated cluster, kept running while the command runs.
    pub sim: Option<Arc<SimCluster>>,
    /// Where each part comes from, for the banner (`database: postgres host:5432/db`).
    pub sources: Vec<String>,
    /// Notes for every report (what is not configured).
    pub notes: Vec<String>,
    /// Said by the commands that send incident messages when no notifier is configured.
    pub notify_note: Option<String>,
    /// Set when no database is configured (a real cluster without `--database-url`).
    pub database_missing: Option<NotConfigured>,
    /// Configuration backups kept as files, when they are (for restores with per-object
    /// results).
    pub config_backups: Option<ConfigBackups>,
    /// Where change requests and the persisted journal are kept (set by `main::target`).
    pub changes: Option<crate::change_setup::ChangeSetup>,
    /// The journal every context of this run writes to (persisted after a change).
    pub run_journal: mcp_ops_core::runbook::Journal,
    /// Asks every context of this run to stop safely (`ops mcp`: the client cancelled).
    pub stop: mcp_ops_core::runbook::StopSignal,
}

impl Deref for Backends {
    type Target = mcp_ops_core::Backends;

    fn deref(&self) -> &Self::Target {
        &self.core
    }
}

/// The concrete in-memory systems behind the embedded target.
#[derive(Clone)]
pub struct Embedded {
    /// The cluster (node groups and the HTTP endpoint check).
    pub cluster: MockCluster,
    /// The database and cache.
    pub database: MockDatabase,
    /// Prometheus, Alertmanager and the escalation engine.
    pub alerting: MockAlerting,
    /// The Slack channel the stand-ins post to.
    pub slack: Arc<RecordingNotifier>,
}

impl Embedded {
    /// The runbook's systems in memory: the database `mcp_db` with last night's verified
    /// backup (`nightly-<today>-001`), healthy metrics and the runbook's escalation policy.
    ///
    /// # Errors
    /// Only if seeding the nightly backup fails (a bug in the seed).
    pub async fn runbook() -> mcp_ops_core::Result<Self> {
        let cluster = MockCluster::runbook();
        let (database, _nightly) = MockDatabase::runbook_with_nightly_backup().await?;
        let slack = Arc::new(RecordingNotifier::slack());
        let alerting = MockAlertingBuilder::runbook()
            .notifier(slack.clone())
            .build();
        Ok(Self {
            cluster,
            database,
            alerting,
            slack,
        })
    }
}

/// The cluster part of a target.
pub(crate) struct Cluster {
    pub(crate) kube: KubeCluster,
    pub(crate) namespace: Namespace,
    pub(crate) embedded: Option<Embedded>,
    pub(crate) sim: Option<Arc<SimCluster>>,
    pub(crate) target: &'static str,
    pub(crate) banner: String,
}

impl Backends {
    /// The drill's target: the embedded simulated cluster with every other system in memory
    /// (the drill injects its faults there), whatever the URL flags say.
    ///
    /// # Errors
    /// [`Failure::Failed`] when the simulator cannot start.
    pub async fn drill(namespace: &str) -> Result<Self, Failure> {
        let cluster = simulated(namespace).await?;
        let embedded = cluster
            .embedded
            .clone()
            .ok_or_else(|| Failure::Failed("the drill needs the embedded systems".to_owned()))?;
        let mut b = assemble(cluster, None)?;
        b.core.escalator = Arc::new(embedded.alerting);
        Ok(b)
    }

    /// The default target: a [`SimCluster`] seeded with [`Scenario::mcp_production`], started
    /// in process on a free port of 127.0.0.1 and reached over HTTP through the same
    /// kubeconfig path as `--kubeconfig`; the rest as [`Endpoints`] say, else in memory.
    ///
    /// # Errors
    /// [`Failure::Failed`] when the simulator cannot start; [`Failure::BadInput`] when a
    /// directory of `endpoints` cannot be created.
    pub async fn simulated(namespace: &str, endpoints: &Endpoints) -> Result<Self, Failure> {
        let cluster = simulated(namespace).await?;
        let b = assemble(cluster, Some(endpoints))?;
        Ok(b)
    }

    /// A cluster named by a kubeconfig file (and context); the rest as [`Endpoints`] say,
    /// else not configured.
    ///
    /// # Errors
    /// [`Failure::BadInput`] when the kubeconfig cannot be loaded or the context is unknown.
    pub async fn kubeconfig(
        path: &str,
        context: Option<&str>,
        namespace: &str,
        endpoints: &Endpoints,
    ) -> Result<Self, Failure> {
        let mut config = KubeConfig::new()
            .with_kubeconfig_path(path)
            .with_namespace(namespace);
        if let Some(c) = context {
            config = config.with_context(c);
        }
        let kube = config
            .build()
            .await
            .map_err(|e| Failure::BadInput(format!("cannot load kubeconfig: {e}")))?;
        let cluster = Cluster {
            kube,
            namespace: Namespace::new(namespace)?,
            embedded: None,
            sim: None,
            target: "kubeconfig",
            banner: format!(
                "ops: cluster from kubeconfig {path}{}",
                context
                    .map(|c| format!(", context {c}"))
                    .unwrap_or_default()
            ),
        };
        assemble(cluster, Some(endpoints))
    }

    /// The one line printed on stderr saying what `ops` talks to:
    /// `<cluster> (<source>; <source>; …)`.
    pub fn banner(&self) -> String {
        let line = format!("{} ({})", self.cluster_line, self.sources.join("; "));
        mcp_ops_core::redact_text(&line)
    }

    /// The smoke test after a deploy or rollback: `GET` the health probe (the runbook's
    /// `production_smoke_tests.py` is the caller's own).
    pub fn smoke(&self) -> HealthSmoke {
        HealthSmoke::new(Arc::new(self.health.clone()), self.health_probe.clone())
    }
}

async fn simulated(namespace: &str) -> Result<Cluster, Failure> {
    let sim = SimCluster::start(Scenario::mcp_production())
        .await
        .map_err(|e| Failure::Failed(format!("cannot start the simulated cluster: {e}")))?;
    let kube = KubeConfig::new()
        .with_kubeconfig_path(sim.kubeconfig_path())
        .with_namespace(namespace)
        .build()
        .await
        .map_err(|e| Failure::Failed(format!("cannot reach the simulated cluster: {e}")))?;
    let embedded = Embedded::runbook().await?;
    Ok(Cluster {
        kube,
        namespace: Namespace::new(namespace)?,
        embedded: Some(embedded),
        banner: format!(
            "ops: embedded simulated cluster mcp-production at {}",
            sim.url()
        ),
        sim: Some(Arc::new(sim)),
        target: "embedded",
    })
}
