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

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use mcp_ops_alerts::escalation::{
    EscalationEngine, EscalationStore, FileEscalationStore, PgEscalationStore,
};
use mcp_ops_alerts::health::PrometheusHealth;
use mcp_ops_alerts::http_health::HttpHealthCheck;
use mcp_ops_core::health::{HealthTarget, HttpProbe};
use mcp_ops_core::mock::{
    MockAlerting, MockAlertingBuilder, MockCluster, MockDatabase, RUNBOOK_HEALTH_URL,
    RecordingNotifier,
};
use mcp_ops_core::runbook::smoke::{SmokeCheck, SmokeReport, SmokeTest};
use mcp_ops_core::types::Namespace;
use mcp_ops_core::{
    BackupManager, DatabaseMaintenance, Deployer, Escalator, HealthCheck, HealthStatus,
    NodeGroupScaler, Notifier, Scaler, SecretRotator, SharedClock, SystemClock,
};
use mcp_ops_db::{DbHealthCheck, LocalDirStore, PgBackend, PgBackups, PgOptions, RedisBackend};
use mcp_ops_k8s::sim::{Scenario, SimCluster};
use mcp_ops_k8s::{ConfigBackups, CronJobBackups, KubeCluster, KubeConfig};

use crate::Failure;
use crate::backup_route::{DatabaseBackups, RoutedBackups};
use crate::endpoints::{Endpoints, shown};
use crate::escalator_route::RoutedEscalator;
use crate::health_route::HealthRouter;
use crate::incident_store::MigratedOnUse;
use crate::unconfigured::Unconfigured;

/// The runbook's database name (`pg_isready -d mcp_db`), checked whatever the URL names.
const RUNBOOK_DATABASE: &str = "mcp_db";
/// The runbook's cache name (`redis-cli ping`).
const RUNBOOK_CACHE: &str = "redis";

/// The capabilities a command may use, and where they come from.
#[derive(Clone)]
pub struct Backends {
    /// `embedded` or `kubeconfig`.
    pub target: String,
    /// The one line printed on stderr saying what `ops` talks to.
    pub banner: String,
    /// The cluster's half of the banner.
    cluster_line: String,
    /// Deployments, rollouts, history, undo.
    pub deployer: Arc<dyn Deployer>,
    /// Replicas, autoscalers, resources, node capacity.
    pub scaler: Arc<dyn Scaler>,
    /// Node groups (`eksctl scale nodegroup`): the stand-in on the embedded cluster, none
    /// on a real one (ops has no cloud backend).
    pub node_groups: Option<Arc<dyn NodeGroupScaler>>,
    /// Every health check: cluster objects, HTTP endpoint, database, cache, metrics.
    pub health: HealthRouter,
    /// The API's health probe (`--health-url`, else the runbook's).
    pub health_probe: HttpProbe,
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
    pub database_missing: Option<Unconfigured>,
    /// Configuration backups kept as files, when they are (for restores with per-object
    /// results).
    pub config_backups: Option<ConfigBackups>,
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
struct Cluster {
    kube: KubeCluster,
    namespace: Namespace,
    embedded: Option<Embedded>,
    sim: Option<Arc<SimCluster>>,
    target: &'static str,
    banner: String,
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
        b.escalator = Arc::new(embedded.alerting);
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
            .map_err(|e| Failure::BadInput(format!("cannot load kubeconfig {path}: {e}")))?;
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

