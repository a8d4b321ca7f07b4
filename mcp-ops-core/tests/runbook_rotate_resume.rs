//! `rotate_secret` refuses before touching and settles interrupted rotations (`Resume`,
//! `Abort`), on the mock cluster.
#![cfg(all(feature = "mock", feature = "testing"))]
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::sync::Arc;

use mcp_ops_core::mock::MockCluster;
use mcp_ops_core::runbook::Context;
use mcp_ops_core::runbook::rotate_secret::{
    self, RotateSecretInput, RotationBackends, RotationMode, rotate_secret,
};
use mcp_ops_core::secrets::{PendingRotation, SecretKeyRef, SecretRotator};
use mcp_ops_core::types::{DeploymentRef, SecretSpec};
use mcp_ops_core::{Error, Intent, RotationPhase, SecretValue, SharedClock, TokioClock};

fn clock() -> SharedClock {
    Arc::new(TokioClock::starting_at(
        "2025-01-08T14:30:00Z".parse().unwrap(),
    ))
}

fn ctx(dry_run: bool) -> Context {
    let intent = Intent::new("monthly secret rotation", "ops-bot")
        .unwrap()
        .with_dry_run(dry_run);
    Context::new(rotate_secret::PROCEDURE, intent, clock())
}

fn cluster() -> MockCluster {
    MockCluster::builder_runbook().clock(clock()).build()
}

fn jwt() -> SecretKeyRef {
    SecretKeyRef::new("mcp-production", "mcp-secrets", "jwt-secret").unwrap()
}

fn current(c: &MockCluster) -> SecretValue {
    c.secret_value("mcp-production", "mcp-secrets", "jwt-secret")
        .unwrap()
}

fn backends(c: &MockCluster) -> RotationBackends<'_> {
    RotationBackends {
        rotator: c,
        deployer: c,
        health: c,
    }
}

fn input(mode: RotationMode) -> RotateSecretInput {
    let api: DeploymentRef = "mcp-production/mcp-typescript-api".parse().unwrap();
    RotateSecretInput::runbook()
        .unwrap()
        .with_dependents(vec![api])
        .with_health(Vec::new())
        .with_mode(mode)
}

/// Stages and applies a new value through the rotator, as a run killed after `apply` leaves it.
async fn interrupted_after_apply(c: &MockCluster) -> SecretValue {
    let intent = Intent::new("killed run", "ops-bot").unwrap();
    let value = SecretValue::generate(&SecretSpec::JWT).unwrap();
    c.stage(&jwt(), &value, &intent).await.unwrap();
    c.apply(&jwt(), &intent).await.unwrap();
    value
}

#[tokio::test(start_paused = true)]
async fn a_dependent_that_does_not_exist_is_refused_before_any_write() {
    let c = cluster();
    let before = current(&c);
    let ghost: DeploymentRef = "mcp-production/no-such-deployment".parse().unwrap();
    let api: DeploymentRef = "mcp-production/mcp-typescript-api".parse().unwrap();
    let bad = input(RotationMode::Start).with_dependents(vec![api, ghost]);
    let e = rotate_secret(&ctx(false), backends(&c), &bad)
        .await
        .unwrap_err();
    assert!(matches!(e, Error::NotFound { .. }), "{e}");
    assert!(e.to_string().contains("no-such-deployment"), "{e}");
    assert!(
        c.faults().state_changes().is_empty(),
        "{:?}",
        c.faults().state_changes()
    );
    assert_eq!(current(&c), before);
    assert_eq!(c.pending(&jwt()).await.unwrap(), None);
}

