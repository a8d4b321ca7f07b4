//! Runbook procedures 9 and 10 on the mocks: `rotate_secret` (Secret Rotation) and
//! `run_incident` (Alert Escalation, Incident Communication), on paused time.
#![cfg(all(feature = "mock", feature = "testing"))]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use jiff::{SignedDuration, Timestamp};
use tokio::sync::mpsc;
use tokio::time::{Instant, sleep};

use mcp_ops_core::escalation::Escalator;
use mcp_ops_core::health::HealthStatus;
use mcp_ops_core::incident::IncidentUpdate;
use mcp_ops_core::mock::{MockAlerting, MockCluster, RUNBOOK_HEALTH_URL, RecordingNotifier};
use mcp_ops_core::notify::MessageKind;
use mcp_ops_core::runbook::rotate_secret::{
    self, RotateSecretInput, RotateSecretOutcome, RotationBackends, rotate_secret,
};
use mcp_ops_core::runbook::run_incident::{
    self, IncidentEnd, IncidentSignal, IncidentSpec, run_incident,
};
use mcp_ops_core::runbook::{Context, StepOutcome};
use mcp_ops_core::secrets::{
    SecretCheck, SecretKeyRef, SecretRotator, SecretVersion, StagedSecret,
};
use mcp_ops_core::types::DeploymentRef;
use mcp_ops_core::{Error, Intent, Result, RotationPhase, SecretValue, SharedClock, TokioClock};

const OLD_JWT: &str = "seed-jwt-secret-value";

fn t0() -> Timestamp {
    "2025-01-08T14:30:00Z".parse().unwrap()
}

fn at_minutes(m: i64) -> Timestamp {
    t0().checked_add(SignedDuration::from_mins(m)).unwrap()
}

fn clock() -> SharedClock {
    Arc::new(TokioClock::starting_at(t0()))
}

fn ctx(procedure: &'static str, clock: &SharedClock, dry_run: bool) -> Context {
    let intent = Intent::new("monthly secret rotation", "ops-bot")
        .unwrap()
        .with_dry_run(dry_run);
    Context::new(procedure, intent, clock.clone())
}

fn api() -> DeploymentRef {
    "mcp-production/mcp-typescript-api".parse().unwrap()
}

fn jwt() -> SecretKeyRef {
    SecretKeyRef::new("mcp-production", "mcp-secrets", "jwt-secret").unwrap()
}

fn current_jwt(c: &MockCluster) -> SecretValue {
    c.secret_value("mcp-production", "mcp-secrets", "jwt-secret")
        .unwrap()
}

/// A rotator that delegates to the mock cluster, remembers the text of the value it was asked
/// to stage, and can make `verify` answer `Rejected`.
struct Spy {
    inner: MockCluster,
    reject: bool,
    staged: Mutex<Option<String>>,
}

impl Spy {
    fn new(inner: &MockCluster, reject: bool) -> Self {
        Self {
            inner: inner.clone(),
            reject,
            staged: Mutex::new(None),
        }
    }

    fn staged_text(&self) -> String {
        self.staged
            .lock()
            .unwrap()
            .clone()
            .expect("a value was staged")
    }
}

#[async_trait]
impl SecretRotator for Spy {
    fn backend(&self) -> &'static str {
        "spy"
    }
    async fn current(&self, target: &SecretKeyRef) -> Result<SecretVersion> {
        self.inner.current(target).await
    }
    async fn stage(
        &self,
        target: &SecretKeyRef,
        value: &SecretValue,
        intent: &Intent,
    ) -> Result<StagedSecret> {
        *self.staged.lock().unwrap() = Some(value.expose_str().unwrap().to_owned());
        self.inner.stage(target, value, intent).await
    }
    async fn apply(&self, target: &SecretKeyRef, intent: &Intent) -> Result<SecretVersion> {
        self.inner.apply(target, intent).await
    }
    async fn verify(&self, target: &SecretKeyRef) -> Result<SecretCheck> {
        if self.reject {
            self.inner.verify(target).await?;
            return Ok(SecretCheck::Rejected {
                why: "login with the new value failed".into(),
            });
        }
        self.inner.verify(target).await
    }
    async fn revert(&self, target: &SecretKeyRef, intent: &Intent) -> Result<SecretVersion> {
        self.inner.revert(target, intent).await
    }
}

