//! Running the investigation: every probe at once, then findings and causes.

use super::classify::{Facts, classify};
use super::*;
use crate::runbook::triage::DEADLINE;

pub(super) async fn run(
    ctx: &Context,
    b: &ErrorRateBackends<'_>,
    input: &ErrorRateInput,
    services: Vec<DeploymentRef>,
) -> Result<ErrorRateReport> {
    let prober = Prober::new(ctx, input.deadline, input.probe);
    let ns = &input.namespace;
    for s in &services {
        ctx.skip(
            "check service logs",
            s.qualified(),
            format!(
                "no log backend; run: kubectl logs -l app={} -n {ns} --tail=100",
                s.name
            ),
        );
    }
    let policy = ctx.policy();
    let per_service = futures::future::join_all(services.iter().map(|s| {
        let name = s.name.as_str();
        let (er, mem) = (
            promql(name, MetricKind::ErrorRate),
            promql(name, MetricKind::MemoryRatio),
        );
        async move {
            let (error_rate, memory) = tokio::join!(
                prober.health(
                    b.metrics,
                    "check error rate",
                    metric_target(policy, name, MetricKind::ErrorRate),
                    &er
                ),
                prober.health(
                    b.metrics,
                    "check memory",
                    metric_target(policy, name, MetricKind::MemoryRatio),
                    &mem
                ),
            );
            ServiceProbes {
                service: s.clone(),
                error_rate,
                memory,
            }
        }
    }));
    let (db_cmd, pods_cmd) = (
        commands::pg_isready(&input.database),
        commands::get("pods", ns),
    );
    let cache_cmd = commands::redis_ping();
    let conn_cmd = commands::psql(
        &input.database,
        "SELECT count(*) FROM pg_stat_activity; SHOW max_connections;",
    );
    let config_cmd = format!("kubectl get configmaps,secrets -n {ns}");
    let connections = async {
        match b.maintenance {
            Some(m) => {
                prober
                    .read(
                        "check connections",
                        &input.database,
                        &conn_cmd,
                        || m.connections(),
                        |c: &ConnectionUsage| format!("{} of {} connections in use", c.used, c.max),
                    )
                    .await
            }
            None => prober.missing("check connections", &input.database),
        }
    };
    let config = async {
        match b.config {
            Some(c) => {
                prober
                    .read(
                        "check configuration",
                        ns.as_str(),
                        &config_cmd,
                        || c.problems(ns),
                        |p: &Vec<String>| format!("{} problems", p.len()),
                    )
                    .await
            }
            None => prober.missing("check configuration", ns.as_str()),
        }
    };
    let pods_scope = HealthTarget::Cluster(ClusterScope {
        namespace: ns.clone(),
        resources: vec![ClusterResource::Pods],
    });
    let (per_service, database, cache, connections, config, pods) = tokio::join!(
        per_service,
        prober.health(
            b.database,
            "check database",
            HealthTarget::Database {
                name: input.database.clone()
            },
            &db_cmd
        ),
        prober.health(
            b.cache,
            "check cache",
            HealthTarget::Cache {
                name: input.cache.clone()
            },
            &cache_cmd
        ),
        connections,
        config,
        prober.health(b.cluster, "check pods", pods_scope, &pods_cmd),
    );

    let budget = prober.budget();
    let mut findings = Vec::new();
    let mut complete = true;
    let mut rates = Vec::new();
    for p in &per_service {
        let target = p.service.qualified();
        let name = p.service.name.as_str();
        let error_rate = metric_value(&p.error_rate);
        let memory_ratio = metric_value(&p.memory);
        findings.push(Finding::from_report(
            Check::ErrorRate,
            &target,
            &p.error_rate,
            promql(name, MetricKind::ErrorRate),
        ));
        findings.push(Finding::from_report(
            Check::Memory,
            &target,
            &p.memory,
            promql(name, MetricKind::MemoryRatio),
        ));
        rates.push(ServiceErrorRate {
            service: p.service.clone(),
            error_rate,
            breach: matches!(
                p.error_rate.status,
                HealthStatus::Unhealthy | HealthStatus::Degraded
            ),
            memory_ratio,
        });
    }
    findings.push(Finding::from_report(
        Check::Database,
        &input.database,
        &database,
        &db_cmd,
    ));
    findings.push(Finding::from_report(
        Check::Cache,
        &input.cache,
        &cache,
        commands::redis_ping(),
    ));
    findings.push(Finding::from_report(
        Check::Pods,
        ns.as_str(),
        &pods,
        &pods_cmd,
    ));
    let pool = match &connections {
        Probed::Done(c) => {
            let status = if c.exhausted() {
                HealthStatus::Unhealthy
            } else {
                HealthStatus::Healthy
            };
            findings.push(
                Finding::new(
                    Check::Connections,
                    &input.database,
                    status,
                    format!("{} of {} connections in use", c.used, c.max),
                    &conn_cmd,
                )
                .with_evidence([Evidence::new(
                    "connections",
                    format!("{:.0} % of max_connections", c.ratio() * 100.0),
                )]),
            );
            Some(*c)
        }
        other => {
            complete &= !matches!(other, Probed::Deadline);
            findings.push(Finding::new(
                Check::Connections,
                &input.database,
                HealthStatus::Unknown,
                other.why_not(budget),
                &conn_cmd,
            ));
            None
        }
    };
    let mut problems: Vec<String> = pods
        .details
        .iter()
        .filter(|d| d.status != HealthStatus::Healthy)
        .filter(|d| {
            d.object.starts_with("configmap/")
                || d.object.starts_with("secret/")
                || d.reason.contains("CreateContainerConfigError")
        })
        .map(|d| format!("{}: {}", d.object, d.reason))
        .collect();
    match &config {
        Probed::Done(p) => {
            problems.extend(p.iter().cloned());
            let status = if p.is_empty() {
                HealthStatus::Healthy
            } else {
                HealthStatus::Unhealthy
            };
            findings.push(
                Finding::new(
                    Check::Configuration,
                    ns.as_str(),
                    status,
                    format!("{} ConfigMap/Secret problems", p.len()),
                    &config_cmd,
                )
                .with_evidence(p.iter().map(|x| Evidence::new(ns.as_str(), x))),
            );
        }
        other => {
            complete &= !matches!(other, Probed::Deadline);
            findings.push(Finding::new(
                Check::Configuration,
                ns.as_str(),
                HealthStatus::Unknown,
                other.why_not(budget),
                &config_cmd,
            ));
        }
    }
    complete &= !findings.iter().any(|f| f.summary.starts_with(DEADLINE));

    let facts = Facts {
        rates: &rates,
        database: &database,
        cache: &cache,
        pods: &pods,
        pool,
        problems,
    };
    let diagnoses = classify(ctx, &facts, &findings);
    for d in &diagnoses {
        let advice: Vec<String> = d.suggestions.iter().map(ToString::to_string).collect();
        ctx.note(
            "classify",
            ns.as_str(),
            format!("{}: {}", d.cause, advice.join("; ")),
        );
    }
    let summary =
        HealthSummary::from_reports(per_service.iter().map(|p| p.error_rate.clone()).collect());
    rank(&mut findings);
    Ok(ErrorRateReport {
        severity: summary.severity,
        services: rates,
        findings,
        diagnoses,
        complete,
    })
}
