//! `as=Table` responses with the columns a real API server prints for each resource.

mod endpoints;
mod others;
mod workloads;

use crate::sim::clock::age;
use crate::sim::json::{self, at, str_at};
use crate::sim::resources::ResourceType;
use jiff::Timestamp;
use serde_json::{Value, json};

/// What each row carries besides its cells (`includeObject`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Include {
    /// No object.
    None,
    /// `PartialObjectMetadata` (the default).
    Metadata,
    /// The whole object.
    Object,
}

impl Include {
    /// Parses the `includeObject` parameter.
    pub fn parse(v: Option<&str>) -> Self {
        match v {
            Some("None") => Self::None,
            Some("Object") => Self::Object,
            _ => Self::Metadata,
        }
    }
}

pub(super) fn col(name: &str, ty: &str, priority: u8) -> Value {
    let format = if name == "Name" { "name" } else { "" };
    json!({"name": name, "type": ty, "format": format, "description": name, "priority": priority})
}

pub(super) fn none_if_empty(s: &str) -> String {
    if s.is_empty() {
        "<none>".into()
    } else {
        s.to_string()
    }
}

pub(super) fn containers(spec: &Value) -> (String, String) {
    let cs = spec
        .get("containers")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let names: Vec<&str> = cs.iter().map(|c| str_at(c, &["name"])).collect();
    let images: Vec<&str> = cs.iter().map(|c| str_at(c, &["image"])).collect();
    (names.join(","), images.join(","))
}

pub(super) fn selector(obj: &Value, path: &[&str]) -> String {
    let m = json::string_map(obj, path);
    let s: Vec<String> = m.iter().map(|(k, v)| format!("{k}={v}")).collect();
    none_if_empty(&s.join(","))
}

/// Pod status as `kubectl get pods` shows it.
pub fn pod_status(p: &Value) -> String {
    if json::deleting(p) {
        return "Terminating".into();
    }
    let statuses = at(p, &["status", "containerStatuses"]).and_then(Value::as_array);
    for c in statuses.into_iter().flatten() {
        let w = str_at(c, &["state", "waiting", "reason"]);
        if !w.is_empty() {
            return w.to_string();
        }
        let t = str_at(c, &["state", "terminated", "reason"]);
        if !t.is_empty() && str_at(p, &["status", "phase"]) != "Succeeded" {
            return t.to_string();
        }
    }
    match str_at(p, &["status", "phase"]) {
        "Succeeded" => "Completed".into(),
        "" => "Pending".into(),
        other => other.to_string(),
    }
}

/// Renders one row's cells.
pub(super) type CellFn = Box<dyn Fn(&Value) -> Vec<Value>>;

fn columns_and_cells(rt: &ResourceType, now: Timestamp) -> (Vec<Value>, CellFn) {
    if let Some(c) = workloads::columns(rt, now)
        .or_else(|| others::columns(rt, now))
        .or_else(|| endpoints::columns(rt, now))
    {
        return c;
    }
    let created = move |o: &Value| age(str_at(o, &["metadata", "creationTimestamp"]), now);
    let name = |o: &Value| json!(json::name(o));
    (
        vec![col("Name", "string", 0), col("Age", "string", 0)],
        Box::new(move |o| vec![name(o), json!(created(o))]),
    )
}

/// Builds a Table from objects.
pub fn table(
    rt: &ResourceType,
    items: &[std::sync::Arc<Value>],
    include: Include,
    rv: u64,
    cont: Option<String>,
    now: Timestamp,
) -> Value {
    let (columns, cells) = columns_and_cells(rt, now);
    let rows: Vec<Value> = items
        .iter()
        .map(|o| {
            let mut row = json!({"cells": cells(o)});
            match include {
                Include::None => {}
                Include::Object => row["object"] = (**o).clone(),
                Include::Metadata => {
                    row["object"] = json!({"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1", "metadata": o.get("metadata").cloned().unwrap_or_default()});
                }
            }
            row
        })
        .collect();
    let mut meta = json!({"resourceVersion": rv.to_string()});
    if let Some(c) = cont {
        meta["continue"] = json!(c);
    }
    json!({"kind": "Table", "apiVersion": "meta.k8s.io/v1", "metadata": meta, "columnDefinitions": columns, "rows": rows})
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::resources::get;

    #[test]
    fn deployment_rows_show_ready_counts() {
        let d = json!({"metadata": {"name": "web", "creationTimestamp": "2020-01-01T00:00:00Z"},
            "spec": {"replicas": 3, "template": {"spec": {"containers": [{"name": "c", "image": "i:1"}]}}},
            "status": {"readyReplicas": 2, "updatedReplicas": 3, "availableReplicas": 2}});
        let t = table(
            get("apps", "deployments"),
            &[d.into()],
            Include::Metadata,
            5,
            None,
            Timestamp::now(),
        );
        assert_eq!(t["columnDefinitions"][1]["name"], "Ready");
        assert_eq!(t["rows"][0]["cells"][1], "2/3");
        assert_eq!(t["rows"][0]["object"]["kind"], "PartialObjectMetadata");
    }

    #[test]
    fn pod_status_prefers_waiting_reason() {
        let p = json!({"status": {"phase": "Pending", "containerStatuses": [{"state": {"waiting": {"reason": "ImagePullBackOff"}}}]}});
        assert_eq!(pod_status(&p), "ImagePullBackOff");
    }
}
