//! `mcp_ops_core::Notifier` for the Slack, PagerDuty and email notifiers.
//!
//! The runbook's routing: Slack takes everything, PagerDuty P0/P1, email P2 and worse.
//! Routing is by severity only, never by message kind: a channel that was told an incident
//! was detected is also told who acknowledged it and that it was resolved. For PagerDuty an
//! INCIDENT ACKNOWLEDGED becomes an Events v2 `acknowledge` with the trigger's dedup key (it
//! stops paging); Slack posts it like an update; email sends it to the same list that got
//! INCIDENT DETECTED, so mcp-alerts learns who took the incident.

use async_trait::async_trait;
use mcp_ops_core::notify::{Delivery, Message, MessageKind};
use mcp_ops_core::{Notifier, Severity};

use super::email::EmailNotifier;
use super::notice::{Notice, NoticeKind, Receipt};
use super::pagerduty::PagerDutyNotifier;
use super::slack::SlackNotifier;

impl From<&Message> for Notice {
    fn from(m: &Message) -> Self {
        let kind = match m.kind {
            MessageKind::Detected => NoticeKind::Detected,
            MessageKind::Escalation => NoticeKind::Escalation,
            MessageKind::Acknowledged => NoticeKind::Acknowledged,
            MessageKind::Resolved => NoticeKind::Resolved,
            MessageKind::ChangeReview => NoticeKind::ChangeReview,
            _ => NoticeKind::Update,
        };
        Notice {
            kind,
            incident_id: m.incident.as_str().to_owned(),
            severity: m.severity.as_str().to_owned(),
            subject: m.subject.clone(),
            body: m.body.clone(),
            level: m.level,
            recipients: m.recipients.clone(),
        }
    }
}

fn delivery(r: Receipt, clock: &mcp_ops_core::SharedClock) -> Delivery {
    Delivery {
        channel: r.channel.to_owned(),
        reference: r.reference,
        at: clock.now(),
    }
}

#[async_trait]
impl Notifier for SlackNotifier {
    fn channel(&self) -> &'static str {
        "slack"
    }

    fn accepts(&self, _severity: Severity) -> bool {
        true
    }

    async fn send(&self, message: &Message) -> mcp_ops_core::Result<Delivery> {
        let r = self.send_notice(&Notice::from(message)).await?;
        Ok(delivery(r, &self.clock))
    }
}

#[async_trait]
impl Notifier for PagerDutyNotifier {
    fn channel(&self) -> &'static str {
        "pagerduty"
    }

    fn accepts(&self, severity: Severity) -> bool {
        severity.pages()
    }

    async fn send(&self, message: &Message) -> mcp_ops_core::Result<Delivery> {
        let r = self.send_notice(&Notice::from(message)).await?;
        Ok(delivery(r, &self.clock))
    }
}

#[async_trait]
impl Notifier for EmailNotifier {
    fn channel(&self) -> &'static str {
        "email"
    }

    fn accepts(&self, severity: Severity) -> bool {
        severity.emails()
    }

    async fn send(&self, message: &Message) -> mcp_ops_core::Result<Delivery> {
        let r = self.send_notice(&Notice::from(message)).await?;
        Ok(delivery(r, &self.clock))
    }
}
