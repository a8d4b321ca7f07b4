//! [`ChangePolicy`]: the roles each risk needs, which approvals count, and whether a change
//! may run now.

use std::collections::BTreeSet;
use std::fmt;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use super::{Approval, ChangeRefusal, ChangeRequest, ChangeSpec, Risk, TeamDirectory, TeamRole};

/// Where a change request stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ChangeStatus {
    /// Waiting for approvals; the window has not closed.
    Pending,
    /// Every approval its risk needs is there and the window has not closed.
    Approved,
    /// Rejected (final).
    Rejected,
    /// The window closed (approved or not).
    Expired,
    /// A retroactive (break-glass) change request not yet approved.
    AwaitingReview,
    /// A retroactive change request that has been approved.
    Reviewed,
}

impl fmt::Display for ChangeStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ChangeStatus::Pending => "Pending",
            ChangeStatus::Approved => "Approved",
            ChangeStatus::Rejected => "Rejected",
            ChangeStatus::Expired => "Expired",
            ChangeStatus::AwaitingReview => "Awaiting review",
            ChangeStatus::Reviewed => "Reviewed",
        })
    }
}

/// Which roles approved, which are missing and which approvals do not count.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Review {
    /// Each required role covered, with the approver's handle.
    pub satisfied: Vec<(TeamRole, String)>,
    /// The required roles no valid approval covers.
    pub missing: Vec<TeamRole>,
    /// The approvals that do not count, each with why.
    pub void: Vec<(Approval, String)>,
    /// How many valid distinct approvers (besides the requester) there are.
    pub distinct_have: usize,
    /// How many distinct approvers the risk needs (2 for High, always).
    pub distinct_needed: usize,
}

impl Review {
    /// Whether the change request has every approval its risk needs.
    pub fn is_complete(&self) -> bool {
        self.missing.is_empty() && self.distinct_have >= self.distinct_needed
    }
}

/// The roles each risk needs and whether changes are enforced. The default is the runbook's:
/// Low → team lead, Medium → engineering manager, High → architecture review plus engineering
/// manager; not enforced. Nobody approves their own change, and High always needs two
/// distinct approvers besides the requester, whatever the lists say.
///
/// ```
/// use std::time::Duration;
/// use mcp_ops_core::change::*;
/// use mcp_ops_core::jiff::Timestamp;
///
/// let team = TeamDirectory::runbook();
/// let policy = ChangePolicy::default();
/// let t = |s: &str| s.parse::<Timestamp>().unwrap();
/// let spec = ChangeSpec::Scale {
///     deployment: "mcp-production/mcp-typescript-api".parse()?,
///     replicas: "5".parse()?,
/// };
/// let draft = ChangeDraft {
///     spec: spec.clone(),
///     window: ChangeWindow::new(t("2026-01-08T15:00:00Z"), Duration::from_secs(1800))?,
///     rollback_plan: "scale back to 3".into(),
///     description: "capacity for the launch".into(),
///     requester: "oncall".into(),
///     requested_risk: None,
/// };
/// let mut cr = ChangeRequest::new(ChangeId::new(2026, 1)?, draft, t("2026-01-08T14:00:00Z"))?;
/// let now = t("2026-01-08T15:05:00Z");
/// // Not approved yet: refused, naming the missing role.
/// let refusal = policy.authorize(&cr, &spec, &team, now).unwrap_err();
/// assert!(refusal.to_string().contains("team lead"));
///
/// policy.may_approve(&cr, "team-lead", TeamRole::TeamLead, &team, now).unwrap();
/// cr.approvals.push(Approval {
///     by: "team-lead".into(),
///     role: TeamRole::TeamLead,
///     at: now,
///     comment: None,
///     digest: cr.digest(),
/// });
/// assert!(policy.authorize(&cr, &spec, &team, now).is_ok());
/// // Something else than what was approved is refused.
/// let other = ChangeSpec::Scale { deployment: "mcp-production/mcp-typescript-api".parse()?, replicas: "50".parse()? };
/// assert!(matches!(policy.authorize(&cr, &other, &team, now), Err(ChangeRefusal::Mismatch { .. })));
/// # Ok::<(), mcp_ops_core::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ChangePolicy {
    /// The roles a Low-risk change needs.
    pub low: Vec<TeamRole>,
    /// The roles a Medium-risk change needs.
    pub medium: Vec<TeamRole>,
    /// The roles a High-risk change needs.
    pub high: Vec<TeamRole>,
    /// Whether a mutation needs an approved change request.
    pub enforce: bool,
}

