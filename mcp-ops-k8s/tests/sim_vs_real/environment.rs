//! Differences that are not the simulator's: they come from the two environments. Each is
//! taken out of both sides, with the reason.
//!
//! - kwok is not a kubelet: its pods have no `PodReadyToStartContainers` condition, no
//!   container or image ids and no `hostIPs`, which real kubelets (and the simulator) report.
//! - The scenario is a production namespace, the fixture a test one: the scenario's Ingress has
//!   a cloud load balancer's address (no ingress controller runs on the control plane) and its
//!   Secret other placeholder values; the control plane's CA differs from the simulator's
//!   placeholder in `kube-root-ca.crt`.
//! - How often an EndpointSlice was rewritten on the way (its `generation`) depends on how
//!   pod changes were batched: kube-controller-manager syncs per change, the simulator per pass.

use serde_json::{Value, json};

fn each_item(list: &mut Value, f: impl Fn(&mut Value)) {
    match list.get_mut("items").and_then(Value::as_array_mut) {
        Some(items) => items.iter_mut().for_each(f),
        None => f(list),
    }
}

/// Removes the environment's differences from an object or a list of one kind.
pub fn align(list: &mut Value) {
    each_item(list, |o| match o["kind"].as_str().unwrap_or_default() {
        "Pod" => {
            if let Some(cs) = o
                .pointer_mut("/status/conditions")
                .and_then(Value::as_array_mut)
            {
                cs.retain(|c| c["type"] != "PodReadyToStartContainers");
            }
            if let Some(cs) = o
                .pointer_mut("/status/containerStatuses")
                .and_then(Value::as_array_mut)
            {
                for c in cs {
                    if let Some(m) = c.as_object_mut() {
                        m.remove("containerID");
                        m.remove("imageID");
                    }
                    for state in ["state", "lastState"] {
                        for s in ["running", "terminated", "waiting"] {
                            if let Some(m) = c
                                .get_mut(state)
                                .and_then(|x| x.get_mut(s))
                                .and_then(Value::as_object_mut)
                            {
                                m.remove("containerID");
                            }
                        }
                    }
                }
            }
            if let Some(s) = o["status"].as_object_mut() {
                s.remove("hostIPs");
            }
        }
        "Ingress" => o["status"] = json!({"loadBalancer": {}}),
        "Secret" => {
            if let Some(d) = o.pointer_mut("/data").and_then(Value::as_object_mut) {
                d.values_mut().for_each(|v| *v = json!("<value>"));
            }
        }
        "ConfigMap" if o["metadata"]["name"] == "kube-root-ca.crt" => {
            o["data"]["ca.crt"] = json!("<the cluster's CA>");
        }
        "EndpointSlice" => {
            if let Some(m) = o["metadata"].as_object_mut() {
                m.remove("generation");
            }
        }
        _ => {}
    });
}
