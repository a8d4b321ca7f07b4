//! Converting container resources between Kubernetes quantities and the core types, and the
//! json-patch that sets one container's resources.

use std::collections::BTreeMap;

use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::apimachinery::pkg::api::resource::Quantity as KQuantity;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use mcp_ops_core::types::{
    ContainerName, DeploymentRef, Quantity, ResourceList, ResourceRequirements,
};
use mcp_ops_core::{Error, Result};
use serde_json::{Value, json};

use crate::cluster::{Change, Decision};
use crate::deploy::history::CHANGE_CAUSE;

/// A json-patch operation setting one annotation, keeping the others.
pub(crate) fn annotation_op(meta: &ObjectMeta, key: &str, value: &str) -> Value {
    if meta.annotations.is_some() {
        let key = key.replace('~', "~0").replace('/', "~1");
        json!({"op": "add", "path": format!("/metadata/annotations/{key}"), "value": value})
    } else {
        json!({"op": "add", "path": "/metadata/annotations", "value": {key: value}})
    }
}

/// Setting `container`'s resources of `d` to `want` (resource keys the SDK does not model
/// kept) and the change-cause to `cause`: the json-patch and the resources before.
///
/// # Errors
/// [`Error::NotFound`] when `d` has no such container; a current value that is not a
/// quantity.
pub(super) fn resources_change(
    d: &Deployment,
    deployment: &DeploymentRef,
    container: &ContainerName,
    want: &ResourceRequirements,
    cause: &str,
) -> Result<Decision<ResourceRequirements>> {
    let (index, current) = d
        .spec
        .as_ref()
        .and_then(|s| s.template.spec.as_ref())
        .into_iter()
        .flat_map(|s| s.containers.iter())
        .enumerate()
        .find(|(_, c)| c.name == container.as_str())
        .map(|(i, c)| (i, c.resources.clone().unwrap_or_default()))
        .ok_or_else(|| Error::not_found("container", format!("{deployment}/{container}")))?;
    let from = core_requirements(&current)?;
    let mut new = current.clone();
    let requests = to_k8s(
        want.requests(),
        &current.requests.clone().unwrap_or_default(),
    );
    let limits = to_k8s(want.limits(), &current.limits.clone().unwrap_or_default());
    new.requests = (!requests.is_empty()).then_some(requests);
    new.limits = (!limits.is_empty()).then_some(limits);
    let base = format!("/spec/template/spec/containers/{index}");
    let ops = json!([
        {"op": "test", "path": format!("{base}/name"), "value": container.as_str()},
        {"op": "add", "path": format!("{base}/resources"), "value": new},
        annotation_op(&d.metadata, CHANGE_CAUSE, cause),
    ]);
    Ok(Decision::Write(Change::Json(ops), from))
}

/// A core resource list as Kubernetes quantities, keeping `others` (keys the SDK does not
/// model, such as `ephemeral-storage`).
fn to_k8s(
    list: &ResourceList,
    others: &BTreeMap<String, KQuantity>,
) -> BTreeMap<String, KQuantity> {
    let mut out: BTreeMap<String, KQuantity> = others
        .iter()
        .filter(|(k, _)| k.as_str() != "cpu" && k.as_str() != "memory")
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    if let Some(c) = &list.cpu {
        out.insert("cpu".into(), KQuantity(c.to_string()));
    }
    if let Some(m) = &list.memory {
        out.insert("memory".into(), KQuantity(m.to_string()));
    }
    out
}

/// A container's Kubernetes resources as validated core requirements.
pub(super) fn core_requirements(
    r: &k8s_openapi::api::core::v1::ResourceRequirements,
) -> Result<ResourceRequirements> {
    let list = |m: &Option<BTreeMap<String, KQuantity>>| -> Result<ResourceList> {
        let get = |k: &str| -> Result<Option<Quantity>> {
            m.as_ref()
                .and_then(|m| m.get(k))
                .map(|q| Quantity::parse(&q.0))
                .transpose()
        };
        Ok(ResourceList {
            cpu: get("cpu")?,
            memory: get("memory")?,
        })
    };
    ResourceRequirements::new(list(&r.requests)?, list(&r.limits)?)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn the_change_cause_is_added_beside_the_other_annotations() {
        let mut meta = ObjectMeta::default();
        assert_eq!(
            annotation_op(&meta, CHANGE_CAUSE, "why"),
            json!({"op": "add", "path": "/metadata/annotations", "value": {CHANGE_CAUSE: "why"}})
        );
        meta.annotations = Some(BTreeMap::from([("team".into(), "x".into())]));
        assert_eq!(
            annotation_op(&meta, CHANGE_CAUSE, "why"),
            json!({"op": "add", "path": "/metadata/annotations/kubernetes.io~1change-cause", "value": "why"})
        );
    }
}
