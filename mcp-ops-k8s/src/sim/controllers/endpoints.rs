//! The endpoints and endpointslice controllers: for every Service with a selector, an
//! `Endpoints` object of the same name (ready pods under `addresses`, others under
//! `notReadyAddresses`) and one `EndpointSlice` (`<service>-<suffix>`, owned by the Service,
//! with ready/serving/terminating conditions), built from the selected pods that have an IP and
//! have not finished; target ports resolved by number or by container port name.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde_json::{Value, json};

use super::Ctx;
use super::replicaset::pod_ready;
use crate::sim::json::{self, str_at};
use crate::sim::resources;
use crate::sim::selectors::LabelSelector;

const TRIGGER: &str = "endpoints.kubernetes.io/last-change-trigger-time";
const EP_MANAGED: &str = "endpoints.kubernetes.io/managed-by";
const SLICE_MANAGED: &str = "endpointslice.kubernetes.io/managed-by";
const SERVICE_NAME: &str = "kubernetes.io/service-name";

/// One selected pod as an endpoint.
struct Member<'a> {
    pod: &'a Value,
    ready: bool,
    ports: Vec<Value>,
}

fn target_ref(p: &Value) -> Value {
    json!({"kind": "Pod", "namespace": json::namespace(p), "name": json::name(p), "uid": json::uid(p)})
}

/// The service's ports as this pod serves them (named target ports looked up in its containers).
fn ports(svc: &Value, pod: &Value) -> Vec<Value> {
    let container_port = |name: &str| {
        json::at(pod, &["spec", "containers"])
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .flat_map(|c| c["ports"].as_array().cloned().unwrap_or_default())
            .find(|p| str_at(p, &["name"]) == name)
            .and_then(|p| p["containerPort"].as_i64())
    };
    json::at(svc, &["spec", "ports"])
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|p| {
            let port = match &p["targetPort"] {
                Value::Number(n) => n.as_i64(),
                Value::String(s) => s.parse().ok().or_else(|| container_port(s)),
                _ => p["port"].as_i64(),
            }?;
            let mut e = json!({"port": port, "protocol": str_at(p, &["protocol"])});
            if !str_at(p, &["name"]).is_empty() {
                e["name"] = p["name"].clone();
            }
            Some(e)
        })
        .collect()
}

fn members<'a>(svc: &Value, pods: &'a [Arc<Value>]) -> Vec<Member<'a>> {
    let sel = LabelSelector::from_object(
        &json!({"matchLabels": json::string_map(svc, &["spec", "selector"])}),
    );
    let publish = json::bool_at(svc, &["spec", "publishNotReadyAddresses"]);
    let mut out: Vec<Member<'a>> = pods
        .iter()
        .map(|p| p.as_ref())
        .filter(|p| {
            json::namespace(p) == json::namespace(svc)
                && !json::deleting(p)
                && !str_at(p, &["status", "podIP"]).is_empty()
                && !matches!(str_at(p, &["status", "phase"]), "Succeeded" | "Failed")
                && sel.matches(&json::labels(p))
        })
        .map(|p| Member {
            pod: p,
            ready: publish || pod_ready(p),
            ports: ports(svc, p),
        })
        .filter(|m| !m.ports.is_empty())
        .collect();
    out.sort_by(|a, b| {
        str_at(a.pod, &["status", "podIP"]).cmp(str_at(b.pod, &["status", "podIP"]))
    });
    out
}

fn hostname(svc: &Value, p: &Value) -> Option<String> {
    let host = str_at(p, &["spec", "hostname"]);
    (!host.is_empty() && str_at(p, &["spec", "subdomain"]) == json::name(svc))
        .then(|| host.to_string())
}

