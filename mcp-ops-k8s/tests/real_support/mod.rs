//! Shared helpers of the tests that run the backends on a real control plane
//! (`real_contracts.rs`, `real_rollout.rs`): the fixture, small deployments of our own,
//! kubectl runs that may fail, and snapshots of a Deployment and its ReplicaSets.
#![allow(clippy::unwrap_used, clippy::expect_used, dead_code)]

use std::ops::Deref;
use std::path::{Path, PathBuf};

use k8s_openapi::api::apps::v1::Deployment;
use kube::api::{Api, PostParams};
use mcp_ops_core::types::{ContainerName, DeploymentRef, ImageRef, Intent};
use mcp_ops_k8s::testing::ControlPlane;
use serde_json::{Value, json};

/// The runbook's namespace as manifests.
pub const FIXTURE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/deploy/fixtures/mcp-production.yaml"
);

/// The control plane of this test process (or the one `MCP_OPS_CONTROL_PLANE_KUBECONFIG` names).
pub async fn shared() -> &'static ControlPlane {
    ControlPlane::shared().await.unwrap()
}

/// A namespace of one test, deleted (without waiting) when the test ends, pass or fail: the
/// fake nodes have room for a few fixtures only (each asks for 2.5 CPUs), and one control
/// plane may serve a whole test run.
pub struct Ns {
    name: String,
    kubectl: PathBuf,
    kubeconfig: PathBuf,
}

impl Ns {
    /// A fresh namespace `PREFIX-…`.
    pub async fn new(cp: &ControlPlane, prefix: &str) -> Self {
        Self {
            name: cp.namespace(prefix).await.unwrap(),
            kubectl: cp.kubectl_path(),
            kubeconfig: cp.kubeconfig_path().to_path_buf(),
        }
    }
}

impl Deref for Ns {
    type Target = str;
    fn deref(&self) -> &str {
        &self.name
    }
}

impl std::fmt::Display for Ns {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.name)
    }
}

impl Drop for Ns {
    fn drop(&mut self) {
        let _ = std::process::Command::new(&self.kubectl)
            .arg(format!("--kubeconfig={}", self.kubeconfig.display()))
            .args(["delete", "namespace", &self.name, "--wait=false"])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .status();
    }
}

/// A fresh namespace holding the runbook's whole fixture, its pods Ready.
pub async fn fixture_namespace(cp: &ControlPlane, prefix: &str) -> Ns {
    let ns = Ns::new(cp, prefix).await;
    cp.apply_fixture(Path::new(FIXTURE), &ns).await.unwrap();
    ns
}

/// A fresh namespace holding the fixture's documents of the given `(kind, name)`s only,
/// its Deployments rolled out.
pub async fn fixture_subset(cp: &ControlPlane, prefix: &str, wanted: &[(&str, &str)]) -> Ns {
    let ns = Ns::new(cp, prefix).await;
    let text = std::fs::read_to_string(FIXTURE).unwrap();
    let mut docs = Vec::new();
    for doc in text.split("\n---") {
        let field = |key: &str| {
            doc.lines()
                .find_map(|l| l.strip_prefix(key))
                .map(|v| v.trim().to_owned())
        };
        let kind = field("kind: ");
        let name = doc
            .lines()
            .skip_while(|l| !l.starts_with("metadata:"))
            .find_map(|l| l.strip_prefix("  name: "))
            .map(|v| v.trim().to_owned());
        if let (Some(kind), Some(name)) = (kind, name)
            && wanted.iter().any(|(k, n)| *k == kind && *n == name)
        {
            docs.push(doc.replace("namespace: mcp-production", &format!("namespace: {ns}")));
        }
    }
    assert_eq!(docs.len(), wanted.len(), "fixture documents {wanted:?}");
    cp.kubectl_stdin(&["apply", "-f", "-"], docs.join("\n---\n").into_bytes())
        .await
        .unwrap();
    for (kind, name) in wanted {
        if *kind == "Deployment" {
            rollout(cp, &ns, name).await;
        }
    }
    ns
}

/// Waits until Deployment `name` of `ns` is rolled out.
pub async fn rollout(cp: &ControlPlane, ns: &str, name: &str) {
    cp.kubectl(&[
        "rollout",
        "status",
        &format!("deployment/{name}"),
        "-n",
        ns,
        "--timeout=180s",
    ])
    .await
    .unwrap();
}

/// A Deployment `name` of one container `name` running `image`.
pub fn deployment(name: &str, image: &str, replicas: i32) -> Value {
    json!({
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "labels": {"app": name}},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {"containers": [{"name": name, "image": image,
                    "ports": [{"containerPort": 8080, "name": "http"}]}]}
            }
        }
    })
}

/// Creates `d` in `ns` and waits until it is rolled out.
pub async fn create(cp: &ControlPlane, ns: &str, d: Value) {
    let name = d["metadata"]["name"].as_str().unwrap().to_owned();
    create_only(cp, ns, d).await;
    rollout(cp, ns, &name).await;
}

/// Creates `d` in `ns` without waiting.
pub async fn create_only(cp: &ControlPlane, ns: &str, d: Value) {
    let obj: Deployment = serde_json::from_value(d).unwrap();
    Api::<Deployment>::namespaced(cp.client().await.unwrap(), ns)
        .create(&PostParams::default(), &obj)
        .await
        .unwrap();
}

/// `ns/name`.
pub fn target(ns: &str, name: &str) -> DeploymentRef {
    DeploymentRef::new(ns, name).unwrap()
}

/// A container name.
pub fn container(name: &str) -> ContainerName {
    ContainerName::new(name).unwrap()
}

/// An image reference.
pub fn image(s: &str) -> ImageRef {
    ImageRef::parse(s).unwrap()
}

/// An intent with `reason`.
pub fn intent(reason: &str) -> Intent {
    Intent::new(reason, "real-control-plane-test").unwrap()
}

/// Runs kubectl and returns (success, stdout, stderr) instead of failing on a non-zero exit.
pub async fn kubectl_outcome(cp: &ControlPlane, args: &[&str]) -> (bool, String, String) {
    let out = tokio::process::Command::new(cp.kubectl_path())
        .arg(format!("--kubeconfig={}", cp.kubeconfig_path().display()))
        .args(args)
        .kill_on_drop(true)
        .output()
        .await
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The Deployment `name` of `ns` as JSON.
pub async fn get_json(cp: &ControlPlane, ns: &str, kind: &str, name: &str) -> Value {
    let text = cp
        .kubectl(&["get", kind, name, "-n", ns, "-o", "json"])
        .await
        .unwrap();
    serde_json::from_str(&text).unwrap()
}
