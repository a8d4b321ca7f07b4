//! CronJob backups on a SimCluster over HTTP: the Job is kubectl's, waited for, listed and
//! verified; a failing backup is reported Failed; an unreadable log does not fail one.
#![cfg(feature = "sim")]
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::time::Duration;

use k8s_openapi::api::batch::v1::Job;
use kube::api::Api;
use mcp_ops_core::Error;
use mcp_ops_core::backup::{
    BackupKind, BackupManager, BackupRequest, BackupStatus, RestoreOptions, TestRestore,
};
use mcp_ops_core::types::{Intent, Namespace, ResourceName};
use mcp_ops_k8s::sim::{FaultRule, ImageFailure, Scenario, SimCluster};
use mcp_ops_k8s::{CronJobBackups, KubeCluster};

const NS: &str = "mcp-production";

fn request(cron: &str) -> BackupRequest {
    BackupRequest {
        kind: BackupKind::CronJob {
            namespace: Namespace::new(NS).unwrap(),
            cronjob: ResourceName::new(cron).unwrap(),
        },
        label: Some("pre-maintenance".into()),
    }
}

fn backups(c: &SimCluster) -> CronJobBackups {
    CronJobBackups::new(
        KubeCluster::new(c.client().unwrap()),
        vec![Namespace::new(NS).unwrap()],
    )
    .with_wait(Duration::from_secs(30))
    .with_tail_lines(5)
}

#[tokio::test]
async fn cronjob_backup_runs_like_kubectl_create_job_from() {
    let c = SimCluster::start(Scenario::mcp_production()).await.unwrap();
    let b = backups(&c);
    let intent = Intent::new("before maintenance", "dba").unwrap();

    let plan = b
        .backup(
            &request("postgres-backup"),
            &intent.clone().with_dry_run(true),
        )
        .await
        .unwrap();
    assert_eq!(plan.status, BackupStatus::Running);
    assert!(
        b.list().await.unwrap().is_empty(),
        "a dry run creates no job"
    );

    let run = b.run(&request("postgres-backup"), &intent).await.unwrap();
    assert_eq!(run.record.status, BackupStatus::Succeeded);
    assert!(run.record.finished.is_some());
    assert!(!run.logs_tail.is_empty());
    assert!(run.logs_tail.lines().count() <= 5);
    let job_name = run.record.location.strip_prefix("job/").unwrap();
    assert!(job_name.starts_with("postgres-backup-pre-maintenance-"));

    // The Job is the one kubectl would make.
    let job: Job = Api::namespaced(c.client().unwrap(), NS)
        .get(job_name)
        .await
        .unwrap();
    let ann = job.metadata.annotations.clone().unwrap();
    assert_eq!(ann["cronjob.kubernetes.io/instantiate"], "manual");
    assert!(ann["mcp-ops.io/reason"].starts_with("before maintenance"));
    let owner = &job.metadata.owner_references.clone().unwrap()[0];
    let cron = c.get("batch/v1", "CronJob", NS, "postgres-backup").unwrap();
    assert_eq!(
        (owner.kind.as_str(), owner.controller),
        ("CronJob", Some(true))
    );
    assert_eq!(owner.uid, cron["metadata"]["uid"].as_str().unwrap());
    assert_eq!(
        job.metadata.labels.clone().unwrap()["app"],
        "postgres-backup"
    );
    assert_eq!(job.spec.as_ref().unwrap().backoff_limit, Some(2));

    let listed = b.list().await.unwrap();
    assert_eq!(listed, vec![run.record.clone()]);
    let v = b.verify(&run.record.id, None).await.unwrap();
    assert!(v.passed() && v.test_restore == TestRestore::Skipped);
    assert!(!b.evidence(&run.record.id).await.unwrap().is_empty());
    let r = b
        .restore(&run.record.id, &RestoreOptions::default(), &intent)
        .await;
    assert!(matches!(r, Err(Error::Unsupported { .. })), "{r:?}");
    let missing = b
        .verify(&"mcp-production.nope".parse().unwrap(), None)
        .await;
    assert!(
        matches!(missing, Err(Error::NotFound { .. })),
        "{missing:?}"
    );
    let unknown = b.backup(&request("nope"), &intent).await;
    assert!(
        matches!(unknown, Err(Error::NotFound { .. })),
        "{unknown:?}"
    );
}

#[tokio::test]
async fn failing_backup_job_is_failed_and_does_not_verify() {
    let c = SimCluster::start(
        Scenario::mcp_production()
            .fail_image("ghcr.io/your-org/mcp-backup", ImageFailure::JobFails),
    )
    .await
    .unwrap();
    let b = backups(&c);
    let run = b
        .run(
            &request("app-data-backup"),
            &Intent::new("nightly by hand", "ops").unwrap(),
        )
        .await
        .unwrap();
    assert!(
        matches!(&run.record.status, BackupStatus::Failed { reason } if reason == "BackoffLimitExceeded"),
        "{:?}",
        run.record
    );
    assert!(!b.verify(&run.record.id, None).await.unwrap().passed());
}

