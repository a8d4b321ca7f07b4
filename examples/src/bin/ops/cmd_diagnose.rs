//! `ops triage` and `ops investigate errors|latency` (read-only procedures).

use mcp_ops_core::HealthStatus;
use mcp_ops_core::runbook::investigate_error_rate::{
    ErrorRateBackends, ErrorRateInput, investigate_error_rate,
};
use mcp_ops_core::runbook::investigate_latency::{
    LatencyBackends, LatencyInput, investigate_latency,
};
use mcp_ops_core::runbook::triage::{
    Check, Finding, Suggestion, TriageBackends, TriageInput, triage as run_triage,
};
use mcp_ops_core::types::{Namespace, ResourceName, Severity};

use crate::backends::Backends;
use crate::cli::{Global, Investigation};
use crate::output::{Report, Status, table, to_value};
use crate::{Outcome, context};

/// `ops triage`: the runbook's "Critical System Down (P0)".
pub async fn triage(g: &Global, b: &Backends) -> Outcome {
    let ctx = context("triage", "ops triage", g, b)?;
    let backends = TriageBackends {
        cluster: Some(&b.health),
        deployer: Some(b.deployer.as_ref()),
        scaler: Some(b.scaler.as_ref()),
        database: Some(&b.health),
        cache: Some(&b.health),
        metrics: Some(&b.health),
    };
    // The platform's endpoints; the API's (or the first) is the probe `--health-url` names.
    let mut input: TriageInput = g.platform.triage_input();
    input.namespace = Namespace::new(&g.namespace)?;
    let api = g.platform.api().reference.name.clone();
    let main = input
        .endpoints
        .iter()
        .position(|e| e.served_by.contains(&api))
        .unwrap_or(0);
    if let Some(endpoint) = input.endpoints.get_mut(main) {
        endpoint.probe = b.health_probe.clone();
    }
    let report = run_triage(&ctx, &backends, &input).await?;
    let status = if report.overall == HealthStatus::Healthy {
        Status::Ok
    } else {
        Status::Failed
    };
    let summary = format!(
        "triage: {} (severity {}, {} findings{})",
        report.overall.as_str(),
        severity(report.severity),
        report.findings.len(),
        if report.complete {
            ""
        } else {
            ", incomplete: a probe hit the deadline"
        }
    );
    let deployments = report.deployments.iter().map(|d| {
        vec![
            d.deployment.to_string(),
            format!("{}/{}", d.available, d.desired),
            d.revision.map(|r| r.to_string()).unwrap_or_default(),
            percent(d.error_rate),
            seconds(d.p95_seconds),
            if d.degraded.is_empty() {
                "healthy".to_owned()
            } else {
                d.degraded.join("; ")
            },
        ]
    });
    let attention: Vec<Finding> = report
        .findings
        .iter()
        .filter(|f| f.status != HealthStatus::Healthy)
        .cloned()
        .collect();
    let mut out = Report::new("triage", status, summary, to_value(&report))
        .table(
            "Findings needing attention (worst first)",
            findings_table(&attention),
        )
        .table(
            "Deployments",
            table(
                &[
                    "DEPLOYMENT",
                    "AVAILABLE",
                    "REVISION",
                    "ERRORS",
                    "P95",
                    "STATE",
                ],
                deployments,
            ),
        )
        .table("Suggestions", suggestions_table(&report.suggestions))
        .journal(ctx.journal().entries());
    let healthy = report.findings.len() - attention.len();
    out.notes.push(format!(
        "{healthy} healthy checks not shown (`--output json` lists every finding)"
    ));
    Ok(out)
}

/// The platform's deployments in the namespace of `-n` (all its deployment names when none
/// is there), its database and cache names.
fn platform_services(g: &Global) -> (Vec<ResourceName>, String, String) {
    let p = &g.platform;
    let in_ns: Vec<ResourceName> = p
        .deployments
        .iter()
        .filter(|d| d.reference.namespace.as_str() == g.namespace)
        .map(|d| d.reference.name.clone())
        .collect();
    let services = if in_ns.is_empty() {
        p.deployments
            .iter()
            .map(|d| d.reference.name.clone())
            .collect()
    } else {
        in_ns
    };
    let database = p
        .database
        .as_ref()
        .map_or_else(|| "mcp_db".to_owned(), |d| d.name.clone());
    let cache = p
        .cache
        .as_ref()
        .map_or_else(|| "redis".to_owned(), |c| c.name.clone());
    (services, database, cache)
}

/// `ops investigate errors|latency`.
pub async fn investigate(what: Investigation, g: &Global, b: &Backends) -> Outcome {
    match what {
        Investigation::Errors => errors(g, b).await,
        Investigation::Latency => latency(g, b).await,
    }
}

