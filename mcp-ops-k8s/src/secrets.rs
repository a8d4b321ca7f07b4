//! [`SecretRotator`] on [`KubeCluster`] over one key of a Secret.
//!
//! Layout, all in the Secret's namespace:
//! - the Secret `NAME` holds the current value; its annotation `mcp-ops.io/rotation` holds,
//!   per key, the version number and when it became current (never a value);
//! - `NAME-staged` holds a value staged for a key until `apply`;
//! - `NAME-previous` holds the value a key had before the last `apply`, so `revert` (or a
//!   human with `kubectl`) can bring it back.
//!
//! A plain Secret cannot prove a credential works, so [`SecretRotator::verify`] is
//! `NotApplicable`: the dependents' health decides (the `rotate_secret` procedure restarts
//! them with the [`Deployer`](mcp_ops_core::Deployer) and checks them). [`KubeCluster::dependents`]
//! finds the deployments that use a Secret.

use std::collections::BTreeMap;

use async_trait::async_trait;
use k8s_openapi::ByteString;
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::{PodSpec, Secret};
use kube::api::{Api, Patch};
use mcp_ops_core::secrets::{
    PendingRotation, SecretCheck, SecretKeyRef, SecretRotator, SecretVersion, StagedSecret,
};
use mcp_ops_core::types::{DeploymentRef, Intent, Namespace, SecretValue};
use mcp_ops_core::{Error, Result};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::cluster::{Change, Decision, KubeCluster};
use crate::error::{BACKEND, malformed};
use crate::retry::OnConflict;

/// The annotation holding per-key version bookkeeping.
pub const ROTATION_ANNOTATION: &str = "mcp-ops.io/rotation";

mod pending;

use pending::refuse_unfinished;

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct KeyState {
    version: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    since: Option<jiff::Timestamp>,
    /// Applied by a rotation that was neither finished nor reverted yet.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    unverified: bool,
}

fn states(s: &Secret) -> BTreeMap<String, KeyState> {
    s.metadata
        .annotations
        .as_ref()
        .and_then(|a| a.get(ROTATION_ANNOTATION))
        .and_then(|v| serde_json::from_str(v).ok())
        .unwrap_or_default()
}

fn value_of(s: &Secret, key: &str) -> Option<SecretValue> {
    s.data
        .as_ref()
        .and_then(|d| d.get(key))
        .map(|b| SecretValue::new(b.0.clone()))
        .or_else(|| {
            s.string_data
                .as_ref()
                .and_then(|d| d.get(key))
                .map(|v| SecretValue::from_str_value(v.clone()))
        })
}

fn version(s: &Secret, key: &str, value: &SecretValue) -> SecretVersion {
    let st = states(s).remove(key).unwrap_or(KeyState {
        version: 1,
        since: None,
        unverified: false,
    });
    SecretVersion {
        version: st.version.max(1),
        fingerprint: value.fingerprint(),
        since: st.since,
    }
}

fn staged_name(t: &SecretKeyRef) -> String {
    format!("{}-staged", t.name())
}

fn previous_name(t: &SecretKeyRef) -> String {
    format!("{}-previous", t.name())
}

/// A data patch setting `key` to `value` (base64 as the API wants), or removing it (`None`).
fn data_patch(key: &str, value: Option<&SecretValue>) -> Value {
    let v = value.map_or(Value::Null, |v| json!(ByteString(v.expose().to_vec())));
    json!({"data": {key: v}})
}

/// Making `value` the current value of `target` in `main` (the Secret as read): the key's
/// data and the rotation annotation with the key's next version, every other key's kept.
fn current_change(
    main: &Secret,
    target: &SecretKeyRef,
    value: &SecretValue,
    since: jiff::Timestamp,
    unverified: bool,
) -> Result<Decision<SecretVersion>> {
    let cur = value_of(main, target.key())
        .ok_or_else(|| Error::not_found("secret key", target.to_string()))?;
    let next = version(main, target.key(), &cur).version + 1;
    let mut st = states(main);
    st.insert(
        target.key().to_owned(),
        KeyState {
            version: next,
            since: Some(since),
            unverified,
        },
    );
    let ann = serde_json::to_string(&st).map_err(|e| malformed(e.to_string()))?;
    let mut patch = data_patch(target.key(), Some(value));
    patch["metadata"] = json!({"annotations": {ROTATION_ANNOTATION: ann}});
    Ok(Decision::Write(
        Change::Merge(patch),
        SecretVersion {
            version: next,
            fingerprint: value.fingerprint(),
            since: Some(since),
        },
    ))
}

/// Whether a pod spec reads Secret `name` (env, envFrom or a volume, projected included).
pub fn uses_secret(spec: &PodSpec, name: &str) -> bool {
    let containers = spec
        .containers
        .iter()
        .chain(spec.init_containers.iter().flatten());
    for c in containers {
        let env = c.env.iter().flatten().any(|e| {
            e.value_from
                .as_ref()
                .and_then(|v| v.secret_key_ref.as_ref())
                .is_some_and(|r| r.name == name)
        });
        let env_from = c
            .env_from
            .iter()
            .flatten()
            .any(|e| e.secret_ref.as_ref().is_some_and(|r| r.name == name));
        if env || env_from {
            return true;
        }
    }
    spec.volumes.iter().flatten().any(|v| {
        v.secret
            .as_ref()
            .is_some_and(|s| s.secret_name.as_deref() == Some(name))
            || v.projected.as_ref().is_some_and(|p| {
                p.sources
                    .iter()
                    .flatten()
                    .any(|s| s.secret.as_ref().is_some_and(|s| s.name == name))
            })
    })
}

