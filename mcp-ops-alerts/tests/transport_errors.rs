//! Timeouts and transport failures are typed and never leak URLs or credentials.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use mcp_ops_alerts::AlertsError;
use mcp_ops_alerts::alertmanager::{AlertFilter, AlertmanagerClient};
use mcp_ops_alerts::prometheus::PrometheusClient;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

#[tokio::test]
async fn slow_prometheus_times_out() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/v1/query"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(serde_json::json!({"status":"success","data":{"resultType":"vector","result":[]}}))
                .set_delay(Duration::from_secs(5)),
        )
        .mount(&server)
        .await;
    let client = PrometheusClient::new(&server.uri())
        .unwrap()
        .with_timeout(Duration::from_millis(200));
    let err = client.instant("up", None).await.unwrap_err();
    assert!(
        matches!(
            err,
            AlertsError::Timeout {
                backend: "prometheus",
                ..
            }
        ),
        "{err:?}"
    );
    assert!(err.is_retryable());
}

#[tokio::test]
async fn server_errors_without_json_are_status_errors() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(502).set_body_string("bad gateway"))
        .mount(&server)
        .await;
    let client = PrometheusClient::new(&server.uri()).unwrap();
    let err = client.instant("up", None).await.unwrap_err();
    assert!(
        matches!(err, AlertsError::Status { status: 502, .. }),
        "{err:?}"
    );
    assert!(err.is_retryable());
}

#[tokio::test]
async fn connection_errors_hide_credentials() {
    // Port 9 (discard) is closed on test machines: the connection is refused.
    let prom = PrometheusClient::new("http://admin:s3cretpw@127.0.0.1:9").unwrap();
    let err = prom.instant("up", None).await.unwrap_err();
    assert!(matches!(err, AlertsError::Http { .. }), "{err:?}");
    for text in [err.to_string(), format!("{err:?}")] {
        assert!(!text.contains("s3cretpw"), "{text}");
    }
    let am = AlertmanagerClient::new("http://admin:s3cretpw@127.0.0.1:9").unwrap();
    let err = am.alerts(&AlertFilter::default()).await.unwrap_err();
    assert!(!format!("{err} {err:?}").contains("s3cretpw"));
}
