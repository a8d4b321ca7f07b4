//! The arguments of each tool, as JSON Schema (schemars) and serde read them. Unknown keys are
//! refused; values are checked afterwards by the same constructors the CLI uses.

use schemars::JsonSchema;
use serde::Deserialize;

/// Read-only tools that take nothing but the namespace.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NamespaceOnly {
    /// The namespace (default: the server's first allowed one).
    pub namespace: Option<String>,
}

/// `rollout_history`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct HistoryArgs {
    /// The deployment.
    pub deployment: String,
    /// The namespace (default: the server's first allowed one).
    pub namespace: Option<String>,
}

/// `verify_backup`, `change_show`, `restore`, `restore_config`: one id.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct IdArgs {
    /// The id (a backup id or `latest`; a change id `CR-YYYY-NNN` for change_show).
    pub id: String,
    /// The namespace (default: the server's first allowed one).
    pub namespace: Option<String>,
    /// The approved change request this call runs under (mutating tools only).
    pub change: Option<String>,
}

/// `restore`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RestoreArgs {
    /// The database backup's id, or `latest`.
    pub id: String,
    /// Deployments with an autoscaler while writers are stopped: `refuse` (default: refuse
    /// before changing anything), `pin` (hold the autoscaler at 1..=1, then put it back),
    /// `leave` (leave them running).
    pub autoscaled: Option<AutoscaledChoice>,
    /// The approved change request this call runs under.
    pub change: Option<String>,
    /// The namespace (default: the server's first allowed one).
    pub namespace: Option<String>,
}

/// What `restore` does with autoscaled deployments.
#[derive(Debug, Clone, Copy, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum AutoscaledChoice {
    /// Refuse before changing anything.
    Refuse,
    /// Pin the autoscaler to 1..=1 during the restore, then put it back.
    Pin,
    /// Leave autoscaled deployments running.
    Leave,
}

/// `journal`.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct JournalArgs {
    /// Only records of this incident (`INC-…`).
    pub incident: Option<String>,
    /// Only records of this change request (`CR-…`).
    pub change: Option<String>,
    /// Only records since: RFC 3339, or an age (`2h`, `30m`, `7d`).
    pub since: Option<String>,
    /// The namespace (default: the server's first allowed one).
    pub namespace: Option<String>,
}

/// `deploy`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DeployArgs {
    /// The deployment.
    pub deployment: String,
    /// `<container>=<image>`.
    pub image: String,
    /// Bake seconds after the rollout (default 30; the runbook's is 1800; at most 86400).
    pub bake_seconds: Option<u64>,
    /// Evidence that tests, scans and benchmarks passed (the checklist; without it the
    /// deployment gates refuse).
    pub evidence: Option<String>,
    /// The rollback plan (default: `kubectl rollout undo …`).
    pub rollback_plan: Option<String>,
    /// The change-cause.
    pub reason: Option<String>,
    /// The approved change request this call runs under.
    pub change: Option<String>,
    /// The namespace (default: the server's first allowed one).
    pub namespace: Option<String>,
}

/// `rollback`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RollbackArgs {
    /// The deployment to undo.
    pub deployment: String,
    /// Why (the change-cause and the journal).
    pub reason: Option<String>,
    /// The approved change request this call runs under. Without it the rollback runs at
    /// once only when the server measures the runbook's trigger now (error rate > 10 % or
    /// p95 > 5 s), as break-glass; otherwise a plan and a pending change request.
    pub change: Option<String>,
    /// The namespace (default: the server's first allowed one).
    pub namespace: Option<String>,
}

/// `scale`: replicas / autoscaler ceiling, or resources (one kind per call).
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ScaleArgs {
    /// The deployment.
    pub deployment: String,
    /// Replicas wanted (with an autoscaler: its floor).
    pub replicas: Option<u32>,
    /// The autoscaler's maxReplicas.
    pub hpa_max: Option<u32>,
    /// CPU request, e.g. `500m` (with `memory`).
    pub cpu: Option<String>,
    /// Memory request, e.g. `1Gi` (with `cpu`).
    pub memory: Option<String>,
    /// CPU limit (default: the request).
    pub cpu_limit: Option<String>,
    /// Memory limit (default: the request).
    pub memory_limit: Option<String>,
    /// The container for cpu/memory (default: the deployment's name).
    pub container: Option<String>,
    /// The approved change request this call runs under.
    pub change: Option<String>,
    /// The namespace (default: the server's first allowed one).
    pub namespace: Option<String>,
}

/// `rotate_secret`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RotateArgs {
    /// The Secret (must be in the server's scope).
    pub secret: String,
    /// The key inside it.
    pub key: String,
    /// Deployments to restart (default: every deployment of the namespace).
    #[serde(default)]
    pub restart: Vec<String>,
    /// The approved change request this call runs under.
    pub change: Option<String>,
    /// The namespace (default: the server's first allowed one).
    pub namespace: Option<String>,
}

/// `maintenance`.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MaintenanceArgs {
    /// The approved change request this call runs under.
    pub change: Option<String>,
    /// The namespace (default: the server's first allowed one).
    pub namespace: Option<String>,
}

/// `quarantine`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct QuarantineArgs {
    /// The pod (of a deployment in the server's scope).
    pub pod: String,
    /// Lift the quarantine instead.
    #[serde(default)]
    pub release: bool,
    /// The approved change request this call runs under.
    pub change: Option<String>,
    /// The namespace (default: the server's first allowed one).
    pub namespace: Option<String>,
}

/// `silence`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SilenceArgs {
    /// The alert name.
    pub alertname: String,
    /// Minutes the silence lasts (default 60).
    pub minutes: Option<u32>,
    /// Why.
    pub comment: Option<String>,
    /// The approved change request this call runs under.
    pub change: Option<String>,
    /// The namespace (default: the server's first allowed one).
    pub namespace: Option<String>,
}

/// `incident_open`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct IncidentOpenArgs {
    /// Title.
    pub title: String,
    /// Severity, P0…P3 (default P1).
    pub severity: Option<String>,
    /// Impact in words.
    pub impact: Option<String>,
    /// The approved change request this call runs under.
    pub change: Option<String>,
    /// The namespace (default: the server's first allowed one).
    pub namespace: Option<String>,
}

/// `incident_ack`, `incident_update`, `incident_resolve`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct IncidentArgs {
    /// The incident id (`INC-…`).
    pub id: String,
    /// incident_update: what is being done; incident_resolve: how it was resolved.
    pub text: Option<String>,
    /// The approved change request this call runs under.
    pub change: Option<String>,
    /// The namespace (default: the server's first allowed one).
    pub namespace: Option<String>,
}

/// `backup`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BackupArgs {
    /// `db` (a database dump) or `config` (the namespace's configuration).
    pub kind: BackupKind,
    /// The database (db), or the namespace (config).
    pub name: String,
    /// The namespace (default: the server's first allowed one).
    pub namespace: Option<String>,
}

/// What `backup` takes.
#[derive(Debug, Clone, Copy, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum BackupKind {
    /// A database dump.
    Db,
    /// The namespace's configuration (Secrets redacted or encrypted).
    Config,
}
