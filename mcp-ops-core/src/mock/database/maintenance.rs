//! `DatabaseMaintenance` on the mock database: `ANALYZE`/`VACUUM` recorded with their time,
//! statistics as seeded or set by the test.

use std::time::Duration;

use async_trait::async_trait;

use super::dump::validate_table;
use super::{BACKEND, MaintenanceRun, MockDatabase};
use crate::error::{Error, Result};
use crate::maintenance::{
    ActiveQuery, ColumnStats, ConnectionUsage, DatabaseMaintenance, IndexUsage, MaintenanceReport,
    MaintenanceTask, SlowStatement,
};
use crate::types::Intent;

impl MockDatabase {
    async fn run_task(
        &self,
        task: MaintenanceTask,
        tables: &[String],
        intent: &Intent,
    ) -> Result<MaintenanceReport> {
        let operation = match task {
            MaintenanceTask::Analyze => "analyze",
            MaintenanceTask::Vacuum => "vacuum",
        };
        let target = if tables.is_empty() {
            self.database_name()
        } else {
            tables.join(",")
        };
        self.faults
            .write(operation, target, intent.is_dry_run())
            .await?;
        let mut bare = Vec::with_capacity(tables.len());
        for t in tables {
            bare.push(validate_table(t)?.to_owned());
        }
        let now = self.now();
        let mut s = self.lock();
        if let Some(missing) = bare.iter().find(|t| !s.tables.contains_key(t.as_str())) {
            return Err(Error::not_found("table", missing.as_str()));
        }
        if !intent.is_dry_run() {
            s.maintenance.push(MaintenanceRun {
                task,
                tables: bare.clone(),
                at: now,
            });
        }
        Ok(MaintenanceReport {
            task,
            tables: bare,
            duration: Duration::ZERO,
            dry_run: intent.is_dry_run(),
        })
    }
}

#[async_trait]
impl DatabaseMaintenance for MockDatabase {
    fn backend(&self) -> &'static str {
        BACKEND
    }

    async fn analyze(&self, tables: &[String], intent: &Intent) -> Result<MaintenanceReport> {
        self.run_task(MaintenanceTask::Analyze, tables, intent)
            .await
    }

    async fn vacuum(&self, tables: &[String], intent: &Intent) -> Result<MaintenanceReport> {
        self.run_task(MaintenanceTask::Vacuum, tables, intent).await
    }

    async fn active_queries(&self) -> Result<Vec<ActiveQuery>> {
        self.faults
            .read("active_queries", self.database_name())
            .await?;
        let mut queries = self.lock().active.clone();
        queries.sort_by_key(|q| std::cmp::Reverse(q.duration));
        Ok(queries)
    }

    async fn slow_statements(&self, limit: u32) -> Result<Vec<SlowStatement>> {
        self.faults
            .read("slow_statements", self.database_name())
            .await?;
        let s = self.lock();
        if !s.stat_statements {
            return Err(Error::Unsupported {
                operation: "slow_statements (pg_stat_statements is not installed)",
                backend: BACKEND,
            });
        }
        let mut statements = s.slow.clone();
        statements.sort_by_key(|s| std::cmp::Reverse(s.mean_time));
        statements.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
        Ok(statements)
    }

    async fn index_usage(&self) -> Result<Vec<IndexUsage>> {
        self.faults
            .read("index_usage", self.database_name())
            .await?;
        let mut indexes = self.lock().indexes.clone();
        indexes.sort_by_key(|i| std::cmp::Reverse(i.scans));
        Ok(indexes)
    }

    async fn column_stats(&self, schema: &str) -> Result<Vec<ColumnStats>> {
        self.faults.read("column_stats", schema).await?;
        Ok(self
            .lock()
            .columns
            .iter()
            .filter(|c| c.schema == schema)
            .cloned()
            .collect())
    }

    async fn connections(&self) -> Result<ConnectionUsage> {
        self.faults
            .read("connections", self.database_name())
            .await?;
        Ok(self.lock().connections)
    }
}
