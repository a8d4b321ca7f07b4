//! Reads: tables, events, output formats, describe, wait, top, logs and `get -w`.

use super::common::rows;
use super::support::prod;
use serde_json::Value;
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn get_lists_print_real_table_columns() {
    let (_c, k) = prod().await;
    let nodes = k.run(&["get", "nodes"]).await.ok();
    let r = rows(&nodes.stdout);
    assert_eq!(r[0], ["NAME", "STATUS", "ROLES", "AGE", "VERSION"]);
    assert_eq!(r.len(), 4);
    assert!(r[1..].iter().all(|row| row[1] == "Ready"));

    let pods = k.prod(&["get", "pods"]).await.ok();
    let r = rows(&pods.stdout);
    assert_eq!(r[0], ["NAME", "READY", "STATUS", "RESTARTS", "AGE"]);
    let ts: Vec<_> = r
        .iter()
        .filter(|row| row[0].starts_with("mcp-typescript-api-"))
        .collect();
    assert_eq!(ts.len(), 3);
    assert!(ts.iter().all(|row| row[1] == "1/1" && row[2] == "Running"));
    assert!(r.iter().any(|row| row[0] == "postgres-primary-0"));
    assert!(r.iter().any(|row| row[0] == "redis-0"));

    let svc = k.prod(&["get", "services"]).await.ok();
    assert!(svc.stdout.starts_with("NAME"), "{}", svc.stdout);
    let r = rows(&svc.stdout);
    assert_eq!(
        r[0],
        [
            "NAME",
            "TYPE",
            "CLUSTER-IP",
            "EXTERNAL-IP",
            "PORT(S)",
            "AGE"
        ]
    );
    let api = r
        .iter()
        .find(|row| row[0] == "mcp-typescript-api-service")
        .unwrap();
    assert_eq!(
        (api[1].as_str(), api[3].as_str(), api[4].as_str()),
        ("ClusterIP", "<none>", "3000/TCP")
    );

    let ing = k.prod(&["get", "ingress"]).await.ok();
    assert_eq!(
        rows(&ing.stdout)[0],
        ["NAME", "CLASS", "HOSTS", "ADDRESS", "PORTS", "AGE"]
    );
    assert!(ing.stdout.contains("api.mcp-production.com"));

    let deploy = k.prod(&["get", "deploy"]).await.ok();
    let r = rows(&deploy.stdout);
    assert_eq!(r[0], ["NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE"]);
    assert_eq!(&r[1][..4], ["mcp-learning-system", "2/2", "2", "2"]);
    assert_eq!(&r[3][..4], ["mcp-typescript-api", "3/3", "3", "3"]);

    let rs = k
        .prod(&["get", "rs", "-l", "app=mcp-typescript-api"])
        .await
        .ok();
    let r = rows(&rs.stdout);
    assert_eq!(r[0], ["NAME", "DESIRED", "CURRENT", "READY", "AGE"]);
    assert_eq!(r.len(), 4, "three revisions of history:\n{}", rs.stdout);
    let ages: Vec<&str> = r[1..].iter().map(|row| row[4].as_str()).collect();
    for age in ["3d", "2d16h", "2d8h"] {
        assert!(
            ages.contains(&age),
            "history happened in the past: {ages:?}"
        );
    }

    let hpa = k.prod(&["get", "hpa"]).await.ok();
    let r = rows(&hpa.stdout);
    assert_eq!(
        r[0],
        [
            "NAME",
            "REFERENCE",
            "TARGETS",
            "MINPODS",
            "MAXPODS",
            "REPLICAS",
            "AGE"
        ]
    );
    let ts = r
        .iter()
        .find(|row| row[0] == "mcp-typescript-api-hpa")
        .unwrap();
    assert_eq!(
        ts[1..7],
        [
            "Deployment/mcp-typescript-api",
            "cpu:",
            "45%/70%",
            "3",
            "10",
            "3"
        ]
    );

    let wide = k.prod(&["get", "pods", "-o", "wide"]).await.ok();
    assert!(
        wide.stdout.lines().next().unwrap().contains("IP") && wide.stdout.contains("ip-10-0-1-1")
    );

    let net = k.prod(&["get", "networkpolicies"]).await.ok();
    assert!(net.stdout.contains("mcp-default-deny"));
    let cj = k.prod(&["get", "cronjobs,jobs"]).await.ok();
    assert!(
        cj.stdout.contains("cronjob.batch/postgres-backup")
            && cj.stdout.contains("cronjob.batch/app-data-backup")
    );
    let vpa = k.prod(&["get", "vpa"]).await.ok();
    assert!(vpa.stdout.contains("mcp-typescript-api-vpa"));
    let all = k.prod(&["get", "all"]).await.ok();
    for kind in [
        "pod/",
        "service/",
        "deployment.apps/",
        "replicaset.apps/",
        "statefulset.apps/",
        "cronjob.batch/",
        "horizontalpodautoscaler.autoscaling/",
    ] {
        assert!(
            all.stdout.contains(kind),
            "get all lacks {kind}:\n{}",
            all.stdout
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_sorted_by_last_timestamp() {
    let (_c, k) = prod().await;
    let ev = k
        .prod(&["get", "events", "--sort-by=.lastTimestamp"])
        .await
        .ok();
    let r = rows(&ev.stdout);
    assert_eq!(r[0][..5], ["LAST", "SEEN", "TYPE", "REASON", "OBJECT"]);
    assert!(
        ev.stdout.contains("ScalingReplicaSet")
            && ev.stdout.contains("deployment/mcp-typescript-api")
    );
    assert!(ev.stdout.contains("Scheduled"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn output_formats_describe_wait_top_logs() {
    let (_c, k) = prod().await;
    let y = k
        .prod(&["get", "deploy", "mcp-typescript-api", "-o", "yaml"])
        .await
        .ok();
    assert!(
        y.stdout.contains("kind: Deployment")
            && y.stdout
                .contains("deployment.kubernetes.io/revision: \"3\""),
        "{}",
        y.stdout
    );
    let j = k
        .prod(&["get", "svc", "mcp-typescript-api-service", "-o", "json"])
        .await
        .ok();
    let v: Value = serde_json::from_str(&j.stdout).unwrap();
    assert_eq!(v["kind"], "Service");
    assert_eq!(v["spec"]["ports"][0]["port"], 3000);
    let backup = k
        .prod(&["get", "all,configmaps,secrets", "-o", "yaml"])
        .await
        .ok();
    assert!(
        backup.stdout.contains("kind: List")
            && backup.stdout.contains("name: mcp-secrets")
            && backup.stdout.contains("name: mcp-config")
    );

    let d = k
        .prod(&["describe", "deployment", "mcp-typescript-api"])
        .await
        .ok();
    for s in [
        "Replicas:               3 desired | 3 updated | 3 total | 3 available | 0 unavailable",
        "NewReplicaSet:",
        "ScalingReplicaSet",
        "MinimumReplicasAvailable",
    ] {
        assert!(d.stdout.contains(s), "describe lacks {s}:\n{}", d.stdout);
    }
    let w = k
        .prod(&[
            "wait",
            "--for=condition=available",
            "deployment/mcp-typescript-api",
            "--timeout=10s",
        ])
        .await
        .ok();
    assert!(w.stdout.contains("condition met"));

    let tn = k.run(&["top", "nodes"]).await.ok();
    assert_eq!(
        rows(&tn.stdout)[0],
        ["NAME", "CPU(cores)", "CPU(%)", "MEMORY(bytes)", "MEMORY(%)"]
    );
    let tp = k.prod(&["top", "pods"]).await.ok();
    assert!(
        tp.stdout.contains("mcp-typescript-api-") && tp.stdout.contains("113m"),
        "{}",
        tp.stdout
    );

    let sorted = k.prod(&["top", "pods", "--sort-by=cpu"]).await.ok();
    assert!(
        sorted.stdout.contains("postgres-primary-0"),
        "{}",
        sorted.stdout
    );
    let by_container = k.prod(&["top", "pods", "--containers"]).await.ok();
    assert_eq!(
        rows(&by_container.stdout)[0],
        ["POD", "NAME", "CPU(cores)", "MEMORY(bytes)"]
    );

    let logs = k
        .prod(&["logs", "-l", "app=mcp-typescript-api", "--tail=100"])
        .await
        .ok();
    assert_eq!(logs.stdout.lines().count(), 300, "3 pods x --tail=100");

    let dn = k.run(&["describe", "nodes"]).await.ok();
    assert!(dn.stdout.contains("Allocated resources"));
    let vpa = k
        .prod(&["describe", "vpa", "mcp-typescript-api-vpa"])
        .await
        .ok();
    assert!(vpa.stdout.contains("VerticalPodAutoscaler"));

    let s = k
        .prod(&[
            "create",
            "secret",
            "generic",
            "rotated",
            "--from-literal=jwt-secret=abc",
        ])
        .await
        .ok();
    assert_eq!(s.stdout.trim(), "secret/rotated created");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn get_watch_prints_table_rows_as_things_change() {
    use tokio::io::{AsyncBufReadExt, BufReader};
    let (c, k) = prod().await;
    let mut child = k.spawn(&[
        "-n",
        "mcp-production",
        "get",
        "deploy",
        "mcp-rust-server",
        "-w",
    ]);
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let header = lines.next_line().await.unwrap().unwrap();
    assert_eq!(
        rows(&header)[0],
        ["NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE"]
    );
    let first = lines.next_line().await.unwrap().unwrap();
    assert_eq!(&rows(&first)[0][..2], ["mcp-rust-server", "3/3"]);
    let scale = serde_json::json!({"spec": {"replicas": 5}});
    let mut d = c
        .get("apps/v1", "Deployment", "mcp-production", "mcp-rust-server")
        .unwrap();
    d["spec"]["replicas"] = scale["spec"]["replicas"].clone();
    c.store()
        .update(
            mcp_ops_k8s::sim::resources::get("apps", "deployments"),
            d,
            mcp_ops_k8s::sim::store::Target::Main,
            false,
        )
        .unwrap();
    let seen = tokio::time::timeout(Duration::from_secs(20), async {
        while let Some(l) = lines.next_line().await.unwrap() {
            if rows(&l)[0][..2] == ["mcp-rust-server", "5/5"] {
                return true;
            }
        }
        false
    })
    .await;
    assert_eq!(seen, Ok(true), "the watch printed the scaled deployment");
}
