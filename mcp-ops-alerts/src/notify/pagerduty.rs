//! PagerDuty Events API v2: trigger / acknowledge / resolve and change events.

use std::collections::BTreeMap;
use std::time::Duration;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::http::post_json;
use super::notice::{Notice, NoticeKind, Receipt, check_secret, secret_str, truncate_chars};
use crate::error::{AlertsError, Result};
use mcp_ops_core::SecretValue;

const BACKEND: &str = "pagerduty";
/// PagerDuty's Events API host.
pub const DEFAULT_ENDPOINT: &str = "https://events.pagerduty.com";
/// Longest dedup key PagerDuty accepts.
pub const DEDUP_KEY_MAX: usize = 255;
const SUMMARY_MAX: usize = 1024;

/// `event_action` of an alert event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum EventAction {
    /// Open or update an alert.
    Trigger,
    /// Acknowledge it.
    Acknowledge,
    /// Resolve it.
    Resolve,
}

/// A change event (a deployment, a config change) for PagerDuty's change timeline.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ChangeEvent {
    /// What changed (`Deploy mcp-typescript-api v1.0.1`).
    pub summary: String,
    /// Where (`mcp-production/mcp-typescript-api`).
    pub source: String,
    /// When; now if absent.
    pub timestamp: Option<Timestamp>,
    /// Extra details (change request, approver, image).
    pub custom_details: BTreeMap<String, String>,
}

#[derive(Debug, Deserialize)]
struct Accepted {
    #[serde(default)]
    dedup_key: Option<String>,
}

/// Sends incident events to one PagerDuty service integration.
///
/// The routing key is a secret: it never appears in `Debug` output or errors.
#[derive(Debug, Clone)]
pub struct PagerDutyNotifier {
    http: reqwest::Client,
    routing_key: SecretValue,
    endpoint: String,
    source: String,
    timeout: Duration,
    pub(crate) clock: mcp_ops_core::SharedClock,
}

/// The dedup key of an incident: `mcp-ops-<id>`, or `mcp-ops-sha256-<hex>` when that would
/// exceed 255 characters. The same incident always maps to the same key.
#[must_use]
pub fn dedup_key(incident_id: &str) -> String {
    let plain = format!("mcp-ops-{incident_id}");
    if plain.len() <= DEDUP_KEY_MAX {
        return plain;
    }
    let digest = Sha256::digest(incident_id.as_bytes());
    format!("mcp-ops-sha256-{}", hex::encode(digest))
}

/// PagerDuty's `severity` for a runbook priority.
#[must_use]
pub fn pd_severity(priority: &str) -> &'static str {
    match priority {
        "P0" => "critical",
        "P1" => "error",
        "P2" => "warning",
        _ => "info",
    }
}

