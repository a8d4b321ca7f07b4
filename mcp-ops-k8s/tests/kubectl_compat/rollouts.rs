//! Rollouts: set image, status, a failing image, history, undo, pause and restart.

use super::common::{Kubectl, rows};
use super::support::{TS_IMAGE, prod, revision, wait_deploy};
use mcp_ops_k8s::sim::{ImageFailure, Scenario, SimCluster};
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn set_image_then_rollout_status_succeeds() {
    let (c, k) = prod().await;
    let image = format!("mcp-typescript-api={TS_IMAGE}:v1.0.1");
    let out = k
        .prod(&["set", "image", "deployment/mcp-typescript-api", &image])
        .await
        .ok();
    assert_eq!(
        out.stdout.trim(),
        "deployment.apps/mcp-typescript-api image updated"
    );
    let st = k
        .prod(&[
            "rollout",
            "status",
            "deployment/mcp-typescript-api",
            "--timeout=600s",
        ])
        .await
        .ok();
    assert!(
        st.stdout
            .contains("deployment \"mcp-typescript-api\" successfully rolled out"),
        "{}",
        st.stdout
    );
    let d = c
        .get(
            "apps/v1",
            "Deployment",
            "mcp-production",
            "mcp-typescript-api",
        )
        .unwrap();
    assert_eq!(
        d["spec"]["template"]["spec"]["containers"][0]["image"],
        format!("{TS_IMAGE}:v1.0.1")
    );
    assert_eq!(revision(&d), "4");
    let all = k.prod(&["rollout", "status", "deployment"]).await.ok();
    assert_eq!(all.stdout.matches("successfully rolled out").count(), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_image_exceeds_progress_deadline() {
    let c = SimCluster::start(
        Scenario::mcp_production().fail_image(":v6.6.6-broken", ImageFailure::PullBackOff),
    )
    .await
    .unwrap();
    let k = Kubectl::new(&c);
    let image = format!("mcp-typescript-api={TS_IMAGE}:v6.6.6-broken");
    k.prod(&["set", "image", "deployment/mcp-typescript-api", &image])
        .await
        .ok();
    wait_deploy(&c, "mcp-typescript-api", |d| {
        d["status"]["updatedReplicas"] == 1
    })
    .await;
    let pods = k
        .prod(&["get", "pods", "-l", "app=mcp-typescript-api"])
        .await
        .ok();
    assert!(pods.stdout.contains("ImagePullBackOff"), "{}", pods.stdout);
    assert_eq!(
        pods.stdout.matches("Running").count(),
        3,
        "old pods keep serving:\n{}",
        pods.stdout
    );
    c.advance_clock(Duration::from_secs(601));
    wait_deploy(&c, "mcp-typescript-api", |d| {
        d.to_string().contains("ProgressDeadlineExceeded")
    })
    .await;
    let st = k
        .prod(&[
            "rollout",
            "status",
            "deployment/mcp-typescript-api",
            "--timeout=600s",
        ])
        .await;
    assert_eq!(st.code, 1);
    assert!(
        st.stderr
            .contains("deployment \"mcp-typescript-api\" exceeded its progress deadline"),
        "{}",
        st.stderr
    );
    // The runbook's remedy: undo brings the deployment back.
    k.prod(&["rollout", "undo", "deployment/mcp-typescript-api"])
        .await
        .ok();
    let st = k
        .prod(&[
            "rollout",
            "status",
            "deployment/mcp-typescript-api",
            "--timeout=60s",
        ])
        .await
        .ok();
    assert!(
        st.stdout.contains("successfully rolled out"),
        "{}",
        st.stdout
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rollout_history_lists_revisions() {
    let (_c, k) = prod().await;
    let h = k
        .prod(&["rollout", "history", "deployment/mcp-typescript-api"])
        .await
        .ok();
    let r = rows(&h.stdout);
    assert_eq!(r[0], ["deployment.apps/mcp-typescript-api"]);
    assert_eq!(r[1], ["REVISION", "CHANGE-CAUSE"]);
    let revs: Vec<&str> = r[2..].iter().map(|row| row[0].as_str()).collect();
    assert_eq!(revs, ["1", "2", "3"]);
    let all = k.prod(&["rollout", "history", "deployment"]).await.ok();
    assert_eq!(all.stdout.matches("REVISION  CHANGE-CAUSE").count(), 3);
    let two = k
        .prod(&[
            "rollout",
            "history",
            "deployment/mcp-typescript-api",
            "--revision=2",
        ])
        .await
        .ok();
    assert!(
        two.stdout.contains("with revision #2")
            && two.stdout.contains(&format!("{TS_IMAGE}:v0.9.5")),
        "{}",
        two.stdout
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rollout_undo_rolls_back_and_renumbers() {
    let (c, k) = prod().await;
    let out = k
        .prod(&["rollout", "undo", "deployment/mcp-typescript-api"])
        .await
        .ok();
    assert_eq!(
        out.stdout.trim(),
        "deployment.apps/mcp-typescript-api rolled back"
    );
    let d = wait_deploy(&c, "mcp-typescript-api", |d| {
        revision(d) == "4" && d["status"]["updatedReplicas"] == 3 && d["status"]["replicas"] == 3
    })
    .await;
    assert_eq!(
        d["spec"]["template"]["spec"]["containers"][0]["image"],
        format!("{TS_IMAGE}:v0.9.5")
    );
    let rs = c.list("apps/v1", "ReplicaSet", Some("mcp-production"));
    let reused = rs.iter().find(|r| revision(r) == "4").unwrap();
    assert_eq!(
        reused["metadata"]["annotations"]["deployment.kubernetes.io/revision-history"],
        "2"
    );
    let h = k
        .prod(&["rollout", "history", "deployment/mcp-typescript-api"])
        .await
        .ok();
    let revs: Vec<String> = rows(&h.stdout)[2..].iter().map(|r| r[0].clone()).collect();
    assert_eq!(revs, ["1", "3", "4"]);
    let gone = k
        .prod(&[
            "rollout",
            "history",
            "deployment/mcp-typescript-api",
            "--revision=2",
        ])
        .await;
    assert_ne!(gone.code, 0);
    let to = k
        .prod(&[
            "rollout",
            "undo",
            "deployment/mcp-learning-system",
            "--to-revision=1",
        ])
        .await
        .ok();
    assert!(to.stdout.contains("rolled back"));
    let missing = k
        .prod(&[
            "rollout",
            "undo",
            "deployment/mcp-rust-server",
            "--to-revision=99",
        ])
        .await;
    assert_eq!(missing.code, 1);
    assert!(
        missing
            .stderr
            .contains("unable to find specified revision 99 in history"),
        "{}",
        missing.stderr
    );
    let dry = k
        .prod(&[
            "rollout",
            "undo",
            "deployment/mcp-rust-server",
            "--dry-run=server",
        ])
        .await
        .ok();
    assert!(dry.stdout.contains("rolled back (server dry run)"));
    let rust = c
        .get("apps/v1", "Deployment", "mcp-production", "mcp-rust-server")
        .unwrap();
    assert_eq!(revision(&rust), "3", "dry run changed nothing");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rollout_undo_of_paused_deployment_fails() {
    let (_c, k) = prod().await;
    k.prod(&["rollout", "pause", "deployment/mcp-rust-server"])
        .await
        .ok();
    let out = k
        .prod(&["rollout", "undo", "deployment/mcp-rust-server"])
        .await;
    assert_eq!(out.code, 1);
    assert!(
        out.stderr
            .contains("you cannot rollback a paused deployment"),
        "{}",
        out.stderr
    );
    let resumed = k
        .prod(&["rollout", "resume", "deployment/mcp-rust-server"])
        .await
        .ok();
    assert!(resumed.stdout.contains("resumed"));
    k.prod(&["rollout", "undo", "deployment/mcp-rust-server"])
        .await
        .ok();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rollout_restart_creates_a_new_revision() {
    let (c, k) = prod().await;
    let out = k
        .prod(&["rollout", "restart", "deployment/mcp-learning-system"])
        .await
        .ok();
    assert_eq!(
        out.stdout.trim(),
        "deployment.apps/mcp-learning-system restarted"
    );
    let d = wait_deploy(&c, "mcp-learning-system", |d| {
        revision(d) == "4" && d["status"]["updatedReplicas"] == 2 && d["status"]["replicas"] == 2
    })
    .await;
    assert!(
        d["spec"]["template"]["metadata"]["annotations"]["kubectl.kubernetes.io/restartedAt"]
            .is_string()
    );
    let pods = k
        .prod(&["get", "pods", "-l", "app=mcp-learning-system"])
        .await
        .ok();
    assert_eq!(
        rows(&pods.stdout).len(),
        3,
        "old pods replaced:\n{}",
        pods.stdout
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rollout_restart_all_deployments() {
    let (c, k) = prod().await;
    let all = k.prod(&["rollout", "restart", "deployment"]).await.ok();
    assert_eq!(all.stdout.matches("restarted").count(), 3);
    for name in [
        "mcp-typescript-api",
        "mcp-learning-system",
        "mcp-rust-server",
    ] {
        wait_deploy(&c, name, |d| revision(d) == "4").await;
    }
}
