//! Paused deployments on the real control plane: a template change waits, rollout status
//! says what kubectl says, restart and undo are refused as kubectl refuses them, the wait does
//! not finish, and resuming rolls the change out. (The deployment has two revisions before it
//! is paused: with one, kubectl and the backend answer "no rollout history" before looking at
//! the pause.)

use std::time::Duration;

use k8s_openapi::api::apps::v1::Deployment;
use kube::api::Api;
use mcp_ops_core::{Deployer, Error, RolloutStatus, UndoOutcome};
use mcp_ops_k8s::deploy::status::kubectl_message;

use crate::real_support::*;

#[tokio::test]
async fn paused_deployment_reports_and_refuses_like_kubectl() {
    let cp = shared().await;
    let ns = Ns::new(cp, "paused").await;
    create(cp, &ns, deployment("web", "registry.local/web:v1", 2)).await;
    let k = cp.cluster(&ns).await.unwrap();
    let t = target(&ns, "web");
    k.set_image(
        &t,
        &container("web"),
        &image("registry.local/web:v2"),
        &intent("deploy v2"),
    )
    .await
    .unwrap();
    k.wait_for_rollout(&t, Duration::from_secs(120))
        .await
        .unwrap();
    k.set_paused(&t, true, &intent("pause")).await.unwrap();
    k.set_image(
        &t,
        &container("web"),
        &image("registry.local/web:v3"),
        &intent("deploy v3 while paused"),
    )
    .await
    .unwrap();
    // Let the controller observe the paused, changed spec.
    let api = Api::<Deployment>::namespaced(cp.client().await.unwrap(), &ns);
    let generation = api.get("web").await.unwrap().metadata.generation.unwrap();
    cp.kubectl(&[
        "wait",
        "deployment/web",
        "-n",
        &ns,
        &format!("--for=jsonpath={{.status.observedGeneration}}={generation}"),
        "--timeout=60s",
    ])
    .await
    .unwrap();

    // Status: no new replica is made while paused; kubectl and the backend say so alike.
    let status = k.rollout_status(&t).await.unwrap();
    assert!(
        matches!(
            status,
            RolloutStatus::Progressing {
                updated: 0,
                desired: 2,
                ..
            }
        ),
        "{status:?}"
    );
    let (ok, out, err) = kubectl_outcome(
        cp,
        &[
            "rollout",
            "status",
            "deployment/web",
            "-n",
            &ns,
            "--watch=false",
        ],
    )
    .await;
    assert!(ok, "{err}");
    let obj = api.get("web").await.unwrap();
    assert_eq!(out.trim(), kubectl_message(&obj));
    assert_eq!(
        kubectl_message(&obj),
        "Waiting for deployment \"web\" rollout to finish: 0 out of 2 new replicas have been updated..."
    );

    // Restart and undo are refused, by kubectl and by the backend.
    let (ok, _, err) =
        kubectl_outcome(cp, &["rollout", "restart", "deployment/web", "-n", &ns]).await;
    assert!(
        !ok && err.contains("can't restart paused deployment (run rollout resume first)"),
        "{err}"
    );
    let r = k.restart(&t, &intent("restart while paused")).await;
    assert!(
        matches!(&r, Err(Error::PolicyViolation { policy, reason })
            if *policy == "paused-deployment" && reason.contains("resume")),
        "{r:?}"
    );
    let (ok, _, err) = kubectl_outcome(cp, &["rollout", "undo", "deployment/web", "-n", &ns]).await;
    assert!(
        !ok && err.contains("you cannot rollback a paused deployment; resume it first"),
        "{err}"
    );
    assert_eq!(
        k.undo(&t, None, &intent("undo while paused"))
            .await
            .unwrap()
            .outcome,
        UndoOutcome::Paused
    );

    // The wait does not finish while paused.
    let r = k.wait_for_rollout(&t, Duration::from_secs(3)).await;
    assert!(matches!(r, Err(Error::Timeout { .. })), "{r:?}");

    // Resumed, the change rolls out as revision 3.
    k.set_paused(&t, false, &intent("resume")).await.unwrap();
    let done = k
        .wait_for_rollout(&t, Duration::from_secs(120))
        .await
        .unwrap();
    assert!(
        matches!(done, RolloutStatus::Complete { revision } if revision.get() == 3),
        "{done:?}"
    );
    let obj = api.get("web").await.unwrap();
    let pods = obj.status.unwrap();
    assert_eq!(
        (pods.updated_replicas, pods.available_replicas),
        (Some(2), Some(2))
    );
}
