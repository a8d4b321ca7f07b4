//! [`NotConfigured`] as the database's backups and maintenance.

use async_trait::async_trait;

use super::NotConfigured;
use crate::backup::{
    BackupId, BackupManager, BackupRecord, BackupRequest, IntegrityCheck, RestoreOptions,
    RestoreReport, VerificationReport,
};
use crate::maintenance::{
    ActiveQuery, ColumnStats, ConnectionUsage, DatabaseMaintenance, IndexUsage, MaintenanceReport,
    SlowStatement,
};
use crate::{Intent, Result};

#[async_trait]
impl BackupManager for NotConfigured {
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
impl DatabaseMaintenance for NotConfigured {
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
