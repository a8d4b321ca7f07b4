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

/// `?` converts simulator errors into [`mcp_ops_core::Error`]: a scenario the simulator
/// refuses is `InvalidInput` naming `scenario`; I/O and client failures are `Backend` with
/// the [`SimError`] kept as their source.
impl From<SimError> for mcp_ops_core::Error {
    fn from(e: SimError) -> Self {
        match e {
            SimError::UnknownKind { .. } | SimError::Rejected { .. } | SimError::Manifest(_) => {
                mcp_ops_core::Error::invalid("scenario", e.to_string())
            }
            SimError::Io { .. } | SimError::Client(_) => mcp_ops_core::Error::Backend {
                backend: "kubernetes-sim",
                message: e.to_string(),
                retryable: false,
                source: Some(Box::new(e)),
            },
        }
    }
}

/// A simulated API server's answer as the SDK's semantic error, as `mcp-ops-k8s` maps a
/// real API server's `Status` (404 → `NotFound`, 409 → `Conflict`, 400/422 →
/// `InvalidInput`, 403 → `Forbidden`, 429/5xx → `Unavailable`).
impl From<super::status::ApiError> for mcp_ops_core::Error {
    fn from(e: super::status::ApiError) -> Self {
        use mcp_ops_core::Error as E;
        let text = format!("{} ({}): {}", e.code, e.reason, e.message);
        match e.code {
            404 => E::not_found("object", e.message),
            409 => E::conflict("object", e.message),
            400 | 422 => E::invalid("object", text),
            403 => E::forbidden("kubernetes-sim", None, e.message),
            429 | 500..=599 => E::unavailable("kubernetes-sim", text),
            _ => E::backend("kubernetes-sim", text, false),
        }
    }
}

/// A protobuf body the simulator cannot decode: `InvalidInput` naming `body`.
impl From<super::http::protobuf::ProtobufError> for mcp_ops_core::Error {
    fn from(e: super::http::protobuf::ProtobufError) -> Self {
        mcp_ops_core::Error::invalid("body", e.to_string())
    }
}

/// A protobuf body the simulator cannot decode: `InvalidInput` naming `body`.
impl From<super::http::protobuf::BodyError> for mcp_ops_core::Error {
    fn from(e: super::http::protobuf::BodyError) -> Self {
        mcp_ops_core::Error::invalid("body", e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn converts_into_core_errors_keeping_the_source() {
        let core: mcp_ops_core::Error = SimError::Manifest("line 3: bad indent".into()).into();
        assert!(matches!(
            core,
            mcp_ops_core::Error::InvalidInput {
                field: "scenario",
                ..
            }
        ));
        let core: mcp_ops_core::Error = SimError::Client("no TLS".into()).into();
        let source = std::error::Error::source(&core).and_then(|s| s.downcast_ref::<SimError>());
        assert!(matches!(source, Some(SimError::Client(_))), "{core:?}");
    }

    #[test]
    fn api_errors_become_semantic_core_errors() {
        let answer = |code| super::super::status::ApiError {
            code,
            reason: "Reason",
            message: "deployments.apps \"web\" says no".into(),
            details: serde_json::Value::Null,
            empty_details: false,
        };
        let kind = |code| mcp_ops_core::Error::from(answer(code)).kind();
        assert_eq!(kind(404), "not_found");
        assert_eq!(kind(409), "conflict");
        assert_eq!(kind(422), "invalid_input");
        assert_eq!(kind(403), "forbidden");
        assert_eq!(kind(503), "unavailable");
    }
}
