//! The deployment controller: one ReplicaSet per pod template, revisions, rollouts, status
//! and conditions (Available, Progressing, ProgressDeadlineExceeded).

use super::super::json::{self, i64_at, str_at};
use super::super::names;
use super::super::resources;
use super::Ctx;
use super::rollout::{self, RsState};
use serde_json::{Value, json};
use std::sync::Arc;

/// Annotation holding a ReplicaSet's (and the deployment's) revision.
pub const REVISION: &str = "deployment.kubernetes.io/revision";
const HISTORY: &str = "deployment.kubernetes.io/revision-history";
const HASH: &str = "pod-template-hash";
/// Deployment annotations never copied onto ReplicaSets.
const SKIP: &[&str] = &[
    "kubectl.kubernetes.io/last-applied-configuration",
    REVISION,
    HISTORY,
    "deployment.kubernetes.io/desired-replicas",
    "deployment.kubernetes.io/max-replicas",
    "deprecated.deployment.rollback.to",
];

fn without_hash(template: &Value) -> Value {
    let mut t = template.clone();
    json::remove(&mut t, &["metadata", "labels", HASH]);
    if json::at(&t, &["metadata", "labels"])
        .and_then(Value::as_object)
        .is_some_and(serde_json::Map::is_empty)
    {
        json::remove(&mut t, &["metadata", "labels"]);
    }
    t
}

fn revision(rs: &Value) -> i64 {
    str_at(rs, &["metadata", "annotations", REVISION])
        .parse()
        .unwrap_or(0)
}

fn state(rs: &Value) -> RsState {
    RsState {
        spec: i64_at(rs, &["spec", "replicas"], 0),
        current: i64_at(rs, &["status", "replicas"], 0),
        available: i64_at(rs, &["status", "availableReplicas"], 0),
    }
}

/// Syncs every deployment.
pub fn sync_all(ctx: &mut Ctx<'_>) {
    let rs_all = ctx.list("apps", "replicasets");
    for d in ctx.list("apps", "deployments") {
        if !json::deleting(&d) {
            sync(ctx, (*d).clone(), &rs_all);
        }
    }
}

fn new_replicaset(d: &Value, template: &Value, rev: i64, replicas: i64, max: i64) -> Value {
    let hash = names::safe_hash(
        serde_json::to_string(&without_hash(template))
            .unwrap_or_default()
            .as_bytes(),
    );
    let mut tpl = without_hash(template);
    json::set(&mut tpl, &["metadata", "labels", HASH], json!(hash));
    let mut labels = json::labels(&tpl);
    labels.insert(HASH.into(), hash.clone());
    let mut selector = json::at(d, &["spec", "selector"])
        .cloned()
        .unwrap_or(json!({}));
    json::set(&mut selector, &["matchLabels", HASH], json!(hash));
    let mut ann = serde_json::Map::new();
    for (k, v) in json::string_map(d, &["metadata", "annotations"]) {
        if !SKIP.contains(&k.as_str()) {
            ann.insert(k, json!(v));
        }
    }
    ann.insert(
        "deployment.kubernetes.io/desired-replicas".into(),
        json!(replicas.to_string()),
    );
    ann.insert(
        "deployment.kubernetes.io/max-replicas".into(),
        json!(max.to_string()),
    );
    ann.insert(REVISION.into(), json!(rev.to_string()));
    let mut rs = json!({
        "metadata": {
            "name": format!("{}-{hash}", json::name(d)), "namespace": json::namespace(d),
            "labels": labels, "annotations": ann, "ownerReferences": [json::owner_ref(d)],
        },
        "spec": {"replicas": 0, "selector": selector, "template": tpl},
    });
    let min_ready = i64_at(d, &["spec", "minReadySeconds"], 0);
    if min_ready > 0 {
        json::set(&mut rs, &["spec", "minReadySeconds"], json!(min_ready));
    }
    rs
}

