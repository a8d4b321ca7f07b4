//! The `Deployer` contract: what every deployer, mock or real, must do.

use std::time::Duration;

use super::{ContractViolation, ensure, step};
use crate::deploy::{Deployer, RolloutStatus, UndoOutcome};
use crate::error::Error;
use crate::types::{ContainerName, DeploymentRef, ImageRef, Intent, Revision};

const C: &str = "deployer";

/// What the deployer contract needs from the backend under test.
#[derive(Debug, Clone)]
pub struct DeployerFixture {
    /// An existing deployment with one container, fully rolled out; the suite changes it.
    pub deployment: DeploymentRef,
    /// Its container.
    pub container: ContainerName,
    /// An image the backend can roll out that differs from the current one.
    pub new_image: ImageRef,
    /// An image whose rollout fails (`ProgressDeadlineExceeded`), if the backend can
    /// simulate one.
    pub failing_image: Option<ImageRef>,
    /// A deployment name that does not exist.
    pub missing: DeploymentRef,
    /// How long a rollout may take.
    pub rollout_timeout: Duration,
}

fn intent(reason: &str) -> Result<Intent, ContractViolation> {
    step(C, "Intent::new", Intent::new(reason, "contract-suite"))
}

async fn current_image(
    d: &dyn Deployer,
    fx: &DeployerFixture,
) -> Result<ImageRef, ContractViolation> {
    let s = step(C, "deployment", d.deployment(&fx.deployment).await)?;
    s.images
        .get(&fx.container)
        .cloned()
        .ok_or_else(|| ContractViolation {
            contract: C,
            rule: format!(
                "summary of {} lacks container {}",
                fx.deployment, fx.container
            ),
        })
}

async fn max_revision(d: &dyn Deployer, fx: &DeployerFixture) -> Result<u64, ContractViolation> {
    let h = step(C, "history", d.history(&fx.deployment).await)?;
    Ok(h.iter().map(|r| r.revision.get()).max().unwrap_or(0))
}

/// The policy a restart of a paused deployment violates.
const PAUSED: &str = "paused-deployment";

/// A paused deployment is neither rolled back ([`UndoOutcome::Paused`]) nor restarted
/// ([`Error::PolicyViolation`] `paused-deployment`, naming it and saying to resume first, as
/// `kubectl rollout restart` refuses), dry run or not. Nothing changes: it stays paused and,
/// once resumed, completes at the revision it had.
async fn paused_rules(d: &dyn Deployer, fx: &DeployerFixture) -> Result<(), ContractViolation> {
    let before = max_revision(d, fx).await?;
    step(
        C,
        "pause",
        d.set_paused(&fx.deployment, true, &intent("contract pause")?)
            .await,
    )?;
    let paused = d
        .undo(&fx.deployment, None, &intent("contract paused")?)
        .await;
    let mut restarts = Vec::new();
    for dry_run in [true, false] {
        let i = intent("contract restart paused")?.with_dry_run(dry_run);
        restarts.push((dry_run, d.restart(&fx.deployment, &i).await));
    }
    let while_paused = d.deployment(&fx.deployment).await;
    // Resume before judging, so a violation does not leave the fixture paused.
    step(
        C,
        "resume",
        d.set_paused(&fx.deployment, false, &intent("contract resume")?)
            .await,
    )?;
    let paused = step(C, "undo while paused", paused)?;
    ensure(C, paused.outcome == UndoOutcome::Paused, || {
        format!("undo of a paused deployment is Paused, got {paused:?}")
    })?;
    let name = fx.deployment.to_string();
    for (dry_run, r) in &restarts {
        ensure(
            C,
            matches!(r, Err(Error::PolicyViolation { policy, reason })
                if *policy == PAUSED && reason.contains(&name) && reason.contains("resume")),
            || {
                format!(
                    "restart (dry run: {dry_run}) of a paused deployment is \
                     PolicyViolation({PAUSED}) naming it and saying to resume, got {r:?}"
                )
            },
        )?;
    }
    let while_paused = step(C, "deployment while paused", while_paused)?;
    ensure(C, while_paused.paused, || {
        "a refused restart leaves the deployment paused".into()
    })?;
    let done = step(
        C,
        "wait after resume",
        d.wait_for_rollout(&fx.deployment, fx.rollout_timeout).await,
    )?;
    ensure(
        C,
        matches!(done, RolloutStatus::Complete { revision } if revision.get() == before),
        || {
            format!(
                "a refused restart adds no revision: after resume revision {before} is complete, got {done:?}"
            )
        },
    )?;
    let after = max_revision(d, fx).await?;
    ensure(C, after == before, || {
        format!("a refused restart adds no revision ({before} before, {after} after)")
    })
}

