//! Access and identity reviews (`kubectl auth can-i`, `kubectl auth whoami`): the simulator
//! has no RBAC, so whoever reaches it (anyone, or the bearer token's holder) may do anything —
//! the answers kube-apiserver gives a `system:masters` user.

use super::super::json::{self, str_at};
use super::super::status::ApiError;
use super::super::validation::FieldError;
use super::{App, ResourceRequest, json_response};
use axum::http::Method;
use axum::response::Response;
use serde_json::{Value, json};

/// The user the simulator says its clients are.
pub const USER: &str = "sim-admin";

/// Whether the resource is one of the reviews served here.
pub fn is_review(group: &str) -> bool {
    matches!(group, "authorization.k8s.io" | "authentication.k8s.io")
}

/// The rules of a `system:masters` user, as a SelfSubjectRulesReview answers them.
fn rules() -> Value {
    json!({
        "resourceRules": [
            {"verbs": ["create"], "apiGroups": ["authorization.k8s.io"], "resources": ["selfsubjectaccessreviews", "selfsubjectrulesreviews"]},
            {"verbs": ["create"], "apiGroups": ["authentication.k8s.io"], "resources": ["selfsubjectreviews"]},
            {"verbs": ["*"], "apiGroups": ["*"], "resources": ["*"]}
        ],
        "nonResourceRules": [
            {"verbs": ["get"], "nonResourceURLs": ["/api", "/api/*", "/apis", "/apis/*", "/healthz", "/livez", "/openapi", "/openapi/*", "/readyz", "/version", "/version/"]},
            {"verbs": ["get"], "nonResourceURLs": ["/healthz", "/livez", "/readyz", "/version", "/version/"]},
            {"verbs": ["*"], "nonResourceURLs": ["*"]}
        ],
        "incomplete": false
    })
}

/// Answers a review (POST on the collection); other methods get 405.
pub fn handle(app: &App, req: &ResourceRequest, body: Value) -> Result<Response, ApiError> {
    if req.method != Method::POST || req.name.is_some() {
        return Err(ApiError::method_not_allowed());
    }
    let rt = req.rt;
    let mut out = body;
    out["kind"] = json!(rt.kind);
    out["apiVersion"] = json!(rt.api_version());
    if !out.get("metadata").is_some_and(Value::is_object) {
        out["metadata"] = json!({});
    }
    let spec = out.get("spec").cloned().unwrap_or(json!({}));
    let status = match rt.kind {
        "SelfSubjectAccessReview" | "SubjectAccessReview" | "LocalSubjectAccessReview" => {
            let res = spec.get("resourceAttributes").is_some_and(Value::is_object);
            let non = spec
                .get("nonResourceAttributes")
                .is_some_and(Value::is_object);
            if res == non {
                let field = if res {
                    "spec.nonResourceAttributes"
                } else {
                    "spec.resourceAttributes"
                };
                let shown = if res {
                    &spec["nonResourceAttributes"]
                } else {
                    &Value::Null
                };
                return Err(ApiError::invalid_fields(
                    &rt.qualified_kind(),
                    rt.group,
                    "",
                    &[FieldError::invalid(
                        field,
                        &json!(shown.to_string()),
                        "exactly one of nonResourceAttributes or resourceAttributes must be specified",
                    )],
                ));
            }
            if rt.kind == "LocalSubjectAccessReview"
                && str_at(&spec, &["resourceAttributes", "namespace"])
                    != req.ns.as_deref().unwrap_or("")
            {
                return Err(ApiError::bad_request(
                    "spec.resourceAttributes.namespace must match namespace",
                ));
            }
            json!({"allowed": true})
        }
        "SelfSubjectRulesReview" => {
            out["spec"] = json!({});
            rules()
        }
        "SelfSubjectReview" => {
            json!({"userInfo": {"username": USER, "groups": ["system:masters", "system:authenticated"]}})
        }
        _ => {
            // TokenReview: the simulator's token (or, without one, any token) is its admin.
            let token = str_at(&spec, &["token"]);
            let ok = app.token.as_deref().is_none_or(|t| t == token);
            if ok {
                json!({"authenticated": true, "user": {"username": USER, "groups": ["system:masters", "system:authenticated"]}, "audiences": spec.get("audiences").cloned().unwrap_or(json!([]))})
            } else {
                json!({"user": {}, "error": "invalid bearer token"})
            }
        }
    };
    out["status"] = status;
    json::remove(&mut out, &["metadata", "resourceVersion"]);
    Ok(json_response(201, &out, "application/json"))
}
