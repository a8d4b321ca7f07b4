//! The simulator asks clients to back off the way kube-apiserver does: a 429 (and a 503 given
//! a retry-after) carries `details.retryAfterSeconds` in its `Status` body and a `Retry-After`
//! header with the same number of seconds, and the backend's retry waits what it asked for.
#![cfg(feature = "sim")]
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::collections::BTreeMap;
use std::fmt::Debug;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use mcp_ops_core::Deployer;
use mcp_ops_core::types::DeploymentRef;
use mcp_ops_k8s::sim::{FaultRule, Scenario, SimCluster};
use mcp_ops_k8s::{KubeConfig, RetryPolicy};
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const PODS: &str = "/api/v1/namespaces/mcp-production/pods";
const DEPLOYMENT: &str = "/apis/apps/v1/namespaces/mcp-production/deployments/mcp-typescript-api";

/// One plain HTTP/1.1 GET: status code, headers (lower-case names) and the JSON body.
async fn raw_get(c: &SimCluster, path: &str) -> (u16, BTreeMap<String, String>, Value) {
    let addr = c.url().strip_prefix("http://").unwrap();
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    let req = format!(
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nAccept: application/json\r\nConnection: close\r\n\r\n"
    );
    s.write_all(req.as_bytes()).await.unwrap();
    let mut bytes = Vec::new();
    s.read_to_end(&mut bytes).await.unwrap();
    let text = String::from_utf8(bytes).unwrap();
    let (head, body) = text.split_once("\r\n\r\n").unwrap();
    let mut lines = head.lines();
    let code = lines
        .next()
        .unwrap()
        .split(' ')
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    (code, headers, serde_json::from_str(body).unwrap())
}

#[tokio::test]
async fn a_429_says_retry_after_in_the_header_and_in_the_status() {
    let c = SimCluster::start(Scenario::mcp_production()).await.unwrap();
    c.faults().add(FaultRule::status("GET", PODS, 429).times(1));
    c.faults()
        .add(FaultRule::status("GET", PODS, 429).retry_after(7).times(1));

    // Without a configured value the server asks for 1 s, like kube-apiserver's own limiter.
    let (code, headers, status) = raw_get(&c, PODS).await;
    assert_eq!(code, 429);
    assert_eq!(headers.get("retry-after").map(String::as_str), Some("1"));
    assert_eq!(status["kind"], "Status");
    assert_eq!(status["status"], "Failure");
    assert_eq!(status["reason"], "TooManyRequests");
    assert_eq!(status["code"], 429);
    assert_eq!(status["details"]["retryAfterSeconds"], 1);

    let (code, headers, status) = raw_get(&c, PODS).await;
    assert_eq!(code, 429);
    assert_eq!(headers.get("retry-after").map(String::as_str), Some("7"));
    assert_eq!(status["details"]["retryAfterSeconds"], 7);

    let (code, headers, _) = raw_get(&c, PODS).await;
    assert_eq!(code, 200);
    assert!(!headers.contains_key("retry-after"));
}

#[tokio::test]
async fn a_503_says_retry_after_only_when_given_one() {
    let c = SimCluster::start(Scenario::mcp_production()).await.unwrap();
    c.faults().add(FaultRule::status("GET", PODS, 503).times(1));
    c.faults()
        .add(FaultRule::status("GET", PODS, 503).retry_after(3).times(1));

    let (code, headers, status) = raw_get(&c, PODS).await;
    assert_eq!(code, 503);
    assert!(!headers.contains_key("retry-after"));
    assert_eq!(status["reason"], "ServiceUnavailable");
    assert!(status["details"]["retryAfterSeconds"].is_null(), "{status}");

    let (code, headers, status) = raw_get(&c, PODS).await;
    assert_eq!(code, 503);
    assert_eq!(headers.get("retry-after").map(String::as_str), Some("3"));
    assert_eq!(status["reason"], "ServiceUnavailable");
    assert_eq!(status["code"], 503);
    assert_eq!(status["details"]["retryAfterSeconds"], 3);
}

/// Records the `wait` of every "retrying kubernetes call" event of the backend's retry loop.
#[derive(Default, Clone)]
struct RetryWaits(Arc<Mutex<Vec<String>>>);

#[derive(Default)]
struct Fields {
    message: String,
    wait: Option<String>,
}

impl tracing::field::Visit for Fields {
    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn Debug) {
        match field.name() {
            "message" => self.message = format!("{value:?}"),
            "wait" => self.wait = Some(format!("{value:?}")),
            _ => {}
        }
    }
}

impl tracing::Subscriber for RetryWaits {
    fn enabled(&self, _: &tracing::Metadata<'_>) -> bool {
        true
    }
    fn new_span(&self, _: &tracing::span::Attributes<'_>) -> tracing::span::Id {
        tracing::span::Id::from_u64(1)
    }
    fn record(&self, _: &tracing::span::Id, _: &tracing::span::Record<'_>) {}
    fn record_follows_from(&self, _: &tracing::span::Id, _: &tracing::span::Id) {}
    fn event(&self, event: &tracing::Event<'_>) {
        let mut f = Fields::default();
        event.record(&mut f);
        if f.message == "retrying kubernetes call"
            && let Some(w) = f.wait
        {
            self.0.lock().unwrap().push(w);
        }
    }
    fn enter(&self, _: &tracing::span::Id) {}
    fn exit(&self, _: &tracing::span::Id) {}
}

// Current-thread runtime: the retry loop runs on this thread, where the subscriber is set.
#[tokio::test(flavor = "current_thread")]
async fn the_backend_waits_as_long_as_the_server_asks() {
    let c = SimCluster::start(Scenario::mcp_production()).await.unwrap();
    // Without the server's value the backend would wait at most 1 ms (base_delay).
    let k = KubeConfig::new()
        .with_retry(RetryPolicy {
            max_attempts: 5,
            base_delay: Duration::from_millis(1),
            max_delay: Duration::from_secs(30),
            call_timeout: Duration::from_secs(30),
        })
        .build_from(kube::Config::new(c.url().parse().unwrap()))
        .unwrap();
    // A 429 without a configured value asks for 1 s, as kube-apiserver's limiter does.
    c.faults()
        .add(FaultRule::status("GET", DEPLOYMENT, 429).times(2));
    let waits = RetryWaits::default();
    let status = {
        let _guard = tracing::subscriber::set_default(waits.clone());
        k.rollout_status(&DeploymentRef::new("mcp-production", "mcp-typescript-api").unwrap())
            .await
    };
    assert!(status.is_ok(), "{status:?}");
    assert_eq!(
        c.faults().counts().get(&format!("GET {DEPLOYMENT}")),
        Some(&3),
        "two throttled attempts and the one that succeeded"
    );
    assert_eq!(
        *waits.0.lock().unwrap(),
        ["1s", "1s"],
        "the server's 1 s, twice"
    );
}
