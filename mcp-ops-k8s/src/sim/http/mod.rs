//! The HTTP layer: routing of Kubernetes API paths onto the store.

mod body;
mod convert;
pub mod discovery;
mod handlers;
mod json_cache;

pub use json_cache::JsonCache;
mod logs;
mod metrics;
pub mod protobuf;
pub mod query;
mod reviews;
pub mod table;
mod watch;

use super::faults::Faults;
use super::resources::{self, ResourceType};
use super::status::ApiError;
use super::store::Store;
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::Response;
use query::{Query, Wants};
use serde_json::Value;
use std::sync::Arc;
use std::time::Duration;

/// Shared state of the HTTP layer.
#[derive(Debug)]
pub struct App {
    /// The object store.
    pub store: Arc<Store>,
    /// Kubernetes `v1.MINOR.PATCH` reported by `/version`, as `(minor, patch)`.
    pub version: (u32, u32),
    /// Bearer token required on API paths, if any.
    pub token: Option<String>,
    /// Fault injection rules and request counters.
    pub faults: Arc<Faults>,
    /// Interval between watch bookmarks.
    pub bookmark_interval: Duration,
    /// Multiplier applied to requests to produce synthetic metrics.
    pub load_factor: f64,
    /// Becomes `true` when the cluster is dropped; open watches end then.
    pub closing: tokio::sync::watch::Receiver<bool>,
    /// Serialised objects, reused by list responses.
    pub json_cache: json_cache::JsonCache,
}

/// A request aimed at a resource.
#[derive(Debug)]
pub struct ResourceRequest {
    /// HTTP method.
    pub method: Method,
    /// Resource type, in the version objects are stored in.
    pub rt: &'static ResourceType,
    /// Resource type as requested (another version of `rt` when conversion applies).
    pub served: &'static ResourceType,
    /// Namespace from the path.
    pub ns: Option<String>,
    /// Object name from the path.
    pub name: Option<String>,
    /// Subresource from the path.
    pub sub: Option<String>,
    /// Query parameters.
    pub query: Query,
    /// Negotiated response form.
    pub wants: Wants,
    /// Content-Type of the body.
    pub content_type: String,
    /// Request body.
    pub body: Bytes,
}

impl ResourceRequest {
    /// Whether objects are converted between the requested and the storage version.
    pub fn converts(&self) -> bool {
        !std::ptr::eq(self.rt, self.served)
    }

    /// A stored object as the requested version shows it.
    pub fn out(&self, obj: Value) -> Value {
        if self.converts() {
            convert::to_served(self.served, obj)
        } else {
            obj
        }
    }

    /// A request body in the storage version.
    pub fn inp(&self, obj: Value) -> Value {
        if self.converts() {
            convert::to_storage(self.served, obj)
        } else {
            obj
        }
    }
}

/// Builds the router.
pub fn router(app: Arc<App>) -> axum::Router {
    axum::Router::new().fallback(handle).with_state(app)
}

/// A JSON response.
pub fn json_response(code: u16, body: &Value, content_type: &str) -> Response {
    let bytes = serde_json::to_vec(body).unwrap_or_default();
    let mut r = Response::new(Body::from(bytes));
    *r.status_mut() = StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    if let Ok(v) = HeaderValue::from_str(content_type) {
        r.headers_mut().insert(header::CONTENT_TYPE, v);
    }
    r
}

/// A `Status` error response, with a `Retry-After` header carrying the same seconds as its
/// `details.retryAfterSeconds` when it has one.
pub fn error_response(e: &ApiError) -> Response {
    let mut r = json_response(e.code, &e.to_status(), "application/json");
    if let Some(seconds) = e.retry_after_seconds() {
        r.headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
    }
    r
}

fn ok(v: &Value) -> Result<Response, ApiError> {
    Ok(json_response(200, v, "application/json"))
}

