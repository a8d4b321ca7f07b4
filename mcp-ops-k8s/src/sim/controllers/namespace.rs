//! The namespace controllers: every namespace gets its `default` ServiceAccount and the
//! `kube-root-ca.crt` ConfigMap (recreated when deleted); a namespace being deleted
//! (Terminating) has its content deleted, then loses its `kubernetes` finalizer and goes.

use serde_json::{Value, json};

use super::Ctx;
use crate::sim::json;
use crate::sim::resources::{self, RESOURCES};

const CA_DESCRIPTION: &str = "Contains a CA bundle that can be used to verify the kube-apiserver when using internal endpoints such as the internal service IP or kubernetes.default.svc. No other usage is guaranteed across distributions of Kubernetes clusters.";
/// A syntactically valid, self-signed placeholder (the simulator serves plain HTTP).
const CA_PEM: &str = "-----BEGIN CERTIFICATE-----\nMIIBZTCCAQugAwIBAgIBATAKBggqhkjOPQQDAjAaMRgwFgYDVQQDEw9tY3Atb3Bz\nLXNpbXVsYXRvcjAeFw0yNjAxMDEwMDAwMDBaFw0zNjAxMDEwMDAwMDBaMBoxGDAW\nBgNVBAMTD21jcC1vcHMtc2ltdWxhdG9yMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcD\nQgAE\n-----END CERTIFICATE-----\n";

/// Syncs every namespace.
pub fn sync_all(ctx: &mut Ctx<'_>) {
    for ns in ctx.list("", "namespaces") {
        let name = json::name(&ns).to_string();
        if json::deleting(&ns) {
            terminate(ctx, &ns);
            continue;
        }
        let sa = resources::get("", "serviceaccounts");
        if ctx.store.get(sa, &name, "default").is_none() {
            ctx.create(
                sa,
                json!({"metadata": {"name": "default", "namespace": name}}),
            );
        }
        let cm = resources::get("", "configmaps");
        if ctx.store.get(cm, &name, "kube-root-ca.crt").is_none() {
            ctx.create(
                cm,
                json!({"metadata": {"name": "kube-root-ca.crt", "namespace": name,
                    "annotations": {"kubernetes.io/description": CA_DESCRIPTION}},
                    "data": {"ca.crt": CA_PEM}}),
            );
        }
    }
}

/// Deletes what is left in a Terminating namespace; once it is empty, removes the finalizer
/// (the store then forgets the namespace).
fn terminate(ctx: &mut Ctx<'_>, ns: &Value) {
    let name = json::name(ns);
    let mut left = 0;
    for rt in RESOURCES
        .iter()
        .filter(|r| r.namespaced && r.group != "metrics.k8s.io" && r.verbs.contains(&"delete"))
    {
        for o in ctx.store.list(rt, Some(name)).0 {
            left += 1;
            if !json::deleting(&o) {
                ctx.delete(rt, name, json::name(&o));
            }
        }
    }
    if left == 0 {
        let mut done = ns.clone();
        json::set(&mut done, &["spec", "finalizers"], json!([]));
        ctx.update(resources::get("", "namespaces"), done);
    }
}
