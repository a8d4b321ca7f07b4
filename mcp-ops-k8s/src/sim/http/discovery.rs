//! Discovery documents: `/version`, `/api`, `/apis` (aggregated and legacy), `/api/v1`, `/apis/G/V`.

use super::super::resources::{self, RESOURCES, ResourceType};
use serde_json::{Value, json};

/// The `/version` document of Kubernetes `v1.MINOR.PATCH`, shaped like kube-apiserver's
/// (1.34+ also report the emulated and the minimum compatibility version).
pub fn version(minor: u32, patch: u32) -> Value {
    json!({
        "major": "1",
        "minor": minor.to_string(),
        "emulationMajor": "1",
        "emulationMinor": minor.to_string(),
        "minCompatibilityMajor": "1",
        "minCompatibilityMinor": minor.saturating_sub(1).to_string(),
        "gitVersion": format!("v1.{minor}.{patch}"),
        "gitCommit": "0000000000000000000000000000000000000000",
        "gitTreeState": "clean",
        "buildDate": "2026-01-01T00:00:00Z",
        "goVersion": "go1.26.8",
        "compiler": "gc",
        "platform": "linux/amd64"
    })
}

/// Content-Type of aggregated discovery in the given version (`v2` or `v2beta1`).
pub fn aggregated_content_type(v: &str) -> String {
    format!("application/json;g=apidiscovery.k8s.io;v={v};as=APIGroupDiscoveryList")
}

fn in_group(group: &str) -> impl Iterator<Item = &'static ResourceType> + '_ {
    RESOURCES.iter().filter(move |r| r.group == group)
}

fn sub_kind(r: &ResourceType, sub: &str) -> (&'static str, &'static str, &'static str) {
    match sub {
        "scale" => ("autoscaling", "v1", "Scale"),
        "log" => ("", "", ""),
        _ => (r.group, r.version, r.kind),
    }
}

fn sub_verbs(sub: &str) -> Vec<&'static str> {
    match sub {
        "log" => vec!["get"],
        _ => vec!["get", "patch", "update"],
    }
}

fn aggregated_resource(r: &ResourceType) -> Value {
    let subs: Vec<Value> = r
        .subresources
        .iter()
        .map(|s| {
            let (g, v, k) = sub_kind(r, s);
            let mut e = json!({"subresource": s, "verbs": sub_verbs(s)});
            if !k.is_empty() {
                e["responseKind"] = json!({"group": g, "version": v, "kind": k});
            }
            e
        })
        .collect();
    let mut e = json!({
        "resource": r.plural,
        "responseKind": {"group": r.group, "version": r.version, "kind": r.kind},
        "scope": if r.namespaced { "Namespaced" } else { "Cluster" },
        "verbs": r.verbs,
    });
    if !r.singular.is_empty() {
        e["singularResource"] = json!(r.singular);
    }
    if !r.short_names.is_empty() {
        e["shortNames"] = json!(r.short_names);
    }
    if !r.categories.is_empty() {
        e["categories"] = json!(r.categories);
    }
    if !subs.is_empty() {
        e["subresources"] = json!(subs);
    }
    e
}

fn aggregated_group(group: &str, versions: &[&str]) -> Value {
    let versions: Vec<Value> = versions
        .iter()
        .map(|v| {
            let resources: Vec<Value> = in_group(group)
                .filter(|r| r.version == *v)
                .map(aggregated_resource)
                .collect();
            json!({"version": v, "resources": resources, "freshness": "Current"})
        })
        .collect();
    let mut meta = json!({"creationTimestamp": null});
    if !group.is_empty() {
        meta["name"] = json!(group);
    }
    json!({"metadata": meta, "versions": versions})
}

/// Aggregated discovery for `/api` (`core == true`) or `/apis`.
pub fn aggregated(core: bool, v: &str) -> Value {
    let items: Vec<Value> = if core {
        vec![aggregated_group("", &["v1"])]
    } else {
        resources::groups()
            .into_iter()
            .map(|(g, versions)| aggregated_group(g, &versions))
            .collect()
    };
    json!({
        "kind": "APIGroupDiscoveryList",
        "apiVersion": format!("apidiscovery.k8s.io/{v}"),
        "metadata": {},
        "items": items
    })
}

/// Legacy `/api`.
pub fn api_versions(server: &str) -> Value {
    json!({
        "kind": "APIVersions",
        "versions": ["v1"],
        "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": server}]
    })
}

fn group_entry(group: &str, versions: &[&str]) -> Value {
    let gv = |v: &str| json!({"groupVersion": format!("{group}/{v}"), "version": v});
    let listed: Vec<Value> = versions.iter().map(|v| gv(v)).collect();
    json!({"name": group, "versions": listed, "preferredVersion": gv(versions.first().copied().unwrap_or("v1"))})
}

/// Legacy `/apis`.
pub fn api_group_list() -> Value {
    let groups: Vec<Value> = resources::groups()
        .into_iter()
        .map(|(g, v)| group_entry(g, &v))
        .collect();
    json!({"kind": "APIGroupList", "apiVersion": "v1", "groups": groups})
}

/// `/apis/G`.
pub fn api_group(group: &str) -> Option<Value> {
    let (g, v) = resources::groups().into_iter().find(|(g, _)| *g == group)?;
    let mut e = group_entry(g, &v);
    e["kind"] = json!("APIGroup");
    e["apiVersion"] = json!("v1");
    Some(e)
}

/// `/api/v1` or `/apis/G/V`.
pub fn resource_list(group: &str, version: &str) -> Option<Value> {
    let mut list = Vec::new();
    for r in in_group(group).filter(|r| r.version == version) {
        let mut e = json!({
            "name": r.plural,
            "singularName": r.singular,
            "namespaced": r.namespaced,
            "kind": r.kind,
            "verbs": r.verbs,
        });
        if !r.short_names.is_empty() {
            e["shortNames"] = json!(r.short_names);
        }
        if !r.categories.is_empty() {
            e["categories"] = json!(r.categories);
        }
        list.push(e);
        for s in r.subresources {
            let (g, v, k) = sub_kind(r, s);
            let mut e = json!({
                "name": format!("{}/{s}", r.plural),
                "singularName": "",
                "namespaced": r.namespaced,
                "kind": if k.is_empty() { r.kind } else { k },
                "verbs": sub_verbs(s),
            });
            if *s == "scale" {
                e["group"] = json!(g);
                e["version"] = json!(v);
            }
            list.push(e);
        }
    }
    if list.is_empty() {
        return None;
    }
    let gv = if group.is_empty() {
        version.to_string()
    } else {
        format!("{group}/{version}")
    };
    Some(
        json!({"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": gv, "resources": list}),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aggregated_lists_deployments_with_short_names() {
        let d = aggregated(false, "v2");
        let apps = d["items"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|g| g["metadata"]["name"] == "apps");
        let res = &apps
            .map(|a| a["versions"][0]["resources"].clone())
            .unwrap_or_default();
        let dep = res
            .as_array()
            .into_iter()
            .flatten()
            .find(|r| r["resource"] == "deployments");
        assert_eq!(
            dep.map(|d| d["shortNames"][0].clone()),
            Some(json!("deploy"))
        );
        assert_eq!(dep.map(|d| d["categories"][0].clone()), Some(json!("all")));
    }

    #[test]
    fn legacy_lists() {
        assert!(resource_list("apps", "v1").is_some());
        assert!(resource_list("apps", "v2").is_none());
        assert_eq!(api_group_list()["groups"][0]["name"], "apps");
    }
}
