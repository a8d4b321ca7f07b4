//! `HealthCheck` on the mock database: `pg_isready` for the database and `PING` for the
//! cache, answering as [`Availability`] says.

use async_trait::async_trait;

use super::{Availability, BACKEND, MockDatabase};
use crate::error::{Error, Result};
use crate::health::{
    HealthCheck, HealthReport, HealthStatus, HealthTarget, ObservedValue, TargetKind,
};

impl MockDatabase {
    async fn probe(
        &self,
        target: &HealthTarget,
        availability: Availability,
        ok: &str,
        down: &str,
    ) -> HealthReport {
        match availability {
            Availability::Up => {
                HealthReport::new(target.clone(), HealthStatus::Healthy, ok, self.now())
                    .observe("responding", ObservedValue::Flag(true))
            }
            Availability::Down => {
                HealthReport::new(target.clone(), HealthStatus::Unhealthy, down, self.now())
                    .observe("responding", ObservedValue::Flag(false))
            }
            Availability::Slow(latency) => {
                self.clock.sleep(latency).await;
                let mut report = HealthReport::new(
                    target.clone(),
                    HealthStatus::Degraded,
                    format!("{ok}, but slow: answered in {} ms", latency.as_millis()),
                    self.now(),
                )
                .observe("responding", ObservedValue::Flag(true))
                .observe("latency", ObservedValue::Duration(latency));
                report.latency = latency;
                report
            }
        }
    }
}

#[async_trait]
impl HealthCheck for MockDatabase {
    fn backend(&self) -> &'static str {
        BACKEND
    }

    fn supports(&self, kind: TargetKind) -> bool {
        matches!(kind, TargetKind::Database | TargetKind::Cache)
    }

    async fn check(&self, target: &HealthTarget) -> Result<HealthReport> {
        self.faults.read("check", target.label()).await?;
        match target {
            HealthTarget::Database { name } => {
                let (db, availability, connections) = {
                    let s = self.lock();
                    (s.database.clone(), s.database_health, s.connections)
                };
                if name != &db {
                    return Err(Error::not_found("database", name.as_str()));
                }
                let mut report = self
                    .probe(target, availability, "accepting connections", "no response")
                    .await;
                if report.status == HealthStatus::Healthy && connections.exhausted() {
                    report.status = HealthStatus::Degraded;
                    report.message = format!(
                        "connection pool exhausted: {} of {} connections in use",
                        connections.used, connections.max
                    );
                }
                if availability != Availability::Down {
                    report = report
                        .observe(
                            "connections",
                            ObservedValue::Count(u64::from(connections.used)),
                        )
                        .observe(
                            "max_connections",
                            ObservedValue::Count(u64::from(connections.max)),
                        );
                }
                Ok(report)
            }
            HealthTarget::Cache { name } => {
                let (cache, availability) = {
                    let s = self.lock();
                    (s.cache.clone(), s.cache_health)
                };
                if name != &cache {
                    return Err(Error::not_found("cache", name.as_str()));
                }
                Ok(self
                    .probe(
                        target,
                        availability,
                        "PONG",
                        "Could not connect: connection refused",
                    )
                    .await)
            }
            other => Err(Error::Unsupported {
                operation: match other.kind() {
                    TargetKind::Http => "http health",
                    TargetKind::Cluster => "cluster health",
                    _ => "metric health",
                },
                backend: BACKEND,
            }),
        }
    }
}
