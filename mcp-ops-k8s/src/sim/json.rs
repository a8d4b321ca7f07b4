//! Small helpers to read and write Kubernetes objects held as JSON values.

use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// `metadata.name`, or "".
pub fn name(obj: &Value) -> &str {
    str_at(obj, &["metadata", "name"])
}

/// `metadata.namespace`, or "".
pub fn namespace(obj: &Value) -> &str {
    str_at(obj, &["metadata", "namespace"])
}

/// `metadata.uid`, or "".
pub fn uid(obj: &Value) -> &str {
    str_at(obj, &["metadata", "uid"])
}

/// The value at a path of object keys, if present.
pub fn at<'a>(obj: &'a Value, path: &[&str]) -> Option<&'a Value> {
    let mut cur = obj;
    for key in path {
        cur = cur.get(key)?;
    }
    Some(cur)
}

/// The string at a path, or "".
pub fn str_at<'a>(obj: &'a Value, path: &[&str]) -> &'a str {
    at(obj, path).and_then(Value::as_str).unwrap_or("")
}

/// The integer at a path, or `default`.
pub fn i64_at(obj: &Value, path: &[&str], default: i64) -> i64 {
    at(obj, path).and_then(Value::as_i64).unwrap_or(default)
}

/// The bool at a path, or false.
pub fn bool_at(obj: &Value, path: &[&str]) -> bool {
    at(obj, path).and_then(Value::as_bool).unwrap_or(false)
}

/// A mutable object at a path, creating empty objects (and replacing non-objects) on the way.
pub fn obj_mut<'a>(obj: &'a mut Value, path: &[&str]) -> &'a mut Map<String, Value> {
    let mut cur = obj;
    for key in path {
        if !cur.is_object() {
            *cur = Value::Object(Map::new());
        }
        let Value::Object(map) = cur else {
            unreachable!("just made an object")
        };
        cur = map
            .entry((*key).to_string())
            .or_insert_with(|| Value::Object(Map::new()));
    }
    if !cur.is_object() {
        *cur = Value::Object(Map::new());
    }
    match cur {
        Value::Object(map) => map,
        _ => unreachable!("just made an object"),
    }
}

/// Sets the value at a path (the last element is the key), creating parents.
pub fn set(obj: &mut Value, path: &[&str], value: Value) {
    if let Some((last, parents)) = path.split_last() {
        obj_mut(obj, parents).insert((*last).to_string(), value);
    }
}

/// Removes the key at a path, if present.
pub fn remove(obj: &mut Value, path: &[&str]) -> Option<Value> {
    let (last, parents) = path.split_last()?;
    let mut cur = obj;
    for key in parents {
        cur = cur.get_mut(key)?;
    }
    cur.as_object_mut()?.remove(*last)
}

/// A string map (labels, annotations, selector matchLabels) at a path.
pub fn string_map(obj: &Value, path: &[&str]) -> BTreeMap<String, String> {
    at(obj, path)
        .and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .filter_map(|(k, v)| v.as_str().map(|s| (k.clone(), s.to_string())))
                .collect()
        })
        .unwrap_or_default()
}

/// Labels of an object.
pub fn labels(obj: &Value) -> BTreeMap<String, String> {
    string_map(obj, &["metadata", "labels"])
}

/// The controller owner reference's uid, if any.
pub fn controller_uid(obj: &Value) -> Option<&str> {
    at(obj, &["metadata", "ownerReferences"])?
        .as_array()?
        .iter()
        .find(|r| r.get("controller").and_then(Value::as_bool) == Some(true))
        .and_then(|r| r.get("uid"))
        .and_then(Value::as_str)
}

/// A controller owner reference pointing at `owner`.
pub fn owner_ref(owner: &Value) -> Value {
    serde_json::json!({
        "apiVersion": str_at(owner, &["apiVersion"]),
        "kind": str_at(owner, &["kind"]),
        "name": name(owner),
        "uid": uid(owner),
        "controller": true,
        "blockOwnerDeletion": true,
    })
}

/// Whether the object is being deleted.
pub fn deleting(obj: &Value) -> bool {
    at(obj, &["metadata", "deletionTimestamp"]).is_some_and(|v| !v.is_null())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use serde_json::json;

    #[test]
    fn set_creates_parents_and_remove_removes() {
        let mut v = json!({"metadata": {"name": "a"}});
        set(&mut v, &["spec", "template", "x"], json!(1));
        assert_eq!(i64_at(&v, &["spec", "template", "x"], 0), 1);
        assert_eq!(remove(&mut v, &["spec", "template", "x"]), Some(json!(1)));
        assert_eq!(name(&v), "a");
        assert!(at(&v, &["spec", "template", "x"]).is_none());
    }

    #[test]
    fn controller_uid_picks_the_controller() {
        let v = json!({"metadata": {"ownerReferences": [
            {"uid": "u1"}, {"uid": "u2", "controller": true}]}});
        assert_eq!(controller_uid(&v), Some("u2"));
    }
}
