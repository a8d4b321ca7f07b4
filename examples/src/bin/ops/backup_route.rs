//! One [`BackupManager`] for the CLI: CronJob backups go to the Kubernetes backend
//! ([`CronJobBackups`]: a Job made from the CronJob, waited for, its logs kept), namespace
//! configuration to [`ConfigBackups`] on a real cluster, database dumps to PostgreSQL
//! (`--database-url`), and, on the embedded cluster, what is not configured to the
//! in-memory stand-in.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use mcp_ops_core::backup::{
    BackupId, BackupKind, BackupRecord, BackupRequest, IntegrityCheck, RestoreOptions,
    RestoreReport, VerificationReport,
};
use mcp_ops_core::types::Namespace;
use mcp_ops_core::{BackupManager, Intent, Result};
use mcp_ops_k8s::CronJobBackups;

use crate::unconfigured::Unconfigured;

/// How long `ops backup cronjob` waits for the Job it starts: until it finishes (the Job's
/// own `activeDeadlineSeconds` and `backoffLimit` bound it); a deadline of the caller's
/// choice is `ops backup --timeout`. A fixed bound here failed every backup larger than
/// what fits in it.
pub const CRON_JOB_WAIT: Duration = Duration::MAX;

/// Where database backups go.
#[derive(Clone)]
pub enum DatabaseBackups {
    /// A backend (PostgreSQL or the in-memory stand-in).
    Backend(Arc<dyn BackupManager>),
    /// No database is configured.
    Missing(Unconfigured),
}

/// Routes backups by kind (taking) and by id (verifying, restoring).
pub struct RoutedBackups {
    /// CronJob backups of `namespace`; ids are `<namespace>.<job>`.
    pub cron: CronJobBackups,
    /// The namespace whose CronJobs `cron` runs.
    pub namespace: Namespace,
    /// Namespace configuration backups (ids start with `config-`); `None`: `database` takes
    /// them (the in-memory stand-in does both).
    pub config: Option<Arc<dyn BackupManager>>,
    /// Database dumps.
    pub database: DatabaseBackups,
}

impl RoutedBackups {
    fn is_cron(&self, id: &BackupId) -> bool {
        id.as_str()
            .strip_prefix(self.namespace.as_str())
            .is_some_and(|rest| rest.starts_with('.'))
    }

    fn database(&self) -> &dyn BackupManager {
        match &self.database {
            DatabaseBackups::Backend(b) => b.as_ref(),
            DatabaseBackups::Missing(u) => u,
        }
    }

    /// The manager of an existing backup.
    fn owner(&self, id: &BackupId) -> &dyn BackupManager {
        if self.is_cron(id) {
            return &self.cron;
        }
        match &self.config {
            Some(config) if id.as_str().starts_with("config-") => config.as_ref(),
            _ => self.database(),
        }
    }
}

#[async_trait]
impl BackupManager for RoutedBackups {
    fn backend(&self) -> &'static str {
        "ops"
    }

    async fn backup(&self, request: &BackupRequest, intent: &Intent) -> Result<BackupRecord> {
        match (&request.kind, &self.config) {
            (BackupKind::CronJob { .. }, _) => self.cron.backup(request, intent).await,
            (BackupKind::Configuration { .. }, Some(config)) => {
                config.backup(request, intent).await
            }
            _ => self.database().backup(request, intent).await,
        }
    }

    /// Every backup the configured backends know; a missing database is left out, not an
    /// error (the CLI says it is not configured).
    async fn list(&self) -> Result<Vec<BackupRecord>> {
        let mut all = Vec::new();
        if let DatabaseBackups::Backend(b) = &self.database {
            all.extend(b.list().await?);
        }
        if let Some(config) = &self.config {
            all.extend(config.list().await?);
        }
        all.extend(self.cron.list().await?);
        all.sort_by_key(|r| r.started);
        Ok(all)
    }

    async fn notices(&self) -> Result<Vec<String>> {
        let mut all = Vec::new();
        if let DatabaseBackups::Backend(b) = &self.database {
            all.extend(b.notices().await?);
        }
        if let Some(config) = &self.config {
            all.extend(config.notices().await?);
        }
        Ok(all)
    }

    async fn verify(
        &self,
        id: &BackupId,
        test_restore: Option<Vec<IntegrityCheck>>,
    ) -> Result<VerificationReport> {
        self.owner(id).verify(id, test_restore).await
    }

    async fn restore(
        &self,
        id: &BackupId,
        options: &RestoreOptions,
        intent: &Intent,
    ) -> Result<RestoreReport> {
        self.owner(id).restore(id, options, intent).await
    }
}
