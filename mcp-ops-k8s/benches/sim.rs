//! Simulator throughput (not a test): GET requests per second, latency of listing 5,000 pods,
//! and watch fan-out. Run with `cargo bench -p mcp-ops-k8s --features sim --bench sim`.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use futures::StreamExt;
use k8s_openapi::api::core::v1::{ConfigMap, Pod};
use kube::api::{Api, ListParams, PostParams, WatchEvent, WatchParams};
use mcp_ops_k8s::sim::{Scenario, SimCluster};
use std::time::{Duration, Instant};

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

async fn gets_per_second(c: &SimCluster, concurrency: usize, total: usize) -> f64 {
    let cms: Api<ConfigMap> = Api::namespaced(c.client().unwrap(), "bench");
    let cm: ConfigMap =
        serde_json::from_value(serde_json::json!({"metadata": {"name": "probe"}})).unwrap();
    let _ = cms.create(&PostParams::default(), &cm).await;
    let start = Instant::now();
    let per = total / concurrency;
    let tasks: Vec<_> = (0..concurrency)
        .map(|_| {
            let cms = cms.clone();
            tokio::spawn(async move {
                for _ in 0..per {
                    cms.get("probe").await.unwrap();
                }
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap();
    }
    (per * concurrency) as f64 / start.elapsed().as_secs_f64()
}

async fn list_latency(c: &SimCluster) -> (usize, Duration) {
    let pods: Api<Pod> = Api::namespaced(c.client().unwrap(), "bench");
    let mut times = Vec::new();
    let mut n = 0;
    for _ in 0..7 {
        let t = Instant::now();
        n = pods.list(&ListParams::default()).await.unwrap().items.len();
        times.push(t.elapsed());
    }
    (n, median(times))
}

/// The server side alone: one raw HTTP/1.1 GET of the list, body read to the end, no decoding.
async fn raw_list_latency(c: &SimCluster) -> (usize, Duration) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let addr = c.url().trim_start_matches("http://").to_string();
    let mut times = Vec::new();
    let mut bytes = 0;
    for _ in 0..7 {
        let t = Instant::now();
        let mut s = tokio::net::TcpStream::connect(&addr).await.unwrap();
        let req = format!(
            "GET /api/v1/namespaces/bench/pods HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
        );
        s.write_all(req.as_bytes()).await.unwrap();
        let mut out = Vec::new();
        s.read_to_end(&mut out).await.unwrap();
        times.push(t.elapsed());
        bytes = out.len();
    }
    (bytes, median(times))
}

async fn watch_fan_out(c: &SimCluster, watchers: usize, events: usize) -> Duration {
    let cms: Api<ConfigMap> = Api::namespaced(c.client().unwrap(), "bench");
    let rv = cms
        .list(&ListParams::default())
        .await
        .unwrap()
        .metadata
        .resource_version
        .unwrap();
    let mut handles = Vec::new();
    for _ in 0..watchers {
        let cms = cms.clone();
        let rv = rv.clone();
        handles.push(tokio::spawn(async move {
            let stream = cms
                .watch(&WatchParams::default().timeout(60), &rv)
                .await
                .unwrap();
            let mut stream = Box::pin(stream);
            let mut seen = 0;
            while seen < events {
                if let Some(Ok(WatchEvent::Added(_))) = stream.next().await {
                    seen += 1;
                }
            }
        }));
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    let start = Instant::now();
    for i in 0..events {
        let cm: ConfigMap =
            serde_json::from_value(serde_json::json!({"metadata": {"name": format!("fan-{i}")}}))
                .unwrap();
        cms.create(&PostParams::default(), &cm).await.unwrap();
    }
    for h in handles {
        h.await.unwrap();
    }
    start.elapsed()
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let t = Instant::now();
        let c = SimCluster::start(Scenario::scaled(50, 100).manual_controllers())
            .await
            .unwrap();
        println!(
            "start 50 deployments x 100 pods (settled): {:?}",
            t.elapsed()
        );
        for conc in [1, 8] {
            let rps = gets_per_second(&c, conc, 4000).await;
            println!("GET configmap, {conc} concurrent client task(s): {rps:.0} req/s");
        }
        let (n, d) = list_latency(&c).await;
        println!("list {n} pods (kube::Api, JSON decode included), median of 7: {d:?}");
        let (bytes, d) = raw_list_latency(&c).await;
        println!("list 5000 pods, raw HTTP ({bytes} bytes, no client decode), median of 7: {d:?}");
        let d = watch_fan_out(&c, 20, 200).await;
        println!("watch fan-out: 200 creates seen by 20 watchers in {d:?}");
    });
}
