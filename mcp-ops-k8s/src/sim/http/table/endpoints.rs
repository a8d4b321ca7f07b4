//! Table columns of Endpoints, EndpointSlices and ControllerRevisions.

use super::{CellFn, col};
use crate::sim::clock::age;
use crate::sim::json::{self, at, i64_at, str_at};
use crate::sim::resources::ResourceType;
use jiff::Timestamp;
use serde_json::{Value, json};

/// At most three entries, then ` + N more...`, as kubectl's printers shorten lists.
fn shortened(items: &[String], empty: &str) -> String {
    match items.len() {
        0 => empty.to_string(),
        n if n <= 3 => items.join(","),
        n => format!("{} + {} more...", items[..3].join(","), n - 3),
    }
}

fn list<'a>(o: &'a Value, path: &[&str]) -> impl Iterator<Item = &'a Value> {
    at(o, path).and_then(Value::as_array).into_iter().flatten()
}

/// Columns and a row renderer for the resources of this module, or `None`.
pub(super) fn columns(rt: &ResourceType, now: Timestamp) -> Option<(Vec<Value>, CellFn)> {
    let created = move |o: &Value| age(str_at(o, &["metadata", "creationTimestamp"]), now);
    let name = |o: &Value| json!(json::name(o));
    Some(match (rt.group, rt.plural) {
        ("", "endpoints") => (
            vec![
                col("Name", "string", 0),
                col("Endpoints", "string", 0),
                col("Age", "string", 0),
            ],
            Box::new(move |o| {
                let mut eps = Vec::new();
                for s in list(o, &["subsets"]) {
                    for a in list(s, &["addresses"]) {
                        let ip = str_at(a, &["ip"]);
                        let ports: Vec<i64> = list(s, &["ports"])
                            .map(|p| i64_at(p, &["port"], 0))
                            .collect();
                        if ports.is_empty() {
                            eps.push(ip.to_string());
                        }
                        eps.extend(ports.iter().map(|p| format!("{ip}:{p}")));
                    }
                }
                vec![name(o), json!(shortened(&eps, "<none>")), json!(created(o))]
            }),
        ),
        ("discovery.k8s.io", "endpointslices") => (
            vec![
                col("Name", "string", 0),
                col("AddressType", "string", 0),
                col("Ports", "string", 0),
                col("Endpoints", "string", 0),
                col("Age", "string", 0),
            ],
            Box::new(move |o| {
                let ports: Vec<String> = list(o, &["ports"])
                    .map(|p| i64_at(p, &["port"], 0).to_string())
                    .collect();
                let ips: Vec<String> = list(o, &["endpoints"])
                    .flat_map(|e| list(e, &["addresses"]))
                    .filter_map(|a| a.as_str().map(String::from))
                    .collect();
                vec![
                    name(o),
                    json!(str_at(o, &["addressType"])),
                    json!(if ports.is_empty() {
                        "<unset>".to_string()
                    } else {
                        ports.join(",")
                    }),
                    json!(shortened(&ips, "<unset>")),
                    json!(created(o)),
                ]
            }),
        ),
        ("apps", "controllerrevisions") => (
            vec![
                col("Name", "string", 0),
                col("Controller", "string", 0),
                col("Revision", "integer", 0),
                col("Age", "string", 0),
            ],
            Box::new(move |o| {
                let owner = list(o, &["metadata", "ownerReferences"])
                    .find(|r| json::bool_at(r, &["controller"]))
                    .map_or("<none>".to_string(), |r| {
                        let group = str_at(r, &["apiVersion"]).split('/').next().unwrap_or("");
                        format!(
                            "{}.{group}/{}",
                            str_at(r, &["kind"]).to_lowercase(),
                            str_at(r, &["name"])
                        )
                    });
                vec![
                    name(o),
                    json!(owner),
                    json!(i64_at(o, &["revision"], 0)),
                    json!(created(o)),
                ]
            }),
        ),
        _ => return None,
    })
}
