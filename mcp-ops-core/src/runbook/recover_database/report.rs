//! What a recovery reports: its status and every step's result.

use serde::{Deserialize, Serialize};

use super::standby::{Remembered, RestoreFailure};
use crate::backup::{BackupId, IntegrityResult, RestoreReport, TestRestore, VerificationReport};
use crate::health::HealthSummary;
use crate::runbook::context::{Context, Plan};

/// How a recovery ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
#[non_exhaustive]
pub enum RecoveryStatus {
    /// Restored, checks passed, services back and healthy.
    Recovered,
    /// A dry run: see [`RecoveryReport::plan`].
    Planned,
    /// Refused before anything changed (bad backup, autoscaled deployments).
    Refused {
        /// Why.
        why: String,
    },
    /// Stopping the services failed; they were brought back, nothing was restored.
    StopFailed {
        /// Why.
        why: String,
    },
    /// The restore failed; the services were brought back on the old data.
    RestoreFailed {
        /// Why.
        why: String,
    },
    /// Restored, but integrity checks failed (services were brought back: investigate now).
    IntegrityFailed {
        /// The failed checks.
        failed: Vec<String>,
    },
    /// Restored and checked, but the services are not all back or not healthy.
    NotHealthy {
        /// Why.
        why: String,
    },
    /// The caller stopped the recovery (Ctrl-C, an MCP client's cancellation) after the
    /// services were stopped and before the restore: nothing was restored and the services
    /// were scaled back.
    Stopped {
        /// The caller's reason.
        why: String,
        /// The state left, in words, with the commands that finish the job when a service
        /// could not be brought back.
        left: String,
    },
}

/// What a recovery did.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecoveryReport {
    /// How it ended.
    pub status: RecoveryStatus,
    /// The backup.
    pub backup: BackupId,
    /// The verification done before anything else.
    pub verification: Option<VerificationReport>,
    /// Every deployment of the namespace and what was done to it (the remembered counts).
    pub remembered: Vec<Remembered>,
    /// The restore, when it ran.
    pub restore: Option<RestoreReport>,
    /// The integrity checks' results.
    pub integrity: Vec<IntegrityResult>,
    /// Deployments that could not be brought back.
    pub scale_back_failures: Vec<RestoreFailure>,
    /// Health afterwards.
    pub health: Option<HealthSummary>,
    /// In a dry run, the mutating steps it would take.
    pub plan: Option<Plan>,
}

impl RecoveryReport {
    pub(crate) fn new(backup: BackupId) -> Self {
        Self {
            status: RecoveryStatus::Recovered,
            backup,
            verification: None,
            remembered: Vec::new(),
            restore: None,
            integrity: Vec::new(),
            scale_back_failures: Vec::new(),
            health: None,
            plan: None,
        }
    }
}

impl RecoveryStatus {
    /// One line for logs (`recovered`, `refused: …`).
    pub fn summary(&self) -> String {
        match self {
            RecoveryStatus::Recovered => "recovered".to_owned(),
            RecoveryStatus::Planned => "planned".to_owned(),
            RecoveryStatus::Refused { why } => format!("refused: {why}"),
            RecoveryStatus::StopFailed { why } => format!("stopping the services failed: {why}"),
            RecoveryStatus::RestoreFailed { why } => format!("restore failed: {why}"),
            RecoveryStatus::IntegrityFailed { failed } => {
                format!("integrity checks failed: {}", failed.join(", "))
            }
            RecoveryStatus::NotHealthy { why } => format!("not healthy: {why}"),
            RecoveryStatus::Stopped { why, left } => {
                format!("stopped by the caller ({why}): {left}")
            }
        }
    }
}

/// Journals every integrity check's result; returns the names of those that failed.
pub(crate) fn journal_integrity(ctx: &Context, checks: &[IntegrityResult]) -> Vec<String> {
    for c in checks {
        let what = match (c.value, &c.error) {
            (Some(v), _) => format!("{} = {v} (min {})", c.check.query, c.check.min),
            (None, Some(e)) => format!("{}: {e}", c.check.query),
            (None, None) => c.check.query.clone(),
        };
        ctx.note(
            "verify data integrity",
            c.check.name.as_str(),
            format!("{}: {what}", if c.passed { "passed" } else { "FAILED" }),
        );
    }
    checks
        .iter()
        .filter(|c| !c.passed)
        .map(|c| c.check.name.clone())
        .collect()
}

pub(crate) fn describe_verification(v: &VerificationReport) -> String {
    if v.passed() {
        return format!("checksum ok, test restore {}", test_restore_word(v));
    }
    if !v.checksum_ok {
        "checksum mismatch".to_owned()
    } else if v.readable == Some(false) {
        "unreadable".to_owned()
    } else {
        format!("test restore {}", test_restore_word(v))
    }
}

fn test_restore_word(v: &VerificationReport) -> String {
    match &v.test_restore {
        TestRestore::Passed { checks } => {
            format!("passed ({} checks)", checks.len())
        }
        TestRestore::Failed { reason } => format!("failed: {reason}"),
        TestRestore::Skipped => "skipped".to_owned(),
        TestRestore::NotSupported => "not supported".to_owned(),
    }
}
