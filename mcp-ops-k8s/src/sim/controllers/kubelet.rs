//! The kubelet: scheduled pods (after the configured start-up delay) run and become Ready, or
//! fail as the scenario's image rules say.

use super::super::clock::parse_ts;
use super::super::json::{self, str_at};
use super::super::names;
use super::super::resources;
use super::{Ctx, ImageFailure};
use serde_json::{Value, json};

pub(super) fn cond(t: &str, status: &str, now: &str) -> Value {
    json!({"type": t, "status": status, "lastProbeTime": null, "lastTransitionTime": now})
}

fn failure(ctx: &Ctx<'_>, pod: &Value) -> Option<(ImageFailure, String)> {
    let cs = json::at(pod, &["spec", "containers"]).and_then(Value::as_array)?;
    cs.iter().find_map(|c| {
        let image = str_at(c, &["image"]);
        ctx.cfg
            .image_rules
            .iter()
            .find(|r| image.contains(&r.image))
            .map(|r| (r.failure, image.to_string()))
    })
}

/// Syncs every scheduled pod.
pub fn sync_all(ctx: &mut Ctx<'_>) {
    let pods = ctx.list("", "pods");
    for p in &pods {
        let statuses = json::at(p, &["status", "containerStatuses"]).and_then(Value::as_array);
        let crash = statuses.is_some_and(|cs| {
            cs.iter()
                .any(|c| str_at(c, &["state", "waiting", "reason"]) == "CrashLoopBackOff")
        });
        let waiting = str_at(p, &["status", "phase"]) == "Pending" && statuses.is_none();
        let unscheduled = str_at(p, &["spec", "nodeName"]).is_empty();
        if json::deleting(p) || unscheduled || !(crash || waiting) {
            continue;
        }
        let mut owned = (**p).clone();
        let pod = &mut owned;
        if str_at(pod, &["spec", "nodeName"]).is_empty()
            || str_at(pod, &["status", "phase"]) != "Pending"
        {
            crash_tick(ctx, pod);
            continue;
        }
        if json::at(pod, &["status", "containerStatuses"]).is_some() {
            continue;
        }
        let created =
            parse_ts(str_at(pod, &["metadata", "creationTimestamp"])).map_or(0, |t| t.as_second());
        let startup = i64::try_from(ctx.cfg.pod_startup.as_secs()).unwrap_or(0);
        if ctx.store.clock().now().as_second() - created < startup {
            continue;
        }
        start(ctx, pod.clone());
    }
}

fn container_ids(pod: &Value, image: &str) -> (String, String) {
    let h = names::fnv32a(format!("{}{image}", json::uid(pod)).as_bytes());
    let img = names::fnv32a(image.as_bytes());
    (
        format!("containerd://{h:08x}{img:08x}{h:08x}{img:08x}"),
        format!("{image}@sha256:{img:08x}{img:08x}{img:08x}{img:08x}"),
    )
}