fn sync(ctx: &mut Ctx<'_>, mut d: Value, rs_all: &[Arc<Value>]) {
    let rs_rt = resources::get("apps", "replicasets");
    let uid = json::uid(&d).to_string();
    let ns = json::namespace(&d).to_string();
    let mut owned: Vec<Value> = rs_all
        .iter()
        .filter(|r| {
            json::namespace(r) == ns
                && json::controller_uid(r) == Some(uid.as_str())
                && !json::deleting(r)
        })
        .map(|r| (**r).clone())
        .collect();
    owned.sort_by_key(|r| {
        (
            str_at(r, &["metadata", "creationTimestamp"]).to_string(),
            revision(r),
        )
    });
    let template = json::at(&d, &["spec", "template"])
        .cloned()
        .unwrap_or(json!({}));
    let want = without_hash(&template);
    let replicas = i64_at(&d, &["spec", "replicas"], 1);
    let paused = json::bool_at(&d, &["spec", "paused"]);
    let strategy = str_at(&d, &["spec", "strategy", "type"]).to_string();
    let (surge, unavailable) = if strategy == "Recreate" {
        (0, replicas)
    } else {
        (
            rollout::int_or_percent(
                json::at(&d, &["spec", "strategy", "rollingUpdate", "maxSurge"]),
                replicas,
                true,
                1,
            ),
            rollout::int_or_percent(
                json::at(&d, &["spec", "strategy", "rollingUpdate", "maxUnavailable"]),
                replicas,
                false,
                0,
            ),
        )
    };
    let new_idx = owned.iter().position(|r| {
        without_hash(json::at(r, &["spec", "template"]).unwrap_or(&Value::Null)) == want
    });
    let max_old_rev = owned
        .iter()
        .enumerate()
        .filter(|(i, _)| Some(*i) != new_idx)
        .map(|(_, r)| revision(r))
        .max()
        .unwrap_or(0);
    let mut created = None;
    let mut new_rs = match new_idx {
        Some(i) => Some(owned.remove(i)),
        None if !paused => {
            // Created at the size the rollout allows right away, as kube-controller-manager does.
            let old_states: Vec<RsState> = owned.iter().map(state).collect();
            let empty = RsState {
                spec: 0,
                current: 0,
                available: 0,
            };
            let initial = if strategy == "Recreate" {
                rollout::recreate(replicas, &old_states).0
            } else {
                rollout::rolling(replicas, surge, unavailable, &empty, &old_states).0
            };
            let mut rs = new_replicaset(&d, &template, max_old_rev + 1, replicas, replicas + surge);
            json::set(&mut rs, &["spec", "replicas"], json!(initial));
            let made = ctx.create(rs_rt, rs);
            if let Some(m) = &made {
                created = Some(json::name(m).to_string());
                if initial > 0 {
                    let msg = format!(
                        "Scaled up replica set {} from 0 to {initial}",
                        json::name(m)
                    );
                    ctx.event(
                        &d,
                        false,
                        "ScalingReplicaSet",
                        &msg,
                        "deployment-controller",
                    );
                }
            }
            made
        }
        None => None,
    };
    // Revision bookkeeping and annotation sync on the new ReplicaSet.
    if let Some(rs) = new_rs.as_mut().filter(|_| !paused) {
        let mut changed = false;
        let rev = revision(rs);
        if rev <= max_old_rev {
            let mut hist = str_at(rs, &["metadata", "annotations", HISTORY]).to_string();
            if rev > 0 {
                if !hist.is_empty() {
                    hist.push(',');
                }
                hist.push_str(&rev.to_string());
                json::set(rs, &["metadata", "annotations", HISTORY], json!(hist));
            }
            json::set(
                rs,
                &["metadata", "annotations", REVISION],
                json!((max_old_rev + 1).to_string()),
            );
            changed = true;
        }
        for (k, v) in json::string_map(&d, &["metadata", "annotations"]) {
            if !SKIP.contains(&k.as_str()) && str_at(rs, &["metadata", "annotations", &k]) != v {
                json::set(rs, &["metadata", "annotations", &k], json!(v));
                changed = true;
            }
        }
        if changed && let Some(saved) = ctx.update(rs_rt, rs.clone()) {
            *rs = saved;
        }
    }
    // Scaling.
    if let Some(rs) = new_rs.as_mut() {
        let old_states: Vec<RsState> = owned.iter().map(state).collect();
        let (new_target, old_targets) = if paused {
            let active_old = old_states.iter().any(|s| s.spec > 0);
            (
                if active_old { state(rs).spec } else { replicas },
                old_states.iter().map(|s| s.spec).collect(),
            )
        } else if strategy == "Recreate" {
            rollout::recreate(replicas, &old_states)
        } else {
            rollout::rolling(replicas, surge, unavailable, &state(rs), &old_states)
        };
        scale(ctx, rs, new_target, &d);
        for (old, target) in owned.iter_mut().zip(old_targets) {
            scale(ctx, old, target, &d);
        }
    }
    if let Some(rs) = &new_rs {
        let rev = str_at(rs, &["metadata", "annotations", REVISION]).to_string();
        if !paused && str_at(&d, &["metadata", "annotations", REVISION]) != rev {
            json::set(&mut d, &["metadata", "annotations", REVISION], json!(rev));
        }
    }
    cleanup(ctx, &d, &owned, new_rs.is_some());
    super::deployment_status::update_status(
        ctx,
        d,
        new_rs.as_ref(),
        &owned,
        replicas,
        unavailable,
        created,
    );
}

