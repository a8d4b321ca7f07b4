//! `Escalator` on the mock alerting system: the incident lifecycle and escalation by time.

use async_trait::async_trait;
use jiff::Timestamp;

use super::{BACKEND, MockAlerting};
use crate::error::{Error, Result};
use crate::escalation::{Alert, AlertFilter, EscalationAction, Escalator, Silence, SilenceRequest};
use crate::incident::{Incident, IncidentId, IncidentState, IncidentUpdate, NewIncident};
use crate::notify::{
    Message, render_acknowledged, render_detected, render_escalation, render_resolved,
    render_update,
};
use crate::types::Intent;

impl MockAlerting {
    /// Changes an unresolved incident with `f` (on a copy for dry runs) and returns the
    /// result with the message `f` asks to send.
    fn change(
        &self,
        id: &IncidentId,
        intent: &Intent,
        f: impl FnOnce(&mut Incident, Timestamp) -> Result<Option<Message>>,
    ) -> Result<(Incident, Option<Message>)> {
        let now = self.now();
        let mut s = self.lock();
        let stored = s
            .incidents
            .iter_mut()
            .find(|i| &i.id == id)
            .ok_or_else(|| Error::not_found("incident", id.as_str()))?;
        if stored.is_resolved() {
            return Err(Error::conflict(
                format!("incident {id}"),
                "it is already resolved",
            ));
        }
        let mut incident = stored.clone();
        let message = f(&mut incident, now)?;
        if intent.is_dry_run() {
            return Ok((incident, None));
        }
        *stored = incident.clone();
        Ok((incident, message))
    }
}

