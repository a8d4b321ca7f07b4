//! The rules of `deploy/rbac.yaml` one `(role, apiGroup, resource, verb)` at a time, and the
//! manifest moved into a test's namespace with one of them left out.

use serde_json::{Value, json};

/// The manifest under test.
pub const RBAC: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/deploy/rbac-sdk.yaml");
/// The ServiceAccount the manifest binds.
pub const ACCOUNT: &str = "mcp-ops";

/// One grant of one ClusterRole of the manifest.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Rule {
    /// The ClusterRole that grants it.
    pub role: String,
    /// The API group (`""` for the core group).
    pub group: String,
    /// The resource, subresource after a slash.
    pub resource: String,
    /// The verb.
    pub verb: String,
}

impl Rule {
    /// Whether the role is bound across the cluster (a ClusterRoleBinding) rather than in the
    /// namespace.
    pub fn cluster_wide(&self, docs: &[Value]) -> bool {
        docs.iter().any(|d| {
            d["kind"] == "ClusterRoleBinding" && d["roleRef"]["name"] == self.role.as_str()
        })
    }
}

impl std::fmt::Display for Rule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let group = if self.group.is_empty() {
            "core"
        } else {
            &self.group
        };
        write!(
            f,
            "{} {} ({group}) of {}",
            self.verb, self.resource, self.role
        )
    }
}

/// The manifest's documents.
pub fn documents() -> Vec<Value> {
    let text = std::fs::read_to_string(RBAC).expect("deploy/rbac.yaml is readable");
    let docs: Vec<Value> = serde_saphyr::from_str_multiple(&text).expect("rbac.yaml is YAML");
    docs.into_iter().filter(|d| !d.is_null()).collect()
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .into_iter()
        .flatten()
        .filter_map(|s| s.as_str().map(str::to_owned))
        .collect()
}

/// Every `(group, resource, verb)` of one policy rule.
fn triples(rule: &Value) -> Vec<(String, String, String)> {
    let mut out = Vec::new();
    for g in strings(&rule["apiGroups"]) {
        for r in strings(&rule["resources"]) {
            for v in strings(&rule["verbs"]) {
                out.push((g.clone(), r.clone(), v));
            }
        }
    }
    out
}

/// Every grant of every ClusterRole, in manifest order.
pub fn rules(docs: &[Value]) -> Vec<Rule> {
    let mut out = Vec::new();
    for d in docs.iter().filter(|d| d["kind"] == "ClusterRole") {
        let role = d["metadata"]["name"].as_str().unwrap_or_default();
        for rule in d["rules"].as_array().into_iter().flatten() {
            for (group, resource, verb) in triples(rule) {
                out.push(Rule {
                    role: role.to_owned(),
                    group,
                    resource,
                    verb,
                });
            }
        }
    }
    out
}

/// The role's rules without `omit`: the policy rule holding it is split into one rule per
/// remaining triple (the same grants), every other rule is kept as written.
fn rules_without(rules: &Value, role: &str, omit: Option<&Rule>) -> Value {
    let mut out = Vec::new();
    for rule in rules.as_array().into_iter().flatten() {
        let all = triples(rule);
        let hit = omit.filter(|o| {
            o.role == role
                && all
                    .iter()
                    .any(|(g, r, v)| (g, r, v) == (&o.group, &o.resource, &o.verb))
        });
        let Some(o) = hit else {
            out.push(rule.clone());
            continue;
        };
        for (g, r, v) in all {
            if (&g, &r, &v) != (&o.group, &o.resource, &o.verb) {
                out.push(json!({"apiGroups": [g], "resources": [r], "verbs": [v]}));
            }
        }
    }
    Value::Array(out)
}

/// The manifest as a `v1/List` for namespace `ns`: the ServiceAccount and the RoleBindings
/// there, subjects pointing at it, ClusterRoles and ClusterRoleBindings renamed
/// `NAME-<ns>` (they are cluster-scoped, one set per test namespace), and `omit` left out.
pub fn manifest(docs: &[Value], ns: &str, omit: Option<&Rule>) -> Value {
    let renamed = |name: &Value| json!(format!("{}-{ns}", name.as_str().unwrap_or_default()));
    let mut items = Vec::new();
    for d in docs {
        let mut d = d.clone();
        match d["kind"].as_str().unwrap_or_default() {
            "ClusterRole" => {
                let role = d["metadata"]["name"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned();
                d["rules"] = rules_without(&d["rules"], &role, omit);
                d["metadata"]["name"] = renamed(&d["metadata"]["name"]);
            }
            "ClusterRoleBinding" => {
                d["metadata"]["name"] = renamed(&d["metadata"]["name"]);
            }
            _ => {
                d["metadata"]["namespace"] = json!(ns);
            }
        }
        if d["roleRef"]["kind"] == "ClusterRole" {
            d["roleRef"]["name"] = renamed(&d["roleRef"]["name"]);
        }
        for s in d["subjects"].as_array_mut().into_iter().flatten() {
            s["namespace"] = json!(ns);
        }
        items.push(d);
    }
    json!({"apiVersion": "v1", "kind": "List", "items": items})
}

/// The cluster-scoped objects [`manifest`] made for `ns` (`kind/name`), to delete afterwards.
pub fn cluster_objects(docs: &[Value], ns: &str) -> Vec<String> {
    docs.iter()
        .filter(|d| d["kind"] == "ClusterRole" || d["kind"] == "ClusterRoleBinding")
        .map(|d| {
            format!(
                "{}/{}-{ns}",
                d["kind"].as_str().unwrap_or_default().to_lowercase(),
                d["metadata"]["name"].as_str().unwrap_or_default()
            )
        })
        .collect()
}
