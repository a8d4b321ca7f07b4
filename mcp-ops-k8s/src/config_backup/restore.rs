//! Applying a configuration export: every document is checked (and every encrypted Secret
//! decrypted) first, then the objects are created or replaced in file order.

use kube::api::{Api, ApiResource, DynamicObject, PostParams};
use mcp_ops_core::types::{Intent, Namespace, SecretValue};
use mcp_ops_core::{Error, Result};
use serde_json::{Value, json};

use super::encryption::{decrypt_values, parse_identities};
use super::{ConfigRestore, DATA_AGE, DATA_OMITTED, resource_for};
use crate::cluster::KubeCluster;
use crate::retry::OnConflict;

/// Why a Secret with encrypted values is skipped when no identity is given.
pub const NO_IDENTITY: &str = "encrypted: no identity given";
/// Why a Secret whose values were left out is skipped.
pub const NO_VALUES: &str = "its values are not in the backup";

/// What the restore does with one document.
enum Step {
    Apply {
        label: String,
        name: String,
        ar: ApiResource,
        obj: Box<DynamicObject>,
    },
    Skip(String),
}

/// Checks one document and, for an encrypted Secret with identities, decrypts its data.
fn plan(mut doc: Value, ns: &str, identities: Option<&[age::x25519::Identity]>) -> Result<Step> {
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
    if kind == "Secret" {
        let annotations = &doc["metadata"]["annotations"];
        let listed = annotations[DATA_OMITTED].as_str().map(str::to_owned);
        match (annotations[DATA_AGE].as_str(), listed, identities) {
            (Some(_), _, None) => return Ok(Step::Skip(format!("{label}: {NO_IDENTITY}"))),
            (Some(blob), listed, Some(ids)) => {
                let data = decrypt_values(blob, ids, &label, listed.as_deref().unwrap_or(""))?;
                doc["data"] = Value::Object(data);
                if let Some(a) = doc["metadata"]
                    .get_mut("annotations")
                    .and_then(Value::as_object_mut)
                {
                    a.remove(DATA_AGE);
                    a.remove(DATA_OMITTED);
                    if a.is_empty() {
                        doc["metadata"]
                            .as_object_mut()
                            .map(|m| m.remove("annotations"));
                    }
                }
            }
            (None, Some(_), _) => return Ok(Step::Skip(format!("{label}: {NO_VALUES}"))),
            (None, None, _) => {}
        }
    }
    doc["metadata"]["namespace"] = json!(ns);
    let obj: DynamicObject = serde_json::from_value(doc).map_err(|e| {
        // The message of a Secret may quote its data: name the object only.
        let why = if kind == "Secret" {
            "not a valid Secret".to_owned()
        } else {
            e.to_string()
        };
        Error::invalid("configuration backup", format!("{label}: {why}"))
    })?;
    Ok(Step::Apply {
        label,
        name,
        ar,
        obj: Box::new(obj),
    })
}

impl KubeCluster {
    /// Applies an export to `namespace` without an identity: the same as
    /// [`restore_config_with`](Self::restore_config_with) with `None`.
    ///
    /// # Errors
    /// See [`restore_config_with`](Self::restore_config_with).
    pub async fn restore_config(
        &self,
        namespace: &Namespace,
        yaml: &str,
        intent: &Intent,
    ) -> Result<ConfigRestore> {
        self.restore_config_with(namespace, yaml, intent, None)
            .await
    }

    /// Applies an export to `namespace`: creates what is missing and replaces what exists.
    ///
    /// Secrets whose values were left out are only listed as skipped (an empty Secret would
    /// break its users); so are Secrets with encrypted values when `identity` is `None`
    /// (reason `encrypted: no identity given`). With an `identity` (an age X25519 secret key
    /// `AGE-SECRET-KEY-1…`, or the text of an age identity file) encrypted Secrets are
    /// decrypted and applied with their data.
    ///
    /// Nothing is written until every document has been checked and every encrypted Secret
    /// decrypted; a dry run (`dryRun=All`) does the same checks and decryption.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for YAML that is not an export; with field `age identity` for
    /// an identity that is not a secret key or (naming the Secret) is not a recipient of a
    /// Secret's data; with field `configuration backup` (naming the Secret) for encrypted data
    /// that is damaged. In all these cases nothing is applied. Backend errors while applying
    /// (objects applied before stay).
    pub async fn restore_config_with(
        &self,
        namespace: &Namespace,
        yaml: &str,
        intent: &Intent,
        identity: Option<&SecretValue>,
    ) -> Result<ConfigRestore> {
        let docs: Vec<Value> = serde_saphyr::from_str_multiple(yaml).map_err(|e| {
            Error::invalid(
                "configuration backup",
                crate::kubeconfig_error::yaml_error(&e),
            )
        })?;
        let identities = identity.map(parse_identities).transpose()?;
        let ns = namespace.as_str();
        let steps = docs
            .into_iter()
            .map(|doc| plan(doc, ns, identities.as_deref()))
            .collect::<Result<Vec<_>>>()?;
        drop(identities);
        let mut out = ConfigRestore {
            dry_run: intent.is_dry_run(),
            ..ConfigRestore::default()
        };
        for step in steps {
            let (label, name, ar, obj) = match step {
                Step::Skip(why) => {
                    out.skipped.push(why);
                    continue;
                }
                Step::Apply {
                    label,
                    name,
                    ar,
                    obj,
                } => (label, name, ar, obj),
            };
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
                let mut next = (*obj).clone();
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
            skipped = out.skipped.len(),
            reason = intent.reason(),
            "restored configuration"
        );
        Ok(out)
    }
}
