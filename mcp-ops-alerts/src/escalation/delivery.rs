//! Delivering the outbox: each pending entry to its channel; each outcome is recorded (sent,
//! failed and to be retried, or given up after `max_attempts`: a dead letter, kept, shown and
//! tried once more by every tick).
//!
//! Entries of one incident on one channel go out in the order they were queued, and a
//! failure stops that queue until the next round: an acknowledge or resolve never overtakes
//! its incident's undelivered trigger (PagerDuty ignores an acknowledge for an alert it has
//! not seen, and the late trigger would then page). Different channels and different
//! incidents are delivered independently, so one failing message holds up nothing else.

use std::collections::BTreeMap;

use mcp_ops_core::{IncidentId, Notifier, Result};

use super::engine::EscalationEngine;
use super::store::{DeliveryStatus, OutboxEntry};

impl EscalationEngine {
    /// Puts every dead letter whose channel this engine has back in the queue for one more
    /// attempt (a failure gives it up again at once, so each tick tries it once).
    pub(crate) async fn requeue_dead(&self) -> Result<()> {
        for entry in self.store.dead_letters().await? {
            if !self.notifiers.iter().any(|n| n.channel() == entry.channel) {
                continue;
            }
            if let DeliveryStatus::GaveUp {
                attempts,
                last_error,
            } = entry.status
            {
                let status = DeliveryStatus::Pending {
                    attempts,
                    last_error: Some(last_error),
                };
                self.store.set_status(&entry.key, status).await?;
            }
        }
        Ok(())
    }

    /// Delivers every pending entry, each (channel, incident) queue in order and the queues
    /// concurrently; failures are recorded.
    pub(crate) async fn deliver_pending(&self) -> Result<()> {
        let mut queues: BTreeMap<(String, IncidentId), Vec<OutboxEntry>> = BTreeMap::new();
        for entry in self.store.pending().await? {
            queues
                .entry((entry.channel.clone(), entry.incident.clone()))
                .or_default()
                .push(entry);
        }
        let sends = queues
            .into_iter()
            .map(|((channel, _), entries)| self.deliver_queue(channel, entries));
        for r in futures::future::join_all(sends).await {
            r?;
        }
        Ok(())
    }

    /// Delivers one queue in order, stopping at the first entry that stays pending.
    async fn deliver_queue(&self, channel: String, entries: Vec<OutboxEntry>) -> Result<()> {
        let Some(notifier) = self.notifiers.iter().find(|n| n.channel() == channel) else {
            // The channel is not configured in this engine: leave it for one that has it.
            return Ok(());
        };
        for entry in entries {
            if !self.deliver_one(notifier.as_ref(), &entry).await? {
                break;
            }
        }
        Ok(())
    }

    /// One attempt at `entry`; `true` when the entry is settled (sent or given up) and the
    /// next one of its queue may go.
    async fn deliver_one(&self, notifier: &dyn Notifier, entry: &OutboxEntry) -> Result<bool> {
        let attempts = match &entry.status {
            DeliveryStatus::Pending { attempts, .. } => attempts + 1,
            _ => return Ok(true),
        };
        if !self
            .store
            .claim(&entry.key, attempts - 1, self.clock.now())
            .await?
        {
            // Another process is delivering it (or already did): its queue waits for that.
            return Ok(false);
        }
        let status = match notifier.send(&entry.message).await {
            Ok(d) => DeliveryStatus::Sent {
                at: d.at,
                reference: d.reference,
                attempts,
            },
            Err(e) if attempts >= self.max_attempts => {
                tracing::warn!(key = %entry.key, error = %e, "notification given up");
                DeliveryStatus::GaveUp {
                    attempts,
                    last_error: e.to_string(),
                }
            }
            Err(e) => {
                tracing::warn!(key = %entry.key, error = %e, "notification failed, will retry");
                DeliveryStatus::Pending {
                    attempts,
                    last_error: Some(e.to_string()),
                }
            }
        };
        let settled = !matches!(status, DeliveryStatus::Pending { .. });
        self.store.set_status(&entry.key, status).await?;
        Ok(settled)
    }
}