fn backends<'a>(rotator: &'a dyn SecretRotator, c: &'a MockCluster) -> RotationBackends<'a> {
    RotationBackends {
        rotator,
        deployer: c,
        health: c,
    }
}

/// Asserts that no secret text appears in the outcome, the journal (JSON lines and Markdown)
/// or the given error text.
fn assert_absent(secret: &str, outcome: Option<&RotateSecretOutcome>, ctx: &Context, extra: &str) {
    assert!(!secret.is_empty());
    if let Some(o) = outcome {
        let json = serde_json::to_string(o).unwrap();
        assert!(!json.contains(secret), "secret in the outcome");
        assert!(
            !format!("{o:?}").contains(secret),
            "secret in the outcome's Debug"
        );
    }
    assert!(
        !ctx.journal().to_json_lines().contains(secret),
        "secret in the journal"
    );
    assert!(
        !ctx.journal().to_markdown("Rotation").contains(secret),
        "secret in the timeline"
    );
    assert!(!extra.contains(secret), "secret in the error");
}

fn reverted_why(o: &RotateSecretOutcome) -> &str {
    match o.report.outcome() {
        Some(RotationPhase::Reverted { why }) => why,
        other => panic!("expected Reverted, got {other:?}"),
    }
}

#[tokio::test(start_paused = true)]
async fn rotation_succeeds_restarting_dependents_concurrently() {
    let clock = clock();
    let c = MockCluster::builder_runbook().clock(clock.clone()).build();
    let spy = Spy::new(&c, false);
    let ctx = ctx(rotate_secret::PROCEDURE, &clock, false);
    let input = RotateSecretInput::runbook().unwrap();
    let started = Instant::now();

    let o = rotate_secret(&ctx, backends(&spy, &c), &input)
        .await
        .unwrap();

    assert!(o.succeeded(), "{:?}", o.report.phases);
    assert_eq!(
        o.report.phases,
        [
            RotationPhase::Staged,
            RotationPhase::Applied,
            RotationPhase::Restarted,
            RotationPhase::Verified
        ]
    );
    let new = current_jwt(&c);
    assert_ne!(new, SecretValue::from_str_value(OLD_JWT));
    assert_eq!(new.fingerprint(), o.report.current.fingerprint);
    assert_eq!(
        o.report.previous.fingerprint,
        SecretValue::from_str_value(OLD_JWT).fingerprint()
    );
    // `openssl rand -base64 32`: 44 characters of base64 encoding 32 bytes.
    assert_eq!(new.len(), 44);
    assert_eq!(
        SecretValue::from_base64(new.expose_str().unwrap())
            .unwrap()
            .len(),
        32
    );

    // Every deployment of the namespace, as `kubectl rollout restart deployment -n …`.
    let listed = ctx
        .journal()
        .entries()
        .into_iter()
        .find(|e| e.step == "list dependents")
        .unwrap();
    assert_eq!(listed.command, "kubectl get deployments -n mcp-production");
    assert_eq!(c.faults().count("restart"), 3);
    assert_eq!(o.restarts.len(), 3);
    assert!(o.restarts.iter().all(|r| r.succeeded()));
    assert_eq!(o.health.as_ref().unwrap().overall, HealthStatus::Healthy);
    assert_eq!(o.secret_check, Some(SecretCheck::NotApplicable));
    assert!(o.revert_restarts.is_empty() && o.plan.is_none());
    // Three rollouts of 1.5 s each in parallel, not one after the other (4.5 s).
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );

    // The value is nowhere: not in the report, the journal, nor its timeline.
    assert_eq!(spy.staged_text(), new.expose_str().unwrap());
    assert_absent(new.expose_str().unwrap(), Some(&o), &ctx, "");
    assert_absent(OLD_JWT, Some(&o), &ctx, "");
    let md = ctx.journal().to_markdown("Rotation");
    assert!(md.contains(&o.report.current.fingerprint));
    assert!(md.contains("kubectl rollout restart deployment/mcp-rust-server -n mcp-production"));
    assert!(md.contains("openssl rand -base64 32"));
}

