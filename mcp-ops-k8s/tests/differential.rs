//! The same scale / set-image / undo / restart done with kubectl on one SimCluster and with
//! plain `kube::Api` calls on another leaves identical deployments and ReplicaSets (ignoring
//! uids, timestamps, resourceVersions and managedFields).
#![cfg(feature = "sim")]
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod common;

use common::Kubectl;
use k8s_openapi::api::apps::v1::{Deployment, ReplicaSet};
use kube::api::{Api, ListParams, Patch, PatchParams};
use mcp_ops_k8s::sim::{Scenario, SimCluster};
use serde_json::{Value, json};
use std::time::Duration;

const NS: &str = "mcp-production";
const NAME: &str = "mcp-typescript-api";
const IMAGE: &str = "ghcr.io/your-org/mcp-typescript-server:v1.0.1";

async fn settled(c: &SimCluster) {
    for _ in 0..400 {
        let d = c.get("apps/v1", "Deployment", NS, NAME).unwrap();
        let want = &d["spec"]["replicas"];
        let s = &d["status"];
        if s["observedGeneration"] == d["metadata"]["generation"]
            && &s["updatedReplicas"] == want
            && &s["availableReplicas"] == want
            && &s["replicas"] == want
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("rollout did not settle");
}

/// Removes what legitimately differs between two clusters.
fn normalise(v: &mut Value) {
    match v {
        Value::Object(m) => {
            for k in [
                "uid",
                "creationTimestamp",
                "resourceVersion",
                "managedFields",
                "lastUpdateTime",
                "lastTransitionTime",
            ] {
                m.remove(k);
            }
            for (_, x) in m.iter_mut() {
                normalise(x);
            }
        }
        Value::Array(a) => a.iter_mut().for_each(normalise),
        _ => {}
    }
}

fn snapshot(c: &SimCluster) -> Value {
    let mut d = c.get("apps/v1", "Deployment", NS, NAME).unwrap();
    let mut rs: Vec<Value> = c
        .list("apps/v1", "ReplicaSet", Some(NS))
        .into_iter()
        .filter(|r| r["metadata"]["labels"]["app"] == NAME)
        .collect();
    normalise(&mut d);
    rs.iter_mut().for_each(normalise);
    json!({"deployment": d, "replicasets": rs})
}

/// `kubectl rollout undo` with kube::Api: the second-highest revision's template and the
/// annotations kubectl builds, sent as a JSON patch.
async fn undo(deploys: &Api<Deployment>, rss: &Api<ReplicaSet>) {
    let d = deploys.get(NAME).await.unwrap();
    let uid = d.metadata.uid.clone().unwrap();
    let mut owned: Vec<(i64, ReplicaSet)> = rss
        .list(&ListParams::default().labels(&format!("app={NAME}")))
        .await
        .unwrap()
        .items
        .into_iter()
        .filter(|r| {
            r.metadata
                .owner_references
                .iter()
                .flatten()
                .any(|o| o.controller == Some(true) && o.uid == uid)
        })
        .map(|r| {
            let rev = r
                .metadata
                .annotations
                .as_ref()
                .and_then(|a| a.get("deployment.kubernetes.io/revision"))
                .and_then(|v| v.parse().ok())
                .unwrap_or(0);
            (rev, r)
        })
        .collect();
    owned.sort_by_key(|(rev, _)| *rev);
    let (_, target) = &owned[owned.len() - 2];
    let mut template = serde_json::to_value(&target.spec.as_ref().unwrap().template).unwrap();
    template["metadata"]["labels"]
        .as_object_mut()
        .unwrap()
        .remove("pod-template-hash");
    let keep = [
        "kubectl.kubernetes.io/last-applied-configuration",
        "deployment.kubernetes.io/revision",
        "deployment.kubernetes.io/revision-history",
        "deployment.kubernetes.io/desired-replicas",
        "deployment.kubernetes.io/max-replicas",
        "deprecated.deployment.rollback.to",
    ];
    let mut ann = serde_json::Map::new();
    for (k, v) in d.metadata.annotations.clone().unwrap_or_default() {
        if keep.contains(&k.as_str()) {
            ann.insert(k, json!(v));
        }
    }
    for (k, v) in target.metadata.annotations.clone().unwrap_or_default() {
        if !keep.contains(&k.as_str()) {
            ann.insert(k, json!(v));
        }
    }
    let ops: json_patch::Patch = serde_json::from_value(json!([
        {"op": "replace", "path": "/spec/template", "value": template},
        {"op": "replace", "path": "/metadata/annotations", "value": ann},
    ]))
    .unwrap();
    deploys
        .patch(NAME, &PatchParams::default(), &Patch::Json::<()>(ops))
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kubectl_and_kube_api_leave_identical_objects() {
    let a = SimCluster::start(Scenario::mcp_production()).await.unwrap();
    let b = SimCluster::start(Scenario::mcp_production()).await.unwrap();
    assert_eq!(snapshot(&a), snapshot(&b), "identical start");

    // Cluster A: kubectl, as the runbook does it.
    let k = Kubectl::new(&a);
    k.prod(&["scale", "deployment", NAME, "--replicas=5"])
        .await
        .ok();
    settled(&a).await;
    k.prod(&[
        "set",
        "image",
        &format!("deployment/{NAME}"),
        &format!("{NAME}={IMAGE}"),
    ])
    .await
    .ok();
    settled(&a).await;
    k.prod(&["rollout", "undo", &format!("deployment/{NAME}")])
        .await
        .ok();
    settled(&a).await;
    k.prod(&["rollout", "restart", &format!("deployment/{NAME}")])
        .await
        .ok();
    settled(&a).await;
    let restarted_at = a.get("apps/v1", "Deployment", NS, NAME).unwrap()["spec"]["template"]["metadata"]["annotations"]
        ["kubectl.kubernetes.io/restartedAt"]
        .as_str()
        .unwrap()
        .to_string();

    // Cluster B: the same with kube::Api.
    let client = b.client().unwrap();
    let deploys: Api<Deployment> = Api::namespaced(client.clone(), NS);
    let rss: Api<ReplicaSet> = Api::namespaced(client, NS);
    deploys
        .patch_scale(
            NAME,
            &PatchParams::default(),
            &Patch::Merge(json!({"spec": {"replicas": 5}})),
        )
        .await
        .unwrap();
    settled(&b).await;
    let set_image = json!({"spec": {"template": {"spec": {
        "$setElementOrder/containers": [{"name": NAME}],
        "containers": [{"name": NAME, "image": IMAGE}]}}}});
    deploys
        .patch(NAME, &PatchParams::default(), &Patch::Strategic(set_image))
        .await
        .unwrap();
    settled(&b).await;
    undo(&deploys, &rss).await;
    settled(&b).await;
    let restart = json!({"spec": {"template": {"metadata": {"annotations": {"kubectl.kubernetes.io/restartedAt": restarted_at}}}}});
    deploys
        .patch(NAME, &PatchParams::default(), &Patch::Strategic(restart))
        .await
        .unwrap();
    settled(&b).await;

    let (sa, sb) = (snapshot(&a), snapshot(&b));
    assert_eq!(
        sa["deployment"]["metadata"]["annotations"]["deployment.kubernetes.io/revision"],
        "6"
    );
    assert_eq!(sa, sb);
}
