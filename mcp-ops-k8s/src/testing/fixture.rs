//! Manifests moved into a test's own namespace.

use std::path::Path;

use serde_json::{Value, json};

use super::ControlPlaneError;

/// Reads a multi-document YAML manifest and returns a `v1/List` of its objects placed in
/// `namespace`: `Namespace` documents are dropped, namespaced objects get `namespace`, and
/// RoleBinding/ClusterRoleBinding subjects that named the manifest's namespace name the new one.
pub(super) fn in_namespace(path: &Path, namespace: &str) -> Result<Value, ControlPlaneError> {
    let bad = |reason: String| ControlPlaneError::Manifest {
        path: path.to_path_buf(),
        reason,
    };
    let text = std::fs::read_to_string(path).map_err(|e| bad(e.to_string()))?;
    let docs: Vec<Value> =
        serde_saphyr::from_str_multiple(&text).map_err(|e| bad(e.to_string()))?;
    let mut items = Vec::new();
    for mut doc in docs.into_iter().filter(|d| !d.is_null()) {
        let kind = doc["kind"].as_str().unwrap_or_default().to_string();
        if kind.is_empty() {
            return Err(bad("a document has no kind".into()));
        }
        if kind == "Namespace" {
            continue;
        }
        let old = doc["metadata"]["namespace"].as_str().map(str::to_string);
        if old.is_some() {
            doc["metadata"]["namespace"] = json!(namespace);
        }
        if let Some(subjects) = doc["subjects"].as_array_mut() {
            for s in subjects {
                if s["namespace"].as_str() == old.as_deref() {
                    s["namespace"] = json!(namespace);
                }
            }
        }
        items.push(doc);
    }
    Ok(json!({"apiVersion": "v1", "kind": "List", "items": items}))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn objects_move_to_the_namespace_and_namespaces_are_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.yaml");
        std::fs::write(
            &path,
            "apiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, namespace: a}\n---\napiVersion: v1\nkind: Node\nmetadata: {name: n}\n",
        )
        .unwrap();
        let list = in_namespace(&path, "t-1").unwrap();
        let items = list["items"].as_array().unwrap();
        assert_eq!(items.len(), 2);
        assert_eq!(items[0]["metadata"]["namespace"], "t-1");
        assert!(items[1]["metadata"].get("namespace").is_none());
    }

    #[test]
    fn a_document_without_kind_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.yaml");
        std::fs::write(&path, "apiVersion: v1\nmetadata: {name: x}\n").unwrap();
        assert!(matches!(
            in_namespace(&path, "t"),
            Err(ControlPlaneError::Manifest { .. })
        ));
    }
}
