//! JSON merge patch (RFC 7386): objects merge, `null` deletes, everything else replaces.

use serde_json::Value;

/// Applies a merge patch in place.
pub fn apply(doc: &mut Value, patch: &Value) {
    json_patch::merge(doc, patch);
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn merges_and_deletes() {
        let mut d = json!({"metadata": {"labels": {"a": "1", "b": "2"}}, "spec": {"replicas": 3}});
        apply(
            &mut d,
            &json!({"metadata": {"labels": {"b": null, "c": "3"}}, "spec": {"replicas": 5}}),
        );
        assert_eq!(
            d,
            json!({"metadata": {"labels": {"a": "1", "c": "3"}}, "spec": {"replicas": 5}})
        );
    }
}
