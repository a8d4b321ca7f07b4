//! Health fan-out: `health::check_all` over [`HttpHealthCheck`] against one
//! `curl -Z --parallel-max 50` process, side by side in one run, on
//!
//! - 1,000 paths of one host (one listener: connections can be reused), and
//! - 1,000 ports (1,000 listeners: every target needs its own connection).
//!
//! The servers are minimal HTTP/1.1 keep-alive servers on loopback, run on their own runtime
//! thread in this process; both clients talk to the same servers. Each round builds a fresh
//! checker (a cold connection pool, like a fresh curl process). Rounds are interleaved and the
//! medians printed with their ratios (goal: SDK ≤ 0.7× curl). The unbounded fan-out of before
//! (every check at once, one socket each) is shown for reference.
//!
//! Not a test: `cargo bench -p mcp-ops-alerts --bench health_fanout`
//! (`MCP_OPS_BENCH_ROUNDS`, default 7; `MCP_OPS_BENCH_TARGETS`, default 1000; needs curl).
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::io::Write as _;
use std::time::{Duration, Instant};

use mcp_ops_alerts::http_health::HttpHealthCheck;
use mcp_ops_core::health::{
    DEFAULT_CONCURRENCY, HealthStatus, HealthTarget, HttpProbe, check_all_bounded,
};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpStream};

const REPLY: &[u8] = b"HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: 2\r\n\r\nok";

/// Answers every request on `s` with 200 "ok" until the client closes.
async fn serve(mut s: TcpStream) {
    let _ = s.set_nodelay(true);
    let mut buf = vec![0u8; 8192];
    let mut have = 0usize;
    loop {
        // Answer every complete request head in the buffer (no bodies: GET only).
        while let Some(end) = buf[..have].windows(4).position(|w| w == b"\r\n\r\n") {
            if s.write_all(REPLY).await.is_err() {
                return;
            }
            buf.copy_within(end + 4..have, 0);
            have -= end + 4;
        }
        if have == buf.len() {
            return;
        }
        match s.read(&mut buf[have..]).await {
            Ok(0) | Err(_) => return,
            Ok(n) => have += n,
        }
    }
}

async fn listen(l: TcpListener) {
    while let Ok((s, _)) = l.accept().await {
        tokio::spawn(serve(s));
    }
}

/// Starts `listeners` servers on a runtime of their own; returns their ports.
fn start_servers(listeners: usize) -> Vec<u16> {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let mut ports = Vec::new();
            for _ in 0..listeners {
                let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
                ports.push(l.local_addr().unwrap().port());
                tokio::spawn(listen(l));
            }
            tx.send(ports).unwrap();
            std::future::pending::<()>().await;
        });
    });
    rx.recv().unwrap()
}

/// `curl -sf -Z --parallel-max 50` over `urls` (a config file: one url and output a target).
fn curl(config: &std::path::Path) -> Duration {
    let t = Instant::now();
    let out = std::process::Command::new("curl")
        .args(["-sf", "-Z", "--parallel-max", "50", "-K"])
        .arg(config)
        .output()
        .expect("curl on PATH");
    let took = t.elapsed();
    assert!(
        out.status.success(),
        "curl failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    took
}

/// `check_all` on a fresh checker with `limit` requests at once.
async fn sdk(targets: &[HealthTarget], limit: usize) -> Duration {
    let t = Instant::now();
    let checker = HttpHealthCheck::with_timeout(Duration::from_secs(10))
        .unwrap()
        .with_max_concurrent(limit);
    let summary = check_all_bounded(
        &checker,
        targets,
        Duration::from_secs(10),
        jiff::Timestamp::now,
        limit,
    )
    .await;
    let took = t.elapsed();
    assert_eq!(summary.reports.len(), targets.len());
    assert_eq!(
        summary.overall,
        HealthStatus::Healthy,
        "{:?}",
        summary
            .reports
            .iter()
            .find(|r| r.status != HealthStatus::Healthy)
    );
    took
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

async fn measure(name: &str, urls: &[String], rounds: usize) {
    let targets: Vec<HealthTarget> = urls
        .iter()
        .enumerate()
        .map(|(i, u)| HealthTarget::Http(HttpProbe::new(format!("t{i}"), u.clone())))
        .collect();
    let mut config = tempfile::NamedTempFile::new().unwrap();
    for u in urls {
        writeln!(config, "url = \"{u}\"\noutput = \"/dev/null\"").unwrap();
    }
    config.flush().unwrap();
    // Warm-up: page cache for curl, lazy statics for the SDK.
    curl(config.path());
    sdk(&targets, DEFAULT_CONCURRENCY).await;
    let (mut c, mut s, mut u) = (Vec::new(), Vec::new(), Vec::new());
    for i in 0..rounds {
        if i % 2 == 0 {
            s.push(sdk(&targets, DEFAULT_CONCURRENCY).await);
            c.push(curl(config.path()));
        } else {
            c.push(curl(config.path()));
            s.push(sdk(&targets, DEFAULT_CONCURRENCY).await);
        }
        u.push(sdk(&targets, usize::MAX).await);
    }
    let (c, s, u) = (median(c), median(s), median(u));
    let r = |x: Duration| x.as_secs_f64() / c.as_secs_f64().max(1e-9);
    println!(
        "  {name:<22} curl -Z {c:>9.1?}   check_all (50) {s:>9.1?} = {:.2}x curl   \
         unbounded (before) {u:>9.1?} = {:.2}x curl",
        r(s),
        r(u)
    );
}

#[tokio::main]
async fn main() {
    let env = |k: &str, d: usize| {
        std::env::var(k)
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(d)
    };
    let rounds = env("MCP_OPS_BENCH_ROUNDS", 7);
    let n = env("MCP_OPS_BENCH_TARGETS", 1000);
    println!("health fan-out, {n} targets, median of {rounds} interleaved rounds");
    let one = start_servers(1)[0];
    let paths: Vec<String> = (0..n)
        .map(|i| format!("http://127.0.0.1:{one}/health/{i}"))
        .collect();
    measure("paths of one host", &paths, rounds).await;
    let ports: Vec<String> = start_servers(n)
        .into_iter()
        .map(|p| format!("http://127.0.0.1:{p}/health"))
        .collect();
    measure("ports (listeners)", &ports, rounds).await;
}
