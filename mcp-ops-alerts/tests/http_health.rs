//! `HttpHealthCheck` against wiremock servers and a closed port: the runbook's
//! `curl -f …/health` as Healthy / Degraded / Unhealthy reports, never an error for a down
//! endpoint, and URLs shown without credentials or query values.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use mcp_ops_alerts::http_health::HttpHealthCheck;
use mcp_ops_core::health::{
    HealthReport, HealthStatus, HealthTarget, HttpProbe, MetricKind, MetricProbe, ObservedValue,
    TargetKind,
};
use mcp_ops_core::{Error, HealthCheck};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

async fn server(template: ResponseTemplate) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/health"))
        .respond_with(template)
        .mount(&server)
        .await;
    server
}

fn probe(url: impl Into<String>) -> HttpProbe {
    HttpProbe::new("api", url)
}

async fn check(checker: &HttpHealthCheck, probe: HttpProbe) -> HealthReport {
    checker
        .check(&HealthTarget::Http(probe))
        .await
        .expect("a down endpoint is a report, not an error")
}

fn checker() -> HttpHealthCheck {
    HttpHealthCheck::new().unwrap()
}

/// A port nothing listens on: bound, read, released.
fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

#[tokio::test]
async fn expected_status_is_healthy_with_the_mocks_observations() {
    let s = server(ResponseTemplate::new(200).set_body_string("ok")).await;
    let r = check(&checker(), probe(format!("{}/health", s.uri()))).await;
    assert_eq!(r.status, HealthStatus::Healthy, "{}", r.message);
    assert!(r.message.starts_with("HTTP 200 in "), "{}", r.message);
    assert_eq!(
        r.observation("status_code"),
        Some(&ObservedValue::Count(200))
    );
    assert_eq!(
        r.observation("latency"),
        Some(&ObservedValue::Duration(r.latency))
    );
    assert!(matches!(r.target, HealthTarget::Http(_)));
}

#[tokio::test]
async fn another_status_is_unhealthy() {
    let s = server(ResponseTemplate::new(503)).await;
    let r = check(&checker(), probe(format!("{}/health", s.uri()))).await;
    assert_eq!(r.status, HealthStatus::Unhealthy);
    assert!(r.message.contains("HTTP 503"), "{}", r.message);
    assert_eq!(
        r.observation("status_code"),
        Some(&ObservedValue::Count(503))
    );
}

#[tokio::test]
async fn a_configured_expected_status_is_honoured() {
    let s = server(ResponseTemplate::new(204)).await;
    let mut p = probe(format!("{}/health", s.uri()));
    assert_eq!(
        check(&checker(), p.clone()).await.status,
        HealthStatus::Unhealthy
    );
    p.expected_status = 204;
    assert_eq!(check(&checker(), p).await.status, HealthStatus::Healthy);
}

#[tokio::test]
async fn a_redirect_is_not_followed_and_is_unhealthy() {
    let target = server(ResponseTemplate::new(200)).await;
    let s = server(
        ResponseTemplate::new(301).insert_header("location", format!("{}/health", target.uri())),
    )
    .await;
    let r = check(&checker(), probe(format!("{}/health", s.uri()))).await;
    assert_eq!(r.status, HealthStatus::Unhealthy);
    assert!(r.message.contains("HTTP 301"), "{}", r.message);
    assert!(
        target.received_requests().await.unwrap().is_empty(),
        "the redirect was followed"
    );
}

#[tokio::test]
async fn slower_than_max_latency_is_degraded() {
    let s = server(ResponseTemplate::new(200).set_delay(Duration::from_millis(400))).await;
    let mut p = probe(format!("{}/health", s.uri()));
    p.max_latency = Duration::from_millis(50);
    let r = check(&checker(), p).await;
    assert_eq!(r.status, HealthStatus::Degraded, "{}", r.message);
    assert!(r.message.contains("slower than 50 ms"), "{}", r.message);
    assert!(r.latency > Duration::from_millis(50));
}

#[tokio::test]
async fn no_answer_within_the_timeout_is_unhealthy() {
    let s = server(ResponseTemplate::new(200).set_delay(Duration::from_secs(30))).await;
    let checker = HttpHealthCheck::with_timeout(Duration::from_millis(300)).unwrap();
    assert_eq!(checker.timeout(), Duration::from_millis(300));
    let r = check(&checker, probe(format!("{}/health", s.uri()))).await;
    assert_eq!(r.status, HealthStatus::Unhealthy);
    assert!(
        r.message.contains("no answer within 300ms"),
        "{}",
        r.message
    );
    assert_eq!(r.observation("status_code"), None);
}

