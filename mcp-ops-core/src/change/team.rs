//! The team: [`TeamRole`], [`Person`] and the [`TeamDirectory`] approvals are checked against.

use std::collections::BTreeSet;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::{Error, Result};

/// A role that can approve changes (the runbook's approvers). Not to be confused with
/// [`crate::platform::Role`], a deployment's role on the platform.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TeamRole {
    /// Approves Low-risk (configuration) changes.
    TeamLead,
    /// Approves Medium-risk (minor release) changes, and High with an architecture review.
    EngineeringManager,
    /// The architecture review a High-risk (major release) change needs.
    ArchitectureReview,
}

impl TeamRole {
    /// Every role.
    pub const ALL: [TeamRole; 3] = [
        TeamRole::TeamLead,
        TeamRole::EngineeringManager,
        TeamRole::ArchitectureReview,
    ];

    /// The serde name (`team_lead`).
    pub fn as_str(&self) -> &'static str {
        match self {
            TeamRole::TeamLead => "team_lead",
            TeamRole::EngineeringManager => "engineering_manager",
            TeamRole::ArchitectureReview => "architecture_review",
        }
    }
}

impl fmt::Display for TeamRole {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TeamRole::TeamLead => "team lead",
            TeamRole::EngineeringManager => "engineering manager",
            TeamRole::ArchitectureReview => "architecture review",
        })
    }
}

impl FromStr for TeamRole {
    /// Accepts `team_lead`, `team-lead` and `team lead` (any case).
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        let norm = s.to_ascii_lowercase().replace(['-', ' '], "_");
        TeamRole::ALL
            .into_iter()
            .find(|r| r.as_str() == norm)
            .ok_or_else(|| {
                Error::invalid(
                    "role",
                    format!(
                        "{:?} is not team_lead, engineering_manager or architecture_review",
                        s.chars().take(40).collect::<String>()
                    ),
                )
            })
    }
}

/// Checks a handle: 1 to 64 characters of `[a-z0-9._-]`.
///
/// # Errors
/// [`Error::InvalidInput`] for `field` saying what is wrong.
pub fn check_handle(field: &'static str, handle: &str) -> Result<()> {
    if handle.is_empty() || handle.len() > 64 {
        return Err(Error::invalid(field, "must be 1 to 64 characters"));
    }
    if let Some(c) = handle
        .chars()
        .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-')))
    {
        return Err(Error::invalid(
            field,
            format!("character {c:?} is not allowed (use a-z 0-9 . _ -)"),
        ));
    }
    Ok(())
}

/// A member of the team.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "RawPerson")]
pub struct Person {
    /// The handle people act as (`--as`), 1 to 64 characters of `[a-z0-9._-]`.
    pub handle: String,
    /// A display name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The roles the person holds (may be empty: they can request, not approve).
    #[serde(default)]
    pub roles: Vec<TeamRole>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPerson {
    handle: String,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    roles: Vec<TeamRole>,
}

impl TryFrom<RawPerson> for Person {
    type Error = Error;
    fn try_from(raw: RawPerson) -> Result<Self> {
        Person::new(&raw.handle, raw.name.as_deref(), raw.roles)
    }
}

impl Person {
    /// A validated person (duplicate roles are dropped).
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for a bad handle or a name that is empty, longer than 200
    /// characters or not one line.
    pub fn new(handle: &str, name: Option<&str>, roles: Vec<TeamRole>) -> Result<Self> {
        check_handle("handle", handle)?;
        if let Some(name) = name {
            if name.trim().is_empty() || name.chars().count() > 200 {
                return Err(Error::invalid("name", "must be 1 to 200 characters"));
            }
            if name.chars().any(char::is_control) {
                return Err(Error::invalid("name", "must be one line"));
            }
        }
        let mut unique = Vec::new();
        for r in roles {
            if !unique.contains(&r) {
                unique.push(r);
            }
        }
        Ok(Self {
            handle: handle.to_owned(),
            name: name.map(str::to_owned),
            roles: unique,
        })
    }

