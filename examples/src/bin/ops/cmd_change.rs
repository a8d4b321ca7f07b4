//! `ops change request|approve|reject|show|list` (Change Management): change requests in
//! the store of [`crate::change_setup`], every write journaled with the caller (`--as`).

use std::time::Duration;

use mcp_ops_core::Error;
use mcp_ops_core::audit::{AuditDraft, AuditKind};
use mcp_ops_core::change::{
    Approval, ChangeDraft, ChangeId, ChangeRequest, ChangeWindow, Person, Rejection, Risk, TeamRole,
};
use mcp_ops_core::jiff::Timestamp;
use serde_json::json;

use crate::backends::Backends;
use crate::change_setup::{ChangeSetup, persist};
use crate::change_spec::{default_rollback_plan, spec_of};
use crate::cli::Global;
use crate::cli_change::{ChangeAction, RequestArgs, RiskArg};
use crate::output::{Report, Status, table, to_value};
use crate::{Failure, Outcome};

/// `ops change …`.
pub async fn change(action: &ChangeAction, g: &Global, b: &Backends) -> Outcome {
    let setup = b
        .changes
        .as_ref()
        .ok_or_else(|| Failure::Failed("no change store on this target".to_owned()))?;
    match action {
        ChangeAction::Request(args) => request(args, g, b, setup).await,
        ChangeAction::Approve { id, comment } => {
            approve(&parse_id(id)?, comment.as_deref(), g, b, setup).await
        }
        ChangeAction::Reject { id, comment } => reject(&parse_id(id)?, comment, g, b, setup).await,
        ChangeAction::Show { id } => show(&parse_id(id)?, g, b, setup).await,
        ChangeAction::List => list(g, b, setup).await,
    }
}

/// A change id, or bad input naming the expected form.
pub fn parse_id(s: &str) -> Result<ChangeId, Failure> {
    s.parse::<ChangeId>()
        .map_err(|e| Failure::BadInput(format!("change id: {e}")))
}

/// The caller as a person of the platform's team, or bad input listing the handles.
fn member(g: &Global) -> Result<&Person, Failure> {
    g.platform.team.person(&g.actor).ok_or_else(|| {
        let handles: Vec<&str> = g
            .platform
            .team
            .people()
            .iter()
            .map(|p| p.handle.as_str())
            .collect();
        Failure::BadInput(format!(
            "--as {}: not a handle of the platform's team ({}); pass --as HANDLE",
            g.actor,
            if handles.is_empty() {
                "the team is empty: add [[team]] entries to the platform file".to_owned()
            } else {
                handles.join(", ")
            }
        ))
    })
}

/// `30m`, `2h`, `1h30m`, `90s`, `7d`: a positive duration.
pub fn parse_span(flag: &str, text: &str) -> Result<Duration, Failure> {
    let bad = || Failure::BadInput(format!("{flag}: use a duration such as 30m, 2h or 1h30m"));
    let text = text.trim();
    let d = if let Some(days) = text.strip_suffix('d').and_then(|n| n.parse::<u64>().ok()) {
        Duration::from_secs(days.checked_mul(86_400).ok_or_else(bad)?)
    } else {
        let signed = text
            .parse::<mcp_ops_core::jiff::SignedDuration>()
            .map_err(|_| bad())?;
        Duration::try_from(signed).map_err(|_| bad())?
    };
    if d.is_zero() {
        return Err(bad());
    }
    Ok(d)
}

/// `--scheduled`: `now` or RFC 3339.
fn scheduled(text: &str, now: Timestamp) -> Result<Timestamp, Failure> {
    if text.trim().eq_ignore_ascii_case("now") {
        return Ok(now);
    }
    text.trim().parse::<Timestamp>().map_err(|_| {
        Failure::BadInput("--scheduled: use RFC 3339 (2026-12-08T15:00:00Z) or `now`".to_owned())
    })
}

fn risk(r: RiskArg) -> Risk {
    match r {
        RiskArg::Low => Risk::Low,
        RiskArg::Medium => Risk::Medium,
        RiskArg::High => Risk::High,
    }
}

/// The core's errors of a change command: invalid values are bad input, a refusal is a
/// refusal.
fn failure(e: Error) -> Failure {
    Failure::from(e)
}

