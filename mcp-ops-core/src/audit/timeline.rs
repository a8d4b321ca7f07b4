//! From runbook journals to audit drafts, and from persisted records back to a post-mortem
//! timeline.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use jiff::Timestamp;

use super::record::{AuditDraft, AuditKind, AuditRecord};
use crate::runbook::journal::{cell, command_cell, human, outcome_cell, utc};
use crate::runbook::{Journal, JournalEntry, StepOutcome};

/// One [`AuditKind::Step`] draft per entry of `journal`, in order, each keeping the entry's
/// time (`at`) and the whole entry (its duration included) in [`AuditDraft::step`].
#[must_use]
pub fn drafts_from_journal(
    journal: &Journal,
    actor: &str,
    change: Option<&str>,
    incident: Option<&str>,
) -> Vec<AuditDraft> {
    journal
        .entries()
        .into_iter()
        .map(|e| {
            let mut draft = AuditDraft::new(e.at, actor, AuditKind::Step, &step_summary(&e))
                .with_change(change)
                .with_incident(incident);
            draft.procedure = Some(e.procedure.clone());
            draft.step = Some(e);
            draft
        })
        .collect()
}

fn step_summary(e: &JournalEntry) -> String {
    let detail = e.outcome.detail();
    if detail.is_empty() {
        format!("{} {}: {}", e.step, e.target, e.outcome.word())
    } else {
        format!("{} {}: {}: {detail}", e.step, e.target, e.outcome.word())
    }
}

/// Which records a timeline shows; every field that is set must match.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TimelineFilter {
    /// Only records of this incident (`INC-…`).
    pub incident: Option<String>,
    /// Only records of this change request (`CR-…`).
    pub change: Option<String>,
    /// Only records at or after this time.
    pub since: Option<Timestamp>,
}

impl TimelineFilter {
    /// Whether `record` passes.
    #[must_use]
    pub fn matches(&self, record: &AuditRecord) -> bool {
        let d = &record.draft;
        self.incident
            .as_ref()
            .is_none_or(|i| d.incident.as_ref() == Some(i))
            && self
                .change
                .as_ref()
                .is_none_or(|c| d.change.as_ref() == Some(c))
            && self.since.is_none_or(|s| d.at >= s)
    }
}

/// The records that pass `filter`, in the order given.
#[must_use]
pub fn filter_records(records: &[AuditRecord], filter: &TimelineFilter) -> Vec<AuditRecord> {
    records
        .iter()
        .filter(|r| filter.matches(r))
        .cloned()
        .collect()
}

/// A Markdown post-mortem timeline from persisted records (of any process or machine), in
/// time order (then seq): like [`Journal::to_markdown`], with who acted and for which change
/// request and incident, and the post-mortem sections to fill in.
#[must_use]
pub fn timeline_markdown(records: &[AuditRecord], title: &str) -> String {
    let mut sorted: Vec<&AuditRecord> = records.iter().collect();
    sorted.sort_by_key(|r| (r.draft.at, r.seq));
    let mut md = String::new();
    let _ = writeln!(md, "# {title}\n");
    if let (Some(first), Some(last)) = (sorted.first(), sorted.last()) {
        let _ = writeln!(
            md,
            "- **Window**: {} → {}",
            utc(first.draft.at),
            utc(last.draft.at)
        );
    }
    let failed = sorted
        .iter()
        .filter(|r| {
            r.draft
                .step
                .as_ref()
                .is_some_and(|s| matches!(s.outcome, StepOutcome::Failed(_)))
        })
        .count();
    let _ = writeln!(
        md,
        "- **Records**: {} ({failed} failed steps)",
        sorted.len()
    );
    let _ = writeln!(
        md,
        "- **Actors**: {}",
        joined(sorted.iter().map(|r| Some(&r.draft.actor)))
    );
    let _ = writeln!(
        md,
        "- **Changes**: {}",
        joined(sorted.iter().map(|r| r.draft.change.as_ref()))
    );
    let _ = writeln!(
        md,
        "- **Incidents**: {}\n",
        joined(sorted.iter().map(|r| r.draft.incident.as_ref()))
    );
    let _ = writeln!(md, "## Timeline\n");
    let _ = writeln!(
        md,
        "| time (UTC) | seq | actor | change | incident | procedure | what | target | outcome | duration | command |"
    );
    let _ = writeln!(md, "|---|---|---|---|---|---|---|---|---|---|---|");
    for r in sorted {
        let d = &r.draft;
        let (what, target, outcome, duration, command) = match &d.step {
            Some(s) => {
                let outcome = outcome_cell(&s.outcome);
                let command = command_cell(&s.command);
                (
                    s.step.clone(),
                    s.target.clone(),
                    outcome,
                    human(s.duration),
                    command,
                )
            }
            None => (
                format!("{}: {}", d.kind, d.summary),
                String::new(),
                String::new(),
                String::new(),
                String::new(),
            ),
        };
        let _ = writeln!(
            md,
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {duration} | {command} |",
            d.at.strftime("%Y-%m-%d %H:%M:%S"),
            r.seq,
            cell(&d.actor),
            cell(d.change.as_deref().unwrap_or("")),
            cell(d.incident.as_deref().unwrap_or("")),
            cell(d.procedure.as_deref().unwrap_or("")),
            cell(&what),
            cell(&target),
            cell(&outcome),
        );
    }
    let _ = writeln!(md, "\n## Root cause\n\n_To be written._\n");
    let _ = writeln!(md, "## What went well\n\n_To be written._\n");
    let _ = writeln!(md, "## Action items\n\n- [ ] _To be written._");
    md
}

fn joined<'a>(values: impl Iterator<Item = Option<&'a String>>) -> String {
    let set: BTreeSet<&str> = values.flatten().map(String::as_str).collect();
    if set.is_empty() {
        "none".to_owned()
    } else {
        cell(&set.into_iter().collect::<Vec<_>>().join(", "))
    }
}
