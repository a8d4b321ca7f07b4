//! The runbook's queries and checks against a real, back-filled Prometheus 2.42.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use mcp_ops_alerts::analysis::{CheckOutcome, MetricCheck, Schedule, Verdict};
use mcp_ops_alerts::prometheus::{QueryResult, Range, Reading, queries};
use mcp_ops_alerts::testing::{SeriesSet, TestPrometheus};
use mcp_ops_alerts::{AlertsError, PromErrorType};

const FIVE_MIN: Duration = Duration::from_secs(300);

fn runbook_series() -> SeriesSet {
    SeriesSet::ending_now()
        .requests("api", 100.0, 0.12)
        .requests("web", 50.0, 0.03)
        .requests("idle", 0.0, 0.0)
        .latency("api", 20.0, 3.0)
        .latency("web", 20.0, 0.5)
        .memory("mcp-production", "api-0", "api", 900e6, Some(1e9))
        .memory("mcp-production", "api-1", "api", 300e6, Some(1e9))
        .memory("mcp-production", "batch-0", "batch", 100e6, None)
}

async fn server() -> TestPrometheus {
    TestPrometheus::start(&runbook_series())
        .await
        .expect("start prometheus")
}

#[tokio::test]
async fn twelve_percent_errors_is_a_breach() {
    let prom = server().await;
    let client = prom.client().unwrap();
    let at = Some(prom.data_end());
    let r = queries::error_rate(&client, "api", FIVE_MIN, at)
        .await
        .unwrap();
    let v = r.value().expect("a value");
    assert!((v - 0.12).abs() < 1e-6, "{v}");
    let verdict = MetricCheck::error_rate("api", 0.05)
        .evaluate(&client, at)
        .await
        .unwrap();
    match verdict {
        Verdict::Breach { observed } => assert!((observed - 0.12).abs() < 1e-6),
        other => panic!("expected a breach, got {other:?}"),
    }
}

#[tokio::test]
async fn three_percent_errors_passes() {
    let prom = server().await;
    let client = prom.client().unwrap();
    let at = Some(prom.data_end());
    let r = queries::error_rate(&client, "web", FIVE_MIN, at)
        .await
        .unwrap();
    assert!((r.value().unwrap() - 0.03).abs() < 1e-6);
    let verdict = MetricCheck::error_rate("web", 0.05)
        .evaluate(&client, at)
        .await
        .unwrap();
    assert_eq!(verdict, Verdict::Pass);
}

#[tokio::test]
async fn no_series_or_no_traffic_is_inconclusive() {
    let prom = server().await;
    let client = prom.client().unwrap();
    let at = Some(prom.data_end());
    for service in ["ghost", "idle"] {
        let r = queries::error_rate(&client, service, FIVE_MIN, at)
            .await
            .unwrap();
        assert!(
            matches!(r, Reading::NoData(ref why) if why.contains(service)),
            "{r:?}"
        );
        let v = MetricCheck::error_rate(service, 0.05)
            .evaluate(&client, at)
            .await
            .unwrap();
        assert!(matches!(v, Verdict::Inconclusive { .. }), "{v:?}");
    }
    // Past the data, rate() has nothing to work on: still no NaN.
    let later = prom
        .data_end()
        .checked_add(jiff::SignedDuration::from_mins(30))
        .unwrap();
    let r = queries::error_rate(&client, "api", FIVE_MIN, Some(later))
        .await
        .unwrap();
    assert!(matches!(r, Reading::NoData(_)), "{r:?}");
}