fn scale(ctx: &mut Ctx<'_>, rs: &mut Value, target: i64, d: &Value) {
    let cur = i64_at(rs, &["spec", "replicas"], 0);
    if cur == target {
        return;
    }
    json::set(rs, &["spec", "replicas"], json!(target));
    // A ReplicaSet that is resized records the deployment's size and its surge ceiling.
    let replicas = i64_at(d, &["spec", "replicas"], 1);
    let surge = if str_at(d, &["spec", "strategy", "type"]) == "RollingUpdate" {
        rollout::int_or_percent(
            json::at(d, &["spec", "strategy", "rollingUpdate", "maxSurge"]),
            replicas,
            true,
            1,
        )
    } else {
        0
    };
    json::set(
        rs,
        &[
            "metadata",
            "annotations",
            "deployment.kubernetes.io/desired-replicas",
        ],
        json!(replicas.to_string()),
    );
    json::set(
        rs,
        &[
            "metadata",
            "annotations",
            "deployment.kubernetes.io/max-replicas",
        ],
        json!((replicas + surge).to_string()),
    );
    if let Some(saved) = ctx.update(resources::get("apps", "replicasets"), rs.clone()) {
        *rs = saved;
        let dir = if target > cur { "up" } else { "down" };
        let msg = format!(
            "Scaled {dir} replica set {} from {cur} to {target}",
            json::name(rs)
        );
        ctx.event(d, false, "ScalingReplicaSet", &msg, "deployment-controller");
    }
}

fn cleanup(ctx: &mut Ctx<'_>, d: &Value, old: &[Value], has_new: bool) {
    let limit = i64_at(d, &["spec", "revisionHistoryLimit"], 10);
    let mut idle: Vec<&Value> = old
        .iter()
        .filter(|r| {
            i64_at(r, &["spec", "replicas"], 0) == 0 && i64_at(r, &["status", "replicas"], 0) == 0
        })
        .collect();
    if !has_new || i64::try_from(idle.len()).unwrap_or(0) <= limit {
        return;
    }
    idle.sort_by_key(|r| revision(r));
    let extra = idle.len() - usize::try_from(limit.max(0)).unwrap_or(0);
    for r in idle.into_iter().take(extra) {
        ctx.delete(
            resources::get("apps", "replicasets"),
            json::namespace(r),
            json::name(r),
        );
    }
}
