//! The platform file (`ops.toml`): which namespaces, deployments and containers a team runs,
//! their health endpoints, database, cache, metrics and alerting, where incident messages go,
//! who is escalated to, and the thresholds — validated on load, every error naming its key.
//!
//! Secrets (URLs with passwords, webhooks, routing keys, SMTP passwords) are never written in
//! the file: they are given as `{ env = "VARIABLE" }` or `{ file = "/run/secrets/name" }`
//! ([`SecretRef`]); a secret written inline is refused naming its key. Unknown keys are
//! refused too.
//!
//! ```
//! use mcp_ops_core::platform::Platform;
//!
//! let p = Platform::from_toml_str(r#"
//!     namespaces = ["shop"]
//!     [platform]
//!     name = "shop"
//!     environment = "staging"
//!     [[deployments]]
//!     name = "storefront"
//!     role = "api"
//!     containers = [{ name = "web", image = "registry.example/storefront:v2.3.0", port = 8000 }]
//!     [database]
//!     name = "shop_db"
//!     url = { env = "SHOP_DATABASE_URL" }
//! "#)?;
//! assert_eq!(p.api().reference.to_string(), "shop/storefront");
//!
//! let inline = r#"
//!     namespaces = ["shop"]
//!     [platform]
//!     name = "shop"
//!     environment = "staging"
//!     [[deployments]]
//!     name = "storefront"
//!     role = "api"
//!     containers = [{ name = "web", image = "registry.example/storefront:v2.3.0" }]
//!     [database]
//!     name = "shop_db"
//!     url = "postgres://shop:hunter2@db/shop"
//! "#;
//! let err = Platform::from_toml_str(inline).unwrap_err().to_string();
//! assert!(err.contains("database.url: inline secrets are refused"));
//! assert!(!err.contains("hunter2"));
//! # Ok::<(), mcp_ops_core::platform::PlatformError>(())
//! ```

mod agents;
#[cfg(test)]
mod agents_tests;
mod builtin;
mod error;
mod inputs;
mod model;
mod raw;
mod secret_ref;
mod team;
mod to_raw;
mod validate;

#[cfg(test)]
mod tests;

use std::path::Path;

use serde::Serialize;

pub use agents::AgentScope;
pub use error::{PlatformError, PlatformResult};
pub use model::{
    ClusterInfo, Container, DataStore, Deployment, EmailChannel, HealthEndpoint, Notifiers,
    Observability, Role, SlackChannel,
};
pub use secret_ref::{SecretRef, UrlSource};

use crate::change::{ChangePolicy, TeamDirectory};
use crate::escalation::EscalationPolicy;
use crate::policy::Policy;
use crate::types::Namespace;

/// A platform: what one team runs in one environment, checked. It is serialized (reports);
/// it is read only through [`Platform::load`] / [`Platform::from_toml_str`], which check it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Platform {
    /// Its name (`mcp-production`).
    pub name: String,
    /// The environment (`production`, `staging` …).
    pub environment: String,
    /// The cluster: kubeconfig context and node group.
    pub cluster: ClusterInfo,
    /// The namespaces; the first is the default one.
    pub namespaces: Vec<Namespace>,
    /// The deployments, at least one.
    pub deployments: Vec<Deployment>,
    /// The HTTP health endpoints.
    pub health: Vec<HealthEndpoint>,
    /// The database.
    pub database: Option<DataStore>,
    /// The cache.
    pub cache: Option<DataStore>,
    /// Prometheus and Alertmanager.
    pub observability: Observability,
    /// Slack, PagerDuty, email.
    pub notifiers: Notifiers,
    /// Who is told, and when, about an incident nobody acknowledges (L1, L2, L3 …).
    pub escalation: EscalationPolicy,
    /// The decision thresholds.
    pub thresholds: Policy,
    /// Who may approve changes, and in which roles (`[[team]]`; the runbook's
    /// [`TeamDirectory::runbook`] by default, nobody in a file without `[[team]]`).
    pub team: TeamDirectory,
    /// The roles each risk level needs and whether changes are enforced (`[changes]`).
    pub changes: ChangePolicy,
    /// What an agent served by `ops mcp` may touch (`[mcp]`).
    pub agents: AgentScope,
}

impl Default for Platform {
    /// [`Platform::runbook`].
    fn default() -> Self {
        Self::runbook()
    }
}

impl Platform {
    /// Reads and checks the platform file at `path`.
    ///
    /// # Errors
    /// [`PlatformError`] naming the file, the key path and, when the TOML parser knows it,
    /// the line: unreadable file, syntax error, unknown key, a value of the wrong type or
    /// out of range, an inline secret. It converts into [`crate::Error::InvalidInput`].
    pub fn load(path: impl AsRef<Path>) -> PlatformResult<Self> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|e| {
            PlatformError::at("", format!("cannot read the file: {}", e.kind())).in_file(path)
        })?;
        Self::from_toml_str(&text).map_err(|e| e.in_file(path))
    }

    /// Parses and checks a platform from TOML text.
    ///
    /// # Errors
    /// As [`Platform::load`], without the file name.
    pub fn from_toml_str(text: &str) -> PlatformResult<Self> {
        let raw: raw::RawPlatform = toml::from_str(text).map_err(|e| toml_error(text, &e))?;
        validate::validate(raw)
    }

    /// The platform as TOML text that [`Platform::from_toml_str`] reads back equal.
    ///
    /// # Errors
    /// [`PlatformError`] only if the TOML writer fails (a bug).
    pub fn to_toml_string(&self) -> PlatformResult<String> {
        toml::to_string(&to_raw::to_raw(self)).map_err(|e| PlatformError::at("", e.to_string()))
    }

    /// The default namespace (the first of [`Platform::namespaces`]; never empty once
    /// loaded — a platform built by hand with none panics here).
    pub fn namespace(&self) -> &Namespace {
        &self.namespaces[0]
    }

    /// The deployment deploys and the drill act on: the first with [`Role::Api`], else the
    /// first (never empty once loaded — a platform built by hand with none panics here).
    pub fn api(&self) -> &Deployment {
        self.deployments
            .iter()
            .find(|d| d.role == Role::Api)
            .unwrap_or(&self.deployments[0])
    }

    /// The health endpoint served by `deployment`'s name, if any.
    pub fn health_of(&self, deployment: &Deployment) -> Option<&HealthEndpoint> {
        self.health
            .iter()
            .find(|h| h.served_by.contains(&deployment.reference.name))
    }
}

/// A TOML parse or shape error: the line and column, the key on that line when there is
/// one, and the parser's message (redacted).
fn toml_error(text: &str, e: &toml::de::Error) -> PlatformError {
    let mut out = PlatformError::at("", crate::redact_text(e.message().trim()));
    if let Some(span) = e.span() {
        let start = span.start.min(text.len());
        let before = &text[..start];
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let column = text[line_start..start].chars().count() + 1;
        out.line = Some((line, column));
        let line_text = text[line_start..].lines().next().unwrap_or("");
        if let Some((k, _)) = line_text.split_once('=') {
            let k = k.trim();
            if !k.is_empty() && !k.starts_with('[') && !k.contains(['"', '{']) {
                out.key = k.to_owned();
            }
        }
    }
    out
}
