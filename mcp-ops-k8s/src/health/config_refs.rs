//! [`ConfigCheck`] on [`KubeCluster`]: the ConfigMaps and Secrets (and keys of them) that the
//! pod templates of a namespace's Deployments and StatefulSets need but that do not resolve —
//! the runbook's "Configuration issues: Validate ConfigMaps and Secrets".
//!
//! A template needs what its containers and init containers read through
//! `env[].valueFrom.secretKeyRef` / `configMapKeyRef` (object and key) and
//! `envFrom[].secretRef` / `configMapRef` (object), and what its volumes mount: `secret` /
//! `configMap` (object, and each `items[].key`) and the `secret` / `configMap` sources of
//! `projected` volumes. A reference marked `optional: true` is skipped: Kubernetes starts the
//! pod without it.
//!
//! Each unresolved reference is one line, `deployment/NAME: secret/OBJ has no key KEY` or
//! `statefulset/NAME: configmap/OBJ not found`; the lines are deduplicated and sorted. Only
//! key *names* are read: Secrets and ConfigMaps are fetched into a type that skips every
//! value without decoding or keeping it, and only the referenced objects are fetched.

use std::collections::{BTreeMap, BTreeSet};

use async_trait::async_trait;
use k8s_openapi::api::apps::v1::{Deployment, StatefulSet};
use k8s_openapi::api::core::v1::{ConfigMap, KeyToPath, PodSpec, Secret};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use kube::Resource as _;
use kube::api::GetParams;
use mcp_ops_core::runbook::investigate_error_rate::ConfigCheck;
use mcp_ops_core::types::Namespace;
use mcp_ops_core::{Error, Result};
use serde::Deserialize;
use serde::de::IgnoredAny;

use crate::cluster::KubeCluster;

/// The kind of a referenced configuration object.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    ConfigMap,
    Secret,
}

impl Kind {
    fn label(self) -> &'static str {
        match self {
            Kind::ConfigMap => "configmap",
            Kind::Secret => "secret",
        }
    }

    fn url_path(self, ns: &str) -> String {
        match self {
            Kind::ConfigMap => ConfigMap::url_path(&(), Some(ns)),
            Kind::Secret => Secret::url_path(&(), Some(ns)),
        }
    }
}

/// One thing a pod template needs: an object, and maybe one key of it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Need {
    kind: Kind,
    name: String,
    key: Option<String>,
}

/// A Secret or ConfigMap with its keys and none of its values (each value is skipped by the
/// deserializer, never decoded or stored).
#[derive(Debug, Deserialize)]
struct KeysOnly {
    #[serde(default)]
    data: Option<BTreeMap<String, IgnoredAny>>,
    #[serde(default, rename = "binaryData")]
    binary_data: Option<BTreeMap<String, IgnoredAny>>,
}

impl KeysOnly {
    fn into_keys(self) -> BTreeSet<String> {
        self.data
            .into_iter()
            .flatten()
            .chain(self.binary_data.into_iter().flatten())
            .map(|(k, _)| k)
            .collect()
    }
}

/// Records a need unless it is optional or names nothing.
fn need(out: &mut Vec<Need>, kind: Kind, name: &str, key: Option<&str>, optional: Option<bool>) {
    if optional == Some(true) || name.is_empty() {
        return;
    }
    out.push(Need {
        kind,
        name: name.to_owned(),
        key: key.map(str::to_owned),
    });
}

/// A volume source's object and each of its `items[].key`.
fn need_items(
    out: &mut Vec<Need>,
    kind: Kind,
    name: &str,
    items: Option<&Vec<KeyToPath>>,
    optional: Option<bool>,
) {
    need(out, kind, name, None, optional);
    for item in items.into_iter().flatten() {
        need(out, kind, name, Some(&item.key), optional);
    }
}

/// Everything a pod template needs from ConfigMaps and Secrets (optional references left out).
fn needs(spec: &PodSpec) -> Vec<Need> {
    let mut out = Vec::new();
    let containers = spec
        .init_containers
        .iter()
        .flatten()
        .chain(spec.containers.iter());
    for c in containers {
        for e in c.env.iter().flatten() {
            let Some(from) = &e.value_from else { continue };
            if let Some(r) = &from.secret_key_ref {
                need(&mut out, Kind::Secret, &r.name, Some(&r.key), r.optional);
            }
            if let Some(r) = &from.config_map_key_ref {
                need(&mut out, Kind::ConfigMap, &r.name, Some(&r.key), r.optional);
            }
        }
        for e in c.env_from.iter().flatten() {
            if let Some(r) = &e.secret_ref {
                need(&mut out, Kind::Secret, &r.name, None, r.optional);
            }
            if let Some(r) = &e.config_map_ref {
                need(&mut out, Kind::ConfigMap, &r.name, None, r.optional);
            }
        }
    }
    for v in spec.volumes.iter().flatten() {
        if let Some(s) = &v.secret {
            let name = s.secret_name.as_deref().unwrap_or_default();
            need_items(&mut out, Kind::Secret, name, s.items.as_ref(), s.optional);
        }
        if let Some(c) = &v.config_map {
            need_items(
                &mut out,
                Kind::ConfigMap,
                &c.name,
                c.items.as_ref(),
                c.optional,
            );
        }
        let sources = v.projected.iter().flat_map(|p| p.sources.iter().flatten());
        for src in sources {
            if let Some(s) = &src.secret {
                need_items(
                    &mut out,
                    Kind::Secret,
                    &s.name,
                    s.items.as_ref(),
                    s.optional,
                );
            }
            if let Some(c) = &src.config_map {
                need_items(
                    &mut out,
                    Kind::ConfigMap,
                    &c.name,
                    c.items.as_ref(),
                    c.optional,
                );
            }
        }
    }
    out
}

