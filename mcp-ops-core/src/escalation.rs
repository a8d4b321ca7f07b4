//! `Escalator`: incident lifecycle, escalation by elapsed time, alerts and silences.
//!
//! Covers the runbook's Alert Escalation (L1 on-call 0–15 min, L2 team lead +
//! infrastructure 15–30 min, L3 engineering manager + executive 30+ min), "View active
//! alerts" and "Silence alerts" (with Alertmanager API v2 in the real backend, since v1 is
//! gone from Alertmanager 0.27) (runbook: Monitoring and Alerting,
//! Communication Procedures).

use std::collections::BTreeMap;
use std::time::Duration;

use async_trait::async_trait;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::incident::{Incident, IncidentId, IncidentUpdate, NewIncident};
use crate::types::Intent;

/// One escalation level: who is notified once an unacknowledged incident is `after` old.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EscalationLevel {
    /// 1, 2, 3 …
    pub level: u8,
    /// Age of the incident at which this level is notified.
    pub after: Duration,
    /// Who (`on-call engineer`, `team lead`, `infrastructure team` …).
    pub targets: Vec<String>,
}

/// The escalation levels, in increasing `after`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "RawEscalationPolicy")]
pub struct EscalationPolicy {
    levels: Vec<EscalationLevel>,
}

/// The serialized form of an [`EscalationPolicy`], validated by [`EscalationPolicy::new`]
/// on the way in.
#[derive(Deserialize)]
struct RawEscalationPolicy {
    levels: Vec<EscalationLevel>,
}

impl TryFrom<RawEscalationPolicy> for EscalationPolicy {
    type Error = Error;
    fn try_from(raw: RawEscalationPolicy) -> Result<Self> {
        Self::new(raw.levels)
    }
}

impl Default for EscalationPolicy {
    /// The runbook's three levels.
    fn default() -> Self {
        let min = |m: u64| Duration::from_secs(m * 60);
        Self {
            levels: vec![
                EscalationLevel {
                    level: 1,
                    after: min(0),
                    targets: vec!["on-call engineer".into()],
                },
                EscalationLevel {
                    level: 2,
                    after: min(15),
                    targets: vec!["team lead".into(), "infrastructure team".into()],
                },
                EscalationLevel {
                    level: 3,
                    after: min(30),
                    targets: vec!["engineering manager".into(), "executive team".into()],
                },
            ],
        }
    }
}

impl EscalationPolicy {
    /// A policy of `levels`.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] when empty, when levels are not numbered 1, 2, 3 … in order,
    /// when `after` decreases, or when a level has no target.
    pub fn new(levels: Vec<EscalationLevel>) -> Result<Self> {
        if levels.is_empty() {
            return Err(Error::invalid(
                "escalation levels",
                "at least one level is needed",
            ));
        }
        let mut last_after = Duration::ZERO;
        for (i, l) in levels.iter().enumerate() {
            if usize::from(l.level) != i + 1 {
                return Err(Error::invalid(
                    "escalation levels",
                    format!("level {} is out of order (expected {})", l.level, i + 1),
                ));
            }
            if l.after < last_after {
                return Err(Error::invalid(
                    "escalation levels",
                    format!("level {} starts before level {}", l.level, i),
                ));
            }
            if l.targets.is_empty() {
                return Err(Error::invalid(
                    "escalation levels",
                    format!("level {} has no target", l.level),
                ));
            }
            last_after = l.after;
        }
        Ok(Self { levels })
    }

    /// The levels, in order.
    pub fn levels(&self) -> &[EscalationLevel] {
        &self.levels
    }

    /// The levels above `incident.level` that are due at `now`, when the incident still
    /// escalates; empty otherwise. Engines call this on every tick, then record the highest
    /// level notified so nothing is sent twice.
    pub fn due(&self, incident: &Incident, now: Timestamp) -> Vec<&EscalationLevel> {
        if !incident.escalates() {
            return Vec::new();
        }
        let age = crate::clock::elapsed_between(incident.started, now);
        self.levels
            .iter()
            .filter(|l| l.level > incident.level && age >= l.after)
            .collect()
    }
}

/// Something an engine did on a tick.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EscalationAction {
    /// The incident.
    pub incident: IncidentId,
    /// The level reached.
    pub level: u8,
    /// Who was notified.
    pub targets: Vec<String>,
    /// When.
    pub at: Timestamp,
}

