//! Errors of starting and using a [`SimCluster`](super::SimCluster).

/// An error of the simulator's own API (not an HTTP answer, which is a `Status`).
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    /// Binding the listener or writing the kubeconfig failed.
    #[error("simulated cluster I/O failed: {context}: {source}")]
    Io {
        /// What was being done.
        context: &'static str,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// A scenario object has an `apiVersion`/`kind` the simulator does not serve.
    #[error("scenario object {api_version}/{kind} is not a resource the simulator serves")]
    UnknownKind {
        /// `apiVersion` of the object.
        api_version: String,
        /// `kind` of the object.
        kind: String,
    },
    /// The store refused a scenario object.
    #[error("scenario object rejected ({code}): {message}")]
    Rejected {
        /// HTTP-like status code.
        code: u16,
        /// Message of the Status.
        message: String,
    },
    /// Scenario manifests could not be parsed.
    #[error("scenario manifests could not be parsed: {0}")]
    Manifest(String),
    /// Building the `kube::Client` failed.
    #[error("building a kube client for the simulated cluster failed: {0}")]
    Client(String),
}

impl From<super::status::ApiError> for SimError {
    fn from(e: super::status::ApiError) -> Self {
        Self::Rejected {
            code: e.code,
            message: e.message,
        }
    }
}
