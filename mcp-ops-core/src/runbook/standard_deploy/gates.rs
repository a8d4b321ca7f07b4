//! The runbook's "Pre-deployment Checklist" as typed gates.
//!
//! Three gates are checked by the caller's pipeline and reported as a [`GateResult`] (tests,
//! security scans, benchmarks); the backup gate is asked of the [`BackupManager`] (the newest
//! completed database backup must be younger than [`BackupGate::max_age`] and verify); the
//! rollback-plan gate needs a written plan. A gate nobody reported fails: an unverified
//! checklist never deploys unless forced.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::{human_duration, record};
use crate::backup::{BackupKind, BackupManager, BackupRecord, BackupStatus};
use crate::clock::elapsed_between;
use crate::runbook::{Context, StepOutcome};

/// One item of the pre-deployment checklist.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Gate {
    /// "All tests passing in CI/CD".
    TestsPassed,
    /// "Security scans clean".
    SecurityScansClean,
    /// "Performance benchmarks meeting SLAs".
    BenchmarksWithinSla,
    /// "Backup verification completed".
    BackupVerified,
    /// "Rollback plan prepared".
    RollbackPlanPresent,
}

impl Gate {
    /// The checklist's words.
    pub fn title(&self) -> &'static str {
        match self {
            Gate::TestsPassed => "all tests passing in CI/CD",
            Gate::SecurityScansClean => "security scans clean",
            Gate::BenchmarksWithinSla => "performance benchmarks meeting SLAs",
            Gate::BackupVerified => "backup verification completed",
            Gate::RollbackPlanPresent => "rollback plan prepared",
        }
    }
}

impl std::fmt::Display for Gate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.title())
    }
}

/// What the caller's pipeline reports for a gate it checks itself.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "result", rename_all = "snake_case")]
pub enum GateResult {
    /// Nobody reported this gate: it fails.
    #[default]
    NotReported,
    /// Checked and passed.
    Passed {
        /// Evidence (`CI run 4711 green`).
        evidence: String,
    },
    /// Checked and failed.
    Failed {
        /// Why (`2 high-severity CVEs`).
        reason: String,
    },
}

impl GateResult {
    /// A passed gate with its evidence.
    pub fn passed(evidence: impl Into<String>) -> Self {
        GateResult::Passed {
            evidence: evidence.into(),
        }
    }

    /// A failed gate with the reason.
    pub fn failed(reason: impl Into<String>) -> Self {
        GateResult::Failed {
            reason: reason.into(),
        }
    }
}

/// The checklist items the caller supplies.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checklist {
    /// "All tests passing in CI/CD".
    pub tests: GateResult,
    /// "Security scans clean".
    pub security_scans: GateResult,
    /// "Performance benchmarks meeting SLAs".
    pub benchmarks: GateResult,
    /// "Rollback plan prepared": the plan in words (empty or missing fails the gate).
    pub rollback_plan: Option<String>,
}

impl Checklist {
    /// Every caller-checked gate passed with `evidence`, and `rollback_plan` as the plan.
    pub fn all_passed(evidence: &str, rollback_plan: &str) -> Self {
        Self {
            tests: GateResult::passed(evidence),
            security_scans: GateResult::passed(evidence),
            benchmarks: GateResult::passed(evidence),
            rollback_plan: Some(rollback_plan.to_owned()),
        }
    }
}

/// How the backup gate is checked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BackupGate {
    /// The database whose backup must exist (`mcp_db`).
    pub database: String,
    /// The newest completed backup must be younger than this (24 h).
    pub max_age: Duration,
}

impl Default for BackupGate {
    /// `mcp_db`, 24 h.
    fn default() -> Self {
        Self {
            database: "mcp_db".to_owned(),
            max_age: Duration::from_secs(24 * 3600),
        }
    }
}

/// A gate's verdict with its evidence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GateVerdict {
    /// Which gate.
    pub gate: Gate,
    /// Whether it passed.
    pub passed: bool,
    /// Evidence when it passed, the reason when it failed.
    pub detail: String,
}

impl GateVerdict {
    fn new(gate: Gate, passed: bool, detail: impl Into<String>) -> Self {
        Self {
            gate,
            passed,
            detail: detail.into(),
        }
    }

