//! The running incident: acting on signals and ticks, and the dry-run plan.

use super::{
    Acknowledgement, IncidentEnd, IncidentOutcome, IncidentSignal, IncidentSpec, channels,
    escalation_message, minutes,
};
use crate::error::Result;
use crate::escalation::Escalator;
use crate::incident::{Incident, IncidentState, IncidentUpdate};
use crate::notify::{render_acknowledged, render_resolved, render_update};
use crate::runbook::context::Context;
use crate::types::Intent;

/// The state of one run between signals.
pub(super) struct Run<'a> {
    pub ctx: &'a Context,
    pub escalator: &'a dyn Escalator,
    pub outcome: IncidentOutcome,
    pub incident: Incident,
    pub escalating: bool,
}

/// The context's intent with another actor (who acknowledged).
fn intent_by(ctx: &Context, by: &str) -> Result<Intent> {
    let base = ctx.intent();
    let intent = Intent::new(base.reason(), by)?.with_dry_run(base.is_dry_run());
    match base.ticket() {
        Some(t) => intent.with_ticket(t),
        None => Ok(intent),
    }
}

impl Run<'_> {
    fn target(&self) -> String {
        self.incident.id.to_string()
    }

    fn failed(&mut self, step: &str, e: &crate::Error) {
        self.outcome.failures.push(format!("{step}: {e}"));
    }

    /// Acts on one signal; `true` when the incident is resolved.
    pub async fn handle(&mut self, signal: IncidentSignal) -> bool {
        match signal {
            IncidentSignal::Acknowledge { by } => {
                self.acknowledge(&by).await;
                false
            }
            IncidentSignal::Update(update) => {
                self.update(&update).await;
                false
            }
            IncidentSignal::Resolve { resolution } => self.resolve(&resolution).await,
        }
    }

    async fn acknowledge(&mut self, by: &str) {
        let (ctx, escalator, id) = (self.ctx, self.escalator, self.incident.id.clone());
        let r = ctx
            .step("acknowledge", self.target())
            .bookkeeping()
            .action(format!("acknowledged by {by}: escalation stops"))
            .command(
                channels(self.incident.severity, "acknowledged")
                    .replace("pagerduty", "pagerduty acknowledge"),
            )
            .act(
                || async {
                    let intent = intent_by(ctx, by)?;
                    escalator.acknowledge(&id, &intent).await
                },
                |i| format!("{} acknowledged at level {}", i.id, i.level),
            )
            .await;
        match r {
            Ok(Some(incident)) => {
                let at = match &incident.state {
                    IncidentState::Acknowledged { at, .. } => *at,
                    _ => ctx.now(),
                };
                self.escalating = incident.escalates();
                self.incident = incident;
                if self.outcome.acknowledged.is_none() {
                    self.outcome.acknowledged = Some(Acknowledgement {
                        by: by.to_owned(),
                        at,
                    });
                    self.outcome
                        .messages
                        .push(render_acknowledged(&self.incident, by, at));
                }
            }
            Ok(None) => {}
            Err(e) => self.failed("acknowledge", &e),
        }
    }

    async fn update(&mut self, update: &IncidentUpdate) {
        let (ctx, escalator, id) = (self.ctx, self.escalator, self.incident.id.clone());
        let r = ctx
            .step("send update", self.target())
            .bookkeeping()
            .action(format!("INCIDENT UPDATE: {}", update.actions))
            .command(channels(self.incident.severity, "INCIDENT UPDATE"))
            .act(
                || escalator.update(&id, update, ctx.intent()),
                |i| format!("update {} recorded", i.updates.len()),
            )
            .await;
        match r {
            Ok(Some(incident)) => {
                self.outcome.messages.push(render_update(&incident, update));
                self.escalating = incident.escalates();
                self.incident = incident;
            }
            Ok(None) => {}
            Err(e) => self.failed("send update", &e),
        }
    }

    async fn resolve(&mut self, resolution: &str) -> bool {
        let (ctx, escalator, id) = (self.ctx, self.escalator, self.incident.id.clone());
        let r = ctx
            .step("resolve", self.target())
            .bookkeeping()
            .action(format!("INCIDENT RESOLVED: {resolution}"))
            .command(
                channels(self.incident.severity, "INCIDENT RESOLVED")
                    .replace("pagerduty", "pagerduty resolve"),
            )
            .act(
                || escalator.resolve(&id, resolution, ctx.intent()),
                |i| {
                    format!(
                        "{} resolved after {} minutes",
                        i.id,
                        minutes(i.duration(ctx.now()))
                    )
                },
            )
            .await;
        match r {
            Ok(Some(incident)) => {
                let at = match &incident.state {
                    IncidentState::Resolved { at, .. } => *at,
                    _ => ctx.now(),
                };
                self.outcome
                    .messages
                    .push(render_resolved(&incident, resolution, at));
                self.outcome.end = IncidentEnd::Resolved {
                    resolution: resolution.to_owned(),
                    at,
                };
                self.escalating = false;
                self.incident = incident;
                true
            }
            Ok(None) => false,
            Err(e) => {
                self.failed("resolve", &e);
                false
            }
        }
    }

    /// One escalation tick. Journaled only when it escalates this incident or fails.
    pub async fn tick(&mut self) {
        let ctx = self.ctx;
        let escalator = self.escalator;
        let quiet = Context::new(ctx.procedure(), ctx.intent().clone(), ctx.clock().clone())
            .with_policy(ctx.policy().clone());
        let now = ctx.now();
        let id = self.incident.id.clone();
        let r = quiet
            .step("escalation check", self.target())
            .bookkeeping()
            .action("notify the escalation levels that are due")
            .command("Alert Escalation: L1 on-call 0-15 min; L2 team lead + infrastructure 15-30 min; L3 engineering manager + executive 30+ min")
            .act(
                || escalator.tick(now),
                |actions| {
                    let mine: Vec<String> = actions
                        .iter()
                        .filter(|a| a.incident == id)
                        .map(|a| format!("L{} notified: {}", a.level, a.targets.join(", ")))
                        .collect();
                    mine.join("; ")
                },
            )
            .await;
        let keep = match r {
            Ok(Some(actions)) => {
                let mine: Vec<_> = actions.into_iter().filter(|a| a.incident == id).collect();
                for a in &mine {
                    self.incident.level = self.incident.level.max(a.level);
                    self.outcome
                        .messages
                        .push(escalation_message(&self.incident, a));
                }
                let any = !mine.is_empty();
                self.outcome.escalations.extend(mine);
                any
            }
            Ok(None) => false,
            Err(e) => {
                self.failed("escalation check", &e);
                true
            }
        };
        if keep {
            for e in quiet.journal().entries() {
                ctx.journal().record(e);
            }
        }
    }
}

/// Journals what a run would do, as planned, without calling anything.
pub(super) async fn plan(
    ctx: &Context,
    escalator: &dyn Escalator,
    spec: &IncidentSpec,
) -> Result<()> {
    let target = "(new incident)";
    let severity = spec.incident.severity;
    let now = ctx.now();
    ctx.step("escalation check", target)
        .action(format!(
            "every {} s until acknowledged: notify the escalation levels that are due",
            spec.tick_interval.as_secs()
        ))
        .command("Alert Escalation: L1 on-call 0-15 min; L2 team lead + infrastructure 15-30 min; L3 engineering manager + executive 30+ min")
        .act(|| escalator.tick(now), |_| String::new())
        .await?;
    ctx.step("send update", target)
        .action("INCIDENT UPDATE for every update the caller sends")
        .command(channels(severity, "INCIDENT UPDATE"))
        .act(|| async { Ok(()) }, |()| String::new())
        .await?;
    ctx.step("resolve", target)
        .action("INCIDENT RESOLVED with the duration when the caller resolves")
        .command(channels(severity, "INCIDENT RESOLVED").replace("pagerduty", "pagerduty resolve"))
        .act(|| async { Ok(()) }, |()| String::new())
        .await?;
    Ok(())
}
