//! Progress notifications of a long tool call (a bake, a backup, a verification): each new
//! step of the call's journal is sent to the client as `notifications/progress`, when the
//! client asked for progress with a token.

use std::time::Duration;

use mcp_ops_core::runbook::Journal;
use rmcp::model::{ProgressNotificationParam, ProgressToken};
use rmcp::{Peer, RoleServer};

/// How often the journal is looked at.
const EVERY: Duration = Duration::from_millis(250);

/// Sends a notification for each step the journal gains, until dropped (abort the task).
pub async fn feed(peer: Peer<RoleServer>, token: ProgressToken, journal: Journal) {
    let mut sent = 0usize;
    loop {
        tokio::time::sleep(EVERY).await;
        let entries = journal.entries();
        if entries.len() <= sent {
            continue;
        }
        for (i, e) in entries.iter().enumerate().skip(sent) {
            let message = mcp_ops_core::redact_text(&format!(
                "{} {}: {}",
                e.step,
                e.target,
                e.outcome.word()
            ));
            let param =
                ProgressNotificationParam::new(token.clone(), (i + 1) as f64).with_message(message);
            if peer.notify_progress(param).await.is_err() {
                // The client went away; the call goes on and is journaled.
                return;
            }
        }
        sent = entries.len();
    }
}
