//! [`MockDatabase`]: an in-memory stand-in for the runbook's PostgreSQL database `mcp_db`
//! and its Redis cache, implementing `BackupManager`, `DatabaseMaintenance` and
//! `HealthCheck` (database and cache targets).
//!
//! The "database" is a map of table → row count. Backups are deterministic bytes rendered
//! from it (so equal contents give equal checksums), can be corrupted on purpose, and a
//! restore verifies first and touches nothing when verification fails. Integrity checks of
//! the form `SELECT COUNT(*) FROM <table>` are evaluated against the tables.

mod backup;
mod dump;
mod health;
mod maintenance;
mod seed;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use jiff::Timestamp;

use crate::backup::{BackupId, BackupRecord};
use crate::clock::SharedClock;
use crate::error::{Error, Result};
use crate::maintenance::{
    ActiveQuery, ColumnStats, ConnectionUsage, IndexUsage, MaintenanceTask, SlowStatement,
};
use crate::mock::Faults;

pub use seed::MockDatabaseBuilder;

/// How a mocked server answers health probes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Availability {
    /// Answers at once.
    #[default]
    Up,
    /// Does not answer (`pg_isready`: no response; Redis: connection refused).
    Down,
    /// Answers after this long: reported `Degraded`.
    Slow(Duration),
}

/// One `ANALYZE` or `VACUUM` that ran (dry runs are not recorded).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MaintenanceRun {
    /// Which task.
    pub task: MaintenanceTask,
    /// Tables processed; empty means the whole database.
    pub tables: Vec<String>,
    /// When it ran, on the mock's clock.
    pub at: Timestamp,
}

/// A stored backup: its record and its bytes.
#[derive(Debug, Clone)]
pub(crate) struct StoredBackup {
    pub record: BackupRecord,
    pub bytes: Vec<u8>,
}

/// Everything the mock database holds.
#[derive(Debug, Clone)]
pub(crate) struct DbState {
    pub database: String,
    pub tables: BTreeMap<String, i64>,
    pub config: BTreeMap<String, String>,
    pub secret_keys: Vec<String>,
    pub namespaces: Vec<String>,
    pub cronjobs: Vec<(String, String)>,
    pub backups: Vec<StoredBackup>,
    pub next_backup: u64,
    pub maintenance: Vec<MaintenanceRun>,
    pub restores: Vec<BackupId>,
    pub active: Vec<ActiveQuery>,
    pub slow: Vec<SlowStatement>,
    pub stat_statements: bool,
    pub indexes: Vec<IndexUsage>,
    pub columns: Vec<ColumnStats>,
    pub connections: ConnectionUsage,
    pub database_health: Availability,
    pub cache: String,
    pub cache_health: Availability,
}

/// A stateful in-memory database and cache. Cheap to clone: clones share state.
#[derive(Debug, Clone)]
pub struct MockDatabase {
    state: Arc<Mutex<DbState>>,
    faults: Faults,
    clock: SharedClock,
}

/// The backend name the mock database reports.
pub(crate) const BACKEND: &str = "mock-database";

impl MockDatabase {
    /// A builder with an empty database `mcp_db`; see [`MockDatabase::runbook`].
    pub fn builder() -> MockDatabaseBuilder {
        MockDatabaseBuilder::new()
    }

    /// The runbook's database on the default clock ([`TokioClock::wall`](crate::TokioClock::wall)):
    /// `mcp_db` with `users` (1200 rows) and `sessions`, statistics seeded, `pg_stat_statements`
    /// on, and the cache `redis`.
    pub fn runbook() -> Self {
        MockDatabaseBuilder::runbook().build()
    }

