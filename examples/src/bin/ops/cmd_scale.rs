//! `ops scale` and `ops capacity` (Scaling Procedures, through `scale_out`).

use mcp_ops_core::change::ChangeSpec;
use mcp_ops_core::runbook::scale_out::{
    CapacityReport, HorizontalChange, HorizontalTarget, ScaleOutBackends, ScaleOutInput,
    ScaleOutReport, ScaleOutStatus, VerticalTarget, scale_out,
};
use mcp_ops_core::runbook::{Context, commands};
use mcp_ops_core::scale::{AutoscalerBounds, AutoscalerStatus, BoundsChange};
use mcp_ops_core::types::{
    ContainerName, DeploymentRef, Quantity, Replicas, ResourceList, ResourceRequirements,
};

use crate::backends::Backends;
use crate::cli::{Global, ScaleArgs};
use crate::output::{Report, Status, table, to_value};
use crate::{Failure, Outcome, context};

fn quantity(s: &Option<String>) -> Result<Option<Quantity>, Failure> {
    s.as_deref()
        .map(Quantity::parse)
        .transpose()
        .map_err(Failure::from)
}

pub(crate) fn input(args: &ScaleArgs, g: &Global) -> Result<ScaleOutInput, Failure> {
    let deployment = DeploymentRef::new(&g.namespace, &args.deployment)?;
    let mut input = ScaleOutInput {
        force: args.force.clone(),
        ..ScaleOutInput::default()
    };
    if let Some(n) = args.replicas {
        input.horizontal.push(HorizontalTarget {
            deployment: deployment.clone(),
            replicas: Replicas::new(n)?,
        });
    }
    if let (Some(cpu), Some(memory)) = (quantity(&args.cpu)?, quantity(&args.memory)?) {
        let limits = ResourceList {
            cpu: quantity(&args.cpu_limit)?.or(Some(cpu)),
            memory: quantity(&args.memory_limit)?.or(Some(memory)),
        };
        let container = args.container.as_deref().unwrap_or(&args.deployment);
        input.vertical.push(VerticalTarget {
            deployment,
            container: ContainerName::new(container)?,
            resources: ResourceRequirements::for_change(ResourceList::new(cpu, memory), limits)?,
        });
    }
    Ok(input)
}

/// `ops scale <deployment> --replicas N | --cpu … --memory …`.
pub async fn scale(args: &ScaleArgs, g: &Global, b: &Backends) -> Outcome {
    let input = input(args, g)?;
    let ctx = context("scale_out", "ops scale", g, b)?;
    let backends = ScaleOutBackends {
        scaler: b.scaler.as_ref(),
        node_groups: b.node_groups.as_deref(),
    };
    // Every named object is read before the first write (the autoscaler patch comes first):
    // a misspelt deployment or container changes nothing.
    for t in &input.horizontal {
        b.scaler.replicas(&t.deployment).await?;
        if t.replicas.get() == 0
            && let Some(a) = b.scaler.autoscaler(&t.deployment).await?
        {
            return Err(Failure::BadInput(format!(
                "invalid replicas: {}: autoscaler {} cannot hold 0 replicas (its minimum must be at least 1)",
                t.deployment, a.name
            )));
        }
    }
    for t in &input.vertical {
        b.scaler.resources(&t.deployment, &t.container).await?;
    }
    if args.hpa_max.is_some() {
        b.scaler
            .replicas(&DeploymentRef::new(&g.namespace, &args.deployment)?)
            .await?;
    }
    let hpa = match args.hpa_max {
        Some(n) => Some(hpa_max(n, args, g, &ctx, b).await?),
        None => None,
    };
    let report = scale_out(&ctx, backends, &input).await?;
    let status = match &report.status {
        ScaleOutStatus::Completed => Status::Ok,
        ScaleOutStatus::Planned => Status::Planned,
        _ => Status::Failed,
    };
    let summary = match &report.status {
        ScaleOutStatus::Completed => "scale: completed".to_owned(),
        ScaleOutStatus::Planned => "scale: dry run, nothing changed".to_owned(),
        ScaleOutStatus::Refused { violations } => {
            format!("scale: refused: {}", violations.join("; "))
        }
        ScaleOutStatus::Partial { failed } => {
            format!("scale: partly failed: {}", failed.join("; "))
        }
        _ => "scale: ended in a state this ops does not know; see --output json".to_owned(),
    };
    let mut data = to_value(&report);
    let mut changes = changes_table(&report);
    if let Some((hpa, change)) = &hpa {
        data["autoscaler_max"] = to_value(change);
        let what = match change {
            Some(c) => format!("hpa/{} max {} → {}", c.autoscaler, c.from.1, c.to.1),
            None => format!(
                "hpa/{} max → {}",
                hpa.name,
                args.hpa_max.unwrap_or_default()
            ),
        };
        let outcome = if change.is_some() {
            "applied"
        } else {
            "planned"
        };
        changes.add_row(vec![hpa.target.to_string(), what, outcome.to_owned()]);
    }
    Ok(Report::new("scale", status, summary, data)
        .table("Changes", changes)
        .table("Capacity", capacity_table(report.capacity.as_ref()))
        .journal(ctx.journal().entries()))
}

