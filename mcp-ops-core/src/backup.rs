//! `BackupManager`: take, list, verify and restore backups.
//!
//! Covers the runbook's `pg_dump … > backup.sql`, `kubectl create job --from=cronjob/…`,
//! `kubectl get all,configmaps,secrets -o yaml > backup-config.yaml`, "Verify Backups" and
//! "Database Recovery" (runbook: Backup and Recovery, Database Maintenance).
//! Unlike the runbook, a backup has a checksum and a restore verifies first.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::types::{Intent, Namespace, ResourceName};

/// A backup's id: 1–128 characters of `[A-Za-z0-9._-]`, not starting with `.` or `-`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct BackupId(String);

impl BackupId {
    /// Validates an id.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for an empty, too long or ill-formed id.
    pub fn new(id: impl Into<String>) -> Result<Self> {
        let id = id.into();
        if id.is_empty() || id.len() > 128 {
            return Err(Error::invalid("backup id", "must be 1 to 128 characters"));
        }
        if id.starts_with(['.', '-']) {
            return Err(Error::invalid(
                "backup id",
                "must not start with '.' or '-'",
            ));
        }
        if let Some(c) = id
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-')))
        {
            return Err(Error::invalid(
                "backup id",
                format!("character {c:?} is not allowed (use A-Z a-z 0-9 . _ -)"),
            ));
        }
        Ok(Self(id))
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for BackupId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for BackupId {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        Self::new(s)
    }
}

impl TryFrom<String> for BackupId {
    type Error = Error;
    fn try_from(s: String) -> Result<Self> {
        Self::new(s)
    }
}

impl From<BackupId> for String {
    fn from(id: BackupId) -> Self {
        id.0
    }
}

/// What is backed up.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[non_exhaustive]
pub enum BackupKind {
    /// A logical dump of a database (`pg_dump`).
    Database {
        /// The database (`mcp_db`).
        database: String,
    },
    /// A Job created from a CronJob (`kubectl create job --from=cronjob/postgres-backup`).
    CronJob {
        /// The namespace of the CronJob.
        namespace: Namespace,
        /// The CronJob (`postgres-backup`).
        cronjob: ResourceName,
    },
    /// The configuration objects of a namespace (Secret values are never written in plain
    /// text).
    Configuration {
        /// The namespace.
        namespace: Namespace,
    },
}

/// Where a backup stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
#[non_exhaustive]
pub enum BackupStatus {
    /// Still being written (or the job still running).
    Running,
    /// Written completely; size and checksum are final.
    Succeeded,
    /// It did not complete.
    Failed {
        /// Why.
        reason: String,
    },
}

/// One backup.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BackupRecord {
    /// Its id.
    pub id: BackupId,
    /// What it holds.
    pub kind: BackupKind,
    /// Where it is (a path, an object key, `job/backup-20250108`); never holds credentials.
    pub location: String,
    /// Bytes stored.
    pub size: u64,
    /// SHA-256 of the stored bytes, lower-case hex (empty while running or for job backups
    /// whose output the backend cannot read).
    pub sha256: String,
    /// When it started.
    pub started: Timestamp,
    /// When it finished.
    pub finished: Option<Timestamp>,
    /// Its state.
    pub status: BackupStatus,
}

/// What was asked of a backup.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BackupRequest {
    /// What to back up.
    pub kind: BackupKind,
    /// A label for the id (`pre-maintenance`); the backend makes the id unique.
    pub label: Option<String>,
}

/// A query whose single integer result must be at least `min` (`SELECT COUNT(*) FROM users`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IntegrityCheck {
    /// A name for reports (`users present`).
    pub name: String,
    /// The query; it must return one row with one integer column.
    pub query: String,
    /// The smallest acceptable result.
    pub min: i64,
}

