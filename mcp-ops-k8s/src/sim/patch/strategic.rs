//! Strategic merge patch: like a merge patch, but lists with a merge key (containers by
//! `name`, ports by `containerPort`, ...) merge element-wise, and the `$patch`,
//! `$setElementOrder/…`, `$retainKeys` and `$deleteFromPrimitiveList/…` directives apply.

use serde_json::{Map, Value};

/// The merge key of a list field, given the field name and its parent path.
fn merge_key(path: &[String], field: &str) -> Option<&'static str> {
    let in_container = path
        .iter()
        .any(|p| p == "containers" || p == "initContainers" || p == "ephemeralContainers");
    match field {
        "containers"
        | "initContainers"
        | "ephemeralContainers"
        | "env"
        | "volumes"
        | "imagePullSecrets" => Some("name"),
        "volumeMounts" => Some("mountPath"),
        "volumeDevices" => Some("devicePath"),
        "hostAliases" => Some("ip"),
        "ports" if in_container => Some("containerPort"),
        "ports" => Some("port"),
        "conditions" => Some("type"),
        "ownerReferences" => Some("uid"),
        "topologySpreadConstraints" => Some("topologyKey"),
        _ => None,
    }
}

/// Lists of scalars merged as sets.
fn is_primitive_merge(field: &str) -> bool {
    field == "finalizers"
}

/// Applies a strategic merge patch in place.
pub fn apply(doc: &mut Value, patch: &Value) -> Result<(), String> {
    let Value::Object(p) = patch else {
        return Err("strategic merge patch must be a JSON object".into());
    };
    if !doc.is_object() {
        *doc = Value::Object(Map::new());
    }
    if let Value::Object(d) = doc {
        merge_map(d, p, &mut Vec::new())?;
    }
    Ok(())
}

/// A patch value with all directives removed (for values that are inserted as a whole).
fn strip(v: &Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(
            m.iter()
                .filter(|(k, _)| !k.starts_with('$'))
                .map(|(k, v)| (k.clone(), strip(v)))
                .collect(),
        ),
        Value::Array(a) => Value::Array(
            a.iter()
                .filter(|e| e.get("$patch").is_none())
                .map(strip)
                .collect(),
        ),
        other => other.clone(),
    }
}

fn merge_map(
    orig: &mut Map<String, Value>,
    patch: &Map<String, Value>,
    path: &mut Vec<String>,
) -> Result<(), String> {
    match patch.get("$patch").and_then(Value::as_str) {
        Some("replace") => {
            *orig = match strip(&Value::Object(patch.clone())) {
                Value::Object(m) => m,
                _ => Map::new(),
            };
            return Ok(());
        }
        Some("delete") => {
            orig.clear();
            return Ok(());
        }
        Some("merge") | None => {}
        Some(other) => return Err(format!("unknown patch type: {other}")),
    }
    let mut orders: Vec<(&str, &Vec<Value>)> = Vec::new();
    for (k, v) in patch {
        if let Some(field) = k.strip_prefix("$setElementOrder/") {
            if let Value::Array(order) = v {
                orders.push((field, order));
            }
            continue;
        }
        if let Some(field) = k.strip_prefix("$deleteFromPrimitiveList/") {
            if let (Some(Value::Array(list)), Value::Array(del)) = (orig.get_mut(field), v) {
                list.retain(|e| !del.contains(e));
            }
            continue;
        }
        if k.starts_with('$') {
            continue;
        }
        match v {
            Value::Null => {
                orig.remove(k);
            }
            Value::Object(pm) => {
                if pm.get("$patch").and_then(Value::as_str) == Some("delete") {
                    orig.remove(k);
                    continue;
                }
                let entry = orig
                    .entry(k.clone())
                    .or_insert_with(|| Value::Object(Map::new()));
                if !entry.is_object() {
                    *entry = Value::Object(Map::new());
                }
                if let Value::Object(om) = entry {
                    path.push(k.clone());
                    merge_map(om, pm, path)?;
                    path.pop();
                }
            }
            Value::Array(pl) => {
                let mk = merge_key(path, k);
                match (mk, orig.get_mut(k)) {
                    (Some(mk), Some(Value::Array(ol))) => {
                        path.push(k.clone());
                        merge_list(ol, pl, mk, path)?;
                        path.pop();
                    }
                    (None, Some(Value::Array(ol))) if is_primitive_merge(k) => {
                        for e in pl {
                            if !ol.contains(e) {
                                ol.push(e.clone());
                            }
                        }
                    }
                    _ => {
                        orig.insert(k.clone(), strip(v));
                    }
                }
            }
            other => {
                orig.insert(k.clone(), other.clone());
            }
        }
    }
    for (field, order) in orders {
        if let Some(Value::Array(list)) = orig.get_mut(field) {
            reorder(list, order, merge_key(path, field));
        }
    }
    if let Some(Value::Array(keep)) = patch.get("$retainKeys") {
        let keep: Vec<&str> = keep.iter().filter_map(Value::as_str).collect();
        orig.retain(|k, _| keep.contains(&k.as_str()));
    }
    Ok(())
}

