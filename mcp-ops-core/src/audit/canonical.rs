//! The canonical form a record's hash is computed over: JSON with object keys sorted
//! (byte order) and no whitespace, written here key by key so that the form does not depend
//! on how `serde_json` orders maps (its `preserve_order` feature may be enabled by any crate
//! in a build).

use serde_json::Value;
use sha2::{Digest, Sha256};

/// The `prev` of the first record: 64 zeros.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// `value` as canonical JSON: keys sorted, no whitespace.
#[must_use]
pub fn canonical_json(value: &Value) -> String {
    let mut out = String::new();
    write(value, &mut out);
    out
}

fn write(value: &Value, out: &mut String) {
    match value {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            out.push('{');
            for (i, key) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String(key.clone()).to_string());
                out.push(':');
                if let Some(v) = map.get(key) {
                    write(v, out);
                }
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, v) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write(v, out);
            }
            out.push(']');
        }
        scalar => out.push_str(&scalar.to_string()),
    }
}

/// Hex SHA-256 of the canonical form of `value` without its top-level `hash` key.
#[must_use]
pub fn content_hash(value: &Value) -> String {
    let text = match value {
        Value::Object(map) if map.contains_key("hash") => {
            let mut without = map.clone();
            without.remove("hash");
            canonical_json(&Value::Object(without))
        }
        other => canonical_json(other),
    };
    hex::encode(Sha256::digest(text.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn keys_are_sorted_at_every_level_without_whitespace() {
        let v = json!({"b": 1, "a": {"z": [1, {"y": null, "x": "q\""}], "c": true}});
        assert_eq!(
            canonical_json(&v),
            r#"{"a":{"c":true,"z":[1,{"x":"q\"","y":null}]},"b":1}"#
        );
    }

    #[test]
    fn the_hash_ignores_only_the_top_level_hash_key() {
        let a = json!({"seq": 1, "hash": "x", "inner": {"hash": "kept"}});
        let b = json!({"inner": {"hash": "kept"}, "seq": 1});
        assert_eq!(content_hash(&a), content_hash(&b));
        assert_eq!(content_hash(&a).len(), 64);
        let c = json!({"seq": 1, "inner": {"hash": "other"}});
        assert_ne!(content_hash(&a), content_hash(&c));
    }
}
