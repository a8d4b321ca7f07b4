//! `DatabaseMaintenance`: statistics, vacuum and the diagnostics queries of the runbook.
//!
//! Covers `ANALYZE;`, `VACUUM;`, the `pg_stat_activity` queries (active, older than 30 s),
//! `pg_stat_statements` (slow statements), `pg_stat_user_indexes` and `pg_stats`
//! (runbook: Database Maintenance, High Response Times (P2), Performance
//! Tuning, High Error Rate (P1) "connection pool exhausted").

use std::time::Duration;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::types::Intent;

/// A statement running now (`pg_stat_activity`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ActiveQuery {
    /// The backend's process id.
    pub pid: i32,
    /// `active`, `idle in transaction` …
    pub state: String,
    /// `wait_event_type:wait_event`, when waiting.
    pub wait: Option<String>,
    /// How long the statement has run.
    pub duration: Duration,
    /// The statement, truncated.
    pub query: String,
}

/// A statement's accumulated cost (`pg_stat_statements`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SlowStatement {
    /// The normalised statement.
    pub query: String,
    /// Times executed.
    pub calls: u64,
    /// Total execution time.
    pub total_time: Duration,
    /// Mean execution time.
    pub mean_time: Duration,
}

/// How much an index is used (`pg_stat_user_indexes`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IndexUsage {
    /// Schema.
    pub schema: String,
    /// Table.
    pub table: String,
    /// Index.
    pub index: String,
    /// Index scans.
    pub scans: u64,
    /// Index entries returned.
    pub tuples_read: u64,
    /// Live rows fetched.
    pub tuples_fetched: u64,
}

/// Planner statistics of one column (`pg_stats`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ColumnStats {
    /// Schema.
    pub schema: String,
    /// Table.
    pub table: String,
    /// Column.
    pub column: String,
    /// Distinct values (negative: a fraction of rows).
    pub n_distinct: f64,
    /// Physical vs logical order correlation.
    pub correlation: Option<f64>,
}

/// Connections in use against the server's limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConnectionUsage {
    /// Connections open now.
    pub used: u32,
    /// `max_connections`.
    pub max: u32,
}

impl ConnectionUsage {
    /// `used / max`, 1.0 when `max` is 0.
    pub fn ratio(&self) -> f64 {
        if self.max == 0 {
            1.0
        } else {
            f64::from(self.used) / f64::from(self.max)
        }
    }

    /// The runbook's "connection pool exhausted" signal: at least 90 % in use.
    pub fn exhausted(&self) -> bool {
        self.ratio() >= 0.9
    }
}

/// What a maintenance task did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MaintenanceReport {
    /// `ANALYZE` or `VACUUM`.
    pub task: MaintenanceTask,
    /// Tables processed; empty means the whole database.
    pub tables: Vec<String>,
    /// How long it took.
    pub duration: Duration,
    /// `true` when this was a dry run and nothing was run.
    pub dry_run: bool,
}

/// A maintenance task.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
pub enum MaintenanceTask {
    /// Update planner statistics.
    Analyze,
    /// Reclaim dead rows.
    Vacuum,
}

/// Maintains and inspects a database.
///
/// # Example
///
/// ```
/// # #[cfg(feature = "testkit")]
/// # #[tokio::main(flavor = "current_thread", start_paused = true)]
/// # async fn main() -> mcp_ops_core::Result<()> {
/// use mcp_ops_core::{DatabaseMaintenance, Intent};
///
/// let kit = mcp_ops_core::testkit::TestKit::runbook().await?;
/// let db: &dyn DatabaseMaintenance = &kit.database;
/// let connections = db.connections().await?;
/// assert!(connections.ratio() < 0.8, "{} of {} in use", connections.used, connections.max);
/// let slow = db.slow_statements(10).await?;
/// println!("{} slow statements", slow.len());
/// // An empty table list means the whole database, as the runbook's `ANALYZE;`.
/// db.analyze(&[], &Intent::new("weekly maintenance", "ops-bot")?).await?;
/// assert_eq!(kit.database.maintenance_runs().len(), 1);
/// # Ok(())
/// # }
/// # #[cfg(not(feature = "testkit"))]
/// # fn main() {}
/// ```
#[cfg_attr(feature = "mock", mockall::automock)]
#[async_trait]
pub trait DatabaseMaintenance: Send + Sync {
    /// The backend's name, for reports and errors.
    fn backend(&self) -> &'static str;

    /// `ANALYZE` the given tables, or the whole database when empty.
    ///
    /// # Errors
    /// [`crate::Error::InvalidInput`] for an ill-formed table name; backend errors.
    async fn analyze(&self, tables: &[String], intent: &Intent) -> Result<MaintenanceReport>;

    /// `VACUUM` the given tables, or the whole database when empty.
    ///
    /// # Errors
    /// [`crate::Error::InvalidInput`] for an ill-formed table name; backend errors.
    async fn vacuum(&self, tables: &[String], intent: &Intent) -> Result<MaintenanceReport>;

    /// Statements running now, longest first.
    ///
    /// # Errors
    /// Backend errors.
    async fn active_queries(&self) -> Result<Vec<ActiveQuery>>;

    /// The `limit` statements with the highest mean time.
    ///
    /// # Errors
    /// [`crate::Error::Unsupported`] when statement statistics are not collected.
    async fn slow_statements(&self, limit: u32) -> Result<Vec<SlowStatement>>;

    /// Index usage, most scanned first.
    ///
    /// # Errors
    /// Backend errors.
    async fn index_usage(&self) -> Result<Vec<IndexUsage>>;

    /// Planner statistics of the columns of a schema.
    ///
    /// # Errors
    /// Backend errors.
    async fn column_stats(&self, schema: &str) -> Result<Vec<ColumnStats>>;

    /// Connections in use against the limit.
    ///
    /// # Errors
    /// Backend errors.
    async fn connections(&self) -> Result<ConnectionUsage>;
}

/// The statements of `queries` that have run longer than `threshold` (runbook: 30 s).
pub fn long_running(queries: &[ActiveQuery], threshold: Duration) -> Vec<ActiveQuery> {
    queries
        .iter()
        .filter(|q| q.duration > threshold)
        .cloned()
        .collect()
}
