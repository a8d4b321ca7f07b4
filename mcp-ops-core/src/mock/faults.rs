//! Call recording and fault injection shared by every mock backend.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// One call a mock received.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Call {
    /// The operation (`set_image`, `scale`, `backup` …).
    pub operation: String,
    /// What it was about (`mcp-production/mcp-typescript-api`).
    pub target: String,
    /// Whether the operation changes state when not a dry run.
    pub mutating: bool,
    /// Whether it was a dry run.
    pub dry_run: bool,
}

impl Call {
    /// Whether this call changed (or tried to change) state: mutating and not a dry run.
    pub fn changed_state(&self) -> bool {
        self.mutating && !self.dry_run
    }
}

#[derive(Debug, Default)]
struct FaultState {
    calls: Vec<Call>,
    failures: HashMap<String, (usize, Error)>,
    latency: HashMap<String, Duration>,
    hang: HashMap<String, bool>,
}

/// Records calls and injects faults, by operation name (`"*"` matches every operation).
///
/// Cloning gives another handle to the same state, so a test can keep one while the mock
/// is shared behind an `Arc<dyn Trait>`.
#[derive(Debug, Clone, Default)]
pub struct Faults {
    state: Arc<Mutex<FaultState>>,
}

impl Faults {
    fn lock(&self) -> MutexGuard<'_, FaultState> {
        // A poisoned lock only means another test thread panicked; the data is still usable.
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Makes the next `times` calls of `operation` fail with `error`.
    pub fn fail_next(&self, operation: &str, times: usize, error: Error) {
        self.lock()
            .failures
            .insert(operation.to_owned(), (times, error));
    }

    /// Adds `latency` before every call of `operation`.
    pub fn add_latency(&self, operation: &str, latency: Duration) {
        self.lock().latency.insert(operation.to_owned(), latency);
    }

    /// Makes every call of `operation` hang forever (a probe that never answers).
    pub fn hang(&self, operation: &str) {
        self.lock().hang.insert(operation.to_owned(), true);
    }

    /// Removes every injected fault (recorded calls stay).
    pub fn clear(&self) {
        let mut s = self.lock();
        s.failures.clear();
        s.latency.clear();
        s.hang.clear();
    }

    /// Every call received so far, in order.
    pub fn calls(&self) -> Vec<Call> {
        self.lock().calls.clone()
    }

    /// Calls that changed state (mutating and not dry runs).
    pub fn state_changes(&self) -> Vec<Call> {
        self.lock()
            .calls
            .iter()
            .filter(|c| c.changed_state())
            .cloned()
            .collect()
    }

    /// How many calls of `operation` were received.
    pub fn count(&self, operation: &str) -> usize {
        self.lock()
            .calls
            .iter()
            .filter(|c| c.operation == operation)
            .count()
    }

    /// Forgets recorded calls.
    pub fn reset_calls(&self) {
        self.lock().calls.clear();
    }

    /// Records a call, then applies latency, hangs and failures injected for it.
    ///
    /// # Errors
    /// The injected error, while the failure count lasts.
    pub async fn enter(&self, call: Call) -> Result<()> {
        let (latency, hang, failure) = {
            let mut s = self.lock();
            let op = call.operation.clone();
            s.calls.push(call);
            let latency = s.latency.get(&op).or_else(|| s.latency.get("*")).copied();
            let hang = s.hang.contains_key(&op) || s.hang.contains_key("*");
            let key = if s.failures.contains_key(&op) {
                Some(op)
            } else if s.failures.contains_key("*") {
                Some("*".to_owned())
            } else {
                None
            };
            let failure = key.and_then(|k| {
                let entry = s.failures.get_mut(&k)?;
                if entry.0 == 0 {
                    return None;
                }
                entry.0 -= 1;
                Some(entry.1.duplicate())
            });
            (latency, hang, failure)
        };
        if let Some(l) = latency {
            tokio::time::sleep(l).await;
        }
        if hang {
            std::future::pending::<()>().await;
        }
        match failure {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }

    /// Shorthand for a read-only call.
    ///
    /// # Errors
    /// As [`Faults::enter`].
    pub async fn read(&self, operation: &str, target: impl Into<String>) -> Result<()> {
        self.enter(Call {
            operation: operation.to_owned(),
            target: target.into(),
            mutating: false,
            dry_run: false,
        })
        .await
    }

    /// Shorthand for a mutating call.
    ///
    /// # Errors
    /// As [`Faults::enter`].
    pub async fn write(
        &self,
        operation: &str,
        target: impl Into<String>,
        dry_run: bool,
    ) -> Result<()> {
        self.enter(Call {
            operation: operation.to_owned(),
            target: target.into(),
            mutating: true,
            dry_run,
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn fails_exactly_n_times_then_recovers() {
        let f = Faults::default();
        f.fail_next("scale", 2, Error::unavailable("mock", "injected"));
        assert!(f.write("scale", "a", false).await.is_err());
        assert!(f.write("scale", "a", false).await.is_err());
        assert!(f.write("scale", "a", false).await.is_ok());
        assert!(f.read("replicas", "a").await.is_ok());
        assert_eq!(f.count("scale"), 3);
        assert_eq!(f.state_changes().len(), 3);
    }

    #[tokio::test]
    async fn wildcard_and_dry_run_accounting() {
        let f = Faults::default();
        f.fail_next("*", 1, Error::unavailable("mock", "x"));
        assert!(f.read("anything", "t").await.is_err());
        assert!(f.write("scale", "t", true).await.is_ok());
        assert!(f.state_changes().is_empty());
    }

    #[tokio::test(start_paused = true)]
    async fn latency_is_applied_on_tokio_time() {
        let f = Faults::default();
        f.add_latency("check", Duration::from_millis(100));
        let t0 = tokio::time::Instant::now();
        assert!(f.read("check", "t").await.is_ok());
        assert_eq!(t0.elapsed(), Duration::from_millis(100));
    }
}
