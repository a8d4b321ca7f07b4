//! The "verify" step shared by recovery and maintenance: every target checked by the first
//! backend that supports its kind, concurrently, each bounded in time.

use std::time::Duration;

use crate::error::Result;
use crate::health::{HealthCheck, HealthReport, HealthStatus, HealthSummary, HealthTarget};
use crate::runbook::commands;
use crate::runbook::context::Context;

/// The commands a human would run for `targets`, joined with `&&`.
fn command(targets: &[HealthTarget]) -> String {
    targets
        .iter()
        .map(|t| match t {
            HealthTarget::Http(p) => commands::curl(&p.url),
            HealthTarget::Cluster(c) => commands::get("pods", &c.namespace),
            HealthTarget::Database { name } => commands::pg_isready(name),
            HealthTarget::Cache { .. } => commands::redis_ping(),
            HealthTarget::Metric(m) => format!("promql {} of {}", m.metric.as_str(), m.service),
        })
        .collect::<Vec<_>>()
        .join(" && ")
}

/// Checks `targets` on `checkers` as one journaled read step; a target no checker supports,
/// a failing check or one that does not answer within `per_check` is `Unknown`.
///
/// # Errors
/// Only when the step itself times out (it is bounded by twice `per_check`).
pub(crate) async fn verify_health(
    ctx: &Context,
    checkers: &[&dyn HealthCheck],
    targets: &[HealthTarget],
    per_check: Duration,
) -> Result<HealthSummary> {
    let labels: Vec<String> = targets.iter().map(HealthTarget::label).collect();
    ctx.step("verify health", labels.join(", "))
        .command(command(targets))
        .timeout(per_check.saturating_mul(2))
        .read(
            || async {
                let checks = targets.iter().map(|t| async move {
                    let Some(checker) = checkers.iter().find(|c| c.supports(t.kind())) else {
                        return HealthReport::new(
                            t.clone(),
                            HealthStatus::Unknown,
                            "no backend checks this kind of target",
                            ctx.now(),
                        );
                    };
                    match tokio::time::timeout(per_check, checker.check(t)).await {
                        Ok(Ok(report)) => report,
                        Ok(Err(e)) => HealthReport::new(
                            t.clone(),
                            HealthStatus::Unknown,
                            format!("check failed: {e}"),
                            ctx.now(),
                        ),
                        Err(_) => HealthReport::new(
                            t.clone(),
                            HealthStatus::Unknown,
                            format!("no answer within {per_check:?}"),
                            ctx.now(),
                        ),
                    }
                });
                Ok(HealthSummary::from_reports(
                    futures::future::join_all(checks).await,
                ))
            },
            |s| {
                let bad: Vec<String> = s
                    .reports
                    .iter()
                    .filter(|r| r.status != HealthStatus::Healthy)
                    .map(|r| {
                        format!(
                            "{}: {} ({})",
                            r.target.label(),
                            r.status.as_str(),
                            r.message
                        )
                    })
                    .collect();
                if bad.is_empty() {
                    format!("{} targets healthy", s.reports.len())
                } else {
                    format!("{}: {}", s.overall.as_str(), bad.join("; "))
                }
            },
        )
        .await
}
