//! Writes: create, update (main / status / internal), delete with finalizers and orphaning.

use super::{EventType, Inner, Propagation, Store, Target, key};
use crate::sim::defaults;
use crate::sim::json;
use crate::sim::resources::ResourceType;
use crate::sim::status::ApiError;
use serde_json::{Value, json};
use std::sync::Arc;

/// Whether something must still happen before the object may go: `metadata.finalizers`, or
/// for a namespace its `spec.finalizers` (the namespace controller's `kubernetes`).
fn has_finalizers(rt: &ResourceType, obj: &Value) -> bool {
    let listed = |path: &[&str]| {
        json::at(obj, path)
            .and_then(Value::as_array)
            .is_some_and(|f| !f.is_empty())
    };
    listed(&["metadata", "finalizers"])
        || (rt.kind == "Namespace" && listed(&["spec", "finalizers"]))
}

impl Store {
    /// Creates an object. Returns the stored object.
    pub fn create(
        &self,
        rt: &'static ResourceType,
        mut obj: Value,
        dry_run: bool,
    ) -> Result<Value, ApiError> {
        let mut inner = self.lock();
        let ns = if rt.namespaced {
            json::namespace(&obj).to_string()
        } else {
            String::new()
        };
        if rt.namespaced {
            let ns_rt = crate::sim::resources::get("", "namespaces");
            let namespace = inner
                .objects
                .get(&key(ns_rt))
                .and_then(|m| m.get(&(String::new(), ns.clone())));
            match namespace {
                None => return Err(ApiError::not_found(ns_rt, &ns)),
                Some(n) if json::deleting(n) => {
                    return Err(ApiError::namespace_terminating(rt, json::name(&obj), &ns));
                }
                Some(_) => {}
            }
        }
        inner.seq += 1;
        let seq = inner.seq;
        let mut name = json::name(&obj).to_string();
        if name.is_empty() {
            let prefix = json::str_at(&obj, &["metadata", "generateName"]).to_string();
            if !prefix.is_empty() {
                name = format!("{prefix}{}", crate::sim::names::suffix(seq));
            }
        }
        let m = json::obj_mut(&mut obj, &[]);
        m.insert("apiVersion".into(), json!(rt.api_version()));
        m.insert("kind".into(), json!(rt.kind));
        let meta = json::obj_mut(&mut obj, &["metadata"]);
        meta.insert("name".into(), json!(name));
        if rt.namespaced {
            meta.insert("namespace".into(), json!(ns));
        } else {
            meta.remove("namespace");
        }
        meta.insert("uid".into(), json!(crate::sim::names::uid(seq)));
        meta.insert("creationTimestamp".into(), json!(self.clock.stamp()));
        meta.remove("deletionTimestamp");
        meta.remove("managedFields");
        if rt.generation {
            meta.insert("generation".into(), json!(1));
        }
        defaults::apply(rt, &mut obj, seq);
        if rt.kind == "Pod" && rt.group.is_empty() {
            crate::sim::admission::pod(&mut obj, seq);
        }
        crate::sim::validation::validate(rt, &obj)?;
        if inner
            .objects
            .get(&key(rt))
            .is_some_and(|m| m.contains_key(&(ns.clone(), name.clone())))
        {
            return Err(ApiError::already_exists(rt, &name));
        }
        if dry_run {
            return Ok(obj);
        }
        inner.rv += 1;
        json::set(
            &mut obj,
            &["metadata", "resourceVersion"],
            json!(inner.rv.to_string()),
        );
        let shared = Arc::new(obj.clone());
        inner
            .objects
            .entry(key(rt))
            .or_default()
            .insert((ns, name), shared.clone());
        self.commit(&mut inner, rt, EventType::Added, shared);
        Ok(obj)
    }

