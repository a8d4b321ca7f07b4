//! Who an escalation target means: the on-call rotation, teams and named targets, loadable
//! from a JSON contacts file. Defaults are the runbook's Emergency Contacts.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use jiff::Timestamp;
use mcp_ops_core::{Error, Result};
use serde::{Deserialize, Serialize};

/// A person.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Person {
    /// Name or role (`DevOps Engineer`).
    pub name: String,
    /// Phone (`+1-555-0001`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    /// Email.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
}

impl Person {
    /// `Name (+1-555-0001)`, or `Name <email>`, or the name.
    #[must_use]
    pub fn label(&self) -> String {
        match (&self.phone, &self.email) {
            (Some(p), _) => format!("{} ({p})", self.name),
            (None, Some(e)) => format!("{} <{e}>", self.name),
            (None, None) => self.name.clone(),
        }
    }
}

/// A team's channels.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Team {
    /// Team email (`platform@company.com`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// Slack channel (`#platform`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel: Option<String>,
}

/// The on-call rotation: `people[0]` is primary from `handoff`, then each `period` the next
/// person takes over; the one after the primary is secondary.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rotation {
    /// People in rotation order.
    pub people: Vec<Person>,
    /// When `people[0]` started as primary.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub handoff: Option<Timestamp>,
    /// Length of a shift in seconds (no rotation when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub period_secs: Option<u64>,
}

impl Rotation {
    /// Index of the primary at `now`.
    fn primary_index(&self, now: Timestamp) -> usize {
        let (Some(handoff), Some(period)) = (self.handoff, self.period_secs) else {
            return 0;
        };
        if self.people.is_empty() || period == 0 {
            return 0;
        }
        let elapsed = mcp_ops_core::clock::elapsed_between(handoff, now);
        let shifts = elapsed.as_secs() / period;
        usize::try_from(shifts % self.people.len() as u64).unwrap_or(0)
    }

    /// Primary at `now`.
    #[must_use]
    pub fn primary(&self, now: Timestamp) -> Option<&Person> {
        self.people.get(self.primary_index(now))
    }

    /// Secondary at `now`.
    #[must_use]
    pub fn secondary(&self, now: Timestamp) -> Option<&Person> {
        if self.people.len() < 2 {
            return None;
        }
        self.people
            .get((self.primary_index(now) + 1) % self.people.len())
    }

    /// The shift length.
    #[must_use]
    pub fn period(&self) -> Option<Duration> {
        self.period_secs.map(Duration::from_secs)
    }
}

/// The contacts file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Contacts {
    /// The on-call rotation (target `on-call engineer` = primary, `secondary on-call`).
    pub on_call: Rotation,
    /// Teams by name (target `<name>` or `<name> team`).
    #[serde(default)]
    pub teams: BTreeMap<String, Team>,
    /// People by target name (`engineering manager`).
    #[serde(default)]
    pub people: BTreeMap<String, Person>,
}

impl Default for Contacts {
    /// The runbook's Emergency Contacts.
    fn default() -> Self {
        let person = |name: &str, phone: &str| Person {
            name: name.into(),
            phone: Some(phone.into()),
            email: None,
        };
        let team = |email: &str| Team {
            email: Some(email.into()),
            channel: None,
        };
        Self {
            on_call: Rotation {
                people: vec![
                    person("DevOps Engineer", "+1-555-0001"),
                    person("Platform Engineer", "+1-555-0002"),
                ],
                handoff: None,
                period_secs: None,
            },
            teams: [
                ("devops".to_owned(), team("devops@company.com")),
                ("infrastructure".to_owned(), team("platform@company.com")),
                ("platform".to_owned(), team("platform@company.com")),
                ("security".to_owned(), team("security@company.com")),
            ]
            .into(),
            people: [
                (
                    "engineering manager".to_owned(),
                    person("Engineering Manager", "+1-555-0003"),
                ),
                (
                    "team lead".to_owned(),
                    Person {
                        name: "DevOps team lead".into(),
                        phone: None,
                        email: Some("devops@company.com".into()),
                    },
                ),
            ]
            .into(),
        }
    }
}

