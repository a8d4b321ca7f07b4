//! Taking deployments down and bringing them back to exactly what they were.
//!
//! Shared by [`super::recover_database`] ("Stop application services" … "Restart services")
//! and [`crate::runbook::maintenance_window`] ("Scale down non-essential services" … "Scale
//! services back up"). Every change is remembered as a [`Remembered`] entry before it is
//! made, so the way back is known even when a later step fails.
//!
//! Deployments owned by an autoscaler cannot be scaled directly (the autoscaler would undo
//! it, and [`Scaler::scale`] refuses); how they are handled is an [`AutoscaledHandling`].

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::runbook::commands;
use crate::runbook::context::{Context, StepPolicy};
use crate::scale::{AutoscalerBounds, Scaler};
use crate::types::{DeploymentRef, Replicas, ResourceName};

/// What to do with a deployment an autoscaler owns when the procedure wants it down.
///
/// A HorizontalPodAutoscaler cannot hold a deployment at 0 replicas (`minReplicas: 0` needs
/// the `HPAScaleToZero` feature gate), and scaling the deployment behind the autoscaler's
/// back is refused by [`Scaler::scale`]. So the lowest an autoscaled deployment can go
/// through the SDK is one replica, by pinning the autoscaler's bounds to `1..=1`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum AutoscaledHandling {
    /// Refuse before anything is changed, naming the autoscalers.
    Refuse,
    /// Pin the autoscaler's bounds to the target (at least 1) and put them back afterwards;
    /// one replica keeps running.
    PinToMinimum,
    /// Leave the deployment and its autoscaler as they are (reported).
    Leave,
}

/// One deployment's change on the way down, and so the way back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Remembered {
    /// Replicas set from `from` to `to`; `from` is restored.
    Replicas {
        /// The deployment.
        deployment: DeploymentRef,
        /// Replicas before (restored afterwards).
        from: Replicas,
        /// Replicas while down.
        to: Replicas,
    },
    /// The autoscaler's bounds pinned from `from` to `to`; `from` is restored.
    Bounds {
        /// The deployment.
        deployment: DeploymentRef,
        /// The autoscaler owning it.
        autoscaler: ResourceName,
        /// `(min, max)` before (restored afterwards).
        from: (Replicas, Replicas),
        /// `(min, max)` while down.
        to: (Replicas, Replicas),
    },
    /// Not changed.
    Untouched {
        /// The deployment.
        deployment: DeploymentRef,
        /// Its replicas.
        replicas: Replicas,
        /// Why it was left alone.
        why: String,
    },
}

impl Remembered {
    /// The deployment.
    pub fn deployment(&self) -> &DeploymentRef {
        match self {
            Remembered::Replicas { deployment, .. }
            | Remembered::Bounds { deployment, .. }
            | Remembered::Untouched { deployment, .. } => deployment,
        }
    }

    /// Whether bringing it back needs a change.
    pub fn changes(&self) -> bool {
        !matches!(self, Remembered::Untouched { .. })
    }
}

/// A step on the way back that failed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RestoreFailure {
    /// The deployment that is not back.
    pub deployment: DeploymentRef,
    /// Why.
    pub why: String,
}

