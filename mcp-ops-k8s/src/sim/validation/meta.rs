//! `ObjectMeta` validation: the name rule of each kind, `generateName`, label and annotation
//! keys and values.

use super::FieldError;
use super::dns;
use crate::sim::json;
use crate::sim::resources::ResourceType;
use serde_json::Value;

/// The name rule of a kind: RFC 1123 labels for namespaces, the relaxed Service rule, else RFC
/// 1123 subdomains; CronJob names are at most 52 characters (their Jobs add 11).
fn name_rule(rt: &ResourceType, name: &str) -> Vec<String> {
    match (rt.group, rt.plural) {
        ("", "namespaces") => dns::dns1123_label(name),
        ("", "services") => dns::service_name(name),
        ("batch", "cronjobs") => {
            let mut m = dns::dns1123_subdomain(name);
            if name.len() > 52 {
                m.push("must be no more than 52 characters".to_string());
            }
            m
        }
        _ => dns::dns1123_subdomain(name),
    }
}

/// Errors of `metadata`.
pub(super) fn object_meta(rt: &ResourceType, obj: &Value) -> Vec<FieldError> {
    let mut out = Vec::new();
    let name = json::name(obj);
    let generate = json::str_at(obj, &["metadata", "generateName"]);
    if !generate.is_empty() {
        // The prefix must be a valid name once a suffix is added.
        let probe = format!("{generate}x");
        for m in name_rule(rt, &probe)
            .into_iter()
            .filter(|m| !m.starts_with("must be no more"))
        {
            out.push(FieldError::invalid(
                "metadata.generateName",
                &Value::from(generate),
                &m,
            ));
        }
    }
    if name.is_empty() {
        out.push(FieldError::required_because(
            "metadata.name",
            "name or generateName is required",
        ));
    } else {
        for m in name_rule(rt, name) {
            out.push(FieldError::invalid("metadata.name", &Value::from(name), &m));
        }
    }
    for (k, v) in json::string_map(obj, &["metadata", "labels"]) {
        for m in dns::qualified_name(&k) {
            out.push(FieldError::invalid(
                "metadata.labels",
                &Value::from(k.as_str()),
                &m,
            ));
        }
        for m in dns::label_value(&v) {
            out.push(FieldError::invalid(
                "metadata.labels",
                &Value::from(v.as_str()),
                &m,
            ));
        }
    }
    let annotations = json::at(obj, &["metadata", "annotations"]).and_then(Value::as_object);
    for k in annotations.into_iter().flat_map(|a| a.keys()) {
        for m in dns::qualified_name(&k.to_ascii_lowercase()) {
            out.push(FieldError::invalid(
                "metadata.annotations",
                &Value::from(k.as_str()),
                &m,
            ));
        }
    }
    out
}
