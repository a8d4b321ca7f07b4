//! Slack and PagerDuty payloads against wiremock, email against a local SMTP sink.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use mcp_ops_alerts::notify::pagerduty::ChangeEvent;
use mcp_ops_alerts::notify::{
    EmailConfig, EmailNotifier, Notice, NoticeKind, PagerDutyNotifier, SlackNotifier,
};
use mcp_ops_alerts::testing::SmtpSink;
use mcp_ops_alerts::{AlertsError, SecretValue};
use serde_json::{Value, json};
use wiremock::matchers::{body_partial_json, header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const HOOK_PATH: &str = "/services/T0001/B0001/SeCrEtWeBhOoKtOkEn";
const ROUTING_KEY: &str = "R0UTINGKEYR0UTINGKEYR0UTINGKEY12";

fn detected() -> Notice {
    Notice::new(
        NoticeKind::Detected,
        "inc-20250108-1430",
        "P1",
        "[P1] INCIDENT DETECTED: High error rate (15%) on API endpoints",
        "INCIDENT DETECTED\nService: MCP Production\nSeverity: P1\nImpact: High error rate (15%) on API endpoints\nStarted: 2025-01-08 14:30 UTC\nInvestigating: @ops-team",
    )
}

async fn only_request_body(server: &MockServer) -> Value {
    let reqs = server.received_requests().await.unwrap();
    assert_eq!(reqs.len(), 1);
    serde_json::from_slice(&reqs[0].body).unwrap()
}

fn assert_no_secret(err: &AlertsError, secret: &str) {
    for text in [err.to_string(), format!("{err:?}")] {
        assert!(!text.contains(secret), "secret leaked: {text}");
    }
}

#[tokio::test]
async fn slack_posts_block_kit() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(HOOK_PATH))
        .and(header("content-type", "application/json"))
        .respond_with(ResponseTemplate::new(200).set_body_string("ok"))
        .expect(1)
        .mount(&server)
        .await;
    let slack = SlackNotifier::new(SecretValue::from_str_value(format!(
        "{}{HOOK_PATH}",
        server.uri()
    )))
    .unwrap()
    .with_channel("#mcp-production-alerts");
    let receipt = slack.send_notice(&detected()).await.unwrap();
    assert_eq!(receipt.channel, "slack");
    let body = only_request_body(&server).await;
    assert_eq!(
        body,
        json!({
            "channel": "#mcp-production-alerts",
            "text": ":rotating_light: [P1] INCIDENT DETECTED: High error rate (15%) on API endpoints",
            "blocks": [
                {"type": "header", "text": {"type": "plain_text", "emoji": true,
                    "text": "[P1] INCIDENT DETECTED: High error rate (15%) on API endpoints"}},
                {"type": "section", "text": {"type": "mrkdwn",
                    "text": "```INCIDENT DETECTED\nService: MCP Production\nSeverity: P1\nImpact: High error rate (15%) on API endpoints\nStarted: 2025-01-08 14:30 UTC\nInvestigating: @ops-team```"}},
                {"type": "context", "elements": [{"type": "mrkdwn",
                    "text": ":rotating_light: Incident `inc-20250108-1430` · Severity *P1*"}]}
            ]
        })
    );
}

#[tokio::test]
async fn slack_errors_never_contain_the_webhook() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(404).set_body_string("no_service"))
        .mount(&server)
        .await;
    let slack = SlackNotifier::new(SecretValue::from_str_value(format!(
        "{}{HOOK_PATH}",
        server.uri()
    )))
    .unwrap();
    let err = slack.send_notice(&detected()).await.unwrap_err();
    assert!(
        matches!(err, AlertsError::Status { status: 404, ref message, .. } if message == "no_service")
    );
    assert_no_secret(&err, "SeCrEtWeBhOoKtOkEn");
    assert!(!format!("{slack:?}").contains("SeCrEtWeBhOoKtOkEn"));

    // Unreachable (port 9 is closed): the transport error is stripped of the URL.
    let unreachable = SlackNotifier::new(SecretValue::from_str_value(format!(
        "http://127.0.0.1:9{HOOK_PATH}"
    )))
    .unwrap();
    let err = unreachable.send_notice(&detected()).await.unwrap_err();
    assert!(matches!(err, AlertsError::Http { .. }), "{err:?}");
    assert_no_secret(&err, "SeCrEtWeBhOoKtOkEn");
}

