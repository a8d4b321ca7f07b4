//! Conversion between a resource's served version and its storage version: `autoscaling/v1`
//! HorizontalPodAutoscalers are stored as `autoscaling/v2` (CPU utilisation target ↔ a `cpu`
//! `Resource` metric; v2 conditions ↔ the `autoscaling.alpha.kubernetes.io/conditions`
//! annotation), as kube-apiserver converts them.

use crate::sim::json;
use crate::sim::resources::ResourceType;
use serde_json::{Value, json};

const CONDITIONS: &str = "autoscaling.alpha.kubernetes.io/conditions";

fn is_hpa_v1(rt: &ResourceType) -> bool {
    rt.group == "autoscaling" && rt.version == "v1" && rt.plural == "horizontalpodautoscalers"
}

/// The stored (v2) object as the served version shows it.
pub fn to_served(served: &ResourceType, obj: Value) -> Value {
    if !is_hpa_v1(served) {
        return obj;
    }
    let mut v1 = json!({"apiVersion": "autoscaling/v1", "kind": "HorizontalPodAutoscaler",
        "metadata": obj.get("metadata").cloned().unwrap_or(json!({}))});
    let spec = obj.get("spec").cloned().unwrap_or(json!({}));
    let cpu_target = json::at(&spec, &["metrics"])
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .find(|m| json::str_at(m, &["resource", "name"]) == "cpu")
        .and_then(|m| json::at(m, &["resource", "target", "averageUtilization"]).cloned());
    let mut s =
        json!({"scaleTargetRef": spec["scaleTargetRef"], "maxReplicas": spec["maxReplicas"]});
    if let Some(min) = spec.get("minReplicas") {
        s["minReplicas"] = min.clone();
    }
    if let Some(t) = cpu_target {
        s["targetCPUUtilizationPercentage"] = t;
    }
    v1["spec"] = s;
    let status = obj.get("status").cloned().unwrap_or(json!({}));
    let mut st = json!({
        "currentReplicas": json::i64_at(&status, &["currentReplicas"], 0),
        "desiredReplicas": json::i64_at(&status, &["desiredReplicas"], 0),
    });
    for k in ["observedGeneration", "lastScaleTime"] {
        if let Some(x) = status.get(k) {
            st[k] = x.clone();
        }
    }
    let current_cpu = json::at(&status, &["currentMetrics"])
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .find(|m| json::str_at(m, &["resource", "name"]) == "cpu")
        .and_then(|m| json::at(m, &["resource", "current", "averageUtilization"]).cloned());
    if let Some(c) = current_cpu {
        st["currentCPUUtilizationPercentage"] = c;
    }
    v1["status"] = st;
    if let Some(cs) = status
        .get("conditions")
        .filter(|c| c.as_array().is_some_and(|a| !a.is_empty()))
    {
        json::set(
            &mut v1,
            &["metadata", "annotations", CONDITIONS],
            json!(cs.to_string()),
        );
    }
    v1
}

/// A served-version object (a request body) as the storage version holds it.
pub fn to_storage(served: &ResourceType, obj: Value) -> Value {
    if !is_hpa_v1(served) {
        return obj;
    }
    let mut v2 = obj.clone();
    v2["apiVersion"] = json!("autoscaling/v2");
    if let Some(spec) = v2.get_mut("spec").and_then(Value::as_object_mut) {
        let target = spec.remove("targetCPUUtilizationPercentage");
        let metrics = target.map_or_else(Vec::new, |t| {
            vec![json!({"type": "Resource", "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": t}}})]
        });
        spec.insert("metrics".into(), Value::Array(metrics));
    }
    json::remove(&mut v2, &["metadata", "annotations", CONDITIONS]);
    if let Some(status) = v2.get_mut("status").and_then(Value::as_object_mut)
        && let Some(c) = status.remove("currentCPUUtilizationPercentage")
    {
        status.insert(
            "currentMetrics".into(),
            json!([{"type": "Resource", "resource": {"name": "cpu", "current": {"averageUtilization": c}}}]),
        );
    }
    v2
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::resources::find;

    #[test]
    fn v1_and_v2_round_trip_the_cpu_target() {
        let Some(v1) = find("autoscaling", "v1", "horizontalpodautoscalers") else {
            panic!("autoscaling/v1 HPAs are served");
        };
        let body = json!({"apiVersion": "autoscaling/v1", "kind": "HorizontalPodAutoscaler", "metadata": {"name": "a"},
            "spec": {"scaleTargetRef": {"kind": "Deployment", "name": "a"}, "minReplicas": 2, "maxReplicas": 5, "targetCPUUtilizationPercentage": 80}});
        let stored = to_storage(v1, body);
        assert_eq!(
            stored["spec"]["metrics"][0]["resource"]["target"]["averageUtilization"],
            80
        );
        let back = to_served(v1, stored);
        assert_eq!(back["spec"]["targetCPUUtilizationPercentage"], 80);
        assert_eq!(back["apiVersion"], "autoscaling/v1");
    }
}
