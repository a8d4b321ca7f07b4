//! The Kubernetes Deployer on a SimCluster over HTTP: the core contract, kubectl's rollout
//! status and undo, failing images, faults and dropped watches.
#![cfg(feature = "sim")]
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::time::Duration;

use k8s_openapi::api::apps::v1::Deployment;
use kube::api::Api;
use mcp_ops_core::testing::{DeployerFixture, deployer_contract};
use mcp_ops_core::types::{ContainerName, DeploymentRef, ImageRef, Intent, Revision};
use mcp_ops_core::{Deployer, Error, RolloutStatus, UndoOutcome};
use mcp_ops_k8s::sim::{FaultRule, ImageFailure, Scenario, SimCluster, scenario};
use mcp_ops_k8s::{KubeCluster, KubeConfig, RetryPolicy};
use serde_json::json;

const NS: &str = "mcp-production";
const BAD: &str = "ghcr.io/your-org/mcp-typescript-server:v9.9.9-broken";

fn fast_retry() -> RetryPolicy {
    RetryPolicy {
        max_attempts: 6,
        base_delay: Duration::from_millis(10),
        max_delay: Duration::from_millis(200),
        call_timeout: Duration::from_secs(10),
    }
}

/// Built like a user would (kube's own unbounded retry layer off, ours on).
fn backend(c: &SimCluster) -> KubeCluster {
    KubeConfig::new()
        .with_retry(fast_retry())
        .build_from(kube::Config::new(c.url().parse().unwrap()))
        .unwrap()
}

fn api_ref() -> DeploymentRef {
    DeploymentRef::new(NS, "mcp-typescript-api").unwrap()
}

fn container() -> ContainerName {
    ContainerName::new("mcp-typescript-api").unwrap()
}

fn image(tag: &str) -> ImageRef {
    ImageRef::parse(&format!("ghcr.io/your-org/mcp-typescript-server:{tag}")).unwrap()
}

fn intent(r: &str) -> Intent {
    Intent::new(r, "backend-test").unwrap()
}

/// The runbook scenario plus `contract-web`, whose progress deadline is 3 s so a failing
/// image fails the rollout in wall-clock seconds.
fn scenario_with_contract_web() -> Scenario {
    let mut d = scenario::deployment(NS, "contract-web", "registry.local/web:v1", 2, 8080);
    d["spec"]["progressDeadlineSeconds"] = json!(3);
    Scenario::mcp_production()
        .with_object(d)
        .fail_image("registry.local/web:broken", ImageFailure::PullBackOff)
        .fail_image("v9.9.9-broken", ImageFailure::CrashLoop)
}

#[tokio::test]
async fn deployer_contract_passes_on_the_sim() {
    let c = SimCluster::start(scenario_with_contract_web())
        .await
        .unwrap();
    let k = backend(&c);
    let fx = DeployerFixture {
        deployment: DeploymentRef::new(NS, "contract-web").unwrap(),
        container: ContainerName::new("contract-web").unwrap(),
        new_image: ImageRef::parse("registry.local/web:v2").unwrap(),
        failing_image: Some(ImageRef::parse("registry.local/web:broken").unwrap()),
        missing: DeploymentRef::new(NS, "nope").unwrap(),
        rollout_timeout: Duration::from_secs(60),
    };
    deployer_contract(&k, &fx).await.unwrap();
}

#[tokio::test]
async fn runbook_history_and_summary() {
    let c = SimCluster::start(Scenario::mcp_production()).await.unwrap();
    let k = backend(&c);
    let h = k.history(&api_ref()).await.unwrap();
    let revs: Vec<u64> = h.iter().map(|r| r.revision.get()).collect();
    assert_eq!(revs, vec![1, 2, 3]);
    assert_eq!(h[0].images.get(&container()), Some(&image("v0.9.0")));
    assert_eq!(h[2].images.get(&container()), Some(&image("v1.0.0")));
    assert!(h[2].change_cause.as_deref().unwrap().contains("v1.0.0"));
    let s = k.deployment(&api_ref()).await.unwrap();
    assert_eq!((s.desired, s.available, s.updated), (3, 3, 3));
    assert_eq!(s.revision, Some(Revision::new(3).unwrap()));
    assert!(s.updated_at.is_some());
    let all = k.deployments(&api_ref().namespace).await.unwrap();
    assert_eq!(all.len(), 3);
    assert!(matches!(
        k.rollout_status(&api_ref()).await.unwrap(),
        RolloutStatus::Complete { revision } if revision.get() == 3
    ));
}

