//! The `[[team]]` and `[changes]` sections: who may approve which change
//! ([`TeamDirectory`]) and what each risk level needs ([`ChangePolicy`]). Every error names
//! its key path (`team[1].roles[0]`, `changes.high`).

use super::error::{PlatformError, PlatformResult, field, from_core, item};
use super::raw::{RawChanges, RawPerson};
use crate::change::{ChangePolicy, Person, TeamDirectory, TeamRole};

/// Longest handle.
const HANDLE_MAX: usize = 64;

/// Longest display name.
const NAME_MAX: usize = 200;

/// A role as the file spells it (`team_lead`, exactly).
fn role(key: &str, s: &str) -> PlatformResult<TeamRole> {
    TeamRole::ALL
        .into_iter()
        .find(|r| r.as_str() == s)
        .ok_or_else(|| {
            PlatformError::at(
                key,
                "must be team_lead, engineering_manager or architecture_review",
            )
        })
}

/// Distinct roles of the list at `key`; `at_least_one` refuses an empty list.
fn roles(key: &str, raw: &[String], at_least_one: bool) -> PlatformResult<Vec<TeamRole>> {
    if at_least_one && raw.is_empty() {
        return Err(PlatformError::at(key, "at least one role is needed"));
    }
    let mut out = Vec::with_capacity(raw.len());
    for (i, s) in raw.iter().enumerate() {
        let k = item(key, i);
        let r = role(&k, s)?;
        if out.contains(&r) {
            return Err(PlatformError::at(k, "is given twice"));
        }
        out.push(r);
    }
    Ok(out)
}

/// `[[team]]`: people with unique handles (`[a-z0-9._-]`, 1..=64) and their roles. None
/// given: an empty directory (nobody can approve; only break-glass rollbacks run when
/// changes are enforced).
pub(crate) fn team(raw: &[RawPerson]) -> PlatformResult<TeamDirectory> {
    let mut people: Vec<Person> = Vec::with_capacity(raw.len());
    for (i, p) in raw.iter().enumerate() {
        let key = item("team", i);
        let hk = field(&key, "handle");
        let h = &p.handle;
        if h.is_empty() || h.chars().count() > HANDLE_MAX {
            return Err(PlatformError::at(hk, "must be 1 to 64 characters"));
        }
        if !h
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-'))
        {
            return Err(PlatformError::at(
                hk,
                "may hold only a-z, 0-9, '.', '_' and '-'",
            ));
        }
        if people.iter().any(|o| &o.handle == h) {
            return Err(PlatformError::at(hk, "is given twice"));
        }
        let name = match &p.name {
            None => None,
            Some(n) => {
                let nk = field(&key, "name");
                if n.trim().is_empty() {
                    return Err(PlatformError::at(nk, "must not be empty"));
                }
                if n.chars().any(char::is_control) || n.chars().count() > NAME_MAX {
                    return Err(PlatformError::at(
                        nk,
                        "must be printable and at most 200 characters",
                    ));
                }
                Some(n.clone())
            }
        };
        people.push(Person {
            handle: h.clone(),
            name,
            roles: roles(&field(&key, "roles"), &p.roles, false)?,
        });
    }
    TeamDirectory::new(people).map_err(|e| from_core("team", e))
}

/// `[changes]`: each risk level's roles (the runbook's when missing) and `enforce`
/// (default false).
pub(crate) fn changes(raw: Option<&RawChanges>) -> PlatformResult<ChangePolicy> {
    let mut policy = ChangePolicy::default();
    let Some(raw) = raw else {
        return Ok(policy);
    };
    if let Some(l) = &raw.low {
        policy.low = roles("changes.low", l, true)?;
    }
    if let Some(l) = &raw.medium {
        policy.medium = roles("changes.medium", l, true)?;
    }
    if let Some(l) = &raw.high {
        policy.high = roles("changes.high", l, true)?;
    }
    policy.enforce = raw.enforce.unwrap_or(false);
    Ok(policy)
}

