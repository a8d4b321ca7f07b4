//! [`ChangeRequest`]: the runbook's CR document, its window, approvals and digest.

use std::time::Duration;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::{ChangeId, ChangeSpec, Risk, RiskAssessment, TeamRole, check_handle, derive_risk};
use crate::{Error, Result};

/// The shortest change window.
pub const WINDOW_MIN: Duration = Duration::from_secs(60);
/// The longest change window (7 days).
pub const WINDOW_MAX: Duration = Duration::from_secs(7 * 24 * 3600);
/// The window of a retroactive (break-glass) change request.
pub const RETROACTIVE_WINDOW: Duration = Duration::from_secs(3600);
/// The longest free text (rollback plan, description, reason, comment), in characters.
pub const TEXT_MAX: usize = 2000;

/// When a change may run: from `start` for `duration` (1 minute to 7 days).
///
/// Serialized as `{"start": RFC 3339, "duration_secs": N}`; deserialization checks the range.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "RawWindow", into = "RawWindow")]
pub struct ChangeWindow {
    /// When the window opens.
    pub start: Timestamp,
    /// How long it stays open.
    pub duration: Duration,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawWindow {
    start: Timestamp,
    duration_secs: u64,
}

impl TryFrom<RawWindow> for ChangeWindow {
    type Error = Error;
    fn try_from(raw: RawWindow) -> Result<Self> {
        ChangeWindow::new(raw.start, Duration::from_secs(raw.duration_secs))
    }
}

impl From<ChangeWindow> for RawWindow {
    fn from(w: ChangeWindow) -> Self {
        RawWindow {
            start: w.start,
            duration_secs: w.duration.as_secs(),
        }
    }
}

impl ChangeWindow {
    /// A window from `start` lasting `duration` (whole seconds).
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for a duration under 1 minute or over 7 days.
    pub fn new(start: Timestamp, duration: Duration) -> Result<Self> {
        let w = Self {
            start,
            duration: Duration::from_secs(duration.as_secs()),
        };
        w.check()?;
        Ok(w)
    }

    fn check(&self) -> Result<()> {
        if self.duration < WINDOW_MIN || self.duration > WINDOW_MAX {
            return Err(Error::invalid(
                "duration",
                format!(
                    "{} s is not between 1 minute and 7 days",
                    self.duration.as_secs()
                ),
            ));
        }
        if self.start.checked_add(self.duration).is_err() {
            return Err(Error::invalid(
                "scheduled",
                "the window ends after year 9999",
            ));
        }
        Ok(())
    }

    /// When the window closes (the start plus the duration).
    pub fn end(&self) -> Timestamp {
        self.start
            .checked_add(self.duration)
            .unwrap_or(Timestamp::MAX)
    }

    /// Whether `now` is inside the window (`start <= now < end`).
    pub fn contains(&self, now: Timestamp) -> bool {
        self.start <= now && now < self.end()
    }
}

/// What a requester fills in; [`ChangeRequest::new`] validates it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChangeDraft {
    /// The exact change.
    pub spec: ChangeSpec,
    /// When it may run.
    pub window: ChangeWindow,
    /// How to undo it (one line).
    pub rollback_plan: String,
    /// What and why (one line).
    pub description: String,
    /// Who asks (a handle).
    pub requester: String,
    /// A risk the requester asks for: may raise the derived risk, never lower it.
    pub requested_risk: Option<Risk>,
}

/// One approval of a change request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Approval {
    /// The approver's handle.
    pub by: String,
    /// The role they approve as.
    pub role: TeamRole,
    /// When.
    pub at: Timestamp,
    /// Their comment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    /// The change request's [`ChangeRequest::digest`] when approved: what they approved.
    pub digest: String,
}

/// The rejection of a change request (final).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rejection {
    /// Who rejected it.
    pub by: String,
    /// When.
    pub at: Timestamp,
    /// Why.
    pub comment: String,
}