#[tokio::test]
async fn failing_image_fails_then_undo_completes_at_the_previous_template() {
    let c = std::sync::Arc::new(
        SimCluster::start(scenario_with_contract_web())
            .await
            .unwrap(),
    );
    let k = backend(&c);
    let change = k
        .set_image(
            &api_ref(),
            &container(),
            &ImageRef::parse(BAD).unwrap(),
            &intent("deploy broken"),
        )
        .await
        .unwrap();
    assert!(change.changed);
    // The deployment keeps its default 600 s deadline: move the simulated clock forward
    // while we wait, as time would pass on a real cluster.
    let ticker = {
        let c = c.clone();
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(Duration::from_millis(100)).await;
                c.advance_clock(Duration::from_secs(60));
            }
        })
    };
    let failed = k
        .wait_for_rollout(&api_ref(), Duration::from_secs(30))
        .await;
    ticker.abort();
    let failed = failed.unwrap();
    assert!(
        matches!(&failed, RolloutStatus::Failed { reason } if reason.starts_with("ProgressDeadlineExceeded")),
        "{failed:?}"
    );
    let undo = k
        .undo(&api_ref(), None, &intent("roll back broken"))
        .await
        .unwrap();
    assert_eq!(
        undo.outcome,
        UndoOutcome::RolledBack {
            from: Revision::new(4).unwrap(),
            to: Revision::new(3).unwrap()
        }
    );
    let done = k
        .wait_for_rollout(&api_ref(), Duration::from_secs(30))
        .await
        .unwrap();
    assert_eq!(
        done,
        RolloutStatus::Complete {
            revision: Revision::new(5).unwrap()
        }
    );
    let s = k.deployment(&api_ref()).await.unwrap();
    assert_eq!(s.images.get(&container()), Some(&image("v1.0.0")));
    let revs: Vec<u64> = k
        .history(&api_ref())
        .await
        .unwrap()
        .iter()
        .map(|r| r.revision.get())
        .collect();
    assert_eq!(revs, vec![1, 2, 4, 5], "revision 3 is renumbered to 5");
}

#[tokio::test]
async fn undo_variants_follow_kubectl() {
    let mut lone = scenario::deployment(NS, "lone", "registry.local/lone:v1", 1, 80);
    lone["spec"]["paused"] = json!(true);
    let c = SimCluster::start(Scenario::mcp_production().with_object(lone))
        .await
        .unwrap();
    let k = backend(&c);
    // One revision and paused: kubectl looks the revision up first → no history.
    let lone = DeploymentRef::new(NS, "lone").unwrap();
    assert_eq!(
        k.undo(&lone, None, &intent("x")).await.unwrap().outcome,
        UndoOutcome::NoHistory
    );
    // To the current revision: skipped, nothing sent.
    let patches_before = patch_count(&c);
    let r = k
        .undo(&api_ref(), Some(Revision::new(3).unwrap()), &intent("x"))
        .await
        .unwrap();
    assert_eq!(
        r.outcome,
        UndoOutcome::Skipped {
            already_at: Revision::new(3).unwrap()
        }
    );
    assert_eq!(patch_count(&c), patches_before);
    // Unknown revision.
    let e = k
        .undo(&api_ref(), Some(Revision::new(42).unwrap()), &intent("x"))
        .await
        .unwrap_err();
    assert!(
        matches!(
            e,
            Error::NotFound {
                kind: "revision",
                ..
            }
        ),
        "{e:?}"
    );
    // Dry run: planned, nothing changes.
    let r = k
        .undo(
            &api_ref(),
            Some(Revision::FIRST),
            &intent("x").with_dry_run(true),
        )
        .await
        .unwrap();
    assert!(r.dry_run);
    assert_eq!(
        r.outcome,
        UndoOutcome::RolledBack {
            from: Revision::new(3).unwrap(),
            to: Revision::FIRST
        }
    );
    assert_eq!(
        k.deployment(&api_ref())
            .await
            .unwrap()
            .images
            .get(&container()),
        Some(&image("v1.0.0"))
    );
}