#[tokio::test(start_paused = true)]
async fn health_endpoint_down_after_restart_puts_previous_value_back() {
    let clock = clock();
    let c = MockCluster::builder_runbook().clock(clock.clone()).build();
    c.set_endpoint(
        RUNBOOK_HEALTH_URL,
        500,
        Duration::from_millis(20),
        Some(api()),
    );
    let spy = Spy::new(&c, false);
    let ctx = ctx(rotate_secret::PROCEDURE, &clock, false);

    let o = rotate_secret(
        &ctx,
        backends(&spy, &c),
        &RotateSecretInput::runbook().unwrap(),
    )
    .await
    .unwrap();

    assert!(o.reverted() && !o.succeeded());
    assert_eq!(
        &o.report.phases[..3],
        [
            RotationPhase::Staged,
            RotationPhase::Applied,
            RotationPhase::Restarted
        ]
    );
    assert!(
        reverted_why(&o).contains("health check failed"),
        "{}",
        reverted_why(&o)
    );
    assert!(reverted_why(&o).contains("HTTP 500"));
    assert_eq!(current_jwt(&c), SecretValue::from_str_value(OLD_JWT));
    assert_eq!(o.report.current.fingerprint, o.report.previous.fingerprint);
    // Restarted with the new value, then again with the old one.
    assert_eq!(c.faults().count("restart"), 6);
    assert_eq!(c.faults().count("secret_revert"), 1);
    assert_eq!(o.revert_restarts.len(), 3);
    assert!(o.revert_restarts.iter().all(|r| r.succeeded()));
    assert_eq!(
        o.health_after_revert.as_ref().unwrap().overall,
        HealthStatus::Unhealthy,
        "the endpoint still answers 500: the report must say so"
    );
    assert_absent(&spy.staged_text(), Some(&o), &ctx, "");
    // The revert's restarts follow the revert in the journal.
    let steps: Vec<String> = ctx
        .journal()
        .entries()
        .into_iter()
        .map(|e| e.step)
        .collect();
    let revert_at = steps
        .iter()
        .position(|s| s == "revert to previous value")
        .unwrap();
    assert_eq!(
        steps[revert_at..]
            .iter()
            .filter(|s| *s == "restart after revert")
            .count(),
        3
    );
}

#[tokio::test(start_paused = true)]
async fn rejected_secret_puts_previous_value_back() {
    let clock = clock();
    let c = MockCluster::builder_runbook().clock(clock.clone()).build();
    let spy = Spy::new(&c, true);
    let ctx = ctx(rotate_secret::PROCEDURE, &clock, false);
    let input = RotateSecretInput::new(jwt()).with_dependents(vec![api()]);

    let o = rotate_secret(&ctx, backends(&spy, &c), &input)
        .await
        .unwrap();

    assert!(o.reverted());
    assert!(
        reverted_why(&o).contains("rejected"),
        "{}",
        reverted_why(&o)
    );
    assert!(matches!(o.secret_check, Some(SecretCheck::Rejected { .. })));
    assert_eq!(o.health.as_ref().unwrap().overall, HealthStatus::Healthy);
    assert_eq!(current_jwt(&c), SecretValue::from_str_value(OLD_JWT));
    // Only the listed dependent, once with the new value and once with the old one.
    let restarts: Vec<String> = c
        .faults()
        .calls()
        .into_iter()
        .filter(|c| c.operation == "restart")
        .map(|c| c.target)
        .collect();
    assert_eq!(restarts, ["mcp-production/mcp-typescript-api"; 2]);
    assert_absent(&spy.staged_text(), Some(&o), &ctx, "");
}

#[tokio::test(start_paused = true)]
async fn failed_restart_puts_previous_value_back() {
    let clock = clock();
    let c = MockCluster::builder_runbook().clock(clock.clone()).build();
    c.faults().fail_next(
        "restart",
        1,
        Error::not_found("deployment", "mcp-production/mcp-learning-system"),
    );
    let ctx = ctx(rotate_secret::PROCEDURE, &clock, false);

    let o = rotate_secret(
        &ctx,
        backends(&c, &c),
        &RotateSecretInput::runbook().unwrap(),
    )
    .await
    .unwrap();

    assert!(o.reverted());
    assert!(
        reverted_why(&o).contains("restart failed"),
        "{}",
        reverted_why(&o)
    );
    assert_eq!(o.restarts.iter().filter(|r| !r.succeeded()).count(), 1);
    assert!(!o.report.phases.contains(&RotationPhase::Restarted));
    assert!(o.health.is_none(), "no verification after a failed restart");
    assert_eq!(current_jwt(&c), SecretValue::from_str_value(OLD_JWT));
    assert_eq!(c.faults().count("restart"), 6);
    assert!(o.revert_restarts.iter().all(|r| r.succeeded()));
}

