//! Read-modify-write of one namespaced object without lost updates.
//!
//! A call that decides what to write from what it read (the container's current resources,
//! the HPA's other bound, the revision to undo to, whether the deployment is paused …) sends
//! its patch with the read's `resourceVersion` as a precondition, so the API server refuses it
//! with 409 when anyone wrote the object in between. The object is then read again and the
//! decision made again, at most [`RetryPolicy::max_attempts`](crate::RetryPolicy) times in
//! all (with the policy's backoff), before the conflict is returned as
//! [`Error::Conflict`](mcp_ops_core::Error::Conflict). A concurrent writer's change is never
//! overwritten with stale data, and a check made on the read (paused, current selector …)
//! still holds when the write lands.

use std::fmt::Debug;
use std::future::Future;

use k8s_openapi::NamespaceResourceScope;
use kube::Resource;
use kube::api::{Api, Patch};
use mcp_ops_core::Result;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use super::KubeCluster;
use crate::error::malformed;
use crate::retry::OnConflict;

/// A patch decided from the object as read; the read's resourceVersion is added to it.
///
/// Its `Debug` names the patch type only: a Secret's patch carries its data.
#[derive(Clone)]
pub(crate) enum Change {
    /// RFC 6902 operations (a JSON array).
    Json(Value),
    /// An RFC 7386 merge patch (a JSON object).
    Merge(Value),
    /// A strategic merge patch (a JSON object).
    Strategic(Value),
}

impl std::fmt::Debug for Change {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Change::Json(_) => "Change::Json(..)",
            Change::Merge(_) => "Change::Merge(..)",
            Change::Strategic(_) => "Change::Strategic(..)",
        })
    }
}

/// What a call decided from the object it read.
#[derive(Debug)]
pub(crate) enum Decision<T> {
    /// Send the change, then answer `T`.
    Write(Change, T),
    /// Send nothing and answer `T` (nothing to change).
    Done(T),
}

/// `patch` with `metadata.resourceVersion` set to `rv`.
fn with_precondition(patch: Value, rv: &str) -> Result<Value> {
    let mut patch = patch;
    let meta = patch
        .as_object_mut()
        .ok_or_else(|| malformed("a merge patch must be a JSON object"))?
        .entry("metadata")
        .or_insert_with(|| json!({}));
    meta.as_object_mut()
        .ok_or_else(|| malformed("a merge patch's metadata must be a JSON object"))?
        .insert("resourceVersion".into(), json!(rv));
    Ok(patch)
}

impl Change {
    /// The patch to send: the change, conditional on resourceVersion `rv`.
    fn at(self, rv: &str) -> Result<Patch<Value>> {
        Ok(match self {
            Change::Json(ops) => {
                let mut ops = ops;
                ops.as_array_mut()
                    .ok_or_else(|| malformed("a json patch must be a JSON array"))?
                    .push(
                        json!({"op": "replace", "path": "/metadata/resourceVersion", "value": rv}),
                    );
                let ops: json_patch::Patch = serde_json::from_value(ops)
                    .map_err(|e| malformed(format!("json patch: {e}")))?;
                Patch::Json(ops)
            }
            Change::Merge(p) => Patch::Merge(with_precondition(p, rv)?),
            Change::Strategic(p) => Patch::Strategic(with_precondition(p, rv)?),
        })
    }
}

impl KubeCluster {
    /// Reads `kind` `ns/name`, lets `decide` choose a change from it, and sends that change
    /// conditional on the resourceVersion read; on 409 reads and decides again (see the
    /// module docs). Errors `decide` returns are returned as they are.
    pub(crate) async fn read_modify_write<K, T, F, Fut>(
        &self,
        kind: &'static str,
        ns: &str,
        name: &str,
        dry_run: bool,
        decide: F,
    ) -> Result<T>
    where
        K: Resource<Scope = NamespaceResourceScope> + Clone + DeserializeOwned + Debug,
        <K as Resource>::DynamicType: Default,
        F: FnMut(K) -> Fut,
        Fut: Future<Output = Result<Decision<T>>>,
    {
        self.read_modify_write_obj(kind, ns, name, dry_run, decide)
            .await
            .map(|(answer, _)| answer)
    }

