//! [`ChangeStore`] in PostgreSQL, shared by a team: every `ops` process and every machine
//! pointed at the same database sees the same change requests and the same numbering.

use std::time::Duration;

use async_trait::async_trait;
use deadpool_postgres::{Pool, Transaction, tokio_postgres};
use mcp_ops_core::change::{ChangeId, ChangeRequest, ChangeStore};
use mcp_ops_core::{Error, Result};
use tokio_postgres::error::SqlState;

const BACKEND: &str = "postgres";

/// The advisory lock key that serializes [`PgChangeStore::migrate`] across processes
/// (`mcpops` + 0x0C0001, distinct from the incident store's key).
const MIGRATION_LOCK: i64 = 0x6d63_706f_7073_0c01;

/// Attempts of one create or modify when PostgreSQL reports a serialization failure or a
/// deadlock (SQLSTATE 40001, 40P01).
const ATTEMPTS: u32 = 10;

/// How long [`PgChangeStore`] keeps asking a full or starting server for a connection,
/// unless [`PgChangeStore::with_busy_patience`] says otherwise.
pub const CHANGE_STORE_BUSY_PATIENCE: Duration = super::busy::BUSY_PATIENCE;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS mcp_ops_change_sequences (
    year SMALLINT PRIMARY KEY,
    last_number INTEGER NOT NULL CHECK (last_number > 0)
);
CREATE TABLE IF NOT EXISTS mcp_ops_changes (
    id TEXT PRIMARY KEY,
    year SMALLINT NOT NULL,
    number INTEGER NOT NULL,
    body JSONB NOT NULL,
    UNIQUE (year, number)
);
";

/// The next number of `$1`: one past both the sequence row and the highest number stored
/// (rows inserted by hand), taken with the sequence row locked until the transaction ends,
/// so concurrent creates of one year take turns and numbers have no gaps.
const NEXT_NUMBER: &str = "
INSERT INTO mcp_ops_change_sequences AS s (year, last_number)
VALUES ($1, COALESCE((SELECT max(number) FROM mcp_ops_changes WHERE year = $1), 0) + 1)
ON CONFLICT (year) DO UPDATE SET last_number = GREATEST(
    s.last_number,
    COALESCE((SELECT max(number) FROM mcp_ops_changes WHERE year = EXCLUDED.year), 0)
) + 1
RETURNING last_number";

/// Change requests in PostgreSQL.
///
/// - Table `mcp_ops_changes` (id, year, number, the CR as `jsonb`) and one row per year in
///   `mcp_ops_change_sequences`; [`PgChangeStore::migrate`] creates them.
/// - [`ChangeStore::create`] takes the next number with `INSERT … ON CONFLICT … DO UPDATE …
///   RETURNING`, which keeps the year's row locked until the new CR is committed: ids are
///   distinct across processes and machines, and a refused `make` gives its number back.
/// - [`ChangeStore::modify`] reads the CR with `SELECT … FOR UPDATE` and writes it in the
///   same transaction, so concurrent approvals are applied one after the other and none is
///   lost. A serialization failure or deadlock (40001, 40P01) retries the whole transaction
///   (so `change` may be called more than once).
/// - A full or starting server (53300, 57P03) is asked again for a connection with a
///   growing, jittered pause for up to [`PgChangeStore::with_busy_patience`].
/// - Error messages never quote a stored CR (a description may be sensitive).
#[derive(Clone)]
pub struct PgChangeStore {
    pool: Pool,
    busy_patience: Duration,
}

impl std::fmt::Debug for PgChangeStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgChangeStore")
            .field("busy_patience", &self.busy_patience)
            .finish_non_exhaustive()
    }
}

/// How one attempt of a transaction failed.
enum Failed {
    /// A serialization failure or deadlock: the whole transaction may be tried again.
    Retry(Error),
    /// Anything else, reported as is.
    Fatal(Error),
}

impl From<Error> for Failed {
    fn from(e: Error) -> Self {
        Failed::Fatal(e)
    }
}

/// The error's words, with the server's code and message when there is one.
fn describe(e: &tokio_postgres::Error) -> String {
    match e.as_db_error() {
        Some(d) => format!("{e} ({}): {}", d.code().code(), d.message()),
        None => e.to_string(),
    }
}