#[tokio::test(start_paused = true)]
async fn failed_apply_drops_the_staged_value_without_restarting() {
    let clock = clock();
    let c = MockCluster::builder_runbook().clock(clock.clone()).build();
    c.faults().fail_next(
        "secret_apply",
        1,
        Error::unavailable("mock-cluster", "injected"),
    );
    let ctx = ctx(rotate_secret::PROCEDURE, &clock, false);
    let input = RotateSecretInput::runbook().unwrap();

    let o = rotate_secret(&ctx, backends(&c, &c), &input).await.unwrap();

    assert!(o.reverted());
    assert!(
        reverted_why(&o).starts_with("apply failed"),
        "{}",
        reverted_why(&o)
    );
    assert_eq!(o.report.phases[0], RotationPhase::Staged);
    assert!(!o.report.phases.contains(&RotationPhase::Applied));
    assert_eq!(c.faults().count("restart"), 0);
    assert!(o.revert_restarts.is_empty());
    assert_eq!(current_jwt(&c), SecretValue::from_str_value(OLD_JWT));
    // Nothing is left staged: the next rotation goes through.
    let again = rotate_secret(&ctx, backends(&c, &c), &input).await.unwrap();
    assert!(again.succeeded(), "{:?}", again.report.phases);
}

#[tokio::test(start_paused = true)]
async fn failed_revert_is_an_error_without_the_value() {
    let clock = clock();
    let c = MockCluster::builder_runbook().clock(clock.clone()).build();
    c.set_endpoint(
        RUNBOOK_HEALTH_URL,
        500,
        Duration::from_millis(20),
        Some(api()),
    );
    c.faults().fail_next(
        "secret_revert",
        10,
        Error::unavailable("mock-cluster", "injected"),
    );
    let spy = Spy::new(&c, false);
    let ctx = ctx(rotate_secret::PROCEDURE, &clock, false);

    let e = rotate_secret(
        &ctx,
        backends(&spy, &c),
        &RotateSecretInput::runbook().unwrap(),
    )
    .await
    .unwrap_err();

    assert!(
        matches!(
            e,
            Error::Backend {
                retryable: false,
                ..
            }
        ),
        "{e:?}"
    );
    let text = e.to_string();
    assert!(text.contains("revert by hand"), "{text}");
    assert!(text.contains("mcp-production/mcp-secrets[jwt-secret]"));
    assert_absent(&spy.staged_text(), None, &ctx, &format!("{text} {e:?}"));
}

#[tokio::test(start_paused = true)]
async fn rotation_dry_run_changes_nothing_and_returns_the_plan() {
    let clock = clock();
    let c = MockCluster::builder_runbook().clock(clock.clone()).build();
    let ctx = ctx(rotate_secret::PROCEDURE, &clock, true);

    let o = rotate_secret(
        &ctx,
        backends(&c, &c),
        &RotateSecretInput::runbook().unwrap(),
    )
    .await
    .unwrap();

    assert!(
        c.faults().state_changes().is_empty(),
        "{:?}",
        c.faults().state_changes()
    );
    assert!(ctx.journal().state_changes().is_empty());
    assert_eq!(current_jwt(&c), SecretValue::from_str_value(OLD_JWT));
    assert!(o.report.dry_run && o.report.phases.is_empty());
    let plan = o.plan.unwrap();
    let steps: Vec<&str> = plan.steps.iter().map(|s| s.step.as_str()).collect();
    assert_eq!(
        steps,
        [
            "stage new value",
            "apply new value",
            "rolling restart",
            "wait for rollout",
            "rolling restart",
            "wait for rollout",
            "rolling restart",
            "wait for rollout",
            "verify health",
            "verify secret",
            "mark rotation finished"
        ]
    );
    assert_eq!(
        plan.steps[1].command,
        "kubectl patch secret mcp-secrets -n mcp-production --patch='{\"data\":{\"jwt-secret\":\"<new-jwt-secret-base64>\"}}'"
    );
    assert_eq!(
        plan.steps[8].command,
        format!("curl -f {RUNBOOK_HEALTH_URL}")
    );
}