/// `(workload, needs)` of every Deployment and StatefulSet, workload as `kind/name`.
fn workload_needs(deps: &[Deployment], sets: &[StatefulSet]) -> Vec<(String, Vec<Need>)> {
    let deps = deps.iter().map(|d| {
        let spec = d.spec.as_ref().and_then(|s| s.template.spec.as_ref());
        (format!("deployment/{}", name_of(&d.metadata)), spec)
    });
    let sets = sets.iter().map(|s| {
        let spec = s.spec.as_ref().and_then(|s| s.template.spec.as_ref());
        (format!("statefulset/{}", name_of(&s.metadata)), spec)
    });
    deps.chain(sets)
        .map(|(w, spec)| (w, spec.map(needs).unwrap_or_default()))
        .collect()
}

fn name_of(m: &ObjectMeta) -> &str {
    m.name.as_deref().unwrap_or_default()
}

/// The sorted, deduplicated problem lines, given the keys of each object (`None`: missing).
fn problems(
    workloads: &[(String, Vec<Need>)],
    keys: &BTreeMap<(Kind, String), Option<BTreeSet<String>>>,
) -> Vec<String> {
    let mut out = BTreeSet::new();
    for (workload, needs) in workloads {
        for n in needs {
            let object = format!("{}/{}", n.kind.label(), n.name);
            match keys.get(&(n.kind, n.name.clone())) {
                Some(Some(have)) => {
                    if let Some(key) = n.key.as_ref().filter(|k| !have.contains(*k)) {
                        out.insert(format!("{workload}: {object} has no key {key}"));
                    }
                }
                _ => {
                    out.insert(format!("{workload}: {object} not found"));
                }
            }
        }
    }
    out.into_iter().collect()
}

impl KubeCluster {
    /// The key names of one Secret or ConfigMap; `None` when it does not exist.
    async fn keys_of(&self, kind: Kind, ns: &str, name: &str) -> Result<Option<BTreeSet<String>>> {
        let request = kube::core::Request::new(kind.url_path(ns));
        let label = format!("{ns}/{name}");
        let found: Option<KeysOnly> = self
            .call_opt(kind.label(), &label, || {
                let req = request
                    .get(name, &GetParams::default())
                    .map_err(kube::Error::BuildRequest);
                let client = self.client().clone();
                async move { client.request::<KeysOnly>(req?).await }
            })
            .await?;
        Ok(found.map(KeysOnly::into_keys))
    }

    /// `NotFound` when `ns` certainly does not exist. Only asked when a namespace looks empty;
    /// an error asking (a namespace-scoped account may not read Namespaces) is logged and not
    /// held against the caller.
    pub(crate) async fn namespace_missing_is_not_found(&self, ns: &str) -> Result<()> {
        let api: kube::Api<k8s_openapi::api::core::v1::Namespace> = self.all();
        match self.call_opt("namespace", ns, || api.get(ns)).await {
            Ok(None) => Err(Error::not_found("namespace", ns)),
            Ok(Some(_)) => Ok(()),
            Err(e) => {
                tracing::debug!(namespace = ns, error = %e, "cannot tell whether the namespace exists");
                Ok(())
            }
        }
    }
}

#[async_trait]
impl ConfigCheck for KubeCluster {
    async fn problems(&self, namespace: &Namespace) -> Result<Vec<String>> {
        let ns = namespace.as_str();
        let (deps, sets) = tokio::try_join!(
            self.list::<Deployment>("deployment", Some(ns), None),
            self.list::<StatefulSet>("statefulset", Some(ns), None),
        )?;
        if deps.is_empty() && sets.is_empty() {
            self.namespace_missing_is_not_found(ns).await?;
            return Ok(Vec::new());
        }
        let workloads = workload_needs(&deps, &sets);
        let objects: BTreeSet<(Kind, String)> = workloads
            .iter()
            .flat_map(|(_, n)| n.iter().map(|n| (n.kind, n.name.clone())))
            .collect();
        let fetched =
            futures::future::try_join_all(objects.into_iter().map(|(kind, name)| async move {
                let keys = self.keys_of(kind, ns, &name).await?;
                Ok::<_, Error>(((kind, name), keys))
            }))
            .await?;
        let keys: BTreeMap<_, _> = fetched.into_iter().collect();
        let out = problems(&workloads, &keys);
        tracing::debug!(
            namespace = ns,
            problems = out.len(),
            "configuration references checked"
        );
        Ok(out)
    }
}
