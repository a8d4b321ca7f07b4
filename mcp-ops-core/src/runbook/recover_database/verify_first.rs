//! Step 1 of `recover_database`: verify the backup before anything else, cut short by a
//! caller's stop (nothing has changed yet).

use std::time::Duration;

use super::RecoveryBackends;
use super::RecoveryInput;
use super::report::describe_verification;
use crate::backup::VerificationReport;
use crate::error::{Error, Result};
use crate::runbook::context::{Context, StepPolicy};

/// Verifies `input.backup` with the caller's integrity checks (a test restore where the
/// backend supports it). A stop drops the backend's verification (which cleans up its scratch
/// database) and is [`Error::Stopped`].
///
/// # Errors
/// The backend's error; [`Error::Stopped`].
pub(super) async fn verify_first(
    ctx: &Context,
    backends: RecoveryBackends<'_>,
    input: &RecoveryInput,
) -> Result<VerificationReport> {
    ctx.step("verify backup", input.backup.as_str())
        .command(format!(
            "pg_restore --list /backups/{}.sql && sha256sum -c /backups/{}.sql.sha256",
            input.backup, input.backup
        ))
        .policy(data_step(input.restore_timeout))
        .read(
            // A stop cuts the verification short (dropping it: the backend cleans up its
            // scratch database); nothing has changed yet.
            || async {
                tokio::select! {
                    verified = backends
                        .backups
                        .verify(&input.backup, Some(input.integrity_checks.clone())) => verified,
                    () = ctx.stop_signal().stopped() => Err(Error::stopped(
                        ctx.stop_signal().reason().unwrap_or_default(),
                        "verify backup",
                    )),
                }
            },
            describe_verification,
        )
        .await
}

/// One attempt, bounded only by the caller's deadline (a step without one never times out:
/// `tokio::time::timeout` treats an unrepresentable deadline as never).
pub(super) fn data_step(deadline: Option<Duration>) -> StepPolicy {
    StepPolicy::once(deadline.unwrap_or(Duration::MAX))
}
