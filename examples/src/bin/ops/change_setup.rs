//! Change management in `ops`: who the caller is (`--as`), where change requests and the
//! tamper-evident journal are kept (the state directory's `changes.json` and
//! `journal.jsonl`, or PostgreSQL with `--incidents-url`), and the [`ChangeGate`] every
//! mutating command's context goes through (`--change`, `--enforce-changes`).

use std::sync::Arc;

use mcp_ops_core::audit::{
    AuditDraft, AuditKind, AuditLog, FileAuditLog, MemoryAuditLog, drafts_from_journal,
};
use mcp_ops_core::change::{ChangeGate, ChangeId, ChangeStore, FileChangeStore, MemoryChangeStore};
use mcp_ops_core::runbook::JournalEntry;

use crate::backends::Backends;
use crate::cli::{Command, Global};
use crate::endpoints::Endpoints;
use crate::{Failure, Outcome};

/// Procedures whose contexts get no gate by default: taking a backup adds safety and needs
/// no approval in the runbook (no change kind describes it); a silence runs unmanaged in the
/// CLI unless `--change` names an approved silence change (then `cmd_silence` attaches the
/// gate). Incidents are bookkeeping for the gate already.
pub const UNMANAGED: [&str; 2] = ["backup", "silence"];

/// Who runs `ops` when `--as` is not given and the OS user name is not a handle.
pub const DEFAULT_ACTOR: &str = "ops-cli";

/// Where change requests and the journal are kept.
#[derive(Clone)]
pub struct ChangeSetup {
    /// The change requests.
    pub store: Arc<dyn ChangeStore>,
    /// The persisted journal.
    pub audit: Arc<dyn AuditLog>,
    /// Where, for the banner.
    pub kept: String,
}

impl ChangeSetup {
    /// In memory (the drill: nothing outlives the run).
    pub fn memory() -> Self {
        Self {
            store: Arc::new(MemoryChangeStore::default()),
            audit: Arc::new(MemoryAuditLog::default()),
            kept: "in-memory".to_owned(),
        }
    }

    /// PostgreSQL with `--incidents-url` (shared by a team), else the state directory's
    /// `changes.json` and `journal.jsonl`. Nothing is created or connected to yet.
    ///
    /// # Errors
    /// [`Failure::BadInput`] when the URL cannot be used.
    pub fn open(e: &Endpoints) -> Result<Self, Failure> {
        match (e.incidents_backend()?, &e.incidents) {
            (Some(pg), Some(config)) => {
                let (store, audit) = crate::change_pg::stores(&pg);
                Ok(Self {
                    store,
                    audit,
                    kept: format!("postgres {}", config.target()),
                })
            }
            _ => {
                let changes = e.state_dir.join("changes.json");
                let journal = e.state_dir.join("journal.jsonl");
                let bad = |err: mcp_ops_core::Error| {
                    Failure::BadInput(format!("state directory {}: {err}", e.state_dir.display()))
                };
                Ok(Self {
                    store: Arc::new(FileChangeStore::new(&changes).map_err(bad)?),
                    audit: Arc::new(FileAuditLog::new(&journal).map_err(bad)?),
                    kept: format!("{}, {}", changes.display(), journal.display()),
                })
            }
        }
    }
}

/// The caller: `--as` / `MCP_OPS_USER` (must be a handle: `a-z 0-9 . _ -`, 1 to 64), else the
/// OS user name when it is one, else [`DEFAULT_ACTOR`].
///
/// # Errors
/// [`Failure::BadInput`] when `--as` is not a handle.
pub fn actor(g: &Global) -> Result<String, Failure> {
    if let Some(who) = &g.as_user {
        return if is_handle(who) {
            Ok(who.clone())
        } else {
            Err(Failure::BadInput(
                "--as must be a handle: 1 to 64 of a-z, 0-9, '.', '_', '-'".to_owned(),
            ))
        };
    }
    Ok(["USER", "LOGNAME", "USERNAME"]
        .iter()
        .filter_map(|k| std::env::var(k).ok())
        .find(|u| is_handle(u))
        .unwrap_or_else(|| DEFAULT_ACTOR.to_owned()))
}

/// Whether `s` is a team handle.
pub fn is_handle(s: &str) -> bool {
    (1..=64).contains(&s.chars().count())
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-'))
}

/// `--change`, parsed.
///
/// # Errors
/// [`Failure::BadInput`] for a malformed id.
pub fn change_id(g: &Global) -> Result<Option<ChangeId>, Failure> {
    g.change
        .as_deref()
        .map(|s| {
            s.parse::<ChangeId>()
                .map_err(|e| Failure::BadInput(format!("--change: {e}")))
        })
        .transpose()
}

/// Whether mutations need an approved change: `--enforce-changes` or the platform's
/// `[changes] enforce`.
pub fn enforced(g: &Global) -> bool {
    g.enforce_changes || g.platform.changes.enforce
}

