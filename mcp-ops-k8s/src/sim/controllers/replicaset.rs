//! The replicaset controller: keeps `spec.replicas` pods from the template, reports status.

use super::super::json::{self, i64_at, str_at};
use super::super::resources;
use super::Ctx;
use serde_json::{Value, json};
use std::sync::Arc;

/// Whether a pod is Ready.
pub fn pod_ready(p: &Value) -> bool {
    json::at(p, &["status", "conditions"])
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .any(|c| str_at(c, &["type"]) == "Ready" && str_at(c, &["status"]) == "True")
}

/// Pods in `ns` controlled by `uid` and not being deleted.
pub fn owned_pods<'a>(pods: &'a [Arc<Value>], ns: &str, uid: &str) -> Vec<&'a Value> {
    pods.iter()
        .map(|p| p.as_ref())
        .filter(|p| {
            json::namespace(p) == ns && json::controller_uid(p) == Some(uid) && !json::deleting(p)
        })
        .collect()
}

/// A pod object built from a template owned by `owner`.
pub fn pod_from_template(owner: &Value, template: &Value, name: Option<String>) -> Value {
    let mut meta = json::at(template, &["metadata"])
        .cloned()
        .unwrap_or(json!({}));
    match name {
        Some(n) => json::set(&mut meta, &["name"], json!(n)),
        None => json::set(
            &mut meta,
            &["generateName"],
            json!(format!("{}-", json::name(owner))),
        ),
    }
    json::set(&mut meta, &["namespace"], json!(json::namespace(owner)));
    json::set(
        &mut meta,
        &["ownerReferences"],
        json!([json::owner_ref(owner)]),
    );
    json!({"metadata": meta, "spec": json::at(template, &["spec"]).cloned().unwrap_or(json!({}))})
}

/// Syncs every ReplicaSet.
pub fn sync_all(ctx: &mut Ctx<'_>) {
    let pods_rt = resources::get("", "pods");
    let rs_rt = resources::get("apps", "replicasets");
    let mut pods = ctx.list("", "pods");
    for rs in ctx.list("apps", "replicasets") {
        let mut rs = (*rs).clone();
        if json::deleting(&rs) {
            continue;
        }
        let want = i64_at(&rs, &["spec", "replicas"], 1);
        let mine: Vec<Value> = owned_pods(&pods, json::namespace(&rs), json::uid(&rs))
            .into_iter()
            .cloned()
            .collect();
        let have = i64::try_from(mine.len()).unwrap_or(0);
        let template = json::at(&rs, &["spec", "template"])
            .cloned()
            .unwrap_or(json!({}));
        if have < want {
            for _ in have..want {
                if let Some(p) = ctx.create(pods_rt, pod_from_template(&rs, &template, None)) {
                    ctx.event(
                        &rs,
                        false,
                        "SuccessfulCreate",
                        &format!("Created pod: {}", json::name(&p)),
                        "replicaset-controller",
                    );
                    pods.push(Arc::new(p));
                }
            }
        } else if have > want {
            let mut victims = mine.clone();
            victims.sort_by_key(|p| {
                let rank = match str_at(p, &["status", "phase"]) {
                    "Pending" | "" => 0,
                    _ if !pod_ready(p) => 1,
                    _ => 2,
                };
                (
                    rank,
                    std::cmp::Reverse(str_at(p, &["metadata", "creationTimestamp"]).to_string()),
                    std::cmp::Reverse(json::name(p).to_string()),
                )
            });
            for p in victims
                .iter()
                .take(usize::try_from(have - want).unwrap_or(0))
            {
                ctx.delete(pods_rt, json::namespace(p), json::name(p));
                ctx.event(
                    &rs,
                    false,
                    "SuccessfulDelete",
                    &format!("Deleted pod: {}", json::name(p)),
                    "replicaset-controller",
                );
            }
            let gone: Vec<String> = victims
                .iter()
                .take(usize::try_from(have - want).unwrap_or(0))
                .map(|p| json::uid(p).to_string())
                .collect();
            pods.retain(|p| !gone.iter().any(|g| g == json::uid(p)));
        }
        let mine = owned_pods(&pods, json::namespace(&rs), json::uid(&rs));
        let count = i64::try_from(mine.len()).unwrap_or(0);
        let ready = i64::try_from(mine.iter().filter(|p| pod_ready(p)).count()).unwrap_or(0);
        let terminating = pods
            .iter()
            .filter(|p| {
                json::namespace(p) == json::namespace(&rs)
                    && json::controller_uid(p) == Some(json::uid(&rs))
                    && json::deleting(p)
            })
            .count();
        let mut status = json!({"replicas": count, "fullyLabeledReplicas": count, "readyReplicas": ready, "availableReplicas": ready,
            "terminatingReplicas": terminating,
            "observedGeneration": i64_at(&rs, &["metadata", "generation"], 1)});
        for k in ["fullyLabeledReplicas", "readyReplicas", "availableReplicas"] {
            if status[k] == json!(0)
                && let Some(m) = status.as_object_mut()
            {
                m.remove(k);
            }
        }
        if rs.get("status") != Some(&status) {
            rs["status"] = status;
            ctx.update(rs_rt, rs);
        }
    }
}
