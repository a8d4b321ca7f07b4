//! The core contract suites — the very functions the simulator and the mocks pass — run
//! against `KubeCluster`, `ConfigBackups` and `CronJobBackups` on a real control plane
//! (kube-apiserver, kube-controller-manager, kube-scheduler, kwok nodes), each test in a
//! namespace of its own.
//!
//! Fixture adaptations for the real world (the assertions are the suites' own):
//! - a failing image is one whose reference contains `broken` (kwok crash-loops it), and the
//!   deployment under test has a 10 s `progressDeadlineSeconds`, so the real deployment
//!   controller marks `ProgressDeadlineExceeded` within the suite's wait;
//! - no ingress controller runs, so the healthy namespace's Ingress gets its load-balancer
//!   address written to its status as an ingress controller would;
//! - the suites' "deployment no autoscaler owns" is a deployment of our own (every fixture
//!   deployment has an HPA);
//! - no metrics-server runs, so the scaler contract (which reads pod usage) gets the metrics
//!   API from a CRD of metrics-server's group and resource, on a control plane of its own;
//! - each test applies only the fixture objects it needs, and its namespace is deleted when
//!   it ends: the fake nodes have room for a few whole fixtures only.
#![cfg(feature = "testing")]
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod real_support;

use std::time::Duration;

use k8s_openapi::api::batch::v1::Job;
use kube::api::Api;
use mcp_ops_core::Scaler;
use mcp_ops_core::backup::{BackupKind, BackupManager, BackupRequest, BackupStatus};
use mcp_ops_core::health::{ClusterScope, HealthTarget};
use mcp_ops_core::secrets::SecretKeyRef;
use mcp_ops_core::testing::{
    BackupFixture, DeployerFixture, HealthFixture, ScalerFixture, SecretRotatorFixture,
    backup_contract, deployer_contract, health_contract, scaler_contract, secret_rotator_contract,
};
use mcp_ops_core::types::{Namespace, Quantity, ResourceName, ResourceRequirements, SecretSpec};
use mcp_ops_k8s::testing::{ControlPlane, ControlPlaneOptions};
use mcp_ops_k8s::{ConfigBackups, CronJobBackups};
use real_support::*;
use serde_json::{Value, json};

#[tokio::test]
async fn deployer_contract_passes_on_the_control_plane() {
    let cp = shared().await;
    let ns = Ns::new(cp, "contract-deploy").await;
    let mut d = deployment("contract-web", "registry.local/web:v1", 2);
    d["spec"]["progressDeadlineSeconds"] = json!(10);
    create(cp, &ns, d).await;
    let k = cp.cluster(&ns).await.unwrap();
    let fx = DeployerFixture {
        deployment: target(&ns, "contract-web"),
        container: container("contract-web"),
        new_image: image("registry.local/web:v2"),
        failing_image: Some(image("registry.local/web:broken")),
        missing: target(&ns, "nope"),
        rollout_timeout: Duration::from_secs(120),
    };
    deployer_contract(&k, &fx).await.unwrap();
}

/// metrics-server's pod metrics API (`metrics.k8s.io/v1beta1` `pods`), stood in for by a
/// CRD of the same group, version and resource: no metrics-server runs on the test control
/// plane, and without one `pod_usage` is rightly `Unavailable`.
const POD_METRICS_API: &str = r#"{"apiVersion": "apiextensions.k8s.io/v1",
 "kind": "CustomResourceDefinition",
 "metadata": {"name": "pods.metrics.k8s.io", "annotations": {
   "api-approved.kubernetes.io": "unapproved, test fixture standing in for metrics-server"}},
 "spec": {"group": "metrics.k8s.io", "scope": "Namespaced",
   "names": {"plural": "pods", "singular": "podmetrics", "kind": "PodMetrics",
     "listKind": "PodMetricsList"},
   "versions": [{"name": "v1beta1", "served": true, "storage": true,
     "schema": {"openAPIV3Schema": {"type": "object",
       "x-kubernetes-preserve-unknown-fields": true}}}]}}"#;

