//! The runbook's platform (`mcp-production`), the built-in default.

use super::Platform;
use super::model::{
    ClusterInfo, Container, DataStore, Deployment, HealthEndpoint, Notifiers, Observability, Role,
    SlackChannel,
};
use super::secret_ref::{SecretRef, UrlSource};
use crate::change::{ChangePolicy, TeamDirectory};
use crate::error::Result;
use crate::escalation::EscalationPolicy;
use crate::policy::Policy;
use crate::runbook::RUNBOOK_HEALTH_URL;
use crate::types::{
    ContainerName, DeploymentRef, ImageRef, Namespace, RUNBOOK_NAMESPACE, ResourceName,
};

/// The runbook's three services: name, role, replicas, image repository, port.
const SERVICES: [(&str, Role, u32, &str, u16); 3] = [
    (
        "mcp-typescript-api",
        Role::Api,
        3,
        "ghcr.io/your-org/mcp-typescript-server",
        3000,
    ),
    (
        "mcp-learning-system",
        Role::Ml,
        2,
        "ghcr.io/your-org/mcp-learning-system",
        8000,
    ),
    (
        "mcp-rust-server",
        Role::Server,
        3,
        "ghcr.io/your-org/mcp-rust-server",
        8080,
    ),
];

impl Platform {
    /// The runbook's platform, what `ops` uses without `--platform`: namespace
    /// `mcp-production`; deployments `mcp-typescript-api` (api, 3 replicas, port 3000),
    /// `mcp-learning-system` (ml, 2, 8000) and `mcp-rust-server` (server, 3, 8080), each
    /// with one container named like it at `v1.0.0`; the health endpoint
    /// `https://api.mcp-production.com/health` served by the API; database `mcp_db`
    /// (`DATABASE_URL`), cache `redis` (`REDIS_URL`), Prometheus and Alertmanager from
    /// `MCP_OPS_PROMETHEUS_URL` and `MCP_OPS_ALERTMANAGER_URL`; Slack and PagerDuty from
    /// `MCP_OPS_SLACK_WEBHOOK_URL` and `MCP_OPS_PAGERDUTY_ROUTING_KEY`; node group
    /// `mcp-production` / `worker-nodes`; the runbook's escalation levels and thresholds; the
    /// runbook's team ([`TeamDirectory::runbook`]) and change policy ([`ChangePolicy::default`],
    /// not enforced).
    pub fn runbook() -> Self {
        // The literals are valid; the fallback is never taken (a test checks it).
        build().unwrap_or_else(|_| Self {
            name: RUNBOOK_NAMESPACE.to_owned(),
            environment: "production".to_owned(),
            cluster: ClusterInfo::default(),
            namespaces: vec![Namespace::runbook()],
            deployments: Vec::new(),
            health: Vec::new(),
            database: None,
            cache: None,
            observability: Observability::default(),
            notifiers: Notifiers::default(),
            escalation: EscalationPolicy::default(),
            thresholds: Policy::default(),
            team: TeamDirectory::runbook(),
            changes: ChangePolicy::default(),
            agents: super::AgentScope::default(),
        })
    }
}

pub(super) fn build() -> Result<Platform> {
    let mut deployments = Vec::with_capacity(SERVICES.len());
    for (name, role, replicas, repo, port) in SERVICES {
        deployments.push(Deployment {
            reference: DeploymentRef::new(RUNBOOK_NAMESPACE, name)?,
            role,
            replicas,
            containers: vec![Container {
                name: ContainerName::new(name)?,
                image: ImageRef::parse(&format!("{repo}:v1.0.0"))?,
                port,
            }],
        });
    }
    let env = |v: &str| SecretRef::Env(v.to_owned());
    let agents = super::AgentScope {
        namespaces: vec![Namespace::runbook()],
        deployments: deployments
            .iter()
            .map(|d| d.reference.name.clone())
            .collect(),
        secrets: Vec::new(),
    };
    Ok(Platform {
        name: RUNBOOK_NAMESPACE.to_owned(),
        environment: "production".to_owned(),
        cluster: ClusterInfo {
            context: None,
            node_group: Some((RUNBOOK_NAMESPACE.to_owned(), "worker-nodes".to_owned())),
        },
        namespaces: vec![Namespace::runbook()],
        deployments,
        health: vec![HealthEndpoint {
            name: "api".to_owned(),
            url: RUNBOOK_HEALTH_URL.to_owned(),
            served_by: vec![ResourceName::new("mcp-typescript-api")?],
        }],
        database: Some(DataStore {
            name: "mcp_db".to_owned(),
            url: Some(env("DATABASE_URL")),
        }),
        cache: Some(DataStore {
            name: "redis".to_owned(),
            url: Some(env("REDIS_URL")),
        }),
        observability: Observability {
            metrics: Some(UrlSource::Secret(env("MCP_OPS_PROMETHEUS_URL"))),
            alerting: Some(UrlSource::Secret(env("MCP_OPS_ALERTMANAGER_URL"))),
        },
        notifiers: Notifiers {
            slack: Some(SlackChannel {
                channel: None,
                webhook: env("MCP_OPS_SLACK_WEBHOOK_URL"),
            }),
            pagerduty: Some(env("MCP_OPS_PAGERDUTY_ROUTING_KEY")),
            email: None,
        },
        escalation: EscalationPolicy::default(),
        thresholds: Policy::default(),
        team: TeamDirectory::runbook(),
        changes: ChangePolicy::default(),
        agents,
    })
}