#[tokio::test(start_paused = true)]
async fn invalid_rotation_input_is_refused_before_any_call() {
    let clock = clock();
    let c = MockCluster::builder_runbook().clock(clock.clone()).build();
    let ctx = ctx(rotate_secret::PROCEDURE, &clock, false);
    let mut input = RotateSecretInput::new(jwt()).with_dependents(vec![api(), api()]);
    let e = rotate_secret(&ctx, backends(&c, &c), &input)
        .await
        .unwrap_err();
    assert!(
        matches!(
            e,
            Error::InvalidInput {
                field: "dependents",
                ..
            }
        ),
        "{e:?}"
    );
    input = input.with_dependents(vec![api()]);
    input.spec.bytes = 8;
    assert!(rotate_secret(&ctx, backends(&c, &c), &input).await.is_err());
    assert!(c.faults().calls().is_empty());
}

// ---------------------------------------------------------------- run_incident

struct Alerting {
    alerting: MockAlerting,
    slack: RecordingNotifier,
    pagerduty: RecordingNotifier,
}

fn alerting(clock: &SharedClock) -> Alerting {
    let slack = RecordingNotifier::slack().with_clock(clock.clone());
    let pagerduty = RecordingNotifier::pagerduty().with_clock(clock.clone());
    let alerting = MockAlerting::builder()
        .clock(clock.clone())
        .notifier(Arc::new(slack.clone()))
        .notifier(Arc::new(pagerduty.clone()))
        .build();
    Alerting {
        alerting,
        slack,
        pagerduty,
    }
}

fn kinds(messages: &[mcp_ops_core::Message]) -> Vec<(MessageKind, Option<u8>)> {
    messages
        .iter()
        .map(|m| {
            let level = (m.kind == MessageKind::Escalation)
                .then_some(m.level)
                .flatten();
            (m.kind, level)
        })
        .collect()
}

fn update() -> IncidentUpdate {
    IncidentUpdate {
        root_cause: Some("Database connection pool exhaustion".into()),
        actions: "Scaling database connections, restarting API pods".into(),
        eta: Some(Duration::from_secs(15 * 60)),
    }
}

