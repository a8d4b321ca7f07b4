//! Kubernetes object names: [`Namespace`], [`ResourceName`], [`ContainerName`] and the
//! qualified [`DeploymentRef`].
//!
//! The rules are the DNS-1123 ones the API server enforces, so a value that constructs here is
//! accepted by Kubernetes and a value rejected here would be rejected by the server too.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::{Error, Result};

/// The namespace every runbook procedure works in.
pub const RUNBOOK_NAMESPACE: &str = "mcp-production";

/// Longest DNS-1123 label (namespaces, container names, label names).
const LABEL_MAX: usize = 63;
/// Longest DNS-1123 subdomain (most object names).
const SUBDOMAIN_MAX: usize = 253;

/// Checks `s` against the DNS-1123 label rules: 1..=63 characters of `[a-z0-9-]`, starting and
/// ending with a letter or digit; `field` names the value in the error.
pub(crate) fn check_dns_label(field: &'static str, s: &str) -> Result<()> {
    check_label_part(field, s, None)?;
    if s.len() > LABEL_MAX {
        return Err(Error::invalid(
            field,
            format!(
                "{s:?} is {} characters long; at most {LABEL_MAX} are allowed",
                s.len()
            ),
        ));
    }
    Ok(())
}

/// Checks `s` against the DNS-1123 subdomain rules: 1..=253 characters, dot-separated labels of
/// `[a-z0-9-]` each starting and ending with a letter or digit.
pub(crate) fn check_dns_subdomain(field: &'static str, s: &str) -> Result<()> {
    if s.is_empty() {
        return Err(Error::invalid(field, "must not be empty"));
    }
    if s.len() > SUBDOMAIN_MAX {
        return Err(Error::invalid(
            field,
            format!(
                "is {} characters long; at most {SUBDOMAIN_MAX} are allowed",
                s.len()
            ),
        ));
    }
    for part in s.split('.') {
        check_label_part(field, part, Some(s).filter(|s| s.contains('.')))?;
    }
    Ok(())
}

/// The shared character rules of one label; `whole` is the dotted name the label is part of.
fn check_label_part(field: &'static str, s: &str, whole: Option<&str>) -> Result<()> {
    let ctx = whole
        .map(|w| format!(" (part of {w:?})"))
        .unwrap_or_default();
    if s.is_empty() {
        return Err(Error::invalid(
            field,
            match whole {
                None => "must not be empty".to_owned(),
                Some(w) => format!("{w:?} has an empty part: leading, trailing or double '.'"),
            },
        ));
    }
    if let Some((i, c)) = s
        .char_indices()
        .find(|&(_, c)| !(c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'))
    {
        let hint = if c.is_ascii_uppercase() {
            "uppercase letters are not allowed"
        } else {
            "only lowercase letters, digits and '-' are allowed"
        };
        return Err(Error::invalid(
            field,
            format!("{s:?} has {c:?} at byte {i}{ctx}: {hint}"),
        ));
    }
    if s.starts_with('-') || s.ends_with('-') {
        return Err(Error::invalid(
            field,
            format!("{s:?} must start and end with a letter or digit{ctx}"),
        ));
    }
    Ok(())
}

macro_rules! name_type {
    ($(#[$doc:meta])* $name:ident, $field:literal, $check:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            /// Validates and wraps `value`; the error says which rule is broken.
            pub fn new(value: impl Into<String>) -> Result<Self> {
                let value = value.into();
                $check($field, &value)?;
                Ok(Self(value))
            }

            /// The name as text.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl FromStr for $name {
            type Err = Error;
            fn from_str(s: &str) -> Result<Self> {
                Self::new(s)
            }
        }

        impl TryFrom<String> for $name {
            type Error = Error;
            fn try_from(s: String) -> Result<Self> {
                Self::new(s)
            }
        }

        impl From<$name> for String {
            fn from(n: $name) -> String {
                n.0
            }
        }
    };
}

name_type!(
    /// A Kubernetes namespace name (DNS-1123 label: 1..=63 characters of `[a-z0-9-]`,
    /// starting and ending with a letter or digit), e.g. `mcp-production`.
    Namespace,
    "namespace",
    check_dns_label
);

name_type!(
    /// A Kubernetes object name (DNS-1123 subdomain: 1..=253 characters of `[a-z0-9-.]`,
    /// every dot-separated part starting and ending with a letter or digit), e.g.
    /// `mcp-typescript-api`.
    ResourceName,
    "name",
    check_dns_subdomain
);

name_type!(
    /// The name of a container inside a pod template (DNS-1123 label), e.g. `api`.
    ContainerName,
    "container",
    check_dns_label
);

impl Namespace {
    /// The runbook's namespace, [`RUNBOOK_NAMESPACE`].
    pub fn runbook() -> Self {
        Self(RUNBOOK_NAMESPACE.to_owned())
    }
}

/// A deployment identified by namespace and name; its text form is `namespace/name`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct DeploymentRef {
    /// The namespace the deployment lives in.
    pub namespace: Namespace,
    /// The deployment's name.
    pub name: ResourceName,
}

impl DeploymentRef {
    /// Validates both parts.
    pub fn new(namespace: &str, name: &str) -> Result<Self> {
        Ok(Self {
            namespace: Namespace::new(namespace)?,
            name: ResourceName::new(name)?,
        })
    }

    /// `namespace/name`, the same text as `Display`.
    pub fn qualified(&self) -> String {
        self.to_string()
    }
}

impl fmt::Display for DeploymentRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.namespace, self.name)
    }
}

