//! [`mcp_ops_core::DatabaseMaintenance`] for [`PgBackend`].

use crate::PgBackend;
use crate::pg::{MaintenanceTarget, SlowStatementOrder, VacuumOptions};
use async_trait::async_trait;
use mcp_ops_core::maintenance::{
    ActiveQuery, ColumnStats, ConnectionUsage, IndexUsage, MaintenanceReport, MaintenanceTask,
    SlowStatement,
};
use mcp_ops_core::types::Intent;
use mcp_ops_core::{DatabaseMaintenance, Error, Result};
use std::time::Duration;

fn target(tables: &[String]) -> MaintenanceTarget {
    if tables.is_empty() {
        MaintenanceTarget::Database
    } else {
        MaintenanceTarget::Tables(tables.to_vec())
    }
}

fn planned(task: MaintenanceTask, tables: &[String]) -> MaintenanceReport {
    MaintenanceReport {
        task,
        tables: tables.to_vec(),
        duration: Duration::ZERO,
        dry_run: true,
    }
}

fn ms(v: f64) -> Duration {
    if v.is_finite() && v > 0.0 {
        Duration::from_secs_f64(v / 1000.0)
    } else {
        Duration::ZERO
    }
}

#[async_trait]
impl DatabaseMaintenance for PgBackend {
    fn backend(&self) -> &'static str {
        "postgres"
    }

    async fn analyze(&self, tables: &[String], intent: &Intent) -> Result<MaintenanceReport> {
        let t = target(tables);
        crate::pg::validate_target(&t)?;
        tracing::info!(
            reason = intent.reason(),
            actor = intent.actor(),
            dry_run = intent.is_dry_run(),
            "ANALYZE"
        );
        if intent.is_dry_run() {
            return Ok(planned(MaintenanceTask::Analyze, tables));
        }
        let r = PgBackend::analyze(self, &t).await?;
        Ok(MaintenanceReport {
            task: MaintenanceTask::Analyze,
            tables: tables.to_vec(),
            duration: r.duration,
            dry_run: false,
        })
    }

    async fn vacuum(&self, tables: &[String], intent: &Intent) -> Result<MaintenanceReport> {
        let t = target(tables);
        crate::pg::validate_target(&t)?;
        tracing::info!(
            reason = intent.reason(),
            actor = intent.actor(),
            dry_run = intent.is_dry_run(),
            "VACUUM"
        );
        if intent.is_dry_run() {
            return Ok(planned(MaintenanceTask::Vacuum, tables));
        }
        let r = PgBackend::vacuum(self, &t, &VacuumOptions::default(), |p| {
            tracing::debug!(relation = ?p.relation, phase = %p.phase, scanned = p.heap_blks_scanned, total = p.heap_blks_total, "vacuum progress");
        })
        .await?;
        Ok(MaintenanceReport {
            task: MaintenanceTask::Vacuum,
            tables: tables.to_vec(),
            duration: r.duration,
            dry_run: false,
        })
    }

    async fn active_queries(&self) -> Result<Vec<ActiveQuery>> {
        let list = PgBackend::active_queries(self).await?;
        Ok(list
            .into_iter()
            .map(|q| ActiveQuery {
                pid: q.pid,
                state: q.state.unwrap_or_else(|| "unknown".to_owned()),
                wait: match (q.wait_event_type, q.wait_event) {
                    (Some(t), Some(e)) => Some(format!("{t}:{e}")),
                    (Some(t), None) => Some(t),
                    _ => None,
                },
                duration: q.duration.unwrap_or_default(),
                query: q.query,
            })
            .collect())
    }

    async fn slow_statements(&self, limit: u32) -> Result<Vec<SlowStatement>> {
        let list = PgBackend::slow_statements(self, limit, SlowStatementOrder::MeanTime).await?;
        Ok(list
            .into_iter()
            .map(|s| SlowStatement {
                query: s.query,
                calls: s.calls.max(0) as u64,
                total_time: ms(s.total_ms),
                mean_time: ms(s.mean_ms),
            })
            .collect())
    }

    async fn index_usage(&self) -> Result<Vec<IndexUsage>> {
        let mut list = PgBackend::index_usage(self).await?;
        list.reverse(); // most scanned first
        Ok(list
            .into_iter()
            .map(|u| IndexUsage {
                schema: u.schema,
                table: u.table,
                index: u.index,
                scans: u.scans.max(0) as u64,
                tuples_read: u.tuples_read.max(0) as u64,
                tuples_fetched: u.tuples_fetched.max(0) as u64,
            })
            .collect())
    }

    async fn column_stats(&self, schema: &str) -> Result<Vec<ColumnStats>> {
        let client = self.client().await?;
        let rows = client
            .query(
                "SELECT tablename::text, attname::text, n_distinct::float8, correlation::float8 \
                 FROM pg_stats WHERE schemaname = $1 ORDER BY tablename, attname",
                &[&schema],
            )
            .await
            .map_err(|e| {
                Error::from(crate::DbError::Query {
                    operation: "reading pg_stats",
                    source: e,
                })
            })?;
        Ok(rows
            .iter()
            .map(|r| ColumnStats {
                schema: schema.to_owned(),
                table: r.get(0),
                column: r.get(1),
                n_distinct: r.get(2),
                correlation: r.get(3),
            })
            .collect())
    }

    async fn connections(&self) -> Result<ConnectionUsage> {
        let h = self.health(Duration::from_secs(5)).await?;
        let c = h.connections.ok_or_else(|| {
            Error::unavailable(
                "postgres",
                format!("server not accepting connections: {:?}", h.readiness),
            )
        })?;
        Ok(ConnectionUsage {
            used: c.used,
            max: c.max_connections,
        })
    }
}
