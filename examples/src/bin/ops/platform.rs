//! `--platform FILE` (`MCP_OPS_PLATFORM`): the platform `ops` works on, the runbook's
//! ([`Platform::runbook`]) without it.
//!
//! The file gives the namespaces, deployments, health endpoints, database/cache/metrics/
//! alerting URLs, notifier channels, escalation contacts and thresholds; flags and
//! environment variables still win ([`apply`] fills only what they left unset). On the
//! embedded target a platform other than the runbook's is simulated from the file
//! ([`scenario`], [`embedded`]): its namespaces, deployments and containers on the simulated
//! API server, its health endpoints, database, cache, metrics and escalation levels in the
//! in-memory stand-ins.

use std::sync::Arc;
use std::time::Duration;

use mcp_ops_alerts::config::AlertsConfig;
use mcp_ops_alerts::notify::email::{EmailConfig, SmtpSecurity};
use mcp_ops_core::backup::{BackupKind, BackupRequest};
use mcp_ops_core::health::{HttpProbe, MetricKind};
use mcp_ops_core::mock::{
    MockAlertingBuilder, MockClusterBuilder, MockDatabaseBuilder, RecordingNotifier,
};
use mcp_ops_core::platform::{Platform, SecretRef};
use mcp_ops_core::types::{Namespace, Quantity, Replicas, ResourceList, ResourceRequirements};
use mcp_ops_core::url_check::url_problem;
use mcp_ops_core::{BackupManager as _, Intent};
use mcp_ops_k8s::KubeConfig;
use mcp_ops_k8s::sim::scenario::{deployment, hpa, namespace, node, service};
use mcp_ops_k8s::sim::{Scenario, SimCluster};
use serde_json::json;

use crate::Failure;
use crate::assemble::assemble;
use crate::backends::{Backends, Cluster, Embedded};
use crate::cli::Global;
use crate::endpoints::Endpoints;

/// The platform of `--platform` / `MCP_OPS_PLATFORM`, else the runbook's. A bad file is bad
/// input naming the file, the key and (when the parser knows it) the line.
pub fn load(g: &Global) -> Result<Platform, Failure> {
    match &g.platform_file {
        None => Ok(Platform::runbook()),
        Some(path) if path.as_os_str().is_empty() => {
            Err(Failure::BadInput("--platform must not be empty".to_owned()))
        }
        Some(path) => {
            Platform::load(path).map_err(|e| Failure::BadInput(format!("--platform {e}")))
        }
    }
}

/// Whether `p` is the runbook's own platform (the embedded cluster is then the runbook's
/// full scenario, with its rollout history, CronJobs, secrets and ingress).
pub fn is_runbook(p: &Platform) -> bool {
    *p == Platform::runbook()
}

