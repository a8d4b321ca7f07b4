//! kube::Client over real HTTP against a SimCluster: typed API calls, errors, watches, faults.
#![cfg(feature = "sim")]
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use futures::{StreamExt, TryStreamExt};
use k8s_openapi::api::apps::v1::{Deployment, ReplicaSet};
use k8s_openapi::api::core::v1::{ConfigMap, Pod};
use kube::api::{Api, DeleteParams, ListParams, Patch, PatchParams, PostParams};
use kube::runtime::{WatchStreamExt, watcher};
use mcp_ops_k8s::sim::{FaultRule, Scenario, SimCluster};
use serde_json::json;
use std::collections::BTreeSet;
use std::time::Duration;

const NS: &str = "mcp-production";

fn api_code(e: &kube::Error) -> u16 {
    match e {
        kube::Error::Api(s) => s.code,
        other => panic!("expected an API error, got {other:?}"),
    }
}

#[tokio::test]
async fn typed_get_list_and_status_errors() {
    let c = SimCluster::start(Scenario::mcp_production()).await.unwrap();
    let deploys: Api<Deployment> = Api::namespaced(c.client().unwrap(), NS);
    let list = deploys.list(&ListParams::default()).await.unwrap();
    let names: Vec<_> = list
        .items
        .iter()
        .filter_map(|d| d.metadata.name.clone())
        .collect();
    assert_eq!(
        names,
        [
            "mcp-learning-system",
            "mcp-rust-server",
            "mcp-typescript-api"
        ]
    );
    let d = deploys.get("mcp-typescript-api").await.unwrap();
    let container = &d
        .spec
        .as_ref()
        .unwrap()
        .template
        .spec
        .as_ref()
        .unwrap()
        .containers[0];
    assert_eq!(container.name, "mcp-typescript-api");
    assert_eq!(
        container.image.as_deref(),
        Some("ghcr.io/your-org/mcp-typescript-server:v1.0.0")
    );
    assert_eq!(d.status.as_ref().unwrap().available_replicas, Some(3));

    let missing = deploys.get("nope").await.unwrap_err();
    assert_eq!(api_code(&missing), 404);
    let pods: Api<Pod> = Api::namespaced(c.client().unwrap(), NS);
    let sel = pods
        .list(&ListParams::default().labels("app in (mcp-rust-server, mcp-learning-system)"))
        .await
        .unwrap();
    assert_eq!(sel.items.len(), 5);
    let by_name = pods
        .list(&ListParams::default().fields("metadata.name=redis-0"))
        .await
        .unwrap();
    assert_eq!(by_name.items.len(), 1);
    let page = pods.list(&ListParams::default().limit(4)).await.unwrap();
    assert_eq!(page.items.len(), 4);
    let rest = pods
        .list(
            &ListParams::default()
                .limit(100)
                .continue_token(page.metadata.continue_.as_deref().unwrap()),
        )
        .await
        .unwrap();
    assert_eq!(page.items.len() + rest.items.len(), 10);
}

#[tokio::test]
async fn optimistic_concurrency_and_generation() {
    let c = SimCluster::start(Scenario::mcp_production().manual_controllers())
        .await
        .unwrap();
    let deploys: Api<Deployment> = Api::namespaced(c.client().unwrap(), NS);
    let d = deploys.get("mcp-rust-server").await.unwrap();
    let g = d.metadata.generation.unwrap();
    let mut changed = d.clone();
    changed.spec.as_mut().unwrap().replicas = Some(4);
    let saved = deploys
        .replace("mcp-rust-server", &PostParams::default(), &changed)
        .await
        .unwrap();
    assert_eq!(saved.metadata.generation, Some(g + 1));
    let stale = deploys
        .replace("mcp-rust-server", &PostParams::default(), &changed)
        .await
        .unwrap_err();
    assert_eq!(api_code(&stale), 409);
    let dup = deploys
        .create(&PostParams::default(), &d)
        .await
        .unwrap_err();
    assert_eq!(api_code(&dup), 409);
    let labels_only = deploys
        .patch(
            "mcp-rust-server",
            &PatchParams::default(),
            &Patch::Merge(json!({"metadata": {"labels": {"team": "core"}}})),
        )
        .await
        .unwrap();
    assert_eq!(
        labels_only.metadata.generation,
        Some(g + 1),
        "metadata changes keep the generation"
    );
}

