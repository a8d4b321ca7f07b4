//! [`EscalationStore`] in PostgreSQL, through a deadpool-postgres pool (the pool mcp-ops-db
//! builds). Incidents and outbox entries are stored as JSON documents; `save` is one
//! transaction, so a restarted engine sees either the old level and no new messages or the
//! new level and its messages.

use async_trait::async_trait;
use deadpool_postgres::Pool;
use deadpool_postgres::tokio_postgres;
use std::time::Duration;

use jiff::Timestamp;
use mcp_ops_core::backoff::jittered;
use mcp_ops_core::{Error, Incident, IncidentId, Result};

use super::store::{
    Change, DeliveryStatus, EscalationStore, OutboxEntry, claimed, prunable, settle,
};

const BACKEND: &str = "postgres";

/// The advisory lock key that serializes [`PgEscalationStore::migrate`] across processes.
const MIGRATION_LOCK: i64 = 0x6d63_706f_7073_0001;

/// Attempts of one [`EscalationStore::modify`] when PostgreSQL reports a serialization
/// failure or a deadlock (SQLSTATE 40001, 40P01).
const MODIFY_ATTEMPTS: u32 = 10;

const SCHEMA: &str = "
CREATE SEQUENCE IF NOT EXISTS mcp_ops_incident_seq;
CREATE TABLE IF NOT EXISTS mcp_ops_incidents (
    id TEXT PRIMARY KEY,
    ord BIGSERIAL NOT NULL,
    resolved BOOLEAN NOT NULL,
    body TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS mcp_ops_outbox (
    key TEXT PRIMARY KEY,
    ord BIGSERIAL NOT NULL,
    incident TEXT NOT NULL,
    pending BOOLEAN NOT NULL,
    body TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS mcp_ops_outbox_pending ON mcp_ops_outbox (pending) WHERE pending;
CREATE INDEX IF NOT EXISTS mcp_ops_outbox_incident ON mcp_ops_outbox (incident);
";

/// Escalation state in PostgreSQL.
#[derive(Clone)]
pub struct PgEscalationStore {
    pool: Pool,
    busy_patience: Duration,
}

impl std::fmt::Debug for PgEscalationStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgEscalationStore").finish_non_exhaustive()
    }
}

/// The error's words, with the server's message when there is one.
fn describe(e: &tokio_postgres::Error) -> String {
    match e.as_db_error() {
        Some(d) => format!("{} ({}): {}", e, d.code().code(), d.message()),
        None => e.to_string(),
    }
}

fn db(e: &tokio_postgres::Error) -> Error {
    if e.is_closed() || e.code().is_none() {
        Error::unavailable(BACKEND, describe(e))
    } else {
        Error::backend(BACKEND, describe(e), false)
    }
}

/// How long [`PgEscalationStore`] keeps asking a full or starting server for a connection,
/// unless [`PgEscalationStore::with_busy_patience`] says otherwise.
pub const BUSY_SERVER_PATIENCE: Duration = Duration::from_secs(60);

/// Whether the server refused the connection only for now: too many clients (53300) or
/// starting up (57P03).
fn busy(e: &tokio_postgres::Error) -> bool {
    use tokio_postgres::error::SqlState;
    matches!(e.code(), Some(c) if *c == SqlState::TOO_MANY_CONNECTIONS || *c == SqlState::CANNOT_CONNECT_NOW)
}

/// Whether retrying the whole transaction may succeed (serialization failure, deadlock).
fn retryable(e: &Error) -> bool {
    let text = e.to_string();
    text.contains("(40001)") || text.contains("(40P01)")
}

fn json<T: serde::Serialize>(v: &T) -> Result<String> {
    serde_json::to_string(v).map_err(|e| Error::backend(BACKEND, format!("encode: {e}"), false))
}

fn parse<T: serde::de::DeserializeOwned>(s: &str) -> Result<T> {
    serde_json::from_str(s).map_err(|e| {
        Error::backend(
            BACKEND,
            format!("stored document does not decode: {e}"),
            false,
        )
    })
}

impl PgEscalationStore {
    /// A store over `pool`; call [`PgEscalationStore::migrate`] once before use.
    #[must_use]
    pub fn new(pool: Pool) -> Self {
        Self {
            pool,
            busy_patience: BUSY_SERVER_PATIENCE,
        }
    }

    /// How long to keep asking a server that refuses connections for now (too many
    /// clients, starting up) before reporting it unavailable; [`BUSY_SERVER_PATIENCE`] by
    /// default, zero to report at once.
    #[must_use]
    pub fn with_busy_patience(mut self, patience: Duration) -> Self {
        self.busy_patience = patience;
        self
    }

