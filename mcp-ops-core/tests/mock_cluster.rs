//! The mock cluster passes the contracts and behaves like a cluster where the runbook cares.
#![cfg(all(feature = "mock", feature = "testing"))]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::time::Duration;

use mcp_ops_core::health::{ClusterScope, HealthStatus, HealthTarget, HttpProbe, TargetKind};
use mcp_ops_core::mock::{MockCluster, RUNBOOK_HEALTH_URL};
use mcp_ops_core::secrets::SecretKeyRef;
use mcp_ops_core::testing::{
    DeployerFixture, HealthFixture, ScalerFixture, SecretRotatorFixture, deployer_contract,
    health_contract, scaler_contract, secret_rotator_contract,
};
use mcp_ops_core::types::{
    ContainerName, DeploymentRef, ImageRef, Intent, Namespace, Replicas, ResourceRequirements,
    SecretSpec,
};
use mcp_ops_core::{Deployer, Error, RolloutStatus, Scaler, TokioClock, UndoOutcome};

fn cluster() -> MockCluster {
    let clock = TokioClock::starting_at("2025-01-08T14:30:00Z".parse().unwrap());
    MockCluster::builder_runbook()
        .clock(Arc::new(clock))
        .build()
}

fn api() -> DeploymentRef {
    "mcp-production/mcp-typescript-api".parse().unwrap()
}

fn container() -> ContainerName {
    ContainerName::new("mcp-typescript-api").unwrap()
}

fn image(tag: &str) -> ImageRef {
    ImageRef::parse(&format!("ghcr.io/your-org/mcp-typescript-server:{tag}")).unwrap()
}

fn intent(reason: &str) -> Intent {
    Intent::new(reason, "test").unwrap()
}

#[tokio::test(start_paused = true)]
async fn deployer_contract_passes() {
    let c = cluster();
    let bad = image("v9.9.9-broken");
    c.mark_bad_image(&bad);
    let fx = DeployerFixture {
        deployment: api(),
        container: container(),
        new_image: image("v1.0.1"),
        failing_image: Some(bad),
        missing: "mcp-production/nope".parse().unwrap(),
        rollout_timeout: Duration::from_secs(600),
    };
    deployer_contract(&c, &fx).await.unwrap();
}

#[tokio::test(start_paused = true)]
async fn scaler_contract_passes() {
    let c = cluster();
    let fx = ScalerFixture {
        free: "mcp-production/mcp-rust-server".parse().unwrap(),
        autoscaled: Some(api()),
        container: ContainerName::new("mcp-rust-server").unwrap(),
        resources: ResourceRequirements::runbook_typescript_api(),
        missing: "mcp-production/nope".parse().unwrap(),
    };
    scaler_contract(&c, &fx).await.unwrap();
}

#[tokio::test(start_paused = true)]
async fn secret_rotator_contract_passes() {
    let c = cluster();
    let fx = SecretRotatorFixture {
        key: SecretKeyRef::new("mcp-production", "mcp-secrets", "jwt-secret").unwrap(),
        missing: SecretKeyRef::new("mcp-production", "mcp-secrets", "nope").unwrap(),
        spec: SecretSpec::JWT,
    };
    secret_rotator_contract(&c, &fx).await.unwrap();
}

#[tokio::test(start_paused = true)]
async fn health_contract_passes() {
    let c = cluster();
    let fx = HealthFixture {
        healthy: vec![
            HealthTarget::Cluster(ClusterScope::all(Namespace::new("mcp-production").unwrap())),
            HealthTarget::Http(HttpProbe::new("api", RUNBOOK_HEALTH_URL)),
        ],
        unhealthy: vec![HealthTarget::Http(HttpProbe::new(
            "nowhere",
            "https://unknown.invalid/health",
        ))],
        unsupported: Some(HealthTarget::Database {
            name: "mcp_db".into(),
        }),
        per_check: Duration::from_secs(5),
    };
    health_contract(&c, &fx).await.unwrap();
}

