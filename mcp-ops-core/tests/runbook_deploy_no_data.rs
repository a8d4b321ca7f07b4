//! `standard_deploy`'s bake without evidence on the mock backends: the no-data policy
//! (hold by default, rollback, accept), the deployment watched on every sample so a lost
//! metric source does not blind the bake, a frozen metric source, the cluster lost mid-bake,
//! and named objects checked before the gates.
#![cfg(all(feature = "mock", feature = "testing"))]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use mcp_ops_core::backup::{BackupKind, BackupRequest};
use mcp_ops_core::health::MetricKind;
use mcp_ops_core::mock::{
    MockAlerting, MockAlertingBuilder, MockCluster, MockDatabase, MockDatabaseBuilder,
};
use mcp_ops_core::runbook::Context;
use mcp_ops_core::runbook::smoke::{SmokeCheck, SmokeReport, SmokeTest};
use mcp_ops_core::runbook::standard_deploy::{
    BakeConfig, BakeVerdict, Checklist, DeployBackends, DeployOutcome, DeployReport, DeployRequest,
    NoDataPolicy, standard_deploy,
};
use mcp_ops_core::types::{ContainerName, DeploymentRef, ImageRef, Intent};
use mcp_ops_core::{BackupManager, Deployer, Error, TokioClock};

const T0: &str = "2025-01-08T14:30:00Z";

struct Smoke;

#[async_trait]
impl SmokeTest for Smoke {
    async fn run(&self) -> mcp_ops_core::Result<SmokeReport> {
        Ok(SmokeReport::new(vec![SmokeCheck::pass(
            "login", "HTTP 200",
        )]))
    }
}

struct Env {
    cluster: MockCluster,
    db: MockDatabase,
    alerting: MockAlerting,
    clock: Arc<TokioClock>,
}

impl Env {
    async fn new() -> Self {
        let clock = Arc::new(TokioClock::starting_at(T0.parse().unwrap()));
        let cluster = MockCluster::builder_runbook().clock(clock.clone()).build();
        let db = MockDatabaseBuilder::runbook().clock(clock.clone()).build();
        let alerting = MockAlertingBuilder::runbook().clock(clock.clone()).build();
        let backup = BackupRequest {
            kind: BackupKind::Database {
                database: "mcp_db".into(),
            },
            label: None,
        };
        db.backup(&backup, &Intent::new("nightly", "ops-bot").unwrap())
            .await
            .unwrap();
        Self {
            cluster,
            db,
            alerting,
            clock,
        }
    }

    fn ctx(&self) -> Context {
        let intent = Intent::new("deploy v1.0.1", "ops-bot").unwrap();
        Context::new("standard_deploy", intent, self.clock.clone())
    }

    async fn deploy(&self, req: &DeployRequest) -> mcp_ops_core::Result<DeployReport> {
        let backends = DeployBackends {
            deployer: &self.cluster,
            backups: &self.db,
            health: &self.cluster,
            metrics: &self.alerting,
            smoke: &Smoke,
            escalator: &self.alerting,
        };
        standard_deploy(&self.ctx(), &backends, req).await
    }

    fn no_metrics(&self) {
        for m in [MetricKind::ErrorRate, MetricKind::P95Latency] {
            self.alerting.set_metric("mcp-typescript-api", m, None);
        }
    }

    async fn image_now(&self) -> ImageRef {
        let s = self.cluster.deployment(&api()).await.unwrap();
        s.images.values().next().unwrap().clone()
    }
}

fn api() -> DeploymentRef {
    "mcp-production/mcp-typescript-api".parse().unwrap()
}

fn image(tag: &str) -> ImageRef {
    ImageRef::parse(&format!("ghcr.io/your-org/mcp-typescript-server:{tag}")).unwrap()
}

/// v1.0.1 with the gates green and a 5 min bake.
fn request(policy: NoDataPolicy) -> DeployRequest {
    let mut req = DeployRequest::runbook(image("v1.0.1"))
        .unwrap()
        .with_checklist(Checklist::all_passed("CI green", "kubectl rollout undo …"));
    req.bake = BakeConfig {
        duration: Duration::from_secs(5 * 60),
        ..BakeConfig::default()
    };
    req.on_no_data = policy;
    req
}

/// Runs `f` on the cluster after `after` of (paused) time.
fn later(after: Duration, f: impl FnOnce() + Send + 'static) {
    tokio::spawn(async move {
        tokio::time::sleep(after).await;
        f();
    });
}

#[tokio::test(start_paused = true)]
async fn without_metrics_the_default_holds_and_is_not_a_success() {
    let env = Env::new().await;
    env.no_metrics();
    let report = env.deploy(&request(NoDataPolicy::default())).await.unwrap();
    let DeployOutcome::Unverified { why, policy, .. } = &report.outcome else {
        panic!("{:?}", report.outcome);
    };
    assert_eq!(*policy, NoDataPolicy::Hold);
    assert!(why.contains("no metric data in 5 of 5 samples"), "{why}");
    assert_eq!(
        env.image_now().await,
        image("v1.0.1"),
        "held: still running"
    );
    assert_eq!(env.cluster.faults().count("undo"), 0);
}

