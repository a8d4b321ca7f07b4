//! Least privilege, proven on a real control plane. `deploy/rbac.yaml` (the CLI's operate and
//! restore roles): [`each_role_runs_its_commands_and_is_refused_the_rest`]. `deploy/rbac-sdk.yaml`
//! (one identity for the whole SDK), below: (kube-apiserver with the RBAC authorizer,
//! a bound ServiceAccount token): every operation of the Kubernetes backends succeeds with
//! exactly the rules of `deploy/rbac-sdk.yaml`, and without any single one of its
//! `(role, apiGroup, resource, verb)` grants some operation fails with a typed
//! `Error::Forbidden` naming that verb and resource — so the manifest grants nothing unused.
//!
//! Each run gets its own namespace, ServiceAccount and renamed copies of the ClusterRoles; the
//! variants (one per grant) run concurrently on one control plane, `MCP_OPS_RBAC_PARALLEL`
//! at a time (default 8; `MCP_OPS_RBAC_ONLY=TEXT` keeps the grants whose description, such
//! as `watch jobs (batch) of mcp-ops`, contains TEXT). APIs the control plane does not serve (metrics.k8s.io, the VPA CRD)
//! are proven the same way: with the grant the request is authorized and answered 404 (the
//! backend reports "not served"), without it kube-apiserver answers 403 before routing.
//!
//! ```sh
//! export MCP_OPS_CONTROL_PLANE_BIN=$(scripts/build-control-plane)
//! export MCP_OPS_KUBECTL=$MCP_OPS_CONTROL_PLANE_BIN/kubectl
//! cargo test -p mcp-ops-k8s --features testing,sim --test real_rbac
//! ```
#![cfg(feature = "testing")]
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

#[path = "real_rbac/ops.rs"]
mod ops;
#[path = "real_rbac/roles.rs"]
mod roles;
#[path = "real_rbac/rules.rs"]
mod rules;
#[path = "real_rbac/sandbox.rs"]
mod sandbox;

use futures::StreamExt;
use mcp_ops_core::Error;
use mcp_ops_k8s::testing::ControlPlane;
use serde_json::Value;

use ops::run_all;
use rules::{Rule, documents, rules};
use sandbox::Sandbox;

/// `deploy/rbac.yaml`'s two roles: operate runs its commands (rotation by Secret name
/// included) and is refused every Secret not named, `list secrets`, Jobs, exec, pod deletion
/// and workload creation; restore backs up and restores the configuration.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_role_runs_its_commands_and_is_refused_the_rest() {
    let cp = ControlPlane::shared().await.unwrap();
    let r = roles::Roles::new(cp).await;
    let problems = roles::prove(cp, &r).await;
    r.remove(cp).await;
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

fn parallel() -> usize {
    std::env::var("MCP_OPS_RBAC_PARALLEL")
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|n| *n > 0)
        .unwrap_or(8)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_operation_succeeds_with_exactly_the_manifest() {
    let cp = ControlPlane::shared().await.unwrap();
    let docs = documents();
    let sandbox = Sandbox::new(cp, &docs, "rbac-all", None).await.unwrap();
    let results = run_all(cp, &sandbox).await;
    sandbox.remove(cp).await;
    let failed: Vec<String> = results
        .iter()
        .filter_map(|(group, r)| r.as_ref().err().map(|f| format!("{group}: {f}")))
        .collect();
    assert!(
        failed.is_empty(),
        "with every rule of rbac.yaml:\n{}",
        failed.join("\n")
    );
}

/// What one variant showed: the groups denied with the removed grant, and anything else.
struct Verdict {
    rule: Rule,
    denied: Vec<String>,
    wrong: Vec<String>,
}

/// Whether `e` is the typed denial of `rule`: in `ns` for a grant bound in the namespace, in
/// `ns` or at the cluster scope for one bound across the cluster.
fn names(e: &Error, rule: &Rule, ns: &str, cluster_wide: bool) -> bool {
    let Some(p) = e.permission() else {
        return false;
    };
    let scope_ok = match p.namespace.as_deref() {
        None => cluster_wide,
        Some(n) => n == ns,
    };
    matches!(e, Error::Forbidden { .. })
        && p.is(&rule.group, &rule.resource, &rule.verb)
        && scope_ok
}

async fn variant(cp: &ControlPlane, docs: &[Value], index: usize, rule: Rule) -> Verdict {
    let mut verdict = Verdict {
        rule,
        denied: Vec::new(),
        wrong: Vec::new(),
    };
    let prefix = format!("rbac-{index}");
    let sandbox = match Sandbox::new(cp, docs, &prefix, Some(&verdict.rule)).await {
        Ok(s) => s,
        Err(e) => {
            verdict.wrong.push(format!("setup failed: {e}"));
            return verdict;
        }
    };
    let cluster_wide = verdict.rule.cluster_wide(docs);
    for (group, r) in run_all(cp, &sandbox).await {
        let Err(fault) = r else { continue };
        match fault.error() {
            Some(e) if names(e, &verdict.rule, &sandbox.ns, cluster_wide) => {
                verdict.denied.push(format!("{group} ({})", fault.step));
            }
            _ => verdict.wrong.push(format!("{group}: {fault}")),
        }
    }
    sandbox.remove(cp).await;
    verdict
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_any_one_rule_an_operation_is_forbidden_by_name() {
    let cp = ControlPlane::shared().await.unwrap();
    let docs = documents();
    let mut all = rules(&docs);
    assert!(all.len() > 40, "only {} rules read", all.len());
    // MCP_OPS_RBAC_ONLY=TEXT runs only the grants whose description contains TEXT.
    if let Ok(only) = std::env::var("MCP_OPS_RBAC_ONLY") {
        all.retain(|r| r.to_string().contains(&only));
    }
    let docs_ref = &docs;
    let verdicts: Vec<Verdict> = futures::stream::iter(all.into_iter().enumerate())
        .map(|(i, rule)| variant(cp, docs_ref, i, rule))
        .buffer_unordered(parallel())
        .collect()
        .await;
    let mut problems = Vec::new();
    let mut report = Vec::new();
    for v in &verdicts {
        report.push(format!(
            "{:<60} denied in: {}",
            v.rule.to_string(),
            v.denied.join(", ")
        ));
        if v.denied.is_empty() {
            problems.push(format!(
                "{}: no operation needs it (an unused grant)",
                v.rule
            ));
        }
        for w in &v.wrong {
            problems.push(format!("{}: {w}", v.rule));
        }
    }
    report.sort();
    println!("{}", report.join("\n"));
    assert!(
        problems.is_empty(),
        "{} problem(s):\n{}",
        problems.len(),
        problems.join("\n")
    );
}
