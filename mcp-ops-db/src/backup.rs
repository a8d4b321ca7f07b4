//! [`mcp_ops_core::BackupManager`] for [`PgBackups`]: database dumps only (CronJob and
//! configuration backups belong to mcp-ops-k8s).

use crate::PgConfig;
use crate::dump::{BackupManifest, PgBackups, Scratch};
use crate::pg::connect;
use async_trait::async_trait;
use mcp_ops_core::backup::{
    BackupId, BackupKind, BackupRecord, BackupRequest, BackupStatus, IntegrityCheck,
    IntegrityResult, RestoreOptions, RestoreReport, TestRestore, VerificationReport,
};
use mcp_ops_core::types::Intent;
use mcp_ops_core::{BackupManager, Error, Result};
use std::time::Instant;

fn core_id(id: &crate::DumpId) -> Result<BackupId> {
    id.to_backup_id()
}

fn own_id(id: &BackupId) -> Result<crate::DumpId> {
    Ok(crate::DumpId::from_backup_id(id)?)
}

impl PgBackups {
    fn record(&self, m: &BackupManifest) -> Result<BackupRecord> {
        Ok(BackupRecord {
            id: core_id(&m.id)?,
            kind: BackupKind::Database {
                database: m.database.clone(),
            },
            location: self.store.location(&m.id),
            size: m.size_bytes,
            sha256: m.sha256.clone(),
            started: m.started_at,
            finished: Some(m.finished_at),
            status: BackupStatus::Succeeded,
        })
    }
}

/// Runs core integrity checks (`query` returns one integer ≥ `min`) on `config`.
async fn run_checks(config: &PgConfig, checks: &[IntegrityCheck]) -> Result<Vec<IntegrityResult>> {
    if checks.is_empty() {
        return Ok(Vec::new());
    }
    let client = connect(config).await?;
    let mut out = Vec::new();
    for check in checks {
        let res = client.simple_query(&check.query).await;
        let (value, error) = match res {
            Ok(msgs) => {
                let first = msgs.iter().find_map(|m| match m {
                    tokio_postgres::SimpleQueryMessage::Row(r) => Some(r.get(0).map(str::to_owned)),
                    _ => None,
                });
                match first.flatten().map(|v| v.trim().parse::<i64>()) {
                    Some(Ok(v)) => (Some(v), None),
                    Some(Err(_)) => (None, Some("the result is not an integer".to_owned())),
                    None => (None, Some("no row or NULL".to_owned())),
                }
            }
            Err(e) => (None, Some(e.to_string())),
        };
        let passed = error.is_none() && value.is_some_and(|v| v >= check.min);
        let error =
            error.or_else(|| (!passed).then(|| format!("{value:?} is below {}", check.min)));
        out.push(IntegrityResult {
            check: check.clone(),
            value,
            passed,
            error,
        });
    }
    Ok(out)
}

