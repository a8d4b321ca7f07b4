//! The `BackupManager` contract: what every backup backend, mock or real, must do.

use super::{ContractViolation, ensure, step};
use crate::backup::{
    BackupId, BackupKind, BackupManager, BackupRequest, BackupStatus, IntegrityCheck,
    RestoreOptions, TestRestore,
};
use crate::error::Error;
use crate::types::Intent;

const C: &str = "backup";

/// What the backup contract needs from the backend under test.
#[derive(Debug, Clone)]
pub struct BackupFixture {
    /// A backup the backend can take and complete synchronously (status `Succeeded`); the
    /// suite restores it into its origin, so the origin must not change meanwhile.
    pub request: BackupRequest,
    /// Integrity checks that pass on the origin (and so on a restore of the backup).
    pub checks: Vec<IntegrityCheck>,
}

impl BackupFixture {
    /// A database backup of `database` checked by `SELECT COUNT(*) FROM <table>` ≥ `min`
    /// (the runbook's `mcp_db` and `users`).
    pub fn database(database: &str, table: &str, min: i64) -> Self {
        Self {
            request: BackupRequest {
                kind: BackupKind::Database {
                    database: database.to_owned(),
                },
                label: Some("contract".to_owned()),
            },
            checks: vec![IntegrityCheck {
                name: format!("{table} present"),
                query: format!("SELECT COUNT(*) FROM {table}"),
                min,
            }],
        }
    }
}

fn intent(reason: &str, dry_run: bool) -> Result<Intent, ContractViolation> {
    step(C, "Intent::new", Intent::new(reason, "contract-suite")).map(|i| i.with_dry_run(dry_run))
}

fn is_sha256_hex(s: &str) -> bool {
    s.len() == 64 && s.chars().all(|c| matches!(c, '0'..='9' | 'a'..='f'))
}

/// Runs the backup contract: a backup is listed with its SHA-256, verifies, restores with
/// passing checks; a dry run stores nothing; unknown ids are `NotFound`.
///
/// # Errors
/// The first rule the backend breaks.
pub async fn backup_contract(
    b: &dyn BackupManager,
    fx: &BackupFixture,
) -> Result<(), ContractViolation> {
    let before = step(C, "list", b.list().await)?;

    // A dry run returns a plan and stores nothing.
    let plan = step(
        C,
        "dry-run backup",
        b.backup(&fx.request, &intent("contract: plan a backup", true)?)
            .await,
    )?;
    ensure(C, plan.kind == fx.request.kind, || {
        format!(
            "dry-run backup planned {:?}, asked {:?}",
            plan.kind, fx.request.kind
        )
    })?;
    let after_plan = step(C, "list", b.list().await)?;
    ensure(C, after_plan.len() == before.len(), || {
        format!(
            "dry-run backup stored something: {} backups before, {} after",
            before.len(),
            after_plan.len()
        )
    })?;

    // A backup is listed, complete, with a SHA-256.
    let record = step(
        C,
        "backup",
        b.backup(&fx.request, &intent("contract: take a backup", false)?)
            .await,
    )?;
    ensure(C, record.status == BackupStatus::Succeeded, || {
        format!(
            "backup {} finished as {:?}, expected Succeeded",
            record.id, record.status
        )
    })?;
    ensure(C, is_sha256_hex(&record.sha256), || {
        format!(
            "backup {} has sha256 {:?}: not 64 lower-case hex digits",
            record.id, record.sha256
        )
    })?;
    ensure(C, record.kind == fx.request.kind, || {
        format!(
            "backup {} holds {:?}, asked {:?}",
            record.id, record.kind, fx.request.kind
        )
    })?;
    ensure(
        C,
        record.finished.is_some_and(|f| f >= record.started),
        || {
            format!(
                "backup {} finished {:?}, started {}",
                record.id, record.finished, record.started
            )
        },
    )?;
    let listed = step(C, "list", b.list().await)?;
    ensure(C, listed.len() == before.len() + 1, || {
        format!(
            "{} backups listed after one backup, {} before",
            listed.len(),
            before.len()
        )
    })?;
    ensure(C, listed.iter().any(|r| r == &record), || {
        format!("backup {} is not listed as returned", record.id)
    })?;
    ensure(
        C,
        listed.windows(2).all(|w| w[0].started <= w[1].started),
        || "list is not oldest first".to_owned(),
    )?;
    // What the store found besides backups never names a valid backup as skipped.
    let notices = step(C, "notices", b.notices().await)?;
    ensure(
        C,
        !notices
            .iter()
            .any(|n| n.starts_with("skipped") && n.contains(record.id.as_str())),
        || {
            format!(
                "backup {} is listed and also reported skipped: {notices:?}",
                record.id
            )
        },
    )?;

    // A fresh backup verifies, with and without a test restore.
    let report = step(C, "verify", b.verify(&record.id, None).await)?;
    ensure(
        C,
        report.id == record.id && report.checksum_ok && report.passed(),
        || format!("verify of fresh backup {}: {report:?}", record.id),
    )?;
    let report = step(
        C,
        "verify with test restore",
        b.verify(&record.id, Some(fx.checks.clone())).await,
    )?;
    ensure(C, report.passed(), || {
        format!(
            "test restore of fresh backup {} failed: {report:?}",
            record.id
        )
    })?;
    if let TestRestore::Passed { checks } = &report.test_restore {
        ensure(
            C,
            checks.len() == fx.checks.len() && checks.iter().all(|c| c.passed),
            || format!("test restore Passed with failing or missing checks: {checks:?}"),
        )?;
    }

    // Unknown ids are NotFound.
    let missing = step(
        C,
        "BackupId::new",
        BackupId::new("contract-missing-backup-0"),
    )?;
    let r = b.verify(&missing, None).await;
    ensure(C, matches!(r, Err(Error::NotFound { .. })), || {
        format!("verify of an unknown backup gave {r:?}, expected NotFound")
    })?;
    let options = RestoreOptions {
        integrity_checks: fx.checks.clone(),
        ..RestoreOptions::default()
    };
    let r = b
        .restore(
            &missing,
            &options,
            &intent("contract: restore nothing", false)?,
        )
        .await;
    ensure(C, matches!(r, Err(Error::NotFound { .. })), || {
        format!("restore of an unknown backup gave {r:?}, expected NotFound")
    })?;

    // A dry-run restore changes nothing and says so.
    let dry = step(
        C,
        "dry-run restore",
        b.restore(
            &record.id,
            &options,
            &intent("contract: plan a restore", true)?,
        )
        .await,
    )?;
    ensure(C, dry.dry_run, || {
        "dry-run restore reported dry_run = false".to_owned()
    })?;

    // A verified backup restores and the checks pass.
    let restored = step(
        C,
        "restore",
        b.restore(&record.id, &options, &intent("contract: restore", false)?)
            .await,
    )?;
    ensure(C, restored.id == record.id && !restored.dry_run, || {
        format!("restore reported {restored:?}")
    })?;
    ensure(
        C,
        restored.verification.as_ref().is_some_and(|v| v.passed()),
        || {
            format!(
                "restore with verify_first reported verification {:?}",
                restored.verification
            )
        },
    )?;
    ensure(
        C,
        restored.checks.len() == fx.checks.len() && restored.checks_passed(),
        || format!("integrity checks after restore: {:?}", restored.checks),
    )?;
    Ok(())
}
