#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]
//! The audit journal in PostgreSQL: the contract, 50 concurrent appends from separate logs,
//! and each kind of tampering done with SQL, named by verify.

use std::sync::Arc;

use mcp_ops_core::audit::{
    AuditDraft, AuditKind, AuditLog, AuditRecord, BreakKind, canonical_json, seal,
};
use mcp_ops_core::jiff::Timestamp;
use mcp_ops_core::testing::{audit_log_concurrency_contract, audit_log_contract};
use mcp_ops_db::pg::connect;
use mcp_ops_db::testing::TestPostgres;
use mcp_ops_db::{PgAuditLog, PgBackend, PgConfig, PgOptions};

fn log_on(config: &PgConfig, pool_size: usize) -> PgAuditLog {
    let backend = PgBackend::new(
        config.clone(),
        PgOptions::default().with_max_pool_size(pool_size),
    )
    .unwrap();
    PgAuditLog::new(backend.pool().clone())
}

fn note(i: i64) -> AuditDraft {
    let at = Timestamp::from_second(1_767_225_600 + i).unwrap();
    AuditDraft::new(at, "alice", AuditKind::Note, &format!("note number {i}"))
}

#[tokio::test]
async fn the_contract_and_fifty_concurrent_appends_hold() {
    let pg = TestPostgres::start().await.unwrap();
    let config = pg.create_database("audit_contract").await.unwrap();
    // Migration is idempotent, also when several processes run it at once.
    let logs: Vec<PgAuditLog> = (0..10).map(|_| log_on(&config, 2)).collect();
    futures::future::join_all(logs.iter().map(PgAuditLog::migrate))
        .await
        .into_iter()
        .for_each(|r| r.unwrap());
    logs[0].migrate().await.unwrap();

    audit_log_contract(&logs[0]).await.unwrap();
    let shared: Vec<Arc<dyn AuditLog>> = logs
        .iter()
        .map(|l| Arc::new(l.clone()) as Arc<dyn AuditLog>)
        .collect();
    audit_log_concurrency_contract(&shared, 50).await.unwrap();
    let report = logs[9].verify().await.unwrap();
    assert_eq!(report.records, 5 + 100);
}

/// A database with a migrated log holding five records.
async fn five(pg: &TestPostgres) -> (PgAuditLog, tokio_postgres::Client, Vec<AuditRecord>) {
    let config = pg.create_database("audit_tamper").await.unwrap();
    let log = log_on(&config, 2);
    log.migrate().await.unwrap();
    let records = log.append((1..=5).map(note).collect()).await.unwrap();
    assert!(log.verify().await.unwrap().intact());
    (log, connect(&config).await.unwrap(), records)
}

async fn breaks(log: &PgAuditLog) -> Vec<(u64, BreakKind)> {
    let report = log.verify().await.unwrap();
    report.breaks.iter().map(|b| (b.position, b.kind)).collect()
}

fn body(record: &AuditRecord) -> String {
    canonical_json(&record.to_value().unwrap())
}

#[tokio::test]
async fn tampering_with_sql_is_named() {
    let pg = TestPostgres::start().await.unwrap();

    // A row's text edited.
    let (log, sql, _) = five(&pg).await;
    sql.batch_execute(
        "UPDATE mcp_ops_audit SET body = replace(body, 'note number 3', 'note number 9') \
         WHERE seq = 3",
    )
    .await
    .unwrap();
    assert_eq!(breaks(&log).await, vec![(3, BreakKind::Edited)]);

    // A row edited and rehashed.
    let (log, sql, records) = five(&pg).await;
    let mut forged = records[2].clone();
    forged.draft.actor = "mallory".into();
    forged.hash = forged.computed_hash().unwrap();
    sql.execute(
        "UPDATE mcp_ops_audit SET body = $1 WHERE seq = 3",
        &[&body(&forged)],
    )
    .await
    .unwrap();
    assert_eq!(breaks(&log).await, vec![(3, BreakKind::Edited)]);

    // A row in the middle deleted.
    let (log, sql, _) = five(&pg).await;
    sql.batch_execute("DELETE FROM mcp_ops_audit WHERE seq = 3")
        .await
        .unwrap();
    assert_eq!(breaks(&log).await, vec![(3, BreakKind::Deleted)]);

    // The last row deleted: the head row says more; the next append keeps the gap.
    let (log, sql, _) = five(&pg).await;
    sql.batch_execute("DELETE FROM mcp_ops_audit WHERE seq = 5")
        .await
        .unwrap();
    assert_eq!(breaks(&log).await, vec![(5, BreakKind::Truncated)]);
    assert_eq!(log.append(vec![note(6)]).await.unwrap()[0].seq, 6);
    assert_eq!(breaks(&log).await, vec![(5, BreakKind::Deleted)]);

    // A well-formed row inserted after the head.
    let (log, sql, records) = five(&pg).await;
    let forged = seal(&records[4].head(), vec![note(42)]).unwrap().remove(0);
    sql.execute(
        "INSERT INTO mcp_ops_audit (seq, body) VALUES (6, $1)",
        &[&body(&forged)],
    )
    .await
    .unwrap();
    assert_eq!(breaks(&log).await, vec![(6, BreakKind::Inserted)]);
    // The log's own next append does not reuse its seq.
    assert_eq!(log.append(vec![note(7)]).await.unwrap()[0].seq, 7);

    // Two rows swapped (their keys exchanged).
    let (log, sql, _) = five(&pg).await;
    sql.batch_execute(
        "UPDATE mcp_ops_audit SET seq = -2 WHERE seq = 2; \
         UPDATE mcp_ops_audit SET seq = 2 WHERE seq = 3; \
         UPDATE mcp_ops_audit SET seq = 3 WHERE seq = -2;",
    )
    .await
    .unwrap();
    assert_eq!(breaks(&log).await, vec![(3, BreakKind::Reordered)]);

    // A body that is not a record: reported, and the other records still read.
    let (log, sql, _) = five(&pg).await;
    sql.batch_execute("UPDATE mcp_ops_audit SET body = 'not json' WHERE seq = 2")
        .await
        .unwrap();
    assert_eq!(breaks(&log).await, vec![(2, BreakKind::Unreadable)]);
    assert_eq!(log.records().await.unwrap().len(), 4);
}
