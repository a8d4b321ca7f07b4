//! The backup, maintenance and escalator contracts on the mocks, and the behaviour of
//! `MockDatabase` and `MockAlerting` beyond the contracts.
#![cfg(all(feature = "mock", feature = "testing"))]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use jiff::Timestamp;
use mcp_ops_core::Error;
use mcp_ops_core::backup::{
    BackupKind, BackupManager, BackupRequest, BackupStatus, IntegrityCheck, RestoreOptions,
    TestRestore,
};
use mcp_ops_core::clock::{Clock, TokioClock};
use mcp_ops_core::escalation::{AlertFilter, AlertState, Escalator, Matcher, SilenceRequest};
use mcp_ops_core::health::{HealthCheck, HealthStatus, HealthTarget, MetricKind, MetricProbe};
use mcp_ops_core::incident::NewIncident;
use mcp_ops_core::maintenance::{DatabaseMaintenance, MaintenanceTask};
use mcp_ops_core::mock::{Availability, MockAlerting, MockDatabase, RecordingNotifier};
use mcp_ops_core::notify::{MessageKind, Notifier};
use mcp_ops_core::testing::{
    BackupFixture, EscalatorFixture, MaintenanceFixture, backup_contract, escalator_contract,
    maintenance_contract,
};
use mcp_ops_core::types::{Intent, Severity};

fn intent() -> Intent {
    Intent::new("test", "mock-contracts-data").unwrap()
}

fn dry() -> Intent {
    intent().with_dry_run(true)
}

fn db_request() -> BackupRequest {
    BackupRequest {
        kind: BackupKind::Database {
            database: "mcp_db".into(),
        },
        label: Some("pre-maintenance".into()),
    }
}

fn users_check(min: i64) -> IntegrityCheck {
    IntegrityCheck {
        name: "users present".into(),
        query: "SELECT COUNT(*) FROM users;".into(),
        min,
    }
}

fn t0() -> Timestamp {
    "2025-01-08T14:30:00Z".parse().unwrap()
}

// ---- contracts ----------------------------------------------------------------------

#[tokio::test]
async fn backup_contract_passes_on_the_mock_database() {
    let db = MockDatabase::runbook();
    backup_contract(&db, &BackupFixture::database("mcp_db", "users", 1000))
        .await
        .unwrap();
    let config = BackupFixture {
        request: BackupRequest {
            kind: BackupKind::Configuration {
                namespace: "mcp-production".parse().unwrap(),
            },
            label: None,
        },
        checks: vec![users_check(1)],
    };
    backup_contract(&db, &config).await.unwrap();
    let job = BackupFixture {
        request: BackupRequest {
            kind: BackupKind::CronJob {
                namespace: "mcp-production".parse().unwrap(),
                cronjob: "postgres-backup".parse().unwrap(),
            },
            label: None,
        },
        checks: vec![users_check(1200)],
    };
    backup_contract(&db, &job).await.unwrap();
}

#[tokio::test]
async fn backup_contract_fails_when_the_test_restore_fails() {
    // The contract can fail: checks that the backup cannot pass break it.
    let db = MockDatabase::runbook();
    let fx = BackupFixture::database("mcp_db", "users", 5000);
    let v = backup_contract(&db, &fx).await.unwrap_err();
    assert!(v.rule.contains("test restore"), "{v}");
}

#[tokio::test]
async fn maintenance_contract_passes_with_and_without_pg_stat_statements() {
    let db = MockDatabase::runbook();
    maintenance_contract(&db, &MaintenanceFixture::runbook())
        .await
        .unwrap();
    let without = MockDatabase::builder()
        .table("users", 1)
        .table("sessions", 1)
        .without_pg_stat_statements()
        .build();
    let fx = MaintenanceFixture {
        statement_stats: false,
        ..MaintenanceFixture::runbook()
    };
    maintenance_contract(&without, &fx).await.unwrap();
    // Claiming statistics that are not there is caught.
    let v = maintenance_contract(&without, &MaintenanceFixture::runbook())
        .await
        .unwrap_err();
    assert!(v.rule.contains("Unsupported"), "{v}");
}

