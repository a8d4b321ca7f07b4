//! Which systems `ops` talks to: one [`Backends`] value of `Arc<dyn Trait>`s.
//!
//! Three targets: the default embedded SimCluster (a simulated Kubernetes API server started
//! in process, seeded with the runbook's `mcp-production`), a cluster named by
//! `--kubeconfig`, and the older all-in-memory mocks ([`Backends::in_memory`]). In all three
//! the database, metrics, alerting, node groups and the HTTP endpoint check are the
//! in-memory stand-ins of `mcp-ops-core` (no embedded server serves them); the banner says so.

use std::sync::Arc;

use async_trait::async_trait;
use mcp_ops_core::backup::{BackupKind, BackupRequest};
use mcp_ops_core::health::{HealthTarget, HttpProbe};
use mcp_ops_core::mock::{
    MockAlerting, MockAlertingBuilder, MockCluster, MockDatabase, RUNBOOK_HEALTH_URL,
    RecordingNotifier,
};
use mcp_ops_core::runbook::smoke::{SmokeCheck, SmokeReport, SmokeTest};
use mcp_ops_core::types::Namespace;
use mcp_ops_core::{
    BackupManager, DatabaseMaintenance, Deployer, Escalator, HealthCheck, HealthStatus, Intent,
    NodeGroupScaler, Notifier, Scaler, SecretRotator, SharedClock,
};
use mcp_ops_k8s::sim::{Scenario, SimCluster};
use mcp_ops_k8s::{CronJobBackups, KubeCluster, KubeConfig};

use crate::Failure;
use crate::backup_route::RoutedBackups;
use crate::health_route::RoutedHealth;

/// What the in-memory stand-ins serve, for the banners.
const STAND_INS: &str = "database and its backups, metrics, alerting, node groups and the HTTP endpoint check: in-memory";

/// The capabilities a command may use, and where they come from.
#[derive(Clone)]
pub struct Backends {
    /// `embedded`, `in-memory` or `kubeconfig`.
    pub target: String,
    /// The one line printed on stderr saying what `ops` talks to.
    pub banner: String,
    /// Deployments, rollouts, history, undo.
    pub deployer: Arc<dyn Deployer>,
    /// Replicas, autoscalers, resources, node capacity.
    pub scaler: Arc<dyn Scaler>,
    /// Node groups (`eksctl scale nodegroup`).
    pub node_groups: Arc<dyn NodeGroupScaler>,
    /// Cluster objects and HTTP endpoints.
    pub cluster_health: Arc<dyn HealthCheck>,
    /// Database readiness (`pg_isready`) and cache (`redis-cli ping`).
    pub database_health: Arc<dyn HealthCheck>,
    /// Error rate, p95 and memory (Prometheus).
    pub metrics: Arc<dyn HealthCheck>,
    /// Backups, verification, restore.
    pub backups: Arc<dyn BackupManager>,
    /// ANALYZE, VACUUM, pg_stat_* views.
    pub maintenance: Arc<dyn DatabaseMaintenance>,
    /// Secret rotation.
    pub secrets: Arc<dyn SecretRotator>,
    /// Incidents, escalation, alerts and silences.
    pub escalator: Arc<dyn Escalator>,
    /// Where maintenance notices go (Slack …).
    pub notifiers: Vec<Arc<dyn Notifier>>,
    /// The clock procedures run on.
    pub clock: SharedClock,
    /// The in-memory systems, for the drill's scripted faults (embedded targets only).
    pub embedded: Option<Embedded>,
    /// The Kubernetes backend (quarantine, audit); `None` on the in-memory target.
    pub kube: Option<KubeCluster>,
    /// The embedded simulated cluster, kept running while the command runs.
    pub sim: Option<Arc<SimCluster>>,
}

/// The concrete in-memory systems behind the embedded target.
#[derive(Clone)]
pub struct Embedded {
    /// The cluster.
    pub cluster: MockCluster,
    /// The database and cache.
    pub database: MockDatabase,
    /// Prometheus, Alertmanager and the escalation engine.
    pub alerting: MockAlerting,
    /// The Slack channel the escalation engine posts to.
    pub slack: Arc<RecordingNotifier>,
}

impl Backends {
    /// The default target: a [`SimCluster`] seeded with [`Scenario::mcp_production`], started
    /// in process on a free port of 127.0.0.1 and reached over HTTP through the same
    /// kubeconfig path as `--kubeconfig`; deployments, scaling, cluster health and secrets go
    /// to it, the rest to the in-memory stand-ins.
    ///
    /// # Errors
    /// [`Failure::Failed`] when the simulator cannot start.
    pub async fn simulated(namespace: &str) -> Result<Self, Failure> {
        let sim = SimCluster::start(Scenario::mcp_production())
            .await
            .map_err(|e| Failure::Failed(format!("cannot start the simulated cluster: {e}")))?;
        let kube = KubeConfig::new()
            .with_kubeconfig_path(sim.kubeconfig_path())
            .with_namespace(namespace)
            .build()
            .await
            .map_err(|e| Failure::Failed(format!("cannot reach the simulated cluster: {e}")))?;
        let banner = format!(
            "ops: embedded simulated cluster mcp-production at {} ({STAND_INS})",
            sim.url()
        );
        let mut b = Self::in_memory().await?.with_kube(kube, namespace)?;
        b.target = "embedded".to_owned();
        b.banner = banner;
        b.sim = Some(Arc::new(sim));
        Ok(b)
    }