#[tokio::test]
async fn p95_of_three_seconds_breaches_the_latency_check() {
    let prom = server().await;
    let client = prom.client().unwrap();
    let at = Some(prom.data_end());
    let p95 = queries::p95_latency(&client, Some("api"), at)
        .await
        .unwrap();
    let v = p95.value().unwrap();
    assert!((v - 3.0).abs() < 0.05, "{v}");
    let check = MetricCheck::p95_latency(Some("api".into()), 2.0);
    assert!(matches!(
        check.evaluate(&client, at).await.unwrap(),
        Verdict::Breach { observed } if (observed - 3.0).abs() < 0.05
    ));
    let web = MetricCheck::p95_latency(Some("web".into()), 2.0);
    assert_eq!(web.evaluate(&client, at).await.unwrap(), Verdict::Pass);
    let none = MetricCheck::p95_latency(Some("ghost".into()), 2.0);
    assert!(matches!(
        none.evaluate(&client, at).await.unwrap(),
        Verdict::Inconclusive { .. }
    ));
}

#[tokio::test]
async fn malformed_query_is_a_typed_error() {
    let prom = server().await;
    let client = prom.client().unwrap();
    let err = client
        .instant("sum(rate(http_requests_total[5m])", None)
        .await
        .unwrap_err();
    match &err {
        AlertsError::Query { error_type, error } => {
            assert_eq!(*error_type, PromErrorType::BadData);
            assert!(error.contains("parse error"), "{error}");
        }
        other => panic!("expected a query error, got {other:?}"),
    }
    assert!(!err.is_retryable());
    // A check with a malformed query fails loudly instead of being inconclusive.
    let mut check = MetricCheck::error_rate("api", 0.05);
    check.metric = mcp_ops_alerts::analysis::Metric::Query("rate(".into());
    assert!(check.evaluate(&client, None).await.is_err());
}

#[tokio::test]
async fn result_types_are_typed() {
    let prom = server().await;
    let client = prom.client().unwrap();
    let end = prom.data_end();
    let scalar = client.instant("1 + 1", Some(end)).await.unwrap();
    assert!(matches!(scalar, QueryResult::Scalar(p) if p.value == 2.0 && p.at == end));
    let string = client.instant("\"hello\"", Some(end)).await.unwrap();
    assert!(matches!(string, QueryResult::String { ref value, .. } if value == "hello"));
    let range = Range {
        start: end
            .checked_sub(jiff::SignedDuration::from_secs(120))
            .unwrap(),
        end,
        step: Duration::from_secs(60),
    };
    let m = client
        .range("sum by (service) (rate(http_requests_total[5m]))", range)
        .await
        .unwrap()
        .into_matrix()
        .unwrap();
    let api = m.iter().find(|s| s.metric["service"] == "api").unwrap();
    assert_eq!(api.points.len(), 3);
    assert!(api.points.iter().all(|p| (p.value - 100.0).abs() < 1e-6));
}

#[tokio::test]
async fn error_rates_and_memory_per_pod() {
    let prom = server().await;
    let client = prom.client().unwrap();
    let at = Some(prom.data_end());
    let rates = queries::error_rates_by_service(&client, FIVE_MIN, at)
        .await
        .unwrap();
    assert_eq!(rates.len(), 2, "{rates:?}");
    assert!((rates["api"] - 0.12).abs() < 1e-6);
    assert!((rates["web"] - 0.03).abs() < 1e-6);

    let mem = queries::memory_usage(&client, Some("mcp-production"), at)
        .await
        .unwrap();
    assert_eq!(mem.len(), 3);
    assert_eq!(mem[0].pod, "api-0");
    assert!((mem[0].ratio().unwrap() - 0.9).abs() < 1e-9);
    assert!((mem[1].ratio().unwrap() - 0.3).abs() < 1e-9);
    assert_eq!(mem[2].pod, "batch-0");
    assert_eq!(mem[2].limit_bytes, None);
}

