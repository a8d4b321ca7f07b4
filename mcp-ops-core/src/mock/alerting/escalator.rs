//! `Escalator` on the mock alerting system: the incident lifecycle and escalation by time.

use async_trait::async_trait;
use jiff::Timestamp;

use super::{BACKEND, MockAlerting};
use crate::error::{Error, Result};
use crate::escalation::{Alert, AlertFilter, EscalationAction, Escalator, Silence, SilenceRequest};
use crate::incident::{Incident, IncidentId, IncidentState, IncidentUpdate, NewIncident};
use crate::notify::{Message, render_detected, render_escalation, render_resolved, render_update};
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
        if update.actions.trim().is_empty() {
            return Err(Error::invalid("actions", "must not be empty"));
        }
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
        let (incident, _) = self.change(id, intent, |i, now| {
            if i.escalates() {
                i.state = IncidentState::Acknowledged {
                    by: intent.actor().to_owned(),
                    at: now,
                };
            }
            Ok(None)
        })?;
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
        if resolution.trim().is_empty() {
            return Err(Error::invalid("resolution", "must not be empty"));
        }
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
