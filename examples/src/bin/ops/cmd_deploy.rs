//! `ops deploy` (Standard Deployment) and `ops rollback` (Emergency Rollback).

use std::time::Duration;

use mcp_ops_core::runbook::emergency_rollback::{
    EmergencyRollback, RollbackBackends, emergency_rollback,
};
use mcp_ops_core::runbook::standard_deploy::{
    BakeConfig, Checklist, DeployBackends, DeployOutcome, DeployRequest, NoDataPolicy,
    standard_deploy,
};
use mcp_ops_core::types::{ContainerName, DeploymentRef, ImageRef};

use crate::backends::Backends;
use crate::cli::{DeployArgs, Global, OnNoData};
use crate::output::{Report, Status, table, to_value};
use crate::{Failure, Outcome, context};

/// Parses `<container>=<image>`.
pub(crate) fn container_image(s: &str) -> Result<(ContainerName, ImageRef), Failure> {
    let (c, i) = s
        .split_once('=')
        .ok_or_else(|| Failure::BadInput(format!("expected <container>=<image>, got {s:?}")))?;
    Ok((ContainerName::new(c)?, ImageRef::parse(i)?))
}

/// The deploy request of the CLI's flags.
pub fn request(args: &DeployArgs, g: &Global) -> Result<DeployRequest, Failure> {
    let deployment = DeploymentRef::new(&g.namespace, &args.deployment)?;
    let (container, image) = container_image(&args.image)?;
    let mut request = DeployRequest::new(deployment.clone(), container, image);
    if let Some(db) = &g.platform.database {
        request.backup.database = db.name.clone();
    }
    if let Some(evidence) = &args.evidence {
        let plan = args.rollback_plan.clone().unwrap_or_else(|| {
            format!(
                "kubectl rollout undo deployment/{} -n {}",
                deployment.name, deployment.namespace
            )
        });
        request = request.with_checklist(Checklist::all_passed(evidence, &plan));
    }
    if let Some(reason) = &args.force {
        request = request.forced(reason.clone());
    }
    request.bake = BakeConfig {
        duration: Duration::from_secs(args.bake_seconds),
        interval: Duration::from_secs(1),
        ..BakeConfig::default()
    };
    request.on_no_data = match args.on_no_data {
        OnNoData::Rollback => NoDataPolicy::Rollback,
        OnNoData::Hold => NoDataPolicy::Hold,
        OnNoData::Accept => NoDataPolicy::Accept,
    };
    // Values are refused before anything is read or written.
    request.validate()?;
    Ok(request)
}

/// `ops deploy <deployment> <container>=<image>`.
pub async fn deploy(args: &DeployArgs, g: &Global, b: &Backends) -> Outcome {
    let mut request = request(args, g)?;
    request.health = b.health_probe.clone();
    let reason = args
        .reason
        .clone()
        .unwrap_or_else(|| format!("Deploy {}", request.image));
    let ctx = context("standard_deploy", &reason, g, b)?;
    let smoke = b.smoke();
    let backends = DeployBackends {
        deployer: b.deployer.as_ref(),
        backups: b.backups.as_ref(),
        health: &b.health,
        metrics: &b.health,
        smoke: &smoke,
        escalator: b.escalator.as_ref(),
    };
    let report = standard_deploy(&ctx, &backends, &request).await?;
    let (status, summary) = match &report.outcome {
        DeployOutcome::Deployed { revision } => (
            Status::Ok,
            format!("deployed {} as revision {revision}", request.image),
        ),
        DeployOutcome::RolledBack { from, to, why } => (
            Status::Failed,
            format!("rolled back from revision {from} to {to}: {why}"),
        ),
        DeployOutcome::RollbackFailed { why, error } => (
            Status::Failed,
            format!(
                "not verified and not rolled back: {why}; the automatic rollback failed: {error}"
            ),
        ),
        DeployOutcome::Unverified {
            revision,
            why,
            policy,
        } => {
            let status = if *policy == NoDataPolicy::Accept {
                Status::Ok
            } else {
                Status::Failed
            };
            let next = if *policy == NoDataPolicy::Accept {
                "accepted (--on-no-data accept)".to_owned()
            } else {
                format!(
                    "held (--on-no-data hold): check it, then keep it or run `kubectl rollout undo deployment/{} -n {}`",
                    request.deployment.name, request.deployment.namespace
                )
            };
            (
                status,
                format!(
                    "deployed without verification: {} runs as revision {revision}, but the bake had no evidence ({why}); {next}",
                    request.image
                ),
            )
        }
        DeployOutcome::Refused { why } => (Status::Failed, format!("refused: {why}")),
        DeployOutcome::Stopped { why, left, .. } => (
            Status::Failed,
            format!("stopped by the caller ({why}): {left}"),
        ),
        DeployOutcome::Planned { .. } => (
            Status::Planned,
            format!(
                "dry run: would deploy {} to {}",
                request.image, request.deployment
            ),
        ),
        _ => (Status::Failed, "deploy ended in an unknown way".to_owned()),
    };
    let gates = report.gates.iter().map(|v| {
        vec![
            v.gate.to_string(),
            if v.passed { "pass" } else { "FAIL" }.to_owned(),
        ]
    });
    let mut out = Report::new("deploy", status, summary, to_value(&report))
        .table("Gates", table(&["GATE", "VERDICT"], gates))
        .journal(ctx.journal().entries());
    if let Some(reason) = &report.forced {
        out.notes.push(format!(
            "forced past the failing gates (journaled): {reason}"
        ));
    }
    if let Some(id) = &report.incident {
        out.notes.push(format!("incident {id} opened"));
    }
    Ok(out)
}

