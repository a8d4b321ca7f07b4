//! Change requests and the journal in PostgreSQL (`--incidents-url`: shared by a team), their
//! tables created on first use so commands that never touch them never need that database.

use std::sync::Arc;

use async_trait::async_trait;
use mcp_ops_core::Result;
use mcp_ops_core::audit::{AuditDraft, AuditLog, AuditRecord, ChainReport};
use mcp_ops_core::change::{ChangeId, ChangeRequest, ChangeStore};
use mcp_ops_db::PgBackend;
use mcp_ops_db::pg::{PgAuditLog, PgChangeStore};
use tokio::sync::OnceCell;

/// The change store and the journal on `pg`'s pool; nothing is sent to the server yet.
pub fn stores(pg: &PgBackend) -> (Arc<dyn ChangeStore>, Arc<dyn AuditLog>) {
    (
        Arc::new(Migrated::new(PgChangeStore::new(pg.pool().clone()))),
        Arc::new(Migrated::new(PgAuditLog::new(pg.pool().clone()))),
    )
}

/// A table's owner with an idempotent migration.
trait Migrate {
    /// Creates the tables if they are missing.
    async fn migrate_tables(&self) -> Result<()>;
}

impl Migrate for PgChangeStore {
    async fn migrate_tables(&self) -> Result<()> {
        self.migrate().await
    }
}

impl Migrate for PgAuditLog {
    async fn migrate_tables(&self) -> Result<()> {
        self.migrate().await
    }
}

/// A [`PgChangeStore`] or [`PgAuditLog`] that runs its migration before its first use.
#[derive(Debug)]
struct Migrated<T> {
    inner: T,
    ready: OnceCell<()>,
}

impl<T: Migrate> Migrated<T> {
    fn new(inner: T) -> Self {
        Self {
            inner,
            ready: OnceCell::new(),
        }
    }

    async fn ready(&self) -> Result<&T> {
        self.ready
            .get_or_try_init(|| self.inner.migrate_tables())
            .await?;
        Ok(&self.inner)
    }
}

#[async_trait]
impl ChangeStore for Migrated<PgChangeStore> {
    async fn create(
        &self,
        year: i16,
        make: &(dyn Fn(ChangeId) -> Result<ChangeRequest> + Send + Sync),
    ) -> Result<ChangeRequest> {
        self.ready().await?.create(year, make).await
    }

    async fn get(&self, id: &ChangeId) -> Result<Option<ChangeRequest>> {
        self.ready().await?.get(id).await
    }

    async fn list(&self) -> Result<Vec<ChangeRequest>> {
        self.ready().await?.list().await
    }

    async fn modify(
        &self,
        id: &ChangeId,
        change: &(dyn Fn(ChangeRequest) -> Result<ChangeRequest> + Send + Sync),
    ) -> Result<ChangeRequest> {
        self.ready().await?.modify(id, change).await
    }
}

#[async_trait]
impl AuditLog for Migrated<PgAuditLog> {
    async fn append(&self, drafts: Vec<AuditDraft>) -> Result<Vec<AuditRecord>> {
        self.ready().await?.append(drafts).await
    }

    async fn records(&self) -> Result<Vec<AuditRecord>> {
        self.ready().await?.records().await
    }

    async fn verify(&self) -> Result<ChainReport> {
        self.ready().await?.verify().await
    }
}
