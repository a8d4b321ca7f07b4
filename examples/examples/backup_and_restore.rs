//! Backup and restore ("Recovery Procedures") on the in-memory runbook database and cluster:
//!
//! 1. back up `mcp_db` and verify the backup (checksum and a test restore with the integrity
//!    check `SELECT COUNT(*) FROM users` ≥ 1000);
//! 2. the accident: the `users` table is dropped;
//! 3. `recover_database`: verify again, stop the application (remembering replica counts and
//!    pinning the API's autoscaler to its minimum), restore, run the integrity check, bring
//!    the application back and check health; the typed report and the journal are printed;
//! 4. a corrupted backup is refused before anything is scaled down.
//!
//! `cargo run -p mcp-ops-examples --example backup_and_restore`

use std::process::ExitCode;

use mcp_ops_core::backup::{
    BackupKind, BackupRequest, IntegrityCheck, TestRestore, VerificationReport,
};
use mcp_ops_core::mock::{MockCluster, MockDatabase};
use mcp_ops_core::runbook::Context;
use mcp_ops_core::runbook::recover_database::{
    AutoscaledHandling, RecoveryBackends, RecoveryInput, RecoveryReport, RecoveryStatus,
    recover_database,
};
use mcp_ops_core::types::Intent;
use mcp_ops_core::{BackupManager, Error, HealthCheck};

#[tokio::main]
async fn main() -> ExitCode {
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("backup_and_restore failed: {e}");
            ExitCode::FAILURE
        }
    }
}

fn users_check() -> IntegrityCheck {
    IntegrityCheck {
        name: "users present".to_owned(),
        query: "SELECT COUNT(*) FROM users".to_owned(),
        min: 1000,
    }
}

fn describe(v: &VerificationReport) -> String {
    let test = match &v.test_restore {
        TestRestore::Passed { checks } => checks
            .iter()
            .map(|c| format!("{} = {:?} (min {})", c.check.query, c.value, c.check.min))
            .collect::<Vec<_>>()
            .join(", "),
        TestRestore::Failed { reason } => format!("failed: {reason}"),
        other => format!("{other:?}"),
    };
    format!(
        "checksum {}, test restore: {test} → {}",
        if v.checksum_ok { "ok" } else { "MISMATCH" },
        if v.passed() { "passed" } else { "FAILED" }
    )
}

fn rows(db: &MockDatabase) -> String {
    db.table_rows("users")
        .map_or_else(|| "no users table".to_owned(), |n| format!("{n} users"))
}

async fn recover(
    cluster: &MockCluster,
    db: &MockDatabase,
    input: &RecoveryInput,
    why: &str,
) -> mcp_ops_core::Result<(RecoveryReport, Context)> {
    let intent = Intent::new(why, "dba-on-call")?.with_ticket("INC-2025-007")?;
    let ctx = Context::new("recover_database", intent, cluster.clock().clone());
    let health: [&dyn HealthCheck; 2] = [db, cluster];
    let backends = RecoveryBackends {
        deployer: cluster,
        scaler: cluster,
        backups: db,
        health: &health,
    };
    let report = recover_database(&ctx, backends, input).await?;
    Ok((report, ctx))
}

async fn run() -> mcp_ops_core::Result<()> {
    let cluster = MockCluster::runbook();
    let db = MockDatabase::runbook();
    let request = BackupRequest {
        kind: BackupKind::Database {
            database: "mcp_db".into(),
        },
        label: Some("pre-migration".into()),
    };

    // 1. Back up and verify.
    println!("before: {}", rows(&db));
    let record = db
        .backup(&request, &Intent::new("backup before migration", "dba")?)
        .await?;
    println!("backup {} taken", record.id.as_str());
    let verification = db.verify(&record.id, Some(vec![users_check()])).await?;
    println!("verify: {}", describe(&verification));

    // 2. The accident.
    db.drop_table("users");
    println!("\n$ DROP TABLE users;  → {}", rows(&db));

    // 3. Recover.
    let input = RecoveryInput {
        integrity_checks: vec![users_check()],
        autoscaled: AutoscaledHandling::PinToMinimum,
        ..RecoveryInput::runbook(record.id.clone())
    };
    let (report, ctx) = recover(&cluster, &db, &input, "users table dropped by mistake").await?;
    println!("\n== recovery: {}", report.status.summary());
    println!("after: {}", rows(&db));
    for r in &report.integrity {
        println!(
            "integrity {:<14} {} = {:?} (min {}) → {}",
            r.check.name,
            r.check.query,
            r.value,
            r.check.min,
            if r.passed { "pass" } else { "FAIL" }
        );
    }
    if let Some(h) = &report.health {
        println!("health afterwards: {}", h.overall.as_str());
    }
    println!("\n== report (JSON)");
    println!(
        "{}",
        serde_json::to_string_pretty(&report).unwrap_or_default()
    );
    println!("\n== journal");
    println!("{}", ctx.journal().to_markdown("Recovery of mcp_db"));
    if report.status != RecoveryStatus::Recovered {
        return Err(Error::conflict("mcp_db", report.status.summary()));
    }

    // 4. A corrupted backup is refused before anything is touched.
    let bad = db
        .backup(&request, &Intent::new("second backup", "dba")?)
        .await?;
    db.corrupt_backup(&bad.id)?;
    let changes_before = cluster.faults().state_changes().len();
    let input = RecoveryInput {
        backup: bad.id.clone(),
        ..input
    };
    let (refused, ctx) = recover(&cluster, &db, &input, "restore the corrupted copy").await?;
    let changes = cluster.faults().state_changes().len() - changes_before;
    println!(
        "\n== recovery from corrupted backup {}: {}",
        bad.id.as_str(),
        refused.status.summary()
    );
    println!("state-changing calls to the cluster: {changes}");
    println!("{}", ctx.journal().to_markdown("Refused recovery"));
    if !matches!(refused.status, RecoveryStatus::Refused { .. }) || changes != 0 {
        return Err(Error::conflict(
            bad.id.as_str(),
            "a corrupted backup was not refused",
        ));
    }
    Ok(())
}