/// The result of one integrity check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IntegrityResult {
    /// The check.
    pub check: IntegrityCheck,
    /// The value found, when the query ran.
    pub value: Option<i64>,
    /// Whether it passed.
    pub passed: bool,
    /// Why it failed, when it did.
    pub error: Option<String>,
}

/// Whether a test restore was done and how it went.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
#[non_exhaustive]
pub enum TestRestore {
    /// This kind of backup cannot be test-restored by this backend.
    NotSupported,
    /// Not asked for.
    Skipped,
    /// Restored into a scratch target and every integrity check passed.
    Passed {
        /// The checks run.
        checks: Vec<IntegrityResult>,
    },
    /// The test restore or a check failed.
    Failed {
        /// Why.
        reason: String,
    },
}

/// How a backup was verified.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VerificationReport {
    /// The backup.
    pub id: BackupId,
    /// The stored bytes hash to the recorded SHA-256.
    pub checksum_ok: bool,
    /// The content can be read by the restore tool (`pg_restore --list`), when checked.
    pub readable: Option<bool>,
    /// The test restore, if any.
    pub test_restore: TestRestore,
    /// When verification finished.
    pub verified_at: Timestamp,
}

impl VerificationReport {
    /// Whether the backup may be restored: checksum right, readable unless unknown, and no
    /// failed test restore.
    pub fn passed(&self) -> bool {
        self.checksum_ok
            && self.readable != Some(false)
            && !matches!(self.test_restore, TestRestore::Failed { .. })
    }

    /// What failed, in words (`"the checksum does not match; not readable by the restore
    /// tool"`), or `"passed"`.
    ///
    /// ```
    /// # use mcp_ops_core::backup::{BackupId, TestRestore, VerificationReport};
    /// let report = VerificationReport {
    ///     id: BackupId::new("nightly-1").unwrap(),
    ///     checksum_ok: true,
    ///     readable: Some(false),
    ///     test_restore: TestRestore::Skipped,
    ///     verified_at: jiff::Timestamp::UNIX_EPOCH,
    /// };
    /// assert_eq!(report.failures(), "not readable by the restore tool");
    /// ```
    pub fn failures(&self) -> String {
        let mut why = Vec::new();
        if !self.checksum_ok {
            why.push("the checksum does not match".to_owned());
        }
        if self.readable == Some(false) {
            why.push("not readable by the restore tool".to_owned());
        }
        if let TestRestore::Failed { reason } = &self.test_restore {
            why.push(format!("the test restore failed: {reason}"));
        }
        if why.is_empty() {
            "passed".to_owned()
        } else {
            why.join("; ")
        }
    }
}

/// How to restore.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RestoreOptions {
    /// Verify before restoring, and refuse when verification fails (default `true`).
    pub verify_first: bool,
    /// Checks to run on the target after the restore.
    pub integrity_checks: Vec<IntegrityCheck>,
    /// A deadline chosen by the caller; `None` (the default): none, so a restore takes as
    /// long as its data needs (a fixed bound would fail every database above some size).
    pub timeout: Option<Duration>,
}

impl Default for RestoreOptions {
    fn default() -> Self {
        Self {
            verify_first: true,
            integrity_checks: Vec::new(),
            timeout: None,
        }
    }
}

/// The result of a restore.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RestoreReport {
    /// The backup restored.
    pub id: BackupId,
    /// The verification done first, if any.
    pub verification: Option<VerificationReport>,
    /// Checks run after the restore.
    pub checks: Vec<IntegrityResult>,
    /// How long the restore took.
    pub duration: Duration,
    /// `true` when this was a dry run and nothing was changed.
    pub dry_run: bool,
}

impl RestoreReport {
    /// Whether every integrity check passed.
    pub fn checks_passed(&self) -> bool {
        self.checks.iter().all(|c| c.passed)
    }
}

