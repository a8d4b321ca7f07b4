//! A deployment's pods at one moment ([`PodHealth`]): ready and unavailable replicas from the
//! Deployment's status, container restarts and not-ready reasons from the pods its selector
//! matches (as `kubectl get pods -l <selector>` shows them).

use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::Pod;
use mcp_ops_core::deploy::PodHealth;

use super::pod_ready;

/// At most this many not-ready pods are named.
const NAMED: usize = 10;

fn count(v: Option<i32>) -> u32 {
    u32::try_from(v.unwrap_or(0)).unwrap_or(0)
}

/// Why a pod is not ready: its first waiting or terminated container's reason, else its phase.
fn not_ready_reason(p: &Pod) -> String {
    let status = p.status.as_ref();
    let reason = status
        .and_then(|s| s.container_statuses.as_ref())
        .into_iter()
        .flatten()
        .find_map(|c| {
            let st = c.state.as_ref()?;
            st.waiting
                .as_ref()
                .and_then(|w| w.reason.clone())
                .or_else(|| st.terminated.as_ref().and_then(|t| t.reason.clone()))
        });
    if p.metadata.deletion_timestamp.is_some() {
        return "Terminating".to_owned();
    }
    reason
        .or_else(|| status.and_then(|s| s.phase.clone()))
        .unwrap_or_else(|| "not ready".to_owned())
}

/// The health of `dep`'s pods among `pods` (already selected by its selector).
pub(crate) fn pod_health(dep: &Deployment, pods: &[Pod]) -> PodHealth {
    let status = dep.status.clone().unwrap_or_default();
    let desired = count(dep.spec.as_ref().and_then(|s| s.replicas).or(Some(1)));
    let restarts = pods
        .iter()
        .filter_map(|p| p.status.as_ref()?.container_statuses.as_ref())
        .flatten()
        .map(|c| u64::try_from(c.restart_count).unwrap_or(0))
        .sum();
    let not_ready = pods
        .iter()
        .filter(|p| p.metadata.deletion_timestamp.is_none() && !pod_ready(p))
        .take(NAMED)
        .map(|p| {
            let name = p.metadata.name.clone().unwrap_or_default();
            format!("{name}: {}", not_ready_reason(p))
        })
        .collect();
    PodHealth {
        desired,
        ready: count(status.ready_replicas),
        unavailable: count(status.unavailable_replicas),
        restarts,
        not_ready,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use serde_json::json;

    #[test]
    fn restarts_are_summed_and_not_ready_pods_named() {
        let dep: Deployment = serde_json::from_value(json!({
            "metadata": {"name": "web"},
            "spec": {"replicas": 2, "selector": {}, "template": {}},
            "status": {"readyReplicas": 1, "unavailableReplicas": 1}
        }))
        .unwrap();
        let pod = |name: &str, ready: &str, restarts: i32, waiting: Option<&str>| -> Pod {
            let state = match waiting {
                Some(r) => json!({"waiting": {"reason": r}}),
                None => json!({"running": {}}),
            };
            serde_json::from_value(json!({
                "metadata": {"name": name},
                "status": {"phase": "Running",
                    "conditions": [{"type": "Ready", "status": ready}],
                    "containerStatuses": [{"name": "c", "image": "i", "imageID": "",
                        "ready": ready == "True", "restartCount": restarts, "state": state}]}
            }))
            .unwrap()
        };
        let pods = [
            pod("web-a", "True", 1, None),
            pod("web-b", "False", 4, Some("CrashLoopBackOff")),
        ];
        let h = pod_health(&dep, &pods);
        assert_eq!(
            (h.desired, h.ready, h.unavailable, h.restarts),
            (2, 1, 1, 5)
        );
        assert_eq!(h.not_ready, vec!["web-b: CrashLoopBackOff".to_owned()]);
        assert!(!h.all_ready());
    }
}
