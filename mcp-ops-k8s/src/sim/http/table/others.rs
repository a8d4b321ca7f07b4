//! Table columns of services, nodes, events, HPAs, ingresses, secrets, config maps, namespaces and network policies.

use super::{CellFn, col, none_if_empty, selector};
use crate::sim::clock::age;
use crate::sim::json::{self, at, i64_at, str_at};
use crate::sim::resources::ResourceType;
use jiff::Timestamp;
use serde_json::{Value, json};

/// Columns and a row renderer for the resources of this module, or `None`.
pub(super) fn columns(rt: &ResourceType, now: Timestamp) -> Option<(Vec<Value>, CellFn)> {
    let created = move |o: &Value| age(str_at(o, &["metadata", "creationTimestamp"]), now);
    let name = |o: &Value| json!(json::name(o));
    Some(match (rt.group, rt.plural) {
        ("", "services") => (
            vec![
                col("Name", "string", 0),
                col("Type", "string", 0),
                col("Cluster-IP", "string", 0),
                col("External-IP", "string", 0),
                col("Port(s)", "string", 0),
                col("Age", "string", 0),
                col("Selector", "string", 1),
            ],
            Box::new(move |o| {
                let ports: Vec<String> = at(o, &["spec", "ports"])
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .map(|p| format!("{}/{}", i64_at(p, &["port"], 0), str_at(p, &["protocol"])))
                    .collect();
                vec![
                    name(o),
                    json!(str_at(o, &["spec", "type"])),
                    json!(none_if_empty(str_at(o, &["spec", "clusterIP"]))),
                    json!("<none>"),
                    json!(none_if_empty(&ports.join(","))),
                    json!(created(o)),
                    json!(selector(o, &["spec", "selector"])),
                ]
            }),
        ),
        ("", "nodes") => (
            vec![
                col("Name", "string", 0),
                col("Status", "string", 0),
                col("Roles", "string", 0),
                col("Age", "string", 0),
                col("Version", "string", 0),
                col("Internal-IP", "string", 1),
                col("External-IP", "string", 1),
                col("OS-Image", "string", 1),
                col("Kernel-Version", "string", 1),
                col("Container-Runtime", "string", 1),
            ],
            Box::new(move |o| {
                let ready = at(o, &["status", "conditions"])
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .any(|c| str_at(c, &["type"]) == "Ready" && str_at(c, &["status"]) == "True");
                let mut status = if ready {
                    "Ready".to_string()
                } else {
                    "NotReady".to_string()
                };
                if json::bool_at(o, &["spec", "unschedulable"]) {
                    status.push_str(",SchedulingDisabled");
                }
                let roles: Vec<String> = json::labels(o)
                    .keys()
                    .filter_map(|k| k.strip_prefix("node-role.kubernetes.io/").map(String::from))
                    .collect();
                let ip = at(o, &["status", "addresses"])
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .find(|a| str_at(a, &["type"]) == "InternalIP")
                    .map(|a| str_at(a, &["address"]).to_string())
                    .unwrap_or_default();
                let info = |k: &str| json!(str_at(o, &["status", "nodeInfo", k]));
                vec![
                    name(o),
                    json!(status),
                    json!(none_if_empty(&roles.join(","))),
                    json!(created(o)),
                    info("kubeletVersion"),
                    json!(none_if_empty(&ip)),
                    json!("<none>"),
                    info("osImage"),
                    info("kernelVersion"),
                    info("containerRuntimeVersion"),
                ]
            }),
        ),
        ("", "events") => (
            vec![
                col("Last Seen", "string", 0),
                col("Type", "string", 0),
                col("Reason", "string", 0),
                col("Object", "string", 0),
                col("Subobject", "string", 1),
                col("Source", "string", 1),
                col("Message", "string", 0),
                col("First Seen", "string", 1),
                col("Count", "string", 1),
                col("Name", "string", 1),
            ],
            Box::new(move |o| {
                let last = str_at(o, &["lastTimestamp"]);
                let first = str_at(o, &["firstTimestamp"]);
                let obj = format!(
                    "{}/{}",
                    str_at(o, &["involvedObject", "kind"]).to_lowercase(),
                    str_at(o, &["involvedObject", "name"])
                );
                vec![
                    json!(age(last, now)),
                    json!(str_at(o, &["type"])),
                    json!(str_at(o, &["reason"])),
                    json!(obj),
                    json!(str_at(o, &["involvedObject", "fieldPath"])),
                    json!(str_at(o, &["source", "component"])),
                    json!(str_at(o, &["message"])),
                    json!(age(first, now)),
                    json!(i64_at(o, &["count"], 1).to_string()),
                    name(o),
                ]
            }),
        ),
        ("autoscaling", "horizontalpodautoscalers") => (
            vec![
                col("Name", "string", 0),
                col("Reference", "string", 0),
                col("Targets", "string", 0),
                col("MinPods", "string", 0),
                col("MaxPods", "integer", 0),
                col("Replicas", "integer", 0),
                col("Age", "string", 0),
            ],
            Box::new(move |o| {
                let reference = format!(
                    "{}/{}",
                    str_at(o, &["spec", "scaleTargetRef", "kind"]),
                    str_at(o, &["spec", "scaleTargetRef", "name"])
                );
                vec![
                    name(o),
                    json!(reference),
                    json!(hpa_targets(o)),
                    json!(i64_at(o, &["spec", "minReplicas"], 1).to_string()),
                    json!(i64_at(o, &["spec", "maxReplicas"], 0)),
                    json!(i64_at(o, &["status", "currentReplicas"], 0)),
                    json!(created(o)),
                ]
            }),
        ),
        ("networking.k8s.io", "ingresses") => (
            vec![
                col("Name", "string", 0),
                col("Class", "string", 0),
                col("Hosts", "string", 0),
                col("Address", "string", 0),
                col("Ports", "string", 0),
                col("Age", "string", 0),
            ],
            Box::new(move |o| {
                let hosts: Vec<&str> = at(o, &["spec", "rules"])
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .map(|r| str_at(r, &["host"]))
                    .filter(|h| !h.is_empty())
                    .collect();
                let addr: Vec<&str> = at(o, &["status", "loadBalancer", "ingress"])
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .map(|i| {
                        if str_at(i, &["ip"]).is_empty() {
                            str_at(i, &["hostname"])
                        } else {
                            str_at(i, &["ip"])
                        }
                    })
                    .collect();
                let tls = at(o, &["spec", "tls"])
                    .and_then(Value::as_array)
                    .is_some_and(|t| !t.is_empty());
                vec![
                    name(o),
                    json!(none_if_empty(str_at(o, &["spec", "ingressClassName"]))),
                    json!(if hosts.is_empty() {
                        "*".to_string()
                    } else {
                        hosts.join(",")
                    }),
                    json!(addr.join(",")),
                    json!(if tls { "80, 443" } else { "80" }),
                    json!(created(o)),
                ]
            }),
        ),
        ("", "secrets") => (
            vec![
                col("Name", "string", 0),
                col("Type", "string", 0),
                col("Data", "string", 0),
                col("Age", "string", 0),
            ],
            Box::new(move |o| {
                let n = o
                    .get("data")
                    .and_then(Value::as_object)
                    .map_or(0, serde_json::Map::len);
                vec![
                    name(o),
                    json!(str_at(o, &["type"])),
                    json!(n.to_string()),
                    json!(created(o)),
                ]
            }),
        ),
        ("", "configmaps") => (
            vec![
                col("Name", "string", 0),
                col("Data", "string", 0),
                col("Age", "string", 0),
            ],
            Box::new(move |o| {
                let n = o
                    .get("data")
                    .and_then(Value::as_object)
                    .map_or(0, serde_json::Map::len);
                vec![name(o), json!(n.to_string()), json!(created(o))]
            }),
        ),
        ("", "namespaces") => (
            vec![
                col("Name", "string", 0),
                col("Status", "string", 0),
                col("Age", "string", 0),
            ],
            Box::new(move |o| {
                vec![
                    name(o),
                    json!(str_at(o, &["status", "phase"])),
                    json!(created(o)),
                ]
            }),
        ),
        ("networking.k8s.io", "networkpolicies") => (
            vec![
                col("Name", "string", 0),
                col("Pod-Selector", "string", 0),
                col("Age", "string", 0),
            ],
            Box::new(move |o| {
                let s = selector(o, &["spec", "podSelector", "matchLabels"]);
                vec![
                    name(o),
                    json!(if s == "<none>" {
                        "<none>".to_string()
                    } else {
                        s
                    }),
                    json!(created(o)),
                ]
            }),
        ),
        _ => return None,
    })
}

fn hpa_targets(o: &Value) -> String {
    let metrics = at(o, &["spec", "metrics"])
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let current = at(o, &["status", "currentMetrics"])
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let parts: Vec<String> = metrics
        .iter()
        .filter(|m| str_at(m, &["type"]) == "Resource")
        .map(|m| {
            let res = str_at(m, &["resource", "name"]);
            let target =
                at(m, &["resource", "target", "averageUtilization"]).and_then(Value::as_i64);
            let cur = current
                .iter()
                .find(|c| str_at(c, &["resource", "name"]) == res)
                .and_then(|c| at(c, &["resource", "current", "averageUtilization"]))
                .and_then(Value::as_i64);
            let cur = cur.map_or("<unknown>".to_string(), |c| format!("{c}%"));
            let target = target.map_or("<unset>".to_string(), |t| format!("{t}%"));
            format!("{res}: {cur}/{target}")
        })
        .collect();
    if parts.is_empty() {
        "<none>".into()
    } else {
        parts.join(", ")
    }
}
