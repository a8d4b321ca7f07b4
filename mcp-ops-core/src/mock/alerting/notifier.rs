//! [`RecordingNotifier`]: a `Notifier` that records every message and can be made to fail.

use std::sync::{Arc, Mutex};

use async_trait::async_trait;

use crate::clock::{SharedClock, TokioClock};
use crate::error::{Error, Result};
use crate::mock::Faults;
use crate::notify::{Delivery, Message, Notifier};
use crate::types::Severity;

/// A notifier that keeps every message it is sent. Clones share what was recorded.
///
/// The constructors follow the runbook's channel rules: [`RecordingNotifier::slack`] takes
/// every severity, [`RecordingNotifier::pagerduty`] P0 and P1 ([`Severity::pages`]),
/// [`RecordingNotifier::email`] P2 and more severe ([`Severity::emails`]).
#[derive(Debug, Clone)]
pub struct RecordingNotifier {
    channel: &'static str,
    accepts: fn(Severity) -> bool,
    messages: Arc<Mutex<Vec<Message>>>,
    faults: Faults,
    clock: SharedClock,
}

impl RecordingNotifier {
    /// A notifier for `channel` taking the severities `accepts` says yes to.
    pub fn new(channel: &'static str, accepts: fn(Severity) -> bool) -> Self {
        Self {
            channel,
            accepts,
            messages: Arc::default(),
            faults: Faults::default(),
            clock: Arc::new(TokioClock::wall()),
        }
    }

    /// Slack (`#mcp-production-alerts`): every severity.
    pub fn slack() -> Self {
        Self::new("slack", |_| true)
    }

    /// PagerDuty: P0 and P1.
    pub fn pagerduty() -> Self {
        Self::new("pagerduty", |s| s.pages())
    }

    /// Email (`mcp-alerts@company.com`): P2 and more severe.
    pub fn email() -> Self {
        Self::new("email", |s| s.emails())
    }

    /// Uses `clock` for delivery times.
    pub fn with_clock(mut self, clock: SharedClock) -> Self {
        self.clock = clock;
        self
    }

    /// Makes the next `times` sends fail as an unreachable channel would.
    pub fn fail_next(&self, times: usize) {
        self.faults.fail_next(
            "send",
            times,
            Error::unavailable(self.channel, "not reachable (injected failure)"),
        );
    }

    /// The call recorder and fault injector (operation `send`).
    pub fn faults(&self) -> &Faults {
        &self.faults
    }

    /// Messages delivered so far, in order (failed sends are not included).
    pub fn messages(&self) -> Vec<Message> {
        self.messages
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    /// Sends attempted so far, failed ones included.
    pub fn attempts(&self) -> usize {
        self.faults.count("send")
    }
}

#[async_trait]
impl Notifier for RecordingNotifier {
    fn channel(&self) -> &'static str {
        self.channel
    }

    fn accepts(&self, severity: Severity) -> bool {
        (self.accepts)(severity)
    }

    async fn send(&self, message: &Message) -> Result<Delivery> {
        self.faults
            .write("send", message.incident.as_str(), false)
            .await?;
        let n = {
            let mut m = self
                .messages
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            m.push(message.clone());
            m.len()
        };
        Ok(Delivery {
            channel: self.channel.to_owned(),
            reference: Some(format!("{}-{n}", self.channel)),
            at: self.clock.now(),
        })
    }
}