fn to_error(e: &tokio_postgres::Error) -> Error {
    if e.is_closed() || e.code().is_none() {
        Error::unavailable(BACKEND, describe(e))
    } else {
        Error::backend(BACKEND, describe(e), false)
    }
}

/// Like [`to_error`], marking serialization failures and deadlocks as worth a retry.
fn failed(e: &tokio_postgres::Error) -> Failed {
    match e.code() {
        Some(c)
            if *c == SqlState::T_R_SERIALIZATION_FAILURE
                || *c == SqlState::T_R_DEADLOCK_DETECTED =>
        {
            Failed::Retry(to_error(e))
        }
        _ => Failed::Fatal(to_error(e)),
    }
}

fn encode(cr: &ChangeRequest) -> Result<String> {
    serde_json::to_string(cr).map_err(|e| Error::backend(BACKEND, format!("encode: {e}"), false))
}

/// Decodes a stored CR; the message names the row, not its contents.
fn decode(id: &str, body: &str) -> Result<ChangeRequest> {
    serde_json::from_str(body).map_err(|_| {
        Error::backend(
            BACKEND,
            format!("stored change request {id} is not a valid change request"),
            false,
        )
    })
}

/// Refuses a CR whose id is not the one it is stored under.
fn same_id(expected: &ChangeId, cr: &ChangeRequest) -> Result<()> {
    if &cr.id == expected {
        Ok(())
    } else {
        Err(Error::invalid(
            "change request",
            format!("id {} where {expected} was expected", cr.id),
        ))
    }
}

impl PgChangeStore {
    /// A store over `pool` (for example [`crate::PgBackend::pool`]); call
    /// [`PgChangeStore::migrate`] once before use.
    #[must_use]
    pub fn new(pool: Pool) -> Self {
        Self {
            pool,
            busy_patience: CHANGE_STORE_BUSY_PATIENCE,
        }
    }

    /// How long to keep asking a server that refuses connections for now (too many
    /// clients, starting up) before reporting it unavailable; [`CHANGE_STORE_BUSY_PATIENCE`]
    /// by default, zero to report at once.
    #[must_use]
    pub fn with_busy_patience(mut self, patience: Duration) -> Self {
        self.busy_patience = patience;
        self
    }

    /// Creates the tables if they do not exist. Idempotent, and safe when many processes
    /// start at once on a new database (they take turns on an advisory transaction lock).
    ///
    /// # Errors
    /// [`Error::Unavailable`] when the database cannot be reached; [`Error::Backend`] when
    /// a statement fails (for instance without the privilege to create tables).
    pub async fn migrate(&self) -> Result<()> {
        let mut c = self.client().await?;
        let tx = c.transaction().await.map_err(|e| to_error(&e))?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
            .await
            .map_err(|e| to_error(&e))?;
        tx.batch_execute(SCHEMA).await.map_err(|e| to_error(&e))?;
        tx.commit().await.map_err(|e| to_error(&e))
    }

    /// A pooled connection, asking a full or starting server again for up to the busy
    /// patience; every other failure is reported at once.
    async fn client(&self) -> Result<deadpool_postgres::Object> {
        super::busy::pooled(
            &self.pool,
            self.busy_patience,
            BACKEND,
            "change store connection",
        )
        .await
    }

    /// One attempt of [`ChangeStore::create`].
    async fn create_once(
        &self,
        year: i16,
        make: &(dyn Fn(ChangeId) -> Result<ChangeRequest> + Send + Sync),
    ) -> Result<ChangeRequest, Failed> {
        let mut c = self.client().await?;
        let tx = c.transaction().await.map_err(|e| failed(&e))?;
        let row = tx
            .query_one(NEXT_NUMBER, &[&year])
            .await
            .map_err(|e| failed(&e))?;
        let number = u32::try_from(row.get::<_, i32>(0)).map_err(|_| {
            Error::backend(BACKEND, format!("sequence of {year} is negative"), false)
        })?;
        let id = ChangeId::new(year, number)?;
        // A refusal drops `tx`, which rolls back: the number is given back.
        let cr = make(id.clone())?;
        same_id(&id, &cr)?;
        let number = i32::try_from(number)
            .map_err(|_| Error::backend(BACKEND, format!("numbers of {year} exhausted"), false))?;
        tx.execute(
            "INSERT INTO mcp_ops_changes (id, year, number, body) VALUES ($1, $2, $3, $4::text::jsonb)",
            &[&id.as_str(), &year, &number, &encode(&cr)?],
        )
        .await
        .map_err(|e| failed(&e))?;
        tx.commit().await.map_err(|e| failed(&e))?;
        Ok(cr)
    }

