//! One tool call, guarded: the scope, the caller, then read-only tools run at once, mutating
//! tools return their dry-run plan and a pending change request unless the call names an
//! approved one, and the rollback runs as break-glass only on the server's own evidence.
//! Every call, refused or not, is journaled with the caller and the client.

use std::sync::Arc;

use mcp_ops_core::audit::{AuditDraft, AuditKind};
use mcp_ops_core::runbook::{Journal, StopSignal};
use rmcp::model::{CallToolResult, ContentBlock, JsonObject, ProgressToken};
use rmcp::{Peer, RoleServer};
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

use super::call::{self, Invocation};
use super::server::State;
use super::tools::{Guard, ToolDef};
use crate::Failure;
use crate::backends::Backends;
use crate::cli::{Command, Global};
use crate::cli_change::{ChangeAction, RequestArgs};

/// A tool call as received.
pub struct Call {
    /// The tool.
    pub def: &'static ToolDef,
    /// Its arguments.
    pub args: JsonObject,
    /// Who calls (the bearer token's person, or the server's caller).
    pub caller: String,
    /// The client's name (from `initialize`).
    pub client: String,
    /// Where to send progress, when the client asked for it.
    pub progress: Option<(Peer<RoleServer>, ProgressToken)>,
    /// Cancelled when the client cancels the call.
    pub cancel: CancellationToken,
    /// Cancelled when the server is going away.
    pub shutdown: CancellationToken,
}

/// Why a call produced no document.
enum Refusal {
    /// The arguments are wrong (nothing ran).
    Bad(String),
    /// The scope or the change policy refused (nothing changed).
    Refused(String),
    /// It failed.
    Failed(String),
}

impl From<Failure> for Refusal {
    fn from(f: Failure) -> Self {
        match f {
            Failure::BadInput(w) => Refusal::Bad(w),
            Failure::Refused(w) => Refusal::Refused(w),
            Failure::Failed(w) => Refusal::Failed(w),
        }
    }
}

/// A call's document and exit code.
struct Answer {
    doc: Value,
    code: u8,
    /// The change request the call ran under, or opened.
    change: Option<String>,
}

/// Runs `call` and journals it.
pub async fn execute(state: Arc<State>, call: Call) -> CallToolResult {
    let outcome = attempt(&state, &call).await;
    let (result, summary, change) = match outcome {
        Ok(answer) => {
            let summary = answer
                .doc
                .get("summary")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_owned();
            let status = answer
                .doc
                .get("status")
                .and_then(Value::as_str)
                .unwrap_or("unknown")
                .to_owned();
            let result = if answer.code == 0 {
                CallToolResult::structured(answer.doc)
            } else {
                CallToolResult::structured_error(answer.doc)
            };
            (result, format!("{status}: {summary}"), answer.change)
        }
        Err(refusal) => {
            let line = match refusal {
                Refusal::Bad(w) => format!("bad input: {w}"),
                Refusal::Refused(w) => format!("refused: {w}"),
                Refusal::Failed(w) => format!("failed: {w}"),
            };
            let line = super::admission::cut(&one_line(&line), 1000);
            (
                CallToolResult::error(vec![ContentBlock::text(line.clone())]),
                line,
                None,
            )
        }
    };
    match journal_call(&state, &call, &summary, change.as_deref()).await {
        Ok(()) => result,
        Err(why) => {
            // Fail closed: a call that cannot be journaled is reported as failed.
            let mut r = result;
            r.is_error = Some(true);
            r.content.push(ContentBlock::text(format!(
                "the journal was not written: {why}"
            )));
            r
        }
    }
}