#[tokio::test]
async fn slack_rate_limit_is_retryable_with_retry_after() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(429)
                .insert_header("retry-after", "30")
                .set_body_string("rate_limited"),
        )
        .mount(&server)
        .await;
    let slack = SlackNotifier::new(SecretValue::from_str_value(format!(
        "{}{HOOK_PATH}",
        server.uri()
    )))
    .unwrap();
    let err = slack.send_notice(&detected()).await.unwrap_err();
    assert!(
        matches!(
            err,
            AlertsError::Status {
                status: 429,
                retry_after: Some(30),
                ..
            }
        ),
        "{err:?}"
    );
    assert!(err.is_retryable());
}

#[tokio::test]
async fn pagerduty_trigger_acknowledge_resolve() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v2/enqueue"))
        .respond_with(ResponseTemplate::new(202).set_body_json(json!({
            "status": "success", "message": "Event processed", "dedup_key": "mcp-ops-inc-20250108-1430"
        })))
        .expect(3)
        .mount(&server)
        .await;
    let pd = PagerDutyNotifier::new(SecretValue::from_str_value(ROUTING_KEY))
        .unwrap()
        .with_endpoint(server.uri());
    let receipt = pd.send_notice(&detected()).await.unwrap();
    assert_eq!(
        receipt.reference.as_deref(),
        Some("mcp-ops-inc-20250108-1430")
    );
    pd.acknowledge("inc-20250108-1430").await.unwrap();
    pd.resolve("inc-20250108-1430").await.unwrap();

    let reqs = server.received_requests().await.unwrap();
    let bodies: Vec<Value> = reqs
        .iter()
        .map(|r| serde_json::from_slice(&r.body).unwrap())
        .collect();
    assert_eq!(
        bodies[0],
        json!({
            "routing_key": ROUTING_KEY,
            "event_action": "trigger",
            "dedup_key": "mcp-ops-inc-20250108-1430",
            "client": "mcp-ops",
            "payload": {
                "summary": "[P1] INCIDENT DETECTED: High error rate (15%) on API endpoints",
                "source": "mcp-ops",
                "severity": "error",
                "custom_details": {
                    "incident_id": "inc-20250108-1430",
                    "body": detected().body,
                }
            }
        })
    );
    for (body, action) in bodies[1..].iter().zip(["acknowledge", "resolve"]) {
        assert_eq!(
            *body,
            json!({"routing_key": ROUTING_KEY, "event_action": action, "dedup_key": "mcp-ops-inc-20250108-1430"})
        );
    }
}

#[tokio::test]
async fn pagerduty_change_event() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v2/change/enqueue"))
        .and(body_partial_json(json!({"routing_key": ROUTING_KEY})))
        .respond_with(
            ResponseTemplate::new(202)
                .set_body_json(json!({"status":"success","message":"Change event processed"})),
        )
        .expect(1)
        .mount(&server)
        .await;
    let pd = PagerDutyNotifier::new(SecretValue::from_str_value(ROUTING_KEY))
        .unwrap()
        .with_endpoint(server.uri());
    let change = ChangeEvent {
        summary: "Deploy mcp-typescript-api v1.0.1".into(),
        source: "mcp-production/mcp-typescript-api".into(),
        timestamp: Some("2025-01-08T15:00:00Z".parse().unwrap()),
        custom_details: [("change_request".to_owned(), "CR-2025-001".to_owned())].into(),
    };
    pd.change(&change).await.unwrap();
    assert_eq!(
        only_request_body(&server).await,
        json!({"routing_key": ROUTING_KEY, "payload": {
            "summary": "Deploy mcp-typescript-api v1.0.1",
            "source": "mcp-production/mcp-typescript-api",
            "timestamp": "2025-01-08T15:00:00Z",
            "custom_details": {"change_request": "CR-2025-001"}
        }})
    );
}

#[tokio::test]
async fn pagerduty_errors_never_contain_the_routing_key() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(400).set_body_json(json!({
            "status": "invalid event",
            "message": "Event object is invalid",
            "errors": [format!("routing_key {ROUTING_KEY} is not valid")]
        })))
        .mount(&server)
        .await;
    let pd = PagerDutyNotifier::new(SecretValue::from_str_value(ROUTING_KEY))
        .unwrap()
        .with_endpoint(server.uri());
    let err = pd.send_notice(&detected()).await.unwrap_err();
    assert!(matches!(err, AlertsError::Status { status: 400, .. }));
    assert!(!err.is_retryable());
    assert_no_secret(&err, ROUTING_KEY);
    assert!(!format!("{pd:?}").contains(ROUTING_KEY));
}

