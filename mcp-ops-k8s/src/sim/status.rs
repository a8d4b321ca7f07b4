//! API errors and the `Status` bodies a real API server answers with.

use super::resources::ResourceType;
use serde_json::{Value, json};

/// An error answered to a client as a `Status` object.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    /// HTTP status code.
    pub code: u16,
    /// `reason` field (`NotFound`, `Conflict`, ...).
    pub reason: &'static str,
    /// Human message.
    pub message: String,
    /// `details` field.
    pub details: Value,
    /// Whether an empty `details` is still sent.
    pub empty_details: bool,
}

impl ApiError {
    fn new(code: u16, reason: &'static str, message: String, details: Value) -> Self {
        Self {
            code,
            reason,
            message,
            details,
            empty_details: false,
        }
    }

    /// 404 for a named object.
    pub fn not_found(rt: &ResourceType, name: &str) -> Self {
        Self::new(
            404,
            "NotFound",
            format!("{} \"{name}\" not found", rt.qualified()),
            details(rt, name),
        )
    }

    /// 404 for an unknown path.
    pub fn no_route() -> Self {
        Self::new(
            404,
            "NotFound",
            "the server could not find the requested resource".into(),
            json!({}),
        )
        .with_empty_details()
    }

    /// 409 when creating an object that exists.
    pub fn already_exists(rt: &ResourceType, name: &str) -> Self {
        Self::new(
            409,
            "AlreadyExists",
            format!("{} \"{name}\" already exists", rt.qualified()),
            details(rt, name),
        )
    }

    /// 403 for content created in a namespace that is being deleted.
    pub fn namespace_terminating(rt: &ResourceType, name: &str, ns: &str) -> Self {
        let mut d = details(rt, name);
        d["causes"] = json!([{"reason": "NamespaceTerminating", "message": format!("namespace {ns} is being terminated"), "field": "metadata.namespace"}]);
        Self::new(
            403,
            "Forbidden",
            format!(
                "{} \"{name}\" is forbidden: unable to create new content in namespace {ns} because it is being terminated",
                rt.qualified()
            ),
            d,
        )
    }

    /// 409 on a stale resourceVersion.
    pub fn conflict(rt: &ResourceType, name: &str) -> Self {
        Self::new(
            409,
            "Conflict",
            format!(
                "Operation cannot be fulfilled on {} \"{name}\": the object has been modified; please apply your changes to the latest version and try again",
                rt.qualified()
            ),
            details(rt, name),
        )
    }

    /// 422 with one field cause.
    pub fn invalid(rt: &ResourceType, name: &str, field: &str, msg: &str) -> Self {
        let cause = crate::sim::validation::FieldError {
            field: field.to_string(),
            reason: "FieldValueInvalid",
            message: msg.to_string(),
        };
        Self::invalid_fields(&rt.qualified_kind(), rt.group, name, &[cause])
    }

    /// 422 naming every invalid field, as kube-apiserver words it: `Kind.group "name" is
    /// invalid: field: message`, or `[f1: m1, f2: m2]` for several; `details` carries the kind,
    /// the group, the name (when there is one) and one cause per field.
    pub fn invalid_fields(
        qualified_kind: &str,
        group: &str,
        name: &str,
        errors: &[crate::sim::validation::FieldError],
    ) -> Self {
        let kind = qualified_kind.split('.').next().unwrap_or(qualified_kind);
        let mut d = json!({"kind": kind});
        if !name.is_empty() {
            d["name"] = json!(name);
        }
        if !group.is_empty() {
            d["group"] = json!(group);
        }
        d["causes"] = errors
            .iter()
            .map(|e| json!({"reason": e.reason, "message": e.message, "field": e.field}))
            .collect();
        let listed: Vec<String> = errors
            .iter()
            .map(|e| format!("{}: {}", e.field, e.message))
            .collect();
        let what = match listed.as_slice() {
            [one] => one.clone(),
            many => format!("[{}]", many.join(", ")),
        };
        Self::new(
            422,
            "Invalid",
            format!("{qualified_kind} \"{name}\" is invalid: {what}"),
            d,
        )
    }

