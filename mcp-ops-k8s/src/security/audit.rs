//! A posture audit of a namespace's pods against the runbook's hardening checklist:
//! runAsNonRoot, readOnlyRootFilesystem, allowPrivilegeEscalation false, capabilities drop
//! ALL, resource limits, NetworkPolicy coverage and automountServiceAccountToken.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{Container, Pod};
use k8s_openapi::api::networking::v1::NetworkPolicy;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
use serde::{Deserialize, Serialize};

/// One checklist item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[non_exhaustive]
pub enum Check {
    /// `runAsNonRoot: true` (container or pod security context).
    RunAsNonRoot,
    /// `readOnlyRootFilesystem: true`.
    ReadOnlyRootFilesystem,
    /// `allowPrivilegeEscalation: false`.
    NoPrivilegeEscalation,
    /// `capabilities.drop` contains `ALL`.
    DropAllCapabilities,
    /// CPU and memory limits set.
    ResourceLimits,
    /// At least one NetworkPolicy selects the pod.
    NetworkPolicyCoverage,
    /// `automountServiceAccountToken: false` on the pod.
    NoServiceAccountToken,
}

/// A failed checklist item for one pod (and container, where it applies).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    /// The pod.
    pub pod: String,
    /// The container, for container-level checks.
    pub container: Option<String>,
    /// What failed.
    pub check: Check,
}

/// Whether `selector` selects `labels` (an empty selector selects everything).
pub fn selects(selector: &LabelSelector, labels: &BTreeMap<String, String>) -> bool {
    let by_labels = selector
        .match_labels
        .iter()
        .flatten()
        .all(|(k, v)| labels.get(k) == Some(v));
    let by_exprs = selector.match_expressions.iter().flatten().all(|e| {
        let values = e.values.clone().unwrap_or_default();
        let value = labels.get(&e.key);
        match e.operator.as_str() {
            "In" => value.is_some_and(|v| values.contains(v)),
            "NotIn" => value.is_none_or(|v| !values.contains(v)),
            "Exists" => value.is_some(),
            _ => value.is_none(),
        }
    });
    by_labels && by_exprs
}

fn container_findings(pod: &Pod, c: &Container, out: &mut Vec<Finding>) {
    let name = pod.metadata.name.clone().unwrap_or_default();
    let pod_sc = pod.spec.as_ref().and_then(|s| s.security_context.as_ref());
    let sc = c.security_context.as_ref();
    let mut fail = |check| {
        out.push(Finding {
            pod: name.clone(),
            container: Some(c.name.clone()),
            check,
        });
    };
    let non_root = sc
        .and_then(|s| s.run_as_non_root)
        .or_else(|| pod_sc.and_then(|s| s.run_as_non_root));
    if non_root != Some(true) {
        fail(Check::RunAsNonRoot);
    }
    if sc.and_then(|s| s.read_only_root_filesystem) != Some(true) {
        fail(Check::ReadOnlyRootFilesystem);
    }
    if sc.and_then(|s| s.allow_privilege_escalation) != Some(false) {
        fail(Check::NoPrivilegeEscalation);
    }
    let drops_all = sc
        .and_then(|s| s.capabilities.as_ref())
        .and_then(|c| c.drop.as_ref())
        .is_some_and(|d| d.iter().any(|x| x == "ALL"));
    if !drops_all {
        fail(Check::DropAllCapabilities);
    }
    let limits = c.resources.as_ref().and_then(|r| r.limits.as_ref());
    if !limits.is_some_and(|l| l.contains_key("cpu") && l.contains_key("memory")) {
        fail(Check::ResourceLimits);
    }
}

/// Audits `pods` given the namespace's NetworkPolicies; findings in pod order.
pub fn audit(pods: &[Pod], policies: &[NetworkPolicy]) -> Vec<Finding> {
    let mut out = Vec::new();
    for p in pods {
        let name = p.metadata.name.clone().unwrap_or_default();
        let labels = p.metadata.labels.clone().unwrap_or_default();
        let Some(spec) = p.spec.as_ref() else {
            continue;
        };
        for c in spec
            .init_containers
            .iter()
            .flatten()
            .chain(&spec.containers)
        {
            container_findings(p, c, &mut out);
        }
        let covered = policies.iter().any(|np| {
            np.spec
                .as_ref()
                .is_some_and(|s| selects(&s.pod_selector.clone().unwrap_or_default(), &labels))
        });
        if !covered {
            out.push(Finding {
                pod: name.clone(),
                container: None,
                check: Check::NetworkPolicyCoverage,
            });
        }
        if spec.automount_service_account_token != Some(false) {
            out.push(Finding {
                pod: name,
                container: None,
                check: Check::NoServiceAccountToken,
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use serde_json::json;

    #[test]
    fn hardened_pod_passes_and_default_pod_fails_everything() {
        let pods: Vec<Pod> = serde_json::from_value(json!([
            {"metadata": {"name": "good", "labels": {"app": "a"}}, "spec": {
                "automountServiceAccountToken": false, "securityContext": {"runAsNonRoot": true},
                "containers": [{"name": "c", "securityContext": {"readOnlyRootFilesystem": true,
                    "allowPrivilegeEscalation": false, "capabilities": {"drop": ["ALL"]}},
                    "resources": {"limits": {"cpu": "1", "memory": "1Gi"}}}]}},
            {"metadata": {"name": "bad", "labels": {"app": "b"}}, "spec": {"containers": [{"name": "c"}]}}
        ]))
        .unwrap();
        let np: NetworkPolicy = serde_json::from_value(json!({"metadata": {"name": "n"},
            "spec": {"podSelector": {"matchExpressions": [{"key": "app", "operator": "In", "values": ["a"]}]}}}))
        .unwrap();
        let f = audit(&pods, &[np]);
        assert!(f.iter().all(|x| x.pod == "bad"), "{f:?}");
        assert_eq!(f.len(), 7);
    }
}