#[tokio::test(start_paused = true)]
async fn on_no_data_rollback_undoes_and_accept_keeps_it_marked() {
    let env = Env::new().await;
    env.no_metrics();
    let report = env.deploy(&request(NoDataPolicy::Rollback)).await.unwrap();
    let DeployOutcome::RolledBack { why, .. } = &report.outcome else {
        panic!("{:?}", report.outcome);
    };
    assert!(why.contains("bake inconclusive"), "{why}");
    assert_eq!(env.image_now().await, image("v1.0.0"));
    assert!(report.incident.is_some());

    let env = Env::new().await;
    env.no_metrics();
    let report = env.deploy(&request(NoDataPolicy::Accept)).await.unwrap();
    assert!(
        matches!(
            &report.outcome,
            DeployOutcome::Unverified {
                policy: NoDataPolicy::Accept,
                ..
            }
        ),
        "{:?}",
        report.outcome
    );
    assert_eq!(env.image_now().await, image("v1.0.1"));
}

#[tokio::test(start_paused = true)]
async fn a_deployment_going_bad_fails_the_bake_even_without_metrics() {
    let env = Env::new().await;
    env.no_metrics();
    let cluster = env.cluster.clone();
    later(Duration::from_secs(150), move || {
        cluster.mark_crashing_image(&image("v1.0.1"));
    });
    let report = env.deploy(&request(NoDataPolicy::Accept)).await.unwrap();
    let DeployOutcome::RolledBack { why, .. } = &report.outcome else {
        panic!("{:?}", report.outcome);
    };
    assert!(why.contains("the deployment went bad"), "{why}");
    assert!(why.contains("restarts rose"), "{why}");
    let bake = report.bake.unwrap();
    assert!(matches!(
        bake.verdict,
        BakeVerdict::Breach { sample: 3, .. }
    ));
    assert_eq!(env.image_now().await, image("v1.0.0"));
}

#[tokio::test(start_paused = true)]
async fn the_cluster_lost_mid_bake_leaves_it_unverified_even_with_metrics() {
    let env = Env::new().await;
    let cluster = env.cluster.clone();
    later(Duration::from_secs(150), move || {
        cluster.faults().fail_next(
            "pod_health",
            usize::MAX,
            Error::unavailable("kubernetes", "connection refused"),
        );
    });
    let report = env.deploy(&request(NoDataPolicy::Hold)).await.unwrap();
    let DeployOutcome::Unverified { why, .. } = &report.outcome else {
        panic!("{:?}", report.outcome);
    };
    assert!(why.contains("pods unread in 3 of 5 samples"), "{why}");
    assert!(why.contains("connection refused"), "{why}");
}

#[tokio::test(start_paused = true)]
async fn metrics_lost_at_the_end_of_the_bake_are_not_a_pass() {
    let env = Env::new().await;
    let alerting = env.alerting.clone();
    later(Duration::from_secs(270), move || {
        for m in [MetricKind::ErrorRate, MetricKind::P95Latency] {
            alerting.set_metric("mcp-typescript-api", m, None);
        }
    });
    let report = env.deploy(&request(NoDataPolicy::Hold)).await.unwrap();
    let DeployOutcome::Unverified { why, .. } = &report.outcome else {
        panic!("{:?}", report.outcome);
    };
    assert!(why.contains("no metric data in 1 of 5 samples"), "{why}");
}

#[tokio::test(start_paused = true)]
async fn a_frozen_metric_source_ends_each_sample_as_no_data() {
    let env = Env::new().await;
    env.alerting.faults().hang("check");
    let report = env.deploy(&request(NoDataPolicy::Hold)).await.unwrap();
    let DeployOutcome::Unverified { why, .. } = &report.outcome else {
        panic!("{:?}", report.outcome);
    };
    assert!(why.contains("did not answer within"), "{why}");
    assert_eq!(report.bake.unwrap().samples, 5);
}

#[tokio::test(start_paused = true)]
async fn a_missing_deployment_or_container_is_not_found_before_any_gate() {
    let env = Env::new().await;
    // No checklist: every caller gate would fail; "not found" must still win.
    let missing = DeployRequest::new(
        "mcp-production/nothere".parse().unwrap(),
        ContainerName::new("api").unwrap(),
        image("v1.0.1"),
    );
    let err = env.deploy(&missing).await.unwrap_err();
    assert!(
        matches!(
            err,
            Error::NotFound {
                kind: "deployment",
                ..
            }
        ),
        "{err}"
    );
    let wrong_container =
        DeployRequest::new(api(), ContainerName::new("nope").unwrap(), image("v1.0.1"));
    let err = env.deploy(&wrong_container).await.unwrap_err();
    assert!(
        matches!(
            err,
            Error::NotFound {
                kind: "container",
                ..
            }
        ),
        "{err}"
    );
    assert!(env.cluster.faults().state_changes().is_empty());
    assert_eq!(env.db.faults().count("list_backups"), 0, "no gate ran");
}

#[tokio::test(start_paused = true)]
async fn a_skipped_bake_is_deployed_without_verification() {
    let env = Env::new().await;
    let mut req = request(NoDataPolicy::Hold);
    req.bake.duration = Duration::ZERO;
    let report = env.deploy(&req).await.unwrap();
    let DeployOutcome::Unverified { why, .. } = &report.outcome else {
        panic!("{:?}", report.outcome);
    };
    assert!(why.contains("the bake was skipped"), "{why}");
    assert!(report.bake.is_none());
}
