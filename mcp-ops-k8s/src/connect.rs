//! The short ways to a [`KubeCluster`] with one retry loop: [`KubeCluster::try_default`]
//! (kubeconfig or in-cluster, like `kube::Client::try_default`) and
//! [`KubeCluster::from_config`] (an already loaded `kube::Config`).
//!
//! kube 5 puts a retry layer in every client made by `kube::Client::try_from(config)` or
//! `kube::Client::try_default()` (up to 15 retries of 429/503/504, delays up to 1000 s).
//! Under the SDK's own bounded [`RetryPolicy`](crate::RetryPolicy) that means retries of
//! retries and calls that outlive their timeout. These constructors (and [`KubeConfig`]) turn
//! kube's layer off; hand a client to [`KubeCluster::new`] only when you made it with
//! `config.default_retry = false` (or want both loops).

use crate::{ConfigError, KubeCluster, KubeConfig};

impl KubeCluster {
    /// The cluster of kubeconfig's current context (`KUBECONFIG` or `~/.kube/config`), else
    /// the in-cluster service account, with the SDK's retry policy as the only retry loop:
    /// the replacement for `KubeCluster::new(kube::Client::try_default().await?)`.
    ///
    /// ```no_run
    /// # async fn demo() -> Result<(), mcp_ops_k8s::ConfigError> {
    /// let cluster = mcp_ops_k8s::KubeCluster::try_default().await?;
    /// # let _ = cluster; Ok(()) }
    /// ```
    ///
    /// # Errors
    /// [`ConfigError`] when no configuration is found or the client cannot be created.
    pub async fn try_default() -> Result<Self, ConfigError> {
        KubeConfig::new().build().await
    }

    /// A cluster from an already loaded `kube::Config` (kube's retry layer turned off, default
    /// [`RetryPolicy`](crate::RetryPolicy)). Nothing is requested until the first call; like
    /// every kube client it must be made inside a tokio runtime.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), mcp_ops_k8s::ConfigError> {
    /// use mcp_ops_k8s::{KubeCluster, RetryPolicy};
    ///
    /// let url = "http://127.0.0.1:6443".parse().expect("a valid URL");
    /// let cluster = KubeCluster::from_config(kube::Config::new(url))?;
    /// assert_eq!(cluster.retry_policy(), RetryPolicy::default());
    /// assert_eq!(cluster.client().default_namespace(), "default");
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// [`ConfigError::Client`] when the client cannot be created (TLS, proxy …).
    pub fn from_config(config: kube::Config) -> Result<Self, ConfigError> {
        KubeConfig::new().build_from(config)
    }
}
