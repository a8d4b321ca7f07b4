//! `Notifier` and the runbook's message templates.
//!
//! runbook: Communication Procedures: Slack for everything, PagerDuty for
//! P0/P1, email for P2+; the INCIDENT DETECTED / UPDATE / RESOLVED templates are rendered here
//! from an [`Incident`] so every notifier sends the same words. Two messages the runbook
//! implies but does not spell out follow the same style: the escalation notice (Alert
//! Escalation levels) and INCIDENT ACKNOWLEDGED, which tells every channel that was told
//! about the incident who took it and that escalation stopped (PagerDuty turns it into an
//! `acknowledge` event, so it stops paging).

use std::time::Duration;

use async_trait::async_trait;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::incident::{Incident, IncidentId, IncidentUpdate};
use crate::types::Severity;

/// Which template a message follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum MessageKind {
    /// INCIDENT DETECTED.
    Detected,
    /// INCIDENT UPDATE.
    Update,
    /// An escalation to a new level.
    Escalation,
    /// INCIDENT ACKNOWLEDGED: someone owns the incident, escalation stopped.
    Acknowledged,
    /// INCIDENT RESOLVED.
    Resolved,
    /// CHANGE REVIEW NEEDED: a change ran without approval (break-glass) and its
    /// retroactive change request waits for the approvers. [`Message::incident`] carries
    /// the change request's id (`CR-2026-001`); sent as P2, so it never pages.
    ChangeReview,
}

/// A rendered message ready for any channel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Message {
    /// The template.
    pub kind: MessageKind,
    /// The incident.
    pub incident: IncidentId,
    /// Its severity.
    pub severity: Severity,
    /// One-line subject (`[P1] INCIDENT DETECTED: High error rate`).
    pub subject: String,
    /// The body, in the runbook's template.
    pub body: String,
    /// The escalation level, for [`MessageKind::Escalation`].
    pub level: Option<u8>,
    /// Who should receive it (for escalations: the level's targets).
    pub recipients: Vec<String>,
}

/// A notifier's receipt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Delivery {
    /// The channel (`slack`, `pagerduty`, `email`).
    pub channel: String,
    /// An id the channel gave back (a PagerDuty dedup key, an SMTP queue id), if any.
    pub reference: Option<String>,
    /// When it was accepted.
    pub at: Timestamp,
}

/// Sends messages to one channel.
///
/// # Example
///
/// ```
/// # #[cfg(feature = "testkit")]
/// # #[tokio::main(flavor = "current_thread", start_paused = true)]
/// # async fn main() -> mcp_ops_core::Result<()> {
/// use mcp_ops_core::incident::IncidentUpdate;
/// use mcp_ops_core::notify::render_update;
/// use mcp_ops_core::{Escalator, Intent, NewIncident, Notifier, Severity};
///
/// let kit = mcp_ops_core::testkit::TestKit::runbook().await?;
/// let intent = Intent::new("5xx spike", "ops-bot")?;
/// let new = NewIncident {
///     title: "High error rate on API".into(),
///     severity: Severity::P1,
///     service: "MCP Production".into(),
///     impact: "High error rate (15%) on API endpoints".into(),
///     investigating: "@ops-team".into(),
/// };
/// let incident = kit.alerting.open(&new, &intent).await?;
/// // Post an update ourselves, through the Slack notifier.
/// let slack: &dyn Notifier = &kit.slack;
/// let update = IncidentUpdate {
///     root_cause: Some("v1.0.1 returns 500 on /tools".into()),
///     actions: "rolled back; monitoring".into(),
///     eta: None,
/// };
/// let message = render_update(&incident, &update);
/// assert!(slack.accepts(message.severity));
/// assert_eq!(slack.send(&message).await?.channel, "slack");
/// assert_eq!(kit.slack.messages().len(), 2); // DETECTED from the escalator, then ours
/// # Ok(())
/// # }
/// # #[cfg(not(feature = "testkit"))]
/// # fn main() {}
/// ```
#[cfg_attr(feature = "mock", mockall::automock)]
#[async_trait]
pub trait Notifier: Send + Sync {
    /// The channel's name (`slack`, `pagerduty`, `email`).
    fn channel(&self) -> &'static str;

