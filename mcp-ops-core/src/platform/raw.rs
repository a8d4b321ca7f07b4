//! The file's shape, as serde reads it: plain values, unknown keys refused. Secrets are kept
//! as TOML values here and checked by [`super::validate`], which refuses them inline.

use serde::{Deserialize, Serialize};

use super::model::Role;

/// The whole file.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawPlatform {
    pub platform: RawMeta,
    pub namespaces: Vec<String>,
    #[serde(default)]
    pub cluster: RawCluster,
    pub deployments: Vec<RawDeployment>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub health: Vec<RawHealth>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub database: Option<RawStore>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache: Option<RawStore>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metrics: Option<RawUrl>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alerting: Option<RawUrl>,
    #[serde(default)]
    pub notifiers: RawNotifiers,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub escalation: Vec<RawLevel>,
    #[serde(default)]
    pub thresholds: RawThresholds,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub team: Vec<RawPerson>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub changes: Option<RawChanges>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mcp: Option<super::agents::RawAgents>,
}

/// One `[[team]]` entry: a person who may request or approve changes.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawPerson {
    pub handle: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default)]
    pub roles: Vec<String>,
}

/// `[changes]`: enforcement and the roles each risk level needs; each missing one is the
/// runbook's.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawChanges {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enforce: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub low: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub medium: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub high: Option<Vec<String>>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawMeta {
    pub name: String,
    pub environment: String,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawCluster {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub context: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node_group: Option<RawNodeGroup>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawNodeGroup {
    pub cluster: String,
    pub name: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawDeployment {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    pub role: Role,
    #[serde(default = "one")]
    pub replicas: u32,
    pub containers: Vec<RawContainer>,
}

fn one() -> u32 {
    1
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawContainer {
    pub name: String,
    pub image: String,
    #[serde(default = "http_port")]
    pub port: u16,
}

fn http_port() -> u16 {
    8080
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawHealth {
    pub name: String,
    pub url: toml::Value,
    #[serde(default)]
    pub served_by: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawStore {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<toml::Value>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawUrl {
    pub url: toml::Value,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawNotifiers {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub slack: Option<RawSlack>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pagerduty: Option<RawPagerDuty>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<RawEmail>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawSlack {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel: Option<String>,
    pub webhook: toml::Value,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawPagerDuty {
    pub routing_key: toml::Value,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawEmail {
    pub smtp_host: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub smtp_port: Option<u16>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub security: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password: Option<toml::Value>,
    pub from: String,
    pub to: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawLevel {
    pub level: u8,
    pub after_minutes: u64,
    pub contacts: Vec<String>,
}

/// The thresholds; each missing one is the runbook's.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawThresholds {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_rate_p1: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_rate_window_seconds: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub p95_latency_p2_ms: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rollback_error_rate: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rollback_p95_latency_ms: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory_ratio_warning: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub long_running_query_seconds: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_replicas: Option<u32>,
}