#[async_trait]
impl Escalator for MockAlerting {
    fn backend(&self) -> &'static str {
        BACKEND
    }

    async fn open(&self, new: &NewIncident, intent: &Intent) -> Result<Incident> {
        self.faults
            .write("open", new.title.as_str(), intent.is_dry_run())
            .await?;
        new.validate()?;
        let now = self.now();
        let (incident, message) = {
            let mut s = self.lock();
            let mut incident = Incident {
                id: IncidentId::new(format!("INC-{:04}", s.next_incident))?,
                title: new.title.clone(),
                severity: new.severity,
                service: new.service.clone(),
                impact: new.impact.clone(),
                investigating: new.investigating.clone(),
                started: now,
                state: IncidentState::Open,
                level: 0,
                updates: Vec::new(),
            };
            let due: Vec<_> = self
                .policy
                .due(&incident, now)
                .into_iter()
                .cloned()
                .collect();
            incident.level = due.last().map_or(0, |l| l.level);
            let mut message = render_detected(&incident);
            message.recipients = due.iter().flat_map(|l| l.targets.clone()).collect();
            message.level = due.last().map(|l| l.level);
            if intent.is_dry_run() {
                return Ok(incident);
            }
            s.next_incident += 1;
            s.incidents.push(incident.clone());
            s.escalations
                .extend(due.into_iter().map(|l| EscalationAction {
                    incident: incident.id.clone(),
                    level: l.level,
                    targets: l.targets,
                    at: now,
                }));
            (incident, message)
        };
        self.dispatch(message).await;
        Ok(incident)
    }

    async fn incident(&self, id: &IncidentId) -> Result<Incident> {
        self.faults.read("incident", id.as_str()).await?;
        self.lock()
            .incidents
            .iter()
            .find(|i| &i.id == id)
            .cloned()
            .ok_or_else(|| Error::not_found("incident", id.as_str()))
    }

    async fn open_incidents(&self) -> Result<Vec<Incident>> {
        self.faults.read("open_incidents", "incidents").await?;
        Ok(self
            .lock()
            .incidents
            .iter()
            .filter(|i| !i.is_resolved())
            .cloned()
            .collect())
    }

    async fn update(
        &self,
        id: &IncidentId,
        update: &IncidentUpdate,
        intent: &Intent,
    ) -> Result<Incident> {
        self.faults
            .write("update", id.as_str(), intent.is_dry_run())
            .await?;
        update.validate()?;
        let (incident, message) = self.change(id, intent, |i, now| {
            i.updates.push((now, update.clone()));
            Ok(Some(render_update(i, update)))
        })?;
        if let Some(m) = message {
            self.dispatch(m).await;
        }
        Ok(incident)
    }

    async fn acknowledge(&self, id: &IncidentId, intent: &Intent) -> Result<Incident> {
        self.faults
            .write("acknowledge", id.as_str(), intent.is_dry_run())
            .await?;
        crate::incident::validate_actor(intent.actor())?;
        // Like the engine: only the first acknowledgement of an escalating incident changes
        // it and tells the channels (PagerDuty stops paging); a second one is a no-op.
        let (incident, message) = self.change(id, intent, |i, now| {
            if !i.escalates() {
                return Ok(None);
            }
            i.state = IncidentState::Acknowledged {
                by: intent.actor().to_owned(),
                at: now,
            };
            Ok(Some(render_acknowledged(i, intent.actor(), now)))
        })?;
        if let Some(m) = message {
            self.dispatch(m).await;
        }
        Ok(incident)
    }

    async fn resolve(
        &self,
        id: &IncidentId,
        resolution: &str,
        intent: &Intent,
    ) -> Result<Incident> {
        self.faults
            .write("resolve", id.as_str(), intent.is_dry_run())
            .await?;
        crate::incident::validate_resolution(resolution)?;
        let (incident, message) = self.change(id, intent, |i, now| {
            i.state = IncidentState::Resolved {
                at: now,
                resolution: resolution.to_owned(),
            };
            Ok(Some(render_resolved(i, resolution, now)))
        })?;
        if let Some(m) = message {
            self.dispatch(m).await;
        }
        Ok(incident)
    }

    async fn tick(&self, now: Timestamp) -> Result<Vec<EscalationAction>> {
        self.faults.write("tick", "incidents", false).await?;
        self.retry_failed().await;
        let mut actions = Vec::new();
        let mut messages = Vec::new();
        {
            let mut s = self.lock();
            for incident in s.incidents.iter_mut() {
                let due: Vec<_> = self
                    .policy
                    .due(incident, now)
                    .into_iter()
                    .cloned()
                    .collect();
                for level in due {
                    messages.push(render_escalation(
                        incident,
                        level.level,
                        &level.targets,
                        now,
                    ));
                    incident.level = level.level;
                    actions.push(EscalationAction {
                        incident: incident.id.clone(),
                        level: level.level,
                        targets: level.targets,
                        at: now,
                    });
                }
            }
            s.escalations.extend(actions.iter().cloned());
        }
        for m in messages {
            self.dispatch(m).await;
        }
        Ok(actions)
    }

    async fn alerts(&self, filter: &AlertFilter) -> Result<Vec<Alert>> {
        self.faults.read("alerts", "alerts").await?;
        Ok(self.list_alerts(filter))
    }

    async fn silence(&self, request: &SilenceRequest, intent: &Intent) -> Result<Silence> {
        self.faults
            .write("silence", request.comment.as_str(), intent.is_dry_run())
            .await?;
        self.create_silence(request, intent)
    }

    async fn silences(&self) -> Result<Vec<Silence>> {
        self.faults.read("silences", "silences").await?;
        Ok(self.list_silences())
    }

    async fn expire_silence(&self, id: &str, intent: &Intent) -> Result<()> {
        self.faults
            .write("expire_silence", id, intent.is_dry_run())
            .await?;
        self.expire(id, intent)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use std::sync::Arc;

    use super::*;
    use crate::mock::alerting::RecordingNotifier;
    use crate::notify::MessageKind;
    use crate::types::Severity;

    fn p1() -> NewIncident {
        NewIncident {
            title: "High error rate".into(),
            severity: Severity::P1,
            service: "MCP Production".into(),
            impact: "High error rate (15%) on API endpoints".into(),
            investigating: "@ops-team".into(),
        }
    }

    fn kinds(n: &RecordingNotifier) -> Vec<MessageKind> {
        n.messages().iter().map(|m| m.kind).collect()
    }

    #[tokio::test]
    async fn acknowledge_tells_every_channel_once_and_never_in_a_dry_run() {
        let slack = RecordingNotifier::slack();
        let pagerduty = RecordingNotifier::pagerduty();
        let alerting = MockAlerting::builder()
            .notifier(Arc::new(slack.clone()))
            .notifier(Arc::new(pagerduty.clone()))
            .build();
        let alice = Intent::new("incident response", "alice").unwrap();
        let inc = alerting.open(&p1(), &alice).await.unwrap();

        let dry = alerting
            .acknowledge(&inc.id, &alice.clone().with_dry_run(true))
            .await
            .unwrap();
        assert!(matches!(dry.state, IncidentState::Acknowledged { .. }));
        assert_eq!(kinds(&pagerduty), [MessageKind::Detected], "dry run");
        assert!(alerting.incident(&inc.id).await.unwrap().escalates());

        alerting.acknowledge(&inc.id, &alice).await.unwrap();
        let bob = Intent::new("incident response", "bob").unwrap();
        let again = alerting.acknowledge(&inc.id, &bob).await.unwrap();
        assert!(
            matches!(again.state, IncidentState::Acknowledged { ref by, .. } if by == "alice"),
            "the first acknowledgement stands: {:?}",
            again.state
        );
        for channel in [&slack, &pagerduty] {
            assert_eq!(
                kinds(channel),
                [MessageKind::Detected, MessageKind::Acknowledged]
            );
        }
        let ack = pagerduty.messages().pop().unwrap();
        assert_eq!(ack.subject, "[P1] INCIDENT ACKNOWLEDGED: High error rate");
        assert!(
            ack.body.contains("Acknowledged by: alice\n"),
            "{}",
            ack.body
        );
        assert!(
            ack.body.ends_with("Escalation: stopped at L1"),
            "{}",
            ack.body
        );
    }

    #[tokio::test]
    async fn a_failed_acknowledgement_is_retried_on_the_next_tick() {
        let pagerduty = RecordingNotifier::pagerduty();
        let alerting = MockAlerting::builder()
            .notifier(Arc::new(pagerduty.clone()))
            .build();
        let intent = Intent::new("incident response", "alice").unwrap();
        let inc = alerting.open(&p1(), &intent).await.unwrap();
        pagerduty.fail_next(1);
        alerting.acknowledge(&inc.id, &intent).await.unwrap();
        assert_eq!(kinds(&pagerduty), [MessageKind::Detected]);
        assert_eq!(alerting.pending_retries(), 1);
        assert_eq!(
            alerting.failed_deliveries()[0].kind,
            MessageKind::Acknowledged
        );
        alerting.tick(alerting.now()).await.unwrap();
        assert_eq!(
            kinds(&pagerduty),
            [MessageKind::Detected, MessageKind::Acknowledged]
        );
        assert_eq!(alerting.pending_retries(), 0);
    }

    #[tokio::test]
    async fn an_acknowledgement_never_overtakes_an_undelivered_detection() {
        let pagerduty = RecordingNotifier::pagerduty();
        let slack = RecordingNotifier::slack();
        let alerting = MockAlerting::builder()
            .notifier(Arc::new(pagerduty.clone()))
            .notifier(Arc::new(slack.clone()))
            .build();
        let intent = Intent::new("incident response", "alice").unwrap();
        pagerduty.fail_next(2);
        let inc = alerting.open(&p1(), &intent).await.unwrap();
        let other = alerting.open(&p1(), &intent).await.unwrap();
        alerting.acknowledge(&inc.id, &intent).await.unwrap();
        assert!(pagerduty.messages().is_empty());
        assert_eq!(
            pagerduty.attempts(),
            2,
            "the held acknowledgement is not tried"
        );
        assert_eq!(alerting.pending_retries(), 3);
        assert_eq!(slack.messages().len(), 3, "other channels are not held");

        // Fails the detection once more: the acknowledgement keeps waiting behind it, while
        // the other incident's detection goes through.
        pagerduty.fail_next(1);
        alerting.tick(alerting.now()).await.unwrap();
        let got: Vec<_> = pagerduty
            .messages()
            .iter()
            .map(|m| (m.incident.clone(), m.kind))
            .collect();
        assert_eq!(got, [(other.id.clone(), MessageKind::Detected)]);
        assert_eq!(alerting.pending_retries(), 2);

        alerting.tick(alerting.now()).await.unwrap();
        let got: Vec<_> = pagerduty
            .messages()
            .iter()
            .filter(|m| m.incident == inc.id)
            .map(|m| m.kind)
            .collect();
        assert_eq!(got, [MessageKind::Detected, MessageKind::Acknowledged]);
        assert_eq!(alerting.pending_retries(), 0);
    }
}
