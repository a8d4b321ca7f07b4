//! The undo differential on the real control plane: the same set-image / undo sequence done
//! with kubectl in one namespace and with the backend in another leaves the same Deployment
//! and ReplicaSets (uids, timestamps, resourceVersions, managed fields and ReplicaSet names
//! left out; ReplicaSets keyed by revision).
//!
//! The backend writes the image and the change-cause in one patch; kubectl needs `set image`
//! and then `annotate` (it has no `--record` any more). The real API server bumps a
//! Deployment's generation for an annotation change too, so kubectl's namespace is one
//! generation ahead per deploy: the comparison takes that count off, and nothing else.

use std::collections::BTreeMap;
use std::time::Duration;

use mcp_ops_core::types::Revision;
use mcp_ops_core::{Deployer, UndoOutcome};
use mcp_ops_k8s::KubeCluster;
use mcp_ops_k8s::testing::ControlPlane;
use serde_json::{Value, json};

use crate::real_support::*;

const NAME: &str = "web";
const CAUSE: &str = "kubernetes.io/change-cause";

/// What must agree: the deployment's template, annotations, generation and paused flag, and
/// each owned ReplicaSet's annotations, template and replicas.
async fn snapshot(cp: &ControlPlane, ns: &str) -> Value {
    snapshot_less(cp, ns, 0).await
}

