//! `ConfigCheck` on `KubeCluster` against a SimCluster: what the runbook services' pod
//! templates need from ConfigMaps and Secrets, and what does not resolve.
#![cfg(feature = "sim")]
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::sync::Arc;

use base64::Engine as _;
use k8s_openapi::api::apps::v1::{Deployment, StatefulSet};
use k8s_openapi::api::core::v1::{ConfigMap, Secret};
use kube::api::{Api, DeleteParams, Patch, PatchParams};
use mcp_ops_core::health::HealthStatus;
use mcp_ops_core::runbook::Context;
use mcp_ops_core::runbook::investigate_error_rate::{
    Cause, ConfigCheck, ErrorRateBackends, ErrorRateInput, investigate_error_rate,
};
use mcp_ops_core::runbook::triage::Check;
use mcp_ops_core::types::{Intent, Namespace};
use mcp_ops_core::{Error, SystemClock};
use mcp_ops_k8s::KubeCluster;
use mcp_ops_k8s::sim::{Scenario, SimCluster, scenario};
use serde_json::{Value, json};

const NS: &str = "mcp-production";

fn ns() -> Namespace {
    Namespace::new(NS).unwrap()
}

async fn patch<K>(c: &SimCluster, name: &str, body: Value)
where
    K: kube::Resource<Scope = k8s_openapi::NamespaceResourceScope>
        + Clone
        + serde::de::DeserializeOwned
        + std::fmt::Debug,
    <K as kube::Resource>::DynamicType: Default,
{
    let api: Api<K> = Api::namespaced(c.client().unwrap(), NS);
    api.patch(name, &PatchParams::default(), &Patch::Strategic(body))
        .await
        .unwrap();
}

fn secret_env(var: &str, name: &str, key: &str) -> Value {
    json!({"name": var, "valueFrom": {"secretKeyRef": {"name": name, "key": key}}})
}

/// The runbook scenario with its services wired to `mcp-secrets` and `mcp-config` in every
/// way a pod template can reference them, plus optional references to objects that do not
/// exist (`mcp-extra`, `mcp-feature-flags`).
async fn wired() -> (SimCluster, KubeCluster) {
    let c = SimCluster::start(Scenario::mcp_production()).await.unwrap();
    patch::<Deployment>(
        &c,
        "mcp-typescript-api",
        json!({"spec": {"template": {"spec": {
        "containers": [{"name": "mcp-typescript-api",
            "env": [secret_env("DB_PASSWORD", "mcp-secrets", "db-password"),
                    secret_env("JWT_SECRET", "mcp-secrets", "jwt-secret")],
            "envFrom": [{"configMapRef": {"name": "mcp-config"}}]}]}}}}),
    )
    .await;
    patch::<Deployment>(&c, "mcp-learning-system", json!({"spec": {"template": {"spec": {
        "initContainers": [{"name": "migrate", "image": "ghcr.io/your-org/mcp-learning-system:v1.0.0",
            "env": [{"name": "LOG_LEVEL", "valueFrom": {"configMapKeyRef": {"name": "mcp-config", "key": "LOG_LEVEL"}}}]}],
        "volumes": [{"name": "jwt", "projected": {"sources": [
            {"secret": {"name": "mcp-secrets", "items": [{"key": "jwt-secret", "path": "jwt"}]}},
            {"configMap": {"name": "mcp-feature-flags", "optional": true}}]}}]}}}}))
    .await;
    patch::<Deployment>(&c, "mcp-rust-server", json!({"spec": {"template": {"spec": {
        "containers": [{"name": "mcp-rust-server",
            "env": [{"name": "EXTRA", "valueFrom": {"secretKeyRef": {"name": "mcp-extra", "key": "token", "optional": true}}},
                    {"name": "UNUSED", "valueFrom": {"secretKeyRef": {"name": "mcp-secrets", "key": "absent", "optional": true}}}],
            "envFrom": [{"configMapRef": {"name": "mcp-feature-flags", "optional": true}}]}],
        "volumes": [
            {"name": "config", "configMap": {"name": "mcp-config", "items": [{"key": "DB_POOL_SIZE", "path": "pool"}]}},
            {"name": "secrets", "secret": {"secretName": "mcp-secrets"}},
            {"name": "extra", "secret": {"secretName": "mcp-extra", "optional": true}}]}}}}))
    .await;
    patch::<StatefulSet>(
        &c,
        "postgres-primary",
        json!({"spec": {"template": {"spec": {
        "containers": [{"name": "postgres-primary",
            "env": [secret_env("POSTGRES_PASSWORD", "mcp-secrets", "db-password")]}]}}}}),
    )
    .await;
    let k = KubeCluster::new(c.client().unwrap());
    (c, k)
}

