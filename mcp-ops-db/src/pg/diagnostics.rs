//! Diagnostics: active and long-running queries, slow statements from
//! pg_stat_statements (column names by server version), index usage, column statistics,
//! and cancelling or terminating a backend.

use super::{PgBackend, server_version_num};
use crate::error::sqlstate;
use crate::{DbError, Result};
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// A client backend from pg_stat_activity.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ActiveQuery {
    /// Backend process id.
    pub pid: i32,
    /// Role.
    pub user: Option<String>,
    /// Database.
    pub database: Option<String>,
    /// `application_name`.
    pub application: Option<String>,
    /// `active`, `idle in transaction` …
    pub state: Option<String>,
    /// `Lock`, `IO`, `Client` …
    pub wait_event_type: Option<String>,
    /// e.g. `relation`, `transactionid`.
    pub wait_event: Option<String>,
    /// Time since the current (or last) query started.
    pub duration: Option<Duration>,
    /// The query text, truncated.
    pub query: String,
}

/// Sort order of [`PgBackend::slow_statements`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SlowStatementOrder {
    /// Most total execution time first (default: what costs the server most).
    #[default]
    TotalTime,
    /// Highest mean execution time first.
    MeanTime,
}

/// A normalized statement from pg_stat_statements.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SlowStatement {
    /// `queryid`.
    pub query_id: Option<i64>,
    /// The database.
    pub database: Option<String>,
    /// Normalized text, truncated.
    pub query: String,
    /// Executions.
    pub calls: i64,
    /// Total execution time in milliseconds.
    pub total_ms: f64,
    /// Mean execution time in milliseconds.
    pub mean_ms: f64,
    /// Rows returned or affected.
    pub rows: i64,
}

/// Usage of one index from pg_stat_user_indexes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IndexUsage {
    /// Schema.
    pub schema: String,
    /// Table.
    pub table: String,
    /// Index.
    pub index: String,
    /// Index scans since statistics were reset (0 = candidate for removal).
    pub scans: i64,
    /// Index entries returned.
    pub tuples_read: i64,
    /// Live rows fetched through the index.
    pub tuples_fetched: i64,
    /// Index size in bytes.
    pub size_bytes: i64,
}

/// Planner statistics of one column from pg_stats.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ColumnStats {
    /// Column.
    pub column: String,
    /// Fraction of NULLs.
    pub null_frac: f64,
    /// Distinct values: positive = count, negative = fraction of rows.
    pub n_distinct: f64,
    /// Physical versus logical order correlation, −1 ..= 1 (absent for some types).
    pub correlation: Option<f64>,
}

const MAX_QUERY_CHARS: i32 = 1000;

impl PgBackend {
    /// Client backends other than this one that are not idle.
    ///
    /// # Errors
    /// Pool or query failures.
    pub async fn active_queries(&self) -> Result<Vec<ActiveQuery>> {
        self.activity(None).await
    }

    /// Queries active for longer than `threshold` (the runbook uses 30 s; see
    /// [`PgBackend::DEFAULT_LONG_RUNNING`]).
    ///
    /// # Errors
    /// Pool or query failures.
    pub async fn long_running_queries(&self, threshold: Duration) -> Result<Vec<ActiveQuery>> {
        self.activity(Some(threshold)).await
    }

    /// The runbook's threshold for long-running queries.
    pub const DEFAULT_LONG_RUNNING: Duration = Duration::from_secs(30);

    async fn activity(&self, longer_than: Option<Duration>) -> Result<Vec<ActiveQuery>> {
        let client = self.client().await?;
        let min_secs = longer_than.map(|d| d.as_secs_f64()).unwrap_or(-1.0);
        let state_filter = if longer_than.is_some() {
            "state = 'active'"
        } else {
            "state <> 'idle'"
        };
        let sql = format!(
            "SELECT pid, usename::text, datname::text, application_name, state, wait_event_type, \
                    wait_event, extract(epoch FROM clock_timestamp() - query_start)::float8, \
                    left(query, $1) \
             FROM pg_stat_activity \
             WHERE backend_type = 'client backend' AND pid <> pg_backend_pid() AND {state_filter} \
               AND coalesce(extract(epoch FROM clock_timestamp() - query_start)::float8, 0) > $2 \
             ORDER BY query_start NULLS LAST"
        );
        let rows = client
            .query(&sql, &[&MAX_QUERY_CHARS, &min_secs])
            .await
            .map_err(DbError::query("reading pg_stat_activity"))?;
        Ok(rows
            .iter()
            .map(|r| ActiveQuery {
                pid: r.get(0),
                user: r.get(1),
                database: r.get(2),
                application: r.get(3),
                state: r.get(4),
                wait_event_type: r.get(5),
                wait_event: r.get(6),
                duration: r
                    .get::<_, Option<f64>>(7)
                    .filter(|s| s.is_finite() && *s >= 0.0)
                    .map(Duration::from_secs_f64),
                query: r.get::<_, Option<String>>(8).unwrap_or_default(),
            })
            .collect())
    }