    /// Replaces an object (`PUT`, patches, controllers).
    pub fn update(
        &self,
        rt: &'static ResourceType,
        obj: Value,
        target: Target,
        dry_run: bool,
    ) -> Result<Value, ApiError> {
        let mut inner = self.lock();
        let ns = if rt.namespaced {
            json::namespace(&obj).to_string()
        } else {
            String::new()
        };
        let name = json::name(&obj).to_string();
        let k = (ns.clone(), name.clone());
        let Some(old) = inner
            .objects
            .get(&key(rt))
            .and_then(|m| m.get(&k))
            .map(|v| (**v).clone())
        else {
            return Err(ApiError::not_found(rt, &name));
        };
        let old_rv = json::str_at(&old, &["metadata", "resourceVersion"]);
        let want_rv = json::str_at(&obj, &["metadata", "resourceVersion"]);
        if !want_rv.is_empty() && want_rv != old_rv {
            return Err(ApiError::conflict(rt, &name));
        }
        let mut new = match target {
            Target::Main => {
                let mut n = obj;
                if rt.subresources.contains(&"status") {
                    match old.get("status") {
                        Some(s) => json::set(&mut n, &["status"], s.clone()),
                        None => {
                            json::remove(&mut n, &["status"]);
                        }
                    }
                }
                n
            }
            Target::Status => {
                let mut n = old.clone();
                match obj.get("status") {
                    Some(s) => json::set(&mut n, &["status"], s.clone()),
                    None => {
                        json::remove(&mut n, &["status"]);
                    }
                }
                n
            }
            Target::Internal => obj,
        };
        let m = json::obj_mut(&mut new, &[]);
        m.insert("apiVersion".into(), json!(rt.api_version()));
        m.insert("kind".into(), json!(rt.kind));
        for f in [
            "uid",
            "creationTimestamp",
            "deletionTimestamp",
            "deletionGracePeriodSeconds",
            "generation",
            "namespace",
        ] {
            match json::at(&old, &["metadata", f]) {
                Some(v) => json::set(&mut new, &["metadata", f], v.clone()),
                None => {
                    json::remove(&mut new, &["metadata", f]);
                }
            }
        }
        json::remove(&mut new, &["metadata", "managedFields"]);
        defaults::apply(rt, &mut new, inner.seq);
        if target == Target::Main {
            crate::sim::validation::validate(rt, &new)?;
        }
        if rt.generation && defaults::spec_part(&new) != defaults::spec_part(&old) {
            let g = json::i64_at(&old, &["metadata", "generation"], 1) + 1;
            json::set(&mut new, &["metadata", "generation"], json!(g));
        }
        json::set(&mut new, &["metadata", "resourceVersion"], json!(old_rv));
        if new == old {
            return Ok(old);
        }
        let finalizers_done = !has_finalizers(rt, &new);
        if dry_run {
            return Ok(new);
        }
        inner.rv += 1;
        json::set(
            &mut new,
            &["metadata", "resourceVersion"],
            json!(inner.rv.to_string()),
        );
        if json::deleting(&new) && finalizers_done {
            inner.objects.entry(key(rt)).or_default().remove(&k);
            self.commit(&mut inner, rt, EventType::Deleted, Arc::new(new.clone()));
        } else {
            let shared = Arc::new(new.clone());
            inner
                .objects
                .entry(key(rt))
                .or_default()
                .insert(k, shared.clone());
            self.commit(&mut inner, rt, EventType::Modified, shared);
        }
        Ok(new)
    }

    /// Deletes an object: removed at once, or marked with `deletionTimestamp` while finalizers remain.
    pub fn delete(
        &self,
        rt: &'static ResourceType,
        ns: &str,
        name: &str,
        policy: Propagation,
        dry_run: bool,
    ) -> Result<Value, ApiError> {
        let mut inner = self.lock();
        let ns = if rt.namespaced { ns } else { "" };
        let k = (ns.to_string(), name.to_string());
        let Some(mut obj) = inner
            .objects
            .get(&key(rt))
            .and_then(|m| m.get(&k))
            .map(|v| (**v).clone())
        else {
            return Err(ApiError::not_found(rt, name));
        };
        if dry_run {
            return Ok(obj);
        }
        let has_finalizers = has_finalizers(rt, &obj);
        inner.rv += 1;
        json::set(
            &mut obj,
            &["metadata", "resourceVersion"],
            json!(inner.rv.to_string()),
        );
        if has_finalizers {
            if !json::deleting(&obj) {
                json::set(
                    &mut obj,
                    &["metadata", "deletionTimestamp"],
                    json!(self.clock.stamp()),
                );
                json::set(
                    &mut obj,
                    &["metadata", "deletionGracePeriodSeconds"],
                    json!(0),
                );
                if rt.kind == "Namespace" {
                    json::set(&mut obj, &["status", "phase"], json!("Terminating"));
                }
                let shared = Arc::new(obj.clone());
                inner
                    .objects
                    .entry(key(rt))
                    .or_default()
                    .insert(k, shared.clone());
                self.commit(&mut inner, rt, EventType::Modified, shared);
            }
            return Ok(obj);
        }
        inner.objects.entry(key(rt)).or_default().remove(&k);
        self.commit(&mut inner, rt, EventType::Deleted, Arc::new(obj.clone()));
        if policy == Propagation::Orphan {
            self.orphan(&mut inner, json::uid(&obj));
        }
        Ok(obj)
    }

    fn orphan(&self, inner: &mut Inner, owner_uid: &str) {
        let mut changed = Vec::new();
        for (k, objs) in &inner.objects {
            for (ok, o) in objs {
                let refs = json::at(o, &["metadata", "ownerReferences"]).and_then(Value::as_array);
                if refs.is_some_and(|r| r.iter().any(|r| json::str_at(r, &["uid"]) == owner_uid)) {
                    changed.push((*k, ok.clone()));
                }
            }
        }
        for (k, ok) in changed {
            let Some(mut o) = inner
                .objects
                .get(&k)
                .and_then(|m| m.get(&ok))
                .map(|v| (**v).clone())
            else {
                continue;
            };
            if let Some(refs) =
                json::at(&o, &["metadata", "ownerReferences"]).and_then(Value::as_array)
            {
                let kept: Vec<Value> = refs
                    .iter()
                    .filter(|r| json::str_at(r, &["uid"]) != owner_uid)
                    .cloned()
                    .collect();
                json::set(&mut o, &["metadata", "ownerReferences"], Value::Array(kept));
            }
            let Some(rt) = crate::sim::resources::RESOURCES
                .iter()
                .find(|r| key(r) == k)
            else {
                continue;
            };
            inner.rv += 1;
            json::set(
                &mut o,
                &["metadata", "resourceVersion"],
                json!(inner.rv.to_string()),
            );
            inner
                .objects
                .entry(k)
                .or_default()
                .insert(ok, Arc::new(o.clone()));
            self.commit(inner, rt, EventType::Modified, Arc::new(o));
        }
    }
}
