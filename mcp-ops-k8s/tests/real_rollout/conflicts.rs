//! 409 conflicts from a concurrent writer: a writer does read-modify-write updates (PUT at the
//! resourceVersion it read, a counter incremented each time) of the same object in a tight
//! loop while the backend makes its own read-modify-write calls. Each backend call must
//! succeed (re-reading) or fail with a typed `Conflict`; the final object must hold every
//! update the writer was told succeeded and the effect of every backend call that succeeded.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::autoscaling::v2::HorizontalPodAutoscaler;
use kube::api::{Api, PostParams};
use mcp_ops_core::scale::AutoscalerBounds;
use mcp_ops_core::types::{Quantity, Replicas, ResourceList, ResourceRequirements};
use mcp_ops_core::{Deployer, Error, Result, Scaler, UndoOutcome};
use serde_json::json;
use tokio::task::JoinHandle;

use crate::real_support::*;

/// The counter the writer increments.
const COUNTER: &str = "writes.test.mcp-ops.io";

/// Where the writer keeps its counter.
#[derive(Clone, Copy)]
enum Field {
    /// In an annotation and a label of the object (same value).
    AnnotationAndLabel,
    /// In a label only.
    Label,
}

fn counter_of(meta: &kube::api::ObjectMeta, field: Field) -> u64 {
    let read = |m: &Option<BTreeMap<String, String>>| {
        m.as_ref()
            .and_then(|m| m.get(COUNTER))
            .map_or(0, |v| v.parse().unwrap())
    };
    match field {
        Field::AnnotationAndLabel => {
            let (a, l) = (read(&meta.annotations), read(&meta.labels));
            assert_eq!(a, l, "the annotation and the label were written together");
            a
        }
        Field::Label => read(&meta.labels),
    }
}

fn set_counter(meta: &mut kube::api::ObjectMeta, field: Field, n: u64) {
    let v = n.to_string();
    if matches!(field, Field::AnnotationAndLabel) {
        meta.annotations
            .get_or_insert_with(Default::default)
            .insert(COUNTER.into(), v.clone());
    }
    meta.labels
        .get_or_insert_with(Default::default)
        .insert(COUNTER.into(), v);
}

/// A writer of its own; returns how many of its updates the API server accepted.
struct Writer {
    stop: Arc<AtomicBool>,
    task: JoinHandle<u64>,
}

impl Writer {
    /// A writer of `name` keeping its counter in `field`, pausing `pause` between updates.
    fn deployment(
        api: Api<Deployment>,
        name: &'static str,
        field: Field,
        pause: std::time::Duration,
    ) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let task = tokio::spawn(async move {
            let mut accepted = 0;
            while !flag.load(Ordering::Relaxed) {
                let mut d = api.get(name).await.unwrap();
                let n = counter_of(&d.metadata, field);
                set_counter(&mut d.metadata, field, n + 1);
                match api.replace(name, &PostParams::default(), &d).await {
                    Ok(_) => accepted += 1,
                    Err(kube::Error::Api(s)) if s.code == 409 => {}
                    Err(e) => panic!("writer: {e}"),
                }
                tokio::time::sleep(pause).await;
            }
            accepted
        });
        Self { stop, task }
    }

    /// Raises `spec.minReplicas` by one per update, at most 500 times (the SDK's replicas
    /// stop at 1000).
    fn hpa(api: Api<HorizontalPodAutoscaler>, name: &'static str) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let task = tokio::spawn(async move {
            let mut accepted = 0;
            while !flag.load(Ordering::Relaxed) && accepted < 500 {
                let mut h = api.get(name).await.unwrap();
                let spec = h.spec.as_mut().unwrap();
                spec.min_replicas = Some(spec.min_replicas.unwrap_or(1) + 1);
                match api.replace(name, &PostParams::default(), &h).await {
                    Ok(_) => accepted += 1,
                    Err(kube::Error::Api(s)) if s.code == 409 => {}
                    Err(e) => panic!("writer: {e}"),
                }
            }
            accepted
        });
        Self { stop, task }
    }

    async fn finish(self) -> u64 {
        self.stop.store(true, Ordering::Relaxed);
        self.task.await.unwrap()
    }
}

