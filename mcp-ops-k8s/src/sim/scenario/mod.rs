//! Scenarios: what a [`SimCluster`](super::SimCluster) starts with, and how it behaves.

mod mcp_production;
mod objects;

pub use objects::{cronjob, deployment, hpa, namespace, node, service, statefulset};

use super::controllers::{ControllerConfig, ImageFailure, ImageRule};
use super::error::SimError;
use serde_json::Value;
use std::time::Duration;

/// The Kubernetes version `/version` reports by default, as `(minor, patch)` of `v1.MINOR.PATCH`:
/// the release of the test control plane (the repository's `tests/control-plane`) the simulator is measured
/// against, and of the kubectl the tests run.
pub const SERVER_VERSION: (u32, u32) = (36, 3);

/// One step of building the initial state.
#[derive(Debug, Clone)]
pub(crate) enum Step {
    /// Create an object (kind/apiVersion pick the resource).
    Create(Value),
    /// Set a deployment's container image (and change-cause), like `kubectl set image`.
    SetImage {
        namespace: String,
        deployment: String,
        container: String,
        image: String,
        cause: String,
    },
}

/// The initial objects and behaviour of a simulated cluster.
#[derive(Debug, Clone)]
pub struct Scenario {
    pub(crate) steps: Vec<Step>,
    pub(crate) version: (u32, u32),
    pub(crate) token: Option<String>,
    pub(crate) controllers: ControllerConfig,
    pub(crate) background: bool,
    pub(crate) bookmark_interval: Duration,
    pub(crate) watch_cache: usize,
    pub(crate) port: u16,
}

impl Default for Scenario {
    fn default() -> Self {
        Self::empty()
    }
}

impl Scenario {
    /// Namespaces `default` and `kube-system`, one node, nothing else. Reports Kubernetes
    /// [`SERVER_VERSION`] (the test control plane's release).
    ///
    /// ```
    /// # #[tokio::main]
    /// # async fn main() -> mcp_ops_core::Result<()> {
    /// use mcp_ops_k8s::sim::{Scenario, SimCluster};
    ///
    /// let sim = SimCluster::start(Scenario::empty().with_object(serde_json::json!({
    ///     "apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop"}
    /// })))
    /// .await?;
    /// assert!(sim.get("v1", "Namespace", "", "shop").is_some());
    /// assert_eq!(sim.list("v1", "Node", None).len(), 1);
    /// # Ok(()) }
    /// ```
    pub fn empty() -> Self {
        Self {
            steps: vec![
                Step::Create(namespace("default")),
                Step::Create(namespace("kube-system")),
                Step::Create(node("sim-node-1", "10.0.0.11")),
            ],
            version: SERVER_VERSION,
            token: None,
            controllers: ControllerConfig::default(),
            background: true,
            bookmark_interval: Duration::from_secs(5),
            watch_cache: super::store::DEFAULT_WATCH_CACHE,
            port: 0,
        }
    }

    /// `deployments` deployments of `pods` replicas each in namespace `bench`, over 5 nodes
    /// (for benchmarks).
    pub fn scaled(deployments: usize, pods: i64) -> Self {
        // Five nodes with room for every pod (each asks for 250m CPU and 256Mi).
        let per_node = (i64::try_from(deployments).unwrap_or(i64::MAX / 2) * pods.max(1)) / 5 + 1;
        let mut s = Self::empty().with_object(namespace("bench"));
        s.steps
            .retain(|st| !matches!(st, Step::Create(v) if v["kind"] == "Node"));
        for i in 1..=5 {
            let mut n = node(&format!("sim-node-{i}"), &format!("10.0.0.{}", 10 + i));
            n["status"]["allocatable"] = serde_json::json!({
                "cpu": format!("{}m", per_node * 250 + 1000),
                "memory": format!("{}Mi", per_node * 256 + 1024),
                "pods": (per_node + 10).to_string(),
                "ephemeral-storage": "94477Mi",
            });
            n["status"]["capacity"] = n["status"]["allocatable"].clone();
            s = s.with_object(n);
        }
        for i in 0..deployments {
            s = s.with_object(deployment(
                "bench",
                &format!("app-{i}"),
                "registry.local/app:v1",
                pods,
                8080,
            ));
        }
        s
    }

    /// Adds an object (any served kind; `apiVersion` and `kind` pick the resource).
    #[must_use]
    pub fn with_object(mut self, obj: Value) -> Self {
        self.steps.push(Step::Create(obj));
        self
    }

    /// Listens on `127.0.0.1:port` instead of a free port the system picks (0).
    #[must_use]
    pub fn port(mut self, port: u16) -> Self {
        self.port = port;
        self
    }