/// The directory back to `[[team]]` entries.
pub(crate) fn team_to_raw(directory: &TeamDirectory) -> Vec<RawPerson> {
    directory
        .people()
        .iter()
        .map(|p| RawPerson {
            handle: p.handle.clone(),
            name: p.name.clone(),
            roles: p.roles.iter().map(|r| r.as_str().to_owned()).collect(),
        })
        .collect()
}

/// The policy back to `[changes]`, every value written out.
pub(crate) fn changes_to_raw(policy: &ChangePolicy) -> RawChanges {
    let names = |l: &[TeamRole]| Some(l.iter().map(|r| r.as_str().to_owned()).collect());
    RawChanges {
        enforce: Some(policy.enforce),
        low: names(&policy.low),
        medium: names(&policy.medium),
        high: names(&policy.high),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use crate::change::{ChangePolicy, TeamDirectory, TeamRole};
    use crate::platform::Platform;

    const BASE: &str = r#"
namespaces = ["shop"]
[platform]
name = "shop"
environment = "staging"
[[deployments]]
name = "storefront"
role = "api"
containers = [{ name = "web", image = "registry.example/storefront:v2.3.0" }]
"#;

    fn load(extra: &str) -> Result<Platform, String> {
        Platform::from_toml_str(&format!("{BASE}\n{extra}\n")).map_err(|e| e.to_string())
    }

    #[test]
    fn a_file_without_team_has_nobody_and_the_runbook_policy() {
        let p = load("").unwrap();
        assert!(p.team.is_empty());
        assert_eq!(p.changes, ChangePolicy::default());
        assert_eq!(Platform::runbook().team, TeamDirectory::runbook());
    }

    #[test]
    fn team_and_changes_load_and_round_trip() {
        let p = load(
            r#"
[[team]]
handle = "maria"
name = "Maria"
roles = ["team_lead", "engineering_manager"]
[[team]]
handle = "kim"
[changes]
enforce = true
low = ["engineering_manager"]
"#,
        )
        .unwrap();
        assert!(p.team.holds("maria", TeamRole::EngineeringManager));
        assert!(p.team.person("kim").unwrap().roles.is_empty());
        assert!(p.changes.enforce);
        assert_eq!(p.changes.low, vec![TeamRole::EngineeringManager]);
        assert_eq!(p.changes.high, ChangePolicy::default().high);
        let text = p.to_toml_string().unwrap();
        assert_eq!(Platform::from_toml_str(&text).unwrap(), p, "{text}");
        let runbook = Platform::runbook();
        let text = runbook.to_toml_string().unwrap();
        assert_eq!(Platform::from_toml_str(&text).unwrap(), runbook, "{text}");
    }

    #[test]
    fn each_error_names_its_key_path() {
        let cases = [
            ("[[team]]\nhandle = \"Maria\"", "team[0].handle"),
            ("[[team]]\nhandle = \"\"", "team[0].handle"),
            (
                "[[team]]\nhandle = \"a\"\n[[team]]\nhandle = \"a\"",
                "team[1].handle: is given twice",
            ),
            (
                "[[team]]\nhandle = \"a\"\nroles = [\"boss\"]",
                "team[0].roles[0]: must be team_lead",
            ),
            (
                "[[team]]\nhandle = \"a\"\nroles = [\"team_lead\", \"team_lead\"]",
                "team[0].roles[1]: is given twice",
            ),
            ("[[team]]\nhandle = \"a\"\nname = \" \"", "team[0].name"),
            ("[changes]\nlow = []", "changes.low: at least one role"),
            ("[changes]\nhigh = [\"cto\"]", "changes.high[0]"),
        ];
        for (extra, want) in cases {
            let e = load(extra).unwrap_err();
            assert!(e.contains(want), "{extra:?}: want {want:?} in {e}");
        }
        for unknown in [
            "[[team]]\nhandle = \"a\"\nemail = \"a@x\"",
            "[changes]\nenforced = true",
        ] {
            let e = load(unknown).unwrap_err();
            assert!(e.contains("unknown field"), "{unknown:?}: {e}");
        }
    }
}
