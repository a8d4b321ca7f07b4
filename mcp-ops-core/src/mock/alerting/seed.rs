//! Building a [`MockAlerting`].

use std::sync::{Arc, Mutex};

use super::{AlertingState, MockAlerting};
use crate::clock::{SharedClock, TokioClock};
use crate::escalation::EscalationPolicy;
use crate::health::MetricKind;
use crate::mock::Faults;
use crate::notify::Notifier;

/// Builds a [`MockAlerting`].
pub struct MockAlertingBuilder {
    state: AlertingState,
    notifiers: Vec<Arc<dyn Notifier>>,
    clock: SharedClock,
    policy: EscalationPolicy,
}

impl std::fmt::Debug for MockAlertingBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MockAlertingBuilder")
            .field("notifiers", &self.notifiers.len())
            .field("policy", &self.policy)
            .finish_non_exhaustive()
    }
}

impl Default for MockAlertingBuilder {
    fn default() -> Self {
        Self::new()
    }
}

impl MockAlertingBuilder {
    /// No incidents, alerts, metrics or notifiers; the runbook's escalation policy; the
    /// default clock ([`TokioClock::wall`](crate::TokioClock::wall): wall time, or paused time in a
    /// paused runtime).
    pub fn new() -> Self {
        Self {
            state: AlertingState {
                next_incident: 1,
                next_silence: 1,
                ..AlertingState::default()
            },
            notifiers: Vec::new(),
            clock: Arc::new(TokioClock::wall()),
            policy: EscalationPolicy::default(),
        }
    }

    /// Healthy metrics for `mcp-typescript-api`, `mcp-learning-system` and
    /// `mcp-rust-server`: error rate 1 %, p95 0.35 s, memory 55 % of the limit.
    pub fn runbook() -> Self {
        let mut b = Self::new();
        for service in [
            "mcp-typescript-api",
            "mcp-learning-system",
            "mcp-rust-server",
        ] {
            b = b
                .metric(service, MetricKind::ErrorRate, 0.01)
                .metric(service, MetricKind::P95Latency, 0.35)
                .metric(service, MetricKind::MemoryRatio, 0.55);
        }
        b
    }

    /// Uses `clock` for incident times and silence expiry (e.g. a
    /// [`crate::clock::TokioClock`]).
    pub fn clock(mut self, clock: SharedClock) -> Self {
        self.clock = clock;
        self
    }

    /// Replaces the escalation policy.
    pub fn policy(mut self, policy: EscalationPolicy) -> Self {
        self.policy = policy;
        self
    }

    /// Attaches a notifier; messages go to every notifier that accepts their severity, in
    /// the order attached.
    pub fn notifier(mut self, notifier: Arc<dyn Notifier>) -> Self {
        self.notifiers.push(notifier);
        self
    }

    /// Sets a metric value of a service.
    pub fn metric(mut self, service: &str, metric: MetricKind, value: f64) -> Self {
        self.state
            .metrics
            .insert((service.to_owned(), metric), value);
        self
    }

    /// Builds the alerting system.
    pub fn build(self) -> MockAlerting {
        MockAlerting {
            state: Arc::new(Mutex::new(self.state)),
            notifiers: self.notifiers.into(),
            faults: Faults::default(),
            clock: self.clock,
            policy: Arc::new(self.policy),
        }
    }
}
