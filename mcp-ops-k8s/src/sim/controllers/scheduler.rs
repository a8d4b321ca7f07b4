//! The scheduler: binds each unscheduled pod to a node its requests fit on (CPU, memory and pod
//! count against the node's allocatable, counting the pods already bound there that have not
//! finished), preferring the node with the fewest pods of the same owner, then the least
//! requested CPU. A pod that fits nowhere stays Pending with `PodScheduled=False`
//! (`Unschedulable`) and a `FailedScheduling` event worded as kube-scheduler words it.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde_json::{Value, json};

use super::Ctx;
use super::kubelet::cond;
use crate::sim::json::{self, str_at};
use crate::sim::names;
use crate::sim::quantity::{cpu_millis, mem_bytes};
use crate::sim::resources;

/// What a pod asks for: millicores and bytes.
fn requests(pod: &Value) -> (f64, f64) {
    let containers = json::at(pod, &["spec", "containers"]).and_then(Value::as_array);
    containers
        .into_iter()
        .flatten()
        .fold((0.0, 0.0), |(c, m), ct| {
            (
                c + cpu_millis(str_at(ct, &["resources", "requests", "cpu"])),
                m + mem_bytes(str_at(ct, &["resources", "requests", "memory"])),
            )
        })
}

fn finished(pod: &Value) -> bool {
    matches!(str_at(pod, &["status", "phase"]), "Succeeded" | "Failed")
}

/// One node's free room.
struct Room {
    node: Arc<Value>,
    index: usize,
    cpu: f64,
    memory: f64,
    pods: i64,
    requested_cpu: f64,
}

fn rooms(nodes: &[Arc<Value>], pods: &[Arc<Value>]) -> Vec<Room> {
    nodes
        .iter()
        .enumerate()
        .map(|(index, n)| {
            let bound: Vec<&Arc<Value>> = pods
                .iter()
                .filter(|p| str_at(p, &["spec", "nodeName"]) == json::name(n) && !finished(p))
                .collect();
            let (cpu, memory) = bound.iter().fold((0.0, 0.0), |(c, m), p| {
                let (pc, pm) = requests(p);
                (c + pc, m + pm)
            });
            let alloc = |k: &str| str_at(n, &["status", "allocatable", k]).to_string();
            Room {
                node: n.clone(),
                index,
                cpu: cpu_millis(&alloc("cpu")) - cpu,
                memory: mem_bytes(&alloc("memory")) - memory,
                pods: alloc("pods").parse::<i64>().unwrap_or(110)
                    - i64::try_from(bound.len()).unwrap_or(0),
                requested_cpu: cpu,
            }
        })
        .collect()
}

/// Binds every pod that has no node yet.
pub fn sync_all(ctx: &mut Ctx<'_>) {
    let nodes = ctx.list("", "nodes");
    let pods = ctx.list("", "pods");
    let mut rooms = rooms(&nodes, &pods);
    // Pods per (node, owner uid), for spreading an owner's pods.
    let mut placed: std::collections::HashMap<(String, String), usize> =
        std::collections::HashMap::new();
    for q in pods
        .iter()
        .filter(|q| !str_at(q, &["spec", "nodeName"]).is_empty())
    {
        if let Some(owner) = json::controller_uid(q) {
            *placed
                .entry((
                    str_at(q, &["spec", "nodeName"]).to_string(),
                    owner.to_string(),
                ))
                .or_default() += 1;
        }
    }
    for p in &pods {
        if json::deleting(p) || !str_at(p, &["spec", "nodeName"]).is_empty() || finished(p) {
            continue;
        }
        let (cpu, memory) = requests(p);
        let mut reasons: BTreeMap<&str, usize> = BTreeMap::new();
        let mut fits = Vec::new();
        for (i, r) in rooms.iter().enumerate() {
            let mut why = Vec::new();
            if json::bool_at(&r.node, &["spec", "unschedulable"]) {
                why.push("node(s) were unschedulable");
            } else {
                if r.pods < 1 {
                    why.push("Too many pods");
                }
                if cpu > r.cpu {
                    why.push("Insufficient cpu");
                }
                if memory > r.memory {
                    why.push("Insufficient memory");
                }
            }
            if why.is_empty() {
                fits.push(i);
            }
            for w in why {
                *reasons.entry(w).or_default() += 1;
            }
        }
        let owner = json::controller_uid(p).unwrap_or_default().to_string();
        let siblings = |r: &Room| {
            placed
                .get(&(json::name(&r.node).to_string(), owner.clone()))
                .copied()
                .unwrap_or(0)
        };
        let best = fits.into_iter().min_by(|a, b| {
            let (ra, rb) = (&rooms[*a], &rooms[*b]);
            (siblings(ra), ra.requested_cpu, json::name(&ra.node))
                .partial_cmp(&(siblings(rb), rb.requested_cpu, json::name(&rb.node)))
                .unwrap_or(std::cmp::Ordering::Equal)
        });
        match best {
            Some(i) => {
                if bind(ctx, p, &rooms[i].node, rooms[i].index) {
                    if !owner.is_empty() {
                        *placed
                            .entry((json::name(&rooms[i].node).to_string(), owner.clone()))
                            .or_default() += 1;
                    }
                    let r = &mut rooms[i];
                    r.cpu -= cpu;
                    r.memory -= memory;
                    r.pods -= 1;
                    r.requested_cpu += cpu;
                }
            }
            None => unschedulable(ctx, p, rooms.len(), &reasons),
        }
    }
}