/// `ops capacity`: node capacity, read only (scale_out with nothing to change).
pub async fn capacity(g: &Global, b: &Backends) -> Outcome {
    let ctx = context("scale_out", "ops capacity", g, b)?;
    let backends = ScaleOutBackends {
        scaler: b.scaler.as_ref(),
        node_groups: b.node_groups.as_deref(),
    };
    let report = scale_out(&ctx, backends, &ScaleOutInput::default()).await?;
    let tight = report.capacity.as_ref().map_or(0, |c| c.tight_nodes.len());
    let status = if report.capacity.is_none() || tight > 0 {
        Status::Failed
    } else {
        Status::Ok
    };
    let summary = match &report.capacity {
        Some(c) => format!(
            "capacity: {} nodes, CPU requested {}, memory requested {}, {tight} tight",
            c.nodes.len(),
            ratio(c.cpu_requested_ratio),
            ratio(c.memory_requested_ratio)
        ),
        None => "capacity: unknown (node capacity could not be read)".to_owned(),
    };
    Ok(Report::new("capacity", status, summary, to_value(&report))
        .table("Nodes", capacity_table(report.capacity.as_ref()))
        .journal(ctx.journal().entries()))
}

/// `--hpa-max N`: the autoscaler's ceiling, its floor kept; refused above the policy's
/// `max_replicas` unless forced.
async fn hpa_max(
    n: u32,
    args: &ScaleArgs,
    g: &Global,
    ctx: &Context,
    b: &Backends,
) -> Result<(AutoscalerStatus, Option<BoundsChange>), Failure> {
    let deployment = DeploymentRef::new(&g.namespace, &args.deployment)?;
    let max = Replicas::new(n)?;
    let Some(hpa) = b.scaler.autoscaler(&deployment).await? else {
        return Err(Failure::BadInput(format!(
            "{deployment} has no autoscaler; use --replicas"
        )));
    };
    let limit = ctx.policy().max_replicas;
    if n > limit && args.force.is_none() {
        return Err(Failure::BadInput(format!(
            "--hpa-max {n} is above the policy's {limit} replicas; pass --force <reason>"
        )));
    }
    // The change request covers the bounds as they will be: the floor kept, the new
    // ceiling. A dry run needs none (`authorize` reads nothing then).
    let spec = autoscaler_spec(&deployment, &hpa, max)?;
    ctx.authorize(&spec).await?;
    let bounds = AutoscalerBounds {
        min: None,
        max: Some(max),
    };
    let intent = ctx.intent().clone();
    let change = ctx
        .step("patch autoscaler", deployment.to_string())
        .action(format!("maxReplicas {} → {n}", hpa.max))
        .command(commands::patch_hpa(
            &deployment.namespace,
            hpa.name.as_str(),
            None,
            Some(max),
        ))
        .act(
            || b.scaler.set_autoscaler_bounds(&deployment, bounds, &intent),
            |c: &BoundsChange| format!("max {} → {}", c.from.1, c.to.1),
        )
        .await?;
    Ok((hpa, change))
}

/// The change `ops scale <deployment> --hpa-max N` makes to the autoscaler `hpa`: its floor
/// kept, its ceiling `max` (`ops change request scale <deployment> --hpa-max N` asks for the
/// same).
///
/// # Errors
/// [`Failure::BadInput`] when `max` is below the autoscaler's floor.
pub(crate) fn autoscaler_spec(
    deployment: &DeploymentRef,
    hpa: &AutoscalerStatus,
    max: Replicas,
) -> Result<ChangeSpec, Failure> {
    let spec = ChangeSpec::Autoscaler {
        deployment: deployment.clone(),
        min: hpa.min,
        max,
    };
    spec.validate()?;
    Ok(spec)
}

fn changes_table(report: &ScaleOutReport) -> comfy_table::Table {
    let h = report.horizontal.iter().map(|r| {
        let change = match &r.change {
            HorizontalChange::Replicas { from, to } => format!("replicas {from} → {to}"),
            HorizontalChange::AutoscalerBounds {
                autoscaler,
                from,
                to,
            } => format!(
                "hpa/{autoscaler} min/max {}/{} → {}/{}",
                from.0, from.1, to.0, to.1
            ),
            HorizontalChange::Unchanged { replicas } => format!("unchanged ({replicas})"),
            _ => "changed (see --output json)".to_owned(),
        };
        vec![
            r.deployment.to_string(),
            change,
            outcome(&to_value(&r.outcome)),
        ]
    });
    let v = report.vertical.iter().map(|r| {
        vec![
            format!("{} ({})", r.deployment, r.container),
            format!("resources {} → {}", resources(&r.from), resources(&r.to)),
            outcome(&to_value(&r.outcome)),
        ]
    });
    table(&["TARGET", "CHANGE", "OUTCOME"], h.chain(v))
}

fn outcome(v: &serde_json::Value) -> String {
    let state = v["state"].as_str().unwrap_or("?").to_owned();
    match v["why"].as_str() {
        Some(why) => format!("{state}: {why}"),
        None => state,
    }
}

fn resources(r: &ResourceRequirements) -> String {
    let q = |q: &Option<Quantity>| {
        q.as_ref()
            .map_or_else(|| "-".to_owned(), ToString::to_string)
    };
    format!(
        "requests {}/{} limits {}/{}",
        q(&r.requests().cpu),
        q(&r.requests().memory),
        q(&r.limits().cpu),
        q(&r.limits().memory)
    )
}

fn capacity_table(c: Option<&CapacityReport>) -> comfy_table::Table {
    let rows = c.into_iter().flat_map(|c| &c.nodes).map(|n| {
        vec![
            n.node.to_string(),
            ratio(n.cpu_requested_ratio()),
            ratio(n.memory_requested_ratio()),
            n.pods.to_string(),
        ]
    });
    table(&["NODE", "CPU REQUESTED", "MEMORY REQUESTED", "PODS"], rows)
}

fn ratio(v: Option<f64>) -> String {
    v.map_or_else(|| "unknown".to_owned(), |v| format!("{:.0} %", v * 100.0))
}
