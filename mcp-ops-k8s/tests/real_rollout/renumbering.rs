//! Revision renumbering after undo on the real control plane: the undone-to template gets the
//! next revision number and its old number disappears, exactly as `kubectl rollout history`
//! shows, change-causes included.

use std::time::Duration;

use mcp_ops_core::types::Revision;
use mcp_ops_core::{Deployer, RolloutStatus, UndoOutcome};
use mcp_ops_k8s::KubeCluster;
use mcp_ops_k8s::testing::ControlPlane;

use crate::real_support::*;

/// `kubectl rollout history` as (revision, change-cause) rows.
async fn kubectl_history(cp: &ControlPlane, ns: &str) -> Vec<(u64, String)> {
    let out = cp
        .kubectl(&["rollout", "history", "deployment/web", "-n", ns])
        .await
        .unwrap();
    out.lines()
        .skip_while(|l| !l.starts_with("REVISION"))
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let (rev, cause) = l.split_once(char::is_whitespace).unwrap();
            (rev.parse().unwrap(), cause.trim().to_owned())
        })
        .collect()
}

/// The backend's history as (revision, change-cause or `<none>`, image) rows.
async fn sdk_history(k: &KubeCluster, ns: &str) -> Vec<(u64, String, String)> {
    k.history(&target(ns, "web"))
        .await
        .unwrap()
        .into_iter()
        .map(|r| {
            (
                r.revision.get(),
                r.change_cause.unwrap_or_else(|| "<none>".into()),
                r.images[&container("web")].to_string(),
            )
        })
        .collect()
}

async fn complete_at(k: &KubeCluster, ns: &str, revision: u64) {
    let done = k
        .wait_for_rollout(&target(ns, "web"), Duration::from_secs(120))
        .await
        .unwrap();
    assert!(
        matches!(done, RolloutStatus::Complete { revision: r } if r.get() == revision),
        "expected revision {revision} complete, got {done:?}"
    );
}

async fn assert_matches_kubectl(cp: &ControlPlane, k: &KubeCluster, ns: &str) {
    let ours: Vec<(u64, String)> = sdk_history(k, ns)
        .await
        .into_iter()
        .map(|(r, c, _)| (r, c))
        .collect();
    assert_eq!(ours, kubectl_history(cp, ns).await);
}

#[tokio::test]
async fn undo_renumbers_revisions_as_kubectl_history_shows() {
    let cp = shared().await;
    let ns = Ns::new(cp, "renumber").await;
    create(cp, &ns, deployment("web", "registry.local/web:v1", 2)).await;
    let k = cp.cluster(&ns).await.unwrap();
    let t = target(&ns, "web");
    let (c2, c3) = (intent("deploy v2"), intent("deploy v3"));
    for (tag, i, rev) in [("v2", &c2, 2), ("v3", &c3, 3)] {
        k.set_image(
            &t,
            &container("web"),
            &image(&format!("registry.local/web:{tag}")),
            i,
        )
        .await
        .unwrap();
        complete_at(&k, &ns, rev).await;
    }
    let img = |tag: &str| format!("registry.local/web:{tag}");
    let none = "<none>".to_owned();
    assert_eq!(
        sdk_history(&k, &ns).await,
        vec![
            (1, none.clone(), img("v1")),
            (2, c2.change_cause(), img("v2")),
            (3, c3.change_cause(), img("v3")),
        ]
    );
    assert_matches_kubectl(cp, &k, &ns).await;

    // Undo: revision 2's template (and change-cause) becomes revision 4; 2 is gone.
    let r = k.undo(&t, None, &intent("undo")).await.unwrap();
    assert_eq!(
        r.outcome,
        UndoOutcome::RolledBack {
            from: Revision::new(3).unwrap(),
            to: Revision::new(2).unwrap()
        }
    );
    complete_at(&k, &ns, 4).await;
    assert_eq!(
        sdk_history(&k, &ns).await,
        vec![
            (1, none.clone(), img("v1")),
            (3, c3.change_cause(), img("v3")),
            (4, c2.change_cause(), img("v2")),
        ]
    );
    assert_matches_kubectl(cp, &k, &ns).await;

    // Undo to revision 1: it becomes 5.
    k.undo(&t, Some(Revision::FIRST), &intent("undo to 1"))
        .await
        .unwrap();
    complete_at(&k, &ns, 5).await;
    assert_eq!(
        sdk_history(&k, &ns).await,
        vec![
            (3, c3.change_cause(), img("v3")),
            (4, c2.change_cause(), img("v2")),
            (5, none, img("v1")),
        ]
    );
    assert_matches_kubectl(cp, &k, &ns).await;

    // The revision that no longer exists cannot be undone to.
    let gone = k
        .undo(&t, Some(Revision::new(2).unwrap()), &intent("undo"))
        .await;
    assert!(
        matches!(gone, Err(mcp_ops_core::Error::NotFound { .. })),
        "{gone:?}"
    );
}
