//! Where each message stands: delivered, failing, or dead on every channel. Commands use it
//! to say which channel failed and why, and to fail when nobody was told.

use mcp_ops_core::{IncidentId, Result};
use serde::Serialize;

use super::engine::EscalationEngine;
use super::store::{DeliveryStatus, OutboxEntry};

/// One channel's part of a message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChannelDelivery {
    /// `slack`, `pagerduty`, `email`.
    pub channel: String,
    /// `sent`, `failing` (will be retried), `dead` (attempts exhausted; each tick tries it
    /// once more) or `queued` (not tried yet).
    pub state: &'static str,
    /// Attempts so far.
    pub attempts: u32,
    /// The last failure, free of secrets (URLs and keys are never part of it).
    pub error: Option<String>,
    /// Whether this engine has the channel configured (a message queued for a channel
    /// configured elsewhere waits for that engine).
    pub configured: bool,
}

/// One message (an incident's event), over every channel that takes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MessageDelivery {
    /// The incident.
    pub incident: IncidentId,
    /// `detected`, `update-1`, `level-2`, `acknowledged`, `resolved`.
    pub event: String,
    /// The message's subject.
    pub subject: String,
    /// Each channel's state.
    pub channels: Vec<ChannelDelivery>,
}

impl MessageDelivery {
    /// Whether some channel delivered it.
    #[must_use]
    pub fn delivered(&self) -> bool {
        self.channels.iter().any(|c| c.state == "sent")
    }

    /// Whether nobody was told although this engine could have told someone: no channel
    /// delivered it, and some channel is configured here or already failed.
    #[must_use]
    pub fn undelivered(&self) -> bool {
        !self.delivered() && self.channels.iter().any(|c| c.configured || c.attempts > 0)
    }

    /// The channels that failed, as `slack: <why> (attempt 2 of 5)`.
    #[must_use]
    pub fn failures(&self, max_attempts: u32) -> Vec<String> {
        self.channels
            .iter()
            .filter_map(|c| {
                let why = c.error.as_deref()?;
                Some(match c.state {
                    "dead" => format!(
                        "{}: {why} (gave up after {} attempts; each `ops incident tick` tries once more)",
                        c.channel, c.attempts
                    ),
                    "sent" => return None,
                    _ => format!(
                        "{}: {why} (attempt {} of {max_attempts})",
                        c.channel, c.attempts
                    ),
                })
            })
            .collect()
    }
}

fn channel(entry: &OutboxEntry, configured: bool) -> ChannelDelivery {
    let (state, attempts, error) = match &entry.status {
        DeliveryStatus::Sent { attempts, .. } => ("sent", *attempts, None),
        DeliveryStatus::Pending {
            attempts,
            last_error,
        } => (
            if *attempts == 0 { "queued" } else { "failing" },
            *attempts,
            last_error.clone(),
        ),
        DeliveryStatus::GaveUp {
            attempts,
            last_error,
        } => ("dead", *attempts, Some(last_error.clone())),
    };
    ChannelDelivery {
        channel: entry.channel.clone(),
        state,
        attempts,
        error,
        configured,
    }
}

impl EscalationEngine {
    /// The messages of `incident` (of every incident with `None`), in the order they were
    /// queued, each with its channels' states.
    ///
    /// # Errors
    /// Store errors.
    pub async fn deliveries(&self, incident: Option<&IncidentId>) -> Result<Vec<MessageDelivery>> {
        let ids = match incident {
            Some(id) => vec![id.clone()],
            None => self
                .store
                .incidents()
                .await?
                .into_iter()
                .map(|i| i.id)
                .collect(),
        };
        let mut out: Vec<MessageDelivery> = Vec::new();
        for id in ids {
            let first = out.len();
            for entry in self.store.outbox(&id).await? {
                let configured = self.notifiers.iter().any(|n| n.channel() == entry.channel);
                let part = channel(&entry, configured);
                let event = entry.event().to_owned();
                match out[first..].iter_mut().find(|m| m.event == event) {
                    Some(m) => m.channels.push(part),
                    None => out.push(MessageDelivery {
                        incident: id.clone(),
                        event,
                        subject: entry.message.subject.clone(),
                        channels: vec![part],
                    }),
                }
            }
        }
        Ok(out)
    }

    /// Attempts per message before it becomes a dead letter.
    #[must_use]
    pub fn max_attempts(&self) -> u32 {
        self.max_attempts
    }
}
