//! The escalation timeline on paused time, restarts from the store, failing notifiers.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use jiff::Timestamp;
use mcp_ops_alerts::escalation::{
    DeliveryStatus, EscalationEngine, EscalationStore, InMemoryStore,
};
use mcp_ops_core::incident::{IncidentState, IncidentUpdate};
use mcp_ops_core::notify::{Delivery, Message, MessageKind};
use mcp_ops_core::{
    Error, Escalator, Intent, NewIncident, Notifier, Severity, SharedClock, TokioClock,
};

/// A notifier that records what it is sent; it can fail its first `fail_first` sends.
#[derive(Debug)]
struct Recorder {
    channel: &'static str,
    sent: Mutex<Vec<Message>>,
    fail_first: AtomicU32,
    pages_only: bool,
}

impl Recorder {
    fn new(channel: &'static str) -> Arc<Self> {
        Self::failing(channel, 0)
    }

    fn failing(channel: &'static str, n: u32) -> Arc<Self> {
        Arc::new(Self {
            channel,
            sent: Mutex::new(Vec::new()),
            fail_first: AtomicU32::new(n),
            pages_only: false,
        })
    }

    fn sent(&self) -> Vec<Message> {
        self.sent.lock().unwrap().clone()
    }
}

#[async_trait]
impl Notifier for Recorder {
    fn channel(&self) -> &'static str {
        self.channel
    }

    fn accepts(&self, severity: Severity) -> bool {
        !self.pages_only || severity.pages()
    }

    async fn send(&self, message: &Message) -> mcp_ops_core::Result<Delivery> {
        if self
            .fail_first
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok()
        {
            return Err(Error::unavailable("test", "channel down"));
        }
        self.sent.lock().unwrap().push(message.clone());
        Ok(Delivery {
            channel: self.channel.into(),
            reference: None,
            at: Timestamp::UNIX_EPOCH,
        })
    }
}

fn t0() -> Timestamp {
    "2025-01-08T14:30:00Z".parse().unwrap()
}

fn p1() -> NewIncident {
    NewIncident {
        title: "High error rate".into(),
        severity: Severity::P1,
        service: "MCP Production".into(),
        impact: "High error rate (15%) on API endpoints".into(),
        investigating: "@ops-team".into(),
    }
}

fn intent() -> Intent {
    Intent::new("incident response", "ops-bot").unwrap()
}

fn engine(
    store: &Arc<InMemoryStore>,
    clock: &SharedClock,
    notifiers: &[Arc<Recorder>],
) -> EscalationEngine {
    let mut e = EscalationEngine::new(store.clone(), clock.clone());
    for n in notifiers {
        e = e.with_notifier(n.clone());
    }
    e
}

async fn advance_to(clock: &SharedClock, minutes: i64) {
    let target = t0()
        .checked_add(jiff::SignedDuration::from_mins(minutes))
        .unwrap();
    let d = target.duration_since(clock.now());
    tokio::time::advance(Duration::try_from(d).unwrap()).await;
}

fn levels(msgs: &[Message]) -> Vec<(MessageKind, Option<u8>)> {
    msgs.iter().map(|m| (m.kind, m.level)).collect()
}

