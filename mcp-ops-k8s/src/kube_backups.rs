//! One [`BackupManager`] for a cluster and its database: CronJob backups go to
//! [`CronJobBackups`] (a Job made from the CronJob, waited for, its logs kept), namespace
//! configuration to [`ConfigBackups`] when given, database dumps (and anything else) to the
//! database's backend — [`NotConfigured::DATABASE`] until one is given.

use std::sync::Arc;

use async_trait::async_trait;
use mcp_ops_core::backends::NotConfigured;
use mcp_ops_core::backup::{
    BackupId, BackupKind, BackupRecord, BackupRequest, IntegrityCheck, RestoreOptions,
    RestoreReport, VerificationReport,
};
use mcp_ops_core::types::Namespace;
use mcp_ops_core::{BackupManager, Intent, Result};

use crate::{ConfigBackups, CronJobBackups};

/// Routes backups by kind (taking) and by id (verifying, restoring): ids `<namespace>.<job>`
/// are CronJob backups, ids starting with `config-` configuration backups (when
/// [`KubeBackups::with_config`] was given), the rest the database's.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use mcp_ops_core::BackupManager;
/// use mcp_ops_k8s::{CronJobBackups, KubeBackups, KubeCluster};
///
/// let url = "http://127.0.0.1:1".parse()?;
/// let cluster = KubeCluster::from_config(kube::Config::new(url))?;
/// let namespace = "mcp-production".parse()?;
/// let backups = KubeBackups::new(CronJobBackups::new(cluster, vec![]), namespace);
/// // No database yet: asking for the database's backups says what to configure.
/// let err = backups.verify(&"nightly-20260101-001".parse()?, None).await.unwrap_err();
/// assert!(err.to_string().contains("--database-url"));
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct KubeBackups {
    cron: CronJobBackups,
    namespace: Namespace,
    config: Option<Arc<dyn BackupManager>>,
    database: Arc<dyn BackupManager>,
}

impl std::fmt::Debug for KubeBackups {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KubeBackups")
            .field("namespace", &self.namespace)
            .field("config", &self.config.as_ref().map(|c| c.backend()))
            .field("database", &self.database.backend())
            .finish_non_exhaustive()
    }
}

impl KubeBackups {
    /// CronJob backups of `namespace` through `cron`; no configuration backups; the database
    /// [`NotConfigured::DATABASE`].
    pub fn new(cron: CronJobBackups, namespace: Namespace) -> Self {
        Self {
            cron,
            namespace,
            config: None,
            database: Arc::new(NotConfigured::DATABASE),
        }
    }

    /// Configuration backups (ids `config-…`) go to `config`; without it they go to the
    /// database's backend (an in-memory stand-in that keeps both, say).
    #[must_use]
    pub fn with_config(mut self, config: ConfigBackups) -> Self {
        self.config = Some(Arc::new(config));
        self
    }

    /// Database dumps go to `database`.
    #[must_use]
    pub fn with_database(mut self, database: Arc<dyn BackupManager>) -> Self {
        self.database = database;
        self
    }

    fn is_cron(&self, id: &BackupId) -> bool {
        id.as_str()
            .strip_prefix(self.namespace.as_str())
            .is_some_and(|rest| rest.starts_with('.'))
    }

    /// Whether the database's backend is a real one (not [`NotConfigured`]).
    fn has_database(&self) -> bool {
        self.database.backend() != "unconfigured"
    }

    /// The manager of an existing backup.
    fn owner(&self, id: &BackupId) -> &dyn BackupManager {
        if self.is_cron(id) {
            return &self.cron;
        }
        match &self.config {
            Some(config) if id.as_str().starts_with("config-") => config.as_ref(),
            _ => self.database.as_ref(),
        }
    }
}

#[async_trait]
impl BackupManager for KubeBackups {
    fn backend(&self) -> &'static str {
        "ops"
    }

    async fn backup(&self, request: &BackupRequest, intent: &Intent) -> Result<BackupRecord> {
        match (&request.kind, &self.config) {
            (BackupKind::CronJob { .. }, _) => self.cron.backup(request, intent).await,
            (BackupKind::Configuration { .. }, Some(config)) => {
                config.backup(request, intent).await
            }
            _ => self.database.backup(request, intent).await,
        }
    }

    /// Every backup the configured backends know, oldest first; a database that is not
    /// configured is left out, not an error.
    async fn list(&self) -> Result<Vec<BackupRecord>> {
        let mut all = Vec::new();
        if self.has_database() {
            all.extend(self.database.list().await?);
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
        if self.has_database() {
            all.extend(self.database.notices().await?);
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
