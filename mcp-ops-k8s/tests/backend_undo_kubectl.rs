//! Differential test: `Deployer::undo` against real `kubectl rollout undo`, each run on its own
//! SimCluster started from the same scenario; the resulting Deployment and ReplicaSets must be
//! the same.
#![cfg(feature = "sim")]
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use mcp_ops_core::types::{ContainerName, DeploymentRef, ImageRef, Intent, Revision};
use mcp_ops_core::{Deployer, UndoOutcome};
use mcp_ops_k8s::KubeCluster;
use mcp_ops_k8s::sim::{Scenario, SimCluster};
use serde_json::{Value, json};

const NS: &str = "mcp-production";
const NAME: &str = "mcp-typescript-api";

fn kubectl_binary() -> PathBuf {
    std::env::var("PATH")
        .unwrap_or_default()
        .split(':')
        .map(|d| PathBuf::from(d).join("kubectl"))
        .find(|p| p.is_file())
        .unwrap_or_else(|| {
            panic!(
                "kubectl is not on PATH: install it with `apt-get install -y kubectl` \
                 (Google Cloud apt repository)"
            )
        })
}

/// Runs kubectl against `c` with a private HOME and cache; returns (exit code, stdout+stderr).
async fn kubectl(c: &SimCluster, args: &[&str]) -> (i32, String) {
    let home = tempfile::tempdir().unwrap();
    let out = tokio::process::Command::new(kubectl_binary())
        .arg(format!("--kubeconfig={}", c.kubeconfig_path().display()))
        .arg(format!(
            "--cache-dir={}",
            home.path().join("cache").display()
        ))
        .args(["-n", NS])
        .args(args)
        .env("HOME", home.path())
        .env_remove("KUBECONFIG")
        .kill_on_drop(true)
        .output()
        .await
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code().unwrap_or(-1), text)
}

fn target() -> DeploymentRef {
    DeploymentRef::new(NS, NAME).unwrap()
}

/// What must agree: the deployment's template, annotations and generation, and every owned
/// ReplicaSet's revision bookkeeping, template and replicas (names are content hashes).
fn snapshot(c: &SimCluster) -> Value {
    let d = c.get("apps/v1", "Deployment", NS, NAME).unwrap();
    let uid = d["metadata"]["uid"].clone();
    let mut rss = BTreeMap::new();
    for rs in c.list("apps/v1", "ReplicaSet", Some(NS)) {
        let owned = rs["metadata"]["ownerReferences"]
            .as_array()
            .is_some_and(|o| o.iter().any(|o| o["uid"] == uid));
        if owned {
            rss.insert(
                rs["metadata"]["name"].as_str().unwrap().to_owned(),
                json!({
                    "annotations": rs["metadata"]["annotations"],
                    "template": rs["spec"]["template"],
                    "replicas": rs["spec"]["replicas"],
                }),
            );
        }
    }
    json!({
        "annotations": d["metadata"]["annotations"],
        "generation": d["metadata"]["generation"],
        "template": d["spec"]["template"],
        "paused": d["spec"]["paused"],
        "replicasets": rss,
    })
}

async fn pair(s: Scenario) -> (SimCluster, SimCluster, KubeCluster) {
    let a = SimCluster::start(s.clone()).await.unwrap();
    let b = SimCluster::start(s).await.unwrap();
    let k = KubeCluster::new(b.client().unwrap());
    (a, b, k)
}

async fn settle(c: &SimCluster) {
    let k = KubeCluster::new(c.client().unwrap());
    k.wait_for_rollout(&target(), Duration::from_secs(30))
        .await
        .unwrap();
}

fn intent() -> Intent {
    Intent::new("differential undo", "test").unwrap()
}

#[tokio::test]
async fn undo_to_previous_matches_kubectl() {
    let (a, b, k) = pair(Scenario::mcp_production()).await;
    let (code, out) = kubectl(&a, &["rollout", "undo", &format!("deployment/{NAME}")]).await;
    assert_eq!(code, 0, "{out}");
    let r = k.undo(&target(), None, &intent()).await.unwrap();
    assert_eq!(
        r.outcome,
        UndoOutcome::RolledBack {
            from: Revision::new(3).unwrap(),
            to: Revision::new(2).unwrap()
        }
    );
    settle(&a).await;
    settle(&b).await;
    assert_eq!(snapshot(&a), snapshot(&b));
    assert_eq!(
        snapshot(&b)["annotations"]["deployment.kubernetes.io/revision"],
        json!("4")
    );
}

#[tokio::test]
async fn undo_to_revision_after_a_new_deploy_matches_kubectl() {
    let (a, b, k) = pair(Scenario::mcp_production()).await;
    // The same new deploy on both, through the SDK.
    for c in [&a, &b] {
        let kc = KubeCluster::new(c.client().unwrap());
        kc.set_image(
            &target(),
            &ContainerName::new(NAME).unwrap(),
            &ImageRef::parse("ghcr.io/your-org/mcp-typescript-server:v1.0.1").unwrap(),
            &Intent::new("deploy v1.0.1", "test").unwrap(),
        )
        .await
        .unwrap();
        settle(c).await;
    }
    assert_eq!(snapshot(&a), snapshot(&b));
    let (code, out) = kubectl(
        &a,
        &[
            "rollout",
            "undo",
            &format!("deployment/{NAME}"),
            "--to-revision=1",
        ],
    )
    .await;
    assert_eq!(code, 0, "{out}");
    k.undo(&target(), Some(Revision::FIRST), &intent())
        .await
        .unwrap();
    settle(&a).await;
    settle(&b).await;
    assert_eq!(snapshot(&a), snapshot(&b));
}

#[tokio::test]
async fn skipped_paused_and_dry_run_match_kubectl() {
    let (a, b, k) = pair(Scenario::mcp_production()).await;
    // Skipped: the template already matches revision 3.
    let (code, out) = kubectl(
        &a,
        &[
            "rollout",
            "undo",
            &format!("deployment/{NAME}"),
            "--to-revision=3",
        ],
    )
    .await;
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("skipped rollback"), "{out}");
    let r = k
        .undo(&target(), Some(Revision::new(3).unwrap()), &intent())
        .await
        .unwrap();
    assert_eq!(
        r.outcome,
        UndoOutcome::Skipped {
            already_at: Revision::new(3).unwrap()
        }
    );
    // Server dry run changes nothing on either side.
    let (code, out) = kubectl(
        &a,
        &[
            "rollout",
            "undo",
            &format!("deployment/{NAME}"),
            "--dry-run=server",
        ],
    )
    .await;
    assert_eq!(code, 0, "{out}");
    k.undo(&target(), None, &intent().with_dry_run(true))
        .await
        .unwrap();
    assert_eq!(snapshot(&a), snapshot(&b));
    // Paused: kubectl refuses, so do we.
    for c in [&a, &b] {
        KubeCluster::new(c.client().unwrap())
            .set_paused(&target(), true, &intent())
            .await
            .unwrap();
    }
    let (code, out) = kubectl(&a, &["rollout", "undo", &format!("deployment/{NAME}")]).await;
    assert_ne!(code, 0, "{out}");
    assert!(out.contains("paused"), "{out}");
    let r = k.undo(&target(), None, &intent()).await.unwrap();
    assert_eq!(r.outcome, UndoOutcome::Paused);
    assert_eq!(snapshot(&a), snapshot(&b));
}