/// A journal record of the caller's for `id`.
fn record(
    g: &Global,
    b: &Backends,
    kind: AuditKind,
    id: &ChangeId,
    summary: &str,
    digest: Option<String>,
) -> AuditDraft {
    let mut d =
        AuditDraft::new(b.clock.now(), &g.actor, kind, summary).with_change(Some(id.as_str()));
    d.procedure = Some("change".to_owned());
    d.digest = digest;
    d
}

/// `ops change request <kind> …`.
async fn request(args: &RequestArgs, g: &Global, b: &Backends, setup: &ChangeSetup) -> Outcome {
    let requester = member(g)?.handle.clone();
    let now = b.clock.now();
    let start = scheduled(&args.scheduled, now)?;
    let duration = parse_span("--duration", &args.duration)?;
    let window = ChangeWindow::new(start, duration)
        .map_err(|e| Failure::BadInput(format!("--duration: {e}")))?;
    let spec = spec_of(&args.kind, g, b).await?;
    let draft = ChangeDraft {
        rollback_plan: args
            .rollback_plan
            .clone()
            .unwrap_or_else(|| default_rollback_plan(&spec)),
        description: args.description.clone().unwrap_or_else(|| spec.summary()),
        spec,
        window,
        requester,
        requested_risk: args.risk.map(risk),
    };
    // Checked before anything is written: the same validation the store's `create` runs.
    let year = now.to_zoned(mcp_ops_core::jiff::tz::TimeZone::UTC).year();
    let preview = ChangeRequest::new(ChangeId::new(year, 1).map_err(failure)?, draft.clone(), now)
        .map_err(failure)?;
    if g.dry_run {
        return Ok(
            report_of("change-request", &preview, g, now, Status::Planned).with_summary(format!(
                "dry run: would request a {} change ({}); nothing written",
                preview.risk,
                preview.spec.summary()
            )),
        );
    }
    // An id the journal already knows means the store was lost or replaced (the numbers
    // started again): refuse rather than give one id to two changes.
    let journaled: std::collections::BTreeSet<String> = setup
        .audit
        .records()
        .await
        .map_err(failure)?
        .into_iter()
        // Records that show the change existed: a refusal or a tool call may name an id
        // that never existed (a mistyped `--change`), and must not block it.
        .filter(|r| {
            !matches!(
                r.draft.kind,
                AuditKind::ChangeRefused | AuditKind::ToolCall | AuditKind::Note
            )
        })
        .filter_map(|r| r.draft.change)
        .collect();
    let cr = setup
        .store
        .create(year, &|id| {
            if journaled.contains(id.as_str()) {
                return Err(mcp_ops_core::Error::conflict(
                    id.as_str(),
                    "the journal already records a change request with this id: the change \
                     store was lost or replaced; restore it (ops journal show --change shows \
                     what the journal knows) before requesting",
                ));
            }
            ChangeRequest::new(id, draft.clone(), now)
        })
        .await
        .map_err(|e| match e {
            Error::Conflict { .. } => Failure::Refused(format!("refused: {e}")),
            other => failure(other),
        })?;
    persist(
        b,
        &g.actor,
        &[],
        None,
        None,
        vec![record(
            g,
            b,
            AuditKind::ChangeRequested,
            &cr.id,
            &format!(
                "requested {}: {} risk, {}",
                cr.id,
                cr.risk,
                cr.spec.summary()
            ),
            Some(cr.digest()),
        )],
    )
    .await?;
    let needs = needed(&cr, g);
    Ok(
        report_of("change-request", &cr, g, now, Status::Ok).with_summary(format!(
            "{} requested: {} risk ({}); needs the approval of {needs}",
            cr.id, cr.risk, cr.derived_risk.why
        )),
    )
}

/// Who must approve `cr`, in words.
fn needed(cr: &ChangeRequest, g: &Global) -> String {
    let roles = g.platform.changes.required(cr.risk);
    let words: Vec<String> = roles.iter().map(ToString::to_string).collect();
    let mut s = words.join(" + ");
    if cr.risk == Risk::High {
        s.push_str(" (two people besides the requester)");
    }
    s
}

/// The role `who` approves `cr` as: one they hold that is still missing, else one they
/// hold that the risk needs, else the first the risk needs (refused as not held).
fn role_for(cr: &ChangeRequest, who: &Person, g: &Global) -> TeamRole {
    let policy = &g.platform.changes;
    let required = policy.required(cr.risk);
    let review = policy.review(cr, &g.platform.team);
    review
        .missing
        .iter()
        .chain(required.iter())
        .copied()
        .find(|r| who.roles.contains(r))
        .or_else(|| required.first().copied())
        .unwrap_or(TeamRole::TeamLead)
}

