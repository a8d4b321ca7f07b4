//! Where the escalation engine keeps incidents and its outbox of notifications.
//!
//! The engine writes an incident together with the messages it decided to send (one outbox
//! entry per channel) in one [`EscalationStore::save`], then delivers pending entries and
//! records each outcome. A restarted engine therefore neither repeats a level (the level is
//! stored with the incident) nor loses a message (undelivered entries stay pending).

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

    /// Whether its attempts are exhausted (a dead letter: kept, shown, retried by a tick).
    #[must_use]
    pub fn is_dead(&self) -> bool {
        matches!(self.status, DeliveryStatus::GaveUp { .. })
    }

    /// Whether it was delivered.
    #[must_use]
    pub fn is_sent(&self) -> bool {
        matches!(self.status, DeliveryStatus::Sent { .. })
    }

    /// The event part of its key (`detected`, `update-2`, `level-2` …).
    #[must_use]
    pub fn event(&self) -> &str {
        let rest = self
            .key
            .strip_prefix(self.incident.as_str())
            .and_then(|r| r.strip_prefix('/'))
            .unwrap_or(&self.key);
        rest.rsplit_once('/').map_or(rest, |(event, _)| event)
    }
}

/// A change of one incident decided from its current stored value: `Ok(None)` changes
/// nothing; `Ok(Some((incident, outbox)))` stores `incident` and queues `outbox` like
/// [`EscalationStore::save`]. It may be called more than once (a store retries after a
/// serialization failure), so it must not have side effects of its own.
pub type Change<'a> =
    dyn Fn(Incident) -> Result<Option<(Incident, Vec<OutboxEntry>)>> + Send + Sync + 'a;

/// Persistent state of the escalation engine.
///
/// Every change of an existing incident goes through [`EscalationStore::modify`], which
/// reads, decides and writes as one atomic step: concurrent processes changing the same
/// incident (50 `ops incident update` at once) each see the others' writes and none is lost.
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

    /// Reads incident `id`, applies `change` to it and stores the result, atomically with
    /// respect to every other change through any store value over the same state (file:
    /// under the exclusive lock; PostgreSQL: in one transaction holding the row lock).
    /// Returns the incident as stored afterwards.
    ///
    /// # Errors
    /// [`Error::NotFound`] for an unknown id; the error of `change` (nothing is written);
    /// backend errors.
    async fn modify(&self, id: &IncidentId, change: &Change<'_>) -> Result<Incident>;

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

    /// Records the outcome of a delivery attempt. A `Sent` entry stays sent: an outcome
    /// recorded later by a slower, concurrent attempt does not turn it back into pending.
    ///
    /// # Errors
    /// [`Error::NotFound`] for an unknown key; backend errors.
    async fn set_status(&self, key: &str, status: DeliveryStatus) -> Result<()>;

    /// Claims the next delivery attempt of entry `key` at `now`: when it is still pending
    /// after exactly `attempts` attempts and no attempt is under way (one started less than
    /// two minutes ago), records attempt `attempts + 1` as under way and returns `true`;
    /// otherwise (sent, given up, or another process claimed it first) changes nothing and
    /// returns `false`. Two processes delivering the same outbox at once thus
    /// never send one attempt twice; an attempt whose process died counts as failed.
    ///
    /// # Errors
    /// [`Error::NotFound`] for an unknown key; backend errors.
    async fn claim(&self, key: &str, attempts: u32, now: Timestamp) -> Result<bool>;

    /// All entries of one incident, oldest first.
    ///
    /// # Errors
    /// Backend errors.
    async fn outbox(&self, incident: &IncidentId) -> Result<Vec<OutboxEntry>>;

    /// Every entry that no attempt will retry on its own any more ([`DeliveryStatus::GaveUp`]),
    /// oldest incident first: the dead letters `ops incident list` shows and
    /// `ops incident tick` tries again.
    ///
    /// # Errors
    /// Backend errors.
    async fn dead_letters(&self) -> Result<Vec<OutboxEntry>> {
        let mut out = Vec::new();
        for incident in self.incidents().await? {
            out.extend(
                self.outbox(&incident.id)
                    .await?
                    .into_iter()
                    .filter(OutboxEntry::is_dead),
            );
        }
        Ok(out)
    }

    /// Forgets the incidents resolved before `before` whose messages are all delivered (or
    /// given up on), with their outbox entries, so the state does not grow forever; returns
    /// their ids. Open and acknowledged incidents, and those with a message still pending,
    /// are kept.
    ///
    /// # Errors
    /// Backend errors.
    async fn prune(&self, before: Timestamp) -> Result<Vec<IncidentId>>;
}

/// The status to store when `new` is recorded over `current`: a sent entry stays sent.
pub(crate) fn settle(current: &DeliveryStatus, new: DeliveryStatus) -> DeliveryStatus {
    match current {
        DeliveryStatus::Sent { .. } => current.clone(),
        _ => new,
    }
}

