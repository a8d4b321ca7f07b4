//! The escalation engine: implements `mcp_ops_core::Escalator` over an [`EscalationStore`],
//! a set of notifiers, an [`EscalationPolicy`], [`Contacts`] and a replaceable clock.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use jiff::Timestamp;
use mcp_ops_core::escalation::{Alert, AlertFilter, EscalationAction, Silence, SilenceRequest};
use mcp_ops_core::incident::{IncidentState, IncidentUpdate};
use mcp_ops_core::notify::{
    Message, render_acknowledged, render_detected, render_resolved, render_update,
};
use mcp_ops_core::{
    Error, EscalationPolicy, Escalator, Incident, IncidentId, Intent, NewIncident, Notifier,
    Result, SharedClock,
};

use super::contacts::Contacts;
use super::store::{Change, DeliveryStatus, EscalationStore, OutboxEntry};
use crate::alertmanager::AlertmanagerClient;

const BACKEND: &str = "mcp-ops-alerts";

/// Runs incidents: notifies level 1 on open, escalates by elapsed time on [`Escalator::tick`],
/// stops on acknowledgement and tells every channel who acknowledged (PagerDuty receives an
/// Events v2 `acknowledge` with the trigger's dedup key, so it stops paging), sends the
/// resolution with its duration. Notifications go through the store's outbox: a failing
/// notifier is recorded and retried on later ticks and never stops the others.
pub struct EscalationEngine {
    pub(crate) store: Arc<dyn EscalationStore>,
    pub(crate) notifiers: Vec<Arc<dyn Notifier>>,
    pub(crate) policy: EscalationPolicy,
    contacts: Contacts,
    pub(crate) clock: SharedClock,
    pub(crate) alertmanager: Option<AlertmanagerClient>,
    pub(crate) max_attempts: u32,
    serial: tokio::sync::Mutex<()>,
}

impl std::fmt::Debug for EscalationEngine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let channels: Vec<&str> = self.notifiers.iter().map(|n| n.channel()).collect();
        f.debug_struct("EscalationEngine")
            .field("store", &self.store)
            .field("channels", &channels)
            .field("policy", &self.policy)
            .field("max_attempts", &self.max_attempts)
            .finish_non_exhaustive()
    }
}

impl EscalationEngine {
    /// An engine over `store` with the runbook's policy and contacts and no notifier yet.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> mcp_ops_core::Result<()> {
    /// use std::sync::Arc;
    /// use mcp_ops_alerts::escalation::{EscalationEngine, InMemoryStore};
    /// use mcp_ops_core::{Escalator, Intent, NewIncident, Severity, SystemClock};
    ///
    /// let engine = EscalationEngine::new(Arc::new(InMemoryStore::new()), Arc::new(SystemClock));
    /// let incident = NewIncident {
    ///     title: "High error rate".into(),
    ///     severity: Severity::P1,
    ///     service: "MCP Production".into(),
    ///     impact: "15 % of API requests fail".into(),
    ///     investigating: "@ops-team".into(),
    /// };
    /// let opened = engine.open(&incident, &Intent::new("alert fired", "ops-bot")?).await?;
    /// assert_eq!(engine.open_incidents().await?.len(), 1);
    /// engine.acknowledge(&opened.id, &Intent::new("on it", "alice")?).await?;
    /// # Ok(()) }
    /// ```
    #[must_use]
    pub fn new(store: Arc<dyn EscalationStore>, clock: SharedClock) -> Self {
        Self {
            store,
            notifiers: Vec::new(),
            policy: EscalationPolicy::default(),
            contacts: Contacts::default(),
            clock,
            alertmanager: None,
            max_attempts: 5,
            serial: tokio::sync::Mutex::new(()),
        }
    }

    /// Adds a notifier; it receives the messages whose severity it accepts.
    #[must_use]
    pub fn with_notifier(mut self, notifier: Arc<dyn Notifier>) -> Self {
        self.notifiers.push(notifier);
        self
    }

    /// Replaces the escalation policy.
    #[must_use]
    pub fn with_policy(mut self, policy: EscalationPolicy) -> Self {
        self.policy = policy;
        self
    }

    /// Replaces the contacts.
    #[must_use]
    pub fn with_contacts(mut self, contacts: Contacts) -> Self {
        self.contacts = contacts;
        self
    }

