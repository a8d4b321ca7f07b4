//! The permission named by the API server's 403 answer.
//!
//! kube-apiserver words every authorization denial the same way, whichever authorizer
//! refused: `User "NAME" cannot VERB resource "RES[/SUB]" in API group "GROUP"` followed by
//! ` in the namespace "NS"` or ` at the cluster scope` (and, from some authorizers, `: why`).
//! A 403 worded otherwise (an admission plugin: a quota, a terminating namespace) names no
//! permission.

use mcp_ops_core::Permission;

/// The permission an authorization denial names; `None` for any other message.
pub(super) fn denied_permission(message: &str) -> Option<Permission> {
    let (_, rest) = message.split_once("User \"")?;
    let (_, rest) = rest.split_once("\" cannot ")?;
    let (verb, rest) = rest.split_once(" resource \"")?;
    let (resource, rest) = rest.split_once('"')?;
    let rest = rest.strip_prefix(" in API group \"")?;
    let (group, rest) = rest.split_once('"')?;
    if verb.is_empty() || verb.contains(char::is_whitespace) || resource.is_empty() {
        return None;
    }
    let permission = Permission::new(verb, resource).in_group(group);
    if let Some(rest) = rest.strip_prefix(" in the namespace \"") {
        let (namespace, _) = rest.split_once('"')?;
        Some(permission.in_namespace(namespace))
    } else if rest.starts_with(" at the cluster scope") {
        Some(permission)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn namespaced_denial_with_a_subresource() {
        let m = r#"deployments.apps "web" is forbidden: User "system:serviceaccount:t:mcp-ops" cannot patch resource "deployments/scale" in API group "apps" in the namespace "t""#;
        assert_eq!(
            denied_permission(m).unwrap(),
            Permission::new("patch", "deployments/scale")
                .in_group("apps")
                .in_namespace("t")
        );
    }

    #[test]
    fn cluster_scope_and_core_group() {
        let m = r#"nodes is forbidden: User "u" cannot list resource "nodes" in API group "" at the cluster scope"#;
        assert_eq!(
            denied_permission(m).unwrap(),
            Permission::new("list", "nodes")
        );
        let m = r#"pods.metrics.k8s.io is forbidden: User "u" cannot list resource "pods" in API group "metrics.k8s.io" in the namespace "n": no RBAC policy matched"#;
        let p = denied_permission(m).unwrap();
        assert!(p.is("metrics.k8s.io", "pods", "list"));
        assert_eq!(p.namespace.as_deref(), Some("n"));
    }

    #[test]
    fn other_refusals_name_no_permission() {
        for m in [
            r#"pods "p" is forbidden: exceeded quota: q, requested: pods=1, used: pods=1, limited: pods=1"#,
            r#"jobs.batch "j" is forbidden: unable to create new content in namespace t because it is being terminated"#,
            r#"forbidden: User "u" cannot get path "/metrics""#,
            "",
        ] {
            assert_eq!(denied_permission(m), None, "{m}");
        }
    }
}
