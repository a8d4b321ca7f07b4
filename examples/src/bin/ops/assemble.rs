//! Building [`Backends`] from a cluster and the [`Endpoints`]: for each system besides the
//! cluster, the configured backend, else the embedded stand-in, else [`NotConfigured`]; and
//! a [`Ledger`] of where each part comes from, for the banner and the notes. The bundle,
//! the health router and the not-configured answers are the SDK's
//! ([`mcp_ops_core::backends`]); the cluster's parts come from [`KubeBackends`].

use std::sync::Arc;
use std::time::Duration;

use mcp_ops_alerts::health::PrometheusHealth;
use mcp_ops_alerts::http_health::HttpHealthCheck;
use mcp_ops_core::backends::{HealthRouter, NotConfigured};
use mcp_ops_core::health::HttpProbe;
use mcp_ops_core::mock::RUNBOOK_HEALTH_URL;
use mcp_ops_core::{
    BackupManager, DatabaseMaintenance, HealthCheck, NodeGroupScaler, SharedClock, SystemClock,
};
use mcp_ops_db::{DbHealthCheck, LocalDirStore, PgBackend, PgBackups, PgOptions, RedisBackend};
use mcp_ops_k8s::{ConfigBackups, KubeBackends};

use crate::Failure;
use crate::assemble_alerting::alerting;
use crate::backends::{Backends, Cluster};
use crate::endpoints::{Endpoints, shown};

/// The probe's URL when none was given on a real cluster: shown in plans, never requested.
const UNCONFIGURED_HEALTH_URL: &str = "<not configured: --health-url>";

/// How long `ops backup cronjob` waits for the Job it starts: until it finishes (the Job's
/// own `activeDeadlineSeconds` and `backoffLimit` bound it); a deadline of the caller's
/// choice is `ops backup --timeout`. A fixed bound here failed every backup larger than
/// what fits in it.
const CRON_JOB_WAIT: Duration = Duration::MAX;

/// The runbook's database name (`pg_isready -d mcp_db`), checked whatever the URL names.
const RUNBOOK_DATABASE: &str = "mcp_db";
/// The runbook's cache name (`redis-cli ping`).
const RUNBOOK_CACHE: &str = "redis";

/// Where each part comes from, and what the reports must say about it.
#[derive(Default)]
pub(crate) struct Ledger {
    /// `database: postgres host:5432/db` …, for the banner.
    pub(crate) sources: Vec<String>,
    /// Notes for every report (what is not configured).
    pub(crate) notes: Vec<String>,
    /// Said by commands that send incident messages when no notifier is configured.
    pub(crate) notify_note: Option<String>,
    /// Set when no database is configured.
    pub(crate) database_missing: Option<NotConfigured>,
}

