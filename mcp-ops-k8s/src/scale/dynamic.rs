//! The APIs the Scaler reaches without typed bindings: VerticalPodAutoscaler
//! (`autoscaling.k8s.io/v1`, a CRD) and metrics.k8s.io, and reading their quantities.

use kube::api::ApiResource;
use mcp_ops_core::types::{Quantity, ResourceList};
use serde_json::Value;

pub(super) fn vpa_resource() -> ApiResource {
    ApiResource {
        group: "autoscaling.k8s.io".into(),
        version: "v1".into(),
        api_version: "autoscaling.k8s.io/v1".into(),
        kind: "VerticalPodAutoscaler".into(),
        plural: "verticalpodautoscalers".into(),
    }
}

pub(super) fn metrics_resource(kind: &str, plural: &str) -> ApiResource {
    ApiResource {
        group: "metrics.k8s.io".into(),
        version: "v1beta1".into(),
        api_version: "metrics.k8s.io/v1beta1".into(),
        kind: kind.into(),
        plural: plural.into(),
    }
}

fn quantity_at(v: &Value, key: &str) -> Option<Quantity> {
    v.get(key)?.as_str().and_then(|s| Quantity::parse(s).ok())
}

pub(super) fn list_at(v: &Value) -> ResourceList {
    ResourceList {
        cpu: quantity_at(v, "cpu"),
        memory: quantity_at(v, "memory"),
    }
}