/// A label matcher as Alertmanager v2 has them.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Matcher {
    /// Label name.
    pub name: String,
    /// Value or regular expression.
    pub value: String,
    /// `value` is a regular expression.
    pub is_regex: bool,
    /// `true` for `=`/`=~`, `false` for `!=`/`!~`.
    pub is_equal: bool,
}

impl Matcher {
    /// An equality matcher `name="value"`.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for a name that is not a label name, a value that is not one
    /// line, or an `alertname` that no alert can have (see
    /// [`crate::escalation_silence::check_matcher`]).
    pub fn equal(name: impl Into<String>, value: impl Into<String>) -> Result<Self> {
        let m = Self {
            name: name.into(),
            value: value.into(),
            is_regex: false,
            is_equal: true,
        };
        crate::escalation_silence::check_matcher(&m)?;
        Ok(m)
    }

    /// Whether `labels` satisfy this (non-regex) matcher; regex matchers are evaluated by
    /// the backend and are treated here as matching.
    pub fn matches(&self, labels: &BTreeMap<String, String>) -> bool {
        if self.is_regex {
            return true;
        }
        let v = labels.get(&self.name).map(String::as_str).unwrap_or("");
        (v == self.value) == self.is_equal
    }
}

/// A firing or silenced alert.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Alert {
    /// Labels (`alertname`, `service`, `severity` …).
    pub labels: BTreeMap<String, String>,
    /// Annotations (`summary`, `description`).
    pub annotations: BTreeMap<String, String>,
    /// Since when.
    pub starts_at: Timestamp,
    /// Its state.
    pub state: AlertState,
}

/// Alertmanager's alert states.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum AlertState {
    /// Firing and routed.
    Active,
    /// Muted by a silence.
    Suppressed,
    /// Not yet processed.
    Unprocessed,
}

/// Which alerts to list.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlertFilter {
    /// Only alerts matching all of these.
    pub matchers: Vec<Matcher>,
    /// Include silenced alerts.
    pub include_silenced: bool,
}

/// A silence's id as the backend gives it.
pub type SilenceId = String;

/// What to silence and for how long.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SilenceRequest {
    /// Alerts matching all of these are muted.
    pub matchers: Vec<Matcher>,
    /// From.
    pub starts_at: Timestamp,
    /// Until.
    pub ends_at: Timestamp,
    /// Who.
    pub created_by: String,
    /// Why (`Maintenance window`).
    pub comment: String,
}

impl SilenceRequest {
    /// Checks the request (see [`crate::escalation_silence::check_silence`]): valid
    /// matchers, one of them selective, an `alertname` that can exist, an end after the start
    /// and at most 7 days later, a creator and a comment of one visible line.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] naming the field.
    pub fn validate(&self) -> Result<()> {
        crate::escalation_silence::check_silence(self)
    }
}

/// A silence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Silence {
    /// Its id.
    pub id: SilenceId,
    /// What was asked.
    pub request: SilenceRequest,
    /// Whether it is expired.
    pub expired: bool,
}

/// Runs incidents and talks to the alerting system.
///
/// # Example
///
/// ```
/// # #[cfg(feature = "testkit")]
/// # #[tokio::main(flavor = "current_thread", start_paused = true)]
/// # async fn main() -> mcp_ops_core::Result<()> {
/// use std::time::Duration;
/// use mcp_ops_core::notify::MessageKind;
/// use mcp_ops_core::{Escalator, Intent, NewIncident, Severity};
///
/// let kit = mcp_ops_core::testkit::TestKit::runbook().await?;
/// let escalator: &dyn Escalator = &kit.alerting;
/// let intent = Intent::new("5xx spike", "ops-bot")?;
/// let new = NewIncident {
///     title: "High error rate on API".into(),
///     severity: Severity::P1,
///     service: "MCP Production".into(),
///     impact: "High error rate (15%) on API endpoints".into(),
///     investigating: "@ops-team".into(),
/// };
/// let incident = escalator.open(&new, &intent).await?; // notifies level 1
/// // Nobody acknowledged for 16 minutes: level 2 is due (runbook: 15 min).
/// tokio::time::sleep(Duration::from_secs(16 * 60)).await;
/// let due = escalator.tick(kit.now()).await?;
/// assert_eq!(due.first().map(|a| a.level), Some(2));
/// escalator.resolve(&incident.id, "rolled back v1.0.1", &intent).await?;
/// assert!(kit.messages().iter().any(|m| m.kind == MessageKind::Resolved));
/// # Ok(())
/// # }
/// # #[cfg(not(feature = "testkit"))]
/// # fn main() {}
/// ```
#[cfg_attr(feature = "mock", mockall::automock)]
#[async_trait]
pub trait Escalator: Send + Sync {
    /// The backend's name, for reports and errors.
    fn backend(&self) -> &'static str;

