//! Every operation the Kubernetes backends offer, run in a [`Sandbox`] as its ServiceAccount.
//!
//! Operations come in groups; the steps of a group depend on one another and a group stops at
//! its first unexpected result, so one missing permission cannot cascade into other groups.
//! Steps that need a kubelet (pod logs, exec) are expected to fail on the test control plane
//! (kwok nodes have none): `Unavailable`, which the API server can only answer *after*
//! authorizing the request. A 403 is never an expected result.

use std::future::Future;
use std::time::Duration;

use mcp_ops_core::backup::{BackupId, BackupKind, BackupManager, BackupRequest, RestoreOptions};
use mcp_ops_core::deploy::{TrafficSwitch, UndoOutcome};
use mcp_ops_core::health::{ClusterScope, HealthCheck, HealthTarget, ObservedValue};
use mcp_ops_core::runbook::investigate_error_rate::ConfigCheck;
use mcp_ops_core::scale::{AutoscalerBounds, Recommendation};
use mcp_ops_core::secrets::{SecretKeyRef, SecretRotator};
use mcp_ops_core::types::{
    ContainerName, DeploymentRef, ImageRef, Intent, Namespace, Quantity, Replicas, ResourceList,
    ResourceName, ResourceRequirements,
};
use mcp_ops_core::{Deployer, Error, Result, Scaler};
use mcp_ops_k8s::config_backup::{AgeKeyPair, SecretEncryption};
use mcp_ops_k8s::security::QuarantineOptions;
use mcp_ops_k8s::testing::ControlPlane;
use mcp_ops_k8s::{ConfigBackups, CronJobBackups, KubeCluster};

use super::sandbox::{REQUESTS, SEED_JOB, Sandbox};

/// What went wrong in a group.
#[derive(Debug)]
pub enum Problem {
    /// A step returned an error it should not have.
    Error(Error),
    /// A step returned, but not what it should have.
    Unexpected(String),
}

/// The first unexpected result of a group.
#[derive(Debug)]
pub struct Fault {
    /// The step (the backend call).
    pub step: &'static str,
    /// What happened.
    pub problem: Problem,
}

impl Fault {
    /// The error, when the step returned one.
    pub fn error(&self) -> Option<&Error> {
        match &self.problem {
            Problem::Error(e) => Some(e),
            Problem::Unexpected(_) => None,
        }
    }
}

impl std::fmt::Display for Fault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.problem {
            Problem::Error(e) => write!(f, "{}: {} error: {e}", self.step, e.kind()),
            Problem::Unexpected(m) => write!(f, "{}: unexpected result: {m}", self.step),
        }
    }
}

type Step<T = ()> = std::result::Result<T, Fault>;

/// Runs one step that must succeed.
async fn ok<T>(step: &'static str, fut: impl Future<Output = Result<T>>) -> Step<T> {
    fut.await.map_err(|e| Fault {
        step,
        problem: Problem::Error(e),
    })
}

/// Runs one step that needs a kubelet: success, or `Unavailable` from the API server's
/// attempt to reach the node (so the request was authorized).
async fn kubelet<T>(step: &'static str, fut: impl Future<Output = Result<T>>) -> Step {
    match fut.await {
        Ok(_) | Err(Error::Unavailable { .. }) => Ok(()),
        Err(e) => Err(Fault {
            step,
            problem: Problem::Error(e),
        }),
    }
}

fn unexpected(step: &'static str, what: impl Into<String>) -> Fault {
    Fault {
        step,
        problem: Problem::Unexpected(what.into()),
    }
}

/// The groups, in the order they run.
pub const GROUPS: [&str; 16] = [
    "health",
    "config check",
    "deployer reads",
    "scaler reads",
    "node capacity",
    "metrics and VPA (not served)",
    "audit",
    "exec and logs",
    "backup records",
    "secret rotation",
    "scaling",
    "blue-green switch",
    "rollout",
    "cronjob backup",
    "quarantine",
    "config backup",
];

/// The operations of one sandbox.
struct Ops<'a> {
    cp: &'a ControlPlane,
    k: &'a KubeCluster,
    sandbox: &'a Sandbox,
    ns: Namespace,
    intent: Intent,
    api: DeploymentRef,
    worker: DeploymentRef,
}

