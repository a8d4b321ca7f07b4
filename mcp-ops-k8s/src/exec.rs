//! Running a command in a pod (websocket `exec`, as `kubectl exec` does) and reading pod
//! logs — what the database crate needs to run `pg_dump` inside the database pod.
//!
//! The output is collected in memory; `stdout` is bytes (a dump is binary with `-Fc`),
//! `stderr` text. A command that exits non-zero is an `Ok` with its exit status, so the
//! caller decides; a pod or container that does not exist is `NotFound`; a server that does
//! not offer exec (the simulated cluster, for one) is `Unsupported`.

use k8s_openapi::api::core::v1::Pod;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Status as MetaStatus;
use kube::api::{Api, AttachParams, LogParams};
use mcp_ops_core::types::{Namespace, ResourceName};
use mcp_ops_core::{Error, Permission, Result};
use tokio::io::AsyncReadExt;

use crate::cluster::KubeCluster;
use crate::error::{BACKEND, Failure};
use crate::retry::OnConflict;

/// What a command printed and how it ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExecOutput {
    /// Standard output.
    pub stdout: Vec<u8>,
    /// Standard error (lossy UTF-8).
    pub stderr: String,
    /// The exit code: 0 on success, the command's code otherwise, `None` when unknown.
    pub exit_code: Option<i32>,
}

fn exit_code(status: Option<&MetaStatus>) -> Option<i32> {
    let s = status?;
    if s.status.as_deref() == Some("Success") {
        return Some(0);
    }
    s.details
        .as_ref()?
        .causes
        .iter()
        .flatten()
        .find(|c| c.reason.as_deref() == Some("ExitCode"))
        .and_then(|c| c.message.as_deref()?.parse().ok())
}

fn unsupported() -> Error {
    Error::Unsupported {
        operation: "exec into a pod",
        backend: BACKEND,
    }
}

/// Names the permission of the API server's second check of a websocket exec: the upgrade is
/// a GET, authorized as `get pods/exec` like any request, and then also needs `create` on
/// `pods/exec` (`AuthorizePodWebsocketUpgradeCreatePermission`, beta and on since Kubernetes 1.35);
/// that check answers `pods "NAME" is forbidden: ` with the authorizer's reason, empty for
/// RBAC, and so names no permission itself. Any other error is returned as it is.
fn upgrade_denial(e: Error, ns: &str) -> Error {
    match e {
        Error::Forbidden {
            backend,
            permission: None,
            reason,
        } if reason.trim_end().ends_with("is forbidden:") => Error::forbidden(
            backend,
            Some(Permission::new("create", "pods/exec").in_namespace(ns)),
            format!("{reason}(create pods/exec, asked of every websocket exec)"),
        ),
        other => other,
    }
}

impl KubeCluster {
    /// Runs `command` in `container` (the pod's only container when `None`) of a pod.
    ///
    /// # Errors
    /// [`Error::NotFound`] for an unknown pod; [`Error::Forbidden`] naming `get` or `create`
    /// on `pods/exec` when the account may not exec; [`Error::Unsupported`] when the server
    /// does not upgrade the connection; [`Error::Backend`] when the stream breaks.
    pub async fn exec(
        &self,
        namespace: &Namespace,
        pod: &ResourceName,
        container: Option<&str>,
        command: &[&str],
    ) -> Result<ExecOutput> {
        let ns = namespace.as_str();
        // Resolve NotFound the ordinary way before upgrading.
        let _: Pod = self.get("pod", ns, pod.as_str()).await?;
        let api: Api<Pod> = self.namespaced(ns);
        let mut ap = AttachParams::default()
            .stdin(false)
            .stdout(true)
            .stderr(true);
        if let Some(c) = container {
            ap = ap.container(c);
        }
        let cmd: Vec<String> = command.iter().map(|s| (*s).to_owned()).collect();
        let label = format!("{ns}/{pod}");
        // The pod exists (checked above): a 404/405 here means the server offers no exec.
        let mut proc = api
            .exec(pod.as_str(), cmd, &ap)
            .await
            .map_err(|e| match e {
                kube::Error::UpgradeConnection(_) => unsupported(),
                kube::Error::Api(s) if s.code == 404 || s.code == 405 => unsupported(),
                other => upgrade_denial(Failure::from(other).into_core("pod", &label), ns),
            })?;
        let mut stdout = Vec::new();
        let mut stderr = Vec::new();
        let status = proc.take_status();
        let (out, err) = (proc.stdout(), proc.stderr());
        let read_out = async {
            if let Some(mut o) = out {
                o.read_to_end(&mut stdout).await?;
            }
            Ok::<_, std::io::Error>(())
        };
        let read_err = async {
            if let Some(mut e) = err {
                e.read_to_end(&mut stderr).await?;
            }
            Ok::<_, std::io::Error>(())
        };
        tokio::try_join!(read_out, read_err)
            .map_err(|e| Error::backend(BACKEND, format!("reading exec output: {e}"), true))?;
        let status = match status {
            Some(s) => s.await,
            None => None,
        };
        proc.join()
            .await
            .map_err(|e| Error::backend(BACKEND, format!("exec stream: {e}"), true))?;
        Ok(ExecOutput {
            stdout,
            stderr: String::from_utf8_lossy(&stderr).into_owned(),
            exit_code: exit_code(status.as_ref()),
        })
    }

    /// The last `tail` lines of a container's log (all of it when `None`).
    ///
    /// # Errors
    /// [`Error::NotFound`] for an unknown pod.
    pub async fn logs(
        &self,
        namespace: &Namespace,
        pod: &ResourceName,
        container: Option<&str>,
        tail: Option<i64>,
    ) -> Result<String> {
        let api: Api<Pod> = self.namespaced(namespace.as_str());
        let lp = LogParams {
            container: container.map(str::to_owned),
            tail_lines: tail,
            ..LogParams::default()
        };
        let label = format!("{namespace}/{pod}");
        self.call("pod", &label, OnConflict::Fail, || {
            api.logs(pod.as_str(), &lp)
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn the_websocket_create_check_is_named() {
        let bare = Error::forbidden(BACKEND, None, r#"pods "p" is forbidden: "#);
        let e = upgrade_denial(bare, "n");
        let p = e.permission().unwrap();
        assert!(p.is("", "pods/exec", "create"), "{p}");
        assert_eq!(p.namespace.as_deref(), Some("n"));
        let quota = Error::forbidden(BACKEND, None, "pods \"p\" is forbidden: exceeded quota");
        assert!(upgrade_denial(quota, "n").permission().is_none());
        let other = upgrade_denial(Error::not_found("pod", "n/p"), "n");
        assert_eq!(other.kind(), "not_found");
    }

    #[test]
    fn exit_codes_from_the_status_channel() {
        let ok: MetaStatus =
            serde_json::from_value(serde_json::json!({"status": "Success"})).unwrap();
        assert_eq!(exit_code(Some(&ok)), Some(0));
        let failed: MetaStatus = serde_json::from_value(serde_json::json!({"status": "Failure",
            "reason": "NonZeroExitCode", "details": {"causes": [{"reason": "ExitCode", "message": "2"}]}})).unwrap();
        assert_eq!(exit_code(Some(&failed)), Some(2));
        assert_eq!(exit_code(None), None);
    }
}