/// The scaler contract reads pod usage, so it runs where the metrics API is served: a
/// control plane of its own (other tests check the answer without a metrics API), with the
/// pod metrics metrics-server would publish for the runbook's API pods.
#[tokio::test]
async fn scaler_contract_passes_on_the_control_plane() {
    let cp = ControlPlane::start(ControlPlaneOptions::default())
        .await
        .unwrap();
    cp.kubectl_stdin(&["apply", "-f", "-"], POD_METRICS_API.as_bytes().to_vec())
        .await
        .unwrap();
    cp.kubectl(&[
        "wait",
        "--for=condition=Established",
        "crd/pods.metrics.k8s.io",
        "--timeout=60s",
    ])
    .await
    .unwrap();
    let ns = fixture_subset(
        &cp,
        "contract-scale",
        &[
            ("Deployment", "mcp-typescript-api"),
            ("HorizontalPodAutoscaler", "mcp-typescript-api-hpa"),
        ],
    )
    .await;
    let pods = cp
        .kubectl(&[
            "get",
            "pods",
            "-n",
            &ns,
            "-l",
            "app=mcp-typescript-api",
            "-o",
            "jsonpath={.items[*].metadata.name}",
        ])
        .await
        .unwrap();
    let pods: Vec<&str> = pods.split_whitespace().collect();
    for pod in &pods {
        let metrics = json!({
            "apiVersion": "metrics.k8s.io/v1beta1", "kind": "PodMetrics",
            "metadata": {"name": pod, "namespace": &*ns},
            "timestamp": "2026-01-01T00:00:00Z", "window": "30s",
            "containers": [{"name": "mcp-typescript-api",
                "usage": {"cpu": "120m", "memory": "300Mi"}}]
        });
        cp.kubectl_stdin(&["create", "-f", "-"], metrics.to_string().into_bytes())
            .await
            .unwrap();
    }
    let mut worker = deployment("worker", "registry.local/worker:v1", 2);
    worker["spec"]["template"]["spec"]["containers"][0]["resources"] = json!({
        "requests": {"cpu": "100m", "memory": "64Mi", "ephemeral-storage": "1Gi"},
        "limits": {"cpu": "200m", "memory": "128Mi"}
    });
    create(&cp, &ns, worker).await;
    let k = cp.cluster(&ns).await.unwrap();
    let fx = ScalerFixture {
        free: target(&ns, "worker"),
        autoscaled: Some(target(&ns, "mcp-typescript-api")),
        container: container("worker"),
        resources: ResourceRequirements::runbook_typescript_api(),
        missing: target(&ns, "nope"),
    };
    scaler_contract(&k, &fx).await.unwrap();
    // The resource key the SDK does not model is kept by the real API server too.
    let w = get_json(&cp, &ns, "deployment", "worker").await;
    assert_eq!(
        w["spec"]["template"]["spec"]["containers"][0]["resources"]["requests"]["ephemeral-storage"],
        "1Gi"
    );
    // Usage is what the metrics API says, next to each pod's memory limit.
    let usage = k.pod_usage(&Namespace::new(&*ns).unwrap()).await.unwrap();
    assert_eq!(usage.len(), pods.len(), "{usage:?}");
    let q = |s: &str| Quantity::parse(s).unwrap();
    for u in &usage {
        assert_eq!((u.cpu, u.memory), (q("120m"), q("300Mi")), "{u:?}");
        assert_eq!(u.memory_limit, Some(q("1Gi")), "{u:?}");
    }
}

fn cluster_target(ns: &str) -> HealthTarget {
    HealthTarget::Cluster(ClusterScope::all(Namespace::new(ns).unwrap()))
}

#[tokio::test]
async fn health_contract_passes_on_the_control_plane() {
    let cp = shared().await;
    let healthy = fixture_namespace(cp, "contract-health").await;
    // No ingress controller runs here: publish an address as one would.
    cp.kubectl(&[
        "patch",
        "ingress",
        "mcp-ingress",
        "-n",
        &healthy,
        "--subresource=status",
        "--type=merge",
        "-p",
        r#"{"status":{"loadBalancer":{"ingress":[{"ip":"10.0.1.100"}]}}}"#,
    ])
    .await
    .unwrap();
    let broken = Ns::new(cp, "contract-health-broken").await;
    create_only(
        cp,
        &broken,
        deployment("crasher", "registry.local/crash:broken", 2),
    )
    .await;
    cp.kubectl(&[
        "wait",
        "pod",
        "-l",
        "app=crasher",
        "-n",
        &broken,
        "--for=jsonpath={.status.containerStatuses[0].state.waiting.reason}=CrashLoopBackOff",
        "--timeout=120s",
    ])
    .await
    .unwrap();
    let k = cp.cluster(&healthy).await.unwrap();
    let fx = HealthFixture {
        healthy: vec![cluster_target(&healthy)],
        unhealthy: vec![cluster_target(&broken)],
        unsupported: Some(HealthTarget::Database {
            name: "mcp_db".into(),
        }),
        per_check: Duration::from_secs(30),
    };
    health_contract(&k, &fx).await.unwrap();
}

#[tokio::test]
async fn secret_rotator_contract_passes_on_the_control_plane() {
    let cp = shared().await;
    let ns = fixture_subset(cp, "contract-secrets", &[("Secret", "mcp-secrets")]).await;
    let k = cp.cluster(&ns).await.unwrap();
    let fx = SecretRotatorFixture {
        key: SecretKeyRef::new(&ns, "mcp-secrets", "jwt-secret").unwrap(),
        missing: SecretKeyRef::new(&ns, "mcp-secrets", "nope").unwrap(),
        spec: SecretSpec::JWT,
    };
    secret_rotator_contract(&k, &fx).await.unwrap();
    // The other key of the Secret is untouched.
    let s = get_json(cp, &ns, "secret", "mcp-secrets").await;
    assert_eq!(
        s["data"]["db-password"],
        "Zml4dHVyZS1kYi1wYXNzd29yZC1jaGFuZ2UtbWU="
    );
}

