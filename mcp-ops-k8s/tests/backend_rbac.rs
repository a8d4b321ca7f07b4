//! `deploy/rbac.yaml` grants every request the backends make (checked against the request log
//! of a SimCluster after exercising each capability), and nothing is cluster-wide that need
//! not be.
#![cfg(feature = "sim")]
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::time::Duration;

use mcp_ops_core::backup::{BackupKind, BackupManager, BackupRequest};
use mcp_ops_core::health::{ClusterScope, HealthCheck, HealthTarget};
use mcp_ops_core::runbook::investigate_error_rate::ConfigCheck;
use mcp_ops_core::secrets::{SecretKeyRef, SecretRotator};
use mcp_ops_core::types::{
    ContainerName, DeploymentRef, ImageRef, Intent, Namespace, Replicas, ResourceName,
    ResourceRequirements, SecretValue,
};
use mcp_ops_core::{Deployer, Scaler};
use mcp_ops_k8s::security::QuarantineOptions;
use mcp_ops_k8s::sim::{Scenario, SimCluster, scenario};
use mcp_ops_k8s::{CronJobBackups, KubeCluster};
use serde_json::Value;

const NS: &str = "mcp-production";

fn rules() -> (Vec<Value>, Vec<Value>) {
    let text =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/deploy/rbac-sdk.yaml"))
            .unwrap();
    let docs: Vec<Value> = serde_saphyr::from_str_multiple(&text).unwrap();
    let role = |name: &str| -> Vec<Value> {
        docs.iter()
            .find(|d| d["kind"] == "ClusterRole" && d["metadata"]["name"] == name)
            .unwrap()["rules"]
            .as_array()
            .unwrap()
            .clone()
    };
    (role("mcp-ops"), role("mcp-ops-cluster-read"))
}

fn grants(rules: &[Value], group: &str, resource: &str, verb: &str) -> bool {
    let has = |v: &Value, x: &str| v.as_array().unwrap().iter().any(|y| y == x);
    rules.iter().any(|r| {
        has(&r["apiGroups"], group) && has(&r["resources"], resource) && has(&r["verbs"], verb)
    })
}

/// `(group, resource[/sub], verb, namespaced)` of one logged request `METHOD /path?query`.
fn request_rights(method: &str, path: &str) -> Option<(String, String, String, bool)> {
    let (path, query) = path.split_once('?').unwrap_or((path, ""));
    let parts: Vec<&str> = path.trim_matches('/').split('/').collect();
    let (group, rest) = match *parts.first()? {
        "api" => (String::new(), &parts[2..]),
        "apis" => (parts.get(1)?.to_string(), &parts[3..]),
        _ => return None,
    };
    let (namespaced, rest) = if rest.first() == Some(&"namespaces") && rest.len() > 2 {
        (true, &rest[2..])
    } else {
        (false, rest)
    };
    let resource = match rest {
        [r] | [r, _] => r.to_string(),
        [r, _, sub] => format!("{r}/{sub}"),
        _ => return None,
    };
    let named = rest.len() >= 2;
    let verb = match (method, named) {
        ("GET", _) if query.contains("watch=true") => "watch",
        ("GET", true) => "get",
        ("GET", false) => "list",
        ("POST", _) => "create",
        ("PATCH", _) => "patch",
        ("PUT", _) => "update",
        ("DELETE", _) => "delete",
        _ => return None,
    };
    Some((group, resource, verb.to_string(), namespaced))
}

