//! The test kit itself: one clock for every mock and context, the nightly backup, the
//! metric script, dry-run contexts and the recording notifiers.
#![cfg(feature = "testkit")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use jiff::{SignedDuration, Timestamp};
use mcp_ops_core::health::{HealthTarget, MetricKind, MetricProbe};
use mcp_ops_core::runbook::scale_out::{ScaleOutInput, ScaleOutStatus, scale_out};
use mcp_ops_core::testkit::{BREACH_ERROR_RATE, HEALTHY_ERROR_RATE, START, TestKit};
use mcp_ops_core::types::DeploymentRef;
use mcp_ops_core::{
    BackupManager, Escalator, HealthCheck, HealthStatus, NewIncident, Scaler, Severity,
};

fn start() -> Timestamp {
    START.parse().unwrap()
}

fn plus(t: Timestamp, secs: i64) -> Timestamp {
    t.checked_add(SignedDuration::from_secs(secs)).unwrap()
}

#[tokio::test(start_paused = true)]
async fn every_mock_and_context_reads_the_one_clock() {
    let kit = TestKit::runbook().await.unwrap();
    let ctx = kit.context("check", "clock").unwrap();
    for now in [
        kit.now(),
        kit.cluster.clock().now(),
        kit.database.clock().now(),
        kit.alerting.clock().now(),
        ctx.now(),
    ] {
        assert_eq!(now, start());
    }
    tokio::time::sleep(Duration::from_secs(7 * 60)).await;
    let incident = kit
        .alerting
        .open(
            &NewIncident {
                title: "High error rate on API".into(),
                severity: Severity::P1,
                service: "MCP Production".into(),
                impact: "High error rate (15%) on API endpoints".into(),
                investigating: "@ops-team".into(),
            },
            ctx.intent(),
        )
        .await
        .unwrap();
    assert_eq!(incident.started, plus(start(), 7 * 60));
    assert_eq!(ctx.now(), plus(start(), 7 * 60));
    let detected = kit.slack.messages();
    assert_eq!(detected.len(), 1, "DETECTED on Slack");
    assert_eq!(kit.pagerduty.messages().len(), 1, "P1 pages");
    assert!(kit.email.messages().len() <= 1);
}

#[tokio::test(start_paused = true)]
async fn the_nightly_backup_is_taken_at_the_start_and_verifies() {
    let kit = TestKit::runbook().await.unwrap();
    let list = kit.database.list().await.unwrap();
    let nightly = list
        .iter()
        .find(|b| b.id == kit.nightly_backup.id)
        .expect("listed");
    assert_eq!(nightly.started, start());
    let report = kit
        .database
        .verify(&kit.nightly_backup.id, None)
        .await
        .unwrap();
    assert!(report.checksum_ok);
}

fn error_rate() -> HealthTarget {
    HealthTarget::Metric(MetricProbe {
        service: "mcp-typescript-api".into(),
        metric: MetricKind::ErrorRate,
        threshold: 0.10,
        window: Duration::from_secs(300),
    })
}

#[tokio::test(start_paused = true)]
async fn metrics_follow_their_script_on_the_clock() {
    let kit = TestKit::runbook().await.unwrap();
    let api = "mcp-typescript-api";
    let read = || kit.metrics.value(api, MetricKind::ErrorRate);
    assert_eq!(read(), Some(HEALTHY_ERROR_RATE));
    kit.metrics.breach_after(Duration::from_secs(600));
    kit.metrics.set(api, MetricKind::ErrorRate, Some(0.05));
    assert_eq!(read(), Some(0.05), "set now applies now");
    tokio::time::sleep(Duration::from_secs(300)).await;
    assert_eq!(read(), Some(0.05), "the breach is not due yet");
    tokio::time::sleep(Duration::from_secs(301)).await;
    assert_eq!(read(), Some(BREACH_ERROR_RATE), "the later entry wins");
    let report = kit.metrics.check(&error_rate()).await.unwrap();
    assert_eq!(report.status, HealthStatus::Unhealthy);
    kit.metrics.no_data_after(Duration::ZERO);
    assert_eq!(read(), None);
    let report = kit.metrics.check(&error_rate()).await.unwrap();
    assert_eq!(report.status, HealthStatus::Unknown);
    kit.metrics.heal();
    assert_eq!(read(), Some(HEALTHY_ERROR_RATE));
    assert_eq!(
        kit.metrics.value("another-service", MetricKind::P95Latency),
        Some(0.2),
        "every service is healthy by default"
    );
    assert_eq!(kit.metrics.reads(), 2);
}

#[tokio::test(start_paused = true)]
async fn a_dry_run_context_changes_nothing() {
    let kit = TestKit::runbook().await.unwrap();
    let ctx = kit.dry_run_context("scale_out", "plan the launch").unwrap();
    let input = ScaleOutInput::runbook().unwrap();
    let report = scale_out(&ctx, kit.scale_out_backends(), &input)
        .await
        .unwrap();
    assert_eq!(report.status, ScaleOutStatus::Planned);
    assert!(!report.plan.unwrap().steps.is_empty());
    let rust: DeploymentRef = "mcp-production/mcp-rust-server".parse().unwrap();
    assert_eq!(kit.cluster.replicas(&rust).await.unwrap().get(), 3);
    assert!(
        kit.journal()
            .entries()
            .iter()
            .any(|e| e.procedure == "scale_out")
    );
}
