//! The `HealthCheck` contract.

use std::time::Duration;

use super::{ContractViolation, ensure, step};
use crate::error::Error;
use crate::health::{HealthCheck, HealthStatus, HealthTarget, check_all};

const C: &str = "health-check";

/// What the health-check contract needs from the backend under test.
#[derive(Debug, Clone)]
pub struct HealthFixture {
    /// Targets the backend supports that are healthy now.
    pub healthy: Vec<HealthTarget>,
    /// Targets the backend supports that are down now (may be empty).
    pub unhealthy: Vec<HealthTarget>,
    /// A target of a kind the backend does not support, if there is one.
    pub unsupported: Option<HealthTarget>,
    /// Time allowed per check.
    pub per_check: Duration,
}

/// Runs the health-check contract.
///
/// # Errors
/// The first rule the backend breaks.
pub async fn health_contract(
    h: &dyn HealthCheck,
    fx: &HealthFixture,
) -> Result<(), ContractViolation> {
    for t in fx.healthy.iter().chain(&fx.unhealthy) {
        ensure(C, h.supports(t.kind()), || {
            format!("supports() is true for {}", t.label())
        })?;
    }
    for t in &fx.healthy {
        let r = step(C, "check", h.check(t).await)?;
        ensure(C, &r.target == t, || {
            format!("the report is about the target asked for ({})", t.label())
        })?;
        ensure(C, r.status == HealthStatus::Healthy, || {
            format!(
                "{} is Healthy, got {:?}: {}",
                t.label(),
                r.status,
                r.message
            )
        })?;
        ensure(C, !r.message.is_empty(), || "a report has a message".into())?;
    }
    for t in &fx.unhealthy {
        let r = step(C, "check", h.check(t).await)?;
        ensure(
            C,
            matches!(r.status, HealthStatus::Unhealthy | HealthStatus::Degraded),
            || {
                format!(
                    "{} is reported down as a report, got {:?}",
                    t.label(),
                    r.status
                )
            },
        )?;
    }
    if let Some(t) = &fx.unsupported {
        ensure(C, !h.supports(t.kind()), || {
            format!("supports() is false for {}", t.label())
        })?;
        let r = h.check(t).await;
        ensure(C, matches!(r, Err(Error::Unsupported { .. })), || {
            format!("an unsupported target is Unsupported, got {r:?}")
        })?;
    }
    let summary = check_all(h, &fx.healthy, fx.per_check, jiff::Timestamp::now).await;
    ensure(C, summary.reports.len() == fx.healthy.len(), || {
        "check_all reports every target".into()
    })?;
    ensure(
        C,
        summary.overall == HealthStatus::Healthy && summary.severity.is_none(),
        || {
            format!(
                "healthy targets summarise as Healthy without severity, got {:?} {:?}",
                summary.overall, summary.severity
            )
        },
    )?;
    Ok(())
}