/// The outbox entry `key` of `outbox`.
fn entry<'a>(outbox: &'a mut [OutboxEntry], key: &str) -> Result<&'a mut OutboxEntry> {
    outbox
        .iter_mut()
        .find(|e| e.key == key)
        .ok_or_else(|| Error::not_found("outbox entry", key))
}

/// [`EscalationStore::set_status`] on an outbox held in memory (a sent entry stays sent).
pub(crate) fn settle_entry(
    outbox: &mut [OutboxEntry],
    key: &str,
    status: DeliveryStatus,
) -> Result<()> {
    let e = entry(outbox, key)?;
    e.status = settle(&e.status, status);
    Ok(())
}

/// [`EscalationStore::claim`] on an outbox held in memory.
pub(crate) fn claim_entry(
    outbox: &mut [OutboxEntry],
    key: &str,
    attempts: u32,
    now: Timestamp,
) -> Result<bool> {
    let e = entry(outbox, key)?;
    Ok(match claimed(&e.status, attempts, now) {
        Some(status) => {
            e.status = status;
            true
        }
        None => false,
    })
}

/// How `last_error` marks an attempt under way (followed by its start time).
const IN_FLIGHT: &str = "attempt started at ";

/// How long an attempt under way keeps others off its entry: longer than any notifier's
/// timeout, so only a process that died leaves an entry locked that long.
const LEASE: std::time::Duration = std::time::Duration::from_secs(120);

/// The status a successful [`EscalationStore::claim`] at `now` records, or `None` when the
/// entry is not pending after exactly `attempts` attempts or another attempt is under way.
pub(crate) fn claimed(
    current: &DeliveryStatus,
    attempts: u32,
    now: Timestamp,
) -> Option<DeliveryStatus> {
    let DeliveryStatus::Pending {
        attempts: n,
        last_error,
    } = current
    else {
        return None;
    };
    let started = last_error
        .as_deref()
        .and_then(|e| e.strip_prefix(IN_FLIGHT))
        .and_then(|rest| rest.split(',').next())
        .and_then(|t| t.parse::<Timestamp>().ok());
    if started.is_some_and(|t| mcp_ops_core::clock::elapsed_between(t, now) < LEASE) {
        return None;
    }
    (*n == attempts).then(|| DeliveryStatus::Pending {
        attempts: attempts + 1,
        last_error: Some(format!("{IN_FLIGHT}{now}, outcome unknown")),
    })
}

/// Saves `incident` and queues the entries of `outbox` whose key is new into `incidents` and
/// `queue` (the in-memory and file stores' [`EscalationStore::save`]); `true` when the
/// incident is new.
pub(crate) fn save_into(
    incidents: &mut Vec<Incident>,
    queue: &mut Vec<OutboxEntry>,
    incident: &Incident,
    outbox: &[OutboxEntry],
) {
    match incidents.iter_mut().find(|i| i.id == incident.id) {
        Some(existing) => *existing = incident.clone(),
        None => incidents.push(incident.clone()),
    }
    for e in outbox {
        if !queue.iter().any(|x| x.key == e.key) {
            queue.push(e.clone());
        }
    }
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
    incidents: Vec<Incident>,
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
            save_into(&mut s.incidents, &mut s.outbox, incident, outbox);
            Ok(())
        })
    }

    async fn modify(&self, id: &IncidentId, change: &Change<'_>) -> Result<Incident> {
        self.with(|s| {
            let current = s
                .incidents
                .iter()
                .find(|i| &i.id == id)
                .cloned()
                .ok_or_else(|| Error::not_found("incident", id.as_str()))?;
            match change(current.clone())? {
                None => Ok(current),
                Some((incident, outbox)) => {
                    save_into(&mut s.incidents, &mut s.outbox, &incident, &outbox);
                    Ok(incident)
                }
            }
        })
    }

    async fn incident(&self, id: &IncidentId) -> Result<Option<Incident>> {
        self.with(|s| Ok(s.incidents.iter().find(|i| &i.id == id).cloned()))
    }

    async fn incidents(&self) -> Result<Vec<Incident>> {
        self.with(|s| Ok(s.incidents.clone()))
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
        self.with(|s| settle_entry(&mut s.outbox, key, status))
    }

    async fn claim(&self, key: &str, attempts: u32, now: Timestamp) -> Result<bool> {
        self.with(|s| claim_entry(&mut s.outbox, key, attempts, now))
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
            let gone = prunable(&s.incidents, &s.outbox, before);
            s.incidents.retain(|i| !gone.contains(&i.id));
            s.outbox.retain(|e| !gone.contains(&e.incident));
            Ok(gone)
        })
    }
}