    /// Creates the tables if they do not exist (idempotent).
    ///
    /// # Errors
    /// [`Error::Unavailable`] when the database cannot be reached.
    pub async fn migrate(&self) -> Result<()> {
        let mut c = self.client().await?;
        // Concurrent `CREATE … IF NOT EXISTS` can still collide in the catalog (50 `ops`
        // processes starting at once on a new database); a transaction-scoped advisory lock
        // makes them take turns.
        let tx = c.transaction().await.map_err(|e| db(&e))?;
        tx.batch_execute(&format!("SELECT pg_advisory_xact_lock({MIGRATION_LOCK});"))
            .await
            .map_err(|e| db(&e))?;
        tx.batch_execute(SCHEMA).await.map_err(|e| db(&e))?;
        tx.commit().await.map_err(|e| db(&e))
    }

    /// A pooled connection. A server that is full (SQLSTATE 53300, `max_connections`
    /// reached — many `ops` processes or replicas at once) or still starting (57P03) is
    /// asked again with a growing, jittered pause for up to its patience
    /// ([`PgEscalationStore::with_busy_patience`]);
    /// every other failure is reported at once.
    async fn client(&self) -> Result<deadpool_postgres::Object> {
        let started = tokio::time::Instant::now();
        let mut pause = Duration::from_millis(50);
        loop {
            let e = match self.pool.get().await {
                Ok(c) => return Ok(c),
                Err(deadpool_postgres::PoolError::Backend(e)) => e,
                Err(other) => return Err(Error::unavailable(BACKEND, other.to_string())),
            };
            if !busy(&e) || started.elapsed() + pause > self.busy_patience {
                return Err(Error::unavailable(BACKEND, describe(&e)));
            }
            tracing::debug!(error = %describe(&e), ?pause, "PostgreSQL busy; asking again");
            tokio::time::sleep(jittered(pause)).await;
            pause = (pause * 2).min(Duration::from_secs(2));
        }
    }

    async fn docs<T: serde::de::DeserializeOwned>(
        &self,
        sql: &str,
        params: &[&(dyn tokio_postgres::types::ToSql + Sync)],
    ) -> Result<Vec<T>> {
        let c = self.client().await?;
        let rows = c.query(sql, params).await.map_err(|e| db(&e))?;
        rows.iter().map(|r| parse(r.get::<_, &str>(0))).collect()
    }

    /// One attempt of [`EscalationStore::modify`]: the row is locked (`SELECT … FOR
    /// UPDATE`) from the read to the commit, so a concurrent change waits and then reads
    /// this one's result.
    async fn modify_once(&self, id: &IncidentId, change: &Change<'_>) -> Result<Incident> {
        let mut c = self.client().await?;
        let tx = c.transaction().await.map_err(|e| db(&e))?;
        let row = tx
            .query_opt(
                "SELECT body FROM mcp_ops_incidents WHERE id = $1 FOR UPDATE",
                &[&id.as_str()],
            )
            .await
            .map_err(|e| db(&e))?
            .ok_or_else(|| Error::not_found("incident", id.as_str()))?;
        let current: Incident = parse(row.get::<_, &str>(0))?;
        let Some((incident, outbox)) = change(current.clone())? else {
            tx.rollback().await.map_err(|e| db(&e))?;
            return Ok(current);
        };
        write(&tx, &incident, &outbox).await?;
        tx.commit().await.map_err(|e| db(&e))?;
        Ok(incident)
    }
}

/// The outbox entry `key`, locked (`FOR UPDATE`) until `tx` ends.
async fn locked_entry(tx: &deadpool_postgres::Transaction<'_>, key: &str) -> Result<OutboxEntry> {
    let row = tx
        .query_opt(
            "SELECT body FROM mcp_ops_outbox WHERE key = $1 FOR UPDATE",
            &[&key],
        )
        .await
        .map_err(|e| db(&e))?
        .ok_or_else(|| Error::not_found("outbox entry", key))?;
    parse(row.get::<_, &str>(0))
}

/// Stores `entry` back under `key` inside `tx`.
async fn save_entry(
    tx: &deadpool_postgres::Transaction<'_>,
    key: &str,
    entry: &OutboxEntry,
) -> Result<()> {
    tx.execute(
        "UPDATE mcp_ops_outbox SET pending = $2, body = $3 WHERE key = $1",
        &[&key, &entry.is_pending(), &json(entry)?],
    )
    .await
    .map_err(|e| db(&e))?;
    Ok(())
}

/// Upserts `incident` and queues the new keys of `outbox` inside `tx`.
async fn write(
    tx: &deadpool_postgres::Transaction<'_>,
    incident: &Incident,
    outbox: &[OutboxEntry],
) -> Result<()> {
    tx.execute(
        "INSERT INTO mcp_ops_incidents (id, resolved, body) VALUES ($1, $2, $3)
         ON CONFLICT (id) DO UPDATE SET resolved = EXCLUDED.resolved, body = EXCLUDED.body",
        &[
            &incident.id.as_str(),
            &incident.is_resolved(),
            &json(incident)?,
        ],
    )
    .await
    .map_err(|e| db(&e))?;
    for entry in outbox {
        tx.execute(
            "INSERT INTO mcp_ops_outbox (key, incident, pending, body) VALUES ($1, $2, $3, $4)
             ON CONFLICT (key) DO NOTHING",
            &[
                &entry.key,
                &entry.incident.as_str(),
                &entry.is_pending(),
                &json(entry)?,
            ],
        )
        .await
        .map_err(|e| db(&e))?;
    }
    Ok(())
}

