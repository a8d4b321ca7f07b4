//! Table columns of workloads: pods, deployments, replicasets, statefulsets, jobs, cronjobs.

use super::{CellFn, col, containers, none_if_empty, pod_status, selector};
use crate::sim::clock::{age, human_duration, parse_ts};
use crate::sim::json::{self, at, i64_at, str_at};
use crate::sim::resources::ResourceType;
use jiff::Timestamp;
use serde_json::{Value, json};

/// Columns and a row renderer for the resources of this module, or `None`.
pub(super) fn columns(rt: &ResourceType, now: Timestamp) -> Option<(Vec<Value>, CellFn)> {
    let created = move |o: &Value| age(str_at(o, &["metadata", "creationTimestamp"]), now);
    let name = |o: &Value| json!(json::name(o));
    Some(match (rt.group, rt.plural) {
        ("", "pods") => (
            vec![
                col("Name", "string", 0),
                col("Ready", "string", 0),
                col("Status", "string", 0),
                col("Restarts", "string", 0),
                col("Age", "string", 0),
                col("IP", "string", 1),
                col("Node", "string", 1),
                col("Nominated Node", "string", 1),
                col("Readiness Gates", "string", 1),
            ],
            Box::new(move |o| {
                let cs = at(o, &["status", "containerStatuses"])
                    .and_then(Value::as_array)
                    .cloned()
                    .unwrap_or_default();
                let total = at(o, &["spec", "containers"])
                    .and_then(Value::as_array)
                    .map_or(0, Vec::len);
                let ready = cs
                    .iter()
                    .filter(|c| c.get("ready") == Some(&json!(true)))
                    .count();
                let restarts: i64 = cs.iter().map(|c| i64_at(c, &["restartCount"], 0)).sum();
                vec![
                    name(o),
                    json!(format!("{ready}/{total}")),
                    json!(pod_status(o)),
                    json!(restarts.to_string()),
                    json!(created(o)),
                    json!(none_if_empty(str_at(o, &["status", "podIP"]))),
                    json!(none_if_empty(str_at(o, &["spec", "nodeName"]))),
                    json!("<none>"),
                    json!("<none>"),
                ]
            }),
        ),
        ("apps", "deployments") => (
            vec![
                col("Name", "string", 0),
                col("Ready", "string", 0),
                col("Up-to-date", "string", 0),
                col("Available", "string", 0),
                col("Age", "string", 0),
                col("Containers", "string", 1),
                col("Images", "string", 1),
                col("Selector", "string", 1),
            ],
            Box::new(move |o| {
                let (c, i) =
                    containers(at(o, &["spec", "template", "spec"]).unwrap_or(&Value::Null));
                vec![
                    name(o),
                    json!(format!(
                        "{}/{}",
                        i64_at(o, &["status", "readyReplicas"], 0),
                        i64_at(o, &["spec", "replicas"], 0)
                    )),
                    json!(i64_at(o, &["status", "updatedReplicas"], 0)),
                    json!(i64_at(o, &["status", "availableReplicas"], 0)),
                    json!(created(o)),
                    json!(c),
                    json!(i),
                    json!(selector(o, &["spec", "selector", "matchLabels"])),
                ]
            }),
        ),
        ("apps", "replicasets") => (
            vec![
                col("Name", "string", 0),
                col("Desired", "integer", 0),
                col("Current", "integer", 0),
                col("Ready", "integer", 0),
                col("Age", "string", 0),
                col("Containers", "string", 1),
                col("Images", "string", 1),
                col("Selector", "string", 1),
            ],
            Box::new(move |o| {
                let (c, i) =
                    containers(at(o, &["spec", "template", "spec"]).unwrap_or(&Value::Null));
                vec![
                    name(o),
                    json!(i64_at(o, &["spec", "replicas"], 0)),
                    json!(i64_at(o, &["status", "replicas"], 0)),
                    json!(i64_at(o, &["status", "readyReplicas"], 0)),
                    json!(created(o)),
                    json!(c),
                    json!(i),
                    json!(selector(o, &["spec", "selector", "matchLabels"])),
                ]
            }),
        ),
        ("apps", "statefulsets") => (
            vec![
                col("Name", "string", 0),
                col("Ready", "string", 0),
                col("Age", "string", 0),
                col("Containers", "string", 1),
                col("Images", "string", 1),
            ],
            Box::new(move |o| {
                let (c, i) =
                    containers(at(o, &["spec", "template", "spec"]).unwrap_or(&Value::Null));
                vec![
                    name(o),
                    json!(format!(
                        "{}/{}",
                        i64_at(o, &["status", "readyReplicas"], 0),
                        i64_at(o, &["spec", "replicas"], 0)
                    )),
                    json!(created(o)),
                    json!(c),
                    json!(i),
                ]
            }),
        ),
        ("batch", "jobs") => (
            vec![
                col("Name", "string", 0),
                col("Status", "string", 0),
                col("Completions", "string", 0),
                col("Duration", "string", 0),
                col("Age", "string", 0),
                col("Containers", "string", 1),
                col("Images", "string", 1),
                col("Selector", "string", 1),
            ],
            Box::new(move |o| {
                let (c, i) =
                    containers(at(o, &["spec", "template", "spec"]).unwrap_or(&Value::Null));
                let cond = |t: &str| {
                    at(o, &["status", "conditions"])
                        .and_then(Value::as_array)
                        .into_iter()
                        .flatten()
                        .any(|c| str_at(c, &["type"]) == t && str_at(c, &["status"]) == "True")
                };
                let status = if cond("Complete") {
                    "Complete"
                } else if cond("Failed") {
                    "Failed"
                } else if json::bool_at(o, &["spec", "suspend"]) {
                    "Suspended"
                } else {
                    "Running"
                };
                let start = parse_ts(str_at(o, &["status", "startTime"]));
                let end = parse_ts(str_at(o, &["status", "completionTime"])).unwrap_or(now);
                let duration = start.map_or(String::new(), |s| {
                    human_duration((end.as_second() - s.as_second()).max(0))
                });
                vec![
                    name(o),
                    json!(status),
                    json!(format!(
                        "{}/{}",
                        i64_at(o, &["status", "succeeded"], 0),
                        i64_at(o, &["spec", "completions"], 1)
                    )),
                    json!(duration),
                    json!(created(o)),
                    json!(c),
                    json!(i),
                    json!(selector(o, &["spec", "selector", "matchLabels"])),
                ]
            }),
        ),
        ("batch", "cronjobs") => (
            vec![
                col("Name", "string", 0),
                col("Schedule", "string", 0),
                col("Timezone", "string", 0),
                col("Suspend", "boolean", 0),
                col("Active", "integer", 0),
                col("Last Schedule", "string", 0),
                col("Age", "string", 0),
                col("Containers", "string", 1),
                col("Images", "string", 1),
                col("Selector", "string", 1),
            ],
            Box::new(move |o| {
                let (c, i) = containers(
                    at(o, &["spec", "jobTemplate", "spec", "template", "spec"])
                        .unwrap_or(&Value::Null),
                );
                let last = str_at(o, &["status", "lastScheduleTime"]);
                let active = at(o, &["status", "active"])
                    .and_then(Value::as_array)
                    .map_or(0, Vec::len);
                vec![
                    name(o),
                    json!(str_at(o, &["spec", "schedule"])),
                    json!(none_if_empty(str_at(o, &["spec", "timeZone"]))),
                    json!(if json::bool_at(o, &["spec", "suspend"]) {
                        "True"
                    } else {
                        "False"
                    }),
                    json!(active),
                    json!(if last.is_empty() {
                        "<none>".to_string()
                    } else {
                        age(last, now)
                    }),
                    json!(created(o)),
                    json!(c),
                    json!(i),
                    json!("<none>"),
                ]
            }),
        ),
        _ => return None,
    })
}