/// Reads replicas and autoscaler of every deployment and decides how each goes down to
/// `to`; changes nothing.
///
/// # Errors
/// [`Error::PolicyViolation`] naming every autoscaled deployment when `handling` is
/// [`AutoscaledHandling::Refuse`] (after reading all of them); read errors.
pub(crate) async fn survey(
    ctx: &Context,
    scaler: &dyn Scaler,
    deployments: &[DeploymentRef],
    to: Replicas,
    handling: AutoscaledHandling,
) -> Result<Vec<Remembered>> {
    let mut out = Vec::with_capacity(deployments.len());
    let mut refused = Vec::new();
    for d in deployments {
        let replicas = ctx
            .step("remember replica count", d.qualified())
            .command(commands::get_replicas(d))
            .read(|| scaler.replicas(d), |r| format!("{r} replicas"))
            .await?;
        let hpa = ctx
            .step("check autoscaler", d.qualified())
            .command(commands::get_hpa(&d.namespace))
            .read(
                || scaler.autoscaler(d),
                |a| match a {
                    Some(a) => format!("owned by {} ({}..={})", a.name, a.min, a.max),
                    None => "no autoscaler".to_owned(),
                },
            )
            .await?;
        let entry = match hpa {
            None if replicas <= to => Remembered::Untouched {
                deployment: d.clone(),
                replicas,
                why: format!("already at {replicas} replicas"),
            },
            None => Remembered::Replicas {
                deployment: d.clone(),
                from: replicas,
                to,
            },
            Some(a) => match handling {
                AutoscaledHandling::Refuse => {
                    refused.push(format!("{} (autoscaler {})", d.qualified(), a.name));
                    continue;
                }
                AutoscaledHandling::Leave => Remembered::Untouched {
                    deployment: d.clone(),
                    replicas,
                    why: format!("owned by autoscaler {}; left running as asked", a.name),
                },
                AutoscaledHandling::PinToMinimum => {
                    let pin = Replicas::new(to.get().max(1))?;
                    if (a.min, a.max) == (pin, pin) {
                        Remembered::Untouched {
                            deployment: d.clone(),
                            replicas,
                            why: format!("autoscaler {} already pinned to {pin}", a.name),
                        }
                    } else {
                        ctx.note(
                            "autoscaler decision",
                            d.qualified(),
                            format!(
                                "autoscaler {} owns it and cannot hold 0 replicas: pinning its bounds to {pin}..={pin} (was {}..={}), one replica keeps running",
                                a.name, a.min, a.max
                            ),
                        );
                        Remembered::Bounds {
                            deployment: d.clone(),
                            autoscaler: a.name,
                            from: (a.min, a.max),
                            to: (pin, pin),
                        }
                    }
                }
            },
        };
        out.push(entry);
    }
    if !refused.is_empty() {
        return Err(Error::policy(
            "autoscaler-owned",
            format!(
                "{} owned by an autoscaler that cannot hold 0 replicas; remove the autoscaler first or choose AutoscaledHandling::PinToMinimum or ::Leave",
                refused.join(", ")
            ),
        ));
    }
    Ok(out)
}

/// Applies one direction of an entry: down (`back == false`) or back up. The way back is a
/// [`compensation`](crate::runbook::Step::compensation): it runs after the caller stopped
/// the procedure, which refuses a new way down.
async fn apply(ctx: &Context, scaler: &dyn Scaler, entry: &Remembered, back: bool) -> Result<()> {
    let intent = ctx.intent();
    let step = if back { "scale back" } else { "scale down" };
    let step_of = |deployment: &DeploymentRef| {
        let s = ctx.step(step, deployment.qualified());
        if back { s.compensation() } else { s }
    };
    match entry {
        Remembered::Untouched { .. } => Ok(()),
        Remembered::Replicas {
            deployment,
            from,
            to,
        } => {
            let target = if back { *from } else { *to };
            step_of(deployment)
                .action(format!("set replicas to {target}"))
                .command(commands::scale(deployment, target))
                .policy(StepPolicy::default())
                .act(
                    || scaler.scale(deployment, target, intent),
                    |c| format!("{} → {}", c.from, c.to),
                )
                .await
                .map(|_| ())
        }
        Remembered::Bounds {
            deployment,
            autoscaler,
            from,
            to,
        } => {
            let (min, max) = if back { *from } else { *to };
            let bounds = AutoscalerBounds {
                min: Some(min),
                max: Some(max),
            };
            step_of(deployment)
                .action(format!(
                    "set autoscaler {autoscaler} bounds to {min}..={max}"
                ))
                .command(commands::patch_hpa(
                    &deployment.namespace,
                    autoscaler.as_str(),
                    Some(min),
                    Some(max),
                ))
                .policy(StepPolicy::default())
                .act(
                    || scaler.set_autoscaler_bounds(deployment, bounds, intent),
                    |c| format!("{}..={} → {}..={}", c.from.0, c.from.1, c.to.0, c.to.1),
                )
                .await
                .map(|_| ())
        }
    }
}

