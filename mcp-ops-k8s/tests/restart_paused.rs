//! Restarting a paused deployment is refused — by kubectl on the client side and by the
//! backend with the same typed error as the mock — and nothing is written.
#![cfg(feature = "sim")]
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod common;

use std::time::Duration;

use common::Kubectl;
use k8s_openapi::api::apps::v1::Deployment;
use kube::api::{Api, Patch, PatchParams};
use mcp_ops_core::types::{DeploymentRef, Intent};
use mcp_ops_core::{Deployer, Error};
use mcp_ops_k8s::sim::{Scenario, SimCluster};
use mcp_ops_k8s::{KubeCluster, KubeConfig, RetryPolicy};
use serde_json::{Value, json};

const NS: &str = "mcp-production";
const NAME: &str = "mcp-typescript-api";

fn backend(c: &SimCluster) -> KubeCluster {
    KubeConfig::new()
        .with_retry(RetryPolicy {
            max_attempts: 3,
            base_delay: Duration::from_millis(10),
            max_delay: Duration::from_millis(100),
            call_timeout: Duration::from_secs(10),
        })
        .build_from(kube::Config::new(c.url().parse().unwrap()))
        .unwrap()
}

/// Pauses the deployment through the simulator's API, as `kubectl rollout pause` does.
async fn pause(c: &SimCluster) -> Value {
    let api: Api<Deployment> = Api::namespaced(c.client().unwrap(), NS);
    api.patch(
        NAME,
        &PatchParams::default(),
        &Patch::Merge(json!({"spec": {"paused": true}})),
    )
    .await
    .unwrap();
    desired(c)
}

/// What a restart would change: the spec, its generation and the annotations (status is
/// the controllers' and may move on by itself).
fn desired(c: &SimCluster) -> Value {
    let d = c.get("apps/v1", "Deployment", NS, NAME).unwrap();
    json!({
        "spec": d["spec"],
        "generation": d["metadata"]["generation"],
        "annotations": d["metadata"]["annotations"],
    })
}

fn writes(c: &SimCluster) -> u64 {
    c.faults()
        .counts()
        .iter()
        .filter(|(k, _)| !k.starts_with("GET "))
        .map(|(_, n)| n)
        .sum()
}

#[tokio::test]
async fn the_backend_refuses_to_restart_a_paused_deployment_and_writes_nothing() {
    let c = SimCluster::start(Scenario::mcp_production()).await.unwrap();
    let before = pause(&c).await;
    let k = backend(&c);
    let target = DeploymentRef::new(NS, NAME).unwrap();
    let writes_before = writes(&c);
    for dry_run in [false, true] {
        let intent = Intent::new("restart", "test")
            .unwrap()
            .with_dry_run(dry_run);
        let e = k.restart(&target, &intent).await.unwrap_err();
        let Error::PolicyViolation { policy, reason } = &e else {
            panic!("expected PolicyViolation, got {e:?}");
        };
        assert_eq!(*policy, "paused-deployment");
        assert_eq!(
            reason,
            "can't restart paused deployment mcp-production/mcp-typescript-api \
             (run rollout resume first)"
        );
        assert!(!e.is_retryable());
    }
    assert_eq!(writes(&c), writes_before, "no write reached the server");
    assert_eq!(desired(&c), before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kubectl_refuses_to_restart_a_paused_deployment_client_side() {
    let c = SimCluster::start(Scenario::mcp_production()).await.unwrap();
    let before = pause(&c).await;
    let writes_before = writes(&c);
    let out = Kubectl::new(&c)
        .prod(&["rollout", "restart", &format!("deployment/{NAME}")])
        .await;
    assert_eq!(out.code, 1, "{out:?}");
    assert!(
        out.stderr
            .contains("can't restart paused deployment (run rollout resume first)"),
        "{}",
        out.stderr
    );
    assert_eq!(writes(&c), writes_before, "kubectl refused before sending");
    assert_eq!(desired(&c), before);
}
