//! The server's scope (`[mcp]` of the platform file): every name a call touches is checked
//! against it before anything runs.

use mcp_ops_core::platform::{AgentScope, Deployment};

use super::call::Invocation;

/// The namespace the call runs in, once every name it touches is in `scope`. `platform` is
/// every deployment of the platform: a pod belongs to the longest of their names that
/// prefixes it ([`pod_owner`]).
///
/// # Errors
/// One line naming the first name outside the scope and what is allowed.
pub fn check(
    scope: &AgentScope,
    platform: &[Deployment],
    inv: &Invocation,
) -> Result<String, String> {
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
        let known = platform
            .iter()
            .map(|d| d.reference.name.as_str())
            .chain(scope.deployments.iter().map(|d| d.as_str()));
        let owned = pod_owner(p, known).is_some_and(|d| scope.allows_deployment(d));
        if !owned {
            return outside("pod", p, format!("pods of {}", deployments()));
        }
    }
    Ok(namespace)
}

/// The characters of generated Kubernetes name parts (`rand.SafeEncodeString`).
const SAFE_ALPHABET: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";

/// The deployment a pod named `pod` belongs to: the longest of `deployments` such that the
/// pod is `<deployment>-<template hash>-<suffix>` (a hash of 1 to 10 and a suffix of 5
/// characters of Kubernetes' safe alphabet). `None` when no deployment prefixes it, or the
/// rest after the longest one is not of that shape (so
/// `mcp-typescript-api-evil-77b9464b56-j56kj` belongs to `mcp-typescript-api-evil` when the
/// platform has it, and to nobody otherwise, never to `mcp-typescript-api`; a StatefulSet's
/// `mcp-typescript-api-db-0` belongs to nobody).
pub fn pod_owner<'a>(pod: &str, deployments: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    let owner = deployments
        .filter(|d| {
            pod.strip_prefix(*d)
                .is_some_and(|rest| rest.starts_with('-'))
        })
        .max_by_key(|d| d.len())?;
    let rest = pod.get(owner.len() + 1..)?;
    // Kubernetes names a Deployment's pods `<deployment>-<pod-template-hash>-<suffix>`: the
    // hash at most 10 and the suffix exactly 5 characters of its safe alphabet (no vowels, no
    // confusable digits). A StatefulSet's `…-db-0` or a Job's pod is not of that shape.
    let safe = |s: &str, len: std::ops::RangeInclusive<usize>| {
        len.contains(&s.len()) && s.bytes().all(|b| SAFE_ALPHABET.contains(&b))
    };
    let mut parts = rest.split('-');
    match (parts.next(), parts.next(), parts.next()) {
        (Some(hash), Some(suffix), None) if safe(hash, 1..=10) && safe(suffix, 5..=5) => {
            Some(owner)
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::pod_owner;

    const PLATFORM: &[&str] = &[
        "mcp-typescript-api",
        "mcp-typescript-api-evil",
        "mcp-rust-server",
    ];

    fn owner(pod: &str) -> Option<&'static str> {
        pod_owner(pod, PLATFORM.iter().copied())
    }

    #[test]
    fn a_pod_belongs_to_the_longest_deployment_prefixing_it() {
        assert_eq!(
            owner("mcp-typescript-api-77b9464b56-j56kj"),
            Some("mcp-typescript-api")
        );
        assert_eq!(
            owner("mcp-typescript-api-evil-77b9464b56-j56kj"),
            Some("mcp-typescript-api-evil")
        );
        assert_eq!(
            owner("mcp-rust-server-5d8f7c9b4-bcdfg"),
            Some("mcp-rust-server")
        );
    }

    #[test]
    fn a_pod_not_shaped_hash_then_suffix_belongs_to_nobody() {
        // Without the longer deployment in the platform, the rest has three segments.
        let only_api = ["mcp-typescript-api"];
        assert_eq!(
            pod_owner(
                "mcp-typescript-api-evil-77b9464b56-j56kj",
                only_api.iter().copied()
            ),
            None
        );
        for pod in [
            "mcp-typescript-api-db-0",
            "mcp-typescript-api-77b9464b56-abcde",
            "mcp-typescript-api-77b9464b56-j56k",
            "mcp-typescript-api",
            "mcp-typescript-api-",
            "mcp-typescript-api-77b9464b56",
            "mcp-typescript-api-77b9464b56-",
            "mcp-typescript-api--j56kj",
            "mcp-typescript-api-77B9464b56-j56kj",
            "mcp-typescript-api-77b9464b56-j56kj-x",
            "mcp-typescript-apix-77b9464b56-j56kj",
            "other-77b9464b56-j56kj",
        ] {
            assert_eq!(owner(pod), None, "{pod}");
        }
    }
}
