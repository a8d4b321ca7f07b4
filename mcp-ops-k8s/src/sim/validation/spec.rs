//! Spec validation of the workload kinds: replicas, selectors matching the pod template, and
//! containers (present, named by an RFC 1123 label, unique, with an image).

use super::FieldError;
use super::dns;
use crate::sim::json;
use crate::sim::resources::ResourceType;
use crate::sim::selectors::LabelSelector;
use serde_json::Value;

/// Errors of the kind's spec (none for kinds without rules here).
pub(super) fn by_kind(rt: &ResourceType, obj: &Value) -> Vec<FieldError> {
    match (rt.group, rt.plural) {
        ("apps", "deployments" | "replicasets" | "statefulsets") => workload(obj),
        ("batch", "jobs") => pod_spec(obj, &["spec", "template", "spec"]),
        ("batch", "cronjobs") => {
            pod_spec(obj, &["spec", "jobTemplate", "spec", "template", "spec"])
        }
        ("", "pods") => pod_spec(obj, &["spec"]),
        _ => Vec::new(),
    }
}

fn workload(obj: &Value) -> Vec<FieldError> {
    let mut out = Vec::new();
    if let Some(r) = json::at(obj, &["spec", "replicas"]).and_then(Value::as_i64)
        && r < 0
    {
        out.push(FieldError::invalid(
            "spec.replicas",
            &Value::from(r),
            "must be greater than or equal to 0",
        ));
    }
    match json::at(obj, &["spec", "selector"]) {
        None | Some(Value::Null) => out.push(FieldError::required("spec.selector")),
        Some(sel) => {
            let parsed = LabelSelector::from_object(sel);
            let labels = json::string_map(obj, &["spec", "template", "metadata", "labels"]);
            if parsed.is_empty() {
                out.push(FieldError::invalid(
                    "spec.selector",
                    sel,
                    "empty selector is invalid for deployment",
                ));
            } else if !parsed.matches(&labels) {
                let shown = json::at(obj, &["spec", "template", "metadata", "labels"])
                    .cloned()
                    .unwrap_or(Value::Null);
                out.push(FieldError::invalid(
                    "spec.template.metadata.labels",
                    &shown,
                    "`selector` does not match template `labels`",
                ));
            }
        }
    }
    out.extend(pod_spec(obj, &["spec", "template", "spec"]));
    out
}

fn pod_spec(obj: &Value, path: &[&str]) -> Vec<FieldError> {
    let base = path.join(".");
    let mut out = Vec::new();
    let containers = json::at(obj, path)
        .and_then(|s| s.get("containers"))
        .and_then(Value::as_array);
    let Some(containers) = containers.filter(|c| !c.is_empty()) else {
        out.push(FieldError::required(format!("{base}.containers")));
        return out;
    };
    let mut seen = Vec::new();
    for (i, c) in containers.iter().enumerate() {
        let field = format!("{base}.containers[{i}]");
        let name = json::str_at(c, &["name"]);
        if name.is_empty() {
            out.push(FieldError::required(format!("{field}.name")));
        } else {
            for m in dns::dns1123_label(name) {
                out.push(FieldError::invalid(
                    format!("{field}.name"),
                    &Value::from(name),
                    &m,
                ));
            }
            if seen.contains(&name) {
                out.push(FieldError::duplicate(
                    format!("{field}.name"),
                    &Value::from(name),
                ));
            }
            seen.push(name);
        }
        if json::str_at(c, &["image"]).trim().is_empty() {
            out.push(FieldError::required(format!("{field}.image")));
        }
    }
    out
}
