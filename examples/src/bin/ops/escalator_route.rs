//! One [`Escalator`] for the CLI: incidents go to the escalation engine over the state
//! directory's file (they outlive the process), alerts and silences to Alertmanager (or to
//! the embedded stand-in, or to nothing with a hint).

use std::sync::Arc;

use async_trait::async_trait;
use mcp_ops_core::escalation::{Alert, AlertFilter, EscalationAction, Silence, SilenceRequest};
use mcp_ops_core::incident::IncidentUpdate;
use mcp_ops_core::{Escalator, Incident, IncidentId, Intent, NewIncident, Result};

/// Routes the incident half of [`Escalator`] to `incidents`, the alert half to `alerts`.
pub struct RoutedEscalator {
    /// Incidents: open, update, acknowledge, resolve, tick.
    pub incidents: Arc<dyn Escalator>,
    /// Alerts and silences.
    pub alerts: Arc<dyn Escalator>,
}

#[async_trait]
impl Escalator for RoutedEscalator {
    fn backend(&self) -> &'static str {
        self.incidents.backend()
    }

    async fn open(&self, incident: &NewIncident, intent: &Intent) -> Result<Incident> {
        self.incidents.open(incident, intent).await
    }

    async fn incident(&self, id: &IncidentId) -> Result<Incident> {
        self.incidents.incident(id).await
    }

    async fn open_incidents(&self) -> Result<Vec<Incident>> {
        self.incidents.open_incidents().await
    }

    async fn update(
        &self,
        id: &IncidentId,
        update: &IncidentUpdate,
        intent: &Intent,
    ) -> Result<Incident> {
        self.incidents.update(id, update, intent).await
    }

    async fn acknowledge(&self, id: &IncidentId, intent: &Intent) -> Result<Incident> {
        self.incidents.acknowledge(id, intent).await
    }

    async fn resolve(
        &self,
        id: &IncidentId,
        resolution: &str,
        intent: &Intent,
    ) -> Result<Incident> {
        self.incidents.resolve(id, resolution, intent).await
    }

    async fn tick(&self, now: jiff::Timestamp) -> Result<Vec<EscalationAction>> {
        self.incidents.tick(now).await
    }

    async fn alerts(&self, filter: &AlertFilter) -> Result<Vec<Alert>> {
        self.alerts.alerts(filter).await
    }

    async fn silence(&self, request: &SilenceRequest, intent: &Intent) -> Result<Silence> {
        self.alerts.silence(request, intent).await
    }

    async fn silences(&self) -> Result<Vec<Silence>> {
        self.alerts.silences().await
    }

    async fn expire_silence(&self, id: &str, intent: &Intent) -> Result<()> {
        self.alerts.expire_silence(id, intent).await
    }
}
