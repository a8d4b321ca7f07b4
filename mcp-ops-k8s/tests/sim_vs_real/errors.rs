//! The API's answers to bad requests, compared whole (HTTP status, reason, message, details
//! with causes): missing objects and namespaces, unknown paths, conflicts, mismatched names and
//! namespaces, server-side validation of names, labels, selectors and containers, bad label
//! selectors, and the Scale subresource.

use kube::api::{DeleteParams, ListParams, Patch, PatchParams, PostParams};
use kube::core::Request;
use serde_json::{Value, json};

use super::compare::Checks;
use super::normalise::Norm;
use super::pair::{Pair, Side};

/// A request of one side: `{ns}` in the path and body is its namespace.
enum Call {
    Get(&'static str),
    List(&'static str, &'static str),
    Create(&'static str, Value),
    Replace(&'static str, &'static str, Value),
    MergePatch(&'static str, &'static str, Value),
    Delete(&'static str, &'static str),
}

/// The answer: the Status of a failure, or `ok` and the object's kind.
async fn answer(side: &Side, call: &Call) -> Value {
    let ns = |s: &str| s.replace("{ns}", &side.ns);
    let body = |v: &Value| ns(&v.to_string()).into_bytes();
    let req = match call {
        Call::Get(path) => {
            let (base, name) = path.rsplit_once('/').unwrap_or((path, ""));
            Request::new(ns(base)).get(name, &Default::default())
        }
        Call::List(path, selector) => {
            Request::new(ns(path)).list(&ListParams::default().labels(selector))
        }
        Call::Create(path, v) => Request::new(ns(path)).create(&PostParams::default(), body(v)),
        Call::Replace(path, name, v) => {
            Request::new(ns(path)).replace(name, &PostParams::default(), body(v))
        }
        Call::MergePatch(path, name, v) => Request::new(ns(path)).patch(
            name,
            &PatchParams::default(),
            &Patch::Merge(serde_json::from_slice::<Value>(&body(v)).unwrap()),
        ),
        Call::Delete(path, name) => Request::new(ns(path)).delete(name, &DeleteParams::default()),
    }
    .unwrap();
    match side.client.request_text(req).await {
        Ok(text) => {
            let v: Value = serde_json::from_str(&text).unwrap_or_default();
            json!({"ok": v["kind"]})
        }
        Err(kube::Error::Api(status)) => serde_json::to_value(&*status).unwrap(),
        Err(e) => panic!("{e}"),
    }
}

fn cm(name: &str) -> Value {
    json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}})
}

