//! The standard deployment through the test kit in paused time: a good image is deployed
//! after its full 30-minute bake, a breach during the bake rolls back with an incident and
//! its messages, and the naive paused test (default mocks, no clock handed to any builder)
//! deploys a good image instead of reporting a timeout.
#![cfg(feature = "testkit")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::time::Duration;

use mcp_ops_core::mock::{MockAlerting, MockCluster, MockDatabase};
use mcp_ops_core::notify::MessageKind;
use mcp_ops_core::runbook::Context;
use mcp_ops_core::runbook::smoke::SmokeTest;
use mcp_ops_core::runbook::standard_deploy::{
    Checklist, DeployBackends, DeployOutcome, DeployRequest, standard_deploy,
};
use mcp_ops_core::testkit::{ScriptedSmoke, TestKit};
use mcp_ops_core::types::ImageRef;
use mcp_ops_core::{Deployer, Intent, TokioClock};

const NEW_IMAGE: &str = "ghcr.io/your-org/mcp-typescript-server:v1.0.1";

fn request() -> DeployRequest {
    DeployRequest::runbook(ImageRef::parse(NEW_IMAGE).unwrap())
        .unwrap()
        .with_checklist(Checklist::all_passed(
            "CI run 4711 green",
            "kubectl rollout undo deployment/mcp-typescript-api -n mcp-production",
        ))
}

#[tokio::test(start_paused = true)]
async fn a_good_image_is_deployed_after_the_full_bake() {
    let kit = TestKit::runbook().await.unwrap();
    let ctx = kit.context("standard_deploy", "deploy v1.0.1").unwrap();
    let report = standard_deploy(&ctx, &kit.deploy_backends(), &request())
        .await
        .unwrap();
    assert!(
        matches!(report.outcome, DeployOutcome::Deployed { .. }),
        "{:?}",
        report.outcome
    );
    let bake = report.bake.expect("the bake ran");
    assert_eq!(bake.samples, 30, "one sample a minute for 30 minutes");
    let api = request().deployment;
    let images = kit.cluster.deployment(&api).await.unwrap().images;
    assert_eq!(images.values().next().unwrap().to_string(), NEW_IMAGE);
    assert!(report.incident.is_none());
    assert!(kit.messages().is_empty());
    assert!(kit.smoke.runs() >= 1);
    assert!(!kit.journal().entries().is_empty());
}

#[tokio::test(start_paused = true)]
async fn a_breach_during_the_bake_rolls_back_and_opens_an_incident() {
    let kit = TestKit::runbook().await.unwrap();
    kit.metrics.breach_after(Duration::from_secs(10 * 60));
    let ctx = kit.context("standard_deploy", "deploy v1.0.1").unwrap();
    let report = standard_deploy(&ctx, &kit.deploy_backends(), &request())
        .await
        .unwrap();
    assert!(
        matches!(report.outcome, DeployOutcome::RolledBack { .. }),
        "{:?}",
        report.outcome
    );
    let id = report.incident.expect("an incident for the rollback");
    let detected: Vec<_> = kit
        .messages()
        .into_iter()
        .filter(|m| m.incident == id && m.kind == MessageKind::Detected)
        .collect();
    assert_eq!(detected.len(), 1, "INCIDENT DETECTED posted once");
    assert!(
        !kit.pagerduty.messages().is_empty(),
        "a P1 rollback pages the on-call engineer"
    );
}

#[tokio::test(start_paused = true)]
async fn failing_smoke_tests_roll_back() {
    let kit = TestKit::runbook().await.unwrap();
    kit.smoke.set_passing(false);
    let ctx = kit.context("standard_deploy", "deploy v1.0.1").unwrap();
    let report = standard_deploy(&ctx, &kit.deploy_backends(), &request())
        .await
        .unwrap();
    assert!(
        matches!(report.outcome, DeployOutcome::RolledBack { .. }),
        "{:?}",
        report.outcome
    );
}

#[tokio::test(start_paused = true)]
async fn no_metric_data_leaves_the_deploy_unverified() {
    let kit = TestKit::runbook().await.unwrap();
    kit.metrics.no_data_after(Duration::ZERO);
    let ctx = kit.context("standard_deploy", "deploy v1.0.1").unwrap();
    let report = standard_deploy(&ctx, &kit.deploy_backends(), &request())
        .await
        .unwrap();
    assert!(
        matches!(report.outcome, DeployOutcome::Unverified { .. }),
        "{:?}",
        report.outcome
    );
}

/// The new user's test: default mocks, nobody hands a clock to a builder.
#[tokio::test(start_paused = true)]
async fn the_naive_paused_test_deploys_a_good_image() {
    let cluster = MockCluster::runbook();
    let (db, _nightly) = MockDatabase::runbook_with_nightly_backup().await.unwrap();
    let alerting = MockAlerting::runbook();
    let smoke = ScriptedSmoke::passing();
    let backends = DeployBackends {
        deployer: &cluster,
        backups: &db,
        health: &cluster,
        metrics: &alerting,
        smoke: &smoke as &dyn SmokeTest,
        escalator: &alerting,
    };
    let intent = Intent::new("deploy v1.0.1", "new-user").unwrap();
    let ctx = Context::new("standard_deploy", intent, Arc::new(TokioClock::wall()));
    let report = standard_deploy(&ctx, &backends, &request()).await.unwrap();
    assert!(
        matches!(report.outcome, DeployOutcome::Deployed { .. }),
        "{:?}",
        report.outcome
    );
}
