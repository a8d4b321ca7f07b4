#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]
//! Backups have no deadline, but silence is bounded: a pg_dump that writes nothing for the
//! stall limit (here: blocked by a lock another session holds) fails saying so, leaves
//! nothing behind, and the next backup works.

use mcp_ops_db::pg::connect;
use mcp_ops_db::testing::TestPostgres;
use mcp_ops_db::{BackupStore, DbError, LocalDirStore, PgBackups};
use std::sync::Arc;
use std::time::Duration;

#[tokio::test]
async fn a_dump_blocked_by_a_lock_fails_as_stalled_and_leaves_nothing() {
    let pg = TestPostgres::start().await.unwrap();
    let config = pg.create_database("stall").await.unwrap();
    let holder = connect(&config).await.unwrap();
    holder
        .batch_execute("CREATE TABLE users AS SELECT g AS id FROM generate_series(1, 100) g")
        .await
        .unwrap();
    holder
        .batch_execute("BEGIN; LOCK TABLE users IN ACCESS EXCLUSIVE MODE")
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(LocalDirStore::new(dir.path().join("b")).unwrap());
    let backups = PgBackups::new(config.clone(), store.clone())
        .with_stall_limit(Some(Duration::from_secs(2)));
    assert_eq!(backups.stall_limit(), Some(Duration::from_secs(2)));

    let e = backups.backup().await.unwrap_err();
    assert!(matches!(e, DbError::Timeout { .. }), "{e:?}");
    let text = e.to_string();
    assert!(text.contains("pg_dump wrote nothing"), "{text}");
    assert!(text.contains("lock"), "{text}");
    let left: Vec<_> = std::fs::read_dir(dir.path().join("b"))
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert!(left.is_empty(), "left: {left:?}");

    holder.batch_execute("COMMIT").await.unwrap();
    let m = backups.backup().await.unwrap();
    assert_eq!(store.list().await.unwrap(), vec![m]);
}