/// The origin of a retroactive change request: an emergency rollback run without approval.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct BreakGlass {
    /// Why approval could not wait.
    pub reason: String,
    /// When the glass was broken.
    pub at: Timestamp,
    /// Who broke it.
    pub by: String,
}

/// A change request: the runbook's CR document (`CR-2025-001`: type, risk, schedule, duration,
/// rollback plan, approver, description) with the exact change and its approvals.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChangeRequest {
    /// The id.
    pub id: ChangeId,
    /// The exact change.
    pub spec: ChangeSpec,
    /// The risk: the higher of the derived and the requested one.
    pub risk: Risk,
    /// The risk the change has by itself, and why.
    pub derived_risk: RiskAssessment,
    /// When it may run.
    pub window: ChangeWindow,
    /// How to undo it.
    pub rollback_plan: String,
    /// What and why.
    pub description: String,
    /// Who asked.
    pub requester: String,
    /// When they asked.
    pub requested_at: Timestamp,
    /// The approvals given (valid or not: the policy decides which count).
    #[serde(default)]
    pub approvals: Vec<Approval>,
    /// The rejection, when rejected.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rejection: Option<Rejection>,
    /// For a retroactive change request: the break-glass it records.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub break_glass: Option<BreakGlass>,
}

impl ChangeRequest {
    /// A new change request from a requester's draft, at `now`.
    ///
    /// The risk is the derived risk ([`derive_risk`]) or the requested one when it is higher.
    ///
    /// ```
    /// use std::time::Duration;
    /// use mcp_ops_core::change::{ChangeDraft, ChangeId, ChangeRequest, ChangeSpec, ChangeWindow, Risk};
    /// use mcp_ops_core::jiff::Timestamp;
    ///
    /// let now: Timestamp = "2026-01-08T14:00:00Z".parse().unwrap();
    /// let draft = ChangeDraft {
    ///     spec: ChangeSpec::Scale {
    ///         deployment: "mcp-production/mcp-typescript-api".parse()?,
    ///         replicas: "5".parse()?,
    ///     },
    ///     window: ChangeWindow::new("2026-01-08T15:00:00Z".parse().unwrap(), Duration::from_secs(1800))?,
    ///     rollback_plan: "scale back to 3".into(),
    ///     description: "more capacity for the launch".into(),
    ///     requester: "oncall".into(),
    ///     requested_risk: None,
    /// };
    /// let cr = ChangeRequest::new(ChangeId::new(2026, 1)?, draft.clone(), now)?;
    /// assert_eq!(cr.risk, Risk::Low);
    ///
    /// // A requester may raise the risk, never lower it.
    /// let raised = ChangeDraft { requested_risk: Some(Risk::High), ..draft };
    /// assert_eq!(ChangeRequest::new(ChangeId::new(2026, 2)?, raised, now)?.risk, Risk::High);
    /// # Ok::<(), mcp_ops_core::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for a rollback plan or description that is empty, longer than
    /// 2000 characters or not one line; a bad requester handle; a bad secret key or database
    /// name; a window that has already closed; a requested risk below the derived one.
    pub fn new(id: ChangeId, draft: ChangeDraft, now: Timestamp) -> Result<Self> {
        draft.spec.validate()?;
        draft.window.check()?;
        check_text("rollback plan", &draft.rollback_plan)?;
        check_text("description", &draft.description)?;
        check_handle("requester", &draft.requester)?;
        if draft.window.end() <= now {
            return Err(Error::invalid(
                "scheduled",
                format!(
                    "the window {} + {} min closed before now ({now})",
                    draft.window.start,
                    draft.window.duration.as_secs() / 60
                ),
            ));
        }
        let derived = derive_risk(&draft.spec);
        let risk = match draft.requested_risk {
            Some(asked) if asked < derived.risk => {
                return Err(Error::invalid(
                    "risk",
                    format!(
                        "requested {asked} is below the derived {} ({}); a requester may raise the risk, never lower it",
                        derived.risk, derived.why
                    ),
                ));
            }
            Some(asked) => asked,
            None => derived.risk,
        };
        Ok(Self {
            id,
            spec: draft.spec,
            risk,
            derived_risk: derived,
            window: draft.window,
            rollback_plan: draft.rollback_plan,
            description: draft.description,
            requester: draft.requester,
            requested_at: now,
            approvals: Vec::new(),
            rejection: None,
            break_glass: None,
        })
    }

