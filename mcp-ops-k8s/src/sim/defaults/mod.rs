//! Defaulting and normalisation the API server applies on every write.

mod pod;
mod workloads;

use super::json::{self, obj_mut};
use super::resources::ResourceType;
use serde_json::{Value, json};

/// Sets `key` to `value` in `map` if it is absent.
pub(super) fn default(map: &mut serde_json::Map<String, Value>, key: &str, value: Value) {
    map.entry(key.to_string()).or_insert(value);
}

/// Applies the defaults of the object's kind. `seq` makes allocated values (cluster IPs) unique.
pub fn apply(rt: &ResourceType, obj: &mut Value, seq: u64) {
    match (rt.group, rt.plural) {
        ("apps", "deployments") => workloads::deployment(obj),
        ("apps", "replicasets") => workloads::replicaset(obj),
        ("apps", "statefulsets") => workloads::statefulset(obj),
        ("batch", "jobs") => workloads::job(obj),
        ("batch", "cronjobs") => workloads::cronjob(obj),
        ("", "pods") => pod::pod(obj),
        ("", "services") => service(obj, seq),
        ("", "secrets") => secret(obj),
        ("", "namespaces") => namespace(obj),
        ("autoscaling", "horizontalpodautoscalers") => {
            let spec = obj_mut(obj, &["spec"]);
            default(spec, "minReplicas", json!(1));
            if spec
                .get("metrics")
                .and_then(Value::as_array)
                .is_none_or(Vec::is_empty)
            {
                // No metric: 80 % CPU utilisation, as autoscaling/v2 defaults it.
                spec.insert(
                    "metrics".into(),
                    json!([{"type": "Resource", "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 80}}}]),
                );
            }
        }
        _ => {}
    }
}

/// A namespace: the `kubernetes` finalizer (the namespace controller removes it once the
/// namespace is empty), phase Active and the `kubernetes.io/metadata.name` label.
fn namespace(obj: &mut Value) {
    let name = json::name(obj).to_string();
    default(obj_mut(obj, &["spec"]), "finalizers", json!(["kubernetes"]));
    default(obj_mut(obj, &["status"]), "phase", json!("Active"));
    obj_mut(obj, &["metadata", "labels"]).insert("kubernetes.io/metadata.name".into(), json!(name));
}

fn service(obj: &mut Value, seq: u64) {
    let spec = obj_mut(obj, &["spec"]);
    default(spec, "type", json!("ClusterIP"));
    default(spec, "sessionAffinity", json!("None"));
    default(spec, "internalTrafficPolicy", json!("Cluster"));
    default(spec, "ipFamilies", json!(["IPv4"]));
    default(spec, "ipFamilyPolicy", json!("SingleStack"));
    if !spec.contains_key("clusterIP") {
        let ip = format!("10.96.{}.{}", (seq / 250) % 250, seq % 250 + 2);
        spec.insert("clusterIP".into(), json!(ip));
        spec.insert("clusterIPs".into(), json!([ip]));
    }
    if let Some(ports) = spec.get_mut("ports").and_then(Value::as_array_mut) {
        for p in ports.iter_mut() {
            let port = p.get("port").cloned().unwrap_or(Value::Null);
            let m = obj_mut(p, &[]);
            default(m, "protocol", json!("TCP"));
            default(m, "targetPort", port);
        }
    }
    default(obj_mut(obj, &["status"]), "loadBalancer", json!({}));
}

fn secret(obj: &mut Value) {
    use base64::Engine as _;
    let m = obj_mut(obj, &[]);
    default(m, "type", json!("Opaque"));
    if let Some(Value::Object(sd)) = m.remove("stringData") {
        let data = obj_mut(obj, &["data"]);
        for (k, v) in sd {
            let s = v.as_str().unwrap_or_default();
            let enc = base64::engine::general_purpose::STANDARD.encode(s);
            data.insert(k, json!(enc));
        }
    }
}

/// The object without `metadata` and `status`: what bumps `generation` when it changes.
/// A pod's binding to a node (`spec.nodeName`, written through `pods/binding`) does not count.
pub fn spec_part(obj: &Value) -> Value {
    let mut v = obj.clone();
    if let Some(m) = v.as_object_mut() {
        m.remove("metadata");
        m.remove("status");
        m.remove("kind");
        m.remove("apiVersion");
        if let Some(spec) = m.get_mut("spec").and_then(Value::as_object_mut) {
            spec.remove("nodeName");
        }
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::resources::get;

    #[test]
    fn deployment_defaults_and_template_normalisation() {
        let mut d = json!({"spec": {"template": {"metadata": {"creationTimestamp": null},
            "spec": {"containers": [{"name": "c", "image": "nginx:1", "ports": [{"containerPort": 80}]}]}}}});
        apply(get("apps", "deployments"), &mut d, 1);
        assert_eq!(d["spec"]["replicas"], 1);
        assert_eq!(d["spec"]["strategy"]["rollingUpdate"]["maxSurge"], "25%");
        assert!(
            d["spec"]["template"]["metadata"]
                .get("creationTimestamp")
                .is_none()
        );
        let c = &d["spec"]["template"]["spec"]["containers"][0];
        assert_eq!(c["imagePullPolicy"], "IfNotPresent");
        assert_eq!(c["ports"][0]["protocol"], "TCP");
    }

    #[test]
    fn job_selector_uses_uid() {
        let mut j = json!({"metadata": {"name": "j", "uid": "u"}, "spec": {"template": {"spec": {"containers": []}}}});
        apply(get("batch", "jobs"), &mut j, 1);
        assert_eq!(
            j["spec"]["selector"]["matchLabels"]["batch.kubernetes.io/controller-uid"],
            "u"
        );
        assert_eq!(j["spec"]["template"]["metadata"]["labels"]["job-name"], "j");
    }
}
