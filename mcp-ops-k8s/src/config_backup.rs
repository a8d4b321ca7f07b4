//! Configuration backup of a namespace — the runbook's `kubectl get all,configmaps,secrets
//! -o yaml > backup-config.yaml`, made safe and re-appliable.
//!
//! Deployments, Services, ConfigMaps, Secrets, HorizontalPodAutoscalers, Ingresses and
//! CronJobs are written as multi-document YAML with the fields the server owns removed
//! (`status`, `uid`, `resourceVersion`, `managedFields`, `creationTimestamp`, `generation`,
//! ownerReferences, a Service's cluster IPs, the deployment revision annotation), so the file
//! re-applies cleanly. **No Secret value is ever written in plain text**: each Secret keeps its
//! metadata and type, its data is dropped and the key names are listed in the annotation
//! `mcp-ops.io/data-omitted`; `last-applied-configuration` (which would repeat the values) is
//! dropped too.
//!
//! With [`SecretEncryption::Age`] ([`KubeCluster::export_config_with`]) the values are kept,
//! encrypted: the JSON map `key → base64 value` of each Secret is age-encrypted to every
//! recipient and stored ASCII-armored in the annotation [`DATA_AGE`] (see [`encryption`]).
//! [`KubeCluster::restore_config_with`] given an identity decrypts and applies such Secrets
//! with their data (the two annotations removed); without one they are skipped
//! (`encrypted: no identity given`), like Secrets whose values were left out.
//!
//! A restore first reads and checks the whole file — every kind known, every encrypted Secret
//! decrypted — and only then writes: a wrong identity or a damaged blob fails the restore
//! before anything is applied, and a dry run decrypts too (so it validates the identity).

use kube::api::{Api, ApiResource, DynamicObject, ListParams};
use mcp_ops_core::Result;
use mcp_ops_core::types::Namespace;
use serde_json::{Value, json};

pub mod encryption;
mod restore;

pub use encryption::{AgeKeyPair, AgeRecipients, DATA_AGE, SecretEncryption};
pub use restore::{NO_IDENTITY, NO_VALUES};

use crate::cluster::KubeCluster;
use crate::error::malformed;

/// The annotation listing the Secret keys whose values were left out.
pub const DATA_OMITTED: &str = "mcp-ops.io/data-omitted";

/// `(group, version, kind, plural)` of every kind in a configuration backup, in apply order.
pub const KINDS: [(&str, &str, &str, &str); 7] = [
    ("", "v1", "ConfigMap", "configmaps"),
    ("", "v1", "Secret", "secrets"),
    ("", "v1", "Service", "services"),
    ("apps", "v1", "Deployment", "deployments"),
    (
        "autoscaling",
        "v2",
        "HorizontalPodAutoscaler",
        "horizontalpodautoscalers",
    ),
    ("networking.k8s.io", "v1", "Ingress", "ingresses"),
    ("batch", "v1", "CronJob", "cronjobs"),
];

fn resource(group: &str, version: &str, kind: &str, plural: &str) -> ApiResource {
    ApiResource {
        group: group.into(),
        version: version.into(),
        api_version: if group.is_empty() {
            version.into()
        } else {
            format!("{group}/{version}")
        },
        kind: kind.into(),
        plural: plural.into(),
    }
}

pub(crate) fn resource_for(api_version: &str, kind: &str) -> Option<ApiResource> {
    KINDS
        .iter()
        .map(|(g, v, k, p)| resource(g, v, k, p))
        .find(|r| r.api_version == api_version && r.kind == kind)
}

/// The result of an export.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigExport {
    /// Multi-document YAML, free of plain Secret values.
    pub yaml: String,
    /// Objects written.
    pub objects: usize,
    /// `secret/NAME` of every Secret whose values were left out.
    pub secrets_without_values: Vec<String>,
    /// `secret/NAME` of every Secret whose values are in the file, age-encrypted.
    pub secrets_encrypted: Vec<String>,
}

/// The result of a restore.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ConfigRestore {
    /// `kind/name` of objects created.
    pub created: Vec<String>,
    /// `kind/name` of objects that existed and were replaced.
    pub replaced: Vec<String>,
    /// `kind/name` of objects not restored, with why.
    pub skipped: Vec<String>,
    /// Whether this was a dry run (`dryRun=All`).
    pub dry_run: bool,
}

