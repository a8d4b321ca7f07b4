//! The change policy for scaling: every decided change is authorized before the first one
//! is applied.

use super::{HorizontalChange, ScaleOutReport};
use crate::change::ChangeSpec;
use crate::error::Result;
use crate::runbook::context::Context;

/// The changes the decisions of `report` would make, as change specs: a replica count (or
/// an autoscaler's floor) per deployment that changes, new resources per container that
/// changes, and the node group's size when it changes. Targets already as wanted are not
/// changes.
///
/// A replica target on a deployment an autoscaler owns stays a [`ChangeSpec::Scale`] of the
/// replicas asked for, though it is applied as new autoscaler bounds (floor = the replicas,
/// ceiling raised to at least that): the bounds follow from the count and the autoscaler,
/// and `ops change request scale <deployment> --replicas N` asks for exactly that. Bounds
/// set directly (`ops scale --hpa-max`) are a [`ChangeSpec::Autoscaler`].
pub(crate) fn planned(report: &ScaleOutReport) -> Vec<ChangeSpec> {
    let horizontal = report.horizontal.iter().filter_map(|h| {
        let replicas = match &h.change {
            HorizontalChange::Replicas { to, .. } => *to,
            HorizontalChange::AutoscalerBounds { to, .. } => to.0,
            HorizontalChange::Unchanged { .. } => return None,
        };
        Some(ChangeSpec::Scale {
            deployment: h.deployment.clone(),
            replicas,
        })
    });
    let vertical =
        report
            .vertical
            .iter()
            .filter(|v| v.from != v.to)
            .map(|v| ChangeSpec::Resources {
                deployment: v.deployment.clone(),
                container: v.container.clone(),
                resources: v.to.clone(),
            });
    let nodes = report
        .node_group
        .iter()
        .filter(|n| n.from != n.target.nodes)
        .map(|n| ChangeSpec::NodeGroup {
            cluster: n.target.cluster.clone(),
            group: n.target.name.clone(),
            nodes: n.target.nodes,
        });
    horizontal.chain(vertical).chain(nodes).collect()
}

/// Authorizes every planned change with the context's gate, before anything is applied: one
/// change request covers one change, so a request that covers only part of the scaling
/// (the deployments but not the node group, say) refuses all of it.
///
/// # Errors
/// [`crate::Error::ChangeRefused`] for the first change not covered (journaled).
pub(crate) async fn authorize(ctx: &Context, report: &ScaleOutReport) -> Result<()> {
    if ctx.dry_run() {
        return Ok(());
    }
    for spec in planned(report) {
        ctx.authorize(&spec).await?;
    }
    Ok(())
}