async fn attempt(state: &State, call: &Call) -> Result<Answer, Refusal> {
    let inv = call::invocation(call.def.name, &call.args, &call.caller).map_err(Refusal::Bad)?;
    let namespace = super::scope::check(&state.scope, &state.base.platform.deployments, &inv)
        .map_err(Refusal::Refused)?;
    if call.def.guard != Guard::ReadOnly && state.base.platform.team.person(&call.caller).is_none()
    {
        return Err(Refusal::Refused(format!(
            "{} is not a person of the platform's team ([[team]] in the platform file): mutating tools need one",
            call.caller
        )));
    }
    let b = state.backends(&namespace).await?;
    if let Command::Restore { id, .. } = &inv.command
        && call.def.name == "restore_config"
    {
        super::admission::config_backup(&b, &state.scope, id)
            .await
            .map_err(|(bad, why)| {
                if bad {
                    Refusal::Bad(why)
                } else {
                    Refusal::Refused(why)
                }
            })?;
    }
    let mut g = state.global(&namespace, &call.caller);
    g.change.clone_from(&inv.journal_change);
    match (call.def.guard, inv.change.clone()) {
        (Guard::ReadOnly | Guard::Unmanaged, _) => run(g, &b, &inv.command, call).await,
        (Guard::Approval | Guard::Evidence, Some(change)) => {
            super::admission::admissible(&b, call, &change)
                .await
                .map_err(Refusal::Refused)?;
            if let Some(kind) = &inv.request {
                super::admission::claim(&b, &g, call, kind, &change)
                    .await
                    .map_err(Refusal::Refused)?;
            }
            g.change = Some(change.clone());
            g.enforce_changes = true;
            let mut answer = run(g, &b, &inv.command, call).await?;
            answer.change = Some(change);
            Ok(answer)
        }
        (Guard::Evidence, None) => emergency(g, &b, inv, call).await,
        (Guard::Approval, None) => plan_and_request(g, &b, inv, call, None).await,
    }
}

/// The rollback without a change request: break-glass on the server's own measurement of
/// the runbook's trigger, else a plan and a pending change request.
async fn emergency(
    mut g: Global,
    b: &Backends,
    inv: Invocation,
    call: &Call,
) -> Result<Answer, Refusal> {
    let Some(deployment) = inv.names.deployments.first().cloned() else {
        return Err(Refusal::Bad("rollback needs a deployment".to_owned()));
    };
    if let Some(open) = super::admission::open_break_glass(b, &g.namespace, &deployment)
        .await
        .map_err(Refusal::Failed)?
    {
        let note = format!(
            "no break-glass: a break-glass rollback of {deployment} already ran ({open}, awaiting review); another rollback needs an approved change request"
        );
        return plan_and_request(g, b, inv, call, Some(note)).await;
    }
    let evidence = super::evidence::measure(&b.health, &deployment, &g.platform.thresholds).await;
    if !evidence.triggered {
        let note = format!(
            "no break-glass: the runbook's trigger is not met ({}); the rollback needs an approved change request",
            evidence.summary
        );
        return plan_and_request(g, b, inv, call, Some(note)).await;
    }
    g.enforce_changes = true;
    let reason = format!(
        "break-glass by {} through ops mcp ({}): {}",
        call.caller,
        super::admission::client_label(&call.client),
        evidence.summary
    );
    let command = Command::Rollback {
        deployments: vec![deployment.clone()],
        reason: Some(reason),
    };
    let namespace = g.namespace.clone();
    let mut answer = run(g, b, &command, call).await?;
    push_note(
        &mut answer.doc,
        format!("break-glass: {}", evidence.summary),
    );
    if let Ok(Some(review)) = super::admission::open_break_glass(b, &namespace, &deployment).await {
        push_note(
            &mut answer.doc,
            format!("retroactive change request {review} awaits review by an approver"),
        );
        answer.change = Some(review.to_string());
    }
    Ok(answer)
}

