//! Store tests.
#![allow(clippy::unwrap_used, clippy::expect_used)]
use super::*;
use crate::sim::resources::get;
use serde_json::json;

fn store() -> Store {
    let s = Store::new(Arc::new(Clock::default()));
    s.create(
        get("", "namespaces"),
        json!({"metadata": {"name": "ns"}}),
        false,
    )
    .unwrap();
    s
}

#[test]
fn create_sets_metadata_and_rejects_duplicates() {
    let s = store();
    let cm = get("", "configmaps");
    let o = s
        .create(
            cm,
            json!({"metadata": {"name": "a", "namespace": "ns"}}),
            false,
        )
        .unwrap();
    assert_eq!(o["kind"], "ConfigMap");
    assert!(!json::uid(&o).is_empty());
    let e = s
        .create(
            cm,
            json!({"metadata": {"name": "a", "namespace": "ns"}}),
            false,
        )
        .unwrap_err();
    assert_eq!(e.code, 409);
    let e = s
        .create(
            cm,
            json!({"metadata": {"name": "a", "namespace": "nope"}}),
            false,
        )
        .unwrap_err();
    assert_eq!(e.code, 404);
}

#[test]
fn stale_resource_version_conflicts_and_spec_change_bumps_generation() {
    let s = store();
    let d = get("apps", "deployments");
    let o = s
        .create(
            d,
            json!({"metadata": {"name": "w", "namespace": "ns"}, "spec": {"replicas": 1,
                "selector": {"matchLabels": {"app": "w"}},
                "template": {"metadata": {"labels": {"app": "w"}},
                    "spec": {"containers": [{"name": "w", "image": "nginx:1"}]}}}}),
            false,
        )
        .unwrap();
    let mut n = o.clone();
    n["spec"]["replicas"] = json!(2);
    let n = s.update(d, n, Target::Main, false).unwrap();
    assert_eq!(n["metadata"]["generation"], 2);
    let mut stale = o.clone();
    stale["spec"]["replicas"] = json!(3);
    assert_eq!(
        s.update(d, stale, Target::Main, false).unwrap_err().code,
        409
    );
    let mut st = n.clone();
    st["status"] = json!({"replicas": 9});
    let kept = s.update(d, st, Target::Main, false).unwrap();
    assert_eq!(
        kept["status"],
        json!({}),
        "the main resource ignores status"
    );
}

#[test]
fn finalizers_delay_deletion_and_watch_replays() {
    let s = store();
    let cm = get("", "configmaps");
    let rv = s.resource_version();
    let o = s
        .create(
            cm,
            json!({"metadata": {"name": "f", "namespace": "ns", "finalizers": ["x"]}}),
            false,
        )
        .unwrap();
    let d = s
        .delete(cm, "ns", "f", Propagation::Background, false)
        .unwrap();
    assert!(json::deleting(&d));
    assert!(s.get(cm, "ns", "f").is_some());
    let mut cleared = d.clone();
    cleared["metadata"]["finalizers"] = json!([]);
    s.update(cm, cleared, Target::Main, false).unwrap();
    assert!(s.get(cm, "ns", "f").is_none());
    let (past, _) = s.subscribe(rv).unwrap();
    let kinds: Vec<_> = past.iter().map(|c| c.kind).collect();
    assert_eq!(
        kinds,
        vec![EventType::Added, EventType::Modified, EventType::Deleted]
    );
    assert_eq!(json::uid(&past[0].object), json::uid(&o));
}
