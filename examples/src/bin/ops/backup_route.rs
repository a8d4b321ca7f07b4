//! One [`BackupManager`] for the CLI: CronJob backups go to the Kubernetes backend
//! ([`CronJobBackups`]: a Job made from the CronJob, waited for, its logs kept), database and
//! configuration backups to the in-memory stand-in.

use std::sync::Arc;

use async_trait::async_trait;
use mcp_ops_core::backup::{
    BackupId, BackupKind, BackupRecord, BackupRequest, IntegrityCheck, RestoreOptions,
    RestoreReport, VerificationReport,
};
use mcp_ops_core::types::Namespace;
use mcp_ops_core::{BackupManager, Intent, Result};
use mcp_ops_k8s::CronJobBackups;

/// Routes CronJob backups (ids `<namespace>.<job>`) to `cron`, everything else to `other`.
pub struct RoutedBackups {
    /// CronJob backups of `namespace`.
    pub cron: CronJobBackups,
    /// The namespace whose CronJobs `cron` runs.
    pub namespace: Namespace,
    /// Database and configuration backups.
    pub other: Arc<dyn BackupManager>,
}

impl RoutedBackups {
    fn is_cron(&self, id: &BackupId) -> bool {
        id.as_str()
            .strip_prefix(self.namespace.as_str())
            .is_some_and(|rest| rest.starts_with('.'))
    }
}

#[async_trait]
impl BackupManager for RoutedBackups {
    fn backend(&self) -> &'static str {
        "kubernetes"
    }

    async fn backup(&self, request: &BackupRequest, intent: &Intent) -> Result<BackupRecord> {
        if matches!(request.kind, BackupKind::CronJob { .. }) {
            self.cron.backup(request, intent).await
        } else {
            self.other.backup(request, intent).await
        }
    }

    async fn list(&self) -> Result<Vec<BackupRecord>> {
        let mut all = self.other.list().await?;
        all.extend(self.cron.list().await?);
        Ok(all)
    }

    async fn verify(
        &self,
        id: &BackupId,
        test_restore: Option<Vec<IntegrityCheck>>,
    ) -> Result<VerificationReport> {
        if self.is_cron(id) {
            self.cron.verify(id, test_restore).await
        } else {
            self.other.verify(id, test_restore).await
        }
    }

    async fn restore(
        &self,
        id: &BackupId,
        options: &RestoreOptions,
        intent: &Intent,
    ) -> Result<RestoreReport> {
        if self.is_cron(id) {
            self.cron.restore(id, options, intent).await
        } else {
            self.other.restore(id, options, intent).await
        }
    }
}
