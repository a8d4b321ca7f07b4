//! The alerting parts of a [`Backends`] bundle from optional URLs: metric checks on
//! Prometheus, alerts and silences on Alertmanager, incidents run by an
//! [`EscalationEngine`] that notifies the configured channels. What is not given stays
//! [`NotConfigured`] (its hint names the flag and variable to set).

use std::sync::Arc;

use mcp_ops_core::backends::{EscalatorRouter, NotConfigured};
use mcp_ops_core::{Backends, Escalator, Notifier, SharedClock, SystemClock};

use crate::Result;
use crate::alertmanager::AlertmanagerClient;
use crate::config::AlertsConfig;
use crate::escalation::{EscalationEngine, EscalationStore, InMemoryStore};
use crate::health::PrometheusHealth;
use crate::prometheus::PrometheusClient;

/// Prometheus, Alertmanager, notifiers and an incident store, each optional, ready to fill
/// a [`Backends`].
///
/// ```
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use mcp_ops_core::Backends;
/// use mcp_ops_alerts::AlertsBackends;
///
/// let alerts = AlertsBackends::from_urls(Some("http://127.0.0.1:9090"), None)?;
/// let backends = alerts.install(Backends::new());
/// assert_eq!(backends.health.metrics.backend(), "prometheus");
/// // Incidents run in memory; alerts and silences say Alertmanager is not configured.
/// assert_eq!(backends.escalator.backend(), "mcp-ops-alerts");
///
/// // A malformed URL is refused without being repeated.
/// assert!(AlertsBackends::from_urls(Some("ftp://metrics"), None).is_err());
/// # Ok(()) }
/// ```
#[derive(Clone, Default)]
pub struct AlertsBackends {
    prometheus: Option<PrometheusClient>,
    alertmanager: Option<AlertmanagerClient>,
    notifiers: Vec<Arc<dyn Notifier>>,
    store: Option<Arc<dyn EscalationStore>>,
    clock: Option<SharedClock>,
}

impl std::fmt::Debug for AlertsBackends {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AlertsBackends")
            .field("prometheus", &self.prometheus.is_some())
            .field("alertmanager", &self.alertmanager.is_some())
            .field(
                "notifiers",
                &self
                    .notifiers
                    .iter()
                    .map(|n| n.channel())
                    .collect::<Vec<_>>(),
            )
            .field("store", &self.store.is_some())
            .finish_non_exhaustive()
    }
}

impl AlertsBackends {
    /// Nothing configured: metrics and alerts [`NotConfigured`], incidents in memory, no
    /// notifier, the system clock.
    pub fn new() -> Self {
        Self::default()
    }

    /// Prometheus and Alertmanager at these base URLs, when given.
    ///
    /// # Errors
    /// [`crate::AlertsError::InvalidInput`] when a URL does not parse or is not http(s).
    pub fn from_urls(prometheus: Option<&str>, alertmanager: Option<&str>) -> Result<Self> {
        Ok(Self {
            prometheus: prometheus.map(PrometheusClient::new).transpose()?,
            alertmanager: alertmanager.map(AlertmanagerClient::new).transpose()?,
            ..Self::default()
        })
    }

    /// Everything an [`AlertsConfig`] names: both URLs and the Slack, PagerDuty and email
    /// notifiers (`AlertsConfig::from_env` reads the `MCP_OPS_*` variables).
    ///
    /// # Errors
    /// As [`AlertsBackends::from_urls`] and [`AlertsConfig::notifiers`].
    pub fn from_config(config: &AlertsConfig) -> Result<Self> {
        Ok(Self {
            prometheus: config.prometheus()?,
            alertmanager: config.alertmanager()?,
            notifiers: config.notifiers()?,
            ..Self::default()
        })
    }

    /// Metric checks go to `client`.
    #[must_use]
    pub fn with_prometheus(mut self, client: PrometheusClient) -> Self {
        self.prometheus = Some(client);
        self
    }

    /// Alerts and silences go to `client`.
    #[must_use]
    pub fn with_alertmanager(mut self, client: AlertmanagerClient) -> Self {
        self.alertmanager = Some(client);
        self
    }

    /// Incident messages (and maintenance notices) also go to `notifier`.
    #[must_use]
    pub fn with_notifier(mut self, notifier: Arc<dyn Notifier>) -> Self {
        self.notifiers.push(notifier);
        self
    }

    /// Incidents are kept in `store` (a `FileEscalationStore` or `PgEscalationStore` lets
    /// them outlive the process); without it they are kept in memory.
    #[must_use]
    pub fn with_store(mut self, store: Arc<dyn EscalationStore>) -> Self {
        self.store = Some(store);
        self
    }

    /// The engine runs on `clock`, and metric checks are evaluated at its time
    /// ([`PrometheusHealth::with_clock`]); without it, the system clock and the server's time.
    #[must_use]
    pub fn with_clock(mut self, clock: SharedClock) -> Self {
        self.clock = Some(clock);
        self
    }

    /// The notifiers given so far.
    pub fn notifiers(&self) -> &[Arc<dyn Notifier>] {
        &self.notifiers
    }

    /// The metric checks, when Prometheus is configured.
    pub fn metrics(&self) -> Option<PrometheusHealth> {
        let client = self.prometheus.clone()?;
        Some(match &self.clock {
            Some(clock) => PrometheusHealth::new(client).with_clock(clock.clone()),
            None => PrometheusHealth::new(client),
        })
    }

    /// The escalation engine: the store (or a new in-memory one), every notifier, and
    /// Alertmanager when configured.
    pub fn engine(&self) -> EscalationEngine {
        let store = self
            .store
            .clone()
            .unwrap_or_else(|| Arc::new(InMemoryStore::new()));
        let mut engine = EscalationEngine::new(
            store,
            self.clock.clone().unwrap_or_else(|| Arc::new(SystemClock)),
        );
        for n in &self.notifiers {
            engine = engine.with_notifier(n.clone());
        }
        if let Some(am) = &self.alertmanager {
            engine = engine.with_alertmanager(am.clone());
        }
        engine
    }

    /// The escalator: incidents to [`engine`](Self::engine); alerts and silences to the same
    /// engine when Alertmanager is configured, else [`NotConfigured::ALERTMANAGER`].
    pub fn escalator(&self) -> Arc<dyn Escalator> {
        let engine = Arc::new(self.engine());
        if self.alertmanager.is_some() {
            return engine;
        }
        Arc::new(EscalatorRouter {
            incidents: engine,
            alerts: Arc::new(NotConfigured::ALERTMANAGER),
        })
    }

    /// `backends` with metric checks on Prometheus (when configured), the
    /// [`escalator`](Self::escalator), and the notifiers added.
    pub fn install(self, mut backends: Backends) -> Backends {
        if let Some(metrics) = self.metrics() {
            backends = backends.with_metrics(Arc::new(metrics));
        }
        backends = backends.with_escalator(self.escalator());
        for n in self.notifiers {
            backends = backends.with_notifier(n);
        }
        backends
    }
}
