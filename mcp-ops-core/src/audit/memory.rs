//! [`MemoryAuditLog`]: the audit journal of one process, in memory.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use async_trait::async_trait;

use super::log::AuditLog;
use super::record::{AuditDraft, AuditRecord, ChainHead, seal};
use super::stored::StoredEntry;
use super::verify::{ChainReport, verify_records};
use crate::Result;

/// An audit journal in memory: a real log for one process (tests, embedding, dry runs).
/// Clones share the same records.
#[derive(Debug, Clone, Default)]
pub struct MemoryAuditLog {
    records: Arc<Mutex<Vec<AuditRecord>>>,
}

impl MemoryAuditLog {
    /// An empty log.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> MutexGuard<'_, Vec<AuditRecord>> {
        self.records.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[async_trait]
impl AuditLog for MemoryAuditLog {
    async fn append(&self, drafts: Vec<AuditDraft>) -> Result<Vec<AuditRecord>> {
        let mut records = self.lock();
        let head = records
            .last()
            .map_or_else(ChainHead::genesis, AuditRecord::head);
        let sealed = seal(&head, drafts)?;
        records.extend(sealed.iter().cloned());
        Ok(sealed)
    }

    async fn records(&self) -> Result<Vec<AuditRecord>> {
        Ok(self.lock().clone())
    }

    async fn verify(&self) -> Result<ChainReport> {
        let entries: Vec<StoredEntry> = self
            .lock()
            .iter()
            .cloned()
            .map(StoredEntry::from_record)
            .collect();
        Ok(verify_records(&entries, None))
    }
}
