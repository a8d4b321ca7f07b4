//! The `SecretRotator` contract.

use super::{ContractViolation, ensure, step};
use crate::error::Error;
use crate::secrets::{PendingRotation, SecretCheck, SecretKeyRef, SecretRotator};
use crate::types::{Intent, SecretSpec, SecretValue};

const C: &str = "secret-rotator";

/// What the secret-rotator contract needs from the backend under test.
#[derive(Debug, Clone)]
pub struct SecretRotatorFixture {
    /// An existing key; the suite rotates it and reverts.
    pub key: SecretKeyRef,
    /// A key that does not exist.
    pub missing: SecretKeyRef,
    /// How new values are generated (the backend must accept them).
    pub spec: SecretSpec,
}

fn intent(reason: &str) -> Result<Intent, ContractViolation> {
    step(C, "Intent::new", Intent::new(reason, "contract-suite"))
}

/// Runs the secret-rotator contract.
///
/// # Errors
/// The first rule the backend breaks.
pub async fn secret_rotator_contract(
    r: &dyn SecretRotator,
    fx: &SecretRotatorFixture,
) -> Result<(), ContractViolation> {
    let before = step(C, "current", r.current(&fx.key).await)?;
    ensure(C, before.fingerprint.len() == 12, || {
        format!(
            "a fingerprint is 12 hex characters, got {:?}",
            before.fingerprint
        )
    })?;
    let missing = r.current(&fx.missing).await;
    ensure(C, matches!(missing, Err(Error::NotFound { .. })), || {
        format!("an unknown key is NotFound, got {missing:?}")
    })?;
    let nothing = r.apply(&fx.key, &intent("contract apply nothing")?).await;
    ensure(C, matches!(nothing, Err(Error::Conflict { .. })), || {
        format!("apply with nothing staged is a Conflict, got {nothing:?}")
    })?;

    let value = step(C, "generate", SecretValue::generate(&fx.spec))?;
    let dry = step(
        C,
        "dry-run stage",
        r.stage(
            &fx.key,
            &value,
            &intent("contract dry run")?.with_dry_run(true),
        )
        .await,
    )?;
    ensure(C, dry.dry_run && dry.current == before, || {
        format!("a dry-run stage reports the plan, got {dry:?}")
    })?;
    let still = r
        .apply(&fx.key, &intent("contract apply after dry run")?)
        .await;
    ensure(C, matches!(still, Err(Error::Conflict { .. })), || {
        format!("a dry-run stage stages nothing, got {still:?}")
    })?;

    let staged = step(
        C,
        "stage",
        r.stage(&fx.key, &value, &intent("contract stage")?).await,
    )?;
    ensure(
        C,
        staged.staged.fingerprint == value.fingerprint() && staged.staged.version > before.version,
        || format!("stage reports the new version's fingerprint, got {staged:?}"),
    )?;
    ensure(
        C,
        step(C, "current", r.current(&fx.key).await)?.fingerprint == before.fingerprint,
        || "a staged value is not current yet".into(),
    )?;
    let pending = step(C, "pending", r.pending(&fx.key).await)?;
    ensure(
        C,
        matches!(&pending, None | Some(PendingRotation::Staged { .. })),
        || format!("a staged value is a pending Staged rotation, got {pending:?}"),
    )?;
    let tracks = pending.is_some();
    let twice = r
        .stage(&fx.key, &value, &intent("contract stage twice")?)
        .await;
    ensure(C, matches!(twice, Err(Error::Conflict { .. })), || {
        format!("staging while a value is staged is a Conflict, got {twice:?}")
    })?;
    let applied = step(
        C,
        "apply",
        r.apply(&fx.key, &intent("contract apply")?).await,
    )?;
    ensure(C, applied.fingerprint == value.fingerprint(), || {
        format!("apply makes the staged value current, got {applied:?}")
    })?;
    if tracks {
        let pending = step(C, "pending", r.pending(&fx.key).await)?;
        ensure(
            C,
            matches!(&pending, Some(PendingRotation::Applied { previous: Some(p), .. }) if p.fingerprint == before.fingerprint),
            || {
                format!(
                    "an applied, unfinished value is a pending Applied rotation keeping the previous one, got {pending:?}"
                )
            },
        )?;
        let other = step(C, "generate", SecretValue::generate(&fx.spec))?;
        let over = r
            .stage(&fx.key, &other, &intent("contract stage over unfinished")?)
            .await;
        ensure(C, matches!(over, Err(Error::Conflict { .. })), || {
            format!(
                "staging while the last rotation is unfinished is a Conflict (the previous value must survive), got {over:?}"
            )
        })?;
    }
    let check = step(C, "verify", r.verify(&fx.key).await)?;
    ensure(C, !matches!(check, SecretCheck::Rejected { .. }), || {
        format!("a freshly applied value is not rejected, got {check:?}")
    })?;
    let reverted = step(
        C,
        "revert",
        r.revert(&fx.key, &intent("contract revert")?).await,
    )?;
    ensure(C, reverted.fingerprint == before.fingerprint, || {
        format!("revert brings the previous value back, got {reverted:?}")
    })?;
    let now = step(C, "current", r.current(&fx.key).await)?;
    ensure(C, now.fingerprint == before.fingerprint, || {
        "after revert the previous value is current".into()
    })?;
    let after = step(C, "pending", r.pending(&fx.key).await)?;
    ensure(C, after.is_none(), || {
        format!("after revert no rotation is pending, got {after:?}")
    })?;

    // A finished rotation leaves nothing pending, and can still be reverted.
    let third = step(C, "generate", SecretValue::generate(&fx.spec))?;
    step(
        C,
        "stage",
        r.stage(&fx.key, &third, &intent("contract stage again")?)
            .await,
    )?;
    step(
        C,
        "apply",
        r.apply(&fx.key, &intent("contract apply again")?).await,
    )?;
    step(
        C,
        "finish",
        r.finish(&fx.key, &intent("contract finish")?).await,
    )?;
    let done = step(C, "pending", r.pending(&fx.key).await)?;
    ensure(C, done.is_none(), || {
        format!("a finished rotation is not pending, got {done:?}")
    })?;
    let back = step(
        C,
        "revert",
        r.revert(&fx.key, &intent("contract revert finished")?)
            .await,
    )?;
    ensure(C, back.fingerprint == before.fingerprint, || {
        format!("a finished rotation can still be reverted, got {back:?}")
    })?;

    // A staged, never applied value: revert drops it and keeps the current one.
    let fourth = step(C, "generate", SecretValue::generate(&fx.spec))?;
    step(
        C,
        "stage",
        r.stage(&fx.key, &fourth, &intent("contract stage to drop")?)
            .await,
    )?;
    let dropped = step(
        C,
        "revert",
        r.revert(&fx.key, &intent("contract drop staged")?).await,
    )?;
    ensure(C, dropped.fingerprint == before.fingerprint, || {
        format!("reverting a staged value keeps the current one, got {dropped:?}")
    })?;
    let clean = step(C, "pending", r.pending(&fx.key).await)?;
    ensure(C, clean.is_none(), || {
        format!("after dropping the staged value nothing is pending, got {clean:?}")
    })?;
    Ok(())
}
