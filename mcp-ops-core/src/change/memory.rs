//! [`MemoryChangeStore`]: change requests in the memory of one process.

use std::collections::BTreeMap;
use std::sync::{Mutex, MutexGuard};

use async_trait::async_trait;

use super::{ChangeId, ChangeRequest, ChangeStore};
use crate::{Error, Result};

/// A [`ChangeStore`] in the memory of one process: a real store (no feature needed) for
/// embedded use and tests. Clones do not share state; share it with an `Arc`.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> mcp_ops_core::Result<()> {
/// use std::time::Duration;
/// use mcp_ops_core::change::*;
/// use mcp_ops_core::jiff::Timestamp;
///
/// let store = MemoryChangeStore::new();
/// let now: Timestamp = "2026-01-08T14:00:00Z".parse().unwrap();
/// let draft = ChangeDraft {
///     spec: ChangeSpec::Rollback { deployment: "mcp-production/mcp-typescript-api".parse()? },
///     window: ChangeWindow::new(now, Duration::from_secs(1800))?,
///     rollback_plan: "kubectl rollout undo".into(),
///     description: "go back to v1.0.0".into(),
///     requester: "oncall".into(),
///     requested_risk: None,
/// };
/// let cr = store.create(2026, &|id| ChangeRequest::new(id, draft.clone(), now)).await?;
/// assert_eq!(cr.id.as_str(), "CR-2026-001");
/// let approved = store
///     .modify(&cr.id, &|mut cr| {
///         let digest = cr.digest();
///         cr.approvals.push(Approval {
///             by: "engineering-manager".into(),
///             role: TeamRole::EngineeringManager,
///             at: now,
///             comment: None,
///             digest,
///         });
///         Ok(cr)
///     })
///     .await?;
/// assert_eq!(store.get(&cr.id).await?, Some(approved));
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Default)]
pub struct MemoryChangeStore {
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    requests: BTreeMap<ChangeId, ChangeRequest>,
    last: BTreeMap<i16, u32>,
}

impl MemoryChangeStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    fn state(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock cannot leave a half-written entry (every write is
        // one insert), so a poisoned lock is safe to use.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[async_trait]
impl ChangeStore for MemoryChangeStore {
    async fn create(
        &self,
        year: i16,
        make: &(dyn Fn(ChangeId) -> Result<ChangeRequest> + Send + Sync),
    ) -> Result<ChangeRequest> {
        let mut state = self.state();
        let number = state
            .last
            .get(&year)
            .copied()
            .unwrap_or(0)
            .saturating_add(1);
        let id = ChangeId::new(year, number)?;
        let cr = make(id.clone())?;
        if cr.id != id {
            return Err(Error::invalid(
                "change id",
                format!("the store assigned {id}, the request carries {}", cr.id),
            ));
        }
        state.last.insert(year, number);
        state.requests.insert(id, cr.clone());
        Ok(cr)
    }

    async fn get(&self, id: &ChangeId) -> Result<Option<ChangeRequest>> {
        Ok(self.state().requests.get(id).cloned())
    }

    async fn list(&self) -> Result<Vec<ChangeRequest>> {
        Ok(self.state().requests.values().cloned().collect())
    }

    async fn modify(
        &self,
        id: &ChangeId,
        change: &(dyn Fn(ChangeRequest) -> Result<ChangeRequest> + Send + Sync),
    ) -> Result<ChangeRequest> {
        let mut state = self.state();
        let current = state
            .requests
            .get(id)
            .cloned()
            .ok_or_else(|| Error::not_found("change request", id.as_str()))?;
        let new = change(current)?;
        if new.id != *id {
            return Err(Error::invalid(
                "change id",
                format!("a change of {id} must not turn it into {}", new.id),
            ));
        }
        state.requests.insert(id.clone(), new.clone());
        Ok(new)
    }
}
