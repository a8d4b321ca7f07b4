//! `scale_out`: the runbook's **"Scaling Procedures"**: *Horizontal
//! Scaling*, *Vertical Scaling* and *Infrastructure Scaling*.
//!
//! 1. **Decide, changing nothing**: read every target's replicas, autoscaler, resources and
//!    VPA recommendations, the nodes' capacity and the node group. Replicas above
//!    [`Policy::max_replicas`](crate::policy::Policy::max_replicas) (unless forced with a
//!    reason), a container request larger than any node's allocatable, or a node count
//!    outside the group's bounds refuse the whole request before anything changes.
//! 2. **Horizontal**: `kubectl scale`; when an autoscaler owns the deployment, its bounds
//!    are changed instead (floor = the replicas wanted, ceiling at least that) — scaling
//!    behind an autoscaler's back is undone within seconds. The journal says why.
//! 3. **Vertical**: [`Scaler::set_resources`] with validated
//!    [`ResourceRequirements`]; requests outside the
//!    VPA's bounds are reported as warnings.
//! 4. **Infrastructure**: the node group is scaled when asked ([`NodeGroupScaler`]), and
//!    the capacity report is read after the changes.
//!
//! A failing change is recorded on its target and the others still run.
//!
//! **Change policy.** After deciding and before the first change, every change is
//! authorized by the context's change gate ([`Context::authorize`]): a
//! [`ChangeSpec::Scale`](crate::change::ChangeSpec::Scale) per deployment whose replicas (or
//! autoscaler floor) change, a [`ChangeSpec::Resources`](crate::change::ChangeSpec::Resources)
//! per container whose resources change, a
//! [`ChangeSpec::NodeGroup`](crate::change::ChangeSpec::NodeGroup) when the node group's
//! size changes. A change request covers one change, so one that covers only part of the
//! request refuses all of it.

mod capacity;
mod change;
mod horizontal;
mod vertical;

use serde::{Deserialize, Serialize};
use tracing::Instrument as _;

pub use capacity::{CapacityReport, NodeGroupResult, NodeGroupTarget, TIGHT_RATIO};
pub use horizontal::{HorizontalChange, HorizontalResult, HorizontalTarget};
pub use vertical::{VerticalResult, VerticalTarget};

use crate::error::Result;
use crate::node_group::NodeGroupScaler;
use crate::runbook::context::{Context, Plan};
use crate::scale::Scaler;
use crate::types::{ContainerName, DeploymentRef, Replicas, ResourceRequirements};

/// The procedure's name in journals.
pub const PROCEDURE: &str = "scale_out";

/// How one change went.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
#[non_exhaustive]
pub enum ChangeOutcome {
    /// Done.
    Applied,
    /// A dry run: it would be done.
    Planned,
    /// Already as wanted, or not reached because the request was refused.
    NothingToDo,
    /// Failed.
    Failed {
        /// Why.
        why: String,
    },
}

impl ChangeOutcome {
    fn from_act(r: Result<bool>) -> Self {
        match r {
            Ok(true) => ChangeOutcome::Applied,
            Ok(false) => ChangeOutcome::Planned,
            Err(e) => ChangeOutcome::Failed { why: e.to_string() },
        }
    }
}

/// What to scale.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScaleOutInput {
    /// Replica changes.
    pub horizontal: Vec<HorizontalTarget>,
    /// Resource changes.
    pub vertical: Vec<VerticalTarget>,
    /// A node group change.
    pub node_group: Option<NodeGroupTarget>,
    /// Go above the policy's `max_replicas`; the reason is journaled.
    pub force: Option<String>,
    /// Read and report node capacity (default `true`).
    pub capacity_report: bool,
}

impl Default for ScaleOutInput {
    /// Nothing to change; only the capacity report. See [`ScaleOutInput::runbook`].
    fn default() -> Self {
        Self {
            horizontal: Vec::new(),
            vertical: Vec::new(),
            node_group: None,
            force: None,
            capacity_report: true,
        }
    }
}

