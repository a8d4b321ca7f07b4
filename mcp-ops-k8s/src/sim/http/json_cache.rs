//! Serialised JSON of stored objects, cached by uid and resourceVersion, so that large list
//! responses are mostly byte copies.

use crate::sim::json;
use axum::body::Bytes;
use serde_json::Value;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// Entries kept before the cache is reset (bounds memory after many deletions).
const MAX_ENTRIES: usize = 200_000;

/// uid → (resourceVersion, JSON bytes).
#[derive(Debug, Default)]
pub struct JsonCache {
    map: Mutex<HashMap<String, (String, Bytes)>>,
}

impl JsonCache {
    /// The JSON of each object, serialising only those not cached at their resourceVersion.
    pub fn encode(&self, objs: &[Arc<Value>]) -> Vec<Bytes> {
        let mut map = self
            .map
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if map.len() > MAX_ENTRIES {
            map.clear();
        }
        objs.iter()
            .map(|o| {
                let uid = json::uid(o);
                let rv = json::str_at(o, &["metadata", "resourceVersion"]);
                if let Some((r, b)) = map.get(uid)
                    && r == rv
                {
                    return b.clone();
                }
                let b = Bytes::from(serde_json::to_vec(o.as_ref()).unwrap_or_default());
                if !uid.is_empty() {
                    map.insert(uid.to_string(), (rv.to_string(), b.clone()));
                }
                b
            })
            .collect()
    }

    /// A `…List` body: `{"kind":…,"apiVersion":…,"metadata":…,"items":[…]}`.
    pub fn list_body(
        &self,
        kind: &str,
        api_version: &str,
        meta: &Value,
        objs: &[Arc<Value>],
    ) -> Vec<u8> {
        let items = self.encode(objs);
        let mut out = Vec::with_capacity(items.iter().map(Bytes::len).sum::<usize>() + 256);
        out.extend_from_slice(b"{\"kind\":");
        out.extend_from_slice(serde_json::to_string(kind).unwrap_or_default().as_bytes());
        out.extend_from_slice(b",\"apiVersion\":");
        out.extend_from_slice(
            serde_json::to_string(api_version)
                .unwrap_or_default()
                .as_bytes(),
        );
        out.extend_from_slice(b",\"metadata\":");
        out.extend_from_slice(&serde_json::to_vec(meta).unwrap_or_default());
        out.extend_from_slice(b",\"items\":[");
        for (i, b) in items.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            out.extend_from_slice(b);
        }
        out.extend_from_slice(b"]}");
        out
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use serde_json::json;

    #[test]
    fn list_body_is_valid_json_and_tracks_resource_versions() {
        let c = JsonCache::default();
        let a = Arc::new(json!({"metadata": {"uid": "u", "resourceVersion": "1", "name": "a"}}));
        let body = c.list_body(
            "PodList",
            "v1",
            &json!({"resourceVersion": "9"}),
            &[a.clone(), a],
        );
        let v: Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(v["items"].as_array().unwrap().len(), 2);
        assert_eq!(v["kind"], "PodList");
        let b = Arc::new(json!({"metadata": {"uid": "u", "resourceVersion": "2", "name": "b"}}));
        let again = c.encode(&[b]);
        assert!(std::str::from_utf8(&again[0]).unwrap().contains("\"b\""));
    }
}
