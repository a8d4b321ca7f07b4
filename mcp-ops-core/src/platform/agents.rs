//! `[mcp]`: what an agent served by `ops mcp` may touch — an allow-list of namespaces,
//! deployments and secrets, each a subset of the platform's own.

use serde::{Deserialize, Serialize};

use super::error::{PlatformError, PlatformResult, from_core, item};
use crate::types::{Namespace, ResourceName};

/// The scope of an agent server (`[mcp]` in the platform file). Every argument of a tool
/// call is checked against it before anything runs; what is not listed is refused.
///
/// ```
/// use mcp_ops_core::platform::Platform;
///
/// let runbook = Platform::runbook();
/// // Without `[mcp]`: the platform's namespaces and deployments, no secret.
/// assert_eq!(runbook.agents.namespaces, runbook.namespaces);
/// assert!(runbook.agents.allows_deployment("mcp-typescript-api"));
/// assert!(!runbook.agents.allows_secret("database-credentials"));
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct AgentScope {
    /// The namespaces (the first is the default of a call that names none).
    pub namespaces: Vec<Namespace>,
    /// The deployments (by name, in any of the namespaces).
    pub deployments: Vec<ResourceName>,
    /// The secrets that may be rotated (none unless listed).
    pub secrets: Vec<ResourceName>,
}

impl AgentScope {
    /// Whether `namespace` is in scope.
    pub fn allows_namespace(&self, namespace: &str) -> bool {
        self.namespaces.iter().any(|n| n.as_str() == namespace)
    }

    /// Whether the deployment `name` is in scope.
    pub fn allows_deployment(&self, name: &str) -> bool {
        self.deployments.iter().any(|d| d.as_str() == name)
    }

    /// Whether the secret `name` is in scope.
    pub fn allows_secret(&self, name: &str) -> bool {
        self.secrets.iter().any(|s| s.as_str() == name)
    }
}

/// `[mcp]` as the file has it: each list optional.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawAgents {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespaces: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deployments: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secrets: Option<Vec<String>>,
}

/// Checks `[mcp]` against the platform: every namespace and deployment listed must be one
/// of the platform's; missing lists default to the platform's (secrets: none).
pub(crate) fn agents(
    raw: Option<&RawAgents>,
    namespaces: &[Namespace],
    deployments: &[ResourceName],
) -> PlatformResult<AgentScope> {
    let raw = raw.cloned().unwrap_or_default();
    let ns = match &raw.namespaces {
        None => namespaces.to_vec(),
        Some(list) => {
            let mut out = Vec::with_capacity(list.len());
            for (i, n) in list.iter().enumerate() {
                let key = item("mcp.namespaces", i);
                let n = Namespace::new(n).map_err(|e| from_core(&key, e))?;
                if !namespaces.contains(&n) {
                    return Err(PlatformError::at(
                        key,
                        format!("{n} is not in `namespaces`"),
                    ));
                }
                out.push(n);
            }
            if out.is_empty() {
                return Err(PlatformError::at(
                    "mcp.namespaces",
                    "at least one is needed (leave it out for the platform's)",
                ));
            }
            out
        }
    };
    let ds = match &raw.deployments {
        None => deployments.to_vec(),
        Some(list) => names("mcp.deployments", list, Some(deployments))?,
    };
    let secrets = match &raw.secrets {
        None => Vec::new(),
        Some(list) => names("mcp.secrets", list, None)?,
    };
    Ok(AgentScope {
        namespaces: ns,
        deployments: ds,
        secrets,
    })
}

fn names(
    key: &str,
    list: &[String],
    known: Option<&[ResourceName]>,
) -> PlatformResult<Vec<ResourceName>> {
    let mut out = Vec::with_capacity(list.len());
    for (i, n) in list.iter().enumerate() {
        let key = item(key, i);
        let n = ResourceName::new(n).map_err(|e| from_core(&key, e))?;
        if let Some(known) = known
            && !known.contains(&n)
        {
            return Err(PlatformError::at(
                key,
                format!("{n} is not in `deployments`"),
            ));
        }
        out.push(n);
    }
    Ok(out)
}

/// The raw form of a scope, every list explicit.
pub(crate) fn agents_to_raw(scope: &AgentScope) -> RawAgents {
    let text = |v: &[ResourceName]| v.iter().map(|n| n.as_str().to_owned()).collect();
    RawAgents {
        namespaces: Some(
            scope
                .namespaces
                .iter()
                .map(|n| n.as_str().to_owned())
                .collect(),
        ),
        deployments: Some(text(&scope.deployments)),
        secrets: Some(text(&scope.secrets)),
    }
}
