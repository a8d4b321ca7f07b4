//! The [`AuditLog`] trait: an append-only, hash-chained journal that outlives the process.

use async_trait::async_trait;

use super::record::{AuditDraft, AuditRecord};
use super::verify::ChainReport;
use crate::Result;

/// A persisted, tamper-evident journal: each record carries the hash of the one before it,
/// so an edited, deleted, inserted or reordered record breaks the chain and
/// [`AuditLog::verify`] names it.
///
/// Implementations: [`super::MemoryAuditLog`] (one process), [`super::FileAuditLog`] (JSON
/// lines in the state directory, shared by the processes of one machine) and
/// `mcp_ops_db::PgAuditLog` (PostgreSQL, shared by a team). All pass
/// `mcp_ops_core::testing::audit_log_contract`.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> mcp_ops_core::Result<()> {
/// use mcp_ops_core::audit::{AuditDraft, AuditKind, AuditLog, MemoryAuditLog};
/// use mcp_ops_core::jiff::Timestamp;
///
/// let log = MemoryAuditLog::new();
/// let at = Timestamp::UNIX_EPOCH;
/// let first = log
///     .append(vec![AuditDraft::new(at, "alice", AuditKind::ChangeRequested, "deploy v1.0.1")
///         .with_change(Some("CR-2026-001"))])
///     .await?;
/// let second = log
///     .append(vec![AuditDraft::new(at, "bob", AuditKind::ChangeApproved, "approved")])
///     .await?;
/// assert_eq!((first[0].seq, second[0].seq), (1, 2));
/// assert_eq!(second[0].prev, first[0].hash);
///
/// let report = log.verify().await?;
/// assert!(report.intact());
/// assert_eq!(report.head.as_deref(), Some(second[0].hash.as_str()));
/// # Ok(()) }
/// ```
#[async_trait]
pub trait AuditLog: Send + Sync + std::fmt::Debug {
    /// Seals `drafts` into records that continue the chain from the stored head and stores
    /// them, all or none, atomically with respect to every other writer (other values,
    /// other processes). Returns the stored records; an empty `drafts` stores nothing.
    ///
    /// # Errors
    /// [`crate::Error::InvalidInput`] for a draft without an actor; a backend error when the
    /// log cannot be written.
    async fn append(&self, drafts: Vec<AuditDraft>) -> Result<Vec<AuditRecord>>;

    /// Every readable record, in stored order (a line or row that does not decode is left
    /// out; [`AuditLog::verify`] reports it).
    ///
    /// # Errors
    /// A backend error when the log cannot be read.
    async fn records(&self) -> Result<Vec<AuditRecord>>;

    /// Reads the stored form and checks the chain (see [`super::verify_records`]): tampering
    /// is reported in the [`ChainReport`], not as an error.
    ///
    /// # Errors
    /// A backend error when the log cannot be read at all.
    async fn verify(&self) -> Result<ChainReport>;
}
