//! Where `ops` keeps incidents: a file of the state directory (one machine), or PostgreSQL
//! (`--incidents-url`: a team sharing one incident state), whose tables are created on first
//! use so commands that never touch incidents never need that database.

use async_trait::async_trait;
use mcp_ops_alerts::escalation::{
    Change, DeliveryStatus, EscalationStore, OutboxEntry, PgEscalationStore,
};
use mcp_ops_core::{Incident, IncidentId, Result};
use tokio::sync::OnceCell;

/// A [`PgEscalationStore`] that runs its idempotent migration before its first use.
#[derive(Debug)]
pub struct MigratedOnUse {
    store: PgEscalationStore,
    ready: OnceCell<()>,
}

impl MigratedOnUse {
    /// Wraps `store`; nothing is sent to the server yet.
    pub fn new(store: PgEscalationStore) -> Self {
        Self {
            store,
            ready: OnceCell::new(),
        }
    }

    async fn store(&self) -> Result<&PgEscalationStore> {
        self.ready.get_or_try_init(|| self.store.migrate()).await?;
        Ok(&self.store)
    }
}

#[async_trait]
impl EscalationStore for MigratedOnUse {
    async fn next_sequence(&self) -> Result<u64> {
        self.store().await?.next_sequence().await
    }

    async fn save(&self, incident: &Incident, outbox: &[OutboxEntry]) -> Result<()> {
        self.store().await?.save(incident, outbox).await
    }

    async fn modify(&self, id: &IncidentId, change: &Change<'_>) -> Result<Incident> {
        self.store().await?.modify(id, change).await
    }

    async fn incident(&self, id: &IncidentId) -> Result<Option<Incident>> {
        self.store().await?.incident(id).await
    }

    async fn incidents(&self) -> Result<Vec<Incident>> {
        self.store().await?.incidents().await
    }

    async fn pending(&self) -> Result<Vec<OutboxEntry>> {
        self.store().await?.pending().await
    }

    async fn set_status(&self, key: &str, status: DeliveryStatus) -> Result<()> {
        self.store().await?.set_status(key, status).await
    }

    async fn claim(&self, key: &str, attempts: u32, now: jiff::Timestamp) -> Result<bool> {
        self.store().await?.claim(key, attempts, now).await
    }

    async fn outbox(&self, incident: &IncidentId) -> Result<Vec<OutboxEntry>> {
        self.store().await?.outbox(incident).await
    }

    async fn prune(&self, before: jiff::Timestamp) -> Result<Vec<IncidentId>> {
        self.store().await?.prune(before).await
    }
}
