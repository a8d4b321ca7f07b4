//! `BackupManager` on the mock database: deterministic dumps with SHA-256, verification by
//! checksum, readability and a test restore into a scratch copy, and a restore that verifies
//! first.

use std::time::Duration;

use async_trait::async_trait;
use jiff::Timestamp;

use super::dump::{self, Contents};
use super::{BACKEND, DbState, MockDatabase, StoredBackup};
use crate::backup::{
    BackupId, BackupKind, BackupManager, BackupRecord, BackupRequest, BackupStatus, IntegrityCheck,
    IntegrityResult, RestoreOptions, RestoreReport, TestRestore, VerificationReport,
};
use crate::clock::elapsed_between;
use crate::error::{Error, Result};
use crate::types::Intent;

/// What a backup would be: its id, where it goes and its bytes.
struct Plan {
    id: BackupId,
    location: String,
    bytes: Vec<u8>,
}

fn kind_label(kind: &BackupKind) -> String {
    match kind {
        BackupKind::Database { database } => format!("database/{database}"),
        BackupKind::CronJob { namespace, cronjob } => format!("cronjob/{namespace}/{cronjob}"),
        BackupKind::Configuration { namespace } => format!("configuration/{namespace}"),
    }
}

fn plan(s: &DbState, request: &BackupRequest, now: Timestamp) -> Result<Plan> {
    let (default_prefix, bytes) = match &request.kind {
        BackupKind::Database { database } => {
            if database != &s.database {
                return Err(Error::not_found("database", database.as_str()));
            }
            (
                "backup".to_owned(),
                dump::render_tables(&s.database, &s.tables),
            )
        }
        BackupKind::CronJob { namespace, cronjob } => {
            let known = s
                .cronjobs
                .iter()
                .any(|(ns, name)| ns == namespace.as_str() && name == cronjob.as_str());
            if !known {
                return Err(Error::not_found(
                    "cronjob",
                    format!("{namespace}/{cronjob}"),
                ));
            }
            (
                cronjob.to_string(),
                dump::render_tables(&s.database, &s.tables),
            )
        }
        BackupKind::Configuration { namespace } => {
            if !s.namespaces.iter().any(|n| n == namespace.as_str()) {
                return Err(Error::not_found("namespace", namespace.as_str()));
            }
            let bytes = dump::render_config(namespace.as_str(), &s.config, &s.secret_keys);
            ("config-backup".to_owned(), bytes)
        }
    };
    let prefix = request.label.clone().unwrap_or(default_prefix);
    let id = BackupId::new(format!(
        "{prefix}-{}-{:03}",
        now.strftime("%Y%m%d"),
        s.next_backup
    ))?;
    let location = match &request.kind {
        BackupKind::Database { .. } => format!("/backups/{id}.sql"),
        BackupKind::CronJob { namespace, .. } => format!("job/{namespace}/{id}"),
        BackupKind::Configuration { .. } => format!("/backups/{id}-config.yaml"),
    };
    Ok(Plan {
        id,
        location,
        bytes,
    })
}

fn find(s: &DbState, id: &BackupId) -> Result<StoredBackup> {
    s.backups
        .iter()
        .find(|b| &b.record.id == id)
        .cloned()
        .ok_or_else(|| Error::not_found("backup", id.as_str()))
}