/// Journals a refusal and returns it.
async fn refused(e: Error, id: &ChangeId, kind: &str, g: &Global, b: &Backends) -> Failure {
    match e {
        Error::ChangeRefused(r) => {
            refusal(Error::ChangeRefused(r).to_string(), id, kind, g, b).await
        }
        other => failure(other),
    }
}

/// Journals the refusal `why` of a `kind` (approval, rejection) of `id` and returns it.
async fn refusal(why: String, id: &ChangeId, kind: &str, g: &Global, b: &Backends) -> Failure {
    let draft = record(
        g,
        b,
        AuditKind::ChangeRefused,
        id,
        &format!(
            "{kind} refused: {}",
            why.trim_start_matches("refused by change policy: ")
        ),
        None,
    );
    match persist(b, &g.actor, &[], None, None, vec![draft]).await {
        Ok(()) => Failure::Refused(why),
        Err(f) => f,
    }
}

/// The change request `id` of the store; bad input when there is none.
async fn existing(id: &ChangeId, setup: &ChangeSetup) -> Result<ChangeRequest, Failure> {
    setup
        .store
        .get(id)
        .await
        .map_err(failure)?
        .ok_or_else(|| Failure::BadInput(format!("no change request {id} (see `ops change list`)")))
}

/// Journals the `result` of a `what` (approval, rejection) of `id`: the change request it
/// wrote as `(kind, summary)`, or the refusal, which it returns.
async fn journaled(
    id: &ChangeId,
    result: mcp_ops_core::Result<ChangeRequest>,
    what: &str,
    (kind, summary): (AuditKind, &str),
    g: &Global,
    b: &Backends,
) -> Result<ChangeRequest, Failure> {
    let cr = match result {
        Ok(cr) => cr,
        Err(e) => return Err(refused(e, id, what, g, b).await),
    };
    let draft = record(g, b, kind, id, summary, Some(cr.digest()));
    persist(b, &g.actor, &[], None, None, vec![draft]).await?;
    Ok(cr)
}

/// `ops change approve CR-… [--comment]`.
async fn approve(
    id: &ChangeId,
    comment: Option<&str>,
    g: &Global,
    b: &Backends,
    setup: &ChangeSetup,
) -> Outcome {
    let who = member(g)?.clone();
    let now = b.clock.now();
    let current = existing(id, setup).await?;
    if let Some(c) = comment {
        mcp_ops_core::change::check_text("comment", c).map_err(failure)?;
    }
    let role = role_for(&current, &who, g);
    if g.dry_run {
        return Ok(
            report_of("change-approve", &current, g, now, Status::Planned).with_summary(format!(
                "dry run: would approve {id} as {} ({role}); nothing written",
                who.handle
            )),
        );
    }
    let policy = g.platform.changes.clone();
    let team = g.platform.team.clone();
    let handle = who.handle.clone();
    let comment = comment.map(str::to_owned);
    let result = setup
        .store
        .modify(id, &|mut cr: ChangeRequest| {
            policy
                .may_approve(&cr, &handle, role, &team, now)
                .map_err(|r| Error::ChangeRefused(Box::new(r)))?;
            let digest = cr.digest();
            cr.approvals.push(Approval {
                by: handle.clone(),
                role,
                at: now,
                comment: comment.clone(),
                digest,
            });
            Ok(cr)
        })
        .await;
    let cr = journaled(
        id,
        result,
        "approval",
        (
            AuditKind::ChangeApproved,
            &format!("approved {id} as {role}"),
        ),
        g,
        b,
    )
    .await?;
    let status = g.platform.changes.status(&cr, &g.platform.team, now);
    Ok(
        report_of("change-approve", &cr, g, now, Status::Ok).with_summary(format!(
            "{id} approved by {} as {role}; status: {status}",
            who.handle
        )),
    )
}

