//! Building a [`KubeCluster`]: from a `kube::Client`, or from kubeconfig / in-cluster
//! configuration with a selectable context and namespace.
//!
//! Configuration errors ([`ConfigError`]) are kept apart from operation errors
//! ([`mcp_ops_core::Error`]), as the design asks, and `?` converts them: a function that
//! returns `mcp_ops_core::Result` builds a cluster without mapping errors by hand.

use std::time::Duration;

use crate::cluster::KubeCluster;
use crate::kubeconfig_error::{describe, describe_infer};
use crate::retry::RetryPolicy;

/// Why a [`KubeCluster`] could not be built.
///
/// `?` turns it into [`mcp_ops_core::Error`]: [`ConfigError::Config`] becomes
/// `InvalidInput` naming `kubeconfig`, [`ConfigError::Client`] becomes `Backend` with the
/// `ConfigError` kept as its source.
///
/// ```
/// use mcp_ops_k8s::KubeConfig;
///
/// async fn cluster() -> mcp_ops_core::Result<mcp_ops_k8s::KubeCluster> {
///     let cluster = KubeConfig::new()
///         .with_kubeconfig_path("/nonexistent/kubeconfig")
///         .build()
///         .await?; // ConfigError → mcp_ops_core::Error
///     Ok(cluster)
/// }
///
/// # fn main() {
/// let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
/// let err = runtime.block_on(cluster()).unwrap_err();
/// assert!(matches!(err, mcp_ops_core::Error::InvalidInput { field: "kubeconfig", .. }), "{err}");
/// # }
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// No usable kubeconfig or in-cluster environment, or the chosen context is unknown.
    #[error("kubernetes configuration: {0}")]
    Config(String),
    /// The client could not be created from the configuration (TLS, proxy …).
    #[error("kubernetes client: {0}")]
    Client(String),
}

impl From<ConfigError> for mcp_ops_core::Error {
    fn from(e: ConfigError) -> Self {
        match e {
            ConfigError::Config(reason) => mcp_ops_core::Error::invalid("kubeconfig", reason),
            ConfigError::Client(_) => mcp_ops_core::Error::Backend {
                backend: "kubernetes",
                message: e.to_string(),
                retryable: false,
                source: Some(Box::new(e)),
            },
        }
    }
}

/// How to reach a cluster and how to bound calls to it.
///
/// ```no_run
/// # async fn demo() -> mcp_ops_core::Result<()> {
/// use mcp_ops_k8s::KubeConfig;
/// let cluster = KubeConfig::new()
///     .with_context("prod")
///     .with_namespace("mcp-production")
///     .build()
///     .await?;
/// # let _ = cluster; Ok(()) }
/// ```
#[derive(Debug, Clone, Default)]
pub struct KubeConfig {
    context: Option<String>,
    namespace: Option<String>,
    kubeconfig: Option<std::path::PathBuf>,
    retry: RetryPolicy,
    field_manager: Option<String>,
}

impl KubeConfig {
    /// Kubeconfig's current context (or the in-cluster service account), default retries.
    pub fn new() -> Self {
        Self::default()
    }

    /// Uses this kubeconfig context instead of the current one.
    #[must_use]
    pub fn with_context(mut self, context: impl Into<String>) -> Self {
        self.context = Some(context.into());
        self
    }

    /// Uses this default namespace instead of the context's.
    #[must_use]
    pub fn with_namespace(mut self, namespace: impl Into<String>) -> Self {
        self.namespace = Some(namespace.into());
        self
    }

    /// Reads this kubeconfig file instead of `KUBECONFIG` / `~/.kube/config`.
    #[must_use]
    pub fn with_kubeconfig_path(mut self, path: impl Into<std::path::PathBuf>) -> Self {
        self.kubeconfig = Some(path.into());
        self
    }

