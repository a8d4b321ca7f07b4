//! The maintenance log entry: how it ended and what each step did.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use super::tasks::IndexReport;
use super::window::WindowCheck;
use crate::backup::{BackupRecord, VerificationReport};
use crate::escalation::SilenceId;
use crate::health::HealthSummary;
use crate::maintenance::MaintenanceReport;
use crate::runbook::context::Plan;
use crate::runbook::recover_database::{Remembered, RestoreFailure};

/// How the maintenance ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
#[non_exhaustive]
pub enum MaintenanceStatus {
    /// Every step done.
    Completed,
    /// A dry run: see [`MaintenanceLog::plan`].
    Planned,
    /// Outside the window and not forced: nothing was done.
    Refused {
        /// Why.
        why: String,
    },
    /// A step failed; the steps after it were skipped, services were scaled back.
    Aborted {
        /// The step that failed.
        step: String,
        /// Why.
        why: String,
    },
}

/// The maintenance log entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MaintenanceLog {
    /// How it ended.
    pub status: MaintenanceStatus,
    /// The window as seen when it started.
    pub window: WindowCheck,
    /// The reason given for running outside the window.
    pub forced: Option<String>,
    /// When it started.
    pub started: Timestamp,
    /// When it finished.
    pub finished: Timestamp,
    /// Channels that took the start notice.
    pub notified: Vec<String>,
    /// Silences created (placeholders in a dry run).
    pub silences: Vec<SilenceId>,
    /// Non-essential deployments and what was done to them (the remembered counts).
    pub remembered: Vec<Remembered>,
    /// Deployments that could not be scaled back.
    pub scale_back_failures: Vec<RestoreFailure>,
    /// The pre-maintenance backup.
    pub backup: Option<BackupRecord>,
    /// Its verification.
    pub verification: Option<VerificationReport>,
    /// `ANALYZE` and `VACUUM` as done.
    pub tasks: Vec<MaintenanceReport>,
    /// The index usage report.
    pub index_report: Option<IndexReport>,
    /// Database health after the tasks.
    pub health: Option<HealthSummary>,
    /// Things that went wrong without stopping the maintenance.
    pub warnings: Vec<String>,
    /// In a dry run, the mutating steps it would take.
    pub plan: Option<Plan>,
}