/// The mock keeps every one of 50 concurrent changes, like the real stores.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn escalator_concurrency_contract_passes_on_the_mock_alerting() {
    let slack = RecordingNotifier::slack();
    let alerting: Arc<dyn mcp_ops_core::Escalator> = Arc::new(
        MockAlerting::builder()
            .notifier(Arc::new(slack.clone()))
            .build(),
    );
    let replicas = vec![alerting; 50];
    mcp_ops_core::testing::escalator_concurrency_contract(
        &replicas,
        &EscalatorFixture::runbook().with_notifier(slack),
        50,
    )
    .await
    .unwrap();
}

#[tokio::test]
async fn escalator_contract_passes_on_the_mock_alerting() {
    let slack = RecordingNotifier::slack();
    let alerting = MockAlerting::builder()
        .notifier(Arc::new(slack.clone()))
        .build();
    escalator_contract(
        &alerting,
        &EscalatorFixture::runbook().with_notifier(slack.clone()),
    )
    .await
    .unwrap();
    let kinds: Vec<MessageKind> = slack.messages().iter().map(|m| m.kind).collect();
    assert_eq!(
        kinds,
        [
            MessageKind::Detected,
            MessageKind::Escalation,
            MessageKind::Update,
            MessageKind::Acknowledged,
            MessageKind::Resolved
        ]
    );
}

// ---- MockDatabase -------------------------------------------------------------------

#[tokio::test]
async fn runbook_database_is_seeded() {
    let db = MockDatabase::runbook();
    assert_eq!(db.database_name(), "mcp_db");
    assert_eq!(db.table_rows("users"), Some(1200));
    assert!(db.table_rows("sessions").is_some_and(|n| n > 0));
    let long = mcp_ops_core::maintenance::long_running(
        &db.active_queries().await.unwrap(),
        Duration::from_secs(30),
    );
    assert_eq!(long.len(), 1);
    let idx = db.index_usage().await.unwrap();
    assert!(
        idx.iter().any(|i| i.scans == 0),
        "an unused index is seeded"
    );
    assert!(!db.connections().await.unwrap().exhausted());
}

#[tokio::test]
async fn backups_are_deterministic_in_the_contents() {
    let db = MockDatabase::runbook();
    let a = db.backup(&db_request(), &intent()).await.unwrap();
    let b = db.backup(&db_request(), &intent()).await.unwrap();
    assert_ne!(a.id, b.id);
    assert_eq!(a.sha256, b.sha256);
    db.set_table("users", 1201);
    let c = db.backup(&db_request(), &intent()).await.unwrap();
    assert_ne!(a.sha256, c.sha256);
    assert!(a.id.as_str().starts_with("pre-maintenance-"));
    assert!(a.location.ends_with(".sql"));
}

#[tokio::test]
async fn corrupted_backup_fails_verification_and_restore_touches_nothing() {
    let db = MockDatabase::runbook();
    let record = db.backup(&db_request(), &intent()).await.unwrap();
    db.set_table("users", 7); // the accident a restore should repair
    db.corrupt_backup(&record.id).unwrap();

    let report = db
        .verify(&record.id, Some(vec![users_check(1000)]))
        .await
        .unwrap();
    assert!(!report.checksum_ok);
    assert!(!report.passed());
    assert!(matches!(report.test_restore, TestRestore::Failed { .. }));

    let options = RestoreOptions {
        integrity_checks: vec![users_check(1000)],
        ..RestoreOptions::default()
    };
    let err = db
        .restore(&record.id, &options, &intent())
        .await
        .unwrap_err();
    assert!(matches!(err, Error::PolicyViolation { .. }), "{err:?}");
    assert!(err.to_string().contains("checksum"), "{err}");
    assert_eq!(db.table_rows("users"), Some(7), "database untouched");
    assert!(db.restores().is_empty());
}

