//! Verification (checksum, `pg_restore --list`, optional test restore into a scratch
//! database checked with the caller's integrity queries) and restore, which refuses any
//! backup that does not verify.

use super::feed::{digest, run_fed};
use super::manifest::{BackupManifest, DumpId};
use super::scratch::Scratch;
use super::service::PgBackups;
use crate::pg::connect;
use crate::tools::find_postgres_program;
use crate::{DbError, PgConfig, Result};
use serde::{Deserialize, Serialize};
use std::time::{Duration, Instant};
use tokio::process::Command;

/// A query run on the restored copy, e.g. `SELECT count(*) FROM users`.
///
/// Not [`mcp_ops_core::backup::IntegrityCheck`] (a named query whose integer result must
/// reach a minimum, used through `BackupManager`): a `DumpCheck` runs any SQL and, with
/// [`DumpCheck::expecting`], compares its first value as text.
///
/// ```
/// use mcp_ops_db::DumpCheck;
///
/// let present = DumpCheck::query("SELECT count(*) FROM users");
/// let schema = DumpCheck::expecting("SELECT current_setting('server_encoding')", "UTF8");
/// assert_eq!(present.expect, None);
/// assert_eq!(schema.expect.as_deref(), Some("UTF8"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DumpCheck {
    /// The query; its first row's first column is the result.
    pub sql: String,
    /// When set, the result (as text) must equal this.
    pub expect: Option<String>,
}

impl DumpCheck {
    /// A query that must succeed and return a row.
    pub fn query(sql: impl Into<String>) -> Self {
        Self {
            sql: sql.into(),
            expect: None,
        }
    }

    /// A query whose result must equal `expect`.
    pub fn expecting(sql: impl Into<String>, expect: impl Into<String>) -> Self {
        Self {
            sql: sql.into(),
            expect: Some(expect.into()),
        }
    }
}

/// The outcome of one [`DumpCheck`] (core's counterpart is
/// [`mcp_ops_core::backup::IntegrityResult`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DumpCheckResult {
    /// The query.
    pub sql: String,
    /// Its result as text (`None` for SQL NULL).
    pub value: Option<String>,
}

/// Options of [`PgBackups::verify`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct VerifyOptions {
    /// Restore into a scratch database (created, checked, dropped).
    pub test_restore: bool,
    /// Queries run on the scratch database (implies `test_restore`).
    pub integrity_checks: Vec<DumpCheck>,
}

impl VerifyOptions {
    /// Checksum and archive listing only.
    pub fn quick() -> Self {
        Self::default()
    }

    /// Also a test restore with these checks.
    pub fn with_test_restore(checks: Vec<DumpCheck>) -> Self {
        Self {
            test_restore: true,
            integrity_checks: checks,
        }
    }
}

/// What the test restore found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TestRestoreReport {
    /// The scratch database (dropped afterwards).
    pub scratch_database: String,
    /// Results of the integrity checks.
    pub checks: Vec<DumpCheckResult>,
}

/// A passed verification.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VerifyReport {
    /// The backup's manifest.
    pub manifest: BackupManifest,
    /// Entries in the archive's table of contents.
    pub toc_entries: usize,
    /// The test restore, when requested.
    pub test_restore: Option<TestRestoreReport>,
}

/// Options of [`PgBackups::restore`]: a `pg_restore` of one dump.
///
/// Not [`mcp_ops_core::backup::RestoreOptions`] (the backend-neutral options of
/// `BackupManager::restore`): these choose the verification to pass, the target database
/// and `--no-owner`.
///
/// ```
/// use mcp_ops_db::{PgRestoreOptions, VerifyOptions};
///
/// let options = PgRestoreOptions::verified_with(VerifyOptions::quick())
///     .into_database("app_copy")
///     .without_owner();
/// assert_eq!(options.target_database.as_deref(), Some("app_copy"));
/// assert!(options.no_owner);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct PgRestoreOptions {
    /// Verification to pass first.
    pub verify: VerifyOptions,
    /// Restore into this database instead of the configured one.
    pub target_database: Option<String>,
    /// `--no-owner`: objects belong to the restoring role.
    pub no_owner: bool,
}

