//! The statefulset controller: pods `NAME-0 … NAME-(n-1)` created in order (hostname = pod
//! name, subdomain = serviceName), one ControllerRevision per template (`NAME-<hash>`, the
//! pods labelled `controller-revision-hash`), rolling updates from the highest ordinal down
//! (one pod at a time, once every pod is Ready), status with current and update revisions.

use super::super::json::{self, i64_at, str_at};
use super::super::names;
use super::super::resources;
use super::Ctx;
use super::replicaset::{owned_pods, pod_from_template, pod_ready};
use serde_json::{Value, json};

const HASH_LABEL: &str = "controller.kubernetes.io/hash";
const REVISION_LABEL: &str = "controller-revision-hash";

fn ordinal(set: &str, pod: &str) -> Option<i64> {
    pod.strip_prefix(set)?.strip_prefix('-')?.parse().ok()
}

/// The ControllerRevision of the set's current template, created when missing.
fn revision(ctx: &mut Ctx<'_>, set: &Value) -> Option<String> {
    let rt = resources::get("apps", "controllerrevisions");
    let template = json::at(set, &["spec", "template"])
        .cloned()
        .unwrap_or(json!({}));
    let hash = names::safe_hash(
        serde_json::to_string(&template)
            .unwrap_or_default()
            .as_bytes(),
    );
    let name = format!("{}-{hash}", json::name(set));
    let ns = json::namespace(set);
    if ctx.store.get(rt, ns, &name).is_some() {
        return Some(name);
    }
    let owned: Vec<i64> = ctx
        .store
        .list(rt, Some(ns))
        .0
        .iter()
        .filter(|r| json::controller_uid(r) == Some(json::uid(set)))
        .map(|r| i64_at(r, &["revision"], 0))
        .collect();
    let mut labels = json::string_map(set, &["spec", "template", "metadata", "labels"]);
    labels.insert(HASH_LABEL.into(), hash);
    let mut data = template;
    json::set(&mut data, &["$patch"], json!("replace"));
    let mut cr = json!({
        "metadata": {"name": name, "namespace": ns, "labels": labels, "ownerReferences": [json::owner_ref(set)]},
        "data": {"spec": {"template": data}},
        "revision": owned.iter().max().copied().unwrap_or(0) + 1,
    });
    if let Some(a) = json::at(set, &["metadata", "annotations"]) {
        json::set(&mut cr, &["metadata", "annotations"], a.clone());
    }
    ctx.create(rt, cr).map(|c| json::name(&c).to_string())
}

fn pod_event(ctx: &mut Ctx<'_>, set: &Value, verb: &str, pod: &str) {
    let reason = if verb == "Create" {
        "SuccessfulCreate"
    } else {
        "SuccessfulDelete"
    };
    let msg = format!(
        "{verb} Pod {pod} in StatefulSet {} successful",
        json::name(set)
    );
    ctx.event(set, false, reason, &msg, "statefulset-controller");
}

/// Syncs every StatefulSet.
pub fn sync_all(ctx: &mut Ctx<'_>) {
    let pods_rt = resources::get("", "pods");
    for s in ctx.list("apps", "statefulsets") {
        let mut s = (*s).clone();
        if json::deleting(&s) {
            continue;
        }
        let Some(update) = revision(ctx, &s) else {
            continue;
        };
        let set = json::name(&s).to_string();
        let want = i64_at(&s, &["spec", "replicas"], 1);
        let pods = ctx.list("", "pods");
        let mine: Vec<Value> = owned_pods(&pods, json::namespace(&s), json::uid(&s))
            .into_iter()
            .cloned()
            .collect();
        let parallel = str_at(&s, &["spec", "podManagementPolicy"]) == "Parallel";
        let all_ready = parallel || mine.iter().all(pod_ready);
        let template = json::at(&s, &["spec", "template"])
            .cloned()
            .unwrap_or(json!({}));
        // Ordered creation: the next missing ordinal, once the ones below are Ready.
        for i in 0..want {
            let name = format!("{set}-{i}");
            if mine.iter().any(|p| json::name(p) == name) {
                continue;
            }
            if !all_ready {
                break;
            }
            let mut pod = pod_from_template(&s, &template, Some(name.clone()));
            json::set(
                &mut pod,
                &["metadata", "generateName"],
                json!(format!("{set}-")),
            );
            let labels = json::obj_mut(&mut pod, &["metadata", "labels"]);
            labels.insert("statefulset.kubernetes.io/pod-name".into(), json!(name));
            labels.insert("apps.kubernetes.io/pod-index".into(), json!(i.to_string()));
            labels.insert(REVISION_LABEL.into(), json!(update));
            json::set(&mut pod, &["spec", "hostname"], json!(name));
            let service = str_at(&s, &["spec", "serviceName"]).to_string();
            if !service.is_empty() {
                json::set(&mut pod, &["spec", "subdomain"], json!(service));
            }
            if ctx.create(pods_rt, pod).is_some() {
                pod_event(ctx, &s, "Create", &name);
            }
            if !parallel {
                break;
            }
        }
        // Scale down from the highest ordinal; roll the highest out-of-date pod once all are Ready.
        let mut by_ordinal: Vec<(i64, &Value)> = mine
            .iter()
            .filter_map(|p| ordinal(&set, json::name(p)).map(|o| (o, p)))
            .collect();
        by_ordinal.sort_by_key(|(o, _)| std::cmp::Reverse(*o));
        if let Some((_, p)) = by_ordinal.iter().find(|(o, _)| *o >= want) {
            let name = json::name(p).to_string();
            ctx.delete(pods_rt, json::namespace(&s), &name);
            pod_event(ctx, &s, "Delete", &name);
        } else if all_ready
            && i64::try_from(mine.len()).unwrap_or(0) == want
            && let Some((_, p)) = by_ordinal
                .iter()
                .find(|(_, p)| str_at(p, &["metadata", "labels", REVISION_LABEL]) != update)
        {
            let name = json::name(p).to_string();
            ctx.delete(pods_rt, json::namespace(&s), &name);
            pod_event(ctx, &s, "Delete", &name);
        }
        status(ctx, &mut s, &update);
    }
}

fn status(ctx: &mut Ctx<'_>, s: &mut Value, update: &str) {
    let pods_now = ctx.list("", "pods");
    let mine = owned_pods(&pods_now, json::namespace(s), json::uid(s));
    let count = i64::try_from(mine.len()).unwrap_or(0);
    let ready = i64::try_from(mine.iter().filter(|p| pod_ready(p)).count()).unwrap_or(0);
    let at = |rev: &str| {
        i64::try_from(
            mine.iter()
                .filter(|p| str_at(p, &["metadata", "labels", REVISION_LABEL]) == rev)
                .count(),
        )
        .unwrap_or(0)
    };
    let updated = at(update);
    let prev_current = str_at(s, &["status", "currentRevision"]).to_string();
    let current = if prev_current.is_empty() || updated == count {
        update.to_string()
    } else {
        prev_current
    };
    let status = json!({"observedGeneration": i64_at(s, &["metadata", "generation"], 1), "replicas": count, "readyReplicas": ready,
        "currentReplicas": at(&current), "updatedReplicas": updated, "availableReplicas": ready, "collisionCount": 0,
        "currentRevision": current, "updateRevision": update});
    if s.get("status") != Some(&status) {
        s["status"] = status;
        ctx.update(resources::get("apps", "statefulsets"), s.clone());
    }
}
