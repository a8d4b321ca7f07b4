//! The tool list: each tool is one runbook procedure (one `ops` command), with its guard, its
//! truthful annotations, its input schema (from [`super::args`]) and its output schema — the
//! `ops --output json` schema of the same command, embedded verbatim.

use std::sync::Arc;

use rmcp::handler::server::common::schema_for_input;
use rmcp::model::{JsonObject, Tool, ToolAnnotations};
use schemars::JsonSchema;

use super::args;

/// What stands between an agent's call and the change it asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Guard {
    /// Reads only: runs at once.
    ReadOnly,
    /// Changes something: returns the dry-run plan and a pending change request; runs only
    /// under a change request approved outside the conversation.
    Approval,
    /// As [`Guard::Approval`], except that it runs at once as break-glass when the server
    /// itself measures the runbook's trigger (the emergency rollback).
    Evidence,
    /// Adds safety and changes nothing running (a backup): runs at once, journaled.
    Unmanaged,
}

impl Guard {
    /// The word the README's tool table uses.
    pub fn word(self) -> &'static str {
        match self {
            Guard::ReadOnly => "read-only",
            Guard::Approval => "approval",
            Guard::Evidence => "approval, or evidence measured by the server",
            Guard::Unmanaged => "none (adds safety; journaled)",
        }
    }
}

/// One tool.
#[derive(Debug, Clone, Copy)]
pub struct ToolDef {
    /// The tool's name.
    pub name: &'static str,
    /// The `command` of its JSON document (names the schema file).
    pub command: &'static str,
    /// One line for people and models.
    pub description: &'static str,
    /// Its guard.
    pub guard: Guard,
    /// Whether it may destroy or replace something running.
    pub destructive: bool,
    /// Its input schema.
    input: fn() -> Result<Arc<JsonObject>, String>,
}

fn input<T: JsonSchema + std::any::Any>() -> Result<Arc<JsonObject>, String> {
    schema_for_input::<T>()
}

macro_rules! tool {
    ($name:literal, $command:literal, $guard:ident, $destructive:literal, $args:ty, $desc:literal) => {
        ToolDef {
            name: $name,
            command: $command,
            description: $desc,
            guard: Guard::$guard,
            destructive: $destructive,
            input: input::<$args>,
        }
    };
}

/// Every tool, read-only first.
pub const TOOLS: &[ToolDef] = &[
    tool!(
        "triage",
        "triage",
        ReadOnly,
        false,
        args::NamespaceOnly,
        "Critical System Down (P0): every health check at once, ranked, with suggestions."
    ),
    tool!(
        "investigate_errors",
        "investigate-errors",
        ReadOnly,
        false,
        args::NamespaceOnly,
        "High Error Rate (P1): error rates, recent rollouts, logs and the likely cause."
    ),
    tool!(
        "investigate_latency",
        "investigate-latency",
        ReadOnly,
        false,
        args::NamespaceOnly,
        "High Response Times (P2): p95 latency, resources, slow queries, cache."
    ),
    tool!(
        "capacity",
        "capacity",
        ReadOnly,
        false,
        args::NamespaceOnly,
        "Node capacity and pod resource use (kubectl top)."
    ),
    tool!(
        "rollout_history",
        "history",
        ReadOnly,
        false,
        args::HistoryArgs,
        "A deployment's rollout history (kubectl rollout history)."
    ),
    tool!(
        "backups",
        "backups",
        ReadOnly,
        false,
        args::NamespaceOnly,
        "The database and configuration backups, newest first."
    ),
    tool!(
        "verify_backup",
        "verify",
        ReadOnly,
        false,
        args::IdArgs,
        "Verify a backup: checksum and a test restore into a scratch database (production untouched)."
    ),
    tool!(
        "audit",
        "audit",
        ReadOnly,
        false,
        args::NamespaceOnly,
        "Security posture of the namespace's pods against the hardening checklist."
    ),
    tool!(
        "incidents",
        "incident-list",
        ReadOnly,
        false,
        args::NamespaceOnly,
        "Open incidents with their escalation state."
    ),
    tool!(
        "alerts",
        "alerts",
        ReadOnly,
        false,
        args::NamespaceOnly,
        "Alerts firing now (Alertmanager)."
    ),
    tool!(
        "journal",
        "journal-show",
        ReadOnly,
        false,
        args::JournalArgs,
        "The tamper-evident journal of every action, filtered by incident, change or time."
    ),
    tool!(
        "change_show",
        "change-show",
        ReadOnly,
        false,
        args::IdArgs,
        "A change request: what it changes, its risk, status and approvals."
    ),
    tool!(
        "deploy",
        "deploy",
        Approval,
        true,
        args::DeployArgs,
        "Standard Deployment: gates, rollout, health, smoke tests, bake, automatic rollback. Needs an approved change request."
    ),
    tool!(
        "rollback",
        "rollback",
        Evidence,
        true,
        args::RollbackArgs,
        "Emergency Rollback of one deployment. Needs an approved change request, unless the server measures error rate > 10 % or p95 > 5 s now (break-glass)."
    ),
    tool!(
        "scale",
        "scale",
        Approval,
        true,
        args::ScaleArgs,
        "Scale one deployment: replicas / autoscaler ceiling, or CPU and memory. Needs an approved change request."
    ),
    tool!(
        "restore",
        "restore",
        Approval,
        true,
        args::RestoreArgs,
        "Restore the database from a backup (verify, stop writers, restore, check, restart). Needs an approved change request."
    ),
    tool!(
        "restore_config",
        "restore-config",
        Approval,
        true,
        args::IdArgs,
        "Re-apply a configuration backup (config-…) to its namespace. Needs an approved change request."
    ),
    tool!(
        "rotate_secret",
        "rotate-secret",
        Approval,
        true,
        args::RotateArgs,
        "Rotate one key of a Secret: stage, apply, restart dependents, verify, revert on failure. Needs an approved change request."
    ),
    tool!(
        "maintenance",
        "maintenance",
        Approval,
        true,
        args::MaintenanceArgs,
        "Database maintenance in the window (Sunday 02:00–04:00 UTC). Needs an approved change request."
    ),
    tool!(
        "quarantine",
        "quarantine",
        Approval,
        true,
        args::QuarantineArgs,
        "Security Incident Response: isolate a pod with a deny-all NetworkPolicy (or release it). Needs an approved change request."
    ),
    tool!(
        "silence",
        "silence",
        Approval,
        false,
        args::SilenceArgs,
        "Silence an alert in Alertmanager. Needs an approved change request."
    ),
    tool!(
        "incident_open",
        "incident-open",
        Approval,
        false,
        args::IncidentOpenArgs,
        "Open an incident (level 1 notified). Needs an approved change request."
    ),
    tool!(
        "incident_ack",
        "incident-ack",
        Approval,
        false,
        args::IncidentArgs,
        "Acknowledge an incident as the caller (escalation stops). Needs an approved change request."
    ),
    tool!(
        "incident_update",
        "incident-update",
        Approval,
        false,
        args::IncidentArgs,
        "Post an INCIDENT UPDATE (`text`: what is being done). Needs an approved change request."
    ),
    tool!(
        "incident_resolve",
        "incident-resolve",
        Approval,
        false,
        args::IncidentArgs,
        "Resolve an incident (`text`: the resolution). Needs an approved change request."
    ),
    tool!(
        "backup",
        "backup",
        Unmanaged,
        false,
        args::BackupArgs,
        "Take a database or configuration backup (adds safety; runs at once, journaled)."
    ),
];

