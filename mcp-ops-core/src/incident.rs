//! Incidents: what is broken, how bad, who is on it, and what happened since.
//!
//! The data behind the runbook's Incident Communication templates (runbook:
//! Communication Procedures) and Alert Escalation levels.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::types::Severity;
use crate::types::text::{LINE_MAX, TEXT_MAX, check_line, check_text};

/// An incident's id: 1–64 characters of `[A-Za-z0-9-_]`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct IncidentId(String);

impl IncidentId {
    /// Validates an id.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for an empty, too long or ill-formed id.
    pub fn new(id: impl Into<String>) -> Result<Self> {
        let id = id.into();
        if id.is_empty() || id.len() > 64 {
            return Err(Error::invalid("incident id", "must be 1 to 64 characters"));
        }
        if let Some(c) = id
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_')))
        {
            return Err(Error::invalid(
                "incident id",
                format!("character {c:?} is not allowed (use A-Z a-z 0-9 - _)"),
            ));
        }
        Ok(Self(id))
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for IncidentId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for IncidentId {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        Self::new(s)
    }
}

impl TryFrom<String> for IncidentId {
    type Error = Error;
    fn try_from(s: String) -> Result<Self> {
        Self::new(s)
    }
}

impl From<IncidentId> for String {
    fn from(id: IncidentId) -> Self {
        id.0
    }
}

/// What is needed to open an incident.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewIncident {
    /// A one-line title (`High error rate on API`).
    pub title: String,
    /// How bad.
    pub severity: Severity,
    /// The affected service (`MCP Production`).
    pub service: String,
    /// The impact in words (`High error rate (15%) on API endpoints`).
    pub impact: String,
    /// Who investigates (`@ops-team`).
    pub investigating: String,
}

impl NewIncident {
    /// Validates the fields: title, service, impact and investigating are one line each, at
    /// most [`LINE_MAX`] characters, not empty once spaces and invisible characters are
    /// removed, without control or bidi characters (see [`crate::types::text`]).
    ///
    /// # Errors
    /// [`Error::InvalidInput`] naming the first bad field.
    pub fn validate(&self) -> Result<()> {
        for (field, v) in [
            ("title", &self.title),
            ("service", &self.service),
            ("impact", &self.impact),
            ("investigating", &self.investigating),
        ] {
            check_line(field, v, LINE_MAX)?;
        }
        Ok(())
    }
}

/// Where an incident stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
#[non_exhaustive]
pub enum IncidentState {
    /// Nobody has acknowledged it: it escalates with time.
    Open,
    /// Someone owns it: escalation stops.
    Acknowledged {
        /// Who.
        by: String,
        /// When.
        at: Timestamp,
    },
    /// Over.
    Resolved {
        /// When.
        at: Timestamp,
        /// What fixed it.
        resolution: String,
    },
}

/// A progress update (the runbook's INCIDENT UPDATE).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IncidentUpdate {
    /// The root cause, once identified.
    pub root_cause: Option<String>,
    /// What is being done.
    pub actions: String,
    /// Expected time to resolution.
    pub eta: Option<Duration>,
}

impl IncidentUpdate {
    /// Validates the update: `actions` (and `root_cause` when given) are texts of at most
    /// [`TEXT_MAX`] characters, not empty, without bidi or control characters besides line
    /// feeds and tabs; `eta`, when given, is more than zero and at most 30 days.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] naming the bad field.
    pub fn validate(&self) -> Result<()> {
        check_text("actions", &self.actions, TEXT_MAX)?;
        if let Some(cause) = &self.root_cause {
            check_text("root cause", cause, TEXT_MAX)?;
        }
        if let Some(eta) = self.eta
            && (eta.is_zero() || eta > Duration::from_secs(30 * 24 * 3600))
        {
            return Err(Error::invalid(
                "eta",
                "must be between 1 second and 30 days",
            ));
        }
        Ok(())
    }
}

/// Validates a resolution (what fixed an incident): a text of at most [`TEXT_MAX`]
/// characters, as [`IncidentUpdate::validate`] checks `actions`.
///
/// # Errors
/// [`Error::InvalidInput`] naming `resolution`.
pub fn validate_resolution(resolution: &str) -> Result<()> {
    check_text("resolution", resolution, TEXT_MAX)
}

/// Validates who acknowledges an incident: one line of at most 128 characters (a name or
/// handle), as [`NewIncident::validate`] checks a title.
///
/// # Errors
/// [`Error::InvalidInput`] naming `acknowledged by`.
pub fn validate_actor(by: &str) -> Result<()> {
    check_line("acknowledged by", by, 128)
}

/// An incident and its history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Incident {
    /// Its id.
    pub id: IncidentId,
    /// Title.
    pub title: String,
    /// Severity.
    pub severity: Severity,
    /// Affected service.
    pub service: String,
    /// Impact in words.
    pub impact: String,
    /// Who investigates.
    pub investigating: String,
    /// When it started.
    pub started: Timestamp,
    /// State.
    pub state: IncidentState,
    /// The highest escalation level notified so far (0 = none yet).
    pub level: u8,
    /// Updates, oldest first, with their times.
    pub updates: Vec<(Timestamp, IncidentUpdate)>,
}

impl Incident {
    /// Whether it is resolved.
    pub fn is_resolved(&self) -> bool {
        matches!(self.state, IncidentState::Resolved { .. })
    }

    /// Whether it still escalates (open and not acknowledged).
    pub fn escalates(&self) -> bool {
        matches!(self.state, IncidentState::Open)
    }

    /// Duration from start to resolution, or to `now` while unresolved.
    pub fn duration(&self, now: Timestamp) -> Duration {
        let end = match &self.state {
            IncidentState::Resolved { at, .. } => *at,
            _ => now,
        };
        crate::clock::elapsed_between(self.started, end)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn incident_ids() {
        assert!(IncidentId::new("INC-2025-0001").is_ok());
        let long = "a".repeat(65);
        for bad in [
            "",
            " ",
            "a b",
            "a/b",
            "a.b",
            "é",
            "a\n",
            long.as_str(),
            "a:b",
            "#1",
        ] {
            assert!(IncidentId::new(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn new_incident_validation() {
        let good = NewIncident {
            title: "High error rate".into(),
            severity: Severity::P1,
            service: "MCP Production".into(),
            impact: "High error rate (15%) on API endpoints".into(),
            investigating: "@ops-team".into(),
        };
        assert!(good.validate().is_ok());
        let mut bad = good.clone();
        bad.title = " ".into();
        assert!(bad.validate().is_err());
        let mut bad = good.clone();
        bad.impact = "a\u{7}".into();
        assert!(bad.validate().is_err());
        let mut bad = good;
        bad.service = "x".repeat(513);
        assert!(bad.validate().is_err());
    }
}