fn start(ctx: &mut Ctx<'_>, mut pod: Value) {
    let now = ctx.store.clock().stamp();
    let restart_policy = str_at(&pod, &["spec", "restartPolicy"]).to_string();
    let is_job = restart_policy != "Always";
    let fail = failure(ctx, &pod);
    let containers = json::at(&pod, &["spec", "containers"])
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let mut statuses = Vec::new();
    let mut events: Vec<(bool, String, String)> = Vec::new();
    let (phase, ready) = match (&fail, is_job) {
        (Some((ImageFailure::PullBackOff, img)), _) => {
            events.push((false, "Pulling".into(), format!("Pulling image \"{img}\"")));
            events.push((true, "Failed".into(), format!("Failed to pull image \"{img}\": rpc error: code = NotFound desc = failed to pull and unpack image \"{img}\": not found")));
            events.push((true, "Failed".into(), "Error: ErrImagePull".into()));
            events.push((
                false,
                "BackOff".into(),
                format!("Back-off pulling image \"{img}\""),
            ));
            ("Pending", false)
        }
        (Some((ImageFailure::JobFails, _)), true) => ("Failed", false),
        (Some(_), true) | (None, true) => ("Succeeded", false),
        (Some((_, img)), false) => {
            events.push((
                true,
                "BackOff".into(),
                format!(
                    "Back-off restarting failed container in pod {} (image {img})",
                    json::name(&pod)
                ),
            ));
            ("Running", false)
        }
        (None, false) => ("Running", true),
    };
    for c in &containers {
        let name = str_at(c, &["name"]);
        let image = str_at(c, &["image"]);
        let (cid, iid) = container_ids(&pod, image);
        let bad = fail.as_ref().is_some_and(|(_, i)| i == image);
        let state = match (phase, bad, fail.as_ref().map(|f| f.0)) {
            ("Pending", true, _) => {
                json!({"waiting": {"reason": "ImagePullBackOff", "message": format!("Back-off pulling image \"{image}\"")}})
            }
            ("Succeeded", _, _) => {
                json!({"terminated": {"exitCode": 0, "reason": "Completed", "startedAt": now, "finishedAt": now, "containerID": cid}})
            }
            ("Failed", _, _) => {
                json!({"terminated": {"exitCode": 1, "reason": "Error", "startedAt": now, "finishedAt": now, "containerID": cid}})
            }
            ("Running", true, _) => {
                json!({"waiting": {"reason": "CrashLoopBackOff", "message": format!("back-off 10s restarting failed container={name} pod={}", json::name(&pod))}})
            }
            _ => json!({"running": {"startedAt": now}}),
        };
        let mut s = json!({"name": name, "image": image, "imageID": if phase == "Pending" { String::new() } else { iid }, "ready": ready || (phase == "Running" && !bad),
            "restartCount": 0, "started": phase == "Running" && !bad, "state": state, "lastState": {}});
        if phase != "Pending" {
            s["containerID"] = json!(cid);
        }
        if phase == "Running" && bad {
            let reason = if fail.as_ref().map(|f| f.0) == Some(ImageFailure::OomKilled) {
                "OOMKilled"
            } else {
                "Error"
            };
            let code = if reason == "OOMKilled" { 137 } else { 1 };
            s["restartCount"] = json!(1);
            s["lastState"] = json!({"terminated": {"exitCode": code, "reason": reason, "startedAt": now, "finishedAt": now, "containerID": cid}});
        }
        if !bad && phase != "Pending" {
            events.push((
                false,
                "Pulled".into(),
                format!("Container image \"{image}\" already present on machine"),
            ));
            events.push((false, "Created".into(), format!("Created container {name}")));
            events.push((false, "Started".into(), format!("Started container {name}")));
        }
        statuses.push(s);
    }
    let all_ready = statuses.iter().all(|s| s["ready"] == json!(true));
    let (ready_s, reason) = if all_ready && phase == "Running" {
        ("True", None)
    } else if phase == "Succeeded" || phase == "Failed" {
        ("False", Some("PodCompleted"))
    } else {
        ("False", Some("ContainersNotReady"))
    };
    let mut ready_c = cond("Ready", ready_s, &now);
    let mut cready_c = cond("ContainersReady", ready_s, &now);
    if let Some(r) = reason {
        ready_c["reason"] = json!(r);
        cready_c["reason"] = json!(r);
    }
    let status = json::obj_mut(&mut pod, &["status"]);
    status.insert("phase".into(), json!(phase));
    status.insert("containerStatuses".into(), json!(statuses));
    status.insert(
        "conditions".into(),
        json!([
            cond("PodReadyToStartContainers", "True", &now),
            cond("Initialized", "True", &now),
            ready_c,
            cready_c,
            cond("PodScheduled", "True", &now)
        ]),
    );
    if let Some(saved) = ctx.update(resources::get("", "pods"), pod) {
        for (warning, reason, msg) in events {
            ctx.event(&saved, warning, &reason, &msg, "kubelet");
        }
    }
}

/// Crash-looping containers restart every 10 simulated seconds.
fn crash_tick(ctx: &mut Ctx<'_>, pod: &Value) {
    let Some(cs) = json::at(pod, &["status", "containerStatuses"]).and_then(Value::as_array) else {
        return;
    };
    if !cs
        .iter()
        .any(|c| str_at(c, &["state", "waiting", "reason"]) == "CrashLoopBackOff")
    {
        return;
    }
    let started = parse_ts(str_at(pod, &["status", "startTime"])).map_or(0, |t| t.as_second());
    let restarts = 1 + (ctx.store.clock().now().as_second() - started).max(0) / 10;
    let mut p = pod.clone();
    if let Some(list) = p
        .pointer_mut("/status/containerStatuses")
        .and_then(Value::as_array_mut)
    {
        for c in list.iter_mut() {
            if str_at(c, &["state", "waiting", "reason"]) == "CrashLoopBackOff" {
                c["restartCount"] = json!(restarts);
            }
        }
    }
    if &p != pod {
        ctx.update(resources::get("", "pods"), p);
    }
}