/// The tool named `name`.
pub fn find(name: &str) -> Option<&'static ToolDef> {
    TOOLS.iter().find(|t| t.name == name)
}

impl ToolDef {
    /// The tool as MCP lists it.
    ///
    /// # Errors
    /// When a schema cannot be built (a defect caught by the tests).
    pub fn to_tool(self) -> Result<Tool, String> {
        let output = output_schema(self.command)
            .ok_or_else(|| format!("no output schema for {}", self.command))?;
        let read_only = self.guard == Guard::ReadOnly;
        let annotations = ToolAnnotations::with_title(self.name.replace('_', " "))
            .read_only(read_only)
            .destructive(self.destructive)
            .idempotent(read_only)
            .open_world(false);
        let mut description = self.description.to_owned();
        if !read_only {
            description.push_str(&format!(" Guard: {}.", self.guard.word()));
        }
        Ok(Tool::new(self.name, description, (self.input)()?)
            .with_raw_output_schema(output)
            .with_annotations(annotations))
    }
}

/// The JSON schema of the document `ops --output json` prints for `command`.
pub fn output_schema(command: &str) -> Option<Arc<JsonObject>> {
    let text = SCHEMAS.iter().find(|(c, _)| *c == command)?.1;
    match serde_json::from_str::<serde_json::Value>(text) {
        Ok(serde_json::Value::Object(map)) => Some(Arc::new(map)),
        _ => None,
    }
}

macro_rules! schemas {
    ($($command:literal => $file:literal),* $(,)?) => {
        &[$(($command, include_str!(concat!("../../../../schemas/", $file, ".schema.json")))),*]
    };
}

/// The embedded schema files, by the `command` of their documents.
const SCHEMAS: &[(&str, &str)] = schemas! {
    "triage" => "triage",
    "investigate-errors" => "investigate-errors",
    "investigate-latency" => "investigate-latency",
    "capacity" => "capacity",
    "history" => "history",
    "backups" => "backups",
    "verify" => "verify",
    "audit" => "audit",
    "incident-list" => "incident-list",
    "alerts" => "alerts",
    "journal-show" => "journal-show",
    "change-show" => "change",
    "deploy" => "deploy",
    "rollback" => "rollback",
    "scale" => "scale",
    "restore" => "restore",
    "restore-config" => "restore-config",
    "rotate-secret" => "rotate-secret",
    "maintenance" => "maintenance",
    "quarantine" => "quarantine",
    "silence" => "silence",
    "incident-open" => "incident-open",
    "incident-ack" => "incident-ack",
    "incident-update" => "incident-update",
    "incident-resolve" => "incident-resolve",
    "backup" => "backup",
};