impl Default for ChangePolicy {
    fn default() -> Self {
        Self {
            low: vec![TeamRole::TeamLead],
            medium: vec![TeamRole::EngineeringManager],
            high: vec![TeamRole::ArchitectureReview, TeamRole::EngineeringManager],
            enforce: false,
        }
    }
}

/// How many distinct approvers besides the requester High needs, whatever the policy lists.
pub const HIGH_DISTINCT_APPROVERS: usize = 2;

impl ChangePolicy {
    /// The roles a change of `risk` needs.
    pub fn required(&self, risk: Risk) -> &[TeamRole] {
        match risk {
            Risk::Low => &self.low,
            Risk::Medium => &self.medium,
            Risk::High => &self.high,
        }
    }

    /// Which roles are covered and by whom, which are missing, and which approvals do not
    /// count, with why: a self-approval, a role the approver does not hold now, a digest
    /// that is not this change request's (approved another version or another CR), or a
    /// person's second approval.
    pub fn review(&self, cr: &ChangeRequest, directory: &TeamDirectory) -> Review {
        let digest = cr.digest();
        let mut counted: Vec<&Approval> = Vec::new();
        let mut people: BTreeSet<&str> = BTreeSet::new();
        let mut void = Vec::new();
        for a in &cr.approvals {
            let why = if a.by == cr.requester {
                Some(format!(
                    "{} requested {} and cannot approve it",
                    a.by, cr.id
                ))
            } else if !directory.holds(&a.by, a.role) {
                Some(format!(
                    "{} does not hold the role {} in the team directory",
                    a.by, a.role
                ))
            } else if a.digest != digest {
                Some(format!(
                    "approval by {} was given to other content (digest {}…), not to {} as it stands (digest {}…)",
                    a.by,
                    short(&a.digest),
                    cr.id,
                    short(&digest)
                ))
            } else if people.contains(a.by.as_str()) {
                Some(format!("{} already approved; one person counts once", a.by))
            } else {
                None
            };
            match why {
                Some(why) => void.push((a.clone(), why)),
                None => {
                    people.insert(a.by.as_str());
                    counted.push(a);
                }
            }
        }
        let mut required: Vec<TeamRole> = Vec::new();
        for r in self.required(cr.risk) {
            if !required.contains(r) {
                required.push(*r);
            }
        }
        let mut satisfied = Vec::new();
        let mut missing = Vec::new();
        for role in required {
            match counted.iter().find(|a| a.role == role) {
                Some(a) => satisfied.push((role, a.by.clone())),
                None => missing.push(role),
            }
        }
        let distinct_needed = match cr.risk {
            Risk::High => HIGH_DISTINCT_APPROVERS.max(satisfied.len() + missing.len()),
            _ => satisfied.len() + missing.len(),
        };
        Review {
            satisfied,
            missing,
            void,
            distinct_have: counted.len(),
            distinct_needed,
        }
    }

    /// Where `cr` stands at `now`.
    pub fn status(
        &self,
        cr: &ChangeRequest,
        directory: &TeamDirectory,
        now: Timestamp,
    ) -> ChangeStatus {
        if cr.rejection.is_some() {
            return ChangeStatus::Rejected;
        }
        let complete = self.review(cr, directory).is_complete();
        if cr.break_glass.is_some() {
            return if complete {
                ChangeStatus::Reviewed
            } else {
                ChangeStatus::AwaitingReview
            };
        }
        if now >= cr.window.end() {
            ChangeStatus::Expired
        } else if complete {
            ChangeStatus::Approved
        } else {
            ChangeStatus::Pending
        }
    }

