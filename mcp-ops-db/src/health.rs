//! [`mcp_ops_core::HealthCheck`] for databases (PostgreSQL) and caches (Redis).
//!
//! A down server is a report ([`HealthStatus::Unhealthy`]), not an error; errors are for
//! targets this checker does not know.

use crate::pg::{PgHealth, Readiness};
use crate::redis_health::{PingOutcome, RedisHealth, RedisStatus};
use crate::{PgBackend, RedisBackend};
use async_trait::async_trait;
use mcp_ops_core::health::{HealthReport, HealthStatus, HealthTarget, ObservedValue, TargetKind};
use mcp_ops_core::{Error, HealthCheck, Result};
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

/// Health of named PostgreSQL databases ([`HealthTarget::Database`]) and Redis caches
/// ([`HealthTarget::Cache`]).
#[derive(Debug, Clone)]
pub struct DbHealthCheck {
    databases: BTreeMap<String, PgBackend>,
    caches: BTreeMap<String, RedisBackend>,
    timeout: Duration,
    exhausted_at: f64,
}

impl DbHealthCheck {
    /// A checker whose PostgreSQL probes wait at most `timeout` (Redis backends carry their
    /// own bound).
    ///
    /// ```
    /// use mcp_ops_core::{Error, HealthCheck, HealthStatus, HealthTarget};
    /// use mcp_ops_db::{DbHealthCheck, PgBackend, PgConfig, PgOptions, RedisBackend, RedisConfig};
    /// use std::time::Duration;
    ///
    /// # #[tokio::main] async fn main() -> mcp_ops_core::Result<()> {
    /// // Nothing listens on port 1; the backends connect lazily.
    /// let pg = PgBackend::new(PgConfig::parse("postgres://app@127.0.0.1:1/mcp_db?sslmode=disable")?, PgOptions::default())?;
    /// let redis = RedisBackend::new(RedisConfig::parse("redis://127.0.0.1:1")?, Duration::from_secs(2));
    /// let checks = DbHealthCheck::new(Duration::from_secs(2))
    ///     .with_database("mcp_db", pg)
    ///     .with_cache("redis", redis);
    ///
    /// let db = checks.check(&HealthTarget::Database { name: "mcp_db".into() }).await?;
    /// assert_eq!(db.status, HealthStatus::Unhealthy, "{}", db.message);
    /// let cache = checks.check(&HealthTarget::Cache { name: "redis".into() }).await?;
    /// assert_eq!(cache.status, HealthStatus::Unhealthy, "{}", cache.message);
    ///
    /// // A name it was not given is NotFound, not a guess.
    /// let other = checks.check(&HealthTarget::Database { name: "billing".into() }).await;
    /// assert!(matches!(other, Err(Error::NotFound { kind: "database", .. })));
    /// # Ok(()) }
    /// ```
    pub fn new(timeout: Duration) -> Self {
        Self {
            databases: BTreeMap::new(),
            caches: BTreeMap::new(),
            timeout,
            exhausted_at: 0.9,
        }
    }

    /// Serves `HealthTarget::Database { name }` with `backend`.
    pub fn with_database(mut self, name: impl Into<String>, backend: PgBackend) -> Self {
        self.databases.insert(name.into(), backend);
        self
    }

    /// Serves `HealthTarget::Cache { name }` with `backend`.
    pub fn with_cache(mut self, name: impl Into<String>, backend: RedisBackend) -> Self {
        self.caches.insert(name.into(), backend);
        self
    }

    /// Connection utilization from which a database is `Degraded` (runbook: 0.9, "pool
    /// exhausted").
    pub fn with_exhaustion_threshold(mut self, ratio: f64) -> Self {
        self.exhausted_at = ratio;
        self
    }

    async fn check_database(&self, target: &HealthTarget, backend: &PgBackend) -> HealthReport {
        let started = Instant::now();
        let now = jiff::Timestamp::now();
        let mut report = match backend.health(self.timeout).await {
            Ok(h) => pg_report(target.clone(), &h, self.exhausted_at, now),
            Err(e) => HealthReport::new(
                target.clone(),
                HealthStatus::Unhealthy,
                format!("status query failed: {e}"),
                now,
            ),
        };
        report.latency = started.elapsed();
        report
    }
}

