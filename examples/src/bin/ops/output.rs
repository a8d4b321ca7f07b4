//! What a command returns and how it is printed: tables for people, one JSON document for
//! automation (schemas in `examples/schemas/`).

use std::fmt::Write as _;
use std::io::{IsTerminal as _, Write as _};

use comfy_table::{Cell, Color, ContentArrangement, Table, presets::UTF8_FULL_CONDENSED};
use mcp_ops_core::runbook::JournalEntry;
use serde_json::{Value, json};

use crate::cli::Output;

/// How a command ended; decides the exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Healthy / succeeded (exit 0).
    Ok,
    /// Degraded / failed (exit 1).
    Failed,
    /// A dry run: the plan was printed (exit 0).
    Planned,
}

/// Exit code of an incident command whose change was recorded while no notification channel
/// delivered a message that was due: nobody was told (`ops incident tick` retries). The
/// report's status is `failed`.
pub const EXIT_UNDELIVERED: u8 = 3;

impl Status {
    fn word(self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::Failed => "failed",
            Status::Planned => "planned",
        }
    }

    /// The process exit code.
    pub fn code(self) -> u8 {
        match self {
            Status::Ok | Status::Planned => 0,
            Status::Failed => 1,
        }
    }
}

/// A command's result.
pub struct Report {
    /// The subcommand (`triage`, `deploy` …); names the schema file.
    pub command: &'static str,
    /// How it ended.
    pub status: Status,
    /// One line for people.
    pub summary: String,
    /// Titled tables for people.
    pub tables: Vec<(String, Table)>,
    /// The procedure's typed report, serialized.
    pub data: Value,
    /// The journal (printed as the plan for a dry run).
    pub journal: Vec<JournalEntry>,
    /// Markdown printed after the tables (the drill's timeline).
    pub markdown: Option<String>,
    /// Remarks (flags accepted but not used yet …).
    pub notes: Vec<String>,
    /// An exit code other than the status's own ([`EXIT_UNDELIVERED`]).
    pub exit_code: Option<u8>,
}

impl Report {
    /// A report with no tables.
    pub fn new(
        command: &'static str,
        status: Status,
        summary: impl Into<String>,
        data: Value,
    ) -> Self {
        Self {
            command,
            status,
            summary: summary.into(),
            tables: Vec::new(),
            data,
            journal: Vec::new(),
            markdown: None,
            notes: Vec::new(),
            exit_code: None,
        }
    }

    /// The process exit code.
    pub fn code(&self) -> u8 {
        self.exit_code.unwrap_or_else(|| self.status.code())
    }

    /// Adds a titled table (an empty one is left out).
    pub fn table(mut self, title: &str, table: Table) -> Self {
        if !table.is_empty() {
            self.tables.push((title.to_owned(), table));
        }
        self
    }

    /// Replaces the one-line summary.
    #[must_use]
    pub fn with_summary(mut self, summary: impl Into<String>) -> Self {
        self.summary = summary.into();
        self
    }

    /// Sets the journal.
    pub fn journal(mut self, entries: Vec<JournalEntry>) -> Self {
        self.journal = entries;
        self
    }

    /// Prints the report to stdout in the chosen format.
    /// A closed pipe (`ops triage | head`) is not an error.
    pub fn print(&self, output: Output, target: &str, dry_run: bool) {
        let text = match output {
            Output::Json => format!("{}\n", self.to_json(target, dry_run)),
            Output::Table => self.render_tables(dry_run),
        };
        let mut out = std::io::stdout().lock();
        let _ = out.write_all(text.as_bytes()).and_then(|()| out.flush());
    }

    /// The JSON document (see `examples/schemas/<command>.schema.json`).
    pub fn to_json(&self, target: &str, dry_run: bool) -> String {
        let doc = self.to_document(target, dry_run);
        serde_json::to_string_pretty(&doc).unwrap_or_else(|_| "{}".to_owned())
    }

    /// The JSON document as a value, redacted (what `to_json` prints; the structured content
    /// of an `ops mcp` tool call).
    pub fn to_document(&self, target: &str, dry_run: bool) -> Value {
        let plan: Vec<Value> = self
            .journal
            .iter()
            .map(|e| {
                json!({"at": e.at.to_string(),
                       "duration_ms": u64::try_from(e.duration.as_millis()).unwrap_or(u64::MAX),
                       "step": e.step, "target": e.target, "action": e.action,
                       "command": e.command, "mutating": e.mutating, "outcome": e.outcome.word()})
            })
            .collect();
        let mut doc = json!({
            "command": self.command,
            "target": target,
            "dry_run": dry_run,
            "status": self.status.word(),
            "summary": self.summary,
            "notes": self.notes,
            "report": self.data,
            "journal": plan,
        });
        // The last guard: no URL credential, query value or token reaches stdout.
        mcp_ops_core::redact_json(&mut doc);
        doc
    }

    fn render_tables(&self, dry_run: bool) -> String {
        let mut s = String::new();
        let _ = writeln!(s, "{}", self.summary);
        for (title, table) in &self.tables {
            let _ = writeln!(s, "\n{title}\n{table}");
        }
        if dry_run && !self.journal.is_empty() {
            let rows = self.journal.iter().map(|e| {
                vec![
                    e.step.clone(),
                    e.target.clone(),
                    if e.mutating { "would change" } else { "reads" }.to_owned(),
                    e.command.clone(),
                ]
            });
            let t = table(&["STEP", "TARGET", "KIND", "EQUIVALENT COMMAND"], rows);
            let _ = writeln!(s, "\nPlan (dry run: nothing was changed)\n{t}");
        }
        if let Some(md) = &self.markdown {
            let _ = writeln!(s, "\n{md}");
        }
        for n in &self.notes {
            let _ = writeln!(s, "note: {n}");
        }
        // Cells are redacted one by one (a wrapped cell splits its URL); this is the guard
        // for the summary, notes and markdown.
        mcp_ops_core::redact_text(&s)
    }
}

/// A table with a header; styled only when stdout is a terminal.
pub fn table<I, R>(headers: &[&str], rows: I) -> Table
where
    I: IntoIterator<Item = R>,
    R: IntoIterator<Item = String>,
{
    let mut t = Table::new();
    t.load_preset(UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_header(headers.iter().copied());
    if !std::io::stdout().is_terminal() {
        t.force_no_tty();
    }
    // A terminal that reports no usable width (a pty without a size): do not wrap.
    if t.width().is_none_or(|w| w < 40) {
        t.set_content_arrangement(ContentArrangement::Disabled);
    }
    for r in rows {
        t.add_row(r.into_iter().map(|c| status_cell(&c)));
    }
    t
}

/// A cell, green/yellow/red for status words when stdout is a terminal and `NO_COLOR` is
/// not set.
fn status_cell(text: &str) -> Cell {
    let cell = Cell::new(mcp_ops_core::redact_text(text));
    if !std::io::stdout().is_terminal() || std::env::var_os("NO_COLOR").is_some() {
        return cell;
    }
    match text {
        "healthy" | "pass" | "ok" | "applied" | "rolled back" | "completed" => {
            cell.fg(Color::Green)
        }
        "degraded" | "unknown" | "planned" => cell.fg(Color::Yellow),
        "unhealthy" | "FAIL" | "failed" => cell.fg(Color::Red),
        _ => cell,
    }
}

/// The JSON of a serializable value, `null` if it cannot be serialized.
pub fn to_value<T: serde::Serialize>(v: &T) -> Value {
    serde_json::to_value(v).unwrap_or(Value::Null)
}
