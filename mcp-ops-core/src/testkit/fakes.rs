//! Scripted stand-ins for what the caller supplies: smoke tests and configuration checks.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;

use crate::error::Result;
use crate::runbook::investigate_error_rate::ConfigCheck;
use crate::runbook::smoke::{SmokeCheck, SmokeReport, SmokeTest};
use crate::types::Namespace;

/// Smoke tests that pass until told to fail; counts its runs. Clones share state.
#[derive(Debug, Clone)]
pub struct ScriptedSmoke {
    passing: Arc<AtomicBool>,
    runs: Arc<AtomicUsize>,
}

impl Default for ScriptedSmoke {
    fn default() -> Self {
        Self::passing()
    }
}

impl ScriptedSmoke {
    /// Smoke tests that pass (`login`, `list tools`).
    pub fn passing() -> Self {
        Self {
            passing: Arc::new(AtomicBool::new(true)),
            runs: Arc::default(),
        }
    }

    /// From now on the `list tools` check fails (`false`) or passes (`true`).
    pub fn set_passing(&self, passing: bool) {
        self.passing.store(passing, Ordering::SeqCst);
    }

    /// How many times the smoke tests ran.
    pub fn runs(&self) -> usize {
        self.runs.load(Ordering::SeqCst)
    }
}

#[async_trait]
impl SmokeTest for ScriptedSmoke {
    async fn run(&self) -> Result<SmokeReport> {
        self.runs.fetch_add(1, Ordering::SeqCst);
        let tools = if self.passing.load(Ordering::SeqCst) {
            SmokeCheck::pass("list tools", "HTTP 200")
        } else {
            SmokeCheck::fail("list tools", "HTTP 500")
        };
        Ok(SmokeReport::new(vec![
            SmokeCheck::pass("login", "HTTP 200"),
            tools,
        ]))
    }
}

/// A configuration check that finds nothing missing until problems are added. Clones share
/// state.
#[derive(Debug, Clone, Default)]
pub struct ScriptedConfig {
    problems: Arc<Mutex<Vec<String>>>,
}

impl ScriptedConfig {
    /// From now on the check reports `problem` (`secret/mcp-secrets: key db-password
    /// missing`).
    pub fn add_problem(&self, problem: impl Into<String>) {
        self.problems
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push(problem.into());
    }
}

#[async_trait]
impl ConfigCheck for ScriptedConfig {
    async fn problems(&self, _namespace: &Namespace) -> Result<Vec<String>> {
        Ok(self
            .problems
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone())
    }
}
