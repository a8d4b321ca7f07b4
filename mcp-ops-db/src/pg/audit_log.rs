//! [`PgAuditLog`]: the tamper-evident audit journal in PostgreSQL, shared by a team.

use async_trait::async_trait;
use deadpool_postgres::Pool;
use mcp_ops_core::audit::{
    AuditDraft, AuditLog, AuditRecord, ChainHead, ChainReport, StoredEntry, canonical_json, seal,
    verify_records,
};
use mcp_ops_core::{Error, Result};
use tokio_postgres::Transaction;

const BACKEND: &str = "postgres";

/// The advisory lock key that serializes [`PgAuditLog::migrate`] across processes.
const MIGRATION_LOCK: i64 = 0x6d63_706f_7073_0a01;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS mcp_ops_audit (
    seq BIGINT PRIMARY KEY,
    body TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS mcp_ops_audit_head (
    id SMALLINT PRIMARY KEY CHECK (id = 1),
    seq BIGINT NOT NULL,
    hash TEXT NOT NULL
);
INSERT INTO mcp_ops_audit_head (id, seq, hash)
    VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000')
    ON CONFLICT (id) DO NOTHING;
";

/// The audit journal in two tables: `mcp_ops_audit` (one row per record: `seq` as primary
/// key, `body` the record's canonical JSON as text, exactly as hashed) and
/// `mcp_ops_audit_head` (one row: the head anchor, last seq and hash).
///
/// - [`AuditLog::append`] is one transaction that locks the head row (`SELECT … FOR
///   UPDATE`), so appends from any number of processes and machines take turns and make one
///   chain; the rows and the new head commit together.
/// - [`AuditLog::verify`] reads the rows in `seq` order and checks them with
///   [`verify_records`] against the head row: a row edited, deleted or inserted with SQL,
///   or two rows whose `seq` were swapped, is named with its position (1-based, in `seq`
///   order). A body that does not decode is reported, never returned as an error.
/// - Errors name the operation and the server's message, never a row's content.
///
/// ```no_run
/// # async fn demo(pool: deadpool_postgres::Pool) -> mcp_ops_core::Result<()> {
/// use mcp_ops_core::audit::{AuditDraft, AuditKind, AuditLog};
/// use mcp_ops_core::jiff::Timestamp;
/// use mcp_ops_db::PgAuditLog;
///
/// let log = PgAuditLog::new(pool);
/// log.migrate().await?;
/// let draft = AuditDraft::new(Timestamp::now(), "alice", AuditKind::Note, "maintenance done");
/// log.append(vec![draft]).await?;
/// assert!(log.verify().await?.intact());
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct PgAuditLog {
    pool: Pool,
    busy_patience: std::time::Duration,
}

impl std::fmt::Debug for PgAuditLog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgAuditLog").finish_non_exhaustive()
    }
}

/// The error's words, with the server's message when there is one.
fn db(what: &str, e: &tokio_postgres::Error) -> Error {
    let text = match e.as_db_error() {
        Some(d) => format!("{what}: {e} ({}): {}", d.code().code(), d.message()),
        None => format!("{what}: {e}"),
    };
    if e.is_closed() || e.code().is_none() {
        Error::unavailable(BACKEND, text)
    } else {
        Error::backend(BACKEND, text, false)
    }
}

fn to_i64(seq: u64) -> Result<i64> {
    i64::try_from(seq).map_err(|_| Error::backend(BACKEND, "audit sequence exhausted", false))
}

fn to_u64(seq: i64) -> u64 {
    u64::try_from(seq).unwrap_or(0)
}

impl PgAuditLog {
    /// A log over `pool`; call [`PgAuditLog::migrate`] once before use.
    #[must_use]
    pub fn new(pool: Pool) -> Self {
        Self {
            pool,
            busy_patience: super::busy::BUSY_PATIENCE,
        }
    }

    /// How long to keep asking a server that refuses connections for now (too many
    /// clients, starting up) before reporting it unavailable; 60 s by default, zero to
    /// report at once.
    #[must_use]
    pub fn with_busy_patience(mut self, patience: std::time::Duration) -> Self {
        self.busy_patience = patience;
        self
    }

    /// Creates the tables and the head row if they do not exist (idempotent; concurrent
    /// callers take turns on an advisory lock).
    ///
    /// # Errors
    /// [`Error::Unavailable`] when the database cannot be reached; a backend error when a
    /// statement fails.
    pub async fn migrate(&self) -> Result<()> {
        let mut c = self.client().await?;
        let tx = c
            .transaction()
            .await
            .map_err(|e| db("begin migration", &e))?;
        tx.batch_execute(&format!("SELECT pg_advisory_xact_lock({MIGRATION_LOCK});"))
            .await
            .map_err(|e| db("migration lock", &e))?;
        tx.batch_execute(SCHEMA)
            .await
            .map_err(|e| db("create audit tables", &e))?;
        tx.commit().await.map_err(|e| db("commit migration", &e))
    }