impl ScaleOutInput {
    /// The runbook's numbers: `mcp-typescript-api` 10, `mcp-learning-system` 5,
    /// `mcp-rust-server` 8 replicas; `mcp-typescript-api` requests 500m / 1Gi, limits
    /// 2000m / 4Gi; node group `worker-nodes` of `mcp-production` at 5 nodes.
    ///
    /// # Errors
    /// None in practice (the names are valid); typed for the validation they go through.
    pub fn runbook() -> Result<Self> {
        let ns = crate::types::RUNBOOK_NAMESPACE;
        let h = |name: &str, n: u32| -> Result<HorizontalTarget> {
            Ok(HorizontalTarget {
                deployment: DeploymentRef::new(ns, name)?,
                replicas: Replicas::new(n)?,
            })
        };
        Ok(Self {
            horizontal: vec![
                h("mcp-typescript-api", 10)?,
                h("mcp-learning-system", 5)?,
                h("mcp-rust-server", 8)?,
            ],
            vertical: vec![VerticalTarget {
                deployment: DeploymentRef::new(ns, "mcp-typescript-api")?,
                container: ContainerName::new("mcp-typescript-api")?,
                resources: ResourceRequirements::runbook_typescript_api(),
            }],
            node_group: Some(NodeGroupTarget {
                cluster: "mcp-production".to_owned(),
                name: "worker-nodes".to_owned(),
                nodes: 5,
            }),
            force: None,
            capacity_report: true,
        })
    }
}

/// The backends scaling uses.
#[derive(Clone, Copy)]
pub struct ScaleOutBackends<'a> {
    /// Replicas, autoscalers, resources, recommendations, node capacity.
    pub scaler: &'a dyn Scaler,
    /// Node groups, when infrastructure scaling is wanted.
    pub node_groups: Option<&'a dyn NodeGroupScaler>,
}

impl std::fmt::Debug for ScaleOutBackends<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ScaleOutBackends")
            .field("scaler", &self.scaler.backend())
            .field("node_groups", &self.node_groups.map(|n| n.backend()))
            .finish()
    }
}

/// How the scaling ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
#[non_exhaustive]
pub enum ScaleOutStatus {
    /// Every change applied (or nothing needed).
    Completed,
    /// A dry run: see [`ScaleOutReport::plan`].
    Planned,
    /// Refused before anything changed.
    Refused {
        /// Every reason.
        violations: Vec<String>,
    },
    /// Some changes failed; see the targets.
    Partial {
        /// The failures.
        failed: Vec<String>,
    },
}

/// What scaling did.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScaleOutReport {
    /// How it ended.
    pub status: ScaleOutStatus,
    /// Per horizontal target.
    pub horizontal: Vec<HorizontalResult>,
    /// Per vertical target.
    pub vertical: Vec<VerticalResult>,
    /// The node group.
    pub node_group: Option<NodeGroupResult>,
    /// Node capacity after the changes.
    pub capacity: Option<CapacityReport>,
    /// Worth knowing, not failures (VPA disagreement, tight nodes).
    pub warnings: Vec<String>,
    /// In a dry run, the mutating steps it would take.
    pub plan: Option<Plan>,
}

/// Scales horizontally, vertically and the infrastructure; see the module documentation.
///
/// # Errors
/// [`crate::Error::InvalidInput`] for `force` without a reason; read errors while deciding
/// (nothing changed then); [`crate::Error::ChangeRefused`] when the change policy refuses a
/// change (nothing changed then). Failures of changes are reported per target.
///
/// Runbook section: **"Scaling Procedures"**.
///
/// # Example
///
/// ```
/// # #[cfg(feature = "testkit")]
/// # #[tokio::main(flavor = "current_thread", start_paused = true)]
/// # async fn main() -> mcp_ops_core::Result<()> {
/// use mcp_ops_core::runbook::scale_out::{ScaleOutInput, ScaleOutStatus, scale_out};
/// use mcp_ops_core::testkit::TestKit;
///
/// let kit = TestKit::runbook().await?;
/// let ctx = kit.context("scale_out", "traffic doubled after the launch")?;
/// // 10 / 5 / 8 replicas, bigger API pods, 5 worker nodes.
/// let input = ScaleOutInput::runbook()?;
/// let report = scale_out(&ctx, kit.scale_out_backends(), &input).await?;
/// assert_eq!(report.status, ScaleOutStatus::Completed, "{:?}", report.warnings);
/// # Ok(())
/// # }
/// # #[cfg(not(feature = "testkit"))]
/// # fn main() {}
/// ```
pub async fn scale_out(
    ctx: &Context,
    backends: ScaleOutBackends<'_>,
    input: &ScaleOutInput,
) -> Result<ScaleOutReport> {
    let ctx = ctx.for_procedure(PROCEDURE);
    let span = tracing::info_span!(
        "scale_out",
        targets = input.horizontal.len() + input.vertical.len()
    );
    run(&ctx, backends, input).instrument(span).await
}