/// A backend call's outcome under contention: its value, or `None` for a typed Conflict.
fn succeeded_or_conflict<T: std::fmt::Debug>(what: &str, r: Result<T>) -> Option<T> {
    match r {
        Ok(v) => Some(v),
        Err(Error::Conflict { .. }) => {
            eprintln!("{what}: typed Conflict");
            None
        }
        Err(e) => panic!("{what}: neither success nor a typed Conflict: {e:?}"),
    }
}

fn resources(cpu_m: u64, mem_mi: u64) -> ResourceRequirements {
    let q = |s: String| Some(Quantity::parse(&s).unwrap());
    ResourceRequirements::new(
        ResourceList {
            cpu: q(format!("{cpu_m}m")),
            memory: q(format!("{mem_mi}Mi")),
        },
        ResourceList {
            cpu: q(format!("{}m", cpu_m * 2)),
            memory: q(format!("{}Mi", mem_mi * 2)),
        },
    )
    .unwrap()
}

#[tokio::test]
async fn deployment_writes_race_a_concurrent_writer_without_losing_either() {
    let cp = shared().await;
    let ns = Ns::new(cp, "conflicts").await;
    let mut d = deployment("web", "registry.local/web:v1", 2);
    d["spec"]["template"]["spec"]["containers"][0]["resources"] = json!({
        "requests": {"cpu": "10m", "memory": "16Mi", "ephemeral-storage": "1Gi"}
    });
    create(cp, &ns, d).await;
    let k = cp.cluster(&ns).await.unwrap();
    let t = target(&ns, "web");
    let api = Api::<Deployment>::namespaced(cp.client().await.unwrap(), &ns);

    let writer = Writer::deployment(
        api.clone(),
        "web",
        Field::AnnotationAndLabel,
        std::time::Duration::ZERO,
    );
    let mut resources_now = None;
    let mut image_now = "registry.local/web:v1".to_owned();
    let mut replicas_now = 2;
    for round in 0..8u64 {
        let want = resources(10 + round, 16 + round);
        let r = k
            .set_resources(&t, &container("web"), &want, &intent("resources"))
            .await;
        if succeeded_or_conflict("set_resources", r).is_some() {
            resources_now = Some(want);
        }
        let tag = format!("registry.local/web:v{}", 2 + round % 2);
        let r = k
            .set_image(&t, &container("web"), &image(&tag), &intent("deploy"))
            .await;
        if succeeded_or_conflict("set_image", r).is_some() {
            image_now = tag;
        }
        let n = 2 + (round % 2) as u32;
        let r = k
            .scale(&t, Replicas::new(n).unwrap(), &intent("scale"))
            .await;
        if succeeded_or_conflict("scale", r).is_some() {
            replicas_now = n;
        }
        succeeded_or_conflict("restart", k.restart(&t, &intent("restart")).await);
    }
    let accepted = writer.finish().await;
    assert!(accepted > 0, "the writer never got a write in");

    let d = api.get("web").await.unwrap();
    assert_eq!(
        counter_of(&d.metadata, Field::AnnotationAndLabel),
        accepted,
        "every update the writer was told succeeded is in the object"
    );
    let spec = d.spec.unwrap();
    let c = &spec.template.spec.unwrap().containers[0];
    assert_eq!(c.image.as_deref(), Some(image_now.as_str()));
    assert_eq!(spec.replicas, Some(replicas_now as i32));
    let requests = c.resources.as_ref().unwrap().requests.as_ref().unwrap();
    assert_eq!(requests["ephemeral-storage"].0, "1Gi");
    if let Some(want) = resources_now {
        assert_eq!(
            Scaler::resources(&k, &t, &container("web")).await.unwrap(),
            want
        );
    }
}

