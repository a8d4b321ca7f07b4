//! [`Permission`]: what a backend refused to let the caller do, as the server named it.

use std::fmt;

/// One permission the caller lacked: a verb on a resource, with the API group and the
/// namespace it was asked in (Kubernetes RBAC names all four; other backends fill what they
/// have, for example PostgreSQL's `SELECT` on a table).
///
/// ```
/// use mcp_ops_core::Permission;
///
/// let p = Permission::new("get", "pods/log").in_namespace("mcp-production");
/// assert!(p.is("", "pods/log", "get"));
/// assert_eq!(p.to_string(), r#"get pods/log in the namespace "mcp-production""#);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Permission {
    /// The verb refused (`get`, `list`, `watch`, `create`, `update`, `patch`, `delete` …).
    pub verb: String,
    /// The resource, with its subresource after a slash (`pods`, `pods/log`,
    /// `deployments/scale`).
    pub resource: String,
    /// The API group; empty for Kubernetes' core group.
    pub group: String,
    /// The namespace the request was made in; `None` at the cluster scope.
    pub namespace: Option<String>,
}

impl Permission {
    /// `verb` on `resource` in the core group at the cluster scope.
    pub fn new(verb: impl Into<String>, resource: impl Into<String>) -> Self {
        Self {
            verb: verb.into(),
            resource: resource.into(),
            group: String::new(),
            namespace: None,
        }
    }

    /// The same permission in API group `group`.
    #[must_use]
    pub fn in_group(mut self, group: impl Into<String>) -> Self {
        self.group = group.into();
        self
    }

    /// The same permission asked in namespace `namespace`.
    #[must_use]
    pub fn in_namespace(mut self, namespace: impl Into<String>) -> Self {
        self.namespace = Some(namespace.into());
        self
    }

    /// Whether this is `verb` on `resource` in `group` (in any namespace).
    pub fn is(&self, group: &str, resource: &str, verb: &str) -> bool {
        self.group == group && self.resource == resource && self.verb == verb
    }
}

impl fmt::Display for Permission {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.verb, self.resource)?;
        if !self.group.is_empty() {
            write!(f, " in API group {:?}", self.group)?;
        }
        match &self.namespace {
            Some(ns) => write!(f, " in the namespace {ns:?}"),
            None => write!(f, " at the cluster scope"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_group_and_scope() {
        let p = Permission::new("patch", "deployments/scale")
            .in_group("apps")
            .in_namespace("n");
        assert_eq!(
            p.to_string(),
            r#"patch deployments/scale in API group "apps" in the namespace "n""#
        );
        assert!(p.is("apps", "deployments/scale", "patch"));
        assert!(!p.is("", "deployments/scale", "patch"));
        assert_eq!(
            Permission::new("list", "nodes").to_string(),
            "list nodes at the cluster scope"
        );
    }
}