fn bind(ctx: &mut Ctx<'_>, p: &Value, node: &Value, index: usize) -> bool {
    let mut pod = p.clone();
    let now = ctx.store.clock().stamp();
    json::set(&mut pod, &["spec", "nodeName"], json!(json::name(node)));
    let host_ip = json::at(node, &["status", "addresses"])
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .find(|a| str_at(a, &["type"]) == "InternalIP")
        .map_or(String::new(), |a| str_at(a, &["address"]).to_string());
    let n = names::fnv32a(json::uid(&pod).as_bytes()) % 250 + 2;
    let pod_ip = format!("10.244.{index}.{n}");
    let status = json::obj_mut(&mut pod, &["status"]);
    status.insert("phase".into(), json!("Pending"));
    status.insert(
        "conditions".into(),
        json!([cond("PodScheduled", "True", &now)]),
    );
    status.insert("hostIP".into(), json!(host_ip));
    status.insert("hostIPs".into(), json!([{"ip": host_ip}]));
    status.insert("podIP".into(), json!(pod_ip));
    status.insert("podIPs".into(), json!([{"ip": pod_ip}]));
    status.insert("startTime".into(), json!(now));
    let Some(saved) = ctx.update(resources::get("", "pods"), pod) else {
        return false;
    };
    let msg = format!(
        "Successfully assigned {}/{} to {}",
        json::namespace(&saved),
        json::name(&saved),
        json::name(node)
    );
    ctx.event_v1(
        &saved,
        false,
        "Scheduled",
        "Binding",
        &msg,
        "default-scheduler",
    );
    true
}

/// kube-scheduler's message: `0/3 nodes are available: 3 Insufficient cpu. no new claims to
/// deallocate, preemption: 0/3 nodes are available: 3 No preemption victims found for
/// incoming pod.`
fn message(nodes: usize, reasons: &BTreeMap<&str, usize>) -> String {
    let listed: Vec<String> = reasons.iter().map(|(r, n)| format!("{n} {r}")).collect();
    let mut preemption: BTreeMap<&str, usize> = BTreeMap::new();
    for (r, n) in reasons {
        let key = if *r == "node(s) were unschedulable" {
            "Preemption is not helpful for scheduling"
        } else {
            "No preemption victims found for incoming pod"
        };
        *preemption.entry(key).or_default() += n;
    }
    let victims: Vec<String> = preemption.iter().map(|(r, n)| format!("{n} {r}")).collect();
    format!(
        "0/{nodes} nodes are available: {}. no new claims to deallocate, preemption: 0/{nodes} nodes are available: {}.",
        listed.join(", "),
        victims.join(", ")
    )
}

fn unschedulable(ctx: &mut Ctx<'_>, p: &Value, nodes: usize, reasons: &BTreeMap<&str, usize>) {
    let msg = if nodes == 0 {
        "no nodes available to schedule pods".to_string()
    } else {
        message(nodes, reasons)
    };
    let current = json::at(p, &["status", "conditions"])
        .and_then(Value::as_array)
        .and_then(|cs| cs.iter().find(|c| str_at(c, &["type"]) == "PodScheduled"));
    if current.is_some_and(|c| str_at(c, &["message"]) == msg) {
        return;
    }
    let mut pod = p.clone();
    let mut c = cond("PodScheduled", "False", &ctx.store.clock().stamp());
    c["reason"] = json!("Unschedulable");
    c["message"] = json!(msg);
    json::set(&mut pod, &["status", "conditions"], json!([c]));
    if let Some(saved) = ctx.update(resources::get("", "pods"), pod) {
        ctx.event_v1(
            &saved,
            true,
            "FailedScheduling",
            "Scheduling",
            &msg,
            "default-scheduler",
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_message_is_kube_schedulers() {
        let mut r = BTreeMap::new();
        r.insert("Insufficient cpu", 3);
        assert_eq!(
            message(3, &r),
            "0/3 nodes are available: 3 Insufficient cpu. no new claims to deallocate, preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod."
        );
    }
}