    /// [`MockDatabase::runbook`] after the runbook's `postgres-backup` CronJob ran: one
    /// backup of `mcp_db` labelled `nightly` (`nightly-<date>-001`), which verifies, so the
    /// deploy gate "backup verified within 24 h" passes.
    ///
    /// # Errors
    /// Only if the seed backup fails (a bug in the mock).
    ///
    /// # Example
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)]
    /// # async fn main() -> mcp_ops_core::Result<()> {
    /// use mcp_ops_core::mock::MockDatabase;
    /// use mcp_ops_core::BackupManager;
    ///
    /// let (db, nightly) = MockDatabase::runbook_with_nightly_backup().await?;
    /// assert!(db.verify(&nightly.id, None).await?.checksum_ok);
    /// assert_eq!(db.table_rows("users"), Some(1200));
    /// # Ok(())
    /// # }
    /// ```
    pub async fn runbook_with_nightly_backup() -> Result<(Self, BackupRecord)> {
        use crate::BackupManager as _;
        use crate::backup::{BackupKind, BackupRequest};
        use crate::types::Intent;
        let db = Self::runbook();
        let request = BackupRequest {
            kind: BackupKind::Database {
                database: "mcp_db".into(),
            },
            label: Some("nightly".into()),
        };
        let record = db
            .backup(&request, &Intent::new("nightly backup", "cron")?)
            .await?;
        Ok((db, record))
    }

    fn new(state: DbState, clock: SharedClock) -> Self {
        Self {
            state: Arc::new(Mutex::new(state)),
            faults: Faults::default(),
            clock,
        }
    }

    pub(crate) fn lock(&self) -> MutexGuard<'_, DbState> {
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The call recorder and fault injector of this database.
    pub fn faults(&self) -> &Faults {
        &self.faults
    }

    /// The clock timestamps come from.
    pub fn clock(&self) -> &SharedClock {
        &self.clock
    }

    pub(crate) fn now(&self) -> Timestamp {
        self.clock.now()
    }

    /// The database's name (`mcp_db`).
    pub fn database_name(&self) -> String {
        self.lock().database.clone()
    }

    /// Every table with its row count.
    pub fn tables(&self) -> BTreeMap<String, i64> {
        self.lock().tables.clone()
    }

    /// The row count of `table`, if it exists.
    pub fn table_rows(&self, table: &str) -> Option<i64> {
        self.lock().tables.get(table).copied()
    }

    /// Creates or changes a table (as the application's writes would).
    pub fn set_table(&self, table: &str, rows: i64) {
        self.lock().tables.insert(table.to_owned(), rows);
    }

    /// Drops a table (an accident a restore should repair).
    pub fn drop_table(&self, table: &str) {
        self.lock().tables.remove(table);
    }

    /// The configuration entries a configuration backup holds.
    pub fn config(&self) -> BTreeMap<String, String> {
        self.lock().config.clone()
    }

    /// Sets a configuration entry.
    pub fn set_config(&self, key: &str, value: &str) {
        self.lock().config.insert(key.to_owned(), value.to_owned());
    }

    /// Flips one byte of a stored backup, so that its checksum no longer matches.
    ///
    /// # Errors
    /// [`Error::NotFound`] for an unknown backup.
    pub fn corrupt_backup(&self, id: &BackupId) -> Result<()> {
        let mut s = self.lock();
        let b = s
            .backups
            .iter_mut()
            .find(|b| &b.record.id == id)
            .ok_or_else(|| Error::not_found("backup", id.as_str()))?;
        let middle = b.bytes.len() / 2;
        match b.bytes.get_mut(middle) {
            Some(byte) => *byte ^= 0x5a,
            None => b.bytes.push(0x5a),
        }
        Ok(())
    }

    /// The stored bytes of a backup, for tests that inspect them.
    pub fn backup_bytes(&self, id: &BackupId) -> Option<Vec<u8>> {
        self.lock()
            .backups
            .iter()
            .find(|b| &b.record.id == id)
            .map(|b| b.bytes.clone())
    }

    /// Backups restored so far (dry runs excluded), in order.
    pub fn restores(&self) -> Vec<BackupId> {
        self.lock().restores.clone()
    }

    /// `ANALYZE`/`VACUUM` runs so far (dry runs excluded), in order.
    pub fn maintenance_runs(&self) -> Vec<MaintenanceRun> {
        self.lock().maintenance.clone()
    }

    /// Replaces the statements running now.
    pub fn set_active_queries(&self, queries: Vec<ActiveQuery>) {
        self.lock().active = queries;
    }

    /// Replaces the statement statistics.
    pub fn set_slow_statements(&self, statements: Vec<SlowStatement>) {
        self.lock().slow = statements;
    }

    /// Turns `pg_stat_statements` on or off (off: `slow_statements` is unsupported).
    pub fn set_pg_stat_statements(&self, enabled: bool) {
        self.lock().stat_statements = enabled;
    }

    /// Replaces the index usage statistics.
    pub fn set_index_usage(&self, indexes: Vec<IndexUsage>) {
        self.lock().indexes = indexes;
    }

    /// Replaces the column statistics.
    pub fn set_column_stats(&self, columns: Vec<ColumnStats>) {
        self.lock().columns = columns;
    }

    /// Sets the connections in use and the limit.
    pub fn set_connections(&self, used: u32, max: u32) {
        self.lock().connections = ConnectionUsage { used, max };
    }

    /// Makes the database answer health probes as `availability` says.
    pub fn set_database_health(&self, availability: Availability) {
        self.lock().database_health = availability;
    }

    /// Makes the cache answer health probes as `availability` says.
    pub fn set_cache_health(&self, availability: Availability) {
        self.lock().cache_health = availability;
    }
}

impl Default for MockDatabase {
    /// [`MockDatabase::runbook`].
    fn default() -> Self {
        Self::runbook()
    }
}
