//! Status and conditions of a deployment (Available, Progressing, ProgressDeadlineExceeded).

use super::Ctx;
use crate::sim::clock::{format_ts, parse_ts};
use crate::sim::json::{self, i64_at, str_at};
use crate::sim::resources;
use serde_json::{Value, json};

fn condition(
    kind: &str,
    status: &str,
    reason: &str,
    message: &str,
    now: &str,
    prev: Option<&Value>,
    touch: bool,
) -> Value {
    let same_status = prev.is_some_and(|p| str_at(p, &["status"]) == status);
    let transition = if same_status {
        str_at(prev.unwrap_or(&Value::Null), &["lastTransitionTime"]).to_string()
    } else {
        now.to_string()
    };
    let update = match prev {
        Some(p) if !touch && str_at(p, &["reason"]) == reason => {
            str_at(p, &["lastUpdateTime"]).to_string()
        }
        _ => now.to_string(),
    };
    json!({"type": kind, "status": status, "lastUpdateTime": update, "lastTransitionTime": transition, "reason": reason, "message": message})
}

/// The conditions in kube-controller-manager's order: a condition whose status or reason
/// changed (or that is new) moves to the end, the others keep their places.
fn ordered(prev: &Value, now: [Value; 2]) -> Value {
    let before: Vec<Value> = prev
        .get("conditions")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let same = |a: &Value, b: &Value| {
        str_at(a, &["status"]) == str_at(b, &["status"])
            && str_at(a, &["reason"]) == str_at(b, &["reason"])
    };
    let mut out: Vec<Value> = Vec::new();
    for old in &before {
        if let Some(c) = now
            .iter()
            .find(|c| str_at(c, &["type"]) == str_at(old, &["type"]) && same(c, old))
        {
            out.push(c.clone());
        }
    }
    for c in &now {
        if !out
            .iter()
            .any(|o| str_at(o, &["type"]) == str_at(c, &["type"]))
        {
            out.push(c.clone());
        }
    }
    Value::Array(out)
}

/// Computes and writes the deployment status from its ReplicaSets.
pub(super) fn update_status(
    ctx: &mut Ctx<'_>,
    mut d: Value,
    new_rs: Option<&Value>,
    old: &[Value],
    replicas: i64,
    unavailable_budget: i64,
    created: Option<String>,
) {
    let all: Vec<&Value> = new_rs.into_iter().chain(old.iter()).collect();
    let sum = |path: &[&str]| all.iter().map(|r| i64_at(r, path, 0)).sum::<i64>();
    let total_spec = sum(&["spec", "replicas"]);
    let st_replicas = sum(&["status", "replicas"]);
    let ready = sum(&["status", "readyReplicas"]);
    let available = sum(&["status", "availableReplicas"]);
    let updated = new_rs.map_or(0, |r| i64_at(r, &["status", "replicas"], 0));
    let prev = d.get("status").cloned().unwrap_or(json!({}));
    let prev_cond = |t: &str| -> Option<Value> {
        prev.get("conditions")
            .and_then(Value::as_array)
            .and_then(|cs| cs.iter().find(|c| str_at(c, &["type"]) == t).cloned())
    };
    let now_ts = ctx.store.clock().now();
    let now = format_ts(now_ts);
    let min_available = replicas - unavailable_budget;
    let avail_cond = if available >= min_available {
        condition(
            "Available",
            "True",
            "MinimumReplicasAvailable",
            "Deployment has minimum availability.",
            &now,
            prev_cond("Available").as_ref(),
            false,
        )
    } else {
        condition(
            "Available",
            "False",
            "MinimumReplicasUnavailable",
            "Deployment does not have minimum availability.",
            &now,
            prev_cond("Available").as_ref(),
            false,
        )
    };
    let rs_name = new_rs.map_or(String::new(), |r| json::name(r).to_string());
    let prev_prog = prev_cond("Progressing");
    let complete =
        new_rs.is_some() && updated == replicas && st_replicas == replicas && available == replicas;
    let old_before = i64_at(&prev, &["replicas"], 0) - i64_at(&prev, &["updatedReplicas"], 0);
    let progressed = updated > i64_at(&prev, &["updatedReplicas"], 0)
        || st_replicas - updated < old_before
        || ready > i64_at(&prev, &["readyReplicas"], 0)
        || available > i64_at(&prev, &["availableReplicas"], 0);
    let prev_reason = prev_prog
        .as_ref()
        .map_or("", |c| str_at(c, &["reason"]))
        .to_string();
    let prog_cond = if json::bool_at(&d, &["spec", "paused"]) {
        condition(
            "Progressing",
            "Unknown",
            "DeploymentPaused",
            "Deployment is paused",
            &now,
            prev_prog.as_ref(),
            false,
        )
    } else if let Some(p) = prev_prog
        .clone()
        .filter(|_| st_replicas == updated && prev_reason == "NewReplicaSetAvailable")
    {
        // A complete rollout that is only being resized: kube-controller-manager leaves
        // Progressing alone (only Available follows the pods).
        p
    } else if complete {
        condition(
            "Progressing",
            "True",
            "NewReplicaSetAvailable",
            &format!("ReplicaSet \"{rs_name}\" has successfully progressed."),
            &now,
            prev_prog.as_ref(),
            false,
        )
    } else if let Some(name) = created {
        condition(
            "Progressing",
            "True",
            "NewReplicaSetCreated",
            &format!("Created new replica set \"{name}\""),
            &now,
            prev_prog.as_ref(),
            true,
        )
    } else if progressed
        || prev_reason == "DeploymentPaused"
        || prev_reason == "NewReplicaSetAvailable"
        || prev_prog.is_none()
    {
        condition(
            "Progressing",
            "True",
            "ReplicaSetUpdated",
            &format!("ReplicaSet \"{rs_name}\" is progressing."),
            &now,
            prev_prog.as_ref(),
            true,
        )
    } else {
        let p = prev_prog.clone().unwrap_or(json!({}));
        let deadline = i64_at(&d, &["spec", "progressDeadlineSeconds"], 600);
        let last =
            parse_ts(str_at(&p, &["lastUpdateTime"])).map_or(now_ts.as_second(), |t| t.as_second());
        if prev_reason != "ProgressDeadlineExceeded" && now_ts.as_second() - last > deadline {
            let c = condition(
                "Progressing",
                "False",
                "ProgressDeadlineExceeded",
                &format!("ReplicaSet \"{rs_name}\" has timed out progressing."),
                &now,
                Some(&p),
                true,
            );
            ctx.event(
                &d,
                true,
                "ProgressDeadlineExceeded",
                &format!("ReplicaSet \"{rs_name}\" has timed out progressing."),
                "deployment-controller",
            );
            c
        } else {
            p
        }
    };
    let mut status = json!({
        "observedGeneration": i64_at(&d, &["metadata", "generation"], 1),
        "replicas": st_replicas, "updatedReplicas": updated, "readyReplicas": ready,
        "availableReplicas": available, "conditions": ordered(&prev, [avail_cond, prog_cond]),
        "terminatingReplicas": sum(&["status", "terminatingReplicas"]),
    });
    let unavailable = (total_spec - available).max(0);
    if unavailable > 0 {
        status["unavailableReplicas"] = json!(unavailable);
    }
    for k in [
        "replicas",
        "updatedReplicas",
        "readyReplicas",
        "availableReplicas",
    ] {
        if status[k] == json!(0)
            && let Some(m) = status.as_object_mut()
        {
            m.remove(k);
        }
    }
    d["status"] = status;
    ctx.update(resources::get("apps", "deployments"), d);
}