#[tokio::test(start_paused = true)]
async fn incident_escalates_until_acknowledged_then_resolves_with_its_duration() {
    let clock = clock();
    let a = alerting(&clock);
    let ctx = ctx(run_incident::PROCEDURE, &clock, false);
    let (tx, rx) = mpsc::channel(8);
    let driver = async move {
        sleep(Duration::from_secs(20 * 60)).await;
        tx.send(IncidentSignal::Acknowledge { by: "alice".into() })
            .await
            .unwrap();
        sleep(Duration::from_secs(5 * 60)).await;
        tx.send(IncidentSignal::Update(update())).await.unwrap();
        sleep(Duration::from_secs(10 * 60)).await;
        tx.send(IncidentSignal::Resolve {
            resolution: "Scaled database connections from 20 to 50".into(),
        })
        .await
        .unwrap();
        // Keep the sender until the run has ended.
        sleep(Duration::from_secs(3600)).await;
    };
    let spec = IncidentSpec::runbook();
    let run = run_incident(&ctx, &a.alerting, &spec, rx);
    let o = tokio::select! {
        o = run => o.unwrap(),
        () = driver => panic!("the run did not end"),
    };

    // L1 on open at t0, L2 at +15 min, no L3 at +30 (acknowledged at +20).
    let levels: Vec<(u8, Timestamp)> = a
        .alerting
        .escalations()
        .iter()
        .map(|e| (e.level, e.at))
        .collect();
    assert_eq!(levels, [(1, t0()), (2, at_minutes(15))]);
    assert_eq!(o.escalations.len(), 1);
    assert_eq!(
        o.escalations[0].targets,
        ["team lead", "infrastructure team"]
    );
    // Ticks every minute until the acknowledgement at +20 min, none after it.
    let ticks = a.alerting.faults().count("tick");
    assert!((19..=20).contains(&ticks), "{ticks} ticks");
    let ack = o.acknowledged.as_ref().unwrap();
    assert_eq!((ack.by.as_str(), ack.at), ("alice", at_minutes(20)));
    assert_eq!(
        o.end,
        IncidentEnd::Resolved {
            resolution: "Scaled database connections from 20 to 50".into(),
            at: at_minutes(35),
        }
    );
    assert_eq!(o.duration, Duration::from_secs(35 * 60));
    let incident = o.incident.as_ref().unwrap();
    assert!(incident.is_resolved());
    assert_eq!(incident.level, 2);
    assert!(o.failures.is_empty());

    let expected = [
        (MessageKind::Detected, None),
        (MessageKind::Escalation, Some(2)),
        (MessageKind::Acknowledged, None),
        (MessageKind::Update, None),
        (MessageKind::Resolved, None),
    ];
    assert_eq!(kinds(&o.messages), expected);
    assert_eq!(kinds(&a.slack.messages()), expected);
    assert_eq!(kinds(&a.pagerduty.messages()), expected, "P1 pages");
    assert_eq!(
        o.messages[2],
        a.slack.messages()[2],
        "the acknowledgement as sent"
    );
    let resolved = a.slack.messages().pop().unwrap();
    assert!(
        resolved.body.contains("Duration: 35 minutes"),
        "{}",
        resolved.body
    );
    assert_eq!(o.messages[4].body, resolved.body);
    assert!(o.messages[0].body.contains("Started: 2025-01-08 14:30 UTC"));
    assert!(o.messages[2].body.contains("Acknowledged by: alice\n"));
    assert!(o.messages[3].body.contains("ETA: 15 minutes"));

    let journal = ctx.journal().entries();
    let duration = journal.iter().find(|e| e.step == "duration").unwrap();
    assert_eq!(duration.outcome, StepOutcome::Ok("35 minutes".into()));
    let steps: Vec<&str> = journal.iter().map(|e| e.step.as_str()).collect();
    assert_eq!(
        steps,
        [
            "open incident",
            "notify",
            "escalation check",
            "acknowledge",
            "send update",
            "resolve",
            "duration"
        ],
        "quiet ticks are not journaled"
    );
    assert_eq!(journal[2].at, at_minutes(15));
}

#[tokio::test(start_paused = true)]
async fn unacknowledged_incident_reaches_level_3_at_30_minutes() {
    let clock = clock();
    let a = alerting(&clock);
    let ctx = ctx(run_incident::PROCEDURE, &clock, false);
    let (tx, rx) = mpsc::channel(8);
    let driver = async move {
        sleep(Duration::from_secs(31 * 60)).await;
        tx.send(IncidentSignal::Resolve {
            resolution: "rolled back".into(),
        })
        .await
        .unwrap();
        sleep(Duration::from_secs(3600)).await;
    };
    let spec = IncidentSpec::runbook();
    let o = tokio::select! {
        o = run_incident(&ctx, &a.alerting, &spec, rx) => o.unwrap(),
        () = driver => panic!("the run did not end"),
    };
    let levels: Vec<(u8, Timestamp)> = o.escalations.iter().map(|e| (e.level, e.at)).collect();
    assert_eq!(levels, [(2, at_minutes(15)), (3, at_minutes(30))]);
    assert_eq!(
        o.escalations[1].targets,
        ["engineering manager", "executive team"]
    );
    assert_eq!(o.duration, Duration::from_secs(31 * 60));
    assert!(
        a.slack
            .messages()
            .last()
            .unwrap()
            .body
            .contains("Duration: 31 minutes")
    );
}

#[tokio::test(start_paused = true)]
async fn max_duration_stops_the_run_and_leaves_the_incident_open() {
    let clock = clock();
    let a = alerting(&clock);
    let ctx = ctx(run_incident::PROCEDURE, &clock, false);
    let (_tx, rx) = mpsc::channel(8);
    let mut spec = IncidentSpec::runbook();
    spec.max_duration = Duration::from_secs(20 * 60);
    let started = Instant::now();
    let o = run_incident(&ctx, &a.alerting, &spec, rx).await.unwrap();
    assert_eq!(o.end, IncidentEnd::MaxDurationReached);
    assert_eq!(started.elapsed(), Duration::from_secs(20 * 60));
    assert_eq!(o.duration, Duration::from_secs(20 * 60));
    assert_eq!(a.alerting.open_incidents().await.unwrap().len(), 1);
    assert_eq!(o.escalations.len(), 1, "L2 at 15 min");
}

