//! One scenario for `EscalationStore::prune`, run on every store (memory, file, PostgreSQL).

use jiff::{SignedDuration, Timestamp};
use mcp_ops_alerts::escalation::{DeliveryStatus, EscalationStore, OutboxEntry};
use mcp_ops_core::incident::IncidentState;
use mcp_ops_core::notify::{Message, MessageKind};
use mcp_ops_core::{Incident, IncidentId, Severity};

fn now() -> Timestamp {
    "2025-03-01T12:00:00Z".parse().unwrap()
}

fn days_ago(days: i64) -> Timestamp {
    now()
        .checked_sub(SignedDuration::from_hours(24 * days))
        .unwrap()
}

fn incident(id: &str, state: IncidentState) -> Incident {
    Incident {
        id: IncidentId::new(id).unwrap(),
        title: "High error rate".into(),
        severity: Severity::P1,
        service: "MCP Production".into(),
        impact: "High error rate (15%) on API endpoints".into(),
        investigating: "@ops-team".into(),
        started: days_ago(90),
        state,
        level: 1,
        updates: Vec::new(),
    }
}

fn resolved(id: &str, days: i64) -> Incident {
    incident(
        id,
        IncidentState::Resolved {
            at: days_ago(days),
            resolution: "rolled back".into(),
        },
    )
}

fn entry(incident: &str, event: &str, status: DeliveryStatus) -> OutboxEntry {
    let id = IncidentId::new(incident).unwrap();
    OutboxEntry {
        key: format!("{incident}/{event}/slack"),
        incident: id.clone(),
        channel: "slack".into(),
        message: Message {
            kind: MessageKind::Resolved,
            incident: id,
            severity: Severity::P1,
            subject: "[P1] INCIDENT RESOLVED".into(),
            body: "resolved".into(),
            level: None,
            recipients: vec!["ops".into()],
        },
        created_at: days_ago(60),
        status,
    }
}

fn sent() -> DeliveryStatus {
    DeliveryStatus::Sent {
        at: days_ago(60),
        reference: None,
        attempts: 1,
    }
}

/// Old, delivered and resolved goes; open, acknowledged, recent, or with a pending message
/// stays; the outbox of what went goes with it; a second prune finds nothing.
pub async fn prune_keeps_what_is_still_needed(store: &dyn EscalationStore) {
    let old = resolved("INC-OLD", 60);
    let undelivered = resolved("INC-UNDELIVERED", 60);
    let recent = resolved("INC-RECENT", 3);
    let open = incident("INC-OPEN", IncidentState::Open);
    let acked = incident(
        "INC-ACKED",
        IncidentState::Acknowledged {
            by: "alice".into(),
            at: days_ago(60),
        },
    );
    store
        .save(&old, &[entry("INC-OLD", "resolved", sent())])
        .await
        .unwrap();
    let pending = DeliveryStatus::Pending {
        attempts: 3,
        last_error: Some("503".into()),
    };
    store
        .save(
            &undelivered,
            &[entry("INC-UNDELIVERED", "resolved", pending)],
        )
        .await
        .unwrap();
    for i in [&recent, &open, &acked] {
        store.save(i, &[]).await.unwrap();
    }

    let gone = store.prune(days_ago(30)).await.unwrap();
    assert_eq!(gone, vec![IncidentId::new("INC-OLD").unwrap()]);
    let left: Vec<String> = store
        .incidents()
        .await
        .unwrap()
        .iter()
        .map(|i| i.id.to_string())
        .collect();
    assert_eq!(
        left,
        ["INC-UNDELIVERED", "INC-RECENT", "INC-OPEN", "INC-ACKED"]
    );
    assert!(store.incident(&old.id).await.unwrap().is_none());
    assert!(store.outbox(&old.id).await.unwrap().is_empty());
    assert_eq!(store.outbox(&undelivered.id).await.unwrap().len(), 1);
    assert!(store.prune(days_ago(30)).await.unwrap().is_empty());
}
