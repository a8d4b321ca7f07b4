//! What controllers share during one pass: the store, the settings, a write counter, events.

use super::super::json;
use super::super::resources::{self, ResourceType};
use super::super::store::{Propagation, Store, Target};
use super::ControllerConfig;
use serde_json::{Value, json};

/// Context of one controller pass.
#[derive(Debug)]
pub struct Ctx<'a> {
    /// The store.
    pub store: &'a Store,
    /// Settings.
    pub cfg: &'a ControllerConfig,
    /// Writes made so far.
    pub writes: usize,
}

impl<'a> Ctx<'a> {
    /// A fresh context.
    pub fn new(store: &'a Store, cfg: &'a ControllerConfig) -> Self {
        Self {
            store,
            cfg,
            writes: 0,
        }
    }

    /// Objects of a type in every namespace.
    pub fn list(&self, group: &str, plural: &str) -> Vec<std::sync::Arc<Value>> {
        self.store.list(resources::get(group, plural), None).0
    }

    /// Creates an object; returns it when stored.
    pub fn create(&mut self, rt: &'static ResourceType, obj: Value) -> Option<Value> {
        let r = self.store.create(rt, obj, false).ok();
        if r.is_some() {
            self.writes += 1;
        }
        r
    }

    /// Writes an object (everything, status included) if it changed.
    pub fn update(&mut self, rt: &'static ResourceType, obj: Value) -> Option<Value> {
        let before = json::str_at(&obj, &["metadata", "resourceVersion"]).to_string();
        let saved = self.store.update(rt, obj, Target::Internal, false).ok()?;
        if json::str_at(&saved, &["metadata", "resourceVersion"]) != before {
            self.writes += 1;
        }
        Some(saved)
    }

    /// Deletes an object.
    pub fn delete(&mut self, rt: &'static ResourceType, ns: &str, name: &str) {
        if self
            .store
            .delete(rt, ns, name, Propagation::Background, false)
            .is_ok()
        {
            self.writes += 1;
        }
    }

    /// Records an Event about `about`.
    pub fn event(
        &mut self,
        about: &Value,
        warning: bool,
        reason: &str,
        message: &str,
        component: &str,
    ) {
        let now = self.store.clock().stamp();
        let ns = match json::namespace(about) {
            "" => "default",
            n => n,
        };
        let seq = self.store.resource_version();
        let ev = json!({
            "metadata": {"name": format!("{}.{:016x}", json::name(about), seq.wrapping_mul(0x9E37_79B9_7F4A_7C15)), "namespace": ns},
            "involvedObject": {
                "kind": json::str_at(about, &["kind"]), "namespace": json::namespace(about), "name": json::name(about),
                "uid": json::uid(about), "apiVersion": json::str_at(about, &["apiVersion"]),
                "resourceVersion": json::str_at(about, &["metadata", "resourceVersion"]),
            },
            "reason": reason, "message": message,
            "source": {"component": component},
            "firstTimestamp": now, "lastTimestamp": now, "count": 1,
            "type": if warning { "Warning" } else { "Normal" },
            "eventTime": null, "reportingComponent": component, "reportingInstance": "",
        });
        self.create(resources::get("", "events"), ev);
    }
}
