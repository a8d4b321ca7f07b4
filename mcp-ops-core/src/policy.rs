//! Thresholds that decide severities, rollbacks and bounds, with the runbook's numbers as
//! defaults (runbook: High Error Rate (P1), High Response Times (P2),
//! Emergency Rollback, Scaling Procedures, Database Maintenance).

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// The decision thresholds of the runbook, replaceable per organisation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Policy {
    /// Error-rate ratio above which a service is P1 (runbook: > 5 %).
    pub error_rate_p1: f64,
    /// How long the error rate must stay above [`Policy::error_rate_p1`] (runbook: 5 min).
    pub error_rate_window: Duration,
    /// p95 latency above which a service is P2 (runbook: > 2 s).
    pub p95_latency_p2: Duration,
    /// Error-rate ratio that triggers an emergency rollback (runbook: > 10 %).
    pub rollback_error_rate: f64,
    /// p95 latency that triggers an emergency rollback (runbook: > 5 s).
    pub rollback_p95_latency: Duration,
    /// Memory usage / limit ratio above which a pod counts as exhausting memory.
    pub memory_ratio_warning: f64,
    /// Queries running longer than this are "long-running" (runbook: 30 s).
    pub long_running_query: Duration,
    /// The largest replica count a procedure may set without being forced.
    pub max_replicas: u32,
}

impl Default for Policy {
    fn default() -> Self {
        Self {
            error_rate_p1: 0.05,
            error_rate_window: Duration::from_secs(5 * 60),
            p95_latency_p2: Duration::from_secs(2),
            rollback_error_rate: 0.10,
            rollback_p95_latency: Duration::from_secs(5),
            memory_ratio_warning: 0.90,
            long_running_query: Duration::from_secs(30),
            max_replicas: 20,
        }
    }
}

impl Policy {
    /// Checks that the thresholds make sense: ratios in (0, 1], rollback thresholds not
    /// below the alerting ones, non-zero windows and bounds.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] naming the first field that is wrong.
    pub fn validate(&self) -> Result<()> {
        let ratio = |field: &'static str, v: f64| {
            if v.is_finite() && v > 0.0 && v <= 1.0 {
                Ok(())
            } else {
                Err(Error::invalid(
                    field,
                    format!("must be a ratio in (0, 1], got {v}"),
                ))
            }
        };
        ratio("error_rate_p1", self.error_rate_p1)?;
        ratio("rollback_error_rate", self.rollback_error_rate)?;
        ratio("memory_ratio_warning", self.memory_ratio_warning)?;
        if self.rollback_error_rate < self.error_rate_p1 {
            return Err(Error::invalid(
                "rollback_error_rate",
                "must not be below error_rate_p1",
            ));
        }
        if self.rollback_p95_latency < self.p95_latency_p2 {
            return Err(Error::invalid(
                "rollback_p95_latency",
                "must not be below p95_latency_p2",
            ));
        }
        if self.error_rate_window.is_zero() || self.p95_latency_p2.is_zero() {
            return Err(Error::invalid(
                "error_rate_window",
                "must be greater than zero",
            ));
        }
        if self.max_replicas == 0 || self.max_replicas > crate::types::Replicas::MAX {
            return Err(Error::invalid(
                "max_replicas",
                format!("must be in 1..={}", crate::types::Replicas::MAX),
            ));
        }
        Ok(())
    }

    /// Whether an observed error rate and p95 call for an emergency rollback.
    pub fn calls_for_rollback(&self, error_rate: Option<f64>, p95: Option<Duration>) -> bool {
        error_rate.is_some_and(|r| r > self.rollback_error_rate)
            || p95.is_some_and(|p| p > self.rollback_p95_latency)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_the_runbooks_numbers_and_valid() {
        let p = Policy::default();
        assert!(p.validate().is_ok());
        assert_eq!(p.error_rate_p1, 0.05);
        assert_eq!(p.p95_latency_p2, Duration::from_secs(2));
        assert!(p.calls_for_rollback(Some(0.12), None));
        assert!(!p.calls_for_rollback(Some(0.10), None));
        assert!(p.calls_for_rollback(None, Some(Duration::from_millis(5001))));
        assert!(!p.calls_for_rollback(None, None));
    }

    #[test]
    fn bad_policies_are_rejected() {
        let bad = [
            Policy {
                error_rate_p1: 0.0,
                ..Policy::default()
            },
            Policy {
                error_rate_p1: f64::NAN,
                ..Policy::default()
            },
            Policy {
                error_rate_p1: 1.5,
                ..Policy::default()
            },
            Policy {
                rollback_error_rate: 0.01,
                ..Policy::default()
            },
            Policy {
                rollback_p95_latency: Duration::from_secs(1),
                ..Policy::default()
            },
            Policy {
                memory_ratio_warning: -1.0,
                ..Policy::default()
            },
            Policy {
                error_rate_window: Duration::ZERO,
                ..Policy::default()
            },
            Policy {
                max_replicas: 0,
                ..Policy::default()
            },
            Policy {
                max_replicas: 1_000_000,
                ..Policy::default()
            },
            Policy {
                rollback_error_rate: f64::INFINITY,
                ..Policy::default()
            },
        ];
        for p in bad {
            assert!(
                matches!(p.validate(), Err(Error::InvalidInput { .. })),
                "{p:?}"
            );
        }
    }
}
