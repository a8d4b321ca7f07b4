//! The HPA controller: desired replicas from the synthetic load, within min/max; scales the
//! target only when the scenario allows it.

use super::super::json::{self, i64_at, str_at};
use super::super::resources;
use super::Ctx;
use serde_json::{Value, json};

/// Syncs every HorizontalPodAutoscaler.
pub fn sync_all(ctx: &mut Ctx<'_>) {
    for h in ctx.list("autoscaling", "horizontalpodautoscalers") {
        let mut h = (*h).clone();
        let target_kind = str_at(&h, &["spec", "scaleTargetRef", "kind"]);
        let plural = match target_kind {
            "Deployment" => "deployments",
            "StatefulSet" => "statefulsets",
            "ReplicaSet" => "replicasets",
            _ => continue,
        };
        let rt = resources::get("apps", plural);
        let Some(mut target) = ctx.store.get(
            rt,
            json::namespace(&h),
            str_at(&h, &["spec", "scaleTargetRef", "name"]),
        ) else {
            continue;
        };
        let current = i64_at(
            &target,
            &["status", "replicas"],
            i64_at(&target, &["spec", "replicas"], 0),
        );
        let min = i64_at(&h, &["spec", "minReplicas"], 1);
        let max = i64_at(&h, &["spec", "maxReplicas"], min);
        let utilization = (ctx.cfg.load_factor * 100.0).round() as i64;
        let cpu_target = json::at(&h, &["spec", "metrics"])
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .find(|m| str_at(m, &["resource", "name"]) == "cpu")
            .and_then(|m| json::at(m, &["resource", "target", "averageUtilization"]))
            .and_then(Value::as_i64);
        let desired = match cpu_target {
            Some(t) if t > 0 && current > 0 => (current * utilization + t - 1) / t,
            _ => current,
        }
        .clamp(min, max.max(min));
        let mut status = json!({"currentReplicas": current, "desiredReplicas": desired});
        if cpu_target.is_some() {
            status["currentMetrics"] = json!([{"type": "Resource", "resource": {"name": "cpu", "current": {"averageUtilization": utilization}}}]);
        }
        if let Some(prev) = h.get("status").and_then(|s| s.get("lastScaleTime")) {
            status["lastScaleTime"] = prev.clone();
        }
        if ctx.cfg.hpa_scales && desired != i64_at(&target, &["spec", "replicas"], 0) {
            json::set(&mut target, &["spec", "replicas"], json!(desired));
            ctx.update(rt, target);
            status["lastScaleTime"] = json!(ctx.store.clock().stamp());
        }
        if h.get("status") != Some(&status) {
            h["status"] = status;
            ctx.update(resources::get("autoscaling", "horizontalpodautoscalers"), h);
        }
    }
}
