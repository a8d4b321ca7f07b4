//! Running triage: every probe at once, then findings, severity and suggestions.

use super::*;

/// The five cluster scopes of the runbook, each with its check, step name and command.
fn cluster_scopes(ns: &Namespace) -> [(Check, ClusterResource, &'static str, String); 5] {
    [
        (
            Check::Nodes,
            ClusterResource::Nodes,
            "check nodes",
            "kubectl get nodes".to_owned(),
        ),
        (
            Check::Pods,
            ClusterResource::Pods,
            "check pods",
            commands::get("pods", ns),
        ),
        (
            Check::Services,
            ClusterResource::Services,
            "check services",
            commands::get("services", ns),
        ),
        (
            Check::Ingress,
            ClusterResource::Ingresses,
            "check ingress",
            commands::get("ingress", ns),
        ),
        (
            Check::Events,
            ClusterResource::Events,
            "check warning events",
            format!("kubectl get events -n {ns} --sort-by='.lastTimestamp' | tail -20"),
        ),
    ]
}

async fn cluster_checks(
    prober: &Prober<'_>,
    cluster: Option<&dyn HealthCheck>,
    ns: &Namespace,
) -> Vec<(Check, HealthReport, String)> {
    let checks = cluster_scopes(ns).map(|(check, resource, step, command)| async move {
        let scope = ClusterScope {
            namespace: ns.clone(),
            resources: vec![resource],
        };
        let report = prober
            .health(cluster, step, HealthTarget::Cluster(scope), &command)
            .await;
        (check, report, command)
    });
    futures::future::join_all(checks).await
}

async fn endpoint_checks(
    prober: &Prober<'_>,
    cluster: Option<&dyn HealthCheck>,
    endpoints: &[Endpoint],
) -> Vec<HealthReport> {
    let checks = endpoints.iter().map(|e| {
        let command = format!("curl -I {}", e.probe.display_url());
        async move {
            prober
                .health(
                    cluster,
                    "check endpoint",
                    HealthTarget::Http(e.probe.clone()),
                    &command,
                )
                .await
        }
    });
    futures::future::join_all(checks).await
}

pub(super) async fn run(
    ctx: &Context,
    backends: &TriageBackends<'_>,
    input: &TriageInput,
) -> Result<TriageReport> {
    let started_at = ctx.now();
    let prober = Prober::new(ctx, input.deadline, input.probe);
    let ns = &input.namespace;
    let scaler = backends.scaler;
    let capacity = async {
        let cmd = "kubectl describe nodes | grep -A 5 \"Allocated resources\"";
        match scaler {
            Some(s) => {
                prober
                    .read(
                        "check node capacity",
                        "nodes",
                        cmd,
                        || s.node_capacity(),
                        |v: &Vec<NodeCapacity>| format!("{} nodes", v.len()),
                    )
                    .await
            }
            None => prober.missing("check node capacity", "nodes"),
        }
    };
    let usage = async {
        let cmd = commands::top_pods(ns);
        match scaler {
            Some(s) => {
                prober
                    .read(
                        "check pod usage",
                        ns.as_str(),
                        &cmd,
                        || s.pod_usage(ns),
                        |v: &Vec<ResourceUsage>| format!("{} pods measured", v.len()),
                    )
                    .await
            }
            None => prober.missing("check pod usage", ns.as_str()),
        }
    };
    let (db_cmd, cache_cmd) = (
        commands::pg_isready(&input.database),
        commands::redis_ping(),
    );
    let (cluster, endpoints, database, cache, capacity, usage, deployments) = tokio::join!(
        cluster_checks(&prober, backends.cluster, ns),
        endpoint_checks(&prober, backends.cluster, &input.endpoints),
        prober.health(
            backends.database,
            "check database",
            HealthTarget::Database {
                name: input.database.clone()
            },
            &db_cmd,
        ),
        prober.health(
            backends.cache,
            "check cache",
            HealthTarget::Cache {
                name: input.cache.clone()
            },
            &cache_cmd,
        ),
        capacity,
        usage,
        deployments::probe_all(&prober, backends, input),
    );

    let mut findings: Vec<Finding> = Vec::new();
    for (check, report, command) in &cluster {
        findings.push(Finding::from_report(*check, ns.as_str(), report, command));
    }
    for r in &endpoints {
        let url = match &r.target {
            HealthTarget::Http(p) => p.display_url(),
            _ => String::new(),
        };
        findings.push(Finding::from_report(
            Check::Endpoint,
            r.target.label(),
            r,
            format!("curl -I {url}"),
        ));
    }
    findings.push(Finding::from_report(
        Check::Database,
        &input.database,
        &database,
        commands::pg_isready(&input.database),
    ));
    findings.push(Finding::from_report(
        Check::Cache,
        &input.cache,
        &cache,
        commands::redis_ping(),
    ));
    let budget = prober.budget();
    findings.push(resolution::capacity_finding(
        &capacity,
        input.node_requests_ratio,
        budget,
    ));
    findings.push(resolution::usage_finding(
        &usage,
        ns,
        ctx.policy().memory_ratio_warning,
        budget,
    ));

    let pods = cluster
        .iter()
        .find(|(c, _, _)| *c == Check::Pods)
        .map(|(_, r, _)| r);
    let facts = diagnose::Facts {
        pods,
        endpoints: &input.endpoints,
        endpoint_reports: &endpoints,
        usage: usage.ok().map(Vec::as_slice).unwrap_or_default(),
    };
    let (diagnoses, deployment_findings, metric_reports, mut complete) =
        diagnose::diagnose(&prober, deployments, &facts, input);
    findings.extend(deployment_findings);

    let mut severity_reports = endpoints.clone();
    severity_reports.extend(metric_reports);
    let summary = HealthSummary::from_reports(severity_reports);
    let slow_endpoint = endpoints.iter().any(|r| r.status == HealthStatus::Degraded);
    let severity = summary
        .severity
        .or_else(|| slow_endpoint.then_some(Severity::P2));

    complete &= !matches!(capacity, Probed::Deadline) && !matches!(usage, Probed::Deadline);
    complete &= !findings.iter().any(|f| f.summary.starts_with(DEADLINE));

    let nodes = cluster
        .iter()
        .find(|(c, _, _)| *c == Check::Nodes)
        .map(|(_, r, _)| r);
    let suggestions = resolution::suggest(&resolution::Inputs {
        ctx,
        input,
        deployments: &diagnoses,
        capacity: capacity.ok().map(Vec::as_slice),
        nodes,
        severity,
        findings: &findings,
    });
    for s in &suggestions {
        ctx.note("suggest", suggestion_target(s), s.to_string());
    }
    rank(&mut findings);
    let overall = findings
        .iter()
        .map(|f| f.status)
        .max()
        .unwrap_or(HealthStatus::Healthy);
    ctx.note(
        "severity",
        ns.as_str(),
        severity.map_or_else(
            || "no runbook severity".to_owned(),
            |s| format!("{s}: {}", s.meaning()),
        ),
    );
    Ok(TriageReport {
        severity,
        overall,
        findings,
        deployments: diagnoses,
        suggestions,
        complete,
        started_at,
        finished_at: ctx.now(),
    })
}

/// The object a suggestion is about, for the journal.
pub(crate) fn suggestion_target(s: &Suggestion) -> String {
    match s {
        Suggestion::RollBack { deployment, .. }
        | Suggestion::RestartPods { deployment, .. }
        | Suggestion::Restart { deployment, .. } => deployment.qualified(),
        Suggestion::Scale { target, .. } => match target {
            ScaleTarget::Replicas { deployment, .. }
            | ScaleTarget::AutoscalerMax { deployment, .. } => deployment.qualified(),
            _ => "nodes".to_owned(),
        },
        Suggestion::CircuitBreaker { service, .. } => service.clone(),
        _ => String::new(),
    }
}
