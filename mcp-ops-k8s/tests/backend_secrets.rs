//! The Kubernetes SecretRotator on a SimCluster over HTTP.
#![cfg(feature = "sim")]
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use k8s_openapi::api::core::v1::Secret;
use kube::api::Api;
use mcp_ops_core::secrets::{SecretCheck, SecretKeyRef, SecretRotator};
use mcp_ops_core::testing::{SecretRotatorFixture, secret_rotator_contract};
use mcp_ops_core::types::{Intent, Namespace, SecretSpec, SecretValue};
use mcp_ops_k8s::KubeCluster;
use mcp_ops_k8s::sim::{Scenario, SimCluster, scenario};
use serde_json::json;

const NS: &str = "mcp-production";

fn key() -> SecretKeyRef {
    SecretKeyRef::new(NS, "mcp-secrets", "jwt-secret").unwrap()
}

#[tokio::test]
async fn secret_rotator_contract_passes_on_the_sim() {
    let c = SimCluster::start(Scenario::mcp_production()).await.unwrap();
    let k = KubeCluster::new(c.client().unwrap());
    let fx = SecretRotatorFixture {
        key: key(),
        missing: SecretKeyRef::new(NS, "mcp-secrets", "nope").unwrap(),
        spec: SecretSpec::JWT,
    };
    secret_rotator_contract(&k, &fx).await.unwrap();
}

#[tokio::test]
async fn previous_value_is_recoverable_and_other_keys_untouched() {
    let c = SimCluster::start(Scenario::mcp_production()).await.unwrap();
    let k = KubeCluster::new(c.client().unwrap());
    let i = Intent::new("rotate jwt", "t").unwrap();
    let before = k.current(&key()).await.unwrap();
    assert_eq!(
        before.fingerprint,
        SecretValue::from_str_value("sim-jwt-secret-001").fingerprint()
    );
    let new = SecretValue::from_str_value("new-jwt-value");
    k.stage(&key(), &new, &i).await.unwrap();
    let v = k.apply(&key(), &i).await.unwrap();
    assert_eq!(v.version, before.version + 1);
    assert_eq!(k.verify(&key()).await.unwrap(), SecretCheck::NotApplicable);
    let secrets: Api<Secret> = Api::namespaced(c.client().unwrap(), NS);
    let prev = secrets.get("mcp-secrets-previous").await.unwrap();
    assert_eq!(prev.data.unwrap()["jwt-secret"].0, b"sim-jwt-secret-001");
    let main = secrets.get("mcp-secrets").await.unwrap();
    let data = main.data.unwrap();
    assert_eq!(data["jwt-secret"].0, b"new-jwt-value");
    assert_eq!(data["db-password"].0, b"sim-db-password-001");
    // The bookkeeping annotation holds versions, never a value.
    let ann = main.metadata.annotations.unwrap()["mcp-ops.io/rotation"].clone();
    assert!(!ann.contains("new-jwt") && !ann.contains("bmV3"), "{ann}");
    // A failed verification by the caller → revert brings the old value back.
    let r = k.revert(&key(), &i).await.unwrap();
    assert_eq!(r.fingerprint, before.fingerprint);
    assert!(matches!(
        k.revert(&key(), &i).await,
        Err(mcp_ops_core::Error::Conflict { .. })
    ));
}

#[tokio::test]
async fn dependents_are_found_through_env_envfrom_and_volumes() {
    // The runbook's three services read the Secret through env; two more deployments use it
    // through env and a volume.
    let mut a = scenario::deployment(NS, "uses-env", "registry.local/a:v1", 1, 80);
    a["spec"]["template"]["spec"]["containers"][0]["env"] = json!([{"name": "JWT", "valueFrom": {"secretKeyRef": {"name": "mcp-secrets", "key": "jwt-secret"}}}]);
    let mut b = scenario::deployment(NS, "uses-volume", "registry.local/b:v1", 1, 80);
    b["spec"]["template"]["spec"]["volumes"] =
        json!([{"name": "s", "secret": {"secretName": "mcp-secrets"}}]);
    let c = SimCluster::start(Scenario::mcp_production().with_object(a).with_object(b))
        .await
        .unwrap();
    let k = KubeCluster::new(c.client().unwrap());
    let deps = k
        .dependents(&Namespace::new(NS).unwrap(), "mcp-secrets")
        .await
        .unwrap();
    let names: Vec<&str> = deps.iter().map(|d| d.name.as_str()).collect();
    assert_eq!(
        names,
        vec![
            "mcp-learning-system",
            "mcp-rust-server",
            "mcp-typescript-api",
            "uses-env",
            "uses-volume"
        ]
    );
}