    /// As [`read_modify_write`](Self::read_modify_write), also returning the object the API
    /// server answered the write with (`None` when nothing was written).
    pub(crate) async fn read_modify_write_obj<K, T, F, Fut>(
        &self,
        kind: &'static str,
        ns: &str,
        name: &str,
        dry_run: bool,
        decide: F,
    ) -> Result<(T, Option<K>)>
    where
        K: Resource<Scope = NamespaceResourceScope> + Clone + DeserializeOwned + Debug,
        <K as Resource>::DynamicType: Default,
        F: FnMut(K) -> Fut,
        Fut: Future<Output = Result<Decision<T>>>,
    {
        self.modify(kind, ns, dry_run, || self.get(kind, ns, name), decide)
            .await
    }

    /// The general form: `read` finds the object (a GET, or a list where only `list` is
    /// granted), `decide` chooses the change, which is sent to the object read (by its name)
    /// conditional on its resourceVersion; on 409 both run again.
    pub(crate) async fn modify<K, T, R, RFut, F, Fut>(
        &self,
        kind: &'static str,
        ns: &str,
        dry_run: bool,
        mut read: R,
        mut decide: F,
    ) -> Result<(T, Option<K>)>
    where
        K: Resource<Scope = NamespaceResourceScope> + Clone + DeserializeOwned + Debug,
        <K as Resource>::DynamicType: Default,
        R: FnMut() -> RFut,
        RFut: Future<Output = Result<K>>,
        F: FnMut(K) -> Fut,
        Fut: Future<Output = Result<Decision<T>>>,
    {
        let api: Api<K> = self.namespaced(ns);
        let pp = self.patch_params(dry_run);
        let policy = self.retry_policy();
        let mut conflicts = 0;
        loop {
            let current: K = read().await?;
            let name = current.meta().name.clone().unwrap_or_default();
            let label = format!("{ns}/{name}");
            let rv = current
                .meta()
                .resource_version
                .clone()
                .ok_or_else(|| malformed(format!("{kind} {label} has no resourceVersion")))?;
            let (change, answer) = match decide(current).await? {
                Decision::Done(answer) => return Ok((answer, None)),
                Decision::Write(change, answer) => (change, answer),
            };
            let patch = change.at(&rv)?;
            let sent = self
                .attempt(&label, OnConflict::Fail, || api.patch(&name, &pp, &patch))
                .await;
            match sent {
                Ok(written) => return Ok((answer, Some(written))),
                Err(f) if f.is_conflict() && conflicts + 1 < policy.max_attempts => {
                    let wait = policy.delay(conflicts, None);
                    conflicts += 1;
                    tracing::debug!(%kind, object = %label, conflicts, ?wait, "written meanwhile; reading again");
                    tokio::time::sleep(wait).await;
                }
                Err(f) => return Err(f.into_core(kind, &label)),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn every_patch_type_carries_the_resource_version() {
        let Patch::Json(p) = Change::Json(json!([{"op": "add", "path": "/a", "value": 1}]))
            .at("42")
            .unwrap()
        else {
            panic!("json")
        };
        assert_eq!(
            serde_json::to_value(p).unwrap()[1],
            json!({"op": "replace", "path": "/metadata/resourceVersion", "value": "42"})
        );
        let Patch::Merge(p) = Change::Merge(json!({"metadata": {"labels": {"a": "b"}}}))
            .at("42")
            .unwrap()
        else {
            panic!("merge")
        };
        assert_eq!(
            p,
            json!({"metadata": {"labels": {"a": "b"}, "resourceVersion": "42"}})
        );
        let Patch::Strategic(p) = Change::Strategic(json!({"spec": {}})).at("7").unwrap() else {
            panic!("strategic")
        };
        assert_eq!(p["metadata"]["resourceVersion"], "7");
    }

    #[test]
    fn debug_shows_no_patch_body() {
        let c = Change::Merge(json!({"data": {"password": "c2VjcmV0"}}));
        assert_eq!(format!("{c:?}"), "Change::Merge(..)");
    }

    #[test]
    fn malformed_patches_are_errors_not_panics() {
        assert!(Change::Json(json!({})).at("1").is_err());
        assert!(Change::Merge(json!([])).at("1").is_err());
        assert!(Change::Strategic(json!({"metadata": 3})).at("1").is_err());
    }
}