    /// A retroactive change request for a break-glass change already made by `by` at `now`
    /// (an emergency rollback): window `now` to `now + 1 h`, status awaiting review until
    /// the approvers its risk needs have approved it.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for an empty, too long or multi-line reason, or a bad handle.
    pub fn retroactive(
        id: ChangeId,
        spec: ChangeSpec,
        reason: &str,
        by: &str,
        now: Timestamp,
    ) -> Result<Self> {
        spec.validate()?;
        check_text("reason", reason)?;
        check_handle("requester", by)?;
        let window = ChangeWindow::new(now, RETROACTIVE_WINDOW)?;
        let derived = derive_risk(&spec);
        Ok(Self {
            id,
            risk: derived.risk,
            derived_risk: derived,
            window,
            rollback_plan: "none: a break-glass change already made; review it".to_owned(),
            description: format!("Break-glass {}: {reason}", spec.summary()),
            spec,
            requester: by.to_owned(),
            requested_at: now,
            approvals: Vec::new(),
            rejection: None,
            break_glass: Some(BreakGlass {
                reason: reason.to_owned(),
                at: now,
                by: by.to_owned(),
            }),
        })
    }

    /// SHA-256 (lowercase hex) of the canonical JSON (object keys sorted, no whitespace) of
    /// every field except `approvals` and `rejection`: what an approver approves. Any edit
    /// of the change, its window, texts, risk, requester or origin changes it.
    pub fn digest(&self) -> String {
        let mut value = match serde_json::to_value(self) {
            Ok(v) => v,
            // Serializing plain data to a Value does not fail; an empty digest input would
            // still never equal an approval's digest of a real CR.
            Err(_) => serde_json::Value::Null,
        };
        if let Some(map) = value.as_object_mut() {
            map.remove("approvals");
            map.remove("rejection");
        }
        hex::encode(Sha256::digest(canonical_json(&value).as_bytes()))
    }

    /// Whether this is a retroactive (break-glass) change request.
    pub fn is_retroactive(&self) -> bool {
        self.break_glass.is_some()
    }
}

/// JSON with object keys sorted at every level and no whitespace (independent of serde_json's
/// `preserve_order` feature).
pub fn canonical_json(value: &serde_json::Value) -> String {
    fn sorted(v: &serde_json::Value) -> serde_json::Value {
        match v {
            serde_json::Value::Object(map) => {
                let mut keys: Vec<&String> = map.keys().collect();
                keys.sort();
                let mut out = serde_json::Map::new();
                for k in keys {
                    out.insert(k.clone(), sorted(&map[k]));
                }
                serde_json::Value::Object(out)
            }
            serde_json::Value::Array(items) => {
                serde_json::Value::Array(items.iter().map(sorted).collect())
            }
            other => other.clone(),
        }
    }
    sorted(value).to_string()
}

/// Checks a one-line free text of 1 to [`TEXT_MAX`] characters.
///
/// # Errors
/// [`Error::InvalidInput`] for `field`.
pub fn check_text(field: &'static str, s: &str) -> Result<()> {
    if s.trim().is_empty() {
        return Err(Error::invalid(field, "must not be empty"));
    }
    if s.chars().count() > TEXT_MAX {
        return Err(Error::invalid(
            field,
            format!("must be at most {TEXT_MAX} characters"),
        ));
    }
    if s.chars().any(char::is_control) {
        return Err(Error::invalid(
            field,
            "must be one line without control characters",
        ));
    }
    Ok(())
}