/// Runs every group; one result per entry of [`GROUPS`].
pub async fn run_all(cp: &ControlPlane, sandbox: &Sandbox) -> Vec<(&'static str, Step)> {
    let ns = Namespace::new(&sandbox.ns).expect("a valid namespace");
    let o = Ops {
        cp,
        k: &sandbox.cluster,
        sandbox,
        api: DeploymentRef::new(&sandbox.ns, "mcp-typescript-api").expect("a valid name"),
        worker: DeploymentRef::new(&sandbox.ns, "worker").expect("a valid name"),
        ns,
        intent: Intent::new("least-privilege test", "real_rbac").expect("a valid intent"),
    };
    let mut out = Vec::new();
    for group in GROUPS {
        let r = match group {
            "health" => o.health().await,
            "config check" => o.config_check().await,
            "deployer reads" => o.deployer_reads().await,
            "scaler reads" => o.scaler_reads().await,
            "node capacity" => ok("node_capacity", o.k.node_capacity()).await.map(drop),
            "metrics and VPA (not served)" => o.not_served().await,
            "audit" => ok("audit", o.k.audit(&o.ns)).await.map(drop),
            "exec and logs" => o.exec_and_logs().await,
            "backup records" => o.backup_records().await,
            "secret rotation" => o.rotation().await,
            "scaling" => o.scaling().await,
            "blue-green switch" => o.switch().await,
            "rollout" => o.rollout().await,
            "cronjob backup" => o.cronjob_backup().await,
            "quarantine" => o.quarantine().await,
            _ => o.config_backup().await,
        };
        out.push((group, r));
    }
    out
}

