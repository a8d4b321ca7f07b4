//! `ops incident …` (Alert Escalation, Incident Communication). `open`, `ack`, `update` and
//! `resolve` run unmanaged (bookkeeping) unless `--change CR-…` names a change request; then
//! it must authorize the action first ([`crate::cmd_silence::authorize_named`]). Their
//! steps, and `tick`'s escalations, are bookkeeping for an enforcing gate (as in
//! `run_incident`): enforcement never stops an acknowledgement or a page.

use mcp_ops_core::change::IncidentChange;
use mcp_ops_core::escalation::EscalationAction;
use mcp_ops_core::incident::{Incident, IncidentState, IncidentUpdate};
use mcp_ops_core::notify::{Message, render_acknowledged, render_resolved, render_update};
use mcp_ops_core::runbook::run_incident::{IncidentSignal, IncidentSpec, run_incident};
use mcp_ops_core::types::Severity;
use mcp_ops_core::{IncidentId, NewIncident};

use crate::backends::Backends;
use crate::change_spec::incident_spec;
use crate::cli::{Global, IncidentAction};
use crate::cmd_silence::authorize_named;
use crate::output::{Report, Status, table, to_value};
use crate::{Failure, Outcome, context, context_as, incident_delivery, incident_list};

/// Where to look when an id is unknown.
const NO_SUCH: &str = "`ops incident list` shows the open incidents of this state directory (--state-dir, MCP_OPS_STATE_DIR)";

/// `ops incident open|update|ack|resolve|list`.
pub async fn incident(action: &IncidentAction, g: &Global, b: &Backends) -> Outcome {
    match action {
        IncidentAction::Open {
            title,
            severity,
            impact,
            ack_by,
            update,
            resolve,
        } => {
            let severity: Severity = severity.parse()?;
            let spec = IncidentSpec::new(NewIncident {
                title: title.clone(),
                severity,
                service: "MCP Production".into(),
                impact: impact.clone(),
                investigating: "@ops-team".into(),
            });
            spec.validate()?;
            let mut signals = Vec::new();
            if let Some(by) = ack_by {
                signals.push(IncidentSignal::Acknowledge { by: by.clone() });
            }
            if let Some(actions) = update {
                signals.push(IncidentSignal::Update(IncidentUpdate {
                    root_cause: None,
                    actions: actions.clone(),
                    eta: None,
                }));
            }
            if let Some(resolution) = resolve {
                signals.push(IncidentSignal::Resolve {
                    resolution: resolution.clone(),
                });
            }
            // Every signal is checked before the incident is opened: bad input changes nothing.
            for signal in &signals {
                signal.validate()?;
            }
            if g.change.is_some() && !signals.is_empty() {
                return Err(Failure::BadInput(
                    "--change covers opening the incident only: run ack, update and resolve \
                     as their own commands, each under its change"
                        .to_owned(),
                ));
            }
            open(&spec, signals, g, b).await
        }
        IncidentAction::Update { id, actions } => {
            let id = IncidentId::new(id.as_str())?;
            let ctx = context("incident", "ops incident update", g, b)?;
            let planned = || {
                incident_spec(IncidentChange::Update {
                    incident: id.clone(),
                })
            };
            let ctx = authorize_named(ctx, planned, g, b).await?;
            let update = IncidentUpdate {
                root_cause: None,
                actions: actions.clone(),
                eta: None,
            };
            let intent = ctx.intent().clone();
            let done = ctx
                .step("update incident", id.as_str())
                .command(format!("post INCIDENT UPDATE for {id}"))
                .bookkeeping()
                .act(
                    || b.escalator.update(&id, &update, &intent),
                    |i: &Incident| i.id.to_string(),
                )
                .await
                .map_err(no_state)?;
            let message = done.as_ref().map(|i| render_update(i, &update));
            let report = one("incident-update", done, message, ctx.journal().entries())?;
            incident_delivery::check(report, b, Some(&id)).await
        }
        IncidentAction::Ack { id, by } => {
            let id = IncidentId::new(id.as_str())?;
            let ctx = context_as("incident", &format!("acknowledged by {by}"), by, g, b)?;
            let planned = || {
                incident_spec(IncidentChange::Ack {
                    incident: id.clone(),
                })
            };
            let ctx = authorize_named(ctx, planned, g, b).await?;
            let intent = ctx.intent().clone();
            let done = ctx
                .step("acknowledge incident", id.as_str())
                .command(format!("acknowledge {id} (escalation stops)"))
                .bookkeeping()
                .act(
                    || b.escalator.acknowledge(&id, &intent),
                    |i: &Incident| i.id.to_string(),
                )
                .await
                .map_err(no_state)?;
            let message = done.as_ref().and_then(|i| match &i.state {
                IncidentState::Acknowledged { by, at } => Some(render_acknowledged(i, by, *at)),
                _ => None,
            });
            let report = one("incident-ack", done, message, ctx.journal().entries())?;
            incident_delivery::check(report, b, Some(&id)).await
        }
        IncidentAction::Resolve { id, resolution } => {
            let id = IncidentId::new(id.as_str())?;
            let ctx = context("incident", "ops incident resolve", g, b)?;
            let planned = || {
                incident_spec(IncidentChange::Resolve {
                    incident: id.clone(),
                })
            };
            let ctx = authorize_named(ctx, planned, g, b).await?;
            let intent = ctx.intent().clone();
            let done = ctx
                .step("resolve incident", id.as_str())
                .command(format!("post INCIDENT RESOLVED for {id}"))
                .bookkeeping()
                .act(
                    || b.escalator.resolve(&id, resolution, &intent),
                    |i: &Incident| i.id.to_string(),
                )
                .await
                .map_err(no_state)?;
            let message = done.as_ref().and_then(|i| match &i.state {
                IncidentState::Resolved { at, resolution } => {
                    Some(render_resolved(i, resolution, *at))
                }
                _ => None,
            });
            let report = one("incident-resolve", done, message, ctx.journal().entries())?;
            incident_delivery::check(report, b, Some(&id)).await
        }
        IncidentAction::Tick => tick(g, b).await,
        IncidentAction::Prune { older_than_days } => prune(*older_than_days, g, b).await,
        IncidentAction::List => {
            let open = b.escalator.open_incidents().await?;
            incident_list::list(open, b).await
        }
    }
}

