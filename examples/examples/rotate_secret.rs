//! Secret Rotation on the in-memory runbook cluster: a new `jwt-secret` in
//! `mcp-production/mcp-secrets` (as `openssl rand -base64 32`), staged, applied, every
//! deployment of the namespace restarted, health checked. Prints the rotation phases, the
//! fingerprints of the previous and current values, the restarts and the journal. The value
//! itself is never printed (nor kept in the report or the journal).
//!
//! `cargo run -p mcp-ops-examples --example rotate_secret`
//!
//! The mock's rollouts take about 1.5 s, so the example runs in a few seconds.

use std::process::ExitCode;

use mcp_ops_core::Error;
use mcp_ops_core::mock::MockCluster;
use mcp_ops_core::runbook::Context;
use mcp_ops_core::runbook::rotate_secret::{
    PROCEDURE, RotateSecretInput, RotationBackends, rotate_secret,
};
use mcp_ops_core::types::Intent;

#[tokio::main]
async fn main() -> ExitCode {
    match run().await {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => {
            eprintln!("rotate_secret: the rotation did not succeed (see the report)");
            ExitCode::FAILURE
        }
        Err(e) => {
            eprintln!("rotate_secret failed: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run() -> mcp_ops_core::Result<bool> {
    let cluster = MockCluster::runbook();
    let intent = Intent::new("Monthly rotation of the JWT signing secret", "ops-bot")?
        .with_ticket("SEC-2025-014")?;
    let ctx = Context::new(PROCEDURE, intent, cluster.clock().clone());
    let input = RotateSecretInput::runbook()?;
    let backends = RotationBackends {
        rotator: &cluster,
        deployer: &cluster,
        health: &cluster,
    };
    let outcome = rotate_secret(&ctx, backends, &input).await?;
    let report = &outcome.report;

    println!("== rotation of {}", report.target);
    println!(
        "phases:   {}",
        report
            .phases
            .iter()
            .map(|p| format!("{p:?}"))
            .collect::<Vec<_>>()
            .join(" → ")
    );
    println!("previous: fingerprint {}", report.previous.fingerprint);
    println!("current:  fingerprint {}", report.current.fingerprint);
    println!("succeeded: {}", outcome.succeeded());
    println!("\n== dependents restarted");
    for r in &outcome.restarts {
        let how = match (&r.rollout, &r.error) {
            (_, Some(e)) => format!("failed: {e}"),
            (Some(s), None) => s.to_string(),
            (None, None) => "not waited for".to_owned(),
        };
        println!("{:<40} {how}", r.deployment.to_string());
    }
    if let Some(h) = &outcome.health {
        println!("\n== health afterwards: {}", h.overall.as_str());
    }
    if let Some(check) = &outcome.secret_check {
        println!("secret check: {check:?}");
    }
    let json = serde_json::to_string_pretty(report).unwrap_or_default();
    let timeline = ctx.journal().to_markdown("Rotation of jwt-secret");
    // The new value is read here only to show that nothing printed contains it.
    let leaked = cluster
        .secret_value("mcp-production", "mcp-secrets", "jwt-secret")
        .and_then(|v| {
            v.expose_str()
                .ok()
                .map(|s| json.contains(s) || timeline.contains(s))
        })
        .unwrap_or(true);
    if leaked {
        return Err(Error::conflict(
            report.target.to_string(),
            "the new value could not be checked absent from the output",
        ));
    }
    println!("\n== report (JSON, fingerprints only)");
    println!("{json}");
    println!("\n== journal");
    println!("{timeline}");
    Ok(outcome.succeeded())
}
