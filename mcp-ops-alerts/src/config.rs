//! Building the alerting backends from configuration (environment variables or any lookup).
//!
//! | variable | meaning |
//! |---|---|
//! | `MCP_OPS_PROMETHEUS_URL` | Prometheus base URL |
//! | `MCP_OPS_ALERTMANAGER_URL` | Alertmanager base URL |
//! | `MCP_OPS_SLACK_WEBHOOK_URL` | Slack incoming webhook (secret) |
//! | `MCP_OPS_SLACK_CHANNEL` | channel named in Slack payloads (`#mcp-production-alerts`) |
//! | `MCP_OPS_PAGERDUTY_ROUTING_KEY` | PagerDuty Events v2 routing key (secret) |
//! | `MCP_OPS_SMTP_HOST`, `MCP_OPS_SMTP_PORT` | SMTP relay (port defaults by security) |
//! | `MCP_OPS_SMTP_SECURITY` | `plain`, `starttls` (default) or `tls` |
//! | `MCP_OPS_SMTP_USER`, `MCP_OPS_SMTP_PASSWORD` | SMTP credentials (password is secret) |
//! | `MCP_OPS_EMAIL_FROM`, `MCP_OPS_EMAIL_TO` | sender; comma-separated recipients |
//!
//! Errors name the variable, never a secret's value.

use std::sync::Arc;
use std::time::Duration;

use mcp_ops_core::{Notifier, SecretValue};

use crate::alertmanager::AlertmanagerClient;
use crate::error::{AlertsError, Result};
use crate::notify::{EmailConfig, EmailNotifier, PagerDutyNotifier, SlackNotifier, SmtpSecurity};
use crate::prometheus::PrometheusClient;

/// What is configured; every backend is optional.
#[derive(Debug, Clone, Default)]
pub struct AlertsConfig {
    /// Prometheus base URL.
    pub prometheus_url: Option<String>,
    /// Alertmanager base URL.
    pub alertmanager_url: Option<String>,
    /// Slack webhook.
    pub slack_webhook: Option<SecretValue>,
    /// Slack channel.
    pub slack_channel: Option<String>,
    /// PagerDuty routing key.
    pub pagerduty_routing_key: Option<SecretValue>,
    /// SMTP settings, when an SMTP host is set.
    pub email: Option<EmailConfig>,
}

impl AlertsConfig {
    /// Reads the `MCP_OPS_*` environment variables.
    ///
    /// # Errors
    /// As [`AlertsConfig::from_lookup`].
    pub fn from_env() -> Result<Self> {
        Self::from_lookup(|k| std::env::var(k).ok())
    }

    /// Reads the variables through `get` (a map in tests, a secrets manager in tools).
    ///
    /// ```
    /// use std::collections::HashMap;
    /// use mcp_ops_alerts::config::AlertsConfig;
    ///
    /// let vars = HashMap::from([
    ///     ("MCP_OPS_PROMETHEUS_URL", "http://127.0.0.1:9090"),
    ///     ("MCP_OPS_SLACK_WEBHOOK_URL", "https://hooks.slack.com/services/T0/B0/x"),
    /// ]);
    /// let config = AlertsConfig::from_lookup(|k| vars.get(k).map(|v| v.to_string()))?;
    /// assert!(config.prometheus()?.is_some());
    /// assert!(config.alertmanager()?.is_none());
    /// let channels: Vec<_> = config.notifiers()?.iter().map(|n| n.channel()).collect();
    /// assert_eq!(channels, ["slack"]);
    /// # Ok::<(), mcp_ops_alerts::AlertsError>(())
    /// ```
    ///
    /// # Errors
    /// [`AlertsError::InvalidInput`] naming the variable that is malformed or missing
    /// (email needs `MCP_OPS_EMAIL_FROM` and `MCP_OPS_EMAIL_TO` once `MCP_OPS_SMTP_HOST` is set).
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Self> {
        let var = |k: &str| {
            get(k)
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
        };
        let secret = |k: &str| {
            get(k)
                .filter(|v| !v.trim().is_empty())
                .map(SecretValue::from_str_value)
        };
        let email = match var("MCP_OPS_SMTP_HOST") {
            None => None,
            Some(host) => {
                let security = match var("MCP_OPS_SMTP_SECURITY").as_deref() {
                    None | Some("starttls") => SmtpSecurity::StartTls,
                    Some("tls") => SmtpSecurity::Tls,
                    Some("plain") => SmtpSecurity::Plain,
                    Some(_) => {
                        return Err(bad(
                            "MCP_OPS_SMTP_SECURITY",
                            "must be plain, starttls or tls",
                        ));
                    }
                };
                let port = match var("MCP_OPS_SMTP_PORT") {
                    Some(p) => p
                        .parse()
                        .map_err(|_| bad("MCP_OPS_SMTP_PORT", "must be a port number"))?,
                    None => match security {
                        SmtpSecurity::Plain => 25,
                        SmtpSecurity::StartTls => 587,
                        SmtpSecurity::Tls => 465,
                    },
                };
                let from = var("MCP_OPS_EMAIL_FROM").ok_or_else(|| {
                    bad("MCP_OPS_EMAIL_FROM", "is required with MCP_OPS_SMTP_HOST")
                })?;
                let to: Vec<String> = var("MCP_OPS_EMAIL_TO")
                    .map(|t| {
                        t.split(',')
                            .map(|s| s.trim().to_owned())
                            .filter(|s| !s.is_empty())
                            .collect()
                    })
                    .unwrap_or_default();
                if to.is_empty() {
                    return Err(bad(
                        "MCP_OPS_EMAIL_TO",
                        "is required with MCP_OPS_SMTP_HOST",
                    ));
                }
                let credentials = match (var("MCP_OPS_SMTP_USER"), secret("MCP_OPS_SMTP_PASSWORD"))
                {
                    (Some(u), Some(p)) => Some((u, p)),
                    (None, None) => None,
                    _ => {
                        return Err(bad(
                            "MCP_OPS_SMTP_USER",
                            "and MCP_OPS_SMTP_PASSWORD go together",
                        ));
                    }
                };
                Some(EmailConfig {
                    host,
                    port,
                    security,
                    credentials,
                    from,
                    to,
                    timeout: Duration::from_secs(10),
                })
            }
        };
        Ok(Self {
            prometheus_url: var("MCP_OPS_PROMETHEUS_URL"),
            alertmanager_url: var("MCP_OPS_ALERTMANAGER_URL"),
            slack_webhook: secret("MCP_OPS_SLACK_WEBHOOK_URL"),
            slack_channel: var("MCP_OPS_SLACK_CHANNEL"),
            pagerduty_routing_key: secret("MCP_OPS_PAGERDUTY_ROUTING_KEY"),
            email,
        })
    }