    /// Uses Alertmanager for alerts and silences.
    #[must_use]
    pub fn with_alertmanager(mut self, client: AlertmanagerClient) -> Self {
        self.alertmanager = Some(client);
        self
    }

    /// Attempts per message before giving up (default 5, at least 1).
    #[must_use]
    pub fn with_max_attempts(mut self, n: u32) -> Self {
        self.max_attempts = n.max(1);
        self
    }

    /// The outbox of one incident (what was sent, what failed, what is pending).
    ///
    /// # Errors
    /// Store errors.
    pub async fn outbox(&self, id: &IncidentId) -> Result<Vec<OutboxEntry>> {
        self.store.outbox(id).await
    }

    /// Forgets incidents resolved before `before` whose messages are all delivered, with
    /// their outbox (see [`EscalationStore::prune`]); returns their ids.
    ///
    /// # Errors
    /// Store errors.
    pub async fn prune(&self, before: Timestamp) -> Result<Vec<IncidentId>> {
        let _serial = self.serial.lock().await;
        self.store.prune(before).await
    }

    /// Ticks every `every` on the engine's clock until `stop` completes.
    ///
    /// # Errors
    /// The first store error of a tick.
    pub async fn run(
        &self,
        every: Duration,
        stop: impl std::future::Future<Output = ()>,
    ) -> Result<()> {
        tokio::pin!(stop);
        loop {
            self.tick(self.clock.now()).await?;
            tokio::select! {
                () = &mut stop => return Ok(()),
                () = self.clock.sleep(every) => {}
            }
        }
    }

    pub(crate) fn entries(
        &self,
        incident: &Incident,
        event: &str,
        message: &Message,
        now: Timestamp,
    ) -> Vec<OutboxEntry> {
        self.notifiers
            .iter()
            .filter(|n| n.accepts(incident.severity))
            .map(|n| OutboxEntry {
                key: format!("{}/{event}/{}", incident.id, n.channel()),
                incident: incident.id.clone(),
                channel: n.channel().to_owned(),
                message: message.clone(),
                created_at: now,
                status: DeliveryStatus::Pending {
                    attempts: 0,
                    last_error: None,
                },
            })
            .collect()
    }

    async fn load(&self, id: &IncidentId) -> Result<Incident> {
        self.store
            .incident(id)
            .await?
            .ok_or_else(|| Error::not_found("incident", id.as_str()))
    }

    pub(crate) fn recipients(
        &self,
        levels: &[&mcp_ops_core::escalation::EscalationLevel],
        now: Timestamp,
    ) -> Vec<String> {
        let targets: Vec<String> = levels
            .iter()
            .flat_map(|l| l.targets.iter().cloned())
            .collect();
        self.contacts.resolve_all(&targets, now)
    }

    /// Applies `change` to incident `id` atomically in the store, then delivers what it
    /// queued; a dry run applies it to the stored incident and writes nothing.
    pub(crate) async fn change(
        &self,
        id: &IncidentId,
        intent: &Intent,
        change: &Change<'_>,
    ) -> Result<Incident> {
        if intent.is_dry_run() {
            let current = self.load(id).await?;
            return Ok(change(current.clone())?.map_or(current, |(i, _)| i));
        }
        let incident = self.store.modify(id, change).await?;
        self.deliver_pending().await?;
        Ok(incident)
    }

    pub(crate) fn check_not_resolved(incident: &Incident) -> Result<()> {
        if incident.is_resolved() {
            return Err(Error::conflict(
                format!("incident {}", incident.id),
                "already resolved",
            ));
        }
        Ok(())
    }
}

