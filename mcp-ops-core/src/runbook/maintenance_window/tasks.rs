//! The maintenance work itself: the pre-maintenance backup that must verify, `ANALYZE`,
//! `VACUUM` and the index usage report.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::backup::{BackupKind, BackupManager, BackupRecord, BackupRequest, VerificationReport};
use crate::error::{Error, Result};
use crate::maintenance::{ColumnStats, DatabaseMaintenance, IndexUsage, MaintenanceReport};
use crate::runbook::commands;
use crate::runbook::context::{Context, StepPolicy};

/// The index usage report (`pg_stat_user_indexes`) with the runbook's `pg_stats` query.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct IndexReport {
    /// Every index, most scanned first.
    pub indexes: Vec<IndexUsage>,
    /// Indexes never scanned (`schema.table.index`): candidates for removal.
    pub unused: Vec<String>,
    /// Planner statistics of the schema's columns (the runbook's "Check index usage" query).
    pub columns: Vec<ColumnStats>,
}

/// Takes the pre-maintenance backup and verifies it. `Ok(None)` in a dry run.
///
/// # Errors
/// The backup's error, or [`Error::PolicyViolation`] when it does not verify.
pub(crate) async fn backup_and_verify(
    ctx: &Context,
    backups: &dyn BackupManager,
    database: &str,
    timeout: Duration,
) -> Result<Option<(BackupRecord, VerificationReport)>> {
    let request = BackupRequest {
        kind: BackupKind::Database {
            database: database.to_owned(),
        },
        label: Some("pre-maintenance".to_owned()),
    };
    let record = ctx
        .step("pre-maintenance backup", database)
        .command(commands::pg_dump(
            database,
            "/tmp/pre-maintenance-backup.sql",
        ))
        .policy(StepPolicy::once(timeout))
        .act(
            || backups.backup(&request, ctx.intent()),
            |r| format!("{} ({} bytes, sha256 {})", r.id, r.size, short(&r.sha256)),
        )
        .await?;
    let Some(record) = record else {
        ctx.skip("verify backup", database, "dry run: no backup was taken");
        return Ok(None);
    };
    let report = ctx
        .step("verify backup", record.id.as_str())
        .command(format!(
            "sha256sum -c {}.sha256 && pg_restore --list {}",
            record.location, record.location
        ))
        .timeout(timeout)
        .read(
            || backups.verify(&record.id, None),
            |v| {
                if v.passed() {
                    "verified".to_owned()
                } else {
                    format!("FAILED ({})", v.failures())
                }
            },
        )
        .await?;
    if !report.passed() {
        return Err(Error::policy(
            "verified-backup",
            format!("pre-maintenance backup {} did not verify", record.id),
        ));
    }
    Ok(Some((record, report)))
}

fn short(sha: &str) -> &str {
    sha.get(..12).unwrap_or(sha)
}

/// `ANALYZE` then `VACUUM`; stops at the first failure.
///
/// # Errors
/// The failing task's error, with its name.
pub(crate) async fn analyze_and_vacuum(
    ctx: &Context,
    db: &dyn DatabaseMaintenance,
    database: &str,
    tables: &[String],
    timeout: Duration,
) -> std::result::Result<Vec<MaintenanceReport>, (&'static str, Error)> {
    let mut done = Vec::new();
    let target = if tables.is_empty() {
        database.to_owned()
    } else {
        tables.join(",")
    };
    let describe = |r: &MaintenanceReport| {
        if r.tables.is_empty() {
            format!("whole database in {:?}", r.duration)
        } else {
            format!("{} tables in {:?}", r.tables.len(), r.duration)
        }
    };
    let analyzed = ctx
        .step("ANALYZE", target.as_str())
        .command(commands::psql(database, &statement("ANALYZE", tables)))
        .policy(StepPolicy::once(timeout))
        .act(|| db.analyze(tables, ctx.intent()), describe)
        .await
        .map_err(|e| ("ANALYZE", e))?;
    done.extend(analyzed);
    let vacuumed = ctx
        .step("VACUUM", target.as_str())
        .command(commands::psql(database, &statement("VACUUM", tables)))
        .policy(StepPolicy::once(timeout))
        .act(|| db.vacuum(tables, ctx.intent()), describe)
        .await
        .map_err(|e| ("VACUUM", e))?;
    done.extend(vacuumed);
    Ok(done)
}

fn statement(verb: &str, tables: &[String]) -> String {
    if tables.is_empty() {
        format!("{verb};")
    } else {
        format!("{verb} {};", tables.join(", "))
    }
}

/// Index usage and column statistics of `schema`.
///
/// # Errors
/// Read errors.
pub(crate) async fn index_report(
    ctx: &Context,
    db: &dyn DatabaseMaintenance,
    database: &str,
    schema: &str,
) -> Result<IndexReport> {
    let indexes = ctx
        .step("check index usage", database)
        .command(commands::psql(
            database,
            "SELECT schemaname, relname, indexrelname, idx_scan FROM pg_stat_user_indexes ORDER BY idx_scan DESC;",
        ))
        .read(|| db.index_usage(), |i| format!("{} indexes", i.len()))
        .await?;
    let unused: Vec<String> = indexes
        .iter()
        .filter(|i| i.scans == 0)
        .map(|i| format!("{}.{}.{}", i.schema, i.table, i.index))
        .collect();
    if !unused.is_empty() {
        ctx.note("unused indexes", database, unused.join(", "));
    }
    let columns = ctx
        .step("check column statistics", schema)
        .command(commands::psql(
            database,
            &format!("SELECT schemaname, tablename, attname, n_distinct, correlation FROM pg_stats WHERE schemaname = '{schema}';"),
        ))
        .read(|| db.column_stats(schema), |c| format!("{} columns", c.len()))
        .await?;
    Ok(IndexReport {
        indexes,
        unused,
        columns,
    })
}
