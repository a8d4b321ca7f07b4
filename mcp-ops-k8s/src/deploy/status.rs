//! Rollout status decided in kubectl's order (`kubectl rollout status`, KUBECTL.md):
//! observedGeneration guard, then `ProgressDeadlineExceeded`, then updated / old / available
//! replicas. Unlike kube-rs's `is_deployment_completed`, a stale status is never taken for
//! completion and a deadline overrun is reported as `Failed`.

use k8s_openapi::api::apps::v1::Deployment;
use mcp_ops_core::RolloutStatus;
use mcp_ops_core::types::Revision;

use super::history::revision_of;

/// The Progressing condition reason the deployment controller sets on a deadline overrun.
pub const PROGRESS_DEADLINE_EXCEEDED: &str = "ProgressDeadlineExceeded";

fn count(v: Option<i32>) -> u32 {
    u32::try_from(v.unwrap_or(0)).unwrap_or(0)
}

/// Decides the status of a deployment as kubectl's `DeploymentStatusViewer` does.
pub fn decide(d: &Deployment) -> RolloutStatus {
    let generation = d.metadata.generation.unwrap_or(0);
    let status = d.status.clone().unwrap_or_default();
    if generation > status.observed_generation.unwrap_or(0) {
        return RolloutStatus::Pending;
    }
    let deadline = status.conditions.as_ref().and_then(|cs| {
        cs.iter().find(|c| {
            c.type_ == "Progressing" && c.reason.as_deref() == Some(PROGRESS_DEADLINE_EXCEEDED)
        })
    });
    if let Some(c) = deadline {
        let message = c.message.clone().unwrap_or_default();
        return RolloutStatus::Failed {
            reason: format!("{PROGRESS_DEADLINE_EXCEEDED}: {message}"),
        };
    }
    let desired = count(d.spec.as_ref().and_then(|s| s.replicas).or(Some(1)));
    let updated = count(status.updated_replicas);
    let replicas = count(status.replicas);
    let available = count(status.available_replicas);
    let ready = count(status.ready_replicas);
    if updated < desired || replicas > updated || available < updated {
        return RolloutStatus::Progressing {
            updated,
            ready,
            available,
            desired,
        };
    }
    RolloutStatus::Complete {
        revision: revision_of(&d.metadata).unwrap_or(Revision::FIRST),
    }
}

/// kubectl's message for a status (`N old replicas are pending termination` …).
pub fn kubectl_message(d: &Deployment) -> String {
    let status = d.status.clone().unwrap_or_default();
    let desired = count(d.spec.as_ref().and_then(|s| s.replicas).or(Some(1)));
    let updated = count(status.updated_replicas);
    let replicas = count(status.replicas);
    let available = count(status.available_replicas);
    let name = d.metadata.name.clone().unwrap_or_default();
    match decide(d) {
        RolloutStatus::Pending => "Waiting for deployment spec update to be observed...".into(),
        RolloutStatus::Failed { .. } => {
            format!("deployment {name:?} exceeded its progress deadline")
        }
        RolloutStatus::Progressing { .. } if updated < desired => format!(
            "Waiting for deployment {name:?} rollout to finish: {updated} out of {desired} new replicas have been updated..."
        ),
        RolloutStatus::Progressing { .. } if replicas > updated => format!(
            "Waiting for deployment {name:?} rollout to finish: {} old replicas are pending termination...",
            replicas - updated
        ),
        RolloutStatus::Progressing { .. } => format!(
            "Waiting for deployment {name:?} rollout to finish: {available} of {updated} updated replicas are available..."
        ),
        _ => format!("deployment {name:?} successfully rolled out"),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use serde_json::json;

    fn dep(v: serde_json::Value) -> Deployment {
        serde_json::from_value(v).unwrap()
    }

    fn base(generation: i64, observed: i64, st: serde_json::Value) -> Deployment {
        let mut status = st;
        status["observedGeneration"] = json!(observed);
        dep(json!({
            "metadata": {"name": "web", "generation": generation,
                "annotations": {"deployment.kubernetes.io/revision": "4"}},
            "spec": {"replicas": 3, "selector": {}, "template": {}},
            "status": status
        }))
    }

    #[test]
    fn observed_generation_guard_comes_first() {
        // All counters say "done", but the controller has not seen generation 3 yet:
        // kube-rs's is_deployment_completed would say complete here.
        let d = base(
            3,
            2,
            json!({"replicas": 3, "updatedReplicas": 3, "availableReplicas": 3,
            "conditions": [{"type": "Progressing", "status": "False", "reason": "ProgressDeadlineExceeded"}]}),
        );
        assert_eq!(decide(&d), RolloutStatus::Pending);
        assert!(kubectl_message(&d).starts_with("Waiting for deployment spec update"));
    }

    #[test]
    fn deadline_exceeded_is_failed_before_counters() {
        let d = base(
            3,
            3,
            json!({"replicas": 4, "updatedReplicas": 1, "availableReplicas": 3,
            "conditions": [{"type": "Progressing", "status": "False", "reason": "ProgressDeadlineExceeded",
                "message": "ReplicaSet \"web-1\" has timed out progressing."}]}),
        );
        match decide(&d) {
            RolloutStatus::Failed { reason } => {
                assert!(reason.starts_with("ProgressDeadlineExceeded"), "{reason}");
                assert!(reason.contains("timed out"));
            }
            other => panic!("{other:?}"),
        }
        assert!(kubectl_message(&d).contains("exceeded its progress deadline"));
    }

    #[test]
    fn counters_in_kubectl_order() {
        let d = base(
            2,
            2,
            json!({"replicas": 4, "updatedReplicas": 1, "availableReplicas": 3}),
        );
        assert!(kubectl_message(&d).contains("1 out of 3 new replicas have been updated"));
        assert!(matches!(
            decide(&d),
            RolloutStatus::Progressing {
                updated: 1,
                desired: 3,
                ..
            }
        ));
        let d = base(
            2,
            2,
            json!({"replicas": 4, "updatedReplicas": 3, "availableReplicas": 3}),
        );
        assert!(kubectl_message(&d).contains("1 old replicas are pending termination"));
        let d = base(
            2,
            2,
            json!({"replicas": 3, "updatedReplicas": 3, "availableReplicas": 2}),
        );
        assert!(kubectl_message(&d).contains("2 of 3 updated replicas are available"));
        let d = base(
            2,
            2,
            json!({"replicas": 3, "updatedReplicas": 3, "availableReplicas": 3}),
        );
        assert_eq!(
            decide(&d),
            RolloutStatus::Complete {
                revision: Revision::new(4).unwrap()
            }
        );
        assert!(kubectl_message(&d).ends_with("successfully rolled out"));
    }

    #[test]
    fn other_progressing_reasons_do_not_fail() {
        let d = base(
            2,
            2,
            json!({"replicas": 3, "updatedReplicas": 3, "availableReplicas": 3,
            "conditions": [{"type": "Progressing", "status": "True", "reason": "NewReplicaSetAvailable"}]}),
        );
        assert!(matches!(decide(&d), RolloutStatus::Complete { .. }));
    }
}