#[tokio::test(start_paused = true)]
async fn dropping_the_sender_ends_the_run() {
    let clock = clock();
    let a = alerting(&clock);
    let ctx = ctx(run_incident::PROCEDURE, &clock, false);
    let (tx, rx) = mpsc::channel(8);
    tx.send(IncidentSignal::Acknowledge { by: "bob".into() })
        .await
        .unwrap();
    drop(tx);
    let o = run_incident(&ctx, &a.alerting, &IncidentSpec::runbook(), rx)
        .await
        .unwrap();
    assert_eq!(o.end, IncidentEnd::SignalsClosed);
    assert_eq!(o.acknowledged.as_ref().unwrap().by, "bob");
    assert_eq!(o.duration, Duration::ZERO);
    assert_eq!(a.alerting.open_incidents().await.unwrap().len(), 1);
}

#[tokio::test(start_paused = true)]
async fn a_failed_resolve_is_reported_and_can_be_sent_again() {
    let clock = clock();
    let a = alerting(&clock);
    a.alerting
        .faults()
        .fail_next("resolve", 1, Error::invalid("resolution", "injected"));
    let ctx = ctx(run_incident::PROCEDURE, &clock, false);
    let (tx, rx) = mpsc::channel(8);
    let driver = async move {
        sleep(Duration::from_secs(5 * 60)).await;
        tx.send(IncidentSignal::Acknowledge { by: " ".into() })
            .await
            .unwrap();
        for _ in 0..2 {
            tx.send(IncidentSignal::Resolve {
                resolution: "fixed".into(),
            })
            .await
            .unwrap();
        }
        sleep(Duration::from_secs(3600)).await;
    };
    let spec = IncidentSpec::runbook();
    let o = tokio::select! {
        o = run_incident(&ctx, &a.alerting, &spec, rx) => o.unwrap(),
        () = driver => panic!("the run did not end"),
    };
    assert_eq!(o.failures.len(), 2);
    assert!(
        o.failures[0].starts_with("acknowledge: invalid actor"),
        "{:?}",
        o.failures
    );
    assert!(o.acknowledged.is_none());
    assert!(
        o.failures[1].starts_with("resolve: invalid resolution"),
        "{:?}",
        o.failures
    );
    assert!(matches!(o.end, IncidentEnd::Resolved { .. }));
    assert_eq!(o.duration, Duration::from_secs(5 * 60));
}

#[tokio::test(start_paused = true)]
async fn incident_dry_run_opens_nothing_and_returns_the_plan() {
    let clock = clock();
    let a = alerting(&clock);
    let ctx = ctx(run_incident::PROCEDURE, &clock, true);
    let (_tx, rx) = mpsc::channel(8);
    let o = run_incident(&ctx, &a.alerting, &IncidentSpec::runbook(), rx)
        .await
        .unwrap();
    assert_eq!(o.end, IncidentEnd::Planned);
    assert!(o.incident.is_none());
    assert!(a.alerting.open_incidents().await.unwrap().is_empty());
    assert!(a.alerting.faults().state_changes().is_empty());
    assert!(ctx.journal().state_changes().is_empty());
    assert!(a.slack.messages().is_empty() && a.pagerduty.messages().is_empty());
    let steps: Vec<String> = o.plan.unwrap().steps.into_iter().map(|s| s.step).collect();
    assert_eq!(
        steps,
        [
            "open incident",
            "escalation check",
            "send update",
            "resolve"
        ]
    );
}

#[tokio::test(start_paused = true)]
async fn invalid_incident_is_refused_before_any_call() {
    let clock = clock();
    let a = alerting(&clock);
    let ctx = ctx(run_incident::PROCEDURE, &clock, false);
    let (_tx, rx) = mpsc::channel(8);
    let mut spec = IncidentSpec::runbook();
    spec.tick_interval = Duration::ZERO;
    let e = run_incident(&ctx, &a.alerting, &spec, rx)
        .await
        .unwrap_err();
    assert!(matches!(
        e,
        Error::InvalidInput {
            field: "tick_interval",
            ..
        }
    ));
    assert!(a.alerting.faults().calls().is_empty());
}
