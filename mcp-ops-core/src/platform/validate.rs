//! From the file's shape ([`RawPlatform`]) to a checked [`Platform`]: every error names its
//! key path.

use std::collections::BTreeSet;
use std::time::Duration;

use super::Platform;
use super::error::{PlatformError, PlatformResult, field, from_core, item};
use super::model::{
    ClusterInfo, Container, DataStore, Deployment, EmailChannel, HealthEndpoint, Notifiers,
    Observability, SlackChannel,
};
use super::raw::{RawDeployment, RawEmail, RawLevel, RawPlatform, RawStore, RawThresholds};
use super::secret_ref::{SecretRef, UrlSource, has_userinfo};
use crate::escalation::{EscalationLevel, EscalationPolicy};
use crate::policy::Policy;
use crate::types::{ContainerName, DeploymentRef, ImageRef, Namespace, ResourceName};
use crate::url_check::url_problem;

/// Longest free-text value (names, contacts, addresses).
const TEXT_MAX: usize = 200;

/// Checks `raw` and converts it.
pub(crate) fn validate(raw: RawPlatform) -> PlatformResult<Platform> {
    let name = text("platform.name", &raw.platform.name)?;
    let environment = text("platform.environment", &raw.platform.environment)?;
    let namespaces = namespaces(&raw.namespaces)?;
    let cluster = ClusterInfo {
        context: raw
            .cluster
            .context
            .as_deref()
            .map(|c| text("cluster.context", c))
            .transpose()?,
        node_group: raw
            .cluster
            .node_group
            .as_ref()
            .map(|g| {
                Ok::<_, PlatformError>((
                    text("cluster.node_group.cluster", &g.cluster)?,
                    text("cluster.node_group.name", &g.name)?,
                ))
            })
            .transpose()?,
    };
    let thresholds = thresholds(&raw.thresholds)?;
    let deployments = deployments(&raw.deployments, &namespaces, &thresholds)?;
    let mut health = Vec::with_capacity(raw.health.len());
    let mut health_names = BTreeSet::new();
    for (i, h) in raw.health.iter().enumerate() {
        let key = item("health", i);
        let name = text(&field(&key, "name"), &h.name)?;
        if !health_names.insert(name.clone()) {
            return Err(PlatformError::at(field(&key, "name"), "is given twice"));
        }
        let url = match &h.url {
            toml::Value::String(u) => plain_url(&field(&key, "url"), u)?,
            _ => {
                return Err(PlatformError::at(
                    field(&key, "url"),
                    "must be a URL string",
                ));
            }
        };
        let mut served_by = Vec::new();
        for (j, s) in h.served_by.iter().enumerate() {
            let k = item(&field(&key, "served_by"), j);
            let n = ResourceName::new(s).map_err(|e| from_core(&k, e))?;
            if !deployments.iter().any(|d| d.reference.name == n) {
                return Err(PlatformError::at(k, "names no deployment of this platform"));
            }
            served_by.push(n);
        }
        health.push(HealthEndpoint {
            name,
            url,
            served_by,
        });
    }
    let observability = Observability {
        metrics: raw
            .metrics
            .as_ref()
            .map(|m| UrlSource::parse("metrics.url", &m.url))
            .transpose()?,
        alerting: raw
            .alerting
            .as_ref()
            .map(|m| UrlSource::parse("alerting.url", &m.url))
            .transpose()?,
    };
    let n = &raw.notifiers;
    let notifiers = Notifiers {
        slack: n
            .slack
            .as_ref()
            .map(|s| {
                Ok::<_, PlatformError>(SlackChannel {
                    channel: s
                        .channel
                        .as_deref()
                        .map(|c| text("notifiers.slack.channel", c))
                        .transpose()?,
                    webhook: SecretRef::parse("notifiers.slack.webhook", &s.webhook)?,
                })
            })
            .transpose()?,
        pagerduty: n
            .pagerduty
            .as_ref()
            .map(|p| SecretRef::parse("notifiers.pagerduty.routing_key", &p.routing_key))
            .transpose()?,
        email: n.email.as_ref().map(email).transpose()?,
    };
    let names: Vec<crate::types::ResourceName> = deployments
        .iter()
        .map(|d| d.reference.name.clone())
        .collect();
    let agents = super::agents::agents(raw.mcp.as_ref(), &namespaces, &names)?;
    Ok(Platform {
        name,
        environment,
        cluster,
        namespaces,
        deployments,
        health,
        database: raw
            .database
            .as_ref()
            .map(|s| store("database", s))
            .transpose()?,
        cache: raw.cache.as_ref().map(|s| store("cache", s)).transpose()?,
        observability,
        notifiers,
        escalation: escalation(&raw.escalation)?,
        thresholds,
        team: super::team::team(&raw.team)?,
        changes: super::team::changes(raw.changes.as_ref())?,
        agents,
    })
}