impl KubeCluster {
    async fn secret(&self, ns: &str, name: &str) -> Result<Option<Secret>> {
        self.get_opt("secret", ns, name).await
    }

    /// Writes `key` of Secret `name` (creating the Secret when absent), or removes the key.
    async fn put_key(
        &self,
        ns: &str,
        name: &str,
        key: &str,
        value: Option<&SecretValue>,
        annotations: Option<Value>,
        dry_run: bool,
    ) -> Result<()> {
        let mut patch = data_patch(key, value);
        if let Some(a) = annotations {
            patch["metadata"] = json!({"annotations": a});
        }
        if self.secret(ns, name).await?.is_some() {
            let _: Secret = self
                .patch("secret", ns, name, &Patch::Merge(patch), dry_run)
                .await?;
            return Ok(());
        }
        let Some(value) = value else { return Ok(()) };
        let mut s = Secret::default();
        s.metadata.name = Some(name.to_owned());
        s.metadata.namespace = Some(ns.to_owned());
        s.metadata.labels = Some(BTreeMap::from([(
            "app.kubernetes.io/managed-by".to_owned(),
            "mcp-ops".to_owned(),
        )]));
        s.type_ = Some("Opaque".into());
        s.data = Some(BTreeMap::from([(
            key.to_owned(),
            ByteString(value.expose().to_vec()),
        )]));
        let api: Api<Secret> = self.namespaced(ns);
        let pp = self.post_params(dry_run);
        let label = format!("{ns}/{name}");
        self.call("secret", &label, OnConflict::Fail, || api.create(&pp, &s))
            .await?;
        Ok(())
    }

    /// Makes `value` the current value of `target` with the next version; returns that version.
    ///
    /// The rotation annotation holds every key's version, so it is rewritten from the Secret
    /// as read and sent conditional on that read (another key's rotation, or anyone's write,
    /// in between makes it read and decide again, see `cluster::rmw`).
    async fn make_current(
        &self,
        target: &SecretKeyRef,
        value: &SecretValue,
        unverified: bool,
        dry_run: bool,
    ) -> Result<SecretVersion> {
        let since = jiff::Timestamp::now();
        self.read_modify_write(
            "secret",
            target.namespace().as_str(),
            target.name().as_str(),
            dry_run,
            |main: Secret| {
                let decided = current_change(&main, target, value, since, unverified);
                async move { decided }
            },
        )
        .await
    }

    async fn current_of(&self, target: &SecretKeyRef) -> Result<(Secret, SecretValue)> {
        let main = self
            .secret(target.namespace().as_str(), target.name().as_str())
            .await?
            .ok_or_else(|| {
                Error::not_found(
                    "secret",
                    format!("{}/{}", target.namespace(), target.name()),
                )
            })?;
        let value = value_of(&main, target.key())
            .ok_or_else(|| Error::not_found("secret key", target.to_string()))?;
        Ok((main, value))
    }

    async fn staged_of(&self, target: &SecretKeyRef) -> Result<Option<SecretValue>> {
        Ok(self
            .secret(target.namespace().as_str(), &staged_name(target))
            .await?
            .and_then(|s| value_of(&s, target.key())))
    }

    /// The deployments of `namespace` whose pods read Secret `name` (env, envFrom, volumes).
    ///
    /// # Errors
    /// Backend errors.
    pub async fn dependents(
        &self,
        namespace: &Namespace,
        name: &str,
    ) -> Result<Vec<DeploymentRef>> {
        let deps: Vec<Deployment> = self
            .list("deployment", Some(namespace.as_str()), None)
            .await?;
        let mut out = Vec::new();
        for d in deps {
            let uses = d
                .spec
                .as_ref()
                .and_then(|s| s.template.spec.as_ref())
                .is_some_and(|s| uses_secret(s, name));
            if uses {
                out.push(DeploymentRef::new(
                    namespace.as_str(),
                    d.metadata.name.as_deref().unwrap_or_default(),
                )?);
            }
        }
        Ok(out)
    }
}