impl Contacts {
    /// Parses a JSON contacts file.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] with the parse error, or naming an entry
    /// [`Contacts::validate`] refuses.
    pub fn from_json(text: &str) -> Result<Self> {
        let contacts: Self =
            serde_json::from_str(text).map_err(|e| Error::invalid("contacts", e.to_string()))?;
        contacts.validate()?;
        Ok(contacts)
    }

    /// Reads a JSON contacts file.
    ///
    /// # Errors
    /// [`Error::NotFound`] when the file does not exist; [`Error::InvalidInput`] when it
    /// cannot be read (with the OS reason), does not parse or holds a bad entry.
    pub fn load(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => {
                Error::not_found("contacts file", path.display().to_string())
            }
            _ => Error::invalid(
                "contacts file",
                format!("{}: cannot read: {e}", path.display()),
            ),
        })?;
        Self::from_json(&text)
    }

    /// Who `target` means at `now`; unknown targets are kept as written.
    #[must_use]
    pub fn resolve(&self, target: &str, now: Timestamp) -> Vec<String> {
        let t = target.trim().to_lowercase();
        match t.as_str() {
            "on-call engineer" | "on-call" | "primary on-call" => {
                return self
                    .on_call
                    .primary(now)
                    .map(Person::label)
                    .into_iter()
                    .collect();
            }
            "secondary on-call" => {
                return self
                    .on_call
                    .secondary(now)
                    .map(Person::label)
                    .into_iter()
                    .collect();
            }
            _ => {}
        }
        if let Some(p) = self.people.get(&t) {
            return vec![p.label()];
        }
        let team_name = t.strip_suffix(" team").unwrap_or(&t);
        if let Some(team) = self.teams.get(team_name) {
            let mut out: Vec<String> = team.channel.iter().cloned().collect();
            out.extend(team.email.iter().map(|e| format!("{target} <{e}>")));
            if !out.is_empty() {
                return out;
            }
        }
        vec![target.to_owned()]
    }

    /// All of `targets`, resolved, without duplicates, in order.
    #[must_use]
    pub fn resolve_all(&self, targets: &[String], now: Timestamp) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for t in targets {
            for r in self.resolve(t, now) {
                if !out.contains(&r) {
                    out.push(r);
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    fn t(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    #[test]
    fn runbook_contacts_resolve_the_default_levels() {
        let c = Contacts::default();
        let now = t("2025-01-08T14:30:00Z");
        assert_eq!(
            c.resolve("on-call engineer", now),
            ["DevOps Engineer (+1-555-0001)"]
        );
        assert_eq!(
            c.resolve_all(&["team lead".into(), "infrastructure team".into()], now),
            [
                "DevOps team lead <devops@company.com>",
                "infrastructure team <platform@company.com>"
            ]
        );
        assert_eq!(
            c.resolve("engineering manager", now),
            ["Engineering Manager (+1-555-0003)"]
        );
        assert_eq!(c.resolve("executive team", now), ["executive team"]);
    }

    #[test]
    fn rotation_moves_every_period() {
        let json = r##"{"on_call":{"people":[{"name":"A"},{"name":"B"},{"name":"C"}],
            "handoff":"2025-01-06T09:00:00Z","period_secs":604800},
            "teams":{"db":{"channel":"#db","email":"db@company.com"}}}"##;
        let c = Contacts::from_json(json).unwrap();
        assert_eq!(
            c.resolve("on-call engineer", t("2025-01-08T00:00:00Z")),
            ["A"]
        );
        assert_eq!(
            c.resolve("on-call engineer", t("2025-01-14T00:00:00Z")),
            ["B"]
        );
        assert_eq!(
            c.resolve("secondary on-call", t("2025-01-21T00:00:00Z")),
            ["A"]
        );
        assert_eq!(
            c.resolve("db team", t("2025-01-08T00:00:00Z")),
            ["#db", "db team <db@company.com>"]
        );
        assert!(Contacts::from_json("{").is_err());
    }
}
