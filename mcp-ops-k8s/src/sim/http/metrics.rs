//! `metrics.k8s.io/v1beta1`: synthetic node and pod metrics derived from container requests.

use super::super::json::{self, str_at};
use super::super::resources;
use super::super::status::ApiError;
use super::{App, ResourceRequest, json_response};
use axum::http::Method;
use axum::response::Response;
use serde_json::{Value, json};

use super::super::quantity::{cpu_millis, mem_bytes};

fn usage(c: &Value, load: f64) -> (f64, f64) {
    let cpu = json::at(c, &["resources", "requests", "cpu"])
        .and_then(Value::as_str)
        .map_or(100.0, cpu_millis);
    let mem = json::at(c, &["resources", "requests", "memory"])
        .and_then(Value::as_str)
        .map_or(128.0 * 1048576.0, mem_bytes);
    (cpu * load, mem * load)
}

fn quantities(cpu_m: f64, mem_b: f64) -> Value {
    json!({"cpu": format!("{}m", cpu_m.round() as i64), "memory": format!("{}Ki", (mem_b / 1024.0).round() as i64)})
}

fn running(p: &Value) -> bool {
    str_at(p, &["status", "phase"]) == "Running"
}

fn pod_metrics(app: &App, p: &Value) -> Value {
    let containers: Vec<Value> = json::at(p, &["spec", "containers"])
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|c| {
            let (cpu, mem) = usage(c, app.load_factor);
            json!({"name": str_at(c, &["name"]), "usage": quantities(cpu, mem)})
        })
        .collect();
    json!({
        "kind": "PodMetrics", "apiVersion": "metrics.k8s.io/v1beta1",
        "metadata": {"name": json::name(p), "namespace": json::namespace(p), "creationTimestamp": app.store.clock().stamp(), "labels": p["metadata"]["labels"]},
        "timestamp": app.store.clock().stamp(), "window": "30s", "containers": containers,
    })
}

fn node_metrics(app: &App, n: &Value, pods: &[std::sync::Arc<Value>]) -> Value {
    let (mut cpu, mut mem) = (150.0, 900.0 * 1048576.0);
    for p in pods
        .iter()
        .filter(|p| str_at(p, &["spec", "nodeName"]) == json::name(n) && running(p))
    {
        for c in json::at(p, &["spec", "containers"])
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let (c2, m2) = usage(c, app.load_factor);
            cpu += c2;
            mem += m2;
        }
    }
    json!({
        "kind": "NodeMetrics", "apiVersion": "metrics.k8s.io/v1beta1",
        "metadata": {"name": json::name(n), "creationTimestamp": app.store.clock().stamp(), "labels": n["metadata"]["labels"]},
        "timestamp": app.store.clock().stamp(), "window": "20s", "usage": quantities(cpu, mem),
    })
}

/// Serves get/list of node and pod metrics.
pub fn handle(app: &App, req: &ResourceRequest) -> Result<Response, ApiError> {
    if req.method != Method::GET {
        return Err(ApiError::method_not_allowed());
    }
    let pods_rt = resources::get("", "pods");
    let (pods, rv) = app.store.list(
        pods_rt,
        if req.rt.plural == "pods" {
            req.ns.as_deref()
        } else {
            None
        },
    );
    let items: Vec<Value> = if req.rt.plural == "pods" {
        pods.iter()
            .filter(|p| running(p))
            .map(|p| pod_metrics(app, p))
            .collect()
    } else {
        let (nodes, _) = app.store.list(resources::get("", "nodes"), None);
        nodes.iter().map(|n| node_metrics(app, n, &pods)).collect()
    };
    let sel = super::super::selectors::LabelSelector::parse(
        req.query.get("labelSelector").unwrap_or(""),
    )?;
    let mut items: Vec<Value> = items
        .into_iter()
        .filter(|m| sel.matches(&json::labels(m)))
        .collect();
    if let Some(name) = &req.name {
        let found = items.drain(..).find(|m| json::name(m) == name);
        return found
            .map(|m| json_response(200, &m, "application/json"))
            .ok_or_else(|| ApiError::not_found(req.rt, name));
    }
    let list = json!({"kind": format!("{}List", req.rt.kind), "apiVersion": "metrics.k8s.io/v1beta1", "metadata": {"resourceVersion": rv.to_string()}, "items": items});
    Ok(json_response(200, &list, "application/json"))
}