impl FromStr for DeploymentRef {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s.split_once('/') {
            Some((ns, name)) => Self::new(ns, name),
            None => Err(Error::invalid(
                "deployment",
                format!("{s:?} is not of the form namespace/name"),
            )),
        }
    }
}

impl TryFrom<String> for DeploymentRef {
    type Error = Error;
    fn try_from(s: String) -> Result<Self> {
        s.parse()
    }
}

impl From<DeploymentRef> for String {
    fn from(d: DeploymentRef) -> String {
        d.to_string()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use proptest::prelude::*;

    fn reason(e: Error) -> String {
        match e {
            Error::InvalidInput { reason, .. } => reason,
            other => panic!("expected InvalidInput, got {other:?}"),
        }
    }

    #[test]
    fn good_labels() {
        for s in [
            "mcp-production",
            "a",
            "0",
            "a-b-c",
            "x1",
            &"a".repeat(63),
            "1-2",
        ] {
            assert_eq!(Namespace::new(s).unwrap().as_str(), s);
            assert_eq!(ContainerName::new(s).unwrap().as_ref(), s);
        }
        assert_eq!(Namespace::runbook().as_str(), RUNBOOK_NAMESPACE);
    }

    #[test]
    fn bad_labels() {
        let long = "a".repeat(64);
        let bad = [
            "",
            "-a",
            "a-",
            "A",
            "mcpProduction",
            "a_b",
            "a.b",
            "a b",
            " a",
            "a\n",
            "ä",
            "a/b",
            &long,
            "-",
            "a!",
        ];
        for s in bad {
            assert!(Namespace::new(s).is_err(), "namespace {s:?}");
            assert!(ContainerName::new(s).is_err(), "container {s:?}");
        }
    }

    #[test]
    fn reasons_say_what_is_wrong() {
        assert!(reason(Namespace::new("Prod").unwrap_err()).contains("uppercase"));
        assert!(reason(Namespace::new("").unwrap_err()).contains("empty"));
        assert!(reason(Namespace::new("a".repeat(64)).unwrap_err()).contains("at most 63"));
        assert!(reason(ResourceName::new("a..b").unwrap_err()).contains("empty part"));
        assert!(reason(ResourceName::new("a.-b").unwrap_err()).contains("start and end"));
        match Namespace::new("x_y").unwrap_err() {
            Error::InvalidInput { field, .. } => assert_eq!(field, "namespace"),
            e => panic!("{e:?}"),
        }
    }

    #[test]
    fn good_resource_names() {
        let long = format!(
            "{}.{}.{}.{}",
            "a".repeat(63),
            "b".repeat(63),
            "c".repeat(63),
            "d".repeat(61)
        );
        assert_eq!(long.len(), 253);
        for s in ["mcp-typescript-api", "a.b.c", "web-1.v2", "0", &long] {
            assert!(ResourceName::new(s).is_ok(), "{s:?}");
        }
    }

    #[test]
    fn bad_resource_names() {
        let long = "a".repeat(254);
        let bad = [
            "", ".", "a.", ".a", "a..b", "A", "a_b", "a b", "-a", "a-.b", "a.-b", "a/b", &long,
            "ünï", "a\t",
        ];
        for s in bad {
            assert!(ResourceName::new(s).is_err(), "{s:?}");
        }
    }

    #[test]
    fn deployment_ref() {
        let d: DeploymentRef = "mcp-production/mcp-typescript-api".parse().unwrap();
        assert_eq!(d.namespace.as_str(), "mcp-production");
        assert_eq!(d.name.as_str(), "mcp-typescript-api");
        assert_eq!(d.qualified(), "mcp-production/mcp-typescript-api");
        assert_eq!(
            d,
            DeploymentRef::new("mcp-production", "mcp-typescript-api").unwrap()
        );
        let json = serde_json::to_string(&d).unwrap();
        assert_eq!(json, "\"mcp-production/mcp-typescript-api\"");
        assert_eq!(serde_json::from_str::<DeploymentRef>(&json).unwrap(), d);
        for bad in [
            "", "/", "a", "a/", "/b", "A/b", "a/B", "a/b/c", "a b/c", "a.b/c",
        ] {
            assert!(bad.parse::<DeploymentRef>().is_err(), "{bad:?}");
        }
    }

    #[test]
    fn serde_rejects_bad_values() {
        assert!(serde_json::from_str::<Namespace>("\"Bad\"").is_err());
        assert!(serde_json::from_str::<ResourceName>("\"a..b\"").is_err());
        assert!(serde_json::from_str::<ContainerName>("\"\"").is_err());
        let n: Namespace = serde_json::from_str("\"ok\"").unwrap();
        assert_eq!(serde_json::to_string(&n).unwrap(), "\"ok\"");
    }

    proptest! {
        #[test]
        fn parsers_never_panic(s in "\\PC*") {
            let _ = Namespace::new(s.clone());
            let _ = ResourceName::new(s.clone());
            let _ = s.parse::<DeploymentRef>();
        }

        #[test]
        fn label_round_trip(s in "[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?") {
            let n = Namespace::new(s.clone()).unwrap();
            prop_assert_eq!(n.to_string().parse::<Namespace>().unwrap(), n);
        }

        #[test]
        fn subdomain_round_trip(parts in proptest::collection::vec("[a-z0-9]([a-z0-9-]{0,20}[a-z0-9])?", 1..5)) {
            let s = parts.join(".");
            let n = ResourceName::new(s.clone()).unwrap();
            prop_assert_eq!(n.as_str(), s.as_str());
            let d = DeploymentRef { namespace: Namespace::runbook(), name: n };
            prop_assert_eq!(d.to_string().parse::<DeploymentRef>().unwrap(), d);
        }
    }
}