/// Fills what flags and variables left unset from the platform: the namespace (unless
/// `-n` was given), the context (with `--kubeconfig`), the database, cache, Prometheus and
/// Alertmanager URLs, and — on a real cluster — the first health endpoint; the built-in
/// default (no file) gives only the namespace. A referenced
/// variable that is unset leaves the value unset; an unreadable secret file is bad input.
/// Without `urls` (the drill, which runs in memory) only the namespace is taken.
pub fn apply(g: &mut Global, namespace_given: bool, urls: bool) -> Result<(), Failure> {
    let p = g.platform.clone();
    if !namespace_given {
        g.namespace = p.namespace().as_str().to_owned();
    }
    // The built-in default (no file) names no context, URL or health endpoint of its own:
    // without a file, a real cluster is reached and probed only as the flags say.
    if !urls || g.platform_file.is_none() {
        return Ok(());
    }
    if g.kubeconfig.is_some() && g.context.is_none() {
        g.context = p.cluster.context.clone();
    }
    let secret = |key: &str, s: Option<&SecretRef>| -> Result<Option<String>, Failure> {
        let Some(s) = s else { return Ok(None) };
        let v = s
            .resolve()
            .map_err(|e| Failure::BadInput(format!("platform {key} ({}): {e}", s.describe())))?;
        v.map(|v| {
            v.expose_str().map(str::to_owned).map_err(|_| {
                Failure::BadInput(format!("platform {key} ({}): not UTF-8", s.describe()))
            })
        })
        .transpose()
    };
    if g.database_url.is_none() {
        let r = p.database.as_ref().and_then(|d| d.url.as_ref());
        g.database_url = checked("database.url", secret("database.url", r)?, POSTGRES)?;
    }
    if g.redis_url.is_none() {
        let r = p.cache.as_ref().and_then(|d| d.url.as_ref());
        g.redis_url = checked("cache.url", secret("cache.url", r)?, REDIS)?;
    }
    let url = |key: &str, u: Option<&mcp_ops_core::platform::UrlSource>| {
        u.map(|u| u.resolve())
            .transpose()
            .map(Option::flatten)
            .map_err(|e| Failure::BadInput(format!("platform {key}: {e}")))
    };
    if g.prometheus_url.is_none() {
        let v = url("metrics.url", p.observability.metrics.as_ref())?;
        g.prometheus_url = checked("metrics.url", v, HTTP)?;
    }
    if g.alertmanager_url.is_none() {
        let v = url("alerting.url", p.observability.alerting.as_ref())?;
        g.alertmanager_url = checked("alerting.url", v, HTTP)?;
    }
    // On the embedded cluster the simulated endpoints answer; a real cluster's is probed.
    if g.kubeconfig.is_some() && g.health_url.is_none() {
        g.health_url = p
            .health_of(p.api())
            .or(p.health.first())
            .map(|h| h.url.clone());
    }
    Ok(())
}

const POSTGRES: &[&str] = &["postgres", "postgresql"];
const REDIS: &[&str] = &["redis", "rediss"];
const HTTP: &[&str] = &["http", "https"];

/// `value` when it is a URL of one of `schemes`; else bad input naming the platform key
/// (never the value, which may hold a password).
fn checked(key: &str, value: Option<String>, schemes: &[&str]) -> Result<Option<String>, Failure> {
    match value.as_deref().and_then(|v| url_problem(v, schemes)) {
        None => Ok(value),
        Some(why) => Err(Failure::BadInput(format!("platform {key}: {why}"))),
    }
}

/// Fills the notifier settings the `MCP_OPS_*` variables left unset from the platform's
/// Slack, PagerDuty and email channels.
pub fn fill_alerts(alerts: &mut AlertsConfig, p: &Platform) -> Result<(), Failure> {
    let resolve = |key: &str, s: &SecretRef| {
        s.resolve()
            .map_err(|e| Failure::BadInput(format!("platform {key} ({}): {e}", s.describe())))
    };
    if let Some(slack) = &p.notifiers.slack {
        if alerts.slack_webhook.is_none() {
            alerts.slack_webhook = resolve("notifiers.slack.webhook", &slack.webhook)?;
        }
        if alerts.slack_channel.is_none() {
            alerts.slack_channel = slack.channel.clone();
        }
    }
    if let Some(key) = &p.notifiers.pagerduty
        && alerts.pagerduty_routing_key.is_none()
    {
        alerts.pagerduty_routing_key = resolve("notifiers.pagerduty.routing_key", key)?;
    }
    if let Some(e) = &p.notifiers.email
        && alerts.email.is_none()
    {
        let security = match e.security.as_deref() {
            Some("plain") => SmtpSecurity::Plain,
            Some("tls") => SmtpSecurity::Tls,
            _ => SmtpSecurity::StartTls,
        };
        let port = e.smtp_port.unwrap_or(match security {
            SmtpSecurity::Plain => 25,
            SmtpSecurity::StartTls => 587,
            SmtpSecurity::Tls => 465,
        });
        let credentials = match (&e.user, &e.password) {
            (Some(user), Some(password)) => {
                resolve("notifiers.email.password", password)?.map(|p| (user.clone(), p))
            }
            _ => None,
        };
        alerts.email = Some(EmailConfig {
            host: e.smtp_host.clone(),
            port,
            security,
            credentials,
            from: e.from.clone(),
            to: e.to.clone(),
            timeout: Duration::from_secs(10),
        });
    }
    Ok(())
}