#[async_trait]
impl Escalator for EscalationEngine {
    fn backend(&self) -> &'static str {
        BACKEND
    }

    async fn open(&self, new: &NewIncident, intent: &Intent) -> Result<Incident> {
        new.validate()?;
        let _serial = self.serial.lock().await;
        let now = self.clock.now();
        let seq = if intent.is_dry_run() {
            0
        } else {
            self.store.next_sequence().await?
        };
        let id = IncidentId::new(format!("INC-{}-{seq:04}", now.strftime("%Y%m%d-%H%M%S")))?;
        let mut incident = Incident {
            id,
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
        let due = self.policy.due(&incident, now);
        let mut message = render_detected(&incident);
        if let Some(top) = due.iter().map(|l| l.level).max() {
            message.level = Some(top);
            message.recipients = self.recipients(&due, now);
            incident.level = top;
        }
        if intent.is_dry_run() {
            return Ok(incident);
        }
        let entries = self.entries(&incident, "detected", &message, now);
        self.store.save(&incident, &entries).await?;
        tracing::info!(incident = %incident.id, severity = %incident.severity, "incident opened");
        self.deliver_pending().await?;
        Ok(incident)
    }

    async fn incident(&self, id: &IncidentId) -> Result<Incident> {
        self.load(id).await
    }

    async fn open_incidents(&self) -> Result<Vec<Incident>> {
        Ok(self
            .store
            .incidents()
            .await?
            .into_iter()
            .filter(|i| !i.is_resolved())
            .collect())
    }

    async fn update(
        &self,
        id: &IncidentId,
        update: &IncidentUpdate,
        intent: &Intent,
    ) -> Result<Incident> {
        update.validate()?;
        let _serial = self.serial.lock().await;
        let now = self.clock.now();
        let change = |mut incident: Incident| {
            Self::check_not_resolved(&incident)?;
            incident.updates.push((now, update.clone()));
            let message = render_update(&incident, update);
            let event = format!("update-{}", incident.updates.len());
            let entries = self.entries(&incident, &event, &message, now);
            Ok(Some((incident, entries)))
        };
        self.change(id, intent, &change).await
    }

    /// Acknowledges an escalating incident: the state change and one INCIDENT ACKNOWLEDGED
    /// per accepting channel (key `<incident>/acknowledged/<channel>`) are saved together,
    /// then delivered like every other message. An incident already acknowledged is returned
    /// unchanged and nothing is sent again; a dry run sends nothing.
    async fn acknowledge(&self, id: &IncidentId, intent: &Intent) -> Result<Incident> {
        mcp_ops_core::incident::validate_actor(intent.actor())?;
        let _serial = self.serial.lock().await;
        let now = self.clock.now();
        let change = |mut incident: Incident| {
            Self::check_not_resolved(&incident)?;
            if !incident.escalates() {
                return Ok(None);
            }
            incident.state = IncidentState::Acknowledged {
                by: intent.actor().to_owned(),
                at: now,
            };
            let message = render_acknowledged(&incident, intent.actor(), now);
            let entries = self.entries(&incident, "acknowledged", &message, now);
            Ok(Some((incident, entries)))
        };
        let incident = self.change(id, intent, &change).await?;
        tracing::info!(incident = %incident.id, by = intent.actor(), "incident acknowledged");
        Ok(incident)
    }

    async fn resolve(
        &self,
        id: &IncidentId,
        resolution: &str,
        intent: &Intent,
    ) -> Result<Incident> {
        mcp_ops_core::incident::validate_resolution(resolution)?;
        let _serial = self.serial.lock().await;
        let now = self.clock.now();
        let change = |mut incident: Incident| {
            Self::check_not_resolved(&incident)?;
            incident.state = IncidentState::Resolved {
                at: now,
                resolution: resolution.to_owned(),
            };
            let message = render_resolved(&incident, resolution, now);
            let entries = self.entries(&incident, "resolved", &message, now);
            Ok(Some((incident, entries)))
        };
        let incident = self.change(id, intent, &change).await?;
        tracing::info!(incident = %incident.id, "incident resolved");
        Ok(incident)
    }

    async fn tick(&self, now: Timestamp) -> Result<Vec<EscalationAction>> {
        let _serial = self.serial.lock().await;
        self.escalate(now).await
    }

    async fn alerts(&self, filter: &AlertFilter) -> Result<Vec<Alert>> {
        self.am_alerts(filter).await
    }

    async fn silence(&self, request: &SilenceRequest, intent: &Intent) -> Result<Silence> {
        self.am_silence(request, intent).await
    }

    async fn silences(&self) -> Result<Vec<Silence>> {
        self.am_silences().await
    }

    async fn expire_silence(&self, id: &str, intent: &Intent) -> Result<()> {
        self.am_expire(id, intent).await
    }
}
