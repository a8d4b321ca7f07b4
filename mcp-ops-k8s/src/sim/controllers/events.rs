//! Events as client-go's recorders write them.
//!
//! Controllers (deployment, replicaset, statefulset, job, HPA) and the kubelet use the
//! `core/v1` recorder with its correlator: an event identical to an earlier one bumps that
//! one's `count` and `lastTimestamp`; from the tenth different message with the same source,
//! object, type and reason within ten minutes, they are folded into one event
//! `(combined from similar events): <latest message>`; a source may write 25 events about one
//! object at once, then one per five minutes (the rest are dropped). The scheduler writes
//! `events.k8s.io/v1`-style events (`eventTime`, `action`, no timestamps or count).
//!
//! Names are `<object>.<time in nanoseconds, hex>` as there, so listing events by name lists
//! them in the order they happened.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};

use jiff::Timestamp;
use serde_json::{Value, json};

use super::Ctx;
use crate::sim::clock::format_ts;
use crate::sim::json;
use crate::sim::resources;

const AGGREGATE_AFTER: usize = 10;
const AGGREGATE_WINDOW_SECS: i64 = 600;
const BURST: f64 = 25.0;
const REFILL_SECS: f64 = 300.0;
const CACHE: usize = 4096;

/// The correlator's memory (per cluster).
#[derive(Debug, Default)]
pub struct Correlator {
    /// Distinct messages per aggregate key, and when the last one came.
    aggregate: HashMap<String, (i64, HashSet<String>)>,
    /// Token buckets per source and object: tokens, last refill (seconds).
    spam: HashMap<String, (f64, i64)>,
    /// The name of the event recorded under each key.
    logged: HashMap<String, String>,
}

/// A unique, increasing name suffix: the event time in nanoseconds (bumped past the previous).
fn name_nanos(now: Timestamp) -> u64 {
    static LAST: AtomicU64 = AtomicU64::new(0);
    let want = u64::try_from(now.as_nanosecond()).unwrap_or(0);
    let prev = LAST.fetch_max(want, Ordering::Relaxed);
    if prev >= want {
        LAST.fetch_add(1, Ordering::Relaxed) + 1
    } else {
        want
    }
}

fn involved(about: &Value) -> Value {
    json!({
        "kind": json::str_at(about, &["kind"]), "namespace": json::namespace(about), "name": json::name(about),
        "uid": json::uid(about), "apiVersion": json::str_at(about, &["apiVersion"]),
        "resourceVersion": json::str_at(about, &["metadata", "resourceVersion"]),
    })
}

fn event_ns(about: &Value) -> &str {
    match json::namespace(about) {
        "" => "default",
        n => n,
    }
}

impl Ctx<'_> {
    /// Records a `core/v1` Event about `about` from `component`, through the correlator.
    pub fn event(
        &mut self,
        about: &Value,
        warning: bool,
        reason: &str,
        message: &str,
        component: &str,
    ) {
        let now = self.store.clock().now();
        let secs = now.as_second();
        let kind = if warning { "Warning" } else { "Normal" };
        let object = format!(
            "{component}/{}/{}/{}/{}",
            json::str_at(about, &["kind"]),
            json::namespace(about),
            json::name(about),
            json::uid(about)
        );
        let Ok(mut memory) = self.events.lock() else {
            return;
        };
        // client-go keeps these in LRU caches of 4096 entries; forgetting all at once is close
        // enough and keeps a long-running simulator's memory bounded.
        if memory.logged.len() > CACHE
            || memory.aggregate.len() > CACHE
            || memory.spam.len() > CACHE
        {
            *memory = Correlator::default();
        }
        // The spam filter: a token bucket per source and object.
        let bucket = memory.spam.entry(object.clone()).or_insert((BURST, secs));
        #[allow(clippy::cast_precision_loss)]
        let refill = (secs - bucket.1) as f64 / REFILL_SECS;
        bucket.0 = (bucket.0 + refill).min(BURST);
        bucket.1 = secs;
        if bucket.0 < 1.0 {
            return;
        }
        bucket.0 -= 1.0;
        // The aggregator: ten different messages within ten minutes fold into one.
        let aggregate_key = format!("{object}/{kind}/{reason}");
        let record = memory
            .aggregate
            .entry(aggregate_key.clone())
            .or_insert_with(|| (secs, HashSet::new()));
        if secs - record.0 > AGGREGATE_WINDOW_SECS {
            record.1.clear();
        }
        record.0 = secs;
        record.1.insert(message.to_string());
        let (key, message) = if record.1.len() < AGGREGATE_AFTER {
            (format!("{aggregate_key}/{message}"), message.to_string())
        } else {
            if let Some(any) = record.1.iter().next().cloned() {
                record.1.remove(&any);
            }
            (
                aggregate_key,
                format!("(combined from similar events): {message}"),
            )
        };
        drop(memory);
        self.log_event(about, kind, reason, &message, component, &key, now);
    }

    /// The logger: bumps the event recorded under `key`, or creates it.
    #[allow(clippy::too_many_arguments)]
    fn log_event(
        &mut self,
        about: &Value,
        kind: &str,
        reason: &str,
        message: &str,
        component: &str,
        key: &str,
        now: Timestamp,
    ) {
        let rt = resources::get("", "events");
        let ns = event_ns(about).to_string();
        let stamp = format_ts(now);
        let known = self
            .events
            .lock()
            .ok()
            .and_then(|m| m.logged.get(key).cloned());
        if let Some(name) = known
            && let Some(mut ev) = self.store.get(rt, &ns, &name)
        {
            let count = json::i64_at(&ev, &["count"], 1) + 1;
            ev["count"] = json!(count);
            ev["lastTimestamp"] = json!(stamp);
            ev["message"] = json!(message);
            self.update(rt, ev);
            return;
        }
        let name = format!("{}.{:x}", json::name(about), name_nanos(now));
        let ev = json!({
            "metadata": {"name": name, "namespace": ns},
            "involvedObject": involved(about),
            "reason": reason, "message": message,
            "source": {"component": component},
            "firstTimestamp": stamp, "lastTimestamp": stamp, "count": 1,
            "type": kind,
            "eventTime": null, "reportingComponent": component, "reportingInstance": "",
        });
        if self.create(rt, ev).is_some()
            && let Ok(mut m) = self.events.lock()
        {
            m.logged.insert(key.to_string(), name);
        }
    }

    /// Records an `events.k8s.io/v1`-style Event, as the scheduler does (`action` such as
    /// `Binding` or `Scheduling`; `eventTime` instead of first/last timestamps and count).
    pub fn event_v1(
        &mut self,
        about: &Value,
        warning: bool,
        reason: &str,
        action: &str,
        message: &str,
        controller: &str,
    ) {
        let now = self.store.clock().now();
        let micro = now.strftime("%Y-%m-%dT%H:%M:%S.%6fZ").to_string();
        let ev = json!({
            "metadata": {"name": format!("{}.{:x}", json::name(about), name_nanos(now)), "namespace": event_ns(about)},
            "involvedObject": involved(about),
            "reason": reason, "message": message, "action": action,
            "source": {},
            "firstTimestamp": null, "lastTimestamp": null,
            "type": if warning { "Warning" } else { "Normal" },
            "eventTime": micro, "reportingComponent": controller,
            "reportingInstance": format!("{controller}-sim"),
        });
        self.create(resources::get("", "events"), ev);
    }
}
