//! Contract suites (feature `testing`): one async function per capability trait that every
//! backend, mock or real, must pass. A backend's tests call the suite with a fixture that
//! names objects existing in that backend.
//!
//! Each suite returns `Ok(())` or the first violated rule as [`ContractViolation`], so it can
//! be used from any test framework.

mod audit_log;
mod backup;
mod change_store;
mod deploy;
mod escalation;
mod escalation_concurrency;
mod health;
mod maintenance;
mod scale;
mod secrets;

pub use crate::change::sample::{sample_deploy_draft, sample_manager_approval};
pub use audit_log::*;
pub use backup::*;
pub use change_store::*;
pub use deploy::*;
pub use escalation::*;
pub use escalation_concurrency::*;
pub use health::*;
pub use maintenance::*;
pub use scale::*;
pub use secrets::*;

/// A rule of a contract that a backend broke.
#[derive(Debug, thiserror::Error)]
#[error("contract {contract}: {rule}")]
pub struct ContractViolation {
    /// The contract (`deployer`, `scaler` …).
    pub contract: &'static str,
    /// The rule broken, with what was observed.
    pub rule: String,
}

/// Fails the contract with `rule` unless `cond` holds.
pub(crate) fn ensure(
    contract: &'static str,
    cond: bool,
    rule: impl FnOnce() -> String,
) -> Result<(), ContractViolation> {
    if cond {
        Ok(())
    } else {
        Err(ContractViolation {
            contract,
            rule: rule(),
        })
    }
}

/// Turns an unexpected error into a violation of `contract`.
pub(crate) fn step<T>(
    contract: &'static str,
    what: &str,
    r: crate::Result<T>,
) -> Result<T, ContractViolation> {
    r.map_err(|e| ContractViolation {
        contract,
        rule: format!("{what} failed: {e}"),
    })
}