fn no_state(e: mcp_ops_core::Error) -> Failure {
    match e {
        mcp_ops_core::Error::NotFound { .. } => Failure::BadInput(format!("{e} ({NO_SUCH})")),
        other => other.into(),
    }
}

/// The report of one incident change, with the message it sends (the runbook's template,
/// shown so it can be pasted where no notifier is configured).
fn one(
    command: &'static str,
    done: Option<Incident>,
    message: Option<Message>,
    journal: Vec<mcp_ops_core::runbook::JournalEntry>,
) -> Outcome {
    let message_table = message.map(|m| table(&["SUBJECT", "MESSAGE"], [vec![m.subject, m.body]]));
    Ok(match done {
        Some(i) => {
            let mut r = Report::new(
                command,
                Status::Ok,
                format!("incident {}: {}", i.id, state(&i.state)),
                to_value(&i),
            )
            .table("Incident", incidents_table(std::slice::from_ref(&i)));
            if let Some(t) = message_table {
                r = r.table("Message", t);
            }
            r.journal(journal)
        }
        None => Report::new(
            command,
            Status::Planned,
            "dry run: nothing sent",
            serde_json::Value::Null,
        )
        .journal(journal),
    })
}

async fn open(
    spec: &IncidentSpec,
    signals: Vec<IncidentSignal>,
    g: &Global,
    b: &Backends,
) -> Outcome {
    let ctx = context("run_incident", "ops incident open", g, b)?;
    let planned = || {
        incident_spec(IncidentChange::Open {
            title: spec.incident.title.clone(),
            severity: spec.incident.severity,
        })
    };
    let ctx = authorize_named(ctx, planned, g, b).await?;
    let (tx, rx) = tokio::sync::mpsc::channel(signals.len().max(1));
    for s in signals {
        tx.try_send(s)
            .map_err(|_| Failure::Failed("the signal queue is full".to_owned()))?;
    }
    drop(tx);
    let outcome = run_incident(&ctx, b.escalator.as_ref(), spec, rx).await?;
    let end = to_value(&outcome.end);
    let end_word = end["end"].as_str().unwrap_or("?").replace('_', " ");
    let status = if g.dry_run {
        Status::Planned
    } else if outcome.failures.is_empty() {
        Status::Ok
    } else {
        Status::Failed
    };
    let summary = match &outcome.incident {
        Some(i) if !i.is_resolved() => format!(
            "incident {} ({}): open, {}",
            i.id,
            i.severity,
            if i.escalates() {
                "escalating"
            } else {
                "acknowledged"
            }
        ),
        Some(i) => format!("incident {} ({}): {end_word}", i.id, i.severity),
        None => format!("incident: {end_word}"),
    };
    let summary = match outcome.failures.first() {
        Some(first) => format!("{summary}; FAILED: {first}"),
        None => summary,
    };
    let messages = outcome.messages.iter().map(|m| {
        vec![
            format!("{:?}", m.kind),
            m.subject.clone(),
            m.level.map(|l| format!("L{l}")).unwrap_or_default(),
        ]
    });
    let mut report = Report::new("incident-open", status, summary, to_value(&outcome))
        .table("Messages", table(&["KIND", "SUBJECT", "LEVEL"], messages))
        .journal(ctx.journal().entries());
    for f in &outcome.failures {
        report.notes.push(format!("failed: {f}"));
    }
    if let Some(i) = outcome.incident.as_ref().filter(|i| !i.is_resolved()) {
        report.notes.push(format!(
            "{} stays open: `ops incident ack|update|resolve {}`; run `ops incident tick` every minute to escalate it",
            i.id, i.id
        ));
    }
    match &outcome.incident {
        Some(i) => incident_delivery::check(report, b, Some(&i.id)).await,
        None => Ok(report),
    }
}