fn deployment(name: &str, labels: Value, containers: Value) -> Value {
    json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name},
        "spec": {"selector": {"matchLabels": {"app": "web"}},
            "template": {"metadata": {"labels": labels}, "spec": {"containers": containers}}}})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_bodies_are_the_same() {
    let p = Pair::new("svr-errors").await;
    let norms = p.norms().await;
    let ok_containers = json!([{"name": "web", "image": "nginx:1.27"}]);
    let cms = "/api/v1/namespaces/{ns}/configmaps";
    let deploys = "/apis/apps/v1/namespaces/{ns}/deployments";
    let long = "a".repeat(254);
    let calls: Vec<(&str, Call)> = vec![
        (
            "missing deployment",
            Call::Get("/apis/apps/v1/namespaces/{ns}/deployments/nope"),
        ),
        (
            "unknown resource",
            Call::Get("/apis/apps/v1/namespaces/{ns}/nothings/x"),
        ),
        (
            "pod in a missing namespace",
            Call::Get("/api/v1/namespaces/nope/pods/x"),
        ),
        (
            "create in a missing namespace",
            Call::Create("/api/v1/namespaces/nope/configmaps", cm("x")),
        ),
        (
            "create an existing object",
            Call::Create(cms, cm("mcp-config")),
        ),
        (
            "stale resourceVersion",
            Call::Replace(
                cms,
                "mcp-config",
                json!({"apiVersion": "v1", "kind": "ConfigMap",
                "metadata": {"name": "mcp-config", "resourceVersion": "1"}, "data": {"a": "b"}}),
            ),
        ),
        (
            "name differs from the URL",
            Call::Replace(cms, "mcp-config", cm("other")),
        ),
        (
            "namespace differs from the URL",
            Call::Create(
                cms,
                json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x", "namespace": "other"}}),
            ),
        ),
        ("invalid name", Call::Create(cms, cm("Bad_Name"))),
        ("name too long", Call::Create(cms, cm(&long))),
        (
            "no name",
            Call::Create(
                cms,
                json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {}}),
            ),
        ),
        (
            "invalid generateName",
            Call::Create(
                cms,
                json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"generateName": "Bad_"}}),
            ),
        ),
        // One bad label a request: kube-apiserver lists the causes of several in Go's map
        // order, which changes from one request to the next.
        (
            "invalid label key",
            Call::Create(
                cms,
                json!({"apiVersion": "v1", "kind": "ConfigMap",
                "metadata": {"name": "x", "labels": {"bad key": "v"}}}),
            ),
        ),
        (
            "invalid label value",
            Call::Create(
                cms,
                json!({"apiVersion": "v1", "kind": "ConfigMap",
                "metadata": {"name": "x", "labels": {"k": "bad value!"}}}),
            ),
        ),
        (
            "invalid namespace name",
            Call::Create(
                "/api/v1/namespaces",
                json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "Bad_Name"}}),
            ),
        ),
        (
            "service name with a dot",
            Call::Create(
                "/api/v1/namespaces/{ns}/services",
                json!({"apiVersion": "v1", "kind": "Service",
                "metadata": {"name": "a.b"}, "spec": {"ports": [{"port": 80}]}}),
            ),
        ),
        (
            "selector does not match the template",
            Call::Create(
                deploys,
                deployment("web", json!({"app": "other"}), ok_containers.clone()),
            ),
        ),
        (
            "invalid name and a container without image",
            Call::Create(
                deploys,
                deployment("Web", json!({"app": "web"}), json!([{"name": "web"}])),
            ),
        ),
        (
            "no containers",
            Call::Create(deploys, deployment("web", json!({"app": "web"}), json!([]))),
        ),
        (
            "container name",
            Call::Create(
                "/api/v1/namespaces/{ns}/pods",
                json!({"apiVersion": "v1", "kind": "Pod",
                "metadata": {"name": "p"}, "spec": {"containers": [{"name": "Bad_C", "image": "x"}]}}),
            ),
        ),
        (
            "negative scale",
            Call::MergePatch(
                "/apis/apps/v1/namespaces/{ns}/deployments",
                "mcp-rust-server/scale",
                json!({"spec": {"replicas": -1}}),
            ),
        ),
        (
            "negative replicas",
            Call::MergePatch(
                deploys,
                "mcp-rust-server",
                json!({"spec": {"replicas": -1}}),
            ),
        ),
        (
            "bad label selector",
            Call::List("/api/v1/namespaces/{ns}/pods", "a===b"),
        ),
        (
            "delete a missing pod",
            Call::Delete("/api/v1/namespaces/{ns}/pods", "nope"),
        ),
    ];
    let mut c = Checks::default();
    for (what, call) in &calls {
        let (s, r) = tokio::join!(answer(&p.sim, call), answer(&p.real, call));
        c.json(what, &norm(&norms.0, &s), &norm(&norms.1, &r));
    }
    c.done();
}

/// Normalised, with the random suffix of the generated `Bad_…` name masked.
fn norm(n: &Norm, v: &Value) -> Value {
    let text = n.object(v).to_string();
    let mut out = String::new();
    let mut rest = text.as_str();
    while let Some(i) = rest.find("Bad_") {
        out.push_str(&rest[..i + 4]);
        rest = &rest[i + 4..];
        let suffix: String = rest.chars().take(5).collect();
        if suffix.len() == 5
            && suffix
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        {
            out.push_str("XXXXX");
            rest = &rest[5..];
        }
    }
    out.push_str(rest);
    serde_json::from_str(&out).unwrap_or(Value::String(out))
}
