//! The validated parts of a [`Platform`](super::Platform).

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::secret_ref::{SecretRef, UrlSource};
use crate::types::{ContainerName, DeploymentRef, ImageRef, ResourceName};

/// What a deployment is, for the procedures that pick one (the deploy and the drill take the
/// first `api`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// The public API (runbook: `mcp-typescript-api`).
    Api,
    /// A machine-learning service (runbook: `mcp-learning-system`).
    Ml,
    /// A server behind the API (runbook: `mcp-rust-server`).
    Server,
    /// A background worker.
    Worker,
}

impl Role {
    /// `api`, `ml`, `server` or `worker`.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Api => "api",
            Role::Ml => "ml",
            Role::Server => "server",
            Role::Worker => "worker",
        }
    }
}

/// The cluster the platform runs on.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct ClusterInfo {
    /// The kubeconfig context (`--context` overrides it).
    pub context: Option<String>,
    /// The cloud cluster and node group to scale when nodes are exhausted (runbook:
    /// `mcp-production` / `worker-nodes`).
    pub node_group: Option<(String, String)>,
}

/// One container of a deployment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Container {
    /// Its name in the pod template.
    pub name: ContainerName,
    /// The image it runs now (the simulator starts with it; deploys replace it).
    pub image: ImageRef,
    /// The port it serves on.
    pub port: u16,
}

/// One deployment and its containers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Deployment {
    /// `namespace/name`.
    pub reference: DeploymentRef,
    /// What it is.
    pub role: Role,
    /// Its usual replica count (the simulator starts with it).
    pub replicas: u32,
    /// Its containers; the first is the one deploys change.
    pub containers: Vec<Container>,
}

/// An HTTP health endpoint and the deployments behind it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HealthEndpoint {
    /// A short name for reports (`api`).
    pub name: String,
    /// The URL (http or https, without credentials).
    pub url: String,
    /// The deployments (of the first namespace) that serve it.
    pub served_by: Vec<ResourceName>,
}

/// A database or cache: the name the procedures check and where its URL comes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DataStore {
    /// The database (`mcp_db`) or cache (`redis`) name.
    pub name: String,
    /// The connection URL (it may hold a password: by reference only).
    pub url: Option<SecretRef>,
}

/// Slack.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SlackChannel {
    /// The channel named in payloads (`#mcp-production-alerts`).
    pub channel: Option<String>,
    /// The incoming-webhook URL.
    pub webhook: SecretRef,
}

/// Email over SMTP.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EmailChannel {
    /// SMTP host.
    pub smtp_host: String,
    /// SMTP port (default by security: 25, 587, 465).
    pub smtp_port: Option<u16>,
    /// `plain`, `starttls` (default) or `tls`.
    pub security: Option<String>,
    /// SMTP user (with `password`).
    pub user: Option<String>,
    /// SMTP password.
    pub password: Option<SecretRef>,
    /// Sender address.
    pub from: String,
    /// Recipients.
    pub to: Vec<String>,
}

/// Where incident messages go.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct Notifiers {
    /// Slack.
    pub slack: Option<SlackChannel>,
    /// PagerDuty's routing key (Events API v2).
    pub pagerduty: Option<SecretRef>,
    /// Email.
    pub email: Option<EmailChannel>,
}

/// Where the metrics and the alerts are.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct Observability {
    /// Prometheus base URL.
    pub metrics: Option<UrlSource>,
    /// Alertmanager base URL.
    pub alerting: Option<UrlSource>,
}

/// A duration in whole minutes, for messages.
pub(crate) fn minutes(d: Duration) -> u64 {
    d.as_secs() / 60
}
