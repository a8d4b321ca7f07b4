//! A triage as an agent gets it: one `triage` tool call to a running `ops mcp` over stdio,
//! against `ops --output json triage` as a process (what an agent shelling out would run),
//! both on the embedded simulated cluster, interleaved in one run. Not a test: prints medians
//! and the ratio.
//!
//! `cargo bench -p mcp-ops-examples --bench mcp_latency` (`MCP_OPS_BENCH_ROUNDS`, default 20).
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::time::{Duration, Instant};

use rmcp::ServiceExt as _;
use rmcp::model::CallToolRequestParams;
use rmcp::transport::TokioChildProcess;

fn ops_bin() -> std::path::PathBuf {
    env!("CARGO_BIN_EXE_ops").into()
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

#[tokio::main]
async fn main() {
    let rounds: usize = std::env::var("MCP_OPS_BENCH_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20);
    let state = tempfile::tempdir().unwrap();
    let mut cmd = tokio::process::Command::new(ops_bin());
    cmd.env("MCP_OPS_STATE_DIR", state.path())
        .args(["--as", "oncall", "mcp"])
        .stderr(std::process::Stdio::null());
    let started = Instant::now();
    let client = ().serve(TokioChildProcess::new(cmd).unwrap()).await.unwrap();
    let ready = started.elapsed();
    // One call first: the server makes the namespace's systems on start; this is steady state.
    let call = || client.call_tool(CallToolRequestParams::new("triage"));
    assert!(call().await.unwrap().structured_content.is_some());
    let (mut tool, mut process) = (Vec::new(), Vec::new());
    for _ in 0..rounds {
        let t = Instant::now();
        let r = call().await.unwrap();
        tool.push(t.elapsed());
        assert_eq!(r.structured_content.unwrap()["command"], "triage");
        let t = Instant::now();
        let out = std::process::Command::new(ops_bin())
            .env("MCP_OPS_STATE_DIR", state.path())
            .args(["--output", "json", "triage"])
            .output()
            .unwrap();
        process.push(t.elapsed());
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    client.cancel().await.unwrap();
    let (t, p) = (median(tool), median(process));
    println!("ops mcp ready (initialize answered) in {}", ms(ready));
    println!("triage tool call over stdio: median {} of {rounds}", ms(t));
    println!(
        "ops --output json triage (process): median {} of {rounds}",
        ms(p)
    );
    println!(
        "ratio tool call / process: {:.2}x the time",
        t.as_secs_f64() / p.as_secs_f64()
    );
}
