//! The server's scope (`[mcp]` of the platform file): every name a call touches is checked
//! against it before anything runs.

use mcp_ops_core::platform::AgentScope;

use super::call::Invocation;

/// The namespace the call runs in, once every name it touches is in `scope`.
///
/// # Errors
/// One line naming the first name outside the scope and what is allowed.
pub fn check(scope: &AgentScope, inv: &Invocation) -> Result<String, String> {
    let list = |v: Vec<&str>| {
        if v.is_empty() {
            "none".to_owned()
        } else {
            v.join(", ")
        }
    };
    let namespaces = || list(scope.namespaces.iter().map(|n| n.as_str()).collect());
    let deployments = || list(scope.deployments.iter().map(|d| d.as_str()).collect());
    let outside = |what: &str, name: &str, allowed: String| {
        Err(format!(
            "outside this server's scope: {what} {name:?} (allowed: {allowed}; see [mcp] in the platform file)"
        ))
    };
    let namespace = match &inv.namespace {
        Some(n) => n.clone(),
        None => match scope.namespaces.first() {
            Some(n) => n.as_str().to_owned(),
            None => return Err("this server's scope has no namespace".to_owned()),
        },
    };
    for n in std::iter::once(&namespace).chain(&inv.names.namespaces) {
        if !scope.allows_namespace(n) {
            return outside("namespace", n, namespaces());
        }
    }
    for d in &inv.names.deployments {
        if !scope.allows_deployment(d) {
            return outside("deployment", d, deployments());
        }
    }
    for s in &inv.names.secrets {
        if !scope.allows_secret(s) {
            return outside(
                "secret",
                s,
                list(scope.secrets.iter().map(|s| s.as_str()).collect()),
            );
        }
    }
    for p in &inv.names.pods {
        // A pod of a deployment is named `<deployment>-<template hash>-<suffix>`.
        let owned = scope.deployments.iter().any(|d| {
            p.strip_prefix(d.as_str())
                .and_then(|rest| rest.strip_prefix('-'))
                .is_some_and(|rest| !rest.is_empty())
        });
        if !owned {
            return outside("pod", p, format!("pods of {}", deployments()));
        }
    }
    Ok(namespace)
}
