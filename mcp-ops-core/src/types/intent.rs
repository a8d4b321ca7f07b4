//! [`Intent`]: why and by whom a mutating call is made, and whether it is a dry run.

use serde::{Deserialize, Serialize};

use crate::{Error, Result};

/// Longest reason or actor, in characters.
const TEXT_MAX: usize = 512;
/// Longest ticket reference, in characters.
const TICKET_MAX: usize = 128;

/// The purpose of a mutating call. Every mutating operation takes one; with
/// [`Intent::is_dry_run`] the operation returns the planned change and changes nothing.
///
/// Reason, actor and ticket are trimmed, non-empty, free of control characters (including
/// newlines) and bounded in length, because the reason becomes the
/// `kubernetes.io/change-cause` annotation and all three go into journals.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "RawIntent")]
pub struct Intent {
    reason: String,
    actor: String,
    dry_run: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    ticket: Option<String>,
}

#[derive(Deserialize)]
struct RawIntent {
    reason: String,
    actor: String,
    #[serde(default)]
    dry_run: bool,
    #[serde(default)]
    ticket: Option<String>,
}

impl TryFrom<RawIntent> for Intent {
    type Error = Error;
    fn try_from(raw: RawIntent) -> Result<Self> {
        let intent = Intent::new(raw.reason, raw.actor)?.with_dry_run(raw.dry_run);
        match raw.ticket {
            Some(t) => intent.with_ticket(t),
            None => Ok(intent),
        }
    }
}

fn clean(field: &'static str, value: String, max: usize) -> Result<String> {
    let trimmed = value.trim();
    if trimmed.is_empty() {
        return Err(Error::invalid(
            field,
            "must not be empty or only whitespace",
        ));
    }
    if let Some(c) = trimmed.chars().find(|c| c.is_control()) {
        return Err(Error::invalid(
            field,
            format!("contains the control character {c:?}; use a single line of text"),
        ));
    }
    let n = trimmed.chars().count();
    if n > max {
        return Err(Error::invalid(
            field,
            format!("is {n} characters long; at most {max} are allowed"),
        ));
    }
    Ok(trimmed.to_owned())
}

impl Intent {
    /// Validates `reason` (why, e.g. "roll back v1.0.2: 5xx spike") and `actor` (who, e.g. a
    /// user or tool name). Both are trimmed; they must be non-empty, at most 512 characters
    /// and free of control characters.
    pub fn new(reason: impl Into<String>, actor: impl Into<String>) -> Result<Self> {
        Ok(Self {
            reason: clean("reason", reason.into(), TEXT_MAX)?,
            actor: clean("actor", actor.into(), TEXT_MAX)?,
            dry_run: false,
            ticket: None,
        })
    }

    /// Sets whether the call only plans (true) or also changes (false, the default).
    pub fn with_dry_run(mut self, dry_run: bool) -> Self {
        self.dry_run = dry_run;
        self
    }

    /// Attaches an incident or change ticket (e.g. `INC-1234`): trimmed, non-empty, at most
    /// 128 characters, no control characters.
    pub fn with_ticket(mut self, ticket: impl Into<String>) -> Result<Self> {
        self.ticket = Some(clean("ticket", ticket.into(), TICKET_MAX)?);
        Ok(self)
    }

    /// Why the change is made.
    pub fn reason(&self) -> &str {
        &self.reason
    }

    /// Who makes it.
    pub fn actor(&self) -> &str {
        &self.actor
    }

    /// Whether this is a dry run.
    pub fn is_dry_run(&self) -> bool {
        self.dry_run
    }

    /// The ticket, when one is attached.
    pub fn ticket(&self) -> Option<&str> {
        self.ticket.as_deref()
    }

