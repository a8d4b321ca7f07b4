#![doc = include_str!("../README.md")]
//!
//! ## Where things are
//!
//! [`KubeCluster`] (built by [`KubeConfig`]) implements
//! [`HealthCheck`](mcp_ops_core::HealthCheck), [`Deployer`](mcp_ops_core::Deployer),
//! [`Scaler`](mcp_ops_core::Scaler), [`SecretRotator`](mcp_ops_core::SecretRotator) and
//! [`ConfigCheck`](mcp_ops_core::runbook::investigate_error_rate::ConfigCheck);
//! [`CronJobBackups`] implements [`BackupManager`](mcp_ops_core::BackupManager) for backup
//! CronJobs and [`ConfigBackups`] keeps namespace configuration as checksummed files;
//! [`RetryPolicy`] bounds every call's retries. Modules: [`deploy`], [`scale`], [`health`],
//! [`secrets`], [`security`] (quarantine, audit), [`exec`], [`backup`], [`config_backup`];
//! `sim` (feature `sim`) and `testing` (feature `testing`).
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod backup;
mod cluster;
mod config;
pub mod config_backup;
pub mod config_backups;
mod connect;
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