#[tokio::test]
async fn patch_types_and_dry_run() {
    let c = SimCluster::start(Scenario::mcp_production().manual_controllers())
        .await
        .unwrap();
    let deploys: Api<Deployment> = Api::namespaced(c.client().unwrap(), NS);
    let smp = json!({"spec": {"template": {"spec": {"containers": [{"name": "mcp-typescript-api", "env": [{"name": "A", "value": "1"}]}]}}}});
    let d = deploys
        .patch(
            "mcp-typescript-api",
            &PatchParams::default(),
            &Patch::Strategic(smp),
        )
        .await
        .unwrap();
    let ct = &d.spec.unwrap().template.spec.unwrap().containers[0];
    assert_eq!(
        ct.image.as_deref(),
        Some("ghcr.io/your-org/mcp-typescript-server:v1.0.0")
    );
    // Strategic merge adds to the list by name; the scenario's own variables stay.
    let env: Vec<&str> = ct
        .env
        .as_ref()
        .unwrap()
        .iter()
        .map(|e| e.name.as_str())
        .collect();
    assert_eq!(env, ["DB_PASSWORD", "JWT_SECRET", "A"]);
    // JSON patch (the `rollout undo` path) is covered by kubectl_compat; kube's Patch::Json
    // needs kube's `jsonpatch` feature, which the workspace does not enable.
    let d = deploys
        .patch(
            "mcp-typescript-api",
            &PatchParams::default(),
            &Patch::Merge(json!({"spec": {"replicas": 7}})),
        )
        .await
        .unwrap();
    assert_eq!(d.spec.unwrap().replicas, Some(7));
    let dry = PatchParams {
        dry_run: true,
        ..PatchParams::default()
    };
    let d = deploys
        .patch(
            "mcp-typescript-api",
            &dry,
            &Patch::Merge(json!({"spec": {"replicas": 1}})),
        )
        .await
        .unwrap();
    assert_eq!(d.spec.unwrap().replicas, Some(1));
    assert_eq!(
        deploys
            .get("mcp-typescript-api")
            .await
            .unwrap()
            .spec
            .unwrap()
            .replicas,
        Some(7)
    );
    let scale = deploys.get_scale("mcp-typescript-api").await.unwrap();
    assert_eq!(scale.spec.unwrap().replicas, Some(7));
    let bad = deploys
        .patch(
            "mcp-typescript-api",
            &PatchParams::default(),
            &Patch::Merge(json!({"spec": {"replicas": -1}})),
        )
        .await
        .unwrap_err();
    assert_eq!(api_code(&bad), 422);
}

#[tokio::test]
async fn step_mode_is_deterministic_and_gc_collects_dependents() {
    let c = SimCluster::start(Scenario::mcp_production().manual_controllers())
        .await
        .unwrap();
    let deploys: Api<Deployment> = Api::namespaced(c.client().unwrap(), NS);
    deploys
        .patch(
            "mcp-rust-server",
            &PatchParams::default(),
            &Patch::Merge(json!({"spec": {"replicas": 5}})),
        )
        .await
        .unwrap();
    assert_eq!(
        c.list("v1", "Pod", Some(NS))
            .iter()
            .filter(|p| p["metadata"]["name"]
                .as_str()
                .unwrap()
                .starts_with("mcp-rust-server-"))
            .count(),
        3
    );
    assert!(c.step() > 0);
    assert_eq!(c.step(), 0, "settled");
    let d = deploys.get("mcp-rust-server").await.unwrap();
    assert_eq!(d.status.unwrap().ready_replicas, Some(5));
    deploys
        .delete("mcp-rust-server", &DeleteParams::background())
        .await
        .unwrap();
    c.step();
    let rs: Api<ReplicaSet> = Api::namespaced(c.client().unwrap(), NS);
    let left = rs
        .list(&ListParams::default().labels("app=mcp-rust-server"))
        .await
        .unwrap();
    assert!(left.items.is_empty());
    let pods: Api<Pod> = Api::namespaced(c.client().unwrap(), NS);
    assert!(
        pods.list(&ListParams::default().labels("app=mcp-rust-server"))
            .await
            .unwrap()
            .items
            .is_empty()
    );
}

