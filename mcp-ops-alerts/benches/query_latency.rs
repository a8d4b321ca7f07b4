//! Latency of the runbook's queries against a real, back-filled Prometheus, and the cost of
//! building notifier payloads. Run with
//! `cargo bench -p mcp-ops-alerts --features testing --bench query_latency`.
//!
//! Goal (not asserted in tests): error rate and p95 answered in well under 50 ms at p95 on a
//! 2-core machine; payload building in microseconds.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::time::{Duration, Instant};

use mcp_ops_alerts::notify::{Notice, NoticeKind, slack};
use mcp_ops_alerts::prometheus::queries;
use mcp_ops_alerts::testing::{SeriesSet, TestPrometheus};

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    #[allow(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        clippy::cast_precision_loss
    )]
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

fn report(name: &str, mut samples: Vec<Duration>) {
    samples.sort();
    println!(
        "{name:<28} n={:<5} p50={:?} p95={:?} max={:?}",
        samples.len(),
        percentile(&samples, 0.5),
        percentile(&samples, 0.95),
        samples[samples.len() - 1]
    );
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let series = SeriesSet::ending_now()
        .requests("api", 100.0, 0.12)
        .latency("api", 20.0, 3.0);
    let prom = TestPrometheus::start(&series).await.expect("prometheus");
    let client = prom.client().unwrap();
    let at = Some(prom.data_end());

    let mut err = Vec::new();
    let mut p95 = Vec::new();
    for _ in 0..200 {
        let t = Instant::now();
        queries::error_rate(&client, "api", Duration::from_secs(300), at)
            .await
            .unwrap();
        err.push(t.elapsed());
        let t = Instant::now();
        queries::p95_latency(&client, Some("api"), at)
            .await
            .unwrap();
        p95.push(t.elapsed());
    }
    report("error_rate query", err);
    report("p95 query", p95);

    let notice = Notice::new(
        NoticeKind::Detected,
        "INC-1",
        "P1",
        "[P1] INCIDENT DETECTED: x",
        "body\n".repeat(20),
    );
    let mut build = Vec::new();
    for _ in 0..10_000 {
        let t = Instant::now();
        std::hint::black_box(slack::payload(std::hint::black_box(&notice)));
        build.push(t.elapsed());
    }
    report("slack payload build", build);
}
