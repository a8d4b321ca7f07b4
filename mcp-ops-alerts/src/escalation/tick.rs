//! Escalation by elapsed time: each due level of each incident is decided and queued inside
//! one atomic store change, so concurrent ticks (two `ops incident tick` at once) notify each
//! level once and lose no other change of the incident.

use std::sync::Mutex;

use jiff::Timestamp;
use mcp_ops_core::escalation::EscalationAction;
use mcp_ops_core::notify::render_escalation;
use mcp_ops_core::{Error, Incident, Result};

use super::engine::EscalationEngine;

impl EscalationEngine {
    /// Escalates every incident whose next level is due at `now`, queues dead letters for
    /// another attempt, and delivers what is pending.
    pub(crate) async fn escalate(&self, now: Timestamp) -> Result<Vec<EscalationAction>> {
        self.requeue_dead().await?;
        let mut actions = Vec::new();
        for candidate in self.store.incidents().await? {
            if self.policy.due(&candidate, now).is_empty() {
                continue;
            }
            // The levels decided by the last (successful) run of the change.
            let decided: Mutex<Vec<EscalationAction>> = Mutex::new(Vec::new());
            let change = |mut incident: Incident| {
                let mut out = decided
                    .lock()
                    .map_err(|_| Error::backend("mcp-ops-alerts", "tick state poisoned", false))?;
                out.clear();
                let due: Vec<_> = self
                    .policy
                    .due(&incident, now)
                    .into_iter()
                    .cloned()
                    .collect();
                if due.is_empty() {
                    return Ok(None);
                }
                let mut entries = Vec::new();
                for level in &due {
                    let recipients = self.recipients(&[level], now);
                    let message = render_escalation(&incident, level.level, &recipients, now);
                    let event = format!("level-{}", level.level);
                    entries.extend(self.entries(&incident, &event, &message, now));
                    out.push(EscalationAction {
                        incident: incident.id.clone(),
                        level: level.level,
                        targets: recipients,
                        at: now,
                    });
                }
                incident.level = due.iter().map(|l| l.level).max().unwrap_or(incident.level);
                Ok(Some((incident, entries)))
            };
            let incident = match self.store.modify(&candidate.id, &change).await {
                Ok(i) => i,
                // Pruned by a concurrent process since the list was read.
                Err(Error::NotFound { .. }) => continue,
                Err(e) => return Err(e),
            };
            let done = decided
                .into_inner()
                .map_err(|_| Error::backend("mcp-ops-alerts", "tick state poisoned", false))?;
            if !done.is_empty() {
                tracing::info!(incident = %incident.id, level = incident.level, "incident escalated");
            }
            actions.extend(done);
        }
        self.deliver_pending().await?;
        Ok(actions)
    }
}