/// The gate of the command's contexts: the platform's policy (enforced as [`enforced`]
/// says) and team, the change of `--change`, the approvers told about break-glass through
/// the configured notifiers.
pub fn gate(g: &Global, b: &Backends) -> Result<Option<ChangeGate>, Failure> {
    let Some(setup) = &b.changes else {
        return Ok(None);
    };
    let mut policy = g.platform.changes.clone();
    policy.enforce = enforced(g);
    Ok(Some(
        ChangeGate::new(setup.store.clone(), policy, g.platform.team.clone())
            .with_change(change_id(g)?)
            .with_notifiers(b.notifiers.clone())
            .with_audit(setup.audit.clone()),
    ))
}

/// Appends `entries` (a command's journal) to the persisted journal as the caller's steps,
/// with the change and incident they belong to, plus `extra` records (a refusal).
///
/// # Errors
/// [`Failure::Failed`] when the journal cannot be written.
pub async fn persist(
    b: &Backends,
    actor: &str,
    entries: &[JournalEntry],
    change: Option<&str>,
    incident: Option<&str>,
    extra: Vec<AuditDraft>,
) -> Result<(), Failure> {
    let Some(setup) = &b.changes else {
        return Ok(());
    };
    let journal = mcp_ops_core::runbook::Journal::new();
    for e in entries {
        journal.record(e.clone());
    }
    let mut drafts = drafts_from_journal(&journal, actor, change, incident);
    drafts.extend(extra);
    if drafts.is_empty() {
        return Ok(());
    }
    setup
        .audit
        .append(drafts)
        .await
        .map(|_| ())
        .map_err(|e| Failure::Failed(format!("the journal was not written: {e}")))
}

/// A journal record of `kind` by `actor` now.
pub fn draft(
    b: &Backends,
    actor: &str,
    kind: AuditKind,
    change: Option<&ChangeId>,
    summary: String,
    digest: Option<String>,
) -> AuditDraft {
    AuditDraft {
        at: b.clock.now(),
        actor: actor.to_owned(),
        kind,
        procedure: Some("change".to_owned()),
        change: change.map(|c| c.as_str().to_owned()),
        incident: None,
        summary,
        step: None,
        digest,
    }
}

/// The incident a report is about: `incident` as an id, or as an object with its `id` (the
/// incident commands' reports).
pub fn incident_id(data: &serde_json::Value) -> Option<String> {
    let incident = data.get("incident")?;
    incident
        .as_str()
        .or_else(|| incident.get("id").and_then(serde_json::Value::as_str))
        .map(str::to_owned)
}

/// After a command: what it did (when it changed something, or was refused) goes to the
/// persisted journal with the caller, `--change` and the incident it opened. A dry run
/// writes nothing; the change and journal commands and the drill keep their own records.
/// A journal that cannot be written turns the exit code to 1, with a note.
pub async fn record_run(command: &Command, g: &Global, b: &Backends, result: Outcome) -> Outcome {
    if g.dry_run
        || matches!(
            command,
            Command::Change { .. } | Command::Journal { .. } | Command::Drill { .. }
        )
    {
        return result;
    }
    let entries = b.run_journal.entries();
    let refused = match &result {
        Err(Failure::Refused(why)) => Some(why.clone()),
        _ => None,
    };
    // Bad input writes nothing (a misspelt pod that a step failed to find included).
    if matches!(result, Err(Failure::BadInput(_)))
        || (refused.is_none() && !entries.iter().any(|e| e.mutating))
    {
        return result;
    }
    let change = change_id(g).ok().flatten();
    let incident = result.as_ref().ok().and_then(|r| incident_id(&r.data));
    let extra = refused
        .map(|why| {
            vec![draft(
                b,
                &g.actor,
                AuditKind::ChangeRefused,
                change.as_ref(),
                why,
                None,
            )]
        })
        .unwrap_or_default();
    let written = persist(
        b,
        &g.actor,
        &entries,
        change.as_ref().map(ChangeId::as_str),
        incident.as_deref(),
        extra,
    )
    .await;
    match (written, result) {
        (Ok(()), result) => result,
        (Err(Failure::Failed(why) | Failure::BadInput(why) | Failure::Refused(why)), Ok(mut r)) => {
            r.notes.push(why);
            r.exit_code = Some(1);
            Ok(r)
        }
        (Err(_), Err(e)) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::incident_id;

    #[test]
    fn the_incident_is_read_as_an_id_or_an_object_with_one() {
        let id = "INC-20261206-080202-0001";
        assert_eq!(incident_id(&json!({"incident": id})).as_deref(), Some(id));
        assert_eq!(
            incident_id(&json!({"incident": {"id": id, "title": "api down"}})).as_deref(),
            Some(id)
        );
        assert_eq!(incident_id(&json!({"incident": {"title": "x"}})), None);
        assert_eq!(incident_id(&json!({"other": 1})), None);
        assert_eq!(incident_id(&json!(null)), None);
    }
}