async fn run(
    ctx: &Context,
    b: ScaleOutBackends<'_>,
    input: &ScaleOutInput,
) -> Result<ScaleOutReport> {
    let force = input.force.as_deref();
    if force.is_some_and(|r| r.trim().is_empty()) {
        return Err(crate::Error::invalid("force", "forcing needs a reason"));
    }
    // Values a container cannot run with are refused before anything is read or written.
    for t in &input.vertical {
        t.resources.check_for_change()?;
    }
    let (mut horizontal, mut violations) =
        horizontal::decide(ctx, b.scaler, &input.horizontal, force).await?;
    let nodes = if input.vertical.is_empty() && !input.capacity_report {
        Vec::new()
    } else {
        capacity::nodes(ctx, b.scaler).await?
    };
    let (mut vertical, v, mut warnings) =
        vertical::decide(ctx, b.scaler, &input.vertical, &nodes).await?;
    violations.extend(v);
    let mut node_group = None;
    if let Some(t) = &input.node_group {
        match capacity::decide_nodes(ctx, b.node_groups, t).await? {
            Ok(r) => node_group = Some(r),
            Err(why) => violations.push(why),
        }
    }
    let mut report = ScaleOutReport {
        status: ScaleOutStatus::Completed,
        horizontal,
        vertical,
        node_group,
        capacity: None,
        warnings: Vec::new(),
        plan: None,
    };
    if !violations.is_empty() {
        ctx.note(
            "refuse",
            "scale out",
            format!("nothing changed: {}", violations.join("; ")),
        );
        report.warnings = warnings;
        report.status = ScaleOutStatus::Refused { violations };
        return Ok(report);
    }
    change::authorize(ctx, &report).await?;
    horizontal = std::mem::take(&mut report.horizontal);
    horizontal::apply(ctx, b.scaler, &mut horizontal).await;
    report.horizontal = horizontal;
    vertical = std::mem::take(&mut report.vertical);
    vertical::apply(ctx, b.scaler, &input.vertical, &mut vertical).await;
    report.vertical = vertical;
    if let Some(r) = report.node_group.as_mut() {
        capacity::apply_nodes(ctx, b.node_groups, r).await;
    }
    if input.capacity_report {
        let after = if ctx.dry_run() {
            Ok(nodes)
        } else {
            capacity::nodes(ctx, b.scaler).await
        };
        match after {
            Ok(n) => {
                let c = capacity::report(n);
                if !c.tight_nodes.is_empty() {
                    let text = format!(
                        "nodes above {:.0} % requested: {}; consider adding nodes",
                        TIGHT_RATIO * 100.0,
                        c.tight_nodes.join(", ")
                    );
                    ctx.note("capacity", "cluster", text.clone());
                    warnings.push(text);
                }
                report.capacity = Some(c);
            }
            Err(e) => warnings.push(format!("capacity report failed: {e}")),
        }
    }
    report.warnings = warnings;
    let failed: Vec<String> = report
        .horizontal
        .iter()
        .filter_map(|h| failure(&h.outcome, &h.deployment.qualified()))
        .chain(
            report
                .vertical
                .iter()
                .filter_map(|v| failure(&v.outcome, &format!("{}/{}", v.deployment, v.container))),
        )
        .chain(
            report
                .node_group
                .iter()
                .filter_map(|n| failure(&n.outcome, &n.target.name)),
        )
        .collect();
    report.status = if ctx.dry_run() {
        report.plan = Some(Plan::from_journal(ctx.journal(), PROCEDURE));
        ScaleOutStatus::Planned
    } else if failed.is_empty() {
        ScaleOutStatus::Completed
    } else {
        ScaleOutStatus::Partial { failed }
    };
    Ok(report)
}

fn failure(outcome: &ChangeOutcome, what: &str) -> Option<String> {
    match outcome {
        ChangeOutcome::Failed { why } => Some(format!("{what}: {why}")),
        _ => None,
    }
}
