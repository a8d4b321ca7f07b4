//! The change kinds that add safety or keep records rather than change the platform: a
//! silence ([`ChangeSpec::Silence`]) and an incident action ([`IncidentChange`]).
//!
//! The CLI runs them unmanaged (the runbook asks no approval to silence a known alert or to
//! keep an incident's records); a front end that acts for someone else — an AI agent over
//! MCP — runs them under an approved change request, so these are the values such a request
//! pins.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::spec::SpecDifference;
use crate::escalation::Matcher;
use crate::incident::IncidentId;
use crate::types::Severity;
use crate::types::text::{LINE_MAX, check_line};
use crate::{Error, Result};

/// The longest silence a change may pin, in minutes: a week, as Alertmanager silences made by
/// `ops` ([`SILENCE_MAX`](crate::escalation_silence::SILENCE_MAX)).
pub const SILENCE_MINUTES_MAX: u32 = 7 * 24 * 60;

/// What a change does to an incident (`ops incident open|ack|update|resolve`).
///
/// Serialized with a `kind` tag inside the change's `action`
/// (`{"type":"incident","action":{"kind":"ack","incident":"INC-…"}}`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[non_exhaustive]
pub enum IncidentChange {
    /// Open an incident (INCIDENT DETECTED, level 1 notified).
    Open {
        /// Its one-line title.
        title: String,
        /// Its severity.
        severity: Severity,
    },
    /// Acknowledge an open incident (escalation stops).
    Ack {
        /// The incident.
        incident: IncidentId,
    },
    /// Post an INCIDENT UPDATE (the text is free: the change pins the incident).
    Update {
        /// The incident.
        incident: IncidentId,
    },
    /// Resolve an incident (INCIDENT RESOLVED; the resolution text is free).
    Resolve {
        /// The incident.
        incident: IncidentId,
    },
}

impl IncidentChange {
    /// The incident acted on, none for an incident not opened yet.
    pub fn incident(&self) -> Option<&IncidentId> {
        match self {
            IncidentChange::Open { .. } => None,
            IncidentChange::Ack { incident }
            | IncidentChange::Update { incident }
            | IncidentChange::Resolve { incident } => Some(incident),
        }
    }

    /// The verb (`open`, `acknowledge`, `update`, `resolve`).
    pub fn verb(&self) -> &'static str {
        match self {
            IncidentChange::Open { .. } => "open",
            IncidentChange::Ack { .. } => "acknowledge",
            IncidentChange::Update { .. } => "update",
            IncidentChange::Resolve { .. } => "resolve",
        }
    }

    /// The object acted on (`incident INC-…`, `new P1 incident`).
    pub fn target(&self) -> String {
        match self {
            IncidentChange::Open { severity, .. } => format!("new {severity} incident"),
            IncidentChange::Ack { incident }
            | IncidentChange::Update { incident }
            | IncidentChange::Resolve { incident } => format!("incident {incident}"),
        }
    }
}

impl fmt::Display for IncidentChange {
    /// `open a P1 incident "API down"`, `acknowledge incident INC-…`, `post an update to
    /// incident INC-…`, `resolve incident INC-…`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            IncidentChange::Open { title, severity } => {
                write!(f, "open a {severity} incident {title:?}")
            }
            IncidentChange::Ack { incident } => write!(f, "acknowledge incident {incident}"),
            IncidentChange::Update { incident } => {
                write!(f, "post an update to incident {incident}")
            }
            IncidentChange::Resolve { incident } => write!(f, "resolve incident {incident}"),
        }
    }
}

impl IncidentChange {
    /// Checks an opening's title: one visible line of at most [`LINE_MAX`] characters, as
    /// [`NewIncident`](crate::NewIncident) checks it (the other actions hold a valid id by
    /// construction).
    ///
    /// # Errors
    /// [`Error::InvalidInput`] naming the title, never quoting it.
    pub fn validate(&self) -> Result<()> {
        match self {
            IncidentChange::Open { title, .. } => check_line("title", title, LINE_MAX),
            _ => Ok(()),
        }
    }

    /// Where `planned` differs from `self` (the approved action): the action, then the
    /// title and severity (open) or the incident.
    pub(super) fn differences(&self, planned: &IncidentChange) -> Vec<SpecDifference> {
        let mut out = Vec::new();
        let mut cmp = |field: &'static str, approved: String, planned: String| {
            if approved != planned {
                out.push(SpecDifference {
                    field,
                    approved,
                    planned,
                });
            }
        };
        match (self, planned) {
            (
                IncidentChange::Open {
                    title: t1,
                    severity: s1,
                },
                IncidentChange::Open {
                    title: t2,
                    severity: s2,
                },
            ) => {
                cmp("title", t1.clone(), t2.clone());
                cmp("severity", s1.to_string(), s2.to_string());
            }
            (a, p) if a.verb() != p.verb() => cmp("action", a.to_string(), p.to_string()),
            (a, p) => cmp(
                "incident",
                a.incident().map(ToString::to_string).unwrap_or_default(),
                p.incident().map(ToString::to_string).unwrap_or_default(),
            ),
        }
        out
    }
}

/// `silence alert HighErrorRate for 60 minutes`.
pub(super) fn silence_summary(alertname: &str, minutes: u32) -> String {
    format!(
        "silence alert {alertname} for {minutes} minute{}",
        if minutes == 1 { "" } else { "s" }
    )
}

/// Checks a silence: an alert name a silence can match (the rule of `ops silence`:
/// Prometheus alert names, one line) and 1 to [`SILENCE_MINUTES_MAX`] minutes.
///
/// # Errors
/// [`Error::InvalidInput`] naming the field.
pub(super) fn validate_silence(alertname: &str, minutes: u32) -> Result<()> {
    Matcher::equal("alertname", alertname)?;
    if !(1..=SILENCE_MINUTES_MAX).contains(&minutes) {
        return Err(Error::invalid(
            "minutes",
            format!("a silence lasts 1 to {SILENCE_MINUTES_MAX} minutes (7 days)"),
        ));
    }
    Ok(())
}

#[cfg(test)]
#[path = "spec_bookkeeping_tests.rs"]
mod tests;
