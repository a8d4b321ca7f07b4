//! Kubernetes backends for mcp-ops and `sim`, a simulated Kubernetes API server.
//!
//! [`KubeCluster`] wraps a `kube::Client` and implements the core capability traits
//! [`HealthCheck`](mcp_ops_core::HealthCheck), [`Deployer`](mcp_ops_core::Deployer),
//! [`Scaler`](mcp_ops_core::Scaler), [`SecretRotator`](mcp_ops_core::SecretRotator) and the
//! High Error Rate procedure's configuration check
//! ([`ConfigCheck`](mcp_ops_core::runbook::investigate_error_rate::ConfigCheck));
//! [`CronJobBackups`] implements [`BackupManager`](mcp_ops_core::BackupManager) for backup
//! CronJobs, [`ConfigBackups`] for namespace configuration kept as checksummed files.
//! Every call has a timeout and retries 429/5xx/connection failures with jittered, bounded
//! backoff ([`RetryPolicy`]); read-modify-write calls retry 409 by re-reading; dry runs are
//! sent with `dryRun=All`. Rollout status follows kubectl's decision order (including the
//! observedGeneration guard and `ProgressDeadlineExceeded` → `Failed`) and is waited for by
//! watch; undo is kubectl's algorithm.
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use mcp_ops_core::Deployer;
//! use mcp_ops_core::types::DeploymentRef;
//! use mcp_ops_k8s::KubeConfig;
//!
//! let cluster = KubeConfig::new().with_namespace("mcp-production").build().await?;
//! let api: DeploymentRef = "mcp-production/mcp-typescript-api".parse()?;
//! println!("{}", cluster.rollout_status(&api).await?);
//! # Ok(()) }
//! ```

pub mod backup;
mod cluster;
mod config;
mod connect;
pub mod config_backup;
pub mod config_backups;
pub mod deploy;
mod error;
pub mod exec;
pub mod health;
mod kube_backends;
mod kube_backups;
mod kubeconfig_error;
pub mod prelude;
mod retry;
pub mod scale;
pub mod secrets;
pub mod security;

pub use backup::CronJobBackups;
pub use cluster::KubeCluster;
pub use config::{ConfigError, KubeConfig, install_crypto_provider};
pub use config_backups::ConfigBackups;
pub use kube_backends::KubeBackends;
pub use kube_backups::KubeBackups;
pub use retry::RetryPolicy;

#[cfg(feature = "sim")]
pub mod sim;
#[cfg(feature = "testing")]
pub mod testing;
