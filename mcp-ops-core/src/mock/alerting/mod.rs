//! [`MockAlerting`]: an in-memory escalation engine, alert store and metric source,
//! implementing `Escalator` and `HealthCheck` (metric targets), plus [`RecordingNotifier`],
//! a `Notifier` that records every message.
//!
//! Opening an incident notifies level 1 through the attached notifiers; `tick` escalates per
//! the [`EscalationPolicy`] (each level once); acknowledging stops escalation and sends
//! INCIDENT ACKNOWLEDGED once (the first acknowledgement only, never in a dry run); resolving
//! sends the resolution with its duration. Notifiers that fail do not stop the others: the
//! failure is recorded ([`MockAlerting::failed_deliveries`]) and retried on the next tick.
//! Messages of one incident reach one notifier in order: while one waits for its retry, the
//! later ones wait behind it (an acknowledgement never overtakes its detection).

mod escalator;
mod health;
mod notifier;
mod seed;
mod silences;

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard};

use jiff::Timestamp;

use crate::clock::SharedClock;
use crate::escalation::{Alert, AlertState, EscalationAction, EscalationPolicy, Silence};
use crate::health::MetricKind;
use crate::incident::{Incident, IncidentId};
use crate::mock::Faults;
use crate::notify::{Message, MessageKind, Notifier};

pub use notifier::RecordingNotifier;
pub use seed::MockAlertingBuilder;

/// The backend name the mock alerting reports.
pub(crate) const BACKEND: &str = "mock-alerting";

/// A message a notifier did not take.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FailedDelivery {
    /// The channel that failed (`slack`, `pagerduty`, `email`).
    pub channel: String,
    /// The incident the message was about.
    pub incident: IncidentId,
    /// Which template.
    pub kind: MessageKind,
    /// The error, as the notifier reported it.
    pub error: String,
    /// When it failed, on the mock's clock.
    pub at: Timestamp,
}

/// Everything the mock alerting holds.
#[derive(Debug, Default)]
pub(crate) struct AlertingState {
    pub incidents: Vec<Incident>,
    pub next_incident: u64,
    pub alerts: Vec<Alert>,
    pub silences: Vec<Silence>,
    pub next_silence: u64,
    pub metrics: HashMap<(String, MetricKind), f64>,
    /// Messages to send again on the next tick: (notifier index, message).
    pub retries: Vec<(usize, Message)>,
    pub failed: Vec<FailedDelivery>,
    pub escalations: Vec<EscalationAction>,
}

/// A stateful in-memory alerting system. Cheap to clone: clones share state.
#[derive(Clone)]
pub struct MockAlerting {
    state: Arc<Mutex<AlertingState>>,
    notifiers: Arc<[Arc<dyn Notifier>]>,
    faults: Faults,
    clock: SharedClock,
    policy: Arc<EscalationPolicy>,
}

impl fmt::Debug for MockAlerting {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let channels: Vec<&str> = self.notifiers.iter().map(|n| n.channel()).collect();
        f.debug_struct("MockAlerting")
            .field("notifiers", &channels)
            .field("policy", &self.policy)
            .field("clock", &self.clock)
            .finish_non_exhaustive()
    }
}