/// Printable text of 1..=200 characters.
fn text(key: &str, s: &str) -> PlatformResult<String> {
    if s.trim().is_empty() {
        return Err(PlatformError::at(key, "must not be empty"));
    }
    if s.chars().any(char::is_control) {
        return Err(PlatformError::at(key, "must not hold control characters"));
    }
    if s.chars().count() > TEXT_MAX {
        return Err(PlatformError::at(
            key,
            format!("is longer than {TEXT_MAX} characters"),
        ));
    }
    Ok(s.to_owned())
}

fn namespaces(raw: &[String]) -> PlatformResult<Vec<Namespace>> {
    if raw.is_empty() {
        return Err(PlatformError::at("namespaces", "at least one is needed"));
    }
    let mut out: Vec<Namespace> = Vec::with_capacity(raw.len());
    for (i, n) in raw.iter().enumerate() {
        let key = item("namespaces", i);
        let ns = Namespace::new(n).map_err(|e| from_core(&key, e))?;
        if out.contains(&ns) {
            return Err(PlatformError::at(key, "is given twice"));
        }
        out.push(ns);
    }
    Ok(out)
}

fn deployments(
    raw: &[RawDeployment],
    namespaces: &[Namespace],
    policy: &Policy,
) -> PlatformResult<Vec<Deployment>> {
    if raw.is_empty() {
        return Err(PlatformError::at("deployments", "at least one is needed"));
    }
    let mut out: Vec<Deployment> = Vec::with_capacity(raw.len());
    for (i, d) in raw.iter().enumerate() {
        let key = item("deployments", i);
        let name = ResourceName::new(&d.name).map_err(|e| from_core(&field(&key, "name"), e))?;
        let namespace = match &d.namespace {
            None => namespaces[0].clone(),
            Some(n) => {
                let k = field(&key, "namespace");
                let ns = Namespace::new(n).map_err(|e| from_core(&k, e))?;
                if !namespaces.contains(&ns) {
                    return Err(PlatformError::at(k, "is not one of `namespaces`"));
                }
                ns
            }
        };
        let reference = DeploymentRef { namespace, name };
        if out.iter().any(|o| o.reference == reference) {
            return Err(PlatformError::at(
                field(&key, "name"),
                format!("{reference} is given twice"),
            ));
        }
        if d.replicas == 0 || d.replicas > policy.max_replicas {
            return Err(PlatformError::at(
                field(&key, "replicas"),
                format!(
                    "must be in 1..={} (thresholds.max_replicas)",
                    policy.max_replicas
                ),
            ));
        }
        if d.containers.is_empty() {
            return Err(PlatformError::at(
                field(&key, "containers"),
                "at least one is needed",
            ));
        }
        let mut containers: Vec<Container> = Vec::with_capacity(d.containers.len());
        for (j, c) in d.containers.iter().enumerate() {
            let ck = item(&field(&key, "containers"), j);
            let name =
                ContainerName::new(&c.name).map_err(|e| from_core(&field(&ck, "name"), e))?;
            if containers.iter().any(|o| o.name == name) {
                return Err(PlatformError::at(field(&ck, "name"), "is given twice"));
            }
            let image =
                ImageRef::parse(&c.image).map_err(|e| from_core(&field(&ck, "image"), e))?;
            if c.port == 0 {
                return Err(PlatformError::at(
                    field(&ck, "port"),
                    "must be in 1..=65535",
                ));
            }
            containers.push(Container {
                name,
                image,
                port: c.port,
            });
        }
        out.push(Deployment {
            reference,
            role: d.role,
            replicas: d.replicas,
            containers,
        });
    }
    Ok(out)
}

/// An http(s) URL without credentials.
fn plain_url(key: &str, u: &str) -> PlatformResult<String> {
    if let Some(why) = url_problem(u, &["http", "https"]) {
        return Err(PlatformError::at(key, why));
    }
    if has_userinfo(u) {
        return Err(PlatformError::at(
            key,
            "holds a user or password: inline secrets are refused",
        ));
    }
    Ok(u.to_owned())
}

fn store(key: &str, s: &RawStore) -> PlatformResult<DataStore> {
    Ok(DataStore {
        name: text(&field(key, "name"), &s.name)?,
        url: s
            .url
            .as_ref()
            .map(|u| SecretRef::parse(&field(key, "url"), u))
            .transpose()?,
    })
}

