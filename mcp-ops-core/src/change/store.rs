//! [`ChangeStore`]: where change requests are kept.

use async_trait::async_trait;

use super::{ChangeId, ChangeRequest};
use crate::Result;

/// Where change requests are kept: in memory ([`super::MemoryChangeStore`]), a file, or
/// PostgreSQL. Every store passes `testing::change_store_contract` and
/// `testing::change_store_concurrency_contract`.
#[async_trait]
pub trait ChangeStore: Send + Sync + std::fmt::Debug {
    /// Stores a new change request, assigning the next id of `year` (`CR-2026-001`, `-002` …;
    /// numbering per year, unique across processes sharing the store). `make` builds the
    /// request for the id; its error aborts and nothing is stored. The request `make`
    /// returns must carry the id it was given.
    ///
    /// # Errors
    /// `make`'s error; [`crate::Error::InvalidInput`] when the request has another id or the
    /// year has no number left; the store's errors.
    async fn create(
        &self,
        year: i16,
        make: &(dyn Fn(ChangeId) -> Result<ChangeRequest> + Send + Sync),
    ) -> Result<ChangeRequest>;

    /// The change request `id`, when stored.
    ///
    /// # Errors
    /// The store's errors (unreadable, unavailable).
    async fn get(&self, id: &ChangeId) -> Result<Option<ChangeRequest>>;

    /// Every change request, ordered by id.
    ///
    /// # Errors
    /// The store's errors.
    async fn list(&self) -> Result<Vec<ChangeRequest>>;

    /// Atomic read-modify-write of one change request (approve, reject): `change` sees the
    /// current request and returns the new one, or an error that aborts without writing.
    ///
    /// # Errors
    /// [`crate::Error::NotFound`] when `id` is not stored; `change`'s error;
    /// [`crate::Error::InvalidInput`] when `change` alters the id; the store's errors.
    async fn modify(
        &self,
        id: &ChangeId,
        change: &(dyn Fn(ChangeRequest) -> Result<ChangeRequest> + Send + Sync),
    ) -> Result<ChangeRequest>;
}
