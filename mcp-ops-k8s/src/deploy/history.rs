//! Rollout history from the ReplicaSets a Deployment controls, as `kubectl rollout history`
//! finds them: listed by the deployment's selector, kept only when their controller
//! ownerReference carries the deployment's UID, numbered by `deployment.kubernetes.io/revision`.

use std::collections::BTreeMap;

use k8s_openapi::api::apps::v1::{Deployment, ReplicaSet};
use k8s_openapi::api::core::v1::PodTemplateSpec;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};
use mcp_ops_core::deploy::{DeploymentSummary, RevisionInfo};
use mcp_ops_core::types::{ContainerName, DeploymentRef, ImageRef, Revision};

/// The annotation holding a revision number.
pub const REVISION: &str = "deployment.kubernetes.io/revision";
/// The annotation holding the change-cause.
pub const CHANGE_CAUSE: &str = "kubernetes.io/change-cause";

/// The revision annotation of an object, when present and valid.
pub fn revision_of(meta: &ObjectMeta) -> Option<Revision> {
    meta.annotations.as_ref()?.get(REVISION)?.parse().ok()
}

/// A label selector as query text (`app=web,tier in (a,b)`), as kubectl builds it.
pub fn selector_text(sel: &LabelSelector) -> String {
    let mut parts: Vec<String> = sel
        .match_labels
        .iter()
        .flatten()
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    for e in sel.match_expressions.iter().flatten() {
        let values = e.values.clone().unwrap_or_default().join(",");
        parts.push(match e.operator.as_str() {
            "In" => format!("{} in ({values})", e.key),
            "NotIn" => format!("{} notin ({values})", e.key),
            "Exists" => e.key.clone(),
            _ => format!("!{}", e.key),
        });
    }
    parts.join(",")
}

/// Whether `rs` is controlled by the object with `uid`.
pub fn controlled_by(rs: &ReplicaSet, uid: &str) -> bool {
    rs.metadata
        .owner_references
        .iter()
        .flatten()
        .any(|o| o.controller == Some(true) && o.uid == uid)
}

/// The ReplicaSets of `d` with their revisions, oldest first. ReplicaSets without a valid
/// revision annotation are left out, as kubectl does.
pub fn owned(d: &Deployment, rss: Vec<ReplicaSet>) -> Vec<(Revision, ReplicaSet)> {
    let uid = d.metadata.uid.clone().unwrap_or_default();
    let mut out: Vec<(Revision, ReplicaSet)> = rss
        .into_iter()
        .filter(|rs| !uid.is_empty() && controlled_by(rs, &uid))
        .filter_map(|rs| revision_of(&rs.metadata).map(|r| (r, rs)))
        .collect();
    out.sort_by_key(|(r, _)| *r);
    out
}

/// The image of every container of a pod template (images the SDK cannot parse are skipped).
pub fn images(template: &PodTemplateSpec) -> BTreeMap<ContainerName, ImageRef> {
    template
        .spec
        .iter()
        .flat_map(|s| s.containers.iter())
        .filter_map(|c| {
            let name = ContainerName::new(c.name.clone()).ok()?;
            let image = ImageRef::parse(c.image.as_deref()?).ok()?;
            Some((name, image))
        })
        .collect()
}

/// One history entry.
pub fn revision_info(revision: Revision, rs: &ReplicaSet) -> RevisionInfo {
    RevisionInfo {
        revision,
        images: rs
            .spec
            .as_ref()
            .and_then(|s| s.template.as_ref())
            .map(images)
            .unwrap_or_default(),
        change_cause: rs
            .metadata
            .annotations
            .as_ref()
            .and_then(|a| a.get(CHANGE_CAUSE).cloned()),
        created: rs.metadata.creation_timestamp.as_ref().map(|t| t.0),
    }
}

fn count(v: Option<i32>) -> u32 {
    u32::try_from(v.unwrap_or(0)).unwrap_or(0)
}

/// A deployment's summary; `owned` are its ReplicaSets (for the current revision's age).
pub fn summary(
    target: DeploymentRef,
    d: &Deployment,
    owned: &[(Revision, ReplicaSet)],
) -> DeploymentSummary {
    let status = d.status.clone().unwrap_or_default();
    let spec = d.spec.as_ref();
    let revision = revision_of(&d.metadata);
    let updated_at = revision.and_then(|r| {
        owned
            .iter()
            .find(|(rr, _)| *rr == r)
            .and_then(|(_, rs)| rs.metadata.creation_timestamp.as_ref().map(|t| t.0))
    });
    DeploymentSummary {
        deployment: target,
        desired: count(spec.and_then(|s| s.replicas).or(Some(1))),
        ready: count(status.ready_replicas),
        available: count(status.available_replicas),
        updated: count(status.updated_replicas),
        revision,
        images: spec.map(|s| images(&s.template)).unwrap_or_default(),
        paused: spec.and_then(|s| s.paused).unwrap_or(false),
        updated_at,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use serde_json::json;

    fn rs(name: &str, rev: &str, owner_uid: &str, controller: bool) -> ReplicaSet {
        serde_json::from_value(json!({
            "metadata": {"name": name, "annotations": {REVISION: rev},
                "ownerReferences": [{"apiVersion": "apps/v1", "kind": "Deployment", "name": "web",
                    "uid": owner_uid, "controller": controller}]},
            "spec": {"selector": {}, "template": {"spec": {"containers": [{"name": "web", "image": format!("nginx:{rev}")}]}}}
        }))
        .unwrap()
    }

    #[test]
    fn only_controller_owned_with_revisions_sorted() {
        let d: Deployment =
            serde_json::from_value(json!({"metadata": {"name": "web", "uid": "u1"}})).unwrap();
        let list = vec![
            rs("a", "3", "u1", true),
            rs("b", "1", "u1", true),
            rs("c", "2", "other", true),
            rs("d", "4", "u1", false),
            rs("e", "x", "u1", true),
        ];
        let got: Vec<u64> = owned(&d, list).iter().map(|(r, _)| r.get()).collect();
        assert_eq!(got, vec![1, 3]);
    }

    #[test]
    fn selector_text_like_kubectl() {
        let sel: LabelSelector = serde_json::from_value(json!({"matchLabels": {"app": "web"},
            "matchExpressions": [{"key": "tier", "operator": "In", "values": ["a", "b"]},
                {"key": "canary", "operator": "DoesNotExist"}]}))
        .unwrap();
        assert_eq!(selector_text(&sel), "app=web,tier in (a,b),!canary");
    }
}
