//! Security containment and posture (the runbook's "Security Incident Response").
//!
//! [`KubeCluster::quarantine`] isolates a pod instead of deleting the evidence: it labels the
//! pod `security.breach=true` (the runbook's label), makes sure the deny-all NetworkPolicy
//! `mcp-ops-quarantine` (ingress and egress, selecting that label) exists, and collects
//! evidence — the pod as JSON, the tail of its logs and its events. The pod is deleted only
//! when asked. [`KubeCluster::release`] removes the label. [`KubeCluster::audit`] checks a
//! namespace against the hardening checklist ([`audit::Check`]).

pub mod audit;

use k8s_openapi::api::core::v1::{Event, Pod};
use k8s_openapi::api::networking::v1::NetworkPolicy;
use kube::api::{Api, DeleteParams, LogParams, Patch};
use mcp_ops_core::types::{Intent, Namespace, ResourceName};
use mcp_ops_core::{Error, Result};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::cluster::KubeCluster;
use crate::error::malformed;
use crate::retry::OnConflict;

/// The label that marks a quarantined pod.
pub const QUARANTINE_LABEL: (&str, &str) = ("security.breach", "true");
/// The deny-all NetworkPolicy that selects quarantined pods.
pub const QUARANTINE_POLICY: &str = "mcp-ops-quarantine";

/// How to quarantine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuarantineOptions {
    /// Delete the pod after collecting evidence (default `false`: keep it for forensics).
    pub delete_pod: bool,
    /// Log lines kept as evidence.
    pub log_lines: i64,
}

impl Default for QuarantineOptions {
    fn default() -> Self {
        Self {
            delete_pod: false,
            log_lines: 200,
        }
    }
}

/// What was saved about a quarantined pod.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Evidence {
    /// The pod object as JSON, as it was when quarantined.
    pub pod: String,
    /// The last log lines of each container, `container: line`.
    pub logs_tail: String,
    /// Its events, `type reason: message`.
    pub events: Vec<String>,
}

/// The result of a quarantine.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuarantineReport {
    /// The pod.
    pub pod: String,
    /// The NetworkPolicy isolating it.
    pub network_policy: String,
    /// The evidence collected.
    pub evidence: Evidence,
    /// Whether the pod was deleted.
    pub deleted: bool,
    /// Whether this was a dry run.
    pub dry_run: bool,
}

impl KubeCluster {
    /// Isolates a pod with a deny-all NetworkPolicy and keeps it (unless told to delete it).
    ///
    /// # Errors
    /// [`Error::NotFound`] for an unknown pod; backend errors.
    pub async fn quarantine(
        &self,
        namespace: &Namespace,
        pod: &ResourceName,
        options: QuarantineOptions,
        intent: &Intent,
    ) -> Result<QuarantineReport> {
        let ns = namespace.as_str();
        let dry = intent.is_dry_run();
        let p: Pod = self.get("pod", ns, pod.as_str()).await?;
        let policy = NetworkPolicy {
            metadata: kube::api::ObjectMeta {
                name: Some(QUARANTINE_POLICY.into()),
                namespace: Some(ns.into()),
                labels: Some(
                    [(
                        "app.kubernetes.io/managed-by".to_owned(),
                        "mcp-ops".to_owned(),
                    )]
                    .into(),
                ),
                ..Default::default()
            },
            spec: Some(
                serde_json::from_value(json!({
                    "podSelector": {"matchLabels": {QUARANTINE_LABEL.0: QUARANTINE_LABEL.1}},
                    "policyTypes": ["Ingress", "Egress"]
                }))
                .map_err(|e| malformed(e.to_string()))?,
            ),
        };
        let api: Api<NetworkPolicy> = self.namespaced(ns);
        let pp = self.post_params(dry);
        let label = format!("{ns}/{QUARANTINE_POLICY}");
        match self
            .call("networkpolicy", &label, OnConflict::Fail, || {
                api.create(&pp, &policy)
            })
            .await
        {
            Ok(_) | Err(Error::Conflict { .. }) => {}
            Err(e) => return Err(e),
        }
        let patch = json!({"metadata": {
            "labels": {QUARANTINE_LABEL.0: QUARANTINE_LABEL.1},
            "annotations": {"mcp-ops.io/quarantine-reason": intent.change_cause()}
        }});
        let _: Pod = self
            .patch("pod", ns, pod.as_str(), &Patch::Merge(patch), dry)
            .await?;
        // Contained first, then the evidence (the pod object is the one read before).
        let evidence = self.evidence(ns, &p, options.log_lines).await?;
        let mut deleted = false;
        if options.delete_pod {
            let api: Api<Pod> = self.namespaced(ns);
            let dp = DeleteParams {
                dry_run: dry,
                ..DeleteParams::default()
            };
            let plabel = format!("{ns}/{pod}");
            self.call("pod", &plabel, OnConflict::Fail, || {
                api.delete(pod.as_str(), &dp)
            })
            .await?;
            deleted = !dry;
        }
        tracing::warn!(pod = %pod, namespace = ns, reason = intent.reason(), dry_run = dry, "quarantined pod");
        Ok(QuarantineReport {
            pod: pod.to_string(),
            network_policy: QUARANTINE_POLICY.into(),
            evidence,
            deleted,
            dry_run: dry,
        })
    }

