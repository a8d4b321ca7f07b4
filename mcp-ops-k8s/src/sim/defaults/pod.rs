//! Defaults of pods and pod templates.

use super::super::json::{self, obj_mut};
use super::default;
use serde_json::{Value, json};

/// A pod: the pod spec's defaults, requests taken from limits where only limits are given
/// (pods only, not templates), phase Pending.
pub(super) fn pod(obj: &mut Value) {
    let spec = obj_mut(obj, &["spec"]);
    pod_spec(spec);
    default(spec, "enableServiceLinks", json!(true));
    for key in ["containers", "initContainers"] {
        if let Some(cs) = obj
            .pointer_mut(&format!("/spec/{key}"))
            .and_then(Value::as_array_mut)
        {
            for c in cs.iter_mut() {
                requests_from_limits(c);
            }
        }
    }
    default(obj_mut(obj, &["status"]), "phase", json!("Pending"));
}

fn requests_from_limits(c: &mut Value) {
    let Some(limits) = json::at(c, &["resources", "limits"])
        .and_then(Value::as_object)
        .cloned()
    else {
        return;
    };
    let requests = obj_mut(c, &["resources", "requests"]);
    for (k, v) in limits {
        requests.entry(k).or_insert(v);
    }
}

/// Defaults of a pod template at `path` (metadata normalised, spec defaulted).
pub fn pod_template(obj: &mut Value, path: &[&str]) {
    let Some(tpl) = json::at(obj, path) else {
        return;
    };
    if !tpl.is_object() {
        return;
    }
    let mut meta_path = path.to_vec();
    meta_path.push("metadata");
    let meta = obj_mut(obj, &meta_path);
    if meta.get("creationTimestamp").is_some_and(Value::is_null) {
        meta.remove("creationTimestamp");
    }
    let mut spec_path = path.to_vec();
    spec_path.push("spec");
    pod_spec(obj_mut(obj, &spec_path));
}

pub(super) fn pod_spec(spec: &mut serde_json::Map<String, Value>) {
    default(spec, "restartPolicy", json!("Always"));
    default(spec, "terminationGracePeriodSeconds", json!(30));
    default(spec, "dnsPolicy", json!("ClusterFirst"));
    default(spec, "securityContext", json!({}));
    default(spec, "schedulerName", json!("default-scheduler"));
    for key in ["containers", "initContainers"] {
        if let Some(cs) = spec.get_mut(key).and_then(Value::as_array_mut) {
            for c in cs.iter_mut() {
                container(c);
            }
        }
    }
}

fn container(c: &mut Value) {
    let image = json::str_at(c, &["image"]).to_string();
    let m = obj_mut(c, &[]);
    let tag = image.rsplit_once('/').map_or(image.as_str(), |(_, t)| t);
    let pull = if !tag.contains(':') || tag.ends_with(":latest") {
        "Always"
    } else {
        "IfNotPresent"
    };
    default(m, "imagePullPolicy", json!(pull));
    default(m, "terminationMessagePath", json!("/dev/termination-log"));
    default(m, "terminationMessagePolicy", json!("File"));
    default(m, "resources", json!({}));
    if let Some(ports) = m.get_mut("ports").and_then(Value::as_array_mut) {
        for p in ports.iter_mut() {
            default(obj_mut(p, &[]), "protocol", json!("TCP"));
        }
    }
}