    /// Whether this channel takes messages of `severity` (the runbook: PagerDuty for P0/P1,
    /// email for P2+, Slack for all).
    fn accepts(&self, severity: Severity) -> bool;

    /// Sends one message.
    ///
    /// # Errors
    /// [`crate::Error::Unavailable`] when the channel cannot be reached (retryable); never
    /// contains a webhook URL, routing key or password.
    async fn send(&self, message: &Message) -> Result<Delivery>;
}

fn utc_minute(t: Timestamp) -> String {
    t.strftime("%Y-%m-%d %H:%M UTC").to_string()
}

fn minutes(d: Duration) -> u64 {
    d.as_secs().div_ceil(60)
}

/// INCIDENT DETECTED, as in the runbook.
pub fn render_detected(incident: &Incident) -> Message {
    let body = format!(
        "INCIDENT DETECTED\nService: {}\nSeverity: {}\nImpact: {}\nStarted: {}\nInvestigating: {}",
        incident.service,
        incident.severity,
        incident.impact,
        utc_minute(incident.started),
        incident.investigating
    );
    Message {
        kind: MessageKind::Detected,
        incident: incident.id.clone(),
        severity: incident.severity,
        subject: format!(
            "[{}] INCIDENT DETECTED: {}",
            incident.severity, incident.title
        ),
        body,
        level: None,
        recipients: Vec::new(),
    }
}

/// INCIDENT UPDATE, as in the runbook.
pub fn render_update(incident: &Incident, update: &IncidentUpdate) -> Message {
    let mut body = String::from("INCIDENT UPDATE\n");
    if let Some(cause) = &update.root_cause {
        body.push_str(&format!("Root cause identified: {cause}\n"));
    }
    body.push_str(&format!("Actions: {}", update.actions));
    if let Some(eta) = update.eta {
        body.push_str(&format!("\nETA: {} minutes", minutes(eta)));
    }
    Message {
        kind: MessageKind::Update,
        incident: incident.id.clone(),
        severity: incident.severity,
        subject: format!(
            "[{}] INCIDENT UPDATE: {}",
            incident.severity, incident.title
        ),
        body,
        level: None,
        recipients: Vec::new(),
    }
}

/// An escalation notice for `level` with its `targets`.
pub fn render_escalation(
    incident: &Incident,
    level: u8,
    targets: &[String],
    now: Timestamp,
) -> Message {
    let body = format!(
        "INCIDENT ESCALATED\nLevel: L{level}\nNotify: {}\nService: {}\nSeverity: {}\nImpact: {}\nOpen for: {} minutes, unacknowledged",
        targets.join(", "),
        incident.service,
        incident.severity,
        incident.impact,
        minutes(incident.duration(now)),
    );
    Message {
        kind: MessageKind::Escalation,
        incident: incident.id.clone(),
        severity: incident.severity,
        subject: format!(
            "[{}] ESCALATED to L{level}: {}",
            incident.severity, incident.title
        ),
        body,
        level: Some(level),
        recipients: targets.to_vec(),
    }
}

/// INCIDENT ACKNOWLEDGED: who took the incident `at` what time, how long it had been open,
/// and that escalation stopped (at the level reached so far).
///
/// ```text
/// INCIDENT ACKNOWLEDGED
/// Acknowledged by: alice
/// Acknowledged at: 2025-01-08 14:50 UTC
/// Service: MCP Production
/// Severity: P1
/// Open for: 20 minutes
/// Escalation: stopped at L2
/// ```
pub fn render_acknowledged(incident: &Incident, by: &str, at: Timestamp) -> Message {
    let stopped = if incident.level == 0 {
        "stopped".to_owned()
    } else {
        format!("stopped at L{}", incident.level)
    };
    let body = format!(
        "INCIDENT ACKNOWLEDGED\nAcknowledged by: {by}\nAcknowledged at: {}\nService: {}\nSeverity: {}\nOpen for: {} minutes\nEscalation: {stopped}",
        utc_minute(at),
        incident.service,
        incident.severity,
        minutes(crate::clock::elapsed_between(incident.started, at)),
    );
    Message {
        kind: MessageKind::Acknowledged,
        incident: incident.id.clone(),
        severity: incident.severity,
        subject: format!(
            "[{}] INCIDENT ACKNOWLEDGED: {}",
            incident.severity, incident.title
        ),
        body,
        level: None,
        recipients: Vec::new(),
    }
}