    /// A cluster named by a kubeconfig file (and context). The drill, which injects faults
    /// into the in-memory stand-ins, is not offered on it.
    ///
    /// # Errors
    /// [`Failure::BadInput`] when the kubeconfig cannot be loaded or the context is unknown.
    pub async fn kubeconfig(
        path: &str,
        context: Option<&str>,
        namespace: &str,
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
            .map_err(|e| Failure::BadInput(format!("cannot load kubeconfig {path}: {e}")))?;
        let mut b = Self::in_memory().await?.with_kube(kube, namespace)?;
        b.target = "kubeconfig".to_owned();
        b.banner = format!(
            "ops: cluster from kubeconfig {path}{} ({STAND_INS} stand-ins)",
            context
                .map(|c| format!(", context {c}"))
                .unwrap_or_default()
        );
        b.embedded = None;
        Ok(b)
    }

    /// Deployments, scaling, cluster health, secrets and CronJob backups from `kube`.
    fn with_kube(mut self, kube: KubeCluster, namespace: &str) -> Result<Self, Failure> {
        let namespace = Namespace::new(namespace)?;
        self.backups = Arc::new(RoutedBackups {
            cron: CronJobBackups::new(kube.clone(), vec![namespace.clone()])
                .with_wait(std::time::Duration::from_secs(120)),
            namespace,
            other: self.backups.clone(),
        });
        self.deployer = Arc::new(kube.clone());
        self.scaler = Arc::new(kube.clone());
        self.secrets = Arc::new(kube.clone());
        self.cluster_health = Arc::new(RoutedHealth {
            kube: kube.clone(),
            other: self.cluster_health.clone(),
        });
        self.kube = Some(kube);
        Ok(self)
    }

    /// The all-in-memory target: the runbook's `mcp-production` namespace in memory (deployments,
    /// autoscalers, nodes, secrets), the database `mcp_db` with last night's backup
    /// (`nightly-<today>-001`), healthy metrics and the runbook's escalation policy.
    /// Every run starts from this state; nothing is kept between runs.
    ///
    /// # Errors
    /// Only if seeding the nightly backup fails (a bug in the seed).
    pub async fn in_memory() -> mcp_ops_core::Result<Self> {
        let cluster = MockCluster::runbook();
        let database = MockDatabase::runbook();
        let slack = Arc::new(RecordingNotifier::slack());
        let alerting = MockAlertingBuilder::runbook()
            .notifier(slack.clone())
            .build();
        let nightly = BackupRequest {
            kind: BackupKind::Database {
                database: "mcp_db".into(),
            },
            label: Some("nightly".into()),
        };
        database
            .backup(&nightly, &Intent::new("nightly backup", "cron")?)
            .await?;
        let clock = cluster.clock().clone();
        Ok(Self {
            target: "in-memory".to_owned(),
            banner:
                "ops: using an embedded in-memory mcp-production cluster (no --kubeconfig given)"
                    .to_owned(),
            deployer: Arc::new(cluster.clone()),
            scaler: Arc::new(cluster.clone()),
            node_groups: Arc::new(cluster.clone()),
            cluster_health: Arc::new(cluster.clone()),
            database_health: Arc::new(database.clone()),
            metrics: Arc::new(alerting.clone()),
            backups: Arc::new(database.clone()),
            maintenance: Arc::new(database.clone()),
            secrets: Arc::new(cluster.clone()),
            escalator: Arc::new(alerting.clone()),
            notifiers: vec![slack.clone() as Arc<dyn Notifier>],
            clock,
            embedded: Some(Embedded {
                cluster,
                database,
                alerting,
                slack,
            }),
            kube: None,
            sim: None,
        })
    }
}

/// The smoke test `ops` runs after a deploy or rollback: `GET /health` through the cluster
/// backend (the runbook's `production_smoke_tests.py` is the caller's own).
pub struct HealthSmoke(pub Arc<dyn HealthCheck>);

#[async_trait]
impl SmokeTest for HealthSmoke {
    async fn run(&self) -> mcp_ops_core::Result<SmokeReport> {
        let probe = HealthTarget::Http(HttpProbe::new("api", RUNBOOK_HEALTH_URL));
        let report = self.0.check(&probe).await?;
        let check = if report.status == HealthStatus::Healthy {
            SmokeCheck::pass("GET /health", report.message)
        } else {
            SmokeCheck::fail("GET /health", report.message)
        };
        Ok(SmokeReport::new(vec![check]))
    }
}