#[async_trait]
impl SecretRotator for KubeCluster {
    fn backend(&self) -> &'static str {
        BACKEND
    }

    async fn current(&self, target: &SecretKeyRef) -> Result<SecretVersion> {
        let (main, value) = self.current_of(target).await?;
        Ok(version(&main, target.key(), &value))
    }

    async fn stage(
        &self,
        target: &SecretKeyRef,
        value: &SecretValue,
        intent: &Intent,
    ) -> Result<StagedSecret> {
        let (main, cur) = self.current_of(target).await?;
        if self.staged_of(target).await?.is_some() {
            return Err(Error::conflict(
                target.to_string(),
                "a value is already staged; apply or revert it first",
            ));
        }
        refuse_unfinished(&main, target)?;
        let current = version(&main, target.key(), &cur);
        self.put_key(
            target.namespace().as_str(),
            &staged_name(target),
            target.key(),
            Some(value),
            None,
            intent.is_dry_run(),
        )
        .await?;
        tracing::info!(target = %target, fingerprint = %value.fingerprint(), reason = intent.reason(), dry_run = intent.is_dry_run(), "staged secret");
        Ok(StagedSecret {
            target: target.clone(),
            staged: SecretVersion {
                version: current.version + 1,
                fingerprint: value.fingerprint(),
                since: None,
            },
            current,
            dry_run: intent.is_dry_run(),
        })
    }

    async fn apply(&self, target: &SecretKeyRef, intent: &Intent) -> Result<SecretVersion> {
        let (main, cur) = self.current_of(target).await?;
        let staged = self
            .staged_of(target)
            .await?
            .ok_or_else(|| Error::conflict(target.to_string(), "nothing is staged"))?;
        // `NAME-previous` holds the value the dependents may still use: never overwritten
        // while the last rotation is unfinished.
        refuse_unfinished(&main, target)?;
        let ns = target.namespace().as_str();
        let dry = intent.is_dry_run();
        self.put_key(
            ns,
            &previous_name(target),
            target.key(),
            Some(&cur),
            None,
            dry,
        )
        .await?;
        let v = self.make_current(target, &staged, true, dry).await?;
        self.put_key(ns, &staged_name(target), target.key(), None, None, dry)
            .await?;
        tracing::info!(target = %target, fingerprint = %v.fingerprint, reason = intent.reason(), "applied secret");
        Ok(v)
    }

    async fn verify(&self, target: &SecretKeyRef) -> Result<SecretCheck> {
        self.current_of(target).await?;
        Ok(SecretCheck::NotApplicable)
    }

    async fn revert(&self, target: &SecretKeyRef, intent: &Intent) -> Result<SecretVersion> {
        let (main, cur) = self.current_of(target).await?;
        let ns = target.namespace().as_str();
        let dry = intent.is_dry_run();
        if self.staged_of(target).await?.is_some()
            && !states(&main)
                .get(target.key())
                .is_some_and(|k| k.unverified)
        {
            // Staged and never applied: dropping the staged value is the whole revert.
            self.put_key(ns, &staged_name(target), target.key(), None, None, dry)
                .await?;
            tracing::info!(target = %target, reason = intent.reason(), "dropped staged secret");
            return Ok(version(&main, target.key(), &cur));
        }
        let previous = self
            .secret(ns, &previous_name(target))
            .await?
            .and_then(|s| value_of(&s, target.key()))
            .ok_or_else(|| Error::conflict(target.to_string(), "there is no previous value"))?;
        let v = self.make_current(target, &previous, false, dry).await?;
        self.put_key(ns, &previous_name(target), target.key(), None, None, dry)
            .await?;
        self.put_key(ns, &staged_name(target), target.key(), None, None, dry)
            .await?;
        tracing::info!(target = %target, fingerprint = %v.fingerprint, reason = intent.reason(), "reverted secret");
        Ok(v)
    }

    async fn pending(&self, target: &SecretKeyRef) -> Result<Option<PendingRotation>> {
        self.pending_of(target).await
    }

    async fn finish(&self, target: &SecretKeyRef, intent: &Intent) -> Result<()> {
        self.finish_of(target, intent).await
    }

    async fn readers(&self, target: &SecretKeyRef) -> Result<Option<Vec<DeploymentRef>>> {
        self.dependents(target.namespace(), target.name().as_str())
            .await
            .map(Some)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn finds_every_way_a_pod_reads_a_secret() {
        let spec = |v: Value| -> PodSpec { serde_json::from_value(v).unwrap() };
        let env = spec(
            json!({"containers": [{"name": "c", "env": [{"name": "X", "valueFrom": {"secretKeyRef": {"name": "s", "key": "k"}}}]}]}),
        );
        let env_from =
            spec(json!({"containers": [{"name": "c", "envFrom": [{"secretRef": {"name": "s"}}]}]}));
        let vol = spec(
            json!({"containers": [{"name": "c"}], "volumes": [{"name": "v", "secret": {"secretName": "s"}}]}),
        );
        let proj = spec(
            json!({"containers": [{"name": "c"}], "volumes": [{"name": "v", "projected": {"sources": [{"secret": {"name": "s"}}]}}]}),
        );
        let other =
            spec(json!({"containers": [{"name": "c", "envFrom": [{"secretRef": {"name": "t"}}]}]}));
        for s in [&env, &env_from, &vol, &proj] {
            assert!(uses_secret(s, "s"));
        }
        assert!(!uses_secret(&other, "s"));
    }

    #[test]
    fn data_patch_is_base64_and_null_removes() {
        let p = data_patch("k", Some(&SecretValue::from_str_value("hi")));
        assert_eq!(p, json!({"data": {"k": "aGk="}}));
        assert_eq!(data_patch("k", None), json!({"data": {"k": null}}));
    }
}