/// Removes what the server owns from one object (and every Secret value).
pub fn strip(obj: &mut Value) {
    if let Some(o) = obj.as_object_mut() {
        o.remove("status");
    }
    if let Some(m) = obj.get_mut("metadata").and_then(Value::as_object_mut) {
        for k in [
            "uid",
            "resourceVersion",
            "managedFields",
            "creationTimestamp",
            "generation",
            "selfLink",
            "ownerReferences",
            "deletionTimestamp",
            "deletionGracePeriodSeconds",
            "namespace",
        ] {
            m.remove(k);
        }
        if let Some(a) = m.get_mut("annotations").and_then(Value::as_object_mut) {
            a.remove("deployment.kubernetes.io/revision");
            a.remove("deployment.kubernetes.io/revision-history");
        }
    }
    match obj.get("kind").and_then(Value::as_str) {
        Some("Secret") => {
            let mut keys: Vec<String> = Vec::new();
            if let Some(o) = obj.as_object_mut() {
                for field in ["data", "stringData"] {
                    if let Some(Value::Object(d)) = o.remove(field) {
                        keys.extend(d.keys().cloned());
                    }
                }
            }
            keys.sort();
            keys.dedup();
            let meta = &mut obj["metadata"];
            if let Some(a) = meta.get_mut("annotations").and_then(Value::as_object_mut) {
                a.remove("kubectl.kubernetes.io/last-applied-configuration");
            }
            meta["annotations"][DATA_OMITTED] = json!(keys.join(","));
        }
        Some("Service") => {
            if let Some(s) = obj.get_mut("spec").and_then(Value::as_object_mut) {
                s.remove("clusterIP");
                s.remove("clusterIPs");
            }
        }
        _ => {}
    }
}

impl KubeCluster {
    /// Exports the configuration objects of `namespace`, Secret values left out (see the
    /// module docs); the same as [`export_config_with`](Self::export_config_with) and
    /// [`SecretEncryption::None`].
    ///
    /// # Errors
    /// Backend errors; a kind the server does not serve is left out, not an error.
    pub async fn export_config(&self, namespace: &Namespace) -> Result<ConfigExport> {
        self.export_config_with(namespace, &SecretEncryption::None)
            .await
    }

    /// Exports the configuration objects of `namespace`; Secret values are left out or
    /// age-encrypted as `encryption` says (see the module docs).
    ///
    /// # Errors
    /// Backend errors; a kind the server does not serve is left out, not an error.
    pub async fn export_config_with(
        &self,
        namespace: &Namespace,
        encryption: &SecretEncryption,
    ) -> Result<ConfigExport> {
        let ns = namespace.as_str();
        let mut docs = Vec::new();
        let (mut omitted, mut encrypted) = (Vec::new(), Vec::new());
        for (g, v, k, p) in KINDS {
            let ar = resource(g, v, k, p);
            let api: Api<DynamicObject> = Api::namespaced_with(self.client().clone(), ns, &ar);
            let lp = ListParams::default();
            let Some(list) = self.call_opt(p_label(k), ns, || api.list(&lp)).await? else {
                continue;
            };
            let mut items = list.items;
            items.sort_by(|a, b| a.metadata.name.cmp(&b.metadata.name));
            for item in items {
                let name = item.metadata.name.clone().unwrap_or_default();
                if k == "ConfigMap" && name == "kube-root-ca.crt" {
                    continue;
                }
                let mut v = serde_json::to_value(&item).map_err(|e| malformed(e.to_string()))?;
                v["apiVersion"] = json!(ar.api_version);
                v["kind"] = json!(k);
                let blob = match (k, encryption) {
                    ("Secret", SecretEncryption::Age(r)) => {
                        Some(encryption::encrypt_values(&v, r)?)
                    }
                    _ => None,
                };
                strip(&mut v);
                if k == "Secret" {
                    let label = format!("secret/{name}");
                    match blob {
                        Some(blob) => {
                            v["metadata"]["annotations"][DATA_AGE] = json!(blob);
                            encrypted.push(label);
                        }
                        None => omitted.push(label),
                    }
                }
                docs.push(v);
            }
        }
        let yaml = serde_saphyr::to_string_multiple(&docs)
            .map_err(|e| malformed(format!("writing YAML: {e}")))?;
        Ok(ConfigExport {
            yaml,
            objects: docs.len(),
            secrets_without_values: omitted,
            secrets_encrypted: encrypted,
        })
    }
}

fn p_label(kind: &str) -> &'static str {
    match kind {
        "ConfigMap" => "configmap",
        "Secret" => "secret",
        "Service" => "service",
        "Deployment" => "deployment",
        "HorizontalPodAutoscaler" => "horizontalpodautoscaler",
        "Ingress" => "ingress",
        _ => "cronjob",
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn strips_server_fields_and_secret_values() {
        let mut s = json!({"apiVersion": "v1", "kind": "Secret",
            "metadata": {"name": "s", "namespace": "n", "uid": "u", "resourceVersion": "9",
                "managedFields": [], "creationTimestamp": "t",
                "annotations": {"kubectl.kubernetes.io/last-applied-configuration": "{\"data\":{\"k\":\"c2VjcmV0\"}}"}},
            "type": "Opaque", "data": {"k": "c2VjcmV0", "a": "eA=="}, "stringData": {"p": "plain"}});
        strip(&mut s);
        assert_eq!(
            s,
            json!({"apiVersion": "v1", "kind": "Secret",
            "metadata": {"name": "s", "annotations": {DATA_OMITTED: "a,k,p"}}, "type": "Opaque"})
        );
        let mut svc = json!({"kind": "Service", "metadata": {"name": "x", "generation": 1},
            "spec": {"clusterIP": "10.0.0.1", "clusterIPs": ["10.0.0.1"], "ports": []}, "status": {}});
        strip(&mut svc);
        assert_eq!(
            svc,
            json!({"kind": "Service", "metadata": {"name": "x"}, "spec": {"ports": []}})
        );
    }
}