    /// Reports Kubernetes `v1.MINOR.0` in `/version` instead of [`SERVER_VERSION`]. Nothing in
    /// the simulator's behaviour depends on it; clients that pick their behaviour by the
    /// server's version (or kubectl's version-skew warning) see it. A server that reports
    /// 1.27-1.29 gets asked for, and answers, the `v2beta1` form of aggregated discovery.
    #[must_use]
    pub fn server_minor(self, minor: u32) -> Self {
        self.server_version(minor, 0)
    }

    /// Reports Kubernetes `v1.MINOR.PATCH` in `/version` (default [`SERVER_VERSION`]).
    #[must_use]
    pub fn server_version(mut self, minor: u32, patch: u32) -> Self {
        self.version = (minor, patch);
        self
    }

    /// Requires `Authorization: Bearer <token>` on API paths (401 otherwise).
    #[must_use]
    pub fn bearer_token(mut self, token: &str) -> Self {
        self.token = Some(token.to_string());
        self
    }

    /// Simulated time from pod creation to Running/Ready (default zero).
    #[must_use]
    pub fn pod_startup(mut self, d: Duration) -> Self {
        self.controllers.pod_startup = d;
        self
    }

    /// Makes containers whose image contains `image` fail.
    #[must_use]
    pub fn fail_image(mut self, image: &str, failure: ImageFailure) -> Self {
        self.controllers.image_rules.push(ImageRule {
            image: image.to_string(),
            failure,
        });
        self
    }

    /// Controllers run only when [`SimCluster::step`](super::SimCluster::step) is called.
    #[must_use]
    pub fn manual_controllers(mut self) -> Self {
        self.background = false;
        self
    }

    /// Lets HPAs change their target's replicas (off by default so manual scaling sticks).
    #[must_use]
    pub fn hpa_scales(mut self, on: bool) -> Self {
        self.controllers.hpa_scales = on;
        self
    }

    /// Synthetic usage = requests × `factor` (default 0.45).
    #[must_use]
    pub fn load_factor(mut self, factor: f64) -> Self {
        self.controllers.load_factor = factor;
        self
    }

    /// How many changes are kept for watch replay (default 50,000); a watch from an older
    /// resourceVersion gets an ERROR event with `410 Expired`.
    #[must_use]
    pub fn watch_cache(mut self, changes: usize) -> Self {
        self.watch_cache = changes;
        self
    }

    /// Interval between watch bookmarks (default 5 s).
    #[must_use]
    pub fn bookmark_interval(mut self, d: Duration) -> Self {
        self.bookmark_interval = d;
        self
    }
}

/// Parses multi-document YAML (or JSON) manifests; documents of `kind: List` are expanded and
/// empty documents skipped.
pub fn parse_manifests(text: &str) -> Result<Vec<Value>, SimError> {
    let docs: Vec<Value> =
        serde_saphyr::from_multiple(text).map_err(|e| SimError::Manifest(e.to_string()))?;
    let mut out = Vec::new();
    for d in docs {
        if d.is_null() {
            continue;
        }
        if d.get("kind").and_then(Value::as_str) == Some("List") {
            let items = d
                .get("items")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            out.extend(items);
        } else if d.is_object() {
            out.push(d);
        } else {
            return Err(SimError::Manifest(
                "a manifest document is not an object".into(),
            ));
        }
    }
    Ok(out)
}

impl Scenario {
    /// Adds every object of multi-document YAML manifests (as `kubectl apply -f` would create
    /// them; objects without a namespace go to `default`).
    pub fn with_manifests(mut self, yaml: &str) -> Result<Self, SimError> {
        for mut obj in parse_manifests(yaml)? {
            let ns = obj
                .pointer("/metadata/namespace")
                .and_then(Value::as_str)
                .unwrap_or("");
            if ns.is_empty() && obj.get("kind").and_then(Value::as_str) != Some("Namespace") {
                super::json::set(&mut obj, &["metadata", "namespace"], Value::from("default"));
            }
            self.steps.push(Step::Create(obj));
        }
        Ok(self)
    }

    /// An [`empty`](Self::empty) cluster plus the objects of YAML manifests.
    pub fn from_manifests(yaml: &str) -> Result<Self, SimError> {
        Self::empty().with_manifests(yaml)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn parses_multi_document_yaml_and_lists() {
        let y = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\ndata:\n  k: v\n---\n---\napiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Secret\n  metadata: {name: s}\n";
        let objs = parse_manifests(y).unwrap();
        assert_eq!(objs.len(), 2);
        assert_eq!(objs[0]["data"]["k"], "v");
        assert_eq!(objs[1]["kind"], "Secret");
        assert!(parse_manifests("- 1\n").is_err());
        let s = Scenario::from_manifests(y).unwrap();
        assert!(matches!(&s.steps[3], Step::Create(o) if o["metadata"]["namespace"] == "default"));
    }
}
