//! Mutating admission kube-apiserver applies to new pods: the ServiceAccount (its name and
//! the projected `kube-api-access-*` token volume mounted in every container), the default
//! not-ready/unreachable tolerations, priority, and the QoS class in the status.

use super::json::{self, obj_mut};
use super::names;
use serde_json::{Value, json};

/// Admits a pod being created (`seq` makes the token volume's name unique).
pub fn pod(obj: &mut Value, seq: u64) {
    service_account(obj, seq);
    tolerations(obj);
    let spec = obj_mut(obj, &["spec"]);
    if !spec.contains_key("priorityClassName") {
        spec.entry("priority").or_insert(json!(0));
    }
    spec.entry("preemptionPolicy")
        .or_insert(json!("PreemptLowerPriority"));
    let qos = qos_class(obj);
    obj_mut(obj, &["status"]).insert("qosClass".into(), json!(qos));
}

fn service_account(obj: &mut Value, seq: u64) {
    let spec = obj_mut(obj, &["spec"]);
    let sa = spec
        .get("serviceAccountName")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .unwrap_or("default")
        .to_string();
    spec.insert("serviceAccountName".into(), json!(sa));
    spec.insert("serviceAccount".into(), json!(sa));
    if spec.get("automountServiceAccountToken") == Some(&json!(false)) {
        return;
    }
    let has_mount = |c: &Value| {
        json::at(c, &["volumeMounts"])
            .and_then(Value::as_array)
            .is_some_and(|ms| {
                ms.iter().any(|m| {
                    json::str_at(m, &["mountPath"])
                        == "/var/run/secrets/kubernetes.io/serviceaccount"
                })
            })
    };
    let volume = format!("kube-api-access-{}", names::suffix(seq));
    let mount = json!({"name": volume, "readOnly": true, "mountPath": "/var/run/secrets/kubernetes.io/serviceaccount"});
    for key in ["initContainers", "containers"] {
        if let Some(cs) = spec.get_mut(key).and_then(Value::as_array_mut) {
            for c in cs.iter_mut().filter(|c| !has_mount(c)) {
                let mounts = obj_mut(c, &[])
                    .entry("volumeMounts")
                    .or_insert_with(|| json!([]));
                if let Some(m) = mounts.as_array_mut() {
                    m.push(mount.clone());
                }
            }
        }
    }
    let volumes = spec.entry("volumes").or_insert_with(|| json!([]));
    if let Some(v) = volumes.as_array_mut() {
        v.push(json!({"name": volume, "projected": {"defaultMode": 420, "sources": [
            {"serviceAccountToken": {"expirationSeconds": 3607, "path": "token"}},
            {"configMap": {"name": "kube-root-ca.crt", "items": [{"key": "ca.crt", "path": "ca.crt"}]}},
            {"downwardAPI": {"items": [{"path": "namespace", "fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.namespace"}}]}}
        ]}}));
    }
}

/// The DefaultTolerationSeconds plugin: tolerate a not-ready or unreachable node for 300 s.
fn tolerations(obj: &mut Value) {
    let spec = obj_mut(obj, &["spec"]);
    let list = spec.entry("tolerations").or_insert_with(|| json!([]));
    let Some(list) = list.as_array_mut() else {
        return;
    };
    for key in [
        "node.kubernetes.io/not-ready",
        "node.kubernetes.io/unreachable",
    ] {
        let tolerated = list.iter().any(|t| {
            let k = json::str_at(t, &["key"]);
            let effect = json::str_at(t, &["effect"]);
            (k == key || (k.is_empty() && json::str_at(t, &["operator"]) == "Exists"))
                && (effect.is_empty() || effect == "NoExecute")
        });
        if !tolerated {
            list.push(json!({"key": key, "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300}));
        }
    }
}

/// `Guaranteed` when every container limits CPU and memory and requests the same, `BestEffort`
/// when none requests or limits either, else `Burstable`.
pub fn qos_class(pod: &Value) -> &'static str {
    let containers: Vec<&Value> = ["containers", "initContainers"]
        .iter()
        .filter_map(|k| json::at(pod, &["spec", k]).and_then(Value::as_array))
        .flatten()
        .collect();
    let get =
        |c: &Value, kind: &str, res: &str| json::str_at(c, &["resources", kind, res]).to_string();
    let any = containers.iter().any(|c| {
        ["requests", "limits"]
            .iter()
            .any(|k| ["cpu", "memory"].iter().any(|r| !get(c, k, r).is_empty()))
    });
    if !any {
        return "BestEffort";
    }
    let guaranteed = containers.iter().all(|c| {
        ["cpu", "memory"].iter().all(|r| {
            let limit = get(c, "limits", r);
            !limit.is_empty() && get(c, "requests", r) == limit
        })
    });
    if guaranteed {
        "Guaranteed"
    } else {
        "Burstable"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn qos_classes() {
        let pod = |res: Value| json!({"spec": {"containers": [{"name": "c", "resources": res}]}});
        assert_eq!(qos_class(&pod(json!({}))), "BestEffort");
        assert_eq!(
            qos_class(&pod(
                json!({"requests": {"cpu": "250m", "memory": "256Mi"}, "limits": {"cpu": "1", "memory": "1Gi"}})
            )),
            "Burstable"
        );
        assert_eq!(
            qos_class(&pod(
                json!({"requests": {"cpu": "1", "memory": "1Gi"}, "limits": {"cpu": "1", "memory": "1Gi"}})
            )),
            "Guaranteed"
        );
    }

    #[test]
    fn the_token_volume_is_mounted_unless_automount_is_off() {
        let mut p = json!({"spec": {"containers": [{"name": "c", "image": "x"}]}});
        pod(&mut p, 7);
        assert_eq!(p["spec"]["serviceAccountName"], "default");
        let v = p["spec"]["volumes"][0]["name"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        assert!(v.starts_with("kube-api-access-"));
        assert_eq!(
            p["spec"]["containers"][0]["volumeMounts"][0]["name"],
            v.as_str()
        );
        assert_eq!(p["spec"]["tolerations"].as_array().map(Vec::len), Some(2));
        let mut off =
            json!({"spec": {"automountServiceAccountToken": false, "containers": [{"name": "c"}]}});
        pod(&mut off, 8);
        assert!(off["spec"].get("volumes").is_none());
    }
}
