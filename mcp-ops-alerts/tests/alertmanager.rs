//! Alertmanager API v2 against a real Alertmanager 0.25.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use jiff::{SignedDuration, Timestamp};
use mcp_ops_alerts::AlertsError;
use mcp_ops_alerts::alertmanager::{
    Alert, AlertFilter, AlertState, AlertmanagerClient, MaintenanceWindow, Matcher, NewAlert,
    NewSilence, SilenceState, silence_alert,
};
use mcp_ops_alerts::testing::TestAlertmanager;

fn in_an_hour() -> Timestamp {
    Timestamp::now()
        .checked_add(SignedDuration::from_hours(1))
        .unwrap()
}

fn alerts() -> Vec<NewAlert> {
    let start = Timestamp::now()
        .checked_sub(SignedDuration::from_mins(1))
        .unwrap();
    let end = in_an_hour();
    vec![
        NewAlert::new("HighErrorRate")
            .label("service", "api")
            .label("severity", "critical")
            .annotation("summary", "error rate 12%")
            .between(start, end),
        NewAlert::new("HighLatency")
            .label("service", "api")
            .label("severity", "warning")
            .between(start, end),
        NewAlert::new("DiskFull")
            .label("service", "postgres")
            .label("team", "db")
            .label("severity", "critical")
            .between(start, end),
    ]
}