async fn remove_key<K>(c: &SimCluster, name: &str, key: &str)
where
    K: kube::Resource<Scope = k8s_openapi::NamespaceResourceScope>
        + Clone
        + serde::de::DeserializeOwned
        + std::fmt::Debug,
    <K as kube::Resource>::DynamicType: Default,
{
    let api: Api<K> = Api::namespaced(c.client().unwrap(), NS);
    let body = json!({"data": {key: null}});
    api.patch(name, &PatchParams::default(), &Patch::Merge(body))
        .await
        .unwrap();
}

async fn delete_config_map(c: &SimCluster, name: &str) {
    let api: Api<ConfigMap> = Api::namespaced(c.client().unwrap(), NS);
    api.delete(name, &DeleteParams::default()).await.unwrap();
}

#[tokio::test]
async fn the_runbook_scenario_resolves() {
    // As shipped, the services read `mcp-secrets` (env) and `mcp-config` (envFrom).
    let c = SimCluster::start(Scenario::mcp_production()).await.unwrap();
    let k = KubeCluster::new(c.client().unwrap());
    assert_eq!(k.problems(&ns()).await.unwrap(), Vec::<String>::new());
    // Wired to its Secret and ConfigMap in every way (optional references to missing objects
    // included), everything still resolves.
    let (_c, k) = wired().await;
    assert_eq!(k.problems(&ns()).await.unwrap(), Vec::<String>::new());
}

#[tokio::test]
async fn a_removed_secret_key_is_exactly_that_problem() {
    let (c, k) = wired().await;
    remove_key::<Secret>(&c, "mcp-secrets", "db-password").await;
    assert_eq!(
        k.problems(&ns()).await.unwrap(),
        vec![
            "deployment/mcp-learning-system: secret/mcp-secrets has no key db-password",
            "deployment/mcp-rust-server: secret/mcp-secrets has no key db-password",
            "deployment/mcp-typescript-api: secret/mcp-secrets has no key db-password",
            "statefulset/postgres-primary: secret/mcp-secrets has no key db-password",
        ]
    );
}

#[tokio::test]
async fn a_deleted_config_map_is_a_problem_of_each_workload_using_it() {
    let (c, k) = wired().await;
    delete_config_map(&c, "mcp-config").await;
    assert_eq!(
        k.problems(&ns()).await.unwrap(),
        vec![
            "deployment/mcp-learning-system: configmap/mcp-config not found",
            "deployment/mcp-rust-server: configmap/mcp-config not found",
            "deployment/mcp-typescript-api: configmap/mcp-config not found",
        ]
    );
}

#[tokio::test]
async fn an_init_container_reference_counts() {
    // LOG_LEVEL is read by key only by mcp-learning-system's init container.
    let (c, k) = wired().await;
    remove_key::<ConfigMap>(&c, "mcp-config", "LOG_LEVEL").await;
    assert_eq!(
        k.problems(&ns()).await.unwrap(),
        vec!["deployment/mcp-learning-system: configmap/mcp-config has no key LOG_LEVEL"]
    );
}