#[async_trait]
impl BackupManager for PgBackups {
    fn backend(&self) -> &'static str {
        "postgres"
    }

    async fn backup(&self, request: &BackupRequest, intent: &Intent) -> Result<BackupRecord> {
        let BackupKind::Database { database } = &request.kind else {
            return Err(Error::Unsupported {
                operation: "backup of this kind",
                backend: "postgres",
            });
        };
        tracing::info!(database = %database, reason = intent.reason(), actor = intent.actor(), dry_run = intent.is_dry_run(), "backup");
        if intent.is_dry_run() {
            let id = crate::DumpId::generate(request.label.as_deref().unwrap_or(database))?;
            return Ok(BackupRecord {
                id: core_id(&id)?,
                kind: request.kind.clone(),
                location: self.store.location(&id),
                size: 0,
                sha256: String::new(),
                started: jiff::Timestamp::now(),
                finished: None,
                status: BackupStatus::Running,
            });
        }
        let m = self
            .backup_database(Some(database), request.label.as_deref())
            .await?;
        self.record(&m)
    }

    async fn list(&self) -> Result<Vec<BackupRecord>> {
        let manifests = self.store.list().await?;
        manifests.iter().map(|m| self.record(m)).collect()
    }

    async fn notices(&self) -> Result<Vec<String>> {
        let mut out: Vec<String> = self
            .store
            .skipped()
            .await?
            .into_iter()
            .map(|s| format!("skipped {}: {}", s.path, s.reason))
            .collect();
        out.extend(
            self.store
                .removed_leftovers()
                .into_iter()
                .map(|p| format!("removed {p}: left by an interrupted backup")),
        );
        Ok(out)
    }

    async fn verify(
        &self,
        id: &BackupId,
        test_restore: Option<Vec<IntegrityCheck>>,
    ) -> Result<VerificationReport> {
        let own = own_id(id)?;
        let manifest = self.store.manifest(&own).await?;
        let failed = |reason: String| VerificationReport {
            id: id.clone(),
            checksum_ok: false,
            readable: None,
            test_restore: TestRestore::Failed { reason },
            verified_at: jiff::Timestamp::now(),
        };
        if let Some(reason) = self.checksum_mismatch(&manifest).await? {
            let mut r = failed(reason);
            r.test_restore = TestRestore::Skipped;
            return Ok(r);
        }
        let readable = self.list_archive(&own).await?;
        let mut report = VerificationReport {
            id: id.clone(),
            checksum_ok: true,
            readable: Some(readable.is_ok()),
            test_restore: TestRestore::Skipped,
            verified_at: jiff::Timestamp::now(),
        };
        if let (Ok(_), Some(checks)) = (readable, test_restore) {
            report.test_restore = match self.scratch_restore(&manifest, &checks).await {
                Ok(results) if results.iter().all(|r| r.passed) => {
                    TestRestore::Passed { checks: results }
                }
                Ok(results) => TestRestore::Failed {
                    reason: results
                        .iter()
                        .filter(|r| !r.passed)
                        .map(|r| {
                            format!("{}: {}", r.check.name, r.error.clone().unwrap_or_default())
                        })
                        .collect::<Vec<_>>()
                        .join("; "),
                },
                Err(e) => TestRestore::Failed {
                    reason: e.to_string(),
                },
            };
            report.verified_at = jiff::Timestamp::now();
        }
        Ok(report)
    }

    async fn restore(
        &self,
        id: &BackupId,
        options: &RestoreOptions,
        intent: &Intent,
    ) -> Result<RestoreReport> {
        let own = own_id(id)?;
        let manifest = self.store.manifest(&own).await?;
        let started = Instant::now();
        let verification = if options.verify_first {
            let v = BackupManager::verify(self, id, None).await?;
            if !v.passed() {
                return Err(Error::policy(
                    "verified-backup",
                    format!(
                        "backup {id} failed verification ({}); nothing restored",
                        v.failures()
                    ),
                ));
            }
            Some(v)
        } else {
            None
        };
        tracing::info!(%id, reason = intent.reason(), actor = intent.actor(), dry_run = intent.is_dry_run(), "restore");
        let target = self.config.with_dbname(&manifest.database);
        if !intent.is_dry_run() {
            let run = self.pg_restore(&manifest, &target, &["--clean", "--if-exists"]);
            match options.timeout {
                Some(limit) => tokio::time::timeout(limit, run)
                    .await
                    .map_err(|_| Error::timeout("restore", limit))??,
                None => run.await?,
            }
        }
        let checks = if intent.is_dry_run() {
            Vec::new()
        } else {
            run_checks(&target, &options.integrity_checks).await?
        };
        Ok(RestoreReport {
            id: id.clone(),
            verification,
            checks,
            duration: started.elapsed(),
            dry_run: intent.is_dry_run(),
        })
    }
}

impl PgBackups {
    /// Restores into a scratch database, runs the core checks there, always drops it.
    async fn scratch_restore(
        &self,
        manifest: &BackupManifest,
        checks: &[IntegrityCheck],
    ) -> Result<Vec<IntegrityResult>> {
        // Dropped on every path, also when this future is dropped (a caller's cancellation).
        let scratch = Scratch::create(self).await?;
        let target = self.config.with_dbname(scratch.name());
        let result = match self
            .pg_restore(manifest, &target, &["--no-owner", "--no-privileges"])
            .await
        {
            Ok(()) => run_checks(&target, checks).await,
            Err(e) => Err(e.into()),
        };
        scratch.remove().await;
        result
    }
}
