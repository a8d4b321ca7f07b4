//! `wait_for_rollout` across a kube-apiserver restart: two waits start (a rollout that
//! completes once its pod has been ready for `minReadySeconds`, and one that hits its
//! progress deadline), the API server is killed while they wait and started again, and each
//! wait still returns its rollout's true outcome.

use std::time::Duration;

use mcp_ops_core::{Deployer, RolloutStatus};
use mcp_ops_k8s::testing::{ControlPlane, ControlPlaneOptions};
use serde_json::json;

use crate::real_support::*;

#[tokio::test]
async fn wait_for_rollout_survives_an_apiserver_restart() {
    let cp = ControlPlane::start(ControlPlaneOptions::default())
        .await
        .unwrap();
    let ns = Ns::new(&cp, "apiserver-restart").await;
    let mut slow = deployment("slow", "registry.local/slow:v1", 1);
    slow["spec"]["minReadySeconds"] = json!(12);
    let mut doomed = deployment("doomed", "registry.local/doomed:v1", 1);
    doomed["spec"]["progressDeadlineSeconds"] = json!(10);
    create(&cp, &ns, slow).await;
    create(&cp, &ns, doomed).await;
    let k = cp.cluster(&ns).await.unwrap();
    for (name, img) in [
        ("slow", "registry.local/slow:v2"),
        ("doomed", "registry.local/doomed:v2-broken"),
    ] {
        k.set_image(
            &target(&ns, name),
            &container(name),
            &image(img),
            &intent("deploy"),
        )
        .await
        .unwrap();
    }
    let wait = |name: &str| {
        let k = k.clone();
        let t = target(&ns, name);
        tokio::spawn(async move { k.wait_for_rollout(&t, Duration::from_secs(180)).await })
    };
    let (slow_wait, doomed_wait) = (wait("slow"), wait("doomed"));
    // Let both waits get to their watches, then take the API server away under them.
    tokio::time::sleep(Duration::from_secs(1)).await;
    cp.stop_apiserver().await.unwrap();
    assert!(
        !slow_wait.is_finished() && !doomed_wait.is_finished(),
        "both rollouts were still in progress when the API server went away"
    );
    tokio::time::sleep(Duration::from_secs(4)).await;
    cp.start_apiserver().await.unwrap();

    let slow = slow_wait.await.unwrap().unwrap();
    assert!(
        matches!(slow, RolloutStatus::Complete { revision } if revision.get() == 2),
        "{slow:?}"
    );
    let doomed = doomed_wait.await.unwrap().unwrap();
    assert!(
        matches!(&doomed, RolloutStatus::Failed { reason } if reason.starts_with("ProgressDeadlineExceeded")),
        "{doomed:?}"
    );
}