#[tokio::test]
async fn optional_references_are_skipped_and_required_ones_are_not() {
    let (c, k) = wired().await;
    // The wired scenario already has optional references to mcp-extra, mcp-feature-flags and
    // mcp-secrets/absent; a required reference to the same missing object is reported alone.
    patch::<Deployment>(
        &c,
        "mcp-rust-server",
        json!({"spec": {"template": {"spec": {
        "containers": [{"name": "mcp-rust-server",
            "env": [secret_env("REQUIRED", "mcp-extra", "token")]}]}}}}),
    )
    .await;
    let d = c
        .get("apps/v1", "Deployment", NS, "mcp-rust-server")
        .unwrap();
    let env = &d["spec"]["template"]["spec"]["containers"][0]["env"];
    assert_eq!(env.as_array().unwrap().len(), 5, "{env}");
    assert_eq!(
        k.problems(&ns()).await.unwrap(),
        vec!["deployment/mcp-rust-server: secret/mcp-extra not found"]
    );
}

#[tokio::test]
async fn problems_are_sorted_unique_and_deterministic() {
    let (c, k) = wired().await;
    delete_config_map(&c, "mcp-config").await;
    remove_key::<Secret>(&c, "mcp-secrets", "jwt-secret").await;
    let first = k.problems(&ns()).await.unwrap();
    assert_eq!(
        first,
        vec![
            "deployment/mcp-learning-system: configmap/mcp-config not found",
            "deployment/mcp-learning-system: secret/mcp-secrets has no key jwt-secret",
            "deployment/mcp-rust-server: configmap/mcp-config not found",
            "deployment/mcp-rust-server: secret/mcp-secrets has no key jwt-secret",
            "deployment/mcp-typescript-api: configmap/mcp-config not found",
            "deployment/mcp-typescript-api: secret/mcp-secrets has no key jwt-secret",
        ]
    );
    let mut sorted = first.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(first, sorted);
    for _ in 0..3 {
        assert_eq!(k.problems(&ns()).await.unwrap(), first);
    }
}

#[tokio::test]
async fn problems_never_contain_a_secret_value() {
    let (c, k) = wired().await;
    // Problems about mcp-secrets, with one of its values still in place.
    remove_key::<Secret>(&c, "mcp-secrets", "jwt-secret").await;
    patch::<Deployment>(
        &c,
        "mcp-rust-server",
        json!({"spec": {"template": {"spec": {
        "containers": [{"name": "mcp-rust-server",
            "env": [secret_env("MISSING", "mcp-secrets", "api-key")]}]}}}}),
    )
    .await;
    let problems = k.problems(&ns()).await.unwrap();
    assert_eq!(problems.len(), 4, "{problems:?}");
    let text = problems.join("\n");
    let mut values = vec![
        "sim-jwt-secret-001".to_owned(),
        "sim-db-password-001".to_owned(),
    ];
    let b64 = base64::engine::general_purpose::STANDARD;
    for s in c.list("v1", "Secret", Some(NS)) {
        for v in s["data"].as_object().into_iter().flat_map(|d| d.values()) {
            let encoded = v.as_str().unwrap().to_owned();
            values.push(String::from_utf8_lossy(&b64.decode(&encoded).unwrap()).into_owned());
            values.push(encoded);
        }
    }
    assert!(values.len() >= 4, "{} values checked", values.len());
    for v in values.iter().filter(|v| !v.is_empty()) {
        assert!(
            !text.contains(v.as_str()),
            "a secret value leaked into: {text}"
        );
    }
}

#[tokio::test]
async fn a_missing_namespace_is_not_found_and_an_empty_one_has_no_problems() {
    let c = SimCluster::start(Scenario::mcp_production().with_object(scenario::namespace("quiet")))
        .await
        .unwrap();
    let k = KubeCluster::new(c.client().unwrap());
    let err = k
        .problems(&Namespace::new("does-not-exist").unwrap())
        .await
        .unwrap_err();
    assert!(matches!(err, Error::NotFound { .. }), "{err:?}");
    assert_eq!(
        k.problems(&Namespace::new("quiet").unwrap()).await.unwrap(),
        Vec::<String>::new()
    );
}

