//! Slack incoming webhook with a Block Kit message per template.

use std::time::Duration;

use serde_json::{Value, json};

use super::http::post_json;
use super::notice::{
    Notice, NoticeKind, Receipt, check_https, check_secret, secret_str, truncate_chars,
};
use crate::error::Result;
use mcp_ops_core::SecretValue;

const BACKEND: &str = "slack";
/// Slack's limit for header text.
const HEADER_MAX: usize = 150;
/// Slack's limit for section text.
const SECTION_MAX: usize = 3000;

/// Posts incident notices to a Slack incoming webhook.
///
/// The webhook URL is a secret: it never appears in `Debug` output or errors.
#[derive(Debug, Clone)]
pub struct SlackNotifier {
    http: reqwest::Client,
    webhook: SecretValue,
    channel: Option<String>,
    timeout: Duration,
    pub(crate) clock: mcp_ops_core::SharedClock,
}

impl SlackNotifier {
    /// A notifier posting to `webhook` (`https://hooks.slack.com/services/…`).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use mcp_ops_alerts::notify::{Notice, NoticeKind, SlackNotifier};
    /// use mcp_ops_core::SecretValue;
    /// use wiremock::{Mock, MockServer, ResponseTemplate, matchers::method};
    ///
    /// // A stand-in for Slack (a loopback `http://` webhook is accepted; others need https).
    /// let slack = MockServer::start().await;
    /// Mock::given(method("POST")).respond_with(ResponseTemplate::new(200)).mount(&slack).await;
    ///
    /// let webhook = SecretValue::from_str_value(&format!("{}/services/T0/B0/x", slack.uri()));
    /// let notifier = SlackNotifier::new(webhook)?.with_channel("#mcp-production-alerts");
    /// let notice = Notice::new(NoticeKind::Detected, "INC-1", "P1", "High error rate", "15 %");
    /// let receipt = notifier.send_notice(&notice).await?;
    /// assert_eq!(receipt.channel, "slack");
    /// assert_eq!(slack.received_requests().await.map(|r| r.len()), Some(1));
    ///
    /// // A webhook over plain HTTP to another host is refused, without repeating it.
    /// let leaky = SecretValue::from_str_value("http://hooks.example.com/services/T0/B0/x");
    /// assert!(SlackNotifier::new(leaky).is_err());
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// [`AlertsError::InvalidInput`](crate::AlertsError::InvalidInput) when the webhook is not an `https://` URL (`http://` is
    /// accepted for loopback hosts only) or carries credentials (the error does not repeat it).
    pub fn new(webhook: SecretValue) -> Result<Self> {
        check_secret(&webhook, "slack webhook")?;
        check_https(secret_str(&webhook), "slack webhook")?;
        Ok(Self {
            http: reqwest::Client::new(),
            webhook,
            channel: None,
            timeout: Duration::from_secs(10),
            clock: std::sync::Arc::new(mcp_ops_core::SystemClock),
        })
    }

    /// Names the channel in the payload (`#mcp-production-alerts`); legacy webhooks honour it.
    #[must_use]
    pub fn with_channel(mut self, channel: impl Into<String>) -> Self {
        self.channel = Some(channel.into());
        self
    }

    /// Uses `clock` for delivery times.
    #[must_use]
    pub fn with_clock(mut self, clock: mcp_ops_core::SharedClock) -> Self {
        self.clock = clock;
        self
    }

    /// Replaces the request timeout.
    #[must_use]
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The Block Kit payload for `notice`.
    #[must_use]
    pub fn payload(&self, notice: &Notice) -> Value {
        let mut p = payload(notice);
        if let (Some(ch), Some(obj)) = (&self.channel, p.as_object_mut()) {
            obj.insert("channel".into(), Value::String(ch.clone()));
        }
        p
    }

    /// Posts `notice`.
    ///
    /// # Errors
    /// [`AlertsError::Status`](crate::AlertsError::Status) (with `Retry-After` on 429), [`AlertsError::Timeout`](crate::AlertsError::Timeout),
    /// [`AlertsError::Http`](crate::AlertsError::Http); none contains the webhook URL.
    pub async fn send_notice(&self, notice: &Notice) -> Result<Receipt> {
        let secret = secret_str(&self.webhook);
        let posted = post_json(
            &self.http,
            BACKEND,
            secret,
            &self.payload(notice),
            self.timeout,
            &[secret],
        )
        .await?;
        tracing::debug!(status = posted.status, "slack notice posted");
        Ok(Receipt {
            channel: BACKEND,
            reference: None,
        })
    }
}

