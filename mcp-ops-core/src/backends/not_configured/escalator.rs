//! [`NotConfigured`] as the incident and alert backend.

use async_trait::async_trait;

use super::NotConfigured;
use crate::escalation::{Alert, AlertFilter, EscalationAction, Escalator, Silence, SilenceRequest};
use crate::incident::{Incident, IncidentId, IncidentUpdate, NewIncident};
use crate::{Intent, Result};

#[async_trait]
impl Escalator for NotConfigured {
    fn backend(&self) -> &'static str {
        "unconfigured"
    }

    async fn open(&self, _incident: &NewIncident, _intent: &Intent) -> Result<Incident> {
        Err(self.error())
    }

    async fn incident(&self, _id: &IncidentId) -> Result<Incident> {
        Err(self.error())
    }

    async fn open_incidents(&self) -> Result<Vec<Incident>> {
        Err(self.error())
    }

    async fn update(
        &self,
        _id: &IncidentId,
        _update: &IncidentUpdate,
        _intent: &Intent,
    ) -> Result<Incident> {
        Err(self.error())
    }

    async fn acknowledge(&self, _id: &IncidentId, _intent: &Intent) -> Result<Incident> {
        Err(self.error())
    }

    async fn resolve(
        &self,
        _id: &IncidentId,
        _resolution: &str,
        _intent: &Intent,
    ) -> Result<Incident> {
        Err(self.error())
    }

    async fn tick(&self, _now: jiff::Timestamp) -> Result<Vec<EscalationAction>> {
        Err(self.error())
    }

    async fn alerts(&self, _filter: &AlertFilter) -> Result<Vec<Alert>> {
        Err(self.error())
    }

    async fn silence(&self, _request: &SilenceRequest, _intent: &Intent) -> Result<Silence> {
        Err(self.error())
    }

    async fn silences(&self) -> Result<Vec<Silence>> {
        Err(self.error())
    }

    async fn expire_silence(&self, _id: &str, _intent: &Intent) -> Result<()> {
        Err(self.error())
    }
}
