//! Quarantine and posture audit on a SimCluster over HTTP.
#![cfg(feature = "sim")]
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use k8s_openapi::api::core::v1::Pod;
use kube::api::{Api, ListParams};
use mcp_ops_core::types::{Intent, Namespace, ResourceName};
use mcp_ops_k8s::KubeCluster;
use mcp_ops_k8s::security::audit::Check;
use mcp_ops_k8s::security::{QUARANTINE_POLICY, QuarantineOptions};
use mcp_ops_k8s::sim::{Scenario, SimCluster};

const NS: &str = "mcp-production";

#[tokio::test]
async fn quarantine_keeps_the_pod_and_a_network_policy_selects_it() {
    let c = SimCluster::start(Scenario::mcp_production()).await.unwrap();
    let k = KubeCluster::new(c.client().unwrap());
    let pods: Api<Pod> = Api::namespaced(c.client().unwrap(), NS);
    let victim = pods
        .list(&ListParams::default().labels("app=mcp-typescript-api"))
        .await
        .unwrap()
        .items[0]
        .metadata
        .name
        .clone()
        .unwrap();
    let ns = Namespace::new(NS).unwrap();
    let pod = ResourceName::new(victim.clone()).unwrap();
    let intent = Intent::new("suspicious outbound traffic", "secops").unwrap();

    let plan = k
        .quarantine(
            &ns,
            &pod,
            QuarantineOptions::default(),
            &intent.clone().with_dry_run(true),
        )
        .await
        .unwrap();
    assert!(plan.dry_run);
    assert!(
        c.get(
            "networking.k8s.io/v1",
            "NetworkPolicy",
            NS,
            QUARANTINE_POLICY
        )
        .is_none()
    );

    let r = k
        .quarantine(&ns, &pod, QuarantineOptions::default(), &intent)
        .await
        .unwrap();
    assert!(!r.deleted);
    assert!(r.evidence.pod.contains(&victim));
    assert!(!r.evidence.logs_tail.is_empty());
    let p = pods.get(&victim).await.unwrap();
    assert_eq!(p.metadata.labels.unwrap()["security.breach"], "true");
    let np = c
        .get(
            "networking.k8s.io/v1",
            "NetworkPolicy",
            NS,
            QUARANTINE_POLICY,
        )
        .unwrap();
    assert_eq!(
        np["spec"]["podSelector"]["matchLabels"]["security.breach"],
        "true"
    );
    assert_eq!(
        np["spec"]["policyTypes"],
        serde_json::json!(["Ingress", "Egress"])
    );
    assert!(np["spec"].get("ingress").is_none() && np["spec"].get("egress").is_none());
    // Quarantining again reuses the existing policy.
    k.quarantine(&ns, &pod, QuarantineOptions::default(), &intent)
        .await
        .unwrap();

    k.release(&ns, &pod, &intent).await.unwrap();
    let p = pods.get(&victim).await.unwrap();
    assert!(
        !p.metadata
            .labels
            .unwrap_or_default()
            .contains_key("security.breach")
    );
}

#[tokio::test]
async fn audit_reports_the_unhardened_runbook_pods() {
    let c = SimCluster::start(Scenario::mcp_production()).await.unwrap();
    let k = KubeCluster::new(c.client().unwrap());
    let findings = k.audit(&Namespace::new(NS).unwrap()).await.unwrap();
    // The runbook's pods set limits but no security context; the default-deny policy covers all.
    let api = findings
        .iter()
        .filter(|f| f.pod.starts_with("mcp-typescript-api-"))
        .map(|f| f.check)
        .collect::<Vec<_>>();
    for check in [
        Check::RunAsNonRoot,
        Check::ReadOnlyRootFilesystem,
        Check::NoPrivilegeEscalation,
        Check::DropAllCapabilities,
        Check::NoServiceAccountToken,
    ] {
        assert!(api.contains(&check), "{check:?} in {api:?}");
    }
    assert!(!api.contains(&Check::ResourceLimits));
    assert!(!api.contains(&Check::NetworkPolicyCoverage));
    // The StatefulSets set no limits.
    assert!(
        findings
            .iter()
            .any(|f| f.pod.starts_with("redis-") && f.check == Check::ResourceLimits)
    );
}
