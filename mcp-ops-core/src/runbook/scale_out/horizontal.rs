//! Horizontal scaling: replicas, or the autoscaler's bounds when an autoscaler owns the
//! deployment (`kubectl scale` would be undone by the autoscaler within seconds).

use serde::{Deserialize, Serialize};

use super::ChangeOutcome;
use crate::error::Result;
use crate::runbook::commands;
use crate::runbook::context::Context;
use crate::scale::{AutoscalerBounds, Scaler};
use crate::types::{DeploymentRef, Replicas, ResourceName};

/// Run `replicas` of `deployment` (runbook: API 10, ML 5, Rust 8).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HorizontalTarget {
    /// The deployment.
    pub deployment: DeploymentRef,
    /// The replicas wanted; with an autoscaler, the least it may run.
    pub replicas: Replicas,
}

/// The change decided for one deployment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[non_exhaustive]
pub enum HorizontalChange {
    /// `kubectl scale`.
    Replicas {
        /// Before.
        from: Replicas,
        /// After.
        to: Replicas,
    },
    /// `kubectl patch hpa`: the floor becomes the replicas wanted, the ceiling at least that.
    AutoscalerBounds {
        /// The autoscaler.
        autoscaler: ResourceName,
        /// `(min, max)` before.
        from: (Replicas, Replicas),
        /// `(min, max)` after.
        to: (Replicas, Replicas),
    },
    /// Already as wanted.
    Unchanged {
        /// Replicas now.
        replicas: Replicas,
    },
}

/// What happened to one horizontal target.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HorizontalResult {
    /// The deployment.
    pub deployment: DeploymentRef,
    /// The change.
    pub change: HorizontalChange,
    /// How it went.
    pub outcome: ChangeOutcome,
}

/// Reads each target and decides its change; returns the decisions and the policy
/// violations (replicas above `max_replicas` without `force`). Changes nothing.
///
/// # Errors
/// Read errors.
pub(crate) async fn decide(
    ctx: &Context,
    scaler: &dyn Scaler,
    targets: &[HorizontalTarget],
    force: Option<&str>,
) -> Result<(Vec<HorizontalResult>, Vec<String>)> {
    let max = ctx.policy().max_replicas;
    let mut out = Vec::new();
    let mut violations = Vec::new();
    for t in targets {
        let d = &t.deployment;
        let current = ctx
            .step("read replicas", d.qualified())
            .command(format!(
                "kubectl get deployment {} -n {}",
                d.name, d.namespace
            ))
            .read(|| scaler.replicas(d), |r| format!("{r} replicas"))
            .await?;
        let hpa = ctx
            .step("check autoscaler", d.qualified())
            .command(commands::get_hpa(&d.namespace))
            .read(
                || scaler.autoscaler(d),
                |a| match a {
                    Some(a) => format!("{} {}..={}, desired {}", a.name, a.min, a.max, a.desired),
                    None => "no autoscaler".to_owned(),
                },
            )
            .await?;
        if t.replicas.get() > max {
            match force {
                Some(reason) => ctx.note(
                    "replica bound",
                    d.qualified(),
                    format!("{} replicas exceed the policy's {max}; forced: {reason}", t.replicas),
                ),
                None => violations.push(format!(
                    "{}: {} replicas exceed the policy's max_replicas {max} (force with a reason to go above)",
                    d.qualified(),
                    t.replicas
                )),
            }
        }
        if let Some(a) = &hpa
            && t.replicas.get() == 0
        {
            return Err(crate::Error::invalid(
                "replicas",
                format!(
                    "{}: autoscaler {} cannot hold 0 replicas (its minimum must be at least 1)",
                    d.qualified(),
                    a.name
                ),
            ));
        }
        let change = match hpa {
            Some(a) => {
                let to = (t.replicas, a.max.max(t.replicas));
                if to == (a.min, a.max) {
                    HorizontalChange::Unchanged { replicas: current }
                } else {
                    ctx.note(
                        "autoscaler decision",
                        d.qualified(),
                        format!(
                            "autoscaler {} owns it and would undo kubectl scale: changing its bounds {}..={} → {}..={} instead",
                            a.name, a.min, a.max, to.0, to.1
                        ),
                    );
                    HorizontalChange::AutoscalerBounds {
                        autoscaler: a.name,
                        from: (a.min, a.max),
                        to,
                    }
                }
            }
            None if current == t.replicas => HorizontalChange::Unchanged { replicas: current },
            None => HorizontalChange::Replicas {
                from: current,
                to: t.replicas,
            },
        };
        out.push(HorizontalResult {
            deployment: d.clone(),
            change,
            outcome: ChangeOutcome::NothingToDo,
        });
    }
    Ok((out, violations))
}

/// Applies the decided changes; a failure is recorded on its target and the others go on.
pub(crate) async fn apply(ctx: &Context, scaler: &dyn Scaler, results: &mut [HorizontalResult]) {
    let intent = ctx.intent();
    for r in results.iter_mut() {
        let d = &r.deployment;
        let done = match &r.change {
            HorizontalChange::Unchanged { .. } => continue,
            HorizontalChange::Replicas { to, .. } => ctx
                .step("scale deployment", d.qualified())
                .action(format!("set replicas to {to}"))
                .command(commands::scale(d, *to))
                .act(
                    || scaler.scale(d, *to, intent),
                    |c| format!("{} → {}", c.from, c.to),
                )
                .await
                .map(|o| o.is_some()),
            HorizontalChange::AutoscalerBounds { autoscaler, to, .. } => {
                let bounds = AutoscalerBounds {
                    min: Some(to.0),
                    max: Some(to.1),
                };
                ctx.step("patch autoscaler", d.qualified())
                    .action(format!("set {autoscaler} bounds to {}..={}", to.0, to.1))
                    .command(commands::patch_hpa(
                        &d.namespace,
                        autoscaler.as_str(),
                        Some(to.0),
                        Some(to.1),
                    ))
                    .act(
                        || scaler.set_autoscaler_bounds(d, bounds, intent),
                        |c| format!("{}..={} → {}..={}", c.from.0, c.from.1, c.to.0, c.to.1),
                    )
                    .await
                    .map(|o| o.is_some())
            }
        };
        r.outcome = ChangeOutcome::from_act(done);
    }
}