#[tokio::test]
async fn watcher_sees_every_change_across_dropped_watches() {
    let c = SimCluster::start(Scenario::mcp_production()).await.unwrap();
    c.faults().set_watch_drop_after(Some(2));
    let cms: Api<ConfigMap> = Api::namespaced(c.client().unwrap(), NS);
    let stream = watcher(cms.clone(), watcher::Config::default()).applied_objects();
    let mut stream = Box::pin(stream);
    let writer = tokio::spawn(async move {
        for i in 0..8 {
            let cm: ConfigMap = serde_json::from_value(
                json!({"metadata": {"name": format!("cm-{i}")}, "data": {"i": i.to_string()}}),
            )
            .unwrap();
            cms.create(&PostParams::default(), &cm).await.unwrap();
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    });
    let mut seen = BTreeSet::new();
    // mcp-config, kube-root-ca.crt (in every namespace) and the 8 written.
    while seen.len() < 10 {
        let cm = tokio::time::timeout(Duration::from_secs(20), stream.try_next())
            .await
            .unwrap()
            .unwrap()
            .unwrap();
        seen.insert(cm.metadata.name.unwrap());
    }
    writer.await.unwrap();
    assert!(seen.contains("mcp-config") && seen.contains("cm-7"));
    let watches = c
        .faults()
        .counts()
        .iter()
        .filter(|(k, _)| k.contains("configmaps"))
        .map(|(_, v)| *v)
        .sum::<u64>();
    assert!(watches > 2, "the watcher had to reconnect");
}

#[tokio::test]
async fn injected_faults_and_bearer_token() {
    let c = SimCluster::start(Scenario::empty().bearer_token("s3cr3t"))
        .await
        .unwrap();
    let cms: Api<ConfigMap> = Api::namespaced(c.client().unwrap(), "default");
    // Only the kube-root-ca.crt every namespace gets.
    assert!(
        cms.list(&ListParams::default())
            .await
            .unwrap()
            .items
            .iter()
            .all(|c| c.metadata.name.as_deref() == Some("kube-root-ca.crt"))
    );
    c.faults()
        .add(FaultRule::status("GET", "/configmaps", 500).times(1));
    assert_eq!(
        api_code(&cms.list(&ListParams::default()).await.unwrap_err()),
        500
    );
    assert!(
        cms.list(&ListParams::default()).await.is_ok(),
        "the rule applied once"
    );
    // kube retries 503 by itself: two injected 503s are absorbed, and the server saw 3 requests.
    let before = c
        .faults()
        .counts()
        .get("GET /api/v1/namespaces/default/configmaps")
        .copied()
        .unwrap_or(0);
    c.faults()
        .add(FaultRule::status("GET", "/configmaps", 503).times(2));
    assert!(cms.list(&ListParams::default()).await.is_ok());
    let after = c
        .faults()
        .counts()
        .get("GET /api/v1/namespaces/default/configmaps")
        .copied()
        .unwrap_or(0);
    assert_eq!(after - before, 3);
    let raw = reqwest_free_get(c.url(), "/api/v1/namespaces/default/configmaps").await;
    assert!(raw.starts_with("HTTP/1.1 401"), "{raw}");
}

/// A plain HTTP/1.1 GET without credentials, returning the raw response head.
async fn reqwest_free_get(url: &str, path: &str) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let addr = url.trim_start_matches("http://");
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    s.write_all(
        format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n").as_bytes(),
    )
    .await
    .unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).await.unwrap();
    out
}

#[tokio::test]
async fn watch_stream_replays_from_resource_version() {
    let c = SimCluster::start(Scenario::empty().manual_controllers())
        .await
        .unwrap();
    let cms: Api<ConfigMap> = Api::namespaced(c.client().unwrap(), "default");
    let rv = cms
        .list(&ListParams::default())
        .await
        .unwrap()
        .metadata
        .resource_version
        .unwrap();
    for i in 0..3 {
        let cm: ConfigMap =
            serde_json::from_value(json!({"metadata": {"name": format!("r-{i}")}})).unwrap();
        cms.create(&PostParams::default(), &cm).await.unwrap();
    }
    cms.delete("r-1", &DeleteParams::default()).await.unwrap();
    let wp = kube::api::WatchParams::default().timeout(2);
    let events: Vec<_> = cms.watch(&wp, &rv).await.unwrap().take(4).collect().await;
    let kinds: Vec<String> = events
        .into_iter()
        .map(|e| match e.unwrap() {
            kube::api::WatchEvent::Added(o) => format!("ADDED {}", o.metadata.name.unwrap()),
            kube::api::WatchEvent::Deleted(o) => format!("DELETED {}", o.metadata.name.unwrap()),
            other => format!("{other:?}"),
        })
        .collect();
    assert_eq!(
        kinds,
        ["ADDED r-0", "ADDED r-1", "ADDED r-2", "DELETED r-1"]
    );
}

