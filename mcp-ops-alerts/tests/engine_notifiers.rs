//! The engine delivering through the real notifiers (wiremock Slack / PagerDuty, SMTP sink).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::time::Duration;

use mcp_ops_alerts::escalation::{DeliveryStatus, EscalationEngine, InMemoryStore};
use mcp_ops_alerts::notify::{EmailConfig, EmailNotifier, PagerDutyNotifier, SlackNotifier};
use mcp_ops_alerts::testing::SmtpSink;
use mcp_ops_core::{Escalator, Intent, NewIncident, Severity, SystemClock};
use serde_json::json;
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

use mcp_ops_alerts::SecretValue;

const HOOK_PATH: &str = "/services/T0001/B0001/SeCrEtWeBhOoKtOkEn";
const ROUTING_KEY: &str = "R0UTINGKEYR0UTINGKEYR0UTINGKEY12";

#[tokio::test]
async fn p2_goes_to_slack_and_email_p1_pages_too() {
    let slack_server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_string("ok"))
        .mount(&slack_server)
        .await;
    let pd_server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(202).set_body_json(json!({"status":"success","dedup_key":"k"})),
        )
        .mount(&pd_server)
        .await;
    let sink = SmtpSink::start().await.unwrap();
    let store = Arc::new(InMemoryStore::new());
    let engine = EscalationEngine::new(store, Arc::new(SystemClock))
        .with_notifier(Arc::new(
            SlackNotifier::new(SecretValue::from_str_value(format!(
                "{}{HOOK_PATH}",
                slack_server.uri()
            )))
            .unwrap(),
        ))
        .with_notifier(Arc::new(
            PagerDutyNotifier::new(SecretValue::from_str_value(ROUTING_KEY))
                .unwrap()
                .with_endpoint(pd_server.uri()),
        ))
        .with_notifier(Arc::new(
            EmailNotifier::new(EmailConfig::plain(
                sink.host(),
                sink.port(),
                "ops@company.com",
                vec!["mcp-alerts@company.com".into()],
            ))
            .unwrap(),
        ));
    let intent = Intent::new("incident", "ops-bot").unwrap();
    let p2 = NewIncident {
        title: "High response times".into(),
        severity: Severity::P2,
        service: "MCP Production".into(),
        impact: "p95 3 s on API endpoints".into(),
        investigating: "@ops-team".into(),
    };
    let inc = engine.open(&p2, &intent).await.unwrap();
    let channels: Vec<String> = engine
        .outbox(&inc.id)
        .await
        .unwrap()
        .into_iter()
        .map(|o| {
            assert!(
                matches!(o.status, DeliveryStatus::Sent { attempts: 1, .. }),
                "{:?}",
                o.status
            );
            o.channel
        })
        .collect();
    assert_eq!(channels, ["slack", "email"]);
    assert_eq!(slack_server.received_requests().await.unwrap().len(), 1);
    assert!(pd_server.received_requests().await.unwrap().is_empty());
    assert_eq!(sink.wait_for(1, Duration::from_secs(5)).await.len(), 1);

    let p1 = NewIncident {
        severity: Severity::P1,
        ..p2
    };
    let inc = engine.open(&p1, &intent).await.unwrap();
    assert_eq!(engine.outbox(&inc.id).await.unwrap().len(), 3);
    let pd = pd_server.received_requests().await.unwrap();
    assert_eq!(pd.len(), 1);
    let body: serde_json::Value = serde_json::from_slice(&pd[0].body).unwrap();
    assert_eq!(body["dedup_key"], format!("mcp-ops-{}", inc.id));
    assert_eq!(body["payload"]["custom_details"]["escalation_level"], 1);
}