fn failures(results: &[IntegrityResult]) -> String {
    results
        .iter()
        .filter(|r| !r.passed)
        .map(|r| {
            let why = r.error.as_deref().unwrap_or("failed");
            format!("{}: {why}", r.check.name)
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// Verifies a stored backup; `checks` asks for a test restore into a scratch copy.
fn verification(
    stored: &StoredBackup,
    checks: Option<&[IntegrityCheck]>,
    now: Timestamp,
) -> VerificationReport {
    let checksum_ok = dump::sha256_hex(&stored.bytes) == stored.record.sha256;
    let parsed = dump::parse(&stored.bytes);
    let readable = Some(parsed.is_ok());
    let test_restore = match (checks, &stored.record.kind, parsed) {
        (None, _, _) => TestRestore::Skipped,
        (Some(_), BackupKind::Configuration { .. }, _) => TestRestore::NotSupported,
        (Some(_), _, Err(e)) => TestRestore::Failed {
            reason: e.to_string(),
        },
        (Some(_), _, Ok(_)) if !checksum_ok => TestRestore::Failed {
            reason: "checksum mismatch: not restored".to_owned(),
        },
        (Some(_), _, Ok(Contents::Config(_))) => TestRestore::Failed {
            reason: "not a database dump".to_owned(),
        },
        (Some(checks), _, Ok(Contents::Tables(scratch))) => {
            let results = dump::run_checks(checks, &scratch);
            if results.iter().all(|r| r.passed) {
                TestRestore::Passed { checks: results }
            } else {
                TestRestore::Failed {
                    reason: failures(&results),
                }
            }
        }
    };
    VerificationReport {
        id: stored.record.id.clone(),
        checksum_ok,
        readable,
        test_restore,
        verified_at: now,
    }
}

fn why_failed(report: &VerificationReport) -> String {
    if !report.checksum_ok {
        "checksum mismatch".to_owned()
    } else if report.readable == Some(false) {
        "unreadable".to_owned()
    } else if let TestRestore::Failed { reason } = &report.test_restore {
        format!("test restore failed: {reason}")
    } else {
        "verification failed".to_owned()
    }
}

#[async_trait]
impl BackupManager for MockDatabase {
    fn backend(&self) -> &'static str {
        BACKEND
    }

    async fn backup(&self, request: &BackupRequest, intent: &Intent) -> Result<BackupRecord> {
        self.faults
            .write("backup", kind_label(&request.kind), intent.is_dry_run())
            .await?;
        let now = self.now();
        let mut s = self.lock();
        let p = plan(&s, request, now)?;
        if intent.is_dry_run() {
            return Ok(BackupRecord {
                id: p.id,
                kind: request.kind.clone(),
                location: p.location,
                size: 0,
                sha256: String::new(),
                started: now,
                finished: None,
                status: BackupStatus::Running,
            });
        }
        let record = BackupRecord {
            id: p.id,
            kind: request.kind.clone(),
            location: p.location,
            size: p.bytes.len() as u64,
            sha256: dump::sha256_hex(&p.bytes),
            started: now,
            finished: Some(now),
            status: BackupStatus::Succeeded,
        };
        s.next_backup += 1;
        s.backups.push(StoredBackup {
            record: record.clone(),
            bytes: p.bytes,
        });
        Ok(record)
    }

    async fn list(&self) -> Result<Vec<BackupRecord>> {
        self.faults.read("list_backups", "backups").await?;
        Ok(self
            .lock()
            .backups
            .iter()
            .map(|b| b.record.clone())
            .collect())
    }

    async fn verify(
        &self,
        id: &BackupId,
        test_restore: Option<Vec<IntegrityCheck>>,
    ) -> Result<VerificationReport> {
        self.faults.read("verify", id.as_str()).await?;
        let stored = find(&self.lock(), id)?;
        Ok(verification(&stored, test_restore.as_deref(), self.now()))
    }

    async fn restore(
        &self,
        id: &BackupId,
        options: &RestoreOptions,
        intent: &Intent,
    ) -> Result<RestoreReport> {
        self.faults
            .write("restore", id.as_str(), intent.is_dry_run())
            .await?;
        let started = self.now();
        let stored = find(&self.lock(), id)?;
        if stored.record.status != BackupStatus::Succeeded {
            return Err(Error::conflict(
                format!("backup {id}"),
                "only a completed backup can be restored",
            ));
        }
        let verification = if options.verify_first {
            let checks = (!options.integrity_checks.is_empty())
                .then_some(options.integrity_checks.as_slice());
            let report = verification(&stored, checks, started);
            if !report.passed() {
                return Err(Error::policy(
                    "verify-before-restore",
                    format!(
                        "backup {id} failed verification ({}); nothing was restored",
                        why_failed(&report)
                    ),
                ));
            }
            Some(report)
        } else {
            None
        };
        let contents = dump::parse(&stored.bytes)?;
        if intent.is_dry_run() {
            return Ok(RestoreReport {
                id: id.clone(),
                verification,
                checks: Vec::new(),
                duration: Duration::ZERO,
                dry_run: true,
            });
        }
        let checks = {
            let mut s = self.lock();
            match contents {
                Contents::Tables(tables) => s.tables = tables,
                Contents::Config(config) => s.config = config,
            }
            s.restores.push(id.clone());
            dump::run_checks(&options.integrity_checks, &s.tables)
        };
        Ok(RestoreReport {
            id: id.clone(),
            verification,
            checks,
            duration: elapsed_between(started, self.now()),
            dry_run: false,
        })
    }
}
