#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]
//! Backups on a full disk: a size-limited tmpfs mounted by the test is the backup
//! directory. A dump that does not fit, and a manifest that does not fit, both fail with the
//! OS reason, leave no file behind, and the store keeps working once there is room.

use mcp_ops_db::pg::connect;
use mcp_ops_db::testing::{SmallDisk, TestPostgres};
use mcp_ops_db::{BackupManifest, BackupStore, DbError, DumpId, LocalDirStore, PgBackups};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// A tmpfs of `size` on a fresh directory (the test fails saying why if it cannot mount).
fn small_disk(size: &str) -> SmallDisk {
    SmallDisk::mount(size).unwrap_or_else(|e| panic!("{e}"))
}

fn files(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

/// Writes until the file system says it is full.
fn fill(dir: &Path) -> PathBuf {
    let path = dir.join("filler");
    let mut f = std::fs::File::create(&path).unwrap();
    let block = vec![0x5au8; 4096];
    loop {
        match f.write_all(&block).and_then(|()| f.sync_all()) {
            Ok(()) => {}
            Err(e) if e.raw_os_error() == Some(28) => return path,
            Err(e) => panic!("filling {}: {e}", dir.display()),
        }
    }
}

#[tokio::test]
async fn a_dump_larger_than_the_disk_fails_with_the_os_reason_and_leaves_nothing() {
    let pg = TestPostgres::start().await.unwrap();
    let config = pg.create_database("full").await.unwrap();
    connect(&config)
        .await
        .unwrap()
        .batch_execute(
            "CREATE TABLE users AS SELECT g AS id, md5(g::text) || md5((g * 7)::text) AS v \
             FROM generate_series(1, 60000) g",
        )
        .await
        .unwrap();
    let disk = small_disk("256k");
    let store = Arc::new(LocalDirStore::new(disk.path()).unwrap());
    let backups = PgBackups::new(config.clone(), store.clone());

    let e = backups.backup().await.unwrap_err();
    assert!(matches!(e, DbError::Io { .. }), "{e:?}");
    let text = e.to_string();
    assert!(text.contains("No space left on device"), "{text}");
    assert!(text.contains(&disk.path().display().to_string()), "{text}");
    assert!(
        files(disk.path()).is_empty(),
        "left: {:?}",
        files(disk.path())
    );
    assert!(store.list().await.unwrap().is_empty());
    assert!(store.skipped().await.unwrap().is_empty());
    let core: mcp_ops_core::Error = e.into();
    assert!(
        core.to_string().contains("No space left on device"),
        "{core}"
    );
}

#[tokio::test]
async fn a_manifest_that_does_not_fit_fails_the_backup_and_publishes_nothing() {
    let disk = small_disk("64k");
    let store = LocalDirStore::new(disk.path()).unwrap();
    let filler = fill(disk.path());
    let id = DumpId::new("app-20260101T000000Z-00000001").unwrap();
    // No data bytes need a block; the manifest does, and there is none left.
    let sink = store.create(&id).await.unwrap();
    let manifest = BackupManifest {
        id: id.clone(),
        database: "app".into(),
        format: "custom".into(),
        server_version: "15".into(),
        pg_dump_version: "pg_dump (PostgreSQL) 15".into(),
        size_bytes: 0,
        sha256: "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855".into(),
        started_at: jiff::Timestamp::UNIX_EPOCH,
        finished_at: jiff::Timestamp::UNIX_EPOCH,
    };
    let e = sink.commit(&manifest).await.unwrap_err();
    let text = e.to_string();
    assert!(text.contains("No space left on device"), "{text}");
    assert!(text.contains("manifest.json"), "{text}");
    assert_eq!(files(disk.path()), vec!["filler".to_owned()]);
    assert!(store.list().await.unwrap().is_empty());
    assert!(matches!(
        store.manifest(&id).await,
        Err(DbError::NotFound { .. })
    ));

    // With room again, the same store works.
    std::fs::remove_file(filler).unwrap();
    let sink = store.create(&id).await.unwrap();
    sink.commit(&manifest).await.unwrap();
    assert_eq!(store.list().await.unwrap(), vec![manifest]);
}

#[tokio::test]
async fn a_dump_that_fills_the_disk_mid_stream_keeps_earlier_backups_listable() {
    let pg = TestPostgres::start().await.unwrap();
    let config = pg.create_database("fill").await.unwrap();
    connect(&config)
        .await
        .unwrap()
        .batch_execute("CREATE TABLE users AS SELECT g AS id FROM generate_series(1, 10) g")
        .await
        .unwrap();
    let disk = small_disk("512k");
    let store = Arc::new(LocalDirStore::new(disk.path()).unwrap());
    let backups = PgBackups::new(config.clone(), store.clone());
    let first = backups.backup().await.unwrap();
    connect(&config)
        .await
        .unwrap()
        .batch_execute(
            "CREATE TABLE big AS SELECT g AS id, md5(g::text) || md5((g * 3)::text) AS v \
             FROM generate_series(1, 60000) g",
        )
        .await
        .unwrap();
    let e = backups.backup().await.unwrap_err();
    assert!(e.to_string().contains("No space left on device"), "{e}");
    assert_eq!(store.list().await.unwrap(), vec![first.clone()]);
    assert!(store.skipped().await.unwrap().is_empty());
    assert_eq!(
        files(disk.path()),
        vec![
            format!("{}.dump", first.id),
            format!("{}.manifest.json", first.id)
        ]
    );
    backups
        .verify(&first.id, &mcp_ops_db::VerifyOptions::quick())
        .await
        .unwrap();
}