fn patch_count(c: &SimCluster) -> u64 {
    c.faults()
        .counts()
        .iter()
        .filter(|(k, _)| k.starts_with("PATCH"))
        .map(|(_, v)| *v)
        .sum()
}

#[tokio::test]
async fn status_waits_for_the_observed_generation() {
    let c = SimCluster::start(Scenario::mcp_production().manual_controllers())
        .await
        .unwrap();
    let k = backend(&c);
    k.set_image(
        &api_ref(),
        &container(),
        &image("v1.0.1"),
        &intent("deploy v1.0.1"),
    )
    .await
    .unwrap();
    // The counters still say 3/3/3 from the old template, but the controller has not
    // observed the new generation: kube-rs's is_deployment_completed would say "complete".
    assert_eq!(
        k.rollout_status(&api_ref()).await.unwrap(),
        RolloutStatus::Pending
    );
    c.step();
    let done = k
        .wait_for_rollout(&api_ref(), Duration::from_secs(10))
        .await
        .unwrap();
    assert_eq!(
        done,
        RolloutStatus::Complete {
            revision: Revision::new(4).unwrap()
        }
    );
}

#[tokio::test]
async fn wait_times_out_with_a_timeout_error() {
    let c = SimCluster::start(Scenario::mcp_production().manual_controllers())
        .await
        .unwrap();
    let k = backend(&c);
    k.set_image(
        &api_ref(),
        &container(),
        &image("v1.0.1"),
        &intent("deploy"),
    )
    .await
    .unwrap();
    let e = k
        .wait_for_rollout(&api_ref(), Duration::from_millis(300))
        .await
        .unwrap_err();
    assert!(matches!(e, Error::Timeout { .. }), "{e:?}");
    let e = k
        .wait_for_rollout(
            &DeploymentRef::new(NS, "nope").unwrap(),
            Duration::from_secs(1),
        )
        .await
        .unwrap_err();
    assert!(matches!(e, Error::NotFound { .. }), "{e:?}");
}

#[tokio::test]
async fn bursts_of_429_and_503_and_a_dropped_watch_are_survived() {
    let c = SimCluster::start(Scenario::mcp_production()).await.unwrap();
    let k = backend(&c);
    c.faults()
        .add(FaultRule::status("GET", "/deployments/mcp-typescript-api", 503).times(3));
    c.faults()
        .add(FaultRule::status("PATCH", "/deployments/mcp-typescript-api", 429).times(2));
    c.faults().set_watch_drop_after(Some(1));
    k.set_image(
        &api_ref(),
        &container(),
        &image("v1.0.1"),
        &intent("deploy under faults"),
    )
    .await
    .unwrap();
    let done = k
        .wait_for_rollout(&api_ref(), Duration::from_secs(30))
        .await
        .unwrap();
    assert!(matches!(done, RolloutStatus::Complete { .. }), "{done:?}");
    let counts = c.faults().counts();
    let gets: u64 = counts
        .iter()
        .filter(|(k, _)| k.starts_with("GET") && k.ends_with("/deployments/mcp-typescript-api"))
        .map(|(_, v)| *v)
        .sum();
    assert!(gets >= 4, "three 503s then a success: {counts:?}");
    // Bounded: a persistent 503 gives up after max_attempts with Unavailable.
    c.faults().add(FaultRule::status(
        "GET",
        "/deployments/mcp-rust-server",
        503,
    ));
    let e = k
        .deployment(&DeploymentRef::new(NS, "mcp-rust-server").unwrap())
        .await
        .unwrap_err();
    assert!(matches!(e, Error::Unavailable { .. }), "{e:?}");
    let tried: u64 = c
        .faults()
        .counts()
        .iter()
        .filter(|(k, _)| k.starts_with("GET") && k.ends_with("/deployments/mcp-rust-server"))
        .map(|(_, v)| *v)
        .sum();
    assert_eq!(tried, 6);
}