    /// The Prometheus client, if configured.
    ///
    /// # Errors
    /// [`AlertsError::InvalidInput`] for a malformed URL.
    pub fn prometheus(&self) -> Result<Option<PrometheusClient>> {
        self.prometheus_url
            .as_deref()
            .map(PrometheusClient::new)
            .transpose()
    }

    /// The Alertmanager client, if configured.
    ///
    /// # Errors
    /// [`AlertsError::InvalidInput`] for a malformed URL.
    pub fn alertmanager(&self) -> Result<Option<AlertmanagerClient>> {
        self.alertmanager_url
            .as_deref()
            .map(AlertmanagerClient::new)
            .transpose()
    }

    /// The configured notifiers: Slack, PagerDuty, email (in that order).
    ///
    /// # Errors
    /// [`AlertsError::InvalidInput`] from the notifiers' constructors.
    pub fn notifiers(&self) -> Result<Vec<Arc<dyn Notifier>>> {
        let mut out: Vec<Arc<dyn Notifier>> = Vec::new();
        if let Some(hook) = &self.slack_webhook {
            let mut s = SlackNotifier::new(hook.clone())?;
            if let Some(ch) = &self.slack_channel {
                s = s.with_channel(ch.clone());
            }
            out.push(Arc::new(s));
        }
        if let Some(key) = &self.pagerduty_routing_key {
            out.push(Arc::new(PagerDutyNotifier::new(key.clone())?));
        }
        if let Some(email) = &self.email {
            out.push(Arc::new(EmailNotifier::new(email.clone())?));
        }
        Ok(out)
    }
}

fn bad(var: &str, why: &str) -> AlertsError {
    AlertsError::InvalidInput(format!("{var} {why}"))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use std::collections::HashMap;

    use super::*;

    fn lookup(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let m: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| ((*k).into(), (*v).into()))
            .collect();
        move |k| m.get(k).cloned()
    }

    #[test]
    fn builds_everything_that_is_configured() {
        let c = AlertsConfig::from_lookup(lookup(&[
            ("MCP_OPS_PROMETHEUS_URL", "http://prometheus:9090"),
            (
                "MCP_OPS_SLACK_WEBHOOK_URL",
                "https://hooks.example/T/B/SECRETTOKEN",
            ),
            ("MCP_OPS_PAGERDUTY_ROUTING_KEY", "R0UTINGKEY"),
            ("MCP_OPS_SMTP_HOST", "smtp.company.com"),
            ("MCP_OPS_SMTP_USER", "ops"),
            ("MCP_OPS_SMTP_PASSWORD", "hunter22"),
            ("MCP_OPS_EMAIL_FROM", "ops@company.com"),
            (
                "MCP_OPS_EMAIL_TO",
                "mcp-alerts@company.com, devops@company.com",
            ),
        ]))
        .unwrap();
        assert!(c.prometheus().unwrap().is_some());
        assert!(c.alertmanager().unwrap().is_none());
        let email = c.email.as_ref().unwrap();
        assert_eq!((email.port, email.security), (587, SmtpSecurity::StartTls));
        assert_eq!(email.to.len(), 2);
        let channels: Vec<&str> = c.notifiers().unwrap().iter().map(|n| n.channel()).collect();
        assert_eq!(channels, ["slack", "pagerduty", "email"]);
        let debug = format!("{c:?}");
        for secret in ["SECRETTOKEN", "R0UTINGKEY", "hunter22"] {
            assert!(!debug.contains(secret), "{debug}");
        }
    }

    #[test]
    fn errors_name_the_variable_not_the_value() {
        let e = AlertsConfig::from_lookup(lookup(&[
            ("MCP_OPS_SMTP_HOST", "smtp"),
            ("MCP_OPS_SMTP_PASSWORD", "hunter22"),
            ("MCP_OPS_EMAIL_FROM", "ops@company.com"),
            ("MCP_OPS_EMAIL_TO", "a@company.com"),
        ]))
        .unwrap_err();
        assert!(e.to_string().contains("MCP_OPS_SMTP_USER"));
        assert!(!e.to_string().contains("hunter22"));
        let e = AlertsConfig::from_lookup(lookup(&[("MCP_OPS_SMTP_HOST", "smtp")])).unwrap_err();
        assert!(e.to_string().contains("MCP_OPS_EMAIL_FROM"));
        assert!(
            AlertsConfig::from_lookup(lookup(&[]))
                .unwrap()
                .notifiers()
                .unwrap()
                .is_empty()
        );
    }
}
