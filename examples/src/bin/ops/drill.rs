//! `ops drill`: a scripted game day on the embedded cluster.
//!
//! 1. a release that errors on 15 % of requests is deployed (Standard Deployment);
//! 2. the bake sees the error rate above the 10 % rollback threshold and the deployment is
//!    undone automatically; a P1 incident is opened;
//! 3. the incident escalates (the escalator is ticked 16 minutes ahead: L2 is due at 15 min),
//!    is acknowledged, updated and resolved;
//! 4. triage confirms the service is healthy again, and the journal of every step is printed
//!    as the post-mortem timeline in Markdown.

use std::time::Duration;

use mcp_ops_core::escalation::EscalationAction;
use mcp_ops_core::health::MetricKind;
use mcp_ops_core::incident::{Incident, IncidentUpdate};
use mcp_ops_core::runbook::standard_deploy::{
    BakeConfig, Checklist, DeployBackends, DeployOutcome, DeployRequest, standard_deploy,
};
use mcp_ops_core::runbook::triage::{TriageBackends, TriageInput, triage};
use mcp_ops_core::runbook::{Context, Journal};
use mcp_ops_core::types::ImageRef;
use mcp_ops_core::{HealthStatus, Intent};
use serde_json::json;

use crate::backends::Backends;
use crate::cli::Global;
use crate::output::{Report, Status, table, to_value};
use crate::{Failure, Outcome};

const SERVICE: &str = "mcp-typescript-api";
const BAD_IMAGE: &str = "ghcr.io/your-org/mcp-typescript-server:v1.0.2";

/// `ops drill [--bake-seconds N]`.
pub async fn drill(bake_seconds: u64, g: &Global, b: &Backends) -> Outcome {
    let Some(embedded) = &b.embedded else {
        return Err(Failure::BadInput(
            "the drill injects faults and runs only on the embedded cluster".to_owned(),
        ));
    };
    if bake_seconds == 0 {
        return Err(Failure::BadInput(
            "--bake-seconds must be at least 1".to_owned(),
        ));
    }
    if g.dry_run {
        return Ok(plan(bake_seconds));
    }
    let journal = Journal::new();
    let ctx = |procedure: &'static str, reason: &str| -> Result<Context, Failure> {
        let intent = Intent::new(reason, "ops-drill")?;
        Ok(Context::new(procedure, intent, b.clock.clone()).with_journal(journal.clone()))
    };

    // 1. The bad release: its error rate reads 15 % once it serves.
    embedded
        .alerting
        .set_metric(SERVICE, MetricKind::ErrorRate, Some(0.15));
    let image = ImageRef::parse(BAD_IMAGE)?;
    let mut request = DeployRequest::runbook(image)?.with_checklist(Checklist::all_passed(
        "game day: CI green, scans clean, benchmark within budget",
        "kubectl rollout undo deployment/mcp-typescript-api -n mcp-production",
    ));
    request.bake = BakeConfig {
        duration: Duration::from_secs(bake_seconds),
        interval: Duration::from_secs(1),
        ..BakeConfig::default()
    };
    let deploy_ctx = ctx("standard_deploy", "Game day: deploy v1.0.2")?;
    let smoke = b.smoke();
    let backends = DeployBackends {
        deployer: b.deployer.as_ref(),
        backups: b.backups.as_ref(),
        health: &b.health,
        metrics: &b.health,
        smoke: &smoke,
        escalator: b.escalator.as_ref(),
    };
    let deploy = standard_deploy(&deploy_ctx, &backends, &request).await?;
    let rolled_back = matches!(deploy.outcome, DeployOutcome::RolledBack { .. });
    // The previous release serves again: its error rate is back to normal.
    embedded
        .alerting
        .set_metric(SERVICE, MetricKind::ErrorRate, Some(0.004));

    // 2. The incident: escalate, acknowledge, update, resolve.
    let incident = match &deploy.incident {
        Some(id) => Some(lifecycle(id, &ctx("run_incident", "Game day incident")?, b).await?),
        None => None,
    };

    // 3. Triage confirms recovery.
    let t_ctx = Context::new(
        "triage",
        Intent::new("Game day: confirm recovery", "ops-drill")?,
        b.clock.clone(),
    );
    let t_backends = TriageBackends {
        cluster: Some(&b.health),
        deployer: Some(b.deployer.as_ref()),
        scaler: Some(b.scaler.as_ref()),
        database: Some(&b.health),
        cache: Some(&b.health),
        metrics: Some(&b.health),
    };
    let after = triage(&t_ctx, &t_backends, &TriageInput::runbook()).await?;

    let resolved = incident.as_ref().is_some_and(Incident::is_resolved);
    let healthy = after.overall == HealthStatus::Healthy;
    ctx("triage", "Game day: confirm recovery")?.note(
        "triage",
        "mcp-production",
        format!(
            "{} ({} checks)",
            after.overall.as_str(),
            after.findings.len()
        ),
    );
    let ok = rolled_back && resolved && healthy;
    let summary = format!(
        "drill: {} — bad deploy {}, incident {}, service {}",
        if ok { "passed" } else { "FAILED" },
        if rolled_back {
            "rolled back automatically"
        } else {
            "NOT rolled back"
        },
        if resolved {
            "escalated and resolved"
        } else {
            "NOT resolved"
        },
        after.overall.as_str()
    );
    let rows = vec![
        vec!["bad deploy rolled back".to_owned(), pass(rolled_back)],
        vec!["incident escalated and resolved".to_owned(), pass(resolved)],
        vec!["service healthy afterwards".to_owned(), pass(healthy)],
    ];
    let mut report = Report::new(
        "drill",
        if ok { Status::Ok } else { Status::Failed },
        summary,
        json!({"deploy": to_value(&deploy), "incident": to_value(&incident),
               "triage_after": to_value(&after), "passed": ok}),
    )
    .table("Game day", table(&["CHECK", "RESULT"], rows));
    report.markdown =
        Some(journal.to_markdown("Post-mortem timeline: game day, bad deploy of v1.0.2"));
    report.journal = journal.entries();
    Ok(report)
}

