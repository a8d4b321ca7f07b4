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
        Arc::new(Changes {
            store: PgChangeStore::new(pg.pool().clone()),
            ready: OnceCell::new(),
        }),
        Arc::new(Journal {
            log: PgAuditLog::new(pg.pool().clone()),
            ready: OnceCell::new(),
        }),
    )
}

/// A [`PgChangeStore`] that runs its idempotent migration before its first use.
#[derive(Debug)]
struct Changes {
    store: PgChangeStore,
    ready: OnceCell<()>,
}

impl Changes {
    async fn store(&self) -> Result<&PgChangeStore> {
        self.ready.get_or_try_init(|| self.store.migrate()).await?;
        Ok(&self.store)
    }
}

#[async_trait]
impl ChangeStore for Changes {
    async fn create(
        &self,
        year: i16,
        make: &(dyn Fn(ChangeId) -> Result<ChangeRequest> + Send + Sync),
    ) -> Result<ChangeRequest> {
        self.store().await?.create(year, make).await
    }

    async fn get(&self, id: &ChangeId) -> Result<Option<ChangeRequest>> {
        self.store().await?.get(id).await
    }

    async fn list(&self) -> Result<Vec<ChangeRequest>> {
        self.store().await?.list().await
    }

    async fn modify(
        &self,
        id: &ChangeId,
        change: &(dyn Fn(ChangeRequest) -> Result<ChangeRequest> + Send + Sync),
    ) -> Result<ChangeRequest> {
        self.store().await?.modify(id, change).await
    }
}

/// A [`PgAuditLog`] that runs its idempotent migration before its first use.
#[derive(Debug)]
struct Journal {
    log: PgAuditLog,
    ready: OnceCell<()>,
}

impl Journal {
    async fn log(&self) -> Result<&PgAuditLog> {
        self.ready.get_or_try_init(|| self.log.migrate()).await?;
        Ok(&self.log)
    }
}

#[async_trait]
impl AuditLog for Journal {
    async fn append(&self, drafts: Vec<AuditDraft>) -> Result<Vec<AuditRecord>> {
        self.log().await?.append(drafts).await
    }

    async fn records(&self) -> Result<Vec<AuditRecord>> {
        self.log().await?.records().await
    }

    async fn verify(&self) -> Result<ChainReport> {
        self.log().await?.verify().await
    }
}
