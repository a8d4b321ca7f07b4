//! [`SmokeTest`]: the caller's smoke tests, run after a deployment or a rollback.
//!
//! The runbook runs `python tests/production_smoke_tests.py` in "Standard Deployment" (step 6,
//! "Run smoke tests") and in "Emergency Rollback" (step 3, "Test system health"). What those
//! tests exercise belongs to the service, so the caller supplies them behind this trait; the
//! procedures only run them and act on the [`SmokeReport`].

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use crate::error::Result;

/// The equivalent command of the runbook for a smoke-test step.
pub const SMOKE_COMMAND: &str = "python tests/production_smoke_tests.py";

/// One smoke check and how it went.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SmokeCheck {
    /// What was exercised (`login`, `create session`, `GET /api/v1/tools`).
    pub name: String,
    /// Whether it passed.
    pub passed: bool,
    /// Evidence or the reason it failed (no secrets).
    pub detail: String,
}

impl SmokeCheck {
    /// A passed check.
    pub fn pass(name: impl Into<String>, detail: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            passed: true,
            detail: detail.into(),
        }
    }

    /// A failed check.
    pub fn fail(name: impl Into<String>, detail: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            passed: false,
            detail: detail.into(),
        }
    }
}

/// The result of one smoke-test run.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SmokeReport {
    /// Every check, in the order run.
    pub checks: Vec<SmokeCheck>,
}

impl SmokeReport {
    /// A report of `checks`.
    pub fn new(checks: Vec<SmokeCheck>) -> Self {
        Self { checks }
    }

    /// Whether the run passed: at least one check ran and none failed.
    pub fn passed(&self) -> bool {
        !self.checks.is_empty() && self.checks.iter().all(|c| c.passed)
    }

    /// The failed checks.
    pub fn failures(&self) -> impl Iterator<Item = &SmokeCheck> {
        self.checks.iter().filter(|c| !c.passed)
    }

    /// One line for journals: `3/3 passed` or `2/3 passed; failed: login (HTTP 500)`.
    pub fn summary(&self) -> String {
        let passed = self.checks.iter().filter(|c| c.passed).count();
        let mut line = format!("{passed}/{} passed", self.checks.len());
        if self.checks.is_empty() {
            line.push_str("; no check ran");
        }
        let failed: Vec<String> = self
            .failures()
            .map(|c| format!("{} ({})", c.name, c.detail))
            .collect();
        if !failed.is_empty() {
            line.push_str("; failed: ");
            line.push_str(&failed.join(", "));
        }
        line
    }
}

/// The caller's smoke tests (the runbook's `production_smoke_tests.py`).
///
/// A failing check is a [`SmokeReport`] with a failed [`SmokeCheck`]; an error means the tests
/// could not run at all. Both count as a failed smoke test for the procedures.
///
/// # Example
///
/// ```
/// # #[tokio::main(flavor = "current_thread", start_paused = true)]
/// # async fn main() -> mcp_ops_core::Result<()> {
/// use mcp_ops_core::async_trait; // re-exported: no async-trait dependency of your own
/// use mcp_ops_core::runbook::smoke::{SmokeCheck, SmokeReport, SmokeTest};
///
/// /// Ours: log in and list the tools (here without a network).
/// struct ProductionSmoke;
///
/// #[async_trait]
/// impl SmokeTest for ProductionSmoke {
///     async fn run(&self) -> mcp_ops_core::Result<SmokeReport> {
///         Ok(SmokeReport::new(vec![
///             SmokeCheck::pass("login", "HTTP 200"),
///             SmokeCheck::pass("list tools", "HTTP 200, 12 tools"),
///         ]))
///     }
/// }
///
/// let report = ProductionSmoke.run().await?;
/// assert!(report.passed());
/// assert_eq!(report.summary(), "2/2 passed");
/// # Ok(())
/// # }
/// ```
#[cfg_attr(feature = "mock", mockall::automock)]
#[async_trait]
pub trait SmokeTest: Send + Sync {
    /// Runs the smoke tests once.
    ///
    /// # Errors
    /// When the tests could not run (the runner is unreachable, times out …).
    async fn run(&self) -> Result<SmokeReport>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_report_passes_only_with_checks_and_no_failure() {
        assert!(!SmokeReport::default().passed());
        assert_eq!(SmokeReport::default().summary(), "0/0 passed; no check ran");
        let ok = SmokeReport::new(vec![SmokeCheck::pass("login", "200")]);
        assert!(ok.passed());
        assert_eq!(ok.summary(), "1/1 passed");
        let bad = SmokeReport::new(vec![
            SmokeCheck::pass("login", "200"),
            SmokeCheck::fail("tools", "HTTP 500"),
        ]);
        assert!(!bad.passed());
        assert_eq!(bad.summary(), "1/2 passed; failed: tools (HTTP 500)");
    }
}