#[tokio::test]
async fn unverified_restore_of_an_unreadable_backup_touches_nothing() {
    let db = MockDatabase::runbook();
    let record = db.backup(&db_request(), &intent()).await.unwrap();
    db.set_table("users", 7);
    db.corrupt_backup(&record.id).unwrap();
    let options = RestoreOptions {
        verify_first: false,
        ..RestoreOptions::default()
    };
    let r = db.restore(&record.id, &options, &intent()).await;
    assert!(matches!(r, Err(Error::Backend { .. })), "{r:?}");
    assert_eq!(db.table_rows("users"), Some(7));
}

#[tokio::test]
async fn restore_brings_the_tables_back_and_runs_the_checks() {
    let db = MockDatabase::runbook();
    let record = db.backup(&db_request(), &intent()).await.unwrap();
    db.drop_table("users");
    let options = RestoreOptions {
        integrity_checks: vec![users_check(1000)],
        ..RestoreOptions::default()
    };
    let report = db.restore(&record.id, &options, &intent()).await.unwrap();
    assert!(report.checks_passed());
    assert_eq!(report.checks[0].value, Some(1200));
    assert_eq!(db.table_rows("users"), Some(1200));
    assert_eq!(db.restores(), [record.id]);
}

#[tokio::test]
async fn unsupported_integrity_query_fails_with_a_clear_reason() {
    let db = MockDatabase::runbook();
    let record = db.backup(&db_request(), &intent()).await.unwrap();
    let check = IntegrityCheck {
        name: "max id".into(),
        query: "SELECT max(id) FROM users".into(),
        min: 1,
    };
    let report = db.verify(&record.id, Some(vec![check])).await.unwrap();
    match report.test_restore {
        TestRestore::Failed { reason } => assert!(reason.contains("only understands"), "{reason}"),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn dry_runs_are_recorded_and_change_nothing() {
    let db = MockDatabase::runbook();
    let planned = db.backup(&db_request(), &dry()).await.unwrap();
    assert_eq!(planned.status, BackupStatus::Running);
    assert!(db.list().await.unwrap().is_empty());
    let report = db.analyze(&["users".into()], &dry()).await.unwrap();
    assert!(report.dry_run);
    db.vacuum(&[], &dry()).await.unwrap();
    assert!(db.maintenance_runs().is_empty());

    let calls = db.faults().calls();
    assert_eq!(calls.len(), 4);
    assert!(calls.iter().filter(|c| c.mutating).all(|c| c.dry_run));
    assert!(db.faults().state_changes().is_empty());

    let run = db
        .analyze(&["users".into(), "sessions".into()], &intent())
        .await
        .unwrap();
    assert_eq!(run.task, MaintenanceTask::Analyze);
    assert_eq!(db.maintenance_runs().len(), 1);
    assert_eq!(db.faults().state_changes().len(), 1);
}

#[tokio::test]
async fn maintenance_errors_are_typed() {
    let db = MockDatabase::builder()
        .table("users", 1)
        .without_pg_stat_statements()
        .build();
    let r = db.slow_statements(10).await;
    assert!(matches!(r, Err(Error::Unsupported { .. })), "{r:?}");
    let r = db.analyze(&["orders".into()], &intent()).await;
    assert!(matches!(r, Err(Error::NotFound { .. })), "{r:?}");
    db.faults()
        .fail_next("vacuum", 1, Error::unavailable("postgres", "injected"));
    assert!(db.vacuum(&[], &intent()).await.unwrap_err().is_retryable());
    assert!(db.vacuum(&[], &intent()).await.is_ok());
}

#[tokio::test(start_paused = true)]
async fn database_and_cache_health_follow_their_settings() {
    let clock = Arc::new(TokioClock::starting_at(t0()));
    let db = MockDatabase::builder().clock(clock).build();
    let pg = HealthTarget::Database {
        name: "mcp_db".into(),
    };
    let redis = HealthTarget::Cache {
        name: "redis".into(),
    };
    assert_eq!(db.check(&pg).await.unwrap().status, HealthStatus::Healthy);
    assert_eq!(
        db.check(&redis).await.unwrap().status,
        HealthStatus::Healthy
    );
    db.set_database_health(Availability::Down);
    assert_eq!(db.check(&pg).await.unwrap().status, HealthStatus::Unhealthy);
    db.set_cache_health(Availability::Slow(Duration::from_secs(3)));
    let slow = db.check(&redis).await.unwrap();
    assert_eq!(slow.status, HealthStatus::Degraded);
    assert_eq!(slow.latency, Duration::from_secs(3));
    db.set_database_health(Availability::Up);
    db.set_connections(95, 100);
    let busy = db.check(&pg).await.unwrap();
    assert_eq!(busy.status, HealthStatus::Degraded);
    assert!(busy.message.contains("exhausted"));
    let other = HealthTarget::Database {
        name: "other_db".into(),
    };
    assert!(matches!(
        db.check(&other).await,
        Err(Error::NotFound { .. })
    ));
    let metric = HealthTarget::Metric(probe(MetricKind::ErrorRate, 0.05));
    assert!(matches!(
        db.check(&metric).await,
        Err(Error::Unsupported { .. })
    ));
}

// ---- MockAlerting -------------------------------------------------------------------

fn probe(metric: MetricKind, threshold: f64) -> MetricProbe {
    MetricProbe {
        service: "mcp-typescript-api".into(),
        metric,
        threshold,
        window: Duration::from_secs(300),
    }
}

fn p1() -> NewIncident {
    EscalatorFixture::runbook().incident
}

#[tokio::test(start_paused = true)]
async fn escalation_timeline_on_paused_time() {
    let clock = Arc::new(TokioClock::starting_at(t0()));
    let slack = RecordingNotifier::slack().with_clock(clock.clone());
    let pagerduty = RecordingNotifier::pagerduty();
    let alerting = MockAlerting::builder()
        .clock(clock.clone())
        .notifier(Arc::new(slack.clone()))
        .notifier(Arc::new(pagerduty.clone()))
        .build();
    let minutes = |m: u64| Duration::from_secs(m * 60);

    let inc = alerting.open(&p1(), &intent()).await.unwrap();
    assert_eq!(inc.started, t0());
    assert_eq!(inc.level, 1);
    let l1 = slack.messages();
    assert_eq!(l1.len(), 1);
    assert_eq!(l1[0].kind, MessageKind::Detected);
    assert_eq!(l1[0].recipients, ["on-call engineer"]);
    assert!(l1[0].body.contains("Started: 2025-01-08 14:30 UTC"));
    assert_eq!(pagerduty.messages().len(), 1, "P1 pages");

    tokio::time::advance(minutes(10)).await;
    assert!(alerting.tick(clock.now()).await.unwrap().is_empty());
    tokio::time::advance(minutes(5)).await;
    let l2 = alerting.tick(clock.now()).await.unwrap();
    assert_eq!(l2.len(), 1);
    assert_eq!(l2[0].level, 2);
    assert_eq!(l2[0].targets, ["team lead", "infrastructure team"]);
    let last = slack.messages().pop().unwrap();
    assert_eq!((last.kind, last.level), (MessageKind::Escalation, Some(2)));

    tokio::time::advance(minutes(5)).await;
    alerting.acknowledge(&inc.id, &intent()).await.unwrap();
    let ack = slack.messages().pop().unwrap();
    assert_eq!(ack.kind, MessageKind::Acknowledged);
    assert!(
        ack.body.contains("Escalation: stopped at L2"),
        "{}",
        ack.body
    );
    assert_eq!(pagerduty.messages().len(), 3, "PagerDuty acknowledged too");
    tokio::time::advance(minutes(10)).await;
    assert!(
        alerting.tick(clock.now()).await.unwrap().is_empty(),
        "no L3 after ack"
    );
    assert_eq!(alerting.incident(&inc.id).await.unwrap().level, 2);

    tokio::time::advance(minutes(3)).await;
    alerting
        .resolve(
            &inc.id,
            "Scaled database connections from 20 to 50",
            &intent(),
        )
        .await
        .unwrap();
    let resolved = slack.messages().pop().unwrap();
    assert_eq!(resolved.kind, MessageKind::Resolved);
    assert!(
        resolved.body.contains("Duration: 33 minutes"),
        "{}",
        resolved.body
    );
    assert!(
        resolved
            .body
            .contains("Scaled database connections from 20 to 50")
    );
    assert_eq!(slack.messages().len(), 4);
    assert_eq!(alerting.escalations().len(), 2);
}

#[tokio::test(start_paused = true)]
async fn unacknowledged_incident_reaches_level_three_once() {
    let clock = Arc::new(TokioClock::starting_at(t0()));
    let slack = RecordingNotifier::slack();
    let alerting = MockAlerting::builder()
        .clock(clock.clone())
        .notifier(Arc::new(slack.clone()))
        .build();
    let inc = alerting.open(&p1(), &intent()).await.unwrap();
    tokio::time::advance(Duration::from_secs(31 * 60)).await;
    let actions = alerting.tick(clock.now()).await.unwrap();
    let levels: Vec<u8> = actions.iter().map(|a| a.level).collect();
    assert_eq!(
        levels,
        [2, 3],
        "a late tick notifies every level due, in order"
    );
    assert!(alerting.tick(clock.now()).await.unwrap().is_empty());
    assert_eq!(alerting.incident(&inc.id).await.unwrap().level, 3);
}

#[tokio::test]
async fn channels_follow_the_runbook() {
    let (slack, pd, email) = (
        RecordingNotifier::slack(),
        RecordingNotifier::pagerduty(),
        RecordingNotifier::email(),
    );
    let accepted = |n: &RecordingNotifier| Severity::ALL.map(|s| n.accepts(s));
    assert_eq!(accepted(&slack), [true, true, true, true]);
    assert_eq!(accepted(&pd), [true, true, false, false]);
    assert_eq!(accepted(&email), [true, true, true, false]);

    let alerting = MockAlerting::builder()
        .notifier(Arc::new(slack.clone()))
        .notifier(Arc::new(pd.clone()))
        .notifier(Arc::new(email.clone()))
        .build();
    let mut p3 = p1();
    p3.severity = Severity::P3;
    alerting.open(&p3, &intent()).await.unwrap();
    assert_eq!(
        (
            slack.messages().len(),
            pd.messages().len(),
            email.messages().len()
        ),
        (1, 0, 0)
    );
    let mut p2 = p1();
    p2.severity = Severity::P2;
    alerting.open(&p2, &intent()).await.unwrap();
    assert_eq!(
        (
            slack.messages().len(),
            pd.messages().len(),
            email.messages().len()
        ),
        (2, 0, 1)
    );
}

#[tokio::test]
async fn a_failing_notifier_does_not_block_the_others_and_is_retried() {
    let (slack, pd) = (RecordingNotifier::slack(), RecordingNotifier::pagerduty());
    pd.fail_next(1);
    let alerting = MockAlerting::builder()
        .notifier(Arc::new(pd.clone()))
        .notifier(Arc::new(slack.clone()))
        .build();
    let inc = alerting.open(&p1(), &intent()).await.unwrap();
    assert_eq!(
        slack.messages().len(),
        1,
        "slack got it although pagerduty failed first"
    );
    assert!(pd.messages().is_empty());
    let failed = alerting.failed_deliveries();
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0].channel, "pagerduty");
    assert_eq!(failed[0].incident, inc.id);
    assert_eq!(alerting.pending_retries(), 1);

    alerting.tick(inc.started).await.unwrap();
    assert_eq!(pd.messages().len(), 1, "retried on the next tick");
    assert_eq!(pd.messages()[0].kind, MessageKind::Detected);
    assert_eq!(pd.attempts(), 2);
    assert_eq!(alerting.pending_retries(), 0);
    assert_eq!(slack.messages().len(), 1, "slack is not sent twice");
}

