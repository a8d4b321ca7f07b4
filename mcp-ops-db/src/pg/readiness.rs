//! Readiness (pg_isready's four outcomes) and server status: version, recovery role,
//! pool state and connections used versus `max_connections`.

use super::{PgBackend, connect};
use crate::tls::{SessionTls, TlsErrorKind};
use crate::{DbError, PgConfig, Result};
use serde::{Deserialize, Serialize};
use std::time::{Duration, Instant};

/// The outcome of a readiness probe — the four answers of `pg_isready`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub enum Readiness {
    /// The server accepts connections (exit 0 of pg_isready). As with `pg_isready`, a
    /// server that answers with an error other than "cannot connect now" (bad password,
    /// unknown database, too many clients) is up and counts as accepting.
    Accepting,
    /// The server answered but rejects connections: starting up, shutting down or in crash
    /// recovery (exit 1).
    Rejecting {
        /// The server's message.
        reason: String,
    },
    /// No answer: nothing listens, or it did not answer in time (exit 2).
    NoResponse {
        /// What happened.
        reason: String,
    },
    /// No attempt was made: the parameters are invalid (exit 3).
    NoAttempt {
        /// What is wrong with them.
        reason: String,
    },
}

impl Readiness {
    /// Whether the server accepts connections.
    pub fn is_accepting(&self) -> bool {
        matches!(self, Readiness::Accepting)
    }

    /// The exit status `pg_isready` would have returned.
    pub fn pg_isready_code(&self) -> u8 {
        match self {
            Readiness::Accepting => 0,
            Readiness::Rejecting { .. } => 1,
            Readiness::NoResponse { .. } => 2,
            Readiness::NoAttempt { .. } => 3,
        }
    }
}

/// Probes a server like `pg_isready`, within `timeout`, with the configuration's TLS
/// settings. As with `pg_isready`, a TLS handshake failure is [`Readiness::NoResponse`] (the
/// reason says why), a server refusing a plain connection (hostssl only) answered and so is
/// [`Readiness::Accepting`], and unreadable root certificates are [`Readiness::NoAttempt`].
pub async fn probe(config: &PgConfig, timeout: Duration) -> Readiness {
    let config = config.with_connect_timeout(timeout);
    match connect(&config).await {
        Ok(_) => Readiness::Accepting,
        Err(DbError::Tls {
            kind: TlsErrorKind::RequiredByServer,
            ..
        }) => Readiness::Accepting,
        Err(
            e @ DbError::Tls {
                kind: TlsErrorKind::RootCertificates,
                ..
            },
        ) => Readiness::NoAttempt {
            reason: e.to_string(),
        },
        Err(DbError::Timeout { after, .. }) => Readiness::NoResponse {
            reason: format!("no answer within {after:?}"),
        },
        Err(DbError::Connect { source, .. }) => classify(&source),
        Err(other) => Readiness::NoResponse {
            reason: other.to_string(),
        },
    }
}

/// Parses `url` (URL or key/value string) and probes it; an unparsable string gives
/// [`Readiness::NoAttempt`], as `pg_isready -d` does.
pub async fn probe_str(url: &str, timeout: Duration) -> Readiness {
    match PgConfig::parse(url) {
        Ok(config) => probe(&config, timeout).await,
        Err(e) => Readiness::NoAttempt {
            reason: e.to_string(),
        },
    }
}

fn classify(e: &tokio_postgres::Error) -> Readiness {
    if let Some(db) = e.as_db_error() {
        if db.code().code() == "57P03" {
            return Readiness::Rejecting {
                reason: db.message().to_owned(),
            };
        }
        return Readiness::Accepting;
    }
    let text = e.to_string();
    if text.starts_with("invalid configuration") {
        return Readiness::NoAttempt { reason: text };
    }
    let detail = std::error::Error::source(e)
        .map(|s| s.to_string())
        .unwrap_or_default();
    Readiness::NoResponse {
        reason: format!("{text}: {detail}")
            .trim_end_matches(": ")
            .to_owned(),
    }
}

/// The server version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServerVersion {
    /// `server_version_num`, e.g. 150018.
    pub num: u32,
    /// `server_version`, e.g. `15.18 (Debian 15.18-0+deb12u1)`.
    pub text: String,
}

impl ServerVersion {
    /// The major version (15 for 150018; 9 for 90624).
    pub fn major(&self) -> u32 {
        self.num / 10_000
    }
}

/// State of the deadpool connection pool.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PoolStatus {
    /// Configured maximum.
    pub max_size: usize,
    /// Connections currently open.
    pub size: usize,
    /// Idle connections ready to be handed out.
    pub available: usize,
    /// Callers waiting for a connection.
    pub waiting: usize,
}

/// Connections used on the server versus its limit: the runbook's "pool exhausted" signal.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConnectionUsage {
    /// Client backends connected now.
    pub used: u32,
    /// `max_connections`.
    pub max_connections: u32,
    /// `superuser_reserved_connections` (not available to ordinary roles).
    pub reserved_for_superuser: u32,
    /// Client backends by state (`active`, `idle`, `idle in transaction` …).
    pub by_state: Vec<(String, u32)>,
}

