//! Server-side validation: what kube-apiserver answers `422 Invalid` for, with its messages —
//! object names by kind (RFC 1123 subdomain or label, Service and CronJob rules),
//! `generateName`, label and annotation keys and values, and the workload fields the runbook's
//! objects rely on (selectors matching the template, containers with a name and an image,
//! non-negative replicas). Every failed rule is one `cause`, as there.

mod dns;
mod meta;
mod spec;

pub use dns::{dns1123_label, dns1123_subdomain, label_value, qualified_name, service_name};

use super::resources::ResourceType;
use super::status::ApiError;
use serde_json::Value;

/// One invalid field, as `k8s.io/apimachinery/pkg/util/validation/field.Error`.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldError {
    /// Path of the field, e.g. `spec.template.spec.containers[0].image`.
    pub field: String,
    /// `FieldValueInvalid`, `FieldValueRequired`, `FieldValueDuplicate`.
    pub reason: &'static str,
    /// The cause's message, e.g. `Invalid value: "x": must be ...` or `Required value`.
    pub message: String,
}

impl FieldError {
    /// An invalid value with why.
    pub fn invalid(field: impl Into<String>, value: &Value, detail: &str) -> Self {
        Self {
            field: field.into(),
            reason: "FieldValueInvalid",
            message: format!("Invalid value: {}: {detail}", show(value)),
        }
    }

    /// A missing value.
    pub fn required(field: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            reason: "FieldValueRequired",
            message: "Required value".into(),
        }
    }

    /// A missing value with why.
    pub fn required_because(field: impl Into<String>, detail: &str) -> Self {
        Self {
            field: field.into(),
            reason: "FieldValueRequired",
            message: format!("Required value: {detail}"),
        }
    }

    /// A value given twice.
    pub fn duplicate(field: impl Into<String>, value: &Value) -> Self {
        Self {
            field: field.into(),
            reason: "FieldValueDuplicate",
            message: format!("Duplicate value: {}", show(value)),
        }
    }
}

/// A value as Go's field errors print it: strings quoted, numbers bare, maps as JSON.
fn show(v: &Value) -> String {
    match v {
        Value::String(s) => serde_json::to_string(s).unwrap_or_default(),
        other => other.to_string(),
    }
}

/// Validates an object being created or updated; the `422` names every failed rule.
pub fn validate(rt: &ResourceType, obj: &Value) -> Result<(), ApiError> {
    let mut errors = meta::object_meta(rt, obj);
    errors.extend(spec::by_kind(rt, obj));
    if errors.is_empty() {
        Ok(())
    } else {
        Err(ApiError::invalid_fields(
            &rt.qualified_kind(),
            rt.group,
            super::json::name(obj),
            &errors,
        ))
    }
}

/// Validates `spec.replicas` of an `autoscaling/v1` `Scale` written through `/scale`.
pub fn validate_scale(name: &str, replicas: i64) -> Result<(), ApiError> {
    if replicas < 0 {
        return Err(ApiError::invalid_fields(
            "Scale.autoscaling",
            "autoscaling",
            name,
            &[FieldError::invalid(
                "spec.replicas",
                &Value::from(replicas),
                "must be greater than or equal to 0",
            )],
        ));
    }
    Ok(())
}
