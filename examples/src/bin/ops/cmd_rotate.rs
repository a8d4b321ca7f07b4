//! `ops rotate-secret` (Secret Rotation): start a rotation, or `--resume` / `--abort` an
//! interrupted one.

use mcp_ops_core::health::HealthTarget;
use mcp_ops_core::runbook::rotate_secret::{
    RotateSecretInput, RotationBackends, RotationMode, rotate_secret,
};
use mcp_ops_core::secrets::SecretKeyRef;
use mcp_ops_core::types::DeploymentRef;

use crate::backends::Backends;
use crate::cli::Global;
use crate::output::{Report, Status, table, to_value};
use crate::{Outcome, context};

/// `ops rotate-secret <secret> <key> [--restart <deployment>…] [--resume | --abort]`.
pub async fn rotate(
    secret: &str,
    key: &str,
    dependents: &[String],
    (resume, abort): (bool, bool),
    g: &Global,
    b: &Backends,
) -> Outcome {
    let mode = match (resume, abort) {
        (true, _) => RotationMode::Resume,
        (_, true) => RotationMode::Abort,
        _ => RotationMode::Start,
    };
    let mut input =
        RotateSecretInput::new(SecretKeyRef::new(&g.namespace, secret, key)?).with_mode(mode);
    if !dependents.is_empty() {
        let refs = dependents
            .iter()
            .map(|d| DeploymentRef::new(&g.namespace, d))
            .collect::<Result<Vec<_>, _>>()?;
        input = input.with_dependents(refs);
    }
    input.health = vec![HealthTarget::Http(b.health_probe.clone())];
    input.validate()?;
    let ctx = context("rotate_secret", "ops rotate-secret", g, b)?;
    let backends = RotationBackends {
        rotator: b.secrets.as_ref(),
        deployer: b.deployer.as_ref(),
        health: &b.health,
    };
    let outcome = rotate_secret(&ctx, backends, &input).await?;
    let done = match mode {
        RotationMode::Abort => outcome.reverted(),
        _ => outcome.succeeded(),
    };
    let status = if g.dry_run {
        Status::Planned
    } else if done {
        Status::Ok
    } else {
        Status::Failed
    };
    let s = &input.secret;
    let summary = match (status, mode) {
        (Status::Planned, RotationMode::Resume) => {
            format!("dry run: would resume the rotation of {s}")
        }
        (Status::Planned, RotationMode::Abort) => {
            format!("dry run: would abort the rotation of {s}")
        }
        (Status::Planned, _) => format!("dry run: would rotate {s}"),
        (Status::Ok, RotationMode::Abort) => {
            format!("rotation of {s} aborted: the previous value is current again")
        }
        (Status::Ok, RotationMode::Resume) => {
            format!("resumed rotation of {s}: new value verified")
        }
        (Status::Ok, _) => format!("rotated {s}: new value verified"),
        (Status::Failed, _) if outcome.reverted() => {
            format!("rotation of {s} failed and was reverted")
        }
        (Status::Failed, _) => format!("rotation of {s} failed"),
    };
    let rows = outcome
        .restarts
        .iter()
        .chain(&outcome.revert_restarts)
        .map(|r| {
            vec![
                r.deployment.to_string(),
                r.rollout
                    .as_ref()
                    .map_or_else(|| r.error.clone().unwrap_or_default(), ToString::to_string),
            ]
        });
    Ok(
        Report::new("rotate-secret", status, summary, to_value(&outcome))
            .table("Restarted", table(&["DEPLOYMENT", "ROLLOUT"], rows))
            .journal(ctx.journal().entries()),
    )
}