fn merge_list(
    orig: &mut Vec<Value>,
    patch: &[Value],
    mk: &str,
    path: &mut Vec<String>,
) -> Result<(), String> {
    if patch
        .iter()
        .any(|e| e.get("$patch").and_then(Value::as_str) == Some("replace"))
    {
        *orig = patch
            .iter()
            .filter(|e| e.get("$patch").is_none())
            .map(strip)
            .collect();
        return Ok(());
    }
    for item in patch {
        let Value::Object(pm) = item else {
            if !orig.contains(item) {
                orig.push(item.clone());
            }
            continue;
        };
        let key = pm.get(mk).cloned().unwrap_or(Value::Null);
        let pos = orig.iter().position(|o| o.get(mk) == Some(&key));
        if pm.get("$patch").and_then(Value::as_str) == Some("delete") {
            if let Some(i) = pos {
                orig.remove(i);
            }
            continue;
        }
        match pos {
            Some(i) => {
                if let Value::Object(om) = &mut orig[i] {
                    merge_map(om, pm, path)?;
                }
            }
            None => orig.push(strip(item)),
        }
    }
    Ok(())
}

/// Orders `list` as `order` says; elements the order does not name keep their place after.
fn reorder(list: &mut Vec<Value>, order: &[Value], mk: Option<&str>) {
    let key_of = |v: &Value| -> Value {
        match mk {
            Some(k) => v.get(k).cloned().unwrap_or(Value::Null),
            None => v.clone(),
        }
    };
    let wanted: Vec<Value> = order.iter().map(key_of).collect();
    let mut sorted: Vec<Value> = Vec::with_capacity(list.len());
    for w in &wanted {
        if let Some(i) = list.iter().position(|e| &key_of(e) == w) {
            sorted.push(list.remove(i));
        }
    }
    sorted.append(list);
    *list = sorted;
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use serde_json::json;

    #[test]
    fn set_image_merges_containers_by_name() {
        let mut d = json!({"spec": {"template": {"spec": {"containers": [
            {"name": "a", "image": "a:1", "ports": [{"containerPort": 80}]},
            {"name": "b", "image": "b:1"}]}}}});
        apply(
            &mut d,
            &json!({"spec": {"template": {"spec": {
            "$setElementOrder/containers": [{"name": "a"}, {"name": "b"}],
            "containers": [{"name": "b", "image": "b:2"}]}}}}),
        )
        .unwrap();
        let cs = &d["spec"]["template"]["spec"]["containers"];
        assert_eq!(
            cs[0],
            json!({"name": "a", "image": "a:1", "ports": [{"containerPort": 80}]})
        );
        assert_eq!(cs[1], json!({"name": "b", "image": "b:2"}));
    }

    #[test]
    fn element_order_and_delete_directive() {
        let mut d = json!({"spec": {"containers": [{"name": "a"}, {"name": "b"}, {"name": "c"}]}});
        apply(
            &mut d,
            &json!({"spec": {
            "$setElementOrder/containers": [{"name": "c"}, {"name": "a"}],
            "containers": [{"name": "b", "$patch": "delete"}]}}),
        )
        .unwrap();
        assert_eq!(
            d["spec"]["containers"],
            json!([{"name": "c"}, {"name": "a"}])
        );
    }

    #[test]
    fn env_merges_by_name_and_nulls_delete() {
        let mut d = json!({"containers": [{"name": "a", "env": [{"name": "X", "value": "1"}], "args": ["p"]}], "x": 1});
        apply(
            &mut d,
            &json!({"x": null, "containers": [{"name": "a", "args": ["q"],
            "env": [{"name": "Y", "value": "2"}]}]}),
        )
        .unwrap();
        assert_eq!(
            d,
            json!({"containers": [{"name": "a", "args": ["q"],
            "env": [{"name": "X", "value": "1"}, {"name": "Y", "value": "2"}]}]})
        );
    }

    #[test]
    fn replace_and_retain_keys() {
        let mut d = json!({"strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1}}, "m": {"a": 1}});
        apply(
            &mut d,
            &json!({"strategy": {"$retainKeys": ["type"], "type": "Recreate"},
            "m": {"$patch": "replace", "b": 2}}),
        )
        .unwrap();
        assert_eq!(d, json!({"strategy": {"type": "Recreate"}, "m": {"b": 2}}));
    }

    #[test]
    fn service_ports_merge_by_port_and_finalizers_union() {
        let mut d = json!({"metadata": {"finalizers": ["a"]}, "spec": {"ports": [{"port": 80, "name": "http"}]}});
        apply(&mut d, &json!({"metadata": {"finalizers": ["b"]}, "spec": {"ports": [{"port": 80, "targetPort": 8080}]}})).unwrap();
        assert_eq!(d["metadata"]["finalizers"], json!(["a", "b"]));
        assert_eq!(
            d["spec"]["ports"],
            json!([{"port": 80, "name": "http", "targetPort": 8080}])
        );
    }
}
