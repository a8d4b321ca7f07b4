//! Acknowledging through the engine: PagerDuty receives an Events v2 `acknowledge` with the
//! trigger's dedup key (so it stops paging), Slack and email learn who took the incident,
//! a second acknowledgement and a dry run send nothing, and an acknowledgement whose
//! delivery failed is retried by a restarted engine.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::time::Duration;

use mcp_ops_alerts::SecretValue;
use mcp_ops_alerts::escalation::{
    DeliveryStatus, EscalationEngine, EscalationStore, InMemoryStore,
};
use mcp_ops_alerts::notify::{EmailConfig, EmailNotifier, PagerDutyNotifier, SlackNotifier};
use mcp_ops_alerts::testing::SmtpSink;
use mcp_ops_core::incident::IncidentState;
use mcp_ops_core::{Clock, Escalator, Intent, NewIncident, Severity, SystemClock};
use serde_json::{Value, json};
use wiremock::matchers::{body_partial_json, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const HOOK_PATH: &str = "/services/T0001/B0001/SeCrEtWeBhOoKtOkEn";
const ROUTING_KEY: &str = "R0UTINGKEYR0UTINGKEYR0UTINGKEY12";

fn p1() -> NewIncident {
    NewIncident {
        title: "High error rate".into(),
        severity: Severity::P1,
        service: "MCP Production".into(),
        impact: "High error rate (15%) on API endpoints".into(),
        investigating: "@ops-team".into(),
    }
}

fn intent(actor: &str) -> Intent {
    Intent::new("incident response", actor).unwrap()
}

async fn pagerduty_server() -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v2/enqueue"))
        .respond_with(ResponseTemplate::new(202).set_body_json(json!({
            "status": "success", "message": "Event processed"
        })))
        .mount(&server)
        .await;
    server
}

fn pagerduty(server: &MockServer) -> Arc<PagerDutyNotifier> {
    Arc::new(
        PagerDutyNotifier::new(SecretValue::from_str_value(ROUTING_KEY))
            .unwrap()
            .with_endpoint(server.uri()),
    )
}

async fn bodies(server: &MockServer) -> Vec<Value> {
    server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .map(|r| serde_json::from_slice(&r.body).unwrap())
        .collect()
}