fn email(e: &RawEmail) -> PlatformResult<EmailChannel> {
    let key = "notifiers.email";
    let address = |k: &str, a: &str| {
        let a = text(k, a)?;
        if a.contains('@') && !a.contains(char::is_whitespace) {
            Ok(a)
        } else {
            Err(PlatformError::at(k, "must be an email address"))
        }
    };
    if let Some(s) = &e.security
        && !matches!(s.as_str(), "plain" | "starttls" | "tls")
    {
        return Err(PlatformError::at(
            field(key, "security"),
            "must be plain, starttls or tls",
        ));
    }
    if e.smtp_port == Some(0) {
        return Err(PlatformError::at(
            field(key, "smtp_port"),
            "must be in 1..=65535",
        ));
    }
    if e.to.is_empty() {
        return Err(PlatformError::at(
            field(key, "to"),
            "at least one is needed",
        ));
    }
    let to =
        e.to.iter()
            .enumerate()
            .map(|(i, a)| address(&item(&field(key, "to"), i), a))
            .collect::<PlatformResult<Vec<_>>>()?;
    let password = e
        .password
        .as_ref()
        .map(|p| SecretRef::parse(&field(key, "password"), p))
        .transpose()?;
    if e.user.is_some() != password.is_some() {
        return Err(PlatformError::at(
            field(key, "user"),
            "user and password go together",
        ));
    }
    Ok(EmailChannel {
        smtp_host: text(&field(key, "smtp_host"), &e.smtp_host)?,
        smtp_port: e.smtp_port,
        security: e.security.clone(),
        user: e
            .user
            .as_deref()
            .map(|u| text(&field(key, "user"), u))
            .transpose()?,
        password,
        from: address(&field(key, "from"), &e.from)?,
        to,
    })
}

fn escalation(raw: &[RawLevel]) -> PlatformResult<EscalationPolicy> {
    if raw.is_empty() {
        return Ok(EscalationPolicy::default());
    }
    let mut levels = Vec::with_capacity(raw.len());
    let mut last = 0;
    for (i, l) in raw.iter().enumerate() {
        let key = item("escalation", i);
        if usize::from(l.level) != i + 1 {
            return Err(PlatformError::at(
                field(&key, "level"),
                format!("must be {} (levels are numbered 1, 2, 3 … in order)", i + 1),
            ));
        }
        if l.after_minutes < last {
            return Err(PlatformError::at(
                field(&key, "after_minutes"),
                format!("must not be below the previous level's {last}"),
            ));
        }
        last = l.after_minutes;
        if l.contacts.is_empty() {
            return Err(PlatformError::at(
                field(&key, "contacts"),
                "at least one is needed",
            ));
        }
        let targets = l
            .contacts
            .iter()
            .enumerate()
            .map(|(j, c)| text(&item(&field(&key, "contacts"), j), c))
            .collect::<PlatformResult<Vec<_>>>()?;
        levels.push(EscalationLevel {
            level: l.level,
            after: Duration::from_secs(l.after_minutes.saturating_mul(60)),
            targets,
        });
    }
    EscalationPolicy::new(levels).map_err(|e| from_core("escalation", e))
}

fn thresholds(t: &RawThresholds) -> PlatformResult<Policy> {
    let d = Policy::default();
    let secs = Duration::from_secs;
    let ms = Duration::from_millis;
    let policy = Policy {
        error_rate_p1: t.error_rate_p1.unwrap_or(d.error_rate_p1),
        error_rate_window: t
            .error_rate_window_seconds
            .map_or(d.error_rate_window, secs),
        p95_latency_p2: t.p95_latency_p2_ms.map_or(d.p95_latency_p2, ms),
        rollback_error_rate: t.rollback_error_rate.unwrap_or(d.rollback_error_rate),
        rollback_p95_latency: t.rollback_p95_latency_ms.map_or(d.rollback_p95_latency, ms),
        memory_ratio_warning: t.memory_ratio_warning.unwrap_or(d.memory_ratio_warning),
        long_running_query: t
            .long_running_query_seconds
            .map_or(d.long_running_query, secs),
        max_replicas: t.max_replicas.unwrap_or(d.max_replicas),
    };
    policy.validate().map_err(|e| {
        let (key, reason) = match e {
            crate::Error::InvalidInput { field, reason } => (field, reason),
            other => ("", other.to_string()),
        };
        let key = match key {
            "error_rate_window" => "error_rate_window_seconds",
            "p95_latency_p2" => "p95_latency_p2_ms",
            "rollback_p95_latency" => "rollback_p95_latency_ms",
            "long_running_query" => "long_running_query_seconds",
            other => other,
        };
        PlatformError::at(field("thresholds", key), reason)
    })?;
    Ok(policy)
}
