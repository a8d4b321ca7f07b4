//! The Kubernetes backend's constructors in one `use`, next to core's prelude:
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> std::result::Result<(), Box<dyn std::error::Error>> {
//! use mcp_ops_core::prelude::*;
//! use mcp_ops_k8s::prelude::*;
//!
//! let url = "http://127.0.0.1:6443".parse()?;
//! let cluster = KubeCluster::from_config(kube::Config::new(url))?
//!     .with_retry(RetryPolicy { max_attempts: 3, ..RetryPolicy::default() });
//! let backends = KubeBackends::new(cluster, "mcp-production".parse()?).install(Backends::new());
//! assert_eq!(backends.scaler.backend(), "kubernetes");
//! # Ok(()) }
//! ```

pub use crate::config_backup::AgeRecipients;
#[cfg(feature = "sim")]
pub use crate::sim::{Scenario, SimCluster};
pub use crate::{
    ConfigBackups, ConfigError, CronJobBackups, KubeBackends, KubeBackups, KubeCluster, KubeConfig,
    RetryPolicy, install_crypto_provider,
};
