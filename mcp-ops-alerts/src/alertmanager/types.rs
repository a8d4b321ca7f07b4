//! Alertmanager API v2 models (`/api/v2/alerts`, `/api/v2/silences`).

use std::collections::BTreeMap;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::error::{AlertsError, Result};

pub use super::matcher::Matcher;

/// An alert to post (`PostableAlert`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct NewAlert {
    /// Labels; `alertname` is expected.
    pub labels: BTreeMap<String, String>,
    /// Annotations (summary, description, runbook_url …).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: BTreeMap<String, String>,
    /// When the alert started; now when absent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub starts_at: Option<Timestamp>,
    /// When it ends; without it Alertmanager resolves it after its resolve timeout (5 min).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ends_at: Option<Timestamp>,
    /// Link to the source of the alert.
    #[serde(rename = "generatorURL", skip_serializing_if = "Option::is_none")]
    pub generator_url: Option<String>,
}

impl NewAlert {
    /// An alert named `alertname`.
    #[must_use]
    pub fn new(alertname: impl Into<String>) -> Self {
        let mut labels = BTreeMap::new();
        labels.insert("alertname".to_owned(), alertname.into());
        Self {
            labels,
            ..Self::default()
        }
    }

    /// Adds a label.
    #[must_use]
    pub fn label(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.labels.insert(name.into(), value.into());
        self
    }

    /// Adds an annotation.
    #[must_use]
    pub fn annotation(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.annotations.insert(name.into(), value.into());
        self
    }

    /// Sets the start and end.
    #[must_use]
    pub fn between(mut self, starts_at: Timestamp, ends_at: Timestamp) -> Self {
        self.starts_at = Some(starts_at);
        self.ends_at = Some(ends_at);
        self
    }
}

/// State of an alert.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AlertState {
    /// Firing and notified.
    Active,
    /// Silenced or inhibited.
    Suppressed,
    /// Received but not processed yet.
    Unprocessed,
}

/// Status of an alert.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AlertStatus {
    /// The state.
    pub state: AlertState,
    /// Ids of the silences muting it.
    #[serde(default)]
    pub silenced_by: Vec<String>,
    /// Fingerprints of the alerts inhibiting it.
    #[serde(default)]
    pub inhibited_by: Vec<String>,
}

/// A receiver reference.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ReceiverRef {
    /// Receiver name.
    pub name: String,
}

/// An alert as Alertmanager reports it (`GettableAlert`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Alert {
    /// Labels.
    pub labels: BTreeMap<String, String>,
    /// Annotations.
    #[serde(default)]
    pub annotations: BTreeMap<String, String>,
    /// Start.
    pub starts_at: Timestamp,
    /// End.
    pub ends_at: Timestamp,
    /// Last update.
    pub updated_at: Timestamp,
    /// Fingerprint of the label set.
    pub fingerprint: String,
    /// Receivers it is routed to.
    #[serde(default)]
    pub receivers: Vec<ReceiverRef>,
    /// State.
    pub status: AlertStatus,
}

impl Alert {
    /// The `alertname` label.
    #[must_use]
    pub fn name(&self) -> Option<&str> {
        self.labels.get("alertname").map(String::as_str)
    }

    /// Whether a silence mutes it.
    #[must_use]
    pub fn is_silenced(&self) -> bool {
        !self.status.silenced_by.is_empty()
    }
}

/// Which alerts to list; `None` leaves Alertmanager's default (true) for the flag.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AlertFilter {
    /// Include active alerts.
    pub active: Option<bool>,
    /// Include silenced alerts.
    pub silenced: Option<bool>,
    /// Include inhibited alerts.
    pub inhibited: Option<bool>,
    /// Include unprocessed alerts.
    pub unprocessed: Option<bool>,
    /// Only alerts routed to receivers matching this regular expression.
    pub receiver: Option<String>,
    /// Only alerts matching all of these.
    pub matchers: Vec<Matcher>,
}