impl PgRestoreOptions {
    /// Restore after passing `verify`.
    pub fn verified_with(verify: VerifyOptions) -> Self {
        Self {
            verify,
            ..Self::default()
        }
    }

    /// Restore into another database.
    pub fn into_database(mut self, database: impl Into<String>) -> Self {
        self.target_database = Some(database.into());
        self
    }

    /// Restore with `--no-owner`.
    pub fn without_owner(mut self) -> Self {
        self.no_owner = true;
        self
    }
}

/// A completed `pg_restore` of one dump ([`PgBackups::restore`]).
///
/// Not [`mcp_ops_core::backup::RestoreReport`], which `BackupManager::restore` returns with
/// the core verification and integrity results.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PgRestoreReport {
    /// The verification that preceded it.
    pub verification: VerifyReport,
    /// The database restored into.
    pub database: String,
    /// How long pg_restore ran.
    pub duration: Duration,
}

impl PgBackups {
    /// Verifies a backup: size and SHA-256 recomputed against the manifest,
    /// `pg_restore --list` reads the archive, and optionally a restore into a scratch
    /// database checked with `options.integrity_checks` (always dropped afterwards).
    ///
    /// # Errors
    /// [`DbError::VerificationFailed`] when any step fails; [`DbError::NotFound`] for an
    /// unknown id.
    pub async fn verify(&self, id: &DumpId, options: &VerifyOptions) -> Result<VerifyReport> {
        let manifest = self.store.manifest(id).await?;
        let failed = |reason: String| DbError::VerificationFailed {
            id: id.to_string(),
            reason,
        };
        if let Some(reason) = self.checksum_mismatch(&manifest).await? {
            return Err(failed(reason));
        }
        let toc_entries = self
            .list_archive(id)
            .await?
            .map_err(|e| failed(format!("pg_restore --list: {e}")))?;
        let test_restore = if options.test_restore || !options.integrity_checks.is_empty() {
            Some(
                self.test_restore(&manifest, &options.integrity_checks)
                    .await
                    .map_err(|e| match e {
                        DbError::VerificationFailed { .. } => e,
                        other => failed(format!("test restore: {other}")),
                    })?,
            )
        } else {
            None
        };
        Ok(VerifyReport {
            manifest,
            toc_entries,
            test_restore,
        })
    }

    /// Recomputes size and SHA-256; `Some(reason)` when they differ from the manifest.
    pub(crate) async fn checksum_mismatch(
        &self,
        manifest: &BackupManifest,
    ) -> Result<Option<String>> {
        let (size, sha) = digest(self.store.open(&manifest.id).await?).await?;
        if size != manifest.size_bytes {
            return Ok(Some(format!(
                "size {size} bytes, manifest says {}",
                manifest.size_bytes
            )));
        }
        if sha != manifest.sha256 {
            return Ok(Some("SHA-256 does not match the manifest".to_owned()));
        }
        Ok(None)
    }

    /// `pg_restore --list`: `Ok(Ok(entries))` when readable, `Ok(Err(why))` when not.
    pub(crate) async fn list_archive(
        &self,
        id: &DumpId,
    ) -> Result<std::result::Result<usize, String>> {
        let pg_restore = find_postgres_program("pg_restore")?;
        let mut cmd = Command::new(&pg_restore);
        cmd.arg("--list");
        let reader = self.store.open(id).await?;
        match run_fed("pg_restore", cmd, reader, None, self.stall_limit).await {
            Ok(listed) => Ok(Ok(String::from_utf8_lossy(&listed.stdout)
                .lines()
                .filter(|l| !l.trim().is_empty() && !l.starts_with(';'))
                .count())),
            Err(e @ DbError::ToolFailed { .. }) => Ok(Err(e.to_string())),
            Err(e) => Err(e),
        }
    }

