//! One namespace of the control plane set up for a run of every operation: the fixture plus
//! what the operations need beyond it, a finished backup Job, the RBAC manifest (maybe with
//! one rule left out) bound to its own ServiceAccount, and the backend built as that account.

use std::time::Duration;

use mcp_ops_k8s::testing::{ControlPlane, ControlPlaneError};
use mcp_ops_k8s::{KubeCluster, KubeConfig};
use serde_json::{Value, json};

use super::rules::{ACCOUNT, Rule, cluster_objects, manifest, rules};

const FIXTURE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/deploy/fixtures/mcp-production.yaml"
);

/// Beyond the fixture: a Deployment no HPA owns (scaling, resources) and a blue/green pair
/// behind one Service (the traffic switch), in the fixture's namespace.
const EXTRAS: &str = r"
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: worker, namespace: mcp-production, labels: {app: worker}}
spec:
  replicas: 1
  selector: {matchLabels: {app: worker}}
  template:
    metadata: {labels: {app: worker}}
    spec:
      containers:
        - name: worker
          image: registry.local/worker:v1
          resources: {limits: {cpu: 500m, memory: 256Mi}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: shop-green, namespace: mcp-production}
spec:
  replicas: 1
  selector: {matchLabels: {app: shop, color: green}}
  template:
    metadata: {labels: {app: shop, color: green}}
    spec: {containers: [{name: shop, image: 'registry.local/shop:green'}]}
---
apiVersion: v1
kind: Service
metadata: {name: shop, namespace: mcp-production}
spec:
  selector: {app: shop, color: blue}
  ports: [{port: 80, targetPort: 8080}]
";

/// The finished backup Job every namespace starts with.
pub const SEED_JOB: &str = "seed-backup";

/// A namespace ready for the operations, and the backend acting as its ServiceAccount.
pub struct Sandbox {
    /// The namespace.
    pub ns: String,
    /// The backend, authenticated as `mcp-ops` of the namespace with the manifest's rules.
    pub cluster: KubeCluster,
    /// Where configuration backups of this run go (and the kubeconfig lives).
    pub dir: tempfile::TempDir,
    cluster_objects: Vec<String>,
}

/// CPU and memory every container requests here. The fixture asks about 3 CPUs a namespace,
/// and many variants run at once on a control plane other tests share, whose nodes may be the
/// runbook's 4-CPU size: small requests keep every pod schedulable.
pub const REQUESTS: (&str, &str) = ("10m", "16Mi");

/// Gives every container of a pod template in `doc` the small [`REQUESTS`] (limits kept).
fn small_requests(doc: &mut Value) {
    let spec = match doc["kind"].as_str() {
        Some("CronJob") => &mut doc["spec"]["jobTemplate"]["spec"]["template"]["spec"],
        Some("Deployment" | "StatefulSet") => &mut doc["spec"]["template"]["spec"],
        _ => return,
    };
    for c in spec["containers"].as_array_mut().into_iter().flatten() {
        c["resources"]["requests"] = json!({"cpu": REQUESTS.0, "memory": REQUESTS.1});
    }
}

/// The fixture and [`EXTRAS`] with small requests, as one manifest (made once per process).
fn fixture_text() -> &'static str {
    static TEXT: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    TEXT.get_or_init(|| {
        let text = std::fs::read_to_string(FIXTURE).expect("the fixture is readable");
        let docs: Vec<Value> = serde_saphyr::from_str_multiple(&format!("{text}\n{EXTRAS}"))
            .expect("the fixture is YAML");
        let mut out = String::new();
        for mut doc in docs.into_iter().filter(|d| !d.is_null()) {
            small_requests(&mut doc);
            out.push_str("---\n");
            out.push_str(&doc.to_string());
            out.push('\n');
        }
        out
    })
}

