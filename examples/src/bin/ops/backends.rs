//! Which systems `ops` talks to: one [`Backends`] value of `Arc<dyn Trait>`s.

use std::sync::Arc;

use async_trait::async_trait;
use mcp_ops_core::backup::{BackupKind, BackupRequest};
use mcp_ops_core::health::{HealthTarget, HttpProbe};
use mcp_ops_core::mock::{
    MockAlerting, MockAlertingBuilder, MockCluster, MockDatabase, RUNBOOK_HEALTH_URL,
    RecordingNotifier,
};
use mcp_ops_core::runbook::smoke::{SmokeCheck, SmokeReport, SmokeTest};
use mcp_ops_core::{
    BackupManager, DatabaseMaintenance, Deployer, Escalator, HealthCheck, HealthStatus, Intent,
    NodeGroupScaler, Notifier, Scaler, SecretRotator, SharedClock,
};

/// The one-line banner printed on stderr for the embedded target.
pub const EMBEDDED_BANNER: &str =
    "ops: using an embedded in-memory mcp-production cluster (no --kubeconfig given)";

/// The capabilities a command may use, and where they come from.
#[derive(Clone)]
pub struct Backends {
    /// `embedded` or the kubeconfig's context.
    pub target: String,
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
    /// The in-memory systems, for the drill's scripted faults (embedded target only).
    pub embedded: Option<Embedded>,
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
    /// The embedded target: the runbook's `mcp-production` namespace in memory (deployments,
    /// autoscalers, nodes, secrets), the database `mcp_db` with last night's backup
    /// (`nightly-<today>-001`), healthy metrics and the runbook's escalation policy.
    /// Every run starts from this state; nothing is kept between runs.
    ///
    /// # Errors
    /// Only if seeding the nightly backup fails (a bug in the seed).
    pub async fn embedded() -> mcp_ops_core::Result<Self> {
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
            target: "embedded".to_owned(),
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