#[tokio::test(start_paused = true)]
async fn runbook_timeline_l1_l2_ack_resolve() {
    let clock: SharedClock = Arc::new(TokioClock::starting_at(t0()));
    let slack = Recorder::new("slack");
    let store = Arc::new(InMemoryStore::new());
    let e = engine(&store, &clock, std::slice::from_ref(&slack));

    let inc = e.open(&p1(), &intent()).await.unwrap();
    assert_eq!(inc.level, 1);
    let sent = slack.sent();
    assert_eq!(levels(&sent), [(MessageKind::Detected, Some(1))]);
    assert_eq!(sent[0].recipients, ["DevOps Engineer (+1-555-0001)"]);
    assert!(
        sent[0]
            .body
            .starts_with("INCIDENT DETECTED\nService: MCP Production\nSeverity: P1")
    );

    advance_to(&clock, 14).await;
    assert!(e.tick(clock.now()).await.unwrap().is_empty());

    advance_to(&clock, 15).await;
    let actions = e.tick(clock.now()).await.unwrap();
    assert_eq!(actions.len(), 1);
    assert_eq!(actions[0].level, 2);
    assert_eq!(
        actions[0].targets,
        [
            "DevOps team lead <devops@company.com>",
            "infrastructure team <platform@company.com>"
        ]
    );
    assert!(
        e.tick(clock.now()).await.unwrap().is_empty(),
        "L2 is sent once"
    );

    advance_to(&clock, 20).await;
    let acked = e.acknowledge(&inc.id, &intent()).await.unwrap();
    assert!(matches!(acked.state, IncidentState::Acknowledged { ref by, .. } if by == "ops-bot"));
    let ack = slack.sent().pop().unwrap();
    assert_eq!(ack.kind, MessageKind::Acknowledged);
    assert_eq!(
        ack.body,
        "INCIDENT ACKNOWLEDGED\nAcknowledged by: ops-bot\nAcknowledged at: 2025-01-08 14:50 UTC\nService: MCP Production\nSeverity: P1\nOpen for: 20 minutes\nEscalation: stopped at L2"
    );
    e.acknowledge(&inc.id, &intent()).await.unwrap();
    assert_eq!(
        slack.sent().len(),
        3,
        "a second acknowledgement sends nothing"
    );

    advance_to(&clock, 30).await;
    assert!(
        e.tick(clock.now()).await.unwrap().is_empty(),
        "no L3 after acknowledgement"
    );
    advance_to(&clock, 45).await;
    assert!(e.tick(clock.now()).await.unwrap().is_empty());

    let resolved = e
        .resolve(
            &inc.id,
            "Scaled database connections from 20 to 50",
            &intent(),
        )
        .await
        .unwrap();
    assert!(resolved.is_resolved());
    let sent = slack.sent();
    assert_eq!(
        levels(&sent),
        [
            (MessageKind::Detected, Some(1)),
            (MessageKind::Escalation, Some(2)),
            (MessageKind::Acknowledged, None),
            (MessageKind::Resolved, None)
        ]
    );
    assert!(
        sent[3].body.contains("Duration: 45 minutes"),
        "{}",
        sent[3].body
    );
    assert!(e.open_incidents().await.unwrap().is_empty());
    assert!(matches!(
        e.resolve(&inc.id, "again", &intent()).await,
        Err(Error::Conflict { .. })
    ));
    assert!(matches!(
        e.acknowledge(&inc.id, &intent()).await,
        Err(Error::Conflict { .. })
    ));
}

#[tokio::test(start_paused = true)]
async fn unacknowledged_incident_reaches_l3() {
    let clock: SharedClock = Arc::new(TokioClock::starting_at(t0()));
    let slack = Recorder::new("slack");
    let e = engine(
        &Arc::new(InMemoryStore::new()),
        &clock,
        std::slice::from_ref(&slack),
    );
    e.open(&p1(), &intent()).await.unwrap();
    // The engine was not ticked until t0+31: L2 and L3 are both due, each sent once.
    advance_to(&clock, 31).await;
    let actions = e.tick(clock.now()).await.unwrap();
    assert_eq!(actions.iter().map(|a| a.level).collect::<Vec<_>>(), [2, 3]);
    assert_eq!(
        actions[1].targets,
        ["Engineering Manager (+1-555-0003)", "executive team"]
    );
    advance_to(&clock, 60).await;
    assert!(e.tick(clock.now()).await.unwrap().is_empty());
    assert_eq!(slack.sent().len(), 3);
}

#[tokio::test(start_paused = true)]
async fn restarted_engine_resumes_without_repeating_or_losing() {
    let clock: SharedClock = Arc::new(TokioClock::starting_at(t0()));
    let store = Arc::new(InMemoryStore::new());
    let first = Recorder::new("slack");
    let id = {
        let e = engine(&store, &clock, std::slice::from_ref(&first));
        let inc = e.open(&p1(), &intent()).await.unwrap();
        advance_to(&clock, 10).await;
        assert!(e.tick(clock.now()).await.unwrap().is_empty());
        inc.id
    }; // the engine is gone

    let second = Recorder::new("slack");
    let e = engine(&store, &clock, std::slice::from_ref(&second));
    assert!(e.tick(clock.now()).await.unwrap().is_empty());
    advance_to(&clock, 15).await;
    assert_eq!(e.tick(clock.now()).await.unwrap().len(), 1);
    advance_to(&clock, 16).await;
    assert!(e.tick(clock.now()).await.unwrap().is_empty());
    assert_eq!(levels(&first.sent()), [(MessageKind::Detected, Some(1))]);
    assert_eq!(
        levels(&second.sent()),
        [(MessageKind::Escalation, Some(2))],
        "L2 once, never L1 again"
    );
    assert_eq!(e.incident(&id).await.unwrap().level, 2);
}

