//! The mcp-ops backends (`KubeCluster`) on both sides: the same calls, the typed results (or
//! errors) compared after normalisation — what the SDK's users see of the simulator.

use std::time::Duration;

use mcp_ops_core::backup::{BackupKind, BackupRequest};
use mcp_ops_core::health::ClusterScope;
use mcp_ops_core::runbook::investigate_error_rate::ConfigCheck;
use mcp_ops_core::scale::AutoscalerBounds;
use mcp_ops_core::types::{
    ContainerName, DeploymentRef, ImageRef, Intent, Namespace, Replicas, ResourceName, Revision,
};
use mcp_ops_core::{Deployer, HealthCheck, HealthTarget, Scaler};
use mcp_ops_k8s::CronJobBackups;
use serde::Serialize;
use serde_json::{Value, json};

use super::compare::Checks;
use super::pair::{Pair, Side};

fn api(side: &Side) -> DeploymentRef {
    DeploymentRef::new(&side.ns, "mcp-typescript-api").unwrap()
}

fn ns(side: &Side) -> Namespace {
    Namespace::new(side.ns.clone()).unwrap()
}

fn container() -> ContainerName {
    ContainerName::new("mcp-typescript-api").unwrap()
}

fn intent() -> Intent {
    Intent::new("sim-vs-real", "test").unwrap()
}

/// A call's result as JSON: the value, or `{"error": <message>}`.
fn outcome<T: Serialize>(r: mcp_ops_core::Result<T>) -> Value {
    match r {
        Ok(v) => serde_json::to_value(v).unwrap_or(Value::Null),
        Err(e) => json!({"error": e.to_string()}),
    }
}

/// Evaluates `$call` (an expression over `$side`) on both sides and records a difference of
/// the normalised results under `$what`; `$keep` first takes out what the environments make
/// differ (see each use).
macro_rules! same {
    ($p:expr, $c:expr, $what:expr, |$side:ident| $call:expr) => {
        same!($p, $c, $what, |$side| $call, |v: Value| v)
    };
    ($p:expr, $c:expr, $what:expr, |$side:ident| $call:expr, $keep:expr) => {{
        let (s, r) = tokio::join!(
            async {
                let $side = &$p.sim;
                outcome($call.await)
            },
            async {
                let $side = &$p.real;
                outcome($call.await)
            }
        );
        let norms = $p.norms().await;
        let keep = $keep;
        $c.json($what, &norms.0.object(&keep(s)), &norms.1.object(&keep(r)));
    }};
}

/// Without the counts only metrics decide (the control plane has no metrics-server: its HPAs
/// report 0 current and desired replicas until they have a metric; known.rs).
fn without_hpa_counts(mut v: Value) -> Value {
    if let Some(m) = v.as_object_mut() {
        m.remove("current");
        m.remove("desired");
    }
    v
}

/// Only the nodes' names: what is requested on them depends on the other tests sharing the
/// control plane, and their sizes on how it was started.
fn node_names_only(v: Value) -> Value {
    let nodes: Vec<Value> = v
        .as_array()
        .into_iter()
        .flatten()
        .map(|n| json!({"node": n["node"]}))
        .collect();
    Value::Array(nodes)
}