#[tokio::test]
async fn dry_runs_notify_nobody_and_store_nothing() {
    let slack = RecordingNotifier::slack();
    let alerting = MockAlerting::builder()
        .notifier(Arc::new(slack.clone()))
        .build();
    let planned = alerting.open(&p1(), &dry()).await.unwrap();
    assert!(alerting.open_incidents().await.unwrap().is_empty());
    assert!(alerting.incident(&planned.id).await.is_err());
    let inc = alerting.open(&p1(), &intent()).await.unwrap();
    assert_eq!(slack.messages().len(), 1);
    let r = alerting.resolve(&inc.id, "planned", &dry()).await.unwrap();
    assert!(r.is_resolved());
    assert!(!alerting.incident(&inc.id).await.unwrap().is_resolved());
    alerting.acknowledge(&inc.id, &dry()).await.unwrap();
    assert!(alerting.incident(&inc.id).await.unwrap().escalates());
    assert_eq!(slack.messages().len(), 1, "dry runs sent nothing");
    let dry_calls: Vec<_> = alerting
        .faults()
        .calls()
        .into_iter()
        .filter(|c| c.dry_run)
        .collect();
    assert_eq!(dry_calls.len(), 3);
    assert_eq!(alerting.faults().state_changes().len(), 1);
}

