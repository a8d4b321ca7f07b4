//! One [`Escalator`] over two: incidents to one backend (an escalation engine whose state
//! outlives the process), alerts and silences to another (Alertmanager).

use std::sync::Arc;

use async_trait::async_trait;

use crate::escalation::{Alert, AlertFilter, EscalationAction, Escalator, Silence, SilenceRequest};
use crate::incident::{Incident, IncidentId, IncidentUpdate, NewIncident};
use crate::{Intent, Result};

/// Routes the incident half of [`Escalator`] to `incidents`, the alert half to `alerts`.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// use std::sync::Arc;
/// use mcp_ops_core::backends::{EscalatorRouter, NotConfigured};
/// use mcp_ops_core::Escalator;
///
/// let router = EscalatorRouter {
///     incidents: Arc::new(NotConfigured::setting("incidents.store")),
///     alerts: Arc::new(NotConfigured::ALERTMANAGER),
/// };
/// let err = router.silences().await.unwrap_err();
/// assert!(err.to_string().contains("--alertmanager-url"));
/// let err = router.open_incidents().await.unwrap_err();
/// assert!(err.to_string().contains("incidents.store"));
/// # }
/// ```
#[derive(Clone)]
pub struct EscalatorRouter {
    /// Incidents: open, update, acknowledge, resolve, tick.
    pub incidents: Arc<dyn Escalator>,
    /// Alerts and silences.
    pub alerts: Arc<dyn Escalator>,
}

impl std::fmt::Debug for EscalatorRouter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EscalatorRouter")
            .field("incidents", &self.incidents.backend())
            .field("alerts", &self.alerts.backend())
            .finish()
    }
}

#[async_trait]
impl Escalator for EscalatorRouter {
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
