//! The runbook's procedures as functions.
//!
//! Each procedure takes the capability traits it needs (`&dyn Deployer`, `&dyn Scaler` …),
//! an input struct whose defaults are the runbook's numbers, and a [`Context`] (intent, clock,
//! thresholds, journal). It returns a typed outcome and leaves a journal entry for every step
//! with the command the runbook would have typed. With a dry-run intent it makes no mutating
//! call and returns its plan.
//!
//! | procedure | runbook section |
//! |---|---|
//! | [`triage::triage`] | Critical System Down (P0) |
//! | [`investigate_error_rate::investigate_error_rate`] | High Error Rate (P1) |
//! | [`investigate_latency::investigate_latency`] | High Response Times (P2) |
//! | [`standard_deploy::standard_deploy`] | Standard Deployment |
//! | [`emergency_rollback::emergency_rollback`] | Emergency Rollback |
//! | [`scale_out::scale_out`] | Scaling Procedures |
//! | [`maintenance_window::maintenance_window`] | Database Maintenance |
//! | [`recover_database::recover_database`] | Recovery Procedures |
//! | [`rotate_secret::rotate_secret`] | Secret Rotation |
//! | [`run_incident::run_incident`] | Alert Escalation, Incident Communication |

pub mod commands;
pub mod context;
pub mod emergency_rollback;
pub mod investigate_error_rate;
pub mod investigate_latency;
pub mod journal;
pub mod maintenance_window;
pub mod recover_database;
pub mod rotate_secret;
pub mod run_incident;
pub mod scale_out;
pub mod smoke;
pub mod standard_deploy;
pub mod stop;
pub mod triage;

pub use context::{Context, Plan, PlannedStep, Step, StepPolicy};
pub use journal::{Journal, JournalEntry, StepOutcome};
pub use stop::StopSignal;

/// The runbook's health endpoint (`curl -f https://api.mcp-production.com/health`): the
/// default HTTP probe of the procedures, and the endpoint the seeded mock cluster serves.
/// The one definition; the procedures' modules and `mock` re-export it.
pub const RUNBOOK_HEALTH_URL: &str = "https://api.mcp-production.com/health";
