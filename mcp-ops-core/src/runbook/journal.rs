//! The journal: every step a procedure took, with the command a human would have typed.
//!
//! A journal renders as JSON lines (for machines) and as a Markdown incident timeline that
//! doubles as a post-mortem skeleton (for people). Entries never contain secret values: steps
//! describe secrets by key and fingerprint only.

use std::fmt::Write as _;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

/// How a step ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", content = "detail", rename_all = "snake_case")]
#[non_exhaustive]
pub enum StepOutcome {
    /// Done; what came of it.
    Ok(String),
    /// Failed; why (no secrets).
    Failed(String),
    /// Not run; why (a gate, an earlier failure, nothing to do).
    Skipped(String),
    /// A dry run: this is what would be done.
    Planned,
}

impl StepOutcome {
    /// A short word for tables.
    pub fn word(&self) -> &'static str {
        match self {
            StepOutcome::Ok(_) => "ok",
            StepOutcome::Failed(_) => "failed",
            StepOutcome::Skipped(_) => "skipped",
            StepOutcome::Planned => "planned",
        }
    }

    /// The detail text, empty for `Planned`.
    pub fn detail(&self) -> &str {
        match self {
            StepOutcome::Ok(s) | StepOutcome::Failed(s) | StepOutcome::Skipped(s) => s,
            StepOutcome::Planned => "",
        }
    }
}

/// One step of one procedure.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JournalEntry {
    /// When the step started.
    pub at: Timestamp,
    /// The procedure (`standard_deploy`).
    pub procedure: String,
    /// The step (`wait for rollout`).
    pub step: String,
    /// What it acted on (`mcp-production/mcp-typescript-api`).
    pub target: String,
    /// What it did, in words (`set image mcp-typescript-api=…:v1.0.1`).
    pub action: String,
    /// The command the runbook would have used for the same step.
    pub command: String,
    /// Whether the step changes state (false for reads and checks).
    pub mutating: bool,
    /// How it ended.
    pub outcome: StepOutcome,
    /// How long it took.
    pub duration: Duration,
}

/// A shared, append-only list of entries. Clones share the same entries.
///
/// # Example
///
/// ```
/// # #[cfg(feature = "testkit")]
/// # #[tokio::main(flavor = "current_thread", start_paused = true)]
/// # async fn main() -> mcp_ops_core::Result<()> {
/// use mcp_ops_core::runbook::Journal;
/// use mcp_ops_core::testkit::TestKit;
///
/// let kit = TestKit::runbook().await?;
/// let journal = Journal::new();
/// let deploy = kit.context("standard_deploy", "deploy v1.0.1")?.with_journal(journal.clone());
/// // Another procedure of the same run writes to the same timeline.
/// let incident = deploy.for_procedure("run_incident");
/// deploy.note("gates", "mcp-production/mcp-typescript-api", "all five gates passed");
/// incident.skip("open incident", "MCP Production", "no rollback, so no incident");
/// assert_eq!(journal.len(), 2);
/// let timeline = journal.to_markdown("Deploy of v1.0.1");
/// assert!(timeline.contains("all five gates passed"));
/// println!("{timeline}");
/// # Ok(())
/// # }
/// # #[cfg(not(feature = "testkit"))]
/// # fn main() {}
/// ```
#[derive(Debug, Clone, Default)]
pub struct Journal {
    entries: Arc<Mutex<Vec<JournalEntry>>>,
}

impl Journal {
    /// An empty journal.
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> MutexGuard<'_, Vec<JournalEntry>> {
        self.entries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Appends an entry.
    pub fn record(&self, entry: JournalEntry) {
        tracing::info!(
            procedure = %entry.procedure,
            step = %entry.step,
            target = %entry.target,
            outcome = entry.outcome.word(),
            "{}",
            entry.action
        );
        self.lock().push(entry);
    }

    /// A copy of every entry, in order.
    pub fn entries(&self) -> Vec<JournalEntry> {
        self.lock().clone()
    }

    /// How many entries there are.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.lock().is_empty()
    }

    /// Entries of mutating steps that actually ran (not planned, not skipped).
    pub fn state_changes(&self) -> Vec<JournalEntry> {
        self.lock()
            .iter()
            .filter(|e| {
                e.mutating && matches!(e.outcome, StepOutcome::Ok(_) | StepOutcome::Failed(_))
            })
            .cloned()
            .collect()
    }

    /// One JSON object per line.
    pub fn to_json_lines(&self) -> String {
        let mut out = String::new();
        for e in self.lock().iter() {
            if let Ok(line) = serde_json::to_string(e) {
                out.push_str(&line);
                out.push('\n');
            }
        }
        out
    }

    /// A Markdown timeline with a post-mortem skeleton.
    pub fn to_markdown(&self, title: &str) -> String {
        let entries = self.entries();
        let mut md = String::new();
        let _ = writeln!(md, "# {title}\n");
        if let (Some(first), Some(last)) = (entries.first(), entries.last()) {
            let _ = writeln!(md, "- **Window**: {} → {}", utc(first.at), utc(last.at));
        }
        let failed = entries
            .iter()
            .filter(|e| matches!(e.outcome, StepOutcome::Failed(_)))
            .count();
        let _ = writeln!(md, "- **Steps**: {} ({failed} failed)\n", entries.len());
        let _ = writeln!(md, "## Timeline\n");
        let _ = writeln!(
            md,
            "| time (UTC) | procedure | step | target | outcome | duration | command |"
        );
        let _ = writeln!(md, "|---|---|---|---|---|---|---|");
        for e in &entries {
            let outcome = outcome_cell(&e.outcome);
            let command = command_cell(&e.command);
            let _ = writeln!(
                md,
                "| {} | {} | {} | {} | {} | {} | {command} |",
                e.at.strftime("%H:%M:%S"),
                cell(&e.procedure),
                cell(&e.step),
                cell(&e.target),
                cell(&outcome),
                human(e.duration),
            );
        }
        let _ = writeln!(md, "\n## Root cause\n\n_To be written._\n");
        let _ = writeln!(md, "## What went well\n\n_To be written._\n");
        let _ = writeln!(md, "## Action items\n\n- [ ] _To be written._");
        md
    }
}

