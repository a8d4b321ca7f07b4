//! A minimal statefulset controller: pods `NAME-0 … NAME-(n-1)`, status counts.

use super::super::json::{self, i64_at};
use super::super::resources;
use super::Ctx;
use super::replicaset::{owned_pods, pod_from_template, pod_ready};
use serde_json::json;

/// Syncs every StatefulSet.
pub fn sync_all(ctx: &mut Ctx<'_>) {
    let pods_rt = resources::get("", "pods");
    let pods = ctx.list("", "pods");
    for s in ctx.list("apps", "statefulsets") {
        let mut s = (*s).clone();
        if json::deleting(&s) {
            continue;
        }
        let want = i64_at(&s, &["spec", "replicas"], 1);
        let mine: Vec<String> = owned_pods(&pods, json::namespace(&s), json::uid(&s))
            .iter()
            .map(|p| json::name(p).to_string())
            .collect();
        let template = json::at(&s, &["spec", "template"])
            .cloned()
            .unwrap_or(json!({}));
        for i in 0..want {
            let name = format!("{}-{i}", json::name(&s));
            if !mine.contains(&name) {
                let mut pod = pod_from_template(&s, &template, Some(name.clone()));
                json::set(
                    &mut pod,
                    &["metadata", "labels", "statefulset.kubernetes.io/pod-name"],
                    json!(name),
                );
                json::set(&mut pod, &["spec", "hostname"], json!(name));
                if ctx.create(pods_rt, pod).is_some() {
                    ctx.event(
                        &s,
                        false,
                        "SuccessfulCreate",
                        &format!(
                            "create Pod {name} in StatefulSet {} successful",
                            json::name(&s)
                        ),
                        "statefulset-controller",
                    );
                }
            }
        }
        for name in &mine {
            let idx = name
                .rsplit('-')
                .next()
                .and_then(|i| i.parse::<i64>().ok())
                .unwrap_or(i64::MAX);
            if idx >= want {
                ctx.delete(pods_rt, json::namespace(&s), name);
            }
        }
        let pods_now = ctx.list("", "pods");
        let mine = owned_pods(&pods_now, json::namespace(&s), json::uid(&s));
        let count = i64::try_from(mine.len()).unwrap_or(0);
        let ready = i64::try_from(mine.iter().filter(|p| pod_ready(p)).count()).unwrap_or(0);
        let status = json!({"observedGeneration": i64_at(&s, &["metadata", "generation"], 1), "replicas": count, "readyReplicas": ready,
            "currentReplicas": count, "updatedReplicas": count, "availableReplicas": ready, "collisionCount": 0});
        if s.get("status") != Some(&status) {
            s["status"] = status;
            ctx.update(resources::get("apps", "statefulsets"), s);
        }
    }
}