async fn lifecycle(
    id: &mcp_ops_core::IncidentId,
    ctx: &Context,
    b: &Backends,
) -> Result<Incident, Failure> {
    let intent = ctx.intent().clone();
    let opened = b.escalator.incident(id).await?;
    let later = opened
        .started
        .checked_add(Duration::from_secs(16 * 60))
        .map_err(|e| Failure::Failed(e.to_string()))?;
    ctx.step("escalate (clock +16 min)", id.as_str())
        .command("escalation tick: L2 team lead and infrastructure team due at 15 min")
        .act(
            || b.escalator.tick(later),
            |a: &Vec<EscalationAction>| {
                a.iter()
                    .map(|a| format!("L{} → {}", a.level, a.targets.join(", ")))
                    .collect::<Vec<_>>()
                    .join("; ")
            },
        )
        .await?;
    ctx.step("acknowledge incident", id.as_str())
        .command("acknowledge (escalation stops)")
        .act(
            || b.escalator.acknowledge(id, &intent),
            |_: &Incident| "acknowledged".to_owned(),
        )
        .await?;
    let update = IncidentUpdate {
        root_cause: Some("v1.0.2 returns 500 on 15 % of requests".to_owned()),
        actions: "rolled back to the previous revision; monitoring".to_owned(),
        eta: None,
    };
    ctx.step("post incident update", id.as_str())
        .command("INCIDENT UPDATE to #mcp-production-alerts")
        .act(
            || b.escalator.update(id, &update, &intent),
            |_: &Incident| "update posted".to_owned(),
        )
        .await?;
    let resolved = ctx
        .step("resolve incident", id.as_str())
        .command("INCIDENT RESOLVED to #mcp-production-alerts")
        .act(
            || {
                b.escalator
                    .resolve(id, "rolled back to the previous revision", &intent)
            },
            |_: &Incident| "resolved".to_owned(),
        )
        .await?;
    resolved.ok_or_else(|| Failure::Failed("the incident was not resolved".to_owned()))
}

/// The script, for `--dry-run`.
fn plan(bake_seconds: u64) -> Report {
    let rows = [
        (
            "inject",
            format!("error rate of {SERVICE} reads 15 % once the new release serves"),
        ),
        (
            "standard_deploy",
            format!(
                "kubectl set image deployment/{SERVICE} {SERVICE}={BAD_IMAGE} -n mcp-production"
            ),
        ),
        (
            "bake",
            format!("{bake_seconds} s, one sample a second; rollback above 10 % errors"),
        ),
        (
            "emergency rollback",
            format!("kubectl rollout undo deployment/{SERVICE} -n mcp-production --to-revision=3"),
        ),
        (
            "incident",
            "open P1, escalate to L2 (clock +16 min), acknowledge, update, resolve".to_owned(),
        ),
        (
            "triage",
            "confirm the service is healthy; print the timeline as Markdown".to_owned(),
        ),
    ];
    Report::new(
        "drill",
        Status::Planned,
        "dry run: the game day below would run on the embedded cluster",
        json!({"steps": rows.iter().map(|(s, c)| json!({"step": s, "command": c})).collect::<Vec<_>>()}),
    )
    .table(
        "Game day plan",
        table(&["STEP", "WHAT / EQUIVALENT COMMAND"], rows.iter().map(|(s, c)| vec![(*s).to_owned(), c.clone()])),
    )
}

fn pass(ok: bool) -> String {
    if ok { "pass" } else { "FAIL" }.to_owned()
}