    /// May `planned` run now under `cr`? `Ok`, or the first refusal, checked in this order:
    /// rejected; tampered (a risk below the one its change derives, or an approval that
    /// signed another digest than the CR's); approvals
    /// missing; the planned change differs from the approved one; the window is not open
    /// yet; the window has closed.
    ///
    /// The example on [`ChangePolicy`] authorizes a change, then refuses another.
    ///
    /// # Errors
    /// The [`ChangeRefusal`] naming what is missing.
    pub fn authorize(
        &self,
        cr: &ChangeRequest,
        planned: &ChangeSpec,
        directory: &TeamDirectory,
        now: Timestamp,
    ) -> Result<(), ChangeRefusal> {
        if let Some(r) = &cr.rejection {
            return Err(ChangeRefusal::Rejected {
                id: cr.id.clone(),
                by: r.by.clone(),
                comment: r.comment.clone(),
            });
        }
        if cr.break_glass.is_some() {
            return Err(ChangeRefusal::Retroactive { id: cr.id.clone() });
        }
        let derived = super::derive_risk(&cr.spec);
        if cr.risk < derived.risk {
            return Err(ChangeRefusal::Tampered {
                id: cr.id.clone(),
                what: format!(
                    "it records risk {}, but its change is {} risk ({}): the risk was lowered after it was requested",
                    cr.risk, derived.risk, derived.why
                ),
            });
        }
        let digest = cr.digest();
        if let Some(a) = cr.approvals.iter().find(|a| a.digest != digest) {
            return Err(ChangeRefusal::Tampered {
                id: cr.id.clone(),
                what: format!(
                    "the approval by {} signed digest {}…, the change request now hashes to {}… (edited after approval, or an approval copied from another change request)",
                    a.by,
                    short(&a.digest),
                    short(&digest)
                ),
            });
        }
        let review = self.review(cr, directory);
        if !review.is_complete() {
            return Err(ChangeRefusal::ApprovalsMissing {
                id: cr.id.clone(),
                risk: cr.risk,
                missing: review.missing,
                distinct_needed: review.distinct_needed,
                distinct_have: review.distinct_have,
            });
        }
        let differences = cr.spec.differences(planned);
        if !differences.is_empty() {
            return Err(ChangeRefusal::Mismatch {
                id: cr.id.clone(),
                differences,
            });
        }
        if now < cr.window.start {
            return Err(ChangeRefusal::NotYetOpen {
                id: cr.id.clone(),
                start: cr.window.start,
            });
        }
        if now >= cr.window.end() {
            return Err(ChangeRefusal::WindowClosed {
                id: cr.id.clone(),
                end: cr.window.end(),
            });
        }
        Ok(())
    }

    /// Whether `who` may add an approval as `role` now: the change request is not rejected or
    /// expired, `who` is not the requester, holds `role` in `directory`, and has not approved
    /// it already.
    ///
    /// # Errors
    /// The [`ChangeRefusal`] saying why not.
    pub fn may_approve(
        &self,
        cr: &ChangeRequest,
        who: &str,
        role: TeamRole,
        directory: &TeamDirectory,
        now: Timestamp,
    ) -> Result<(), ChangeRefusal> {
        let id = || cr.id.clone();
        match self.status(cr, directory, now) {
            ChangeStatus::Rejected => {
                let (by, comment) = cr
                    .rejection
                    .as_ref()
                    .map(|r| (r.by.clone(), r.comment.clone()))
                    .unwrap_or_default();
                return Err(ChangeRefusal::Rejected {
                    id: id(),
                    by,
                    comment,
                });
            }
            ChangeStatus::Expired => {
                return Err(ChangeRefusal::WindowClosed {
                    id: id(),
                    end: cr.window.end(),
                });
            }
            _ => {}
        }
        if who == cr.requester {
            return Err(ChangeRefusal::SelfApproval {
                id: id(),
                who: who.to_owned(),
            });
        }
        if !directory.holds(who, role) {
            return Err(ChangeRefusal::RoleNotHeld {
                id: id(),
                who: who.to_owned(),
                role,
            });
        }
        if cr.approvals.iter().any(|a| a.by == who) {
            return Err(ChangeRefusal::AlreadyApproved {
                id: id(),
                who: who.to_owned(),
            });
        }
        Ok(())
    }
}

/// The first 12 characters of a digest.
fn short(digest: &str) -> &str {
    digest.get(..12).unwrap_or(digest)
}
