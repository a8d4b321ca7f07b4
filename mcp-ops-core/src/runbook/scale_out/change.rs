//! The change policy for scaling: every decided change is authorized before the first one
//! is applied.

use super::{HorizontalChange, ScaleOutReport};
use crate::change::{ChangeRefusal, ChangeSpec};
use crate::error::Result;
use crate::runbook::context::Context;

/// The changes the decisions of `report` would make, as change specs: a replica count (or
/// an autoscaler's floor) per deployment that changes, new resources per container that
/// changes. Targets already as wanted are not changes.
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
    horizontal.chain(vertical).collect()
}

/// Authorizes every planned change with the context's gate, before anything is applied: one
/// change request covers one change, so a request that covers only part of the scaling
/// refuses all of it. A node group change has no change-request type: under an enforcing
/// gate it refuses.
///
/// # Errors
/// [`crate::Error::ChangeRefused`] for the first change not covered (journaled).
pub(crate) async fn authorize(ctx: &Context, report: &ScaleOutReport) -> Result<()> {
    if ctx.dry_run() {
        return Ok(());
    }
    if let Some(n) = &report.node_group
        && n.from != n.target.nodes
        && ctx.enforces_changes()
    {
        let t = &n.target;
        let target = format!("{}/{}", t.cluster, t.name);
        return Err(ctx.refuse_change(
            &target,
            ChangeRefusal::NoChangeRequest {
                planned: format!(
                    "scale node group {target} from {} to {} nodes (no change request type \
                     covers node groups; scale the node group with enforcement off)",
                    n.from, t.nodes
                ),
            },
        ));
    }
    for spec in planned(report) {
        ctx.authorize(&spec).await?;
    }
    Ok(())
}