/// Without how long the check took and what the environments cause: the metrics observation
/// and the HPAs' warnings about missing metrics (known.rs), and pods that waited for room
/// (`FailedScheduling`) on the nodes other tests share; the count of warnings goes with them.
fn without_latency_and_metrics(mut v: Value) -> Value {
    if let Some(m) = v.as_object_mut() {
        m.remove("latency");
    }
    let environmental = [
        "FailedScheduling ",
        "FailedGetResourceMetric ",
        "FailedComputeMetricsReplicas ",
    ];
    if let Some(obs) = v.get_mut("observed").and_then(Value::as_array_mut) {
        obs.retain(|o| {
            let text = o["value"]["value"].as_str().unwrap_or_default();
            o["name"] != "metrics_served"
                && o["name"] != "warning_events"
                && !(o["name"] == "warning" && environmental.iter().any(|r| text.starts_with(r)))
        });
    }
    v
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deployer_reads_and_rollouts() {
    let p = Pair::new("svr-backend-deploy").await;
    let mut c = Checks::default();
    same!(p, c, "deployments", |s| s.cluster.deployments(&ns(s)));
    same!(p, c, "deployment", |s| s.cluster.deployment(&api(s)));
    same!(p, c, "rollout_status", |s| s
        .cluster
        .rollout_status(&api(s)));
    same!(p, c, "history", |s| s.cluster.history(&api(s)));
    let image = ImageRef::parse("ghcr.io/your-org/mcp-typescript-server:v1.0.1").unwrap();
    same!(p, c, "set_image", |s| s.cluster.set_image(
        &api(s),
        &container(),
        &image,
        &intent()
    ));
    same!(p, c, "wait_for_rollout", |s| s
        .cluster
        .wait_for_rollout(&api(s), Duration::from_secs(120)));
    same!(p, c, "history after set_image", |s| s
        .cluster
        .history(&api(s)));
    same!(p, c, "undo", |s| s.cluster.undo(&api(s), None, &intent()));
    same!(p, c, "wait after undo", |s| s
        .cluster
        .wait_for_rollout(&api(s), Duration::from_secs(120)));
    same!(p, c, "history after undo", |s| s.cluster.history(&api(s)));
    let one = Revision::new(1).unwrap();
    same!(p, c, "undo to 1", |s| s.cluster.undo(
        &api(s),
        Some(one),
        &intent()
    ));
    same!(p, c, "wait after undo to 1", |s| s
        .cluster
        .wait_for_rollout(&api(s), Duration::from_secs(120)));
    let nine = Revision::new(9).unwrap();
    same!(p, c, "undo to a missing revision", |s| s.cluster.undo(
        &api(s),
        Some(nine),
        &intent()
    ));
    same!(p, c, "restart", |s| s.cluster.restart(&api(s), &intent()));
    same!(p, c, "wait after restart", |s| s
        .cluster
        .wait_for_rollout(&api(s), Duration::from_secs(120)));
    same!(p, c, "pause", |s| s.cluster.set_paused(
        &api(s),
        true,
        &intent()
    ));
    same!(p, c, "rollout_status paused", |s| s
        .cluster
        .rollout_status(&api(s)));
    same!(p, c, "undo paused", |s| s.cluster.undo(
        &api(s),
        None,
        &intent()
    ));
    same!(p, c, "resume", |s| s.cluster.set_paused(
        &api(s),
        false,
        &intent()
    ));
    same!(p, c, "final history", |s| s.cluster.history(&api(s)));
    c.done();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scaler_health_and_configuration() {
    let p = Pair::new("svr-backend-scale").await;
    let mut c = Checks::default();
    same!(p, c, "replicas", |s| s.cluster.replicas(&api(s)));
    same!(
        p,
        c,
        "autoscaler",
        |s| s.cluster.autoscaler(&api(s)),
        without_hpa_counts
    );
    let rust = |s: &Side| DeploymentRef::new(&s.ns, "mcp-rust-server").unwrap();
    same!(p, c, "scale an autoscaled deployment", |s| s.cluster.scale(
        &rust(s),
        Replicas::new(5).unwrap(),
        &intent()
    ));
    let bounds = AutoscalerBounds {
        min: Some(Replicas::new(4).unwrap()),
        max: Some(Replicas::new(12).unwrap()),
    };
    same!(p, c, "set_autoscaler_bounds", |s| s
        .cluster
        .set_autoscaler_bounds(&api(s), bounds, &intent()));
    // Both HPA controllers bring the deployment up to the new minimum.
    let (s, r) = p
        .both(&[
            "wait",
            "--for=jsonpath={.status.availableReplicas}=4",
            "deployment/mcp-typescript-api",
            "--timeout=60s",
        ])
        .await;
    s.ok();
    r.ok();
    same!(p, c, "resources", |s| s
        .cluster
        .resources(&api(s), &container()));
    same!(
        p,
        c,
        "node_capacity",
        |s| s.cluster.node_capacity(),
        node_names_only
    );
    same!(
        p,
        c,
        "health",
        |s| s
            .cluster
            .check(&HealthTarget::Cluster(ClusterScope::all(ns(s)))),
        without_latency_and_metrics
    );
    same!(p, c, "config problems", |s| s.cluster.problems(&ns(s)));
    same!(p, c, "secret dependents", |s| s
        .cluster
        .dependents(&ns(s), "mcp-secrets"));
    same!(p, c, "audit", |s| s.cluster.audit(&ns(s)));
    // A backup Job from the CronJob, run to completion; its log tail is compared in known.rs
    // (kwok serves no logs).
    let request = |s: &Side| BackupRequest {
        kind: BackupKind::CronJob {
            namespace: ns(s),
            cronjob: ResourceName::new("postgres-backup").unwrap(),
        },
        label: Some("svr".into()),
    };
    same!(
        p,
        c,
        "cronjob backup",
        |s| async {
            CronJobBackups::new(s.cluster.clone(), vec![ns(s)])
                .run(&request(s), &intent())
                .await
                .map(|run| run.record)
        },
        without_times
    );
    // The configuration backup (Secret values left out).
    let export = |s: &Side| {
        let cluster = s.cluster.clone();
        let namespace = ns(s);
        async move {
            cluster.export_config(&namespace).await.map(|e| {
                json!({"yaml": e.yaml, "objects": e.objects, "secrets_without_values": e.secrets_without_values})
            })
        }
    };
    same!(p, c, "export_config", |s| export(s));
    c.done();
}

/// Without when the backup started and finished (also in its id and Job name).
fn without_times(mut v: Value) -> Value {
    if let Some(m) = v.as_object_mut() {
        m.remove("started");
        m.remove("finished");
        for k in ["id", "location"] {
            if let Some(Value::String(s)) = m.get_mut(k) {
                *s = s.trim_end_matches(|c: char| c.is_ascii_digit()).to_string();
            }
        }
    }
    v
}
