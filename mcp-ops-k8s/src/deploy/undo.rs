//! `kubectl rollout undo`, step for step (kubectl `polymorphichelpers/rollback.go`,
//! KUBECTL.md): choose the revision (the second-highest, or exactly `to`), refuse a paused
//! deployment, skip when the template already matches, otherwise a json-patch replacing
//! `/spec/template` (without `pod-template-hash`) and `/metadata/annotations` (the
//! deployment's bookkeeping keys plus every other annotation of the ReplicaSet).

use std::collections::BTreeMap;

use k8s_openapi::api::apps::v1::{Deployment, ReplicaSet};
use k8s_openapi::api::core::v1::PodTemplateSpec;
use mcp_ops_core::types::Revision;
use serde_json::{Value, json};

use super::history::revision_of;

/// The label the deployment controller adds to a ReplicaSet's template.
pub const POD_TEMPLATE_HASH: &str = "pod-template-hash";

/// Annotations kubectl keeps from the deployment instead of copying from the ReplicaSet.
pub const ANNOTATIONS_TO_SKIP: [&str; 6] = [
    "kubectl.kubernetes.io/last-applied-configuration",
    "deployment.kubernetes.io/revision",
    "deployment.kubernetes.io/revision-history",
    "deployment.kubernetes.io/desired-replicas",
    "deployment.kubernetes.io/max-replicas",
    "deprecated.deployment.rollback.to",
];

/// What an undo will do.
#[derive(Debug, Clone, PartialEq)]
pub enum UndoPlan {
    /// Fewer than two revisions: "no rollout history found".
    NoHistory,
    /// `--to-revision=N` names no revision: "unable to find specified revision N in history".
    UnknownRevision(Revision),
    /// The deployment is paused.
    Paused,
    /// The current template already matches this revision.
    Skipped(Revision),
    /// Send this json-patch.
    Patch {
        /// The current revision.
        from: Revision,
        /// The revision whose template is restored.
        to: Revision,
        /// The RFC 6902 patch, exactly as kubectl builds it.
        patch: Value,
    },
}

/// Removes what does not count when comparing templates: the hash label, the (null)
/// creationTimestamp, and empty maps, lists and nulls (Go's semantic equality treats nil and
/// empty alike).
fn normalise(v: &mut Value) {
    match v {
        Value::Object(m) => {
            for x in m.values_mut() {
                normalise(x);
            }
            m.retain(|_, x| match x {
                Value::Null => false,
                Value::Object(o) => !o.is_empty(),
                Value::Array(a) => !a.is_empty(),
                _ => true,
            });
        }
        Value::Array(a) => a.iter_mut().for_each(normalise),
        _ => {}
    }
}

fn without_hash(t: &PodTemplateSpec) -> PodTemplateSpec {
    let mut t = t.clone();
    if let Some(labels) = t.metadata.as_mut().and_then(|m| m.labels.as_mut()) {
        labels.remove(POD_TEMPLATE_HASH);
    }
    if let Some(m) = t.metadata.as_mut() {
        m.creation_timestamp = None;
    }
    t
}

/// Whether two templates are equal once `pod-template-hash` is ignored.
pub fn equal_ignore_hash(a: &PodTemplateSpec, b: &PodTemplateSpec) -> bool {
    let mut a = serde_json::to_value(without_hash(a)).unwrap_or(Value::Null);
    let mut b = serde_json::to_value(without_hash(b)).unwrap_or(Value::Null);
    normalise(&mut a);
    normalise(&mut b);
    a == b
}