/// INCIDENT RESOLVED, as in the runbook, with the duration in whole minutes (rounded up).
pub fn render_resolved(incident: &Incident, resolution: &str, now: Timestamp) -> Message {
    let body = format!(
        "INCIDENT RESOLVED\nDuration: {} minutes\nResolution: {resolution}\nPost-mortem: Will be published in 24 hours",
        minutes(incident.duration(now))
    );
    Message {
        kind: MessageKind::Resolved,
        incident: incident.id.clone(),
        severity: incident.severity,
        subject: format!(
            "[{}] INCIDENT RESOLVED: {}",
            incident.severity, incident.title
        ),
        body,
        level: None,
        recipients: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::incident::IncidentState;

    fn incident() -> Incident {
        Incident {
            id: IncidentId::new("INC-1").unwrap_or_else(|_| unreachable!()),
            title: "High error rate".into(),
            severity: Severity::P1,
            service: "MCP Production".into(),
            impact: "High error rate (15%) on API endpoints".into(),
            investigating: "@ops-team".into(),
            started: "2025-01-08T14:30:00Z"
                .parse()
                .unwrap_or(Timestamp::UNIX_EPOCH),
            state: IncidentState::Open,
            level: 0,
            updates: Vec::new(),
        }
    }

    #[test]
    fn detected_matches_the_runbook_template() {
        let m = render_detected(&incident());
        assert_eq!(
            m.body,
            "INCIDENT DETECTED\nService: MCP Production\nSeverity: P1\nImpact: High error rate (15%) on API endpoints\nStarted: 2025-01-08 14:30 UTC\nInvestigating: @ops-team"
        );
    }

    #[test]
    fn update_and_resolved_match_the_runbook_templates() {
        let i = incident();
        let u = IncidentUpdate {
            root_cause: Some("Database connection pool exhaustion".into()),
            actions: "Scaling database connections, restarting API pods".into(),
            eta: Some(Duration::from_secs(15 * 60)),
        };
        assert_eq!(
            render_update(&i, &u).body,
            "INCIDENT UPDATE\nRoot cause identified: Database connection pool exhaustion\nActions: Scaling database connections, restarting API pods\nETA: 15 minutes"
        );
        let end: Timestamp = "2025-01-08T14:53:00Z"
            .parse()
            .unwrap_or(Timestamp::UNIX_EPOCH);
        assert_eq!(
            render_resolved(&i, "Scaled database connections from 20 to 50", end).body,
            "INCIDENT RESOLVED\nDuration: 23 minutes\nResolution: Scaled database connections from 20 to 50\nPost-mortem: Will be published in 24 hours"
        );
    }

    #[test]
    fn acknowledged_names_who_and_says_escalation_stopped() {
        let mut i = incident();
        i.level = 2;
        let at: Timestamp = "2025-01-08T14:50:00Z"
            .parse()
            .unwrap_or(Timestamp::UNIX_EPOCH);
        let m = render_acknowledged(&i, "alice", at);
        assert_eq!(m.kind, MessageKind::Acknowledged);
        assert_eq!(m.subject, "[P1] INCIDENT ACKNOWLEDGED: High error rate");
        assert_eq!(
            m.body,
            "INCIDENT ACKNOWLEDGED\nAcknowledged by: alice\nAcknowledged at: 2025-01-08 14:50 UTC\nService: MCP Production\nSeverity: P1\nOpen for: 20 minutes\nEscalation: stopped at L2"
        );
        assert_eq!((m.level, m.recipients.len()), (None, 0));
        assert_eq!(m.incident, i.id);
        // Acknowledged before any level was notified: no level to name.
        i.level = 0;
        let m = render_acknowledged(&i, "bob", at);
        assert!(m.body.ends_with("\nEscalation: stopped"), "{}", m.body);
        assert!(m.body.contains("Acknowledged by: bob\n"));
    }

    #[test]
    fn acknowledged_kind_serializes_in_snake_case() {
        assert_eq!(
            serde_json::to_string(&MessageKind::Acknowledged)
                .ok()
                .as_deref(),
            Some("\"acknowledged\"")
        );
    }
}