#[tokio::test]
async fn replayed_checks_decide_by_limits() {
    let prom = server().await;
    let client = prom.client().unwrap();
    let start = prom
        .data_end()
        .checked_sub(jiff::SignedDuration::from_mins(2))
        .unwrap();
    let schedule = Schedule::Replay { start };
    let failing = MetricCheck::error_rate("api", 0.05).with_failure_limit(1);
    assert!(matches!(
        failing
            .run(&client, schedule, &mcp_ops_core::SystemClock)
            .await
            .unwrap(),
        CheckOutcome::Failed { breaches: 2, .. }
    ));
    let passing = MetricCheck::error_rate("web", 0.05).with_consecutive_successes(3);
    assert_eq!(
        passing
            .run(&client, schedule, &mcp_ops_core::SystemClock)
            .await
            .unwrap(),
        CheckOutcome::Passed { evaluations: 3 }
    );
    let unknown = MetricCheck::error_rate("ghost", 0.05);
    assert!(matches!(
        unknown
            .run(&client, schedule, &mcp_ops_core::SystemClock)
            .await
            .unwrap(),
        CheckOutcome::Inconclusive { .. }
    ));
}

mod health {
    use std::sync::Arc;
    use std::time::Duration;

    use mcp_ops_alerts::health::{PrometheusHealth, ROLLBACK_OBSERVATION};
    use mcp_ops_core::health::{
        HealthStatus, HealthSummary, HealthTarget, MetricKind, MetricProbe, ObservedValue,
        TargetKind,
    };
    use mcp_ops_core::{HealthCheck, Severity, TokioClock};

    fn probe(service: &str, metric: MetricKind, threshold: f64) -> HealthTarget {
        HealthTarget::Metric(MetricProbe {
            service: service.into(),
            metric,
            threshold,
            window: Duration::from_secs(300),
        })
    }

    #[tokio::test]
    async fn metric_targets_classify_p1_p2_and_rollback() {
        let prom = super::server().await;
        let health = PrometheusHealth::new(prom.client().unwrap())
            .with_clock(Arc::new(TokioClock::starting_at(prom.data_end())));
        assert!(health.supports(TargetKind::Metric));
        assert!(!health.supports(TargetKind::Http));

        let api = health
            .check(&probe("api", MetricKind::ErrorRate, 0.05))
            .await
            .unwrap();
        assert_eq!(api.status, HealthStatus::Unhealthy);
        assert_eq!(api.metric_severity(), Some(Severity::P1));
        assert!(
            matches!(api.observation("error_rate"), Some(ObservedValue::Ratio(r)) if (r - 0.12).abs() < 1e-6)
        );
        assert_eq!(
            api.observation(ROLLBACK_OBSERVATION),
            Some(&ObservedValue::Flag(true))
        );

        let web = health
            .check(&probe("web", MetricKind::ErrorRate, 0.05))
            .await
            .unwrap();
        assert_eq!(web.status, HealthStatus::Healthy);
        assert_eq!(web.metric_severity(), None);

        let ghost = health
            .check(&probe("ghost", MetricKind::ErrorRate, 0.05))
            .await
            .unwrap();
        assert_eq!(ghost.status, HealthStatus::Unknown);

        let slow = health
            .check(&probe("api", MetricKind::P95Latency, 2.0))
            .await
            .unwrap();
        assert_eq!(slow.status, HealthStatus::Degraded);
        assert_eq!(slow.metric_severity(), Some(Severity::P2));
        assert_eq!(
            slow.observation(ROLLBACK_OBSERVATION),
            Some(&ObservedValue::Flag(false))
        );

        let mem = health
            .check(&probe("api", MetricKind::MemoryRatio, 0.85))
            .await
            .unwrap();
        assert_eq!(mem.status, HealthStatus::Degraded, "{}", mem.message);
        assert!(
            matches!(mem.observation("memory_ratio"), Some(ObservedValue::Ratio(r)) if (r - 0.9).abs() < 1e-9)
        );

        let summary = HealthSummary::from_reports(vec![api, slow, web]);
        assert_eq!(summary.severity, Some(Severity::P1));

        let err = health
            .check(&HealthTarget::Database {
                name: "mcp_db".into(),
            })
            .await
            .unwrap_err();
        assert!(matches!(err, mcp_ops_core::Error::Unsupported { .. }));
    }
}