#[tokio::test]
async fn body_must_contain_the_expected_text() {
    let s = server(ResponseTemplate::new(200).set_body_string("{\"status\":\"degraded\"}")).await;
    let mut p = probe(format!("{}/health", s.uri()));
    p.body_contains = Some("\"status\":\"ok\"".into());
    let r = check(&checker(), p.clone()).await;
    assert_eq!(r.status, HealthStatus::Unhealthy);
    assert!(
        r.message.contains("body lacks the expected text"),
        "{}",
        r.message
    );
    assert_eq!(
        r.observation("body_matches"),
        Some(&ObservedValue::Flag(false))
    );

    p.body_contains = Some("degraded".into());
    let r = check(&checker(), p).await;
    assert_eq!(r.status, HealthStatus::Healthy, "{}", r.message);
    assert_eq!(
        r.observation("body_matches"),
        Some(&ObservedValue::Flag(true))
    );
}

#[tokio::test]
async fn a_closed_port_is_unhealthy_not_an_error() {
    let url = format!("http://127.0.0.1:{}/health", closed_port());
    let r = check(&checker(), probe(url)).await;
    assert_eq!(r.status, HealthStatus::Unhealthy);
    assert!(
        r.message.starts_with("api unreachable at "),
        "{}",
        r.message
    );
    assert!(r.message.contains("connection failed"), "{}", r.message);
}

#[tokio::test]
async fn an_unknown_host_is_unhealthy_not_an_error() {
    let checker = HttpHealthCheck::with_timeout(Duration::from_secs(2)).unwrap();
    let r = check(&checker, probe("http://mcp-ops-health.invalid/health")).await;
    assert_eq!(r.status, HealthStatus::Unhealthy, "{}", r.message);
}

#[tokio::test]
async fn credentials_and_query_values_never_show() {
    let secret_url = |base: &str| {
        let base = base.replace("http://", "http://user:pw-hunter2@");
        format!("{base}/health?token=SECRET-TOKEN&flag")
    };
    let s = server(ResponseTemplate::new(503)).await;
    let down = format!("http://127.0.0.1:{}", closed_port());
    let checker = checker();
    for url in [secret_url(&s.uri()), secret_url(&down)] {
        let r = check(&checker, probe(url)).await;
        assert_eq!(r.status, HealthStatus::Unhealthy);
        let shown = format!("{} {checker:?}", r.message);
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(!shown.contains("SECRET"), "{shown}");
    }
    // A name that does not resolve (a DNS error path): the report still hides both.
    let r = check(
        &HttpHealthCheck::with_timeout(Duration::from_secs(2)).unwrap(),
        probe("https://user:pw-hunter2@host.invalid/health?token=SECRET"),
    )
    .await;
    assert!(
        r.message
            .contains("https://***@host.invalid/health?token=***"),
        "{}",
        r.message
    );
    assert!(!r.message.contains("hunter2") && !r.message.contains("SECRET"));
}

#[tokio::test]
async fn an_invalid_url_is_invalid_input_without_secrets() {
    for url in [
        "not a url",
        "ftp://user:pw-hunter2@host/health?token=SECRET",
        "/health?token=SECRET",
    ] {
        let e = checker()
            .check(&HealthTarget::Http(probe(url)))
            .await
            .unwrap_err();
        assert!(
            matches!(e, Error::InvalidInput { field: "url", .. }),
            "{e:?}"
        );
        let shown = format!("{e} {e:?}");
        assert!(
            !shown.contains("hunter2") && !shown.contains("SECRET"),
            "{shown}"
        );
    }
}

#[tokio::test]
async fn only_http_targets_are_supported() {
    let checker = checker();
    assert_eq!(checker.backend(), "http");
    assert!(checker.supports(TargetKind::Http));
    for kind in [
        TargetKind::Cluster,
        TargetKind::Database,
        TargetKind::Cache,
        TargetKind::Metric,
    ] {
        assert!(!checker.supports(kind), "{kind:?}");
    }
    let metric = HealthTarget::Metric(MetricProbe {
        service: "mcp-typescript-api".into(),
        metric: MetricKind::ErrorRate,
        threshold: 0.05,
        window: Duration::from_secs(300),
    });
    let database = HealthTarget::Database {
        name: "mcp_db".into(),
    };
    for target in [metric, database] {
        let e = checker.check(&target).await.unwrap_err();
        assert!(
            matches!(
                e,
                Error::Unsupported {
                    backend: "http",
                    ..
                }
            ),
            "{e:?}"
        );
    }
}

#[test]
fn a_zero_timeout_is_invalid_input() {
    assert!(matches!(
        HttpHealthCheck::with_timeout(Duration::ZERO),
        Err(Error::InvalidInput {
            field: "timeout",
            ..
        })
    ));
}