/// Takes every entry down in order. Returns the entries that were changed (or planned, in
/// a dry run) — exactly those [`scale_back`] must undo — and the error that stopped it.
pub(crate) async fn scale_down(
    ctx: &Context,
    scaler: &dyn Scaler,
    entries: &[Remembered],
) -> (Vec<Remembered>, Option<Error>) {
    let mut done = Vec::new();
    for entry in entries.iter().filter(|e| e.changes()) {
        match apply(ctx, scaler, entry, false).await {
            Ok(()) => done.push(entry.clone()),
            Err(e) => {
                // The call may have landed before it failed (a timeout): bring it back too.
                done.push(entry.clone());
                return (done, Some(e));
            }
        }
    }
    (done, None)
}

/// Brings every changed entry back to what was remembered, last first; keeps going past
/// failures and returns them.
pub(crate) async fn scale_back(
    ctx: &Context,
    scaler: &dyn Scaler,
    changed: &[Remembered],
) -> Vec<RestoreFailure> {
    let mut failures = Vec::new();
    for entry in changed.iter().rev() {
        if let Err(e) = apply(ctx, scaler, entry, true).await {
            failures.push(RestoreFailure {
                deployment: entry.deployment().clone(),
                why: e.to_string(),
            });
        }
    }
    failures
}

/// After [`scale_back`], waits until every autoscaler whose bounds were put back has brought
/// its deployment to at least the restored minimum: the autoscaler acts on its own schedule,
/// so a rollout wait right after the bounds change would see the pinned replica count and
/// report done while the deployment is still growing. Bounded by `timeout` per deployment;
/// one failure per deployment that did not get there.
pub(crate) async fn wait_for_autoscalers(
    ctx: &Context,
    scaler: &dyn Scaler,
    changed: &[Remembered],
    timeout: std::time::Duration,
) -> Vec<RestoreFailure> {
    let mut failures = Vec::new();
    for entry in changed {
        let Remembered::Bounds {
            deployment,
            autoscaler,
            from: (min, _),
            ..
        } = entry
        else {
            continue;
        };
        let reached = ctx
            .step("wait for autoscaler", deployment.qualified())
            .action(format!(
                "wait until {autoscaler} runs at least {min} replicas"
            ))
            .command(format!(
                "kubectl get hpa {autoscaler} -n {} --watch",
                deployment.namespace
            ))
            .timeout(timeout.saturating_add(std::time::Duration::from_secs(5)))
            .read(
                || async {
                    let deadline = ctx
                        .now()
                        .as_second()
                        .saturating_add(i64::try_from(timeout.as_secs()).unwrap_or(i64::MAX));
                    loop {
                        let now = scaler.replicas(deployment).await?;
                        if now >= *min || ctx.now().as_second() >= deadline {
                            return Ok(now);
                        }
                        // The clock, not `ctx.sleep`: this wait is part of bringing the
                        // services back, which a stop does not cut short.
                        ctx.clock()
                            .sleep(std::time::Duration::from_millis(500))
                            .await;
                    }
                },
                |now| format!("{now} replicas"),
            )
            .await;
        let why = match reached {
            Ok(now) if now >= *min => continue,
            Ok(now) => format!(
                "{autoscaler} left it at {now} replicas, below its minimum {min}, after {}s",
                timeout.as_secs()
            ),
            Err(e) => e.to_string(),
        };
        failures.push(RestoreFailure {
            deployment: deployment.clone(),
            why,
        });
    }
    failures
}
