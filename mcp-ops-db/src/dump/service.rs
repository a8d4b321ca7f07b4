//! [`PgBackups`]: `pg_dump -Fc` streamed through SHA-256 into a [`BackupStore`].

use super::feed::{CHUNK, read_capped};
use super::manifest::{BackupManifest, DumpId};
use super::store::{BackupSink, BackupStore};
use crate::tools::{find_postgres_program, program_version, stderr_tail};
use crate::{DbError, PgConfig, Result};
use sha2::{Digest, Sha256};
use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::AsyncReadExt;

/// Backups, verification and restore of one PostgreSQL database.
///
/// `pg_dump` and `pg_restore` run locally and reach the server with the configuration's
/// host, port, role and TLS settings (`PGSSLMODE`, `PGSSLROOTCERT`; see [`PgConfig`]);
/// credentials are passed through the environment, never argv.
///
/// **No deadline.** A dump or a restore takes as long as its data needs; callers who want a
/// deadline wrap the call in one. What is bounded is *silence*: when pg_dump writes nothing,
/// or pg_restore takes nothing, for [`PgBackups::stall_limit`] (default
/// [`DEFAULT_STALL_LIMIT`]), the operation fails saying so — a frozen server or a lock wait
/// never hangs a backup forever.
#[derive(Clone)]
pub struct PgBackups {
    pub(crate) config: PgConfig,
    pub(crate) store: Arc<dyn BackupStore>,
    pub(crate) stall_limit: Option<Duration>,
}

/// How long pg_dump may write nothing (or pg_restore take nothing) before a backup, verify
/// or restore fails as stalled.
pub const DEFAULT_STALL_LIMIT: Duration = Duration::from_secs(300);

impl std::fmt::Debug for PgBackups {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgBackups")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl PgBackups {
    /// Backups of the database `config` names, kept in `store`.
    ///
    /// ```
    /// use mcp_ops_db::{BackupStore, LocalDirStore, PgBackups, PgConfig};
    /// use std::{sync::Arc, time::Duration};
    ///
    /// # #[tokio::main] async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let dir = tempfile::tempdir()?;
    /// let store = Arc::new(LocalDirStore::new(dir.path().join("backups"))?);
    /// let config = PgConfig::parse("postgres://backup@db.internal:5432/mcp_db")?;
    /// let backups = PgBackups::new(config, store.clone())
    ///     .with_stall_limit(Some(Duration::from_secs(60)));
    /// assert_eq!(backups.stall_limit(), Some(Duration::from_secs(60)));
    ///
    /// // Nothing is written until the first backup; an empty store lists nothing.
    /// assert!(store.list().await?.is_empty());
    /// // backups.backup().await? would now run pg_dump against db.internal.
    /// # let _ = backups; Ok(()) }
    /// ```
    pub fn new(config: PgConfig, store: Arc<dyn BackupStore>) -> Self {
        Self {
            config,
            store,
            stall_limit: Some(DEFAULT_STALL_LIMIT),
        }
    }

    /// Fails a dump or restore that makes no progress for `limit` (`None`: wait forever).
    pub fn with_stall_limit(mut self, limit: Option<Duration>) -> Self {
        self.stall_limit = limit.filter(|l| !l.is_zero());
        self
    }

    /// The no-progress limit.
    pub fn stall_limit(&self) -> Option<Duration> {
        self.stall_limit
    }

    /// The store.
    pub fn store(&self) -> &Arc<dyn BackupStore> {
        &self.store
    }

    /// Dumps the database with `pg_dump -Fc`, streaming the output through SHA-256 into
    /// the store (memory use does not grow with the database), then commits the data and
    /// its manifest. On any failure nothing is left in the store.
    ///
    /// # Errors
    /// [`DbError::ToolMissing`] without pg_dump; [`DbError::Connect`] when the server is
    /// unreachable; [`DbError::ToolFailed`] when pg_dump fails (e.g. the server died
    /// mid-dump); store errors.
    pub async fn backup(&self) -> Result<BackupManifest> {
        self.backup_database(None, None).await
    }

