//! What `ops incident …` says about notifications: which channel failed and why, and exit 3
//! ([`EXIT_UNDELIVERED`]) when a message that was due reached no channel. Messages that
//! exhausted their attempts (dead letters) are kept, listed here and tried again by every
//! `ops incident tick`.

use mcp_ops_alerts::escalation::MessageDelivery;
use mcp_ops_core::IncidentId;

use crate::backends::Backends;
use crate::output::{EXIT_UNDELIVERED, Report, Status, table};
use crate::{Failure, Outcome};

/// The messages of `incident` (every incident with `None`) that some channel failed to
/// deliver, or `None` on the drill's stand-ins (no outbox).
pub async fn failing(
    b: &Backends,
    incident: Option<&IncidentId>,
) -> Result<Option<(Vec<MessageDelivery>, u32)>, Failure> {
    let Some(engine) = &b.engine else {
        return Ok(None);
    };
    let all = engine.deliveries(incident).await?;
    let failing = all
        .into_iter()
        .filter(|m| m.undelivered() || !m.failures(engine.max_attempts()).is_empty())
        .collect();
    Ok(Some((failing, engine.max_attempts())))
}

/// Adds the delivery failures of `incident` (every incident with `None`) to `report`: a
/// table of failing channels and, when a message reached nobody, exit 3 with the summary
/// saying so.
pub async fn check(mut report: Report, b: &Backends, incident: Option<&IncidentId>) -> Outcome {
    if report.status == Status::Planned {
        return Ok(report);
    }
    let Some((failing, max)) = failing(b, incident).await? else {
        return Ok(report);
    };
    let undelivered: Vec<&MessageDelivery> = failing.iter().filter(|m| m.undelivered()).collect();
    if let Some(first) = undelivered.first() {
        let why = first.failures(max).join("; ");
        let why = if why.is_empty() {
            "queued behind an undelivered message".to_owned()
        } else {
            why
        };
        report.summary = format!(
            "{}; NOT DELIVERED: {} message(s) reached no channel ({} of {}: {why}); `ops incident tick` retries",
            report.summary,
            undelivered.len(),
            first.event,
            first.incident,
        );
        report.status = Status::Failed;
        report.exit_code = Some(EXIT_UNDELIVERED);
    }
    for m in &failing {
        for f in m.failures(max) {
            report
                .notes
                .push(format!("{} {} not delivered by {f}", m.incident, m.event));
        }
    }
    report = report.table("Delivery failures", failures_table(&failing, max));
    report.data = with_delivery(report.data, &failing);
    Ok(report)
}

/// One row per failing channel of each message.
pub fn failures_table(failing: &[MessageDelivery], max: u32) -> comfy_table::Table {
    let rows = failing.iter().flat_map(|m| {
        m.channels
            .iter()
            .filter(|c| c.state != "sent")
            .map(move |c| {
                vec![
                    m.incident.to_string(),
                    m.event.clone(),
                    c.channel.clone(),
                    c.state.to_owned(),
                    format!("{}/{max}", c.attempts),
                    c.error.clone().unwrap_or_default(),
                ]
            })
    });
    table(
        &[
            "INCIDENT", "MESSAGE", "CHANNEL", "STATE", "ATTEMPTS", "REASON",
        ],
        rows,
    )
}

/// `data` with an `undelivered` member listing the failing messages (objects only).
fn with_delivery(mut data: serde_json::Value, failing: &[MessageDelivery]) -> serde_json::Value {
    if let Some(obj) = data.as_object_mut() {
        obj.insert(
            "undelivered".to_owned(),
            crate::output::to_value(&failing.to_vec()),
        );
    }
    data
}