    /// Opens an incident and notifies level 1. A dry run returns the incident it would open
    /// and notifies nobody.
    ///
    /// # Errors
    /// [`crate::Error::InvalidInput`] for an invalid [`NewIncident`].
    async fn open(&self, incident: &NewIncident, intent: &Intent) -> Result<Incident>;

    /// One incident.
    ///
    /// # Errors
    /// [`crate::Error::NotFound`] for an unknown id.
    async fn incident(&self, id: &IncidentId) -> Result<Incident>;

    /// Incidents not yet resolved.
    ///
    /// # Errors
    /// Backend errors.
    async fn open_incidents(&self) -> Result<Vec<Incident>>;

    /// Records and sends an update.
    ///
    /// # Errors
    /// [`crate::Error::NotFound`] for an unknown id; [`crate::Error::Conflict`] when resolved.
    async fn update(
        &self,
        id: &IncidentId,
        update: &IncidentUpdate,
        intent: &Intent,
    ) -> Result<Incident>;

    /// Acknowledges: escalation stops.
    ///
    /// # Errors
    /// [`crate::Error::NotFound`] for an unknown id; [`crate::Error::Conflict`] when resolved.
    async fn acknowledge(&self, id: &IncidentId, intent: &Intent) -> Result<Incident>;

    /// Resolves and sends the resolution with its duration.
    ///
    /// # Errors
    /// [`crate::Error::NotFound`] for an unknown id; [`crate::Error::Conflict`] when already
    /// resolved.
    async fn resolve(&self, id: &IncidentId, resolution: &str, intent: &Intent)
    -> Result<Incident>;

    /// Escalates every open, unacknowledged incident whose next level is due at `now`; each
    /// level is notified once.
    ///
    /// # Errors
    /// Backend errors (a failing notifier is recorded, not an error).
    async fn tick(&self, now: Timestamp) -> Result<Vec<EscalationAction>>;

    /// Alerts matching a filter.
    ///
    /// # Errors
    /// Backend errors.
    async fn alerts(&self, filter: &AlertFilter) -> Result<Vec<Alert>>;

    /// Creates a silence.
    ///
    /// # Errors
    /// [`crate::Error::InvalidInput`] for an invalid request.
    async fn silence(&self, request: &SilenceRequest, intent: &Intent) -> Result<Silence>;

    /// Silences, newest first.
    ///
    /// # Errors
    /// Backend errors.
    async fn silences(&self) -> Result<Vec<Silence>>;

    /// Expires a silence now.
    ///
    /// # Errors
    /// [`crate::Error::NotFound`] for an unknown id.
    async fn expire_silence(&self, id: &str, intent: &Intent) -> Result<()>;
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn deserializing_a_policy_validates_it_like_new() {
        let runbook = EscalationPolicy::default();
        let json = serde_json::to_string(&runbook).unwrap();
        assert_eq!(
            serde_json::from_str::<EscalationPolicy>(&json).unwrap(),
            runbook
        );
        let level = |level: u8, minutes: u64, targets: &[&str]| {
            serde_json::json!({
                "level": level,
                "after": { "secs": minutes * 60, "nanos": 0 },
                "targets": targets,
            })
        };
        for bad in [
            serde_json::json!({ "levels": [] }),
            serde_json::json!({ "levels": [level(2, 0, &["on-call"])] }),
            serde_json::json!({ "levels": [level(1, 15, &["on-call"]), level(2, 0, &["lead"])] }),
            serde_json::json!({ "levels": [level(1, 0, &[])] }),
        ] {
            assert!(
                serde_json::from_value::<EscalationPolicy>(bad.clone()).is_err(),
                "{bad}"
            );
        }
    }
}