    /// The `kubernetes.io/change-cause` text: `"<reason> (by <actor>)"`, or
    /// `"<reason> (by <actor>, <ticket>)"` with a ticket. Dry runs are not marked (a dry run
    /// records nothing).
    pub fn change_cause(&self) -> String {
        match &self.ticket {
            Some(t) => format!("{} (by {}, {t})", self.reason, self.actor),
            None => format!("{} (by {})", self.reason, self.actor),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn builds_and_reads() {
        let i = Intent::new("  roll back v1.0.2: 5xx spike ", "oncall@example").unwrap();
        assert_eq!(i.reason(), "roll back v1.0.2: 5xx spike");
        assert_eq!(i.actor(), "oncall@example");
        assert!(!i.is_dry_run());
        assert_eq!(i.ticket(), None);
        assert_eq!(
            i.change_cause(),
            "roll back v1.0.2: 5xx spike (by oncall@example)"
        );
        let i = i.with_dry_run(true).with_ticket("INC-42").unwrap();
        assert!(i.is_dry_run());
        assert_eq!(i.ticket(), Some("INC-42"));
        assert_eq!(
            i.change_cause(),
            "roll back v1.0.2: 5xx spike (by oncall@example, INC-42)"
        );
        assert!(Intent::new("é".repeat(512), "ü").is_ok());
    }

    #[test]
    fn rejects_bad_text() {
        let long = "x".repeat(513);
        let bad = [
            "",
            " ",
            "\t\n",
            "a\nb",
            "a\rb",
            "a\u{0}b",
            "a\u{7f}b",
            "a\u{1b}[31m",
            "a\u{85}b",
            &long,
        ];
        for b in bad {
            assert!(Intent::new(b, "me").is_err(), "reason {b:?}");
            assert!(Intent::new("why", b).is_err(), "actor {b:?}");
        }
        let ok = Intent::new("why", "me").unwrap();
        let long_ticket = "t".repeat(129);
        for b in bad
            .iter()
            .copied()
            .chain([long_ticket.as_str(), "INC-1\t2"])
        {
            assert!(ok.clone().with_ticket(b).is_err(), "ticket {b:?}");
        }
        assert_eq!(
            ok.with_ticket("t".repeat(128))
                .unwrap()
                .ticket()
                .map(str::len),
            Some(128)
        );
        match Intent::new("why", " ").unwrap_err() {
            Error::InvalidInput { field, reason } => {
                assert_eq!(field, "actor");
                assert!(reason.contains("empty"));
            }
            e => panic!("{e:?}"),
        }
    }

    #[test]
    fn serde_validates() {
        let i = Intent::new("scale up", "cli").unwrap().with_dry_run(true);
        let json = serde_json::to_string(&i).unwrap();
        assert_eq!(
            json,
            r#"{"reason":"scale up","actor":"cli","dry_run":true}"#
        );
        assert_eq!(serde_json::from_str::<Intent>(&json).unwrap(), i);
        let minimal: Intent = serde_json::from_str(r#"{"reason":"r","actor":"a"}"#).unwrap();
        assert!(!minimal.is_dry_run());
        assert!(serde_json::from_str::<Intent>(r#"{"reason":"","actor":"a"}"#).is_err());
        assert!(serde_json::from_str::<Intent>(r#"{"reason":"r","actor":"a\nb"}"#).is_err());
        assert!(
            serde_json::from_str::<Intent>(r#"{"reason":"r","actor":"a","ticket":""}"#).is_err()
        );
    }

    proptest! {
        #[test]
        fn never_panics(r in "\\PC*", a in "\\PC*") {
            let _ = Intent::new(r, a);
        }

        #[test]
        fn serde_round_trip(r in "[ -~]{1,40}", a in "[ -~]{1,20}", d: bool) {
            prop_assume!(!r.trim().is_empty() && !a.trim().is_empty());
            let i = Intent::new(r, a).unwrap().with_dry_run(d);
            let back: Intent = serde_json::from_str(&serde_json::to_string(&i).unwrap()).unwrap();
            prop_assert_eq!(back, i);
        }
    }
}