#[tokio::test]
async fn ack_stops_pagerduty_with_the_trigger_dedup_key_and_tells_slack_and_email() {
    let pd_server = pagerduty_server().await;
    let slack_server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(HOOK_PATH))
        .respond_with(ResponseTemplate::new(200).set_body_string("ok"))
        .mount(&slack_server)
        .await;
    let sink = SmtpSink::start().await.unwrap();
    let hook = format!("{}{HOOK_PATH}", slack_server.uri());
    let engine = EscalationEngine::new(Arc::new(InMemoryStore::new()), Arc::new(SystemClock))
        .with_notifier(Arc::new(
            SlackNotifier::new(SecretValue::from_str_value(hook)).unwrap(),
        ))
        .with_notifier(pagerduty(&pd_server))
        .with_notifier(Arc::new(
            EmailNotifier::new(EmailConfig::plain(
                sink.host(),
                sink.port(),
                "ops@company.com",
                vec!["mcp-alerts@company.com".into()],
            ))
            .unwrap(),
        ));
    let inc = engine.open(&p1(), &intent("ops-bot")).await.unwrap();
    assert_eq!(bodies(&pd_server).await.len(), 1);
    assert_eq!(sink.wait_for(1, Duration::from_secs(5)).await.len(), 1);

    // A dry run plans the acknowledgement and sends nothing.
    let dry = engine
        .acknowledge(&inc.id, &intent("alice").with_dry_run(true))
        .await
        .unwrap();
    assert!(matches!(dry.state, IncidentState::Acknowledged { ref by, .. } if by == "alice"));
    assert!(engine.incident(&inc.id).await.unwrap().escalates());
    assert_eq!(engine.outbox(&inc.id).await.unwrap().len(), 3);
    assert_eq!(bodies(&pd_server).await.len(), 1);
    assert_eq!(bodies(&slack_server).await.len(), 1);

    engine.acknowledge(&inc.id, &intent("alice")).await.unwrap();
    let pd = bodies(&pd_server).await;
    assert_eq!(pd.len(), 2);
    assert_eq!(pd[0]["event_action"], "trigger");
    assert_eq!(pd[0]["dedup_key"], format!("mcp-ops-{}", inc.id));
    assert_eq!(
        pd[1],
        json!({
            "routing_key": ROUTING_KEY,
            "event_action": "acknowledge",
            "dedup_key": pd[0]["dedup_key"],
        })
    );
    let slack = bodies(&slack_server).await;
    assert_eq!(slack.len(), 2);
    assert_eq!(
        slack[1]["text"],
        ":eyes: [P1] INCIDENT ACKNOWLEDGED: High error rate"
    );
    let section = slack[1]["blocks"][1]["text"]["text"].as_str().unwrap();
    assert!(
        section.starts_with("```INCIDENT ACKNOWLEDGED\nAcknowledged by: alice\n"),
        "{section}"
    );
    assert!(section.contains("Escalation: stopped at L1"), "{section}");
    let mails = sink.wait_for(2, Duration::from_secs(5)).await;
    assert_eq!(mails.len(), 2);
    assert!(
        mails[1]
            .data
            .contains("Subject: [P1] INCIDENT ACKNOWLEDGED: High error rate"),
        "{}",
        mails[1].data
    );
    assert!(mails[1].data.contains("Acknowledged by: alice"));

    // One outbox entry per channel, keyed `<incident>/acknowledged/<channel>`, all sent.
    let acks: Vec<_> = engine
        .outbox(&inc.id)
        .await
        .unwrap()
        .into_iter()
        .filter(|o| o.key.contains("/acknowledged/"))
        .collect();
    let keys: Vec<&str> = acks.iter().map(|o| o.key.as_str()).collect();
    assert_eq!(
        keys,
        [
            format!("{}/acknowledged/slack", inc.id),
            format!("{}/acknowledged/pagerduty", inc.id),
            format!("{}/acknowledged/email", inc.id),
        ]
    );
    for o in &acks {
        assert!(
            matches!(o.status, DeliveryStatus::Sent { attempts: 1, .. }),
            "{}: {:?}",
            o.key,
            o.status
        );
    }

    // A second acknowledgement changes nothing and sends nothing.
    let again = engine.acknowledge(&inc.id, &intent("bob")).await.unwrap();
    assert!(matches!(again.state, IncidentState::Acknowledged { ref by, .. } if by == "alice"));
    assert_eq!(bodies(&pd_server).await.len(), 2);
    assert_eq!(bodies(&slack_server).await.len(), 2);
    assert_eq!(engine.outbox(&inc.id).await.unwrap().len(), 6);

    // Resolve closes the same PagerDuty alert.
    engine
        .resolve(&inc.id, "Scaled database connections", &intent("alice"))
        .await
        .unwrap();
    let pd = bodies(&pd_server).await;
    let actions: Vec<&str> = pd
        .iter()
        .map(|b| b["event_action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["trigger", "acknowledge", "resolve"]);
    assert!(pd.iter().all(|b| b["dedup_key"] == pd[0]["dedup_key"]));
    assert_eq!(sink.wait_for(3, Duration::from_secs(5)).await.len(), 3);
}

#[tokio::test]
async fn p2_ack_is_not_paged_but_posted_to_slack() {
    let pd_server = pagerduty_server().await;
    let slack_server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_string("ok"))
        .mount(&slack_server)
        .await;
    let hook = format!("{}{HOOK_PATH}", slack_server.uri());
    let engine = EscalationEngine::new(Arc::new(InMemoryStore::new()), Arc::new(SystemClock))
        .with_notifier(Arc::new(
            SlackNotifier::new(SecretValue::from_str_value(hook)).unwrap(),
        ))
        .with_notifier(pagerduty(&pd_server));
    let p2 = NewIncident {
        severity: Severity::P2,
        ..p1()
    };
    let inc = engine.open(&p2, &intent("ops-bot")).await.unwrap();
    engine.acknowledge(&inc.id, &intent("alice")).await.unwrap();
    assert!(
        bodies(&pd_server).await.is_empty(),
        "never triggered, never acknowledged"
    );
    let slack = bodies(&slack_server).await;
    assert_eq!(slack.len(), 2);
    assert_eq!(
        slack[1]["text"],
        ":eyes: [P2] INCIDENT ACKNOWLEDGED: High error rate"
    );
}