impl Ops<'_> {
    /// Names of the pods with label `app=APP`, as the admin sees them.
    async fn pods(&self, app: &str) -> Step<Vec<ResourceName>> {
        let names = self
            .cp
            .kubectl(&[
                "get",
                "pods",
                "-n",
                self.ns.as_str(),
                "-l",
                &format!("app={app}"),
                "--field-selector=status.phase=Running",
                "-o",
                "jsonpath={.items[*].metadata.name}",
            ])
            .await
            .map_err(|e| unexpected("kubectl get pods (admin)", e.to_string()))?;
        let names: Vec<ResourceName> = names
            .split_whitespace()
            .filter_map(|n| ResourceName::new(n).ok())
            .collect();
        if names.len() < 2 {
            return Err(unexpected("kubectl get pods (admin)", "fewer than 2 pods"));
        }
        Ok(names)
    }

    async fn health(&self) -> Step {
        let scope = HealthTarget::Cluster(ClusterScope::all(self.ns.clone()));
        let report = ok("check", self.k.check(&scope)).await?;
        let metrics = report.observed.iter().find(|o| o.name == "metrics_served");
        match metrics.map(|o| &o.value) {
            Some(ObservedValue::Flag(false)) => Ok(()),
            other => Err(unexpected(
                "check",
                format!("metrics_served should be observed false (no metrics-server): {other:?}"),
            )),
        }
    }

    async fn config_check(&self) -> Step {
        let problems = ok("problems", self.k.problems(&self.ns)).await?;
        if problems.is_empty() {
            Ok(())
        } else {
            Err(unexpected("problems", format!("{problems:?}")))
        }
    }

    async fn deployer_reads(&self) -> Step {
        ok("deployments", self.k.deployments(&self.ns)).await?;
        ok("deployment", self.k.deployment(&self.api)).await?;
        ok("rollout_status", self.k.rollout_status(&self.api)).await?;
        ok("history", self.k.history(&self.api)).await?;
        Ok(())
    }

    async fn scaler_reads(&self) -> Step {
        ok("replicas", Scaler::replicas(self.k, &self.worker)).await?;
        let hpa = ok("autoscaler", self.k.autoscaler(&self.api)).await?;
        if hpa.is_none() {
            return Err(unexpected("autoscaler", "the fixture's HPA was not found"));
        }
        let c = ContainerName::new("mcp-typescript-api").expect("a valid name");
        ok("resources", self.k.resources(&self.api, &c)).await?;
        Ok(())
    }

    /// metrics.k8s.io and the VPA CRD are not served here: the calls pass authorization and
    /// get a 404, which the backend reports as "not served" (a value, or `Unavailable`).
    async fn not_served(&self) -> Step {
        match ok("recommendations", self.k.recommendations(&self.api)).await? {
            Recommendation::NotAvailable { why } if why.contains("not served") => {}
            other => return Err(unexpected("recommendations", format!("{other:?}"))),
        }
        match self.k.pod_usage(&self.ns).await {
            Ok(usage) if usage.is_empty() => Ok(()),
            Err(Error::Unavailable { reason, .. }) if reason.contains("not served") => Ok(()),
            Ok(usage) => Err(unexpected("pod_usage", format!("{usage:?}"))),
            Err(e) => Err(Fault {
                step: "pod_usage",
                problem: Problem::Error(e),
            }),
        }
    }

    async fn exec_and_logs(&self) -> Step {
        let pod = self.pods("mcp-rust-server").await?.remove(0);
        kubelet("exec", self.k.exec(&self.ns, &pod, None, &["true"])).await?;
        kubelet("logs", self.k.logs(&self.ns, &pod, None, Some(5))).await?;
        Ok(())
    }

    fn backups(&self) -> CronJobBackups {
        CronJobBackups::new(self.k.clone(), vec![self.ns.clone()])
            .with_wait(Duration::from_secs(180))
    }

    async fn backup_records(&self) -> Step {
        let b = self.backups();
        let id = BackupId::new(format!("{}.{SEED_JOB}", self.ns)).expect("a valid id");
        let list = ok("list", b.list()).await?;
        if !list.iter().any(|r| r.id == id) {
            return Err(unexpected("list", format!("{id} missing from {list:?}")));
        }
        let v = ok("verify", b.verify(&id, None)).await?;
        if !v.checksum_ok {
            return Err(unexpected("verify", "the finished seed job did not verify"));
        }
        kubelet("evidence", b.evidence(&id)).await
    }

    async fn rotation(&self) -> Step {
        let key =
            SecretKeyRef::new(self.ns.as_str(), "mcp-secrets", "jwt-secret").expect("a valid key");
        let value = mcp_ops_core::types::SecretValue::from_str_value("rotated-by-rbac-test");
        ok("current", self.k.current(&key)).await?;
        ok("stage", self.k.stage(&key, &value, &self.intent)).await?;
        ok("apply", self.k.apply(&key, &self.intent)).await?;
        ok("verify", self.k.verify(&key)).await?;
        ok("revert", self.k.revert(&key, &self.intent)).await?;
        let deps = ok("dependents", self.k.dependents(&self.ns, "mcp-secrets")).await?;
        if !deps.contains(&self.api) {
            return Err(unexpected("dependents", format!("{deps:?}")));
        }
        Ok(())
    }

    async fn scaling(&self) -> Step {
        let two = Replicas::new(2).expect("valid replicas");
        ok("scale", self.k.scale(&self.worker, two, &self.intent)).await?;
        let bounds = AutoscalerBounds {
            min: None,
            max: Some(Replicas::new(11).expect("valid replicas")),
        };
        ok(
            "set_autoscaler_bounds",
            self.k
                .set_autoscaler_bounds(&self.api, bounds, &self.intent),
        )
        .await?;
        let c = ContainerName::new("worker").expect("a valid name");
        let small = |cpu: &str, memory: &str| {
            ResourceList::new(
                Quantity::parse(cpu).expect("a quantity"),
                Quantity::parse(memory).expect("a quantity"),
            )
        };
        let r = ResourceRequirements::new(small(REQUESTS.0, REQUESTS.1), small("200m", "128Mi"))
            .expect("valid requirements");
        ok(
            "set_resources",
            self.k.set_resources(&self.worker, &c, &r, &self.intent),
        )
        .await?;
        Ok(())
    }

    async fn switch(&self) -> Step {
        let s = TrafficSwitch {
            namespace: self.ns.clone(),
            service: ResourceName::new("shop").expect("a valid name"),
            label: "color".into(),
            from: "blue".into(),
            to: "green".into(),
        };
        ok("switch_traffic", self.k.switch_traffic(&s, &self.intent)).await?;
        Ok(())
    }

    async fn rollout(&self) -> Step {
        let c = ContainerName::new("mcp-typescript-api").expect("a valid name");
        let image =
            ImageRef::parse("ghcr.io/your-org/mcp-typescript-server:v1.0.1").expect("an image");
        let wait = Duration::from_secs(180);
        ok(
            "set_image",
            self.k.set_image(&self.api, &c, &image, &self.intent),
        )
        .await?;
        ok("wait_for_rollout", self.k.wait_for_rollout(&self.api, wait)).await?;
        let undo = ok("undo", self.k.undo(&self.api, None, &self.intent)).await?;
        if !matches!(undo.outcome, UndoOutcome::RolledBack { .. }) {
            return Err(unexpected("undo", format!("{undo:?}")));
        }
        ok("wait_for_rollout", self.k.wait_for_rollout(&self.api, wait)).await?;
        ok("restart", self.k.restart(&self.api, &self.intent)).await?;
        ok(
            "set_paused",
            self.k.set_paused(&self.api, true, &self.intent),
        )
        .await?;
        ok(
            "set_paused",
            self.k.set_paused(&self.api, false, &self.intent),
        )
        .await?;
        Ok(())
    }

    /// The Job is created, waited for by watch and its pod found; its log needs a kubelet.
    async fn cronjob_backup(&self) -> Step {
        let request = BackupRequest {
            kind: BackupKind::CronJob {
                namespace: self.ns.clone(),
                cronjob: ResourceName::new("postgres-backup").expect("a valid name"),
            },
            label: Some("rbac".into()),
        };
        kubelet("run", self.backups().run(&request, &self.intent)).await
    }

    async fn quarantine(&self) -> Step {
        let pods = self.pods("mcp-rust-server").await?;
        let keep = QuarantineOptions {
            delete_pod: false,
            log_lines: 5,
        };
        let q = ok(
            "quarantine",
            self.k.quarantine(&self.ns, &pods[0], keep, &self.intent),
        )
        .await?;
        if q.evidence.pod.is_empty() {
            return Err(unexpected("quarantine", "no pod in the evidence"));
        }
        ok("release", self.k.release(&self.ns, &pods[0], &self.intent)).await?;
        let delete = QuarantineOptions {
            delete_pod: true,
            ..keep
        };
        let q = ok(
            "quarantine (delete)",
            self.k.quarantine(&self.ns, &pods[1], delete, &self.intent),
        )
        .await?;
        if !q.deleted {
            return Err(unexpected("quarantine (delete)", "the pod was not deleted"));
        }
        Ok(())
    }

    /// Export with age-encrypted Secret values and restore over the existing objects
    /// (create → 409 → get → replace), directly and through `ConfigBackups` files.
    async fn config_backup(&self) -> Step {
        let key = AgeKeyPair::generate();
        let recipients = key.recipients().expect("generated recipients");
        let export = ok(
            "export_config_with",
            self.k
                .export_config_with(&self.ns, &SecretEncryption::Age(recipients.clone())),
        )
        .await?;
        if export.secrets_encrypted.is_empty() {
            return Err(unexpected("export_config_with", "no Secret exported"));
        }
        let restored = ok(
            "restore_config_with",
            self.k
                .restore_config_with(&self.ns, &export.yaml, &self.intent, Some(&key.identity)),
        )
        .await?;
        if restored.replaced.is_empty() || !restored.created.is_empty() {
            return Err(unexpected("restore_config_with", format!("{restored:?}")));
        }
        let files = ConfigBackups::new(self.k.clone(), self.sandbox.dir.path().join("config"))
            .and_then(|b| {
                b.with_recipients(recipients)
                    .with_identity(key.identity.clone())
            });
        let files = ok("ConfigBackups::new", async { files }).await?;
        let request = BackupRequest {
            kind: BackupKind::Configuration {
                namespace: self.ns.clone(),
            },
            label: None,
        };
        let record = ok("backup", files.backup(&request, &self.intent)).await?;
        ok("verify", files.verify(&record.id, None)).await?;
        ok(
            "restore_run",
            files.restore_run(&record.id, &RestoreOptions::default(), &self.intent),
        )
        .await?;
        ok("list", files.list()).await?;
        Ok(())
    }
}
