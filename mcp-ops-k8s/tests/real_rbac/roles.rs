//! The CLI's two roles of `deploy/rbac.yaml`, each as its own ServiceAccount in a namespace
//! holding the fixture: the operations of its commands succeed, and what it must not do is
//! refused by the API server (a typed `Forbidden` from the SDK, or `kubectl auth can-i` no).

use std::path::Path;

use mcp_ops_core::backup::{BackupKind, BackupManager, BackupRequest, RestoreOptions};
use mcp_ops_core::health::{ClusterScope, HealthCheck, HealthTarget};
use mcp_ops_core::secrets::{SecretKeyRef, SecretRotator};
use mcp_ops_core::types::{DeploymentRef, Intent, Namespace, SecretValue};
use mcp_ops_core::{Deployer, Error};
use mcp_ops_k8s::testing::{ControlPlane, ControlPlaneError};
use mcp_ops_k8s::{ConfigBackups, KubeCluster, KubeConfig};
use serde_json::Value;

use super::rules::{cluster_objects, manifest};

/// The CLI's manifest.
pub const ROLES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/deploy/rbac.yaml");
const FIXTURE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/deploy/fixtures/mcp-production.yaml"
);

/// The documents of `deploy/rbac.yaml`.
pub fn role_documents() -> Vec<Value> {
    let text = std::fs::read_to_string(ROLES).expect("deploy/rbac.yaml is readable");
    let docs: Vec<Value> = serde_saphyr::from_str_multiple(&text).expect("rbac.yaml is YAML");
    docs.into_iter().filter(|d| !d.is_null()).collect()
}

/// A namespace with the fixture and the manifest, and one client per ServiceAccount.
pub struct Roles {
    /// The namespace.
    pub ns: String,
    /// As `mcp-ops-operate`.
    pub operate: KubeCluster,
    /// As `mcp-ops-restore`.
    pub restore: KubeCluster,
    dir: tempfile::TempDir,
    cluster_objects: Vec<String>,
}

async fn client(cp: &ControlPlane, ns: &str, account: &str, dir: &Path) -> KubeCluster {
    let path = dir.join(format!("{account}.kubeconfig"));
    cp.service_account_kubeconfig(ns, account, &path)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    KubeConfig::new()
        .with_kubeconfig_path(&path)
        .with_namespace(ns)
        .build()
        .await
        .unwrap()
}

impl Roles {
    /// Sets up the namespace and waits until both bindings are in the authorizer's cache.
    pub async fn new(cp: &ControlPlane) -> Self {
        let docs = role_documents();
        let ns = cp.namespace("rbac-roles").await.unwrap();
        cp.apply_fixture(Path::new(FIXTURE), &ns)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let list = manifest(&docs, &ns, None).to_string().into_bytes();
        cp.kubectl_stdin(&["apply", "-f", "-"], list)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        for (account, resource) in [
            ("mcp-ops-operate", "deployments.apps"),
            ("mcp-ops-restore", "configmaps"),
        ] {
            let who = format!("--as=system:serviceaccount:{ns}:{account}");
            let mut tries = 0;
            while can_i(cp, &ns, &who, &["list", resource]).await != Some(true) {
                tries += 1;
                assert!(tries < 150, "{account} never got its role");
                tokio::time::sleep(std::time::Duration::from_millis(200)).await;
            }
        }
        let dir = tempfile::tempdir().unwrap();
        let operate = client(cp, &ns, "mcp-ops-operate", dir.path()).await;
        let restore = client(cp, &ns, "mcp-ops-restore", dir.path()).await;
        Self {
            cluster_objects: cluster_objects(&docs, &ns),
            ns,
            operate,
            restore,
            dir,
        }
    }

    /// Deletes the namespace and the renamed cluster roles.
    pub async fn remove(self, cp: &ControlPlane) {
        let mut args = vec!["delete", "--ignore-not-found", "--wait=false"];
        args.extend(self.cluster_objects.iter().map(String::as_str));
        let _ = cp.kubectl(&args).await;
        let _ = cp
            .kubectl(&["delete", "namespace", &self.ns, "--wait=false"])
            .await;
    }
}

/// `kubectl auth can-i args… -n ns --as=…`: `Some(true)` yes, `Some(false)` no.
pub async fn can_i(cp: &ControlPlane, ns: &str, who: &str, args: &[&str]) -> Option<bool> {
    let mut all = vec!["auth", "can-i", "--quiet"];
    all.extend_from_slice(args);
    all.extend(["-n", ns, who]);
    match cp.kubectl(&all).await {
        Ok(_) => Some(true),
        // `--quiet`: "no" is exit 1 with nothing said; anything said is an error.
        Err(ControlPlaneError::Kubectl { stderr, .. }) if !stderr.contains("rror") => Some(false),
        Err(_) => None,
    }
}

