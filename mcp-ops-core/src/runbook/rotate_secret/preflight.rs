//! Checks before the first write of `rotate_secret`: the secret and key exist, the rotation
//! state fits the mode (nothing unfinished to start, something to resume or abort), every
//! dependent exists and, when the backend can tell, reads the secret.

use super::{RotateSecretInput, RotationBackends, RotationMode};
use crate::error::{Error, Result};
use crate::runbook::commands;
use crate::runbook::context::Context;
use crate::secrets::{PendingRotation, SecretVersion};
use crate::types::DeploymentRef;

/// What the checks found.
pub(super) struct Checked {
    /// The current version.
    pub current: SecretVersion,
    /// The unfinished rotation, if any.
    pub pending: Option<PendingRotation>,
}

/// The command that resumes or aborts the rotation of `input`'s key.
pub(super) fn advice(input: &RotateSecretInput) -> String {
    let s = &input.secret;
    let restart: String = input
        .dependents
        .listed()
        .iter()
        .map(|d| format!(" --restart {}", d.name))
        .collect();
    format!(
        "run `ops -n {ns} rotate-secret {name} {key}{restart} --resume` to restart the dependents and verify the new value, or `… --abort` to put the previous value back",
        ns = s.namespace(),
        name = s.name(),
        key = s.key(),
    )
}

/// Reads the current version and the rotation state, and refuses a mode that does not fit.
pub(super) async fn check_state(
    ctx: &Context,
    b: RotationBackends<'_>,
    input: &RotateSecretInput,
) -> Result<Checked> {
    let target = &input.secret;
    let label = target.to_string();
    let current = ctx
        .step("read current version", &label)
        .command(format!(
            "kubectl get secret {} -n {} -o jsonpath='{{.metadata.annotations.mcp-ops\\.io/rotation}}'  # versions of {}, never the value",
            target.name(),
            target.namespace(),
            target.key()
        ))
        .read(
            || b.rotator.current(target),
            |v| format!("version {} (fingerprint {})", v.version, v.fingerprint),
        )
        .await?;
    let pending = ctx
        .step("read rotation state", &label)
        .command(format!(
            "kubectl get secret {}-staged {}-previous -n {} --ignore-not-found  # names only",
            target.name(),
            target.name(),
            target.namespace()
        ))
        .read(
            || b.rotator.pending(target),
            |p| match p {
                None => "no unfinished rotation".to_owned(),
                Some(p) => format!("unfinished rotation: {}", p.phase()),
            },
        )
        .await?;
    match (&input.mode, &pending) {
        (RotationMode::Start, Some(p)) => Err(Error::conflict(
            label,
            format!(
                "a rotation is unfinished (new value {}): {}",
                p.phase(),
                advice(input)
            ),
        )),
        (RotationMode::Resume | RotationMode::Abort, None) => Err(Error::invalid(
            "rotation",
            format!(
                "no unfinished rotation of {label} to {}",
                if input.mode == RotationMode::Resume {
                    "resume"
                } else {
                    "abort"
                }
            ),
        )),
        _ => Ok(Checked { current, pending }),
    }
}

/// Every listed dependent exists and, when the rotator can tell, reads the secret.
pub(super) async fn check_dependents(
    ctx: &Context,
    b: RotationBackends<'_>,
    input: &RotateSecretInput,
    dependents: &[DeploymentRef],
) -> Result<()> {
    let target = &input.secret;
    for d in dependents {
        ctx.step("check dependent", d.qualified())
            .command(commands::get(
                &format!("deployment {}", d.name),
                &d.namespace,
            ))
            .read(|| b.deployer.deployment(d), |_| "exists".to_owned())
            .await?;
    }
    let readers = ctx
        .step("find readers of the secret", target.to_string())
        .command(commands::get("deployments", target.namespace()))
        .read(
            || b.rotator.readers(target),
            |r| match r {
                None => "the backend cannot tell which deployments read it".to_owned(),
                Some(r) => format!("{} deployments read it", r.len()),
            },
        )
        .await?;
    if let Some(readers) = readers {
        let strangers: Vec<String> = dependents
            .iter()
            .filter(|d| !readers.contains(d))
            .map(|d| d.name.to_string())
            .collect();
        if !strangers.is_empty() {
            let known: Vec<&str> = readers.iter().map(|r| r.name.as_str()).collect();
            return Err(Error::invalid(
                "--restart",
                format!(
                    "{} {} not read secret {} (deployments that do: {})",
                    strangers.join(", "),
                    if strangers.len() == 1 { "does" } else { "do" },
                    target.name(),
                    if known.is_empty() {
                        "none".to_owned()
                    } else {
                        known.join(", ")
                    }
                ),
            ));
        }
    }
    Ok(())
}