#[tokio::test]
async fn failed_ack_is_retried_by_a_restarted_engine() {
    let pd_server = MockServer::start().await;
    // PagerDuty is down for the first acknowledge event only.
    Mock::given(method("POST"))
        .and(body_partial_json(json!({"event_action": "acknowledge"})))
        .respond_with(ResponseTemplate::new(503).set_body_string("maintenance"))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&pd_server)
        .await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(202).set_body_json(json!({"status": "success"})))
        .mount(&pd_server)
        .await;
    let store = Arc::new(InMemoryStore::new());
    let id = {
        let engine = EscalationEngine::new(store.clone(), Arc::new(SystemClock))
            .with_notifier(pagerduty(&pd_server));
        let inc = engine.open(&p1(), &intent("ops-bot")).await.unwrap();
        engine.acknowledge(&inc.id, &intent("alice")).await.unwrap();
        inc.id
    }; // the engine is gone with its acknowledgement undelivered
    let pending = store.pending().await.unwrap();
    assert_eq!(pending.len(), 1);
    assert_eq!(pending[0].key, format!("{id}/acknowledged/pagerduty"));
    assert!(
        matches!(
            pending[0].status,
            DeliveryStatus::Pending { attempts: 1, last_error: Some(ref e) } if e.contains("503")
        ),
        "{:?}",
        pending[0].status
    );

    let engine = EscalationEngine::new(store.clone(), Arc::new(SystemClock))
        .with_notifier(pagerduty(&pd_server));
    assert!(engine.tick(SystemClock.now()).await.unwrap().is_empty());
    assert!(store.pending().await.unwrap().is_empty());
    let outbox = engine.outbox(&id).await.unwrap();
    let ack = outbox
        .iter()
        .find(|o| o.key.ends_with("/acknowledged/pagerduty"))
        .unwrap();
    assert!(
        matches!(ack.status, DeliveryStatus::Sent { attempts: 2, .. }),
        "{:?}",
        ack.status
    );
    let actions: Vec<String> = bodies(&pd_server)
        .await
        .iter()
        .map(|b| b["event_action"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        actions,
        ["trigger", "acknowledge", "acknowledge"],
        "the trigger is not repeated; the acknowledge is sent again"
    );
    assert!(engine.tick(SystemClock.now()).await.unwrap().is_empty());
    assert_eq!(
        bodies(&pd_server).await.len(),
        3,
        "delivered once, not again"
    );
}

#[tokio::test]
async fn ack_never_overtakes_an_undelivered_trigger() {
    let pd_server = MockServer::start().await;
    // PagerDuty refuses the first two trigger events.
    Mock::given(method("POST"))
        .and(body_partial_json(json!({"event_action": "trigger"})))
        .respond_with(ResponseTemplate::new(503).set_body_string("maintenance"))
        .up_to_n_times(2)
        .with_priority(1)
        .mount(&pd_server)
        .await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(202).set_body_json(json!({"status": "success"})))
        .mount(&pd_server)
        .await;
    let engine = EscalationEngine::new(Arc::new(InMemoryStore::new()), Arc::new(SystemClock))
        .with_notifier(pagerduty(&pd_server));
    let inc = engine.open(&p1(), &intent("ops-bot")).await.unwrap();
    engine.acknowledge(&inc.id, &intent("alice")).await.unwrap();
    let actions = |bodies: Vec<Value>| -> Vec<String> {
        bodies
            .iter()
            .map(|b| b["event_action"].as_str().unwrap().to_owned())
            .collect()
    };
    // The trigger failed again on the acknowledgement's round: the acknowledge waited.
    assert_eq!(actions(bodies(&pd_server).await), ["trigger", "trigger"]);
    let outbox = engine.outbox(&inc.id).await.unwrap();
    assert!(
        matches!(
            outbox[1].status,
            DeliveryStatus::Pending {
                attempts: 0,
                last_error: None
            }
        ),
        "{:?}",
        outbox[1].status
    );

    engine.tick(SystemClock.now()).await.unwrap();
    assert_eq!(
        actions(bodies(&pd_server).await),
        ["trigger", "trigger", "trigger", "acknowledge"]
    );
    let outbox = engine.outbox(&inc.id).await.unwrap();
    assert!(matches!(
        outbox[0].status,
        DeliveryStatus::Sent { attempts: 3, .. }
    ));
    assert!(matches!(
        outbox[1].status,
        DeliveryStatus::Sent { attempts: 1, .. }
    ));
}
