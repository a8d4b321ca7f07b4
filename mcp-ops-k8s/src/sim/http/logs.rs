//! The pod `log` subresource: synthetic, deterministic log lines.

use super::super::json::{self, str_at};
use super::super::status::ApiError;
use super::{App, ResourceRequest};
use axum::body::Body;
use axum::http::{HeaderValue, header};
use axum::response::Response;
use serde_json::Value;

/// Lines a simulated container has written.
const LINES: usize = 200;

/// Serves `GET pods/NAME/log`.
pub fn serve(app: &App, req: &ResourceRequest, ns: &str, name: &str) -> Result<Response, ApiError> {
    let pod = app
        .store
        .get(req.rt, ns, name)
        .ok_or_else(|| ApiError::not_found(req.rt, name))?;
    let containers: Vec<&str> = json::at(&pod, &["spec", "containers"])
        .and_then(Value::as_array)
        .map(|a| a.iter().map(|c| str_at(c, &["name"])).collect())
        .unwrap_or_default();
    let container = match req.query.get("container") {
        Some(c) if !c.is_empty() => c.to_string(),
        _ if containers.len() == 1 => containers[0].to_string(),
        _ => {
            return Err(ApiError::bad_request(format!(
                "a container name must be specified for pod {name}, choose one of: [{}]",
                containers.join(" ")
            )));
        }
    };
    if !containers.contains(&container.as_str()) {
        return Err(ApiError::bad_request(format!(
            "container {container} is not valid for pod {name}"
        )));
    }
    let statuses = json::at(&pod, &["status", "containerStatuses"]).and_then(Value::as_array);
    let state = statuses
        .into_iter()
        .flatten()
        .find(|c| str_at(c, &["name"]) == container)
        .cloned()
        .unwrap_or(Value::Null);
    let waiting = str_at(&state, &["state", "waiting", "reason"]);
    if state.is_null() || (!waiting.is_empty() && waiting != "CrashLoopBackOff") {
        let why = if waiting.is_empty() {
            "ContainerCreating"
        } else {
            waiting
        };
        return Err(ApiError::bad_request(format!(
            "container \"{container}\" in pod \"{name}\" is waiting to start: {why}"
        )));
    }
    let start = str_at(&pod, &["status", "startTime"]);
    let mut lines: Vec<String> = (0..LINES)
        .map(|i| {
            let level = if i % 37 == 36 { "WARN" } else { "INFO" };
            let status = if i % 37 == 36 { 503 } else { 200 };
            format!(
                "{start} {level} [{container}] request handled method=GET path=/api/v1/items/{i} status={status} duration_ms={} pod={name}",
                5 + (i * 7) % 40
            )
        })
        .collect();
    if let Some(n) = req.query.num("tailLines") {
        let n = usize::try_from(n).unwrap_or(usize::MAX);
        if lines.len() > n {
            lines.drain(..lines.len() - n);
        }
    }
    let mut text = lines.join("\n");
    text.push('\n');
    let mut r = Response::new(Body::from(text));
    r.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain"));
    Ok(r)
}
