//! Maintenance: ANALYZE and VACUUM of the whole database or of tables, run outside a
//! transaction on a dedicated connection, with progress from pg_stat_progress_vacuum.

use super::{PgBackend, connect, quote_qualified, server_version_num};
use crate::{DbError, Result};
use serde::{Deserialize, Serialize};
use std::time::{Duration, Instant};

/// What to maintain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MaintenanceTarget {
    /// Every table of the configured database.
    Database,
    /// These tables (`table` or `schema.table`).
    Tables(Vec<String>),
}

pub(crate) fn sql_list(target: &MaintenanceTarget) -> Result<String> {
    {
        match target {
            MaintenanceTarget::Database => Ok(String::new()),
            MaintenanceTarget::Tables(t) if t.is_empty() => {
                Err(DbError::invalid("tables", "the list of tables is empty"))
            }
            MaintenanceTarget::Tables(t) => Ok(format!(
                " {}",
                t.iter()
                    .map(|n| quote_qualified(n))
                    .collect::<Result<Vec<_>>>()?
                    .join(", ")
            )),
        }
    }
}

/// Options of [`PgBackend::vacuum`].
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct VacuumOptions {
    /// Also ANALYZE (`VACUUM (ANALYZE)`).
    pub analyze: bool,
    /// Aggressively freeze tuples (`FREEZE`).
    pub freeze: bool,
    /// Cost-based throttling for busy production servers: `vacuum_cost_delay` and
    /// `vacuum_cost_limit` for this run only.
    pub throttle: Option<(Duration, u32)>,
    /// How often progress is sampled (default 200 ms).
    pub progress_interval: Duration,
}

impl Default for VacuumOptions {
    fn default() -> Self {
        Self {
            analyze: false,
            freeze: false,
            throttle: None,
            progress_interval: Duration::from_millis(200),
        }
    }
}

impl VacuumOptions {
    /// With ANALYZE.
    pub fn with_analyze(mut self) -> Self {
        self.analyze = true;
        self
    }

    /// With cost-based throttling.
    pub fn with_throttle(mut self, cost_delay: Duration, cost_limit: u32) -> Self {
        self.throttle = Some((cost_delay, cost_limit.max(1)));
        self
    }

    /// With another progress sampling interval.
    pub fn with_progress_interval(mut self, every: Duration) -> Self {
        self.progress_interval = every.max(Duration::from_millis(10));
        self
    }
}

/// One sample of pg_stat_progress_vacuum.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VacuumProgress {
    /// The table being vacuumed.
    pub relation: Option<String>,
    /// `scanning heap`, `vacuuming indexes` …
    pub phase: String,
    /// Heap blocks in the table.
    pub heap_blks_total: i64,
    /// Heap blocks scanned so far.
    pub heap_blks_scanned: i64,
    /// Heap blocks vacuumed so far.
    pub heap_blks_vacuumed: i64,
}

/// What a maintenance command did.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MaintenanceReport {
    /// The statement that ran (identifiers quoted).
    pub command: String,
    /// Its duration.
    pub duration: Duration,
    /// Distinct progress samples observed while it ran (VACUUM only; may be empty for
    /// small tables that finish between two samples).
    pub progress: Vec<VacuumProgress>,
}

impl PgBackend {
    /// `ANALYZE` the database or the given tables.
    ///
    /// # Errors
    /// [`DbError::InvalidInput`] for a malformed table name; connection or statement
    /// failures (e.g. unknown table).
    pub async fn analyze(&self, target: &MaintenanceTarget) -> Result<MaintenanceReport> {
        let command = format!("ANALYZE{}", sql_list(target)?);
        let client = connect(self.config()).await?;
        let started = Instant::now();
        client
            .batch_execute(&command)
            .await
            .map_err(DbError::query("ANALYZE"))?;
        Ok(MaintenanceReport {
            command,
            duration: started.elapsed(),
            progress: Vec::new(),
        })
    }

    /// `VACUUM` the database or the given tables on a dedicated connection (VACUUM cannot
    /// run inside a transaction), sampling pg_stat_progress_vacuum while it runs and
    /// calling `on_progress` for each new sample.
    ///
    /// # Errors
    /// As [`PgBackend::analyze`].
    pub async fn vacuum(
        &self,
        target: &MaintenanceTarget,
        options: &VacuumOptions,
        mut on_progress: impl FnMut(&VacuumProgress) + Send,
    ) -> Result<MaintenanceReport> {
        let mut opts = Vec::new();
        if options.analyze {
            opts.push("ANALYZE");
        }
        if options.freeze {
            opts.push("FREEZE");
        }
        let opts = if opts.is_empty() {
            String::new()
        } else {
            format!(" ({})", opts.join(", "))
        };
        let command = format!("VACUUM{opts}{}", sql_list(target)?);
        let worker = connect(self.config()).await?;
        if let Some((delay, limit)) = options.throttle {
            worker
                .batch_execute(&format!(
                    "SET vacuum_cost_delay = '{}ms'; SET vacuum_cost_limit = {limit}",
                    delay.as_millis()
                ))
                .await
                .map_err(DbError::query("setting vacuum throttling"))?;
        }
        let pid: i32 = worker
            .query_one("SELECT pg_backend_pid()", &[])
            .await
            .map_err(DbError::query("reading the backend pid"))?
            .get(0);
        let monitor = connect(self.config()).await?;
        let with_progress = server_version_num(&monitor).await? >= 90_600;
        let started = Instant::now();
        let sql = command.clone();
        let run = worker.batch_execute(&sql);
        tokio::pin!(run);
        let mut ticker = tokio::time::interval(options.progress_interval);
        let mut samples: Vec<VacuumProgress> = Vec::new();
        loop {
            tokio::select! {
                res = &mut run => {
                    res.map_err(DbError::query("VACUUM"))?;
                    break;
                }
                _ = ticker.tick(), if with_progress => {
                    if let Some(p) = sample_progress(&monitor, pid).await?
                        && samples.last() != Some(&p) {
                            on_progress(&p);
                            samples.push(p);
                        }
                }
            }
        }
        Ok(MaintenanceReport {
            command,
            duration: started.elapsed(),
            progress: samples,
        })
    }
}

async fn sample_progress(
    client: &tokio_postgres::Client,
    pid: i32,
) -> Result<Option<VacuumProgress>> {
    let row = client
        .query_opt(
            "SELECT relid::regclass::text, phase, heap_blks_total, heap_blks_scanned, \
                    heap_blks_vacuumed \
             FROM pg_stat_progress_vacuum WHERE pid = $1",
            &[&pid],
        )
        .await
        .map_err(DbError::query("reading pg_stat_progress_vacuum"))?;
    Ok(row.map(|r| VacuumProgress {
        relation: r.get(0),
        phase: r.get(1),
        heap_blks_total: r.get(2),
        heap_blks_scanned: r.get(3),
        heap_blks_vacuumed: r.get(4),
    }))
}