/// [`snapshot`] with `extra` generations (kubectl's separate annotate calls) taken off.
async fn snapshot_less(cp: &ControlPlane, ns: &str, extra: i64) -> Value {
    let d = get_json(cp, ns, "deployment", NAME).await;
    let uid = d["metadata"]["uid"].clone();
    let list: Value = serde_json::from_str(
        &cp.kubectl(&["get", "replicasets", "-n", ns, "-o", "json"])
            .await
            .unwrap(),
    )
    .unwrap();
    let mut rss = BTreeMap::new();
    for rs in list["items"].as_array().unwrap() {
        let owned = rs["metadata"]["ownerReferences"]
            .as_array()
            .is_some_and(|o| o.iter().any(|o| o["uid"] == uid));
        if owned {
            let rev = rs["metadata"]["annotations"]["deployment.kubernetes.io/revision"]
                .as_str()
                .unwrap()
                .parse::<u64>()
                .unwrap();
            rss.insert(
                rev,
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
        "generation": d["metadata"]["generation"].as_i64().unwrap() - extra,
        "template": d["spec"]["template"],
        "paused": d["spec"]["paused"],
        "replicasets": rss,
    })
}

/// Waits until the deployment is rolled out and its newest ReplicaSet carries the
/// deployment's change-cause (the controller copies it on its next sync; kubectl's annotate
/// comes after its set image).
async fn settle(cp: &ControlPlane, k: &KubeCluster, ns: &str) {
    k.wait_for_rollout(&target(ns, NAME), Duration::from_secs(120))
        .await
        .unwrap();
    for _ in 0..200 {
        let s = snapshot(cp, ns).await;
        let newest = s["replicasets"]
            .as_object()
            .unwrap()
            .iter()
            .max_by_key(|(r, _)| r.parse::<u64>().unwrap())
            .map(|(_, rs)| rs["annotations"][CAUSE].clone());
        if newest == Some(s["annotations"][CAUSE].clone()) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the newest ReplicaSet of {ns} never took the deployment's change-cause");
}

/// `kubectl set image` plus the change-cause annotation the SDK writes with it.
async fn kubectl_set_image(cp: &ControlPlane, ns: &str, tag: &str, cause: &str) {
    cp.kubectl(&[
        "set",
        "image",
        &format!("deployment/{NAME}"),
        &format!("{NAME}=registry.local/web:{tag}"),
        "-n",
        ns,
    ])
    .await
    .unwrap();
    cp.kubectl(&[
        "annotate",
        &format!("deployment/{NAME}"),
        &format!("{CAUSE}={cause}"),
        "--overwrite",
        "-n",
        ns,
    ])
    .await
    .unwrap();
}

async fn kubectl_undo(cp: &ControlPlane, ns: &str, extra: &[&str]) -> (bool, String) {
    let mut args = vec!["rollout", "undo", "deployment/web", "-n", ns];
    args.extend_from_slice(extra);
    let (ok, out, err) = kubectl_outcome(cp, &args).await;
    (ok, format!("{out}{err}"))
}

fn rev(n: u64) -> Revision {
    Revision::new(n).unwrap()
}

#[tokio::test]
async fn undo_sequence_matches_kubectl() {
    let cp = shared().await;
    let a = Ns::new(cp, "undo-kubectl").await;
    let b = Ns::new(cp, "undo-sdk").await;
    for ns in [&a, &b] {
        create(cp, ns, deployment(NAME, "registry.local/web:v1", 2)).await;
    }
    let ka = cp.cluster(&a).await.unwrap();
    let k = cp.cluster(&b).await.unwrap();
    let t = target(&b, NAME);
    assert_eq!(snapshot(cp, &a).await, snapshot(cp, &b).await);

    // Two deploys.
    let mut annotates = 0;
    for tag in ["v2", "v3"] {
        let i = intent(&format!("deploy {tag}"));
        kubectl_set_image(cp, &a, tag, &i.change_cause()).await;
        annotates += 1;
        k.set_image(
            &t,
            &container(NAME),
            &image(&format!("registry.local/web:{tag}")),
            &i,
        )
        .await
        .unwrap();
        settle(cp, &ka, &a).await;
        settle(cp, &k, &b).await;
        assert_eq!(
            snapshot_less(cp, &a, annotates).await,
            snapshot(cp, &b).await,
            "after {tag}"
        );
    }

    // Undo to the previous revision: revision 2's template comes back as revision 4.
    let (ok, out) = kubectl_undo(cp, &a, &[]).await;
    assert!(ok, "{out}");
    let r = k.undo(&t, None, &intent("undo")).await.unwrap();
    assert_eq!(
        r.outcome,
        UndoOutcome::RolledBack {
            from: rev(3),
            to: rev(2)
        }
    );
    settle(cp, &ka, &a).await;
    settle(cp, &k, &b).await;
    let s = snapshot(cp, &b).await;
    assert_eq!(snapshot_less(cp, &a, annotates).await, s);
    assert_eq!(s["annotations"]["deployment.kubernetes.io/revision"], "4");

    // Undo to revision 1: it becomes revision 5.
    let (ok, out) = kubectl_undo(cp, &a, &["--to-revision=1"]).await;
    assert!(ok, "{out}");
    let r = k.undo(&t, Some(rev(1)), &intent("undo")).await.unwrap();
    assert_eq!(
        r.outcome,
        UndoOutcome::RolledBack {
            from: rev(4),
            to: rev(1)
        }
    );
    settle(cp, &ka, &a).await;
    settle(cp, &k, &b).await;
    let s = snapshot(cp, &b).await;
    assert_eq!(snapshot_less(cp, &a, annotates).await, s);
    assert_eq!(s["annotations"]["deployment.kubernetes.io/revision"], "5");
    assert_eq!(
        s["template"]["spec"]["containers"][0]["image"],
        "registry.local/web:v1"
    );

    // Undo to the current revision is skipped; a server-side dry run changes nothing.
    let (ok, out) = kubectl_undo(cp, &a, &["--to-revision=5"]).await;
    assert!(ok && out.contains("skipped rollback"), "{out}");
    let r = k.undo(&t, Some(rev(5)), &intent("undo")).await.unwrap();
    assert_eq!(r.outcome, UndoOutcome::Skipped { already_at: rev(5) });
    let (ok, out) = kubectl_undo(cp, &a, &["--dry-run=server"]).await;
    assert!(ok, "{out}");
    let r = k
        .undo(&t, None, &intent("undo").with_dry_run(true))
        .await
        .unwrap();
    assert!(r.dry_run && matches!(r.outcome, UndoOutcome::RolledBack { .. }));
    assert_eq!(
        snapshot_less(cp, &a, annotates).await,
        snapshot(cp, &b).await
    );

    // Paused: kubectl refuses, the backend reports Paused; nothing changes on either side.
    cp.kubectl(&["rollout", "pause", "deployment/web", "-n", &a])
        .await
        .unwrap();
    k.set_paused(&t, true, &intent("pause")).await.unwrap();
    let (ok, out) = kubectl_undo(cp, &a, &[]).await;
    assert!(!ok && out.contains("paused"), "{out}");
    let r = k.undo(&t, None, &intent("undo")).await.unwrap();
    assert_eq!(r.outcome, UndoOutcome::Paused);
    assert_eq!(
        snapshot_less(cp, &a, annotates).await,
        snapshot(cp, &b).await
    );
}