impl AlertFilter {
    /// Adds a matcher.
    #[must_use]
    pub fn matching(mut self, m: Matcher) -> Self {
        self.matchers.push(m);
        self
    }

    pub(crate) fn query(&self) -> Result<Vec<(&'static str, String)>> {
        let mut q = Vec::new();
        let flags = [
            ("active", self.active),
            ("silenced", self.silenced),
            ("inhibited", self.inhibited),
            ("unprocessed", self.unprocessed),
        ];
        for (k, v) in flags {
            if let Some(v) = v {
                q.push((k, v.to_string()));
            }
        }
        if let Some(r) = &self.receiver {
            q.push(("receiver", r.clone()));
        }
        for m in &self.matchers {
            m.validate()?;
            q.push(("filter", m.to_string()));
        }
        Ok(q)
    }
}

/// A silence to create (`PostableSilence`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NewSilence {
    /// At least one matcher.
    pub matchers: Vec<Matcher>,
    /// Start.
    pub starts_at: Timestamp,
    /// End (after the start).
    pub ends_at: Timestamp,
    /// Who created it.
    pub created_by: String,
    /// Why.
    pub comment: String,
}

impl NewSilence {
    pub(crate) fn validate(&self) -> Result<()> {
        if self.matchers.is_empty() {
            return Err(AlertsError::InvalidInput(
                "a silence needs at least one matcher".into(),
            ));
        }
        for m in &self.matchers {
            m.validate()?;
        }
        if self.ends_at <= self.starts_at {
            return Err(AlertsError::InvalidInput(
                "silence must end after it starts".into(),
            ));
        }
        if self.created_by.trim().is_empty() || self.comment.trim().is_empty() {
            return Err(AlertsError::InvalidInput(
                "a silence needs createdBy and comment".into(),
            ));
        }
        Ok(())
    }
}

/// State of a silence.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SilenceState {
    /// In effect.
    Active,
    /// Starts in the future.
    Pending,
    /// Over or expired by hand.
    Expired,
}

/// Status of a silence.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct SilenceStatus {
    /// The state.
    pub state: SilenceState,
}

/// A silence as Alertmanager reports it (`GettableSilence`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Silence {
    /// Id.
    pub id: String,
    /// State.
    pub status: SilenceStatus,
    /// Last update.
    pub updated_at: Timestamp,
    /// Matchers.
    pub matchers: Vec<Matcher>,
    /// Start.
    pub starts_at: Timestamp,
    /// End.
    pub ends_at: Timestamp,
    /// Who created it.
    pub created_by: String,
    /// Why.
    pub comment: String,
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn silence_json_has_the_v2_shape() {
        let s = NewSilence {
            matchers: vec![Matcher::equal("alertname", "HighErrorRate")],
            starts_at: "2025-01-08T02:00:00Z".parse().unwrap(),
            ends_at: "2025-01-08T04:00:00Z".parse().unwrap(),
            created_by: "ops-team".into(),
            comment: "Maintenance window".into(),
        };
        let v = serde_json::to_value(&s).unwrap();
        assert_eq!(
            v,
            serde_json::json!({"matchers":[{"name":"alertname","value":"HighErrorRate","isRegex":false,"isEqual":true}],
                "startsAt":"2025-01-08T02:00:00Z","endsAt":"2025-01-08T04:00:00Z","createdBy":"ops-team","comment":"Maintenance window"})
        );
        s.validate().unwrap();
    }

    #[test]
    fn invalid_silences_are_rejected() {
        let t: Timestamp = "2025-01-08T02:00:00Z".parse().unwrap();
        let s = NewSilence {
            matchers: vec![],
            starts_at: t,
            ends_at: t,
            created_by: "x".into(),
            comment: "y".into(),
        };
        assert!(s.validate().is_err());
        let s = NewSilence {
            matchers: vec![Matcher::equal("1bad", "v")],
            ..s
        };
        assert!(s.validate().is_err());
    }
}
