//! The tamper-evident audit journal: what procedures did, who requested, approved, rejected
//! or was refused a change, and every break-glass action — persisted, append-only and
//! hash-chained.
//!
//! Each [`AuditRecord`] carries `seq` (1, 2 …), `prev` (the previous record's hash; 64 zeros
//! for the first) and `hash`, the hex SHA-256 of its canonical form (the record without
//! `hash`, as JSON with keys sorted and no whitespace). Changing, removing, adding or moving a
//! record breaks the chain; [`verify_records`] names each break with its position and kind
//! ([`BreakKind`]). A log also keeps a head anchor (last seq and hash) so that removing the
//! last records shows too, and [`expect_head`] checks against a head kept elsewhere, which
//! also catches a chain rewritten consistently from start to end.
//!
//! Logs: [`MemoryAuditLog`], [`FileAuditLog`] (JSON lines in the state directory) and
//! `mcp_ops_db::PgAuditLog` (PostgreSQL), all behind [`AuditLog`].
//! [`drafts_from_journal`] turns a runbook [`crate::runbook::Journal`] into drafts;
//! [`timeline_markdown`] turns persisted records back into a post-mortem timeline.

mod canonical;
mod file;
mod log;
mod memory;
mod record;
mod stored;
mod timeline;
mod verify;

#[cfg(test)]
mod tests;
#[cfg(test)]
mod verify_tests;

pub use canonical::{GENESIS, canonical_json, content_hash};
pub use file::FileAuditLog;
pub use log::AuditLog;
pub use memory::MemoryAuditLog;
pub use record::{AuditDraft, AuditKind, AuditRecord, ChainHead, seal};
pub use stored::StoredEntry;
pub use timeline::{TimelineFilter, drafts_from_journal, filter_records, timeline_markdown};
pub use verify::{BreakKind, ChainBreak, ChainReport, expect_head, verify_records};