#[tokio::test(start_paused = true)]
async fn the_seed_is_the_runbooks_cluster() {
    let c = cluster();
    let ns = Namespace::new("mcp-production").unwrap();
    let list = c.deployments(&ns).await.unwrap();
    let replicas: Vec<(String, u32)> = list
        .iter()
        .map(|d| (d.deployment.name.to_string(), d.desired))
        .collect();
    assert_eq!(
        replicas,
        vec![
            ("mcp-learning-system".to_owned(), 2),
            ("mcp-rust-server".to_owned(), 3),
            ("mcp-typescript-api".to_owned(), 3)
        ]
    );
    let history = c.history(&api()).await.unwrap();
    assert_eq!(history.len(), 2);
    assert_eq!(history[1].images.get(&container()), Some(&image("v1.0.0")));
    assert_eq!(history[0].images.get(&container()), Some(&image("v0.9.0")));
    assert!(matches!(
        c.rollout_status(&api()).await.unwrap(),
        RolloutStatus::Complete { revision } if revision.get() == 2
    ));
}

#[tokio::test(start_paused = true)]
async fn deploy_makes_a_revision_and_undo_goes_back() {
    let c = cluster();
    c.set_image(
        &api(),
        &container(),
        &image("v1.0.1"),
        &intent("deploy v1.0.1"),
    )
    .await
    .unwrap();
    assert_eq!(
        c.rollout_status(&api()).await.unwrap(),
        RolloutStatus::Pending
    );
    let done = c
        .wait_for_rollout(&api(), Duration::from_secs(600))
        .await
        .unwrap();
    assert!(matches!(done, RolloutStatus::Complete { revision } if revision.get() == 3));
    let undo = c.undo(&api(), None, &intent("rollback")).await.unwrap();
    assert_eq!(
        undo.outcome,
        UndoOutcome::RolledBack {
            from: mcp_ops_core::types::Revision::new(3).unwrap(),
            to: mcp_ops_core::types::Revision::new(2).unwrap()
        }
    );
    c.wait_for_rollout(&api(), Duration::from_secs(600))
        .await
        .unwrap();
    let summary = c.deployment(&api()).await.unwrap();
    assert_eq!(summary.images.get(&container()), Some(&image("v1.0.0")));
    assert_eq!(summary.revision.map(|r| r.get()), Some(4));
    let revisions: Vec<u64> = c
        .history(&api())
        .await
        .unwrap()
        .iter()
        .map(|r| r.revision.get())
        .collect();
    assert_eq!(revisions, vec![1, 3, 4]);
}

#[tokio::test(start_paused = true)]
async fn bad_image_fails_with_progress_deadline_exceeded() {
    let c = cluster();
    let bad = image("v1.0.1-broken");
    c.mark_bad_image(&bad);
    c.set_image(&api(), &container(), &bad, &intent("deploy broken"))
        .await
        .unwrap();
    let status = c
        .wait_for_rollout(&api(), Duration::from_secs(600))
        .await
        .unwrap();
    assert_eq!(
        status,
        RolloutStatus::Failed {
            reason: "ProgressDeadlineExceeded".into()
        }
    );
    let report = mcp_ops_core::HealthCheck::check(
        &c,
        &HealthTarget::Cluster(ClusterScope::all(Namespace::new("mcp-production").unwrap())),
    )
    .await
    .unwrap();
    assert_eq!(report.status, HealthStatus::Unhealthy);
    assert!(
        report
            .details
            .iter()
            .any(|d| d.reason == "ImagePullBackOff")
    );
}

#[tokio::test(start_paused = true)]
async fn wait_times_out_when_the_rollout_cannot_finish_in_time() {
    let c = cluster();
    c.set_image(&api(), &container(), &image("v1.0.1"), &intent("deploy"))
        .await
        .unwrap();
    let r = c.wait_for_rollout(&api(), Duration::from_millis(100)).await;
    assert!(matches!(r, Err(Error::Timeout { .. })), "{r:?}");
}