    /// Whether the person holds `role`.
    pub fn holds(&self, role: TeamRole) -> bool {
        self.roles.contains(&role)
    }
}

/// The people who may request and approve changes, with their roles (handles unique).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "Vec<Person>", into = "Vec<Person>")]
pub struct TeamDirectory {
    people: Vec<Person>,
}

impl TryFrom<Vec<Person>> for TeamDirectory {
    type Error = Error;
    fn try_from(people: Vec<Person>) -> Result<Self> {
        Self::new(people)
    }
}

impl From<TeamDirectory> for Vec<Person> {
    fn from(d: TeamDirectory) -> Self {
        d.people
    }
}

impl TeamDirectory {
    /// A directory of `people`.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] when a handle appears twice.
    pub fn new(people: Vec<Person>) -> Result<Self> {
        let mut seen = BTreeSet::new();
        for p in &people {
            if !seen.insert(p.handle.as_str()) {
                return Err(Error::invalid(
                    "team",
                    format!("handle {} appears twice", p.handle),
                ));
            }
        }
        Ok(Self { people })
    }

    /// The runbook's team: `team-lead` (team lead), `engineering-manager` (engineering
    /// manager), `architect` (architecture review) and `oncall` (no role: requests changes).
    pub fn runbook() -> Self {
        let p = |handle: &str, name: &str, roles: Vec<TeamRole>| Person {
            handle: handle.to_owned(),
            name: Some(name.to_owned()),
            roles,
        };
        Self {
            people: vec![
                p("team-lead", "Team Lead", vec![TeamRole::TeamLead]),
                p(
                    "engineering-manager",
                    "Engineering Manager",
                    vec![TeamRole::EngineeringManager],
                ),
                p(
                    "architect",
                    "Architecture Review",
                    vec![TeamRole::ArchitectureReview],
                ),
                p("oncall", "On-call Engineer", Vec::new()),
            ],
        }
    }

    /// The person with `handle`.
    pub fn person(&self, handle: &str) -> Option<&Person> {
        self.people.iter().find(|p| p.handle == handle)
    }

    /// Whether `handle` is in the directory and holds `role`.
    pub fn holds(&self, handle: &str, role: TeamRole) -> bool {
        self.person(handle).is_some_and(|p| p.holds(role))
    }

    /// Everyone holding `role`, in directory order.
    pub fn holders(&self, role: TeamRole) -> Vec<&Person> {
        self.people.iter().filter(|p| p.holds(role)).collect()
    }

    /// Everyone, in directory order.
    pub fn people(&self) -> &[Person] {
        &self.people
    }

    /// Whether nobody is in the directory.
    pub fn is_empty(&self) -> bool {
        self.people.is_empty()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;

    #[test]
    fn handles_are_validated() {
        assert!(Person::new("team-lead", None, vec![]).is_ok());
        assert!(Person::new("a.b_c-9", Some("A B"), vec![]).is_ok());
        for bad in ["", "Team", "a b", "a/b", "é", &"a".repeat(65)] {
            assert!(Person::new(bad, None, vec![]).is_err(), "{bad:?}");
        }
        assert!(Person::new("x", Some(""), vec![]).is_err());
        assert!(Person::new("x", Some("a\nb"), vec![]).is_err());
    }

    #[test]
    fn directory_refuses_duplicates_and_finds_holders() {
        let p = |h: &str| Person::new(h, None, vec![TeamRole::TeamLead]).unwrap();
        assert!(TeamDirectory::new(vec![p("a"), p("a")]).is_err());
        let d = TeamDirectory::runbook();
        assert_eq!(d.holders(TeamRole::TeamLead)[0].handle, "team-lead");
        assert!(d.holds("architect", TeamRole::ArchitectureReview));
        assert!(!d.holds("oncall", TeamRole::TeamLead));
        assert!(!d.holds("nobody", TeamRole::TeamLead));
        assert_eq!(d.people().len(), 4);
    }

    #[test]
    fn role_text_forms() {
        assert_eq!(TeamRole::TeamLead.to_string(), "team lead");
        assert_eq!(
            serde_json::to_string(&TeamRole::EngineeringManager).unwrap(),
            "\"engineering_manager\""
        );
        assert_eq!(
            "Architecture-Review".parse::<TeamRole>().unwrap(),
            TeamRole::ArchitectureReview
        );
        assert!("boss".parse::<TeamRole>().is_err());
    }

    #[test]
    fn platform_file_form_deserializes_with_validation() {
        let toml_text = r#"
            [[team]]
            handle = "ana"
            name = "Ana"
            roles = ["team_lead", "engineering_manager"]
        "#;
        #[derive(Deserialize)]
        struct File {
            team: TeamDirectory,
        }
        let f: File = toml::from_str(toml_text).unwrap();
        assert!(f.team.holds("ana", TeamRole::EngineeringManager));
        assert!(toml::from_str::<File>("[[team]]\nhandle = \"Ana\"").is_err());
    }
}