/// Runs the deployer contract.
///
/// # Errors
/// The first rule the backend breaks.
pub async fn deployer_contract(
    d: &dyn Deployer,
    fx: &DeployerFixture,
) -> Result<(), ContractViolation> {
    // Reads.
    let summary = step(C, "deployment", d.deployment(&fx.deployment).await)?;
    ensure(C, summary.deployment == fx.deployment, || {
        "deployment() returns the deployment asked for".into()
    })?;
    let list = step(
        C,
        "deployments",
        d.deployments(&fx.deployment.namespace).await,
    )?;
    ensure(
        C,
        list.iter().any(|s| s.deployment == fx.deployment),
        || "deployments() lists the fixture deployment".into(),
    )?;
    let missing = d.deployment(&fx.missing).await;
    ensure(C, matches!(missing, Err(Error::NotFound { .. })), || {
        format!("an unknown deployment is NotFound, got {missing:?}")
    })?;
    let missing = d.rollout_status(&fx.missing).await;
    ensure(C, matches!(missing, Err(Error::NotFound { .. })), || {
        format!("rollout_status of an unknown deployment is NotFound, got {missing:?}")
    })?;
    let before_image = current_image(d, fx).await?;
    let before_max = max_revision(d, fx).await?;

    // Dry run: nothing changes.
    let planned = step(
        C,
        "dry-run set_image",
        d.set_image(
            &fx.deployment,
            &fx.container,
            &fx.new_image,
            &intent("contract dry run")?.with_dry_run(true),
        )
        .await,
    )?;
    ensure(
        C,
        planned.dry_run && planned.changed && planned.from == before_image,
        || format!("a dry-run set_image reports the planned change, got {planned:?}"),
    )?;
    ensure(C, current_image(d, fx).await? == before_image, || {
        "a dry-run set_image changes no image".into()
    })?;
    ensure(C, max_revision(d, fx).await? == before_max, || {
        "a dry-run set_image adds no revision".into()
    })?;

    // Set image → a new revision that completes.
    let change = step(
        C,
        "set_image",
        d.set_image(
            &fx.deployment,
            &fx.container,
            &fx.new_image,
            &intent("contract deploy")?,
        )
        .await,
    )?;
    ensure(C, change.changed && change.to == fx.new_image, || {
        format!("set_image reports the change, got {change:?}")
    })?;
    let done = step(
        C,
        "wait_for_rollout",
        d.wait_for_rollout(&fx.deployment, fx.rollout_timeout).await,
    )?;
    let RolloutStatus::Complete { revision: new_rev } = done else {
        return Err(ContractViolation {
            contract: C,
            rule: format!("a rollout of a good image completes, got {done:?}"),
        });
    };
    ensure(C, new_rev.get() > before_max, || {
        format!("the rolled-out revision {new_rev} is newer than {before_max}")
    })?;
    // The bake's watch: a completed rollout's pods are all ready; an unknown deployment is
    // NotFound (a bake must never read "no pods" as healthy).
    let pods = step(C, "pod_health", d.pod_health(&fx.deployment).await)?;
    ensure(C, pods.desired > 0 && pods.ready >= pods.desired, || {
        format!("pod_health after a completed rollout has every replica ready, got {pods:?}")
    })?;
    let missing = d.pod_health(&fx.missing).await;
    ensure(C, matches!(missing, Err(Error::NotFound { .. })), || {
        format!("pod_health of an unknown deployment is NotFound, got {missing:?}")
    })?;
    let history = step(C, "history", d.history(&fx.deployment).await)?;
    let newest = history.iter().max_by_key(|r| r.revision);
    ensure(
        C,
        newest.is_some_and(|r| {
            r.revision == new_rev
                && r.images.get(&fx.container) == Some(&fx.new_image)
                && r.change_cause
                    .as_deref()
                    .is_some_and(|c| c.contains("contract deploy"))
        }),
        || {
            format!(
                "history's newest revision has the new image and the change-cause, got {newest:?}"
            )
        },
    )?;
    let again = step(
        C,
        "set_image (same image)",
        d.set_image(
            &fx.deployment,
            &fx.container,
            &fx.new_image,
            &intent("contract again")?,
        )
        .await,
    )?;
    ensure(C, !again.changed, || {
        "setting the current image again changes nothing".into()
    })?;
    ensure(C, max_revision(d, fx).await? == new_rev.get(), || {
        "setting the current image again adds no revision".into()
    })?;

    // Undo (dry run, then for real) goes back to the previous template.
    let plan = step(
        C,
        "dry-run undo",
        d.undo(
            &fx.deployment,
            None,
            &intent("contract undo dry run")?.with_dry_run(true),
        )
        .await,
    )?;
    ensure(
        C,
        plan.dry_run && matches!(plan.outcome, UndoOutcome::RolledBack { .. }),
        || format!("a dry-run undo plans a rollback, got {plan:?}"),
    )?;
    ensure(C, current_image(d, fx).await? == fx.new_image, || {
        "a dry-run undo changes nothing".into()
    })?;
    let undo = step(
        C,
        "undo",
        d.undo(&fx.deployment, None, &intent("contract undo")?)
            .await,
    )?;
    let UndoOutcome::RolledBack { from, to } = undo.outcome else {
        return Err(ContractViolation {
            contract: C,
            rule: format!("undo after a deploy rolls back, got {undo:?}"),
        });
    };
    ensure(C, from == new_rev && to.get() < new_rev.get(), || {
        format!("undo goes from {new_rev} to an older revision, got {from} → {to}")
    })?;
    let done = step(
        C,
        "wait after undo",
        d.wait_for_rollout(&fx.deployment, fx.rollout_timeout).await,
    )?;
    ensure(
        C,
        matches!(done, RolloutStatus::Complete { revision } if revision.get() == new_rev.get() + 1),
        || {
            format!(
                "the restored template becomes revision {} (kubectl renumbers it), got {done:?}",
                new_rev.get() + 1
            )
        },
    )?;
    ensure(C, current_image(d, fx).await? == before_image, || {
        "undo restores the previous image".into()
    })?;
    let history = step(C, "history", d.history(&fx.deployment).await)?;
    ensure(C, !history.iter().any(|r| r.revision == to), || {
        format!("the restored revision {to} is renumbered, not kept twice")
    })?;

    // Undo to the current revision is skipped; to an unknown one is NotFound.
    let current = Revision::new(new_rev.get() + 1).map_err(|e| ContractViolation {
        contract: C,
        rule: e.to_string(),
    })?;
    let skip = step(
        C,
        "undo to current",
        d.undo(&fx.deployment, Some(current), &intent("contract skip")?)
            .await,
    )?;
    ensure(
        C,
        skip.outcome
            == UndoOutcome::Skipped {
                already_at: current,
            },
        || format!("undo to the current revision is Skipped, got {skip:?}"),
    )?;
    let far = Revision::new(999_999).map_err(|e| ContractViolation {
        contract: C,
        rule: e.to_string(),
    })?;
    let unknown = d
        .undo(&fx.deployment, Some(far), &intent("contract unknown")?)
        .await;
    ensure(C, matches!(unknown, Err(Error::NotFound { .. })), || {
        format!("undo to an unknown revision is NotFound, got {unknown:?}")
    })?;

    paused_rules(d, fx).await?;

    // Restart makes a rollout that completes.
    let restart = step(
        C,
        "restart",
        d.restart(&fx.deployment, &intent("contract restart")?)
            .await,
    )?;
    ensure(C, !restart.dry_run, || {
        "a restart is not reported as a dry run".into()
    })?;
    let done = step(
        C,
        "wait after restart",
        d.wait_for_rollout(&fx.deployment, fx.rollout_timeout).await,
    )?;
    ensure(C, matches!(done, RolloutStatus::Complete { .. }), || {
        format!("a restart completes, got {done:?}")
    })?;

    // A failing image fails the rollout; undo recovers.
    if let Some(bad) = &fx.failing_image {
        step(
            C,
            "set failing image",
            d.set_image(&fx.deployment, &fx.container, bad, &intent("contract bad")?)
                .await,
        )?;
        let failed = step(
            C,
            "wait for failing rollout",
            d.wait_for_rollout(&fx.deployment, fx.rollout_timeout).await,
        )?;
        ensure(
            C,
            matches!(&failed, RolloutStatus::Failed { reason } if reason.contains("ProgressDeadlineExceeded")),
            || {
                format!(
                    "a rollout of a failing image is Failed(ProgressDeadlineExceeded), got {failed:?}"
                )
            },
        )?;
        step(
            C,
            "undo failing",
            d.undo(&fx.deployment, None, &intent("contract recover")?)
                .await,
        )?;
        let done = step(
            C,
            "wait after recovery",
            d.wait_for_rollout(&fx.deployment, fx.rollout_timeout).await,
        )?;
        ensure(C, matches!(done, RolloutStatus::Complete { .. }), || {
            format!("undo after a failed rollout completes, got {done:?}")
        })?;
    }
    Ok(())
}