#[tokio::test]
async fn watch_from_a_compacted_version_gets_410_and_the_watcher_recovers() {
    let c = SimCluster::start(Scenario::empty().manual_controllers().watch_cache(5))
        .await
        .unwrap();
    let cms: Api<ConfigMap> = Api::namespaced(c.client().unwrap(), "default");
    let rv = cms
        .list(&ListParams::default())
        .await
        .unwrap()
        .metadata
        .resource_version
        .unwrap();
    for i in 0..10 {
        let cm: ConfigMap =
            serde_json::from_value(json!({"metadata": {"name": format!("g-{i}")}})).unwrap();
        cms.create(&PostParams::default(), &cm).await.unwrap();
    }
    let events = cms
        .watch(&kube::api::WatchParams::default().timeout(2), &rv)
        .await
        .unwrap();
    let first = Box::pin(events).next().await;
    match first {
        Some(Ok(kube::api::WatchEvent::Error(e))) => {
            assert_eq!((e.code, e.reason.as_str()), (410, "Expired"))
        }
        other => panic!("expected a 410 ERROR event, got {other:?}"),
    }
    // The runtime watcher relists and sees everything.
    let mut stream = Box::pin(watcher(cms, watcher::Config::default()).applied_objects());
    let mut seen = BTreeSet::new();
    while seen.len() < 10 {
        let cm = tokio::time::timeout(Duration::from_secs(10), stream.try_next())
            .await
            .unwrap()
            .unwrap()
            .unwrap();
        seen.insert(cm.metadata.name.unwrap());
    }
}

#[tokio::test]
async fn yaml_manifests_load_into_scenarios_and_running_clusters() {
    let yaml = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: 2\n  selector:\n    matchLabels: {app: web}\n  template:\n    metadata:\n      labels: {app: web}\n    spec:\n      containers:\n      - name: web\n        image: nginx:1.25\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: web-cfg}\ndata: {a: \"1\"}\n";
    let c = SimCluster::start(Scenario::from_manifests(yaml).unwrap().manual_controllers())
        .await
        .unwrap();
    let deploys: Api<Deployment> = Api::default_namespaced(c.client().unwrap());
    assert_eq!(
        deploys
            .get("web")
            .await
            .unwrap()
            .status
            .unwrap()
            .available_replicas,
        Some(2)
    );
    let more = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: extra}\n";
    assert_eq!(c.apply_manifests(more).unwrap(), 1);
    let cms: Api<ConfigMap> = Api::default_namespaced(c.client().unwrap());
    assert_eq!(
        cms.list(&ListParams::default()).await.unwrap().items.len(),
        3,
        "the manifests' config map, extra and kube-root-ca.crt"
    );
    assert!(c.apply_manifests("kind: [").is_err());
}

#[tokio::test]
async fn dropping_the_cluster_ends_open_watches() {
    let c = SimCluster::start(Scenario::empty()).await.unwrap();
    let cms: Api<ConfigMap> = Api::namespaced(c.client().unwrap(), "default");
    let rv = cms
        .list(&ListParams::default())
        .await
        .unwrap()
        .metadata
        .resource_version
        .unwrap();
    let mut events = Box::pin(
        cms.watch(&kube::api::WatchParams::default().timeout(290), &rv)
            .await
            .unwrap(),
    );
    drop(c);
    let end = tokio::time::timeout(Duration::from_secs(10), async {
        while let Some(Ok(_)) = events.next().await {}
    })
    .await;
    assert!(end.is_ok(), "the watch stream ended");
}

fn pod_state(p: &Pod) -> (String, i32, Option<String>) {
    let cs = &p
        .status
        .as_ref()
        .unwrap()
        .container_statuses
        .as_ref()
        .unwrap()[0];
    let waiting = cs
        .state
        .as_ref()
        .and_then(|s| s.waiting.as_ref())
        .and_then(|w| w.reason.clone())
        .unwrap_or_default();
    let last = cs
        .last_state
        .as_ref()
        .and_then(|s| s.terminated.as_ref())
        .and_then(|t| t.reason.clone());
    (waiting, cs.restart_count, last)
}