    /// A pooled connection; a full or starting server (many processes appending at once)
    /// is asked again for up to [`PgAuditLog::with_busy_patience`].
    async fn client(&self) -> Result<deadpool_postgres::Object> {
        super::busy::pooled(
            &self.pool,
            self.busy_patience,
            BACKEND,
            "audit log connection",
        )
        .await
    }

    /// The head to continue from: the locked anchor, or the last row when one lies past it
    /// (added outside this log), so that no seq is used twice.
    async fn locked_head(tx: &Transaction<'_>) -> Result<ChainHead> {
        let row = tx
            .query_opt(
                "SELECT seq, hash FROM mcp_ops_audit_head WHERE id = 1 FOR UPDATE",
                &[],
            )
            .await
            .map_err(|e| db("lock audit head", &e))?
            .ok_or_else(|| {
                Error::backend(
                    BACKEND,
                    "the audit head row is missing: run PgAuditLog::migrate",
                    false,
                )
            })?;
        let mut head = ChainHead {
            seq: to_u64(row.get(0)),
            hash: row.get(1),
        };
        let last = tx
            .query_opt(
                "SELECT seq, body FROM mcp_ops_audit ORDER BY seq DESC LIMIT 1",
                &[],
            )
            .await
            .map_err(|e| db("read last audit row", &e))?;
        if let Some(last) = last {
            let seq = to_u64(last.get(0));
            if seq > head.seq {
                head = match StoredEntry::parse(last.get(1)) {
                    StoredEntry::Record { record, .. } => ChainHead {
                        seq,
                        hash: record.hash,
                    },
                    _ => ChainHead {
                        seq,
                        hash: head.hash,
                    },
                };
            }
        }
        Ok(head)
    }
}

#[async_trait]
impl AuditLog for PgAuditLog {
    async fn append(&self, drafts: Vec<AuditDraft>) -> Result<Vec<AuditRecord>> {
        if drafts.is_empty() {
            return Ok(Vec::new());
        }
        let mut c = self.client().await?;
        let tx = c
            .transaction()
            .await
            .map_err(|e| db("begin audit append", &e))?;
        let head = Self::locked_head(&tx).await?;
        let sealed = seal(&head, drafts)?;
        let insert = tx
            .prepare("INSERT INTO mcp_ops_audit (seq, body) VALUES ($1, $2)")
            .await
            .map_err(|e| db("prepare audit insert", &e))?;
        for record in &sealed {
            let body = canonical_json(&record.to_value()?);
            tx.execute(&insert, &[&to_i64(record.seq)?, &body])
                .await
                .map_err(|e| db("insert audit record", &e))?;
        }
        if let Some(last) = sealed.last() {
            tx.execute(
                "UPDATE mcp_ops_audit_head SET seq = $1, hash = $2 WHERE id = 1",
                &[&to_i64(last.seq)?, &last.hash],
            )
            .await
            .map_err(|e| db("update audit head", &e))?;
        }
        tx.commit()
            .await
            .map_err(|e| db("commit audit append", &e))?;
        Ok(sealed)
    }

    async fn records(&self) -> Result<Vec<AuditRecord>> {
        let c = self.client().await?;
        let rows = c
            .query("SELECT body FROM mcp_ops_audit ORDER BY seq", &[])
            .await
            .map_err(|e| db("read audit records", &e))?;
        Ok(rows
            .iter()
            .filter_map(|r| match StoredEntry::parse(r.get(0)) {
                StoredEntry::Record { record, .. } => Some(record),
                _ => None,
            })
            .collect())
    }

    async fn verify(&self) -> Result<ChainReport> {
        let mut c = self.client().await?;
        // One snapshot for the rows and the head.
        let tx = c
            .build_transaction()
            .isolation_level(tokio_postgres::IsolationLevel::RepeatableRead)
            .read_only(true)
            .start()
            .await
            .map_err(|e| db("begin audit verify", &e))?;
        let rows = tx
            .query("SELECT body FROM mcp_ops_audit ORDER BY seq", &[])
            .await
            .map_err(|e| db("read audit records", &e))?;
        let anchor = tx
            .query_opt("SELECT seq, hash FROM mcp_ops_audit_head WHERE id = 1", &[])
            .await
            .map_err(|e| db("read audit head", &e))?
            .map(|r| ChainHead {
                seq: to_u64(r.get(0)),
                hash: r.get(1),
            });
        tx.commit().await.map_err(|e| db("end audit verify", &e))?;
        let entries: Vec<StoredEntry> = rows.iter().map(|r| StoredEntry::parse(r.get(0))).collect();
        Ok(verify_records(&entries, anchor.as_ref()))
    }
}
