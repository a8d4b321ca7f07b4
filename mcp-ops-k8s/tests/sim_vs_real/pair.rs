//! The two clusters under comparison: a SimCluster of `Scenario::mcp_production()` and a
//! namespace of the real control plane holding the same objects with the same history
//! (`deploy/fixtures/mcp-production.yaml`, released at v0.9.0 and set to v0.9.5 and v1.0.0 with
//! the scenario's change-causes, so both have revisions 1-3).

use std::path::Path;
use std::time::Duration;

use mcp_ops_k8s::sim::{ImageFailure, Scenario, SimCluster};
use mcp_ops_k8s::testing::ControlPlane;
use mcp_ops_k8s::{KubeCluster, KubeConfig};
use serde_json::{Value, json};

use super::common::{Kubectl, Run};
use super::normalise::Norm;

/// The simulator's namespace.
pub const SIM_NS: &str = "mcp-production";
const FIXTURE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/deploy/fixtures/mcp-production.yaml"
);
const APPS: [(&str, &str); 3] = [
    (
        "mcp-typescript-api",
        "ghcr.io/your-org/mcp-typescript-server",
    ),
    (
        "mcp-learning-system",
        "ghcr.io/your-org/mcp-learning-system",
    ),
    ("mcp-rust-server", "ghcr.io/your-org/mcp-rust-server"),
];

/// One side of the comparison.
pub struct Side {
    /// kubectl (the control plane's release) bound to this side's cluster.
    pub kubectl: Kubectl,
    /// The runbook namespace on this side.
    pub ns: String,
    /// A client as the admin.
    pub client: kube::Client,
    /// The mcp-ops backend, default namespace `ns`.
    pub cluster: KubeCluster,
}

impl Side {
    /// Runs kubectl; `{ns}` in an argument is this side's namespace.
    pub async fn run(&self, args: &[&str]) -> Run {
        let args: Vec<String> = args.iter().map(|a| a.replace("{ns}", &self.ns)).collect();
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        self.kubectl.run(&refs).await
    }

    /// Runs kubectl in the namespace.
    pub async fn ns(&self, args: &[&str]) -> Run {
        let mut a = vec!["-n", "{ns}"];
        a.extend_from_slice(args);
        self.run(&a).await
    }

    /// `kubectl get … -o json` parsed.
    pub async fn json(&self, args: &[&str]) -> Value {
        let mut a = vec!["get"];
        a.extend_from_slice(args);
        a.extend_from_slice(&["-o", "json"]);
        let r = self.ns(&a).await.ok();
        serde_json::from_str(&r.stdout).unwrap()
    }

    /// The normaliser of this side's output (namespace, hashes and generated names).
    pub async fn norm(&self) -> Norm {
        let rs = self.json(&["replicasets"]).await;
        let generated = self.json(&["pods,endpointslices"]).await;
        Norm::new(&self.ns, &rs, &generated)
    }
}

/// A SimCluster and a real namespace with the same objects. The real namespace is deleted when
/// the pair is dropped, pass or fail, and at most [`SLOTS`] exist at once: each holds the
/// fixture's 3 CPUs of requests, which nodes of the runbook's size (3.92 CPUs; a control plane
/// started with the launcher's defaults) fit only twice.
pub struct Pair {
    /// The simulator (kept running while the pair lives).
    pub cluster: SimCluster,
    /// The simulator's side.
    pub sim: Side,
    /// The control plane's side.
    pub real: Side,
    kubeconfig: std::path::PathBuf,
    _slot: tokio::sync::SemaphorePermit<'static>,
}

/// How many real namespaces of this suite exist at once.
const SLOTS: usize = 2;
static SLOT: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(SLOTS);

impl Pair {
    /// A fresh SimCluster and a fresh real namespace named `PREFIX-…`.
    pub async fn new(prefix: &str) -> Self {
        let slot = SLOT.acquire().await.unwrap();
        let cp = ControlPlane::shared().await.unwrap();
        let ns = real_namespace(cp, prefix).await;
        // As on the control plane (kwok's stages), images containing "broken" crash-loop.
        let cluster = SimCluster::start(
            Scenario::mcp_production().fail_image("broken", ImageFailure::CrashLoop),
        )
        .await
        .unwrap();
        let sim_backend = KubeConfig::new()
            .with_namespace(SIM_NS)
            .build_from(kube::Config::new(cluster.url().parse().unwrap()))
            .unwrap();
        // The scenario's Ingress has a cloud load balancer's address; the fixture's none (no
        // ingress controller runs on the control plane).
        let kubectl = Kubectl::new(&cluster);
        kubectl
            .run(&[
                "-n",
                SIM_NS,
                "patch",
                "ingress",
                "mcp-ingress",
                "--subresource=status",
                "--type=merge",
                "-p",
                r#"{"status":{"loadBalancer":{"ingress":null}}}"#,
            ])
            .await
            .ok();
        let sim = Side {
            kubectl,
            ns: SIM_NS.to_string(),
            client: cluster.client().unwrap(),
            cluster: sim_backend,
        };
        let real = Side {
            kubectl: Kubectl::with_kubeconfig(cp.kubeconfig_path()),
            client: cp.client().await.unwrap(),
            cluster: cp.cluster(&ns).await.unwrap(),
            ns,
        };
        Self {
            cluster,
            sim,
            real,
            kubeconfig: cp.kubeconfig_path().to_path_buf(),
            _slot: slot,
        }
    }

