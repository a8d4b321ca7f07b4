//! Errors of the control-plane harness.

use std::path::PathBuf;

/// What can go wrong starting or driving a test control plane.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ControlPlaneError {
    /// The control plane's programs were not found; the message says how to build them.
    #[error(
        "the test control plane is not built ({dir}): run scripts/build-control-plane and set MCP_OPS_CONTROL_PLANE_BIN to the directory it prints (scripts/test does both)"
    )]
    NotBuilt {
        /// Where the programs were looked for.
        dir: String,
    },
    /// The launcher could not be started or talked to.
    #[error("control plane launcher: {0}")]
    Io(#[from] std::io::Error),
    /// The control plane did not come up; the launcher's last output is attached.
    #[error("the control plane did not start: {0}")]
    Startup(String),
    /// A control command (stop/start/restart of the API server) failed.
    #[error("control command '{command}' failed: {reason}")]
    Command {
        /// The command sent to the launcher.
        command: String,
        /// What the launcher answered.
        reason: String,
    },
    /// The operation needs a control plane this process started, not one it attached to.
    #[error("this control plane was attached to, not started here: '{0}' is not possible")]
    NotOwned(&'static str),
    /// kubectl failed.
    #[error("kubectl {args} failed: {stderr}")]
    Kubectl {
        /// The arguments, without the kubeconfig.
        args: String,
        /// kubectl's standard error.
        stderr: String,
    },
    /// A manifest could not be read or rewritten.
    #[error("manifest {path}: {reason}")]
    Manifest {
        /// The manifest file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// The Kubernetes client could not be built from the control plane's kubeconfig.
    #[error("kubernetes client: {0}")]
    Client(String),
}

/// `?` converts harness errors into [`mcp_ops_core::Error`]: `Backend` of `control-plane`
/// with the [`ControlPlaneError`] kept as its source.
impl From<ControlPlaneError> for mcp_ops_core::Error {
    fn from(e: ControlPlaneError) -> Self {
        mcp_ops_core::Error::Backend {
            backend: "control-plane",
            message: e.to_string(),
            retryable: false,
            source: Some(Box::new(e)),
        }
    }
}