/// `ops incident tick`: escalate what is due and retry failed deliveries.
async fn tick(g: &Global, b: &Backends) -> Outcome {
    let ctx = context("incident", "ops incident tick", g, b)?;
    let now = jiff::Timestamp::now();
    let actions = ctx
        .step("escalate", "open incidents")
        .command("notify the levels due by elapsed time (L2 at 15 min, L3 at 30 min)")
        .bookkeeping()
        .act(
            || b.escalator.tick(now),
            |a: &Vec<EscalationAction>| format!("{} escalations", a.len()),
        )
        .await?;
    let journal = ctx.journal().entries();
    let Some(actions) = actions else {
        return Ok(Report::new(
            "incident-tick",
            Status::Planned,
            "dry run: nothing escalated",
            serde_json::Value::Null,
        )
        .journal(journal));
    };
    let rows = actions.iter().map(|a| {
        vec![
            a.incident.to_string(),
            format!("L{}", a.level),
            a.targets.join(", "),
        ]
    });
    let report = Report::new(
        "incident-tick",
        Status::Ok,
        format!("{} escalations", actions.len()),
        to_value(&actions),
    )
    .table(
        "Escalations",
        table(&["INCIDENT", "LEVEL", "NOTIFIED"], rows),
    )
    .journal(journal);
    incident_delivery::check(report, b, None).await
}

/// `ops incident prune [--older-than-days N]`.
async fn prune(days: u32, g: &Global, b: &Backends) -> Outcome {
    let Some(engine) = &b.engine else {
        return Err(Failure::BadInput(
            "the drill's in-memory incidents cannot be pruned".to_owned(),
        ));
    };
    let before = jiff::Timestamp::now()
        .checked_sub(jiff::SignedDuration::from_hours(24 * i64::from(days)))
        .map_err(|e| Failure::BadInput(format!("--older-than-days: {e}")))?;
    let ctx = context("incident", "ops incident prune", g, b)?;
    let gone = ctx
        .step("prune incidents", format!("resolved before {before}"))
        .command("forget resolved incidents and their delivered messages")
        .act(
            || engine.prune(before),
            |ids: &Vec<IncidentId>| format!("{} forgotten", ids.len()),
        )
        .await?;
    let journal = ctx.journal().entries();
    Ok(match gone {
        Some(ids) => Report::new(
            "incident-prune",
            Status::Ok,
            format!("{} resolved incidents forgotten", ids.len()),
            to_value(&ids),
        )
        .journal(journal),
        None => Report::new(
            "incident-prune",
            Status::Planned,
            "dry run: nothing forgotten",
            serde_json::Value::Null,
        )
        .journal(journal),
    })
}

/// `open`, `acknowledged by alice`, `resolved: rolled back`.
pub(crate) fn state(s: &IncidentState) -> String {
    match s {
        IncidentState::Open => "open".to_owned(),
        IncidentState::Acknowledged { by, .. } => format!("acknowledged by {by}"),
        IncidentState::Resolved { resolution, .. } => format!("resolved: {resolution}"),
        other => format!("{other:?}"),
    }
}

fn incidents_table(incidents: &[Incident]) -> comfy_table::Table {
    table(
        &["ID", "SEVERITY", "STATE", "LEVEL", "TITLE"],
        incidents.iter().map(|i| {
            vec![
                i.id.to_string(),
                i.severity.to_string(),
                state(&i.state),
                format!("L{}", i.level),
                i.title.clone(),
            ]
        }),
    )
}