    pub(crate) async fn test_restore(
        &self,
        manifest: &BackupManifest,
        checks: &[DumpCheck],
    ) -> Result<TestRestoreReport> {
        // Dropped on every path, also when this future is dropped (see `scratch.rs`).
        let scratch = Scratch::create(self).await?;
        let result = self
            .restore_and_check(manifest, scratch.name(), checks)
            .await;
        let scratch_database = scratch.name().to_owned();
        scratch.remove().await;
        let checks = result?;
        Ok(TestRestoreReport {
            scratch_database,
            checks,
        })
    }

    async fn restore_and_check(
        &self,
        manifest: &BackupManifest,
        scratch: &str,
        checks: &[DumpCheck],
    ) -> Result<Vec<DumpCheckResult>> {
        let target = self.config.with_dbname(scratch);
        self.pg_restore(manifest, &target, &["--no-owner", "--no-privileges"])
            .await?;
        let client = connect(&target).await?;
        let mut results = Vec::new();
        for check in checks {
            let failed = |reason: String| DbError::VerificationFailed {
                id: manifest.id.to_string(),
                reason: format!("integrity check `{}`: {reason}", check.sql),
            };
            let rows = client
                .simple_query(&check.sql)
                .await
                .map_err(|e| failed(e.to_string()))?;
            let value = rows
                .iter()
                .find_map(|m| match m {
                    tokio_postgres::SimpleQueryMessage::Row(r) => Some(r.get(0).map(str::to_owned)),
                    _ => None,
                })
                .ok_or_else(|| failed("returned no row".to_owned()))?;
            if let Some(expect) = &check.expect
                && value.as_deref() != Some(expect.as_str())
            {
                return Err(failed(format!("returned {value:?}, expected {expect:?}")));
            }
            results.push(DumpCheckResult {
                sql: check.sql.clone(),
                value,
            });
        }
        Ok(results)
    }

    pub(crate) async fn pg_restore(
        &self,
        manifest: &BackupManifest,
        target: &PgConfig,
        extra: &[&str],
    ) -> Result<()> {
        let pg_restore = find_postgres_program("pg_restore")?;
        // Reach the target first: connection and TLS failures come back typed
        // (`DbError::Connect` / `DbError::Tls`) rather than as pg_restore's stderr.
        drop(connect(target).await?);
        let mut cmd = Command::new(&pg_restore);
        cmd.args(["--exit-on-error", "--single-transaction", "--no-password"]);
        cmd.args(extra);
        cmd.arg("--dbname").arg(target.dbname());
        cmd.envs(target.libpq_env());
        run_fed(
            "pg_restore",
            cmd,
            self.store.open(&manifest.id).await?,
            Some(manifest),
            self.stall_limit,
        )
        .await?;
        Ok(())
    }

    /// Restores a backup after it passed [`PgBackups::verify`] with `options.verify`:
    /// `pg_restore --clean --if-exists --single-transaction --exit-on-error` into the
    /// target database. An unverified backup is refused before the target is touched.
    ///
    /// # Errors
    /// [`DbError::VerificationFailed`] when verification fails (nothing restored);
    /// [`DbError::ToolFailed`] when pg_restore fails (its transaction is rolled back).
    pub async fn restore(
        &self,
        id: &DumpId,
        options: &PgRestoreOptions,
    ) -> Result<PgRestoreReport> {
        let verification = self.verify(id, &options.verify).await?;
        let target = match &options.target_database {
            Some(db) => self.config.with_dbname(db),
            None => self.config.clone(),
        };
        tracing::info!(%id, database = %target.dbname(), "restore_database: starting pg_restore");
        let started = Instant::now();
        let mut extra = vec!["--clean", "--if-exists"];
        if options.no_owner {
            extra.push("--no-owner");
        }
        self.pg_restore(&verification.manifest, &target, &extra)
            .await?;
        Ok(PgRestoreReport {
            verification,
            database: target.dbname().to_owned(),
            duration: started.elapsed(),
        })
    }
}