impl PagerDutyNotifier {
    /// A notifier for the integration with `routing_key` (32 characters).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use mcp_ops_alerts::notify::{Notice, NoticeKind, PagerDutyNotifier};
    /// use mcp_ops_core::SecretValue;
    /// use wiremock::{Mock, MockServer, ResponseTemplate, matchers::path};
    ///
    /// // A stand-in for the Events API v2.
    /// let events = MockServer::start().await;
    /// Mock::given(path("/v2/enqueue"))
    ///     .respond_with(ResponseTemplate::new(202).set_body_string(r#"{"status":"success"}"#))
    ///     .mount(&events)
    ///     .await;
    ///
    /// let key = SecretValue::from_str_value("0123456789abcdef0123456789abcdef");
    /// let pager = PagerDutyNotifier::new(key)?.with_endpoint(events.uri());
    /// let notice = Notice::new(NoticeKind::Detected, "INC-1", "P0", "API down", "all pods crash");
    /// assert_eq!(pager.send_notice(&notice).await?.channel, "pagerduty");
    ///
    /// assert!(PagerDutyNotifier::new(SecretValue::from_str_value("not a key")).is_err());
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// [`AlertsError::InvalidInput`] for an empty key (the error never repeats the key).
    pub fn new(routing_key: SecretValue) -> Result<Self> {
        check_secret(&routing_key, "pagerduty routing key")?;
        let key = secret_str(&routing_key);
        if key.len() > 64 || !key.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Err(AlertsError::InvalidInput(
                "pagerduty routing key must be 1 to 64 letters and digits (an integration key \
                 is 32); it has a space or another character"
                    .into(),
            ));
        }
        Ok(Self {
            http: reqwest::Client::new(),
            routing_key,
            endpoint: DEFAULT_ENDPOINT.to_owned(),
            source: "mcp-ops".to_owned(),
            timeout: Duration::from_secs(10),
            clock: std::sync::Arc::new(mcp_ops_core::SystemClock),
        })
    }

    /// Sends to another Events API host (a proxy, or a test server).
    #[must_use]
    pub fn with_endpoint(mut self, endpoint: impl Into<String>) -> Self {
        self.endpoint = endpoint.into().trim_end_matches('/').to_owned();
        self
    }

    /// Sets `payload.source` (default `mcp-ops`).
    #[must_use]
    pub fn with_source(mut self, source: impl Into<String>) -> Self {
        self.source = source.into();
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

    /// The event for `notice`: `resolve` for INCIDENT RESOLVED, `acknowledge` for INCIDENT
    /// ACKNOWLEDGED (both carry only the routing key, the action and the dedup key, which is
    /// the trigger's: [`dedup_key`] of the same incident id), `trigger` otherwise.
    #[must_use]
    pub fn event(&self, notice: &Notice) -> Value {
        let action = match notice.kind {
            NoticeKind::Resolved => EventAction::Resolve,
            NoticeKind::Acknowledged => EventAction::Acknowledge,
            _ => EventAction::Trigger,
        };
        if action != EventAction::Trigger {
            return self.bare_event(action, &notice.incident_id);
        }
        let mut details = serde_json::Map::new();
        details.insert("incident_id".into(), json!(notice.incident_id));
        details.insert("body".into(), json!(notice.body));
        if let Some(l) = notice.level {
            details.insert("escalation_level".into(), json!(l));
        }
        if !notice.recipients.is_empty() {
            details.insert("recipients".into(), json!(notice.recipients));
        }
        json!({
            "routing_key": secret_str(&self.routing_key),
            "event_action": action,
            "dedup_key": dedup_key(&notice.incident_id),
            "payload": {
                "summary": truncate_chars(&notice.subject, SUMMARY_MAX),
                "source": self.source,
                "severity": pd_severity(&notice.severity),
                "custom_details": details,
            },
            "client": "mcp-ops",
        })
    }

    fn bare_event(&self, action: EventAction, incident_id: &str) -> Value {
        json!({
            "routing_key": secret_str(&self.routing_key),
            "event_action": action,
            "dedup_key": dedup_key(incident_id),
        })
    }

    /// Triggers the alert of `notice`'s incident (acknowledges it for INCIDENT ACKNOWLEDGED,
    /// resolves it for INCIDENT RESOLVED).
    ///
    /// # Errors
    /// [`AlertsError::Status`] (400 invalid event, 429 throttled), timeouts and transport
    /// errors; none contains the routing key.
    pub async fn send_notice(&self, notice: &Notice) -> Result<Receipt> {
        self.post("/v2/enqueue", &self.event(notice)).await
    }

    /// Acknowledges the alert of `incident_id`.
    ///
    /// # Errors
    /// As [`PagerDutyNotifier::send_notice`].
    pub async fn acknowledge(&self, incident_id: &str) -> Result<Receipt> {
        let ev = self.bare_event(EventAction::Acknowledge, incident_id);
        self.post("/v2/enqueue", &ev).await
    }

    /// Resolves the alert of `incident_id`.
    ///
    /// # Errors
    /// As [`PagerDutyNotifier::send_notice`].
    pub async fn resolve(&self, incident_id: &str) -> Result<Receipt> {
        let ev = self.bare_event(EventAction::Resolve, incident_id);
        self.post("/v2/enqueue", &ev).await
    }

    /// The change-event payload.
    #[must_use]
    pub fn change_payload(&self, change: &ChangeEvent) -> Value {
        let mut payload = json!({
            "summary": truncate_chars(&change.summary, SUMMARY_MAX),
            "source": if change.source.is_empty() { &self.source } else { &change.source },
            "custom_details": change.custom_details,
        });
        if let (Some(t), Some(obj)) = (change.timestamp, payload.as_object_mut()) {
            obj.insert("timestamp".into(), json!(t.to_string()));
        }
        json!({ "routing_key": secret_str(&self.routing_key), "payload": payload })
    }

    /// Sends a change event (deployments, config changes).
    ///
    /// # Errors
    /// As [`PagerDutyNotifier::send_notice`]; [`AlertsError::InvalidInput`] for an empty summary.
    pub async fn change(&self, change: &ChangeEvent) -> Result<Receipt> {
        if change.summary.trim().is_empty() {
            return Err(AlertsError::InvalidInput(
                "change event without summary".into(),
            ));
        }
        self.post("/v2/change/enqueue", &self.change_payload(change))
            .await
    }

    async fn post(&self, path: &str, body: &Value) -> Result<Receipt> {
        let url = format!("{}{path}", self.endpoint);
        let key = secret_str(&self.routing_key);
        let posted = post_json(&self.http, BACKEND, &url, body, self.timeout, &[key]).await?;
        let accepted: Option<Accepted> = serde_json::from_str(&posted.body).ok();
        Ok(Receipt {
            channel: BACKEND,
            reference: accepted.and_then(|a| a.dedup_key),
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn dedup_keys_are_stable_and_bounded() {
        assert_eq!(dedup_key("inc-42"), "mcp-ops-inc-42");
        let long = "x".repeat(400);
        let k = dedup_key(&long);
        assert!(k.len() <= DEDUP_KEY_MAX);
        assert_eq!(k, dedup_key(&long));
        assert_ne!(k, dedup_key(&"y".repeat(400)));
        let edge = "z".repeat(DEDUP_KEY_MAX - "mcp-ops-".len());
        assert_eq!(dedup_key(&edge).len(), DEDUP_KEY_MAX);
    }

    #[test]
    fn resolved_notice_resolves() {
        let pd = PagerDutyNotifier::new(SecretValue::from_str_value("k".repeat(32))).unwrap();
        let n = Notice::new(NoticeKind::Resolved, "inc-1", "P1", "s", "b");
        let ev = pd.event(&n);
        assert_eq!(ev["event_action"], "resolve");
        assert_eq!(ev["dedup_key"], "mcp-ops-inc-1");
        assert!(ev.get("payload").is_none());
    }

    #[test]
    fn acknowledged_notice_acknowledges_with_the_triggers_dedup_key() {
        let pd = PagerDutyNotifier::new(SecretValue::from_str_value("k".repeat(32))).unwrap();
        let trigger = pd.event(&Notice::new(NoticeKind::Detected, "inc-1", "P1", "s", "b"));
        let n = Notice::new(NoticeKind::Acknowledged, "inc-1", "P1", "s", "b");
        let ev = pd.event(&n);
        assert_eq!(trigger["event_action"], "trigger");
        assert_eq!(ev["event_action"], "acknowledge");
        assert_eq!(ev["dedup_key"], trigger["dedup_key"]);
        assert!(ev.get("payload").is_none());
        let long = "x".repeat(300);
        let ack = pd.event(&Notice::new(
            NoticeKind::Acknowledged,
            &long,
            "P0",
            "s",
            "b",
        ));
        let trig = pd.event(&Notice::new(NoticeKind::Detected, &long, "P0", "s", "b"));
        assert_eq!(ack["dedup_key"], trig["dedup_key"], "hashed keys match too");
    }

    #[test]
    fn debug_hides_the_routing_key() {
        let pd = PagerDutyNotifier::new(SecretValue::from_str_value(
            "R0UTINGKEYR0UTINGKEYR0UTINGKEY12",
        ))
        .unwrap();
        assert!(!format!("{pd:?}").contains("R0UTINGKEY"));
    }
}
