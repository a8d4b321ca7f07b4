//! The object store: objects per resource type keyed by namespace/name, a global
//! resourceVersion, optimistic concurrency and an event log for watches.

#[cfg(test)]
mod tests;
mod write;

use super::clock::Clock;

use super::json;
use super::resources::ResourceType;
use super::status::ApiError;
use serde_json::Value;
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};
use tokio::sync::{Notify, broadcast};

/// How many past changes are kept for watch replay by default.
pub const DEFAULT_WATCH_CACHE: usize = 50_000;

/// The type of a change, as in watch events.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventType {
    /// Object created.
    Added,
    /// Object changed.
    Modified,
    /// Object removed.
    Deleted,
}

impl EventType {
    /// The watch event `type` string.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Added => "ADDED",
            Self::Modified => "MODIFIED",
            Self::Deleted => "DELETED",
        }
    }
}

/// One change to the store.
#[derive(Debug)]
pub struct Change {
    /// resourceVersion after the change.
    pub rv: u64,
    /// Resource type of the object.
    pub rt: &'static ResourceType,
    /// What happened.
    pub kind: EventType,
    /// The object after the change (before it, for deletions, with the new resourceVersion).
    pub object: Arc<Value>,
}

/// Which part of an object an update may change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// The main resource: status changes are ignored.
    Main,
    /// The `status` subresource: only status changes are kept.
    Status,
    /// Internal writers (controllers): everything is kept.
    Internal,
}

/// Deletion propagation policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Propagation {
    /// Dependents are removed by the garbage collector afterwards (also used for Foreground).
    Background,
    /// Dependents lose their owner reference.
    Orphan,
}

type Key = (&'static str, &'static str);

/// Changes after a resourceVersion plus a receiver for the ones that follow.
pub type Subscription = (Vec<Arc<Change>>, broadcast::Receiver<Arc<Change>>);
type Objects = BTreeMap<(String, String), Arc<Value>>;

#[derive(Default)]
struct Inner {
    rv: u64,
    seq: u64,
    objects: HashMap<Key, Objects>,
    log: VecDeque<Arc<Change>>,
    compacted: u64,
}

/// The simulator's object store.
pub struct Store {
    inner: Mutex<Inner>,
    tx: broadcast::Sender<Arc<Change>>,
    notify: Notify,
    clock: Arc<Clock>,
    log_capacity: usize,
}

fn key(rt: &'static ResourceType) -> Key {
    (rt.group, rt.plural)
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").finish_non_exhaustive()
    }
}

impl Store {
    /// An empty store using `clock` for timestamps.
    pub fn new(clock: Arc<Clock>) -> Self {
        Self::with_watch_cache(clock, DEFAULT_WATCH_CACHE)
    }

    /// An empty store keeping the last `changes` changes for watch replay; a watch from an
    /// older resourceVersion gets `410 Expired`.
    pub fn with_watch_cache(clock: Arc<Clock>, changes: usize) -> Self {
        let (tx, _) = broadcast::channel(16_384);
        Self {
            inner: Mutex::new(Inner {
                rv: 1,
                ..Inner::default()
            }),
            tx,
            notify: Notify::new(),
            clock,
            log_capacity: changes.max(1),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The clock used for timestamps.
    pub fn clock(&self) -> &Arc<Clock> {
        &self.clock
    }

    /// Waits until something changes.
    pub async fn changed(&self) {
        self.notify.notified().await;
    }

    /// The current global resourceVersion.
    pub fn resource_version(&self) -> u64 {
        self.lock().rv
    }

    /// One object.
    pub fn get(&self, rt: &'static ResourceType, ns: &str, name: &str) -> Option<Value> {
        self.lock()
            .objects
            .get(&key(rt))
            .and_then(|m| m.get(&(ns.to_string(), name.to_string())))
            .map(|v| (**v).clone())
    }

    /// Objects of a type, in one namespace or all (`None`), with the list's resourceVersion.
    pub fn list(&self, rt: &'static ResourceType, ns: Option<&str>) -> (Vec<Arc<Value>>, u64) {
        let inner = self.lock();
        let items = match inner.objects.get(&key(rt)) {
            None => Vec::new(),
            Some(m) => match ns {
                Some(ns) => m
                    .range((ns.to_string(), String::new())..)
                    .take_while(|((n, _), _)| n == ns)
                    .map(|(_, v)| v.clone())
                    .collect(),
                None => m.values().cloned().collect(),
            },
        };
        (items, inner.rv)
    }

    fn commit(
        &self,
        inner: &mut Inner,
        rt: &'static ResourceType,
        kind: EventType,
        object: Arc<Value>,
    ) {
        let change = Arc::new(Change {
            rv: inner.rv,
            rt,
            kind,
            object,
        });
        inner.log.push_back(change.clone());
        while inner.log.len() > self.log_capacity {
            if let Some(old) = inner.log.pop_front() {
                inner.compacted = old.rv;
            }
        }
        let _ = self.tx.send(change);
        self.notify.notify_waiters();
    }

    /// Past changes after `from` and a receiver for the following ones, or 410 when `from`
    /// is older than the kept log.
    pub fn subscribe(&self, from: u64) -> Result<Subscription, ApiError> {
        let inner = self.lock();
        if from < inner.compacted {
            return Err(ApiError::gone(from, inner.compacted + 1));
        }
        let start = inner.log.partition_point(|c| c.rv <= from);
        let past = inner.log.iter().skip(start).cloned().collect();
        Ok((past, self.tx.subscribe()))
    }

    /// Every object of every type (for the garbage collector).
    pub fn all_uids(&self) -> std::collections::HashSet<String> {
        let inner = self.lock();
        inner
            .objects
            .values()
            .flat_map(|m| m.values().map(|o| json::uid(o).to_string()))
            .collect()
    }
}