#[tokio::test]
async fn email_reaches_the_smtp_sink() {
    let sink = SmtpSink::start().await.unwrap();
    let email = EmailNotifier::new(EmailConfig::plain(
        sink.host(),
        sink.port(),
        "mcp-ops <ops@company.com>",
        vec!["mcp-alerts@company.com".into()],
    ))
    .unwrap();
    let receipt = email.send_notice(&detected()).await.unwrap();
    assert_eq!(receipt.channel, "email");
    assert!(receipt.reference.unwrap().contains("queued as SINK1"));
    let mails = sink.wait_for(1, Duration::from_secs(5)).await;
    assert_eq!(mails.len(), 1);
    assert_eq!(mails[0].from, "ops@company.com");
    assert_eq!(mails[0].to, ["mcp-alerts@company.com"]);
    assert!(
        mails[0]
            .data
            .contains("Subject: [P1] INCIDENT DETECTED: High error rate (15%) on API endpoints"),
        "{}",
        mails[0].data
    );
    assert!(mails[0].data.contains("Investigating: @ops-team"));
}

#[tokio::test]
async fn email_authenticates_and_hides_the_password() {
    let sink = SmtpSink::start_with_auth("ops", "correct-horse-battery")
        .await
        .unwrap();
    let config = |pw: &str| EmailConfig {
        credentials: Some(("ops".into(), SecretValue::from_str_value(pw))),
        ..EmailConfig::plain(
            sink.host(),
            sink.port(),
            "ops@company.com",
            vec!["mcp-alerts@company.com".into()],
        )
    };
    EmailNotifier::new(config("correct-horse-battery"))
        .unwrap()
        .send_notice(&detected())
        .await
        .unwrap();
    let mails = sink.wait_for(1, Duration::from_secs(5)).await;
    assert_eq!(mails[0].user.as_deref(), Some("ops"));

    let wrong = EmailNotifier::new(config("wrong-horse-staple")).unwrap();
    assert!(!format!("{wrong:?}").contains("wrong-horse-staple"));
    let err = wrong.send_notice(&detected()).await.unwrap_err();
    assert!(
        matches!(
            err,
            AlertsError::Smtp {
                permanent: true,
                ..
            }
        ),
        "{err:?}"
    );
    assert_no_secret(&err, "wrong-horse-staple");
}

/// Values refused when the notifier is built: nothing is sent, the error never repeats the
/// secret.
#[test]
fn unsafe_or_malformed_notifier_settings_are_refused_at_construction() {
    use mcp_ops_alerts::notify::SmtpSecurity;
    for key in [
        "abc def",
        " R0UTINGKEY",
        "R0UTING\tKEY",
        "key-with-dash",
        &"k".repeat(65),
    ] {
        let e = PagerDutyNotifier::new(SecretValue::from_str_value(key)).unwrap_err();
        assert!(!e.to_string().contains(key.trim()), "{e}");
    }
    PagerDutyNotifier::new(SecretValue::from_str_value(
        "0123456789abcdef0123456789abcdef",
    ))
    .unwrap();
    for hook in [
        "http://hooks.slack.com/services/T/B/SECRETHOOK",
        "https://u:SECRETHOOK@hooks.slack.com/services/T/B/X",
        "ftp://hooks.slack.com/SECRETHOOK",
        "hooks.slack.com/SECRETHOOK",
    ] {
        let e = SlackNotifier::new(SecretValue::from_str_value(hook)).unwrap_err();
        assert!(!e.to_string().contains("SECRETHOOK"), "{e}");
    }
    for hook in [
        "https://hooks.slack.com/services/T/B/X",
        "http://127.0.0.1:9/hook",
        "http://[::1]:9/hook",
        "http://localhost:9/hook",
    ] {
        SlackNotifier::new(SecretValue::from_str_value(hook)).unwrap();
    }
    let email = |host: &str, port: u16, security: SmtpSecurity| EmailConfig {
        credentials: Some(("ops".into(), SecretValue::from_str_value("SECRETPW"))),
        security,
        ..EmailConfig::plain(host, port, "ops@company.com", vec!["a@company.com".into()])
    };
    for bad in [
        email("smtp.company.com", 25, SmtpSecurity::Plain),
        email("smtp.company.com", 0, SmtpSecurity::StartTls),
        email("smtp company.com", 587, SmtpSecurity::StartTls),
        email("", 587, SmtpSecurity::StartTls),
    ] {
        let e = EmailNotifier::new(bad).unwrap_err();
        assert!(!e.to_string().contains("SECRETPW"), "{e}");
    }
    EmailNotifier::new(email("smtp.company.com", 587, SmtpSecurity::StartTls)).unwrap();
    EmailNotifier::new(email("127.0.0.1", 2525, SmtpSecurity::Plain)).unwrap();
}