    /// The smoke test after a deploy or rollback: `GET` the health probe.
    pub fn smoke(&self) -> HealthSmoke {
        HealthSmoke {
            health: Arc::new(self.health.clone()),
            probe: self.health_probe.clone(),
        }
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

/// The cluster's backends plus, for each other system, the configured one, else the
/// stand-in (embedded cluster), else [`Unconfigured`].
fn assemble(cluster: Cluster, endpoints: Option<&Endpoints>) -> Result<Backends, Failure> {
    let Cluster {
        kube,
        namespace,
        embedded,
        sim,
        target,
        banner: cluster_banner,
    } = cluster;
    let stand_in = embedded.as_ref();
    let e = endpoints;
    let mut sources = Vec::new();
    let mut notes = Vec::new();
    let mut notify_note = None;
    let mut database_missing = None;

    // PostgreSQL: readiness, maintenance, database backups.
    let (database, maintenance, database_backups): (
        Arc<dyn HealthCheck>,
        Arc<dyn DatabaseMaintenance>,
        DatabaseBackups,
    ) = match (e.and_then(|e| e.database.as_ref()), stand_in) {
        (Some(config), _) => {
            let pg = PgBackend::new(config.clone(), PgOptions::default())
                .map_err(|err| Failure::BadInput(format!("--database-url: {err}")))?;
            let check = DbHealthCheck::new(Duration::from_secs(5))
                .with_database(RUNBOOK_DATABASE, pg.clone())
                .with_database(config.dbname(), pg.clone());
            let dir = e.map(|e| e.backup_dir.clone()).unwrap_or_default();
            let store = LocalDirStore::new(&dir).map_err(|err| {
                Failure::BadInput(format!("backup directory {}: {err}", dir.display()))
            })?;
            sources.push(format!(
                "database: postgres {} (backups in {})",
                config.target(),
                dir.display()
            ));
            (
                Arc::new(check),
                Arc::new(pg),
                DatabaseBackups::Backend(Arc::new(PgBackups::new(config.clone(), Arc::new(store)))),
            )
        }
        (None, Some(s)) => {
            sources.push("database: in-memory".to_owned());
            (
                Arc::new(s.database.clone()),
                Arc::new(s.database.clone()),
                DatabaseBackups::Backend(Arc::new(s.database.clone())),
            )
        }
        (None, None) => {
            let u = Unconfigured::DATABASE;
            database_missing = Some(u);
            sources.push("database: not configured".to_owned());
            notes.push(format!("database {}", u.hint()));
            (Arc::new(u), Arc::new(u), DatabaseBackups::Missing(u))
        }
    };

    // Redis.
    let cache: Arc<dyn HealthCheck> = match (e.and_then(|e| e.redis.as_ref()), stand_in) {
        (Some(config), _) => {
            sources.push(format!("cache: redis {}", config.target()));
            Arc::new(DbHealthCheck::new(Duration::from_secs(5)).with_cache(
                RUNBOOK_CACHE,
                RedisBackend::new(config.clone(), Duration::from_secs(2)),
            ))
        }
        (None, Some(s)) => {
            sources.push("cache: in-memory".to_owned());
            Arc::new(s.database.clone())
        }
        (None, None) => {
            sources.push("cache: not configured".to_owned());
            notes.push(format!("cache {}", Unconfigured::REDIS.hint()));
            Arc::new(Unconfigured::REDIS)
        }
    };

    // Prometheus.
    let metrics: Arc<dyn HealthCheck> = match (e.and_then(|e| e.prometheus.as_ref()), stand_in) {
        (Some(client), _) => {
            sources.push("metrics: prometheus".to_owned());
            Arc::new(PrometheusHealth::new(client.clone()))
        }
        (None, Some(s)) => {
            sources.push("metrics: in-memory".to_owned());
            Arc::new(s.alerting.clone())
        }
        (None, None) => {
            sources.push("metrics: not configured".to_owned());
            notes.push(format!("metrics {}", Unconfigured::PROMETHEUS.hint()));
            Arc::new(Unconfigured::PROMETHEUS)
        }
    };

    // The API's health endpoint: a real GET, except on the embedded cluster without a URL.
    let health_url = e.and_then(|e| e.health_url.clone());
    let http: Arc<dyn HealthCheck> = match (&health_url, stand_in) {
        (None, Some(s)) => {
            sources.push("HTTP check: in-memory".to_owned());
            Arc::new(s.cluster.clone())
        }
        (url, _) => {
            sources.push(format!(
                "HTTP check: GET {}",
                shown(url.as_deref().unwrap_or(RUNBOOK_HEALTH_URL))
            ));
            Arc::new(HttpHealthCheck::new().map_err(|err| Failure::Failed(err.to_string()))?)
        }
    };
    let mut health_probe = HttpProbe::new("api", RUNBOOK_HEALTH_URL);
    if let Some(url) = &health_url {
        health_probe.url.clone_from(url);
    }

    // Backups: CronJobs on the cluster; configuration on the cluster unless the stand-in
    // keeps it (embedded cluster without --backup-dir); dumps as above.
    let config_backups = match (e, stand_in) {
        (Some(e), s)
            if s.is_none()
                || e.backup_dir_given
                || e.age_recipients.is_some()
                || e.age_identity.is_some() =>
        {
            let dir_error = |err: mcp_ops_core::Error| {
                Failure::BadInput(format!(
                    "backup directory {}: {err}",
                    e.backup_dir.display()
                ))
            };
            let mut c =
                ConfigBackups::new(kube.clone(), e.backup_dir.clone()).map_err(dir_error)?;
            if let Some(r) = &e.age_recipients {
                c = c.with_recipients(r.clone());
            }
            if let Some(identity) = &e.age_identity {
                c = c
                    .with_identity(identity.clone())
                    .map_err(|err| Failure::BadInput(format!("--age-identity-file: {err}")))?;
            }
            Some(c)
        }
        _ => None,
    };
    let config = config_backups
        .clone()
        .map(|c| Arc::new(c) as Arc<dyn BackupManager>);
    let backups = Arc::new(RoutedBackups {
        cron: CronJobBackups::new(kube.clone(), vec![namespace.clone()])
            .with_wait(Duration::from_secs(120)),
        namespace,
        config,
        database: database_backups,
    });

    // Incidents in the state directory; alerts and silences in Alertmanager.
    let (escalator, notifiers): (Arc<dyn Escalator>, Vec<Arc<dyn Notifier>>) = match e {
        Some(e) => {
            let (store, kept): (Arc<dyn EscalationStore>, String) = match &e.incidents {
                Some(config) => {
                    let pg = PgBackend::new(config.clone(), PgOptions::default())
                        .map_err(|err| Failure::BadInput(format!("--incidents-url: {err}")))?;
                    let store = MigratedOnUse::new(PgEscalationStore::new(pg.pool().clone()));
                    (Arc::new(store), format!("postgres {}", config.target()))
                }
                None => {
                    let store = FileEscalationStore::new(e.incidents_file()).map_err(|err| {
                        Failure::BadInput(format!(
                            "state directory {}: {err}",
                            e.state_dir.display()
                        ))
                    })?;
                    (Arc::new(store), e.incidents_file().display().to_string())
                }
            };
            let notifiers = e
                .alerts
                .notifiers()
                .map_err(|err| Failure::BadInput(err.to_string()))?;
            let mut engine = EscalationEngine::new(store, Arc::new(SystemClock));
            for n in &notifiers {
                engine = engine.with_notifier(n.clone());
            }
            let channels = e.notifier_channels();
            if channels.is_empty() {
                notify_note = Some("no notifier configured (MCP_OPS_SLACK_WEBHOOK_URL, MCP_OPS_PAGERDUTY_ROUTING_KEY, MCP_OPS_SMTP_HOST): incident messages are shown here, not sent".to_owned());
            }
            sources.push(format!(
                "incidents: {kept} (notify: {})",
                if channels.is_empty() {
                    "nobody".to_owned()
                } else {
                    channels.join(", ")
                }
            ));
            let alerts: Arc<dyn Escalator>;
            let engine = match (&e.alertmanager, stand_in) {
                (Some(am), _) => {
                    sources.push("alerts: alertmanager".to_owned());
                    let engine = Arc::new(engine.with_alertmanager(am.clone()));
                    alerts = engine.clone();
                    engine
                }
                (None, Some(s)) => {
                    sources.push("alerts: in-memory".to_owned());
                    alerts = Arc::new(s.alerting.clone());
                    Arc::new(engine)
                }
                (None, None) => {
                    sources.push("alerts: not configured".to_owned());
                    alerts = Arc::new(Unconfigured::ALERTMANAGER);
                    Arc::new(engine)
                }
            };
            let mut maintenance_notifiers = notifiers;
            if let (true, Some(s)) = (maintenance_notifiers.is_empty(), stand_in) {
                maintenance_notifiers.push(s.slack.clone());
            }
            (
                Arc::new(RoutedEscalator {
                    incidents: engine,
                    alerts,
                }),
                maintenance_notifiers,
            )
        }
        None => match stand_in {
            Some(s) => {
                sources.push("incidents and alerts: in-memory".to_owned());
                (
                    Arc::new(s.alerting.clone()) as Arc<dyn Escalator>,
                    vec![s.slack.clone() as Arc<dyn Notifier>],
                )
            }
            None => (Arc::new(Unconfigured::ALERTMANAGER), Vec::new()),
        },
    };

    let node_groups = stand_in.map(|s| Arc::new(s.cluster.clone()) as Arc<dyn NodeGroupScaler>);
    if stand_in.is_some() {
        sources.push("node groups: in-memory".to_owned());
    }
    let clock = stand_in.map_or_else(
        || Arc::new(SystemClock) as SharedClock,
        |s| s.cluster.clock().clone(),
    );
    let mut b = Backends {
        target: target.to_owned(),
        banner: String::new(),
        cluster_line: cluster_banner,
        deployer: Arc::new(kube.clone()),
        scaler: Arc::new(kube.clone()),
        node_groups,
        health: HealthRouter {
            cluster: Arc::new(kube.clone()),
            http,
            database,
            cache,
            metrics,
        },
        health_probe,
        backups,
        maintenance,
        secrets: Arc::new(kube.clone()),
        escalator,
        notifiers,
        clock,
        embedded,
        kube,
        sim,
        sources,
        notes,
        notify_note,
        database_missing,
        config_backups,
    };
    b.banner = banner(&b);
    Ok(b)
}

/// `<cluster> (<source>; <source>; …)`.
fn banner(b: &Backends) -> String {
    format!("{} ({})", b.cluster_line, b.sources.join("; "))
}

/// The smoke test `ops` runs after a deploy or rollback: `GET /health` of the health probe
/// (the runbook's `production_smoke_tests.py` is the caller's own).
pub struct HealthSmoke {
    health: Arc<dyn HealthCheck>,
    probe: HttpProbe,
}

#[async_trait]
impl SmokeTest for HealthSmoke {
    async fn run(&self) -> mcp_ops_core::Result<SmokeReport> {
        let report = self
            .health
            .check(&HealthTarget::Http(self.probe.clone()))
            .await?;
        let check = if report.status == HealthStatus::Healthy {
            SmokeCheck::pass("GET /health", report.message)
        } else {
            SmokeCheck::fail("GET /health", report.message)
        };
        Ok(SmokeReport::new(vec![check]))
    }
}
