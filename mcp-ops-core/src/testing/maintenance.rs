//! The `DatabaseMaintenance` contract: what every maintenance backend, mock or real, must do.

use super::{ContractViolation, ensure, step};
use crate::error::Error;
use crate::maintenance::{DatabaseMaintenance, MaintenanceTask};
use crate::types::Intent;

const C: &str = "maintenance";

/// What the maintenance contract needs from the backend under test.
#[derive(Debug, Clone)]
pub struct MaintenanceFixture {
    /// Tables that exist (the runbook's `users`, `sessions`); the suite analyzes and
    /// vacuums them.
    pub tables: Vec<String>,
    /// The schema whose column statistics are read (`public`).
    pub schema: String,
    /// Whether the backend collects statement statistics (`pg_stat_statements`); when
    /// `false`, `slow_statements` must answer `Unsupported`.
    pub statement_stats: bool,
}

impl MaintenanceFixture {
    /// The runbook's tables `users` and `sessions` in `public`, with statement statistics.
    pub fn runbook() -> Self {
        Self {
            tables: vec!["users".to_owned(), "sessions".to_owned()],
            schema: "public".to_owned(),
            statement_stats: true,
        }
    }
}

fn intent(reason: &str, dry_run: bool) -> Result<Intent, ContractViolation> {
    step(C, "Intent::new", Intent::new(reason, "contract-suite")).map(|i| i.with_dry_run(dry_run))
}

/// Runs the maintenance contract: analyze and vacuum report what they did, dry runs say so,
/// bad table names are `InvalidInput`, diagnostics come back in the documented order.
///
/// # Errors
/// The first rule the backend breaks.
pub async fn maintenance_contract(
    m: &dyn DatabaseMaintenance,
    fx: &MaintenanceFixture,
) -> Result<(), ContractViolation> {
    let run = intent("contract: maintenance", false)?;
    let r = step(C, "analyze", m.analyze(&fx.tables, &run).await)?;
    ensure(
        C,
        r.task == MaintenanceTask::Analyze && r.tables == fx.tables && !r.dry_run,
        || format!("analyze of {:?} reported {r:?}", fx.tables),
    )?;
    let r = step(C, "analyze (whole database)", m.analyze(&[], &run).await)?;
    ensure(C, r.tables.is_empty() && !r.dry_run, || {
        format!("analyze of the whole database reported {r:?}")
    })?;
    let r = step(C, "vacuum", m.vacuum(&fx.tables, &run).await)?;
    ensure(
        C,
        r.task == MaintenanceTask::Vacuum && r.tables == fx.tables && !r.dry_run,
        || format!("vacuum of {:?} reported {r:?}", fx.tables),
    )?;
    let plan = intent("contract: plan maintenance", true)?;
    let r = step(C, "dry-run vacuum", m.vacuum(&fx.tables, &plan).await)?;
    ensure(C, r.dry_run, || format!("dry-run vacuum reported {r:?}"))?;

    let bad = ["users; DROP TABLE users".to_owned()];
    let r = m.analyze(&bad, &run).await;
    ensure(C, matches!(r, Err(Error::InvalidInput { .. })), || {
        format!("analyze of {bad:?} gave {r:?}, expected InvalidInput")
    })?;
    let r = m.vacuum(&["".to_owned()], &run).await;
    ensure(C, matches!(r, Err(Error::InvalidInput { .. })), || {
        format!("vacuum of an empty table name gave {r:?}, expected InvalidInput")
    })?;

    let active = step(C, "active_queries", m.active_queries().await)?;
    ensure(
        C,
        active.windows(2).all(|w| w[0].duration >= w[1].duration),
        || "active queries are not longest first".to_owned(),
    )?;
    match m.slow_statements(2).await {
        Ok(slow) => {
            ensure(C, fx.statement_stats, || {
                "slow_statements answered although the fixture says statistics are off".to_owned()
            })?;
            ensure(C, slow.len() <= 2, || {
                format!("slow_statements(2) returned {} statements", slow.len())
            })?;
            ensure(
                C,
                slow.windows(2).all(|w| w[0].mean_time >= w[1].mean_time),
                || "slow statements are not by mean time, highest first".to_owned(),
            )?;
        }
        Err(Error::Unsupported { .. }) => ensure(C, !fx.statement_stats, || {
            "slow_statements is Unsupported although the fixture says statistics are on".to_owned()
        })?,
        Err(e) => {
            return Err(ContractViolation {
                contract: C,
                rule: format!("slow_statements failed: {e}"),
            });
        }
    }
    let indexes = step(C, "index_usage", m.index_usage().await)?;
    ensure(
        C,
        indexes.windows(2).all(|w| w[0].scans >= w[1].scans),
        || "index usage is not most scanned first".to_owned(),
    )?;
    let columns = step(C, "column_stats", m.column_stats(&fx.schema).await)?;
    ensure(C, columns.iter().all(|c| c.schema == fx.schema), || {
        format!(
            "column_stats({:?}) returned columns of other schemas",
            fx.schema
        )
    })?;
    let conn = step(C, "connections", m.connections().await)?;
    ensure(C, conn.max > 0 && conn.used <= conn.max, || {
        format!("connections reported {conn:?}")
    })?;
    Ok(())
}
