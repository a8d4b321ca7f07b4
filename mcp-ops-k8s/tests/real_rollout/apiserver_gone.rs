//! `wait_for_rollout` when the API server goes away and stays away: the wait ends within
//! the client's retry policy with `Error::Unavailable` ("the API server is unreachable
//! (connection refused) since N s"), not after its 600 s timeout with "timed out".

use std::time::Duration;

use mcp_ops_core::{Deployer, Error};
use mcp_ops_k8s::testing::{ControlPlane, ControlPlaneOptions};
use serde_json::json;

use crate::real_support::*;

/// A rollout that cannot finish by itself for 10 minutes (its new pod is ready only after
/// minReadySeconds), and `wait_for_rollout` on it running in a task, checked to be waiting.
async fn waiting_on_a_slow_rollout(
    cp: &ControlPlane,
    prefix: &str,
) -> (
    tokio::task::JoinHandle<mcp_ops_core::Result<mcp_ops_core::RolloutStatus>>,
    mcp_ops_k8s::KubeCluster,
    mcp_ops_core::types::DeploymentRef,
) {
    let ns = Ns::new(cp, prefix).await;
    let mut slow = deployment("slow", "registry.local/slow:v1", 1);
    slow["spec"]["minReadySeconds"] = json!(600);
    slow["spec"]["progressDeadlineSeconds"] = json!(1200);
    create_only(cp, &ns, slow).await;
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
    (wait, k, t)
}

#[tokio::test]
async fn a_wait_ends_as_unreachable_when_the_apiserver_stays_away() {
    let cp = ControlPlane::start(ControlPlaneOptions::default())
        .await
        .unwrap();
    let (wait, k, t) = waiting_on_a_slow_rollout(&cp, "apiserver-gone").await;
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

/// The kube-apiserver started by `cp`'s launcher (its child named `kube-apiserver`).
fn apiserver_pid(cp: &ControlPlane) -> String {
    let (launcher, _) = cp.launcher().expect("a private control plane");
    let launcher = launcher.to_string();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
            continue;
        };
        // pid (comm) state ppid …
        let Some((head, tail)) = stat.rsplit_once(") ") else {
            continue;
        };
        let ppid = tail.split_whitespace().nth(1).unwrap_or_default();
        if head.ends_with("(kube-apiserver") && ppid == launcher {
            return head.split_whitespace().next().unwrap().to_owned();
        }
    }
    panic!("no kube-apiserver child of launcher {launcher}");
}

fn signal(pid: &str, sig: &str) {
    let status = std::process::Command::new("kill")
        .args([sig, pid])
        .status()
        .unwrap();
    assert!(status.success(), "kill {sig} {pid}");
}

#[tokio::test]
async fn a_wait_ends_as_unreachable_when_the_apiserver_freezes() {
    let cp = ControlPlane::start(ControlPlaneOptions::default())
        .await
        .unwrap();
    let (wait, _, _) = waiting_on_a_slow_rollout(&cp, "apiserver-frozen").await;
    // SIGSTOP: connections are still accepted by the kernel, nothing is answered; the watch
    // alone would stay silent for minutes.
    let pid = apiserver_pid(&cp);
    signal(&pid, "-STOP");
    let result = wait.await.unwrap();
    signal(&pid, "-CONT");
    let err = result.unwrap_err();
    let Error::Unavailable { reason, .. } = &err else {
        panic!("expected Unavailable, got {err:?}");
    };
    assert!(reason.contains("the API server is unreachable"), "{reason}");
    assert!(reason.contains("no answer within"), "{reason}");
}