/// The cluster's backends plus, for each other system, the configured one, else the
/// stand-in (embedded cluster), else [`NotConfigured`].
pub(crate) fn assemble(
    cluster: Cluster,
    endpoints: Option<&Endpoints>,
) -> Result<Backends, Failure> {
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
    let mut ledger = Ledger::default();

    // PostgreSQL: readiness, maintenance, database backups.
    let (database, maintenance, database_backups): (
        Arc<dyn HealthCheck>,
        Arc<dyn DatabaseMaintenance>,
        Arc<dyn BackupManager>,
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
            ledger.sources.push(format!(
                "database: postgres {} (backups in {})",
                config.target(),
                dir.display()
            ));
            (
                Arc::new(check),
                Arc::new(pg),
                Arc::new(PgBackups::new(config.clone(), Arc::new(store))),
            )
        }
        (None, Some(s)) => {
            ledger.sources.push("database: in-memory".to_owned());
            (
                Arc::new(s.database.clone()),
                Arc::new(s.database.clone()),
                Arc::new(s.database.clone()),
            )
        }
        (None, None) => {
            let u = NotConfigured::DATABASE;
            ledger.database_missing = Some(u);
            ledger.sources.push("database: not configured".to_owned());
            ledger.notes.push(format!("database {}", u.hint()));
            (Arc::new(u), Arc::new(u), Arc::new(u))
        }
    };

    // Redis.
    let cache: Arc<dyn HealthCheck> = match (e.and_then(|e| e.redis.as_ref()), stand_in) {
        (Some(config), _) => {
            ledger
                .sources
                .push(format!("cache: redis {}", config.target()));
            Arc::new(DbHealthCheck::new(Duration::from_secs(5)).with_cache(
                RUNBOOK_CACHE,
                RedisBackend::new(config.clone(), Duration::from_secs(2)),
            ))
        }
        (None, Some(s)) => {
            ledger.sources.push("cache: in-memory".to_owned());
            Arc::new(s.database.clone())
        }
        (None, None) => {
            ledger.sources.push("cache: not configured".to_owned());
            ledger
                .notes
                .push(format!("cache {}", NotConfigured::REDIS.hint()));
            Arc::new(NotConfigured::REDIS)
        }
    };

    // Prometheus.
    let metrics: Arc<dyn HealthCheck> = match (e.and_then(|e| e.prometheus.as_ref()), stand_in) {
        (Some(client), _) => {
            ledger.sources.push("metrics: prometheus".to_owned());
            Arc::new(PrometheusHealth::new(client.clone()))
        }
        (None, Some(s)) => {
            ledger.sources.push("metrics: in-memory".to_owned());
            Arc::new(s.alerting.clone())
        }
        (None, None) => {
            ledger.sources.push("metrics: not configured".to_owned());
            ledger
                .notes
                .push(format!("metrics {}", NotConfigured::PROMETHEUS.hint()));
            Arc::new(NotConfigured::PROMETHEUS)
        }
    };

    // The API's health endpoint: a real GET of the URL given; the embedded cluster answers
    // for its loopback default; on a real cluster without a URL nothing is probed (the
    // runbook's public URL is not this cluster's) and the check is Unknown with the flag.
    let health_url = e.and_then(|e| e.health_url.clone());
    let http: Arc<dyn HealthCheck> = match (&health_url, stand_in) {
        (Some(url), _) => {
            ledger
                .sources
                .push(format!("HTTP check: GET {}", shown(url)));
            Arc::new(HttpHealthCheck::new().map_err(|err| Failure::Failed(err.to_string()))?)
        }
        (None, Some(s)) => {
            ledger.sources.push("HTTP check: in-memory".to_owned());
            Arc::new(s.cluster.clone())
        }
        (None, None) => {
            ledger.sources.push("HTTP check: not configured".to_owned());
            ledger
                .notes
                .push(format!("HTTP check {}", NotConfigured::HEALTH.hint()));
            Arc::new(NotConfigured::HEALTH)
        }
    };
    let default_url = if stand_in.is_some() {
        RUNBOOK_HEALTH_URL
    } else {
        UNCONFIGURED_HEALTH_URL
    };
    let health_probe = HttpProbe::new("api", health_url.as_deref().unwrap_or(default_url));

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
    let mut cluster_parts =
        KubeBackends::new(kube.clone(), namespace).with_cron_wait(CRON_JOB_WAIT);
    if let Some(c) = &config_backups {
        cluster_parts = cluster_parts.with_config_backups(c.clone());
    }
    let backups = Arc::new(cluster_parts.backups(database_backups));

    // Incidents in the state directory (or --incidents-url); alerts and silences in
    // Alertmanager.
    let (escalator, notifiers, engine) = alerting(e, stand_in, &mut ledger)?;

    let node_groups = stand_in.map(|s| Arc::new(s.cluster.clone()) as Arc<dyn NodeGroupScaler>);
    if stand_in.is_some() {
        ledger.sources.push("node groups: in-memory".to_owned());
    }
    let clock = stand_in.map_or_else(
        || Arc::new(SystemClock) as SharedClock,
        |s| s.cluster.clock().clone(),
    );
    let mut core = mcp_ops_core::Backends::new()
        .with_cluster(kube.clone())
        .with_health(
            HealthRouter::new()
                .with_cluster(Arc::new(kube.clone()))
                .with_http(http)
                .with_database(database)
                .with_cache(cache)
                .with_metrics(metrics),
        )
        .with_backups(backups)
        .with_maintenance(maintenance)
        .with_escalator(escalator)
        .with_clock(clock);
    core.node_groups = node_groups;
    core.notifiers = notifiers;
    Ok(Backends {
        core,
        target: target.to_owned(),
        cluster_line: cluster_banner,
        health_probe,
        engine,
        embedded,
        kube,
        sim,
        sources: ledger.sources,
        notes: ledger.notes,
        notify_note: ledger.notify_note,
        database_missing: ledger.database_missing,
        config_backups,
        changes: None,
        run_journal: mcp_ops_core::runbook::Journal::new(),
        stop: mcp_ops_core::runbook::StopSignal::new(),
    })
}
