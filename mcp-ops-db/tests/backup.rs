#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]
//! Backups on a real server: backup → verify → drop a table → restore → integrity; a
//! flipped byte is caught and the target left alone; a server crash mid-backup leaves
//! nothing behind.

use async_trait::async_trait;
use mcp_ops_db::pg::connect;
use mcp_ops_db::testing::TestPostgres;
use mcp_ops_db::{
    BackupManifest, BackupSink, BackupStore, DbError, DumpCheck, DumpId, LocalDirStore, PgBackups,
    PgConfig, PgRestoreOptions, VerifyOptions,
};
use std::sync::Arc;
use tokio::sync::{Notify, mpsc};

async fn seeded(pg: &TestPostgres) -> PgConfig {
    let config = pg.create_database("bk").await.unwrap();
    let c = connect(&config).await.unwrap();
    c.batch_execute(
        "CREATE TABLE users (id int PRIMARY KEY, email text NOT NULL);
         INSERT INTO users SELECT g, 'user' || g || '@example.org' FROM generate_series(1, 1000) g;
         CREATE TABLE orders (id serial PRIMARY KEY, user_id int REFERENCES users(id), total numeric);
         INSERT INTO orders (user_id, total) SELECT 1 + g % 1000, g * 1.5 FROM generate_series(1, 3000) g;",
    )
    .await
    .unwrap();
    config
}