/// Plans an undo of `d` given its owned ReplicaSets (see [`super::history::owned`]).
pub fn plan(d: &Deployment, owned: &[(Revision, ReplicaSet)], to: Option<Revision>) -> UndoPlan {
    let chosen = match to {
        Some(want) => match owned.iter().find(|(r, _)| *r == want) {
            Some(x) => x,
            None => return UndoPlan::UnknownRevision(want),
        },
        // `owned` is sorted by revision: the previous one is the second-highest.
        None => match owned.len().checked_sub(2).and_then(|i| owned.get(i)) {
            Some(x) => x,
            None => return UndoPlan::NoHistory,
        },
    };
    let spec = d.spec.clone().unwrap_or_default();
    if spec.paused.unwrap_or(false) {
        return UndoPlan::Paused;
    }
    let (to, rs) = chosen;
    let rs_template = rs
        .spec
        .as_ref()
        .and_then(|s| s.template.clone())
        .unwrap_or_default();
    if equal_ignore_hash(&rs_template, &spec.template) {
        return UndoPlan::Skipped(*to);
    }
    let template = without_hash(&rs_template);
    let mut annotations = BTreeMap::new();
    let current = d.metadata.annotations.clone().unwrap_or_default();
    for k in ANNOTATIONS_TO_SKIP {
        if let Some(v) = current.get(k) {
            annotations.insert(k.to_owned(), v.clone());
        }
    }
    for (k, v) in rs.metadata.annotations.iter().flatten() {
        if !ANNOTATIONS_TO_SKIP.contains(&k.as_str()) {
            annotations.insert(k.clone(), v.clone());
        }
    }
    let from = revision_of(&d.metadata)
        .or_else(|| owned.last().map(|(r, _)| *r))
        .unwrap_or(Revision::FIRST);
    UndoPlan::Patch {
        from,
        to: *to,
        patch: json!([
            {"op": "replace", "path": "/spec/template", "value": template},
            {"op": "replace", "path": "/metadata/annotations", "value": annotations},
        ]),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    fn tmpl(image: &str, hash: Option<&str>) -> Value {
        let mut labels = json!({"app": "web"});
        if let Some(h) = hash {
            labels[POD_TEMPLATE_HASH] = json!(h);
        }
        json!({"metadata": {"labels": labels}, "spec": {"containers": [{"name": "web", "image": image}]}})
    }

    fn rs(rev: u64, image: &str, cause: &str) -> (Revision, ReplicaSet) {
        let r: ReplicaSet = serde_json::from_value(json!({
            "metadata": {"name": format!("web-{rev}"), "annotations": {
                "deployment.kubernetes.io/revision": rev.to_string(),
                "deployment.kubernetes.io/desired-replicas": "3",
                "kubernetes.io/change-cause": cause}},
            "spec": {"selector": {}, "template": tmpl(image, Some("abc"))}
        }))
        .unwrap();
        (Revision::new(rev).unwrap(), r)
    }

    fn dep(image: &str, paused: bool) -> Deployment {
        serde_json::from_value(json!({
            "metadata": {"name": "web", "annotations": {
                "deployment.kubernetes.io/revision": "3",
                "kubectl.kubernetes.io/last-applied-configuration": "{}",
                "kubernetes.io/change-cause": "deploy v3", "team": "x"}},
            "spec": {"paused": paused, "selector": {}, "template": tmpl(image, None)}
        }))
        .unwrap()
    }

    #[test]
    fn previous_revision_patch_is_kubectls() {
        let owned = vec![
            rs(1, "nginx:1", "c1"),
            rs(2, "nginx:2", "c2"),
            rs(3, "nginx:3", "c3"),
        ];
        let UndoPlan::Patch { from, to, patch } = plan(&dep("nginx:3", false), &owned, None) else {
            panic!("expected a patch")
        };
        assert_eq!((from.get(), to.get()), (3, 2));
        assert_eq!(patch[0]["path"], "/spec/template");
        assert_eq!(
            patch[0]["value"]["spec"]["containers"][0]["image"],
            "nginx:2"
        );
        assert!(
            patch[0]["value"]["metadata"]["labels"]
                .get(POD_TEMPLATE_HASH)
                .is_none()
        );
        assert_eq!(
            patch[1],
            json!({"op": "replace", "path": "/metadata/annotations", "value": {
                "deployment.kubernetes.io/revision": "3",
                "kubectl.kubernetes.io/last-applied-configuration": "{}",
                "kubernetes.io/change-cause": "c2"}})
        );
    }

    #[test]
    fn to_revision_skipped_unknown_paused_and_no_history() {
        let owned = vec![
            rs(1, "nginx:1", "c1"),
            rs(2, "nginx:2", "c2"),
            rs(3, "nginx:3", "c3"),
        ];
        assert!(
            matches!(plan(&dep("nginx:3", false), &owned, Some(Revision::new(1).unwrap())),
            UndoPlan::Patch { to, .. } if to.get() == 1)
        );
        assert_eq!(
            plan(
                &dep("nginx:3", false),
                &owned,
                Some(Revision::new(3).unwrap())
            ),
            UndoPlan::Skipped(Revision::new(3).unwrap())
        );
        assert_eq!(
            plan(
                &dep("nginx:3", false),
                &owned,
                Some(Revision::new(9).unwrap())
            ),
            UndoPlan::UnknownRevision(Revision::new(9).unwrap())
        );
        assert_eq!(plan(&dep("nginx:3", true), &owned, None), UndoPlan::Paused);
        // kubectl looks the revision up before checking pause.
        assert_eq!(
            plan(&dep("nginx:3", true), &owned[2..], None),
            UndoPlan::NoHistory
        );
        assert_eq!(plan(&dep("nginx:3", false), &[], None), UndoPlan::NoHistory);
    }

    #[test]
    fn nil_and_empty_are_equal_templates() {
        let a: PodTemplateSpec = serde_json::from_value(json!({"metadata": {"labels": {"app": "web", POD_TEMPLATE_HASH: "x"}, "annotations": {}},
            "spec": {"containers": [{"name": "web", "image": "i", "env": []}]}})).unwrap();
        let b: PodTemplateSpec =
            serde_json::from_value(json!({"metadata": {"labels": {"app": "web"}},
            "spec": {"containers": [{"name": "web", "image": "i"}]}}))
            .unwrap();
        assert!(equal_ignore_hash(&a, &b));
    }
}