/// `ops change reject CR-… --comment …`: by a holder of a role the risk needs, or the
/// requester (withdrawing it).
async fn reject(
    id: &ChangeId,
    comment: &str,
    g: &Global,
    b: &Backends,
    setup: &ChangeSetup,
) -> Outcome {
    let who = member(g)?.clone();
    mcp_ops_core::change::check_text("comment", comment).map_err(failure)?;
    let now = b.clock.now();
    let current = existing(id, setup).await?;
    if g.dry_run {
        return Ok(
            report_of("change-reject", &current, g, now, Status::Planned)
                .with_summary(format!("dry run: would reject {id}; nothing written")),
        );
    }
    let required = g.platform.changes.required(current.risk).to_vec();
    if who.handle != current.requester && !required.iter().any(|r| who.roles.contains(r)) {
        let words: Vec<String> = required.iter().map(ToString::to_string).collect();
        let why = format!(
            "refused by change policy: {} cannot reject {id}: only its requester or a holder of {} may",
            who.handle,
            words.join(" or ")
        );
        return Err(refusal(why, id, "rejection", g, b).await);
    }
    let handle = who.handle.clone();
    let result = setup
        .store
        .modify(id, &|mut cr: ChangeRequest| {
            if let Some(r) = &cr.rejection {
                return Err(Error::ChangeRefused(Box::new(
                    mcp_ops_core::change::ChangeRefusal::Rejected {
                        id: cr.id.clone(),
                        by: r.by.clone(),
                        comment: r.comment.clone(),
                    },
                )));
            }
            cr.rejection = Some(Rejection {
                by: handle.clone(),
                at: now,
                comment: comment.to_owned(),
            });
            Ok(cr)
        })
        .await;
    let cr = journaled(
        id,
        result,
        "rejection",
        (
            AuditKind::ChangeRejected,
            &format!("rejected {id}: {comment}"),
        ),
        g,
        b,
    )
    .await?;
    Ok(report_of("change-reject", &cr, g, now, Status::Ok)
        .with_summary(format!("{id} rejected by {}", who.handle)))
}

/// `ops change show CR-…`.
async fn show(id: &ChangeId, g: &Global, b: &Backends, setup: &ChangeSetup) -> Outcome {
    let now = b.clock.now();
    let cr = setup.store.get(id).await.map_err(failure)?.ok_or_else(|| {
        Failure::BadInput(format!("no change request {id} (see `ops change list`)"))
    })?;
    let status = g.platform.changes.status(&cr, &g.platform.team, now);
    let records = setup.audit.records().await.map_err(failure)?;
    let problems = mcp_ops_core::change::journal_mismatches(&cr, &records);
    let mut report = report_of("change-show", &cr, g, now, Status::Ok);
    report.data["journal_mismatches"] = json!(problems);
    if problems.is_empty() {
        return Ok(report.with_summary(format!("{id}: {status}")));
    }
    report.status = Status::Failed;
    report.notes.extend(problems.iter().cloned());
    Ok(report.with_summary(format!(
        "{id}: {status}, but TAMPERED: the store does not match the journal ({})",
        problems.join("; ")
    )))
}

/// The report of one change request: the CR document as Markdown, and as JSON the CR, its
/// status and its review.
fn report_of(
    command: &'static str,
    cr: &ChangeRequest,
    g: &Global,
    now: Timestamp,
    status: Status,
) -> Report {
    let policy = &g.platform.changes;
    let team = &g.platform.team;
    let data = json!({
        "change": to_value(cr),
        "status": to_value(&policy.status(cr, team, now)),
        "review": to_value(&policy.review(cr, team)),
        "digest": cr.digest(),
    });
    let mut r = Report::new(command, status, String::new(), data);
    r.markdown = Some(cr.to_markdown(policy, team, now));
    r
}

/// `ops change list`.
async fn list(g: &Global, b: &Backends, setup: &ChangeSetup) -> Outcome {
    let now = b.clock.now();
    let all = setup.store.list().await.map_err(failure)?;
    let policy = &g.platform.changes;
    let team = &g.platform.team;
    let rows = all.iter().map(|cr| {
        vec![
            cr.id.to_string(),
            cr.spec.kind().to_string(),
            cr.risk.to_string(),
            policy.status(cr, team, now).to_string(),
            cr.spec.summary(),
            cr.requester.clone(),
            format!(
                "{} + {} min",
                cr.window.start,
                cr.window.duration.as_secs() / 60
            ),
        ]
    });
    let t = table(
        &[
            "ID",
            "TYPE",
            "RISK",
            "STATUS",
            "CHANGE",
            "REQUESTER",
            "WINDOW",
        ],
        rows,
    );
    let data: Vec<serde_json::Value> = all
        .iter()
        .map(
            |cr| json!({"change": to_value(cr), "status": to_value(&policy.status(cr, team, now))}),
        )
        .collect();
    Ok(Report::new(
        "change-list",
        Status::Ok,
        format!("{} change requests", all.len()),
        serde_json::Value::Array(data),
    )
    .table("Change requests", t))
}