async fn errors(g: &Global, b: &Backends) -> Outcome {
    let ctx = context("investigate_error_rate", "ops investigate errors", g, b)?;
    let backends = ErrorRateBackends {
        metrics: Some(&b.health),
        database: Some(&b.health),
        cache: Some(&b.health),
        maintenance: Some(b.maintenance.as_ref()),
        cluster: Some(&b.health),
        config: Some(&b.kube),
    };
    let (services, database, cache) = platform_services(g);
    let input = ErrorRateInput {
        namespace: Namespace::new(&g.namespace)?,
        services,
        database,
        cache,
        ..ErrorRateInput::runbook()
    };
    let report = investigate_error_rate(&ctx, &backends, &input).await?;
    let breach = report.services.iter().any(|s| s.breach);
    let unknown = report.services.iter().any(|s| s.error_rate.is_none());
    let config = report
        .findings
        .iter()
        .find(|f| f.check == Check::Configuration);
    let config_ok = config.is_some_and(|f| f.status == HealthStatus::Healthy);
    let status = if breach || unknown || !config_ok {
        Status::Failed
    } else {
        Status::Ok
    };
    let summary = format!(
        "error rate: {} (severity {}); configuration: {}",
        verdict(breach, unknown),
        severity(report.severity),
        config.map_or("not checked", |f| f.status.as_str())
    );
    let rows = report.services.iter().map(|s| {
        vec![
            s.service.to_string(),
            percent(s.error_rate),
            if s.breach { "FAIL" } else { "pass" }.to_owned(),
            percent(s.memory_ratio),
        ]
    });
    let suggestions: Vec<Suggestion> = report.suggestions().into_iter().cloned().collect();
    Ok(
        Report::new("investigate-errors", status, summary, to_value(&report))
            .table(
                "Services",
                table(&["SERVICE", "ERROR RATE", "VERDICT", "MEMORY"], rows),
            )
            .table("Findings", findings_table(&report.findings))
            .table("Suggestions", suggestions_table(&suggestions))
            .journal(ctx.journal().entries()),
    )
}

async fn latency(g: &Global, b: &Backends) -> Outcome {
    let ctx = context("investigate_latency", "ops investigate latency", g, b)?;
    let backends = LatencyBackends {
        metrics: Some(&b.health),
        scaler: Some(b.scaler.as_ref()),
        maintenance: Some(b.maintenance.as_ref()),
    };
    let (services, database, _) = platform_services(g);
    let input = LatencyInput {
        namespace: Namespace::new(&g.namespace)?,
        services,
        database,
        ..LatencyInput::runbook()
    };
    let report = investigate_latency(&ctx, &backends, &input).await?;
    let breach = report.services.iter().any(|s| s.breach);
    let unknown = report.services.iter().any(|s| s.p95_seconds.is_none());
    let status = if breach || unknown {
        Status::Failed
    } else {
        Status::Ok
    };
    let summary = format!(
        "p95 latency: {} (severity {})",
        verdict(breach, unknown),
        severity(report.severity)
    );
    let rows = report.services.iter().map(|s| {
        vec![
            s.service.to_string(),
            seconds(s.p95_seconds),
            if s.breach { "FAIL" } else { "pass" }.to_owned(),
            s.replicas.map(|r| r.to_string()).unwrap_or_default(),
        ]
    });
    Ok(
        Report::new("investigate-latency", status, summary, to_value(&report))
            .table(
                "Services",
                table(&["SERVICE", "P95", "VERDICT", "REPLICAS"], rows),
            )
            .table("Findings", findings_table(&report.findings))
            .table("Advice", suggestions_table(&report.advice))
            .journal(ctx.journal().entries()),
    )
}

/// One row per finding, except that checks of one system that is not configured share one
/// row (`9 checks`): the table says once what to pass; `--output json` keeps them all.
fn findings_table(findings: &[Finding]) -> comfy_table::Table {
    let mut rows: Vec<Vec<String>> = Vec::new();
    let mut unconfigured: Vec<(String, String, usize)> = Vec::new();
    for f in findings {
        if f.summary.starts_with("not configured:") {
            match unconfigured.iter_mut().find(|(s, _, _)| *s == f.summary) {
                Some((_, _, n)) => *n += 1,
                None => unconfigured.push((f.summary.clone(), f.target.clone(), 1)),
            }
            continue;
        }
        rows.push(vec![
            f.status.as_str().to_owned(),
            f.target.clone(),
            f.summary.clone(),
            f.command.clone(),
        ]);
    }
    for (summary, first, n) in unconfigured {
        let target = if n == 1 { first } else { format!("{n} checks") };
        rows.push(vec![
            HealthStatus::Unknown.as_str().to_owned(),
            target,
            summary,
            String::new(),
        ]);
    }
    table(&["STATUS", "TARGET", "SUMMARY", "COMMAND"], rows)
}

fn suggestions_table(suggestions: &[Suggestion]) -> comfy_table::Table {
    table(
        &["SUGGESTION", "COMMAND"],
        suggestions
            .iter()
            .map(|s| vec![s.to_string(), s.command().to_owned()]),
    )
}

/// `breach`, `unknown for some services` (no metric: exit 1, nothing is claimed), or
/// `within policy`.
fn verdict(breach: bool, unknown: bool) -> &'static str {
    match (breach, unknown) {
        (true, _) => "breach",
        (false, true) => "unknown for some services (no metric)",
        (false, false) => "within policy",
    }
}

fn severity(s: Option<Severity>) -> String {
    s.map_or_else(|| "none".to_owned(), |s| s.to_string())
}

fn percent(v: Option<f64>) -> String {
    v.map_or_else(|| "unknown".to_owned(), |v| format!("{:.1} %", v * 100.0))
}

fn seconds(v: Option<f64>) -> String {
    v.map_or_else(|| "unknown".to_owned(), |v| format!("{v:.2} s"))
}
