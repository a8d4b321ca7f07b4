//! Known differences from a real control plane, pinned as they are (the README lists them):
//! a change on either side fails here and is noticed.

use mcp_ops_core::Scaler;
use mcp_ops_core::scale::Recommendation;
use mcp_ops_core::types::{DeploymentRef, Namespace};

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
            "ScalingLimited=True TooFewReplicas"
        ],
        "45 % against a 70 % target asks for 2 of the 3 replicas, below the minimum"
    );
    assert_eq!(
        conditions(&r.stdout),
        [
            "AbleToScale=True SucceededGetScale",
            "ScalingActive=False FailedGetResourceMetric"
        ]
    );
    // The backends: pod usage comes from metrics.k8s.io, recommendations from the VPA API.
    let (sim_ns, real_ns) = (
        Namespace::new(p.sim.ns.clone()).unwrap(),
        Namespace::new(p.real.ns.clone()).unwrap(),
    );
    let (s, r) = tokio::join!(
        p.sim.cluster.pod_usage(&sim_ns),
        p.real.cluster.pod_usage(&real_ns)
    );
    assert_eq!(s.map(|u| u.len()).unwrap_or(0), 10, "one entry per pod");
    let e = r.unwrap_err().to_string();
    assert!(e.contains("install metrics-server"), "{e}");
    let (sim_api, real_api) = (
        DeploymentRef::new(&p.sim.ns, "mcp-typescript-api").unwrap(),
        DeploymentRef::new(&p.real.ns, "mcp-typescript-api").unwrap(),
    );
    let (s, r) = tokio::join!(
        p.sim.cluster.recommendations(&sim_api),
        p.real.cluster.recommendations(&real_api)
    );
    assert!(matches!(s, Ok(Recommendation::Available { .. })), "{s:?}");
    assert!(
        matches!(r, Ok(Recommendation::NotAvailable { .. })),
        "{r:?}"
    );
}

