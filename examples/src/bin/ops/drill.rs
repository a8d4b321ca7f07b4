//! `ops drill`: a scripted game day on the embedded cluster, on the platform's API
//! deployment (`--platform`; the runbook's `mcp-typescript-api` without it).
//!
//! 1. a release that errors on 15 % of requests (more when the platform's rollback threshold
//!    is higher) is deployed (Standard Deployment);
//! 2. the bake sees the error rate above the rollback threshold (runbook: 10 %) and the
//!    deployment is undone automatically; a P1 incident is opened;
//! 3. the incident escalates (the escalator is ticked to one minute after level 2 is due:
//!    16 minutes for the runbook's 15), is acknowledged, updated and resolved;
//! 4. triage confirms the service is healthy again, and the journal of every step is printed
//!    as the post-mortem timeline in Markdown.

use std::time::Duration;

use mcp_ops_core::escalation::EscalationAction;
use mcp_ops_core::health::MetricKind;
use mcp_ops_core::incident::{Incident, IncidentUpdate};
use mcp_ops_core::platform::Platform;
use mcp_ops_core::runbook::standard_deploy::{
    BakeConfig, Checklist, DeployBackends, DeployOutcome, standard_deploy,
};
use mcp_ops_core::runbook::triage::{TriageBackends, triage};
use mcp_ops_core::runbook::{Context, Journal};
use mcp_ops_core::types::ImageRef;
use mcp_ops_core::{HealthStatus, Intent};
use serde_json::json;

use crate::backends::Backends;
use crate::cli::Global;
use crate::output::{Report, Status, table, to_value};
use crate::{Failure, Outcome};

/// What the game day acts on, from the platform.
struct Script {
    /// The API deployment's name (the metrics' service label).
    service: String,
    /// Its namespace.
    namespace: String,
    /// Its first container.
    container: String,
    /// The bad release: the current tag's patch version plus two (`v1.0.0` → `v1.0.2`).
    bad_image: ImageRef,
    /// The error rate the bad release shows: 15 %, or 5 points over a higher threshold.
    error_rate: f64,
    /// Where incident messages go.
    channel: String,
    /// One minute after level 2 is due (16 min for the runbook).
    tick: Duration,
    /// Who level 2 notifies.
    level_two: String,
}

impl Script {
    fn new(p: &Platform) -> Result<Self, Failure> {
        let api = p.api();
        let first = api
            .containers
            .first()
            .ok_or_else(|| Failure::BadInput("the API deployment has no container".to_owned()))?;
        let tag = first.image.tag().unwrap_or("latest");
        let bad_tag = bumped(tag).unwrap_or_else(|| format!("{tag}-drill"));
        let levels = p.escalation.levels();
        let two = levels.get(1).or(levels.last());
        Ok(Self {
            service: api.reference.name.as_str().to_owned(),
            namespace: api.reference.namespace.as_str().to_owned(),
            container: first.name.as_str().to_owned(),
            bad_image: first.image.with_tag(bad_tag)?,
            error_rate: (p.thresholds.rollback_error_rate + 0.05).clamp(0.15, 1.0),
            channel: p
                .notifiers
                .slack
                .as_ref()
                .and_then(|s| s.channel.clone())
                .unwrap_or_else(|| format!("#{}-alerts", p.name)),
            tick: two.map_or(Duration::ZERO, |l| l.after) + Duration::from_secs(60),
            level_two: two.map_or(String::new(), |l| {
                format!(
                    "L{} {} due at {} min",
                    l.level,
                    l.targets.join(" and "),
                    l.after.as_secs() / 60
                )
            }),
        })
    }
}

