#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]
//! A backup or a verification whose future is dropped (a caller's cancellation: an MCP
//! client's `notifications/cancelled`, Ctrl-C) leaves nothing behind: no partial data file
//! and no manifest in the store, no scratch database on the server.

use async_trait::async_trait;
use mcp_ops_core::BackupManager;
use mcp_ops_core::backup::IntegrityCheck;
use mcp_ops_db::dump::BackupReader;
use mcp_ops_db::pg::connect;
use mcp_ops_db::testing::TestPostgres;
use mcp_ops_db::{
    BackupManifest, BackupSink, BackupStore, DbError, DumpCheck, DumpId, LocalDirStore, PgBackups,
    PgConfig, VerifyOptions,
};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;
use tokio::sync::mpsc;

/// A store that, at the chosen moment, tells the test and never answers again: at the first
/// write of a backup, or at the `open_hangs`-th open of a backup (1-based).
struct HangingStore {
    inner: LocalDirStore,
    reached: mpsc::UnboundedSender<()>,
    open_hangs: usize,
    opens: AtomicUsize,
}

struct HangingSink {
    inner: Box<dyn BackupSink>,
    reached: mpsc::UnboundedSender<()>,
}

#[async_trait]
impl BackupStore for HangingStore {
    async fn create(&self, id: &DumpId) -> Result<Box<dyn BackupSink>, DbError> {
        let inner = self.inner.create(id).await?;
        Ok(Box::new(HangingSink {
            inner,
            reached: self.reached.clone(),
        }))
    }
    async fn open(&self, id: &DumpId) -> Result<BackupReader, DbError> {
        if self.opens.fetch_add(1, Ordering::SeqCst) + 1 == self.open_hangs {
            self.reached.send(()).unwrap();
            std::future::pending::<()>().await;
        }
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
impl BackupSink for HangingSink {
    async fn write(&mut self, chunk: &[u8]) -> Result<(), DbError> {
        self.inner.write(chunk).await?;
        self.reached.send(()).unwrap();
        std::future::pending::<()>().await;
        Ok(())
    }
    async fn commit(self: Box<Self>, manifest: &BackupManifest) -> Result<(), DbError> {
        self.inner.commit(manifest).await
    }
    async fn abort(self: Box<Self>) -> Result<(), DbError> {
        self.inner.abort().await
    }
}

fn files(dir: &std::path::Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

async fn seeded(pg: &TestPostgres) -> PgConfig {
    let config = pg.create_database("dropped").await.unwrap();
    connect(&config)
        .await
        .unwrap()
        .batch_execute(
            "CREATE TABLE users AS SELECT g AS id, 'user' || g AS email FROM generate_series(1, 1000) g",
        )
        .await
        .unwrap();
    config
}

/// The scratch databases of verifications on the server.
async fn scratch_databases(config: &PgConfig) -> Vec<String> {
    connect(config)
        .await
        .unwrap()
        .query(
            "SELECT datname FROM pg_database WHERE datname LIKE 'mcp_ops_verify_%'",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect()
}

/// Waits (at most a minute) until the server has no scratch database left.
async fn until_no_scratch(config: &PgConfig) -> Vec<String> {
    let mut left = scratch_databases(config).await;
    for _ in 0..600 {
        if left.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        left = scratch_databases(config).await;
    }
    left
}

#[tokio::test]
async fn a_dropped_backup_leaves_no_file_and_no_manifest() {
    let pg = TestPostgres::start().await.unwrap();
    let config = seeded(&pg).await;
    let dir = tempfile::tempdir().unwrap();
    let (reached, mut at) = mpsc::unbounded_channel();
    let store = Arc::new(HangingStore {
        inner: LocalDirStore::new(dir.path()).unwrap(),
        reached,
        open_hangs: 0,
        opens: AtomicUsize::new(0),
    });
    let backups = PgBackups::new(config, store.clone());
    let task = tokio::spawn(async move { backups.backup().await });
    at.recv().await.unwrap(); // pg_dump's first bytes are in the partial file
    assert_eq!(
        files(dir.path()).len(),
        1,
        "the partial file while streaming"
    );

    task.abort();
    assert!(task.await.unwrap_err().is_cancelled());
    assert!(
        files(dir.path()).is_empty(),
        "left behind: {:?}",
        files(dir.path())
    );
    assert!(store.list().await.unwrap().is_empty());
}

async fn backed_up(pg: &TestPostgres, dir: &std::path::Path) -> (PgConfig, BackupManifest) {
    let config = seeded(pg).await;
    let store = Arc::new(LocalDirStore::new(dir).unwrap());
    let m = PgBackups::new(config.clone(), store)
        .backup()
        .await
        .unwrap();
    (config, m)
}

/// Verification opens the backup three times: checksum, `pg_restore --list`, and the test
/// restore into the scratch database; it hangs at the third.
fn hanging_at_the_test_restore(
    dir: &std::path::Path,
) -> (Arc<HangingStore>, mpsc::UnboundedReceiver<()>) {
    let (reached, at) = mpsc::unbounded_channel();
    let store = Arc::new(HangingStore {
        inner: LocalDirStore::new(dir).unwrap(),
        reached,
        open_hangs: 3,
        opens: AtomicUsize::new(0),
    });
    (store, at)
}

#[tokio::test]
async fn a_dropped_verification_leaves_no_scratch_database() {
    let pg = TestPostgres::start().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (config, m) = backed_up(&pg, dir.path()).await;
    let (store, mut at) = hanging_at_the_test_restore(dir.path());
    let backups = PgBackups::new(config.clone(), store);
    let options =
        VerifyOptions::with_test_restore(vec![DumpCheck::query("SELECT count(*) FROM users")]);
    let id = m.id.clone();
    let task = tokio::spawn(async move { backups.verify(&id, &options).await });
    at.recv().await.unwrap();
    assert_eq!(
        scratch_databases(&config).await.len(),
        1,
        "the scratch database exists"
    );

    task.abort();
    assert!(task.await.unwrap_err().is_cancelled());
    let left = until_no_scratch(&config).await;
    assert!(left.is_empty(), "left behind: {left:?}");
    assert_eq!(files(dir.path()).len(), 2, "the backup itself is untouched");
}

#[tokio::test]
async fn a_dropped_backup_manager_verification_leaves_no_scratch_database() {
    let pg = TestPostgres::start().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (config, m) = backed_up(&pg, dir.path()).await;
    let (store, mut at) = hanging_at_the_test_restore(dir.path());
    let backups = PgBackups::new(config.clone(), store);
    let id = m.id.to_backup_id().unwrap();
    let checks = vec![IntegrityCheck {
        name: "users present".to_owned(),
        query: "SELECT count(*) FROM users".to_owned(),
        min: 1,
    }];
    let task =
        tokio::spawn(async move { BackupManager::verify(&backups, &id, Some(checks)).await });
    at.recv().await.unwrap();
    assert_eq!(scratch_databases(&config).await.len(), 1);

    task.abort();
    assert!(task.await.unwrap_err().is_cancelled());
    let left = until_no_scratch(&config).await;
    assert!(left.is_empty(), "left behind: {left:?}");
}
