//! A system `ops` was not told how to reach: its checks report `Unknown` with a hint, its
//! actions fail as bad input with the same hint, and nothing pretends to have answered.

use async_trait::async_trait;
use mcp_ops_core::backup::{
    BackupId, BackupRecord, BackupRequest, IntegrityCheck, RestoreOptions, RestoreReport,
    VerificationReport,
};
use mcp_ops_core::escalation::{Alert, AlertFilter, EscalationAction, Silence, SilenceRequest};
use mcp_ops_core::health::{HealthReport, HealthStatus, HealthTarget, TargetKind};
use mcp_ops_core::incident::IncidentUpdate;
use mcp_ops_core::maintenance::{
    ActiveQuery, ColumnStats, ConnectionUsage, IndexUsage, MaintenanceReport, SlowStatement,
};
use mcp_ops_core::{
    BackupManager, DatabaseMaintenance, Error, Escalator, HealthCheck, Incident, IncidentId,
    Intent, NewIncident, Result,
};

/// A missing system: which flag (and environment variable) would configure it.
#[derive(Debug, Clone, Copy)]
pub struct Unconfigured {
    /// The flag, e.g. `--database-url`.
    pub flag: &'static str,
    /// The environment variable, e.g. `DATABASE_URL`.
    pub env: &'static str,
}

impl Unconfigured {
    /// PostgreSQL.
    pub const DATABASE: Self = Self {
        flag: "--database-url",
        env: "DATABASE_URL",
    };
    /// Redis.
    pub const REDIS: Self = Self {
        flag: "--redis-url",
        env: "REDIS_URL",
    };
    /// Prometheus.
    pub const PROMETHEUS: Self = Self {
        flag: "--prometheus-url",
        env: "MCP_OPS_PROMETHEUS_URL",
    };
    /// Alertmanager.
    pub const ALERTMANAGER: Self = Self {
        flag: "--alertmanager-url",
        env: "MCP_OPS_ALERTMANAGER_URL",
    };
    /// The API's health endpoint.
    pub const HEALTH: Self = Self {
        flag: "--health-url",
        env: "MCP_OPS_HEALTH_URL",
    };

    /// `not configured: pass --x or set X`.
    pub fn hint(&self) -> String {
        format!("not configured: pass {} or set {}", self.flag, self.env)
    }

    fn error(&self) -> Error {
        Error::invalid(self.flag, self.hint())
    }
}

#[async_trait]
impl HealthCheck for Unconfigured {
    fn backend(&self) -> &'static str {
        "unconfigured"
    }

    fn supports(&self, _kind: TargetKind) -> bool {
        true
    }

    async fn check(&self, target: &HealthTarget) -> Result<HealthReport> {
        Ok(HealthReport::new(
            target.clone(),
            HealthStatus::Unknown,
            self.hint(),
            jiff::Timestamp::now(),
        ))
    }
}

#[async_trait]
impl BackupManager for Unconfigured {
    fn backend(&self) -> &'static str {
        "unconfigured"
    }

    async fn backup(&self, _request: &BackupRequest, _intent: &Intent) -> Result<BackupRecord> {
        Err(self.error())
    }

    async fn list(&self) -> Result<Vec<BackupRecord>> {
        Err(self.error())
    }

    async fn verify(
        &self,
        _id: &BackupId,
        _test_restore: Option<Vec<IntegrityCheck>>,
    ) -> Result<VerificationReport> {
        Err(self.error())
    }

    async fn restore(
        &self,
        _id: &BackupId,
        _options: &RestoreOptions,
        _intent: &Intent,
    ) -> Result<RestoreReport> {
        Err(self.error())
    }
}

#[async_trait]
impl DatabaseMaintenance for Unconfigured {
    fn backend(&self) -> &'static str {
        "unconfigured"
    }

    async fn analyze(&self, _tables: &[String], _intent: &Intent) -> Result<MaintenanceReport> {
        Err(self.error())
    }

    async fn vacuum(&self, _tables: &[String], _intent: &Intent) -> Result<MaintenanceReport> {
        Err(self.error())
    }

    async fn active_queries(&self) -> Result<Vec<ActiveQuery>> {
        Err(self.error())
    }

    async fn slow_statements(&self, _limit: u32) -> Result<Vec<SlowStatement>> {
        Err(self.error())
    }

    async fn index_usage(&self) -> Result<Vec<IndexUsage>> {
        Err(self.error())
    }

    async fn column_stats(&self, _schema: &str) -> Result<Vec<ColumnStats>> {
        Err(self.error())
    }

    async fn connections(&self) -> Result<ConnectionUsage> {
        Err(self.error())
    }
}

/// Alerts and silences without Alertmanager (incidents are never routed here).
#[async_trait]
impl Escalator for Unconfigured {
    fn backend(&self) -> &'static str {
        "unconfigured"
    }

    async fn open(&self, _incident: &NewIncident, _intent: &Intent) -> Result<Incident> {
        Err(self.error())
    }

    async fn incident(&self, _id: &IncidentId) -> Result<Incident> {
        Err(self.error())
    }

    async fn open_incidents(&self) -> Result<Vec<Incident>> {
        Err(self.error())
    }

    async fn update(
        &self,
        _id: &IncidentId,
        _update: &IncidentUpdate,
        _intent: &Intent,
    ) -> Result<Incident> {
        Err(self.error())
    }

    async fn acknowledge(&self, _id: &IncidentId, _intent: &Intent) -> Result<Incident> {
        Err(self.error())
    }

    async fn resolve(
        &self,
        _id: &IncidentId,
        _resolution: &str,
        _intent: &Intent,
    ) -> Result<Incident> {
        Err(self.error())
    }

    async fn tick(&self, _now: jiff::Timestamp) -> Result<Vec<EscalationAction>> {
        Err(self.error())
    }

    async fn alerts(&self, _filter: &AlertFilter) -> Result<Vec<Alert>> {
        Err(self.error())
    }

    async fn silence(&self, _request: &SilenceRequest, _intent: &Intent) -> Result<Silence> {
        Err(self.error())
    }

    async fn silences(&self) -> Result<Vec<Silence>> {
        Err(self.error())
    }

    async fn expire_silence(&self, _id: &str, _intent: &Intent) -> Result<()> {
        Err(self.error())
    }
}