    /// Like [`PgBackups::backup`], for another database of the same server and with the id
    /// starting with `label` instead of the database name.
    ///
    /// # Errors
    /// As [`PgBackups::backup`].
    pub async fn backup_database(
        &self,
        database: Option<&str>,
        label: Option<&str>,
    ) -> Result<BackupManifest> {
        let config = match database {
            Some(db) => self.config.with_dbname(db),
            None => self.config.clone(),
        };
        let pg_dump = find_postgres_program("pg_dump")?;
        let pg_dump_version = program_version(&pg_dump).await?;
        let server_version = {
            let client = crate::pg::connect(&config).await?;
            let row = client
                .query_one("SELECT current_setting('server_version')", &[])
                .await
                .map_err(DbError::query("reading server_version"))?;
            row.get::<_, String>(0)
        };
        let database = config.dbname().to_owned();
        let id = DumpId::generate(label.unwrap_or(&database))?;
        tracing::info!(%id, database = %database, "backup_database: starting pg_dump");
        let started_at = jiff::Timestamp::now();
        let mut sink = self.store.create(&id).await?;

        let mut cmd = tokio::process::Command::new(&pg_dump);
        cmd.args(["--format=custom", "--no-password"]);
        cmd.envs(config.libpq_env());
        cmd.stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        let mut child = match cmd.spawn() {
            Ok(c) => c,
            Err(e) => {
                let _ = sink.abort().await;
                return Err(DbError::Io {
                    context: "starting pg_dump".to_owned(),
                    source: e,
                });
            }
        };
        if let Some(out) = child.stdout.as_ref() {
            crate::tools::enlarge_pipe(out);
        }
        let err_task = tokio::spawn(read_capped(child.stderr.take(), 64 * 1024));
        let streamed = stream(child.stdout.take(), sink.as_mut(), self.stall_limit).await;
        if streamed.is_err() {
            let _ = child.start_kill();
        }
        let status = child.wait().await;
        let stderr = err_task.await.unwrap_or_default();
        let failure = match (streamed, status) {
            (Err(e), _) => Some(e),
            (Ok(_), Err(e)) => Some(DbError::Io {
                context: "waiting for pg_dump".to_owned(),
                source: e,
            }),
            (Ok(_), Ok(s)) if !s.success() => Some(DbError::ToolFailed {
                tool: "pg_dump",
                status: s.to_string(),
                stderr: stderr_tail(&stderr, 1500),
            }),
            (Ok((size, sha)), Ok(_)) => {
                let manifest = BackupManifest {
                    id,
                    database,
                    format: "custom".to_owned(),
                    server_version,
                    pg_dump_version,
                    size_bytes: size,
                    sha256: sha,
                    started_at,
                    finished_at: jiff::Timestamp::now(),
                };
                sink.commit(&manifest).await?;
                tracing::info!(id = %manifest.id, size = manifest.size_bytes, "backup committed");
                return Ok(manifest);
            }
        };
        let _ = sink.abort().await;
        Err(failure.unwrap_or_else(|| DbError::invalid("backup", "unknown failure")))
    }
}

async fn stream(
    stdout: Option<tokio::process::ChildStdout>,
    sink: &mut dyn BackupSink,
    stall_limit: Option<Duration>,
) -> Result<(u64, String)> {
    let mut stdout = stdout.ok_or_else(|| DbError::invalid("pg_dump", "no stdout pipe"))?;
    let mut hasher = Sha256::new();
    let mut size = 0u64;
    let mut buf = vec![0u8; CHUNK];
    loop {
        let n = within_stall_limit(stall_limit, STALLED_DUMP, stdout.read(&mut buf))
            .await?
            .map_err(DbError::io("reading pg_dump output"))?;
        if n == 0 {
            return Ok((size, hex::encode(hasher.finalize())));
        }
        hasher.update(&buf[..n]);
        size += n as u64;
        sink.write(&buf[..n]).await?;
    }
}

const STALLED_DUMP: &str = "pg_dump wrote nothing (a frozen server, or a lock it waits for?) and";

/// `fut`, failing with [`DbError::Timeout`] when it takes longer than `limit`.
pub(crate) async fn within_stall_limit<T>(
    limit: Option<Duration>,
    operation: &'static str,
    fut: impl std::future::Future<Output = T>,
) -> Result<T> {
    match limit {
        Some(after) => tokio::time::timeout(after, fut)
            .await
            .map_err(|_| DbError::Timeout { operation, after }),
        None => Ok(fut.await),
    }
}
