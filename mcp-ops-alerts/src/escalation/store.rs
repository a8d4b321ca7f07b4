//! Where the escalation engine keeps incidents and its outbox of notifications.
//!
//! The engine writes an incident together with the messages it decided to send (one outbox
//! entry per channel) in one [`EscalationStore::save`], then delivers pending entries and
//! records each outcome. A restarted engine therefore neither repeats a level (the level is
//! stored with the incident) nor loses a message (undelivered entries stay pending).

use std::collections::BTreeMap;
use std::sync::Mutex;

use async_trait::async_trait;
use jiff::Timestamp;
use mcp_ops_core::incident::IncidentState;
use mcp_ops_core::notify::Message;
use mcp_ops_core::{Error, Incident, IncidentId, Result};
use serde::{Deserialize, Serialize};

/// Where an outbox entry stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum DeliveryStatus {
    /// Not delivered yet (never tried, or failed and to be retried).
    Pending {
        /// Attempts so far.
        attempts: u32,
        /// The last failure, free of secrets.
        last_error: Option<String>,
    },
    /// Delivered.
    Sent {
        /// When.
        at: Timestamp,
        /// The channel's reference (dedup key, queue id).
        reference: Option<String>,
        /// Attempts it took.
        attempts: u32,
    },
    /// Failed too often; not retried any more.
    GaveUp {
        /// Attempts made.
        attempts: u32,
        /// The last failure.
        last_error: String,
    },
}

/// One message for one channel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutboxEntry {
    /// Unique key: `<incident>/<event>/<channel>`; saving an existing key again is a no-op.
    pub key: String,
    /// The incident.
    pub incident: IncidentId,
    /// The notifier's channel (`slack`, `pagerduty`, `email`).
    pub channel: String,
    /// The message.
    pub message: Message,
    /// When it was queued.
    pub created_at: Timestamp,
    /// Delivery state.
    pub status: DeliveryStatus,
}

impl OutboxEntry {
    /// Whether it still has to be delivered.
    #[must_use]
    pub fn is_pending(&self) -> bool {
        matches!(self.status, DeliveryStatus::Pending { .. })
    }
}

/// Persistent state of the escalation engine.
#[async_trait]
pub trait EscalationStore: Send + Sync + std::fmt::Debug {
    /// A new number, never returned before by this store (for incident ids).
    ///
    /// # Errors
    /// Backend errors.
    async fn next_sequence(&self) -> Result<u64>;

    /// Inserts or replaces `incident` and queues the entries of `outbox` whose key is new,
    /// as one atomic change.
    ///
    /// # Errors
    /// Backend errors.
    async fn save(&self, incident: &Incident, outbox: &[OutboxEntry]) -> Result<()>;

    /// One incident.
    ///
    /// # Errors
    /// Backend errors (an unknown id is `Ok(None)`).
    async fn incident(&self, id: &IncidentId) -> Result<Option<Incident>>;

    /// All incidents, oldest first.
    ///
    /// # Errors
    /// Backend errors.
    async fn incidents(&self) -> Result<Vec<Incident>>;

    /// Entries still to deliver, oldest first.
    ///
    /// # Errors
    /// Backend errors.
    async fn pending(&self) -> Result<Vec<OutboxEntry>>;

    /// Records the outcome of a delivery attempt.
    ///
    /// # Errors
    /// [`Error::NotFound`] for an unknown key; backend errors.
    async fn set_status(&self, key: &str, status: DeliveryStatus) -> Result<()>;

    /// All entries of one incident, oldest first.
    ///
    /// # Errors
    /// Backend errors.
    async fn outbox(&self, incident: &IncidentId) -> Result<Vec<OutboxEntry>>;