fn files(dir: &std::path::Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

async fn count(config: &PgConfig, sql: &str) -> i64 {
    connect(config)
        .await
        .unwrap()
        .query_one(sql, &[])
        .await
        .unwrap()
        .get(0)
}

#[tokio::test]
async fn backup_verify_drop_restore_integrity() {
    let pg = TestPostgres::start().await.unwrap();
    let config = seeded(&pg).await;
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(LocalDirStore::new(dir.path()).unwrap());
    let backups = PgBackups::new(config.clone(), store.clone());

    let m = backups.backup().await.unwrap();
    assert_eq!(m.database, config.dbname());
    assert_eq!(m.format, "custom");
    assert!(
        m.pg_dump_version.contains("pg_dump"),
        "{}",
        m.pg_dump_version
    );
    assert!(!m.server_version.is_empty());
    assert!(m.finished_at >= m.started_at);
    let data = std::fs::read(store.data_path(&m.id)).unwrap();
    assert_eq!(data.len() as u64, m.size_bytes);
    assert_eq!(&data[..5], b"PGDMP", "custom format");
    let on_disk: BackupManifest =
        serde_json::from_slice(&std::fs::read(store.manifest_path(&m.id)).unwrap()).unwrap();
    assert_eq!(on_disk, m);
    assert_eq!(files(dir.path()).len(), 2, "data + manifest, no temp file");
    assert_eq!(store.list().await.unwrap(), vec![m.clone()]);

    let checks = vec![
        DumpCheck::expecting("SELECT count(*) FROM users", "1000"),
        DumpCheck::expecting("SELECT count(*) FROM orders", "3000"),
    ];
    let report = backups
        .verify(&m.id, &VerifyOptions::with_test_restore(checks.clone()))
        .await
        .unwrap();
    assert!(report.toc_entries >= 4, "{report:?}");
    let tr = report.test_restore.unwrap();
    assert_eq!(tr.checks[0].value.as_deref(), Some("1000"));
    let admin = connect(&pg.config()).await.unwrap();
    let scratch_left = admin
        .query_opt(
            "SELECT 1 FROM pg_database WHERE datname = $1",
            &[&tr.scratch_database],
        )
        .await
        .unwrap();
    assert!(scratch_left.is_none(), "scratch database dropped");

    // Disaster: a table is dropped and rows deleted.
    connect(&config)
        .await
        .unwrap()
        .batch_execute("DROP TABLE orders; DELETE FROM users WHERE id > 10;")
        .await
        .unwrap();
    let options = PgRestoreOptions::verified_with(VerifyOptions::with_test_restore(checks));
    let restored = backups.restore(&m.id, &options).await.unwrap();
    assert_eq!(restored.database, config.dbname());
    assert_eq!(count(&config, "SELECT count(*) FROM users").await, 1000);
    assert_eq!(count(&config, "SELECT count(*) FROM orders").await, 3000);
    assert_eq!(
        count(
            &config,
            "SELECT count(*) FROM orders o JOIN users u ON u.id = o.user_id"
        )
        .await,
        3000,
        "foreign keys intact"
    );
}

#[tokio::test]
async fn a_flipped_byte_fails_verification_and_restore_refuses() {
    let pg = TestPostgres::start().await.unwrap();
    let config = seeded(&pg).await;
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(LocalDirStore::new(dir.path()).unwrap());
    let backups = PgBackups::new(config.clone(), store.clone());
    let m = backups.backup().await.unwrap();

    let path = store.data_path(&m.id);
    let mut bytes = std::fs::read(&path).unwrap();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0x01;
    std::fs::write(&path, &bytes).unwrap();

    let e = backups
        .verify(&m.id, &VerifyOptions::quick())
        .await
        .unwrap_err();
    match &e {
        DbError::VerificationFailed { id, reason } => {
            assert_eq!(id, m.id.as_str());
            assert!(reason.contains("SHA-256"), "{reason}");
        }
        other => panic!("expected VerificationFailed, got {other:?}"),
    }

    connect(&config)
        .await
        .unwrap()
        .batch_execute("INSERT INTO users VALUES (5000, 'after@example.org')")
        .await
        .unwrap();
    let e = backups
        .restore(&m.id, &PgRestoreOptions::default())
        .await
        .unwrap_err();
    assert!(matches!(e, DbError::VerificationFailed { .. }), "{e:?}");
    // The target was not touched: the row written after the backup is still there.
    assert_eq!(count(&config, "SELECT count(*) FROM users").await, 1001);

    let unknown = DumpId::new("nope").unwrap();
    assert!(matches!(
        backups.verify(&unknown, &VerifyOptions::quick()).await,
        Err(DbError::NotFound { .. })
    ));
}

#[tokio::test]
async fn failing_integrity_check_fails_verification() {
    let pg = TestPostgres::start().await.unwrap();
    let config = seeded(&pg).await;
    let dir = tempfile::tempdir().unwrap();
    let backups = PgBackups::new(config, Arc::new(LocalDirStore::new(dir.path()).unwrap()));
    let m = backups.backup().await.unwrap();
    let checks = vec![DumpCheck::expecting("SELECT count(*) FROM users", "999")];
    let e = backups
        .verify(&m.id, &VerifyOptions::with_test_restore(checks))
        .await
        .unwrap_err();
    match e {
        DbError::VerificationFailed { reason, .. } => {
            assert!(reason.contains("expected \"999\""), "{reason}")
        }
        other => panic!("{other:?}"),
    }
    let checks = vec![DumpCheck::query("SELECT count(*) FROM no_such_table")];
    assert!(
        backups
            .verify(&m.id, &VerifyOptions::with_test_restore(checks))
            .await
            .is_err()
    );
}

/// A store that pauses the first write until the test has crashed the server.
struct GatedStore {
    inner: LocalDirStore,
    started: mpsc::UnboundedSender<()>,
    release: Arc<Notify>,
}

struct GatedSink {
    inner: Box<dyn BackupSink>,
    started: Option<mpsc::UnboundedSender<()>>,
    release: Arc<Notify>,
}

#[async_trait]
impl BackupStore for GatedStore {
    async fn create(&self, id: &DumpId) -> Result<Box<dyn BackupSink>, DbError> {
        let inner = self.inner.create(id).await?;
        Ok(Box::new(GatedSink {
            inner,
            started: Some(self.started.clone()),
            release: self.release.clone(),
        }))
    }
    async fn open(&self, id: &DumpId) -> Result<mcp_ops_db::dump::BackupReader, DbError> {
        self.inner.open(id).await
    }
    async fn manifest(&self, id: &DumpId) -> Result<BackupManifest, DbError> {
        self.inner.manifest(id).await
    }
    async fn list(&self) -> Result<Vec<BackupManifest>, DbError> {
        self.inner.list().await
    }
    async fn delete(&self, id: &DumpId) -> Result<(), DbError> {
        self.inner.delete(id).await
    }
    fn location(&self, id: &DumpId) -> String {
        self.inner.location(id)
    }
}

#[async_trait]
impl BackupSink for GatedSink {
    async fn write(&mut self, chunk: &[u8]) -> Result<(), DbError> {
        self.inner.write(chunk).await?;
        if let Some(tx) = self.started.take() {
            tx.send(()).unwrap();
            self.release.notified().await;
        }
        Ok(())
    }
    async fn commit(self: Box<Self>, manifest: &BackupManifest) -> Result<(), DbError> {
        self.inner.commit(manifest).await
    }
    async fn abort(self: Box<Self>) -> Result<(), DbError> {
        self.inner.abort().await
    }
}

#[tokio::test]
async fn server_crash_during_backup_leaves_no_manifest_or_partial_file() {
    let mut pg = TestPostgres::start_owned().await.unwrap();
    let config = pg.create_database("crash").await.unwrap();
    // ~40 MB of poorly compressible rows, so pg_dump is still reading when the server dies.
    connect(&config)
        .await
        .unwrap()
        .batch_execute(
            "CREATE TABLE big AS SELECT g AS id, md5(g::text) || md5((g * 7)::text) || md5((g * 13)::text) AS v \
             FROM generate_series(1, 400000) g",
        )
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (tx, mut rx) = mpsc::unbounded_channel();
    let release = Arc::new(Notify::new());
    let store = Arc::new(GatedStore {
        inner: LocalDirStore::new(dir.path()).unwrap(),
        started: tx,
        release: release.clone(),
    });
    let backups = PgBackups::new(config, store);
    let task = tokio::spawn(async move { backups.backup().await });

    rx.recv().await.unwrap(); // pg_dump has started streaming
    assert_eq!(
        files(dir.path()).len(),
        1,
        "a partial file exists while streaming"
    );
    pg.crash().unwrap();
    release.notify_one();

    let e = task.await.unwrap().unwrap_err();
    match &e {
        DbError::ToolFailed { tool, stderr, .. } => {
            assert_eq!(*tool, "pg_dump");
            assert!(!stderr.is_empty());
        }
        other => panic!("expected ToolFailed, got {other:?}"),
    }
    assert!(
        files(dir.path()).is_empty(),
        "left behind: {:?}",
        files(dir.path())
    );
}