/// A real cluster's kubelet may be unreachable for logs (the test control plane's kwok nodes
/// serve none): the Job still succeeded, so the backup did, once — a failed log read used to
/// fail it, and `ops backup cronjob` then retried it and started three Jobs.
#[tokio::test]
async fn an_unreadable_log_leaves_a_finished_backup_succeeded() {
    let c = SimCluster::start(Scenario::mcp_production()).await.unwrap();
    c.faults().add(FaultRule::status("GET", "/log", 500));
    let b = backups(&c);
    let run = b
        .run(
            &request("postgres-backup"),
            &Intent::new("nightly by hand", "ops").unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(run.record.status, BackupStatus::Succeeded);
    assert!(
        run.logs_tail.starts_with("(logs unavailable: "),
        "{}",
        run.logs_tail
    );
    assert_eq!(b.list().await.unwrap().len(), 1);
}

#[tokio::test]
async fn config_backup_restores_equal_objects_and_holds_no_secret_value() {
    use mcp_ops_k8s::config_backup::DATA_OMITTED;
    let c = SimCluster::start(Scenario::mcp_production()).await.unwrap();
    let k = KubeCluster::new(c.client().unwrap());
    let ns = Namespace::new(NS).unwrap();
    let export = k.export_config(&ns).await.unwrap();
    // 1 ConfigMap, 1 Secret, 5 Services, 3 Deployments, 3 HPAs, 1 Ingress, 2 CronJobs.
    assert_eq!(export.objects, 16, "{}", export.yaml);
    assert_eq!(
        export.secrets_without_values,
        vec!["secret/mcp-secrets".to_owned()]
    );
    for value in [
        "sim-jwt-secret-001",
        "c2ltLWp3dC1zZWNyZXQtMDAx",
        "sim-db-password-001",
        "c2ltLWRiLXBhc3N3b3JkLTAwMQ==",
    ] {
        assert!(
            !export.yaml.contains(value),
            "a Secret value leaked into the backup"
        );
    }
    assert!(export.yaml.contains(DATA_OMITTED));
    for field in [
        "resourceVersion",
        "uid:",
        "managedFields",
        "creationTimestamp",
        "generation:",
        "status:",
    ] {
        assert!(!export.yaml.contains(field), "{field} left in the backup");
    }

    // Delete some objects, restore, and export again: the same file.
    for (api_version, kind, name) in [
        ("v1", "ConfigMap", "mcp-config"),
        ("v1", "Service", "mcp-typescript-api-service"),
        ("apps/v1", "Deployment", "mcp-rust-server"),
        (
            "autoscaling/v2",
            "HorizontalPodAutoscaler",
            "mcp-rust-server-hpa",
        ),
        ("networking.k8s.io/v1", "Ingress", "mcp-ingress"),
        ("batch/v1", "CronJob", "postgres-backup"),
    ] {
        let ar = kube::api::ApiResource::from_gvk(&kube::api::GroupVersionKind::gvk(
            api_version.split_once('/').map_or("", |(g, _)| g),
            api_version.rsplit('/').next().unwrap(),
            kind,
        ));
        let api: Api<kube::api::DynamicObject> = Api::namespaced_with(c.client().unwrap(), NS, &ar);
        api.delete(name, &Default::default()).await.unwrap();
    }
    let dry = k
        .restore_config(
            &ns,
            &export.yaml,
            &Intent::new("restore", "t").unwrap().with_dry_run(true),
        )
        .await
        .unwrap();
    assert_eq!(dry.created.len(), 6);
    assert!(
        c.get("v1", "ConfigMap", NS, "mcp-config").is_none(),
        "a dry run creates nothing"
    );
    let restored = k
        .restore_config(&ns, &export.yaml, &Intent::new("restore", "t").unwrap())
        .await
        .unwrap();
    assert_eq!(restored.created.len(), 6, "{restored:?}");
    assert_eq!(restored.replaced.len(), 9, "{restored:?}");
    assert_eq!(restored.skipped.len(), 1);
    let again = k.export_config(&ns).await.unwrap();
    assert_eq!(again.yaml, export.yaml);
    // The Secret's values were not touched by the restore.
    let s = c.get("v1", "Secret", NS, "mcp-secrets").unwrap();
    assert_eq!(s["data"]["jwt-secret"], "c2ltLWp3dC1zZWNyZXQtMDAx");
}