/// The configuration backup passes the whole contract (no integrity checks: they are SQL
/// queries, which a configuration restore cannot run), restore included: every object of
/// the namespace is replaced through the real API server's validation.
#[tokio::test]
async fn backup_contract_passes_for_config_backups_on_the_control_plane() {
    let cp = shared().await;
    let ns = fixture_namespace(cp, "contract-config-backup").await;
    let dir = tempfile::tempdir().unwrap();
    let backups = ConfigBackups::new(cp.cluster(&ns).await.unwrap(), dir.path()).unwrap();
    let fx = BackupFixture {
        request: BackupRequest {
            kind: BackupKind::Configuration {
                namespace: Namespace::new(&*ns).unwrap(),
            },
            label: Some("contract".into()),
        },
        checks: Vec::new(),
    };
    backup_contract(&backups, &fx).await.unwrap();
}

/// What must agree between two Jobs made from the same CronJob: everything but names, uids,
/// server bookkeeping and the reason annotation the SDK adds.
fn job_shape(j: &Job) -> Value {
    let mut v = serde_json::to_value(j).unwrap();
    let name = v["metadata"]["name"].as_str().unwrap().to_owned();
    let uid = v["metadata"]["uid"].as_str().unwrap().to_owned();
    let text = serde_json::to_string(&v)
        .unwrap()
        .replace(&name, "JOB")
        .replace(&uid, "UID");
    v = serde_json::from_str(&text).unwrap();
    let meta = v["metadata"].as_object_mut().unwrap();
    for k in [
        "resourceVersion",
        "creationTimestamp",
        "managedFields",
        "generation",
    ] {
        meta.remove(k);
    }
    meta["annotations"]
        .as_object_mut()
        .unwrap()
        .remove("mcp-ops.io/reason");
    v.as_object_mut().unwrap().remove("status");
    v
}

/// `CronJobBackups` cannot pass `backup_contract` anywhere, the simulator included: its
/// records carry no SHA-256 (the bytes live where the Job puts them) and its restore is
/// `Unsupported` by design. What it promises instead — a Job exactly as `kubectl create job
/// --from=cronjob/…` makes it, waited for to completion, listed, verified — is checked here
/// against kubectl on the real control plane.
#[tokio::test]
async fn cronjob_backup_makes_kubectls_job_and_completes() {
    let cp = shared().await;
    let ns = fixture_subset(cp, "contract-cronjob", &[("CronJob", "postgres-backup")]).await;
    let backups = CronJobBackups::new(
        cp.cluster(&ns).await.unwrap(),
        vec![Namespace::new(&*ns).unwrap()],
    )
    .with_wait(Duration::from_secs(120));
    let request = BackupRequest {
        kind: BackupKind::CronJob {
            namespace: Namespace::new(&*ns).unwrap(),
            cronjob: ResourceName::new("postgres-backup").unwrap(),
        },
        label: Some("pre-maintenance".into()),
    };
    let plan = backups
        .backup(&request, &intent("plan a backup").with_dry_run(true))
        .await
        .unwrap();
    assert_eq!(plan.status, BackupStatus::Running);
    assert!(
        backups.list().await.unwrap().is_empty(),
        "a dry run creates no job"
    );

    let run = backups
        .run(&request, &intent("before maintenance"))
        .await
        .unwrap();
    assert_eq!(run.record.status, BackupStatus::Succeeded, "{run:?}");
    assert!(run.record.finished.is_some());
    let ours = run.record.location.strip_prefix("job/").unwrap().to_owned();

    cp.kubectl(&[
        "create",
        "job",
        "by-kubectl",
        "--from=cronjob/postgres-backup",
        "-n",
        &ns,
    ])
    .await
    .unwrap();
    cp.kubectl(&[
        "wait",
        "job/by-kubectl",
        "-n",
        &ns,
        "--for=condition=Complete",
        "--timeout=120s",
    ])
    .await
    .unwrap();
    let api: Api<Job> = Api::namespaced(cp.client().await.unwrap(), &ns);
    let (a, b) = (
        api.get(&ours).await.unwrap(),
        api.get("by-kubectl").await.unwrap(),
    );
    assert_eq!(job_shape(&a), job_shape(&b));

    let listed = backups.list().await.unwrap();
    assert_eq!(listed.len(), 2, "{listed:?}");
    assert!(listed.contains(&run.record));
    let v = backups.verify(&run.record.id, None).await.unwrap();
    assert!(v.passed(), "{v:?}");
}
