//! The `Scaler` contract.

use super::{ContractViolation, ensure, step};
use crate::error::Error;
use crate::scale::{AutoscalerBounds, Scaler};
use crate::types::{ContainerName, DeploymentRef, Intent, Replicas, ResourceRequirements};

const C: &str = "scaler";

/// What the scaler contract needs from the backend under test.
#[derive(Debug, Clone)]
pub struct ScalerFixture {
    /// A deployment no autoscaler owns; the suite scales it and puts it back.
    pub free: DeploymentRef,
    /// A deployment an autoscaler owns, if the backend has one.
    pub autoscaled: Option<DeploymentRef>,
    /// A container of `free`.
    pub container: ContainerName,
    /// Valid resources to set on that container.
    pub resources: ResourceRequirements,
    /// A deployment that does not exist.
    pub missing: DeploymentRef,
}

fn intent(reason: &str) -> Result<Intent, ContractViolation> {
    step(C, "Intent::new", Intent::new(reason, "contract-suite"))
}

fn replicas(n: u32) -> Result<Replicas, ContractViolation> {
    Replicas::new(n).map_err(|e| ContractViolation {
        contract: C,
        rule: e.to_string(),
    })
}

/// Runs the scaler contract.
///
/// # Errors
/// The first rule the backend breaks.
pub async fn scaler_contract(s: &dyn Scaler, fx: &ScalerFixture) -> Result<(), ContractViolation> {
    let before = step(C, "replicas", s.replicas(&fx.free).await)?;
    let missing = s.replicas(&fx.missing).await;
    ensure(C, matches!(missing, Err(Error::NotFound { .. })), || {
        format!("replicas of an unknown deployment is NotFound, got {missing:?}")
    })?;
    let target = replicas(before.get() + 1)?;

    let plan = step(
        C,
        "dry-run scale",
        s.scale(
            &fx.free,
            target,
            &intent("contract dry run")?.with_dry_run(true),
        )
        .await,
    )?;
    ensure(
        C,
        plan.dry_run && plan.from == before && plan.to == target,
        || format!("a dry-run scale reports the plan, got {plan:?}"),
    )?;
    ensure(
        C,
        step(C, "replicas", s.replicas(&fx.free).await)? == before,
        || "a dry-run scale changes nothing".into(),
    )?;
    let change = step(
        C,
        "scale",
        s.scale(&fx.free, target, &intent("contract scale")?).await,
    )?;
    ensure(
        C,
        change.from == before && change.to == target && !change.dry_run,
        || format!("scale reports from/to, got {change:?}"),
    )?;
    ensure(
        C,
        step(C, "replicas", s.replicas(&fx.free).await)? == target,
        || "scale changes the replicas".into(),
    )?;
    step(
        C,
        "scale back",
        s.scale(&fx.free, before, &intent("contract scale back")?)
            .await,
    )?;
    let none = step(C, "autoscaler of free", s.autoscaler(&fx.free).await)?;
    ensure(C, none.is_none(), || {
        "the free deployment has no autoscaler".into()
    })?;

    if let Some(owned) = &fx.autoscaled {
        let hpa =
            step(C, "autoscaler", s.autoscaler(owned).await)?.ok_or_else(|| ContractViolation {
                contract: C,
                rule: format!("autoscaler() finds the autoscaler of {owned}"),
            })?;
        ensure(C, hpa.min <= hpa.max && &hpa.target == owned, || {
            format!("autoscaler bounds are ordered and target the deployment, got {hpa:?}")
        })?;
        let refused = s
            .scale(
                owned,
                replicas(hpa.max.get())?,
                &intent("contract refused")?,
            )
            .await;
        ensure(
            C,
            matches!(&refused, Err(Error::PolicyViolation { reason, .. }) if reason.contains(hpa.name.as_str())),
            || {
                format!(
                    "scaling an autoscaled deployment is a PolicyViolation naming the autoscaler, got {refused:?}"
                )
            },
        )?;
        let bad = s
            .set_autoscaler_bounds(
                owned,
                AutoscalerBounds {
                    min: Some(replicas(hpa.max.get() + 1)?),
                    max: Some(hpa.max),
                },
                &intent("contract bad bounds")?,
            )
            .await;
        ensure(C, matches!(bad, Err(Error::InvalidInput { .. })), || {
            format!("min > max is InvalidInput, got {bad:?}")
        })?;
        let raised = replicas(hpa.max.get() + 2)?;
        let change = step(
            C,
            "set_autoscaler_bounds",
            s.set_autoscaler_bounds(
                owned,
                AutoscalerBounds {
                    min: None,
                    max: Some(raised),
                },
                &intent("contract raise max")?,
            )
            .await,
        )?;
        ensure(
            C,
            change.from == (hpa.min, hpa.max) && change.to == (hpa.min, raised),
            || format!("bounds change reports from/to, got {change:?}"),
        )?;
        let after = step(C, "autoscaler", s.autoscaler(owned).await)?;
        ensure(C, after.as_ref().is_some_and(|a| a.max == raised), || {
            format!("the new max is in effect, got {after:?}")
        })?;
        step(
            C,
            "restore bounds",
            s.set_autoscaler_bounds(
                owned,
                AutoscalerBounds {
                    min: Some(hpa.min),
                    max: Some(hpa.max),
                },
                &intent("contract restore")?,
            )
            .await,
        )?;
    }

    let res_before = step(C, "resources", s.resources(&fx.free, &fx.container).await)?;
    let change = step(
        C,
        "set_resources",
        s.set_resources(
            &fx.free,
            &fx.container,
            &fx.resources,
            &intent("contract resources")?,
        )
        .await,
    )?;
    ensure(
        C,
        change.from == res_before && change.to == fx.resources,
        || format!("set_resources reports from/to, got {change:?}"),
    )?;
    let res_after = step(C, "resources", s.resources(&fx.free, &fx.container).await)?;
    ensure(C, res_after == fx.resources, || {
        "set_resources takes effect".into()
    })?;
    step(C, "recommendations", s.recommendations(&fx.free).await)?;
    let nodes = step(C, "node_capacity", s.node_capacity().await)?;
    ensure(
        C,
        nodes
            .iter()
            .all(|n| n.allocatable.cpu.is_some() && n.allocatable.memory.is_some()),
        || "every node reports allocatable cpu and memory".into(),
    )?;
    step(C, "pod_usage", s.pod_usage(&fx.free.namespace).await)?;
    Ok(())
}
