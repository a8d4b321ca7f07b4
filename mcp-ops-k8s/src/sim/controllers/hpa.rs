//! The HPA controller: desired replicas from the synthetic load, within min/max; keeps the
//! target within the bounds, and follows the load only when the scenario allows it.

use super::super::json::{self, i64_at, str_at};
use super::super::resources;
use super::Ctx;
use serde_json::{Value, json};

/// The CPU a pod of the target uses on average, as the metrics API reports it (requests ×
/// load factor, rounded to millicores).
fn average_cpu(target: &Value, load: f64) -> String {
    let requested: f64 = json::at(target, &["spec", "template", "spec", "containers"])
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|c| crate::sim::quantity::cpu_millis(str_at(c, &["resources", "requests", "cpu"])))
        .sum();
    #[allow(clippy::cast_possible_truncation)]
    let millis = (requested * load).round() as i64;
    format!("{millis}m")
}

/// The controller's conditions when metrics are available: able to scale, scaling active, and
/// whether the bounds limit the count the metric asks for (`raw`), with transition times kept
/// while a status holds.
fn conditions(
    prev: Option<&Value>,
    raw: i64,
    rescaled: bool,
    min: i64,
    max: i64,
    now: &str,
) -> Value {
    let limited = if raw > max {
        (
            "True",
            "TooManyReplicas",
            "the desired replica count is more than the maximum replica count",
        )
    } else if raw < min {
        (
            "True",
            "TooFewReplicas",
            "the desired replica count is less than the minimum replica count",
        )
    } else {
        (
            "False",
            "DesiredWithinRange",
            "the desired count is within the acceptable range",
        )
    };
    let able = if rescaled {
        (
            "True",
            "SucceededRescale",
            "the HPA controller was able to update the target scale",
        )
    } else {
        (
            "True",
            "ReadyForNewScale",
            "recommended size matches current size",
        )
    };
    let list = [
        ("AbleToScale", able),
        (
            "ScalingActive",
            (
                "True",
                "ValidMetricFound",
                "the HPA was able to successfully calculate a replica count from cpu resource utilization (percentage of request)",
            ),
        ),
        ("ScalingLimited", limited),
    ];
    let old = |t: &str| {
        prev.and_then(|s| s.get("conditions"))
            .and_then(Value::as_array)
            .and_then(|cs| cs.iter().find(|c| str_at(c, &["type"]) == t).cloned())
    };
    Value::Array(
        list.iter()
            .map(|(t, (status, reason, message))| {
                let since = old(t)
                    .filter(|c| str_at(c, &["status"]) == *status)
                    .map_or(now.to_string(), |c| str_at(&c, &["lastTransitionTime"]).to_string());
                json!({"type": t, "status": status, "lastTransitionTime": since, "reason": reason, "message": message})
            })
            .collect(),
    )
}

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
        // Within the controller's 10 % tolerance the current count stands.
        #[allow(clippy::cast_precision_loss)]
        let raw = match cpu_target {
            Some(t)
                if t > 0 && current > 0 && ((utilization as f64 / t as f64) - 1.0).abs() > 0.1 =>
            {
                (current * utilization + t - 1) / t
            }
            _ => current,
        };
        let desired = raw.clamp(min, max.max(min));
        let mut status = json!({"currentReplicas": current, "desiredReplicas": desired});
        if cpu_target.is_some() {
            let per_pod = average_cpu(&target, ctx.cfg.load_factor);
            status["currentMetrics"] = json!([{"type": "Resource", "resource": {"name": "cpu",
                "current": {"averageUtilization": utilization, "averageValue": per_pod}}}]);
        }
        let now = ctx.store.clock().stamp();
        // A target at 0 replicas is left alone (scaling disabled). Without `hpa_scales` the
        // metric does not move the target, but the bounds still do, as they always do.
        let have = i64_at(&target, &["spec", "replicas"], 0);
        let want = if ctx.cfg.hpa_scales {
            desired
        } else {
            have.clamp(min, max.max(min))
        };
        let rescale = have > 0 && want != have;
        status["conditions"] = conditions(h.get("status"), raw, rescale, min, max, &now);
        if let Some(prev) = h.get("status").and_then(|s| s.get("lastScaleTime")) {
            status["lastScaleTime"] = prev.clone();
        }
        if rescale {
            json::set(&mut target, &["spec", "replicas"], json!(want));
            ctx.update(rt, target);
            status["lastScaleTime"] = json!(ctx.store.clock().stamp());
            status["desiredReplicas"] = json!(want);
            let why = if have < min {
                "Current number of replicas below Spec.MinReplicas"
            } else if have > max {
                "Current number of replicas above Spec.MaxReplicas"
            } else if want > have {
                "cpu resource utilization (percentage of request) above target"
            } else {
                "All metrics below target"
            };
            let msg = format!("New size: {want}; reason: {why}");
            ctx.event(
                &h,
                false,
                "SuccessfulRescale",
                &msg,
                "horizontal-pod-autoscaler",
            );
        }
        if h.get("status") != Some(&status) {
            h["status"] = status;
            ctx.update(resources::get("autoscaling", "horizontalpodautoscalers"), h);
        }
    }
}