impl ConnectionUsage {
    /// Slots left for ordinary roles.
    pub fn available(&self) -> u32 {
        self.max_connections
            .saturating_sub(self.reserved_for_superuser)
            .saturating_sub(self.used)
    }

    /// Used / (max − reserved), 0.0 ..= 1.0+.
    pub fn utilization(&self) -> f64 {
        let usable = self
            .max_connections
            .saturating_sub(self.reserved_for_superuser)
            .max(1);
        f64::from(self.used) / f64::from(usable)
    }

    /// Whether utilization is at or above `threshold` (e.g. 0.9).
    pub fn is_exhausted(&self, threshold: f64) -> bool {
        self.utilization() >= threshold
    }
}

/// A health snapshot of one PostgreSQL server.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PgHealth {
    /// The readiness probe's outcome.
    pub readiness: Readiness,
    /// Version (when accepting).
    pub version: Option<ServerVersion>,
    /// Whether the server is a standby in recovery (when accepting).
    pub in_recovery: Option<bool>,
    /// Connections used versus the limit (when accepting).
    pub connections: Option<ConnectionUsage>,
    /// The pool's state.
    pub pool: PoolStatus,
    /// Time of a `SELECT 1` round trip on a pooled connection (when accepting).
    pub latency: Option<Duration>,
    /// Whether a pooled session is encrypted, from `pg_stat_ssl` (when accepting and the view
    /// is readable). Behind a connection pooler this is the pooler's session to the server.
    #[serde(default)]
    pub tls: Option<SessionTls>,
}

impl PgBackend {
    /// Readiness of the configured server.
    pub async fn readiness(&self, timeout: Duration) -> Readiness {
        probe(self.config(), timeout).await
    }

    /// Server version, recovery role, connection usage, pool state, latency, and whether the
    /// session is encrypted.
    ///
    /// # Errors
    /// Only when the server accepted the probe but a status query then failed.
    pub async fn health(&self, timeout: Duration) -> Result<PgHealth> {
        let readiness = self.readiness(timeout).await;
        let mut health = PgHealth {
            readiness,
            version: None,
            in_recovery: None,
            connections: None,
            pool: self.pool_status(),
            latency: None,
            tls: None,
        };
        if !health.readiness.is_accepting() {
            return Ok(health);
        }
        let client = self.client().await?;
        let started = Instant::now();
        client
            .simple_query("SELECT 1")
            .await
            .map_err(DbError::query("SELECT 1"))?;
        health.latency = Some(started.elapsed());
        // Informational: a server without pg_stat_ssl (or hiding it) does not fail the check.
        health.tls = session_tls(&client).await.unwrap_or_else(|e| {
            tracing::debug!(error = %e, "pg_stat_ssl not readable");
            None
        });
        let row = client
            .query_one(
                "SELECT current_setting('server_version_num')::int4, \
                        current_setting('server_version'), pg_is_in_recovery(), \
                        current_setting('max_connections')::int4, \
                        current_setting('superuser_reserved_connections')::int4",
                &[],
            )
            .await
            .map_err(DbError::query("reading server status"))?;
        let num: i32 = row.get(0);
        health.version = Some(ServerVersion {
            num: num.max(0) as u32,
            text: row.get(1),
        });
        health.in_recovery = Some(row.get(2));
        let max: i32 = row.get(3);
        let reserved: i32 = row.get(4);
        let rows = client
            .query(
                "SELECT coalesce(state, 'unknown'), count(*)::int4 FROM pg_stat_activity \
                 WHERE backend_type = 'client backend' GROUP BY 1 ORDER BY 1",
                &[],
            )
            .await
            .map_err(DbError::query("counting connections"))?;
        let by_state: Vec<(String, u32)> = rows
            .iter()
            .map(|r| (r.get::<_, String>(0), r.get::<_, i32>(1).max(0) as u32))
            .collect();
        health.connections = Some(ConnectionUsage {
            used: by_state.iter().map(|(_, n)| n).sum(),
            max_connections: max.max(0) as u32,
            reserved_for_superuser: reserved.max(0) as u32,
            by_state,
        });
        drop(client);
        health.pool = self.pool_status();
        Ok(health)
    }
}

/// The encryption of `client`'s session, from `pg_stat_ssl` (`None` when the server shows no
/// row for it).
///
/// # Errors
/// [`DbError::Query`] when the view cannot be read.
pub async fn session_tls(client: &tokio_postgres::Client) -> Result<Option<SessionTls>> {
    let row = client
        .query_opt(
            "SELECT ssl, version, cipher FROM pg_stat_ssl WHERE pid = pg_backend_pid()",
            &[],
        )
        .await
        .map_err(DbError::query("reading pg_stat_ssl"))?;
    Ok(row.map(|r| SessionTls {
        encrypted: r.get(0),
        version: r.get(1),
        cipher: r.get(2),
    }))
}
