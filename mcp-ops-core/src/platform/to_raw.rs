//! A [`Platform`] back to the file's shape, for [`Platform::to_toml_string`].

use super::Platform;
use super::model::{DataStore, minutes};
use super::raw::{
    RawCluster, RawContainer, RawDeployment, RawEmail, RawHealth, RawLevel, RawMeta, RawNodeGroup,
    RawNotifiers, RawPagerDuty, RawPlatform, RawSlack, RawStore, RawThresholds, RawUrl,
};

/// Every value written out, thresholds included, so the text says what is in force.
pub(crate) fn to_raw(p: &Platform) -> RawPlatform {
    let store = |s: &DataStore| RawStore {
        name: s.name.clone(),
        url: s.url.as_ref().map(|u| u.to_value()),
    };
    let t = &p.thresholds;
    let ms = |d: std::time::Duration| u64::try_from(d.as_millis()).unwrap_or(u64::MAX);
    RawPlatform {
        platform: RawMeta {
            name: p.name.clone(),
            environment: p.environment.clone(),
        },
        namespaces: p.namespaces.iter().map(|n| n.as_str().to_owned()).collect(),
        cluster: RawCluster {
            context: p.cluster.context.clone(),
            node_group: p
                .cluster
                .node_group
                .as_ref()
                .map(|(cluster, name)| RawNodeGroup {
                    cluster: cluster.clone(),
                    name: name.clone(),
                }),
        },
        deployments: p
            .deployments
            .iter()
            .map(|d| RawDeployment {
                name: d.reference.name.as_str().to_owned(),
                namespace: (&d.reference.namespace != p.namespace())
                    .then(|| d.reference.namespace.as_str().to_owned()),
                role: d.role,
                replicas: d.replicas,
                containers: d
                    .containers
                    .iter()
                    .map(|c| RawContainer {
                        name: c.name.as_str().to_owned(),
                        image: c.image.to_string(),
                        port: c.port,
                    })
                    .collect(),
            })
            .collect(),
        health: p
            .health
            .iter()
            .map(|h| RawHealth {
                name: h.name.clone(),
                url: toml::Value::String(h.url.clone()),
                served_by: h.served_by.iter().map(|s| s.as_str().to_owned()).collect(),
            })
            .collect(),
        database: p.database.as_ref().map(store),
        cache: p.cache.as_ref().map(store),
        metrics: p
            .observability
            .metrics
            .as_ref()
            .map(|u| RawUrl { url: u.to_value() }),
        alerting: p
            .observability
            .alerting
            .as_ref()
            .map(|u| RawUrl { url: u.to_value() }),
        notifiers: RawNotifiers {
            slack: p.notifiers.slack.as_ref().map(|s| RawSlack {
                channel: s.channel.clone(),
                webhook: s.webhook.to_value(),
            }),
            pagerduty: p.notifiers.pagerduty.as_ref().map(|k| RawPagerDuty {
                routing_key: k.to_value(),
            }),
            email: p.notifiers.email.as_ref().map(|e| RawEmail {
                smtp_host: e.smtp_host.clone(),
                smtp_port: e.smtp_port,
                security: e.security.clone(),
                user: e.user.clone(),
                password: e.password.as_ref().map(|s| s.to_value()),
                from: e.from.clone(),
                to: e.to.clone(),
            }),
        },
        escalation: p
            .escalation
            .levels()
            .iter()
            .map(|l| RawLevel {
                level: l.level,
                after_minutes: minutes(l.after),
                contacts: l.targets.clone(),
            })
            .collect(),
        thresholds: RawThresholds {
            error_rate_p1: Some(t.error_rate_p1),
            error_rate_window_seconds: Some(t.error_rate_window.as_secs()),
            p95_latency_p2_ms: Some(ms(t.p95_latency_p2)),
            rollback_error_rate: Some(t.rollback_error_rate),
            rollback_p95_latency_ms: Some(ms(t.rollback_p95_latency)),
            memory_ratio_warning: Some(t.memory_ratio_warning),
            long_running_query_seconds: Some(t.long_running_query.as_secs()),
            max_replicas: Some(t.max_replicas),
        },
        team: super::team::team_to_raw(&p.team),
        changes: Some(super::team::changes_to_raw(&p.changes)),
        mcp: Some(super::agents::agents_to_raw(&p.agents)),
    }
}
