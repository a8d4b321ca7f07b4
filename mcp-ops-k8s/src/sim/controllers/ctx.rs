//! What controllers share during one pass: the store, the settings, a write counter, events.

use super::super::json;
use super::super::resources::{self, ResourceType};
use super::super::store::{Propagation, Store, Target};
use super::ControllerConfig;
use serde_json::Value;

/// Context of one controller pass.
#[derive(Debug)]
pub struct Ctx<'a> {
    /// The store.
    pub store: &'a Store,
    /// Settings.
    pub cfg: &'a ControllerConfig,
    /// Writes made so far.
    pub writes: usize,
    /// The event correlator's memory.
    pub events: &'a std::sync::Mutex<super::events::Correlator>,
}

impl<'a> Ctx<'a> {
    /// A fresh context.
    pub fn new(
        store: &'a Store,
        cfg: &'a ControllerConfig,
        events: &'a std::sync::Mutex<super::events::Correlator>,
    ) -> Self {
        Self {
            store,
            cfg,
            writes: 0,
            events,
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
}
