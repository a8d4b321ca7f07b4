//! A system that was not configured: its health checks report
//! [`Unknown`](crate::HealthStatus::Unknown) with a hint naming the setting that configures
//! it, and every other call fails as [`Error::InvalidInput`] with the same hint, so nothing
//! pretends to have answered.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> mcp_ops_core::Result<()> {
//! use mcp_ops_core::backends::NotConfigured;
//! use mcp_ops_core::health::HealthTarget;
//! use mcp_ops_core::{BackupManager, HealthCheck, HealthStatus};
//!
//! let database = NotConfigured::DATABASE;
//! let report = database
//!     .check(&HealthTarget::Database { name: "mcp_db".into() })
//!     .await?;
//! assert_eq!(report.status, HealthStatus::Unknown);
//! assert_eq!(report.message, "not configured: pass --database-url or set DATABASE_URL");
//!
//! let listed = database.list().await;
//! assert!(matches!(listed, Err(mcp_ops_core::Error::InvalidInput { field: "--database-url", .. })));
//!
//! // A tool with its own settings names them.
//! let own = NotConfigured::setting("database.url in tool.toml");
//! assert_eq!(own.hint(), "not configured: set database.url in tool.toml");
//! # Ok(()) }
//! ```

mod cluster;
mod data;
mod escalator;

use async_trait::async_trait;

use crate::Result;
use crate::error::Error;
use crate::health::{HealthCheck, HealthReport, HealthStatus, HealthTarget, TargetKind};

/// A missing system and the setting (and environment variable) that would configure it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NotConfigured {
    setting: &'static str,
    env: Option<&'static str>,
}

impl NotConfigured {
    /// The Kubernetes cluster (`--kubeconfig`, `KUBECONFIG`).
    pub const CLUSTER: Self = Self::flag("--kubeconfig", "KUBECONFIG");
    /// PostgreSQL (`--database-url`, `DATABASE_URL`).
    pub const DATABASE: Self = Self::flag("--database-url", "DATABASE_URL");
    /// Redis (`--redis-url`, `REDIS_URL`).
    pub const REDIS: Self = Self::flag("--redis-url", "REDIS_URL");
    /// Prometheus (`--prometheus-url`, `MCP_OPS_PROMETHEUS_URL`).
    pub const PROMETHEUS: Self = Self::flag("--prometheus-url", "MCP_OPS_PROMETHEUS_URL");
    /// Alertmanager (`--alertmanager-url`, `MCP_OPS_ALERTMANAGER_URL`).
    pub const ALERTMANAGER: Self = Self::flag("--alertmanager-url", "MCP_OPS_ALERTMANAGER_URL");
    /// The API's health endpoint (`--health-url`, `MCP_OPS_HEALTH_URL`).
    pub const HEALTH: Self = Self::flag("--health-url", "MCP_OPS_HEALTH_URL");

    /// Configured by a command-line flag or an environment variable: the hint reads
    /// `not configured: pass <flag> or set <env>`.
    pub const fn flag(flag: &'static str, env: &'static str) -> Self {
        Self {
            setting: flag,
            env: Some(env),
        }
    }

    /// Configured by one setting of the caller's choosing (a file key, a builder call …):
    /// the hint reads `not configured: set <setting>`.
    pub const fn setting(setting: &'static str) -> Self {
        Self { setting, env: None }
    }

    /// The flag or setting that configures the system (the `field` of the errors).
    pub const fn name(&self) -> &'static str {
        self.setting
    }

    /// The environment variable that configures the system, if there is one.
    pub const fn env(&self) -> Option<&'static str> {
        self.env
    }

    /// `not configured: pass <flag> or set <env>`, or `not configured: set <setting>`.
    pub fn hint(&self) -> String {
        match self.env {
            Some(env) => format!("not configured: pass {} or set {env}", self.setting),
            None => format!("not configured: set {}", self.setting),
        }
    }

    /// The error every call but a health check returns: [`Error::InvalidInput`] naming the
    /// setting, with the hint as the reason.
    pub fn error(&self) -> Error {
        Error::invalid(self.setting, self.hint())
    }
}

impl std::fmt::Display for NotConfigured {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.hint())
    }
}

/// Every kind of target is answered: `Unknown`, with the hint.
#[async_trait]
impl HealthCheck for NotConfigured {
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
