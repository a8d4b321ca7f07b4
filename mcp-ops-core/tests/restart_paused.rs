//! The mock cluster refuses to restart a paused deployment, as `kubectl rollout restart` does.
#![cfg(all(feature = "mock", feature = "testing"))]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use mcp_ops_core::mock::MockCluster;
use mcp_ops_core::types::{DeploymentRef, Intent};
use mcp_ops_core::{Deployer, Error, TokioClock};

fn cluster() -> MockCluster {
    let clock = TokioClock::starting_at("2025-01-08T14:30:00Z".parse().unwrap());
    MockCluster::builder_runbook()
        .clock(Arc::new(clock))
        .build()
}

fn api() -> DeploymentRef {
    "mcp-production/mcp-typescript-api".parse().unwrap()
}

fn intent(reason: &str) -> Intent {
    Intent::new(reason, "test").unwrap()
}

#[tokio::test(start_paused = true)]
async fn restart_of_a_paused_deployment_is_refused_and_changes_nothing() {
    let c = cluster();
    c.set_paused(&api(), true, &intent("hold")).await.unwrap();
    let before = c.deployment(&api()).await.unwrap();
    let history = c.history(&api()).await.unwrap();
    for dry_run in [false, true] {
        let e = c
            .restart(&api(), &intent("restart").with_dry_run(dry_run))
            .await
            .unwrap_err();
        let Error::PolicyViolation { policy, reason } = &e else {
            panic!("expected PolicyViolation, got {e:?}");
        };
        assert_eq!(*policy, "paused-deployment");
        assert_eq!(
            reason,
            "can't restart paused deployment mcp-production/mcp-typescript-api \
             (run rollout resume first)"
        );
        assert!(!e.is_retryable(), "waiting does not resume a deployment");
    }
    assert_eq!(c.deployment(&api()).await.unwrap(), before);
    assert_eq!(c.history(&api()).await.unwrap(), history);

    // Once resumed, the restart goes through and adds a revision.
    c.set_paused(&api(), false, &intent("go")).await.unwrap();
    c.restart(&api(), &intent("restart")).await.unwrap();
    let newest = |h: &[mcp_ops_core::RevisionInfo]| h.iter().map(|r| r.revision.get()).max();
    let after = c.history(&api()).await.unwrap();
    assert_eq!(newest(&after), newest(&history).map(|n| n + 1));
}