#[async_trait]
impl EscalationStore for PgEscalationStore {
    async fn next_sequence(&self) -> Result<u64> {
        let c = self.client().await?;
        let row = c
            .query_one("SELECT nextval('mcp_ops_incident_seq')", &[])
            .await
            .map_err(|e| db(&e))?;
        u64::try_from(row.get::<_, i64>(0))
            .map_err(|_| Error::backend(BACKEND, "negative sequence", false))
    }

    async fn save(&self, incident: &Incident, outbox: &[OutboxEntry]) -> Result<()> {
        let mut c = self.client().await?;
        let tx = c.transaction().await.map_err(|e| db(&e))?;
        write(&tx, incident, outbox).await?;
        tx.commit().await.map_err(|e| db(&e))
    }

    async fn modify(&self, id: &IncidentId, change: &Change<'_>) -> Result<Incident> {
        let mut attempt = 1;
        loop {
            match self.modify_once(id, change).await {
                Err(e) if attempt < MODIFY_ATTEMPTS && retryable(&e) => {
                    tracing::debug!(incident = %id, attempt, error = %e, "retrying change");
                    attempt += 1;
                }
                other => return other,
            }
        }
    }

    async fn incident(&self, id: &IncidentId) -> Result<Option<Incident>> {
        let mut v: Vec<Incident> = self
            .docs(
                "SELECT body FROM mcp_ops_incidents WHERE id = $1",
                &[&id.as_str()],
            )
            .await?;
        Ok(v.pop())
    }

    async fn incidents(&self) -> Result<Vec<Incident>> {
        self.docs("SELECT body FROM mcp_ops_incidents ORDER BY ord", &[])
            .await
    }

    async fn pending(&self) -> Result<Vec<OutboxEntry>> {
        self.docs(
            "SELECT body FROM mcp_ops_outbox WHERE pending ORDER BY ord",
            &[],
        )
        .await
    }

    async fn set_status(&self, key: &str, status: DeliveryStatus) -> Result<()> {
        let mut c = self.client().await?;
        let tx = c.transaction().await.map_err(|e| db(&e))?;
        let mut entry = locked_entry(&tx, key).await?;
        entry.status = settle(&entry.status, status);
        save_entry(&tx, key, &entry).await?;
        tx.commit().await.map_err(|e| db(&e))
    }

    async fn claim(&self, key: &str, attempts: u32, now: Timestamp) -> Result<bool> {
        let mut c = self.client().await?;
        let tx = c.transaction().await.map_err(|e| db(&e))?;
        let mut entry = locked_entry(&tx, key).await?;
        let Some(status) = claimed(&entry.status, attempts, now) else {
            tx.rollback().await.map_err(|e| db(&e))?;
            return Ok(false);
        };
        entry.status = status;
        save_entry(&tx, key, &entry).await?;
        tx.commit().await.map_err(|e| db(&e))?;
        Ok(true)
    }

    async fn outbox(&self, incident: &IncidentId) -> Result<Vec<OutboxEntry>> {
        self.docs(
            "SELECT body FROM mcp_ops_outbox WHERE incident = $1 ORDER BY ord",
            &[&incident.as_str()],
        )
        .await
    }

    async fn prune(&self, before: Timestamp) -> Result<Vec<IncidentId>> {
        let mut c = self.client().await?;
        let tx = c.transaction().await.map_err(|e| db(&e))?;
        // Lock the resolved incidents so a concurrent save cannot revive one being deleted.
        let rows = tx
            .query(
                "SELECT body FROM mcp_ops_incidents WHERE resolved ORDER BY ord FOR UPDATE",
                &[],
            )
            .await
            .map_err(|e| db(&e))?;
        let resolved: Vec<Incident> = rows
            .iter()
            .map(|r| parse(r.get::<_, &str>(0)))
            .collect::<Result<_>>()?;
        let pending = tx
            .query("SELECT body FROM mcp_ops_outbox WHERE pending", &[])
            .await
            .map_err(|e| db(&e))?
            .iter()
            .map(|r| parse(r.get::<_, &str>(0)))
            .collect::<Result<Vec<OutboxEntry>>>()?;
        let gone = prunable(&resolved, &pending, before);
        let ids: Vec<&str> = gone.iter().map(IncidentId::as_str).collect();
        tx.execute(
            "DELETE FROM mcp_ops_outbox WHERE incident = ANY($1)",
            &[&ids],
        )
        .await
        .map_err(|e| db(&e))?;
        tx.execute("DELETE FROM mcp_ops_incidents WHERE id = ANY($1)", &[&ids])
            .await
            .map_err(|e| db(&e))?;
        tx.commit().await.map_err(|e| db(&e))?;
        Ok(gone)
    }
}
