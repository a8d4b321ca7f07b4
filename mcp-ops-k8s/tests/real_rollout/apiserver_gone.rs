//! `wait_for_rollout` when the API server goes away and stays away: the wait ends within
//! the client's retry policy with `Error::Unavailable` ("the API server is unreachable
//! (connection refused) since N s"), not after its 600 s timeout with "timed out".

use std::time::Duration;

use mcp_ops_core::{Deployer, Error};
use mcp_ops_k8s::testing::{ControlPlane, ControlPlaneOptions};
use serde_json::json;

use crate::real_support::*;

#[tokio::test]
async fn a_wait_ends_as_unreachable_when_the_apiserver_stays_away() {
    let cp = ControlPlane::start(ControlPlaneOptions::default())
        .await
        .unwrap();
    let ns = Ns::new(&cp, "apiserver-gone").await;
    // A rollout that cannot finish by itself for 10 minutes: its new pod is ready only
    // after minReadySeconds.
    let mut slow = deployment("slow", "registry.local/slow:v1", 1);
    slow["spec"]["minReadySeconds"] = json!(600);
    slow["spec"]["progressDeadlineSeconds"] = json!(1200);
    create_only(&cp, &ns, slow).await;
    let k = cp.cluster(&ns).await.unwrap();
    let t = target(&ns, "slow");
    k.set_image(
        &t,
        &container("slow"),
        &image("registry.local/slow:v2"),
        &intent("deploy"),
    )
    .await
    .unwrap();
    let wait = {
        let (k, t) = (k.clone(), t.clone());
        tokio::spawn(async move { k.wait_for_rollout(&t, Duration::from_secs(600)).await })
    };
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert!(!wait.is_finished(), "the rollout was still in progress");
    cp.stop_apiserver().await.unwrap();

    let err = wait.await.unwrap().unwrap_err();
    let Error::Unavailable { reason, .. } = &err else {
        panic!("expected Unavailable, got {err:?}");
    };
    assert!(reason.contains("the API server is unreachable"), "{reason}");
    assert!(reason.contains("connection refused"), "{reason}");
    assert!(reason.contains(" since "), "{reason}");
    // Reads say so too, within the same policy.
    let read = k.pod_health(&t).await.unwrap_err();
    assert!(matches!(read, Error::Unavailable { .. }), "{read:?}");
}