fn pg_report(
    target: HealthTarget,
    h: &PgHealth,
    exhausted_at: f64,
    now: jiff::Timestamp,
) -> HealthReport {
    let (status, message) = match &h.readiness {
        Readiness::Accepting => (HealthStatus::Healthy, "accepting connections".to_owned()),
        Readiness::Rejecting { reason } => (
            HealthStatus::Unhealthy,
            format!("rejecting connections: {reason}"),
        ),
        Readiness::NoResponse { reason } => {
            (HealthStatus::Unhealthy, format!("no response: {reason}"))
        }
        Readiness::NoAttempt { reason } => (HealthStatus::Unknown, format!("no attempt: {reason}")),
    };
    let mut r = HealthReport::new(target, status, message, now)
        .observe(
            "readiness",
            ObservedValue::Count(u64::from(h.readiness.pg_isready_code())),
        )
        .observe("pool_size", ObservedValue::Count(h.pool.size as u64))
        .observe(
            "pool_available",
            ObservedValue::Count(h.pool.available as u64),
        )
        .observe("pool_waiting", ObservedValue::Count(h.pool.waiting as u64));
    if let Some(v) = &h.version {
        r = r.observe("server_version", ObservedValue::Text(v.text.clone()));
    }
    if let Some(rec) = h.in_recovery {
        r = r.observe("in_recovery", ObservedValue::Flag(rec));
    }
    if let Some(l) = h.latency {
        r = r.observe("latency", ObservedValue::Duration(l));
    }
    if let Some(tls) = &h.tls {
        r = r.observe("tls_encrypted", ObservedValue::Flag(tls.encrypted));
        if let Some(v) = &tls.version {
            r = r.observe("tls_version", ObservedValue::Text(v.clone()));
        }
    }
    if let Some(c) = &h.connections {
        r = r
            .observe("connections_used", ObservedValue::Count(u64::from(c.used)))
            .observe(
                "max_connections",
                ObservedValue::Count(u64::from(c.max_connections)),
            )
            .observe("connection_ratio", ObservedValue::Ratio(c.utilization()));
        if r.status == HealthStatus::Healthy && c.is_exhausted(exhausted_at) {
            r.status = HealthStatus::Degraded;
            r.message = format!(
                "connection pool exhausted: {} of {} connections in use",
                c.used, c.max_connections
            );
        }
    }
    r
}

fn redis_report(target: HealthTarget, h: &RedisHealth, now: jiff::Timestamp) -> HealthReport {
    let status = match h.status {
        RedisStatus::Healthy => HealthStatus::Healthy,
        RedisStatus::Degraded => HealthStatus::Degraded,
        RedisStatus::Unhealthy => HealthStatus::Unhealthy,
    };
    let message = match &h.ping {
        PingOutcome::Pong if status == HealthStatus::Healthy => "PONG".to_owned(),
        PingOutcome::Pong => "PONG, but memory or replication outside bounds".to_owned(),
        PingOutcome::NoAuth => "NOAUTH: authentication required or rejected".to_owned(),
        PingOutcome::Loading => "LOADING: dataset still loading".to_owned(),
        PingOutcome::Error { reason } => format!("no PONG: {reason}"),
    };
    let mut r = HealthReport::new(target, status, message, now);
    if let Some(l) = h.latency {
        r = r.observe("latency", ObservedValue::Duration(l));
    }
    if let Some(m) = &h.memory {
        if let Some(used) = m.used_memory {
            r = r.observe("used_memory", ObservedValue::Count(used));
        }
        if let Some(ratio) = m.utilization() {
            r = r.observe("memory_ratio", ObservedValue::Ratio(ratio));
        }
    }
    if let Some(n) = h.clients.as_ref().and_then(|c| c.connected_clients) {
        r = r.observe("connected_clients", ObservedValue::Count(n));
    }
    if let Some(role) = h.replication.as_ref().and_then(|x| x.role.clone()) {
        r = r.observe("role", ObservedValue::Text(role));
    }
    r
}

#[async_trait]
impl HealthCheck for DbHealthCheck {
    fn backend(&self) -> &'static str {
        "mcp-ops-db"
    }

    fn supports(&self, kind: TargetKind) -> bool {
        match kind {
            TargetKind::Database => !self.databases.is_empty(),
            TargetKind::Cache => !self.caches.is_empty(),
            _ => false,
        }
    }

    async fn check(&self, target: &HealthTarget) -> Result<HealthReport> {
        match target {
            HealthTarget::Database { name } if self.supports(TargetKind::Database) => {
                let backend = self
                    .databases
                    .get(name)
                    .ok_or_else(|| Error::not_found("database", name))?;
                Ok(self.check_database(target, backend).await)
            }
            HealthTarget::Cache { name } if self.supports(TargetKind::Cache) => {
                let backend = self
                    .caches
                    .get(name)
                    .ok_or_else(|| Error::not_found("cache", name))?;
                let started = Instant::now();
                let h = backend.health().await;
                let mut r = redis_report(target.clone(), &h, jiff::Timestamp::now());
                r.latency = started.elapsed();
                Ok(r)
            }
            _ => Err(Error::Unsupported {
                operation: "health check of this target kind",
                backend: "mcp-ops-db",
            }),
        }
    }
}