/// Takes, lists, verifies and restores backups.
///
/// # Example
///
/// ```
/// # #[cfg(feature = "testkit")]
/// # #[tokio::main(flavor = "current_thread", start_paused = true)]
/// # async fn main() -> mcp_ops_core::Result<()> {
/// use mcp_ops_core::backup::{BackupKind, BackupRequest};
/// use mcp_ops_core::{BackupManager, Intent};
///
/// let kit = mcp_ops_core::testkit::TestKit::runbook().await?;
/// let backups: &dyn BackupManager = &kit.database;
/// // The nightly backup is there and verifies.
/// let nightly = &kit.nightly_backup.id;
/// assert!(backups.list().await?.iter().any(|b| &b.id == nightly));
/// assert!(backups.verify(nightly, None).await?.checksum_ok);
/// // A backup of our own before a risky change.
/// let request = BackupRequest {
///     kind: BackupKind::Database { database: "mcp_db".into() },
///     label: Some("before-migration".into()),
/// };
/// let record = backups.backup(&request, &Intent::new("before migration 42", "ops-bot")?).await?;
/// assert!(backups.verify(&record.id, None).await?.checksum_ok);
/// # Ok(())
/// # }
/// # #[cfg(not(feature = "testkit"))]
/// # fn main() {}
/// ```
#[cfg_attr(feature = "mock", mockall::automock)]
#[async_trait]
pub trait BackupManager: Send + Sync {
    /// The backend's name, for reports and errors.
    fn backend(&self) -> &'static str;

    /// Takes a backup. A dry run returns the record it would create (status `Running`,
    /// size 0) and stores nothing.
    ///
    /// # Errors
    /// [`crate::Error::Unsupported`] for a kind this backend does not take.
    async fn backup(&self, request: &BackupRequest, intent: &Intent) -> Result<BackupRecord>;

    /// Every valid backup known, oldest first. A file that is not a valid backup (a corrupt
    /// or foreign manifest, one whose id is not its file name's) is left out, never fatal:
    /// [`BackupManager::notices`] names it.
    ///
    /// # Errors
    /// Backend errors.
    async fn list(&self) -> Result<Vec<BackupRecord>>;

    /// One line for the user per thing found in the store that is not a backup: a manifest
    /// skipped by [`BackupManager::list`] with its path and why, a leftover of an interrupted
    /// backup removed. Default: none.
    ///
    /// # Errors
    /// Backend errors.
    async fn notices(&self) -> Result<Vec<String>> {
        Ok(Vec::new())
    }

    /// Verifies a backup; `test_restore` asks for a restore into a scratch target with the
    /// given checks, where supported.
    ///
    /// # Errors
    /// [`crate::Error::NotFound`] for an unknown id. A bad backup is a report with
    /// `checksum_ok == false`, not an error.
    async fn verify(
        &self,
        id: &BackupId,
        test_restore: Option<Vec<IntegrityCheck>>,
    ) -> Result<VerificationReport>;

    /// Restores a backup into its origin, verifying first unless told not to.
    ///
    /// # Errors
    /// [`crate::Error::PolicyViolation`] when verification fails (nothing touched);
    /// [`crate::Error::NotFound`] for an unknown id.
    async fn restore(
        &self,
        id: &BackupId,
        options: &RestoreOptions,
        intent: &Intent,
    ) -> Result<RestoreReport>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backup_ids() {
        for ok in ["backup-20250108", "pre-maintenance.1", "a", "A_b-c.d"] {
            assert!(BackupId::new(ok).is_ok(), "{ok}");
        }
        let long = "x".repeat(129);
        for bad in [
            "",
            "-x",
            ".x",
            "a/b",
            "a b",
            "../etc",
            "a\nb",
            "ü",
            "a:b",
            "a;b",
            long.as_str(),
        ] {
            assert!(
                matches!(BackupId::new(bad), Err(Error::InvalidInput { .. })),
                "{bad:?}"
            );
        }
        assert!(serde_json::from_str::<BackupId>("\"a/b\"").is_err());
    }
}