fn subsets(svc: &Value, members: &[Member<'_>]) -> Value {
    let mut by_ports: BTreeMap<String, (Value, Vec<Value>, Vec<Value>)> = BTreeMap::new();
    for m in members {
        let mut a =
            json!({"ip": str_at(m.pod, &["status", "podIP"]), "targetRef": target_ref(m.pod)});
        let node = str_at(m.pod, &["spec", "nodeName"]);
        if !node.is_empty() {
            a["nodeName"] = json!(node);
        }
        if let Some(h) = hostname(svc, m.pod) {
            a["hostname"] = json!(h);
        }
        let entry = by_ports
            .entry(Value::Array(m.ports.clone()).to_string())
            .or_insert_with(|| (Value::Array(m.ports.clone()), Vec::new(), Vec::new()));
        if m.ready {
            entry.1.push(a);
        } else {
            entry.2.push(a);
        }
    }
    let list: Vec<Value> = by_ports
        .into_values()
        .map(|(ports, ready, not_ready)| {
            let mut s = json!({"ports": ports});
            if !ready.is_empty() {
                s["addresses"] = Value::Array(ready);
            }
            if !not_ready.is_empty() {
                s["notReadyAddresses"] = Value::Array(not_ready);
            }
            s
        })
        .collect();
    Value::Array(list)
}

fn slice_endpoints(svc: &Value, members: &[Member<'_>]) -> (Value, Value) {
    if members.is_empty() {
        return (Value::Null, Value::Null);
    }
    let eps: Vec<Value> = members
        .iter()
        .map(|m| {
            let mut e = json!({
                "addresses": [str_at(m.pod, &["status", "podIP"])],
                "conditions": {"ready": m.ready, "serving": m.ready, "terminating": false},
                "targetRef": target_ref(m.pod),
            });
            let node = str_at(m.pod, &["spec", "nodeName"]);
            if !node.is_empty() {
                e["nodeName"] = json!(node);
            }
            if let Some(h) = hostname(svc, m.pod) {
                e["hostname"] = json!(h);
            }
            e
        })
        .collect();
    (Value::Array(eps), Value::Array(members[0].ports.clone()))
}

/// The `last-change-trigger-time` of a sync, as the controllers' trigger-time tracker computes
/// it: the earliest Ready transition of a pod that became ready since the last sync (or the
/// Service's creation, for a new one). `None` when nothing changed at all; `Some(None)` when
/// the change has no trigger time (pods only went away), which removes the annotation.
fn trigger_time(ctx: &Ctx<'_>, svc: &Value, members: &[Member<'_>]) -> Option<Option<String>> {
    let rt = resources::get("", "endpoints");
    let existing = ctx.store.get(rt, json::namespace(svc), json::name(svc));
    let want = subsets(svc, members);
    let Some(ep) = existing else {
        return Some(Some(
            str_at(svc, &["metadata", "creationTimestamp"]).to_string(),
        ));
    };
    if ep.get("subsets").cloned().unwrap_or(json!([])) == want {
        return None;
    }
    let ready_before: Vec<String> = ep["subsets"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|s| s["addresses"].as_array().cloned().unwrap_or_default())
        .map(|a| str_at(&a, &["targetRef", "uid"]).to_string())
        .collect();
    let newly: Option<String> = members
        .iter()
        .filter(|m| m.ready && !ready_before.iter().any(|u| u == json::uid(m.pod)))
        .filter_map(|m| {
            json::at(m.pod, &["status", "conditions"])
                .and_then(Value::as_array)
                .and_then(|cs| cs.iter().find(|c| str_at(c, &["type"]) == "Ready"))
                .map(|c| str_at(c, &["lastTransitionTime"]).to_string())
        })
        .min();
    Some(newly)
}

/// Syncs every Service's Endpoints and EndpointSlice; removes those of deleted Services.
pub fn sync_all(ctx: &mut Ctx<'_>) {
    let services = ctx.list("", "services");
    let pods = ctx.list("", "pods");
    for svc in &services {
        let selector = json::string_map(svc, &["spec", "selector"]);
        if selector.is_empty()
            || json::deleting(svc)
            || str_at(svc, &["spec", "type"]) == "ExternalName"
        {
            continue;
        }
        let members = members(svc, &pods);
        let trigger = trigger_time(ctx, svc, &members);
        endpoints(ctx, svc, &members, trigger.as_ref());
        slice(ctx, svc, &members, trigger.as_ref());
    }
    let alive = |ns: &str, name: &str| {
        services
            .iter()
            .any(|s| json::namespace(s) == ns && json::name(s) == name)
    };
    let ep_rt = resources::get("", "endpoints");
    for ep in ctx.list("", "endpoints") {
        let managed = json::labels(&ep).contains_key(EP_MANAGED);
        if managed && !alive(json::namespace(&ep), json::name(&ep)) {
            ctx.delete(ep_rt, json::namespace(&ep), json::name(&ep));
        }
    }
}

fn labels(svc: &Value, extra: &[(&str, &str)]) -> Value {
    let mut l = json::labels(svc);
    for (k, v) in extra {
        l.insert((*k).to_string(), (*v).to_string());
    }
    json!(l)
}

fn set_trigger(obj: &mut Value, trigger: Option<&Option<String>>) {
    match trigger {
        None => {}
        Some(Some(t)) => json::set(obj, &["metadata", "annotations", TRIGGER], json!(t)),
        Some(None) => {
            json::remove(obj, &["metadata", "annotations", TRIGGER]);
            if json::at(obj, &["metadata", "annotations"])
                .and_then(Value::as_object)
                .is_some_and(serde_json::Map::is_empty)
            {
                json::remove(obj, &["metadata", "annotations"]);
            }
        }
    }
}

fn endpoints(
    ctx: &mut Ctx<'_>,
    svc: &Value,
    members: &[Member<'_>],
    trigger: Option<&Option<String>>,
) {
    let rt = resources::get("", "endpoints");
    let ns = json::namespace(svc);
    let name = json::name(svc);
    let subsets = subsets(svc, members);
    let labels = labels(svc, &[(EP_MANAGED, "endpoint-controller")]);
    match ctx.store.get(rt, ns, name) {
        None => {
            let mut ep = json!({"metadata": {"name": name, "namespace": ns, "labels": labels}});
            set_trigger(&mut ep, trigger);
            if subsets.as_array().is_some_and(|s| !s.is_empty()) {
                ep["subsets"] = subsets;
            }
            ctx.create(rt, ep);
        }
        Some(mut ep) => {
            let have = ep.get("subsets").cloned().unwrap_or(json!([]));
            if have == subsets && ep["metadata"]["labels"] == labels {
                return;
            }
            ep["metadata"]["labels"] = labels;
            set_trigger(&mut ep, trigger);
            match ep.as_object_mut() {
                Some(m) if subsets.as_array().is_some_and(|s| !s.is_empty()) => {
                    m.insert("subsets".into(), subsets);
                }
                Some(m) => {
                    m.remove("subsets");
                }
                None => {}
            }
            ctx.update(rt, ep);
        }
    }
}

fn slice(ctx: &mut Ctx<'_>, svc: &Value, members: &[Member<'_>], trigger: Option<&Option<String>>) {
    let rt = resources::get("discovery.k8s.io", "endpointslices");
    let ns = json::namespace(svc);
    let name = json::name(svc);
    let (eps, ports) = slice_endpoints(svc, members);
    let labels = labels(
        svc,
        &[
            (SLICE_MANAGED, "endpointslice-controller.k8s.io"),
            (SERVICE_NAME, name),
        ],
    );
    let existing = ctx.store.list(rt, Some(ns)).0.into_iter().find(|s| {
        json::labels(s).get(SERVICE_NAME).map(String::as_str) == Some(name)
            && json::controller_uid(s) == Some(json::uid(svc))
    });
    match existing {
        None => {
            let mut owner = json::owner_ref(svc);
            owner["blockOwnerDeletion"] = json!(true);
            let mut s = json!({
                "metadata": {"generateName": format!("{name}-"), "namespace": ns, "labels": labels,
                    "ownerReferences": [owner]},
                "addressType": "IPv4", "endpoints": eps, "ports": ports,
            });
            set_trigger(&mut s, trigger);
            ctx.create(rt, s);
        }
        Some(s) => {
            if s["endpoints"] == eps && s["ports"] == ports && s["metadata"]["labels"] == labels {
                return;
            }
            let mut s = (*s).clone();
            s["endpoints"] = eps;
            s["ports"] = ports;
            s["metadata"]["labels"] = labels;
            set_trigger(&mut s, trigger);
            ctx.update(rt, s);
        }
    }
}