/// What the simulator leaves out or adds on purpose (the README's list), each pinned:
/// kwok nodes instead of kubelets on the control plane (no logs, no exec, kwok versions, no
/// kubelet events); no OpenAPI documents, no RBAC, no managedFields, a VPA API and its own
/// `pod-template-hash` in the simulator.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn what_each_side_lacks() {
    let p = Pair::new("svr-known").await;
    // kwok nodes: kwok's versions, and no kubelet endpoint for logs or exec.
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
    let (s, r) = p
        .both(&["logs", "-l", "app=mcp-typescript-api", "--tail=100"])
        .await;
    assert_eq!(s.code, 0, "{}", s.stderr);
    assert_eq!(
        s.stdout.lines().count(),
        300,
        "synthetic lines, 3 pods x 100"
    );
    assert_ne!(r.code, 0);
    assert!(r.stderr.contains(":10250/containerLogs/"), "{}", r.stderr);
    let (s, r) = p
        .both(&["exec", "redis-0", "--", "redis-cli", "ping"])
        .await;
    assert_ne!(s.code, 0);
    assert!(
        s.stderr.contains("unable to upgrade connection"),
        "{}",
        s.stderr
    );
    assert_ne!(r.code, 0);
    assert!(r.stderr.contains(":10250/exec/"), "{}", r.stderr);
    let (s, r) = p
        .both(&["get", "events", "--field-selector=reason=Pulled"])
        .await;
    assert!(
        s.stdout.contains("already present on machine"),
        "{}",
        s.stdout
    );
    assert!(r.stderr.contains("No resources found"), "{}", r.stderr);

    // Placement: the simulator spreads an owner's pods over the nodes, then fills the least
    // requested; kube-scheduler scores (its spreading is a preference), so nodes differ.
    let (s, r) = p.json(&["pods", "-l", "app=mcp-typescript-api"]).await;
    let nodes = |l: &serde_json::Value| {
        let mut n: Vec<String> = l["items"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|p| {
                p["spec"]["nodeName"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string()
            })
            .collect();
        n.sort();
        n
    };
    assert_eq!(nodes(&s), ["ip-10-0-1-11", "ip-10-0-1-12", "ip-10-0-1-13"]);
    assert!(
        nodes(&r).iter().all(|n| n.starts_with("ip-10-0-1-1")),
        "{:?}",
        nodes(&r)
    );

    // No OpenAPI documents: client-side validation (apply's default) fails on the simulator.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("cm.json");
    std::fs::write(
        &file,
        r#"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"applied"},"data":{"a":"b"}}"#,
    )
    .unwrap();
    let f = file.to_str().unwrap();
    let (s, r) = p.both(&["apply", "-f", f]).await;
    assert_ne!(s.code, 0);
    assert!(
        s.stderr.contains("failed to download openapi"),
        "{}",
        s.stderr
    );
    assert_eq!(r.stdout.trim(), "configmap/applied created");
    let (s, _) = p.both(&["apply", "-f", f, "--validate=false"]).await;
    assert_eq!(s.stdout.trim(), "configmap/applied created");

    // No RBAC: impersonating a ServiceAccount without any binding changes nothing.
    let who = "--as=system:serviceaccount:{ns}:nobody";
    let (s, r) = p.both(&["auth", "can-i", "list", "secrets", who]).await;
    assert_eq!((s.stdout.trim(), r.stdout.trim()), ("yes", "no"));
    let (s, r) = p
        .both(&[
            "auth",
            "whoami",
            "-o",
            "jsonpath={.status.userInfo.username}",
        ])
        .await;
    assert_eq!(s.stdout, "sim-admin");
    assert_ne!(
        r.stdout, s.stdout,
        "the control plane's admin has its own name"
    );

    // No managedFields (server-side apply's bookkeeping) in the simulator.
    let (s, r) = p
        .both(&[
            "get",
            "configmap",
            "mcp-config",
            "-o",
            "json",
            "--show-managed-fields",
        ])
        .await;
    let fields = |out: &str| {
        let v: serde_json::Value = serde_json::from_str(out).unwrap();
        v["metadata"]["managedFields"].is_array()
    };
    assert!(!fields(&s.stdout));
    assert!(fields(&r.stdout));

    // A VPA API (autoscaling.k8s.io) in the simulator only; the control plane has no CRD.
    let (s, r) = p.both(&["get", "vpa"]).await;
    assert!(s.stdout.contains("mcp-typescript-api-vpa"), "{}", s.stdout);
    assert!(
        r.stderr.contains("doesn't have a resource type \"vpa\""),
        "{}",
        r.stderr
    );

    // The same template gets another pod-template-hash: kube-controller-manager hashes the Go
    // struct's dump, the simulator the template's JSON.
    let hash = |v: &serde_json::Value| {
        v["metadata"]["labels"]["pod-template-hash"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    };
    let (s, r) = p
        .json(&["replicasets", "-l", "app=mcp-typescript-api"])
        .await;
    let newest = |l: &serde_json::Value| {
        l["items"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|r| r["metadata"]["annotations"]["deployment.kubernetes.io/revision"] == "3")
            .map(hash)
            .unwrap_or_default()
    };
    assert_eq!(newest(&r), "6cf895d46d");
    assert_ne!(newest(&s), newest(&r));
}

/// Several invalid labels: the simulator lists their causes in key order; kube-apiserver in
/// Go's map order, which changes from one request to the next. The set is the same.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn causes_of_several_labels_come_in_key_order() {
    let p = Pair::new("svr-known-causes").await;
    let body = r#"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"x","labels":{"a b":"1","c d":"2","e f":"3"}}}"#;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("cm.json");
    std::fs::write(&file, body).unwrap();
    let f = file.to_str().unwrap();
    let (s, r) = p.both(&["create", "-f", f, "--validate=false"]).await;
    let values = |err: &str| -> Vec<String> {
        err.match_indices("Invalid value: \"")
            .map(|(i, _)| err[i + 16..].chars().take(3).collect())
            .collect()
    };
    assert_eq!(values(&s.stderr), ["a b", "c d", "e f"], "{}", s.stderr);
    let mut real = values(&r.stderr);
    real.sort();
    assert_eq!(real, ["a b", "c d", "e f"], "{}", r.stderr);
}