#[tokio::test(start_paused = true)]
async fn paused_undo_is_paused_and_single_revision_is_no_history() {
    let c = cluster();
    c.set_paused(&api(), true, &intent("pause")).await.unwrap();
    let r = c.undo(&api(), None, &intent("undo")).await.unwrap();
    assert_eq!(r.outcome, UndoOutcome::Paused);

    let one = MockCluster::builder()
        .deployment(
            api(),
            container(),
            image("v1.0.0"),
            Replicas::new(1).unwrap(),
            ResourceRequirements::runbook_typescript_api(),
        )
        .build();
    let r = one.undo(&api(), None, &intent("undo")).await.unwrap();
    assert_eq!(r.outcome, UndoOutcome::NoHistory);
}

#[tokio::test(start_paused = true)]
async fn dry_runs_change_nothing_as_recorded_calls_show() {
    let c = cluster();
    let dry = intent("plan").with_dry_run(true);
    c.set_image(&api(), &container(), &image("v2"), &dry)
        .await
        .unwrap();
    c.undo(&api(), None, &dry).await.unwrap();
    c.restart(&api(), &dry).await.unwrap();
    c.scale(
        &"mcp-production/mcp-rust-server".parse().unwrap(),
        Replicas::new(8).unwrap(),
        &dry,
    )
    .await
    .unwrap();
    let calls = c.faults().calls();
    assert_eq!(calls.len(), 4);
    assert!(calls.iter().all(|call| call.mutating && call.dry_run));
    assert!(c.faults().state_changes().is_empty());
    assert_eq!(c.history(&api()).await.unwrap().len(), 2);
    assert_eq!(
        c.replicas(&"mcp-production/mcp-rust-server".parse().unwrap())
            .await
            .unwrap()
            .get(),
        3
    );
}

#[tokio::test(start_paused = true)]
async fn runbook_scale_of_the_api_names_its_autoscaler() {
    let c = cluster();
    let r = c
        .scale(
            &api(),
            Replicas::new(5).unwrap(),
            &intent("runbook P2 scale"),
        )
        .await;
    match r {
        Err(Error::PolicyViolation { reason, .. }) => {
            assert!(reason.contains("mcp-typescript-api-hpa"))
        }
        other => panic!("expected a policy violation, got {other:?}"),
    }
}

#[tokio::test(start_paused = true)]
async fn injected_faults_fail_then_recover() {
    let c = cluster();
    c.faults()
        .fail_next("rollout_status", 2, Error::unavailable("kubernetes", "503"));
    assert!(c.rollout_status(&api()).await.is_err());
    assert!(c.rollout_status(&api()).await.is_err());
    assert!(c.rollout_status(&api()).await.is_ok());
}

#[tokio::test(start_paused = true)]
async fn a_failed_rollout_keeps_old_pods_serving_but_a_bad_release_answers_500() {
    let c = cluster();
    let probe = HealthTarget::Http(HttpProbe::new("api", RUNBOOK_HEALTH_URL));
    assert!(mcp_ops_core::HealthCheck::supports(&c, TargetKind::Http));

    let unpullable = image("v1.0.1-broken");
    c.mark_bad_image(&unpullable);
    c.set_image(&api(), &container(), &unpullable, &intent("deploy broken"))
        .await
        .unwrap();
    c.wait_for_rollout(&api(), Duration::from_secs(600))
        .await
        .unwrap();
    let r = mcp_ops_core::HealthCheck::check(&c, &probe).await.unwrap();
    assert_eq!(
        r.status,
        HealthStatus::Healthy,
        "old pods keep serving: {}",
        r.message
    );
    c.undo(&api(), None, &intent("rollback")).await.unwrap();
    c.wait_for_rollout(&api(), Duration::from_secs(600))
        .await
        .unwrap();

    let erroring = image("v1.0.2");
    c.mark_erroring_image(&erroring);
    c.set_image(
        &api(),
        &container(),
        &erroring,
        &intent("deploy bad release"),
    )
    .await
    .unwrap();
    let done = c
        .wait_for_rollout(&api(), Duration::from_secs(600))
        .await
        .unwrap();
    assert!(matches!(done, RolloutStatus::Complete { .. }));
    let r = mcp_ops_core::HealthCheck::check(&c, &probe).await.unwrap();
    assert_eq!(r.status, HealthStatus::Unhealthy);
    assert!(r.message.contains("500"), "{}", r.message);
}