/// `ops rollback [deployment…]`.
pub async fn rollback(
    deployments: &[String],
    reason: Option<&str>,
    g: &Global,
    b: &Backends,
) -> Outcome {
    // A rollback without approval is break-glass: it must say why (journaled, in the
    // retroactive change request and in the notice to the approvers).
    if reason.is_none() && g.change.is_none() && crate::change_setup::enforced(g) {
        return Err(Failure::BadInput(
            "a rollback without --change under enforced change management is break-glass: \
             say why with --reason"
                .to_owned(),
        ));
    }
    // The platform's deployments by default (the runbook's three without --platform): those
    // of the namespace given (`-n`), else every name in that namespace.
    let names: Vec<&str> = if deployments.is_empty() {
        let p = &g.platform;
        let in_ns: Vec<&str> = p
            .deployments
            .iter()
            .filter(|d| d.reference.namespace.as_str() == g.namespace)
            .map(|d| d.reference.name.as_str())
            .collect();
        if in_ns.is_empty() {
            p.deployments
                .iter()
                .map(|d| d.reference.name.as_str())
                .collect()
        } else {
            in_ns
        }
    } else {
        deployments.iter().map(String::as_str).collect()
    };
    let refs = names
        .iter()
        .map(|d| DeploymentRef::new(&g.namespace, d))
        .collect::<Result<Vec<_>, _>>()?;
    // A deployment that is not there is bad input (a misspelt name or namespace), not a
    // failed rollback with an incident.
    for d in &refs {
        b.deployer.deployment(d).await?;
    }
    let mut request = EmergencyRollback::new(refs);
    request.health = Some(b.health_probe.clone());
    let ctx = context("emergency_rollback", reason.unwrap_or("ops rollback"), g, b)?;
    let smoke = b.smoke();
    let backends = RollbackBackends {
        deployer: b.deployer.as_ref(),
        health: &b.health,
        smoke: &smoke,
        escalator: b.escalator.as_ref(),
    };
    let report = emergency_rollback(&ctx, &backends, &request).await?;
    let status = if g.dry_run {
        Status::Planned
    } else if report.recovered() {
        Status::Ok
    } else {
        Status::Failed
    };
    let summary = match status {
        Status::Planned => "dry run: the rollback plan below changes nothing".to_owned(),
        Status::Ok => "rollback: every deployment is back and healthy".to_owned(),
        Status::Failed => "rollback: not recovered (see the table)".to_owned(),
    };
    let rows = report
        .deployments
        .iter()
        .map(|d| vec![d.deployment.to_string(), d.status.to_string()]);
    let mut out = Report::new("rollback", status, summary, to_value(&report))
        .table("Deployments", table(&["DEPLOYMENT", "STATUS"], rows))
        .journal(ctx.journal().entries());
    if let Some(id) = &report.incident {
        out.notes.push(format!("incident {id} recorded"));
    }
    Ok(out)
}
