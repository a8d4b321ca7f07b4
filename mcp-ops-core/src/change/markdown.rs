//! The CR document in the runbook's Markdown template.

use std::fmt::Write as _;

use jiff::Timestamp;

use super::{ChangePolicy, ChangeRequest, TeamDirectory, TeamRole};

impl ChangeRequest {
    /// The change request as the runbook's template (`## Change Request CR-…` with Type,
    /// Risk Level, Scheduled, Duration, Rollback Plan, Approver, Change Description) plus
    /// Status, Targets, Change, Requester, Requested and the approvals, as of `now`.
    ///
    /// The Approver line names the approvers the risk needs: who approved for each covered
    /// role, and the people who hold each missing role (`@engineering-manager`).
    pub fn to_markdown(
        &self,
        policy: &ChangePolicy,
        directory: &TeamDirectory,
        now: Timestamp,
    ) -> String {
        let review = policy.review(self, directory);
        let status = policy.status(self, directory, now);
        let mut approvers: Vec<String> = review
            .satisfied
            .iter()
            .map(|(role, by)| format!("@{} ({role}, approved)", one_line(by)))
            .collect();
        for role in &review.missing {
            approvers.push(holders_text(directory, *role));
        }
        if approvers.is_empty() {
            approvers.push("none required".to_owned());
        }
        let mut md = String::new();
        // Writing to a String cannot fail.
        let _ = writeln!(md, "## Change Request {}", self.id);
        let _ = writeln!(md);
        let _ = writeln!(md, "**Type**: {}", self.spec.kind());
        let _ = writeln!(md, "**Risk Level**: {}", self.risk);
        let _ = writeln!(md, "**Scheduled**: {}", utc(self.window.start));
        let _ = writeln!(md, "**Duration**: {}", duration_text(self.window.duration));
        let _ = writeln!(md, "**Rollback Plan**: {}", one_line(&self.rollback_plan));
        let _ = writeln!(md, "**Approver**: {}", approvers.join(", "));
        let _ = writeln!(
            md,
            "**Change Description**: {}",
            one_line(&self.description)
        );
        let _ = writeln!(md, "**Status**: {status}");
        let _ = writeln!(md, "**Targets**: {}", self.spec.targets().join(", "));
        let _ = writeln!(
            md,
            "**Change**: `{}`",
            self.spec.summary().replace('`', "'")
        );
        let _ = writeln!(
            md,
            "**Risk Assessment**: {} (derived: {})",
            self.risk,
            one_line(&self.derived_risk.why)
        );
        let _ = writeln!(md, "**Requester**: @{}", one_line(&self.requester));
        let _ = writeln!(md, "**Requested**: {}", utc(self.requested_at));
        if let Some(bg) = &self.break_glass {
            let _ = writeln!(
                md,
                "**Break-glass**: by @{} at {}: {}",
                one_line(&bg.by),
                utc(bg.at),
                one_line(&bg.reason)
            );
        }
        if let Some(r) = &self.rejection {
            let _ = writeln!(
                md,
                "**Rejected**: by @{} at {}: {}",
                one_line(&r.by),
                utc(r.at),
                one_line(&r.comment)
            );
        }
        let _ = writeln!(md, "**Digest**: `{}`", self.digest());
        let _ = writeln!(md);
        let _ = writeln!(md, "### Approvals");
        let _ = writeln!(md);
        if self.approvals.is_empty() {
            let _ = writeln!(md, "None yet.");
        } else {
            let _ = writeln!(md, "| by | role | at | counts | comment |");
            let _ = writeln!(md, "|---|---|---|---|---|");
            for a in &self.approvals {
                let counts = review
                    .void
                    .iter()
                    .find(|(v, _)| v == a)
                    .map_or_else(|| "yes".to_owned(), |(_, why)| format!("no: {why}"));
                let _ = writeln!(
                    md,
                    "| @{} | {} | {} | {} | {} |",
                    cell(&a.by),
                    a.role,
                    utc(a.at),
                    cell(&counts),
                    cell(a.comment.as_deref().unwrap_or(""))
                );
            }
        }
        md
    }
}

fn holders_text(directory: &TeamDirectory, role: TeamRole) -> String {
    let holders: Vec<String> = directory
        .holders(role)
        .iter()
        .map(|p| format!("@{}", p.handle))
        .collect();
    if holders.is_empty() {
        format!("{role} (pending; nobody in the team holds it)")
    } else {
        format!("{} ({role}, pending)", holders.join(" or "))
    }
}

fn utc(t: Timestamp) -> String {
    t.strftime("%Y-%m-%d %H:%M UTC").to_string()
}

/// `30 minutes`, `1 hour`, `2 hours 15 minutes`, `90 seconds`.
fn duration_text(d: std::time::Duration) -> String {
    let secs = d.as_secs();
    if !secs.is_multiple_of(60) {
        return format!("{secs} seconds");
    }
    let (h, m) = (secs / 3600, (secs % 3600) / 60);
    let plural = |n: u64, unit: &str| format!("{n} {unit}{}", if n == 1 { "" } else { "s" });
    match (h, m) {
        (0, m) => plural(m, "minute"),
        (h, 0) => plural(h, "hour"),
        (h, m) => format!("{} {}", plural(h, "hour"), plural(m, "minute")),
    }
}

fn one_line(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

fn cell(s: &str) -> String {
    one_line(s).replace('|', "\\|")
}