fn forbidden<T>(what: &str, r: mcp_ops_core::Result<T>, problems: &mut Vec<String>) {
    match r {
        Err(Error::Forbidden { .. }) => {}
        Ok(_) => problems.push(format!("{what}: expected Forbidden, it succeeded")),
        Err(e) => problems.push(format!("{what}: expected Forbidden, got {e}")),
    }
}

fn works<T>(what: &str, r: mcp_ops_core::Result<T>, problems: &mut Vec<String>) -> Option<T> {
    match r {
        Ok(v) => Some(v),
        Err(e) => {
            problems.push(format!("{what}: {e}"));
            None
        }
    }
}

/// Runs the commands' operations as each role and the refusals; every problem found.
pub async fn prove(cp: &ControlPlane, r: &Roles) -> Vec<String> {
    let mut problems = Vec::new();
    let ns = Namespace::new(&r.ns).unwrap();
    let intent = Intent::new("rbac roles test", "real_rbac").unwrap();
    let api = DeploymentRef::new(&r.ns, "mcp-typescript-api").unwrap();
    cp.kubectl(&[
        "create",
        "secret",
        "generic",
        "unnamed",
        "--from-literal=k=v",
        "-n",
        &r.ns,
    ])
    .await
    .unwrap();

    // operate: reads, a restart, health, a whole rotation by name.
    let o = &r.operate;
    works(
        "operate: deployments",
        o.deployments(&ns).await,
        &mut problems,
    );
    works(
        "operate: restart",
        o.restart(&api, &intent).await,
        &mut problems,
    );
    works(
        "operate: cluster health",
        o.check(&HealthTarget::Cluster(ClusterScope::all(ns.clone())))
            .await,
        &mut problems,
    );
    works("operate: audit", o.audit(&ns).await, &mut problems);
    let jwt = SecretKeyRef::new(&r.ns, "mcp-secrets", "jwt-secret").unwrap();
    let value = SecretValue::from_str_value("rotated-by-the-roles-test");
    works("operate: current", o.current(&jwt).await, &mut problems);
    works("operate: readers", o.readers(&jwt).await, &mut problems);
    works(
        "operate: stage",
        o.stage(&jwt, &value, &intent).await,
        &mut problems,
    );
    works(
        "operate: apply",
        o.apply(&jwt, &intent).await,
        &mut problems,
    );
    works("operate: pending", o.pending(&jwt).await, &mut problems);
    works(
        "operate: finish",
        o.finish(&jwt, &intent).await,
        &mut problems,
    );
    works(
        "operate: revert",
        o.revert(&jwt, &intent).await,
        &mut problems,
    );
    // ... and nothing beyond.
    let other = SecretKeyRef::new(&r.ns, "unnamed", "k").unwrap();
    forbidden(
        "operate: read a Secret not named",
        o.current(&other).await,
        &mut problems,
    );
    forbidden(
        "operate: export the configuration",
        o.export_config(&ns).await,
        &mut problems,
    );
    let operate = format!("--as=system:serviceaccount:{}:mcp-ops-operate", r.ns);
    for args in [
        &["list", "secrets"][..],
        &["watch", "secrets"][..],
        &["get", "secret/unnamed"][..],
        &["create", "secrets"][..],
        &["create", "jobs.batch"][..],
        &["create", "pods"][..],
        &["create", "pods", "--subresource=exec"][..],
        &["get", "pods", "--subresource=exec"][..],
        &["delete", "pods"][..],
        &["create", "deployments.apps"][..],
        &["update", "deployments.apps"][..],
        &["create", "cronjobs.batch"][..],
        &["update", "configmaps"][..],
    ] {
        if can_i(cp, &r.ns, &operate, args).await != Some(false) {
            problems.push(format!("operate may {}", args.join(" ")));
        }
    }

    // restore: a configuration backup (every Secret included) and its restore.
    let dir = r.dir.path().join("config");
    match ConfigBackups::new(r.restore.clone(), dir) {
        Ok(files) => {
            let request = BackupRequest {
                kind: BackupKind::Configuration {
                    namespace: ns.clone(),
                },
                label: None,
            };
            if let Some(record) = works(
                "restore: backup config",
                files.backup(&request, &intent).await,
                &mut problems,
            ) {
                works(
                    "restore: restore config",
                    files
                        .restore_run(&record.id, &RestoreOptions::default(), &intent)
                        .await,
                    &mut problems,
                );
            }
        }
        Err(e) => problems.push(format!("restore: ConfigBackups::new: {e}")),
    }
    let restore = format!("--as=system:serviceaccount:{}:mcp-ops-restore", r.ns);
    for args in [
        &["create", "pods", "--subresource=exec"][..],
        &["delete", "pods"][..],
        &["patch", "deployments.apps"][..],
    ] {
        if can_i(cp, &r.ns, &restore, args).await != Some(false) {
            problems.push(format!("restore may {}", args.join(" ")));
        }
    }
    problems
}