/// The simulated cluster of a platform: its namespaces; each deployment with its
/// containers, a Service `<name>-service` and an autoscaler; an ingress for the API's
/// health endpoint; three Ready nodes.
pub fn scenario(p: &Platform) -> Scenario {
    let mut s = Scenario::empty()
        .with_object(node("sim-node-2", "10.0.0.12"))
        .with_object(node("sim-node-3", "10.0.0.13"));
    for ns in &p.namespaces {
        s = s.with_object(namespace(ns.as_str()));
    }
    for d in &p.deployments {
        let ns = d.reference.namespace.as_str();
        let name = d.reference.name.as_str();
        let first = d.containers.first();
        let port = i64::from(first.map_or(8080, |c| c.port));
        let image = first.map(|c| c.image.to_string()).unwrap_or_default();
        let mut obj = deployment(ns, name, &image, i64::from(d.replicas), port);
        let template = obj["spec"]["template"]["spec"]["containers"][0].clone();
        let containers: Vec<_> = d
            .containers
            .iter()
            .map(|c| {
                let mut t = template.clone();
                t["name"] = json!(c.name.as_str());
                t["image"] = json!(c.image.to_string());
                t["ports"] = json!([{"containerPort": c.port, "name": "http"}]);
                t
            })
            .collect();
        obj["spec"]["template"]["spec"]["containers"] = json!(containers);
        obj["metadata"]["annotations"] =
            json!({"kubernetes.io/change-cause": format!("initial release {image}")});
        let max = i64::from(p.thresholds.max_replicas.max(d.replicas));
        s = s
            .with_object(obj)
            .with_object(service(ns, &format!("{name}-service"), name, port))
            .with_object(hpa(ns, name, i64::from(d.replicas), max));
    }
    let api = p.api();
    if let Some(h) = p.health_of(api) {
        let host = h
            .url
            .split_once("://")
            .map(|(_, rest)| rest.split(['/', ':', '?']).next().unwrap_or(""))
            .unwrap_or("");
        let port = api.containers.first().map_or(8080, |c| c.port);
        s = s.with_object(json!({"apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
            "metadata": {"name": format!("{}-ingress", api.reference.name), "namespace": api.reference.namespace.as_str()},
            "spec": {"ingressClassName": "nginx", "rules": [{"host": host, "http": {"paths": [{"path": "/", "pathType": "Prefix",
                "backend": {"service": {"name": format!("{}-service", api.reference.name), "port": {"number": port}}}}]}}]},
            "status": {"loadBalancer": {"ingress": [{"hostname": "sim-lb.local"}]}}}));
    }
    s
}