impl MockAlerting {
    /// A builder with the runbook's escalation policy and no notifiers.
    ///
    /// # Example
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)]
    /// # async fn main() -> mcp_ops_core::Result<()> {
    /// use std::sync::Arc;
    /// use mcp_ops_core::mock::{MockAlerting, RecordingNotifier};
    /// use mcp_ops_core::{Escalator, Intent, NewIncident, Severity};
    ///
    /// let slack = RecordingNotifier::slack();
    /// let alerting = MockAlerting::builder().notifier(Arc::new(slack.clone())).build();
    /// let new = NewIncident {
    ///     title: "Database unreachable".into(),
    ///     severity: Severity::P0,
    ///     service: "MCP Production".into(),
    ///     impact: "Every request fails".into(),
    ///     investigating: "@ops-team".into(),
    /// };
    /// alerting.open(&new, &Intent::new("pg_isready: no response", "ops-bot")?).await?;
    /// assert_eq!(slack.messages().len(), 1); // INCIDENT DETECTED
    /// # Ok(())
    /// # }
    /// ```
    pub fn builder() -> MockAlertingBuilder {
        MockAlertingBuilder::new()
    }

    /// The runbook's alerting on the default clock ([`TokioClock::wall`](crate::TokioClock::wall)):
    /// the runbook's escalation policy, healthy metrics for the three deployments, no notifiers
    /// (attach [`RecordingNotifier`]s with [`MockAlerting::builder`]).
    pub fn runbook() -> Self {
        MockAlertingBuilder::runbook().build()
    }

    pub(crate) fn lock(&self) -> MutexGuard<'_, AlertingState> {
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    pub(crate) fn now(&self) -> Timestamp {
        self.clock.now()
    }

    /// The call recorder and fault injector of this alerting system.
    pub fn faults(&self) -> &Faults {
        &self.faults
    }

    /// The clock incidents are timed with.
    pub fn clock(&self) -> &SharedClock {
        &self.clock
    }

    /// The escalation policy.
    pub fn policy(&self) -> &EscalationPolicy {
        &self.policy
    }

    /// Sets the value of a service's metric; `None` means no data.
    pub fn set_metric(&self, service: &str, metric: MetricKind, value: Option<f64>) {
        let mut s = self.lock();
        let key = (service.to_owned(), metric);
        match value {
            Some(v) => s.metrics.insert(key, v),
            None => s.metrics.remove(&key),
        };
    }

    /// Fires an alert with `labels` and `annotations`, starting now (state computed from the
    /// silences when listed).
    pub fn fire_alert(
        &self,
        labels: std::collections::BTreeMap<String, String>,
        annotations: std::collections::BTreeMap<String, String>,
    ) {
        let starts_at = self.now();
        self.lock().alerts.push(Alert {
            labels,
            annotations,
            starts_at,
            state: AlertState::Active,
        });
    }

    /// Removes every firing alert.
    pub fn clear_alerts(&self) {
        self.lock().alerts.clear();
    }

    /// Every delivery that failed so far, oldest first (a retried message that fails again
    /// appears again).
    pub fn failed_deliveries(&self) -> Vec<FailedDelivery> {
        self.lock().failed.clone()
    }

    /// How many messages wait for the next tick: failed ones, and those held behind a failed
    /// message of the same incident on the same notifier.
    pub fn pending_retries(&self) -> usize {
        self.lock().retries.len()
    }

    /// Every escalation done so far (level 1 on open included), oldest first.
    pub fn escalations(&self) -> Vec<EscalationAction> {
        self.lock().escalations.clone()
    }

    /// Sends `message` through every notifier that accepts its severity; failures are
    /// recorded and queued for the next tick.
    pub(crate) async fn dispatch(&self, message: Message) {
        for index in 0..self.notifiers.len() {
            let accepts = self
                .notifiers
                .get(index)
                .is_some_and(|n| n.accepts(message.severity));
            if accepts {
                self.deliver(index, message.clone()).await;
            }
        }
    }

    /// Sends once through notifier `index`; on failure records it and queues a retry. A
    /// message whose incident already has one queued for this notifier waits behind it.
    async fn deliver(&self, index: usize, message: Message) {
        let Some(notifier) = self.notifiers.get(index).cloned() else {
            return;
        };
        {
            let mut s = self.lock();
            if s.retries
                .iter()
                .any(|(i, m)| *i == index && m.incident == message.incident)
            {
                s.retries.push((index, message));
                return;
            }
        }
        if let Err(e) = notifier.send(&message).await {
            let at = self.now();
            let mut s = self.lock();
            s.failed.push(FailedDelivery {
                channel: notifier.channel().to_owned(),
                incident: message.incident.clone(),
                kind: message.kind,
                error: e.to_string(),
                at,
            });
            s.retries.push((index, message));
        }
    }

    /// Sends every queued message again, once, in the order queued.
    pub(crate) async fn retry_failed(&self) {
        let queued = std::mem::take(&mut self.lock().retries);
        for (index, message) in queued {
            self.deliver(index, message).await;
        }
    }
}

impl Default for MockAlerting {
    /// [`MockAlerting::runbook`].
    fn default() -> Self {
        Self::runbook()
    }
}
