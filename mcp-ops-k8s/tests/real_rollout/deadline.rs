//! A real `ProgressDeadlineExceeded`: the deployment controller marks a rollout of a
//! crash-looping image as timed out, the backend's wait and status report `Failed` with that
//! reason, kubectl says the same, and undo recovers.

use std::time::Duration;

use k8s_openapi::api::apps::v1::Deployment;
use kube::api::Api;
use mcp_ops_core::{Deployer, RolloutStatus};
use mcp_ops_k8s::deploy::status::kubectl_message;
use serde_json::json;

use crate::real_support::*;

#[tokio::test]
async fn progress_deadline_exceeded_is_failed_as_kubectl_reports_it() {
    let cp = shared().await;
    let ns = Ns::new(cp, "deadline").await;
    let mut d = deployment("web", "registry.local/web:v1", 2);
    d["spec"]["progressDeadlineSeconds"] = json!(5);
    create(cp, &ns, d).await;
    let k = cp.cluster(&ns).await.unwrap();
    let t = target(&ns, "web");
    k.set_image(
        &t,
        &container("web"),
        &image("registry.local/web:v9-broken"),
        &intent("deploy a broken image"),
    )
    .await
    .unwrap();

    let failed = k
        .wait_for_rollout(&t, Duration::from_secs(120))
        .await
        .unwrap();
    let RolloutStatus::Failed { reason } = &failed else {
        panic!("expected Failed, got {failed:?}");
    };
    assert!(
        reason.starts_with("ProgressDeadlineExceeded: ReplicaSet \"web-")
            && reason.ends_with("has timed out progressing."),
        "{reason}"
    );
    assert_eq!(k.rollout_status(&t).await.unwrap(), failed);

    // kubectl agrees, in its words.
    let (ok, _, err) = kubectl_outcome(
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
    let obj = Api::<Deployment>::namespaced(cp.client().await.unwrap(), &ns)
        .get("web")
        .await
        .unwrap();
    assert!(!ok);
    assert_eq!(err.trim(), format!("error: {}", kubectl_message(&obj)));

    // Undo brings the previous template back as revision 3, and it completes.
    k.undo(&t, None, &intent("roll back the broken image"))
        .await
        .unwrap();
    let done = k
        .wait_for_rollout(&t, Duration::from_secs(120))
        .await
        .unwrap();
    assert!(
        matches!(done, RolloutStatus::Complete { revision } if revision.get() == 3),
        "{done:?}"
    );
}