/// The in-memory systems of a platform: its deployments and health endpoints (each
/// answering 200 while its deployment is ready), node group, database with last night's
/// backup, cache, healthy metrics for every deployment and its escalation levels.
pub async fn embedded(p: &Platform) -> mcp_ops_core::Result<Embedded> {
    let resources = ResourceRequirements::new(
        ResourceList::new(Quantity::parse("250m")?, Quantity::parse("256Mi")?),
        ResourceList::new(Quantity::parse("1")?, Quantity::parse("1Gi")?),
    )?;
    let mut cb = MockClusterBuilder::new();
    for d in &p.deployments {
        if let Some(c) = d.containers.first() {
            cb = cb.deployment(
                d.reference.clone(),
                c.name.clone(),
                c.image.clone(),
                Replicas::new(d.replicas)?,
                resources.clone(),
            );
        }
    }
    for n in ["worker-1", "worker-2", "worker-3"] {
        cb = cb.node(n, Quantity::parse("4")?, Quantity::parse("16Gi")?)?;
    }
    if let Some((cluster, name)) = &p.cluster.node_group {
        cb = cb.node_group(cluster, name, 3, 1, 10);
    }
    let cluster = cb.build();
    for h in &p.health {
        let backed_by = h.served_by.first().and_then(|n| {
            p.deployments
                .iter()
                .find(|d| &d.reference.name == n)
                .map(|d| d.reference.clone())
        });
        cluster.set_endpoint(&h.url, 200, Duration::from_millis(20), backed_by);
    }
    let db_name = p.database.as_ref().map_or("mcp_db", |d| d.name.as_str());
    let cache_name = p.cache.as_ref().map_or("redis", |d| d.name.as_str());
    let database = MockDatabaseBuilder::new()
        .database(db_name)
        .cache(cache_name)
        .cronjob(p.namespace().as_str(), &format!("{db_name}-backup"))
        .build();
    let nightly = BackupRequest {
        kind: BackupKind::Database {
            database: db_name.to_owned(),
        },
        label: Some("nightly".to_owned()),
    };
    database
        .backup(&nightly, &Intent::new("nightly backup", "cron")?)
        .await?;
    let slack = Arc::new(RecordingNotifier::slack());
    let mut ab = MockAlertingBuilder::new()
        .policy(p.escalation.clone())
        .notifier(slack.clone());
    let healthy_errors = (p.thresholds.error_rate_p1 / 5.0).min(0.01);
    for d in &p.deployments {
        let service = d.reference.name.as_str();
        ab = ab
            .metric(service, MetricKind::ErrorRate, healthy_errors)
            .metric(service, MetricKind::P95Latency, 0.35)
            .metric(service, MetricKind::MemoryRatio, 0.55);
    }
    Ok(Embedded {
        cluster,
        database,
        alerting: ab.build(),
        slack,
    })
}

/// The embedded simulated cluster of `p` (see [`scenario`] and [`embedded`]).
async fn simulated_cluster(p: &Platform, ns: &str) -> Result<Cluster, Failure> {
    let sim = SimCluster::start(scenario(p))
        .await
        .map_err(|e| Failure::Failed(format!("cannot start the simulated cluster: {e}")))?;
    let kube = KubeConfig::new()
        .with_kubeconfig_path(sim.kubeconfig_path())
        .with_namespace(ns)
        .build()
        .await
        .map_err(|e| Failure::Failed(format!("cannot reach the simulated cluster: {e}")))?;
    let embedded = embedded(p).await?;
    Ok(Cluster {
        kube,
        namespace: Namespace::new(ns)?,
        embedded: Some(embedded),
        banner: format!(
            "ops: embedded simulated cluster of platform {} ({}) at {}",
            p.name,
            p.environment,
            sim.url()
        ),
        sim: Some(Arc::new(sim)),
        target: "embedded",
    })
}

/// The API's health probe of `p` (the smoke test after deploys), when it has one.
fn api_probe(p: &Platform) -> Option<HttpProbe> {
    p.health_of(p.api())
        .or(p.health.first())
        .map(|h| HttpProbe::new(h.name.clone(), h.url.clone()))
}

/// The embedded target of a platform other than the runbook's; the rest as `endpoints` say.
pub async fn simulated(p: &Platform, ns: &str, endpoints: &Endpoints) -> Result<Backends, Failure> {
    let cluster = simulated_cluster(p, ns).await?;
    let mut b = assemble(cluster, Some(endpoints))?;
    if endpoints.health_url.is_none()
        && let Some(probe) = api_probe(p)
    {
        b.health_probe = probe;
    }
    Ok(b)
}

/// The drill's target for a platform other than the runbook's: everything in memory.
pub async fn drill(p: &Platform, ns: &str) -> Result<Backends, Failure> {
    let cluster = simulated_cluster(p, ns).await?;
    let alerting = cluster
        .embedded
        .as_ref()
        .map(|e| e.alerting.clone())
        .ok_or_else(|| Failure::Failed("the drill needs the embedded systems".to_owned()))?;
    let mut b = assemble(cluster, None)?;
    b.core.escalator = Arc::new(alerting);
    if let Some(probe) = api_probe(p) {
        b.health_probe = probe;
    }
    Ok(b)
}
