//! Running the investigation: every probe at once, then findings and advice.

use super::advise::advise;
use super::*;
use crate::runbook::triage::DEADLINE;

async fn probe_service(
    prober: &Prober<'_>,
    b: &LatencyBackends<'_>,
    service: DeploymentRef,
) -> ServiceProbes {
    let policy = prober.ctx().policy();
    let name = service.name.as_str();
    let target = service.qualified();
    let p95_cmd = promql(name, MetricKind::P95Latency);
    let replicas_cmd = commands::get_replicas(&service);
    let s = &service;
    let (p95, replicas, autoscaler) = tokio::join!(
        prober.health(
            b.metrics,
            "check p95 latency",
            metric_target(policy, name, MetricKind::P95Latency),
            &p95_cmd
        ),
        async {
            match b.scaler {
                Some(sc) => {
                    prober
                        .read(
                            "check replicas",
                            &target,
                            &replicas_cmd,
                            || sc.replicas(s),
                            ToString::to_string,
                        )
                        .await
                }
                None => prober.missing("check replicas", &target),
            }
        },
        prober.autoscaler(b.scaler, s),
    );
    ServiceProbes {
        service,
        p95,
        replicas,
        autoscaler,
    }
}

pub(super) async fn run(
    ctx: &Context,
    b: &LatencyBackends<'_>,
    input: &LatencyInput,
    services: Vec<DeploymentRef>,
) -> Result<LatencyReport> {
    let prober = Prober::new(ctx, input.deadline, input.probe);
    let ns = &input.namespace;
    let top_cmd = commands::top_pods(ns);
    let active_cmd = commands::psql(
        &input.database,
        "SELECT * FROM pg_stat_activity WHERE state = 'active';",
    );
    let usage = async {
        match b.scaler {
            Some(sc) => {
                prober
                    .read(
                        "check pod usage",
                        ns.as_str(),
                        &top_cmd,
                        || sc.pod_usage(ns),
                        |v: &Vec<ResourceUsage>| format!("{} pods measured", v.len()),
                    )
                    .await
            }
            None => prober.missing("check pod usage", ns.as_str()),
        }
    };
    let active = async {
        match b.maintenance {
            Some(m) => {
                prober
                    .read(
                        "check active queries",
                        &input.database,
                        &active_cmd,
                        || m.active_queries(),
                        |v: &Vec<ActiveQuery>| format!("{} statements running", v.len()),
                    )
                    .await
            }
            None => prober.missing("check active queries", &input.database),
        }
    };
    let (per, usage, active) = tokio::join!(
        futures::future::join_all(services.into_iter().map(|s| probe_service(&prober, b, s))),
        usage,
        active,
    );

    let policy = ctx.policy();
    let budget = prober.budget();
    let mut complete = ![usage.why_not(budget), active.why_not(budget)]
        .iter()
        .any(|w| w.starts_with(DEADLINE));
    let mut findings = Vec::new();
    let mut out = Vec::new();
    let pods: &[ResourceUsage] = usage.ok().map(Vec::as_slice).unwrap_or_default();
    for p in &per {
        let target = p.service.qualified();
        let name = p.service.name.as_str();
        complete &= ![p.replicas.why_not(budget), p.autoscaler.why_not(budget)]
            .iter()
            .any(|w| w.starts_with(DEADLINE));
        findings.push(Finding::from_report(
            Check::Latency,
            &target,
            &p.p95,
            promql(name, MetricKind::P95Latency),
        ));
        let replicas = p.replicas.ok().copied();
        findings.push(match (&p.replicas, replicas) {
            (_, Some(r)) => Finding::new(
                Check::Replicas,
                &target,
                HealthStatus::Healthy,
                format!("{r} replicas"),
                "",
            ),
            (other, None) => Finding::new(
                Check::Replicas,
                &target,
                HealthStatus::Unknown,
                other.why_not(budget),
                "",
            ),
        });
        let autoscaler = p.autoscaler.ok().cloned().flatten();
        findings.push(autoscaler_finding(
            &p.autoscaler,
            &target,
            &p.service.namespace,
            budget,
        ));
        let memory_ratio = pod_memory_ratios(pods, name)
            .map(|(_, r)| r)
            .fold(None, |m: Option<f64>, r| Some(m.map_or(r, |m| m.max(r))));
        out.push(ServiceLatency {
            service: p.service.clone(),
            p95_seconds: metric_value(&p.p95),
            breach: matches!(
                p.p95.status,
                HealthStatus::Unhealthy | HealthStatus::Degraded
            ),
            replicas,
            autoscaler,
            memory_ratio,
        });
    }
    findings.push(match &usage {
        Probed::Done(u) => {
            let hot: Vec<Evidence> = u
                .iter()
                .filter_map(|x| {
                    let r = x.memory.ratio(x.memory_limit.as_ref()?)?;
                    (r >= policy.memory_ratio_warning).then(|| {
                        Evidence::new(
                            &x.object,
                            format!("memory at {:.0} % of its limit", r * 100.0),
                        )
                    })
                })
                .collect();
            let status = if hot.is_empty() {
                HealthStatus::Healthy
            } else {
                HealthStatus::Degraded
            };
            let all = u
                .iter()
                .map(|x| Evidence::new(&x.object, format!("cpu {}, memory {}", x.cpu, x.memory)));
            Finding::new(
                Check::PodUsage,
                ns.as_str(),
                status,
                format!(
                    "{} pods measured, {} near their memory limit",
                    u.len(),
                    hot.len()
                ),
                &top_cmd,
            )
            .with_evidence(hot.clone().into_iter().chain(all))
        }
        other => Finding::new(
            Check::PodUsage,
            ns.as_str(),
            HealthStatus::Unknown,
            other.why_not(budget),
            &top_cmd,
        ),
    });
    let slow_cmd = commands::psql(&input.database, SLOW_QUERY_SQL);
    let (active_queries, slow) = match &active {
        Probed::Done(q) => {
            let slow = long_running(q, policy.long_running_query);
            let status = if slow.is_empty() {
                HealthStatus::Healthy
            } else {
                HealthStatus::Degraded
            };
            findings.push(
                Finding::new(
                    Check::ActiveQueries,
                    &input.database,
                    status,
                    format!(
                        "{} statements running, {} for longer than {} s",
                        q.len(),
                        slow.len(),
                        policy.long_running_query.as_secs()
                    ),
                    &slow_cmd,
                )
                .with_evidence(slow.iter().map(|s| {
                    Evidence::new(
                        format!("pid {}", s.pid),
                        format!("{} for {} s: {}", s.state, s.duration.as_secs(), s.query),
                    )
                })),
            );
            (q.clone(), slow)
        }
        other => {
            findings.push(Finding::new(
                Check::ActiveQueries,
                &input.database,
                HealthStatus::Unknown,
                other.why_not(budget),
                &active_cmd,
            ));
            (Vec::new(), Vec::new())
        }
    };
    complete &= !findings.iter().any(|f| f.summary.starts_with(DEADLINE));

    let mut advice = advise(ctx, &out);
    if !slow.is_empty() {
        advice.push(Suggestion::ReviewSlowQueries {
            queries: slow.clone(),
            command: slow_cmd,
        });
    }
    for a in &advice {
        ctx.note(
            "advise",
            crate::runbook::triage::suggestion_target(a),
            a.to_string(),
        );
    }
    let summary = HealthSummary::from_reports(per.iter().map(|p| p.p95.clone()).collect());
    rank(&mut findings);
    Ok(LatencyReport {
        severity: summary.severity,
        services: out,
        active_queries,
        long_running: slow,
        findings,
        advice,
        complete,
    })
}
