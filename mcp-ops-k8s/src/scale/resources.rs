//! Converting container resources between Kubernetes quantities and the core types.

use std::collections::BTreeMap;

use k8s_openapi::apimachinery::pkg::api::resource::Quantity as KQuantity;
use mcp_ops_core::Result;
use mcp_ops_core::types::{Quantity, ResourceList, ResourceRequirements};

/// A core resource list as Kubernetes quantities, keeping `others` (keys the SDK does not
/// model, such as `ephemeral-storage`).
pub(super) fn to_k8s(
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