#[tokio::test]
async fn image_rules_crash_loop_oom_and_failing_jobs() {
    let s = Scenario::mcp_production()
        .manual_controllers()
        .fail_image(":crash", mcp_ops_k8s::sim::ImageFailure::CrashLoop)
        .fail_image(":oom", mcp_ops_k8s::sim::ImageFailure::OomKilled)
        .fail_image("postgres:15", mcp_ops_k8s::sim::ImageFailure::JobFails);
    let c = SimCluster::start(s).await.unwrap();
    let client = c.client().unwrap();
    let deploys: Api<Deployment> = Api::namespaced(client.clone(), NS);
    let pods: Api<Pod> = Api::namespaced(client.clone(), NS);
    for (name, tag) in [("mcp-rust-server", "crash"), ("mcp-learning-system", "oom")] {
        let patch = json!({"spec": {"template": {"spec": {"containers": [{"name": name, "image": format!("r/{name}:{tag}")}]}}}});
        deploys
            .patch(name, &PatchParams::default(), &Patch::Strategic(patch))
            .await
            .unwrap();
    }
    c.step();
    let crash = pods
        .list(&ListParams::default().labels("app=mcp-rust-server"))
        .await
        .unwrap();
    let bad: Vec<_> = crash
        .items
        .iter()
        .map(pod_state)
        .filter(|s| s.0 == "CrashLoopBackOff")
        .collect();
    assert_eq!(
        bad.len(),
        1,
        "one surge pod crash-loops, the old ones keep running"
    );
    assert_eq!(bad[0].2.as_deref(), Some("Error"));
    let oom = pods
        .list(&ListParams::default().labels("app=mcp-learning-system"))
        .await
        .unwrap();
    assert!(
        oom.items
            .iter()
            .map(pod_state)
            .any(|s| s.0 == "CrashLoopBackOff" && s.2.as_deref() == Some("OOMKilled"))
    );
    c.advance_clock(Duration::from_secs(60));
    c.step();
    let later = pods
        .list(&ListParams::default().labels("app=mcp-rust-server"))
        .await
        .unwrap();
    let restarts = later
        .items
        .iter()
        .map(pod_state)
        .filter(|s| s.0 == "CrashLoopBackOff")
        .map(|s| s.1)
        .max();
    assert!(restarts > Some(1), "restartCount grows: {restarts:?}");

    // The postgres-backup job's pods fail until the backoff limit (2) is exceeded.
    let cj = c.get("batch/v1", "CronJob", NS, "postgres-backup").unwrap();
    let job = json!({"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "manual-1", "namespace": NS},
        "spec": cj["spec"]["jobTemplate"]["spec"].clone()});
    c.create_object(job).unwrap();
    c.step();
    let j = c.get("batch/v1", "Job", NS, "manual-1").unwrap();
    assert_eq!(j["status"]["failed"], 3);
    let failed = j["status"]["conditions"]
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c["type"] == "Failed" && c["reason"] == "BackoffLimitExceeded");
    assert!(failed, "{j}");
}

#[tokio::test]
async fn generate_name_delete_collection_and_orphan_propagation() {
    let c = SimCluster::start(Scenario::mcp_production().manual_controllers())
        .await
        .unwrap();
    let client = c.client().unwrap();
    let cms: Api<ConfigMap> = Api::namespaced(client.clone(), NS);
    for _ in 0..3 {
        let cm: ConfigMap = serde_json::from_value(
            json!({"metadata": {"generateName": "tmp-", "labels": {"tmp": "yes"}}}),
        )
        .unwrap();
        let made = cms.create(&PostParams::default(), &cm).await.unwrap();
        let name = made.metadata.name.unwrap();
        assert!(name.starts_with("tmp-") && name.len() == 9, "{name}");
    }
    let gone = cms
        .delete_collection(
            &DeleteParams::default(),
            &ListParams::default().labels("tmp=yes"),
        )
        .await
        .unwrap();
    assert_eq!(gone.left().map(|l| l.items.len()), Some(3));
    assert_eq!(
        cms.list(&ListParams::default()).await.unwrap().items.len(),
        2,
        "mcp-config and kube-root-ca.crt (every namespace has it) stay"
    );

    let deploys: Api<Deployment> = Api::namespaced(client.clone(), NS);
    deploys
        .delete("mcp-learning-system", &DeleteParams::orphan())
        .await
        .unwrap();
    c.step();
    let rss: Api<ReplicaSet> = Api::namespaced(client, NS);
    let left = rss
        .list(&ListParams::default().labels("app=mcp-learning-system"))
        .await
        .unwrap();
    assert_eq!(
        left.items.len(),
        3,
        "orphaned ReplicaSets survive the garbage collector"
    );
    assert!(left.items.iter().all(|r| {
        r.metadata
            .owner_references
            .as_ref()
            .is_none_or(Vec::is_empty)
    }));
}
