//! Known differences from a real control plane, pinned as they are (the README lists them):
//! a change on either side fails here and is noticed.

use super::compare::printed;
use super::pair::Pair;

/// The simulator serves `metrics.k8s.io` (requests × a load factor); the control plane has no
/// metrics-server, so `kubectl top` fails there and its HPAs see no metrics.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_are_the_simulators_own() {
    let p = Pair::new("svr-known-metrics").await;
    let norms = p.norms().await;
    let (s, r) = p.both(&["top", "pods"]).await;
    assert_eq!(s.code, 0, "{}", s.stderr);
    assert!(s.stdout.starts_with("NAME"), "{}", s.stdout);
    assert_eq!(r.code, 1);
    assert_eq!(r.stderr.trim(), "error: Metrics API not available");
    let (s, r) = p.both_raw(&["top", "nodes"]).await;
    assert_eq!((s.code, r.code), (0, 1), "{}", printed(&norms.0, &s));
    let (s, r) = p.both(&["get", "hpa", "mcp-typescript-api-hpa"]).await;
    let (s, r) = (norms.0.rows(&s.stdout), norms.1.rows(&r.stdout));
    assert_eq!(
        s[1][1..5],
        ["Deployment/mcp-typescript-api", "cpu:", "45%/70%", "3"]
    );
    assert_eq!(
        r[1][1..5],
        [
            "Deployment/mcp-typescript-api",
            "cpu:",
            "<unknown>/70%",
            "3"
        ]
    );
    // kube-controller-manager looks at HPAs every 15 s.
    let mut tries = 0;
    let (s, r) = loop {
        let (s, r) = p
            .both(&["get", "hpa", "mcp-typescript-api-hpa", "-o", "json"])
            .await;
        tries += 1;
        if r.stdout.contains("ScalingActive") || tries > 60 {
            break (s, r);
        }
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    };
    let conditions = |t: &str| -> Vec<String> {
        let v: serde_json::Value = serde_json::from_str(t).unwrap();
        assert!(v["status"]["conditions"].is_array(), "{t}");
        v["status"]["conditions"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|c| {
                format!(
                    "{}={} {}",
                    c["type"].as_str().unwrap(),
                    c["status"].as_str().unwrap(),
                    c["reason"].as_str().unwrap()
                )
            })
            .collect()
    };
    assert_eq!(
        conditions(&s.stdout),
        [
            "AbleToScale=True ReadyForNewScale",
            "ScalingActive=True ValidMetricFound",
            "ScalingLimited=False DesiredWithinRange"
        ]
    );
    assert_eq!(
        conditions(&r.stdout),
        [
            "AbleToScale=True SucceededGetScale",
            "ScalingActive=False FailedGetResourceMetric"
        ]
    );
}

/// The control plane's nodes are kwok's: they report kwok as kubelet version and runtime.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nodes_are_kwoks_on_the_control_plane() {
    let p = Pair::new("svr-known-nodes").await;
    let (s, r) = p.both_raw(&["get", "nodes", "-o", "wide"]).await;
    let version = |out: &str| {
        out.lines()
            .nth(1)
            .and_then(|l| l.split_whitespace().nth(4))
            .unwrap_or_default()
            .to_string()
    };
    assert_eq!(version(&s.stdout), "v1.36.3");
    assert_eq!(version(&r.stdout), "kwok-0.8.0");
}