fn emoji(kind: NoticeKind) -> &'static str {
    match kind {
        NoticeKind::Detected => ":rotating_light:",
        NoticeKind::Update => ":information_source:",
        NoticeKind::Escalation => ":arrow_double_up:",
        NoticeKind::Acknowledged => ":eyes:",
        NoticeKind::Resolved => ":white_check_mark:",
        NoticeKind::ChangeReview => ":memo:",
    }
}

/// Escapes the three characters Slack's mrkdwn reserves.
fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// Builds the Block Kit message: a header, the template body as a section, the recipients
/// (for escalations) and a context line with incident id and severity. `text` is the
/// notification fallback.
#[must_use]
pub fn payload(notice: &Notice) -> Value {
    let header = truncate_chars(&notice.subject, HEADER_MAX);
    let body = truncate_chars(&escape(&notice.body), SECTION_MAX - 6);
    let mut blocks = vec![
        json!({"type": "header", "text": {"type": "plain_text", "text": header, "emoji": true}}),
        json!({"type": "section", "text": {"type": "mrkdwn", "text": format!("```{body}```")}}),
    ];
    if !notice.recipients.is_empty() {
        let who = notice
            .recipients
            .iter()
            .map(|r| escape(r))
            .collect::<Vec<_>>()
            .join(", ");
        let level = notice
            .level
            .map(|l| format!("*Level {l}*: "))
            .unwrap_or_default();
        blocks.push(json!({"type": "section", "text": {"type": "mrkdwn",
            "text": truncate_chars(&format!("{level}{who}"), SECTION_MAX)}}));
    }
    let what = match notice.kind {
        NoticeKind::ChangeReview => "Change request",
        _ => "Incident",
    };
    let mut context = format!(
        "{} {what} `{}` · Severity *{}*",
        emoji(notice.kind),
        escape(&notice.incident_id),
        escape(&notice.severity)
    );
    if let Some(l) = notice.level {
        context.push_str(&format!(" · Level {l}"));
    }
    blocks.push(json!({"type": "context", "elements": [{"type": "mrkdwn", "text": context}]}));
    json!({
        "text": format!("{} {}", emoji(notice.kind), escape(&notice.subject)),
        "blocks": blocks,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn rejects_non_urls_without_echoing_them() {
        let e = SlackNotifier::new(SecretValue::from_str_value("secret-token-value")).unwrap_err();
        assert!(!e.to_string().contains("secret-token-value"));
    }

    #[test]
    fn payload_is_block_kit() {
        let mut n = Notice::new(
            NoticeKind::Escalation,
            "inc-1",
            "P1",
            "[P1] ESCALATION L2: High error rate",
            "INCIDENT DETECTED\nService: <api> & co",
        );
        n.level = Some(2);
        n.recipients = vec!["Team lead".into(), "Infrastructure team".into()];
        let p = payload(&n);
        let blocks = p["blocks"].as_array().unwrap();
        assert_eq!(blocks[0]["type"], "header");
        assert_eq!(blocks[0]["text"]["type"], "plain_text");
        assert_eq!(
            blocks[1]["text"]["text"],
            "```INCIDENT DETECTED\nService: &lt;api&gt; &amp; co```"
        );
        assert_eq!(
            blocks[2]["text"]["text"],
            "*Level 2*: Team lead, Infrastructure team"
        );
        assert_eq!(blocks[3]["type"], "context");
        assert!(p["text"].as_str().unwrap().contains("ESCALATION L2"));
    }

    #[test]
    fn a_change_review_names_the_change_request() {
        let n = Notice::new(
            NoticeKind::ChangeReview,
            "CR-2026-001",
            "P2",
            "[REVIEW] CR-2026-001: break-glass rollback",
            "CHANGE REVIEW NEEDED",
        );
        let p = payload(&n);
        let context = p["blocks"][2]["elements"][0]["text"].as_str().unwrap();
        assert!(
            context.starts_with(":memo: Change request `CR-2026-001`"),
            "{context}"
        );
    }

    #[test]
    fn long_subjects_fit_the_header_limit() {
        let n = Notice::new(NoticeKind::Detected, "i", "P1", "x".repeat(500), "b");
        let p = payload(&n);
        assert_eq!(
            p["blocks"][0]["text"]["text"]
                .as_str()
                .unwrap()
                .chars()
                .count(),
            HEADER_MAX
        );
    }
}