    /// The `limit` most expensive statements from pg_stat_statements, using
    /// `total_exec_time`/`mean_exec_time` on PostgreSQL 13+ and `total_time`/`mean_time`
    /// before.
    ///
    /// # Errors
    /// [`DbError::Unsupported`] when the extension is not installed in this database or not
    /// preloaded; pool or query failures.
    pub async fn slow_statements(
        &self,
        limit: u32,
        order: SlowStatementOrder,
    ) -> Result<Vec<SlowStatement>> {
        let client = self.client().await?;
        let installed = client
            .query_opt(
                "SELECT 1 FROM pg_extension WHERE extname = 'pg_stat_statements'",
                &[],
            )
            .await
            .map_err(DbError::query("looking for pg_stat_statements"))?;
        if installed.is_none() {
            return Err(pgss_unsupported(
                "the extension is not installed in this database",
            ));
        }
        let (total, mean) = if server_version_num(&client).await? >= 130_000 {
            ("total_exec_time", "mean_exec_time")
        } else {
            ("total_time", "mean_time")
        };
        let order_col = match order {
            SlowStatementOrder::TotalTime => total,
            SlowStatementOrder::MeanTime => mean,
        };
        let sql = format!(
            "SELECT s.queryid, d.datname::text, left(s.query, $1), s.calls, \
                    s.{total}::float8, s.{mean}::float8, s.rows \
             FROM pg_stat_statements s LEFT JOIN pg_database d ON d.oid = s.dbid \
             ORDER BY s.{order_col} DESC LIMIT $2"
        );
        let rows = client
            .query(&sql, &[&MAX_QUERY_CHARS, &i64::from(limit)])
            .await
            .map_err(|e| match sqlstate(&e) {
                // object_not_in_prerequisite_state: not in shared_preload_libraries
                Some("55000") => pgss_unsupported("it is not in shared_preload_libraries"),
                _ => DbError::Query {
                    operation: "reading pg_stat_statements",
                    source: e,
                },
            })?;
        Ok(rows
            .iter()
            .map(|r| SlowStatement {
                query_id: r.get(0),
                database: r.get(1),
                query: r.get::<_, Option<String>>(2).unwrap_or_default(),
                calls: r.get(3),
                total_ms: r.get(4),
                mean_ms: r.get(5),
                rows: r.get(6),
            })
            .collect())
    }

    /// `CREATE EXTENSION IF NOT EXISTS pg_stat_statements` in the configured database.
    ///
    /// # Errors
    /// Pool or statement failures (e.g. missing privilege).
    pub async fn enable_pg_stat_statements(&self) -> Result<()> {
        let client = self.client().await?;
        client
            .batch_execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
            .await
            .map_err(DbError::query("creating extension pg_stat_statements"))
    }

    /// Index usage, least used first.
    ///
    /// # Errors
    /// Pool or query failures.
    pub async fn index_usage(&self) -> Result<Vec<IndexUsage>> {
        let client = self.client().await?;
        let rows = client
            .query(
                "SELECT schemaname::text, relname::text, indexrelname::text, \
                        coalesce(idx_scan, 0), coalesce(idx_tup_read, 0), \
                        coalesce(idx_tup_fetch, 0), pg_relation_size(indexrelid) \
                 FROM pg_stat_user_indexes ORDER BY 4 ASC, 7 DESC",
                &[],
            )
            .await
            .map_err(DbError::query("reading pg_stat_user_indexes"))?;
        Ok(rows
            .iter()
            .map(|r| IndexUsage {
                schema: r.get(0),
                table: r.get(1),
                index: r.get(2),
                scans: r.get(3),
                tuples_read: r.get(4),
                tuples_fetched: r.get(5),
                size_bytes: r.get(6),
            })
            .collect())
    }

    /// Column statistics of `schema.table` from pg_stats (empty before the first ANALYZE).
    ///
    /// # Errors
    /// Pool or query failures.
    pub async fn column_stats(&self, schema: &str, table: &str) -> Result<Vec<ColumnStats>> {
        let client = self.client().await?;
        let rows = client
            .query(
                "SELECT attname::text, null_frac::float8, n_distinct::float8, correlation::float8 \
                 FROM pg_stats WHERE schemaname = $1 AND tablename = $2 ORDER BY attname",
                &[&schema, &table],
            )
            .await
            .map_err(DbError::query("reading pg_stats"))?;
        Ok(rows
            .iter()
            .map(|r| ColumnStats {
                column: r.get(0),
                null_frac: r.get(1),
                n_distinct: r.get(2),
                correlation: r.get(3),
            })
            .collect())
    }

    /// Cancels the current query of backend `pid` (`pg_cancel_backend`).
    ///
    /// # Errors
    /// [`DbError::NotFound`] when no such backend exists; query failures (e.g. missing
    /// privilege).
    pub async fn cancel_backend(&self, pid: i32, reason: &str) -> Result<()> {
        self.signal_backend("pg_cancel_backend", pid, reason).await
    }

    /// Terminates backend `pid` and its session (`pg_terminate_backend`).
    ///
    /// # Errors
    /// As [`PgBackend::cancel_backend`].
    pub async fn terminate_backend(&self, pid: i32, reason: &str) -> Result<()> {
        self.signal_backend("pg_terminate_backend", pid, reason)
            .await
    }

    async fn signal_backend(&self, function: &'static str, pid: i32, reason: &str) -> Result<()> {
        let client = self.client().await?;
        let row = client
            .query_one(&format!("SELECT {function}($1)"), &[&pid])
            .await
            .map_err(DbError::query(function))?;
        if row.get::<_, bool>(0) {
            tracing::info!(pid, function, reason, "backend signalled");
            Ok(())
        } else {
            Err(DbError::NotFound {
                kind: "backend pid",
                name: pid.to_string(),
            })
        }
    }
}

fn pgss_unsupported(why: &str) -> DbError {
    DbError::Unsupported {
        feature: "pg_stat_statements",
        reason: format!(
            "{why}; add it to shared_preload_libraries, restart, then CREATE EXTENSION pg_stat_statements"
        ),
    }
}