    /// Removes the quarantine label from a pod (the NetworkPolicy stays for other pods).
    ///
    /// # Errors
    /// [`Error::NotFound`] for an unknown pod.
    pub async fn release(
        &self,
        namespace: &Namespace,
        pod: &ResourceName,
        intent: &Intent,
    ) -> Result<()> {
        let patch = json!({"metadata": {"labels": {QUARANTINE_LABEL.0: null},
            "annotations": {"mcp-ops.io/quarantine-reason": null}}});
        let _: Pod = self
            .patch(
                "pod",
                namespace.as_str(),
                pod.as_str(),
                &Patch::Merge(patch),
                intent.is_dry_run(),
            )
            .await?;
        Ok(())
    }

    /// Audits the pods of a namespace against the hardening checklist.
    ///
    /// # Errors
    /// [`Error::NotFound`](mcp_ops_core::Error::NotFound) when the namespace has no pod because
    /// it does not exist (a misspelt namespace must not pass the audit); backend errors.
    pub async fn audit(&self, namespace: &Namespace) -> Result<Vec<audit::Finding>> {
        let pods: Vec<Pod> = self.list("pod", Some(namespace.as_str()), None).await?;
        if pods.is_empty() {
            self.namespace_missing_is_not_found(namespace.as_str())
                .await?;
        }
        let policies: Vec<NetworkPolicy> = self
            .list("networkpolicy", Some(namespace.as_str()), None)
            .await?;
        Ok(audit::audit(&pods, &policies))
    }

    async fn evidence(&self, ns: &str, p: &Pod, lines: i64) -> Result<Evidence> {
        let name = p.metadata.name.clone().unwrap_or_default();
        let api: Api<Pod> = self.namespaced(ns);
        let mut logs = String::new();
        for c in p.spec.iter().flat_map(|s| s.containers.iter()) {
            let lp = LogParams {
                container: Some(c.name.clone()),
                tail_lines: Some(lines),
                ..LogParams::default()
            };
            let label = format!("{ns}/{name}");
            let text = match self
                .call("pod log", &label, OnConflict::Fail, || api.logs(&name, &lp))
                .await
            {
                Ok(t) => t,
                Err(e) => format!("(logs unavailable: {e})"),
            };
            for line in text.lines() {
                logs.push_str(&format!("{}: {line}\n", c.name));
            }
        }
        let events: Vec<Event> = self.list("event", Some(ns), None).await?;
        let events = events
            .iter()
            .filter(|e| {
                e.involved_object.kind.as_deref() == Some("Pod")
                    && e.involved_object.name.as_deref() == Some(name.as_str())
            })
            .map(|e| {
                format!(
                    "{} {}: {}",
                    e.type_.clone().unwrap_or_default(),
                    e.reason.clone().unwrap_or_default(),
                    e.message.clone().unwrap_or_default()
                )
            })
            .collect();
        Ok(Evidence {
            pod: serde_json::to_string(p).map_err(|e| malformed(e.to_string()))?,
            logs_tail: logs,
            events,
        })
    }
}