    /// The same kubectl command on both sides, in their namespaces.
    pub async fn both(&self, args: &[&str]) -> (Run, Run) {
        tokio::join!(self.sim.ns(args), self.real.ns(args))
    }

    /// The same kubectl command on both sides, without `-n` (`{ns}` still replaced).
    pub async fn both_raw(&self, args: &[&str]) -> (Run, Run) {
        tokio::join!(self.sim.run(args), self.real.run(args))
    }

    /// `kubectl get ARGS -o json` on both sides, parsed.
    pub async fn json(&self, args: &[&str]) -> (Value, Value) {
        tokio::join!(self.sim.json(args), self.real.json(args))
    }

    /// Both sides' normalisers.
    pub async fn norms(&self) -> (Norm, Norm) {
        tokio::join!(self.sim.norm(), self.real.norm())
    }
}

impl Drop for Pair {
    /// Deletes the real namespace and waits (at most a minute) until it is gone, so its pods
    /// no longer hold room on the nodes when the next pair takes the slot.
    fn drop(&mut self) {
        let _ = std::process::Command::new(super::common::kubectl_binary())
            .arg(format!("--kubeconfig={}", self.kubeconfig.display()))
            .args([
                "delete",
                "namespace",
                &self.real.ns,
                "--wait=true",
                "--timeout=60s",
            ])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .status();
    }
}

/// The fixture's objects moved into `ns`, released at v0.9.0 as the scenario does.
fn fixture_list(ns: &str) -> Value {
    let text = std::fs::read_to_string(Path::new(FIXTURE)).unwrap();
    let docs: Vec<Value> = serde_saphyr::from_multiple(&text).unwrap();
    let mut items = Vec::new();
    for mut doc in docs.into_iter().filter(|d| d.is_object()) {
        if doc["kind"] == "Namespace" {
            continue;
        }
        doc["metadata"]["namespace"] = json!(ns);
        if doc["kind"] == "Deployment" {
            let name = doc["metadata"]["name"].as_str().unwrap().to_string();
            let repo = APPS.iter().find(|(n, _)| *n == name).unwrap().1;
            doc["spec"]["template"]["spec"]["containers"][0]["image"] =
                json!(format!("{repo}:v0.9.0"));
            doc["metadata"]["annotations"]["kubernetes.io/change-cause"] =
                json!(format!("initial release {repo}:v0.9.0"));
        }
        items.push(doc);
    }
    json!({"apiVersion": "v1", "kind": "List", "items": items})
}

/// Creates the runbook namespace on the control plane: the fixture at v0.9.0, then two
/// image changes with the scenario's change-causes, each rolled out; returns when the 10 pods
/// of the final revision are Ready and no other pod is left.
pub async fn real_namespace(cp: &ControlPlane, prefix: &str) -> String {
    let ns = cp.namespace(prefix).await.unwrap();
    cp.kubectl_stdin(
        &["create", "-f", "-"],
        fixture_list(&ns).to_string().into_bytes(),
    )
    .await
    .unwrap();
    rollout(cp, &ns).await;
    for v in ["v0.9.5", "v1.0.0"] {
        for (name, repo) in APPS {
            let patch = json!({
                "metadata": {"annotations": {"kubernetes.io/change-cause":
                    format!("kubectl set image deployment/{name} {name}={repo}:{v}")}},
                "spec": {"template": {"spec": {"containers": [{"name": name, "image": format!("{repo}:{v}")}]}}},
            });
            cp.kubectl(&[
                "patch",
                "deployment",
                name,
                "-n",
                &ns,
                "-p",
                &patch.to_string(),
            ])
            .await
            .unwrap();
        }
        rollout(cp, &ns).await;
    }
    settle_pods(cp, &ns, 10).await;
    ns
}

async fn rollout(cp: &ControlPlane, ns: &str) {
    cp.kubectl(&[
        "rollout",
        "status",
        "deployment",
        "-n",
        ns,
        "--timeout=120s",
    ])
    .await
    .unwrap();
    cp.kubectl(&[
        "rollout",
        "status",
        "statefulset",
        "-n",
        ns,
        "--timeout=120s",
    ])
    .await
    .unwrap();
}

/// Waits until `ns` has exactly `count` pods, all Running and Ready.
pub async fn settle_pods(cp: &ControlPlane, ns: &str, count: usize) {
    let mut last = String::new();
    for _ in 0..600 {
        let out = cp
            .kubectl(&["get", "pods", "-n", ns, "-o", "json"])
            .await
            .unwrap();
        let pods: Value = serde_json::from_str(&out).unwrap();
        let items = pods["items"].as_array().cloned().unwrap_or_default();
        let ready = items.iter().all(|p| {
            p["metadata"]["deletionTimestamp"].is_null()
                && p["status"]["conditions"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .any(|c| c["type"] == "Ready" && c["status"] == "True")
        });
        if items.len() == count && ready {
            return;
        }
        last = format!("{} pods, all ready: {ready}", items.len());
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the pods of {ns} did not settle: {last}");
}