    /// Replaces the timeout and retry policy.
    #[must_use]
    pub fn with_retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// Sets the per-call timeout, keeping the rest of the retry policy.
    #[must_use]
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.retry.call_timeout = timeout;
        self
    }

    /// The `fieldManager` written with every change (default `mcp-ops`).
    #[must_use]
    pub fn with_field_manager(mut self, manager: impl Into<String>) -> Self {
        self.field_manager = Some(manager.into());
        self
    }

    /// Reads kubeconfig (the file given, else `KUBECONFIG` or `~/.kube/config`), or the in-cluster environment
    /// when no context is named and there is no kubeconfig, like `kube::Config::infer`.
    ///
    /// # Errors
    /// [`ConfigError`] when no configuration is found or the client cannot be created.
    pub async fn build(self) -> Result<KubeCluster, ConfigError> {
        let options = kube::config::KubeConfigOptions {
            context: self.context.clone(),
            ..Default::default()
        };
        // Errors are told without the file's content: see `kubeconfig_error`.
        let mut config = match (&self.kubeconfig, &self.context) {
            (Some(path), _) => {
                let file = kube::config::Kubeconfig::read_from(path)
                    .map_err(|e| ConfigError::Config(describe(&e, Some(path))))?;
                kube::Config::from_custom_kubeconfig(file, &options)
                    .await
                    .map_err(|e| ConfigError::Config(describe(&e, Some(path))))?
            }
            (None, None) => kube::Config::infer()
                .await
                .map_err(|e| ConfigError::Config(describe_infer(&e)))?,
            (None, Some(_)) => kube::Config::from_kubeconfig(&options)
                .await
                .map_err(|e| ConfigError::Config(describe(&e, None)))?,
        };
        if let Some(ns) = &self.namespace {
            config.default_namespace.clone_from(ns);
        }
        self.build_from(config)
    }

    /// Builds from an already loaded `kube::Config` (for example one made with
    /// `kube::Config::new(url)`). kube's built-in retry layer is turned off so that the
    /// bounded [`RetryPolicy`] is the only retry loop. Must be called inside a tokio runtime
    /// (kube's client starts a task).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use std::time::Duration;
    /// use mcp_ops_k8s::KubeConfig;
    ///
    /// let config = kube::Config::new("http://127.0.0.1:6443".parse()?);
    /// let cluster = KubeConfig::new()
    ///     .with_timeout(Duration::from_secs(5))
    ///     .with_field_manager("my-tool")
    ///     .build_from(config)?;
    /// assert_eq!(cluster.retry_policy().call_timeout, Duration::from_secs(5));
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// [`ConfigError::Client`] when the client cannot be created.
    pub fn build_from(self, mut config: kube::Config) -> Result<KubeCluster, ConfigError> {
        install_crypto_provider();
        // kube 5 adds its own retry layer by default (15 retries, delays up to 1000 s): far
        // from bounded. The SDK's RetryPolicy is the one retry loop.
        config.default_retry = false;
        let client = kube::Client::try_from(config).map_err(|e| match e {
            // kube's text of an exec plugin failure lists the plugin's environment (values
            // included) and command line.
            kube::Error::Auth(_) => ConfigError::Client(
                "the kubeconfig's credentials cannot be obtained (exec plugin, token file or \
                 client certificate failed; details not shown as they may hold credentials)"
                    .to_owned(),
            ),
            other => ConfigError::Client(mcp_ops_core::redact_text(&other.to_string())),
        })?;
        let mut cluster = KubeCluster::new(client).with_retry(self.retry);
        if let Some(m) = self.field_manager {
            cluster = cluster.with_field_manager(m);
        }
        Ok(cluster)
    }
}

/// Installs aws-lc-rs as the process-wide rustls provider unless one is installed already.
///
/// With more than one provider compiled in (kube's and reqwest's, say), rustls cannot choose
/// and `kube::Client::try_from` panics; installing one first avoids that.
pub fn install_crypto_provider() {
    if rustls::crypto::CryptoProvider::get_default().is_none() {
        let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    }
}