async fn handle(State(app): State<Arc<App>>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let path = parts.uri.path().to_string();
    let verb = parts.method.as_str().to_string();
    if let Some(fault) = app.faults.check(&verb, &path).await {
        return error_response(&fault);
    }
    let header = |h: header::HeaderName| {
        parts
            .headers
            .get(h)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string()
    };
    if let Some(token) = &app.token {
        let open = matches!(
            path.as_str(),
            "/version" | "/healthz" | "/readyz" | "/livez"
        );
        if !open && header(header::AUTHORIZATION) != format!("Bearer {token}") {
            return error_response(&ApiError::unauthorized());
        }
    }
    let body = match axum::body::to_bytes(body, 256 * 1024 * 1024).await {
        Ok(b) => b,
        Err(e) => return error_response(&ApiError::bad_request(format!("reading body: {e}"))),
    };
    let accept = header(header::ACCEPT);
    let wants = query::negotiate(&accept);
    let query = Query::parse(parts.uri.query());
    let segs: Vec<&str> = path
        .trim_matches('/')
        .split('/')
        .filter(|s| !s.is_empty())
        .collect();
    let result = match (parts.method.clone(), segs.as_slice()) {
        (Method::GET, ["version"]) => ok(&discovery::version(app.version.0, app.version.1)),
        (Method::GET, ["healthz" | "readyz" | "livez"]) => {
            let mut r = Response::new(Body::from("ok"));
            r.headers_mut()
                .insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain"));
            Ok(r)
        }
        (Method::GET, ["api"]) => Ok(discovery_root(true, wants, &header(header::HOST))),
        (Method::GET, ["apis"]) => Ok(discovery_root(false, wants, "")),
        (Method::GET, ["api", "v1"]) => discovery::resource_list("", "v1")
            .ok_or_else(ApiError::no_route)
            .and_then(|v| ok(&v)),
        (Method::GET, ["apis", g]) => discovery::api_group(g)
            .ok_or_else(ApiError::no_route)
            .and_then(|v| ok(&v)),
        (Method::GET, ["apis", g, v]) => discovery::resource_list(g, v)
            .ok_or_else(ApiError::no_route)
            .and_then(|v| ok(&v)),
        (m, ["api", "v1", rest @ ..]) => {
            route(
                &app,
                m,
                "",
                "v1",
                rest,
                query,
                wants,
                header(header::CONTENT_TYPE),
                body,
            )
            .await
        }
        (m, ["apis", g, v, rest @ ..]) => {
            route(
                &app,
                m,
                g,
                v,
                rest,
                query,
                wants,
                header(header::CONTENT_TYPE),
                body,
            )
            .await
        }
        _ => Err(ApiError::no_route()),
    };
    result.unwrap_or_else(|e| error_response(&e))
}

fn discovery_root(core: bool, wants: Wants, host: &str) -> Response {
    match wants {
        Wants::DiscoveryV2 => json_response(
            200,
            &discovery::aggregated(core, "v2"),
            &discovery::aggregated_content_type("v2"),
        ),
        Wants::DiscoveryV2Beta1 => json_response(
            200,
            &discovery::aggregated(core, "v2beta1"),
            &discovery::aggregated_content_type("v2beta1"),
        ),
        _ if core => json_response(200, &discovery::api_versions(host), "application/json"),
        _ => json_response(200, &discovery::api_group_list(), "application/json"),
    }
}

#[allow(clippy::too_many_arguments)]
async fn route(
    app: &Arc<App>,
    method: Method,
    group: &str,
    version: &str,
    rest: &[&str],
    query: Query,
    wants: Wants,
    content_type: String,
    body: Bytes,
) -> Result<Response, ApiError> {
    let (ns, rest) = match rest {
        ["namespaces", ns, tail @ ..]
            if !tail.is_empty() && !matches!(tail, ["status" | "finalize"]) =>
        {
            (Some((*ns).to_string()), tail)
        }
        _ => (None, rest),
    };
    let (plural, name, sub) = match rest {
        [p] => (*p, None, None),
        [p, n] => (*p, Some((*n).to_string()), None),
        [p, n, s] => (*p, Some((*n).to_string()), Some((*s).to_string())),
        _ => return Err(ApiError::no_route()),
    };
    let rt = resources::find(group, version, plural).ok_or_else(ApiError::no_route)?;
    if ns.is_some() && !rt.namespaced {
        return Err(ApiError::no_route());
    }
    if let Some(s) = &sub
        && !rt.has_sub(s)
    {
        return Err(ApiError::no_route());
    }
    let req = ResourceRequest {
        method,
        rt: resources::storage(rt),
        served: rt,
        ns,
        name,
        sub,
        query,
        wants,
        content_type,
        body,
    };
    if rt.group == "metrics.k8s.io" {
        return metrics::handle(app, &req);
    }
    if reviews::is_review(rt.group) {
        let body = if req.method == Method::POST {
            body::object(&req.content_type, &req.body)?
        } else {
            Value::Null
        };
        return reviews::handle(app, &req, body);
    }
    let deprecated = deprecation(rt);
    let mut response = handlers::handle(app, req).await;
    if let Some(warning) = deprecated {
        // kube-apiserver warns on every request to a deprecated API, errors included.
        let add = |r: &mut Response| {
            if let Ok(v) = HeaderValue::from_str(&format!("299 - \"{warning}\"")) {
                r.headers_mut().insert(header::WARNING, v);
            }
        };
        match &mut response {
            Ok(r) => add(r),
            Err(e) => {
                let mut r = error_response(e);
                add(&mut r);
                return Ok(r);
            }
        }
    }
    response
}

/// The deprecation warning kube-apiserver 1.36 sends for a resource, if any.
fn deprecation(rt: &ResourceType) -> Option<&'static str> {
    (rt.group.is_empty() && rt.plural == "endpoints")
        .then_some("v1 Endpoints is deprecated in v1.33+; use discovery.k8s.io/v1 EndpointSlice")
}
