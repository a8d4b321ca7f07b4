//! The Kubernetes parts of a [`Backends`] bundle, from a kubeconfig context or a
//! [`KubeCluster`]: deployments, scaling, secrets and cluster health on the cluster, and
//! backups routed by [`KubeBackups`] (CronJobs on the cluster, configuration to files when
//! asked, database dumps to the database's backend).
//!
//! A Kubernetes-only tool needs no mock and no hand wiring:
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use mcp_ops_core::prelude::*;
//! use mcp_ops_core::runbook::triage::TriageInput;
//! use mcp_ops_k8s::{KubeBackends, KubeConfig};
//!
//! let kube = KubeBackends::from_kubeconfig(
//!     KubeConfig::new().with_context("prod"),
//!     "mcp-production".parse()?,
//! )
//! .await?;
//! let backends = kube.install(Backends::new());
//! let ctx = backends.context("triage", Intent::new("P0 page", "on-call")?);
//! let report = triage(&ctx, &backends.triage(), &TriageInput::runbook()).await?;
//! println!("{:?}", report.overall); // database, cache and metrics say "not configured"
//! # Ok(()) }
//! ```

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use mcp_ops_core::Backends;
use mcp_ops_core::types::Namespace;

use crate::{ConfigBackups, ConfigError, CronJobBackups, KubeBackups, KubeCluster, KubeConfig};

/// A cluster and the namespace whose CronJobs back up, ready to fill a [`Backends`].
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use mcp_ops_core::Backends;
/// use mcp_ops_k8s::{KubeBackends, KubeCluster};
///
/// let url = "http://127.0.0.1:6443".parse()?;
/// let cluster = KubeCluster::from_config(kube::Config::new(url))?;
/// let backends = KubeBackends::new(cluster, "mcp-production".parse()?).install(Backends::new());
/// assert_eq!(backends.deployer.backend(), "kubernetes");
/// assert_eq!(backends.health.cluster.backend(), "kubernetes");
/// assert_eq!(backends.health.database.backend(), "unconfigured");
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct KubeBackends {
    cluster: KubeCluster,
    namespace: Namespace,
    cron_wait: Option<Duration>,
    config_backups: Option<ConfigBackups>,
}

impl KubeBackends {
    /// The parts of `cluster`; CronJob backups of `namespace` wait as [`CronJobBackups::new`]
    /// says; no configuration backups.
    pub fn new(cluster: KubeCluster, namespace: Namespace) -> Self {
        Self {
            cluster,
            namespace,
            cron_wait: None,
            config_backups: None,
        }
    }

    /// The cluster `config` names (kubeconfig file, context, retries), with `namespace` as
    /// its default namespace.
    ///
    /// # Errors
    /// [`ConfigError`] when the kubeconfig cannot be loaded, the context is unknown or the
    /// client cannot be created.
    pub async fn from_kubeconfig(
        config: KubeConfig,
        namespace: Namespace,
    ) -> Result<Self, ConfigError> {
        let cluster = config.with_namespace(namespace.as_str()).build().await?;
        Ok(Self::new(cluster, namespace))
    }

    /// How long a CronJob backup waits for its Job (`Duration::MAX`: until the Job ends).
    #[must_use]
    pub fn with_cron_wait(mut self, wait: Duration) -> Self {
        self.cron_wait = Some(wait);
        self
    }

    /// Namespace configuration backups are kept as files in `dir`
    /// ([`ConfigBackups::new`]); encryption of Secret values is set on the returned
    /// [`ConfigBackups`] with [`KubeBackends::with_config_backups`] instead.
    ///
    /// # Errors
    /// [`mcp_ops_core::Error::InvalidInput`] when `dir` exists and is not a directory.
    pub fn with_config_dir(self, dir: impl Into<PathBuf>) -> mcp_ops_core::Result<Self> {
        let config = ConfigBackups::new(self.cluster.clone(), dir)?;
        Ok(self.with_config_backups(config))
    }

    /// Namespace configuration backups go to `config`.
    #[must_use]
    pub fn with_config_backups(mut self, config: ConfigBackups) -> Self {
        self.config_backups = Some(config);
        self
    }

    /// The cluster.
    pub fn cluster(&self) -> &KubeCluster {
        &self.cluster
    }

    /// The configuration backups, when kept as files.
    pub fn config_backups(&self) -> Option<&ConfigBackups> {
        self.config_backups.as_ref()
    }

    /// The routed backups: CronJobs of the namespace, configuration files when given, the
    /// database's backups as `database`.
    pub fn backups(&self, database: Arc<dyn mcp_ops_core::BackupManager>) -> KubeBackups {
        let mut cron = CronJobBackups::new(self.cluster.clone(), vec![self.namespace.clone()]);
        if let Some(wait) = self.cron_wait {
            cron = cron.with_wait(wait);
        }
        let mut routed = KubeBackups::new(cron, self.namespace.clone()).with_database(database);
        if let Some(config) = &self.config_backups {
            routed = routed.with_config(config.clone());
        }
        routed
    }

    /// `backends` with deployments, scaling, secrets and cluster health on the cluster, and
    /// backups routed by [`KubeBackups`] (the database's part is what `backends` had: give
    /// the database's backups first).
    pub fn install(self, backends: Backends) -> Backends {
        let routed = self.backups(backends.backups.clone());
        backends
            .with_cluster(self.cluster)
            .with_backups(Arc::new(routed))
    }
}