/// `vX.Y.Z` → `vX.Y.(Z+2)`.
fn bumped(tag: &str) -> Option<String> {
    let (head, patch) = tag.rsplit_once('.')?;
    let n: u64 = patch.parse().ok()?;
    Some(format!("{head}.{}", n.checked_add(2)?))
}

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
    let p = &g.platform;
    let script = Script::new(p)?;
    if g.dry_run {
        return Ok(plan(bake_seconds, &script, p));
    }
    let journal = Journal::new();
    let ctx = |procedure: &'static str, reason: &str| -> Result<Context, Failure> {
        let intent = Intent::new(reason, "ops-drill")?;
        Ok(Context::new(procedure, intent, b.clock.clone())
            .with_journal(journal.clone())
            .with_policy(p.thresholds.clone()))
    };

    // 1. The bad release: its error rate reads 15 % once it serves.
    embedded.alerting.set_metric(
        &script.service,
        MetricKind::ErrorRate,
        Some(script.error_rate),
    );
    let mut request =
        p.deploy_request(script.bad_image.clone())?
            .with_checklist(Checklist::all_passed(
                "game day: CI green, scans clean, benchmark within budget",
                &format!(
                    "kubectl rollout undo deployment/{} -n {}",
                    script.service, script.namespace
                ),
            ));
    if !crate::platform::is_runbook(p) {
        request.incident.service = format!("{} ({})", p.name, p.environment);
    }
    request.bake = BakeConfig {
        duration: Duration::from_secs(bake_seconds),
        interval: Duration::from_secs(1),
        ..BakeConfig::default()
    };
    // Under --enforce-changes: a change request by the on-call engineer, approved by a
    // second person; the deploy runs under it, its rollback is a break-glass.
    let change = if crate::change_setup::enforced(g) {
        let c_ctx = ctx("change", "Game day: change request")?;
        Some(crate::drill_changes::prepare(p, &script.bad_image, &c_ctx, b).await?)
    } else {
        None
    };
    let reason = format!("Game day: deploy {}", script.bad_image);
    let deploy_ctx = match &change {
        Some(c) => Context::new(
            "standard_deploy",
            Intent::new(&reason, &c.requester)?,
            b.clock.clone(),
        )
        .with_journal(journal.clone())
        .with_policy(p.thresholds.clone())
        .with_change_gate(c.gate(p, b)),
        None => ctx("standard_deploy", &reason)?,
    };
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
    embedded.alerting.set_metric(
        &script.service,
        MetricKind::ErrorRate,
        Some((p.thresholds.error_rate_p1 / 10.0).min(0.004)),
    );

    // 2. The incident: escalate, acknowledge, update, resolve.
    let incident = match &deploy.incident {
        Some(id) => {
            Some(lifecycle(id, &ctx("run_incident", "Game day incident")?, b, &script).await?)
        }
        None => None,
    };

    // 3. Triage confirms recovery.
    let t_ctx = Context::new(
        "triage",
        Intent::new("Game day: confirm recovery", "ops-drill")?,
        b.clock.clone(),
    )
    .with_policy(p.thresholds.clone());
    let t_backends = TriageBackends {
        cluster: Some(&b.health),
        deployer: Some(b.deployer.as_ref()),
        scaler: Some(b.scaler.as_ref()),
        database: Some(&b.health),
        cache: Some(&b.health),
        metrics: Some(&b.health),
    };
    let mut t_input = p.triage_input();
    t_input.namespace = mcp_ops_core::types::Namespace::new(&script.namespace)?;
    let after = triage(&t_ctx, &t_backends, &t_input).await?;

    let resolved = incident.as_ref().is_some_and(Incident::is_resolved);
    let healthy = after.overall == HealthStatus::Healthy;
    ctx("triage", "Game day: confirm recovery")?.note(
        "triage",
        &script.namespace,
        format!(
            "{} ({} checks)",
            after.overall.as_str(),
            after.findings.len()
        ),
    );
    let changes = match &change {
        Some(c) => Some(c.finish(p, b, &journal, deploy.incident.as_ref()).await?),
        None => None,
    };
    let changes_ok = changes
        .as_ref()
        .is_none_or(|c| c.rows.iter().all(|(_, passed)| *passed));
    let ok = rolled_back && resolved && healthy && changes_ok;
    let summary = format!(
        "drill: {} — bad deploy of {}/{} {}, incident {}, service {}",
        if ok { "passed" } else { "FAILED" },
        script.namespace,
        script.service,
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
    let mut rows = vec![
        vec!["bad deploy rolled back".to_owned(), pass(rolled_back)],
        vec!["incident escalated and resolved".to_owned(), pass(resolved)],
        vec!["service healthy afterwards".to_owned(), pass(healthy)],
    ];
    let mut data = json!({"deploy": to_value(&deploy), "incident": to_value(&incident),
                          "triage_after": to_value(&after), "passed": ok});
    let mut markdown = journal.to_markdown(&format!(
        "Post-mortem timeline: game day, bad deploy of {}",
        script.bad_image
    ));
    if let Some(c) = changes {
        rows.extend(
            c.rows
                .iter()
                .map(|(what, passed)| vec![what.clone(), pass(*passed)]),
        );
        data["changes"] = c.json;
        markdown.push_str("\n\n");
        markdown.push_str(&c.markdown);
    }
    let mut report = Report::new(
        "drill",
        if ok { Status::Ok } else { Status::Failed },
        summary,
        data,
    )
    .table("Game day", table(&["CHECK", "RESULT"], rows));
    report.markdown = Some(markdown);
    report.journal = journal.entries();
    Ok(report)
}

async fn lifecycle(
    id: &mcp_ops_core::IncidentId,
    ctx: &Context,
    b: &Backends,
    script: &Script,
) -> Result<Incident, Failure> {
    let intent = ctx.intent().clone();
    let opened = b.escalator.incident(id).await?;
    let later = opened
        .started
        .checked_add(script.tick)
        .map_err(|e| Failure::Failed(e.to_string()))?;
    ctx.step(
        format!("escalate (clock +{} min)", script.tick.as_secs() / 60),
        id.as_str(),
    )
    .command(format!("escalation tick: {}", script.level_two))
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
        .command(format!("INCIDENT UPDATE to {}", script.channel))
        .act(
            || b.escalator.update(id, &update, &intent),
            |_: &Incident| "update posted".to_owned(),
        )
        .await?;
    let resolved = ctx
        .step("resolve incident", id.as_str())
        .command(format!("INCIDENT RESOLVED to {}", script.channel))
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
fn plan(bake_seconds: u64, s: &Script, p: &Platform) -> Report {
    let (service, ns) = (&s.service, &s.namespace);
    let rows = [
        (
            "inject",
            format!(
                "error rate of {service} reads {:.0} % once the new release serves",
                s.error_rate * 100.0
            ),
        ),
        (
            "standard_deploy",
            format!(
                "kubectl set image deployment/{service} {}={} -n {ns}",
                s.container, s.bad_image
            ),
        ),
        (
            "bake",
            format!(
                "{bake_seconds} s, one sample a second; rollback above {:.0} % errors",
                p.thresholds.rollback_error_rate * 100.0
            ),
        ),
        (
            "emergency rollback",
            format!("kubectl rollout undo deployment/{service} -n {ns}"),
        ),
        (
            "incident",
            format!(
                "open P1, escalate ({}; clock +{} min), acknowledge, update, resolve",
                s.level_two,
                s.tick.as_secs() / 60
            ),
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