/// Polls until `pred` holds for the listed alerts (Alertmanager processes posts asynchronously).
async fn eventually(
    am: &AlertmanagerClient,
    filter: &AlertFilter,
    pred: impl Fn(&[Alert]) -> bool,
) -> Vec<Alert> {
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        let got = am.alerts(filter).await.unwrap();
        if pred(&got) {
            return got;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "condition never held: {got:#?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn names(alerts: &[Alert]) -> Vec<&str> {
    let mut n: Vec<&str> = alerts.iter().filter_map(Alert::name).collect();
    n.sort_unstable();
    n
}

#[tokio::test]
async fn alerts_are_posted_filtered_silenced_and_unsilenced() {
    let server = TestAlertmanager::start().await.expect("start alertmanager");
    let am = server.client().unwrap();
    assert!(am.ready().await.unwrap());
    am.post_alerts(&alerts()).await.unwrap();

    // All three arrive; the warning is inhibited by the critical alert of the same service.
    let all = eventually(&am, &AlertFilter::default(), |a| {
        a.len() == 3
            && a.iter()
                .any(|x| x.name() == Some("HighLatency") && !x.status.inhibited_by.is_empty())
    })
    .await;
    let latency = all
        .iter()
        .find(|a| a.name() == Some("HighLatency"))
        .unwrap();
    assert_eq!(latency.status.state, AlertState::Suppressed);

    // Filters: receiver, matchers, inhibited flag.
    let db = AlertFilter {
        receiver: Some("db-team".into()),
        ..AlertFilter::default()
    };
    assert_eq!(names(&am.alerts(&db).await.unwrap()), ["DiskFull"]);
    let critical = AlertFilter::default().matching(Matcher::equal("severity", "critical"));
    assert_eq!(
        names(&am.alerts(&critical).await.unwrap()),
        ["DiskFull", "HighErrorRate"]
    );
    let regex = AlertFilter::default().matching(Matcher::regex("alertname", "High.*"));
    assert_eq!(
        names(&am.alerts(&regex).await.unwrap()),
        ["HighErrorRate", "HighLatency"]
    );
    let not_inhibited = AlertFilter {
        inhibited: Some(false),
        ..AlertFilter::default()
    };
    assert_eq!(
        names(&am.alerts(&not_inhibited).await.unwrap()),
        ["DiskFull", "HighErrorRate"]
    );

    // The runbook's maintenance silence for HighErrorRate.
    let window = MaintenanceWindow {
        starts_at: Timestamp::now()
            .checked_sub(SignedDuration::from_secs(5))
            .unwrap(),
        duration: Duration::from_secs(2 * 3600),
        created_by: "ops-team".into(),
        comment: "Maintenance window".into(),
    };
    let id = silence_alert(&am, "HighErrorRate", &window).await.unwrap();
    let silenced = AlertFilter {
        active: Some(false),
        inhibited: Some(false),
        silenced: Some(true),
        ..AlertFilter::default()
    };
    let muted = eventually(&am, &silenced, |a| a.len() == 1).await;
    assert_eq!(muted[0].name(), Some("HighErrorRate"));
    assert!(muted[0].is_silenced());
    assert_eq!(muted[0].status.silenced_by, std::slice::from_ref(&id));
    let unsilenced = AlertFilter {
        silenced: Some(false),
        ..AlertFilter::default()
    };
    assert!(!names(&am.alerts(&unsilenced).await.unwrap()).contains(&"HighErrorRate"));

    // Listed with its matchers, author and comment.
    let listed = am
        .silences(&[Matcher::equal("alertname", "HighErrorRate")])
        .await
        .unwrap();
    let s = listed.iter().find(|s| s.id == id).unwrap();
    assert_eq!(s.status.state, SilenceState::Active);
    assert_eq!(s.created_by, "ops-team");
    assert_eq!(s.matchers, [Matcher::equal("alertname", "HighErrorRate")]);

    // Expired: the alert is no longer silenced; expiring again is fine.
    am.expire_silence(&id).await.unwrap();
    assert_eq!(
        am.silence(&id).await.unwrap().status.state,
        SilenceState::Expired
    );
    eventually(&am, &unsilenced, |a| {
        a.iter().any(|x| x.name() == Some("HighErrorRate"))
    })
    .await;
    am.expire_silence(&id).await.unwrap();
}

#[tokio::test]
async fn unknown_and_invalid_silences_are_typed_errors() {
    let server = TestAlertmanager::start().await.expect("start alertmanager");
    let am = server.client().unwrap();
    let unknown = "00000000-0000-0000-0000-000000000000";
    assert!(matches!(
        am.expire_silence(unknown).await,
        Err(AlertsError::NotFound { .. })
    ));
    assert!(matches!(
        am.silence(unknown).await,
        Err(AlertsError::NotFound { .. })
    ));
    let now = Timestamp::now();
    let backwards = NewSilence {
        matchers: vec![Matcher::equal("alertname", "HighErrorRate")],
        starts_at: in_an_hour(),
        ends_at: now,
        created_by: "ops-team".into(),
        comment: "oops".into(),
    };
    assert!(matches!(
        am.create_silence(&backwards).await,
        Err(AlertsError::InvalidInput(_))
    ));
    assert!(am.silences(&[]).await.unwrap().is_empty());
    // A bad regex is refused by the server, not silently accepted.
    let bad = NewSilence {
        matchers: vec![Matcher::regex("alertname", "(")],
        starts_at: now,
        ends_at: in_an_hour(),
        ..backwards
    };
    assert!(matches!(
        am.create_silence(&bad).await,
        Err(AlertsError::Status { status: 400, .. })
    ));
}

mod escalator {
    use std::sync::Arc;

    use jiff::{SignedDuration, Timestamp};
    use mcp_ops_alerts::escalation::{EscalationEngine, InMemoryStore};
    use mcp_ops_alerts::testing::TestAlertmanager;
    use mcp_ops_core::escalation::{Matcher, SilenceRequest};
    use mcp_ops_core::{Escalator, Intent, SystemClock};

    #[tokio::test]
    async fn engine_silences_through_alertmanager_v2() {
        let server = TestAlertmanager::start().await.expect("start alertmanager");
        let engine = EscalationEngine::new(Arc::new(InMemoryStore::new()), Arc::new(SystemClock))
            .with_alertmanager(server.client().unwrap());
        let intent = Intent::new("maintenance", "ops-team").unwrap();
        let now = Timestamp::now();
        let request = SilenceRequest {
            matchers: vec![Matcher::equal("alertname", "HighErrorRate").unwrap()],
            starts_at: now,
            ends_at: now.checked_add(SignedDuration::from_hours(2)).unwrap(),
            created_by: "ops-team".into(),
            comment: "Maintenance window".into(),
        };
        let dry = engine
            .silence(&request, &intent.clone().with_dry_run(true))
            .await
            .unwrap();
        assert_eq!(dry.id, "dry-run");
        assert!(engine.silences().await.unwrap().is_empty());

        let s = engine.silence(&request, &intent).await.unwrap();
        assert!(!s.expired);
        assert_eq!(s.request.matchers, request.matchers);
        let listed = engine.silences().await.unwrap();
        assert_eq!(listed.len(), 1);
        engine.expire_silence(&s.id, &intent).await.unwrap();
        assert!(engine.silences().await.unwrap()[0].expired);
        assert!(matches!(
            engine
                .expire_silence("00000000-0000-0000-0000-000000000000", &intent)
                .await,
            Err(mcp_ops_core::Error::NotFound { .. })
        ));
    }
}

mod contract {
    use std::sync::Arc;

    use mcp_ops_alerts::escalation::{EscalationEngine, InMemoryStore};
    use mcp_ops_alerts::testing::TestAlertmanager;
    use mcp_ops_core::SystemClock;
    use mcp_ops_core::testing::{EscalatorFixture, escalator_contract};

    #[tokio::test]
    async fn engine_passes_the_escalator_contract() {
        let server = TestAlertmanager::start().await.expect("start alertmanager");
        let slack = mcp_ops_core::mock::RecordingNotifier::slack();
        let engine = EscalationEngine::new(Arc::new(InMemoryStore::new()), Arc::new(SystemClock))
            .with_alertmanager(server.client().unwrap())
            .with_notifier(Arc::new(slack.clone()));
        escalator_contract(&engine, &EscalatorFixture::runbook().with_notifier(slack))
            .await
            .unwrap();
    }
}
