//! Delivering the outbox: every pending entry to its channel, independently; each outcome is
//! recorded (sent, failed and to be retried, or given up after `max_attempts`).

use mcp_ops_core::Result;

use super::engine::EscalationEngine;
use super::store::DeliveryStatus;

impl EscalationEngine {
    /// Delivers every pending entry, each channel independently; failures are recorded.
    pub(crate) async fn deliver_pending(&self) -> Result<()> {
        let pending = self.store.pending().await?;
        let sends = pending.into_iter().map(|entry| async move {
            let attempts = match &entry.status {
                DeliveryStatus::Pending { attempts, .. } => attempts + 1,
                _ => return Ok(()),
            };
            let Some(notifier) = self.notifiers.iter().find(|n| n.channel() == entry.channel)
            else {
                // The channel is not configured in this engine: leave it for one that has it.
                return Ok(());
            };
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
            self.store.set_status(&entry.key, status).await
        });
        for r in futures::future::join_all(sends).await {
            r?;
        }
        Ok(())
    }
}