    fn from_result(gate: Gate, result: &GateResult) -> Self {
        match result {
            GateResult::NotReported => Self::new(gate, false, "not reported"),
            GateResult::Passed { evidence } => Self::new(gate, true, evidence.clone()),
            GateResult::Failed { reason } => Self::new(gate, false, reason.clone()),
        }
    }
}

/// Checks every gate, journals each verdict and returns them in checklist order.
pub(super) async fn evaluate(
    ctx: &Context,
    backups: &dyn BackupManager,
    checklist: &Checklist,
    backup: &BackupGate,
    target: &str,
) -> Vec<GateVerdict> {
    let plan = match checklist.rollback_plan.as_deref().map(str::trim) {
        Some(p) if !p.is_empty() => GateVerdict::new(Gate::RollbackPlanPresent, true, p),
        _ => GateVerdict::new(Gate::RollbackPlanPresent, false, "no rollback plan given"),
    };
    let early = [
        GateVerdict::from_result(Gate::TestsPassed, &checklist.tests),
        GateVerdict::from_result(Gate::SecurityScansClean, &checklist.security_scans),
        GateVerdict::from_result(Gate::BenchmarksWithinSla, &checklist.benchmarks),
    ];
    let mut verdicts = Vec::with_capacity(5);
    for v in early {
        journal(ctx, &v, target);
        verdicts.push(v);
    }
    let b = backup_gate(ctx, backups, backup).await;
    journal(ctx, &b, &format!("database {}", backup.database));
    verdicts.push(b);
    journal(ctx, &plan, target);
    verdicts.push(plan);
    verdicts
}

fn journal(ctx: &Context, v: &GateVerdict, target: &str) {
    let outcome = if v.passed {
        StepOutcome::Ok(v.detail.clone())
    } else {
        StepOutcome::Failed(v.detail.clone())
    };
    record(ctx, &format!("gate: {}", v.gate), target, "", outcome);
}

fn finished_at(r: &BackupRecord) -> jiff::Timestamp {
    r.finished.unwrap_or(r.started)
}

/// The newest completed backup of the database must be young enough and verify.
async fn backup_gate(ctx: &Context, backups: &dyn BackupManager, gate: &BackupGate) -> GateVerdict {
    let fail = |why: String| GateVerdict::new(Gate::BackupVerified, false, why);
    let ns = crate::types::RUNBOOK_NAMESPACE;
    let list = ctx
        .step("list backups", format!("database {}", gate.database))
        .command(format!("kubectl get jobs -n {ns} | grep backup"))
        .read(|| backups.list(), |l| format!("{} backups", l.len()))
        .await;
    let list = match list {
        Ok(l) => l,
        Err(e) => return fail(format!("could not list backups: {e}")),
    };
    let newest = list
        .into_iter()
        .filter(
            |r| matches!(&r.kind, BackupKind::Database { database } if *database == gate.database),
        )
        .filter(|r| r.status == BackupStatus::Succeeded)
        .max_by_key(finished_at);
    let Some(newest) = newest else {
        return fail(format!("no completed backup of {}", gate.database));
    };
    let age = elapsed_between(finished_at(&newest), ctx.now());
    if age > gate.max_age {
        return fail(format!(
            "newest backup {} is {} old (limit {})",
            newest.id,
            human_duration(age),
            human_duration(gate.max_age)
        ));
    }
    let report = ctx
        .step("verify backup", format!("backup {}", newest.id))
        .command(format!("sha256sum {}", newest.location))
        .read(
            || backups.verify(&newest.id, None),
            |r| {
                if r.passed() {
                    "verified".to_owned()
                } else {
                    "verification failed".to_owned()
                }
            },
        )
        .await;
    match report {
        Ok(r) if r.passed() => GateVerdict::new(
            Gate::BackupVerified,
            true,
            format!(
                "backup {} ({} old) verified",
                newest.id,
                human_duration(age)
            ),
        ),
        Ok(r) => {
            let why = if !r.checksum_ok {
                "checksum mismatch"
            } else if r.readable == Some(false) {
                "unreadable"
            } else {
                "test restore failed"
            };
            fail(format!("backup {} failed verification ({why})", newest.id))
        }
        Err(e) => fail(format!("could not verify backup {}: {e}", newest.id)),
    }
}