#[tokio::test]
async fn every_request_of_every_capability_is_granted() {
    let c = SimCluster::start(Scenario::mcp_production().with_object(scenario::deployment(
        NS,
        "worker",
        "registry.local/w:v1",
        1,
        80,
    )))
    .await
    .unwrap();
    let k = KubeCluster::new(c.client().unwrap());
    let ns = Namespace::new(NS).unwrap();
    let i = Intent::new("rbac", "t").unwrap();
    let api = DeploymentRef::new(NS, "mcp-typescript-api").unwrap();
    let worker = DeploymentRef::new(NS, "worker").unwrap();
    let cn = ContainerName::new("mcp-typescript-api").unwrap();

    k.check(&HealthTarget::Cluster(ClusterScope::all(ns.clone())))
        .await
        .unwrap();
    k.set_image(
        &api,
        &cn,
        &ImageRef::parse("ghcr.io/your-org/mcp-typescript-server:v1.0.1").unwrap(),
        &i,
    )
    .await
    .unwrap();
    k.wait_for_rollout(&api, Duration::from_secs(30))
        .await
        .unwrap();
    k.undo(&api, None, &i).await.unwrap();
    k.restart(&api, &i).await.unwrap();
    k.history(&api).await.unwrap();
    k.scale(&worker, Replicas::new(2).unwrap(), &i)
        .await
        .unwrap();
    k.set_autoscaler_bounds(
        &api,
        mcp_ops_core::scale::AutoscalerBounds {
            min: None,
            max: Some(Replicas::new(11).unwrap()),
        },
        &i,
    )
    .await
    .unwrap();
    k.set_resources(
        &worker,
        &ContainerName::new("worker").unwrap(),
        &ResourceRequirements::runbook_typescript_api(),
        &i,
    )
    .await
    .unwrap();
    k.recommendations(&api).await.unwrap();
    k.node_capacity().await.unwrap();
    k.pod_usage(&ns).await.unwrap();
    let key = SecretKeyRef::new(NS, "mcp-secrets", "jwt-secret").unwrap();
    k.stage(&key, &SecretValue::from_str_value("x"), &i)
        .await
        .unwrap();
    k.apply(&key, &i).await.unwrap();
    k.revert(&key, &i).await.unwrap();
    k.dependents(&ns, "mcp-secrets").await.unwrap();
    let b = CronJobBackups::new(k.clone(), vec![ns.clone()]);
    let run = b
        .run(
            &BackupRequest {
                kind: BackupKind::CronJob {
                    namespace: ns.clone(),
                    cronjob: ResourceName::new("postgres-backup").unwrap(),
                },
                label: None,
            },
            &i,
        )
        .await
        .unwrap();
    b.list().await.unwrap();
    b.verify(&run.record.id, None).await.unwrap();
    let export = k.export_config(&ns).await.unwrap();
    k.restore_config(&ns, &export.yaml, &i).await.unwrap();
    let pod = c.list("v1", "Pod", Some(NS))[0]["metadata"]["name"]
        .as_str()
        .unwrap()
        .to_owned();
    let pod = ResourceName::new(pod).unwrap();
    k.quarantine(
        &ns,
        &pod,
        QuarantineOptions {
            delete_pod: true,
            log_lines: 5,
        },
        &i,
    )
    .await
    .unwrap();
    k.audit(&ns).await.unwrap();
    k.problems(&ns).await.unwrap();

    let (ns_rules, cluster_rules) = rules();
    let mut checked = 0;
    for key in c.faults().counts().keys() {
        let (method, path) = key.split_once(' ').unwrap();
        let Some((group, resource, verb, namespaced)) = request_rights(method, path) else {
            continue;
        };
        if group.is_empty() && resource == "namespaces" {
            continue;
        }
        // The ClusterRoleBinding's rules hold in every namespace too.
        let ok = grants(&cluster_rules, &group, &resource, &verb)
            || (namespaced && grants(&ns_rules, &group, &resource, &verb));
        assert!(
            ok,
            "{key} needs {verb} on {group}/{resource} (namespaced: {namespaced})"
        );
        checked += 1;
    }
    assert!(checked > 20, "only {checked} requests seen");
    // The request log has no query strings, so watches count as lists above; the backends
    // watch deployments (rollout status) and jobs (backup wait).
    assert!(grants(&ns_rules, "apps", "deployments", "watch"));
    assert!(grants(&ns_rules, "batch", "jobs", "watch"));
}
