//! JSON patch (RFC 6902): a list of add/remove/replace/move/copy/test operations.

use serde_json::Value;

/// Applies a JSON patch in place; the error names the failing operation.
pub fn apply(doc: &mut Value, patch: &Value) -> Result<(), String> {
    let ops: json_patch::Patch =
        serde_json::from_value(patch.clone()).map_err(|e| format!("invalid JSON patch: {e}"))?;
    json_patch::patch(doc, &ops)
        .map_err(|e| format!("the server rejected our request due to an error in our request: {e}"))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use serde_json::json;

    #[test]
    fn replace_and_failed_test() {
        let mut d =
            json!({"spec": {"template": {"a": 1}}, "metadata": {"annotations": {"x": "1"}}});
        apply(
            &mut d,
            &json!([
                {"op": "replace", "path": "/spec/template", "value": {"b": 2}},
                {"op": "replace", "path": "/metadata/annotations", "value": {"y": "2"}}
            ]),
        )
        .unwrap();
        assert_eq!(d["spec"]["template"], json!({"b": 2}));
        assert_eq!(d["metadata"]["annotations"], json!({"y": "2"}));
        assert!(
            apply(
                &mut d,
                &json!([{"op": "test", "path": "/spec/template/b", "value": 3}])
            )
            .is_err()
        );
        assert!(apply(&mut d, &json!({"op": "x"})).is_err());
    }
}
