//! The example of `mcp_ops_core::testkit` ("Testing your own procedure"): a user's procedure
//! tested on the runbook's mocks in paused tokio time.

use std::time::{Duration, Instant};

use mcp_ops_core::runbook::Context;
use mcp_ops_core::testkit::TestKit;
use mcp_ops_core::types::{DeploymentRef, Replicas};
use mcp_ops_core::{Deployer, Result, Scaler};

use crate::BoxError;

/// Ours: double a deployment, wait ten minutes, report whether every pod is available.
async fn double_and_watch(
    ctx: &Context,
    d: &DeploymentRef,
    deployer: &dyn Deployer,
    scaler: &dyn Scaler,
) -> Result<bool> {
    let now = scaler.replicas(d).await?.get();
    scaler
        .scale(d, Replicas::new(now * 2)?, ctx.intent())
        .await?;
    ctx.sleep(Duration::from_secs(600)).await;
    Ok(deployer.pod_health(d).await?.unavailable == 0)
}

async fn run() -> Result<()> {
    let kit = TestKit::runbook().await?;
    let rust: DeploymentRef = "mcp-production/mcp-rust-server".parse()?;
    let ctx = kit.context("double_and_watch", "load test at 03:00")?;
    if !double_and_watch(&ctx, &rust, &kit.cluster, &kit.cluster).await? {
        return Err(mcp_ops_core::Error::invalid(
            "pods",
            "not every pod is available",
        ));
    }
    let desired = kit.cluster.deployment(&rust).await?.desired;
    if desired != 6 {
        return Err(mcp_ops_core::Error::invalid(
            "desired",
            format!("{desired}, not 6"),
        ));
    }
    println!("test kit: ten minutes of paused time, now {}", kit.now());
    Ok(())
}

/// Runs the example on a current-thread runtime with paused time (what
/// `#[tokio::test(start_paused = true)]` gives a test), on a thread of its own.
pub fn paused_procedure() -> std::result::Result<(), BoxError> {
    let started = Instant::now();
    let outcome = std::thread::spawn(|| -> std::result::Result<(), String> {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .start_paused(true)
            .build()
            .map_err(|e| e.to_string())?;
        rt.block_on(run()).map_err(|e| e.to_string())
    })
    .join()
    .map_err(|_| "the test-kit thread panicked".to_owned())?;
    outcome?;
    println!("test kit: {:?} of wall time", started.elapsed());
    Ok(())
}