    /// Forgets the incidents resolved before `before` whose messages are all delivered (or
    /// given up on), with their outbox entries, so the state does not grow forever; returns
    /// their ids. Open and acknowledged incidents, and those with a message still pending,
    /// are kept.
    ///
    /// # Errors
    /// Backend errors.
    async fn prune(&self, before: Timestamp) -> Result<Vec<IncidentId>>;
}

/// The ids of `incidents` that [`EscalationStore::prune`] may forget.
pub(crate) fn prunable<'a>(
    incidents: impl IntoIterator<Item = &'a Incident>,
    outbox: &[OutboxEntry],
    before: Timestamp,
) -> Vec<IncidentId> {
    incidents
        .into_iter()
        .filter(|i| matches!(&i.state, IncidentState::Resolved { at, .. } if *at < before))
        .filter(|i| !outbox.iter().any(|e| e.incident == i.id && e.is_pending()))
        .map(|i| i.id.clone())
        .collect()
}

#[derive(Debug, Default)]
struct State {
    sequence: u64,
    incidents: BTreeMap<IncidentId, Incident>,
    order: Vec<IncidentId>,
    outbox: Vec<OutboxEntry>,
}

/// An in-memory [`EscalationStore`] (tests, single-process tools). Share it through an
/// `Arc` to "restart" an engine over the same state.
#[derive(Debug, Default)]
pub struct InMemoryStore {
    state: Mutex<State>,
}

impl InMemoryStore {
    /// An empty store.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    fn with<T>(&self, f: impl FnOnce(&mut State) -> Result<T>) -> Result<T> {
        let mut guard = self
            .state
            .lock()
            .map_err(|_| Error::backend("memory-store", "state lock poisoned", false))?;
        f(&mut guard)
    }
}

#[async_trait]
impl EscalationStore for InMemoryStore {
    async fn next_sequence(&self) -> Result<u64> {
        self.with(|s| {
            s.sequence += 1;
            Ok(s.sequence)
        })
    }

    async fn save(&self, incident: &Incident, outbox: &[OutboxEntry]) -> Result<()> {
        self.with(|s| {
            if s.incidents
                .insert(incident.id.clone(), incident.clone())
                .is_none()
            {
                s.order.push(incident.id.clone());
            }
            for e in outbox {
                if !s.outbox.iter().any(|x| x.key == e.key) {
                    s.outbox.push(e.clone());
                }
            }
            Ok(())
        })
    }

    async fn incident(&self, id: &IncidentId) -> Result<Option<Incident>> {
        self.with(|s| Ok(s.incidents.get(id).cloned()))
    }

    async fn incidents(&self) -> Result<Vec<Incident>> {
        self.with(|s| {
            Ok(s.order
                .iter()
                .filter_map(|id| s.incidents.get(id).cloned())
                .collect())
        })
    }

    async fn pending(&self) -> Result<Vec<OutboxEntry>> {
        self.with(|s| {
            Ok(s.outbox
                .iter()
                .filter(|e| e.is_pending())
                .cloned()
                .collect())
        })
    }

    async fn set_status(&self, key: &str, status: DeliveryStatus) -> Result<()> {
        self.with(|s| {
            let e = s
                .outbox
                .iter_mut()
                .find(|e| e.key == key)
                .ok_or_else(|| Error::not_found("outbox entry", key))?;
            e.status = status;
            Ok(())
        })
    }

    async fn outbox(&self, incident: &IncidentId) -> Result<Vec<OutboxEntry>> {
        self.with(|s| {
            Ok(s.outbox
                .iter()
                .filter(|e| &e.incident == incident)
                .cloned()
                .collect())
        })
    }

    async fn prune(&self, before: Timestamp) -> Result<Vec<IncidentId>> {
        self.with(|s| {
            let gone = prunable(s.incidents.values(), &s.outbox, before);
            for id in &gone {
                s.incidents.remove(id);
            }
            s.order.retain(|id| !gone.contains(id));
            s.outbox.retain(|e| !gone.contains(&e.incident));
            Ok(gone)
        })
    }
}