/// `kubectl auth can-i` arguments for one rule of each role that `omit` leaves in place, so
/// the wait covers both bindings.
fn probes(all: &[Rule], omit: Option<&Rule>) -> Vec<Vec<String>> {
    let mut roles: Vec<&str> = all.iter().map(|r| r.role.as_str()).collect();
    roles.dedup();
    roles
        .into_iter()
        .filter_map(|role| {
            all.iter().find(|r| {
                r.role == role
                    && Some(*r) != omit
                    && !r.resource.contains('/')
                    && ["", "apps", "batch"].contains(&r.group.as_str())
            })
        })
        .map(|r| {
            let resource = if r.group.is_empty() {
                r.resource.clone()
            } else {
                format!("{}.{}", r.resource, r.group)
            };
            vec![r.verb.clone(), resource]
        })
        .collect()
}

impl Sandbox {
    /// Sets up a namespace named after `prefix` with the manifest `docs` less `omit`; what
    /// was made is removed again when a step fails.
    pub async fn new(
        cp: &ControlPlane,
        docs: &[Value],
        prefix: &str,
        omit: Option<&Rule>,
    ) -> Result<Self, ControlPlaneError> {
        let ns = cp.namespace(prefix).await?;
        let cluster_objects = cluster_objects(docs, &ns);
        match prepare(cp, docs, &ns, omit).await {
            Ok((cluster, dir)) => Ok(Self {
                ns,
                cluster,
                dir,
                cluster_objects,
            }),
            Err(e) => {
                remove(cp, &ns, &cluster_objects).await;
                Err(e)
            }
        }
    }

    /// Deletes the namespace and the cluster-scoped copies of the roles (without waiting).
    pub async fn remove(self, cp: &ControlPlane) {
        remove(cp, &self.ns, &self.cluster_objects).await;
    }
}

async fn prepare(
    cp: &ControlPlane,
    docs: &[Value],
    ns: &str,
    omit: Option<&Rule>,
) -> Result<(KubeCluster, tempfile::TempDir), ControlPlaneError> {
    let dir = tempfile::tempdir()?;
    let fixture = dir.path().join("fixture.yaml");
    std::fs::write(&fixture, fixture_text())?;
    cp.apply_fixture(&fixture, ns).await?;
    cp.kubectl(&[
        "create",
        "job",
        SEED_JOB,
        "--from=cronjob/postgres-backup",
        "-n",
        ns,
    ])
    .await?;
    let list = manifest(docs, ns, omit).to_string().into_bytes();
    cp.kubectl_stdin(&["apply", "-f", "-"], list).await?;
    let who = format!("--as=system:serviceaccount:{ns}:{ACCOUNT}");
    for probe in probes(&rules(docs), omit) {
        let mut args: Vec<&str> = vec!["auth", "can-i"];
        args.extend(probe.iter().map(String::as_str));
        args.extend(["-n", ns, &who]);
        wait_ok(cp, &args).await?;
    }
    cp.kubectl(&[
        "wait",
        "--for=condition=complete",
        &format!("job/{SEED_JOB}"),
        "-n",
        ns,
        "--timeout=180s",
    ])
    .await?;
    let kubeconfig = dir.path().join("kubeconfig");
    cp.service_account_kubeconfig(ns, ACCOUNT, &kubeconfig)
        .await?;
    let cluster = KubeConfig::new()
        .with_kubeconfig_path(&kubeconfig)
        .with_namespace(ns)
        .build()
        .await
        .map_err(|e| ControlPlaneError::Client(e.to_string()))?;
    Ok((cluster, dir))
}

async fn remove(cp: &ControlPlane, ns: &str, cluster_objects: &[String]) {
    let mut args = vec!["delete", "--ignore-not-found", "--wait=false"];
    args.extend(cluster_objects.iter().map(String::as_str));
    let _ = cp.kubectl(&args).await;
    let _ = cp
        .kubectl(&["delete", "namespace", ns, "--wait=false"])
        .await;
}

/// Runs kubectl until it succeeds (RBAC reaches the authorizer's cache a moment after it is
/// written), for at most 30 s.
async fn wait_ok(cp: &ControlPlane, args: &[&str]) -> Result<(), ControlPlaneError> {
    let mut last = None;
    for _ in 0..150 {
        match cp.kubectl(args).await {
            Ok(_) => return Ok(()),
            Err(e) => last = Some(e),
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    Err(last.unwrap_or(ControlPlaneError::Client("never tried".into())))
}