/// A time as the timelines print it (`2026-12-06 10:00:00 UTC`).
pub(crate) fn utc(t: Timestamp) -> String {
    t.strftime("%Y-%m-%d %H:%M:%S UTC").to_string()
}

/// Text safe inside a Markdown table cell: pipes escaped, on one line.
pub(crate) fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace(['\n', '\r'], " ")
}

/// An outcome's table cell: its word, and its detail when there is one.
pub(crate) fn outcome_cell(outcome: &StepOutcome) -> String {
    if outcome.detail().is_empty() {
        outcome.word().to_owned()
    } else {
        format!("{}: {}", outcome.word(), outcome.detail())
    }
}

/// A command's table cell: in backticks (its own backticks made quotes), empty for none.
pub(crate) fn command_cell(command: &str) -> String {
    if command.is_empty() {
        String::new()
    } else {
        format!("`{}`", cell(command).replace('`', "'"))
    }
}

/// `1.2 s`, `350 ms`, `2 min 5 s`.
pub(crate) fn human(d: Duration) -> String {
    let ms = d.as_millis();
    if ms < 1000 {
        format!("{ms} ms")
    } else if ms < 60_000 {
        format!("{:.1} s", d.as_secs_f64())
    } else {
        format!("{} min {} s", d.as_secs() / 60, d.as_secs() % 60)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(step: &str, outcome: StepOutcome, mutating: bool) -> JournalEntry {
        JournalEntry {
            at: "2025-01-08T14:30:00Z"
                .parse()
                .unwrap_or(Timestamp::UNIX_EPOCH),
            procedure: "emergency_rollback".into(),
            step: step.into(),
            target: "mcp-production/mcp-typescript-api".into(),
            action: step.into(),
            command: "kubectl rollout undo deployment/mcp-typescript-api -n mcp-production".into(),
            mutating,
            outcome,
            duration: Duration::from_millis(1500),
        }
    }

    #[test]
    fn state_changes_ignore_planned_and_skipped() {
        let j = Journal::new();
        j.record(entry("undo", StepOutcome::Planned, true));
        j.record(entry("undo", StepOutcome::Skipped("paused".into()), true));
        j.record(entry("status", StepOutcome::Ok("complete".into()), false));
        assert!(j.state_changes().is_empty());
        j.record(entry("undo", StepOutcome::Ok("rolled back".into()), true));
        assert_eq!(j.state_changes().len(), 1);
        assert_eq!(j.len(), 4);
    }

    #[test]
    fn json_lines_round_trip() {
        let j = Journal::new();
        j.record(entry("undo", StepOutcome::Failed("a|b".into()), true));
        let text = j.to_json_lines();
        assert_eq!(text.lines().count(), 1);
        let back: JournalEntry =
            serde_json::from_str(text.trim()).unwrap_or_else(|_| unreachable!());
        assert_eq!(back, j.entries()[0]);
    }

    #[test]
    fn markdown_escapes_pipes_and_lists_every_step() {
        let j = Journal::new();
        j.record(entry("undo", StepOutcome::Failed("a|b".into()), true));
        j.record(entry("verify", StepOutcome::Ok("healthy".into()), false));
        let md = j.to_markdown("Rollback");
        assert!(md.contains("| 14:30:00 | emergency_rollback | undo |"));
        assert!(md.contains("failed: a\\|b"));
        assert!(md.contains("1.5 s"));
        assert!(md.contains("- **Steps**: 2 (1 failed)"));
    }

    #[test]
    fn a_multi_line_command_stays_in_its_row() {
        let j = Journal::new();
        let mut e = entry("integrity check", StepOutcome::Ok("1 row".into()), false);
        e.command = "psql -c \"SELECT COUNT(*)\nFROM users\" | tee log".into();
        j.record(e);
        let md = j.to_markdown("Recovery");
        let row = md
            .lines()
            .find(|l| l.contains("integrity check"))
            .unwrap_or_default();
        assert!(
            row.ends_with("`psql -c \"SELECT COUNT(*) FROM users\" \\| tee log` |"),
            "{row}"
        );
    }
}