#[tokio::test(start_paused = true)]
async fn silences_mute_matching_alerts_until_they_expire() {
    let clock = Arc::new(TokioClock::starting_at(t0()));
    let alerting = MockAlerting::builder().clock(clock.clone()).build();
    let labels = |name: &str| {
        BTreeMap::from([
            ("alertname".to_owned(), name.to_owned()),
            ("service".to_owned(), "mcp-typescript-api".to_owned()),
        ])
    };
    alerting.fire_alert(labels("HighErrorRate"), BTreeMap::new());
    alerting.fire_alert(labels("HighLatency"), BTreeMap::new());
    let request = SilenceRequest {
        matchers: vec![Matcher::equal("alertname", "HighLatency").unwrap()],
        starts_at: t0(),
        ends_at: "2025-01-08T15:30:00Z".parse().unwrap(),
        created_by: "ops".into(),
        comment: "Maintenance window".into(),
    };
    alerting.silence(&request, &intent()).await.unwrap();
    let firing = alerting.alerts(&AlertFilter::default()).await.unwrap();
    assert_eq!(firing.len(), 1);
    assert_eq!(firing[0].labels["alertname"], "HighErrorRate");
    let all = alerting
        .alerts(&AlertFilter {
            matchers: vec![],
            include_silenced: true,
        })
        .await
        .unwrap();
    assert_eq!(
        all.iter()
            .filter(|a| a.state == AlertState::Suppressed)
            .count(),
        1
    );
    let only = AlertFilter {
        matchers: vec![Matcher::equal("alertname", "HighErrorRate").unwrap()],
        include_silenced: true,
    };
    assert_eq!(alerting.alerts(&only).await.unwrap().len(), 1);

    tokio::time::advance(Duration::from_secs(61 * 60)).await;
    assert!(
        alerting.silences().await.unwrap()[0].expired,
        "expired by the clock"
    );
    assert_eq!(
        alerting
            .alerts(&AlertFilter::default())
            .await
            .unwrap()
            .len(),
        2
    );
}