    /// 400.
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(400, "BadRequest", message.into(), json!({}))
    }

    /// 405.
    pub fn method_not_allowed() -> Self {
        Self::new(
            405,
            "MethodNotAllowed",
            "the server does not allow this method on the requested resource".into(),
            json!({}),
        )
    }

    /// 410 for a watch from a compacted resourceVersion.
    pub fn gone(requested: u64, oldest: u64) -> Self {
        Self::new(
            410,
            "Expired",
            format!("too old resource version: {requested} ({oldest})"),
            json!({}),
        )
    }

    /// 415 for a body type the simulator cannot read (CBOR, or protobuf for a patch).
    pub fn unsupported_media(ct: &str) -> Self {
        Self::new(
            415,
            "UnsupportedMediaType",
            format!(
                "the body of the request was in an unknown format - accepted media types include: application/json, application/yaml (got {ct})"
            ),
            json!({}),
        )
    }

    /// 415 for a protobuf body the simulator cannot decode, naming the kind in the envelope.
    pub fn unsupported_protobuf(e: &crate::sim::http::protobuf::BodyError) -> Self {
        let kind = if e.kind.is_empty() {
            "unknown"
        } else {
            e.kind.as_str()
        };
        let mut details = json!({});
        if !e.kind.is_empty() {
            details["kind"] = json!(e.kind);
        }
        Self::new(
            415,
            "UnsupportedMediaType",
            format!(
                "the simulator cannot decode this application/vnd.kubernetes.protobuf body of kind {kind} (apiVersion {:?}): {}; send it as application/json",
                e.api_version, e.source
            ),
            details,
        )
    }

    /// 401 without a valid bearer token.
    pub fn unauthorized() -> Self {
        Self::new(401, "Unauthorized", "Unauthorized".into(), json!({}))
    }

    /// An injected or internal failure with any code.
    pub fn with_code(code: u16, message: impl Into<String>) -> Self {
        let reason = match code {
            400 => "BadRequest",
            401 => "Unauthorized",
            403 => "Forbidden",
            404 => "NotFound",
            409 => "Conflict",
            410 => "Expired",
            422 => "Invalid",
            429 => "TooManyRequests",
            503 => "ServiceUnavailable",
            504 => "Timeout",
            _ => "InternalError",
        };
        Self::new(code, reason, message.into(), json!({}))
    }

    /// Asks the client to wait `seconds` before retrying: `details.retryAfterSeconds` in
    /// the `Status`, and the `Retry-After` header of the response (see
    /// [`retry_after_seconds`](Self::retry_after_seconds)).
    #[must_use]
    pub fn with_retry_after(mut self, seconds: u32) -> Self {
        if !self.details.is_object() {
            self.details = json!({});
        }
        self.details["retryAfterSeconds"] = json!(seconds);
        self
    }

    /// The `details.retryAfterSeconds` asked for, if any (a real API server sends the same
    /// number in a `Retry-After` header).
    pub fn retry_after_seconds(&self) -> Option<u64> {
        self.details
            .get("retryAfterSeconds")
            .and_then(Value::as_u64)
    }

    /// Keeps `details: {}` in the `Status` (kube-apiserver sends it on a 404 for an unknown
    /// path).
    fn with_empty_details(mut self) -> Self {
        self.empty_details = true;
        self
    }

    /// The `Status` object.
    pub fn to_status(&self) -> Value {
        let mut s = json!({
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": self.message,
            "reason": self.reason,
            "code": self.code,
        });
        if self.empty_details || self.details.as_object().is_some_and(|d| !d.is_empty()) {
            s["details"] = self.details.clone();
        }
        s
    }
}

fn details(rt: &ResourceType, name: &str) -> Value {
    let mut d = json!({"name": name, "kind": rt.plural});
    if !rt.group.is_empty() {
        d["group"] = json!(rt.group);
    }
    d
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::resources::get;

    #[test]
    fn not_found_matches_the_real_message() {
        let e = ApiError::not_found(get("apps", "deployments"), "web");
        assert_eq!(e.message, "deployments.apps \"web\" not found");
        let s = e.to_status();
        assert_eq!(s["code"], 404);
        assert_eq!(s["details"]["group"], "apps");
    }
}