#[tokio::test(start_paused = true)]
async fn failing_notifier_does_not_stop_others_and_is_retried() {
    let clock: SharedClock = Arc::new(TokioClock::starting_at(t0()));
    let store = Arc::new(InMemoryStore::new());
    let flaky = Recorder::failing("pagerduty", 1);
    let down = Recorder::failing("email", u32::MAX);
    let slack = Recorder::new("slack");
    let e = engine(
        &store,
        &clock,
        &[flaky.clone(), down.clone(), slack.clone()],
    )
    .with_max_attempts(3);

    let inc = e.open(&p1(), &intent()).await.unwrap();
    assert_eq!(
        slack.sent().len(),
        1,
        "slack got it although the others failed"
    );
    assert!(flaky.sent().is_empty());
    let outbox = e.outbox(&inc.id).await.unwrap();
    let status = |ch: &str| {
        outbox
            .iter()
            .find(|o| o.channel == ch)
            .unwrap()
            .status
            .clone()
    };
    assert!(matches!(
        status("pagerduty"),
        DeliveryStatus::Pending { attempts: 1, last_error: Some(ref e) } if e.contains("channel down")
    ));

    // Retried on the next tick: the flaky channel delivers exactly once.
    advance_to(&clock, 1).await;
    e.tick(clock.now()).await.unwrap();
    assert_eq!(flaky.sent().len(), 1);
    assert_eq!(slack.sent().len(), 1, "delivered messages are not repeated");
    advance_to(&clock, 2).await;
    e.tick(clock.now()).await.unwrap();
    assert_eq!(flaky.sent().len(), 1);
    let outbox = e.outbox(&inc.id).await.unwrap();
    let email = outbox.iter().find(|o| o.channel == "email").unwrap();
    assert!(
        matches!(email.status, DeliveryStatus::GaveUp { attempts: 3, .. }),
        "{:?}",
        email.status
    );
    assert!(store.pending().await.unwrap().is_empty());
}

#[tokio::test(start_paused = true)]
async fn severity_routing_updates_and_dry_runs() {
    let clock: SharedClock = Arc::new(TokioClock::starting_at(t0()));
    let store = Arc::new(InMemoryStore::new());
    let pager = Arc::new(Recorder {
        channel: "pagerduty",
        sent: Mutex::new(Vec::new()),
        fail_first: AtomicU32::new(0),
        pages_only: true,
    });
    let slack = Recorder::new("slack");
    let e = engine(&store, &clock, &[pager.clone(), slack.clone()]);

    let dry = e.open(&p1(), &intent().with_dry_run(true)).await.unwrap();
    assert_eq!(dry.level, 1);
    assert!(e.incident(&dry.id).await.is_err());
    assert!(slack.sent().is_empty() && pager.sent().is_empty());

    let p2 = NewIncident {
        severity: Severity::P2,
        ..p1()
    };
    let inc = e.open(&p2, &intent()).await.unwrap();
    assert!(pager.sent().is_empty(), "PagerDuty only for P0/P1");
    let update = IncidentUpdate {
        root_cause: Some("Database connection pool exhaustion".into()),
        actions: "Scaling database connections, restarting API pods".into(),
        eta: Some(Duration::from_secs(15 * 60)),
    };
    e.update(&inc.id, &update, &intent()).await.unwrap();
    let sent = slack.sent();
    assert_eq!(sent.len(), 2);
    assert_eq!(sent[1].kind, MessageKind::Update);
    assert!(sent[1].body.contains("ETA: 15 minutes"));

    assert!(matches!(
        e.incident(&"INC-unknown".parse().unwrap()).await,
        Err(Error::NotFound { .. })
    ));
    let bad = NewIncident {
        title: " ".into(),
        ..p1()
    };
    assert!(matches!(
        e.open(&bad, &intent()).await,
        Err(Error::InvalidInput { .. })
    ));
    assert!(
        matches!(e.silences().await, Err(Error::Unsupported { .. })),
        "no alertmanager configured"
    );
}
