//! The caller's stop in `recover_database` (Ctrl-C, an MCP client's cancellation).
//!
//! - Stopped before anything was scaled down (during the verification, which the stop cuts
//!   short, or the survey): [`Error::Stopped`](crate::Error::Stopped), nothing changed.
//! - Stopped while scaling down or before the restore: the restore is not started, the
//!   services are scaled back (a compensation) and the status is
//!   [`RecoveryStatus::Stopped`] saying what is left.
//! - Stopped during the restore: the restore step is not interrupted; the services are
//!   brought back after it as always.
//! - The procedure's future dropped while the writers are down (a caller that does not wait
//!   for the safe stop): [`WritersDown`] journals, as it is dropped, which deployments may
//!   still be scaled down and the commands that bring them back.

use super::report::RecoveryStatus;
use super::standby::{Remembered, RestoreFailure};
use crate::backup::BackupId;
use crate::runbook::commands;
use crate::runbook::context::Context;
use crate::runbook::journal::StepOutcome;
use crate::runbook::standard_deploy::record;

/// The journal step that says what a stopped or interrupted recovery left.
pub const STOPPED_STEP: &str = "stopped";

/// The commands that bring `changed` back to what was remembered.
fn how_to_scale_back(changed: &[Remembered]) -> String {
    let commands: Vec<String> = changed
        .iter()
        .filter_map(|entry| match entry {
            Remembered::Replicas {
                deployment, from, ..
            } => Some(commands::scale(deployment, *from)),
            Remembered::Bounds {
                deployment,
                autoscaler,
                from: (min, max),
                ..
            } => Some(commands::patch_hpa(
                &deployment.namespace,
                autoscaler.as_str(),
                Some(*min),
                Some(*max),
            )),
            _ => None,
        })
        .collect();
    commands
        .iter()
        .map(|c| format!("`{c}`"))
        .collect::<Vec<_>>()
        .join("; ")
}

/// The status of a recovery the caller stopped before the restore, after the services were
/// scaled back (`failures`: those not back), with a journal step saying what is left.
pub(super) fn stopped_status(
    ctx: &Context,
    backup: &BackupId,
    why: String,
    changed: &[Remembered],
    failures: &[RestoreFailure],
) -> RecoveryStatus {
    let left = if failures.is_empty() {
        format!(
            "nothing was restored from {backup}; the services were scaled back to their \
             remembered counts"
        )
    } else {
        let still_down: Vec<Remembered> = changed
            .iter()
            .filter(|e| failures.iter().any(|f| &f.deployment == e.deployment()))
            .cloned()
            .collect();
        let names: Vec<String> = failures
            .iter()
            .map(|f| format!("{} ({})", f.deployment, f.why))
            .collect();
        format!(
            "nothing was restored from {backup}; not scaled back: {}; bring them back with {}",
            names.join(", "),
            how_to_scale_back(&still_down)
        )
    };
    let outcome = if failures.is_empty() {
        StepOutcome::Ok(format!("stopped by the caller: {left}"))
    } else {
        StepOutcome::Failed(format!("stopped by the caller: {left}"))
    };
    record(ctx, STOPPED_STEP, backup.as_str(), "", outcome);
    RecoveryStatus::Stopped { why, left }
}

/// Armed while the writers are (or may be) scaled down; journals what is left if the
/// procedure's future is dropped before [`WritersDown::disarm`].
pub(super) struct WritersDown<'a> {
    ctx: &'a Context,
    backup: BackupId,
    down: Vec<Remembered>,
}

impl<'a> WritersDown<'a> {
    /// Not armed yet.
    pub(super) fn new(ctx: &'a Context, backup: BackupId) -> Self {
        Self {
            ctx,
            backup,
            down: Vec::new(),
        }
    }

    /// The entries that are (or may be) scaled down now; empty disarms.
    pub(super) fn set(&mut self, down: &[Remembered]) {
        self.down = down.iter().filter(|e| e.changes()).cloned().collect();
    }

    /// Everything is back (or was never down).
    pub(super) fn disarm(&mut self) {
        self.down.clear();
    }
}

impl Drop for WritersDown<'_> {
    fn drop(&mut self) {
        if self.down.is_empty() || self.ctx.dry_run() {
            return;
        }
        let names: Vec<String> = self
            .down
            .iter()
            .map(|e| e.deployment().to_string())
            .collect();
        let backup = &self.backup;
        let left = format!(
            "interrupted with the writers still scaled down ({}); the restore of {backup} may \
             not have finished: run the recovery again (`ops restore {backup}`), or scale \
             them back with {}",
            names.join(", "),
            how_to_scale_back(&self.down)
        );
        tracing::warn!(backup = %backup, "{left}");
        record(
            self.ctx,
            STOPPED_STEP,
            backup.as_str(),
            "",
            StepOutcome::Failed(left),
        );
    }
}
