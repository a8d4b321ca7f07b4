//! Classifying what was found into the runbook's common causes of a high error rate.

use super::*;

pub(super) struct Facts<'a> {
    pub(super) rates: &'a [ServiceErrorRate],
    pub(super) database: &'a HealthReport,
    pub(super) cache: &'a HealthReport,
    pub(super) pods: &'a HealthReport,
    pub(super) pool: Option<ConnectionUsage>,
    pub(super) problems: Vec<String>,
}

fn evidence_of(findings: &[Finding], check: Check, target: &str) -> Vec<Evidence> {
    findings
        .iter()
        .filter(|f| f.check == check && f.target == target)
        .map(|f| Evidence::new(format!("{check:?} {target}").to_lowercase(), &f.summary))
        .collect()
}

pub(super) fn classify(ctx: &Context, f: &Facts<'_>, findings: &[Finding]) -> Vec<Diagnosis> {
    let warning = ctx.policy().memory_ratio_warning;
    let breaching: Vec<&ServiceErrorRate> = f.rates.iter().filter(|r| r.breach).collect();
    let mut out = Vec::new();
    if f.database.status == HealthStatus::Unhealthy {
        out.push(Diagnosis {
            cause: Cause::DatabaseUnavailable,
            evidence: vec![Evidence::new(
                f.database.target.label(),
                &f.database.message,
            )],
            suggestions: vec![Suggestion::EscalateInfrastructure {
                why: format!(
                    "{} does not answer: {}",
                    f.database.target.label(),
                    f.database.message
                ),
            }],
        });
    }
    if f.cache.status == HealthStatus::Unhealthy {
        out.push(Diagnosis {
            cause: Cause::CacheUnavailable,
            evidence: vec![Evidence::new(f.cache.target.label(), &f.cache.message)],
            suggestions: vec![Suggestion::EscalateInfrastructure {
                why: format!(
                    "{} does not answer: {}",
                    f.cache.target.label(),
                    f.cache.message
                ),
            }],
        });
    }
    let exhausted = f.pool.filter(ConnectionUsage::exhausted);
    if let Some(pool) = exhausted {
        let restart: Vec<&ServiceErrorRate> = if breaching.is_empty() {
            f.rates.iter().collect()
        } else {
            breaching.clone()
        };
        let why = format!(
            "database connection pool exhausted: {} of {} connections in use",
            pool.used, pool.max
        );
        out.push(Diagnosis {
            cause: Cause::ConnectionPoolExhausted {
                used: pool.used,
                max: pool.max,
            },
            evidence: vec![Evidence::new(f.database.target.label(), &why)],
            suggestions: restart
                .iter()
                .map(|r| Suggestion::RestartPods {
                    deployment: r.service.clone(),
                    why: why.clone(),
                    command: commands::rollout_restart(&r.service),
                })
                .collect(),
        });
    }
    for r in f.rates {
        if let Some(ratio) = r.memory_ratio.filter(|m| *m >= warning) {
            let why = format!(
                "memory use at {:.0} % of the limit (warning at {:.0} %)",
                ratio * 100.0,
                warning * 100.0
            );
            out.push(Diagnosis {
                cause: Cause::MemoryGrowth {
                    service: r.service.clone(),
                    ratio,
                },
                evidence: evidence_of(findings, Check::Memory, &r.service.qualified()),
                suggestions: vec![Suggestion::Restart {
                    deployment: r.service.clone(),
                    why,
                    command: commands::rollout_restart(&r.service),
                }],
            });
        }
    }
    if !f.problems.is_empty() {
        out.push(Diagnosis {
            cause: Cause::Configuration {
                problems: f.problems.clone(),
            },
            evidence: f
                .problems
                .iter()
                .map(|p| Evidence::new("configuration", p))
                .collect(),
            suggestions: vec![Suggestion::VerifyConfiguration {
                problems: f.problems.clone(),
                command: format!("kubectl get configmaps,secrets -n {}", f.pods_namespace()),
            }],
        });
    }
    let dependencies_fine = f.database.status == HealthStatus::Healthy
        && f.cache.status == HealthStatus::Healthy
        && exhausted.is_none()
        && f.problems.is_empty()
        && f.pods.status != HealthStatus::Unknown;
    if dependencies_fine {
        for r in &breaching {
            let prefix = format!("pod/{}-", r.service.name);
            let pods_fine = !f
                .pods
                .details
                .iter()
                .any(|d| d.object.starts_with(&prefix) && d.status != HealthStatus::Healthy);
            let memory_fine = r.memory_ratio.is_none_or(|m| m < warning);
            let Some(rate) = r.error_rate else { continue };
            if pods_fine && memory_fine {
                let mut evidence = evidence_of(findings, Check::ErrorRate, &r.service.qualified());
                evidence.push(Evidence::new(
                    f.database.target.label(),
                    &f.database.message,
                ));
                evidence.push(Evidence::new(f.cache.target.label(), &f.cache.message));
                evidence.push(Evidence::new(f.pods.target.label(), &f.pods.message));
                out.push(Diagnosis {
                    cause: Cause::ExternalOutage { service: r.service.clone(), error_rate: rate },
                    evidence,
                    suggestions: vec![Suggestion::CircuitBreaker {
                        service: r.service.qualified(),
                        why: format!(
                            "error rate {:.1} % while database, cache, pods, memory and configuration are fine: check its external dependencies and put a circuit breaker in front of them",
                            rate * 100.0
                        ),
                    }],
                });
            }
        }
    }
    out
}

impl Facts<'_> {
    fn pods_namespace(&self) -> String {
        match &self.pods.target {
            HealthTarget::Cluster(c) => c.namespace.to_string(),
            _ => String::new(),
        }
    }
}
