//! Configuration backup of a namespace — the runbook's `kubectl get all,configmaps,secrets
//! -o yaml > backup-config.yaml`, made safe and re-appliable.
//!
//! Deployments, Services, ConfigMaps, Secrets, HorizontalPodAutoscalers, Ingresses and
//! CronJobs are written as multi-document YAML with the fields the server owns removed
//! (`status`, `uid`, `resourceVersion`, `managedFields`, `creationTimestamp`, `generation`,
//! ownerReferences, a Service's cluster IPs, the deployment revision annotation), so the file
//! re-applies cleanly. **Secret values are never written**: each Secret keeps its metadata and
//! type, its data is dropped and the key names are listed in the annotation
//! `mcp-ops.io/data-omitted`; `last-applied-configuration` (which would repeat the values) is
//! dropped too. Encrypting the values for an age recipient is not implemented yet.

use kube::api::{Api, ApiResource, DynamicObject, ListParams, PostParams};
use mcp_ops_core::types::{Intent, Namespace};
use mcp_ops_core::{Error, Result};
use serde_json::{Value, json};

use crate::cluster::KubeCluster;
use crate::error::malformed;
use crate::retry::OnConflict;

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

fn resource_for(api_version: &str, kind: &str) -> Option<ApiResource> {
    KINDS
        .iter()
        .map(|(g, v, k, p)| resource(g, v, k, p))
        .find(|r| r.api_version == api_version && r.kind == kind)
}

/// The result of an export.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigExport {
    /// Multi-document YAML, free of Secret values.
    pub yaml: String,
    /// Objects written.
    pub objects: usize,
    /// `secret/NAME` of every Secret whose values were left out.
    pub secrets_without_values: Vec<String>,
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
    /// Exports the configuration objects of `namespace` (see the module docs).
    ///
    /// # Errors
    /// Backend errors; a kind the server does not serve is left out, not an error.
    pub async fn export_config(&self, namespace: &Namespace) -> Result<ConfigExport> {
        let ns = namespace.as_str();
        let mut docs = Vec::new();
        let mut secrets = Vec::new();
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
                strip(&mut v);
                if k == "Secret" {
                    secrets.push(format!("secret/{name}"));
                }
                docs.push(v);
            }
        }
        let yaml = serde_saphyr::to_string_multiple(&docs)
            .map_err(|e| malformed(format!("writing YAML: {e}")))?;
        Ok(ConfigExport {
            yaml,
            objects: docs.len(),
            secrets_without_values: secrets,
        })
    }

    /// Applies an export to `namespace`: creates what is missing and replaces what exists.
    /// Secrets whose values were left out are only listed as skipped (an empty Secret would
    /// break its users).
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for YAML that is not an export; backend errors.
    pub async fn restore_config(
        &self,
        namespace: &Namespace,
        yaml: &str,
        intent: &Intent,
    ) -> Result<ConfigRestore> {
        let docs: Vec<Value> = serde_saphyr::from_str_multiple(yaml)
            .map_err(|e| Error::invalid("configuration backup", format!("not YAML: {e}")))?;
        let ns = namespace.as_str();
        let mut out = ConfigRestore {
            dry_run: intent.is_dry_run(),
            ..ConfigRestore::default()
        };
        for mut doc in docs {
            let api_version = doc["apiVersion"].as_str().unwrap_or_default().to_owned();
            let kind = doc["kind"].as_str().unwrap_or_default().to_owned();
            let name = doc["metadata"]["name"]
                .as_str()
                .unwrap_or_default()
                .to_owned();
            let label = format!("{}/{name}", kind.to_lowercase());
            let ar = resource_for(&api_version, &kind).ok_or_else(|| {
                Error::invalid(
                    "configuration backup",
                    format!("unexpected kind {api_version} {kind}"),
                )
            })?;
            if kind == "Secret" && doc["metadata"]["annotations"].get(DATA_OMITTED).is_some() {
                out.skipped
                    .push(format!("{label}: its values are not in the backup"));
                continue;
            }
            doc["metadata"]["namespace"] = json!(ns);
            let obj: DynamicObject = serde_json::from_value(doc)
                .map_err(|e| Error::invalid("configuration backup", e.to_string()))?;
            let api: Api<DynamicObject> = Api::namespaced_with(self.client().clone(), ns, &ar);
            let pp: PostParams = self.post_params(intent.is_dry_run());
            let created = self
                .call("object", &label, OnConflict::Fail, || api.create(&pp, &obj))
                .await;
            match created {
                Ok(_) => {
                    out.created.push(label);
                    continue;
                }
                Err(Error::Conflict { .. }) => {}
                Err(e) => return Err(e),
            }
            // It exists: replace it at its current resourceVersion (re-read on conflict).
            self.call("object", &label, OnConflict::Reread, || async {
                let current = api.get(&name).await?;
                let mut next = obj.clone();
                next.metadata.resource_version = current.metadata.resource_version;
                api.replace(&name, &pp, &next).await
            })
            .await?;
            out.replaced.push(label);
        }
        tracing::info!(
            namespace = ns,
            created = out.created.len(),
            replaced = out.replaced.len(),
            reason = intent.reason(),
            "restored configuration"
        );
        Ok(out)
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
