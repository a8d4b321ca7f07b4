//! Telling people and muting alerts: the maintenance notice (an informational P3 message
//! to every notifier that takes P3) and one Alertmanager silence per alert name.

use std::sync::Arc;

use jiff::Timestamp;

use crate::escalation::{Escalator, Matcher, SilenceId, SilenceRequest};
use crate::incident::IncidentId;
use crate::notify::{Message, MessageKind, Notifier};
use crate::runbook::commands;
use crate::runbook::context::Context;
use crate::types::Severity;

/// An informational message about the window. It is not an incident: it carries the
/// reference `MAINT-YYYYMMDD` and severity P3 (so, by the runbook's channel rules, Slack
/// takes it and nobody is paged).
pub(crate) fn notice(
    database: &str,
    starts: Timestamp,
    ends: Timestamp,
    body: &str,
) -> Option<Message> {
    let id = IncidentId::new(format!("MAINT-{}", starts.strftime("%Y%m%d"))).ok()?;
    let window = format!(
        "{} – {}",
        starts.strftime("%Y-%m-%d %H:%M UTC"),
        ends.strftime("%H:%M UTC")
    );
    Some(Message {
        kind: MessageKind::Update,
        incident: id,
        severity: Severity::P3,
        subject: format!("[P3] MAINTENANCE: database {database}, {window}"),
        body: format!("SCHEDULED MAINTENANCE\nDatabase: {database}\nWindow: {window}\n{body}"),
        level: None,
        recipients: Vec::new(),
    })
}

/// Sends `message` to every notifier that takes P3; returns the channels that took it and
/// a warning per channel that did not (a failed notice does not stop the maintenance).
pub(crate) async fn send(
    ctx: &Context,
    notifiers: &[Arc<dyn Notifier>],
    step: &str,
    message: &Message,
) -> (Vec<String>, Vec<String>) {
    let mut sent = Vec::new();
    let mut warnings = Vec::new();
    for n in notifiers.iter().filter(|n| n.accepts(message.severity)) {
        let r = ctx
            .step(step, n.channel())
            .bookkeeping()
            .action(message.subject.clone())
            .command(format!("notify {}: {}", n.channel(), message.subject))
            .act(|| n.send(message), |d| format!("accepted by {}", d.channel))
            .await;
        match r {
            Ok(_) => sent.push(n.channel().to_owned()),
            Err(e) => warnings.push(format!("{step} via {} failed: {e}", n.channel())),
        }
    }
    (sent, warnings)
}

/// Creates one silence per alert name for `starts..ends`; returns the silences created and
/// a warning per alert name that could not be silenced.
pub(crate) async fn silence(
    ctx: &Context,
    escalator: &dyn Escalator,
    alerts: &[String],
    starts: Timestamp,
    ends: Timestamp,
) -> (Vec<SilenceId>, Vec<String>) {
    let mut ids = Vec::new();
    let mut warnings = Vec::new();
    for name in alerts {
        let request = match Matcher::equal("alertname", name.as_str()) {
            Ok(m) => SilenceRequest {
                matchers: vec![m],
                starts_at: starts,
                ends_at: ends,
                created_by: ctx.intent().actor().to_owned(),
                comment: format!("Maintenance window: {}", ctx.intent().reason()),
            },
            Err(e) => {
                warnings.push(format!("cannot silence {name}: {e}"));
                continue;
            }
        };
        let r = ctx
            .step("silence alerts", name.as_str())
            .bookkeeping()
            .action(format!(
                "silence alertname={name} until {}",
                ends.strftime("%Y-%m-%d %H:%M UTC")
            ))
            .command(commands::silence(name))
            .act(
                || escalator.silence(&request, ctx.intent()),
                |s| format!("silence {}", s.id),
            )
            .await;
        match r {
            Ok(Some(s)) => ids.push(s.id),
            // A dry run: a placeholder so the plan also shows the silence being expired.
            Ok(None) => ids.push(format!("planned-silence-{name}")),
            Err(e) => warnings.push(format!("silencing {name} failed: {e}")),
        }
    }
    (ids, warnings)
}

/// Expires the silences created for the window; returns a warning per failure.
pub(crate) async fn expire(
    ctx: &Context,
    escalator: &dyn Escalator,
    ids: &[SilenceId],
) -> Vec<String> {
    let mut warnings = Vec::new();
    for id in ids {
        let r = ctx
            .step("expire silence", id.as_str())
            .bookkeeping()
            .command(format!("curl -X DELETE $ALERTMANAGER/api/v2/silence/{id}"))
            .act(
                || escalator.expire_silence(id, ctx.intent()),
                |_| "expired".to_owned(),
            )
            .await;
        if let Err(e) = r {
            warnings.push(format!("expiring silence {id} failed: {e}"));
        }
    }
    warnings
}