/// The dry-run plan of a mutating call and a pending change request for it.
async fn plan_and_request(
    g: Global,
    b: &Backends,
    inv: Invocation,
    call: &Call,
    note: Option<String>,
) -> Result<Answer, Refusal> {
    let mut plan_flags = g.clone();
    plan_flags.dry_run = true;
    let mut plan = run(plan_flags, b, &inv.command, call).await?;
    if let Some(note) = note {
        push_note(&mut plan.doc, note);
    }
    if plan.code != 0 {
        push_note(
            &mut plan.doc,
            "no change request was opened: the plan did not pass".to_owned(),
        );
        return Ok(plan);
    }
    let Some(kind) = inv.request else {
        return Ok(plan);
    };
    let request = Command::Change {
        action: ChangeAction::Request(RequestArgs {
            kind,
            scheduled: "now".to_owned(),
            duration: "4h".to_owned(),
            rollback_plan: None,
            description: Some(format!(
                "{} requested through ops mcp by {} (client {}). {}",
                call.def.name,
                call.caller,
                super::admission::client_label(&call.client),
                super::admission::binding(call)
            )),
            risk: None,
        }),
    };
    let cr = run(g, b, &request, call).await.map_err(|r| match r {
        Refusal::Bad(w) | Refusal::Refused(w) | Refusal::Failed(w) => Refusal::Failed(format!(
            "the plan is ready but no change request could be opened: {w}"
        )),
    })?;
    // The change request as `ops change request --output json` reports it, with its id and
    // the approval command at hand.
    let mut report = cr.doc.get("report").cloned().unwrap_or(Value::Null);
    let id = report
        .pointer("/change/id")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_owned();
    let approve = format!("ops change approve {id} --as <approver>");
    if let Some(r) = report.as_object_mut() {
        r.insert("id".to_owned(), json!(id));
        r.insert("approve".to_owned(), json!(approve));
    }
    if let Some(doc) = plan.doc.as_object_mut() {
        doc.insert("change".to_owned(), report);
    }
    push_note(
        &mut plan.doc,
        format!(
            "pending change {id}: nothing was changed. A person holding the role approves it outside this conversation ({approve}); then call {} again with change: {id}",
            call.def.name
        ),
    );
    plan.change = Some(id);
    Ok(plan)
}

/// Runs `command` as `ops` would, on a copy of `b` with a journal of its own, with progress.
async fn run(g: Global, b: &Backends, command: &Command, call: &Call) -> Result<Answer, Refusal> {
    let mut b = b.clone();
    b.run_journal = Journal::new();
    b.stop = StopSignal::new();
    // A cancelled call stops safely: no new change starts, what is underway is undone or
    // finished as each procedure's safe stop says, and the journal says what is left.
    let stopper = {
        let (cancel, stop) = (call.cancel.clone(), b.stop.clone());
        let shutdown = call.shutdown.clone();
        tokio::spawn(async move {
            tokio::select! {
                () = cancel.cancelled() => stop.stop("cancelled by the client"),
                () = shutdown.cancelled() => stop.stop("the server is shutting down"),
            }
        })
    };
    let feed = call.progress.clone().map(|(peer, token)| {
        tokio::spawn(super::progress_feed::feed(
            peer,
            token,
            b.run_journal.clone(),
        ))
    });
    let result = crate::dispatch(command, &g, &b).await;
    let result = crate::change_setup::record_run(command, &g, &b, result).await;
    stopper.abort();
    if let Some(task) = feed {
        task.abort();
    }
    let mut report = result?;
    report.notes.extend(b.notes.iter().cloned());
    Ok(Answer {
        doc: report.to_document(&b.target, g.dry_run),
        code: report.code(),
        change: None,
    })
}

fn push_note(doc: &mut Value, note: String) {
    if let Some(notes) = doc.get_mut("notes").and_then(Value::as_array_mut) {
        notes.push(Value::String(mcp_ops_core::redact_text(&note)));
    }
}

/// The journal record of a call: who, through which client, the arguments (redacted,
/// shortened) and the result.
async fn journal_call(
    state: &State,
    call: &Call,
    result: &str,
    change: Option<&str>,
) -> Result<(), String> {
    let audit = state.audit().await?;
    let mut args = Value::Object(call.args.clone());
    mcp_ops_core::redact_json(&mut args);
    let mut args = args.to_string();
    if args.chars().count() > 400 {
        args = format!("{}…", args.chars().take(400).collect::<String>());
    }
    let summary = one_line(&format!(
        "{} called {} {args} through {}: {}",
        call.caller,
        call.def.name,
        super::admission::client_label(&call.client),
        super::admission::cut(result, 600)
    ));
    let mut draft = AuditDraft::new(state.now(), &call.caller, AuditKind::ToolCall, &summary)
        .with_change(change);
    draft.procedure = Some(format!("mcp:{}", call.def.name));
    audit
        .append(vec![draft])
        .await
        .map(|_| ())
        .map_err(|e| e.to_string())
}

fn one_line(s: &str) -> String {
    mcp_ops_core::redact_text(&s.split_whitespace().collect::<Vec<_>>().join(" "))
}