#[tokio::test]
async fn restart_uses_kubectls_annotation_and_switch_moves_the_selector() {
    let mut blue = scenario::deployment(NS, "web-blue", "registry.local/web:v1", 2, 80);
    blue["spec"]["selector"]["matchLabels"]["color"] = json!("blue");
    blue["spec"]["template"]["metadata"]["labels"]["color"] = json!("blue");
    blue["spec"]["template"]["metadata"]["labels"]["app"] = json!("web");
    blue["spec"]["selector"]["matchLabels"]["app"] = json!("web");
    let mut green = blue.clone();
    green["metadata"]["name"] = json!("web-green");
    green["spec"]["selector"]["matchLabels"]["color"] = json!("green");
    green["spec"]["template"]["metadata"]["labels"]["color"] = json!("green");
    green["spec"]["template"]["spec"]["containers"][0]["name"] = json!("web-green");
    let svc = json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web", "namespace": NS},
        "spec": {"selector": {"app": "web", "color": "blue"}, "ports": [{"port": 80}]}});
    let c = SimCluster::start(
        Scenario::mcp_production()
            .with_object(blue)
            .with_object(green)
            .with_object(svc),
    )
    .await
    .unwrap();
    let k = backend(&c);

    let r = k
        .restart(&api_ref(), &intent("restart for config"))
        .await
        .unwrap();
    assert!(!r.dry_run);
    let d: Deployment = Api::namespaced(c.client().unwrap(), NS)
        .get("mcp-typescript-api")
        .await
        .unwrap();
    let ann = d
        .spec
        .unwrap()
        .template
        .metadata
        .unwrap()
        .annotations
        .unwrap();
    assert!(ann.contains_key("kubectl.kubernetes.io/restartedAt"));
    let done = k
        .wait_for_rollout(&api_ref(), Duration::from_secs(30))
        .await
        .unwrap();
    assert!(matches!(done, RolloutStatus::Complete { revision } if revision.get() == 4));
    let h = k.history(&api_ref()).await.unwrap();
    assert!(
        h.last()
            .unwrap()
            .change_cause
            .as_deref()
            .unwrap()
            .starts_with("restart for config")
    );

    let switch = mcp_ops_core::TrafficSwitch {
        namespace: api_ref().namespace,
        service: mcp_ops_core::types::ResourceName::new("web").unwrap(),
        label: "color".into(),
        from: "blue".into(),
        to: "green".into(),
    };
    let plan = k
        .switch_traffic(&switch, &intent("bg").with_dry_run(true))
        .await
        .unwrap();
    assert!(plan.dry_run && plan.ready_endpoints == 2);
    let svc = || async {
        let s: k8s_openapi::api::core::v1::Service = Api::namespaced(c.client().unwrap(), NS)
            .get("web")
            .await
            .unwrap();
        s.spec.unwrap().selector.unwrap()["color"].clone()
    };
    assert_eq!(svc().await, "blue");
    k.switch_traffic(&switch, &intent("bg")).await.unwrap();
    assert_eq!(svc().await, "green");
    // Switching again from blue is refused: the Service no longer selects blue.
    let e = k.switch_traffic(&switch, &intent("bg")).await.unwrap_err();
    assert!(matches!(e, Error::Conflict { .. }), "{e:?}");
    // Reversible.
    let back = mcp_ops_core::TrafficSwitch {
        from: "green".into(),
        to: "blue".into(),
        ..switch
    };
    k.switch_traffic(&back, &intent("bg back")).await.unwrap();
    assert_eq!(svc().await, "blue");
    // No ready pods behind the target color: refused.
    let none = mcp_ops_core::TrafficSwitch {
        from: "blue".into(),
        to: "purple".into(),
        ..back
    };
    assert!(matches!(
        k.switch_traffic(&none, &intent("bg")).await,
        Err(Error::Conflict { .. })
    ));
}