#[tokio::test]
async fn metric_health_compares_with_the_threshold() {
    let alerting = MockAlerting::runbook();
    let target = HealthTarget::Metric(probe(MetricKind::ErrorRate, 0.05));
    assert_eq!(
        alerting.check(&target).await.unwrap().status,
        HealthStatus::Healthy
    );
    alerting.set_metric("mcp-typescript-api", MetricKind::ErrorRate, Some(0.15));
    let report = alerting.check(&target).await.unwrap();
    assert_eq!(report.status, HealthStatus::Unhealthy);
    assert_eq!(report.metric_severity(), Some(Severity::P1));
    alerting.set_metric("mcp-typescript-api", MetricKind::ErrorRate, None);
    let report = alerting.check(&target).await.unwrap();
    assert_eq!(report.status, HealthStatus::Unknown);
    assert!(report.message.contains("no data"));
    let latency = HealthTarget::Metric(probe(MetricKind::P95Latency, 2.0));
    alerting.set_metric("mcp-typescript-api", MetricKind::P95Latency, Some(3.0));
    assert_eq!(
        alerting.check(&latency).await.unwrap().status,
        HealthStatus::Unhealthy
    );
    let db = HealthTarget::Database {
        name: "mcp_db".into(),
    };
    assert!(matches!(
        alerting.check(&db).await,
        Err(Error::Unsupported { .. })
    ));
}