#[tokio::test]
async fn undo_races_a_concurrent_writer_without_losing_either() {
    let cp = shared().await;
    let ns = Ns::new(cp, "conflicts-undo").await;
    create(cp, &ns, deployment("web", "registry.local/web:v1", 2)).await;
    let k = cp.cluster(&ns).await.unwrap();
    let t = target(&ns, "web");
    k.set_image(
        &t,
        &container("web"),
        &image("registry.local/web:v2"),
        &intent("deploy v2"),
    )
    .await
    .unwrap();
    k.wait_for_rollout(&t, std::time::Duration::from_secs(120))
        .await
        .unwrap();
    let api = Api::<Deployment>::namespaced(cp.client().await.unwrap(), &ns);

    // kubectl's undo replaces the deployment's annotations with the revision's, so this
    // writer keeps its counter in a label.
    // An undo reads the deployment and its ReplicaSets before it writes; a writer with a
    // short pause still races it without starving it of every attempt.
    let writer = Writer::deployment(
        api.clone(),
        "web",
        Field::Label,
        std::time::Duration::from_millis(20),
    );
    let mut image_now = "registry.local/web:v2".to_owned();
    // Only two templates exist, so every rollback swaps them; an undo that finds the
    // controller's revisions not yet renumbered is Skipped and changes nothing.
    for _ in 0..6 {
        let r = k.undo(&t, None, &intent("undo")).await;
        let done = succeeded_or_conflict("undo", r);
        if done.is_some_and(|r| matches!(r.outcome, UndoOutcome::RolledBack { .. })) {
            eprintln!("undo: rolled back");
            image_now = if image_now.ends_with("v2") {
                "registry.local/web:v1".into()
            } else {
                "registry.local/web:v2".into()
            };
        }
    }
    let accepted = writer.finish().await;
    assert!(accepted > 0, "the writer never got a write in");
    let d = api.get("web").await.unwrap();
    assert_eq!(counter_of(&d.metadata, Field::Label), accepted);
    let image = d.spec.unwrap().template.spec.unwrap().containers[0]
        .image
        .clone()
        .unwrap();
    assert_eq!(image, image_now);
}

#[tokio::test]
async fn autoscaler_bounds_race_a_concurrent_writer_without_losing_either() {
    let cp = shared().await;
    let ns = Ns::new(cp, "conflicts-hpa").await;
    // The HPA targets a deployment that does not exist, so the controller scales nothing.
    let hpa: HorizontalPodAutoscaler = serde_json::from_value(json!({
        "metadata": {"name": "ghost-hpa"},
        "spec": {
            "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "ghost"},
            "minReplicas": 1,
            "maxReplicas": 1000,
        }
    }))
    .unwrap();
    let api = Api::<HorizontalPodAutoscaler>::namespaced(cp.client().await.unwrap(), &ns);
    api.create(&PostParams::default(), &hpa).await.unwrap();
    let k = cp.cluster(&ns).await.unwrap();
    let t = target(&ns, "ghost");

    let writer = Writer::hpa(api.clone(), "ghost-hpa");
    let mut max_now = 1000;
    for round in 0..8 {
        let max = 900 + round;
        let r = k
            .set_autoscaler_bounds(
                &t,
                AutoscalerBounds {
                    min: None,
                    max: Some(Replicas::new(max).unwrap()),
                },
                &intent("raise max"),
            )
            .await;
        if succeeded_or_conflict("set_autoscaler_bounds", r).is_some() {
            max_now = max;
        }
    }
    let accepted = writer.finish().await;
    let h = api.get("ghost-hpa").await.unwrap();
    let spec = h.spec.unwrap();
    assert_eq!(
        spec.min_replicas,
        Some(1 + accepted as i32),
        "every minReplicas the writer set is kept"
    );
    assert_eq!(spec.max_replicas, max_now as i32);
}