#[tokio::test]
async fn investigate_error_rate_reports_the_configuration_cause() {
    let (c, k) = wired().await;
    remove_key::<Secret>(&c, "mcp-secrets", "db-password").await;
    let intent = Intent::new("high error rate", "test").unwrap();
    let ctx = Context::new("investigate_error_rate", intent, Arc::new(SystemClock));
    let backends = ErrorRateBackends {
        config: Some(&k),
        ..ErrorRateBackends::default()
    };
    let report = investigate_error_rate(&ctx, &backends, &ErrorRateInput::runbook())
        .await
        .unwrap();
    let want = "deployment/mcp-typescript-api: secret/mcp-secrets has no key db-password";
    let finding = report
        .findings
        .iter()
        .find(|f| f.check == Check::Configuration)
        .unwrap();
    assert_eq!(finding.status, HealthStatus::Unhealthy, "{finding:?}");
    assert!(
        finding.evidence.iter().any(|e| e.detail == want),
        "{finding:?}"
    );
    let problems = report
        .diagnoses
        .iter()
        .find_map(|d| match &d.cause {
            Cause::Configuration { problems } => Some(problems.clone()),
            _ => None,
        })
        .unwrap();
    assert!(problems.iter().any(|p| p == want), "{problems:?}");
}

/// The verb and `group/resource` a logged namespaced GET needs (`None`: not namespaced).
fn needed(path: &str) -> Option<(String, String, &'static str)> {
    let parts: Vec<&str> = path.trim_matches('/').split('/').collect();
    let (group, rest) = match *parts.first()? {
        "api" => (String::new(), parts.get(2..)?),
        "apis" => (parts.get(1)?.to_string(), parts.get(3..)?),
        _ => return None,
    };
    match rest {
        ["namespaces", _, r] => Some((group, (*r).to_owned(), "list")),
        ["namespaces", _, r, _] => Some((group, (*r).to_owned(), "get")),
        _ => None,
    }
}

#[tokio::test]
async fn deploy_rbac_grants_every_request_of_the_check() {
    let text =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/deploy/rbac-sdk.yaml"))
            .unwrap();
    let docs: Vec<Value> = serde_saphyr::from_str_multiple(&text).unwrap();
    let rules = docs
        .iter()
        .find(|d| d["kind"] == "ClusterRole" && d["metadata"]["name"] == "mcp-ops")
        .unwrap()["rules"]
        .as_array()
        .unwrap()
        .clone();
    let has = |v: &Value, x: &str| v.as_array().unwrap().iter().any(|y| y == x);
    let (c, k) = wired().await;
    remove_key::<Secret>(&c, "mcp-secrets", "db-password").await;
    let before = c.faults().counts();
    assert_eq!(k.problems(&ns()).await.unwrap().len(), 4);
    let mine: Vec<String> = c
        .faults()
        .counts()
        .into_iter()
        .filter(|(key, n)| before.get(key) != Some(n))
        .map(|(key, _)| key)
        .collect();
    assert!(mine.len() >= 4, "{mine:?}");
    for key in &mine {
        let (method, path) = key.split_once(' ').unwrap();
        assert_eq!(method, "GET", "{key}: the check only reads");
        let path = path.split('?').next().unwrap();
        let (group, resource, verb) = needed(path).unwrap_or_else(|| panic!("{key}"));
        assert!(
            rules.iter().any(|r| has(&r["apiGroups"], &group)
                && has(&r["resources"], &resource)
                && has(&r["verbs"], verb)),
            "{key} needs {verb} on {group}/{resource}"
        );
    }
}