    /// One attempt of [`ChangeStore::modify`]: the row stays locked from the read to the
    /// commit, so a concurrent change waits and then reads this one's result.
    async fn modify_once(
        &self,
        id: &ChangeId,
        change: &(dyn Fn(ChangeRequest) -> Result<ChangeRequest> + Send + Sync),
    ) -> Result<ChangeRequest, Failed> {
        let mut c = self.client().await?;
        let tx = c.transaction().await.map_err(|e| failed(&e))?;
        let current = locked(&tx, id).await?;
        let updated = change(current)?;
        same_id(id, &updated)?;
        tx.execute(
            "UPDATE mcp_ops_changes SET body = $2::text::jsonb WHERE id = $1",
            &[&id.as_str(), &encode(&updated)?],
        )
        .await
        .map_err(|e| failed(&e))?;
        tx.commit().await.map_err(|e| failed(&e))?;
        Ok(updated)
    }
}

/// The CR `id`, locked (`FOR UPDATE`) until `tx` ends.
async fn locked(tx: &Transaction<'_>, id: &ChangeId) -> Result<ChangeRequest, Failed> {
    let row = tx
        .query_opt(
            "SELECT body::text FROM mcp_ops_changes WHERE id = $1 FOR UPDATE",
            &[&id.as_str()],
        )
        .await
        .map_err(|e| failed(&e))?
        .ok_or_else(|| Error::not_found("change request", id.as_str()))?;
    Ok(decode(id.as_str(), row.get::<_, &str>(0))?)
}

/// Runs `attempt` until it succeeds, fails for good, or has been retried [`ATTEMPTS`] times.
async fn with_retries<T, F, Fut>(what: &str, mut attempt: F) -> Result<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, Failed>>,
{
    let mut n = 1;
    loop {
        match attempt().await {
            Ok(v) => return Ok(v),
            Err(Failed::Fatal(e)) => return Err(e),
            Err(Failed::Retry(e)) if n >= ATTEMPTS => return Err(e),
            Err(Failed::Retry(e)) => {
                tracing::debug!(what, attempt = n, error = %e, "retrying transaction");
                n += 1;
            }
        }
    }
}

#[async_trait]
impl ChangeStore for PgChangeStore {
    async fn create(
        &self,
        year: i16,
        make: &(dyn Fn(ChangeId) -> Result<ChangeRequest> + Send + Sync),
    ) -> Result<ChangeRequest> {
        with_retries("create change request", || self.create_once(year, make)).await
    }

    async fn get(&self, id: &ChangeId) -> Result<Option<ChangeRequest>> {
        let c = self.client().await?;
        let row = c
            .query_opt(
                "SELECT body::text FROM mcp_ops_changes WHERE id = $1",
                &[&id.as_str()],
            )
            .await
            .map_err(|e| to_error(&e))?;
        row.map(|r| decode(id.as_str(), r.get::<_, &str>(0)))
            .transpose()
    }

    async fn list(&self) -> Result<Vec<ChangeRequest>> {
        let c = self.client().await?;
        let rows = c
            .query(
                "SELECT id, body::text FROM mcp_ops_changes ORDER BY year, number",
                &[],
            )
            .await
            .map_err(|e| to_error(&e))?;
        rows.iter()
            .map(|r| decode(r.get::<_, &str>(0), r.get::<_, &str>(1)))
            .collect()
    }

    async fn modify(
        &self,
        id: &ChangeId,
        change: &(dyn Fn(ChangeRequest) -> Result<ChangeRequest> + Send + Sync),
    ) -> Result<ChangeRequest> {
        with_retries("modify change request", || self.modify_once(id, change)).await
    }
}
