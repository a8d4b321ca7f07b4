//! `ops journal verify|show`: the persisted, hash-chained journal (the state directory's
//! `journal.jsonl`, or PostgreSQL with `--incidents-url`).

use mcp_ops_core::audit::{TimelineFilter, filter_records, timeline_markdown};
use mcp_ops_core::jiff::Timestamp;
use serde_json::json;

use crate::backends::Backends;
use crate::cli::Global;
use crate::cli_change::JournalAction;
use crate::cmd_change::{parse_id, parse_span};
use crate::output::{Report, Status, table, to_value};
use crate::{Failure, Outcome};

/// `ops journal …`.
pub async fn journal(action: &JournalAction, g: &Global, b: &Backends) -> Outcome {
    match action {
        JournalAction::Verify { expect_head } => verify(expect_head.as_deref(), b).await,
        JournalAction::Show { incident, since } => {
            show(incident.as_deref(), since.as_deref(), g, b).await
        }
    }
}

fn setup(b: &Backends) -> Result<&crate::change_setup::ChangeSetup, Failure> {
    b.changes
        .as_ref()
        .ok_or_else(|| Failure::Failed("no journal on this target".to_owned()))
}

/// A 64-digit lowercase or uppercase hex hash.
fn is_hash(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|c| c.is_ascii_hexdigit())
}

/// `ops journal verify [--expect-head HASH]`: exit 0 when the chain is intact, 1 naming
/// every break (position, seq, kind).
async fn verify(expect_head: Option<&str>, b: &Backends) -> Outcome {
    if let Some(h) = expect_head
        && !is_hash(h.trim())
    {
        return Err(Failure::BadInput(
            "--expect-head: a head hash is 64 hex digits (printed by `ops journal verify`)"
                .to_owned(),
        ));
    }
    let setup = setup(b)?;
    let log = &setup.audit;
    let mut report = log.verify().await?;
    let records = log.records().await?;
    if let Some(h) = expect_head {
        report.check_expected_head(&records, h);
    }
    // The change store against the journal: a request or approval the journal does not back
    // (the journal deleted or cut, the store edited) is named too.
    let unbacked: Vec<String> = setup
        .store
        .list()
        .await?
        .iter()
        .flat_map(|cr| mcp_ops_core::change::journal_mismatches(cr, &records))
        .collect();
    let intact = report.intact() && unbacked.is_empty();
    let head = report.head.clone().unwrap_or_default();
    let summary = if intact {
        format!(
            "journal intact: {} records, head {}",
            report.records,
            if head.is_empty() { "(empty)" } else { &head }
        )
    } else {
        let each: Vec<String> = report
            .breaks
            .iter()
            .map(ToString::to_string)
            .chain(unbacked.iter().cloned())
            .collect();
        format!(
            "journal BROKEN: {} problem(s) in {} records: {}",
            each.len(),
            report.records,
            each.join("; ")
        )
    };
    let rows = report.breaks.iter().map(|br| {
        vec![
            br.position.to_string(),
            br.seq.map_or_else(|| "-".to_owned(), |s| s.to_string()),
            br.kind.to_string(),
            br.detail.clone(),
        ]
    });
    let t = table(&["POSITION", "SEQ", "KIND", "DETAIL"], rows);
    Ok(Report::new(
        "journal-verify",
        if intact { Status::Ok } else { Status::Failed },
        summary,
        json!({"intact": intact, "records": report.records, "head": report.head,
               "breaks": to_value(&report.breaks), "unbacked_changes": unbacked}),
    )
    .table("Breaks", t))
}

/// `--since`: RFC 3339, or an age before now (`2h`).
fn since(text: &str, now: Timestamp) -> Result<Timestamp, Failure> {
    if let Ok(t) = text.trim().parse::<Timestamp>() {
        return Ok(t);
    }
    let age = parse_span("--since", text).map_err(|_| {
        Failure::BadInput(
            "--since: use RFC 3339 (2026-12-08T15:00:00Z) or an age such as 2h, 30m or 7d"
                .to_owned(),
        )
    })?;
    let age = mcp_ops_core::jiff::SignedDuration::try_from(age)
        .map_err(|_| Failure::BadInput("--since: too far back".to_owned()))?;
    now.checked_sub(age)
        .map_err(|_| Failure::BadInput("--since: too far back".to_owned()))
}

/// `ops journal show [--incident INC-…] [--change CR-…] [--since T]`.
async fn show(
    incident: Option<&str>,
    since_text: Option<&str>,
    g: &Global,
    b: &Backends,
) -> Outcome {
    let change = g.change.as_deref().map(parse_id).transpose()?;
    let incident = incident
        .map(|i| {
            mcp_ops_core::IncidentId::new(i)
                .map(|id| id.as_str().to_owned())
                .map_err(|e| Failure::BadInput(format!("--incident: {e}")))
        })
        .transpose()?;
    let filter = TimelineFilter {
        incident,
        change: change.as_ref().map(|c| c.as_str().to_owned()),
        since: since_text.map(|s| since(s, b.clock.now())).transpose()?,
    };
    let log = &setup(b)?.audit;
    let records = log.records().await?;
    let chain = log.verify().await?;
    let shown = filter_records(&records, &filter);
    let mut scope = Vec::new();
    if let Some(c) = &filter.change {
        scope.push(format!("change {c}"));
    }
    if let Some(i) = &filter.incident {
        scope.push(format!("incident {i}"));
    }
    if let Some(s) = &filter.since {
        scope.push(format!("since {s}"));
    }
    let title = if scope.is_empty() {
        "Journal".to_owned()
    } else {
        format!("Journal: {}", scope.join(", "))
    };
    let mut report = Report::new(
        "journal-show",
        Status::Ok,
        format!("{} of {} records", shown.len(), records.len()),
        json!({"records": to_value(&shown)}),
    );
    report.markdown = Some(timeline_markdown(&shown, &title));
    if !chain.intact() {
        // The timeline is still shown (it is evidence), but not as trustworthy.
        report.status = Status::Failed;
        report.notes.push(format!(
            "the journal's chain is BROKEN ({} break(s)): this timeline may have been edited; \
             see `ops journal verify`",
            chain.breaks.len()
        ));
    }
    Ok(report)
}
