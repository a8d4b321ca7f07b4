//! Defaulting and normalisation the API server applies on every write.

use super::json::{self, obj_mut};
use super::resources::ResourceType;
use serde_json::{Value, json};

/// Sets `key` to `value` in `map` if it is absent.
fn default(map: &mut serde_json::Map<String, Value>, key: &str, value: Value) {
    map.entry(key.to_string()).or_insert(value);
}

/// Applies the defaults of the object's kind. `seq` makes allocated values (cluster IPs) unique.
pub fn apply(rt: &ResourceType, obj: &mut Value, seq: u64) {
    match (rt.group, rt.plural) {
        ("apps", "deployments") => deployment(obj),
        ("apps", "replicasets") => {
            default(obj_mut(obj, &["spec"]), "replicas", json!(1));
            pod_template(obj, &["spec", "template"]);
        }
        ("apps", "statefulsets") => {
            let spec = obj_mut(obj, &["spec"]);
            default(spec, "replicas", json!(1));
            default(spec, "podManagementPolicy", json!("OrderedReady"));
            default(spec, "revisionHistoryLimit", json!(10));
            pod_template(obj, &["spec", "template"]);
        }
        ("batch", "jobs") => job(obj),
        ("batch", "cronjobs") => {
            let spec = obj_mut(obj, &["spec"]);
            default(spec, "concurrencyPolicy", json!("Allow"));
            default(spec, "suspend", json!(false));
            default(spec, "successfulJobsHistoryLimit", json!(3));
            default(spec, "failedJobsHistoryLimit", json!(1));
            pod_template(obj, &["spec", "jobTemplate", "spec", "template"]);
        }
        ("", "pods") => {
            pod_spec(obj_mut(obj, &["spec"]));
            default(obj_mut(obj, &["status"]), "phase", json!("Pending"));
        }
        ("", "services") => service(obj, seq),
        ("", "secrets") => secret(obj),
        ("", "namespaces") => {
            default(obj_mut(obj, &["status"]), "phase", json!("Active"));
        }
        ("autoscaling", "horizontalpodautoscalers") => {
            default(obj_mut(obj, &["spec"]), "minReplicas", json!(1));
        }
        _ => {}
    }
}

fn deployment(obj: &mut Value) {
    let spec = obj_mut(obj, &["spec"]);
    default(spec, "replicas", json!(1));
    default(spec, "revisionHistoryLimit", json!(10));
    default(spec, "progressDeadlineSeconds", json!(600));
    let strategy = spec.entry("strategy").or_insert_with(|| json!({}));
    let s = obj_mut(strategy, &[]);
    default(s, "type", json!("RollingUpdate"));
    if s.get("type").and_then(Value::as_str) == Some("RollingUpdate") {
        let ru = obj_mut(strategy, &["rollingUpdate"]);
        default(ru, "maxSurge", json!("25%"));
        default(ru, "maxUnavailable", json!("25%"));
    }
    pod_template(obj, &["spec", "template"]);
}

fn job(obj: &mut Value) {
    let uid = json::uid(obj).to_string();
    let name = json::name(obj).to_string();
    let spec = obj_mut(obj, &["spec"]);
    default(spec, "parallelism", json!(1));
    default(spec, "completions", json!(1));
    default(spec, "backoffLimit", json!(6));
    default(spec, "completionMode", json!("NonIndexed"));
    default(spec, "suspend", json!(false));
    let manual = spec.get("manualSelector").and_then(Value::as_bool) == Some(true);
    if !manual && !spec.contains_key("selector") && !uid.is_empty() {
        spec.insert(
            "selector".into(),
            json!({"matchLabels": {"batch.kubernetes.io/controller-uid": uid}}),
        );
        let labels = obj_mut(obj, &["spec", "template", "metadata", "labels"]);
        labels.insert("batch.kubernetes.io/controller-uid".into(), json!(uid));
        labels.insert("controller-uid".into(), json!(uid));
        labels.insert("batch.kubernetes.io/job-name".into(), json!(name));
        labels.insert("job-name".into(), json!(name));
    }
    let tspec = obj_mut(obj, &["spec", "template", "spec"]);
    default(tspec, "restartPolicy", json!("Never"));
    pod_template(obj, &["spec", "template"]);
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

/// Defaults of a pod template at `path` (metadata normalised, spec defaulted).
pub fn pod_template(obj: &mut Value, path: &[&str]) {
    let Some(tpl) = json::at(obj, path) else {
        return;
    };
    if !tpl.is_object() {
        return;
    }
    let mut meta_path = path.to_vec();
    meta_path.push("metadata");
    let meta = obj_mut(obj, &meta_path);
    if meta.get("creationTimestamp").is_some_and(Value::is_null) {
        meta.remove("creationTimestamp");
    }
    let mut spec_path = path.to_vec();
    spec_path.push("spec");
    pod_spec(obj_mut(obj, &spec_path));
}

fn pod_spec(spec: &mut serde_json::Map<String, Value>) {
    default(spec, "restartPolicy", json!("Always"));
    default(spec, "terminationGracePeriodSeconds", json!(30));
    default(spec, "dnsPolicy", json!("ClusterFirst"));
    default(spec, "securityContext", json!({}));
    default(spec, "schedulerName", json!("default-scheduler"));
    for key in ["containers", "initContainers"] {
        if let Some(cs) = spec.get_mut(key).and_then(Value::as_array_mut) {
            for c in cs.iter_mut() {
                container(c);
            }
        }
    }
}

fn container(c: &mut Value) {
    let image = json::str_at(c, &["image"]).to_string();
    let m = obj_mut(c, &[]);
    let tag = image.rsplit_once('/').map_or(image.as_str(), |(_, t)| t);
    let pull = if !tag.contains(':') || tag.ends_with(":latest") {
        "Always"
    } else {
        "IfNotPresent"
    };
    default(m, "imagePullPolicy", json!(pull));
    default(m, "terminationMessagePath", json!("/dev/termination-log"));
    default(m, "terminationMessagePolicy", json!("File"));
    default(m, "resources", json!({}));
    if let Some(ports) = m.get_mut("ports").and_then(Value::as_array_mut) {
        for p in ports.iter_mut() {
            default(obj_mut(p, &[]), "protocol", json!("TCP"));
        }
    }
}

/// The object without `metadata` and `status`: what bumps `generation` when it changes.
pub fn spec_part(obj: &Value) -> Value {
    let mut v = obj.clone();
    if let Some(m) = v.as_object_mut() {
        m.remove("metadata");
        m.remove("status");
        m.remove("kind");
        m.remove("apiVersion");
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