#[tokio::test(start_paused = true)]
async fn node_capacity_sums_requests() {
    let c = cluster();
    let nodes = c.node_capacity().await.unwrap();
    assert_eq!(nodes.len(), 3);
    assert_eq!(nodes.iter().map(|n| n.pods).sum::<u32>(), 8);
    assert!(
        nodes
            .iter()
            .all(|n| n.cpu_requested_ratio().is_some_and(|r| r > 0.0 && r < 1.0))
    );
}

#[tokio::test(start_paused = true)]
async fn pausing_keeps_the_rollouts_progress_and_resuming_continues_it() {
    let c = cluster();
    // A complete rollout stays complete while paused (kubectl: "successfully rolled out").
    let before = c.rollout_status(&api()).await.unwrap();
    assert!(
        matches!(before, RolloutStatus::Complete { .. }),
        "{before:?}"
    );
    c.set_paused(&api(), true, &intent("pause")).await.unwrap();
    tokio::time::sleep(Duration::from_secs(5)).await;
    assert_eq!(c.rollout_status(&api()).await.unwrap(), before);
    let waited = c
        .wait_for_rollout(&api(), Duration::from_secs(5))
        .await
        .unwrap();
    assert_eq!(waited, before);
    c.set_paused(&api(), false, &intent("resume"))
        .await
        .unwrap();
    assert_eq!(c.rollout_status(&api()).await.unwrap(), before);

    // A rollout paused half way makes no progress until it is resumed, then finishes.
    c.set_image(&api(), &container(), &image("v1.0.1"), &intent("deploy"))
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(600)).await;
    c.set_paused(&api(), true, &intent("pause")).await.unwrap();
    tokio::time::sleep(Duration::from_secs(60)).await;
    let held = c.rollout_status(&api()).await.unwrap();
    assert!(
        matches!(held, RolloutStatus::Progressing { updated, desired, .. } if updated < desired),
        "{held:?}"
    );
    let r = c.wait_for_rollout(&api(), Duration::from_secs(2)).await;
    assert!(matches!(r, Err(Error::Timeout { .. })), "{r:?}");
    c.set_paused(&api(), false, &intent("resume"))
        .await
        .unwrap();
    let done = c
        .wait_for_rollout(&api(), Duration::from_secs(600))
        .await
        .unwrap();
    assert!(matches!(done, RolloutStatus::Complete { revision } if revision.get() == 3));

    // A template changed while paused is not rolled out until the resume.
    c.set_paused(&api(), true, &intent("pause")).await.unwrap();
    c.set_image(&api(), &container(), &image("v1.0.2"), &intent("deploy"))
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_secs(60)).await;
    let waiting = c.rollout_status(&api()).await.unwrap();
    assert!(
        matches!(waiting, RolloutStatus::Progressing { updated: 0, .. }),
        "{waiting:?}"
    );
    c.set_paused(&api(), false, &intent("resume"))
        .await
        .unwrap();
    let done = c
        .wait_for_rollout(&api(), Duration::from_secs(600))
        .await
        .unwrap();
    assert!(matches!(done, RolloutStatus::Complete { revision } if revision.get() == 4));
}

#[tokio::test(start_paused = true)]
async fn waiting_with_the_largest_timeout_does_not_overflow() {
    let c = cluster();
    c.set_image(&api(), &container(), &image("v1.0.1"), &intent("deploy"))
        .await
        .unwrap();
    let done = c.wait_for_rollout(&api(), Duration::MAX).await.unwrap();
    assert!(matches!(done, RolloutStatus::Complete { .. }), "{done:?}");
}