#[tokio::test(start_paused = true)]
async fn an_unfinished_rotation_is_not_overwritten_and_resume_finishes_it() {
    let c = cluster();
    let old = current(&c);
    let new = interrupted_after_apply(&c).await;

    let e = rotate_secret(&ctx(false), backends(&c), &input(RotationMode::Start))
        .await
        .unwrap_err();
    assert!(matches!(e, Error::Conflict { .. }), "{e}");
    assert!(e.to_string().contains("--resume"), "{e}");
    assert!(e.to_string().contains("--abort"), "{e}");
    assert_eq!(current(&c), new, "the refused run changed nothing");
    assert!(matches!(
        c.pending(&jwt()).await.unwrap(),
        Some(PendingRotation::Applied { previous: Some(p), .. }) if p.fingerprint == old.fingerprint()
    ));

    let dry = rotate_secret(&ctx(true), backends(&c), &input(RotationMode::Resume))
        .await
        .unwrap();
    let steps: Vec<String> = dry
        .plan
        .unwrap()
        .steps
        .into_iter()
        .map(|s| s.step)
        .collect();
    assert!(
        !steps
            .iter()
            .any(|s| s.contains("stage") || s.contains("apply")),
        "{steps:?}"
    );
    assert!(
        steps.iter().any(|s| s == "mark rotation finished"),
        "{steps:?}"
    );
    assert!(
        c.pending(&jwt()).await.unwrap().is_some(),
        "a dry run finishes nothing"
    );

    let o = rotate_secret(&ctx(false), backends(&c), &input(RotationMode::Resume))
        .await
        .unwrap();
    assert!(o.succeeded(), "{:?}", o.report);
    assert_eq!(o.report.previous.fingerprint, old.fingerprint());
    assert_eq!(current(&c), new, "resume keeps the applied value");
    assert_eq!(c.pending(&jwt()).await.unwrap(), None);
    assert_eq!(o.restarts.len(), 1);
}

#[tokio::test(start_paused = true)]
async fn abort_puts_the_previous_value_back_and_restarts() {
    let c = cluster();
    let old = current(&c);
    interrupted_after_apply(&c).await;
    let o = rotate_secret(&ctx(false), backends(&c), &input(RotationMode::Abort))
        .await
        .unwrap();
    assert!(o.reverted(), "{:?}", o.report);
    assert_eq!(current(&c), old);
    assert_eq!(c.pending(&jwt()).await.unwrap(), None);
    assert_eq!(
        o.revert_restarts.len(),
        1,
        "pods that read the new value restart"
    );

    // Nothing left to abort or resume: a typed refusal.
    for mode in [RotationMode::Abort, RotationMode::Resume] {
        let e = rotate_secret(&ctx(false), backends(&c), &input(mode))
            .await
            .unwrap_err();
        assert!(matches!(e, Error::InvalidInput { .. }), "{e}");
    }
    // And a new rotation may start.
    let o = rotate_secret(&ctx(false), backends(&c), &input(RotationMode::Start))
        .await
        .unwrap();
    assert!(o.succeeded());
    assert_eq!(c.pending(&jwt()).await.unwrap(), None);
}

#[tokio::test(start_paused = true)]
async fn abort_of_a_staged_value_drops_it_without_restarts() {
    let c = cluster();
    let old = current(&c);
    let intent = Intent::new("killed run", "ops-bot").unwrap();
    let value = SecretValue::generate(&SecretSpec::JWT).unwrap();
    c.stage(&jwt(), &value, &intent).await.unwrap();

    let dry = rotate_secret(&ctx(true), backends(&c), &input(RotationMode::Abort))
        .await
        .unwrap();
    assert!(dry.plan.is_some());
    assert!(c.pending(&jwt()).await.unwrap().is_some());

    let o = rotate_secret(&ctx(false), backends(&c), &input(RotationMode::Abort))
        .await
        .unwrap();
    assert!(o.reverted());
    assert!(matches!(
        o.report.phases.as_slice(),
        [RotationPhase::Staged, RotationPhase::Reverted { .. }]
    ));
    assert!(o.revert_restarts.is_empty());
    assert_eq!(current(&c), old);
    assert_eq!(c.pending(&jwt()).await.unwrap(), None);
}
